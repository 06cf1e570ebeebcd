/**
 * VMX operation of one logical processor (Intel SDM Vol. 3C, "VMX Instruction Reference" and
 * chapters "VM Entries" / "VM Exits"): the VMX instructions as operations callable by root-mode
 * software, and the VM-entry / VM-exit transitions.
 *
 * Every instruction returns an SDM result as a value — VMsucceed, VMfailInvalid, VMfailValid(n)
 * — never a JS exception; instruction-level exceptions (#UD, #GP(0)) are returned as `fault`
 * results. The RFLAGS convention of the SDM (CF/ZF) is applied to the processor's EFLAGS and
 * VMfailValid stores the error number in VM_INSTRUCTION_ERROR of the current VMCS, so the same
 * semantics serve guest software that executes VMX instructions.
 *
 * VMLAUNCH / VMRESUME run the VM-entry checks (entry.ts) and, on success, load the guest state,
 * process the MSR-load list, set `cpu.nonRoot = true` and `cpu.hooks` to this processor's
 * `NonRootHooksImpl`, inject the event of the VM-entry interruption-information field, and return
 * VMsucceed; the caller then calls `cpu.run(budget)` until it returns StopReason.VMEXIT. A VM
 * entry that ends in a VM exit before any guest instruction (VM-entry failure 33/34, or an exit
 * during event injection) returns `{ kind: 'vmexit' }`: read the exit reason from the VMCS.
 *
 * Models: VMXON/VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME, INVEPT,
 * INVVPID, VMCALL in root (VMfail(1)); VPID/EPTP-tagged TLB contexts (Mmu.setContext). The same
 * operations serve emulated root-mode code through `cpu.vmxRoot` (root.ts).
 * Does not model: SMM dual-monitor treatment, VMCS shadowing, VMFUNC, INVPCID, the "VMRESUME
 * after VMXOFF" error 6 (VMXOFF does not corrupt VMCS data here), VMCS regions outside RAM
 * (VMCLEAR/VMPTRLD of such an address fail with error 2/9).
 */
import { Flag, Interruptibility, UNWIND } from '../cpu/state.js';
import type { NonRootHooks } from '../cpu/vmx-hooks.js';
import { VmxCapabilities, VMCS_REGION_SIZE } from './capabilities.js';
import { ExitReason, VmInstructionError as E, VmxAbort } from './controls.js';
import type { VmxCpu, VmxServices } from './cpu-view.js';
import { EntryContext, firstFailingCheck, loadGuestState, loadMsrList, storeMsrList, type EntryCheck } from './entry.js';
import { eptpValid } from './ept.js';
import { ExitInfo, loadHostState, saveGuestState, writeExitInformation } from './exit.js';
import { VmcsField } from './fields.js';
import { NonRootHooksImpl } from './nonroot.js';
import { packExitReason, packInterruptionInfo } from './qualification.js';
import { defaultVmxServices } from './services.js';
import { VmxRootInstructions } from './root.js';
import { Vmcs } from './vmcs.js';

const F = VmcsField;

/** The outcome of a VMX instruction. */
export type VmResult =
  | { readonly kind: 'VMsucceed' }
  | { readonly kind: 'VMfailInvalid' }
  | { readonly kind: 'VMfailValid'; readonly error: number }
  /** An instruction-level exception (#UD, #GP(0)) instead of executing. */
  | { readonly kind: 'fault'; readonly vector: number; readonly errorCode: number }
  /** VMLAUNCH/VMRESUME: the VM entry ended in a VM exit before any guest instruction. */
  | { readonly kind: 'vmexit' };

export const VMsucceed: VmResult = Object.freeze({ kind: 'VMsucceed' as const });
export const VMfailInvalid: VmResult = Object.freeze({ kind: 'VMfailInvalid' as const });
const FAIL_VALID: readonly VmResult[] = Array.from({ length: 29 }, (_, n) => Object.freeze({ kind: 'VMfailValid' as const, error: n }));
export function VMfailValid(error: number): VmResult {
  return FAIL_VALID[error] ?? Object.freeze({ kind: 'VMfailValid' as const, error });
}
const UD: VmResult = Object.freeze({ kind: 'fault' as const, vector: 6, errorCode: 0 });
const GP0: VmResult = Object.freeze({ kind: 'fault' as const, vector: 13, errorCode: 0 });
const VMEXIT: VmResult = Object.freeze({ kind: 'vmexit' as const });

