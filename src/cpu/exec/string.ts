/**
 * String instructions: MOVS CMPS STOS LODS SCAS INS OUTS, with REP / REPE / REPNE.
 *
 * (E)SI/(E)DI/(E)CX are chosen by the address size, the step by DF and the element size. A REP
 * form commits the registers after every element, so a fault in the middle (e.g. #PF) leaves them
 * pointing at the faulting element and the restarted instruction resumes there. At most
 * `REP_CHUNK` elements run per dispatch; then EIP is left at the instruction, which simply runs
 * again (how real processors let interrupts in between iterations). ECX = 0 executes nothing.
 * REPE/REPNE end CMPS/SCAS on ZF = 0 / ZF = 1; on the other string instructions F2 acts as REP.
 * INS/OUTS check I/O permission (checkIo) and, in VMX non-root operation, call hooks.io once per
 * dispatch before the first element.
 */
import type { Cpu } from '../cpu.js';
import { REP_CHUNK } from '../cpu.js';
import type { Insn } from '../insn.js';
import { Prefix } from '../insn.js';
import { Flag, Reg, SReg } from '../state.js';
import { getZF } from '../flags.js';
import { Op, Opnd } from '../opcodes.js';
import { aluFlags, AluOp } from './alu.js';
import { getReg, opnd, readMem, setReg, writeMem } from './operand.js';
import { ioIn, ioOut, ioPermission } from './io.js';

export function execString(cpu: Cpu, insn: Insn): void {
  const op = insn.op;
  // Element size: the byte forms have Xb/Yb operands.
  const o0 = opnd(insn, 0);
  const o1 = opnd(insn, 1);
  const bits = o0 === Opnd.Xb || o0 === Opnd.Yb || o1 === Opnd.Xb || o1 === Opnd.Yb || o0 === Opnd.AL ? 8 : insn.opsize;
  const size = bits >>> 3;
  const regs = cpu.regs;
  const a16 = insn.adsize === 16;
  const amask = a16 ? 0xffff : -1;
  const step = (cpu.eflagsRest & Flag.DF) !== 0 ? -size : size;
  const srcSeg = insn.segOverride >= 0 ? insn.segOverride : SReg.DS;
  const rep = (insn.prefixes & (Prefix.REP | Prefix.REPNE)) !== 0;
  const cmp = op === Op.CMPS || op === Op.SCAS;
  const repne = (insn.prefixes & Prefix.REPNE) !== 0;

  let count = 1;
  if (rep) {
    count = a16 ? regs[Reg.ECX]! & 0xffff : regs[Reg.ECX]! >>> 0;
    if (count === 0) return;
  }

  if (op === Op.INS || op === Op.OUTS) {
    const port = regs[Reg.EDX]! & 0xffff;
    ioPermission(cpu, port, size);
    if (cpu.nonRoot) {
      const lin = op === Op.INS
        ? (cpu.seg[SReg.ES]!.base + (regs[Reg.EDI]! & amask)) | 0
        : (cpu.seg[srcSeg]!.base + (regs[Reg.ESI]! & amask)) | 0;
      cpu.hooks!.io(insn.length, port, size, op === Op.INS, true, rep, false, lin >>> 0, insn);
    }
  }

  let n = 0;
  for (;;) {
    const si = regs[Reg.ESI]!;
    const di = regs[Reg.EDI]!;
    const siOff = a16 ? si & 0xffff : si >>> 0;
    const diOff = a16 ? di & 0xffff : di >>> 0;
    switch (op) {
      case Op.MOVS: {
        const v = readMem(cpu, srcSeg, siOff, bits);
        writeMem(cpu, SReg.ES, diOff, bits, v);
        advance(regs, Reg.ESI, step, a16);
        advance(regs, Reg.EDI, step, a16);
        break;
      }
      case Op.STOS:
        writeMem(cpu, SReg.ES, diOff, bits, getReg(cpu, Reg.EAX, bits));
        advance(regs, Reg.EDI, step, a16);
        break;
      case Op.LODS:
        setReg(cpu, Reg.EAX, bits, readMem(cpu, srcSeg, siOff, bits));
        advance(regs, Reg.ESI, step, a16);
        break;
      case Op.CMPS: {
        const a = readMem(cpu, srcSeg, siOff, bits);
        const b = readMem(cpu, SReg.ES, diOff, bits);
        advance(regs, Reg.ESI, step, a16);
        advance(regs, Reg.EDI, step, a16);
        aluFlags(cpu, AluOp.CMP, a, b, (a - b) | 0, 0, bits >>> 4);
        break;
      }
      case Op.SCAS: {
        const a = getReg(cpu, Reg.EAX, bits);
        const b = readMem(cpu, SReg.ES, diOff, bits);
        advance(regs, Reg.EDI, step, a16);
        aluFlags(cpu, AluOp.CMP, a, b, (a - b) | 0, 0, bits >>> 4);
        break;
      }
      case Op.INS: {
        // Probe the destination before the port is read (an IN has side effects).
        cpu.segWrite(SReg.ES, diOff, size);
        const v = ioIn(cpu, regs[Reg.EDX]! & 0xffff, size);
        writeMem(cpu, SReg.ES, diOff, bits, v);
        advance(regs, Reg.EDI, step, a16);
        break;
      }
      default: { // OUTS
        const v = readMem(cpu, srcSeg, siOff, bits);
        ioOut(cpu, regs[Reg.EDX]! & 0xffff, size, v);
        advance(regs, Reg.ESI, step, a16);
        break;
      }
    }
    if (!rep) return;
    count--;
    if (a16) regs[Reg.ECX] = (regs[Reg.ECX]! & ~0xffff) | (count & 0xffff);
    else regs[Reg.ECX] = count;
    if (count === 0) return;
    if (cmp && getZF(cpu) === repne) return;
    if (++n >= REP_CHUNK) {
      cpu.eip = cpu.insnStart; // not finished: run the instruction again
      return;
    }
  }
}

function advance(regs: Int32Array, r: number, step: number, a16: boolean): void {
  const v = regs[r]!;
  regs[r] = a16 ? (v & ~0xffff) | ((v + step) & 0xffff) : (v + step) | 0;
}
