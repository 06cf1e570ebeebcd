/**
 * Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP, TEST, INC, DEC, NEG, NOT.
 * Flags are recorded lazily (flags.ts); a memory destination is written before the flags are
 * recorded, so a faulting write leaves EFLAGS untouched.
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import { CcKind, getCF } from '../flags.js';
import { Op, Opnd } from '../opcodes.js';
import { effAddr, getReg, isMemRm, opnd, readMem, readOpnd, setReg, width, writeMem } from './operand.js';

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

/** Record the lazy flags of `a op b = r` at size index `sz` (0/1/2). */
export function aluFlags(cpu: Cpu, op: number, a: number, b: number, r: number, c: number, sz: number): void {
  let kind: number;
  switch (op) {
    case AluOp.ADD: kind = CcKind.ADD; break;
    case AluOp.ADC: kind = c !== 0 ? CcKind.ADC : CcKind.ADD; break;
    case AluOp.SBB: kind = c !== 0 ? CcKind.SBB : CcKind.SUB; break;
    case AluOp.SUB: case AluOp.CMP: kind = CcKind.SUB; break;
    default: kind = CcKind.LOGIC; break;
  }
  cpu.ccOp = (kind << 2) | sz;
  cpu.ccSrc1 = a;
  cpu.ccSrc2 = b;
  cpu.ccRes = r;
}

/** ADD/OR/ADC/SBB/AND/SUB/XOR/CMP with any of the table's operand forms. */
export function execAlu(cpu: Cpu, insn: Insn): void {
  const op = insn.op - Op.ADD;
  const d = opnd(insn, 0);
  const bits = width(insn, d);
  const sz = bits >>> 4;
  const b = readOpnd(cpu, insn, opnd(insn, 1), bits);
  const c = (op === AluOp.ADC || op === AluOp.SBB) && getCF(cpu) ? 1 : 0;
  if (isMemRm(insn, d)) {
    const seg = insn.seg;
    const off = effAddr(cpu, insn);
    const a = readMem(cpu, seg, off, bits);
    const r = aluCompute(op, a, b, c);
    if (op !== AluOp.CMP) writeMem(cpu, seg, off, bits, r);
    aluFlags(cpu, op, a, b, r, c, sz);
    return;
  }
  // Register destination: Gb/Gv (reg), Eb/Ev with mod 3 (rm), AL/eAX (0).
  const reg = d === Opnd.Gb || d === Opnd.Gv ? insn.reg : d === Opnd.AL || d === Opnd.eAX ? 0 : insn.rm;
  const a = getReg(cpu, reg, bits);
  const r = aluCompute(op, a, b, c);
  if (op !== AluOp.CMP) setReg(cpu, reg, bits, r);
  aluFlags(cpu, op, a, b, r, c, sz);
}

/** TEST Eb,Gb / Ev,Gv / AL,Ib / eAX,Iz / Eb,Ib / Ev,Iz. */
export function execTest(cpu: Cpu, insn: Insn): void {
  const d = opnd(insn, 0);
  const bits = width(insn, d);
  const a = readOpnd(cpu, insn, d, bits);
  const b = readOpnd(cpu, insn, opnd(insn, 1), bits);
  aluFlags(cpu, AluOp.AND, a, b, a & b, 0, bits >>> 4);
}

/** INC/DEC Zv (40+r / 48+r) and Eb/Ev (FE/FF /0 /1). CF is preserved. */
export function execIncDec(cpu: Cpu, insn: Insn): void {
  const d = opnd(insn, 0);
  const bits = width(insn, d);
  const dec = insn.op === Op.DEC;
  const cf = getCF(cpu) ? 1 : 0;
  let a: number;
  let r: number;
  if (isMemRm(insn, d)) {
    const seg = insn.seg;
    const off = effAddr(cpu, insn);
    a = readMem(cpu, seg, off, bits);
    r = dec ? (a - 1) | 0 : (a + 1) | 0;
    writeMem(cpu, seg, off, bits, r);
  } else {
    const reg = insn.mod === 3 ? insn.rm : insn.reg; // Eb/Ev register form, or Zv
    a = getReg(cpu, reg, bits);
    r = dec ? (a - 1) | 0 : (a + 1) | 0;
    setReg(cpu, reg, bits, r);
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
