/**
 * C-style text formatting for the D runtime: the `printf` conversions DTrace accepts for integers
 * and strings, and the fixed layouts (`" %16lld"`, `"%-9lld"`, ...) the aggregation printers use.
 *
 * Values are JavaScript numbers holding the *signed* 64-bit (or 32-bit) interpretation of a D
 * integer; an unsigned 64-bit value whose top bit is set is therefore held as a negative number
 * and printed through BigInt. Exact for every value in ±2^53 (see `dtypes.ts`).
 *
 * Models: flags `- + space # 0`, field width and precision (including `*`), length modifiers
 * `hh h l ll L j z t` (h/hh truncate like C; the others are accepted and the argument's own D type
 * decides the width, as DTrace does), conversions `d i u x X o c s p %`.
 * Does not model: floating-point conversions, `%a`/`%A` (symbols), `%Y` (wall time), `%S`.
 */

/** A dynamic (`*`) width: a negative value left-justifies, as in C. */
export function withDynWidth(spec: ConvSpec, w: number): [ConvSpec, number] {
  return w < 0 ? [{ ...spec, flags: spec.flags + '-' }, -w] : [spec, w];
}

/** One parsed conversion of a format string. */
export interface ConvSpec {
  /** Flag characters as written (any of `-+ #0`). */
  flags: string;
  /** Field width; -1 when absent; -2 for `*` (taken from an argument). */
  width: number;
  /** Precision; -1 when absent; -2 for `*`. */
  prec: number;
  /** Length modifier as written (`''`, `h`, `hh`, `l`, `ll`, ...). */
  len: string;
  /** Conversion character. */
  conv: string;
  /** `%@...`: consumes the aggregation value in printa(). */
  agg: boolean;
  /** Offset of the `%` in the format string (for error messages). */
  offset: number;
}

/** A format string split into literal text and conversions: text[0] conv[0] text[1] ... text[n]. */
export interface ParsedFormat {
  text: string[];
  convs: ConvSpec[];
}

export class FormatError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'FormatError';
  }
}

const INT_CONVS = 'diuxXoc';
const ALL_CONVS = 'diuxXocsp';

/** Parse a printf format once (at compile time). `%%` becomes literal text. */
export function parseFormat(fmt: string): ParsedFormat {
  const text: string[] = [];
  const convs: ConvSpec[] = [];
  let cur = '';
  let i = 0;
  while (i < fmt.length) {
    const ch = fmt[i]!;
    if (ch !== '%') {
      cur += ch;
      i++;
      continue;
    }
    const start = i;
    i++;
    if (fmt[i] === '%') {
      cur += '%';
      i++;
      continue;
    }
    let agg = false;
    let flags = '';
    for (;;) {
      const c = fmt[i];
      if (c === '@') agg = true;
      else if (c !== undefined && '-+ #0'.includes(c)) flags += c;
      else break;
      i++;
    }
    let width = -1;
    if (fmt[i] === '*') {
      width = -2;
      i++;
    } else {
      let w = '';
      while (i < fmt.length && fmt[i]! >= '0' && fmt[i]! <= '9') w += fmt[i++];
      if (w !== '') width = Number(w);
    }
    let prec = -1;
    if (fmt[i] === '.') {
      i++;
      if (fmt[i] === '*') {
        prec = -2;
        i++;
      } else {
        let p = '';
        while (i < fmt.length && fmt[i]! >= '0' && fmt[i]! <= '9') p += fmt[i++];
        prec = p === '' ? 0 : Number(p);
      }
    }
    let len = '';
    for (const m of ['hh', 'h', 'll', 'l', 'L', 'j', 'z', 't']) {
      if (fmt.startsWith(m, i)) {
        len = m;
        i += m.length;
        break;
      }
    }
    const conv = fmt[i];
    if (conv === undefined) throw new FormatError(`format ends in the middle of conversion #${convs.length + 1}`, start);
    if (!ALL_CONVS.includes(conv)) {
      throw new FormatError(`format conversion #${convs.length + 1} has unsupported conversion character '${conv}'`, start);
    }
    i++;
    text.push(cur);
    cur = '';
    convs.push({ flags, width, prec, len, conv, agg, offset: start });
  }
  text.push(cur);
  return { text, convs };
}

export function isIntConv(conv: string): boolean {
  return INT_CONVS.includes(conv) || conv === 'p';
}

