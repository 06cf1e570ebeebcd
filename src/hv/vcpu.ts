/**
 * The built-in hypervisor: VMX root software written in TypeScript, doing for one vCPU what KVM's
 * vmx.c does. It puts the processor in VMX operation, builds the VMCS (controls, host state, guest
 * state), the EPT tables, the I/O and MSR bitmaps; enters the guest; handles each VM exit in one
 * exhaustive switch; injects interrupts at VM entry through the interrupt window; and re-enters.
 *
 * Like KVM it works with the processor only through VMX operations (VMXON, VMPTRLD, VMREAD,
 * VMWRITE, VMLAUNCH/VMRESUME, INVEPT) and, after a VM exit, with the guest's general-purpose
 * registers, which VM exits leave in the processor (KVM saves them right after the exit).
 *
 * Port I/O (bitmaps select every port, as KVM does) goes to the machine's I/O space. MMIO is an
 * EPT violation on an unmapped guest-physical page; the instruction is then completed against the
 * device bus, as KVM's instruction emulator does — here by re-executing that single instruction
 * with an "MMIO window" open (the processor routes that access to the bus instead of exiting).
 * String I/O (INS/OUTS, REP) is completed the same way.
 *
 * Does not model: more than one vCPU, nested VMX for the guest (CPUID hides VMX from it), guest
 * A20 masking (tracked, not applied, as under KVM).
 */
import { Cpu } from '../cpu/cpu.js';
import { Activity, Flag, Interruptibility, Reg, StopReason, Vec } from '../cpu/state.js';
import { EventType } from '../cpu/vmx-hooks.js';
import type { VirtualClock } from '../machine/clock.js';
import type { Pc } from '../machine/pc.js';
import type { ProbeRegistry } from '../probes/registry.js';
import type { ProbeSite } from '../probes/site.js';
import { VmcsField as F } from '../vmx/fields.js';
import { EntryCtl, ExitCtl, ExitReason as Exit, PinCtl, ProcCtl, ProcCtl2, type BasicExitReason } from '../vmx/controls.js';
import { Vmx, type VmResult } from '../vmx/vmx.js';
import type { Vmcs } from '../vmx/vmcs.js';
import { MMIO_HPA_BASE } from '../vmx/ept.js';
import { buildEpt } from './ept-map.js';
import type { ExitStats } from './exit-stats.js';
import { exitReasonName } from '../vmx/exit-reasons.js';
import type { InterruptController, IoBus } from '../devices/device.js';
import type { PhysicalMemory } from '../memory/physical.js';
import type { AccessSize, HostPhysAddr } from '../memory/types.js';

/** A VM exit as the hypervisor saw it: the payload of `vmx:::exit` and of the `vmexit` event. */
export interface ExitEvent {
  vcpu: number;
  /** Ordinal of this exit over the machine's life (1-based). */
  seq: number;
  /** Basic exit reason (bits 15:0 of VM_EXIT_REASON). */
  reason: number;
  /** The whole VM_EXIT_REASON field (bit 31: VM-entry failure). */
  fullReason: number;
  qualification: number;
  guestRip: number;
  guestPhysical: number;
  guestLinear: number;
  instructionLength: number;
  instructionInfo: number;
  interruptionInfo: number;
  interruptionErrorCode: number;
  /** Virtual time of the exit (ns). */
  time: number;
  /** The VMCS, for assertions (read fields by SDM name). */
  vmcs: Vmcs;
}

export type VcpuStop =
  | { kind: 'ok' }
  | { kind: 'halted-forever' }
  | { kind: 'triple-fault'; lastException: string; vector: number; errorCode: number; cs: number; eip: number }
  | { kind: 'breakpoint'; exit: ExitEvent }
  | { kind: 'error'; message: string };

const STOP_OK: VcpuStop = Object.freeze({ kind: 'ok' as const });
const STOP_HALTED: VcpuStop = Object.freeze({ kind: 'halted-forever' as const });

export interface VcpuOptions {
  id: number;
  machine: { name: string; readonly stopping: boolean; emit(event: 'vmexit', e: ExitEvent): boolean; emit(event: 'vmentry', vcpu: number, rip: number): boolean; readonly listening: { vmexit: boolean; vmentry: boolean } };
  pc: Pc;
  clock: VirtualClock;
  stats: ExitStats;
  probes: ProbeRegistry;
  /** Virtual time one VM-exit round trip costs (exit, handling, entry), in ns. */
  vmexitCostNs: number;
}

// Host-area layout (offsets from pc.hvBase).
const HV_VMXON = 0x0000;
const HV_VMCS = 0x1000;
const HV_IO_BITMAP_A = 0x2000;
const HV_IO_BITMAP_B = 0x3000;
const HV_MSR_BITMAP = 0x4000;
const HV_GDT = 0x5000;
const HV_TSS = 0x5100;
const HV_IDT = 0x5800;
const HV_PAGEDIR = 0x6000;
const HV_STACK_TOP = 0x8000;
const HV_CODE = 0x8000;
const HV_EPT = 0x10000;

const VPID = 1;
const CR0_NE = 0x20;
const CR4_VMXE = 0x2000;
const EXCEPTION_NAMES = ['#DE', '#DB', 'NMI', '#BP', '#OF', '#BR', '#UD', '#NM', '#DF', 'CSO', '#TS', '#NP', '#SS', '#GP', '#PF', '#15', '#MF', '#AC', '#MC', '#XM', '#VE'];

/** The host's interrupt line used to kick the vCPU out of the guest (an external interrupt). */
class KickLine implements InterruptController {
  raised = false;
  pending(): boolean {
    return this.raised;
  }
  acknowledge(): number {
    this.raised = false;
    return 0xf0; // the host's "reschedule" vector, as an IPI to a running vCPU on KVM
  }
}

export class Vcpu {
  readonly id: number;
  readonly cpu: Cpu;
  readonly vmx: Vmx;
  private readonly pc: Pc;
  private readonly clock: VirtualClock;
  private readonly vmexitCostNs: number;
  private readonly stats: ExitStats;
  private readonly machine: VcpuOptions['machine'];
  private readonly kick = new KickLine();
  private launched = false;
  /** A kick was sent for the pending guest interrupt; cleared when the interrupt is taken. */
  private kickPending = false;
  private inGuest = false;
  private halted = false;
  private exitSeq = 0;
  /** Host time of the last VM exit (performance.now() ms), -1 once re-entered. */
  private exitStartMs = -1;
  /** The exit being handled: one record, refilled at every exit (no allocation per exit). */
  private readonly ev: ExitEvent = { vcpu: 0, seq: 0, reason: 0, fullReason: 0, qualification: 0, guestRip: 0, guestPhysical: 0, guestLinear: 0, instructionLength: 0, instructionInfo: 0, interruptionInfo: 0, interruptionErrorCode: 0, time: 0, vmcs: null as unknown as Vmcs };
  private lastExitReason = -1;
  /** An exit stopped at by `stopAt`, handled at the start of the next slice. */
  private deferred: ExitEvent | null = null;
  /** A hardware exception the hypervisor wants delivered at the next VM entry (#GP for a bad MSR). */
  private pendingException = -1;
  private pendingErrorCode = 0;
  /** Guest MSRs the hypervisor emulates (KVM's vcpu->arch MSR state). */
  private readonly guestMsrs = new Map<number, [number, number]>();
  /** Probe sites. */
  private readonly pExit: ProbeSite;
  private readonly pEntry: ProbeSite;
  private readonly pEntryFailure: ProbeSite;
  private readonly pInject: ProbeSite;
  private readonly pEptViolation: ProbeSite;
  private readonly pEptMisconfig: ProbeSite;
  private readonly pPioIn: ProbeSite;
  private readonly pPioOut: ProbeSite;
  private readonly pMmioRead: ProbeSite;
  private readonly pMmioWrite: ProbeSite;

