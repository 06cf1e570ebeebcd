/**
 * The executor's dispatch: one `switch (insn.op)` over the opcode table's `Op` ids, routing each
 * operation to its family module. System operations go to exec/system.ts (`execSystem`).
 *
 * Switch versus handler table: to be decided by the benchmark in bench/ (the switch is what
 * exists; a table of functions indexed by `op` is a drop-in alternative).
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import { Vec } from '../state.js';
import { ENTRY_FLAGS, F, Op } from '../opcodes.js';
import { execAlu, execIncDec, execNegNot, execTest } from './alu.js';
import { execShift, execShld } from './shift.js';
import { execDiv, execImul23, execMul } from './muldiv.js';
import { execBcd } from './bcd.js';
import {
  execBsfBsr, execBswap, execBt, execCmov, execCmpxchg, execCmpxchg8b, execConvert, execFlagOp,
  execLea, execMov, execMovFromSreg, execMovx, execSetcc, execXadd, execXchg, execXlat,
} from './data.js';
import { execString } from './string.js';
import { execCall, execJcc, execJmp, execLoop, execRet } from './control.js';
import {
  execEnter, execLeave, execPop, execPopa, execPopf, execPush, execPusha, execPushf, execPushSreg,
} from './stack.js';
import { execCliSti, execHlt, execInOut, execPause, execWait } from './io.js';
import { execSystem } from './system.js';

export function execute(cpu: Cpu, insn: Insn): void {
  switch (insn.op) {
    case Op.ADD: case Op.OR: case Op.ADC: case Op.SBB: case Op.AND: case Op.SUB: case Op.XOR:
    case Op.CMP:
      execAlu(cpu, insn); return;
    case Op.TEST: execTest(cpu, insn); return;
    case Op.INC: case Op.DEC: execIncDec(cpu, insn); return;
    case Op.NEG: case Op.NOT: execNegNot(cpu, insn); return;
    case Op.MOV: execMov(cpu, insn); return;
    case Op.JCC: execJcc(cpu, insn); return;
    case Op.PUSH: execPush(cpu, insn); return;
    case Op.POP: execPop(cpu, insn); return;
    case Op.LEA: execLea(cpu, insn); return;
    case Op.CALL: execCall(cpu, insn); return;
    case Op.RETN: execRet(cpu, insn); return;
    case Op.JMP: execJmp(cpu, insn); return;
    case Op.MOVZX: case Op.MOVSX: execMovx(cpu, insn); return;
    case Op.XCHG: execXchg(cpu, insn); return;
    case Op.ROL: case Op.ROR: case Op.RCL: case Op.RCR: case Op.SHL: case Op.SHR: case Op.SAR:
      execShift(cpu, insn); return;
    case Op.SHLD: case Op.SHRD: execShld(cpu, insn); return;
    case Op.MOVS: case Op.CMPS: case Op.STOS: case Op.LODS: case Op.SCAS: case Op.INS: case Op.OUTS:
      execString(cpu, insn); return;
    case Op.LOOP: case Op.LOOPE: case Op.LOOPNE: case Op.JCXZ: execLoop(cpu, insn); return;
    case Op.MUL: case Op.IMUL: execMul(cpu, insn); return;
    case Op.IMUL2: case Op.IMUL3: execImul23(cpu, insn); return;
    case Op.DIV: case Op.IDIV: execDiv(cpu, insn); return;
    case Op.DAA: case Op.DAS: case Op.AAA: case Op.AAS: case Op.AAM: case Op.AAD: case Op.SALC:
      execBcd(cpu, insn); return;
    case Op.CMOVCC: execCmov(cpu, insn); return;
    case Op.SETCC: execSetcc(cpu, insn); return;
    case Op.BT: case Op.BTS: case Op.BTR: case Op.BTC: execBt(cpu, insn); return;
    case Op.BSF: case Op.BSR: execBsfBsr(cpu, insn); return;
    case Op.XADD: execXadd(cpu, insn); return;
    case Op.CMPXCHG: execCmpxchg(cpu, insn); return;
    case Op.CMPXCHG8B: execCmpxchg8b(cpu, insn); return;
    case Op.BSWAP: execBswap(cpu, insn); return;
    case Op.XLAT: execXlat(cpu, insn); return;
    case Op.CBW_CWDE: case Op.CWD_CDQ: execConvert(cpu, insn); return;
    case Op.LAHF: case Op.SAHF: case Op.CLC: case Op.STC: case Op.CMC: case Op.CLD: case Op.STD:
      execFlagOp(cpu, insn); return;
    case Op.CLI: case Op.STI: execCliSti(cpu, insn); return;
    case Op.PUSHF: execPushf(cpu, insn); return;
    case Op.POPF: execPopf(cpu, insn); return;
    case Op.PUSH_SREG: execPushSreg(cpu, insn); return;
    case Op.MOV_FROM_SREG: execMovFromSreg(cpu, insn); return;
    case Op.PUSHA: execPusha(cpu, insn); return;
    case Op.POPA: execPopa(cpu, insn); return;
    case Op.ENTER: execEnter(cpu, insn); return;
    case Op.LEAVE: execLeave(cpu, insn); return;
    case Op.IN: case Op.OUT: execInOut(cpu, insn); return;
    case Op.HLT: execHlt(cpu, insn); return;
    case Op.NOP: return;
    case Op.PAUSE: execPause(cpu, insn); return;
    case Op.WAIT: execWait(cpu); return;
    case Op.FPU: cpu.raiseFault(Vec.NM); return;
    case Op.UD:
      cpu.raiseFault(insn.tooLong ? Vec.GP : Vec.UD, insn.tooLong ? 0 : undefined); return;
    default: {
      // System operations (exec/system.ts). Real/v8086-mode #UD from the table flags first
      // (not SYSENTER/SYSEXIT: the SDM makes those #GP(0) outside protected mode, system.ts).
      const f = ENTRY_FLAGS[insn.entry]!;
      if ((f & (F.NOREAL | F.NOV86)) !== 0 && insn.op !== Op.SYSENTER && insn.op !== Op.SYSEXIT) {
        if ((cpu.cr0 & 1) === 0 ? (f & F.NOREAL) !== 0 : cpu.v86 && (f & F.NOV86) !== 0) cpu.raiseFault(Vec.UD);
      }
      execSystem(cpu, insn);
    }
  }
}
