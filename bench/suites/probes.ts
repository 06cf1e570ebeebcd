/**
 * Probe cost on the exit path: the CPUID loop guest (K exits per run()) on five machines measured
 * back to back in one benchmark.js Suite:
 *
 * - off:           no D program enabled (every site `enabled === false`: one branch each);
 * - count:         `vmx:::exit { @[args[0]] = count(); }`;
 * - llquantize:    exit-to-entry time, `llquantize(timestamp - self->t, 10, 0, 6, 20)`;
 * - re-disabled:   a machine whose programs were enabled and then ended (sites back to disabled:
 *                  checks that enabling leaves no lasting cost);
 * - compiled out:  the same source tree copied to a temporary directory with every
 *                  `if (site.enabled) site.fire(...)` statement deleted (src/hv, src/cpu,
 *                  src/devices, src/memory), imported as a separate module graph — the exit path
 *                  with the probe sites compiled out;
 * - off (copy):    an unmodified copy imported the same way, the fair partner of "compiled out":
 *                  both module graphs are fresh (no JIT feedback from the other suites, which ran
 *                  every exit kind through the main graph), loaded the same way.
 *
 * The variants are timed in interleaved rounds (see below), so a change in host load during the
 * suite — this bench is meant to hold on a shared, noisy machine — cannot read as a probe cost.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXIT_KINDS, GUEST_BASE, buildGuest } from '../guests.js';
import type { BenchResult } from '../report.js';
import { median, sampleStats } from '../stats.js';
import { timeIt, type BenchBudget } from '../vtx.js';
import { Machine } from '../../dist/machine/machine.js';
import type { Log } from './common.js';

const K = 1000;
const ROUNDS = 7;
const COUNT = 'vmx:::exit { @[args[0]] = count(); }';
const LLQ = 'vmx:::exit { self->t = timestamp; } vmx:::entry /self->t/ { @ = llquantize(timestamp - self->t, 10, 0, 6, 20); self->t = 0; }';

/** Matches one probe firing statement on one line: `if ([x !== null && ]site.enabled) site.fire(...);` */
const FIRE_LINE = /^(\s*)if \((?:[\w.]+ !== null && )?([\w.]+)\.enabled\) \2\.fire\(.*\);\s*$/;

/**
 * Copy src/ (with package.json and tsconfig.json) to a temporary directory and build it with tsc
 * exactly as `npm run bench` builds the original into dist/; with `strip`, delete every probe
 * firing statement first.
 */
export function copyTree(root: string, strip: boolean): { dir: string; removed: number } {
  const dir = mkdtempSync(join(tmpdir(), strip ? 'vtx-bench-noprobes-' : 'vtx-bench-probes-'));
  cpSync(join(root, 'src'), join(dir, 'src'), { recursive: true });
  for (const f of ['package.json', 'tsconfig.json']) cpSync(join(root, f), join(dir, f));
  let removed = 0;
  if (!strip) return { dir, removed };
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (name !== 'probes') walk(p);
        continue;
      }
      if (!name.endsWith('.ts')) continue;
      const lines = readFileSync(p, 'utf8').split('\n');
      let changed = false;
      for (let i = 0; i < lines.length; i++) {
        const m = FIRE_LINE.exec(lines[i]!);
        if (m) {
          lines[i] = `${m[1]}/* probe site compiled out */`;
          removed++;
          changed = true;
        }
      }
      if (changed) writeFileSync(p, lines.join('\n'));
    }
  };
  walk(join(dir, 'src'));
  return { dir, removed };
}

/** Build a copy made by copyTree with the project's own tsc (node_modules linked for types). */
export function buildCopy(root: string, dir: string): void {
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { stdio: 'inherit' });
}

type MachineCtor = typeof Machine;

function cpuidMachine(ctor: MachineCtor, bios: Uint8Array, programs: string[]): { batch: () => void; m: Machine } {
  const kind = EXIT_KINDS.find((k) => k.id === 'cpuid')!;
  const g = buildGuest(K, kind.setup, kind.body);
  const m = new ctor({ bios, image: { data: g.image, path: 'bench-cpuid' }, boot: 'flat', flatAddr: GUEST_BASE, flatMode: 32 });
  for (const p of programs) m.probes.enable(p, { write: () => {} });
  const batch = (): void => {
    const r = m.run({ maxInstructions: m.instructions + 1_000_000, timeoutMs: 60_000 });
    if (r.kind !== 'debug-exit' || r.status !== 1) throw new Error(`probe bench: run ended with ${JSON.stringify(r)}`);
  };
  batch();
  return { batch, m };
}