  constructor(o: VcpuOptions) {
    this.id = o.id;
    this.ev.vcpu = o.id;
    this.pc = o.pc;
    this.clock = o.clock;
    this.stats = o.stats;
    this.machine = o.machine;
    const pc = o.pc;
    const fn = `vcpu${o.id}`;
    const mod = o.machine.name;
    const p = o.probes;
    this.pExit = p.site('vmx', mod, fn, 'exit');
    this.pEntry = p.site('vmx', mod, fn, 'entry');
    this.pEntryFailure = p.site('vmx', mod, fn, 'entry-failure');
    this.pInject = p.site('vmx', mod, fn, 'inject');
    this.pEptViolation = p.site('ept', mod, fn, 'violation');
    this.pEptMisconfig = p.site('ept', mod, fn, 'misconfig');
    const pioIn = (this.pPioIn = p.site('pio', mod, fn, 'in'));
    const pioOut = (this.pPioOut = p.site('pio', mod, fn, 'out'));
    const mmioRead = (this.pMmioRead = p.site('mmio', mod, fn, 'read'));
    const mmioWrite = (this.pMmioWrite = p.site('mmio', mod, fn, 'write'));

    // The processor's physical memory is host memory. Host-physical addresses at MMIO_HPA_BASE
    // and above are the MMIO window: the guest-physical bus, reached only while the hypervisor
    // completes an instruction that exited on an EPT violation.
    const mem = pc.mem;
    const phys: PhysicalMemory = {
      ram: pc.host,
      readSlow(addr: HostPhysAddr, size: AccessSize): number {
        if (addr >= MMIO_HPA_BASE) {
          const gpa = addr - MMIO_HPA_BASE;
          const v = mem.read(gpa, size);
          if (mmioRead.enabled) mmioRead.fire(size, gpa, v);
          return v;
        }
        return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
      },
      writeSlow(addr: HostPhysAddr, size: AccessSize, value: number): void {
        if (addr >= MMIO_HPA_BASE) {
          const gpa = addr - MMIO_HPA_BASE;
          if (mmioWrite.enabled) mmioWrite.fire(size, gpa, value);
          mem.write(gpa, size, value);
        }
      },
    };
    // Its I/O bus is the machine's I/O space, used when the hypervisor lets an I/O instruction
    // through (string I/O completion).
    const pio = pc.io;
    const io: IoBus = {
      in(port: number, size: AccessSize): number {
        const v = pio.in(port, size);
        if (pioIn.enabled) pioIn.fire(port, size, v, 1);
        return v;
      },
      out(port: number, size: AccessSize, value: number): void {
        if (pioOut.enabled) pioOut.fire(port, size, value, 1);
        pio.out(port, size, value);
      },
    };
    this.cpu = new Cpu(phys, io, null);
    this.cpu.clock = o.clock;
    this.cpu.probeException = p.site('cpu', mod, fn, 'exception');
    this.cpu.probeInterrupt = p.site('cpu', mod, fn, 'interrupt');
    // The TSC runs at 1 GHz of virtual time (1 cycle per ns), so instructions and VM-exit
    // round trips both show in guest-measured cycles.
    const clock = o.clock;
    this.cpu.tscSource = () => Math.floor(clock.now());
    this.vmexitCostNs = o.vmexitCostNs;
    this.cpu.featureControl = 0x5; // locked, VMX outside SMX enabled (as firmware leaves it)
    this.vmx = new Vmx(this.cpu);
    p.setVmcsReader(this.id, (name: string) => this.readVmcsByName(name));
    pc.setCodeInvalidator((gpa, len) => this.cpu.invalidateCode(gpa, len));
    mem.onChange(() => this.rebuildEpt());
    pc.onA20Change = () => this.rebuildEpt();

    this.enterVmxOperation();
  }

  // ------------------------------------------------------------------ set-up

  private hv(off: number): number {
    return this.pc.hvBase + off;
  }

  private w32(hpa: number, v: number): void {
    const r = this.pc.host;
    r[hpa] = v; r[hpa + 1] = v >>> 8; r[hpa + 2] = v >>> 16; r[hpa + 3] = v >>> 24;
  }

  /** Host state as a 32-bit protected-mode kernel with paging: GDT, TSS, identity page directory. */
  private buildHostTables(): void {
    const host = this.pc.host;
    const gdt = this.hv(HV_GDT);
    // 0x08 flat code, 0x10 flat data, 0x18 32-bit TSS (busy)
    const desc = (sel: number, lo: number, hi: number): void => { this.w32(gdt + sel, lo); this.w32(gdt + sel + 4, hi); };
    desc(0x08, 0x0000ffff, 0x00cf9b00);
    desc(0x10, 0x0000ffff, 0x00cf9300);
    const tss = this.hv(HV_TSS);
    desc(0x18, ((tss & 0xffff) << 16) | 0x67, (tss & 0xff000000) | ((tss >>> 16) & 0xff) | 0x8b00);
    // Identity map of the low 4 GiB with 4 MiB pages.
    const pd = this.hv(HV_PAGEDIR);
    for (let i = 0; i < 1024; i++) this.w32(pd + 4 * i, ((i << 22) | 0x83) >>> 0);
    host[this.hv(HV_CODE)] = 0xf4; // HOST_RIP: hlt — the TypeScript hypervisor runs instead
  }

  private enterVmxOperation(): void {
    const cpu = this.cpu;
    this.buildHostTables();
    // The host kernel: flat 32-bit protected mode with paging and CR4.VMXE.
    cpu.gdtr = { base: this.hv(HV_GDT), limit: 0x1f };
    cpu.idtr = { base: this.hv(HV_IDT), limit: 0x7ff };
    cpu.cr3 = this.hv(HV_PAGEDIR);
    cpu.cr4 = 0x10 | CR4_VMXE; // PSE, VMXE
    cpu.cr0 = 0x80000031; // PG, NE, ET, PE
    cpu.mmu.flushAll();
    cpu.setFlat(32, this.hv(HV_CODE), this.hv(HV_STACK_TOP));
    const caps = this.vmx.caps;
    this.w32(this.hv(HV_VMXON), caps.revisionId);
    this.check('VMXON', this.vmx.vmxon(this.hv(HV_VMXON)));
    const vmcs = this.vmx.region(this.hv(HV_VMCS));
    vmcs.initHeader(caps.revisionId);
    this.check('VMCLEAR', this.vmx.vmclear(this.hv(HV_VMCS)));
    this.check('VMPTRLD', this.vmx.vmptrld(this.hv(HV_VMCS)));
    this.setupControls();
    this.setupHostState();
    this.rebuildEpt();
  }

