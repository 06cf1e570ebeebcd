/**
 * VMX non-root operation: the `NonRootHooks` the executor calls (src/cpu/vmx-hooks.ts), each gated
 * by the VM-execution controls as the SDM specifies (Vol. 3C, "Instructions That Cause VM Exits",
 * "Other Causes of VM Exits", "Changes to Instruction Behavior in VMX Non-Root Operation").
 *
 * The controls, bitmaps addresses, masks and shadows are read from the VMCS once at VM entry
 * (`onEntry`), as a processor caches them: VMWRITEs to the current VMCS cannot happen while the
 * guest runs anyway.
 *
 * Events at instruction boundaries (`instructionBoundary`, called while `cpu.eventCheck` is set),
 * in priority order: pending MTF VM exit (37), VMX-preemption timer (52), NMI window (8),
 * interrupt window (7), external interrupt (1, with "external-interrupt exiting"; vector acknowledged
 * when "acknowledge interrupt on exit"), else delivery of an external interrupt from `cpu.intc`
 * through the guest IDT when RFLAGS.IF allows. A boundary where none of these can happen returns
 * at once; while only the interrupt window is armed and IF = 0 keeps it closed, the checks stop
 * until the CPU re-arms them when IF becomes 1 (`Cpu.eventCheckOnIf`).
 *
 * MMIO emulation seam (KVM-style instruction emulation by the built-in hypervisor): when
 * `mmioWindow` is set and returns true for a guest-physical address that EPT does not map (a
 * not-present EPT violation), `translateGuestPhysical` returns `MMIO_HPA_BASE + gpa` instead of
 * exiting; `PhysicalMemory.readSlow/writeSlow` route such addresses to the device bus. The
 * hypervisor sets `mmioWindow` only while it re-executes the faulting instruction after an
 * EPT-violation exit (this models KVM's instruction emulator); otherwise it must be null.
 *
 * Does not model: CR8/TPR shadow (no Intel 64), INIT/SIPI/SMI exits (no source of those signals),
 * PAUSE-loop exiting,
 * CLTS with a host-owned TS bit and a clear shadow leaving CR0.TS unchanged (the hook contract
 * cannot veto the CLTS write), RDTSCP (not implemented by the CPU).
 */
import type { Insn } from '../cpu/insn.js';
import { Flag, Interruptibility } from '../cpu/state.js';
import { Access, EventType, type NonRootHooks } from '../cpu/vmx-hooks.js';
import { ExitCtl, ExitReason as R, PinCtl, ProcCtl, ProcCtl2 } from './controls.js';
import type { VmxCpu } from './cpu-view.js';
import type { EntryContext } from './entry.js';
import { EptStatus, EptWalkFlags, EptWalkResult, MMIO_HPA_BASE, eptWalkInto } from './ept.js';
import { VmcsField } from './fields.js';
import {
  packCrAccess, packEptViolation, packInstructionInfo, packInterruptionInfo, packIo,
  packIoInstructionInfo, packMovDr, packTaskSwitch,
} from './qualification.js';
import type { Vmx } from './vmx.js';

const F = VmcsField;

const TWO32 = 0x100000000;

/**
 * Exit qualification of instructions with a memory operand that report "displacement" (VMX
 * instructions, descriptor-table instructions): the ModRM displacement, truncated to the address
 * size (Bochs's behaviour, reference facts (c)); 0 for a register operand.
 */
function displacementQualification(insn: Insn, disp: number): number {
  if (insn.mod === 3) return 0;
  return insn.adsize === 16 ? disp & 0xffff : disp >>> 0;
}

/**
 * EFLAGS.IF. Read from `eflagsRest` (EFLAGS without the six lazily evaluated arithmetic flags)
 * when the processor has that field, as src/cpu/cpu.ts `Cpu` does, so that the check made before
 * every instruction while e.g. interrupt-window exiting is armed does not materialise the
 * arithmetic flags; any other `VmxCpu` goes through `getEflags()`.
 */
function interruptFlag(cpu: VmxCpu): boolean {
  const rest = (cpu as { readonly eflagsRest?: number }).eflagsRest;
  return ((rest !== undefined ? rest : cpu.getEflags()) & Flag.IF) !== 0;
}

