/**
 * The VMX capability MSRs IA32_VMX_BASIC (0x480) .. IA32_VMX_VMFUNC (0x491) (Intel SDM Vol. 3D,
 * appendix "VMX Capability Reporting Facility"), describing exactly what this VMX model implements.
 *
 * Models: a 32-bit IA-32 processor without Intel 64: BASIC[48] = 1 (VMXON/VMCS regions and the
 * structures they reference live below 4 GiB), no "host address-space size", no "IA-32e mode
 * guest", no CR8 exiting / TPR shadow (those need Intel 64). TRUE_* MSRs exist (BASIC[55]) and
 * report CR3-load/store exiting and the debug-control save/load as clearable.
 * Implemented features: external-interrupt / NMI exiting, virtual NMIs, VMX-preemption timer,
 * every primary instruction/window/I-O/MSR/MTF control, secondary EPT, descriptor-table exiting,
 * VPID, WBINVD exiting, unrestricted guest; exit/entry PAT and EFER save/load, acknowledge
 * interrupt on exit, save preemption timer; EPT with 4-level walks, UC/WB structures, 2 MiB and
 * 1 GiB pages, execute-only, A/D flags, INVEPT single/all, INVVPID all four types.
 * Not reported: advanced EPT-violation information (CAP[22]): the guest-paging permissions of the
 * linear address are not visible through the EPT seam, so qualification bits 11:9 stay 0.
 * Does not model: VM functions (IA32_VMX_VMFUNC does not exist: RDMSR 0x491 #GPs, because
 * "enable VM functions" cannot be set), APIC virtualization, PML, VMCS shadowing, SMM, PT.
 */
import { ENTRY_DEFAULT1, EXIT_DEFAULT1, EntryCtl, ExitCtl, PIN_DEFAULT1, PROC_DEFAULT1, PinCtl, ProcCtl, ProcCtl2 } from './controls.js';
import { HIGHEST_FIELD_INDEX } from './fields.js';

export const VmxMsr = {
  IA32_VMX_BASIC: 0x480,
  IA32_VMX_PINBASED_CTLS: 0x481,
  IA32_VMX_PROCBASED_CTLS: 0x482,
  IA32_VMX_EXIT_CTLS: 0x483,
  IA32_VMX_ENTRY_CTLS: 0x484,
  IA32_VMX_MISC: 0x485,
  IA32_VMX_CR0_FIXED0: 0x486,
  IA32_VMX_CR0_FIXED1: 0x487,
  IA32_VMX_CR4_FIXED0: 0x488,
  IA32_VMX_CR4_FIXED1: 0x489,
  IA32_VMX_VMCS_ENUM: 0x48a,
  IA32_VMX_PROCBASED_CTLS2: 0x48b,
  IA32_VMX_EPT_VPID_CAP: 0x48c,
  IA32_VMX_TRUE_PINBASED_CTLS: 0x48d,
  IA32_VMX_TRUE_PROCBASED_CTLS: 0x48e,
  IA32_VMX_TRUE_EXIT_CTLS: 0x48f,
  IA32_VMX_TRUE_ENTRY_CTLS: 0x490,
  IA32_VMX_VMFUNC: 0x491,
} as const;

/** Our VMCS revision identifier ('VTX1'; bit 31 is 0 as the SDM requires). */
export const VMCS_REVISION_ID = 0x56545831;
/** VMXON / VMCS region size in bytes (BASIC[44:32]). */
export const VMCS_REGION_SIZE = 4096;
/** Width of physical addresses of VMX structures (BASIC[48] = 1: 32 bits). */
export const VMX_STRUCT_ADDR_BITS = 32;
/** MAXPHYADDR of the processor (PAE, no CPUID 0x80000008): bound for EPT frame addresses. */
export const MAXPHYADDR = 36;

/** IA32_VMX_EPT_VPID_CAP bits (low dword, then high dword). */
export const EptCap = {
  EXECUTE_ONLY: 1 << 0,
  PAGE_WALK_4: 1 << 6,
  PAGE_WALK_5: 1 << 7,
  MEMTYPE_UC: 1 << 8,
  MEMTYPE_WB: 1 << 14,
  PAGE_2M: 1 << 16,
  PAGE_1G: 1 << 17,
  INVEPT: 1 << 20,
  ACCESSED_DIRTY: 1 << 21,
  ADVANCED_EXIT_INFO: 1 << 22,
  INVEPT_SINGLE_CONTEXT: 1 << 25,
  INVEPT_ALL_CONTEXT: 1 << 26,
} as const;
export const VpidCap = {
  INVVPID: 1 << 0,
  INDIVIDUAL_ADDRESS: 1 << 8,
  SINGLE_CONTEXT: 1 << 9,
  ALL_CONTEXT: 1 << 10,
  SINGLE_CONTEXT_RETAINING_GLOBALS: 1 << 11,
} as const;

