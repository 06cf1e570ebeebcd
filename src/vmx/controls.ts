/**
 * VMX control bits, exit reasons and VM-instruction error numbers (Intel SDM Vol. 3C, "VM-Execution
 * Control Fields", "VM-Exit Control Fields", "VM-Entry Control Fields", "Basic VM-Exit
 * Information", "VM-Instruction Error Numbers"). Names follow the SDM; each table also lists the
 * bit names in order for `dumpVmcs`.
 *
 * Models: the complete bit assignments (so a dump can name any set bit); which of them this
 * processor supports is decided by `capabilities.ts`, not here.
 */

/** Pin-based VM-execution controls (PIN_BASED_VM_EXEC_CONTROL). */
export const PinCtl = {
  EXTERNAL_INTERRUPT_EXITING: 1 << 0,
  NMI_EXITING: 1 << 3,
  VIRTUAL_NMIS: 1 << 5,
  ACTIVATE_PREEMPTION_TIMER: 1 << 6,
  PROCESS_POSTED_INTERRUPTS: 1 << 7,
} as const;

/** Primary processor-based VM-execution controls (CPU_BASED_VM_EXEC_CONTROL). */
export const ProcCtl = {
  INTERRUPT_WINDOW_EXITING: 1 << 2,
  USE_TSC_OFFSETTING: 1 << 3,
  HLT_EXITING: 1 << 7,
  INVLPG_EXITING: 1 << 9,
  MWAIT_EXITING: 1 << 10,
  RDPMC_EXITING: 1 << 11,
  RDTSC_EXITING: 1 << 12,
  CR3_LOAD_EXITING: 1 << 15,
  CR3_STORE_EXITING: 1 << 16,
  ACTIVATE_TERTIARY_CONTROLS: 1 << 17,
  CR8_LOAD_EXITING: 1 << 19,
  CR8_STORE_EXITING: 1 << 20,
  USE_TPR_SHADOW: 1 << 21,
  NMI_WINDOW_EXITING: 1 << 22,
  MOV_DR_EXITING: 1 << 23,
  UNCONDITIONAL_IO_EXITING: 1 << 24,
  USE_IO_BITMAPS: 1 << 25,
  MONITOR_TRAP_FLAG: 1 << 27,
  USE_MSR_BITMAPS: 1 << 28,
  MONITOR_EXITING: 1 << 29,
  PAUSE_EXITING: 1 << 30,
  ACTIVATE_SECONDARY_CONTROLS: 1 << 31,
} as const;

/** Secondary processor-based VM-execution controls (SECONDARY_VM_EXEC_CONTROL). */
export const ProcCtl2 = {
  VIRTUALIZE_APIC_ACCESSES: 1 << 0,
  ENABLE_EPT: 1 << 1,
  DESCRIPTOR_TABLE_EXITING: 1 << 2,
  ENABLE_RDTSCP: 1 << 3,
  VIRTUALIZE_X2APIC_MODE: 1 << 4,
  ENABLE_VPID: 1 << 5,
  WBINVD_EXITING: 1 << 6,
  UNRESTRICTED_GUEST: 1 << 7,
  APIC_REGISTER_VIRTUALIZATION: 1 << 8,
  VIRTUAL_INTERRUPT_DELIVERY: 1 << 9,
  PAUSE_LOOP_EXITING: 1 << 10,
  RDRAND_EXITING: 1 << 11,
  ENABLE_INVPCID: 1 << 12,
  ENABLE_VM_FUNCTIONS: 1 << 13,
  VMCS_SHADOWING: 1 << 14,
  ENABLE_ENCLS_EXITING: 1 << 15,
  RDSEED_EXITING: 1 << 16,
  ENABLE_PML: 1 << 17,
  EPT_VIOLATION_VE: 1 << 18,
  CONCEAL_VMX_FROM_PT: 1 << 19,
  ENABLE_XSAVES_XRSTORS: 1 << 20,
  MODE_BASED_EPT_EXECUTE: 1 << 22,
  SUB_PAGE_WRITE_PERMISSIONS: 1 << 23,
  PT_USES_GUEST_PHYSICAL: 1 << 24,
  USE_TSC_SCALING: 1 << 25,
  ENABLE_USER_WAIT_PAUSE: 1 << 26,
  ENABLE_PCONFIG: 1 << 27,
  ENABLE_ENCLV_EXITING: 1 << 28,
  VMM_BUS_LOCK_DETECTION: 1 << 30,
  INSTRUCTION_TIMEOUT: 1 << 31,
} as const;

