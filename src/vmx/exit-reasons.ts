/**
 * Names of basic VM-exit reasons (SDM Vol. 3D, Appendix C "VMX Basic Exit Reasons"): the SDM's
 * name ("I/O instruction") for people — `--stats`, `--stats-json`, D's `exitname()` — and the
 * identifier (`IO_INSTRUCTION`, from `ExitReason` in controls.ts) for code, VMCS dumps and
 * illumos's `strexitno[]`. The numbers live once, in controls.ts `ExitReason`. The SDM names come
 * from ../shared/reference/vmx/exit-reasons.tsv without the explanatory parentheses it adds.
 */
import { ExitReason } from './controls.js';
export const EXIT_REASONS: ReadonlyArray<readonly [number, string, string]> = [
  [0, "Exception or non-maskable interrupt (NMI)", "EXIT_REASON_EXCEPTION_NMI"],
  [1, "External interrupt", "EXIT_REASON_EXTERNAL_INTERRUPT"],
  [2, "Triple fault", "EXIT_REASON_TRIPLE_FAULT"],
  [3, "INIT signal", "EXIT_REASON_INIT_SIGNAL"],
  [4, "Start-up IPI (SIPI)", ""],
  [5, "I/O system-management interrupt (SMI)", ""],
  [6, "Other SMI", ""],
  [7, "Interrupt window", "EXIT_REASON_INTERRUPT_WINDOW"],
  [8, "NMI window", "EXIT_REASON_NMI_WINDOW"],
  [9, "Task switch", "EXIT_REASON_TASK_SWITCH"],
  [10, "CPUID", "EXIT_REASON_CPUID"],
  [11, "GETSEC", ""],
  [12, "HLT", "EXIT_REASON_HLT"],
  [13, "INVD", "EXIT_REASON_INVD"],
  [14, "INVLPG", "EXIT_REASON_INVLPG"],
  [15, "RDPMC", "EXIT_REASON_RDPMC"],
  [16, "RDTSC", "EXIT_REASON_RDTSC"],
  [17, "RSM", ""],
  [18, "VMCALL", "EXIT_REASON_VMCALL"],
  [19, "VMCLEAR", "EXIT_REASON_VMCLEAR"],
  [20, "VMLAUNCH", "EXIT_REASON_VMLAUNCH"],
  [21, "VMPTRLD", "EXIT_REASON_VMPTRLD"],
  [22, "VMPTRST", "EXIT_REASON_VMPTRST"],
  [23, "VMREAD", "EXIT_REASON_VMREAD"],
  [24, "VMRESUME", "EXIT_REASON_VMRESUME"],
  [25, "VMWRITE", "EXIT_REASON_VMWRITE"],
  [26, "VMXOFF", "EXIT_REASON_VMOFF"],
  [27, "VMXON", "EXIT_REASON_VMON"],
  [28, "Control-register accesses", "EXIT_REASON_CR_ACCESS"],
  [29, "MOV DR", "EXIT_REASON_DR_ACCESS"],
  [30, "I/O instruction", "EXIT_REASON_IO_INSTRUCTION"],
  [31, "RDMSR", "EXIT_REASON_MSR_READ"],
  [32, "WRMSR", "EXIT_REASON_MSR_WRITE"],
  [33, "VM-entry failure due to invalid guest state", "EXIT_REASON_INVALID_STATE"],
  [34, "VM-entry failure due to MSR loading", "EXIT_REASON_MSR_LOAD_FAIL"],
  [35, "", ""],
  [36, "MWAIT", "EXIT_REASON_MWAIT_INSTRUCTION"],
  [37, "Monitor trap flag", "EXIT_REASON_MONITOR_TRAP_FLAG"],
  [38, "", ""],
  [39, "MONITOR", "EXIT_REASON_MONITOR_INSTRUCTION"],
  [40, "PAUSE", "EXIT_REASON_PAUSE_INSTRUCTION"],
  [41, "VM-entry failure due to machine-check event", "EXIT_REASON_MCE_DURING_VMENTRY"],
  [42, "", ""],
  [43, "TPR below threshold", "EXIT_REASON_TPR_BELOW_THRESHOLD"],
  [44, "APIC access", "EXIT_REASON_APIC_ACCESS"],
  [45, "Virtualized EOI", "EXIT_REASON_EOI_INDUCED"],
  [46, "Access to GDTR or IDTR", "EXIT_REASON_GDTR_IDTR"],
  [47, "Access to LDTR or TR", "EXIT_REASON_LDTR_TR"],
  [48, "EPT violation", "EXIT_REASON_EPT_VIOLATION"],
  [49, "EPT misconfiguration", "EXIT_REASON_EPT_MISCONFIG"],
  [50, "INVEPT", "EXIT_REASON_INVEPT"],
  [51, "RDTSCP", "EXIT_REASON_RDTSCP"],
  [52, "VMX-preemption timer expired", "EXIT_REASON_PREEMPTION_TIMER"],
  [53, "INVVPID", "EXIT_REASON_INVVPID"],
  [54, "WBINVD or WBNOINVD", "EXIT_REASON_WBINVD"],
  [55, "XSETBV", "EXIT_REASON_XSETBV"],
  [56, "APIC write", "EXIT_REASON_APIC_WRITE"],
  [57, "RDRAND", "EXIT_REASON_RDRAND"],
  [58, "INVPCID", "EXIT_REASON_INVPCID"],
  [59, "VMFUNC", "EXIT_REASON_VMFUNC"],
  [60, "ENCLS", "EXIT_REASON_ENCLS"],
  [61, "RDSEED", "EXIT_REASON_RDSEED"],
  [62, "Page-modification log full", "EXIT_REASON_PML_FULL"],
  [63, "XSAVES", "EXIT_REASON_XSAVES"],
  [64, "XRSTORS", "EXIT_REASON_XRSTORS"],
  [65, "PCONFIG", ""],
  [66, "SPP-related event", ""],
  [67, "UMWAIT", "EXIT_REASON_UMWAIT"],
  [68, "TPAUSE", "EXIT_REASON_TPAUSE"],
  [69, "LOADIWKEY", ""],
  [70, "ENCLV", ""],
  [71, "", ""],
  [72, "ENQCMD PASID translation failure", ""],
  [73, "ENQCMDS PASID translation failure", ""],
  [74, "Bus lock", "EXIT_REASON_BUS_LOCK"],
  [75, "Instruction timeout / notify window", "EXIT_REASON_NOTIFY"],
  [76, "SEAMCALL", "EXIT_REASON_SEAMCALL"],
  [77, "TDCALL", "EXIT_REASON_TDCALL"],
  [78, "RDMSRLIST", ""],
  [79, "WRMSRLIST", ""],
  [80, "URDMSR", ""],
  [81, "UWRMSR", ""],
  [82, "", ""],
  [83, "", ""],
  [84, "RDMSR with immediate operand", "EXIT_REASON_MSR_READ_IMM"],
  [85, "WRMSRNS with immediate operand", "EXIT_REASON_MSR_WRITE_IMM"],
];

const BY_NUMBER: ReadonlyArray<string | undefined> = (() => {
  const a: Array<string | undefined> = [];
  for (const [n, name] of EXIT_REASONS) if (name) a[n] = name;
  return a;
})();

/** SDM name of a basic exit reason (bits 15:0 of the exit reason), or "UNKNOWN (n)". */
export function exitReasonName(reason: number): string {
  return BY_NUMBER[reason & 0xffff] ?? `UNKNOWN (${reason & 0xffff})`;
}

const IDENT: ReadonlyMap<number, string> = new Map(Object.entries(ExitReason).map(([n, v]) => [v, n] as const));

/** Identifier of a basic exit reason (`IO_INSTRUCTION`), or `REASON_<n>`. */
export function exitReasonIdent(reason: number): string {
  return IDENT.get(reason & 0xffff) ?? `REASON_${reason & 0xffff}`;
}

/** Linux `EXIT_REASON_*` name, if Linux has one. */
export function exitReasonLinuxName(reason: number): string | undefined {
  for (const [n, , linux] of EXIT_REASONS) if (n === (reason & 0xffff)) return linux || undefined;
  return undefined;
}
