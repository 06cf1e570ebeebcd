/**
 * Exit-reason names for D: `exitname(n)` gives the SDM name ("I/O instruction"), illumos's
 * `strexitno[n]` the identifier (`IO_INSTRUCTION`). One table, in src/vmx/exit-reasons.ts.
 */
export { ExitReason } from '../vmx/controls.js';
export { exitReasonName, exitReasonIdent } from '../vmx/exit-reasons.js';
