/**
 * Operand access for the executor: effective addresses (ModRM/SIB forms decoded into `Insn`),
 * general registers by size, and the generic read/write of an operand described by its
 * opcode-table spec (`Opnd`).
 *
 * Value conventions: 8- and 16-bit values are returned zero-extended; 32-bit values as int32.
 * Writers truncate to the operand size.
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import { Opnd, ENTRY_OPND } from '../opcodes.js';

/**
 * Operand form of every opcode-table entry, derived from `ENTRY_OPND` at load (so the hot
 * handlers do not re-classify operand specs per instruction):
 *
 *   bits 2:0  kind of operand 0 (`Kind`)     bits 5:3  kind of operand 1
 *   bits 7:6  width of operand 0 (`W`): what `width(insn, opnd(insn, 0))` returns
 */
export const enum Kind { NONE = 0, RM = 1, REG = 2, ACC = 3, IMM = 4, OTHER = 5 }
export const enum W { V = 0, B8 = 1, B16 = 2, B32 = 3 }
export const enum Form { SRC_SHIFT = 3, W_SHIFT = 6, KIND_MASK = 7 }

function kindOf(spec: number): number {
  switch (spec) {
    case Opnd.NONE: return Kind.NONE;
    case Opnd.Eb: case Opnd.Ew: case Opnd.Ed: case Opnd.Ev: return Kind.RM;
    case Opnd.Gb: case Opnd.Gw: case Opnd.Gd: case Opnd.Gv: case Opnd.Zb: case Opnd.Zv: return Kind.REG;
    case Opnd.AL: case Opnd.AX: case Opnd.eAX: return Kind.ACC;
    case Opnd.Ib: case Opnd.Iw: case Opnd.Ibs: case Opnd.Iz: return Kind.IMM;
    default: return Kind.OTHER;
  }
}

function widthClass(spec: number): number {
  switch (spec) {
    case Opnd.Eb: case Opnd.Gb: case Opnd.AL: case Opnd.Zb: case Opnd.Ob: case Opnd.Xb: case Opnd.Yb:
    case Opnd.Ib: case Opnd.CL:
      return W.B8;
    case Opnd.Ew: case Opnd.Gw: case Opnd.AX: case Opnd.Iw: case Opnd.DX:
      return W.B16;
    case Opnd.Ed: case Opnd.Gd: case Opnd.Rd:
      return W.B32;
    default:
      return W.V;
  }
}

export const ENTRY_FORM: Uint8Array = (() => {
  const n = ENTRY_OPND.length >>> 2;
  const t = new Uint8Array(n);
  for (let e = 0; e < n; e++) {
    const o0 = ENTRY_OPND[e * 4]!, o1 = ENTRY_OPND[e * 4 + 1]!;
    t[e] = kindOf(o0) | (kindOf(o1) << Form.SRC_SHIFT) | (widthClass(o0) << Form.W_SHIFT);
  }
  return t;
})();

/** Operand-0 width in bits from an `ENTRY_FORM` value (as `width(insn, opnd(insn, 0))`). */
export function formWidth(insn: Insn, form: number): number {
  const w = form >>> Form.W_SHIFT;
  return w === W.V ? insn.opsize : w === W.B8 ? 8 : w === W.B16 ? 16 : 32;
}

/** Effective address (offset within the segment) of the ModRM memory operand, per address size. */
export function effAddr(cpu: Cpu, insn: Insn): number {
  const regs = cpu.regs;
  let a = insn.disp;
  if (insn.base >= 0) a += regs[insn.base]!;
  if (insn.index >= 0) a += regs[insn.index]! << insn.scale;
  return insn.adsize === 16 ? a & 0xffff : a >>> 0;
}

/** Register `r` (ModRM numbering) at `bits` width. 8-bit: AL CL DL BL AH CH DH BH. */
export function getReg(cpu: Cpu, r: number, bits: number): number {
  const regs = cpu.regs;
  if (bits === 32) return regs[r]!;
  if (bits === 16) return regs[r]! & 0xffff;
  return r < 4 ? regs[r]! & 0xff : (regs[r - 4]! >> 8) & 0xff;
}

export function setReg(cpu: Cpu, r: number, bits: number, v: number): void {
  const regs = cpu.regs;
  if (bits === 32) regs[r] = v;
  else if (bits === 16) regs[r] = (regs[r]! & ~0xffff) | (v & 0xffff);
  else if (r < 4) regs[r] = (regs[r]! & ~0xff) | (v & 0xff);
  else regs[r - 4] = (regs[r - 4]! & ~0xff00) | ((v & 0xff) << 8);
}

