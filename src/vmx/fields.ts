/**
 * VMCS field encodings (Intel SDM Vol. 3C, "Field Encoding in VMCS" and the VMCS-field appendix),
 * with their SDM/Linux names, the decoding of width/type/index from an encoding, and the set of
 * fields this processor model supports.
 *
 * Models: every field of the reference table (`vmcs-fields.tsv`, Linux `vmx.h` + Bochs), and which
 * of them exist on our processor: a 32-bit IA-32 processor (no Intel 64), so natural-width fields
 * are 32 bits wide. A field "exists" when the feature that owns it is modelled (see
 * `SUPPORTED_FIELD_NAMES`); VMREAD/VMWRITE of any other encoding is VMfailValid(12), as on hardware
 * that lacks the feature.
 * Does not model: the fields of unmodelled features (APIC virtualization, posted interrupts, PML,
 * VMCS shadowing, VM functions, SGX, PT, CET, FRED, SMM dual-monitor, TDX, ...).
 *
 * Encoding layout (SDM "Structure of VMCS Component Encoding"):
 *
 *   bit  0      access type (0 = full, 1 = high 32 bits of a 64-bit field)
 *   bits 9:1    index
 *   bits 11:10  type  (0 control, 1 VM-exit information (read-only), 2 guest state, 3 host state)
 *   bit  12     reserved (0)
 *   bits 14:13  width (0 16-bit, 1 64-bit, 2 32-bit, 3 natural width)
 *   bits 31:15  reserved (0)
 */

/** Field width, encoding bits 14:13. */
export const enum FieldWidth { W16 = 0, W64 = 1, W32 = 2, NATURAL = 3 }
/** Field type, encoding bits 11:10. */
export const enum FieldType { CONTROL = 0, EXIT_INFO = 1, GUEST = 2, HOST = 3 }

export const FIELD_WIDTH_NAMES = ['16-bit', '64-bit', '32-bit', 'natural-width'] as const;
export const FIELD_TYPE_NAMES = ['control', 'VM-exit information', 'guest state', 'host state'] as const;

/** Bits of an encoding that must be 0 (bit 12, bits 31:15). */
export const ENCODING_RESERVED_MASK = 0xffff9000 | 0;

export function fieldWidth(encoding: number): FieldWidth {
  return ((encoding >>> 13) & 3) as FieldWidth;
}
export function fieldType(encoding: number): FieldType {
  return ((encoding >>> 10) & 3) as FieldType;
}
export function fieldIndex(encoding: number): number {
  return (encoding >>> 1) & 0x1ff;
}
/** True for the "high" access type (bit 0 = 1): the upper 32 bits of a 64-bit field. */
export function isHighAccess(encoding: number): boolean {
  return (encoding & 1) === 1;
}
/**
 * Width in bits of the value VMREAD/VMWRITE transfers for `encoding` on this processor:
 * 16, 32 (32-bit, natural width, a high access, or a 32-bit access to a 64-bit field's full
 * encoding — the upper half is reached through the high encoding).
 */
export function accessBits(encoding: number): 16 | 32 {
  return fieldWidth(encoding) === FieldWidth.W16 && !isHighAccess(encoding) ? 16 : 32;
}

