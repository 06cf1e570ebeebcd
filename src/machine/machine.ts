/**
 * The library entry point: a PC with one VT-x vCPU, its devices, its firmware and the built-in
 * hypervisor that runs the guest in VMX non-root operation.
 *
 *   const m = new Machine({ image: { data, path: 'hello.img' } });
 *   m.on('serial', (bytes) => process.stdout.write(bytes));
 *   const result = m.run({ maxInstructions: 50_000_000 });
 *
 * Host memory (what the emulated processor calls physical memory) holds guest RAM at host-physical
 * 0, a copy of the firmware, and the hypervisor's own structures (VMXON region, VMCS, I/O and MSR
 * bitmaps, EPT tables) above it. The guest sees guest-physical addresses through EPT.
 *
 * Everything hangs off the instance: two machines in one process share nothing.
 */
import { EventEmitter } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import type * as TE from 'typed-emitter';
import { VirtualClock } from './clock.js';
import { ImageError, OptionError, VtxError } from './errors.js';
import { buildMultibootInfo, parseImage, type BootKind, type BootPlan, type E820Entry, type MultibootModule, MULTIBOOT_BOOTLOADER_MAGIC } from './loader.js';
import { builtinBiosPath } from './bundled.js';
import { buildPc, type Pc } from './pc.js';
import { Vcpu, type ExitEvent, type VcpuStop } from '../hv/vcpu.js';
import { ExitStats } from '../hv/exit-stats.js';
import { ProbeRegistry } from '../probes/registry.js';
import type { DProgram } from '../probes/registry.js';

export interface MachineOptions {
  /** Instance name: the probe module name (default "vtx0"). */
  name?: string;
  /** Guest RAM in bytes (default 32 MiB). */
  memory?: number;
  /** 'builtin' (our firmware), or the bytes of another BIOS image (e.g. SeaBIOS). */
  bios?: 'builtin' | Uint8Array;
  /** The guest image and the path it came from (used in messages and the multiboot command line). */
  image?: { data: Uint8Array; path: string };
  boot?: BootKind;
  flatAddr?: number;
  flatMode?: 16 | 32;
  /** Multiboot command line (QEMU: -append). */
  append?: string;
  /** Multiboot modules (QEMU: -initrd). */
  modules?: MultibootModule[];
  /** Virtual nanoseconds per instruction (default 1). */
  nsPerInstruction?: number;
  /** Virtual time one VM-exit round trip costs, in ns (default 1000: a 1 GHz TSC then measures
   *  about 1,000 cycles per CPUID exit, the order KVM shows on recent Intel server parts). */
  vmexitCostNs?: number;
  /** Start date of the RTC, as seconds since the epoch (default 2000-01-01T00:00:00Z). */
  rtcEpochSeconds?: number;
  /** D programs to enable, with their output writer. */
  probes?: { programs: string[]; quiet?: boolean; write: (text: string) => void };
}

/** Why a run ended. */
export type RunResult =
  | { kind: 'debug-exit'; status: number }
  | { kind: 'halted' }
  | { kind: 'triple-fault'; lastException: string; vector: number; errorCode: number; cs: number; eip: number }
  | { kind: 'budget'; which: 'instructions' | 'timeout'; cs: number; eip: number }
  | { kind: 'probe-exit'; status: number }
  /** The guest asked for a system reset (i8042 pulse 0xFE, port 0x92 bit 0, PIIX3 0xCF9). vtx
   *  ends the run there, as QEMU does with -no-reboot. `source` says which device. */
  | { kind: 'reset'; source: string }
  | { kind: 'stopped' }
  | { kind: 'exit-breakpoint'; exit: ExitEvent }
  | { kind: 'internal-error'; message: string };

export interface RunOptions {
  /** Stop with `budget` after this many guest instructions in total (not per call). */
  maxInstructions?: number;
  /** Stop with `budget` after this much host time for this call. */
  timeoutMs?: number;
  /** Stop before handling a VM exit that matches: by basic reason, by ordinal (1-based, over the
   *  machine's lifetime), or by a predicate. The next run() handles it and continues. */
  stopAt?: { reason?: number; count?: number; when?: (exit: ExitEvent) => boolean };
}

export type MachineEvents = {
  /** Bytes the guest transmitted on COM1. */
  serial: (bytes: Uint8Array) => void;
  /** Bytes written to the debug console (port 0xE9, and 0x402 for SeaBIOS). */
  debugcon: (bytes: Uint8Array) => void;
  /** Every VM exit, before the hypervisor handles it (same payload as vmx:::exit). */
  vmexit: (exit: ExitEvent) => void;
  /** Every VM entry. */
  vmentry: (vcpu: number, rip: number) => void;
  /** A run ended. */
  stop: (result: RunResult) => void;
};

const SLICE = 200_000;
const SERIAL_FLUSH = 256;

type TypedEmitter<T extends TE.EventMap> = TE.default<T>;