/** A VM instruction's result plus the value it read (VMREAD, VMPTRST). */
export interface VmReadResult { readonly result: VmResult; readonly value: number }

export interface VmxOptions {
  capabilities?: VmxCapabilities;
  services?: VmxServices;
  /** Install the `cpu.vmxRoot` provider so that emulated root-mode code can execute VMX
   *  instructions (default true). */
  installRootProvider?: boolean;
}

/** Thrown for host misuse of the API (not architectural behaviour). */
export class VmxUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VmxUsageError';
  }
}

const ARITH = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF;

export class Vmx {
  readonly cpu: VmxCpu;
  readonly caps: VmxCapabilities;
  readonly services: VmxServices;
  readonly hooks: NonRootHooksImpl;
  /** Exit information being assembled by the hook that is exiting. */
  readonly exitInfo = new ExitInfo();

  inVmxOperation = false;
  /** VMXON region (host-physical), -1 outside VMX operation. */
  vmxonPointer = -1;
  /** The current VMCS, or null ("current-VMCS pointer" = FFFFFFFF_FFFFFFFFH). */
  current: Vmcs | null = null;
  /** The check that failed the last VM entry (diagnostics), or null. */
  lastFailedCheck: EntryCheck | null = null;
  /** The processor's TSC offset in root operation (restored at VM exit). */
  private rootTscOffset = 0;
  /** VM-entry instruction length while an injected event is being delivered, else -1. */
  private injectingLength = -1;
  private readonly regions = new Map<number, Vmcs>();
  /** The VM-entry check context, reused by every VMLAUNCH/VMRESUME (no allocation per entry). */
  private entryContext: EntryContext | null = null;
  /** TLB context tags per (VPID, EPTP) pair; tag 0 is the root / VPID-less context. */
  private readonly tags = new Map<number, number>();
  private nextTag = 1;

  constructor(cpu: VmxCpu, opts: VmxOptions = {}) {
    this.cpu = cpu;
    this.caps = opts.capabilities ?? new VmxCapabilities();
    this.services = opts.services ?? defaultVmxServices;
    this.hooks = new NonRootHooksImpl(this);
    const c = cpu as VmxCpu & { vmxCapabilities?: unknown; vmxRoot?: unknown };
    if ('vmxCapabilities' in c) c.vmxCapabilities = this.caps;
    if ('vmxRoot' in c && opts.installRootProvider !== false) c.vmxRoot = new VmxRootInstructions(this);
  }

  /** The current VMCS (throws for host misuse when there is none). */
  get vmcs(): Vmcs {
    if (this.current === null) throw new VmxUsageError('Vmx: no current VMCS (VMPTRLD one first)');
    return this.current;
  }

  /** The Vmcs object for the region at `hpa` (for building a VMCS before VMPTRLD). */
  region(hpa: number): Vmcs {
    let v = this.regions.get(hpa);
    if (v === undefined) {
      v = new Vmcs(this.cpu.phys.ram, hpa, this.caps);
      this.regions.set(hpa, v);
    }
    return v;
  }

  // ------------------------------------------------------------------ result conventions

  private flags(r: VmResult): VmResult {
    if (r.kind === 'fault' || r.kind === 'vmexit') return r;
    const cpu = this.cpu;
    let f = cpu.getEflags() & ~ARITH;
    if (r.kind === 'VMfailInvalid') f |= Flag.CF;
    else if (r.kind === 'VMfailValid') f |= Flag.ZF;
    cpu.setEflags(f);
    return r;
  }
  private succeed(): VmResult { return this.flags(VMsucceed); }
  /** VMfail(n): VMfailValid(n) with a current VMCS, else VMfailInvalid. */
  private fail(n: number): VmResult {
    if (this.current === null) return this.flags(VMfailInvalid);
    this.current.set(F.VM_INSTRUCTION_ERROR, n);
    return this.flags(VMfailValid(n));
  }
  private failInvalid(): VmResult { return this.flags(VMfailInvalid); }