/** The `_HIGH` encodings (upper 32 bits of 64-bit fields), Linux names. */
export const VmcsFieldHigh = {
  IO_BITMAP_A_HIGH: 0x2001,
  IO_BITMAP_B_HIGH: 0x2003,
  MSR_BITMAP_HIGH: 0x2005,
  VM_EXIT_MSR_STORE_ADDR_HIGH: 0x2007,
  VM_EXIT_MSR_LOAD_ADDR_HIGH: 0x2009,
  VM_ENTRY_MSR_LOAD_ADDR_HIGH: 0x200B,
  PML_ADDRESS_HIGH: 0x200F,
  TSC_OFFSET_HIGH: 0x2011,
  VIRTUAL_APIC_PAGE_ADDR_HIGH: 0x2013,
  APIC_ACCESS_ADDR_HIGH: 0x2015,
  POSTED_INTR_DESC_ADDR_HIGH: 0x2017,
  VM_FUNCTION_CONTROL_HIGH: 0x2019,
  EPT_POINTER_HIGH: 0x201B,
  EOI_EXIT_BITMAP0_HIGH: 0x201D,
  EOI_EXIT_BITMAP1_HIGH: 0x201F,
  EOI_EXIT_BITMAP2_HIGH: 0x2021,
  EOI_EXIT_BITMAP3_HIGH: 0x2023,
  EPTP_LIST_ADDRESS_HIGH: 0x2025,
  VMREAD_BITMAP_HIGH: 0x2027,
  VMWRITE_BITMAP_HIGH: 0x2029,
  VE_INFORMATION_ADDRESS_HIGH: 0x202B,
  XSS_EXIT_BITMAP_HIGH: 0x202D,
  ENCLS_EXITING_BITMAP_HIGH: 0x202F,
  TSC_MULTIPLIER_HIGH: 0x2033,
  TERTIARY_VM_EXEC_CONTROL_HIGH: 0x2035,
  PID_POINTER_TABLE_HIGH: 0x2043,
  GUEST_PHYSICAL_ADDRESS_HIGH: 0x2401,
  VMCS_LINK_POINTER_HIGH: 0x2801,
  GUEST_IA32_DEBUGCTL_HIGH: 0x2803,
  GUEST_IA32_PAT_HIGH: 0x2805,
  GUEST_IA32_EFER_HIGH: 0x2807,
  GUEST_IA32_PERF_GLOBAL_CTRL_HIGH: 0x2809,
  GUEST_PDPTR0_HIGH: 0x280B,
  GUEST_PDPTR1_HIGH: 0x280D,
  GUEST_PDPTR2_HIGH: 0x280F,
  GUEST_PDPTR3_HIGH: 0x2811,
  GUEST_BNDCFGS_HIGH: 0x2813,
  GUEST_IA32_RTIT_CTL_HIGH: 0x2815,
  HOST_IA32_PAT_HIGH: 0x2C01,
  HOST_IA32_EFER_HIGH: 0x2C03,
  HOST_IA32_PERF_GLOBAL_CTRL_HIGH: 0x2C05,
  EXECUTIVE_VMCS_POINTER_HIGH: 0x200D,
  SPPTP_HIGH: 0x2031,
  ENCLV_EXITING_BITMAP_HIGH: 0x2037,
  LOW_PASID_DIRECTORY_ADDRESS_HIGH: 0x2039,
  HIGH_PASID_DIRECTORY_ADDRESS_HIGH: 0x203B,
  SHARED_EPT_POINTER_HIGH: 0x203D,
  PCONFIG_EXITING_BITMAP_HIGH: 0x203F,
  HLAT_POINTER_HIGH: 0x2041,
  SECONDARY_VM_EXIT_CONTROLS_HIGH: 0x2045,
  IA32_SPEC_CTRL_MASK_HIGH: 0x204B,
  IA32_SPEC_CTRL_SHADOW_HIGH: 0x204D,
  GUEST_DEADLINE_SHADOW_HIGH: 0x204F,
  INJECTED_EVENT_DATA_HIGH: 0x2053,
  MSR_DATA_HIGH: 0x2403,
  ORIGINAL_EVENT_DATA_HIGH: 0x2405,
  GUEST_IA32_PKRS_HIGH: 0x2819,
  GUEST_IA32_FRED_CONFIG_HIGH: 0x281B,
  GUEST_IA32_FRED_RSP1_HIGH: 0x281D,
  GUEST_IA32_FRED_RSP2_HIGH: 0x281F,
  GUEST_IA32_FRED_RSP3_HIGH: 0x2821,
  GUEST_IA32_FRED_STKLVLS_HIGH: 0x2823,
  GUEST_IA32_FRED_SSP1_HIGH: 0x2825,
  GUEST_IA32_FRED_SSP2_HIGH: 0x2827,
  GUEST_IA32_FRED_SSP3_HIGH: 0x2829,
  GUEST_IA32_SPEC_CTRL_HIGH: 0x282F,
  GUEST_DEADLINE_HIGH: 0x2831,
  HOST_IA32_PKRS_HIGH: 0x2C07,
  HOST_IA32_FRED_CONFIG_HIGH: 0x2C09,
  HOST_IA32_FRED_RSP1_HIGH: 0x2C0B,
  HOST_IA32_FRED_RSP2_HIGH: 0x2C0D,
  HOST_IA32_FRED_RSP3_HIGH: 0x2C0F,
  HOST_IA32_FRED_STKLVLS_HIGH: 0x2C11,
  HOST_IA32_FRED_SSP1_HIGH: 0x2C13,
  HOST_IA32_FRED_SSP2_HIGH: 0x2C15,
  HOST_IA32_FRED_SSP3_HIGH: 0x2C17,
  HOST_IA32_SPEC_CTRL_HIGH: 0x2C1B,
} as const;

/**
 * Every VMCS field of the reference table, full encodings (SDM / Linux `vmx.h` names; Bochs names
 * for the fields Linux lacks).
 */
