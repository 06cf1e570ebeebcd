/**
 * D value types and the integer arithmetic of the D runtime.
 *
 * D integers are C integers: `int` (32-bit signed), `unsigned int`, `int64_t`, `uint64_t`, with
 * C's usual arithmetic conversions. Values are JavaScript numbers holding the *signed*
 * interpretation of the bit pattern: an i32/u32 value is exact; a 64-bit value is exact within
 * ±2^53 (guest addresses, RIPs, qualifications and virtual nanoseconds of this 32-bit machine all
 * fit), and results that leave that range are computed through BigInt and wrapped to 64 bits, so
 * they are exact up to the precision a double can hold. u64 values with the top bit set are held
 * negative; comparisons, division, right shifts and printing treat them as unsigned.
 *
 * Does not model: floating point, pointers, structs, smaller integer types as variables (casts to
 * char/short truncate and widen back to int, like C's integer promotions).
 */

export type IntType = 'i32' | 'u32' | 'i64' | 'u64';
export type DType = IntType | 'string';

export function isInt(t: DType): t is IntType {
  return t !== 'string';
}

export function sizeOf(t: IntType): 4 | 8 {
  return t === 'i32' || t === 'u32' ? 4 : 8;
}

export function isUnsigned(t: IntType): boolean {
  return t === 'u32' || t === 'u64';
}

/** C's usual arithmetic conversions for two integer operand types. */
export function promote(a: IntType, b: IntType): IntType {
  const sa = sizeOf(a);
  const sb = sizeOf(b);
  if (sa === sb) return isUnsigned(a) || isUnsigned(b) ? (sa === 4 ? 'u32' : 'u64') : a;
  const big = sa > sb ? a : b;
  return big; // the 64-bit type can represent every 32-bit value
}

/** D spelling of a type, for error messages. */
export function typeName(t: DType): string {
  switch (t) {
    case 'i32': return 'int';
    case 'u32': return 'uint32_t';
    case 'i64': return 'int64_t';
    case 'u64': return 'uint64_t';
    case 'string': return 'string';
  }
}

const TWO53 = 2 ** 53;

function wrap64(b: bigint): number {
  return Number(BigInt.asIntN(64, b));
}

/** Convert a value to type `t` (C conversion: truncation / sign change). */
export function convert(v: number, t: IntType): number {
  switch (t) {
    case 'i32': return v | 0;
    case 'u32': return v >>> 0;
    default:
      return v >= -TWO53 && v <= TWO53 ? v : wrap64(BigInt(Math.trunc(v)));
  }
}

export function add(t: IntType, a: number, b: number): number {
  if (t === 'i32') return (a + b) | 0;
  if (t === 'u32') return (a + b) >>> 0;
  const r = a + b;
  return Number.isSafeInteger(r) ? r : wrap64(BigInt(a) + BigInt(b));
}

export function sub(t: IntType, a: number, b: number): number {
  if (t === 'i32') return (a - b) | 0;
  if (t === 'u32') return (a - b) >>> 0;
  const r = a - b;
  return Number.isSafeInteger(r) ? r : wrap64(BigInt(a) - BigInt(b));
}

export function mul(t: IntType, a: number, b: number): number {
  if (t === 'i32') return Math.imul(a, b);
  if (t === 'u32') return Math.imul(a, b) >>> 0;
  const r = a * b;
  return Number.isSafeInteger(r) ? r : wrap64(BigInt(a) * BigInt(b));
}

function u64big(v: number): bigint {
  return BigInt.asUintN(64, BigInt(v));
}

/** Division; the caller has checked b !== 0. Truncates toward zero like C. */
export function div(t: IntType, a: number, b: number): number {
  switch (t) {
    case 'i32': return (a / b) | 0;
    case 'u32': return Math.floor((a >>> 0) / (b >>> 0)) >>> 0;
    case 'i64': return Math.trunc(a / b);
    case 'u64':
      if (a >= 0 && b > 0) return Math.floor(a / b);
      return wrap64(u64big(a) / u64big(b));
  }
}

/** Remainder; the caller has checked b !== 0. Sign follows the dividend like C. */
export function mod(t: IntType, a: number, b: number): number {
  switch (t) {
    case 'i32': return (a % b) | 0;
    case 'u32': return ((a >>> 0) % (b >>> 0)) >>> 0;
    case 'i64': return a % b;
    case 'u64':
      if (a >= 0 && b > 0) return a % b;
      return wrap64(u64big(a) % u64big(b));
  }
}

function fitsI32(v: number): boolean {
  return (v | 0) === v;
}

export function band(t: IntType, a: number, b: number): number {
  if (t === 'i32') return a & b;
  if (t === 'u32') return (a & b) >>> 0;
  if (fitsI32(a) && fitsI32(b)) return a & b;
  return wrap64(BigInt(a) & BigInt(b));
}

export function bor(t: IntType, a: number, b: number): number {
  if (t === 'i32') return a | b;
  if (t === 'u32') return (a | b) >>> 0;
  if (fitsI32(a) && fitsI32(b)) return a | b;
  return wrap64(BigInt(a) | BigInt(b));
}

export function bxor(t: IntType, a: number, b: number): number {
  if (t === 'i32') return a ^ b;
  if (t === 'u32') return (a ^ b) >>> 0;
  if (fitsI32(a) && fitsI32(b)) return a ^ b;
  return wrap64(BigInt(a) ^ BigInt(b));
}

export function bnot(t: IntType, a: number): number {
  if (t === 'i32') return ~a;
  if (t === 'u32') return ~a >>> 0;
  return -a - 1;
}

export function neg(t: IntType, a: number): number {
  if (t === 'i32') return -a | 0;
  if (t === 'u32') return -a >>> 0;
  return a === 0 ? 0 : -a;
}

/** Left shift; the count is taken modulo the width like x86 does. */
export function shl(t: IntType, a: number, n: number): number {
  if (t === 'i32') return a << n;
  if (t === 'u32') return (a << n) >>> 0;
  const s = n & 63;
  const r = a * 2 ** s;
  return Number.isSafeInteger(r) ? r : wrap64(BigInt(a) << BigInt(s));
}

/** Right shift: arithmetic for signed types, logical for unsigned ones. */
export function shr(t: IntType, a: number, n: number): number {
  if (t === 'i32') return a >> n;
  if (t === 'u32') return a >>> n;
  const s = n & 63;
  if (t === 'i64' || a >= 0) return Math.floor(a / 2 ** s);
  return wrap64(u64big(a) >> BigInt(s));
}

/** Compare a and b as values of type t: negative, zero or positive. */
export function cmp(t: IntType, a: number, b: number): number {
  if (t === 'u64' && (a < 0) !== (b < 0)) return a < 0 ? 1 : -1;
  if (t === 'u32') {
    a = a >>> 0;
    b = b >>> 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Type of an integer literal per C/D rules (decimal: int, long; hex/octal: also unsigned). */
export function literalType(v: bigint, decimal: boolean, suffix: string): IntType {
  const s = suffix.toLowerCase();
  const uns = s.includes('u');
  const long = s.includes('l');
  if (!long) {
    if (!uns && v <= 0x7fffffffn) return 'i32';
    if ((uns || !decimal) && v <= 0xffffffffn) return 'u32';
  }
  if (!uns && v <= 0x7fffffffffffffffn) return 'i64';
  return 'u64';
}