  /** #UD / #GP checks common to all VMX instructions except VMXON, in root operation. */
  private common(): VmResult | null {
    const cpu = this.cpu;
    if (cpu.nonRoot) throw new VmxUsageError('Vmx: root-operation instruction called while the processor is in VMX non-root operation');
    if (!this.inVmxOperation || (cpu.cr0 & 1) === 0 || (cpu.getEflags() & Flag.VM) !== 0) return UD;
    if (cpu.cpl > 0) return GP0;
    return null;
  }

  private addrOk(hpa: number): boolean {
    return Number.isInteger(hpa) && hpa >= 0 && hpa % 4096 === 0 && hpa < 2 ** 32 &&
      hpa + VMCS_REGION_SIZE <= this.cpu.phys.ram.length;
  }

  private readDword(hpa: number): number {
    const r = this.cpu.phys.ram;
    return (r[hpa]! | (r[hpa + 1]! << 8) | (r[hpa + 2]! << 16) | (r[hpa + 3]! << 24)) >>> 0;
  }

  // ------------------------------------------------------------------ VMXON / VMXOFF

  vmxon(regionHpa: number): VmResult {
    const cpu = this.cpu;
    if (cpu.nonRoot) throw new VmxUsageError('Vmx: VMXON called in VMX non-root operation');
    if ((cpu.cr4 & 0x2000) === 0 || (cpu.cr0 & 1) === 0 || (cpu.getEflags() & Flag.VM) !== 0) return UD;
    if (this.inVmxOperation) {
      if (cpu.cpl > 0) return GP0;
      return this.fail(E.VMXON_IN_ROOT);
    }
    const c = this.caps;
    if (cpu.cpl > 0 || (cpu.cr0 & c.cr0Fixed0) !== c.cr0Fixed0 || (cpu.cr0 & ~c.cr0Fixed1) !== 0 ||
        (cpu.cr4 & c.cr4Fixed0) !== c.cr4Fixed0 || (cpu.cr4 & ~c.cr4Fixed1) !== 0 || cpu.a20Mask !== -1 ||
        (cpu.featureControl & 1) === 0 || (cpu.featureControl & 4) === 0) {
      return GP0;
    }
    if (!this.addrOk(regionHpa)) return this.failInvalid();
    if (this.readDword(regionHpa) !== c.revisionId) return this.failInvalid();
    this.inVmxOperation = true;
    this.vmxonPointer = regionHpa;
    this.current = null;
    cpu.mmu.flushAllContexts();
    return this.succeed();
  }

  vmxoff(): VmResult {
    const r = this.common();
    if (r !== null) return r;
    this.inVmxOperation = false;
    this.vmxonPointer = -1;
    this.current = null;
    return this.succeed();
  }

  // ------------------------------------------------------------------ VMCS pointer instructions

  vmclear(hpa: number): VmResult {
    const r = this.common();
    if (r !== null) return r;
    if (!this.addrOk(hpa)) return this.fail(E.VMCLEAR_INVALID_ADDRESS);
    if (hpa === this.vmxonPointer) return this.fail(E.VMCLEAR_VMXON_POINTER);
    this.region(hpa).launched = false;
    if (this.current !== null && this.current.hpa === hpa) this.current = null;
    return this.succeed();
  }

  vmptrld(hpa: number): VmResult {
    const r = this.common();
    if (r !== null) return r;
    if (!this.addrOk(hpa)) return this.fail(E.VMPTRLD_INVALID_ADDRESS);
    if (hpa === this.vmxonPointer) return this.fail(E.VMPTRLD_VMXON_POINTER);
    // Bit 31 (shadow-VMCS indicator) set is a mismatch: VMCS shadowing is not supported.
    if (this.readDword(hpa) !== this.caps.revisionId) return this.fail(E.VMPTRLD_INCORRECT_REVISION);
    this.current = this.region(hpa);
    return this.succeed();
  }

