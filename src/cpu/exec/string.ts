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
 *
 * REP MOVS/STOS with 32-bit addressing and DF = 0 take a fast path (`bulkMovsStos`) for runs of
 * elements that cannot fault: within the segment limits and within RAM pages the TLB already maps
 * for the access. It has the element path's result to the byte (test/cpu/exec-string-bulk.test.ts
 * compares the two); anything else — the first element of a page not in the TLB, an element
 * crossing a page, expand-down segments — goes element by element as before.
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

  // REP MOVS/STOS, 32-bit addressing, DF = 0: whole runs of elements that cannot fault are
  // copied straight between RAM pages the TLB already maps (see bulkMovsStos).
  const bulk = rep && !a16 && step > 0 && (op === Op.MOVS || op === Op.STOS);

  let n = 0;
  for (;;) {
    if (bulk) {
      const done = bulkMovsStos(cpu, op === Op.MOVS, srcSeg, size, Math.min(count, REP_CHUNK - n));
      if (done > 0) {
        count -= done;
        regs[Reg.ECX] = count;
        if (count === 0) return;
        n += done;
        if (n >= REP_CHUNK) {
          cpu.eip = cpu.insnStart; // not finished: run the instruction again
          return;
        }
        continue;
      }
    }
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

/** Elements of `size` bytes at `off` that lie within the limit of a (non-expand-down) segment. */
function elementsWithinLimit(cpu: Cpu, sreg: number, off: number, size: number): number {
  const s = cpu.seg[sreg]!;
  if ((s.ar & 0x1c) === 0x14) return 0; // expand-down: leave it to the element path
  const limit = s.limit >>> 0;
  if (off + size - 1 > limit) return 0;
  return Math.floor((limit - off + 1) / size);
}

/**
 * The fast path of REP MOVS / REP STOS (32-bit addressing, DF = 0): up to `max` elements, ending
 * at the first element that is not certain to succeed — the segment limit, the end of a source
 * or destination page, or a page the TLB does not map for the access (read for the source, write
 * for the destination: only RAM with the dirty bit already set is mapped there). Those elements
 * then go through the element path, which faults or exits exactly as before. When the
 * destination starts above the source inside the run, elements are copied one at a time in
 * order, each read completely before it is written (the architectural result of an overlapping
 * move); otherwise one memmove gives the same bytes. ESI/EDI advance by the elements done and
 * the destination's decoded instructions are invalidated. Returns the number of elements done
 * (0: none).
 */
function bulkMovsStos(cpu: Cpu, movs: boolean, srcSeg: number, size: number, max: number): number {
  const regs = cpu.regs;
  const ram = cpu.ram;
  // The element path's order: source segment checks, source read (may #PF), destination
  // segment checks, destination write. segRead/segWrite raise the same faults it would; a TLB
  // miss hands the element to the element path before anything later is checked.
  let n = max;
  let src = 0;
  const si = regs[Reg.ESI]! >>> 0;
  if (movs) {
    const sLin = cpu.segRead(srcSeg, si, size);
    const sHp = cpu.mmu.tlbRead[sLin >>> 12]! - 1;
    if (sHp === -1) return 0;
    n = Math.min(n, elementsWithinLimit(cpu, srcSeg, si, size), ((4096 - (sLin & 0xfff)) / size) | 0);
    src = sHp + (sLin & 0xfff);
  }
  const di = regs[Reg.EDI]! >>> 0;
  const dLin = cpu.segWrite(SReg.ES, di, size);
  const dHp = cpu.mmu.tlbWrite[dLin >>> 12]! - 1;
  if (dHp === -1) return 0;
  n = Math.min(n, elementsWithinLimit(cpu, SReg.ES, di, size), ((4096 - (dLin & 0xfff)) / size) | 0);
  if (n <= 0) return 0;
  const dst = dHp + (dLin & 0xfff);
  if (movs) {
    if (dst <= src || dst >= src + n * size) {
      // No element reads bytes an earlier element wrote: a plain memmove gives the same bytes.
      ram.copyWithin(dst, src, src + n * size);
    } else if (size === 1) {
      for (let i = 0; i < n; i++) ram[dst + i] = ram[src + i]!;
    } else if (size === 2) {
      for (let i = 0; i < 2 * n; i += 2) {
        const b0 = ram[src + i]!, b1 = ram[src + i + 1]!;
        ram[dst + i] = b0; ram[dst + i + 1] = b1;
      }
    } else {
      for (let i = 0; i < 4 * n; i += 4) {
        const b0 = ram[src + i]!, b1 = ram[src + i + 1]!, b2 = ram[src + i + 2]!, b3 = ram[src + i + 3]!;
        ram[dst + i] = b0; ram[dst + i + 1] = b1; ram[dst + i + 2] = b2; ram[dst + i + 3] = b3;
      }
    }
    regs[Reg.ESI] = (si + n * size) | 0;
  } else {
    const v = regs[Reg.EAX]!;
    if (size === 1) {
      ram.fill(v & 0xff, dst, dst + n);
    } else {
      for (let i = 0; i < n * size; i += size) {
        ram[dst + i] = v; ram[dst + i + 1] = v >> 8;
        if (size === 4) { ram[dst + i + 2] = v >> 16; ram[dst + i + 3] = v >> 24; }
      }
    }
  }
  regs[Reg.EDI] = (di + n * size) | 0;
  cpu.invalidateCode(dst, n * size);
  return n;
}
