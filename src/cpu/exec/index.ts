/**
 * The executor's dispatch: a table of handlers indexed by the opcode table's `Op` ids
 * (`HANDLERS[insn.op](cpu, insn)`), routing each operation to its family module. System
 * operations go to exec/system.ts (`execSystem`) after the real/v8086-mode #UD check.
 *
 * Switch versus handler table, decided by bench/cpu-dispatch.ts (numbers and method in
 * bench/cpu-dispatch.md; node 20, 2-core host shared with other jobs, 2026-11-26):
 *   - dispatch of a 44-instruction mix: switch 25.0-35.2 ns/instruction, table 24.1-27.1; the
 *     speed ratio switch/table over six runs 1.08, 0.96, 1.01, 0.77, 0.93, 1.01 (median 0.98);
 *   - whole machine, best of 5 interleaved runs (VMX non-root + EPT): compute loop switch 39.2
 *     MIPS / table 39.4, sieve 32.8 / 34.2, byte-copy loop 33.1 / 33.1 (medians within 1 %).
 * The table is kept: as fast, constant cost whatever the `Op` number, and every handler stays its
 * own function in profiles. Revisit with the benchmark if handlers change shape.
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

type Handler = (cpu: Cpu, insn: Insn) => void;

function execNop(): void {}

function execFpu(cpu: Cpu): void {
  cpu.raiseFault(Vec.NM);
}

function execUd(cpu: Cpu, insn: Insn): void {
  cpu.raiseFault(insn.tooLong ? Vec.GP : Vec.UD, insn.tooLong ? 0 : undefined);
}

/** System operations (exec/system.ts). Real/v8086-mode #UD from the table flags first (not
 *  SYSENTER/SYSEXIT: the SDM makes those #GP(0) outside protected mode, system.ts). */
function execSystemOp(cpu: Cpu, insn: Insn): void {
  const f = ENTRY_FLAGS[insn.entry]!;
  if ((f & (F.NOREAL | F.NOV86)) !== 0 && insn.op !== Op.SYSENTER && insn.op !== Op.SYSEXIT) {
    if ((cpu.cr0 & 1) === 0 ? (f & F.NOREAL) !== 0 : cpu.v86 && (f & F.NOV86) !== 0) cpu.raiseFault(Vec.UD);
  }
  execSystem(cpu, insn);
}

function handlerFor(op: number): Handler {
  switch (op) {
    case Op.ADD: case Op.OR: case Op.ADC: case Op.SBB: case Op.AND: case Op.SUB: case Op.XOR:
    case Op.CMP:
      return execAlu;
    case Op.TEST: return execTest;
    case Op.INC: case Op.DEC: return execIncDec;
    case Op.NEG: case Op.NOT: return execNegNot;
    case Op.MOV: return execMov;
    case Op.JCC: return execJcc;
    case Op.PUSH: return execPush;
    case Op.POP: return execPop;
    case Op.LEA: return execLea;
    case Op.CALL: return execCall;
    case Op.RETN: return execRet;
    case Op.JMP: return execJmp;
    case Op.MOVZX: case Op.MOVSX: return execMovx;
    case Op.XCHG: return execXchg;
    case Op.ROL: case Op.ROR: case Op.RCL: case Op.RCR: case Op.SHL: case Op.SHR: case Op.SAR:
      return execShift;
    case Op.SHLD: case Op.SHRD: return execShld;
    case Op.MOVS: case Op.CMPS: case Op.STOS: case Op.LODS: case Op.SCAS: case Op.INS: case Op.OUTS:
      return execString;
    case Op.LOOP: case Op.LOOPE: case Op.LOOPNE: case Op.JCXZ: return execLoop;
    case Op.MUL: case Op.IMUL: return execMul;
    case Op.IMUL2: case Op.IMUL3: return execImul23;
    case Op.DIV: case Op.IDIV: return execDiv;
    case Op.DAA: case Op.DAS: case Op.AAA: case Op.AAS: case Op.AAM: case Op.AAD: case Op.SALC:
      return execBcd;
    case Op.CMOVCC: return execCmov;
    case Op.SETCC: return execSetcc;
    case Op.BT: case Op.BTS: case Op.BTR: case Op.BTC: return execBt;
    case Op.BSF: case Op.BSR: return execBsfBsr;
    case Op.XADD: return execXadd;
    case Op.CMPXCHG: return execCmpxchg;
    case Op.CMPXCHG8B: return execCmpxchg8b;
    case Op.BSWAP: return execBswap;
    case Op.XLAT: return execXlat;
    case Op.CBW_CWDE: case Op.CWD_CDQ: return execConvert;
    case Op.LAHF: case Op.SAHF: case Op.CLC: case Op.STC: case Op.CMC: case Op.CLD: case Op.STD:
      return execFlagOp;
    case Op.CLI: case Op.STI: return execCliSti;
    case Op.PUSHF: return execPushf;
    case Op.POPF: return execPopf;
    case Op.PUSH_SREG: return execPushSreg;
    case Op.MOV_FROM_SREG: return execMovFromSreg;
    case Op.PUSHA: return execPusha;
    case Op.POPA: return execPopa;
    case Op.ENTER: return execEnter;
    case Op.LEAVE: return execLeave;
    case Op.IN: case Op.OUT: return execInOut;
    case Op.HLT: return execHlt;
    case Op.NOP: return execNop;
    case Op.PAUSE: return execPause;
    case Op.WAIT: return execWait;
    case Op.FPU: return execFpu;
    case Op.UD: return execUd;
    default: return execSystemOp;
  }
}

/** The handler of every `Op`, built once from `handlerFor` (read-only after load). */
const HANDLERS: readonly Handler[] = Array.from({ length: Op.COUNT }, (_, op) => handlerFor(op));

export function execute(cpu: Cpu, insn: Insn): void {
  HANDLERS[insn.op]!(cpu, insn);
}
