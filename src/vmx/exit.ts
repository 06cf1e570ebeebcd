/**
 * VM exit (Intel SDM Vol. 3C, chapter "VM Exits"): recording the exit information, saving guest
 * state, loading host state. The orchestration (MSR lists, VMX abort, leaving non-root
 * operation, unwinding the interpreter) is `Vmx.vmExit()` in vmx.ts; this module holds the parts
 * that only touch the processor and the VMCS.
 *
 * Host segment state after a VM exit (SDM "Loading Host Segment and Descriptor-Table Registers",
 * no Intel 64 host):
 *   CS    selector from HOST_CS_SELECTOR, base 0, limit FFFFFFFFH, type 11, S 1, DPL 0, P 1, D/B 1, G 1
 *   SS DS ES FS GS  base 0 (FS/GS: HOST_FS_BASE/HOST_GS_BASE), limit FFFFFFFFH, type 3, S 1, DPL 0,
 *         P 1, D/B 1, G 1; unusable when the selector is 0
 *   TR    base HOST_TR_BASE, limit 67H, type 11 (busy 32-bit TSS), S 0, DPL 0, P 1
 *   LDTR  selector 0, unusable
 *   GDTR/IDTR  base from the VMCS, limit FFFFH
 *   RFLAGS 2, DR7 400H, IA32_DEBUGCTL 0, CPL 0, activity active, no STI/MOV-SS blocking
 *
 * Does not model: saving pending debug exceptions (always 0), SMM exits, the "host address-space
 * size" paths (no Intel 64).
 */
import { ExitCtl, EntryCtl } from './controls.js';
import { VmcsField } from './fields.js';
import type { Vmcs } from './vmcs.js';
import type { VmxCpu } from './cpu-view.js';

const F = VmcsField;

/** Per-exit information, filled by the hook that decides to exit (preallocated, reused). */
export class ExitInfo {
  reason = 0;
  qualification = 0;
  instructionLength = 0;
  instructionInfo = 0;
  /** Guest-linear address field, or -1 when the exit does not report one. */
  guestLinear = -1;
  /** Guest-physical address field, or -1. */
  guestPhysical = -1;
  /** VM-exit interruption information (0 = invalid) and error code. */
  intrInfo = 0;
  intrErrorCode = 0;
  /** True when the exit happens inside an instruction or event delivery: RIP/RSP are those at
   *  the start of the instruction (`cpu.insnStart`/`insnEsp`); false at an instruction boundary. */
  atInstruction = true;
  /** NMI blocking to set on the way out (exit due to an NMI). */
  blockNmi = false;

  reset(reason: number, qualification: number, atInstruction: boolean): this {
    this.reason = reason;
    this.qualification = qualification >>> 0;
    this.instructionLength = 0;
    this.instructionInfo = 0;
    this.guestLinear = -1;
    this.guestPhysical = -1;
    this.intrInfo = 0;
    this.intrErrorCode = 0;
    this.atInstruction = atInstruction;
    this.blockNmi = false;
    return this;
  }
}

/** Write the exit-information fields. `vectoring`/`vectoringError`: IDT-vectoring information. */
export function writeExitInformation(v: Vmcs, info: ExitInfo, reasonField: number, vectoring: number, vectoringError: number): void {
  v.set(F.VM_EXIT_REASON, reasonField);
  v.set(F.EXIT_QUALIFICATION, info.qualification);
  v.set(F.VM_EXIT_INSTRUCTION_LEN, info.instructionLength);
  v.set(F.VMX_INSTRUCTION_INFO, info.instructionInfo);
  v.set(F.GUEST_LINEAR_ADDRESS, info.guestLinear < 0 ? 0 : info.guestLinear);
  if (info.guestPhysical >= 0) {
    const g = info.guestPhysical;
    v.set64(F.GUEST_PHYSICAL_ADDRESS, g >>> 0, Math.floor(g / 0x100000000));
  }
  v.set(F.VM_EXIT_INTR_INFO, info.intrInfo);
  v.set(F.VM_EXIT_INTR_ERROR_CODE, info.intrErrorCode);
  v.set(F.IDT_VECTORING_INFO_FIELD, vectoring);
  v.set(F.IDT_VECTORING_ERROR_CODE, vectoringError);
}