export class NonRootHooksImpl implements NonRootHooks {
  // ---- controls cached at VM entry ----
  pin = 0; proc = 0; proc2 = 0; exitCtl = 0;
  exceptionBitmap = 0; pfMask = 0; pfMatch = 0;
  cr0Mask = 0; cr0Shadow = 0; cr4Mask = 0; cr4Shadow = 0;
  cr3TargetCount = 0;
  readonly cr3Targets = new Int32Array(4);
  ioBitmapA = 0; ioBitmapB = 0; msrBitmap = 0;
  eptEnabled = false; eptpLo = 0; eptFlags = 0;
  /** TLB context tag of this guest (0 = shared with root, flushed on transitions). */
  contextTag = 0;

  // ---- boundary state ----
  /** A pending MTF VM exit (after an injected event or a delivered event). */
  mtfPending = false;
  private retiredAtEntry = 0;
  /** NMI blocking was in effect at the last instruction boundary (tracked while blocked). */
  private nmiBlockedAtBoundary = false;
  private timerActive = false;
  private timerValue = 0;
  private timerStart = 0;

  /** MMIO emulation window (see the module comment). */
  mmioWindow: ((gpa: number) => boolean) | null = null;

  /** Details of the last EPT walk (preallocated; valid after a violation / misconfiguration). */
  readonly walk = new EptWalkResult();

  constructor(private readonly vmx: Vmx) {}

  private get cpu() { return this.vmx.cpu; }

  /** Cache the controls of the VMCS being entered and arm the boundary checks. */
  onEntry(c: EntryContext): void {
    const v = c.vmcs;
    const cpu = this.vmx.cpu;
    this.pin = c.pin; this.proc = c.proc; this.proc2 = c.proc2; this.exitCtl = c.exit;
    this.exceptionBitmap = v.get(F.EXCEPTION_BITMAP);
    this.pfMask = v.get(F.PAGE_FAULT_ERROR_CODE_MASK);
    this.pfMatch = v.get(F.PAGE_FAULT_ERROR_CODE_MATCH);
    this.cr0Mask = v.get(F.CR0_GUEST_HOST_MASK) | 0;
    this.cr0Shadow = v.get(F.CR0_READ_SHADOW) | 0;
    this.cr4Mask = v.get(F.CR4_GUEST_HOST_MASK) | 0;
    this.cr4Shadow = v.get(F.CR4_READ_SHADOW) | 0;
    this.cr3TargetCount = v.get(F.CR3_TARGET_COUNT);
    for (let i = 0; i < 4; i++) this.cr3Targets[i] = v.get(F.CR3_TARGET_VALUE0 + 2 * i) | 0;
    this.ioBitmapA = v.get(F.IO_BITMAP_A);
    this.ioBitmapB = v.get(F.IO_BITMAP_B);
    this.msrBitmap = v.get(F.MSR_BITMAP);
    this.eptEnabled = c.ept;
    this.eptpLo = v.get(F.EPT_POINTER);
    this.eptFlags = EptWalkFlags.UPDATE_AD | EptWalkFlags.EXECUTE_ONLY | EptWalkFlags.PAGE_1G;
    const vpid = (c.proc2 & ProcCtl2.ENABLE_VPID) !== 0 ? v.get(F.VIRTUAL_PROCESSOR_ID) : 0;
    this.contextTag = this.vmx.contextTag(vpid, c.ept ? this.eptpLo : 0);
    if (this.contextTag !== 0) cpu.mmu.setContext(this.contextTag);
    else cpu.mmu.flushAll();
    if ((c.proc & ProcCtl.USE_TSC_OFFSETTING) !== 0) {
      const off = (v.get(F.TSC_OFFSET_HIGH) | 0) * TWO32 + v.get(F.TSC_OFFSET);
      cpu.tscOffset = cpu.tscOffset + off;
    }
    this.mtfPending = false;
    this.retiredAtEntry = cpu.instructionsRetired;
    this.nmiBlockedAtBoundary = (cpu.interruptibility & Interruptibility.NMI) !== 0;
    this.timerActive = (c.pin & PinCtl.ACTIVATE_PREEMPTION_TIMER) !== 0;
    if (this.timerActive) {
      this.timerValue = v.get(F.VMX_PREEMPTION_TIMER_VALUE);
      this.timerStart = this.timerTicks();
    }
    this.updateEventCheck();
  }

