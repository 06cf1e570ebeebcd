import { describe, expect, it } from 'vitest';
import * as D from '../../src/probes/dtypes.js';

/** Reference semantics with BigInt: C operations on the given integer type. */
function ref(t: D.IntType, op: string, a: bigint, b: bigint): bigint | null {
  const bits = D.sizeOf(t) * 8;
  const uns = D.isUnsigned(t);
  const norm = (x: bigint) => (uns ? BigInt.asUintN(bits, x) : BigInt.asIntN(bits, x));
  a = norm(a);
  b = norm(b);
  switch (op) {
    case '+': return norm(a + b);
    case '-': return norm(a - b);
    case '*': return norm(a * b);
    case '/': return b === 0n ? null : norm(a / b);
    case '%': return b === 0n ? null : norm(a % b);
    case '&': return norm(a & b);
    case '|': return norm(a | b);
    case '^': return norm(a ^ b);
    case '<<': return norm(a << (b & BigInt(bits - 1)));
    case '>>': return norm(a >> (b & BigInt(bits - 1)));
    case 'cmp': return a < b ? -1n : a > b ? 1n : 0n;
  }
  return null;
}

/** The runtime's representation: the signed interpretation, except u32 which is held unsigned. */
function rep(t: D.IntType, v: bigint): number {
  if (t === 'u32') return Number(BigInt.asUintN(32, v));
  if (t === 'i32') return Number(BigInt.asIntN(32, v));
  return Number(BigInt.asIntN(64, v));
}

const OPS: Record<string, (t: D.IntType, a: number, b: number) => number> = {
  '+': D.add, '-': D.sub, '*': D.mul, '/': D.div, '%': D.mod, '&': D.band, '|': D.bor, '^': D.bxor,
  '<<': (t, a, b) => D.shl(t, a, Number(BigInt.asUintN(6, BigInt(b))) & (D.sizeOf(t) * 8 - 1)),
  '>>': (t, a, b) => D.shr(t, a, Number(BigInt.asUintN(6, BigInt(b))) & (D.sizeOf(t) * 8 - 1)),
  'cmp': D.cmp,
};

describe('integer arithmetic matches C on every type (BigInt reference)', () => {
  let seed = 99;
  const rnd = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed >>> 8; };
  const samples = (t: D.IntType): bigint[] => {
    const big = D.sizeOf(t) === 8;
    const out: bigint[] = [0n, 1n, -1n, 2n, 7n, -7n, 0x7fffffffn, -0x80000000n, 0xffffffffn];
    if (big) out.push(2n ** 52n, -(2n ** 52n), 2n ** 40n + 3n, -(2n ** 33n) - 5n);
    for (let i = 0; i < 40; i++) {
      const hi = BigInt(rnd() & (big ? 0x1fffff : 0));
      out.push(BigInt.asIntN(big ? 54 : 32, (hi << 32n) | BigInt(rnd() * 256 + (rnd() & 255))));
    }
    return out;
  };
  for (const t of ['i32', 'u32', 'i64', 'u64'] as const) {
    it(t, () => {
      const vals = samples(t).map((v) => rep(t, v));
      let checked = 0;
      for (const [op, fn] of Object.entries(OPS)) {
        for (const a of vals) {
          for (const b of vals) {
            const r = ref(t, op, BigInt(a), BigInt(b));
            if (r === null) continue;
            const expected = op === 'cmp' ? Number(r) : rep(t, r);
            const got = fn(t, a, b);
            if (got !== expected) throw new Error(`${t}: ${a} ${op} ${b} = ${got}, expected ${expected}`);
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(10000);
    });
  }
  it('literal types follow C/D rules', () => {
    expect(D.literalType(5n, true, '')).toBe('i32');
    expect(D.literalType(0xffffffffn, false, '')).toBe('u32');
    expect(D.literalType(4294967295n, true, '')).toBe('i64');
    expect(D.literalType(5n, true, 'u')).toBe('u32');
    expect(D.literalType(5n, true, 'll')).toBe('i64');
    expect(D.literalType(5n, true, 'ull')).toBe('u64');
    expect(D.literalType(0xffffffffffffffffn, false, '')).toBe('u64');
  });
  it('usual arithmetic conversions', () => {
    expect(D.promote('i32', 'u32')).toBe('u32');
    expect(D.promote('i32', 'i64')).toBe('i64');
    expect(D.promote('u32', 'i64')).toBe('i64');
    expect(D.promote('i64', 'u64')).toBe('u64');
  });
});
