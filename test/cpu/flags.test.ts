/**
 * flags.ts on its own: lazy evaluation of each kind against a reference from the SDM definitions,
 * conditions (Jcc tttn) and the eager setters.
 */
import { describe, expect, it } from 'vitest';
import {
  CcKind, type LazyFlags, getArithFlags, getCF, getOF, parity, setFlagsEager, setSomeFlags, szp,
  testCondition,
} from '../../src/cpu/flags.js';
import { AF, CF, EDGES, OF, PF, SF, ZF, refSzp } from './exec-ref.js';

function lf(): LazyFlags {
  return { ccOp: 0, ccSrc1: 0, ccSrc2: 0, ccRes: 0, ccFlags: 0 };
}
function mask(bits: number): number {
  return bits === 32 ? 0xffffffff : (1 << bits) - 1;
}
function signed(v: number, bits: number): number {
  return bits === 32 ? v | 0 : (v << (32 - bits)) >> (32 - bits);
}
const SZ = [8, 16, 32];

describe('lazy ADD/ADC/SUB/SBB', () => {
  it('matches the SDM definitions for every edge pair', () => {
    const f = lf();
    for (const bits of SZ) {
      const m = mask(bits);
      const lim = 2 ** (bits - 1);
      for (const a0 of EDGES) for (const b0 of EDGES) for (const c of [0, 1]) {
        const a = (a0 & m) >>> 0, b = (b0 & m) >>> 0;
        // ADD / ADC
        let r = a + b + c;
        f.ccOp = ((c ? CcKind.ADC : CcKind.ADD) << 2) | (bits >>> 4);
        f.ccSrc1 = a | 0; f.ccSrc2 = b | 0; f.ccRes = r | 0;
        let s = signed(a, bits) + signed(b, bits) + c;
        let want = (r > m ? CF : 0) | (s < -lim || s >= lim ? OF : 0) | ((a & 15) + (b & 15) + c > 15 ? AF : 0) | refSzp(r, bits);
        expect([bits, a, b, c, getArithFlags(f)]).toEqual([bits, a, b, c, want]);
        // SUB / SBB
        r = a - b - c;
        f.ccOp = ((c ? CcKind.SBB : CcKind.SUB) << 2) | (bits >>> 4);
        f.ccSrc1 = a | 0; f.ccSrc2 = b | 0; f.ccRes = r | 0;
        s = signed(a, bits) - signed(b, bits) - c;
        want = (a < b + c ? CF : 0) | (s < -lim || s >= lim ? OF : 0) | ((a & 15) < (b & 15) + c ? AF : 0) | refSzp(r, bits);
        expect([bits, a, b, c, getArithFlags(f)]).toEqual([bits, a, b, c, want]);
      }
    }
  });
});

describe('lazy INC/DEC/LOGIC', () => {
  it('INC/DEC keep CF from ccSrc2 and compute OF at the sign boundary', () => {
    const f = lf();
    for (const bits of SZ) {
      const m = mask(bits);
      for (const a0 of EDGES) for (const cf of [0, 1]) {
        const a = (a0 & m) >>> 0;
        f.ccOp = (CcKind.INC << 2) | (bits >>> 4); f.ccSrc1 = a | 0; f.ccSrc2 = cf; f.ccRes = (a + 1) | 0;
        expect(getCF(f)).toBe(cf === 1);
        expect(getOF(f)).toBe(a === 2 ** (bits - 1) - 1);
        expect(getArithFlags(f) & AF).toBe((a & 15) === 15 ? AF : 0);
        f.ccOp = (CcKind.DEC << 2) | (bits >>> 4); f.ccRes = (a - 1) | 0;
        expect(getOF(f)).toBe(a === 2 ** (bits - 1));
        expect(getArithFlags(f) & AF).toBe((a & 15) === 0 ? AF : 0);
        expect(getArithFlags(f) & (ZF | SF | PF)).toBe(refSzp(a - 1, bits));
      }
    }
  });

  it('LOGIC clears CF OF AF', () => {
    const f = lf();
    f.ccOp = (CcKind.LOGIC << 2) | 2; f.ccRes = 0x80000000 | 0;
    expect(getArithFlags(f)).toBe(SF | PF);
    f.ccOp = (CcKind.LOGIC << 2) | 0; f.ccRes = 0x100;
    expect(getArithFlags(f)).toBe(ZF | PF);
  });
});

describe('eager setters and helpers', () => {
  it('setFlagsEager / setSomeFlags', () => {
    const f = lf();
    setFlagsEager(f, 0xffffffff);
    expect(getArithFlags(f)).toBe(CF | PF | AF | ZF | SF | OF);
    f.ccOp = (CcKind.SUB << 2) | 0; f.ccSrc1 = 0; f.ccSrc2 = 1; f.ccRes = -1; // CF SF AF PF
    setSomeFlags(f, CF, 0);
    expect(getArithFlags(f)).toBe(SF | AF | PF);
  });
  it('parity and szp', () => {
    expect(parity(0)).toBe(PF);
    expect(parity(3)).toBe(PF);
    expect(parity(7)).toBe(0);
    expect(parity(0x100)).toBe(PF);
    expect(szp(0x8000, 16)).toBe(SF | PF);
    expect(szp(0x10000, 16)).toBe(ZF | PF);
  });
  it('conditions follow the tttn table', () => {
    const f = lf();
    const table: [number, (fl: number) => boolean][] = [
      [0, (x) => !!(x & OF)], [2, (x) => !!(x & CF)], [4, (x) => !!(x & ZF)],
      [6, (x) => !!(x & (CF | ZF))], [8, (x) => !!(x & SF)], [10, (x) => !!(x & PF)],
      [12, (x) => !!(x & SF) !== !!(x & OF)], [14, (x) => !!(x & ZF) || !!(x & SF) !== !!(x & OF)],
    ];
    for (let fl = 0; fl < 64; fl++) {
      const flags = (fl & 1 ? CF : 0) | (fl & 2 ? PF : 0) | (fl & 4 ? ZF : 0) | (fl & 8 ? SF : 0) | (fl & 16 ? OF : 0) | (fl & 32 ? AF : 0);
      setFlagsEager(f, flags);
      for (const [cc, fn] of table) {
        expect(testCondition(f, cc)).toBe(fn(flags));
        expect(testCondition(f, cc + 1)).toBe(!fn(flags));
      }
    }
  });
});
