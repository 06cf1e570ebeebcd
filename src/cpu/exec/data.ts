/**
 * Data movement and bit instructions: MOV (all non-system forms), MOV Ev,Sw, XCHG, XADD, CMPXCHG,
 * CMPXCHG8B, BSWAP, CMOVcc, SETcc, BT/BTS/BTR/BTC, BSF/BSR, MOVZX/MOVSX, LEA, XLAT, CBW/CWDE,
 * CWD/CDQ, LAHF/SAHF and the flag instructions CLC/STC/CMC/CLD/STD.
 * Where an instruction writes memory and a register, memory is written first (it can fault).
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import { Flag, Reg, SReg } from '../state.js';
import { getArithFlags, getCF, setFlagsEager, setSomeFlags, szp, testCondition } from '../flags.js';
import { Op, Opnd } from '../opcodes.js';
import { aluFlags, AluOp } from './alu.js';
import {
  ENTRY_FORM, Form, Kind, effAddr, formWidth, getReg, opnd, readMem, readOpnd, readRm, setReg, width,
  writeMem, writeOpnd, writeRm,
} from './operand.js';

const IMM_MASK = [0xff, 0xffff, -1];

/** MOV: register, r/m and immediate forms through the entry's operand form (operand.ts
 *  `ENTRY_FORM`); moffs and accumulator forms through the generic operand access. */
export function execMov(cpu: Cpu, insn: Insn): void {
  const form = ENTRY_FORM[insn.entry]!;
  const bits = formWidth(insn, form);
  const sk = (form >>> Form.SRC_SHIFT) & Form.KIND_MASK;
  const dk = form & Form.KIND_MASK;
  let v: number;
  if (sk === Kind.REG) v = getReg(cpu, insn.reg, bits);
  else if (sk === Kind.RM) v = readRm(cpu, insn, bits);
  else if (sk === Kind.IMM) v = insn.imm & IMM_MASK[bits >>> 4]!;
  else v = readOpnd(cpu, insn, opnd(insn, 1), bits);
  if (dk === Kind.REG) setReg(cpu, insn.reg, bits, v);
  else if (dk === Kind.RM) writeRm(cpu, insn, bits, v);
  else writeOpnd(cpu, insn, opnd(insn, 0), bits, v);
}

/** MOV Ev,Sw (8C): memory is always a 16-bit store; a register gets the selector zero-extended
 *  (32-bit operand size) or its low 16 bits replaced. */
export function execMovFromSreg(cpu: Cpu, insn: Insn): void {
  const sel = cpu.seg[insn.reg]!.selector & 0xffff;
  if (insn.mod !== 3) cpu.write16(insn.seg, effAddr(cpu, insn), sel);
  else setReg(cpu, insn.rm, insn.opsize, sel);
}

export function execXchg(cpu: Cpu, insn: Insn): void {
  const d = opnd(insn, 0);
  const bits = width(insn, d);
  if (d === Opnd.Zv) {
    const a = getReg(cpu, insn.reg, bits);
    setReg(cpu, insn.reg, bits, getReg(cpu, Reg.EAX, bits));
    setReg(cpu, Reg.EAX, bits, a);
    return;
  }
  const r = getReg(cpu, insn.reg, bits);
  if (insn.mod !== 3) {
    const seg = insn.seg;
    const off = effAddr(cpu, insn);
    const m = readMem(cpu, seg, off, bits);
    writeMem(cpu, seg, off, bits, r);
    setReg(cpu, insn.reg, bits, m);
  } else {
    const m = getReg(cpu, insn.rm, bits);
    setReg(cpu, insn.rm, bits, r);
    setReg(cpu, insn.reg, bits, m);
  }
}

export function execXadd(cpu: Cpu, insn: Insn): void {
  const bits = width(insn, opnd(insn, 0));
  const src = getReg(cpu, insn.reg, bits);
  if (insn.mod !== 3) {
    const seg = insn.seg;
    const off = effAddr(cpu, insn);
    const dst = readMem(cpu, seg, off, bits);
    const sum = (dst + src) | 0;
    writeMem(cpu, seg, off, bits, sum);
    setReg(cpu, insn.reg, bits, dst);
    aluFlags(cpu, AluOp.ADD, dst, src, sum, 0, bits >>> 4);
  } else {
    const dst = getReg(cpu, insn.rm, bits);
    const sum = (dst + src) | 0;
    setReg(cpu, insn.reg, bits, dst);
    setReg(cpu, insn.rm, bits, sum);
    aluFlags(cpu, AluOp.ADD, dst, src, sum, 0, bits >>> 4);
  }
}