export const VmcsField = {
  /** Virtual-processor identifier (VPID) */
  VIRTUAL_PROCESSOR_ID: 0x0000,
  /** Posted-interrupt notification vector */
  POSTED_INTR_NV: 0x0002,
  /** Last PID-pointer index (IPI virtualization) */
  LAST_PID_POINTER_INDEX: 0x0008,
  /** Guest ES selector */
  GUEST_ES_SELECTOR: 0x0800,
  /** Guest CS selector */
  GUEST_CS_SELECTOR: 0x0802,
  /** Guest SS selector */
  GUEST_SS_SELECTOR: 0x0804,
  /** Guest DS selector */
  GUEST_DS_SELECTOR: 0x0806,
  /** Guest FS selector */
  GUEST_FS_SELECTOR: 0x0808,
  /** Guest GS selector */
  GUEST_GS_SELECTOR: 0x080A,
  /** Guest LDTR selector */
  GUEST_LDTR_SELECTOR: 0x080C,
  /** Guest TR selector */
  GUEST_TR_SELECTOR: 0x080E,
  /** Guest interrupt status (RVI low byte, SVI high byte; virtual-interrupt delivery) */
  GUEST_INTR_STATUS: 0x0810,
  /** PML index */
  GUEST_PML_INDEX: 0x0812,
  /** Host ES selector */
  HOST_ES_SELECTOR: 0x0C00,
  /** Host CS selector */
  HOST_CS_SELECTOR: 0x0C02,
  /** Host SS selector */
  HOST_SS_SELECTOR: 0x0C04,
  /** Host DS selector */
  HOST_DS_SELECTOR: 0x0C06,
  /** Host FS selector */
  HOST_FS_SELECTOR: 0x0C08,
  /** Host GS selector */
  HOST_GS_SELECTOR: 0x0C0A,
  /** Host TR selector */
  HOST_TR_SELECTOR: 0x0C0C,
  /** Address of I/O bitmap A (ports 0000-7FFF) */
  IO_BITMAP_A: 0x2000,
  /** Address of I/O bitmap B (ports 8000-FFFF) */
  IO_BITMAP_B: 0x2002,
  /** Address of MSR bitmaps (4 KB: read-low, read-high, write-low, write-high) */
  MSR_BITMAP: 0x2004,
  /** VM-exit MSR-store address */
  VM_EXIT_MSR_STORE_ADDR: 0x2006,
  /** VM-exit MSR-load address */
  VM_EXIT_MSR_LOAD_ADDR: 0x2008,
  /** VM-entry MSR-load address */
  VM_ENTRY_MSR_LOAD_ADDR: 0x200A,
  /** PML address (4 KB page-modification log) */
  PML_ADDRESS: 0x200E,
  /** TSC offset */
  TSC_OFFSET: 0x2010,
  /** Virtual-APIC address */
  VIRTUAL_APIC_PAGE_ADDR: 0x2012,
  /** APIC-access address */
  APIC_ACCESS_ADDR: 0x2014,
  /** Posted-interrupt descriptor address */
  POSTED_INTR_DESC_ADDR: 0x2016,
  /** VM-function controls */
  VM_FUNCTION_CONTROL: 0x2018,
  /** EPT pointer (EPTP) */
  EPT_POINTER: 0x201A,
  /** EOI-exit bitmap 0 (vectors 0-63) */
  EOI_EXIT_BITMAP0: 0x201C,
  /** EOI-exit bitmap 1 (vectors 64-127) */
  EOI_EXIT_BITMAP1: 0x201E,
  /** EOI-exit bitmap 2 (vectors 128-191) */
  EOI_EXIT_BITMAP2: 0x2020,
  /** EOI-exit bitmap 3 (vectors 192-255) */
  EOI_EXIT_BITMAP3: 0x2022,
  /** EPTP-list address (VMFUNC 0, EPTP switching) */
  EPTP_LIST_ADDRESS: 0x2024,
  /** VMREAD-bitmap address (VMCS shadowing) */
  VMREAD_BITMAP: 0x2026,
  /** VMWRITE-bitmap address (VMCS shadowing) */
  VMWRITE_BITMAP: 0x2028,
  /** Virtualization-exception (#VE) information address */
  VE_INFORMATION_ADDRESS: 0x202A,
  /** XSS-exiting bitmap */
  XSS_EXIT_BITMAP: 0x202C,
  /** ENCLS-exiting bitmap */
  ENCLS_EXITING_BITMAP: 0x202E,
  /** TSC multiplier */
  TSC_MULTIPLIER: 0x2032,
  /** Tertiary processor-based VM-execution controls (64-bit) */
  TERTIARY_VM_EXEC_CONTROL: 0x2034,
  /** PID-pointer table address (IPI virtualization) */
  PID_POINTER_TABLE: 0x2042,
  /** Guest-physical address (EPT violation/misconfig exits) */
  GUEST_PHYSICAL_ADDRESS: 0x2400,
  /** VMCS link pointer (must be all-ones unless shadow VMCS in use) */
  VMCS_LINK_POINTER: 0x2800,
  /** Guest IA32_DEBUGCTL */
  GUEST_IA32_DEBUGCTL: 0x2802,
  /** Guest IA32_PAT */
  GUEST_IA32_PAT: 0x2804,
  /** Guest IA32_EFER */
  GUEST_IA32_EFER: 0x2806,
  /** Guest IA32_PERF_GLOBAL_CTRL */
  GUEST_IA32_PERF_GLOBAL_CTRL: 0x2808,
  /** Guest PDPTE0 (PAE paging with EPT) */
  GUEST_PDPTR0: 0x280A,
  /** Guest PDPTE1 */
  GUEST_PDPTR1: 0x280C,
  /** Guest PDPTE2 */
  GUEST_PDPTR2: 0x280E,
  /** Guest PDPTE3 */
  GUEST_PDPTR3: 0x2810,
  /** Guest IA32_BNDCFGS (MPX) */
  GUEST_BNDCFGS: 0x2812,
  /** Guest IA32_RTIT_CTL (Intel PT) */
  GUEST_IA32_RTIT_CTL: 0x2814,
  /** Host IA32_PAT */
  HOST_IA32_PAT: 0x2C00,
  /** Host IA32_EFER */
  HOST_IA32_EFER: 0x2C02,
  /** Host IA32_PERF_GLOBAL_CTRL */
  HOST_IA32_PERF_GLOBAL_CTRL: 0x2C04,
  /** Pin-based VM-execution controls */
  PIN_BASED_VM_EXEC_CONTROL: 0x4000,
  /** Primary processor-based VM-execution controls */
  CPU_BASED_VM_EXEC_CONTROL: 0x4002,
  /** Exception bitmap */
  EXCEPTION_BITMAP: 0x4004,
  /** Page-fault error-code mask */
  PAGE_FAULT_ERROR_CODE_MASK: 0x4006,
  /** Page-fault error-code match */
  PAGE_FAULT_ERROR_CODE_MATCH: 0x4008,
  /** CR3-target count */
  CR3_TARGET_COUNT: 0x400A,
  /** Primary VM-exit controls */
  VM_EXIT_CONTROLS: 0x400C,
  /** VM-exit MSR-store count */
  VM_EXIT_MSR_STORE_COUNT: 0x400E,
  /** VM-exit MSR-load count */
  VM_EXIT_MSR_LOAD_COUNT: 0x4010,
  /** VM-entry controls */
  VM_ENTRY_CONTROLS: 0x4012,
  /** VM-entry MSR-load count */
  VM_ENTRY_MSR_LOAD_COUNT: 0x4014,
  /** VM-entry interruption-information field */
  VM_ENTRY_INTR_INFO_FIELD: 0x4016,
  /** VM-entry exception error code */
  VM_ENTRY_EXCEPTION_ERROR_CODE: 0x4018,
  /** VM-entry instruction length */
  VM_ENTRY_INSTRUCTION_LEN: 0x401A,
  /** TPR threshold */
  TPR_THRESHOLD: 0x401C,
  /** Secondary processor-based VM-execution controls */
  SECONDARY_VM_EXEC_CONTROL: 0x401E,
  /** PAUSE-loop exiting gap */
  PLE_GAP: 0x4020,
  /** PAUSE-loop exiting window */
  PLE_WINDOW: 0x4022,
  /** Instruction-timeout control / notify window (Bochs: INSTRUCTION_TIMEOUT_CTRL) */
  NOTIFY_WINDOW: 0x4024,
  /** VM-instruction error */
  VM_INSTRUCTION_ERROR: 0x4400,
  /** Exit reason */
  VM_EXIT_REASON: 0x4402,
  /** VM-exit interruption information */
  VM_EXIT_INTR_INFO: 0x4404,
  /** VM-exit interruption error code */
  VM_EXIT_INTR_ERROR_CODE: 0x4406,
  /** IDT-vectoring information field */
  IDT_VECTORING_INFO_FIELD: 0x4408,
  /** IDT-vectoring error code */
  IDT_VECTORING_ERROR_CODE: 0x440A,
  /** VM-exit instruction length */
  VM_EXIT_INSTRUCTION_LEN: 0x440C,
  /** VM-exit instruction information */
  VMX_INSTRUCTION_INFO: 0x440E,
  /** Guest ES limit */
  GUEST_ES_LIMIT: 0x4800,
  /** Guest CS limit */
  GUEST_CS_LIMIT: 0x4802,
  /** Guest SS limit */
  GUEST_SS_LIMIT: 0x4804,
  /** Guest DS limit */
  GUEST_DS_LIMIT: 0x4806,
  /** Guest FS limit */
  GUEST_FS_LIMIT: 0x4808,
  /** Guest GS limit */
  GUEST_GS_LIMIT: 0x480A,
  /** Guest LDTR limit */
  GUEST_LDTR_LIMIT: 0x480C,
  /** Guest TR limit */
  GUEST_TR_LIMIT: 0x480E,
  /** Guest GDTR limit */
  GUEST_GDTR_LIMIT: 0x4810,
  /** Guest IDTR limit */
  GUEST_IDTR_LIMIT: 0x4812,
  /** Guest ES access rights */
  GUEST_ES_AR_BYTES: 0x4814,
  /** Guest CS access rights */
  GUEST_CS_AR_BYTES: 0x4816,
  /** Guest SS access rights */
  GUEST_SS_AR_BYTES: 0x4818,
  /** Guest DS access rights */
  GUEST_DS_AR_BYTES: 0x481A,
  /** Guest FS access rights */
  GUEST_FS_AR_BYTES: 0x481C,
  /** Guest GS access rights */
  GUEST_GS_AR_BYTES: 0x481E,
  /** Guest LDTR access rights */
  GUEST_LDTR_AR_BYTES: 0x4820,
  /** Guest TR access rights */
  GUEST_TR_AR_BYTES: 0x4822,
  /** Guest interruptibility state */
  GUEST_INTERRUPTIBILITY_INFO: 0x4824,
  /** Guest activity state */
  GUEST_ACTIVITY_STATE: 0x4826,
  /** Guest IA32_SYSENTER_CS */
  GUEST_SYSENTER_CS: 0x482A,
  /** VMX-preemption timer value */
  VMX_PREEMPTION_TIMER_VALUE: 0x482E,
  /** Host IA32_SYSENTER_CS */
  HOST_IA32_SYSENTER_CS: 0x4C00,
  /** CR0 guest/host mask */
  CR0_GUEST_HOST_MASK: 0x6000,
  /** CR4 guest/host mask */
  CR4_GUEST_HOST_MASK: 0x6002,
  /** CR0 read shadow */
  CR0_READ_SHADOW: 0x6004,
  /** CR4 read shadow */
  CR4_READ_SHADOW: 0x6006,
  /** CR3-target value 0 */
  CR3_TARGET_VALUE0: 0x6008,
  /** CR3-target value 1 */
  CR3_TARGET_VALUE1: 0x600A,
  /** CR3-target value 2 */
  CR3_TARGET_VALUE2: 0x600C,
  /** CR3-target value 3 */
  CR3_TARGET_VALUE3: 0x600E,
  /** Exit qualification */
  EXIT_QUALIFICATION: 0x6400,
  /** Guest-linear address */
  GUEST_LINEAR_ADDRESS: 0x640A,
  /** Guest CR0 */
  GUEST_CR0: 0x6800,
  /** Guest CR3 */
  GUEST_CR3: 0x6802,
  /** Guest CR4 */
  GUEST_CR4: 0x6804,
  /** Guest ES base */
  GUEST_ES_BASE: 0x6806,
  /** Guest CS base */
  GUEST_CS_BASE: 0x6808,
  /** Guest SS base */
  GUEST_SS_BASE: 0x680A,
  /** Guest DS base */
  GUEST_DS_BASE: 0x680C,
  /** Guest FS base */
  GUEST_FS_BASE: 0x680E,
  /** Guest GS base */
  GUEST_GS_BASE: 0x6810,
  /** Guest LDTR base */
  GUEST_LDTR_BASE: 0x6812,
  /** Guest TR base */
  GUEST_TR_BASE: 0x6814,
  /** Guest GDTR base */
  GUEST_GDTR_BASE: 0x6816,
  /** Guest IDTR base */
  GUEST_IDTR_BASE: 0x6818,
  /** Guest DR7 */
  GUEST_DR7: 0x681A,
  /** Guest RSP */
  GUEST_RSP: 0x681C,
  /** Guest RIP */
  GUEST_RIP: 0x681E,
  /** Guest RFLAGS */
  GUEST_RFLAGS: 0x6820,
  /** Guest pending debug exceptions */
  GUEST_PENDING_DBG_EXCEPTIONS: 0x6822,
  /** Guest IA32_SYSENTER_ESP */
  GUEST_SYSENTER_ESP: 0x6824,
  /** Guest IA32_SYSENTER_EIP */
  GUEST_SYSENTER_EIP: 0x6826,
  /** Host CR0 */
  HOST_CR0: 0x6C00,
  /** Host CR3 */
  HOST_CR3: 0x6C02,
  /** Host CR4 */
  HOST_CR4: 0x6C04,
  /** Host FS base */
  HOST_FS_BASE: 0x6C06,
  /** Host GS base */
  HOST_GS_BASE: 0x6C08,
  /** Host TR base */
  HOST_TR_BASE: 0x6C0A,
  /** Host GDTR base */
  HOST_GDTR_BASE: 0x6C0C,
  /** Host IDTR base */
  HOST_IDTR_BASE: 0x6C0E,
  /** Host IA32_SYSENTER_ESP */
  HOST_IA32_SYSENTER_ESP: 0x6C10,
  /** Host IA32_SYSENTER_EIP */
  HOST_IA32_SYSENTER_EIP: 0x6C12,
  /** Host RSP */
  HOST_RSP: 0x6C14,
  /** Host RIP */
  HOST_RIP: 0x6C16,
  /** EPTP index (#VE / EPTP switching) */
  EPTP_INDEX: 0x0004,
  /** HLAT prefix size */
  HLAT_PREFIX_SIZE: 0x0006,
  /** Virtual timer vector (APIC-timer virtualization) */
  VIRTUAL_TIMER_VECTOR: 0x000A,
  /** Guest UINV (user-interrupt notification vector) */
  GUEST_UINV: 0x0814,
  /** Executive-VMCS pointer (dual-monitor SMM) */
  EXECUTIVE_VMCS_POINTER: 0x200C,
  /** Sub-page-permission-table pointer */
  SPPTP: 0x2030,
  /** ENCLV-exiting bitmap */
  ENCLV_EXITING_BITMAP: 0x2036,
  /** Low PASID directory address (ENQCMD PASID translation) */
  LOW_PASID_DIRECTORY_ADDRESS: 0x2038,
  /** High PASID directory address */
  HIGH_PASID_DIRECTORY_ADDRESS: 0x203A,
  /** Shared EPT pointer (SEAM/TDX) */
  SHARED_EPT_POINTER: 0x203C,
  /** PCONFIG-exiting bitmap */
  PCONFIG_EXITING_BITMAP: 0x203E,
  /** Hypervisor-managed linear-address translation pointer */
  HLAT_POINTER: 0x2040,
  /** Secondary VM-exit controls (64-bit) */
  SECONDARY_VM_EXIT_CONTROLS: 0x2044,
  /** IA32_SPEC_CTRL mask */
  IA32_SPEC_CTRL_MASK: 0x204A,
  /** IA32_SPEC_CTRL shadow */
  IA32_SPEC_CTRL_SHADOW: 0x204C,
  /** Guest deadline shadow (APIC-timer virtualization) */
  GUEST_DEADLINE_SHADOW: 0x204E,
  /** Injected-event data (FRED) */
  INJECTED_EVENT_DATA: 0x2052,
  /** MSR data (MSRLIST exits) */
  MSR_DATA: 0x2402,
  /** Original-event data (FRED) */
  ORIGINAL_EVENT_DATA: 0x2404,
  /** Guest IA32_PKRS */
  GUEST_IA32_PKRS: 0x2818,
  /** Guest IA32_FRED_CONFIG */
  GUEST_IA32_FRED_CONFIG: 0x281A,
  /** Guest IA32_FRED_RSP1 */
  GUEST_IA32_FRED_RSP1: 0x281C,
  /** Guest IA32_FRED_RSP2 */
  GUEST_IA32_FRED_RSP2: 0x281E,
  /** Guest IA32_FRED_RSP3 */
  GUEST_IA32_FRED_RSP3: 0x2820,
  /** Guest IA32_FRED_STKLVLS */
  GUEST_IA32_FRED_STKLVLS: 0x2822,
  /** Guest IA32_FRED_SSP1 */
  GUEST_IA32_FRED_SSP1: 0x2824,
  /** Guest IA32_FRED_SSP2 */
  GUEST_IA32_FRED_SSP2: 0x2826,
  /** Guest IA32_FRED_SSP3 */
  GUEST_IA32_FRED_SSP3: 0x2828,
  /** Guest IA32_SPEC_CTRL */
  GUEST_IA32_SPEC_CTRL: 0x282E,
  /** Guest deadline (APIC-timer virtualization) */
  GUEST_DEADLINE: 0x2830,
  /** Host IA32_PKRS */
  HOST_IA32_PKRS: 0x2C06,
  /** Host IA32_FRED_CONFIG */
  HOST_IA32_FRED_CONFIG: 0x2C08,
  /** Host IA32_FRED_RSP1 */
  HOST_IA32_FRED_RSP1: 0x2C0A,
  /** Host IA32_FRED_RSP2 */
  HOST_IA32_FRED_RSP2: 0x2C0C,
  /** Host IA32_FRED_RSP3 */
  HOST_IA32_FRED_RSP3: 0x2C0E,
  /** Host IA32_FRED_STKLVLS */
  HOST_IA32_FRED_STKLVLS: 0x2C10,
  /** Host IA32_FRED_SSP1 */
  HOST_IA32_FRED_SSP1: 0x2C12,
  /** Host IA32_FRED_SSP2 */
  HOST_IA32_FRED_SSP2: 0x2C14,
  /** Host IA32_FRED_SSP3 */
  HOST_IA32_FRED_SSP3: 0x2C16,
  /** Host IA32_SPEC_CTRL */
  HOST_IA32_SPEC_CTRL: 0x2C1A,
  /** Guest KeyID (SEAM) */
  GUEST_SEAM_KEYID: 0x4026,
  /** Guest SMBASE */
  GUEST_SMBASE: 0x4828,
  /** I/O RCX (SMM VM exits) */
  IO_RCX: 0x6402,
  /** I/O RSI (SMM VM exits) */
  IO_RSI: 0x6404,
  /** I/O RDI (SMM VM exits) */
  IO_RDI: 0x6406,
  /** I/O RIP (SMM VM exits) */
  IO_RIP: 0x6408,
  /** Guest IA32_S_CET */
  GUEST_S_CET: 0x6828,
  /** Guest SSP */
  GUEST_SSP: 0x682A,
  /** Guest IA32_INTERRUPT_SSP_TABLE_ADDR */
  GUEST_INTR_SSP_TABLE: 0x682C,
  /** Host IA32_S_CET */
  HOST_S_CET: 0x6C18,
  /** Host SSP */
  HOST_SSP: 0x6C1A,
  /** Host IA32_INTERRUPT_SSP_TABLE_ADDR */
  HOST_INTR_SSP_TABLE: 0x6C1C,
  // ---- `_HIGH` encodings: the upper 32 bits of 64-bit fields (access type 1) ----
  ...VmcsFieldHigh,
} as const;


