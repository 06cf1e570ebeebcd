/**
 * flags.ts fast paths: `testCondition` evaluated straight from the lazy state and the one-pass
 * `getArithFlags` must agree with the single-flag getters for every recorded kind, size, edge
 * operand pair and condition code (including states whose sources are not zero-extended).
 */
import { describe, expect, it } from 'vitest';
import {
  CcKind, type LazyFlags, getAF, getArithFlags, getCF, getOF, getPF, getSF, getZF, setFlagsEager,
  testCondition,
} from '../../src/cpu/flags.js';
import { AF, CF, EDGES, OF, PF, SF, ZF } from './exec-ref.js';

const KINDS = [CcKind.ADD, CcKind.ADC, CcKind.SUB, CcKind.SBB, CcKind.LOGIC, CcKind.INC, CcKind.DEC];

function reference(f: LazyFlags): number {
  return (getCF(f) ? CF : 0) | (getPF(f) ? PF : 0) | (getAF(f) ? AF : 0) | (getZF(f) ? ZF : 0) |
    (getSF(f) ? SF : 0) | (getOF(f) ? OF : 0);
}

describe('lazy flags: one-pass materialisation and direct conditions', () => {
  it('agree with the single-flag getters for every kind, size, operand pair and condition', () => {
    const f: LazyFlags = { ccOp: 0, ccSrc1: 0, ccSrc2: 0, ccRes: 0, ccFlags: 0 };
    const e: LazyFlags = { ccOp: 0, ccSrc1: 0, ccSrc2: 0, ccRes: 0, ccFlags: 0 };
    const results = [0, 1, -1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, -0x80000000];
    let checked = 0;
    for (const kind of KINDS) for (let sz = 0; sz < 3; sz++) {
      for (const a of EDGES) for (const b of [...EDGES.slice(0, 8), 0, 1]) {
        // Consistent states (res = a op b) and arbitrary ones (any recorded result).
        const consistent = kind === CcKind.ADD ? a + b : kind === CcKind.ADC ? a + b + 1 : kind === CcKind.SUB ? a - b
          : kind === CcKind.SBB ? a - b - 1 : kind === CcKind.LOGIC ? a & b : kind === CcKind.INC ? a + 1 : a - 1;
        for (const res of [consistent, ...results]) {
          f.ccOp = (kind << 2) | sz;
          f.ccSrc1 = a | 0;
          f.ccSrc2 = kind === CcKind.INC || kind === CcKind.DEC ? b & 1 : b | 0;
          f.ccRes = res | 0;
          const want = reference(f);
          expect(getArithFlags(f)).toBe(want);
          setFlagsEager(e, want);
          for (let cc = 0; cc < 16; cc++) {
            if (testCondition(f, cc) !== testCondition(e, cc)) {
              expect({ kind, sz, a, b, res, cc, lazy: testCondition(f, cc) }).toEqual({ kind, sz, a, b, res, cc, lazy: testCondition(e, cc) });
            }
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(10000);
  });
});