  // ------------------------------------------------------------------ helpers

  private timerTicks(): number {
    const cpu = this.vmx.cpu;
    const tsc = cpu.tscSource !== null ? cpu.tscSource() : cpu.instructionsRetired;
    return Math.floor(tsc / 2 ** this.vmx.caps.preemptionTimerRate);
  }

  /** The VMX-preemption timer's current value (for "save VMX-preemption timer value"). */
  preemptionTimerNow(): number {
    if (!this.timerActive) return 0;
    return Math.max(0, this.timerValue - (this.timerTicks() - this.timerStart));
  }

  /**
   * The TSC value (without offsetting) at which the active VMX-preemption timer expires, or
   * Infinity. A machine whose guest is halted advances its clock to at least this point.
   */
  preemptionTimerDeadline(): number {
    if (!this.timerActive) return Infinity;
    return (this.timerStart + this.timerValue) * 2 ** this.vmx.caps.preemptionTimerRate;
  }

  private updateEventCheck(): void {
    const cpu = this.vmx.cpu;
    cpu.eventCheck = this.mtfPending || this.timerActive || this.vmx.cpu.intc !== null || cpu.initPending === true ||
      (cpu.interruptibility & Interruptibility.NMI) !== 0 ||
      (this.proc & (ProcCtl.MONITOR_TRAP_FLAG | ProcCtl.INTERRUPT_WINDOW_EXITING | ProcCtl.NMI_WINDOW_EXITING)) !== 0;
  }

  /** An event was delivered to the guest (an MTF VM exit becomes pending after it). */
  eventDelivered(): void {
    if ((this.proc & ProcCtl.MONITOR_TRAP_FLAG) !== 0) this.mtfPending = true;
    // Track NMI blocking across instruction boundaries (for "NMI unblocking due to IRET").
    this.vmx.cpu.eventCheck = true;
  }

  /**
   * "NMI unblocking due to IRET" (EPT-violation qualification bit 12, exit interruption
   * information bit 12): the exit is caused by an IRET that has already ended the NMI blocking
   * that was in effect at the instruction boundary before it.
   */
  private nmiUnblockedByIret(): boolean {
    const cpu = this.vmx.cpu;
    if (!this.nmiBlockedAtBoundary || (cpu.interruptibility & Interruptibility.NMI) !== 0) return false;
    if (this.vmx.services.currentDelivery(cpu) !== null) return false;
    return cpu.curInsn.opcode === 0xcf;
  }

  /** Start an exit: reset the exit information. */
  private info(reason: number, qualification: number, atInstruction: boolean) {
    return this.vmx.exitInfo.reset(reason, qualification, atInstruction);
  }

  private exitInsn(reason: number, len: number, qualification = 0): never {
    this.info(reason, qualification, true).instructionLength = len;
    return this.vmx.exitAndUnwind();
  }

  private readBit(hpa: number, bit: number): boolean {
    const ram = this.vmx.cpu.phys.ram;
    const a = hpa + (bit >>> 3);
    if (a >= ram.length) return true;
    return ((ram[a]! >>> (bit & 7)) & 1) !== 0;
  }

  // ------------------------------------------------------------------ unconditional / simple exits

  cpuid(len: number): void { this.exitInsn(R.CPUID, len); }
  invd(len: number): void { this.exitInsn(R.INVD, len); }
  vmcall(len: number): void { this.exitInsn(R.VMCALL, len); }
  xsetbv(len: number): void { this.exitInsn(R.XSETBV, len); }