/** Primary VM-exit controls (VM_EXIT_CONTROLS). */
export const ExitCtl = {
  SAVE_DEBUG_CONTROLS: 1 << 2,
  HOST_ADDRESS_SPACE_SIZE: 1 << 9,
  LOAD_IA32_PERF_GLOBAL_CTRL: 1 << 12,
  ACKNOWLEDGE_INTERRUPT_ON_EXIT: 1 << 15,
  SAVE_IA32_PAT: 1 << 18,
  LOAD_IA32_PAT: 1 << 19,
  SAVE_IA32_EFER: 1 << 20,
  LOAD_IA32_EFER: 1 << 21,
  SAVE_PREEMPTION_TIMER: 1 << 22,
  CLEAR_IA32_BNDCFGS: 1 << 23,
  CONCEAL_VMX_FROM_PT: 1 << 24,
  CLEAR_IA32_RTIT_CTL: 1 << 25,
  CLEAR_IA32_LBR_CTL: 1 << 26,
  CLEAR_UINV: 1 << 27,
  LOAD_CET_STATE: 1 << 28,
  LOAD_PKRS: 1 << 29,
  SAVE_IA32_PERF_GLOBAL_CTRL: 1 << 30,
  ACTIVATE_SECONDARY_CONTROLS: 1 << 31,
} as const;

/** VM-entry controls (VM_ENTRY_CONTROLS). */
export const EntryCtl = {
  LOAD_DEBUG_CONTROLS: 1 << 2,
  IA32E_MODE_GUEST: 1 << 9,
  ENTRY_TO_SMM: 1 << 10,
  DEACTIVATE_DUAL_MONITOR: 1 << 11,
  LOAD_IA32_PERF_GLOBAL_CTRL: 1 << 13,
  LOAD_IA32_PAT: 1 << 14,
  LOAD_IA32_EFER: 1 << 15,
  LOAD_IA32_BNDCFGS: 1 << 16,
  CONCEAL_VMX_FROM_PT: 1 << 17,
  LOAD_IA32_RTIT_CTL: 1 << 18,
  LOAD_UINV: 1 << 19,
  LOAD_CET_STATE: 1 << 20,
  LOAD_IA32_LBR_CTL: 1 << 21,
  LOAD_PKRS: 1 << 22,
  LOAD_FRED: 1 << 23,
  LOAD_IA32_SPEC_CTRL: 1 << 24,
} as const;

/** Reserved bits that are 1 by default in each control word (the "default1" class). */
export const PIN_DEFAULT1 = 0x00000016;
export const PROC_DEFAULT1 = 0x0401e172;
export const EXIT_DEFAULT1 = 0x00036dff;
export const ENTRY_DEFAULT1 = 0x000011ff;

/** Names of the set bits of a control word, SDM names, unknown bits as `bitN`. */
export function controlBitNames(table: Readonly<Record<string, number>>, value: number): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    const m = (1 << bit) | 0;
    if ((value & m) === 0) continue;
    let name: string | undefined;
    for (const k in table) if ((table[k]! | 0) === m) { name = k; break; }
    out.push(name ?? `bit${bit}`);
  }
  return out;
}

