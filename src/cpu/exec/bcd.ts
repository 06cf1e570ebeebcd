/**
 * Decimal adjust: DAA DAS AAA AAS AAM AAD, and SALC (D6, undocumented: AL ← CF ? FF : 00).
 * Pseudo-code from the SDM Vol. 2 entries (P6 forms: AAA adds 106H to AX, AAS subtracts 6 from
 * AX and 1 from AH). Undefined flags per the policy in flags.ts.
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import { Flag, Reg, Vec } from '../state.js';
import { getAF, getCF, setFlagsEager, szp } from '../flags.js';
import { Op } from '../opcodes.js';
import { setReg } from './operand.js';

export function execBcd(cpu: Cpu, insn: Insn): void {
  const regs = cpu.regs;
  const ax = regs[Reg.EAX]! & 0xffff;
  const al = ax & 0xff;
  switch (insn.op) {
    case Op.DAA: {
      const cf0 = getCF(cpu);
      let a = al;
      let cf = false;
      let af = false;
      if ((al & 0xf) > 9 || getAF(cpu)) {
        a = al + 6;
        cf = cf0 || a > 0xff;
        a &= 0xff;
        af = true;
      }
      if (al > 0x99 || cf0) {
        a = (a + 0x60) & 0xff;
        cf = true;
      } else {
        cf = false;
      }
      setReg(cpu, Reg.EAX, 8, a);
      setFlagsEager(cpu, (cf ? Flag.CF : 0) | (af ? Flag.AF : 0) | szp(a, 8));
      return;
    }
    case Op.DAS: {
      const cf0 = getCF(cpu);
      let a = al;
      let cf = false;
      let af = false;
      if ((al & 0xf) > 9 || getAF(cpu)) {
        cf = cf0 || al < 6;
        a = (al - 6) & 0xff;
        af = true;
      }
      if (al > 0x99 || cf0) {
        a = (a - 0x60) & 0xff;
        cf = true;
      }
      setReg(cpu, Reg.EAX, 8, a);
      setFlagsEager(cpu, (cf ? Flag.CF : 0) | (af ? Flag.AF : 0) | szp(a, 8));
      return;
    }
    case Op.AAA:
    case Op.AAS: {
      let r = ax;
      let adj = false;
      if ((al & 0xf) > 9 || getAF(cpu)) {
        r = insn.op === Op.AAA ? ax + 0x106 : ax - 6 - 0x100;
        adj = true;
      }
      r = (r & 0xff00) | (r & 0x0f);
      setReg(cpu, Reg.EAX, 16, r);
      setFlagsEager(cpu, (adj ? Flag.CF | Flag.AF : 0) | szp(r & 0xff, 8));
      return;
    }
    case Op.AAM: {
      const base = insn.imm & 0xff;
      if (base === 0) cpu.raiseFault(Vec.DE);
      const hi = Math.floor(al / base);
      const lo = al % base;
      setReg(cpu, Reg.EAX, 16, (hi << 8) | lo);
      setFlagsEager(cpu, szp(lo, 8));
      return;
    }
    case Op.AAD: {
      const base = insn.imm & 0xff;
      const a = (al + ((ax >> 8) * base)) & 0xff;
      setReg(cpu, Reg.EAX, 16, a);
      setFlagsEager(cpu, szp(a, 8));
      return;
    }
    default: // SALC
      setReg(cpu, Reg.EAX, 8, getCF(cpu) ? 0xff : 0);
  }
}