  hlt(len: number): void { if ((this.proc & ProcCtl.HLT_EXITING) !== 0) this.exitInsn(R.HLT, len); }
  rdpmc(len: number): void { if ((this.proc & ProcCtl.RDPMC_EXITING) !== 0) this.exitInsn(R.RDPMC, len); }
  /** RDTSC: exits with "RDTSC exiting"; otherwise the CPU adds `cpu.tscOffset`, which VM entry set
   *  to root offset + TSC_OFFSET when "use TSC offsetting" is 1. */
  rdtsc(len: number): void { if ((this.proc & ProcCtl.RDTSC_EXITING) !== 0) this.exitInsn(R.RDTSC, len); }
  mwait(len: number): void { if ((this.proc & ProcCtl.MWAIT_EXITING) !== 0) this.exitInsn(R.MWAIT, len); }
  monitor(len: number): void { if ((this.proc & ProcCtl.MONITOR_EXITING) !== 0) this.exitInsn(R.MONITOR, len); }
  pause(len: number): void { if ((this.proc & ProcCtl.PAUSE_EXITING) !== 0) this.exitInsn(R.PAUSE, len); }
  wbinvd(len: number): void { if ((this.proc2 & ProcCtl2.WBINVD_EXITING) !== 0) this.exitInsn(R.WBINVD, len); }

  invlpg(len: number, linearAddress: number, _insn: Insn): void {
    if ((this.proc & ProcCtl.INVLPG_EXITING) !== 0) this.exitInsn(R.INVLPG, len, linearAddress >>> 0);
  }

  /** VMX instructions in non-root operation always exit; memory forms report the displacement
   *  and VM-exit instruction information. */
  vmxInstruction(reason: number, len: number, insn: Insn): void {
    // VMFUNC: "enable VM functions" cannot be 1 on this processor, so VMFUNC is #UD.
    if (reason === R.VMFUNC) this.cpu.raiseFault(6);
    const hasOperand = reason !== R.VMLAUNCH && reason !== R.VMRESUME && reason !== R.VMXOFF && reason !== R.VMCALL;
    const info = this.info(reason, hasOperand ? displacementQualification(insn, insn.disp) : 0, true);
    info.instructionLength = len;
    if (hasOperand) info.instructionInfo = packInstructionInfo(insn, insn.reg);
    this.vmx.exitAndUnwind();
  }

  // ------------------------------------------------------------------ control registers

  movToCr(len: number, cr: number, gpr: number, value: number): number {
    if (cr === 0 || cr === 4) {
      const mask = cr === 0 ? this.cr0Mask : this.cr4Mask;
      const shadow = cr === 0 ? this.cr0Shadow : this.cr4Shadow;
      if (((value ^ shadow) & mask) !== 0) this.exitInsn(R.CR_ACCESS, len, packCrAccess(cr, 0, false, gpr, 0));
      const cur = cr === 0 ? this.cpu.cr0 : this.cpu.cr4;
      const next = (value & ~mask) | (cur & mask);
      // Bits fixed in VMX operation cannot change (#GP), except CR0.PE/PG with unrestricted guest.
      const caps = this.vmx.caps;
      let f0 = cr === 0 ? caps.cr0Fixed0 : caps.cr4Fixed0;
      const f1 = cr === 0 ? caps.cr0Fixed1 : caps.cr4Fixed1;
      if (cr === 0 && (this.proc2 & ProcCtl2.UNRESTRICTED_GUEST) !== 0) f0 &= 0x7ffffffe;
      if ((next & f0) !== f0 || (next & ~f1) !== 0) this.cpu.raiseFault(13, 0);
      return next;
    }
    if (cr === 3 && (this.proc & ProcCtl.CR3_LOAD_EXITING) !== 0) {
      let hit = false;
      for (let i = 0; i < this.cr3TargetCount && i < 4; i++) if (this.cr3Targets[i] === (value | 0)) hit = true;
      if (!hit) this.exitInsn(R.CR_ACCESS, len, packCrAccess(3, 0, false, gpr, 0));
    }
    return value;
  }

  movFromCr(len: number, cr: number, gpr: number, value: number): number {
    if (cr === 0) return (value & ~this.cr0Mask) | (this.cr0Shadow & this.cr0Mask);
    if (cr === 4) return (value & ~this.cr4Mask) | (this.cr4Shadow & this.cr4Mask);
    if (cr === 3 && (this.proc & ProcCtl.CR3_STORE_EXITING) !== 0) {
      this.exitInsn(R.CR_ACCESS, len, packCrAccess(3, 1, false, gpr, 0));
    }
    return value;
  }