  private check(what: string, r: VmResult): void {
    if (r.kind !== 'VMsucceed') throw new Error(`hypervisor: ${what} failed: ${JSON.stringify(r)}`);
  }

  private get vmcs(): Vmcs {
    return this.vmx.vmcs;
  }

  private wr(field: number, value: number): void {
    const err = this.vmcs.vmwrite(field, value);
    if (err !== 0) throw new Error(`hypervisor: VMWRITE 0x${field.toString(16)} failed with error ${err}`);
  }

  private rd(field: number): number {
    return this.vmcs.vmread(field) >>> 0;
  }

  /** KVM's adjust_vmx_controls: required bits from allowed-0, refuse what allowed-1 forbids. */
  private adjust(msr: number, wanted: number, name: string): number {
    const v = this.vmx.caps.readMsr(msr);
    if (v === undefined) throw new Error(`hypervisor: capability MSR 0x${msr.toString(16)} missing`);
    const [allowed0, allowed1] = v;
    if ((wanted & ~allowed1) !== 0) throw new Error(`hypervisor: ${name} bits 0x${(wanted & ~allowed1).toString(16)} not supported by this processor`);
    return (wanted | allowed0) & allowed1;
  }

  private setupControls(): void {
    const host = this.pc.host;
    this.wr(F.PIN_BASED_VM_EXEC_CONTROL, this.adjust(0x48d, PinCtl.EXTERNAL_INTERRUPT_EXITING | PinCtl.NMI_EXITING, 'pin-based controls'));
    this.procBased = this.adjust(0x48e, ProcCtl.HLT_EXITING | ProcCtl.USE_IO_BITMAPS | ProcCtl.USE_MSR_BITMAPS | ProcCtl.ACTIVATE_SECONDARY_CONTROLS, 'processor-based controls');
    this.wr(F.CPU_BASED_VM_EXEC_CONTROL, this.procBased);
    this.wr(F.SECONDARY_VM_EXEC_CONTROL, this.adjust(0x48b, ProcCtl2.ENABLE_EPT | ProcCtl2.UNRESTRICTED_GUEST | ProcCtl2.ENABLE_VPID, 'secondary controls'));
    this.wr(F.VM_EXIT_CONTROLS, this.adjust(0x48f, ExitCtl.ACKNOWLEDGE_INTERRUPT_ON_EXIT | ExitCtl.SAVE_IA32_PAT | ExitCtl.LOAD_IA32_PAT | ExitCtl.SAVE_IA32_EFER | ExitCtl.LOAD_IA32_EFER, 'VM-exit controls'));
    this.wr(F.VM_ENTRY_CONTROLS, this.adjust(0x490, EntryCtl.LOAD_IA32_PAT | EntryCtl.LOAD_IA32_EFER, 'VM-entry controls'));
    this.wr(F.EXCEPTION_BITMAP, 0);
    this.wr(F.PAGE_FAULT_ERROR_CODE_MASK, 0);
    this.wr(F.PAGE_FAULT_ERROR_CODE_MATCH, 0);
    this.wr(F.CR3_TARGET_COUNT, 0);
    // Every port exits (as KVM's I/O bitmaps): the device model lives in the hypervisor.
    host.fill(0xff, this.hv(HV_IO_BITMAP_A), this.hv(HV_IO_BITMAP_A) + 0x2000);
    this.wr(F.IO_BITMAP_A, this.hv(HV_IO_BITMAP_A));
    this.wr(F.IO_BITMAP_B, this.hv(HV_IO_BITMAP_B));
    // MSR bitmap: SYSENTER_CS/ESP/EIP pass through (their guest values are VMCS guest state);
    // everything else exits and is emulated here.
    const mb = this.hv(HV_MSR_BITMAP);
    host.fill(0xff, mb, mb + 0x1000);
    for (const msr of [0x174, 0x175, 0x176]) {
      host[mb + (msr >> 3)]! &= ~(1 << (msr & 7));
      host[mb + 0x800 + (msr >> 3)]! &= ~(1 << (msr & 7));
    }
    this.wr(F.MSR_BITMAP, mb);
    this.wr(F.VIRTUAL_PROCESSOR_ID, VPID);
    this.wr(F.VMCS_LINK_POINTER, 0xffffffff);
    this.wr(F.VMCS_LINK_POINTER_HIGH, 0xffffffff);
    // Guest CR0.NE and CR4.VMXE are forced on by VMX; the guest sees its own values in the shadows.
    this.wr(F.CR0_GUEST_HOST_MASK, CR0_NE);
    this.wr(F.CR4_GUEST_HOST_MASK, CR4_VMXE);
    this.wr(F.VM_EXIT_MSR_STORE_COUNT, 0);
    this.wr(F.VM_EXIT_MSR_LOAD_COUNT, 0);
    this.wr(F.VM_ENTRY_MSR_LOAD_COUNT, 0);
    this.wr(F.VM_ENTRY_INTR_INFO_FIELD, 0);
  }

  private procBased = 0;

  private setupHostState(): void {
    const cpu = this.cpu;
    this.wr(F.HOST_CR0, cpu.cr0);
    this.wr(F.HOST_CR3, cpu.cr3);
    this.wr(F.HOST_CR4, cpu.cr4);
    this.wr(F.HOST_ES_SELECTOR, 0x10);
    this.wr(F.HOST_CS_SELECTOR, 0x08);
    this.wr(F.HOST_SS_SELECTOR, 0x10);
    this.wr(F.HOST_DS_SELECTOR, 0x10);
    this.wr(F.HOST_FS_SELECTOR, 0x10);
    this.wr(F.HOST_GS_SELECTOR, 0x10);
    this.wr(F.HOST_TR_SELECTOR, 0x18);
    this.wr(F.HOST_FS_BASE, 0);
    this.wr(F.HOST_GS_BASE, 0);
    this.wr(F.HOST_TR_BASE, this.hv(HV_TSS));
    this.wr(F.HOST_GDTR_BASE, this.hv(HV_GDT));
    this.wr(F.HOST_IDTR_BASE, this.hv(HV_IDT));
    this.wr(F.HOST_IA32_SYSENTER_CS, 0);
    this.wr(F.HOST_IA32_SYSENTER_ESP, 0);
    this.wr(F.HOST_IA32_SYSENTER_EIP, 0);
    this.wr(F.HOST_IA32_PAT, 0x00070406);
    this.wr(F.HOST_IA32_PAT_HIGH, 0x00070406);
    this.wr(F.HOST_IA32_EFER, 0);
    this.wr(F.HOST_IA32_EFER_HIGH, 0);
    this.wr(F.HOST_RSP, this.hv(HV_STACK_TOP));
    this.wr(F.HOST_RIP, this.hv(HV_CODE));
  }

