/**
 * Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP, TEST, INC, DEC, NEG, NOT.
 * Flags are recorded lazily (flags.ts); a memory destination is written before the flags are
 * recorded, so a faulting write leaves EFLAGS untouched.
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import { CcKind, getCF } from '../flags.js';
import { Op } from '../opcodes.js';
import {
  ENTRY_FORM, Form, Kind, effAddr, formWidth, getReg, opnd, readMem, readRm, setReg, width,
  writeMem,
} from './operand.js';

/** ALU operations in opcode order (00 ADD, 08 OR, 10 ADC, 18 SBB, 20 AND, 28 SUB, 30 XOR, 38 CMP). */
export const enum AluOp { ADD = 0, OR = 1, ADC = 2, SBB = 3, AND = 4, SUB = 5, XOR = 6, CMP = 7 }

/** Result of `a op b` (+/- carry `c` for ADC/SBB), not truncated. */
export function aluCompute(op: number, a: number, b: number, c: number): number {
  switch (op) {
    case AluOp.ADD: return (a + b) | 0;
    case AluOp.OR: return a | b;
    case AluOp.ADC: return (a + b + c) | 0;
    case AluOp.SBB: return (a - b - c) | 0;
    case AluOp.AND: return a & b;
    case AluOp.XOR: return a ^ b;
    default: return (a - b) | 0; // SUB, CMP
  }
}

/** CcKind recorded by each AluOp (ADC/SBB with carry-in 0 are recorded as ADD/SUB). */
const ALU_KIND = Uint8Array.of(
  CcKind.ADD, CcKind.LOGIC, CcKind.ADC, CcKind.SBB, CcKind.LOGIC, CcKind.SUB, CcKind.LOGIC, CcKind.SUB);
const ALU_KIND_NO_CARRY = Uint8Array.of(
  CcKind.ADD, CcKind.LOGIC, CcKind.ADD, CcKind.SUB, CcKind.LOGIC, CcKind.SUB, CcKind.LOGIC, CcKind.SUB);

/** Record the lazy flags of `a op b = r` at size index `sz` (0/1/2). */
export function aluFlags(cpu: Cpu, op: number, a: number, b: number, r: number, c: number, sz: number): void {
  cpu.ccOp = ((c !== 0 ? ALU_KIND[op]! : ALU_KIND_NO_CARRY[op]!) << 2) | sz;
  cpu.ccSrc1 = a;
  cpu.ccSrc2 = b;
  cpu.ccRes = r;
}

const IMM_MASK = [0xff, 0xffff, -1];

/** ADD/OR/ADC/SBB/AND/SUB/XOR/CMP with any of the table's operand forms. */
export function execAlu(cpu: Cpu, insn: Insn): void {
  const op = insn.op - Op.ADD;
  const form = ENTRY_FORM[insn.entry]!;
  const bits = formWidth(insn, form);
  const sz = bits >>> 4;
  // Source: Gb/Gv (reg), Eb/Ev (r/m), or an immediate (Ib, Iz, Ibs).
  const sk = (form >>> Form.SRC_SHIFT) & Form.KIND_MASK;
  const b = sk === Kind.IMM ? insn.imm & IMM_MASK[sz]!
    : sk === Kind.REG ? getReg(cpu, insn.reg, bits) : readRm(cpu, insn, bits);
  const c = (op === AluOp.ADC || op === AluOp.SBB) && getCF(cpu) ? 1 : 0;
  const dk = form & Form.KIND_MASK;
  if (dk === Kind.RM && insn.mod !== 3) {
    const seg = insn.seg;
    const off = effAddr(cpu, insn);
    const a = readMem(cpu, seg, off, bits);
    const r = aluCompute(op, a, b, c);
    if (op !== AluOp.CMP) writeMem(cpu, seg, off, bits, r);
    aluFlags(cpu, op, a, b, r, c, sz);
    return;
  }
  // Register destination: Gb/Gv (reg), Eb/Ev with mod 3 (rm), AL/eAX (0).
  const reg = dk === Kind.REG ? insn.reg : dk === Kind.ACC ? 0 : insn.rm;
  if (bits === 32) {
    const regs = cpu.regs;
    const a = regs[reg]!;
    const r = aluCompute(op, a, b, c);
    if (op !== AluOp.CMP) regs[reg] = r;
    aluFlags(cpu, op, a, b, r, c, sz);
    return;
  }
  const a = getReg(cpu, reg, bits);
  const r = aluCompute(op, a, b, c);
  if (op !== AluOp.CMP) setReg(cpu, reg, bits, r);
  aluFlags(cpu, op, a, b, r, c, sz);
}

