/**
 * SDM names of basic VM-exit reasons for D (`exitname(n)`, illumos `strexitno[n]`).
 *
 * The table lives once, in `src/vmx/controls.ts` (`ExitReason`, from the SDM's "Basic Exit
 * Reasons" appendix and /work/shared/reference/vmx/exit-reasons.tsv); this module only re-exports
 * it for the probe layer so that there is one source of truth. Unknown numbers print `REASON_<n>`.
 */
export { ExitReason, exitReasonName } from '../vmx/controls.js';