  clts(len: number): void {
    if ((this.cr0Mask & 8) !== 0 && (this.cr0Shadow & 8) !== 0) this.exitInsn(R.CR_ACCESS, len, packCrAccess(0, 2, false, 0, 0));
  }

  lmsw(len: number, source: number, memLinear: number, _insn: Insn): number {
    const mask = this.cr0Mask & 0xf;
    const shadow = this.cr0Shadow;
    const exit = ((mask & 1) !== 0 && (source & 1) !== 0 && (shadow & 1) === 0) ||
      (((source ^ shadow) & mask & 0xe) !== 0);
    if (exit) {
      const info = this.info(R.CR_ACCESS, packCrAccess(0, 3, memLinear >= 0, 0, source), true);
      info.instructionLength = len;
      if (memLinear >= 0) info.guestLinear = memLinear >>> 0;
      this.vmx.exitAndUnwind();
    }
    return (source & ~mask) | (this.cpu.cr0 & mask);
  }

  movDr(len: number, dr: number, gpr: number, toDr: boolean): void {
    if ((this.proc & ProcCtl.MOV_DR_EXITING) !== 0) this.exitInsn(R.DR_ACCESS, len, packMovDr(dr, toDr, gpr));
  }

  // ------------------------------------------------------------------ I/O and MSRs

  /** Does an access to ports [port, port+size) cause an exit? (SDM "I/O Instructions"). */
  ioExits(port: number, size: number): boolean {
    if ((this.proc & ProcCtl.USE_IO_BITMAPS) === 0) return (this.proc & ProcCtl.UNCONDITIONAL_IO_EXITING) !== 0;
    for (let p = port; p < port + size; p++) {
      if (p > 0xffff) return true; // wraps around the I/O space
      if (this.readBit(p < 0x8000 ? this.ioBitmapA : this.ioBitmapB, p & 0x7fff)) return true;
    }
    return false;
  }

  io(len: number, port: number, size: number, isIn: boolean, isString: boolean, isRep: boolean,
     isImmediate: boolean, linear: number, insn: Insn): void {
    if (!this.ioExits(port & 0xffff, size)) return;
    const info = this.info(R.IO_INSTRUCTION, packIo(size, isIn, isString, isRep, isImmediate, port), true);
    info.instructionLength = len;
    if (isString) {
      info.guestLinear = linear >>> 0;
      info.instructionInfo = packIoInstructionInfo(insn.adsize, isIn ? 0 : insn.seg);
    }
    this.vmx.exitAndUnwind();
  }

  /** Does RDMSR/WRMSR of `msr` exit? Bitmaps: read-low 0, read-high 1024, write-low 2048,
   *  write-high 3072; MSRs outside 0-1FFFH and C0000000H-C0001FFFH always exit. */
  msrExits(msr: number, write: boolean): boolean {
    if ((this.proc & ProcCtl.USE_MSR_BITMAPS) === 0) return true;
    const m = msr >>> 0;
    let base: number;
    if (m <= 0x1fff) base = write ? 2048 : 0;
    else if (m >= 0xc0000000 && m <= 0xc0001fff) base = write ? 3072 : 1024;
    else return true;
    return this.readBit(this.msrBitmap + base, m & 0x1fff);
  }

  rdmsr(len: number, msr: number): void { if (this.msrExits(msr, false)) this.exitInsn(R.MSR_READ, len); }
  wrmsr(len: number, msr: number): void { if (this.msrExits(msr, true)) this.exitInsn(R.MSR_WRITE, len); }

  descriptorTable(reason: 46 | 47, len: number, insn: Insn, displacement: number): void {
    if ((this.proc2 & ProcCtl2.DESCRIPTOR_TABLE_EXITING) === 0) return;
    const info = this.info(reason, displacementQualification(insn, displacement), true);
    info.instructionLength = len;
    info.instructionInfo = packInstructionInfo(insn, 0, insn.reg & 3, insn.opsize === 32);
    this.vmx.exitAndUnwind();
  }

