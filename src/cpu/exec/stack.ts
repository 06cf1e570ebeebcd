/**
 * Stack instructions: PUSH, POP (register, r/m, immediate), PUSH Sreg, PUSHA/POPA, ENTER, LEAVE,
 * PUSHF/POPF. The stack-pointer width is SS.B (cpu.ts push/pop helpers); the element size is the
 * operand size. A fault part-way (e.g. the third push of PUSHA) is rolled back by the run loop,
 * which restores ESP; registers are only written after all reads succeeded.
 *
 * PUSH Sreg with a 32-bit operand size writes 16 bits and moves ESP by 4 (P6 family, Bochs).
 * PUSHF/POPF follow the SDM tables for real, protected and virtual-8086 mode without VME.
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import { AR, Flag, Reg, SReg, Vec } from '../state.js';
import { Opnd } from '../opcodes.js';
import { effAddr, getReg, opnd, readRm, setReg, writeMem } from './operand.js';

function push(cpu: Cpu, bits: number, v: number): void {
  if (bits === 16) cpu.push16(v);
  else cpu.push32(v);
}

export function execPush(cpu: Cpu, insn: Insn): void {
  const bits = insn.opsize;
  const spec = opnd(insn, 0);
  let v: number;
  if (spec === Opnd.Zv) v = getReg(cpu, insn.reg, bits); // PUSH ESP pushes the old value
  else if (spec === Opnd.Ev) v = readRm(cpu, insn, bits);
  else v = insn.imm; // Iz / Ibs
  push(cpu, bits, v);
}

export function execPop(cpu: Cpu, insn: Insn): void {
  const bits = insn.opsize;
  const v = bits === 16 ? cpu.pop16() : cpu.pop32();
  if (opnd(insn, 0) === Opnd.Zv) {
    setReg(cpu, insn.reg, bits, v); // POP ESP: the popped value wins over the increment
  } else if (insn.mod === 3) {
    setReg(cpu, insn.rm, bits, v);
  } else {
    // The address is computed with ESP already incremented (SDM POP).
    writeMem(cpu, insn.seg, effAddr(cpu, insn), bits, v);
  }
}

export function execPushSreg(cpu: Cpu, insn: Insn): void {
  let sreg: number;
  switch (opnd(insn, 0)) {
    case Opnd.ES: sreg = SReg.ES; break;
    case Opnd.CS: sreg = SReg.CS; break;
    case Opnd.SS: sreg = SReg.SS; break;
    case Opnd.DS: sreg = SReg.DS; break;
    case Opnd.FS: sreg = SReg.FS; break;
    default: sreg = SReg.GS; break;
  }
  const sel = cpu.seg[sreg]!.selector & 0xffff;
  if (insn.opsize === 16) {
    cpu.push16(sel);
  } else {
    const sp = (cpu.getSp() - 4) & cpu.stackMask;
    cpu.write16(SReg.SS, sp >>> 0, sel);
    cpu.setSp(sp);
  }
}

export function execPusha(cpu: Cpu, insn: Insn): void {
  const bits = insn.opsize;
  const regs = cpu.regs;
  const esp = regs[Reg.ESP]!;
  for (let r = 0; r < 8; r++) push(cpu, bits, r === Reg.ESP ? esp : regs[r]!);
}

export function execPopa(cpu: Cpu, insn: Insn): void {
  const bits = insn.opsize;
  const size = bits >>> 3;
  const sp = cpu.getSp();
  const mask = cpu.stackMask;
  const vals = cpu.popaScratch;
  for (let i = 0; i < 8; i++) {
    const off = ((sp + i * size) & mask) >>> 0;
    vals[7 - i] = bits === 16 ? cpu.read16(SReg.SS, off) : cpu.read32(SReg.SS, off);
  }
  for (let r = 0; r < 8; r++) if (r !== Reg.ESP) setReg(cpu, r, bits, vals[r]!);
  cpu.setSp(sp + 8 * size);
}

/** ENTER Iw,Ib (SDM ENTER pseudo-code; the nesting level is taken modulo 32). */
export function execEnter(cpu: Cpu, insn: Insn): void {
  const bits = insn.opsize;
  const size = bits >>> 3;
  const allocSize = insn.imm & 0xffff;
  const level = insn.imm2 & 0x1f;
  const regs = cpu.regs;
  const stack32 = (cpu.seg[SReg.SS]!.ar & AR.DB) !== 0;
  push(cpu, bits, getReg(cpu, Reg.EBP, bits));
  const frameTemp = cpu.getSp();
  if (level > 0) {
    let ebp = regs[Reg.EBP]!;
    for (let i = 1; i < level; i++) {
      ebp = stack32 ? (ebp - size) | 0 : (ebp & ~0xffff) | ((ebp - size) & 0xffff);
      const off = stack32 ? ebp >>> 0 : ebp & 0xffff;
      push(cpu, bits, bits === 16 ? cpu.read16(SReg.SS, off) : cpu.read32(SReg.SS, off));
    }
    push(cpu, bits, frameTemp);
  }
  const newSp = cpu.getSp() - allocSize;
  // Touch the lowest byte of the new frame so a stack fault is raised here, not later (P6).
  if (allocSize !== 0) cpu.segWrite(SReg.SS, (newSp & cpu.stackMask) >>> 0, 1);
  setReg(cpu, Reg.EBP, bits, frameTemp); // BP or EBP by operand size (Bochs ENTER16/ENTER32)
  cpu.setSp(newSp);
}

export function execLeave(cpu: Cpu, insn: Insn): void {
  const bits = insn.opsize;
  const regs = cpu.regs;
  const stack32 = (cpu.seg[SReg.SS]!.ar & AR.DB) !== 0;
  const sp = stack32 ? regs[Reg.EBP]! >>> 0 : regs[Reg.EBP]! & 0xffff;
  const v = bits === 16 ? cpu.read16(SReg.SS, sp) : cpu.read32(SReg.SS, sp);
  cpu.setSp(sp + (bits >>> 3));
  setReg(cpu, Reg.EBP, bits, v);
}

/** PUSHF/PUSHFD: VM and RF are cleared in the image; v8086 with IOPL < 3 → #GP(0). */
export function execPushf(cpu: Cpu, insn: Insn): void {
  if (cpu.v86 && cpu.iopl < 3) cpu.raiseFault(Vec.GP, 0);
  const fl = cpu.getEflags() & ~(Flag.VM | Flag.RF);
  push(cpu, insn.opsize, fl);
}

/** POPF/POPFD (SDM POPF operation): what may change depends on mode, CPL and IOPL. */
export function execPopf(cpu: Cpu, insn: Insn): void {
  const bits = insn.opsize;
  if (cpu.v86 && cpu.iopl < 3) cpu.raiseFault(Vec.GP, 0);
  const v = bits === 16 ? cpu.pop16() : cpu.pop32();
  // Bits POPF may change at all: never VM, VIP, VIF; RF is cleared.
  let changeable = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.TF | Flag.IF | Flag.DF |
    Flag.OF | Flag.IOPL | Flag.NT | Flag.AC | Flag.ID;
  if ((cpu.cr0 & 1) !== 0) {
    if (cpu.v86) changeable &= ~Flag.IOPL; // IOPL = 3 here
    else {
      if (cpu.cpl > 0) changeable &= ~Flag.IOPL;
      if (cpu.cpl > cpu.iopl) changeable &= ~Flag.IF;
    }
  }
  if (bits === 16) changeable &= 0xffff;
  const old = cpu.getEflags();
  cpu.setEflags(((old & ~changeable) | (v & changeable)) & ~Flag.RF);
}
