/**
 * The seam between the CPU core and VMX non-root operation.
 *
 * The executor knows nothing about VMCS layouts. Whenever `cpu.nonRoot` is true it calls the
 * hook for the instruction or event *before* it has any architectural effect. A hook either
 * returns (no VM exit: execute normally) or performs the VM exit — saving guest state with
 * EIP = the instruction's own address, filling the exit-information fields, loading host state —
 * and throws `UNWIND`, which the dispatch loop turns into `StopReason.VMEXIT`.
 *
 * `len` is always the instruction length in bytes (VM_EXIT_INSTRUCTION_LEN); `insn` the decoded
 * instruction when the exit needs VM-exit instruction information (addressing form, segment,
 * address size, registers). The implementation is `../vmx/nonroot.ts`; it keeps no assumption that
 * the VMX-root software is our TypeScript hypervisor.
 *
 * In root operation (`cpu.nonRoot === false`) none of these are called: one predictable branch.
 */
import type { Insn } from './insn.js';

/** Access kinds for guest-physical accesses (EPT) — a bit mask, not a list of booleans. */
export const enum Access {
  READ = 1,
  WRITE = 2,
  EXECUTE = 4,
  /** The access is to a guest paging-structure entry during a page walk (not the final page). */
  PAGE_WALK = 8,
  /** CPL 3 access (for EPT-violation qualification "user-mode linear address" bits). */
  USER = 16,
  /** There is a guest-linear address for this access (not, e.g., a PDPTE load on a CR3 write). */
  LINEAR_VALID = 32,
}

/** Direction of a control-register access (exit qualification bits 5:4). */
export const enum CrAccessType { MOV_TO_CR = 0, MOV_FROM_CR = 1, CLTS = 2, LMSW = 3 }

/** Event types (VM-entry / IDT-vectoring / exit interruption-information bits 10:8). */
export const enum EventType {
  EXTERNAL_INTERRUPT = 0, NMI = 2, HARDWARE_EXCEPTION = 3, SOFTWARE_INTERRUPT = 4,
  PRIVILEGED_SOFTWARE_EXCEPTION = 5, SOFTWARE_EXCEPTION = 6, OTHER_EVENT = 7,
}

export interface NonRootHooks {
  // ---- instructions (fault-like exits: EIP not advanced) ----
  cpuid(len: number): void;
  hlt(len: number): void;
  invd(len: number): void;
  invlpg(len: number, linearAddress: number, insn: Insn): void;
  rdpmc(len: number): void;
  rdtsc(len: number): void;
  vmcall(len: number): void;
  /** VMCLEAR, VMLAUNCH, VMPTRLD, VMPTRST, VMREAD, VMRESUME, VMWRITE, VMXOFF, VMXON, INVEPT,
   *  INVVPID, VMFUNC in non-root: `reason` is the basic exit reason. */
  vmxInstruction(reason: number, len: number, insn: Insn): void;
  /** MOV to CR0/CR3/CR4/CR8. Returns the value to write (CR0/CR4 guest/host-masked bits keep
   *  their current value when no exit happens). */
  movToCr(len: number, cr: number, gpr: number, value: number): number;
  /** MOV from CR0/CR3/CR4/CR8: returns the value the guest sees (read shadows for masked bits). */
  movFromCr(len: number, cr: number, gpr: number, value: number): number;
  clts(len: number): void;
  /** LMSW: `source` the 16-bit operand, `memLinear` its linear address or -1 for a register. */
  lmsw(len: number, source: number, memLinear: number, insn: Insn): number;
  /** MOV DR: `toDr` true for MOV to DRn. */
  movDr(len: number, dr: number, gpr: number, toDr: boolean): void;
  /** IN/OUT/INS/OUTS. `size` 1/2/4. For string forms `linear` is the linear address of the first
   *  element (GUEST_LINEAR_ADDRESS). */
  io(len: number, port: number, size: number, isIn: boolean, isString: boolean, isRep: boolean,
     isImmediate: boolean, linear: number, insn: Insn): void;
  rdmsr(len: number, msr: number): void;
  wrmsr(len: number, msr: number): void;
  mwait(len: number): void;
  monitor(len: number): void;
  pause(len: number): void;
  /** LGDT/LIDT/SGDT/SIDT (reason 46) and LLDT/LTR/SLDT/STR (reason 47) under descriptor-table
   *  exiting. `displacement` goes in the exit qualification. */
  descriptorTable(reason: 46 | 47, len: number, insn: Insn, displacement: number): void;
  wbinvd(len: number): void;
  xsetbv(len: number): void;
  /** A task switch through CALL/JMP/IRET/IDT task gate. `source`: 0 CALL, 1 IRET, 2 JMP, 3 IDT. */
  taskSwitch(len: number, selector: number, source: number): void;

  // ---- events ----
  /** Called before delivering an exception, NMI or software interrupt. If the exception bitmap
   *  (or the #PF error-code mask/match, or NMI exiting) selects it, the VM exit happens here. */
  exception(vector: number, type: EventType, hasErrorCode: boolean, errorCode: number, len: number): void;
  /** A triple fault in non-root operation always exits (reason 2). */
  tripleFault(): void;
  /** Called at an instruction boundary when `cpu.eventCheck` is set: interrupt window, NMI window,
   *  external-interrupt exiting, VMX-preemption timer, monitor trap flag. May exit. */
  instructionBoundary(): void;

  // ---- memory ----
  /** Translate a guest-physical address through EPT (when enabled). Returns the host-physical
   *  address, or performs an EPT-violation / EPT-misconfiguration VM exit. `linear` is the
   *  guest-linear address that led here (valid when `access & Access.LINEAR_VALID`). */
  translateGuestPhysical(gpa: number, access: number, linear: number): number;
}