/** Pad `s` to `width` (right-aligned unless `left`). */
export function pad(s: string, width: number, left = false): string {
  if (s.length >= width) return s;
  const fill = ' '.repeat(width - s.length);
  return left ? s + fill : fill + s;
}

const TWO64 = 1n << 64n;

/** Decimal text of the signed 64-bit value `v`. */
export function sdec(v: number | bigint): string {
  if (typeof v === 'bigint') return BigInt.asIntN(64, v).toString();
  if (Number.isSafeInteger(v)) return String(v);
  return BigInt.asIntN(64, BigInt(Math.trunc(v))).toString();
}

/** Unsigned 64-bit interpretation of a signed-64 value as a bigint. */
export function u64(v: number | bigint): bigint {
  const b = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
  return b < 0n ? BigInt.asUintN(64, b + TWO64) : BigInt.asUintN(64, b);
}

/**
 * DTrace divides printed aggregation data by the normalization factor as `(long long)x / normal`
 * with `normal` a uint64_t: an unsigned division. Reproduced exactly (negative data with
 * normal > 1 prints as a large positive number, as on illumos).
 */
export function divNormal(v: number, normal: number): number | bigint {
  if (normal === 1) return v;
  if (v >= 0) return Math.floor(v / normal);
  return BigInt.asIntN(64, u64(v) / BigInt(normal));
}

/** Integer formatting per C rules; `digits` is the magnitude in the conversion's base. */
function fmtIntText(spec: ConvSpec, width: number, prec: number, neg: boolean, digits: string, isZero: boolean): string {
  const f = spec.flags;
  let body = digits;
  if (prec >= 0) {
    if (prec === 0 && isZero) body = '';
    else if (body.length < prec) body = '0'.repeat(prec - body.length) + body;
  }
  let prefix = '';
  const c = spec.conv;
  if (c === 'd' || c === 'i') {
    if (neg) prefix = '-';
    else if (f.includes('+')) prefix = '+';
    else if (f.includes(' ')) prefix = ' ';
  } else if (f.includes('#')) {
    if ((c === 'x' || c === 'X') && !isZero) prefix = c === 'x' ? '0x' : '0X';
    else if (c === 'o' && body[0] !== '0') body = '0' + body;
  }
  const total = prefix.length + body.length;
  if (width > total) {
    if (f.includes('-')) return prefix + body + ' '.repeat(width - total);
    if (f.includes('0') && prec < 0) return prefix + '0'.repeat(width - total) + body;
    return ' '.repeat(width - total) + prefix + body;
  }
  return prefix + body;
}

/**
 * Format integer `v` (signed interpretation of a value of `size` bytes) with `spec`, as
 * dt_printf_format does: a precision of 0 is dropped, `%d` prints unsigned when the argument's type is unsigned (pfcheck_dint), `%p` is
 * plain hex (it is converted to `%x`).
 */
export function formatInt(spec: ConvSpec, v: number | bigint, size: 4 | 8, width: number, prec: number, unsignedArg = false): string {
  let c = spec.conv;
  if (c === 'd' && unsignedArg) c = 'u';
  if (prec <= 0) prec = -1;
  if (c === 'c') {
    const code = Number(typeof v === 'bigint' ? BigInt.asUintN(8, v) : (v as number) & 0xff);
    const s = String.fromCharCode(code);
    return pad(s, width, spec.flags.includes('-'));
  }
  let big: bigint;
  let bits = size * 8;
  if (spec.len === 'h') bits = 16;
  else if (spec.len === 'hh') bits = 8;
  const raw = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
  if (c === 'd' || c === 'i') big = BigInt.asIntN(bits, raw);
  else big = BigInt.asUintN(bits, raw);
  if (c !== spec.conv) spec = { ...spec, conv: c };
  const neg = big < 0n;
  const mag = neg ? -big : big;
  let digits: string;
  if (c === 'x' || c === 'p') digits = mag.toString(16);
  else if (c === 'X') digits = mag.toString(16).toUpperCase();
  else if (c === 'o') digits = mag.toString(8);
  else digits = mag.toString(10);
  return fmtIntText(spec, width, prec, neg, digits, mag === 0n);
}

/** Format string `s` with `spec` (`%s`). */
export function formatStr(spec: ConvSpec, s: string, width: number, prec: number): string {
  const body = prec > 0 ? s.slice(0, prec) : s;
  return pad(body, width, spec.flags.includes('-'));
}