  /** VMPTRST: the current-VMCS pointer (0xFFFFFFFF in both halves when there is none). */
  vmptrst(): VmReadResult & { readonly high: number } {
    const r = this.common();
    if (r !== null) return { result: r, value: 0, high: 0 };
    const cur = this.current;
    return { result: this.succeed(), value: cur === null ? 0xffffffff : cur.hpa, high: cur === null ? 0xffffffff : 0 };
  }

  vmread(encoding: number): VmReadResult {
    const r = this.common();
    if (r !== null) return { result: r, value: 0 };
    if (this.current === null) return { result: this.failInvalid(), value: 0 };
    const v = this.current.vmread(encoding);
    if (v < 0) return { result: this.fail(E.UNSUPPORTED_VMCS_COMPONENT), value: 0 };
    return { result: this.succeed(), value: v };
  }

  vmwrite(encoding: number, value: number): VmResult {
    const r = this.common();
    if (r !== null) return r;
    if (this.current === null) return this.failInvalid();
    const err = this.current.vmwrite(encoding, value);
    return err === 0 ? this.succeed() : this.fail(err);
  }

  /** VMCALL in VMX root operation (no dual-monitor treatment): VMfail(1). */
  vmcall(): VmResult {
    const r = this.common();
    if (r !== null) return r;
    return this.fail(E.VMCALL_IN_ROOT);
  }

  // ------------------------------------------------------------------ TLB contexts

  /** TLB tag of (VPID, EPTP); 0 when VPID is off (shared with root operation, flushed on transitions). */
  contextTag(vpid: number, eptpLo: number): number {
    if (vpid === 0) return 0;
    const key = vpid * 0x100000000 + (eptpLo >>> 0);
    let t = this.tags.get(key);
    if (t === undefined) {
      t = this.nextTag++;
      this.tags.set(key, t);
    }
    return t;
  }

  /** INVEPT: type 1 single-context (descriptor EPTP), type 2 all-context. */
  invept(type: number, eptpLo: number, eptpHi = 0): VmResult {
    const r = this.common();
    if (r !== null) return r;
    const mmu = this.cpu.mmu;
    if (type === 1) {
      if (!eptpValid(eptpLo, eptpHi, true)) return this.fail(E.INVALID_INVEPT_INVVPID_OPERAND);
      const base = (eptpLo & ~0xfff) >>> 0;
      for (const [key, tag] of this.tags) if (((key % 0x100000000) & ~0xfff) >>> 0 === base) mmu.flushContext(tag);
      mmu.flushContext(0);
    } else if (type === 2) {
      mmu.flushAllContexts();
    } else {
      return this.fail(E.INVALID_INVEPT_INVVPID_OPERAND);
    }
    return this.succeed();
  }

  /** INVVPID: type 0 individual address, 1 single context, 2 all contexts, 3 single context
   *  retaining globals (implemented as single context). `vpid` is descriptor bits 63:0's low part. */
  invvpid(type: number, vpid: number, linear = 0): VmResult {
    const r = this.common();
    if (r !== null) return r;
    if (type < 0 || type > 3 || !Number.isInteger(vpid) || vpid < 0 || vpid > 0xffff) {
      return this.fail(E.INVALID_INVEPT_INVVPID_OPERAND);
    }
    if (type !== 2 && vpid === 0) return this.fail(E.INVALID_INVEPT_INVVPID_OPERAND);
    const mmu = this.cpu.mmu;
    for (const [key, tag] of this.tags) {
      if (type !== 2 && Math.floor(key / 0x100000000) !== vpid) continue;
      if (type === 0) mmu.flushContextPage(tag, linear);
      else mmu.flushContext(tag);
    }
    return this.succeed();
  }

  // ------------------------------------------------------------------ VM entry

  vmlaunch(): VmResult { return this.enter(true); }
  vmresume(): VmResult { return this.enter(false); }