export class Machine extends (EventEmitter as new () => TypedEmitter<MachineEvents>) {
  readonly name: string;
  readonly clock: VirtualClock;
  readonly pc: Pc;
  readonly vcpus: Vcpu[];
  readonly exitStats = new ExitStats();
  readonly probes: ProbeRegistry;
  private readonly programs: DProgram[] = [];
  private result: RunResult | null = null;
  private serialBuf: number[] = [];
  private finished = false;
  readonly plan: BootPlan | null;

  /** Whether anyone listens to the per-exit events: one property read on the exit path when not. */
  readonly listening = { vmexit: false, vmentry: false };

  constructor(opts: MachineOptions = {}) {
    super();
    const track = (): void => {
      this.listening.vmexit = this.listenerCount('vmexit') > 0;
      this.listening.vmentry = this.listenerCount('vmentry') > 0;
    };
    // 'newListener' fires before the listener is added, 'removeListener' after it is removed.
    this.on('newListener' as never, ((event: string) => {
      if (event === 'vmexit') this.listening.vmexit = true;
      else if (event === 'vmentry') this.listening.vmentry = true;
    }) as never);
    this.on('removeListener' as never, track as never);
    this.name = opts.name ?? 'vtx0';
    const memory = opts.memory ?? 32 << 20;
    if (!Number.isInteger(memory) || memory < 2 << 20 || memory > 2 ** 31 || memory % 4096 !== 0) {
      throw new OptionError('memory', `${memory} bytes: guest RAM must be a multiple of 4 KiB between 2 MiB and 2 GiB`);
    }
    const nsPerInstruction = opts.nsPerInstruction ?? 1;
    if (!(nsPerInstruction > 0) || !Number.isFinite(nsPerInstruction)) throw new OptionError('ns-per-instruction', 'must be a positive number');
    this.clock = new VirtualClock(nsPerInstruction);
    this.probes = new ProbeRegistry({ machine: this.name, clock: () => this.clock.now(), onExit: (status) => this.stop({ kind: 'probe-exit', status }) });

    let bios: Uint8Array;
    if (opts.bios === undefined || opts.bios === 'builtin') {
      try {
        bios = new Uint8Array(readFileSync(builtinBiosPath()));
      } catch (e) {
        throw new VtxError(`${builtinBiosPath()}: cannot read the built-in firmware: ${(e as Error).message}`);
      }
    } else bios = opts.bios;
    if (bios.length < 0x10000 || bios.length > 0x40000 || bios.length % 0x10000 !== 0) {
      throw new ImageError('BIOS image', `size ${bios.length} bytes: a BIOS image must be 64, 128, 192 or 256 KiB`);
    }

    let plan: BootPlan | null = null;
    if (opts.image) {
      plan = parseImage(opts.image.data, {
        file: opts.image.path,
        ...(opts.boot ? { boot: opts.boot } : {}),
        ...(opts.flatAddr !== undefined ? { flatAddr: opts.flatAddr } : {}),
        ...(opts.flatMode !== undefined ? { flatMode: opts.flatMode } : {}),
        ramSize: memory,
      });
    }
    this.plan = plan;

    this.pc = buildPc({
      machine: this,
      memory,
      bios,
      clock: this.clock,
      probes: this.probes,
      rtcEpochSeconds: opts.rtcEpochSeconds ?? 946684800,
      disk: plan?.kind === 'disk' ? plan.image : undefined,
      floppy: plan?.kind === 'floppy' ? plan.image : undefined,
      onSerial: (b) => this.serialByte(b),
      onDebugcon: (b) => this.emit('debugcon', Uint8Array.of(b)),
      onDebugExit: (status) => this.stop({ kind: 'debug-exit', status }),
      onReset: (source: string) => this.stop({ kind: 'reset', source }),
      onInit: () => this.vcpus[0]?.signalInit(),
    });

    const vmexitCostNs = opts.vmexitCostNs ?? 1000;
    if (!(vmexitCostNs >= 0) || !Number.isFinite(vmexitCostNs)) throw new OptionError('vmexit-cost', 'must be a non-negative number of nanoseconds');
    const vcpu = new Vcpu({ id: 0, machine: this, pc: this.pc, clock: this.clock, stats: this.exitStats, probes: this.probes, vmexitCostNs });
    this.vcpus = [vcpu];

    if (plan === null || plan.kind === 'disk' || plan.kind === 'floppy') {
      vcpu.resetToFirmware();
    } else if (plan.kind === 'multiboot') {
      for (const s of plan.segments) {
        const buf = new Uint8Array(s.memSize);
        buf.set(s.data);
        this.pc.loadGuest(s.addr, buf);
      }
      const path = opts.image!.path;
      const layout = buildMultibootInfo(plan, {
        cmdline: opts.append !== undefined ? `${path} ${opts.append}` : path,
        modules: opts.modules ?? [],
        e820: this.pc.e820(),
        ramSize: memory,
        loaderName: 'vtx',
        file: path,
      });
      for (const w of layout.writes) this.pc.loadGuest(w.addr, w.data);
      vcpu.resetToProtectedMode(plan.entry, { eax: MULTIBOOT_BOOTLOADER_MAGIC, ebx: layout.infoAddr });
    } else if (plan.kind === 'flat') {
      this.pc.loadGuest(plan.addr, plan.data);
      if (plan.mode === 16) vcpu.resetToRealMode(plan.addr);
      else vcpu.resetToProtectedMode(plan.addr, {});
    }

    if (opts.probes) {
      for (const text of opts.probes.programs) {
        const write = opts.probes.write;
        // Probe output and guest serial output share stdout: keep them in order.
        this.programs.push(this.probes.enable(text, { quiet: !!opts.probes.quiet, write: (s: string) => { this.flushSerial(); write(s); } }));
      }
    }
  }