export interface VmxCapabilityOptions {
  /** MISC[29]: VMWRITE may write the VM-exit information fields. Default false. */
  vmwriteExitInfo?: boolean;
  /** MISC[30]: software events may be injected with instruction length 0. Default false. */
  zeroLengthSoftwareInjection?: boolean;
  /** CR4 bits the CPU implements (IA32_VMX_CR4_FIXED1). Default VME..PCE + VMXE. */
  cr4Fixed1?: number;
  /** IA32_VMX_MISC[4:0]: the preemption timer counts down when TSC bit `rate` changes. Default 5. */
  preemptionTimerRate?: number;
}

const PIN_ALLOWED1 = PIN_DEFAULT1 | PinCtl.EXTERNAL_INTERRUPT_EXITING | PinCtl.NMI_EXITING |
  PinCtl.VIRTUAL_NMIS | PinCtl.ACTIVATE_PREEMPTION_TIMER;
const PROC_ALLOWED1 = PROC_DEFAULT1 | ProcCtl.INTERRUPT_WINDOW_EXITING | ProcCtl.USE_TSC_OFFSETTING |
  ProcCtl.HLT_EXITING | ProcCtl.INVLPG_EXITING | ProcCtl.MWAIT_EXITING | ProcCtl.RDPMC_EXITING |
  ProcCtl.RDTSC_EXITING | ProcCtl.CR3_LOAD_EXITING | ProcCtl.CR3_STORE_EXITING |
  ProcCtl.NMI_WINDOW_EXITING | ProcCtl.MOV_DR_EXITING | ProcCtl.UNCONDITIONAL_IO_EXITING |
  ProcCtl.USE_IO_BITMAPS | ProcCtl.MONITOR_TRAP_FLAG | ProcCtl.USE_MSR_BITMAPS |
  ProcCtl.MONITOR_EXITING | ProcCtl.PAUSE_EXITING | ProcCtl.ACTIVATE_SECONDARY_CONTROLS;
const PROC2_ALLOWED1 = ProcCtl2.ENABLE_EPT | ProcCtl2.DESCRIPTOR_TABLE_EXITING | ProcCtl2.ENABLE_VPID |
  ProcCtl2.WBINVD_EXITING | ProcCtl2.UNRESTRICTED_GUEST;
const EXIT_ALLOWED1 = EXIT_DEFAULT1 | ExitCtl.ACKNOWLEDGE_INTERRUPT_ON_EXIT | ExitCtl.SAVE_IA32_PAT |
  ExitCtl.LOAD_IA32_PAT | ExitCtl.SAVE_IA32_EFER | ExitCtl.LOAD_IA32_EFER | ExitCtl.SAVE_PREEMPTION_TIMER;
const ENTRY_ALLOWED1 = ENTRY_DEFAULT1 | EntryCtl.LOAD_IA32_PAT | EntryCtl.LOAD_IA32_EFER;

export class VmxCapabilities {
  readonly revisionId = VMCS_REVISION_ID;
  /** Allowed-0 (must be 1) and allowed-1 (may be 1) settings, TRUE MSRs (BASIC[55] = 1). */
  readonly pin0 = PIN_DEFAULT1;
  readonly pin1 = PIN_ALLOWED1 | 0;
  readonly proc0 = (PROC_DEFAULT1 & ~(ProcCtl.CR3_LOAD_EXITING | ProcCtl.CR3_STORE_EXITING)) | 0;
  readonly proc1 = PROC_ALLOWED1 | 0;
  readonly proc2_0 = 0;
  readonly proc2_1 = PROC2_ALLOWED1 | 0;
  readonly exit0 = (EXIT_DEFAULT1 & ~ExitCtl.SAVE_DEBUG_CONTROLS) | 0;
  readonly exit1 = EXIT_ALLOWED1 | 0;
  readonly entry0 = (ENTRY_DEFAULT1 & ~EntryCtl.LOAD_DEBUG_CONTROLS) | 0;
  readonly entry1 = ENTRY_ALLOWED1 | 0;
  readonly cr0Fixed0 = 0x80000021 | 0;
  /** PE MP EM TS ET NE WP AM NW CD PG: every CR0 bit of the architecture. */
  readonly cr0Fixed1 = 0xe005003f | 0;
  readonly cr4Fixed0 = 0x2000;
  readonly cr4Fixed1: number;
  readonly cr3TargetCount = 4;
  readonly preemptionTimerRate: number;
  readonly vmwriteExitInfo: boolean;
  readonly zeroLengthSoftwareInjection: boolean;
  /** Activity states besides active: HLT only (MISC[6]). Shutdown and wait-for-SIPI are not
   *  modelled (no INIT/SIPI source; nothing would wake the processor). */
  readonly activityShutdown = false;
  readonly activityWaitForSipi = false;
  readonly eptCapLo: number;
  readonly eptCapHi: number;
  readonly miscLo: number;

