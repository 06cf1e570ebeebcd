/**
 * The part of the processor (`src/cpu/cpu.ts` `Cpu`) that VMX transitions read and write: the
 * guest/host register state loaded and saved at VM entry and VM exit, the non-root seam fields
 * and the services of the system-architecture code (event delivery, WRMSR/RDMSR semantics for
 * the MSR-load/store lists, TLB context tagging).
 *
 * Declared structurally so that VMX depends on the documented CPU contract (notes/CPU-SPLIT.md),
 * not on the executor's implementation; `Cpu` satisfies it.
 */
import type { DescriptorTableRegister, Segment } from '../cpu/state.js';
import type { NonRootHooks } from '../cpu/vmx-hooks.js';
import type { PhysicalMemory } from '../memory/physical.js';
import type { InterruptController } from '../devices/device.js';

/** The Mmu operations VMX uses. `setContext`/`flushContext` are the VPID/EPTP-tagged TLB. */
export interface VmxMmu {
  flushAll(): void;
  setContext(tag: number): void;
  flushContext(tag: number): void;
  flushContextPage(tag: number, linear: number): void;
  flushAllContexts(): void;
  cplChanged(): void;
  /** PAE PDPTE registers as lo/hi dword pairs. */
  readonly pdpte: Int32Array;
  /** Load the PDPTEs from CR3 (false: reserved bit set). */
  loadPdptes(cr3?: number): boolean;
  /** Linear address of the last #PF (CR2 is written from it at delivery). */
  faultLinear: number;
}

export interface VmxCpu {
  readonly regs: Int32Array;
  eip: number;
  readonly seg: Segment[];
  ldtr: Segment;
  tr: Segment;
  gdtr: DescriptorTableRegister;
  idtr: DescriptorTableRegister;
  cr0: number;
  cr2: number;
  cr3: number;
  cr4: number;
  readonly dr: Int32Array;
  efer: number;
  cpl: number;
  sysenterCs: number;
  sysenterEsp: number;
  sysenterEip: number;
  patLo: number;
  patHi: number;
  debugctl: number;
  tscOffset: number;
  tscSource: (() => number) | null;
  instructionsRetired: number;
  readonly phys: PhysicalMemory;
  intc: InterruptController | null;
  nonRoot: boolean;
  hooks: NonRootHooks | null;
  eventCheck: boolean;
  vmexitPending: boolean;
  activity: number;
  interruptibility: number;
  nmiPending: boolean;
  /** A pending INIT signal (VM exit 3 at the next instruction boundary in non-root operation). */
  initPending?: boolean;
  a20Mask: number;
  /** IA32_FEATURE_CONTROL (VMXON requires lock and enable-outside-SMX). */
  featureControl: number;
  readonly mmu: VmxMmu;
  /** Pending exception (raiseFault → deliverException), -1 when none. */
  excVector: number;
  excHasErrorCode: boolean;
  excErrorCode: number;
  /** Start of the current instruction (EIP saved at a fault-like VM exit). */
  insnStart: number;
  insnEsp: number;
  /** EFLAGS without the six arithmetic flags (the CPU's lazy-flags representation): IF/TF/VM/…
   *  read without materialising the arithmetic flags. */
  readonly eflagsRest?: number;
  /** Set by the CPU when IF goes 0 → 1 (STI, POPF, IRET, task switch, VM entry) so that a
   *  boundary check switched off while IF = 0 kept the interrupt window closed comes back on. */
  eventCheckOnIf?: boolean;
  getEflags(): number;
  setEflags(v: number): void;
  raiseFault(vector: number, errorCode?: number): never;
  /** The instruction being executed (its length is the VM-exit instruction length of an exit
   *  during delivery of a software interrupt or exception). */
  curInsn: { length: number; opcode: number };
  /** Drop decoded instructions (after a VM transition changes what a linear address means). */
  flushCodeCache?(): void;
}

/**
 * System-architecture services VMX needs from the CPU core (interrupts.ts, msr.ts). Passed to
 * `Vmx` so that VMX code stays independent of how the CPU implements them.
 */
export interface VmxServices {
  /** Deliver an event through the guest IDT/IVT as VM-entry event injection does. May throw
   *  UNWIND (a fault during delivery with `cpu.excVector` set, or a VM exit). */
  deliverEvent(cpu: VmxCpu, vector: number, type: number, hasErrorCode: boolean, errorCode: number, insnLen: number): void;
  /** Deliver `cpu`'s pending exception (`excVector`), escalating to #DF / triple fault. */
  deliverPendingException(cpu: VmxCpu): void;
  /** The event whose delivery through the IDT is in progress (IDT-vectoring information); the
   *  caller may clear `active`. */
  currentDelivery(cpu: VmxCpu): { vector: number; type: number; hasErrorCode: boolean; errorCode: number; active: boolean } | null;
  /** RDMSR semantics: [lo, hi], or undefined where RDMSR would #GP. Must not throw. */
  rdmsr(cpu: VmxCpu, index: number): [number, number] | undefined;
  /** WRMSR semantics: false where WRMSR would #GP. Must not throw. */
  wrmsr(cpu: VmxCpu, index: number, lo: number, hi: number): boolean;
}