export type VmcsFieldName = keyof typeof VmcsField;
export type VmcsFieldHighName = keyof typeof VmcsFieldHigh;
/** Any name the typed API accepts: a full field name or a `_HIGH` half. */
export type VmcsAnyFieldName = VmcsFieldName;

/**
 * Fields that exist on this processor model, grouped by the feature that owns them.
 * `_HIGH` halves of supported 64-bit fields are supported too.
 */
export const SUPPORTED_FIELD_NAMES: readonly VmcsFieldName[] = [
  // (full encodings only; see SUPPORTED for the `_HIGH` halves)
  // 16-bit control: VPID
  'VIRTUAL_PROCESSOR_ID',
  // 16-bit guest / host selectors
  'GUEST_ES_SELECTOR', 'GUEST_CS_SELECTOR', 'GUEST_SS_SELECTOR', 'GUEST_DS_SELECTOR',
  'GUEST_FS_SELECTOR', 'GUEST_GS_SELECTOR', 'GUEST_LDTR_SELECTOR', 'GUEST_TR_SELECTOR',
  'HOST_ES_SELECTOR', 'HOST_CS_SELECTOR', 'HOST_SS_SELECTOR', 'HOST_DS_SELECTOR',
  'HOST_FS_SELECTOR', 'HOST_GS_SELECTOR', 'HOST_TR_SELECTOR',
  // 64-bit control: bitmaps, MSR areas, TSC offset, EPT
  'IO_BITMAP_A', 'IO_BITMAP_B', 'MSR_BITMAP', 'VM_EXIT_MSR_STORE_ADDR', 'VM_EXIT_MSR_LOAD_ADDR',
  'VM_ENTRY_MSR_LOAD_ADDR', 'TSC_OFFSET', 'EPT_POINTER',
  // 64-bit read-only
  'GUEST_PHYSICAL_ADDRESS',
  // 64-bit guest state
  'VMCS_LINK_POINTER', 'GUEST_IA32_DEBUGCTL', 'GUEST_IA32_PAT', 'GUEST_IA32_EFER',
  'GUEST_PDPTR0', 'GUEST_PDPTR1', 'GUEST_PDPTR2', 'GUEST_PDPTR3',
  // 64-bit host state
  'HOST_IA32_PAT', 'HOST_IA32_EFER',
  // 32-bit control
  'PIN_BASED_VM_EXEC_CONTROL', 'CPU_BASED_VM_EXEC_CONTROL', 'EXCEPTION_BITMAP',
  'PAGE_FAULT_ERROR_CODE_MASK', 'PAGE_FAULT_ERROR_CODE_MATCH', 'CR3_TARGET_COUNT',
  'VM_EXIT_CONTROLS', 'VM_EXIT_MSR_STORE_COUNT', 'VM_EXIT_MSR_LOAD_COUNT', 'VM_ENTRY_CONTROLS',
  'VM_ENTRY_MSR_LOAD_COUNT', 'VM_ENTRY_INTR_INFO_FIELD', 'VM_ENTRY_EXCEPTION_ERROR_CODE',
  'VM_ENTRY_INSTRUCTION_LEN', 'SECONDARY_VM_EXEC_CONTROL',
  // 32-bit read-only
  'VM_INSTRUCTION_ERROR', 'VM_EXIT_REASON', 'VM_EXIT_INTR_INFO', 'VM_EXIT_INTR_ERROR_CODE',
  'IDT_VECTORING_INFO_FIELD', 'IDT_VECTORING_ERROR_CODE', 'VM_EXIT_INSTRUCTION_LEN',
  'VMX_INSTRUCTION_INFO',
  // 32-bit guest state
  'GUEST_ES_LIMIT', 'GUEST_CS_LIMIT', 'GUEST_SS_LIMIT', 'GUEST_DS_LIMIT', 'GUEST_FS_LIMIT',
  'GUEST_GS_LIMIT', 'GUEST_LDTR_LIMIT', 'GUEST_TR_LIMIT', 'GUEST_GDTR_LIMIT', 'GUEST_IDTR_LIMIT',
  'GUEST_ES_AR_BYTES', 'GUEST_CS_AR_BYTES', 'GUEST_SS_AR_BYTES', 'GUEST_DS_AR_BYTES',
  'GUEST_FS_AR_BYTES', 'GUEST_GS_AR_BYTES', 'GUEST_LDTR_AR_BYTES', 'GUEST_TR_AR_BYTES',
  'GUEST_INTERRUPTIBILITY_INFO', 'GUEST_ACTIVITY_STATE', 'GUEST_SMBASE', 'GUEST_SYSENTER_CS',
  'VMX_PREEMPTION_TIMER_VALUE',
  // 32-bit host state
  'HOST_IA32_SYSENTER_CS',
  // natural-width control
  'CR0_GUEST_HOST_MASK', 'CR4_GUEST_HOST_MASK', 'CR0_READ_SHADOW', 'CR4_READ_SHADOW',
  'CR3_TARGET_VALUE0', 'CR3_TARGET_VALUE1', 'CR3_TARGET_VALUE2', 'CR3_TARGET_VALUE3',
  // natural-width read-only
  'EXIT_QUALIFICATION', 'IO_RCX', 'IO_RSI', 'IO_RDI', 'IO_RIP', 'GUEST_LINEAR_ADDRESS',
  // natural-width guest state
  'GUEST_CR0', 'GUEST_CR3', 'GUEST_CR4', 'GUEST_ES_BASE', 'GUEST_CS_BASE', 'GUEST_SS_BASE',
  'GUEST_DS_BASE', 'GUEST_FS_BASE', 'GUEST_GS_BASE', 'GUEST_LDTR_BASE', 'GUEST_TR_BASE',
  'GUEST_GDTR_BASE', 'GUEST_IDTR_BASE', 'GUEST_DR7', 'GUEST_RSP', 'GUEST_RIP', 'GUEST_RFLAGS',
  'GUEST_PENDING_DBG_EXCEPTIONS', 'GUEST_SYSENTER_ESP', 'GUEST_SYSENTER_EIP',
  // natural-width host state
  'HOST_CR0', 'HOST_CR3', 'HOST_CR4', 'HOST_FS_BASE', 'HOST_GS_BASE', 'HOST_TR_BASE',
  'HOST_GDTR_BASE', 'HOST_IDTR_BASE', 'HOST_IA32_SYSENTER_ESP', 'HOST_IA32_SYSENTER_EIP',
  'HOST_RSP', 'HOST_RIP',
];

