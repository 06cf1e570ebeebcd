/**
 * vtx-side helpers shared by the suites: a machine running one bench loop guest, one batch of K
 * iterations per `run()`, with the exit counts of a batch checked against what the guest must
 * produce; benchmark.js wiring with small time budgets; and booting a bundled guest while noting
 * when its first serial byte arrives.
 */
import Benchmark from 'benchmark';
import { Machine, type MachineOptions, type RunResult } from '../dist/machine/machine.js';
import { GUEST_BASE, type GuestSetup, buildGuest } from './guests.js';
import type { Asm } from './asm.js';

/** benchmark.js options: small budgets so the whole run stays within minutes on two cores. */
export interface BenchBudget {
  maxTime: number;
  minSamples: number;
}

export const DEFAULT_BUDGET: BenchBudget = { maxTime: 1.5, minSamples: 8 };

export interface Timed {
  /** Mean seconds per call. */
  mean: number;
  /** Relative margin of error, percent. */
  rme: number;
  hz: number;
  samples: number;
}

/** Time `fn` with benchmark.js; a throwing fn fails the bench loudly. */
export function timeIt(name: string, fn: () => void, budget: BenchBudget = DEFAULT_BUDGET): Timed {
  const b = new Benchmark(name, fn, { maxTime: budget.maxTime, minSamples: budget.minSamples, initCount: 1 });
  b.run();
  if (b.error) throw new Error(`bench "${name}" failed: ${(b.error as Error).message ?? String(b.error)}`);
  return { mean: b.stats.mean, rme: b.stats.rme, hz: b.hz, samples: b.stats.sample.length };
}

/**
 * Run several benchmarks as one benchmark.js Suite, in order (used where their ratios matter, so
 * they are measured back to back). Returns them by name.
 */
export function timeSuite(entries: Array<[string, () => void]>, budget: BenchBudget = DEFAULT_BUDGET): Map<string, Timed> {
  const suite = new Benchmark.Suite('vtx');
  for (const [name, fn] of entries) suite.add(name, fn, { maxTime: budget.maxTime, minSamples: budget.minSamples, initCount: 1 });
  suite.run({ async: false });
  const out = new Map<string, Timed>();
  suite.forEach((b: Benchmark) => {
    if (b.error) throw new Error(`bench "${String(b.name)}" failed: ${(b.error as Error).message ?? String(b.error)}`);
    out.set(String(b.name), { mean: b.stats.mean, rme: b.stats.rme, hz: b.hz, samples: b.stats.sample.length });
  });
  return out;
}

/** Exit counts by basic reason. */
export type ExitCounts = Map<number, number>;

function counts(m: Machine): ExitCounts {
  const c = new Map<number, number>();
  m.exitStats.byReason.forEach((s, r) => {
    if (s) c.set(r, s.count);
  });
  return c;
}

export function diffCounts(after: ExitCounts, before: ExitCounts): ExitCounts {
  const d = new Map<number, number>();
  for (const [r, n] of after) {
    const x = n - (before.get(r) ?? 0);
    if (x !== 0) d.set(r, x);
  }
  return d;
}

export function describeCounts(c: ExitCounts): string {
  return [...c.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${n.toLocaleString('en-US')} ${Machine.reasonName(r)}`)
    .join(', ');
}

/** A machine running a bench loop guest: `batch()` runs K iterations (one run()). */
export class LoopMachine {
  readonly machine: Machine;
  private readonly maxPerBatch: number;

  constructor(
    readonly id: string,
    readonly k: number,
    setup: GuestSetup,
    body: (a: Asm) => void,
    opts: Partial<MachineOptions> & { pre?: (a: Asm) => void; maxInstructionsPerBatch?: number } = {},
  ) {
    const g = buildGuest(k, setup, body, opts.pre);
    const { pre: _pre, maxInstructionsPerBatch, ...mopts } = opts;
    this.machine = new Machine({ ...mopts, image: { data: g.image, path: `bench-${id}` }, boot: 'flat', flatAddr: GUEST_BASE, flatMode: 32 });
    this.maxPerBatch = maxInstructionsPerBatch ?? 200_000_000;
  }

  /** One batch of K iterations; throws unless the guest reached its `out 0xF4, 0`. */
  batch(): void {
    const m = this.machine;
    const r: RunResult = m.run({ maxInstructions: m.instructions + this.maxPerBatch, timeoutMs: 60_000 });
    // isa-debug-exit with 0 reads back as status (0 << 1) | 1 = 1.
    if (r.kind !== 'debug-exit' || r.status !== 1) throw new Error(`bench guest ${this.id}: run ended with ${JSON.stringify(r)} instead of the debug exit after K=${this.k} iterations`);
  }

  /** Run one batch and return its exit counts by reason and its instruction count. */
  measuredBatch(): { exits: ExitCounts; instructions: number } {
    const before = counts(this.machine);
    const i0 = this.machine.instructions;
    this.batch();
    return { exits: diffCounts(counts(this.machine), before), instructions: this.machine.instructions - i0 };
  }

  /** Guest RAM dword at a guest-physical address (guest RAM sits at host-physical 0). */
  readGuest32(gpa: number): number {
    const h = this.machine.pc.host;
    return (h[gpa]! | (h[gpa + 1]! << 8) | (h[gpa + 2]! << 16) | (h[gpa + 3]! << 24)) >>> 0;
  }
}

/** Outcome of booting a bundled guest once. */
export interface BootOutcome {
  firstSerialMs: number;
  doneMs: number;
  result: RunResult;
  serial: string;
}

/**
 * Boot a machine to its end, in slices of `slice` instructions: `serial` events are delivered when
 * a run() returns (the machine batches COM1 output), so the first byte is seen at the end of the
 * slice in which the guest sent it — a resolution of one slice (~1-3 ms at 20,000 instructions).
 */
export function bootToEnd(make: () => Machine, o: { slice?: number; maxInstructions?: number; timeoutMs?: number } = {}): BootOutcome {
  const slice = o.slice ?? 20_000;
  const maxI = o.maxInstructions ?? 500_000_000;
  const t0 = performance.now();
  const m = make();
  let first = -1;
  let serial = '';
  m.on('serial', (b) => {
    if (first < 0) first = performance.now() - t0;
    serial += Buffer.from(b).toString('latin1');
  });
  const deadline = t0 + (o.timeoutMs ?? 60_000);
  for (;;) {
    const r = m.run({ maxInstructions: Math.min(maxI, m.instructions + slice) });
    if (r.kind === 'budget' && m.instructions < maxI && performance.now() < deadline) continue;
    return { firstSerialMs: first, doneMs: performance.now() - t0, result: r, serial };
  }
}
