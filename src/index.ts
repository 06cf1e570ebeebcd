/**
 * vtx public API.
 *
 *   Machine        a PC with a VT-x vCPU under the built-in hypervisor (boot, run, stop, events)
 *   disassemble    the 16/32-bit Intel-syntax disassembler `vtx dis` uses
 *   Vmcs, dumpVmcs read VMCS fields by SDM name; a dump of every field
 *   ProbeRegistry  DTrace-style probes and the D subset
 */
export * from './memory/types.js';
export { Machine } from './machine/machine.js';
export type { MachineOptions, MachineEvents, RunOptions, RunResult } from './machine/machine.js';
export { VtxError, ImageError, OptionError } from './machine/errors.js';
export { parseImage, detectKind } from './machine/loader.js';
export type { BootKind, BootPlan } from './machine/loader.js';
export { VirtualClock } from './machine/clock.js';
export { Vcpu } from './hv/vcpu.js';
export type { ExitEvent } from './hv/vcpu.js';
export { ExitStats } from './hv/exit-stats.js';
export { exitReasonName, EXIT_REASONS } from './vmx/exit-reasons.js';
export { disassemble, formatInsn, formatListing } from './cpu/disasm.js';
export type { DisasmLine } from './cpu/disasm.js';
export { decode, decodeBytes } from './cpu/decoder.js';
export { Insn } from './cpu/insn.js';
export { Cpu } from './cpu/cpu.js';
export { Vmx } from './vmx/vmx.js';
export { Vmcs, dumpVmcs } from './vmx/vmcs.js';
export { VmcsField } from './vmx/fields.js';
export { ProbeRegistry } from './probes/registry.js';