  private enter(launch: boolean): VmResult {
    const r = this.common();
    if (r !== null) return r;
    const cpu = this.cpu;
    const v = this.current;
    if (v === null) return this.failInvalid();
    if ((cpu.interruptibility & Interruptibility.MOV_SS) !== 0) return this.fail(E.ENTRY_EVENTS_BLOCKED_BY_MOV_SS);
    if (launch && v.launched) return this.fail(E.VMLAUNCH_NONCLEAR_VMCS);
    if (!launch && !v.launched) return this.fail(E.VMRESUME_NONLAUNCHED_VMCS);

    const c = this.entryContext === null ? (this.entryContext = new EntryContext(v, this.caps, cpu.phys.ram)) : this.entryContext.load(v);
    const chk = firstFailingCheck(c);
    this.lastFailedCheck = chk;
    if (chk !== null) {
      if (chk.failure.kind === 'VMfailValid') return this.fail(chk.failure.error);
      this.entryFailure(ExitReason.INVALID_GUEST_STATE, chk.failure.qualification);
      return VMEXIT;
    }

    this.rootTscOffset = cpu.tscOffset;
    loadGuestState(cpu, v, c);
    const bad = loadMsrList(cpu, this.services, v.get(F.VM_ENTRY_MSR_LOAD_ADDR), v.get(F.VM_ENTRY_MSR_LOAD_COUNT), this.caps.maxMsrListEntries);
    if (bad !== 0) {
      this.entryFailure(ExitReason.MSR_LOADING, bad);
      return VMEXIT;
    }
    if (launch) v.launched = true;

    const d = this.services.currentDelivery(cpu);
    if (d !== null) d.active = false;
    cpu.excVector = -1;
    cpu.vmexitPending = false;
    this.hooks.onEntry(c);
    cpu.nonRoot = true;
    cpu.hooks = this.hooks as NonRootHooks;

    if (c.intrValid) return this.inject(c);
    return VMsucceed;
  }

  /** VM-entry event injection (SDM "Event Injection"), delivered through the guest IDT/IVT. */
  private inject(c: EntryContext): VmResult {
    const cpu = this.cpu;
    const v = c.vmcs;
    const type = c.intrType;
    if (type === 7) {
      this.hooks.mtfPending = true; // "other event", vector 0: pending MTF VM exit
      return VMsucceed;
    }
    const len = v.get(F.VM_ENTRY_INSTRUCTION_LEN);
    const hasErr = (c.intrInfo & 0x800) !== 0;
    const err = v.get(F.VM_ENTRY_EXCEPTION_ERROR_CODE);
    cpu.insnStart = cpu.eip;
    cpu.insnEsp = cpu.regs[4]!;
    // Software events return after the instruction that VM entry pretends to have executed.
    if (type >= 4 && type <= 6) cpu.eip = (cpu.eip + len) >>> 0;
    if (type === 2) cpu.interruptibility |= Interruptibility.NMI;
    this.hooks.eventDelivered();
    this.injectingLength = len;
    try {
      this.services.deliverEvent(cpu, c.intrVector, type, hasErr, err, len);
      this.injectingLength = -1;
    } catch (e) {
      this.injectingLength = -1;
      if (e !== UNWIND) throw e;
      if (cpu.vmexitPending) {
        cpu.vmexitPending = false;
        return VMEXIT;
      }
      // A fault while delivering the injected event: deliver it (double fault rules apply).
      cpu.eip = cpu.insnStart;
      cpu.regs[4] = cpu.insnEsp;
      try {
        this.services.deliverPendingException(cpu);
        cpu.excVector = -1;
      } catch (e2) {
        if (e2 !== UNWIND) throw e2;
        if (cpu.vmexitPending) {
          cpu.vmexitPending = false;
          return VMEXIT;
        }
        // Still pending: the run loop delivers it before the first guest instruction.
      }
    }
    if (!cpu.nonRoot) return VMEXIT; // a triple fault during injection exited
    return VMsucceed;
  }

