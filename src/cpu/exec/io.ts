/**
 * Port I/O and processor-control instructions: IN, OUT (the string forms are in string.ts), HLT,
 * CLI, STI, PAUSE, WAIT and the x87 escapes.
 *
 * I/O order (SDM Vol. 3C 25.1.1: I/O-permission faults have priority over VM exits): checkIo
 * (CPL/IOPL and the TSS I/O bitmap, #GP(0)), then in VMX non-root operation hooks.io (which may
 * VM-exit), then the I/O bus. The virtual clock is synchronised before every device access.
 *
 * Does not model: CR4.VME/PVI (CLI/STI with insufficient IOPL always #GP(0); consistent with
 * segmentation.ts), an x87 FPU (every escape is #NM, as with CR0.EM = 1; CPUID reports no FPU).
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import type { AccessSize } from '../../memory/types.js';
import { Activity, Flag, Interruptibility, Reg, Vec } from '../state.js';
import { Op, Opnd } from '../opcodes.js';
import { checkIo } from '../exec/system.js';
import { getReg, opnd, setReg } from './operand.js';

/** I/O permission check (protected mode with CPL > IOPL, or virtual-8086 mode: TSS bitmap). */
export function ioPermission(cpu: Cpu, port: number, size: number): void {
  if ((cpu.cr0 & 1) !== 0 && (cpu.v86 || cpu.cpl > cpu.iopl)) checkIo(cpu, port, size);
}

export function ioIn(cpu: Cpu, port: number, size: number): number {
  cpu.syncClock();
  const v = cpu.io.in(port, size as AccessSize);
  return size === 4 ? v | 0 : v & (size === 2 ? 0xffff : 0xff);
}

export function ioOut(cpu: Cpu, port: number, size: number, v: number): void {
  cpu.syncClock();
  cpu.io.out(port, size as AccessSize, size === 4 ? v >>> 0 : v & (size === 2 ? 0xffff : 0xff));
}

/** IN AL/eAX, Ib/DX and OUT Ib/DX, AL/eAX. */
export function execInOut(cpu: Cpu, insn: Insn): void {
  const isIn = insn.op === Op.IN;
  const portSpec = opnd(insn, isIn ? 1 : 0);
  const dataSpec = opnd(insn, isIn ? 0 : 1);
  const bits = dataSpec === Opnd.AL ? 8 : insn.opsize;
  const size = bits >>> 3;
  const imm = portSpec === Opnd.Ib;
  const port = imm ? insn.imm & 0xff : cpu.regs[Reg.EDX]! & 0xffff;
  ioPermission(cpu, port, size);
  if (cpu.nonRoot) cpu.hooks!.io(insn.length, port, size, isIn, false, false, imm, 0, insn);
  if (isIn) setReg(cpu, Reg.EAX, bits, ioIn(cpu, port, size));
  else ioOut(cpu, port, size, getReg(cpu, Reg.EAX, bits));
}

/** HLT: CPL 0 only; in non-root operation the hook decides (HLT exiting); then the processor
 *  waits in the HLT activity state and run() returns StopReason.HALT. */
export function execHlt(cpu: Cpu, insn: Insn): void {
  if (cpu.cpl !== 0) cpu.raiseFault(Vec.GP, 0);
  if (cpu.nonRoot) cpu.hooks!.hlt(insn.length);
  cpu.activity = Activity.HLT;
}

/** CLI/STI (SDM Vol. 2 CLI/STI tables without VME/PVI). STI that sets IF blocks interrupts
 *  until the end of the next instruction. */
export function execCliSti(cpu: Cpu, insn: Insn): void {
  if ((cpu.cr0 & 1) !== 0 && cpu.cpl > cpu.iopl) cpu.raiseFault(Vec.GP, 0); // also v8086 (CPL 3)
  if (insn.op === Op.CLI) {
    cpu.eflagsRest &= ~Flag.IF;
  } else {
    if ((cpu.eflagsRest & Flag.IF) === 0) {
      cpu.eflagsRest |= Flag.IF;
      cpu.interruptibility |= Interruptibility.STI;
      if (cpu.nonRoot) cpu.eventCheck = true; // IF 0 → 1 (see Cpu.eventCheckOnIf)
    }
  }
}

export function execPause(cpu: Cpu, insn: Insn): void {
  if (cpu.nonRoot) cpu.hooks!.pause(insn.length);
}

/** WAIT/FWAIT: #NM when CR0.MP and CR0.TS are both set; else a no-op (there is no FPU). */
export function execWait(cpu: Cpu): void {
  if ((cpu.cr0 & 0xa) === 0xa) cpu.raiseFault(Vec.NM);
}