  /** The first vCPU (the machine has one). */
  get vcpu(): Vcpu {
    return this.vcpus[0]!;
  }

  /** Guest instructions retired so far. */
  get instructions(): number {
    return this.clock.retired;
  }

  /** True once something asked the current run() to end. */
  get stopping(): boolean {
    return this.result !== null;
  }

  /** Ask the current run() to stop at the next instruction boundary. */
  requestStop(): void {
    this.stop({ kind: 'stopped' });
  }

  private stop(r: RunResult): void {
    if (this.result === null) this.result = r;
    this.vcpu.cpu.requestStop();
  }

  private serialByte(b: number): void {
    this.serialBuf.push(b);
    if (this.serialBuf.length >= SERIAL_FLUSH) this.flushSerial();
  }

  private flushSerial(): void {
    if (this.serialBuf.length === 0) return;
    const bytes = Uint8Array.from(this.serialBuf);
    this.serialBuf = [];
    this.emit('serial', bytes);
  }

  /**
   * COM1 output as a byte stream (in addition to the 'serial' event): pipe it somewhere, e.g.
   * `machine.serialStream().pipe(process.stdout)`. The stream ends when `finish()` is called.
   */
  serialStream(): Readable {
    if (this.stream === null) {
      const s = new PassThrough();
      this.stream = s;
      this.on('serial', (bytes) => s.write(bytes));
    }
    return this.stream;
  }
  private stream: PassThrough | null = null;

  /** Send bytes to the guest's COM1 receiver. */
  sendSerial(bytes: ArrayLike<number>): void {
    this.pc.com1.receive(bytes);
  }

  /**
   * Run until the guest ends (isa-debug-exit, halt for good, triple fault), a budget runs out, a
   * probe calls exit(), stopAt matches, or requestStop() is called. Can be called again to go on.
   */
  run(opts: RunOptions = {}): RunResult {
    const start = process.hrtime.bigint();
    const timeoutNs = opts.timeoutMs !== undefined ? BigInt(Math.round(opts.timeoutMs * 1e6)) : -1n;
    const vcpu = this.vcpu;
    this.result = null;
    let slices = 0;
    try {
      for (;;) {
        if (this.result !== null) break;
        let budget = SLICE;
        if (opts.maxInstructions !== undefined) {
          const left = opts.maxInstructions - this.clock.retired;
          if (left <= 0) {
            this.result = { kind: 'budget', which: 'instructions', ...vcpu.csEip() };
            break;
          }
          if (left < budget) budget = left;
        }
        const r: VcpuStop = vcpu.runSlice(budget, opts.stopAt);
        switch (r.kind) {
          case 'ok':
            break;
          case 'halted-forever':
            if (this.result === null) this.result = { kind: 'halted' };
            break;
          case 'triple-fault':
            if (this.result === null) this.result = { kind: 'triple-fault', lastException: r.lastException, vector: r.vector, errorCode: r.errorCode, cs: r.cs, eip: r.eip };
            break;
          case 'breakpoint':
            if (this.result === null) this.result = { kind: 'exit-breakpoint', exit: r.exit };
            break;
          case 'error':
            if (this.result === null) this.result = { kind: 'internal-error', message: r.message };
            break;
        }
        this.probes.advance(this.clock.now());
        if (timeoutNs >= 0n && (++slices & 3) === 0 && process.hrtime.bigint() - start > timeoutNs && this.result === null) {
          this.result = { kind: 'budget', which: 'timeout', ...vcpu.csEip() };
        }
      }
    } catch (e) {
      // Anything thrown here is a defect in vtx, not the guest's doing: report it as a value.
      const err = e as Error;
      this.result = { kind: 'internal-error', message: `internal error: ${err.message}\n${err.stack ?? ''}` };
    }
    this.flushSerial();
    const result = this.result;
    this.emit('stop', result);
    return result;
  }

  /** End the session: fire END probes and print aggregations (as dtrace does at exit). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.flushSerial();
    for (const p of this.programs) p.end();
    if (this.stream !== null) this.stream.end();
  }

  /** The `--stats-json` document. */
  statsJson(): { exits: ReturnType<ExitStats['toJSON']>; instructions: number; exit_count: number; virtual_ns: number } {
    return { exits: this.exitStats.toJSON(), instructions: this.clock.retired, exit_count: this.exitStats.total, virtual_ns: this.clock.now() };
  }

}

export type { ExitEvent, E820Entry };