const MASKS = [0xff, 0xffff, 0xffffffff];

/** CMPXCHG Eb,Gb / Ev,Gv: the destination is written back even when the comparison fails. */
export function execCmpxchg(cpu: Cpu, insn: Insn): void {
  const bits = width(insn, opnd(insn, 0));
  const m = MASKS[bits >>> 4]!;
  const acc = getReg(cpu, Reg.EAX, bits);
  const src = getReg(cpu, insn.reg, bits);
  const mem = insn.mod !== 3;
  const seg = insn.seg;
  const off = mem ? effAddr(cpu, insn) : 0;
  const dst = mem ? readMem(cpu, seg, off, bits) : getReg(cpu, insn.rm, bits);
  const equal = ((acc ^ dst) & m) === 0;
  if (mem) writeMem(cpu, seg, off, bits, equal ? src : dst);
  else if (equal) setReg(cpu, insn.rm, bits, src);
  if (!equal) setReg(cpu, Reg.EAX, bits, dst);
  aluFlags(cpu, AluOp.CMP, acc, dst, (acc - dst) | 0, 0, bits >>> 4);
}

/** CMPXCHG8B Mq: compare EDX:EAX with m64; equal → m64 ← ECX:EBX, else EDX:EAX ← m64. ZF only. */
export function execCmpxchg8b(cpu: Cpu, insn: Insn): void {
  const seg = insn.seg;
  const off = effAddr(cpu, insn);
  cpu.segWrite(seg, off, 8);
  const regs = cpu.regs;
  const lo = cpu.read32(seg, off);
  const hi = cpu.read32(seg, (off + 4) >>> 0);
  const equal = lo === regs[Reg.EAX] && hi === regs[Reg.EDX];
  if (equal) {
    cpu.write32(seg, off, regs[Reg.EBX]!);
    cpu.write32(seg, (off + 4) >>> 0, regs[Reg.ECX]!);
  } else {
    cpu.write32(seg, off, lo);
    cpu.write32(seg, (off + 4) >>> 0, hi);
    regs[Reg.EAX] = lo;
    regs[Reg.EDX] = hi;
  }
  setSomeFlags(cpu, Flag.ZF, equal ? Flag.ZF : 0);
}

/** BSWAP r32; with a 16-bit operand size the result is undefined: we clear the low word (as
 *  P6-family processors do). */
