/**
 * Near control transfers: JMP, CALL, RET (with Iw), Jcc, LOOP/LOOPE/LOOPNE, JCXZ/JECXZ.
 * The target is checked against the CS limit (#GP(0)) before anything is committed; with a
 * 16-bit operand size EIP is truncated to 16 bits (SDM JMP/CALL "tempEIP AND 0000FFFFH").
 * Far forms are in segmentation.ts (through exec/system.ts).
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import { Reg, SReg, Vec } from '../state.js';
import { getZF, testCondition } from '../flags.js';
import { Op, Opnd } from '../opcodes.js';
import { opnd, readRm } from './operand.js';

/** Target of a relative branch (insn.imm is sign-extended) or an absolute one, per opsize. */
function relTarget(cpu: Cpu, insn: Insn): number {
  const t = cpu.eip + insn.imm;
  return insn.opsize === 16 ? t & 0xffff : t >>> 0;
}

function checkTarget(cpu: Cpu, target: number): void {
  if (target > (cpu.seg[SReg.CS]!.limit >>> 0)) cpu.raiseFault(Vec.GP, 0);
}

export function execJmp(cpu: Cpu, insn: Insn): void {
  const spec = opnd(insn, 0);
  let target: number;
  if (spec === Opnd.Ev) {
    const v = readRm(cpu, insn, insn.opsize);
    target = insn.opsize === 16 ? v & 0xffff : v >>> 0;
  } else {
    target = relTarget(cpu, insn);
  }
  checkTarget(cpu, target);
  cpu.eip = target;
}

export function execCall(cpu: Cpu, insn: Insn): void {
  const spec = opnd(insn, 0);
  let target: number;
  if (spec === Opnd.Ev) {
    const v = readRm(cpu, insn, insn.opsize);
    target = insn.opsize === 16 ? v & 0xffff : v >>> 0;
  } else {
    target = relTarget(cpu, insn);
  }
  checkTarget(cpu, target);
  if (insn.opsize === 16) cpu.push16(cpu.eip);
  else cpu.push32(cpu.eip);
  cpu.eip = target;
}

export function execRet(cpu: Cpu, insn: Insn): void {
  const target = insn.opsize === 16 ? cpu.pop16() : cpu.pop32() >>> 0;
  checkTarget(cpu, target);
  if (opnd(insn, 0) === Opnd.Iw) cpu.setSp(cpu.getSp() + (insn.imm & 0xffff));
  cpu.eip = target;
}

export function execJcc(cpu: Cpu, insn: Insn): void {
  if (!testCondition(cpu, insn.opcode & 0xf)) return;
  const target = relTarget(cpu, insn);
  checkTarget(cpu, target);
  cpu.eip = target;
}

/** LOOP/LOOPE/LOOPNE/JCXZ: the counter is CX or ECX by address size. */
export function execLoop(cpu: Cpu, insn: Insn): void {
  const regs = cpu.regs;
  const a16 = insn.adsize === 16;
  const ecx = regs[Reg.ECX]!;
  let count = a16 ? ecx & 0xffff : ecx >>> 0;
  let taken: boolean;
  const op = insn.op;
  if (op === Op.JCXZ) {
    taken = count === 0;
  } else {
    count = a16 ? (count - 1) & 0xffff : (count - 1) >>> 0;
    taken = count !== 0;
    if (op === Op.LOOPE) taken = taken && getZF(cpu);
    else if (op === Op.LOOPNE) taken = taken && !getZF(cpu);
  }
  if (taken) {
    const target = relTarget(cpu, insn);
    checkTarget(cpu, target);
    cpu.eip = target;
  }
  if (op !== Op.JCXZ) regs[Reg.ECX] = a16 ? (ecx & ~0xffff) | count : count;
}