  /** VM-entry failure: a VM exit without saving guest state (SDM "VM-Entry Failures During or
   *  After Loading Guest State"). */
  private entryFailure(reason: number, qualification: number): void {
    const cpu = this.cpu;
    const v = this.current!;
    const info = this.exitInfo.reset(reason, qualification, false);
    writeExitInformation(v, info, packExitReason(reason, true), 0, 0);
    cpu.nonRoot = false;
    cpu.hooks = null;
    cpu.tscOffset = this.rootTscOffset;
    cpu.mmu.flushAll();
    this.finishExit(v);
  }

  // ------------------------------------------------------------------ VM exit

  /**
   * Perform the VM exit described by `exitInfo` (SDM "VM Exits"): exit-information fields,
   * IDT-vectoring information, guest-state save, MSR-store list, host-state load, MSR-load list.
   * Leaves the processor in VMX root operation. Does not unwind: see `exitAndUnwind`.
   */
  vmExit(): void {
    const cpu = this.cpu;
    const v = this.current!;
    const info = this.exitInfo;
    const h = this.hooks;
    let vect = 0, vectErr = 0;
    const d = this.services.currentDelivery(cpu);
    if (d !== null) {
      const dfExit = info.reason === ExitReason.EXCEPTION_NMI && (info.intrInfo & 0xff) === 8;
      if (info.reason !== ExitReason.TRIPLE_FAULT && !dfExit) {
        const withErr = d.hasErrorCode && d.type === 3 && (cpu.cr0 & 1) !== 0;
        vect = packInterruptionInfo(d.vector, d.type, withErr);
        vectErr = withErr ? d.errorCode : 0;
        // An exit during delivery of a software interrupt / exception reports its length.
        if (d.type >= 4 && d.type <= 6) {
          info.instructionLength = this.injectingLength >= 0 ? this.injectingLength : cpu.curInsn.length;
        }
      }
      d.active = false;
    }
    writeExitInformation(v, info, packExitReason(info.reason, false), vect, vectErr);
    v.set(F.VM_ENTRY_INTR_INFO_FIELD, v.get(F.VM_ENTRY_INTR_INFO_FIELD) & 0x7fffffff);
    saveGuestState(cpu, v, h.exitCtl, info.atInstruction, h.preemptionTimerNow());
    const storeOk = storeMsrList(cpu, this.services, v.get(F.VM_EXIT_MSR_STORE_ADDR), v.get(F.VM_EXIT_MSR_STORE_COUNT));
    cpu.nonRoot = false;
    cpu.hooks = null;
    cpu.eventCheck = false;
    cpu.excVector = -1;
    cpu.tscOffset = this.rootTscOffset;
    if (h.contextTag !== 0) cpu.mmu.setContext(0);
    else cpu.mmu.flushAll();
    if (!storeOk) {
      this.abort(VmxAbort.SAVING_GUEST_MSRS);
      return;
    }
    this.finishExit(v);
    if (info.blockNmi) cpu.interruptibility |= Interruptibility.NMI;
  }

  /** Host-state load and the VM-exit MSR-load list (shared by VM exits and entry failures). */
  private finishExit(v: Vmcs): void {
    const cpu = this.cpu;
    const exitCtl = v.get(F.VM_EXIT_CONTROLS);
    if (!loadHostState(cpu, v, exitCtl)) {
      this.abort(VmxAbort.HOST_PDPTE);
      return;
    }
    if (loadMsrList(cpu, this.services, v.get(F.VM_EXIT_MSR_LOAD_ADDR), v.get(F.VM_EXIT_MSR_LOAD_COUNT), this.caps.maxMsrListEntries) !== 0) {
      this.abort(VmxAbort.LOADING_HOST_MSRS);
    }
  }

  /** VMX abort: the abort indicator is written and the processor shuts down. */
  private abort(code: number): void {
    const cpu = this.cpu;
    if (this.current !== null) this.current.abortIndicator = code;
    cpu.nonRoot = false;
    cpu.hooks = null;
    cpu.activity = 2; // shutdown
  }

  /** Perform the VM exit in `exitInfo` and unwind the interpreter (the run loop returns VMEXIT). */
  exitAndUnwind(): never {
    this.vmExit();
    this.cpu.vmexitPending = true;
    throw UNWIND;
  }
}