  /** (Re)build EPT from the flattened guest-physical map; INVEPT the old translations. */
  private rebuildEpt(): void {
    const eptp = buildEpt(this.cpu.phys, this.hv(HV_EPT), this.pc.hvSize - HV_EPT, this.pc.mem.flatView(), this.pc.a20);
    this.wr(F.EPT_POINTER, eptp);
    this.wr(F.EPT_POINTER_HIGH, 0);
    this.vmx.invept(1, eptp);
  }

  // ------------------------------------------------------------------ guest reset states

  private setSeg(base: number, sel: number, segBase: number, limit: number, ar: number): void {
    // Selector, limit, AR and base fields of one guest segment register (ES, CS, SS, DS, FS, GS,
    // LDTR, TR are 0x0800 + 2n, 0x4800 + 2n, 0x4814 + 2n, 0x6806 + 2n).
    this.wr(F.GUEST_ES_SELECTOR + 2 * base, sel);
    this.wr(F.GUEST_ES_LIMIT + 2 * base, limit);
    this.wr(F.GUEST_ES_AR_BYTES + 2 * base, ar);
    this.wr(F.GUEST_ES_BASE + 2 * base, segBase);
  }

  private commonGuestState(cr0: number, cr4: number): void {
    this.wr(F.GUEST_CR0, cr0 | CR0_NE);
    this.wr(F.CR0_READ_SHADOW, cr0);
    this.wr(F.GUEST_CR4, cr4 | CR4_VMXE);
    this.wr(F.CR4_READ_SHADOW, cr4);
    this.wr(F.GUEST_CR3, 0);
    this.wr(F.GUEST_DR7, 0x400);
    this.wr(F.GUEST_RFLAGS, 0x2);
    this.wr(F.GUEST_LDTR_SELECTOR, 0);
    this.wr(F.GUEST_LDTR_BASE, 0);
    this.wr(F.GUEST_LDTR_LIMIT, 0xffff);
    this.wr(F.GUEST_LDTR_AR_BYTES, 0x82);
    this.wr(F.GUEST_TR_SELECTOR, 0);
    this.wr(F.GUEST_TR_BASE, 0);
    this.wr(F.GUEST_TR_LIMIT, 0xffff);
    this.wr(F.GUEST_TR_AR_BYTES, 0x8b);
    this.wr(F.GUEST_IDTR_BASE, 0);
    this.wr(F.GUEST_IDTR_LIMIT, 0x3ff);
    this.wr(F.GUEST_SYSENTER_CS, 0);
    this.wr(F.GUEST_SYSENTER_ESP, 0);
    this.wr(F.GUEST_SYSENTER_EIP, 0);
    this.wr(F.GUEST_IA32_PAT, 0x00070406);
    this.wr(F.GUEST_IA32_PAT_HIGH, 0x00070406);
    this.wr(F.GUEST_IA32_EFER, 0);
    this.wr(F.GUEST_IA32_EFER_HIGH, 0);
    this.wr(F.GUEST_INTERRUPTIBILITY_INFO, 0);
    this.wr(F.GUEST_ACTIVITY_STATE, 0);
    this.wr(F.GUEST_PENDING_DBG_EXCEPTIONS, 0);
    for (let r = 0; r < 8; r++) this.cpu.regs[r] = 0;
    this.launched = false;
    this.inGuest = false;
    this.halted = false;
  }

  /** Processor reset state (SDM "Processor State After Reset"): CS:IP = F000:FFF0, base FFFF0000. */
  resetToFirmware(): void {
    this.commonGuestState(0x60000010, 0);
    this.setSeg(1, 0xf000, 0xffff0000, 0xffff, 0x9b);
    for (const s of [0, 2, 3, 4, 5]) this.setSeg(s, 0, 0, 0xffff, 0x93);
    this.wr(F.GUEST_GDTR_BASE, 0);
    this.wr(F.GUEST_GDTR_LIMIT, 0xffff);
    this.wr(F.GUEST_RIP, 0xfff0);
    this.wr(F.GUEST_RSP, 0);
    this.cpu.regs[Reg.EDX] = 0x600; // family 6 in EDX after reset
  }

  /** Real mode at a linear address (flat binaries): CS = addr >> 4, IP = addr & 15, SP = 0x7C00. */
  resetToRealMode(addr: number): void {
    this.commonGuestState(0x60000010, 0);
    this.setSeg(1, addr >>> 4, (addr >>> 4) << 4, 0xffff, 0x9b);
    for (const s of [0, 2, 3, 4, 5]) this.setSeg(s, 0, 0, 0xffff, 0x93);
    this.wr(F.GUEST_GDTR_BASE, 0);
    this.wr(F.GUEST_GDTR_LIMIT, 0xffff);
    this.wr(F.GUEST_RIP, addr & 15);
    this.wr(F.GUEST_RSP, 0x7c00);
  }

  /**
   * 32-bit protected mode, paging off, flat 4 GiB segments, interrupts off — the multiboot
   * machine state (Multiboot Specification 3.2): EAX magic, EBX info address.
   */
  resetToProtectedMode(entry: number, regs: { eax?: number; ebx?: number }): void {
    this.commonGuestState(0x00000011, 0);
    this.setSeg(1, 0x08, 0, 0xffffffff, 0xc09b);
    for (const s of [0, 2, 3, 4, 5]) this.setSeg(s, 0x10, 0, 0xffffffff, 0xc093);
    this.wr(F.GUEST_GDTR_BASE, 0);
    this.wr(F.GUEST_GDTR_LIMIT, 0);
    this.wr(F.GUEST_RIP, entry);
    this.wr(F.GUEST_RSP, 0x7000);
    this.cpu.regs[Reg.EAX] = regs.eax ?? 0;
    this.cpu.regs[Reg.EBX] = regs.ebx ?? 0;
  }

  // ------------------------------------------------------------------ the run loop

  /**
   * Deliver an INIT signal to this vCPU (an INIT IPI from the local APIC). In VMX non-root
   * operation it causes an INIT-signal VM exit (reason 3) at the next instruction boundary.
   */
  signalInit(): void {
    this.cpu.initPending = true;
    this.cpu.eventCheck = true;
  }

  /** CS selector and EIP of the guest (for reports). */
  csEip(): { cs: number; eip: number } {
    if (this.inGuest) return { cs: this.cpu.seg[1]!.selector, eip: this.cpu.eip };
    return { cs: this.rd(F.GUEST_CS_SELECTOR), eip: this.rd(F.GUEST_RIP) };
  }