export function execBswap(cpu: Cpu, insn: Insn): void {
  const regs = cpu.regs;
  const r = insn.reg;
  if (insn.opsize === 16) {
    regs[r] = regs[r]! & ~0xffff;
    return;
  }
  const v = regs[r]!;
  regs[r] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

/** CMOVcc Gv,Ev: the source is read (and may fault) whether or not the condition holds. */
export function execCmov(cpu: Cpu, insn: Insn): void {
  const bits = insn.opsize;
  const v = readRm(cpu, insn, bits);
  if (testCondition(cpu, insn.opcode & 0xf)) setReg(cpu, insn.reg, bits, v);
}

export function execSetcc(cpu: Cpu, insn: Insn): void {
  writeRm(cpu, insn, 8, testCondition(cpu, insn.opcode & 0xf) ? 1 : 0);
}

/** BT/BTS/BTR/BTC Ev,Gv (register bit offset: memory operands address the bit string beyond the
 *  operand, signed) and Ev,Ib (offset modulo the operand size). Only CF changes. */
export function execBt(cpu: Cpu, insn: Insn): void {
  const bits = insn.opsize;
  const immForm = opnd(insn, 1) === Opnd.Ib;
  let bitOff = immForm ? insn.imm & 0xff : getReg(cpu, insn.reg, bits);
  const op = insn.op;
  if (insn.mod === 3) {
    const bit = bitOff & (bits - 1);
    const v = getReg(cpu, insn.rm, bits);
    const cf = (v >>> bit) & 1;
    if (op === Op.BTS) setReg(cpu, insn.rm, bits, v | (1 << bit));
    else if (op === Op.BTR) setReg(cpu, insn.rm, bits, v & ~(1 << bit));
    else if (op === Op.BTC) setReg(cpu, insn.rm, bits, v ^ (1 << bit));
    setSomeFlags(cpu, Flag.CF, cf !== 0 ? Flag.CF : 0);
    return;
  }
  let off = effAddr(cpu, insn);
  if (immForm) {
    bitOff &= bits - 1;
  } else {
    if (bits === 16) bitOff = (bitOff << 16) >> 16;
    const words = bitOff >> (bits === 16 ? 4 : 5); // arithmetic: negative offsets go backwards
    off = off + words * (bits >>> 3);
    off = insn.adsize === 16 ? off & 0xffff : off >>> 0;
    bitOff &= bits - 1;
  }
  const seg = insn.seg;
  const v = readMem(cpu, seg, off, bits);
  const cf = (v >>> bitOff) & 1;
  if (op === Op.BTS) writeMem(cpu, seg, off, bits, v | (1 << bitOff));
  else if (op === Op.BTR) writeMem(cpu, seg, off, bits, v & ~(1 << bitOff));
  else if (op === Op.BTC) writeMem(cpu, seg, off, bits, v ^ (1 << bitOff));
  setSomeFlags(cpu, Flag.CF, cf !== 0 ? Flag.CF : 0);
}

/** BSF/BSR Gv,Ev: zero source → ZF = 1, destination unchanged (flags.ts policy). */
export function execBsfBsr(cpu: Cpu, insn: Insn): void {
  const bits = insn.opsize;
  const v = readRm(cpu, insn, bits) & MASKS[bits >>> 4]!;
  if (v === 0) {
    setSomeFlags(cpu, Flag.ZF, Flag.ZF);
    return;
  }
  const idx = insn.op === Op.BSF ? 31 - Math.clz32(v & -v) : 31 - Math.clz32(v);
  setReg(cpu, insn.reg, bits, idx);
  setFlagsEager(cpu, szp(idx, bits) & ~Flag.ZF);
}

export function execMovx(cpu: Cpu, insn: Insn): void {
  const sb = opnd(insn, 1) === Opnd.Eb ? 8 : 16;
  let v = readRm(cpu, insn, sb);
  if (insn.op === Op.MOVSX) v = sb === 8 ? (v << 24) >> 24 : (v << 16) >> 16;
  setReg(cpu, insn.reg, insn.opsize, v);
}

export function execLea(cpu: Cpu, insn: Insn): void {
  setReg(cpu, insn.reg, insn.opsize, effAddr(cpu, insn));
}

/** XLAT: AL ← [seg:(E)BX + AL] (the default segment DS may be overridden). */
export function execXlat(cpu: Cpu, insn: Insn): void {
  const regs = cpu.regs;
  const a = (regs[Reg.EBX]! + (regs[Reg.EAX]! & 0xff)) | 0;
  const off = insn.adsize === 16 ? a & 0xffff : a >>> 0;
  const seg = insn.segOverride >= 0 ? insn.segOverride : SReg.DS;
  setReg(cpu, Reg.EAX, 8, cpu.read8(seg, off));
}

export function execConvert(cpu: Cpu, insn: Insn): void {
  const regs = cpu.regs;
  if (insn.op === Op.CBW_CWDE) {
    if (insn.opsize === 16) setReg(cpu, Reg.EAX, 16, ((regs[Reg.EAX]! << 24) >> 24));
    else regs[Reg.EAX] = (regs[Reg.EAX]! << 16) >> 16;
  } else if (insn.opsize === 16) {
    setReg(cpu, Reg.EDX, 16, (regs[Reg.EAX]! & 0x8000) !== 0 ? 0xffff : 0);
  } else {
    regs[Reg.EDX] = regs[Reg.EAX]! >> 31;
  }
}

/** LAHF, SAHF, CLC, STC, CMC, CLD, STD. */
export function execFlagOp(cpu: Cpu, insn: Insn): void {
  switch (insn.op) {
    case Op.LAHF:
      setReg(cpu, 4 /* AH */, 8, (getArithFlags(cpu) & 0xd5) | 0x02);
      return;
    case Op.SAHF:
      setSomeFlags(cpu, Flag.SF | Flag.ZF | Flag.AF | Flag.PF | Flag.CF, (cpu.regs[Reg.EAX]! >> 8) & 0xff);
      return;
    case Op.CLC: setSomeFlags(cpu, Flag.CF, 0); return;
    case Op.STC: setSomeFlags(cpu, Flag.CF, Flag.CF); return;
    case Op.CMC: setSomeFlags(cpu, Flag.CF, getCF(cpu) ? 0 : Flag.CF); return;
    case Op.CLD: cpu.eflagsRest &= ~Flag.DF; return;
    default: cpu.eflagsRest |= Flag.DF; return; // STD
  }
}