  taskSwitch(len: number, selector: number, source: number): void {
    const info = this.info(R.TASK_SWITCH, packTaskSwitch(selector, source), true);
    if (source !== 3) info.instructionLength = len;
    this.vmx.exitAndUnwind();
  }

  // ------------------------------------------------------------------ events

  exception(vector: number, type: EventType, hasErrorCode: boolean, errorCode: number, len: number): void {
    const cpu = this.cpu;
    if (type === EventType.NMI) {
      if ((this.pin & PinCtl.NMI_EXITING) !== 0) {
        cpu.interruptibility &= ~Interruptibility.NMI; // the NMI was not delivered to the guest
        const info = this.info(R.EXCEPTION_NMI, 0, true);
        info.intrInfo = packInterruptionInfo(2, EventType.NMI, false);
        info.blockNmi = true;
        this.vmx.exitAndUnwind();
      }
      this.eventDelivered();
      return;
    }
    if (type !== EventType.SOFTWARE_INTERRUPT && type !== EventType.EXTERNAL_INTERRUPT) {
      let exit = ((this.exceptionBitmap >>> vector) & 1) !== 0;
      if (vector === 14 && type === EventType.HARDWARE_EXCEPTION) {
        if ((errorCode & this.pfMask) !== this.pfMatch) exit = !exit;
      }
      if (exit) {
        const qual = vector === 14 ? cpu.mmu.faultLinear >>> 0 : vector === 1 ? cpu.dr[6]! & 0x600f : 0;
        const info = this.info(R.EXCEPTION_NMI, qual, true);
        // Real-mode delivery pushes no error code.
        const withErr = hasErrorCode && type === EventType.HARDWARE_EXCEPTION && (cpu.cr0 & 1) !== 0;
        info.intrInfo = packInterruptionInfo(vector, type, withErr, type === EventType.HARDWARE_EXCEPTION && vector !== 8 && this.nmiUnblockedByIret());
        info.intrErrorCode = withErr ? errorCode : 0;
        if (type === EventType.SOFTWARE_EXCEPTION || type === EventType.PRIVILEGED_SOFTWARE_EXCEPTION) info.instructionLength = len;
        this.vmx.exitAndUnwind();
      }
    }
    this.eventDelivered();
  }

  tripleFault(): void {
    this.info(R.TRIPLE_FAULT, 0, true);
    this.vmx.exitAndUnwind();
  }

