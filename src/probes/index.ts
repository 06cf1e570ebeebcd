/**
 * DTrace-style probes for vtx: probe sites on the machine's hot paths, a D-subset compiler and
 * runtime, and DTrace-identical aggregation output.
 *
 * Usage (the machine owns one registry; no module-level state):
 *
 *   const reg = new ProbeRegistry({ machine: 'vm0', clock: () => machine.clock.now(), onExit: (st) => machine.stop(st) });
 *   const exitSite = reg.site('vmx', 'vm0', 'vcpu0', 'exit');   // vcpu 0 parsed from "vcpu0"
 *   reg.setVmcsReader(0, (name) => vmcs.readByName(name));       // for vmcs[GUEST_RIP] etc.
 *   ...hot path:  if (exitSite.enabled) exitSite.fire(reason, qual, rip, gpa, insnLen);
 *   const h = reg.enable('vmx:::exit { @[exitname(args[0])] = count(); }', { write: (s) => out(s) });
 *   ...run loop:  if (clock.now() >= reg.nextDeadline()) reg.advance(clock.now());
 *   h.end();      // fires END, prints "\n" and every aggregation printa() did not print
 *
 * Contract with the machine:
 *   - Context: `reg.site(p, m, f, n, ctx?)`. Without `ctx` the vCPU is parsed from f = "vcpuN"
 *     (else 0) and `vmcs[...]` / `vtimestamp` go through `reg.setVmcsReader(vcpu, fn)` /
 *     `reg.setVclock(vcpu, fn)`, looked up at each read. `timestamp` is `RegistryOptions.clock`.
 *   - Ticks: `reg.nextDeadline()` is the earliest tick deadline (Infinity if none);
 *     `reg.advance(nowNs)` fires every due tick in deadline order, `timestamp` = its deadline.
 *   - END: `handle.end()` (idempotent) fires END, writes "\n" and the unprinted aggregations, and
 *     detaches. `exit(n)` does the same once the current firing completes, then calls
 *     `onExit(n)` (EnableOptions, else RegistryOptions): the machine should stop.
 *   - Output: `EnableOptions.write` (else `handle.output()`); run-time errors (divide-by-zero,
 *     unreadable VMCS) abandon that clause firing and go to `writeError` (else `handle.errors`).
 *   - D program errors throw `DSyntaxError`: "vtx: D program error at line L, column C: ...".
 *
 * Probes — provider:module:function:name, module = machine name, function = `vcpuN`;
 * args[i] types in brackets (argN are the same values as int64_t):
 *
 *   vmx:::entry          VM entry about to enter the guest
 *                        args[0] guest RIP [uint64_t]
 *                        args[1] basic reason of the exit this entry resumes from, 0 at first [uint32_t]
 *   vmx:::exit           VM exit
 *                        args[0] basic exit reason [uint32_t]  args[1] exit qualification [uint64_t]
 *                        args[2] guest RIP [uint64_t]  args[3] guest-physical address [uint64_t]
 *                        args[4] instruction length [uint32_t]  args[5] whole VM_EXIT_REASON [uint32_t]
 *   vmx:::entry-failure  VM entry failed: args[0] [int] basic exit reason 33/34/41 when reported as
 *                        an exit, the VM-instruction error for VMfailValid, -1 for VMfailInvalid
 *                        args[1] qualification [uint64_t]  args[2] guest RIP [uint64_t]
 *   vmx:::inject         event injected at entry: args[0] vector  args[1] interruption type (0..7)
 *                        args[2] error code  args[3] has error code  args[4] instruction length [all uint32_t]
 *   ept:::violation      args[0] GPA [uint64_t]  args[1] qualification [uint64_t]  args[2] guest RIP [uint64_t]
 *                        args[3] guest-linear address or 0 [uint64_t]
 *   ept:::misconfig      args[0] GPA [uint64_t]  args[1] guest RIP [uint64_t]
 *   pio:::in, pio:::out  args[0] port  args[1] size (1/2/4)  args[2] value  args[3] count [all uint32_t]
 *   mmio:::read, mmio:::write
 *                        args[0] size [uint32_t]  args[1] GPA [uint64_t]  args[2] value [uint64_t]
 *   pio:::unassigned-in/-out, mmio:::unassigned-read/-write (function `bus`): accesses no device
 *                        claims: pio (port, size[, value]); mmio (addr 31:0, addr 63:32, size[, value])
 *   cpu:::exception      args[0] vector  args[1] error code  args[2] has error code [uint32_t]
 *                        args[3] RIP [uint64_t]  args[4] CR2 for #PF else 0 [uint64_t]
 *   cpu:::interrupt      args[0] vector [uint32_t]  args[1] RIP [uint64_t]
 *   dtrace:::BEGIN, dtrace:::END, profile:::tick-N<unit>   (no args; ticks on the virtual clock;
 *                        units ns us ms s m h d hz, no unit = hz)
 *
 * illumos KVM aliases (provider `sdt`, module `kvm` or the machine name), illumos argument order:
 *   kvm-vexit(rip, reason)=vmx:::exit   kvm-vrun(rip)=vmx:::entry
 *   kvm-pio(is_out, port, size, count)=pio:::in/out   kvm-mmio-read/-write(bytes, gpa, value)=mmio:::read/write
 *   kvm-page-fault(gpa, qualification)=ept:::violation   kvm-inj-virq(vector)=vmx:::inject of type 0
 *   (probeprov/probename report the alias names.)
 *
 * D extras: `exitname(n)` and illumos `strexitno[n]` give the SDM name of a basic exit reason;
 * `vmcs[GUEST_RIP]`, `vmcs.GUEST_RIP` and illumos `vmregs[VMX_GUEST_RIP]` read the current VMCS
 * through `ProbeContext.vmcsRead`; `cpu`/`vcpu` is the vCPU; `execname` is the machine name;
 * `timestamp` is the machine's virtual clock, `vtimestamp` the vCPU's (`ProbeContext.vclock`).
 *
 * Not implemented: speculations, stack()/ustack(), profile-N, the ERROR probe, `if`, setopt(),
 * floating-point printf conversions, %Y; 64-bit values are exact within ±2^53 (see dtypes.ts).
 */
export { ProbeSite, type ProbeHandler } from './site.js';
export { ProbeRegistry, DProgram, type DProgramHandle, type RegistryOptions, type VmcsReader } from './registry.js';
export { CompiledProgram, DRuntimeError, type EnableOptions, type ProbeContext, type ProbeInstance } from './d-program.js';
export { DSyntaxError, parseD } from './d-parser.js';
export { PROBES, ALIASES, type ProbeSpec, type AliasSpec, type ProbeArg, tickIntervalNs, globMatch, parseProbeDesc } from './catalog.js';
export {
  AggFn, Aggregation, AggEntry, formatAggregation, quantizeBucket, quantizeBucketVal, lquantizeBucket, llquantizeBucket,
  makeLQuantParams, makeLLQuantParams,
} from './aggregate.js';
export { ExitReason, exitReasonName, exitReasonIdent } from './exit-reasons.js';