/** Basic exit reasons (VM_EXIT_REASON bits 15:0). */
export const ExitReason = {
  EXCEPTION_NMI: 0,
  EXTERNAL_INTERRUPT: 1,
  TRIPLE_FAULT: 2,
  INIT_SIGNAL: 3,
  SIPI: 4,
  IO_SMI: 5,
  OTHER_SMI: 6,
  INTERRUPT_WINDOW: 7,
  NMI_WINDOW: 8,
  TASK_SWITCH: 9,
  CPUID: 10,
  GETSEC: 11,
  HLT: 12,
  INVD: 13,
  INVLPG: 14,
  RDPMC: 15,
  RDTSC: 16,
  RSM: 17,
  VMCALL: 18,
  VMCLEAR: 19,
  VMLAUNCH: 20,
  VMPTRLD: 21,
  VMPTRST: 22,
  VMREAD: 23,
  VMRESUME: 24,
  VMWRITE: 25,
  VMXOFF: 26,
  VMXON: 27,
  CR_ACCESS: 28,
  DR_ACCESS: 29,
  IO_INSTRUCTION: 30,
  MSR_READ: 31,
  MSR_WRITE: 32,
  INVALID_GUEST_STATE: 33,
  MSR_LOADING: 34,
  MWAIT: 36,
  MONITOR_TRAP_FLAG: 37,
  MONITOR: 39,
  PAUSE: 40,
  MCE_DURING_VMENTRY: 41,
  TPR_BELOW_THRESHOLD: 43,
  APIC_ACCESS: 44,
  VIRTUALIZED_EOI: 45,
  GDTR_IDTR: 46,
  LDTR_TR: 47,
  EPT_VIOLATION: 48,
  EPT_MISCONFIG: 49,
  INVEPT: 50,
  RDTSCP: 51,
  PREEMPTION_TIMER: 52,
  INVVPID: 53,
  WBINVD: 54,
  XSETBV: 55,
  APIC_WRITE: 56,
  RDRAND: 57,
  INVPCID: 58,
  VMFUNC: 59,
  ENCLS: 60,
  RDSEED: 61,
  PML_FULL: 62,
  XSAVES: 63,
  XRSTORS: 64,
  PCONFIG: 65,
  SPP_EVENT: 66,
  UMWAIT: 67,
  TPAUSE: 68,
  LOADIWKEY: 69,
  ENCLV: 70,
  ENQCMD_PASID_FAILURE: 72,
  ENQCMDS_PASID_FAILURE: 73,
  BUS_LOCK: 74,
  INSTRUCTION_TIMEOUT: 75,
} as const;
export type ExitReasonName = keyof typeof ExitReason;

/** VM_EXIT_REASON bit 31: VM-entry failure. */
export const EXIT_REASON_FAILED_VMENTRY = 0x80000000 | 0;

/** The numeric value of a basic exit reason. */
export type BasicExitReason = (typeof ExitReason)[keyof typeof ExitReason];

/** VM-instruction error numbers (VM_INSTRUCTION_ERROR). */
export const VmInstructionError = {
  VMCALL_IN_ROOT: 1,
  VMCLEAR_INVALID_ADDRESS: 2,
  VMCLEAR_VMXON_POINTER: 3,
  VMLAUNCH_NONCLEAR_VMCS: 4,
  VMRESUME_NONLAUNCHED_VMCS: 5,
  VMRESUME_AFTER_VMXOFF: 6,
  ENTRY_INVALID_CONTROL_FIELD: 7,
  ENTRY_INVALID_HOST_STATE_FIELD: 8,
  VMPTRLD_INVALID_ADDRESS: 9,
  VMPTRLD_VMXON_POINTER: 10,
  VMPTRLD_INCORRECT_REVISION: 11,
  UNSUPPORTED_VMCS_COMPONENT: 12,
  VMWRITE_READ_ONLY_COMPONENT: 13,
  VMXON_IN_ROOT: 15,
  ENTRY_INVALID_EXECUTIVE_VMCS: 16,
  ENTRY_NONLAUNCHED_EXECUTIVE_VMCS: 17,
  ENTRY_EXECUTIVE_VMCS_NOT_VMXON: 18,
  VMCALL_NONCLEAR_VMCS: 19,
  VMCALL_INVALID_EXIT_CONTROLS: 20,
  VMCALL_INCORRECT_MSEG_REVISION: 22,
  VMXOFF_DUAL_MONITOR: 23,
  VMCALL_INVALID_SMM_FEATURES: 24,
  ENTRY_INVALID_EXECUTIVE_CONTROLS: 25,
  ENTRY_EVENTS_BLOCKED_BY_MOV_SS: 26,
  INVALID_INVEPT_INVVPID_OPERAND: 28,
} as const;

/** VM-entry failure exit qualifications for exit reason 33. */
export const EntryFailureQual = { DEFAULT: 0, PDPTE: 2, NMI_INJECTION: 3, VMCS_LINK_POINTER: 4 } as const;

/** VMX-abort indicator codes (dword 1 of the VMCS region). */
export const VmxAbort = {
  SAVING_GUEST_MSRS: 1,
  HOST_PDPTE: 2,
  VMCS_CORRUPTED: 3,
  LOADING_HOST_MSRS: 4,
  MACHINE_CHECK: 5,
  LONG_MODE_TO_LEGACY_HOST: 6,
} as const;