  instructionBoundary(): void {
    const cpu = this.cpu;
    const proc = this.proc;
    const intr0 = cpu.interruptibility;
    this.nmiBlockedAtBoundary = (intr0 & Interruptibility.NMI) !== 0;
    // INIT (SDM "Signals"): in VMX non-root operation an INIT signal always causes a VM exit; it has
    // priority over MTF, the preemption timer, NMIs and external interrupts.
    if (cpu.initPending === true) {
      cpu.initPending = false;
      this.info(R.INIT_SIGNAL, 0, false);
      this.vmx.exitAndUnwind();
    }
    // Fast path for the common quiet boundary (e.g. interrupt-window exiting armed while the
    // guest runs with IF = 0): no MTF, NMI-window, timer or interrupt source, no NMI blocking to
    // track, and the interrupt window closed. Then nothing below can fire and updateEventCheck()
    // reduces to "interrupt-window exiting is armed". While IF = 0 keeps the window closed, a CPU
    // that re-arms `eventCheck` when IF becomes 1 (`eventCheckOnIf`, src/cpu/cpu.ts) need not
    // call us again until then; intc, NMI delivery and VM entry set `eventCheck` themselves.
    if ((proc & (ProcCtl.MONITOR_TRAP_FLAG | ProcCtl.NMI_WINDOW_EXITING)) === 0 && !this.timerActive &&
        cpu.intc === null && (intr0 & Interruptibility.NMI) === 0) {
      if ((proc & ProcCtl.INTERRUPT_WINDOW_EXITING) === 0) {
        this.mtfPending = false;
        cpu.eventCheck = false;
        return;
      }
      const ifSet = interruptFlag(cpu);
      if (!ifSet || (intr0 & (Interruptibility.STI | Interruptibility.MOV_SS)) !== 0) {
        this.mtfPending = false;
        cpu.eventCheck = ifSet || (cpu as { readonly eventCheckOnIf?: boolean }).eventCheckOnIf !== true;
        return;
      }
    }
    // Pending MTF VM exit: after an instruction or an event delivery.
    if ((proc & ProcCtl.MONITOR_TRAP_FLAG) !== 0 && (this.mtfPending || cpu.instructionsRetired !== this.retiredAtEntry)) {
      this.mtfPending = false;
      this.info(R.MONITOR_TRAP_FLAG, 0, false);
      this.vmx.exitAndUnwind();
    }
    this.mtfPending = false;
    if (this.timerActive && this.timerTicks() - this.timerStart >= this.timerValue) {
      this.info(R.PREEMPTION_TIMER, 0, false);
      this.vmx.exitAndUnwind();
    }
    const intr = cpu.interruptibility;
    if ((proc & ProcCtl.NMI_WINDOW_EXITING) !== 0 && (intr & (Interruptibility.NMI | Interruptibility.MOV_SS)) === 0) {
      this.info(R.NMI_WINDOW, 0, false);
      this.vmx.exitAndUnwind();
    }
    const ifSet = interruptFlag(cpu);
    const shadow = (intr & (Interruptibility.STI | Interruptibility.MOV_SS)) !== 0;
    if ((proc & ProcCtl.INTERRUPT_WINDOW_EXITING) !== 0 && ifSet && !shadow) {
      this.info(R.INTERRUPT_WINDOW, 0, false);
      this.vmx.exitAndUnwind();
    }
    const intc = cpu.intc;
    if (intc !== null && !shadow && intc.pending()) {
      if ((this.pin & PinCtl.EXTERNAL_INTERRUPT_EXITING) !== 0) {
        const info = this.info(R.EXTERNAL_INTERRUPT, 0, false);
        if ((this.exitCtl & ExitCtl.ACKNOWLEDGE_INTERRUPT_ON_EXIT) !== 0) {
          info.intrInfo = packInterruptionInfo(intc.acknowledge(), EventType.EXTERNAL_INTERRUPT, false);
        }
        this.vmx.exitAndUnwind();
      }
      if (ifSet) {
        const vector = intc.acknowledge();
        cpu.insnStart = cpu.eip;
        cpu.insnEsp = cpu.regs[4]!;
        this.eventDelivered();
        this.vmx.services.deliverEvent(cpu, vector, EventType.EXTERNAL_INTERRUPT, false, 0, 0);
      }
    }
    this.updateEventCheck();
  }

  // ------------------------------------------------------------------ EPT

  translateGuestPhysical(gpa: number, access: number, linear: number): number {
    if (!this.eptEnabled) return gpa;
    const w = this.walk;
    const cpu = this.cpu;
    eptWalkInto(w, cpu.phys, this.eptpLo, gpa, access, this.eptFlags);
    if (w.status === EptStatus.OK) return w.hpa;
    if (w.status === EptStatus.VIOLATION && this.mmioWindow !== null && this.mmioWindow(gpa)) {
      return MMIO_HPA_BASE + gpa;
    }
    if (w.status === EptStatus.MISCONFIG) {
      this.info(R.EPT_MISCONFIG, 0, true).guestPhysical = gpa;
      return this.vmx.exitAndUnwind();
    }
    let acc = access & 7;
    if ((access & Access.PAGE_WALK) !== 0 && (this.eptpLo & 0x40) !== 0) acc |= Access.WRITE;
    let linearInfo = 0;
    if ((access & Access.LINEAR_VALID) !== 0) {
      linearInfo = 0x80 | ((access & Access.PAGE_WALK) === 0 ? 0x100 : 0);
    }
    const info = this.info(R.EPT_VIOLATION, packEptViolation(acc, w.rwx, linearInfo, this.nmiUnblockedByIret()), true);
    info.guestPhysical = gpa;
    if ((access & Access.LINEAR_VALID) !== 0) info.guestLinear = linear >>> 0;
    return this.vmx.exitAndUnwind();
  }
}
