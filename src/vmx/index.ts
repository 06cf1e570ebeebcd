/**
 * Intel VT-x model: VMCS, capability MSRs, VMX instructions, VM entry/exit, non-root hooks, EPT.
 * See the module headers of each file for what is and is not modelled.
 */
export { VmcsField, VmcsFieldHigh, FieldWidth, FieldType, fieldName, fieldEncoding, fieldWidth, fieldType, fieldIndex,
  isSupportedField, isReadOnlyField, SUPPORTED_FIELD_NAMES, SUPPORTED_ENCODINGS } from './fields.js';
export type { VmcsFieldName, VmcsAnyFieldName } from './fields.js';
export { PinCtl, ProcCtl, ProcCtl2, ExitCtl, EntryCtl, ExitReason, VmInstructionError, EntryFailureQual,
  VmxAbort, controlBitNames, EXIT_REASON_FAILED_VMENTRY } from './controls.js';
export { Vmcs, VmcsAccessError, dumpVmcs } from './vmcs.js';
export type { VmcsFieldRef } from './vmcs.js';
export { VmxCapabilities, VmxMsr, EptCap, VpidCap, VMCS_REVISION_ID, controlsValid } from './capabilities.js';
export type { VmxCapabilityOptions } from './capabilities.js';
export { Vmx, VmxUsageError, VMsucceed, VMfailInvalid, VMfailValid } from './vmx.js';
export type { VmResult, VmReadResult, VmxOptions } from './vmx.js';
export { ENTRY_CHECKS, EntryContext, firstFailingCheck } from './entry.js';
export type { EntryCheck, EntryFailure, EntryCheckCategory } from './entry.js';
export { ExitInfo } from './exit.js';
export { NonRootHooksImpl } from './nonroot.js';
export { eptWalk, eptWalkInto, eptpValid, EptWalkResult, EptStatus, EptPerm, EptMemType, MMIO_HPA_BASE } from './ept.js';
export * from './qualification.js';
export { EptBuilder, buildIdentityEpt, buildHostPageDirectory, enterVmxRoot, loadFreshVmcs, initVmcsForFlatGuest,
  SetupError, HOST_CR0, HOST_CR4, HOST_CS, HOST_DS, HOST_TR } from './setup.js';
export type { FlatGuestOptions, EptMapOptions } from './setup.js';
export { VmxRootInstructions } from './root.js';
export { defaultVmxServices } from './services.js';
export type { VmxCpu, VmxServices, VmxMmu } from './cpu-view.js';
export { exitReasonName, exitReasonIdent, exitReasonLinuxName, EXIT_REASONS } from './exit-reasons.js';
export type { BasicExitReason } from './controls.js';