  /**
   * Run the guest for up to `budget` instructions: enter, execute, handle exits, re-enter.
   * Returns early when the guest halts for good, triple-faults, or a `stopAt` exit matches.
   */
  runSlice(budget: number, stopAt?: { reason?: number; count?: number; when?: (e: ExitEvent) => boolean }): VcpuStop {
    const cpu = this.cpu;
    const clock = this.clock;
    const target = cpu.instructionsRetired + budget;
    while (cpu.instructionsRetired < target) {
      if (this.deferred !== null) {
        const e = this.deferred;
        this.deferred = null;
        const r = this.handleExit(e);
        if (r !== null) return r;
        continue;
      }
      if (!this.inGuest) {
        // The machine is stopping (isa-debug-exit, a probe's exit(), requestStop): do not
        // re-enter the guest, so no instruction runs after the one that ended the run.
        if (this.machine.stopping) return STOP_OK;
        if (this.halted) {
          const r = this.wait();
          if (r !== null) return r;
          if (this.halted) continue;
        }
        const r = this.enter();
        if (r !== null) return r;
        continue;
      }
      // In the guest: run to the next timer deadline at most.
      let n = target - cpu.instructionsRetired;
      const next = clock.nextDeadline;
      if (next !== Infinity) {
        const until = Math.ceil((next - clock.now()) / clock.nsPerInstruction);
        if (until < n) n = until < 1 ? 1 : until;
      }
      const stop = cpu.run(n);
      clock.runDue();
      switch (stop) {
        case StopReason.VMEXIT: {
          this.inGuest = false;
          const e = this.readExit();
          if (stopAt && this.matches(e, stopAt)) {
            this.deferred = { ...e };
            return { kind: 'breakpoint', exit: this.deferred };
          }
          const r = this.handleExit(e);
          if (r !== null) return r;
          break;
        }
        case StopReason.BUDGET:
          break;
        case StopReason.REQUESTED:
          return STOP_OK;
        case StopReason.HALT:
        case StopReason.SHUTDOWN:
          // Root-mode halts cannot happen while the guest runs with HLT exiting.
          return { kind: 'error', message: `hypervisor: processor stopped in ${cpu.nonRoot ? 'non-root' : 'root'} operation (stop reason ${stop})` };
      }
      // A device raised an interrupt while the guest ran: kick the vCPU out once (an external
      // interrupt, as KVM's IPI to a running vCPU), unless the hypervisor already waits for the
      // guest's interrupt window or has kicked for this interrupt.
      if (this.inGuest && !this.kickPending && (this.procBased & ProcCtl.INTERRUPT_WINDOW_EXITING) === 0 && this.pc.intc.pending()) {
        this.kickPending = true;
        this.kick.raised = true;
        cpu.intc = this.kick;
        cpu.eventCheck = true;
      }
    }
    return STOP_OK;
  }

  private matches(e: ExitEvent, s: { reason?: number; count?: number; when?: (e: ExitEvent) => boolean }): boolean {
    if (s.reason !== undefined && e.reason !== s.reason) return false;
    if (s.count !== undefined && e.seq !== s.count) return false;
    if (s.when !== undefined && !s.when(e)) return false;
    return s.reason !== undefined || s.count !== undefined || s.when !== undefined;
  }

  /**
   * HLT: advance virtual time from timer to timer until an interrupt can be delivered. A guest
   * that halted with interrupts off, or with no timer left, is halted for good; so is one that
   * a million timer events in a row did not wake (every source it could wake on is masked) —
   * without that bound a halted guest with masked timers would spin the host forever.
   */
  private wait(): VcpuStop | null {
    const clock = this.clock;
    const intc = this.pc.intc;
    const rflags = this.rd(F.GUEST_RFLAGS);
    for (let guard = 0; guard < 1_000_000; guard++) {
      if (intc.pending() && (rflags & Flag.IF) !== 0) {
        this.halted = false;
        this.wr(F.GUEST_ACTIVITY_STATE, Activity.ACTIVE);
        return null;
      }
      if ((rflags & Flag.IF) === 0 || clock.nextDeadline === Infinity) return STOP_HALTED;
      clock.advanceTo(clock.nextDeadline);
      clock.runDue();
      if (this.machine.stopping) return STOP_OK;
    }
    return STOP_HALTED;
  }

  /** VM entry: inject what is pending, VMLAUNCH or VMRESUME. */
  private enter(): VcpuStop | null {
    const cpu = this.cpu;
    this.injectPending();
    const r = this.launched ? this.vmx.vmresume() : this.vmx.vmlaunch();
    if (r.kind === 'VMsucceed') {
      this.launched = true;
      this.inGuest = true;
      cpu.intc = null;
      this.noteEntry();
      return null;
    }
    if (r.kind === 'vmexit') {
      this.launched = true;
      // Entry failure (33/34 with bit 31) or an exit during event injection.
      const e = this.readExit();
      if ((e.fullReason & 0x80000000) !== 0) {
        if (this.pEntryFailure.enabled) this.pEntryFailure.fire(e.reason, e.qualification, e.guestRip);
        const chk = this.vmx.lastFailedCheck;
        return { kind: 'error', message: `VM entry failed: ${exitReasonName(e.reason)} (qualification ${e.qualification})${chk ? `: ${chk.id} ${chk.sdm}` : ''}` };
      }
      this.noteEntry();
      return this.handleExit(e);
    }
    const chk = this.vmx.lastFailedCheck;
    if (this.pEntryFailure.enabled) this.pEntryFailure.fire(r.kind === 'VMfailValid' ? r.error : -1, 0, 0);
    return { kind: 'error', message: `VM entry failed: ${r.kind}${r.kind === 'VMfailValid' ? ` (VM-instruction error ${r.error})` : ''}${chk ? `: ${chk.id} ${chk.sdm}` : ''}` };
  }

  private noteEntry(): void {
    // The virtual time a round trip costs is spent between the exit and this entry, so
    // exit-to-entry latency (vmx:::exit → vmx:::entry) is the handling cost, plus any time the
    // guest spent halted.
    if (this.exitSeq > 0) this.clock.addTime(this.vmexitCostNs);
    if (this.exitStartMs >= 0) {
      this.stats.recordTime(this.lastExitReason, (performance.now() - this.exitStartMs) * 1e6);
      this.exitStartMs = -1;
    }
    if (this.pEntry.enabled) this.pEntry.fire(this.cpu.eip, this.lastExitReason);
    if (this.machine.listening.vmentry) this.machine.emit('vmentry', this.id, this.cpu.eip);
  }

