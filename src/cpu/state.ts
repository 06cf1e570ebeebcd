/**
 * Architectural state of one logical processor, shared by the executor (`cpu.ts`, `exec/`), the
 * system-architecture code (`segmentation.ts`, `interrupts.ts`, `paging.ts`, `task.ts`, `msr.ts`)
 * and VMX (`../vmx/`), which loads and saves it at VM entry and VM exit.
 *
 * Conventions
 * - Registers are int32 in an Int32Array (`regs[Reg.EAX]`); read unsigned with `>>> 0`.
 * - Segment registers keep the hidden part (descriptor cache) in VMCS access-rights format, so VM
 *   entry and exit copy them without conversion. Bit layout (SDM Vol. 3C, "Guest Register State",
 *   format of the access-rights field):
 *
 *     bits 3:0  segment type            bit 12   AVL
 *     bit  4    S (0 = system)          bit 13   L (reserved, 0: no IA-32e mode)
 *     bits 6:5  DPL                     bit 14   D/B
 *     bit  7    P                       bit 15   G
 *     bits 11:8 reserved (0)            bit 16   segment unusable (0 = usable)
 *
 *   `limit` is the expanded byte-granular limit (G already applied), `base` a 32-bit linear base.
 * - EFLAGS may be evaluated lazily by the executor; always go through `getEflags()`/`setEflags()`.
 * - A guest fault or a VM exit in the middle of an instruction unwinds the interpreter by throwing
 *   the preallocated `UNWIND` sentinel (no Error object, no stack capture). It is caught only by
 *   the dispatch loop, which turns it into exception delivery or a return to the VMX root. It never
 *   escapes the CPU's public API.
 */

export const enum Reg { EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7 }
export const enum SReg { ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5 }

/** EFLAGS bits (SDM Vol. 1, "EFLAGS Register"). */
export const enum Flag {
  CF = 1 << 0, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7, TF = 1 << 8, IF = 1 << 9,
  DF = 1 << 10, OF = 1 << 11, IOPL = 3 << 12, NT = 1 << 14, RF = 1 << 16, VM = 1 << 17,
  AC = 1 << 18, VIF = 1 << 19, VIP = 1 << 20, ID = 1 << 21,
}

/** Exception vectors (SDM Vol. 3A, "Exception and Interrupt Reference"). */
export const enum Vec {
  DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8, TS = 10, NP = 11,
  SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19, VE = 20,
}

/** Access-rights (VMCS format) bits. */
export const enum AR {
  TYPE = 0xf, ACCESSED = 1, S = 1 << 4, DPL_SHIFT = 5, DPL = 3 << 5, P = 1 << 7, AVL = 1 << 12,
  L = 1 << 13, DB = 1 << 14, G = 1 << 15, UNUSABLE = 1 << 16,
}

export interface Segment {
  selector: number;
  base: number;
  limit: number;
  ar: number;
}

export interface DescriptorTableRegister {
  base: number;
  limit: number;
}

/** VMX activity states (SDM Vol. 3C, "Guest Non-Register State"). */
export const enum Activity { ACTIVE = 0, HLT = 1, SHUTDOWN = 2, WAIT_FOR_SIPI = 3 }

/** Interruptibility-state bits (same layout as the VMCS field GUEST_INTERRUPTIBILITY_INFO). */
export const enum Interruptibility {
  STI = 1 << 0, MOV_SS = 1 << 1, SMI = 1 << 2, NMI = 1 << 3,
}

/** Why `Cpu.run()` returned. */
export const enum StopReason {
  /** The instruction budget ran out. */
  BUDGET = 0,
  /** HLT (root mode, or non-root without HLT exiting): waiting for an interrupt. */
  HALT = 1,
  /** A VM exit happened: the processor is back in VMX root operation; read the VMCS. */
  VMEXIT = 2,
  /** Triple fault in root operation: shutdown. `lastException`/`shutdownCsEip` say why. */
  SHUTDOWN = 3,
  /** Someone called `requestStop()` (a device, the debugger, a probe's exit()). */
  REQUESTED = 4,
}

/** The sentinel thrown to unwind the current instruction. Never escapes `Cpu.run()`. */
export const UNWIND: { readonly unwind: true } = Object.freeze({ unwind: true as const });

export function makeSegment(): Segment {
  return { selector: 0, base: 0, limit: 0xffff, ar: 0x93 };
}

export const MSR = {
  IA32_TSC: 0x10,
  IA32_APIC_BASE: 0x1b,
  IA32_FEATURE_CONTROL: 0x3a,
  IA32_SYSENTER_CS: 0x174,
  IA32_SYSENTER_ESP: 0x175,
  IA32_SYSENTER_EIP: 0x176,
  IA32_DEBUGCTL: 0x1d9,
  IA32_MISC_ENABLE: 0x1a0,
  IA32_PAT: 0x277,
  IA32_MTRRCAP: 0xfe,
  IA32_MTRR_DEF_TYPE: 0x2ff,
  IA32_EFER: 0xc0000080,
  IA32_VMX_BASIC: 0x480,
} as const;