const NAME_BY_ENCODING: ReadonlyMap<number, VmcsAnyFieldName> = new Map<number, VmcsAnyFieldName>([
  ...Object.entries(VmcsField).map(([n, e]) => [e, n as VmcsAnyFieldName] as const),
  ...Object.entries(VmcsFieldHigh).map(([n, e]) => [e, n as VmcsAnyFieldName] as const),
]);

const SUPPORTED: ReadonlySet<number> = (() => {
  const s = new Set<number>();
  for (const n of SUPPORTED_FIELD_NAMES) {
    const e = VmcsField[n];
    s.add(e);
    if (fieldWidth(e) === FieldWidth.W64) s.add(e | 1);
  }
  return s;
})();

/** Supported full encodings, in ascending encoding order (stable VMCS layout and dump order). */
export const SUPPORTED_ENCODINGS: readonly number[] = SUPPORTED_FIELD_NAMES.map((n) => VmcsField[n]).sort((a, b) => a - b);

/** Highest index (encoding bits 9:1) of any supported field: IA32_VMX_VMCS_ENUM bits 9:1. */
export const HIGHEST_FIELD_INDEX: number = SUPPORTED_ENCODINGS.reduce((m, e) => Math.max(m, fieldIndex(e)), 0);

/** Is `encoding` (full or high) a field of this processor model? */
export function isSupportedField(encoding: number): boolean {
  return (encoding & ENCODING_RESERVED_MASK) === 0 && SUPPORTED.has(encoding);
}

/** Is `encoding` a read-only VM-exit information field? */
export function isReadOnlyField(encoding: number): boolean {
  return fieldType(encoding) === FieldType.EXIT_INFO;
}

/** SDM name of an encoding (full or `_HIGH`), or undefined for an encoding not in the table. */
export function fieldName(encoding: number): VmcsAnyFieldName | undefined {
  return NAME_BY_ENCODING.get(encoding);
}

/** Encoding of a name (full or `_HIGH`), or undefined. */
export function fieldEncoding(name: string): number | undefined {
  if (Object.prototype.hasOwnProperty.call(VmcsField, name)) return VmcsField[name as VmcsFieldName];
  if (Object.prototype.hasOwnProperty.call(VmcsFieldHigh, name)) return VmcsFieldHigh[name as VmcsFieldHighName];
  return undefined;
}