  /** Event injection at VM entry (KVM's inject_pending_event): exception, else interrupt. */
  private injectPending(): void {
    if (this.pendingException >= 0) {
      const v = this.pendingException;
      const hasErr = v === Vec.DF || (v >= Vec.TS && v <= Vec.PF) || v === Vec.AC;
      this.wr(F.VM_ENTRY_INTR_INFO_FIELD, (0x80000000 | (EventType.HARDWARE_EXCEPTION << 8) | (hasErr ? 0x800 : 0) | v) >>> 0);
      if (hasErr) this.wr(F.VM_ENTRY_EXCEPTION_ERROR_CODE, this.pendingErrorCode);
      if (this.pInject.enabled) this.pInject.fire(v, EventType.HARDWARE_EXCEPTION, this.pendingErrorCode);
      this.pendingException = -1;
      return;
    }
    const intc = this.pc.intc;
    if (!intc.pending()) {
      this.kickPending = false;
      return;
    }
    const rflags = this.rd(F.GUEST_RFLAGS);
    const blocked = (this.rd(F.GUEST_INTERRUPTIBILITY_INFO) & (Interruptibility.STI | Interruptibility.MOV_SS)) !== 0;
    if ((rflags & Flag.IF) !== 0 && !blocked) {
      const vector = intc.acknowledge();
      this.kickPending = false;
      this.wr(F.VM_ENTRY_INTR_INFO_FIELD, (0x80000000 | (EventType.EXTERNAL_INTERRUPT << 8) | vector) >>> 0);
      if (this.pInject.enabled) this.pInject.fire(vector, EventType.EXTERNAL_INTERRUPT, 0);
    } else if ((this.procBased & ProcCtl.INTERRUPT_WINDOW_EXITING) === 0) {
      this.procBased |= ProcCtl.INTERRUPT_WINDOW_EXITING;
      this.wr(F.CPU_BASED_VM_EXEC_CONTROL, this.procBased);
    }
  }

  /** Fill the (preallocated) exit record from the VMCS exit-information fields. */
  private readExit(): ExitEvent {
    const full = this.rd(F.VM_EXIT_REASON);
    const e = this.ev;
    e.seq = ++this.exitSeq;
    e.reason = full & 0xffff;
    e.fullReason = full;
    e.qualification = this.rd(F.EXIT_QUALIFICATION);
    e.guestRip = this.rd(F.GUEST_RIP);
    e.guestPhysical = this.rd(F.GUEST_PHYSICAL_ADDRESS);
    e.guestLinear = this.rd(F.GUEST_LINEAR_ADDRESS);
    e.instructionLength = this.rd(F.VM_EXIT_INSTRUCTION_LEN);
    e.instructionInfo = this.rd(F.VMX_INSTRUCTION_INFO);
    e.interruptionInfo = this.rd(F.VM_EXIT_INTR_INFO);
    e.interruptionErrorCode = this.rd(F.VM_EXIT_INTR_ERROR_CODE);
    e.time = this.clock.now();
    e.vmcs = this.vmcs;
    this.exitStartMs = performance.now();
    this.lastExitReason = e.reason;
    this.stats.recordExit(e.reason);
    if (this.pExit.enabled) this.pExit.fire(e.reason, e.qualification, e.guestRip, e.guestPhysical, e.instructionLength, full);
    if (this.machine.listening.vmexit) this.machine.emit('vmexit', { ...e });
    return e;
  }

  private readVmcsByName(name: string): number | undefined {
    try {
      return this.vmcs.read(name as never);
    } catch {
      return undefined;
    }
  }

  /** Advance GUEST_RIP past the instruction that exited and drop its interrupt shadow. */
  private skip(e: ExitEvent): void {
    this.wr(F.GUEST_RIP, (e.guestRip + e.instructionLength) >>> 0);
    const intr = this.rd(F.GUEST_INTERRUPTIBILITY_INFO);
    if (intr & 3) this.wr(F.GUEST_INTERRUPTIBILITY_INFO, intr & ~3);
  }

  private injectException(vector: number, errorCode = 0): void {
    this.pendingException = vector;
    this.pendingErrorCode = errorCode;
  }

  /** The one exhaustive switch over exit reasons (KVM's kvm_vmx_exit_handlers). */
  private handleExit(e: ExitEvent): VcpuStop | null {
    if ((e.fullReason & 0x80000000) !== 0) return { kind: 'error', message: `unexpected VM-entry failure exit ${exitReasonName(e.reason)}` };
    const cpu = this.cpu;
    const regs = cpu.regs;
    switch (e.reason as BasicExitReason) {
      case Exit.INIT_SIGNAL:
        // INIT to the bootstrap processor (an INIT IPI to itself): like KVM's
        // kvm_vcpu_reset(init_event), the vCPU restarts at the reset vector with the reset state;
        // memory and devices keep theirs. A fresh VMCS launch: VMCLEAR, VMPTRLD, then VMLAUNCH.
        this.check('VMCLEAR', this.vmx.vmclear(this.hv(HV_VMCS)));
        this.check('VMPTRLD', this.vmx.vmptrld(this.hv(HV_VMCS)));
        this.procBased &= ~ProcCtl.INTERRUPT_WINDOW_EXITING;
        this.wr(F.CPU_BASED_VM_EXEC_CONTROL, this.procBased);
        this.wr(F.VM_ENTRY_INTR_INFO_FIELD, 0);
        this.pendingException = -1;
        this.guestMsrs.clear();
        this.resetToFirmware();
        return null;
      case Exit.EXTERNAL_INTERRUPT:
        // The kick: nothing to do; the pending guest interrupt is injected at the next entry.
        return null;
      case Exit.INTERRUPT_WINDOW:
        this.procBased &= ~ProcCtl.INTERRUPT_WINDOW_EXITING;
        this.wr(F.CPU_BASED_VM_EXEC_CONTROL, this.procBased);
        return null;
      case Exit.CPUID: {
        const leaf = regs[Reg.EAX]! >>> 0;
        const [a, b, c, d] = cpu.cpuidTable.lookup(leaf, regs[Reg.ECX]! >>> 0);
        regs[Reg.EAX] = a!;
        regs[Reg.EBX] = b!;
        // The guest does not get VMX (no nested virtualization yet): hide CPUID.1:ECX.VMX.
        regs[Reg.ECX] = leaf === 1 ? c! & ~(1 << 5) : c!;
        regs[Reg.EDX] = d!;
        this.skip(e);
        return null;
      }
      case Exit.HLT:
        this.skip(e);
        this.halted = true;
        return null;
      case Exit.IO_INSTRUCTION:
        return this.handleIo(e);
      case Exit.EPT_VIOLATION:
        if (this.pEptViolation.enabled) this.pEptViolation.fire(e.guestPhysical, e.qualification, e.guestRip, e.guestLinear);
        return this.completeAgainstBus(e, 'mmio');
      case Exit.EPT_MISCONFIG:
        if (this.pEptMisconfig.enabled) this.pEptMisconfig.fire(e.guestPhysical, e.guestRip);
        return { kind: 'error', message: `hypervisor: EPT misconfiguration at guest-physical 0x${e.guestPhysical.toString(16)}` };
      case Exit.MSR_READ:
        return this.handleRdmsr(e);
      case Exit.MSR_WRITE:
        return this.handleWrmsr(e);
      case Exit.CR_ACCESS:
        return this.handleCr(e);
      case Exit.VMCALL:
        // No hypercalls are defined: -KVM_ENOSYS, as KVM answers unknown ones.
        regs[Reg.EAX] = -1000;
        this.skip(e);
        return null;
      case Exit.INVD:
      case Exit.WBINVD:
      case Exit.PAUSE:
      case Exit.MWAIT:
      case Exit.MONITOR:
        this.skip(e);
        return null;
      case Exit.TRIPLE_FAULT: {
        // The exception whose delivery failed for the third time (recorded by the CPU core).
        const last = this.cpu.lastExceptionVector;
        return {
          kind: 'triple-fault',
          lastException: last >= 0 ? (EXCEPTION_NAMES[last] ?? `vector ${last}`) : 'unknown',
          vector: last,
          errorCode: 0,
          cs: this.rd(F.GUEST_CS_SELECTOR),
          eip: e.guestRip,
        };
      }
      case Exit.EXCEPTION_NMI: {
        // Not intercepted by default; a user who sets EXCEPTION_BITMAP gets it re-injected.
        const info = e.interruptionInfo;
        if ((info & 0x80000000) !== 0) this.injectException(info & 0xff, e.interruptionErrorCode);
        return null;
      }
      case Exit.VMCLEAR: case Exit.VMLAUNCH: case Exit.VMPTRLD: case Exit.VMPTRST: case Exit.VMREAD:
      case Exit.VMRESUME: case Exit.VMWRITE: case Exit.VMXOFF: case Exit.VMXON: case Exit.INVEPT:
      case Exit.INVVPID:
        // The guest has no VMX (CPUID says so): #UD, as KVM without nested=1.
        this.injectException(Vec.UD);
        return null;
      case Exit.XSETBV:
      case Exit.RDPMC:
      case Exit.DR_ACCESS:
      case Exit.INVLPG:
      case Exit.RDTSC:
      case Exit.RDTSCP:
      case Exit.GDTR_IDTR:
      case Exit.LDTR_TR:
      case Exit.TASK_SWITCH:
      case Exit.NMI_WINDOW:
      case Exit.MONITOR_TRAP_FLAG:
      case Exit.PREEMPTION_TIMER:
      case Exit.SIPI:
      case Exit.GETSEC:
      case Exit.RSM:
      case Exit.INVALID_GUEST_STATE:
      case Exit.MSR_LOADING:
      case Exit.MCE_DURING_VMENTRY:
      case Exit.TPR_BELOW_THRESHOLD:
      case Exit.APIC_ACCESS:
      case Exit.VIRTUALIZED_EOI:
      case Exit.IO_SMI:
      case Exit.OTHER_SMI:
      case Exit.APIC_WRITE:
      case Exit.RDRAND:
      case Exit.INVPCID:
      case Exit.VMFUNC:
      case Exit.ENCLS:
      case Exit.RDSEED:
      case Exit.PML_FULL:
      case Exit.XSAVES:
      case Exit.XRSTORS:
      case Exit.PCONFIG:
      case Exit.SPP_EVENT:
      case Exit.UMWAIT:
      case Exit.TPAUSE:
      case Exit.LOADIWKEY:
      case Exit.ENCLV:
      case Exit.ENQCMD_PASID_FAILURE:
      case Exit.ENQCMDS_PASID_FAILURE:
      case Exit.BUS_LOCK:
      case Exit.INSTRUCTION_TIMEOUT:
        return { kind: 'error', message: `hypervisor: unexpected VM exit ${e.reason} (${exitReasonName(e.reason)}) at 0x${e.guestRip.toString(16)}: its control is not enabled` };
      default: {
        const never: never = e.reason as never;
        return { kind: 'error', message: `hypervisor: unknown VM exit reason ${never}` };
      }
    }
  }