/** Save the processor's state into the guest-state area (SDM "Saving Guest State"). */
export function saveGuestState(cpu: VmxCpu, v: Vmcs, exitCtl: number, atInstruction: boolean, preemptionValue: number): void {
  v.set(F.GUEST_CR0, cpu.cr0);
  v.set(F.GUEST_CR3, cpu.cr3);
  v.set(F.GUEST_CR4, cpu.cr4);
  if ((exitCtl & ExitCtl.SAVE_DEBUG_CONTROLS) !== 0) {
    v.set(F.GUEST_DR7, cpu.dr[7]!);
    v.set64(F.GUEST_IA32_DEBUGCTL, cpu.debugctl, 0);
  }
  v.set(F.GUEST_RSP, atInstruction ? cpu.insnEsp : cpu.regs[4]!);
  v.set(F.GUEST_RIP, atInstruction ? cpu.insnStart : cpu.eip);
  v.set(F.GUEST_RFLAGS, cpu.getEflags());
  for (let i = 0; i < 6; i++) {
    const s = cpu.seg[i]!;
    v.set(F.GUEST_ES_SELECTOR + 2 * i, s.selector);
    v.set(F.GUEST_ES_BASE + 2 * i, s.base);
    v.set(F.GUEST_ES_LIMIT + 2 * i, s.limit);
    v.set(F.GUEST_ES_AR_BYTES + 2 * i, s.ar & 0x1f0ff);
  }
  v.set(F.GUEST_LDTR_SELECTOR, cpu.ldtr.selector);
  v.set(F.GUEST_LDTR_BASE, cpu.ldtr.base);
  v.set(F.GUEST_LDTR_LIMIT, cpu.ldtr.limit);
  v.set(F.GUEST_LDTR_AR_BYTES, cpu.ldtr.ar & 0x1f0ff);
  v.set(F.GUEST_TR_SELECTOR, cpu.tr.selector);
  v.set(F.GUEST_TR_BASE, cpu.tr.base);
  v.set(F.GUEST_TR_LIMIT, cpu.tr.limit);
  v.set(F.GUEST_TR_AR_BYTES, cpu.tr.ar & 0x1f0ff);
  v.set(F.GUEST_GDTR_BASE, cpu.gdtr.base);
  v.set(F.GUEST_GDTR_LIMIT, cpu.gdtr.limit);
  v.set(F.GUEST_IDTR_BASE, cpu.idtr.base);
  v.set(F.GUEST_IDTR_LIMIT, cpu.idtr.limit);
  v.set(F.GUEST_SYSENTER_CS, cpu.sysenterCs);
  v.set(F.GUEST_SYSENTER_ESP, cpu.sysenterEsp);
  v.set(F.GUEST_SYSENTER_EIP, cpu.sysenterEip);
  if ((exitCtl & ExitCtl.SAVE_IA32_PAT) !== 0) v.set64(F.GUEST_IA32_PAT, cpu.patLo, cpu.patHi);
  if ((exitCtl & ExitCtl.SAVE_IA32_EFER) !== 0) v.set64(F.GUEST_IA32_EFER, cpu.efer, 0);
  v.set(F.GUEST_INTERRUPTIBILITY_INFO, cpu.interruptibility & 0xf);
  v.set(F.GUEST_ACTIVITY_STATE, cpu.activity);
  v.set(F.GUEST_PENDING_DBG_EXCEPTIONS, 0);
  if ((exitCtl & ExitCtl.SAVE_PREEMPTION_TIMER) !== 0) v.set(F.VMX_PREEMPTION_TIMER_VALUE, preemptionValue);
  if ((cpu.cr0 & 0x80000000) !== 0 && (cpu.cr4 & 0x20) !== 0) {
    const p = cpu.mmu.pdpte;
    for (let i = 0; i < 4; i++) v.set64(F.GUEST_PDPTR0 + 2 * i, p[2 * i]!, p[2 * i + 1]!);
  }
}

/** CR0 bits a VM exit does not change (reserved bits, ET, NW, CD). */
const CR0_KEEP = (0x1ff80000 | 0x20000 | 0xffc0 | 0x10 | 0x60000000) | 0;

/**
 * Load the host-state area into the processor. Returns false when the host uses PAE paging and a
 * PDPTE is invalid (the caller performs a VMX abort, code 2).
 */
export function loadHostState(cpu: VmxCpu, v: Vmcs, exitCtl: number): boolean {
  cpu.cr0 = (cpu.cr0 & CR0_KEEP) | (v.get(F.HOST_CR0) & ~CR0_KEEP);
  cpu.cr3 = v.get(F.HOST_CR3) | 0;
  cpu.cr4 = v.get(F.HOST_CR4) | 0;
  cpu.dr[7] = 0x400;
  cpu.debugctl = 0;
  cpu.sysenterCs = v.get(F.HOST_IA32_SYSENTER_CS) | 0;
  cpu.sysenterEsp = v.get(F.HOST_IA32_SYSENTER_ESP) | 0;
  cpu.sysenterEip = v.get(F.HOST_IA32_SYSENTER_EIP) | 0;
  if ((exitCtl & ExitCtl.LOAD_IA32_PAT) !== 0) {
    cpu.patLo = v.get(F.HOST_IA32_PAT) | 0;
    cpu.patHi = v.get(F.HOST_IA32_PAT_HIGH) | 0;
  }
  if ((exitCtl & ExitCtl.LOAD_IA32_EFER) !== 0) cpu.efer = v.get(F.HOST_IA32_EFER) | 0;
  for (let i = 0; i < 6; i++) {
    const s = cpu.seg[i]!;
    const sel = v.get(F.HOST_ES_SELECTOR + 2 * i);
    s.selector = sel;
    s.base = i === 4 ? v.get(F.HOST_FS_BASE) | 0 : i === 5 ? v.get(F.HOST_GS_BASE) | 0 : 0;
    s.limit = 0xffffffff | 0;
    if (i === 1) s.ar = 0xc09b;
    else s.ar = sel === 0 ? 0x1c093 : 0xc093;
  }
  const l = cpu.ldtr, t = cpu.tr;
  l.selector = 0; l.base = 0; l.limit = 0; l.ar = 0x10000;
  t.selector = v.get(F.HOST_TR_SELECTOR); t.base = v.get(F.HOST_TR_BASE) | 0; t.limit = 0x67; t.ar = 0x8b;
  cpu.gdtr.base = v.get(F.HOST_GDTR_BASE) | 0; cpu.gdtr.limit = 0xffff;
  cpu.idtr.base = v.get(F.HOST_IDTR_BASE) | 0; cpu.idtr.limit = 0xffff;
  cpu.regs[4] = v.get(F.HOST_RSP) | 0;
  cpu.eip = v.get(F.HOST_RIP) >>> 0;
  cpu.setEflags(2);
  cpu.cpl = 0;
  cpu.interruptibility &= ~3;
  cpu.activity = 0;
  cpu.mmu.cplChanged();
  if ((cpu.cr0 & 0x80000000) !== 0 && (cpu.cr4 & 0x20) !== 0) return cpu.mmu.loadPdptes(cpu.cr3);
  return true;
}

export { EntryCtl };