export function readMem(cpu: Cpu, sreg: number, off: number, bits: number): number {
  if (bits === 32) return cpu.read32(sreg, off);
  if (bits === 16) return cpu.read16(sreg, off);
  return cpu.read8(sreg, off);
}

export function writeMem(cpu: Cpu, sreg: number, off: number, bits: number, v: number): void {
  if (bits === 32) cpu.write32(sreg, off, v);
  else if (bits === 16) cpu.write16(sreg, off, v);
  else cpu.write8(sreg, off, v);
}

/** The r/m operand (register or memory) at `bits` width. */
export function readRm(cpu: Cpu, insn: Insn, bits: number): number {
  if (insn.mod === 3) return getReg(cpu, insn.rm, bits);
  return readMem(cpu, insn.seg, effAddr(cpu, insn), bits);
}

export function writeRm(cpu: Cpu, insn: Insn, bits: number, v: number): void {
  if (insn.mod === 3) setReg(cpu, insn.rm, bits, v);
  else writeMem(cpu, insn.seg, effAddr(cpu, insn), bits, v);
}

/** Operand spec `i` (0..2) of the instruction's opcode-table entry. */
export function opnd(insn: Insn, i: number): number {
  return ENTRY_OPND[insn.entry * 4 + i]!;
}

/** Width in bits of the entry's first operand: 8 for byte forms, else the operand size. */
export function width(insn: Insn, spec: number): number {
  switch (spec) {
    case Opnd.Eb: case Opnd.Gb: case Opnd.AL: case Opnd.Zb: case Opnd.Ob: case Opnd.Xb: case Opnd.Yb:
    case Opnd.Ib: case Opnd.CL:
      return 8;
    case Opnd.Ew: case Opnd.Gw: case Opnd.AX: case Opnd.Iw: case Opnd.DX:
      return 16;
    case Opnd.Ed: case Opnd.Gd: case Opnd.Rd:
      return 32;
    default:
      return insn.opsize;
  }
}

function moffs(insn: Insn): number {
  return insn.adsize === 16 ? insn.disp & 0xffff : insn.disp >>> 0;
}

/** Read an operand of any non-memory-special spec at `bits` width. */
export function readOpnd(cpu: Cpu, insn: Insn, spec: number, bits: number): number {
  switch (spec) {
    case Opnd.Eb: case Opnd.Ew: case Opnd.Ed: case Opnd.Ev: case Opnd.MwRv:
      return readRm(cpu, insn, bits);
    case Opnd.Gb: case Opnd.Gw: case Opnd.Gd: case Opnd.Gv: case Opnd.Zb: case Opnd.Zv:
      return getReg(cpu, insn.reg, bits);
    case Opnd.AL: case Opnd.AX: case Opnd.eAX:
      return getReg(cpu, 0, bits);
    case Opnd.CL:
      return cpu.regs[1]! & 0xff;
    case Opnd.DX:
      return cpu.regs[2]! & 0xffff;
    case Opnd.ONE:
      return 1;
    case Opnd.Ib: case Opnd.Iw: case Opnd.Ibs: case Opnd.Iz: case Opnd.Jb: case Opnd.Jz:
      return bits === 32 ? insn.imm | 0 : insn.imm & (bits === 16 ? 0xffff : 0xff);
    case Opnd.Ob: case Opnd.Ov:
      return readMem(cpu, insn.seg, moffs(insn), bits);
    default:
      return cpu.raiseFault(6);
  }
}

/** Write an operand (register, r/m or moffs spec) at `bits` width. */
export function writeOpnd(cpu: Cpu, insn: Insn, spec: number, bits: number, v: number): void {
  switch (spec) {
    case Opnd.Eb: case Opnd.Ew: case Opnd.Ed: case Opnd.Ev: case Opnd.MwRv:
      writeRm(cpu, insn, bits, v);
      return;
    case Opnd.Gb: case Opnd.Gw: case Opnd.Gd: case Opnd.Gv: case Opnd.Zb: case Opnd.Zv:
      setReg(cpu, insn.reg, bits, v);
      return;
    case Opnd.AL: case Opnd.AX: case Opnd.eAX:
      setReg(cpu, 0, bits, v);
      return;
    case Opnd.Ob: case Opnd.Ov:
      writeMem(cpu, insn.seg, moffs(insn), bits, v);
      return;
    default:
      cpu.raiseFault(6);
  }
}

/** True when the spec is the ModRM r/m operand and it is memory. */
export function isMemRm(insn: Insn, spec: number): boolean {
  return insn.mod !== 3 && (spec === Opnd.Eb || spec === Opnd.Ew || spec === Opnd.Ed || spec === Opnd.Ev || spec === Opnd.MwRv);
}