  /**
   * I/O instruction exit. Qualification (SDM Vol. 3C, "Exit Qualification for I/O Instructions"):
   *   bits 2:0  size - 1       bit 3  direction (1 = IN)   bit 4  string   bit 5  REP
   *   bit 6     operand encoding (0 = DX, 1 = immediate)   bits 31:16  port
   */
  private handleIo(e: ExitEvent): VcpuStop | null {
    const q = e.qualification;
    const size = ((q & 7) + 1) as 1 | 2 | 4;
    const isIn = (q & 8) !== 0;
    const port = q >>> 16;
    if ((q & 0x10) !== 0) return this.completeAgainstBus(e, 'io');
    const regs = this.cpu.regs;
    if (isIn) {
      const v = this.pc.io.in(port, size);
      if (this.pPioIn.enabled) this.pPioIn.fire(port, size, v, 1);
      const mask = size === 4 ? -1 : size === 2 ? 0xffff : 0xff;
      regs[Reg.EAX] = size === 4 ? v : (regs[Reg.EAX]! & ~mask) | (v & mask);
    } else {
      const mask = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
      const v = (regs[Reg.EAX]! & mask) >>> 0;
      if (this.pPioOut.enabled) this.pPioOut.fire(port, size, v, 1);
      this.pc.io.out(port, size, v);
    }
    this.skip(e);
    return null;
  }

  /**
   * Complete the exiting instruction against the device bus: re-enter the guest and execute just
   * that instruction with its MMIO access (or string I/O) let through, then go on normally.
   * MMIO: the processor's MMIO window is opened for the faulting page (and for any further page the
   * same instruction faults on). String I/O: the port's bits in I/O bitmaps A/B are cleared for
   * that one instruction, so the processor performs it on the I/O bus.
   */
  private completeAgainstBus(e: ExitEvent, what: 'mmio' | 'io'): VcpuStop | null {
    const cpu = this.cpu;
    const hooks = this.vmx.hooks;
    const pages = this.mmioPages;
    pages.length = 0;
    // `e` is the reused exit record: keep what the retry logic compares against.
    const rip = e.guestRip;
    const reason = e.reason;
    const firstGpa = e.guestPhysical;
    let gpa = e.guestPhysical;
    const qual = e.qualification;
    for (let attempt = 0; attempt < 4; attempt++) {
      const r = this.enter();
      if (r !== null) return r;
      if (what === 'mmio') {
        pages.push(Math.floor(gpa / 4096));
        hooks.mmioWindow = this.mmioWindow;
      } else {
        this.openIoPorts(qual >>> 16, (qual & 7) + 1);
      }
      const before = cpu.instructionsRetired;
      let stop: StopReason;
      try {
        stop = cpu.run(1);
      } finally {
        hooks.mmioWindow = null;
        if (what === 'io') this.closeIoPorts();
      }
      this.clock.runDue();
      if (stop === StopReason.REQUESTED) return STOP_OK;
      if (stop !== StopReason.VMEXIT) return null;
      this.inGuest = false;
      const next = this.readExit();
      const sameInstruction = cpu.instructionsRetired === before && next.guestRip === rip && next.reason === reason;
      if (!sameInstruction) return this.handleExit(next);
      if (what === 'mmio' && next.reason === Exit.EPT_VIOLATION && !pages.includes(Math.floor(next.guestPhysical / 4096))) {
        gpa = next.guestPhysical; // the same instruction touches a second MMIO page
        continue;
      }
      break;
    }
    return { kind: 'error', message: `hypervisor: could not complete the ${what === 'mmio' ? `MMIO access at guest-physical 0x${firstGpa.toString(16)}` : 'string I/O'} at 0x${rip.toString(16)}` };
  }