/** TEST Eb,Gb / Ev,Gv / AL,Ib / eAX,Iz / Eb,Ib / Ev,Iz. */
export function execTest(cpu: Cpu, insn: Insn): void {
  const form = ENTRY_FORM[insn.entry]!;
  const bits = formWidth(insn, form);
  const sz = bits >>> 4;
  const a = (form & Form.KIND_MASK) === Kind.ACC ? getReg(cpu, 0, bits) : readRm(cpu, insn, bits);
  const sk = (form >>> Form.SRC_SHIFT) & Form.KIND_MASK;
  const b = sk === Kind.IMM ? insn.imm & IMM_MASK[sz]! : getReg(cpu, insn.reg, bits);
  aluFlags(cpu, AluOp.AND, a, b, a & b, 0, sz);
}

/** INC/DEC Zv (40+r / 48+r) and Eb/Ev (FE/FF /0 /1). CF is preserved. */
export function execIncDec(cpu: Cpu, insn: Insn): void {
  const form = ENTRY_FORM[insn.entry]!;
  const bits = formWidth(insn, form);
  const dec = insn.op === Op.DEC;
  const cf = getCF(cpu) ? 1 : 0;
  let a: number;
  let r: number;
  if (insn.mod >= 0 && insn.mod !== 3) {
    const seg = insn.seg;
    const off = effAddr(cpu, insn);
    a = readMem(cpu, seg, off, bits);
    r = dec ? (a - 1) | 0 : (a + 1) | 0;
    writeMem(cpu, seg, off, bits, r);
  } else {
    const reg = insn.mod === 3 ? insn.rm : insn.reg; // Eb/Ev register form, or Zv
    if (bits === 32) {
      const regs = cpu.regs;
      a = regs[reg]!;
      r = dec ? (a - 1) | 0 : (a + 1) | 0;
      regs[reg] = r;
    } else {
      a = getReg(cpu, reg, bits);
      r = dec ? (a - 1) | 0 : (a + 1) | 0;
      setReg(cpu, reg, bits, r);
    }
  }
  cpu.ccOp = ((dec ? CcKind.DEC : CcKind.INC) << 2) | (bits >>> 4);
  cpu.ccSrc1 = a;
  cpu.ccSrc2 = cf;
  cpu.ccRes = r;
}

/** NEG/NOT Eb/Ev (F6/F7 /2 /3). */
export function execNegNot(cpu: Cpu, insn: Insn): void {
  const bits = width(insn, opnd(insn, 0));
  const neg = insn.op === Op.NEG;
  let a: number;
  let r: number;
  if (insn.mod !== 3) {
    const seg = insn.seg;
    const off = effAddr(cpu, insn);
    a = readMem(cpu, seg, off, bits);
    r = neg ? (-a) | 0 : ~a;
    writeMem(cpu, seg, off, bits, r);
  } else {
    a = getReg(cpu, insn.rm, bits);
    r = neg ? (-a) | 0 : ~a;
    setReg(cpu, insn.rm, bits, r);
  }
  if (neg) aluFlags(cpu, AluOp.SUB, 0, a, r, 0, bits >>> 4);
}