  constructor(opts: VmxCapabilityOptions = {}) {
    this.vmwriteExitInfo = opts.vmwriteExitInfo ?? false;
    this.zeroLengthSoftwareInjection = opts.zeroLengthSoftwareInjection ?? false;
    this.cr4Fixed1 = (opts.cr4Fixed1 ?? 0x21ff) | 0x2000;
    const rate = opts.preemptionTimerRate ?? 5;
    if (!Number.isInteger(rate) || rate < 0 || rate > 31) {
      throw new RangeError(`VmxCapabilities: preemptionTimerRate ${rate} is not in 0..31`);
    }
    this.preemptionTimerRate = rate;
    this.eptCapLo = (EptCap.EXECUTE_ONLY | EptCap.PAGE_WALK_4 | EptCap.MEMTYPE_UC | EptCap.MEMTYPE_WB |
      EptCap.PAGE_2M | EptCap.PAGE_1G | EptCap.INVEPT | EptCap.ACCESSED_DIRTY |
      EptCap.INVEPT_SINGLE_CONTEXT | EptCap.INVEPT_ALL_CONTEXT) | 0;
    this.eptCapHi = VpidCap.INVVPID | VpidCap.INDIVIDUAL_ADDRESS | VpidCap.SINGLE_CONTEXT |
      VpidCap.ALL_CONTEXT | VpidCap.SINGLE_CONTEXT_RETAINING_GLOBALS;
    // IA32_VMX_MISC low dword:
    //   4:0 preemption-timer rate   5 EFER.LMA stored in "IA-32e mode guest" (unrestricted guest)
    //   6 HLT  7 shutdown  8 wait-for-SIPI   24:16 CR3-target count   27:25 MSR-list size N = 0
    //   29 VMWRITE to exit-information fields   30 zero-length software-event injection
    this.miscLo = (rate | (1 << 5) | (1 << 6) | (this.activityShutdown ? 1 << 7 : 0) |
      (this.activityWaitForSipi ? 1 << 8 : 0) | (this.cr3TargetCount << 16) |
      (this.vmwriteExitInfo ? 1 << 29 : 0) | (this.zeroLengthSoftwareInjection ? 1 << 30 : 0)) | 0;
  }

  /** Maximum number of entries in each MSR list (512 * (MISC[27:25] + 1)). */
  get maxMsrListEntries(): number {
    return 512;
  }

  isActivityStateSupported(state: number): boolean {
    switch (state) {
      case 0: case 1: return true;
      case 2: return this.activityShutdown;
      case 3: return this.activityWaitForSipi;
      default: return false;
    }
  }

  /**
   * RDMSR of a VMX capability MSR: [low dword, high dword] as unsigned numbers, or undefined for
   * an index this processor does not implement (the caller raises #GP(0)).
   */
  readMsr(index: number): [number, number] | undefined {
    const u = (lo: number, hi: number): [number, number] => [lo >>> 0, hi >>> 0];
    switch (index) {
      case VmxMsr.IA32_VMX_BASIC:
        // 30:0 revision  44:32 region size  48 32-bit addresses  53:50 WB  54 INS/OUTS info  55 TRUE MSRs
        return u(this.revisionId, VMCS_REGION_SIZE | (1 << 16) | (6 << 18) | (1 << 22) | (1 << 23));
      case VmxMsr.IA32_VMX_PINBASED_CTLS: return u(PIN_DEFAULT1, this.pin1);
      case VmxMsr.IA32_VMX_PROCBASED_CTLS: return u(PROC_DEFAULT1, this.proc1);
      case VmxMsr.IA32_VMX_EXIT_CTLS: return u(EXIT_DEFAULT1, this.exit1);
      case VmxMsr.IA32_VMX_ENTRY_CTLS: return u(ENTRY_DEFAULT1, this.entry1);
      case VmxMsr.IA32_VMX_MISC: return u(this.miscLo, 0);
      case VmxMsr.IA32_VMX_CR0_FIXED0: return u(this.cr0Fixed0, 0);
      case VmxMsr.IA32_VMX_CR0_FIXED1: return u(this.cr0Fixed1, 0);
      case VmxMsr.IA32_VMX_CR4_FIXED0: return u(this.cr4Fixed0, 0);
      case VmxMsr.IA32_VMX_CR4_FIXED1: return u(this.cr4Fixed1, 0);
      case VmxMsr.IA32_VMX_VMCS_ENUM: return u(HIGHEST_FIELD_INDEX << 1, 0);
      case VmxMsr.IA32_VMX_PROCBASED_CTLS2: return u(this.proc2_0, this.proc2_1);
      case VmxMsr.IA32_VMX_EPT_VPID_CAP: return u(this.eptCapLo, this.eptCapHi);
      case VmxMsr.IA32_VMX_TRUE_PINBASED_CTLS: return u(this.pin0, this.pin1);
      case VmxMsr.IA32_VMX_TRUE_PROCBASED_CTLS: return u(this.proc0, this.proc1);
      case VmxMsr.IA32_VMX_TRUE_EXIT_CTLS: return u(this.exit0, this.exit1);
      case VmxMsr.IA32_VMX_TRUE_ENTRY_CTLS: return u(this.entry0, this.entry1);
      default: return undefined; // includes IA32_VMX_VMFUNC: VM functions are not implemented
    }
  }
}

/** `(ctl & allowed0) == allowed0 && (ctl & ~allowed1) == 0` — the SDM's allowed-settings rule. */
export function controlsValid(ctl: number, allowed0: number, allowed1: number): boolean {
  return (ctl & allowed0) === allowed0 && (ctl & ~allowed1) === 0;
}