  /** Pages of the instruction being completed whose MMIO accesses go to the bus. */
  private readonly mmioPages: number[] = [];
  private readonly mmioWindow = (gpa: number): boolean => this.mmioPages.includes(Math.floor(gpa / 4096));
  /** I/O-bitmap bytes opened for one string I/O instruction, and their saved values. */
  private readonly ioOpened = new Int32Array(4);
  private readonly ioSaved = new Uint8Array(4);
  private ioOpenedCount = 0;

  /** Clear the I/O-bitmap bits of ports [port, port+size) for one instruction. */
  private openIoPorts(port: number, size: number): void {
    const host = this.pc.host;
    let n = 0;
    for (let p = port; p < port + size && p <= 0xffff; p++) {
      const byte = this.hv(p < 0x8000 ? HV_IO_BITMAP_A : HV_IO_BITMAP_B) + ((p & 0x7fff) >> 3);
      this.ioOpened[n] = byte;
      this.ioSaved[n] = host[byte]!;
      n++;
      host[byte]! &= ~(1 << (p & 7));
    }
    this.ioOpenedCount = n;
  }

  /** Undo openIoPorts (in reverse, so a byte opened twice gets its original value back). */
  private closeIoPorts(): void {
    const host = this.pc.host;
    for (let i = this.ioOpenedCount - 1; i >= 0; i--) host[this.ioOpened[i]!] = this.ioSaved[i]!;
    this.ioOpenedCount = 0;
  }

  private msr(lo: number, hi: number): true {
    this.msrLo = lo;
    this.msrHi = hi;
    return true;
  }

  /** Result of msrValue (no array per RDMSR exit). */
  private msrLo = 0;
  private msrHi = 0;

  /** The guest's value of MSR `index` into msrLo/msrHi; false when the MSR does not exist (#GP). */
  private msrValue(index: number): boolean {
    const own = this.guestMsrs.get(index);
    if (own) return this.msr(own[0], own[1]);
    switch (index) {
      case 0x10: { // IA32_TSC
        const t = this.cpu.tsc();
        return this.msr(t >>> 0, Math.floor(t / 2 ** 32) >>> 0);
      }
      case 0x1b: return this.msr(0xfee00900, 0); // IA32_APIC_BASE: BSP, enabled, default base
      case 0x3a: return this.msr(1, 0); // IA32_FEATURE_CONTROL: locked, VMX disabled (no nested VMX)
      case 0x1a0: return this.msr(1, 0); // IA32_MISC_ENABLE: fast strings
      case 0xfe: return this.msr(0x508, 0); // IA32_MTRRCAP: 8 variable, fixed, WC
      case 0x2ff: return this.msr(0, 0); // IA32_MTRR_DEF_TYPE
      case 0x277: return this.msr(this.rd(F.GUEST_IA32_PAT), this.rd(F.GUEST_IA32_PAT_HIGH));
      case 0xc0000080: return this.msr(this.rd(F.GUEST_IA32_EFER), 0);
      case 0x8b: return this.msr(0, 0); // IA32_BIOS_SIGN_ID
      case 0x17: return this.msr(0, 0); // IA32_PLATFORM_ID
      default:
        if ((index >= 0x200 && index < 0x210) || index === 0x250 || index === 0x258 || index === 0x259 || (index >= 0x268 && index < 0x270)) return this.msr(0, 0);
        return false;
    }
  }

  private handleRdmsr(e: ExitEvent): VcpuStop | null {
    const regs = this.cpu.regs;
    if (!this.msrValue(regs[Reg.ECX]! >>> 0)) {
      this.injectException(Vec.GP, 0);
      return null;
    }
    regs[Reg.EAX] = this.msrLo;
    regs[Reg.EDX] = this.msrHi;
    this.skip(e);
    return null;
  }

  private handleWrmsr(e: ExitEvent): VcpuStop | null {
    const regs = this.cpu.regs;
    const index = regs[Reg.ECX]! >>> 0;
    const lo = regs[Reg.EAX]! >>> 0;
    const hi = regs[Reg.EDX]! >>> 0;
    if (!this.msrValue(index) || index === 0xfe || index === 0x3a) {
      this.injectException(Vec.GP, 0);
      return null;
    }
    switch (index) {
      case 0x277:
        this.wr(F.GUEST_IA32_PAT, lo);
        this.wr(F.GUEST_IA32_PAT_HIGH, hi);
        break;
      case 0xc0000080:
        if ((lo & ~0x800) !== 0 || hi !== 0) { // only NXE: no long mode, no SYSCALL
          this.injectException(Vec.GP, 0);
          return null;
        }
        this.wr(F.GUEST_IA32_EFER, lo);
        break;
      case 0x10:
        this.cpu.tscOffset += (hi * 2 ** 32 + lo) - this.cpu.tsc();
        break;
      default:
        this.guestMsrs.set(index, [lo, hi]);
    }
    this.skip(e);
    return null;
  }

  /**
   * Control-register access. Qualification (SDM Vol. 3C, "Exit Qualification for Control-Register
   * Accesses"): bits 3:0 CR number, 5:4 access type (0 MOV to CR, 1 MOV from CR, 2 CLTS, 3 LMSW),
   * bit 6 LMSW operand type, bits 11:8 general-purpose register, bits 31:16 LMSW source data.
   */
  private handleCr(e: ExitEvent): VcpuStop | null {
    const q = e.qualification;
    const cr = q & 15;
    const type = (q >>> 4) & 3;
    const gpr = (q >>> 8) & 15;
    const regs = this.cpu.regs;
    const readGpr = (): number => (gpr === Reg.ESP ? this.rd(F.GUEST_RSP) : regs[gpr]! >>> 0);
    if (type === 0) {
      const v = readGpr();
      if (cr === 0) this.setGuestCr0(v);
      else if (cr === 4) this.setGuestCr4(v);
      else return { kind: 'error', message: `hypervisor: unexpected MOV to CR${cr} exit` };
    } else if (type === 3) {
      const shadow = this.rd(F.CR0_READ_SHADOW);
      // LMSW loads CR0[3:0] and cannot clear PE.
      const src = q >>> 16;
      this.setGuestCr0((shadow & ~0xe) | (src & 0xf) | (shadow & 1));
    } else if (type === 2) {
      this.setGuestCr0(this.rd(F.CR0_READ_SHADOW) & ~8);
    } else {
      return { kind: 'error', message: `hypervisor: unexpected MOV from CR${cr} exit` };
    }
    this.skip(e);
    return null;
  }

  private setGuestCr0(v: number): void {
    this.wr(F.CR0_READ_SHADOW, v);
    this.wr(F.GUEST_CR0, (v | CR0_NE) >>> 0);
  }

  private setGuestCr4(v: number): void {
    this.wr(F.CR4_READ_SHADOW, v);
    this.wr(F.GUEST_CR4, (v | CR4_VMXE) >>> 0);
  }
}
