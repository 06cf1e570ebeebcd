/**
 * DAA DAS AAA AAS AAM AAD against the SDM pseudo-code (computed here), for every AL with AF/CF
 * in, plus AAM 0 → #DE.
 */
import { describe, expect, it } from 'vitest';
import { Reg } from '../../src/cpu/state.js';
import { AF, CF, CODE, STACK, haltedInVector, loadCode, makeMachine, rd32, refSzp, run } from './exec-harness.js';

describe('decimal adjust', () => {
  const m = makeMachine(32);
  it('DAA and DAS for all AL, AF, CF', () => {
    for (const das of [false, true]) {
      for (let al = 0; al < 256; al++) for (const af of [0, 1]) for (const cf of [0, 1]) {
        loadCode(m, [das ? 0x2f : 0x27, 0xf4]);
        m.cpu.regs[Reg.EAX] = 0x1200 | al;
        m.cpu.setEflags(2 | (af ? AF : 0) | (cf ? CF : 0));
        run(m);
        let a = al, c = 0, x = 0;
        if ((al & 0xf) > 9 || af) {
          if (das) { c = cf || al < 6 ? 1 : 0; a = (al - 6) & 0xff; } else { c = cf || al + 6 > 0xff ? 1 : 0; a = (al + 6) & 0xff; }
          x = 1;
        }
        if (al > 0x99 || cf) { a = (das ? a - 0x60 : a + 0x60) & 0xff; c = 1; } else if (!das) c = 0;
        expect({ das, al, af, cf, r: m.cpu.regs[Reg.EAX]! & 0xffff }).toEqual({ das, al, af, cf, r: 0x1200 | a });
        expect((m.cpu.getEflags() & (CF | AF))).toBe((c ? CF : 0) | (x ? AF : 0));
        expect(m.cpu.getEflags() & 0xc4).toBe(refSzp(a, 8));
      }
    }
  });

  it('AAA and AAS', () => {
    for (const aas of [false, true]) {
      for (let al = 0; al < 256; al++) for (const af of [0, 1]) {
        loadCode(m, [aas ? 0x3f : 0x37, 0xf4]);
        m.cpu.regs[Reg.EAX] = 0x0500 | al;
        m.cpu.setEflags(2 | (af ? AF : 0));
        run(m);
        let ax = 0x0500 | al;
        const adj = (al & 0xf) > 9 || af === 1;
        if (adj) ax = aas ? ((((ax - 6) & 0xffff) - 0x100) & 0xffff) : (ax + 0x106) & 0xffff;
        ax = (ax & 0xff00) | (ax & 0xf);
        expect({ aas, al, af, r: m.cpu.regs[Reg.EAX]! & 0xffff }).toEqual({ aas, al, af, r: ax });
        expect(m.cpu.getEflags() & (CF | AF)).toBe(adj ? CF | AF : 0);
      }
    }
  });

  it('AAM and AAD with bases 10 and 16', () => {
    for (let al = 0; al < 256; al++) for (const base of [10, 16, 7]) {
      loadCode(m, [0xd4, base, 0xf4]); // aam base
      m.cpu.regs[Reg.EAX] = 0x3300 | al;
      run(m);
      expect(m.cpu.regs[Reg.EAX]! & 0xffff).toBe((Math.floor(al / base) << 8) | (al % base));
      expect(m.cpu.getEflags() & 0xc4).toBe(refSzp(al % base, 8));
      loadCode(m, [0xd5, base, 0xf4]); // aad base
      m.cpu.regs[Reg.EAX] = (al << 8) | 0x09;
      run(m);
      expect(m.cpu.regs[Reg.EAX]! & 0xffff).toBe((0x09 + al * base) & 0xff);
    }
  });

  it('AAM 0 raises #DE at the instruction', () => {
    loadCode(m, [0x90, 0xd4, 0x00, 0xf4]); // nop ; aam 0
    m.cpu.regs[Reg.ESP] = STACK;
    m.cpu.regs[Reg.EAX] = 0x1234;
    run(m);
    expect(haltedInVector(m)).toBe(0);
    expect(rd32(m, STACK - 12)).toBe(CODE + 1);
    expect(m.cpu.regs[Reg.EAX]).toBe(0x1234);
  });
});