export async function probeSuite(root: string, budget: BenchBudget, log: Log): Promise<BenchResult[]> {
  log('probes: building the compiled-out variant');
  const bios = new Uint8Array(readFileSync(join(root, 'firmware', 'bios.bin')));
  const stripped = copyTree(root, true);
  const plain = copyTree(root, false);
  const removed = stripped.removed;
  try {
    if (removed < 10) throw new Error(`probe bench: only ${removed} probe firing statements found to compile out; the FIRE_LINE pattern no longer matches the source`);
    buildCopy(root, stripped.dir);
    buildCopy(root, plain.dir);
    const load = async (dir: string): Promise<MachineCtor> => ((await import(pathToFileURL(join(dir, 'dist', 'machine', 'machine.js')).href)) as { Machine: MachineCtor }).Machine;
    const off = cpuidMachine(Machine, bios, []);
    const count = cpuidMachine(Machine, bios, [COUNT]);
    const llq = cpuidMachine(Machine, bios, [LLQ]);
    const re = cpuidMachine(Machine, bios, [COUNT, LLQ]);
    re.m.finish(); // END fires and every program detaches: the sites are disabled again
    const out = cpuidMachine(await load(stripped.dir), bios, []);
    const offCopy = cpuidMachine(await load(plain.dir), bios, []);
    for (const x of [off, count, llq, re, out, offCopy]) x.batch();
    // Interleaved rounds: every variant once per round, in a rotating order (reversed on odd
    // rounds), each timed by benchmark.js with a short budget. Ratios are taken within a round,
    // where all variants saw the same host load, and the median over rounds is reported, with the
    // spread of the per-round ratios as its margin of error.
    const variants: Array<[string, () => void]> = [
      ['off', off.batch],
      ['count', count.batch],
      ['llquantize', llq.batch],
      ['re-disabled', re.batch],
      ['off-copy', offCopy.batch],
      ['compiled-out', out.batch],
    ];
    const perRound = new Map<string, number[]>(variants.map(([n]) => [n, []]));
    const roundBudget: BenchBudget = { maxTime: Math.min(0.4, budget.maxTime), minSamples: Math.min(5, budget.minSamples) };
    for (let round = 0; round < ROUNDS; round++) {
      log(`probes: round ${round + 1}/${ROUNDS}`);
      const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
      if (round % 2 === 1) order.reverse();
      for (const [name, fn] of order) perRound.get(name)!.push((timeIt(`probes ${name}`, fn, roundBudget).mean / K) * 1e9);
    }
    const ns = (name: string): number => median(perRound.get(name)!);
    const rme = (name: string): number => sampleStats(perRound.get(name)!).rme;
    const ratio = (a: string, b: string): { value: number; rme: number; all: number[] } => {
      const all = perRound.get(a)!.map((x, i) => x / perRound.get(b)![i]!);
      return { value: median(all), rme: sampleStats(all).rme, all };
    };
    const rows: BenchResult[] = [];
    const row = (id: string, name: string, key: string, note: string): void => {
      rows.push({ id: `probes.${id}`, section: 'probes', name, value: ns(key), unit: 'ns/exit', better: 'lower', rme: rme(key), note });
    };
    row('off', 'CPUID exit, probes off', 'off', 'sites present, disabled');
    row('count', 'CPUID exit, vmx:::exit count()', 'count', 'D: @[args[0]] = count()');
    row('llquantize', 'CPUID exit, exit-to-entry llquantize()', 'llquantize', 'D: llquantize(exit-to-entry ns, 10, 0, 6, 20)');
    row('re-disabled', 'CPUID exit, probes enabled then ended', 're-disabled', 'both programs ended before timing');
    row('off-copy', 'CPUID exit, probes off (fresh copy of src/)', 'off-copy', 'partner of the compiled-out copy');
    row('compiled-out', 'CPUID exit, probe sites compiled out (fresh copy)', 'compiled-out', `${removed} firing statements deleted from a copy of src/`);
    const ratios: Array<[string, string, string, string]> = [
      ['off-vs-compiled-out', 'off-copy', 'compiled-out', 'probes off / compiled out (target ≤ 1.02)'],
      ['count-ratio', 'count', 'off', 'count() / probes off'],
      ['llquantize-ratio', 'llquantize', 'off', 'llquantize() / probes off'],
      ['re-disabled-ratio', 're-disabled', 'off', 'enabled then ended / probes off'],
    ];
    for (const [id, a, b, name] of ratios) {
      const r = ratio(a, b);
      rows.push({ id: `probes.${id}`, section: 'probes', name, value: r.value, unit: 'ratio', better: 'lower', rme: r.rme, normalise: false, note: `median of ${ROUNDS} rounds: ${r.all.map((x) => x.toFixed(2)).join(' ')}` });
    }
    return rows;
  } finally {
    rmSync(stripped.dir, { recursive: true, force: true });
    rmSync(plain.dir, { recursive: true, force: true });
  }
}
