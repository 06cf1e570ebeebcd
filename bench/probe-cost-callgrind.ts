/**
 * Probe cost on the exit path, counted in instructions rather than seconds: issue 5's target
 * "probes off within 2 % of the exit path with the probe sites compiled out" is below what timing
 * resolves on a shared 2-core host (±11 % per run), but valgrind's callgrind counts the
 * instructions a process executes, which do not depend on what else the machine is doing.
 *
 * Method:
 * - two copies of src/ built exactly as bench/suites/probes.ts builds them (its copyTree and
 *   buildCopy): one unmodified ("probes off": every site present, `enabled === false`) and one with
 *   every `if (site.enabled) site.fire(...)` statement deleted ("compiled out");
 * - for each copy, a small plain-JS driver (no tsx in the measured process) loads the copy's
 *   dist/machine/machine.js, boots the CPUID loop guest of bench/guests.ts (K = 1,000 CPUID exits
 *   per `run()`, as in the probe suite), runs WARM batches, then N batches, and checks the exit
 *   count; it runs under `valgrind --tool=callgrind` twice, with N = N1 and N = N2 = 2 × N1, and
 *   (I(N2) − I(N1)) / ((N2 − N1) × K) is the per-exit instruction count, start-up, warm-up and
 *   module loading cancelled;
 * - in two Node modes: JIT on (what the library runs as; `--predictable` makes V8 compile and
 *   collect garbage on the main thread, in a fixed order, so the counts repeat) and `--jitless`
 *   (interpreter only: stable, but every bytecode of the probe check is weighed as in Ignition, so
 *   it overstates the check relative to optimised code).
 *
 * Does not measure: time, cache or branch-predictor effects (an instruction count weighs a
 * well-predicted branch like any other instruction), or enabled probes.
 *
 * Run: `node --import tsx bench/probe-cost-callgrind.ts` (needs valgrind; without it, prints
 * "skipped: valgrind not installed" and exits 0). Writes bench/results/probe-cost-callgrind.json
 * and bench/probe-cost-callgrind.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EXIT_KINDS, ExitReason, GUEST_BASE, buildGuest } from './guests.js';
import { buildCopy, copyTree } from './suites/probes.js';

/** CPUID exits per `run()` (the probe suite's K). */
const K = 1000;
/** Batches run before the measured ones, in both processes of a pair (JIT tiering settles). */
const WARM: Record<Mode, number> = { jit: 20, jitless: 1 };
/** Measured batches: N1 and N2 = 2 × N1 (per Node mode; the interpreter is ~10× slower per exit). */
const N1: Record<Mode, number> = { jit: 40, jitless: 2 };
type Mode = 'jit' | 'jitless';
const MODES: Mode[] = ['jit', 'jitless'];
const NODE_FLAGS: Record<Mode, string[]> = {
  jit: ['--predictable', '--random-seed=1', '--hash-seed=1'],
  jitless: ['--jitless', '--predictable', '--random-seed=1', '--hash-seed=1'],
};
const TARGET = 1.02;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULT_JSON = join(ROOT, 'bench', 'results', 'probe-cost-callgrind.json');
const RESULT_MD = join(ROOT, 'bench', 'probe-cost-callgrind.md');

/** The measured process: plain JS, so no TypeScript loader runs under callgrind. */
const DRIVER = `
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [machineJs, biosPath, imagePath, warmS, nS, kS, baseS, reasonS] = process.argv.slice(2);
const { Machine } = await import(pathToFileURL(machineJs).href);
const m = new Machine({ bios: new Uint8Array(readFileSync(biosPath)), image: { data: new Uint8Array(readFileSync(imagePath)), path: 'bench-cpuid' }, boot: 'flat', flatAddr: Number(baseS), flatMode: 32 });
const batches = Number(warmS) + Number(nS);
for (let i = 0; i < batches; i++) {
  const r = m.run({ maxInstructions: m.instructions + 1000000, timeoutMs: 3600000 });
  if (r.kind !== 'debug-exit' || r.status !== 1) throw new Error('driver: run ended with ' + JSON.stringify(r));
}
const exits = m.exitStats.countOf(Number(reasonS));
if (exits !== batches * Number(kS)) throw new Error('driver: ' + exits + ' CPUID exits, expected ' + batches * Number(kS));
process.stdout.write(JSON.stringify({ exits, instructions: m.instructions }) + '\\n');
`;

interface Count {
  batches: number;
  exits: number;
  ir: number;
}
interface Measure {
  mode: Mode;
  variant: 'off' | 'compiled-out';
  n1: Count;
  n2: Count;
  perExit: number;
}

function valgrindVersion(): string | null {
  const r = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return r.stdout.trim();
}

/** Total instructions (Ir) from a callgrind output file's `summary:` (or `totals:`) line. */
function readTotal(file: string): number {
  const text = readFileSync(file, 'utf8');
  const m = /^summary:\s+(\d+)/m.exec(text) ?? /^totals:\s+(\d+)/m.exec(text);
  if (!m) throw new Error(`callgrind: no summary/totals line in ${file}`);
  return Number(m[1]);
}

/** One driver process under callgrind (asynchronous: the two processes of a pair run side by side — counts ignore load). */
async function callgrind(work: string, tag: string, mode: Mode, machineJs: string, bios: string, image: string, n: number): Promise<Count> {
  const out = join(work, `callgrind.${tag}.out`);
  const args = [
    '--tool=callgrind', `--callgrind-out-file=${out}`, '--dump-line=no',
    process.execPath, ...NODE_FLAGS[mode], join(work, 'driver.mjs'),
    machineJs, bios, image, String(WARM[mode]), String(n), String(K), String(GUEST_BASE), String(ExitReason.CPUID),
  ];
  const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const p = spawn('valgrind', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20000)));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
  if (r.status !== 0) throw new Error(`callgrind ${tag}: exit ${r.status}\n${r.stderr.slice(-3000)}`);
  const d = JSON.parse(r.stdout.trim().split('\n').pop()!) as { exits: number };
  return { batches: WARM[mode] + n, exits: d.exits, ir: readTotal(out) };
}

function fmt(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

async function main(): Promise<void> {
  const vg = valgrindVersion();
  if (vg === null) {
    console.log('probe-cost-callgrind: skipped: valgrind not installed');
    return;
  }
  const started = Date.now();
  const previous = existsSync(RESULT_JSON) ? (JSON.parse(readFileSync(RESULT_JSON, 'utf8')) as { date: string; measures: Measure[] }) : null;
  const work = mkdtempSync(join(tmpdir(), 'vtx-callgrind-'));
  const stripped = copyTree(ROOT, true);
  const plain = copyTree(ROOT, false);
  try {
    if (stripped.removed < 10) throw new Error(`probe-cost-callgrind: only ${stripped.removed} probe firing statements found to compile out; the FIRE_LINE pattern no longer matches the source`);
    console.log(`building the two copies of src/ (${stripped.removed} firing statements compiled out of one)`);
    buildCopy(ROOT, stripped.dir);
    buildCopy(ROOT, plain.dir);
    const kind = EXIT_KINDS.find((k) => k.id === 'cpuid')!;
    const image = join(work, 'cpuid.bin');
    writeFileSync(image, buildGuest(K, kind.setup, kind.body).image);
    writeFileSync(join(work, 'driver.mjs'), DRIVER);
    const bios = join(ROOT, 'firmware', 'bios.bin');
    const copies: Array<['off' | 'compiled-out', string]> = [['off', plain.dir], ['compiled-out', stripped.dir]];
    const measures: Measure[] = [];
    for (const mode of MODES) {
      for (const [variant, dir] of copies) {
        const js = join(dir, 'dist', 'machine', 'machine.js');
        const n1 = N1[mode];
        const [a, b] = await Promise.all([
          callgrind(work, `${mode}.${variant}.n1`, mode, js, bios, image, n1),
          callgrind(work, `${mode}.${variant}.n2`, mode, js, bios, image, 2 * n1),
        ]);
        const perExit = (b.ir - a.ir) / (b.exits - a.exits);
        measures.push({ mode, variant, n1: a, n2: b, perExit });
        console.log(`${mode.padEnd(7)} ${variant.padEnd(12)} Ir ${fmt(a.ir)} (${a.exits} exits) / ${fmt(b.ir)} (${b.exits} exits): ${fmt(perExit)} instructions/exit  [${((Date.now() - started) / 1000).toFixed(0)} s]`);
      }
    }
    const ratios = MODES.map((mode) => {
      const off = measures.find((m) => m.mode === mode && m.variant === 'off')!.perExit;
      const out = measures.find((m) => m.mode === mode && m.variant === 'compiled-out')!.perExit;
      return { mode, off, compiledOut: out, ratio: off / out, holds: off / out <= TARGET };
    });
    for (const r of ratios) console.log(`${r.mode.padEnd(7)} probes off / compiled out = ${r.ratio.toFixed(4)} (${fmt(r.off)} / ${fmt(r.compiledOut)} instructions/exit): ${r.holds ? 'holds' : 'FAILS'} ≤ ${TARGET}`);
    let repeat: string | null = null;
    if (previous) {
      const same = measures.map((m) => {
        const p = previous.measures.find((q) => q.mode === m.mode && q.variant === m.variant);
        return p ? `${m.mode} ${m.variant}: ${fmt(p.perExit)} → ${fmt(m.perExit)} (${(((m.perExit - p.perExit) / p.perExit) * 100).toFixed(3)} %)` : null;
      }).filter((x) => x !== null);
      repeat = `previous run (${previous.date}): ${same.join('; ')}`;
      console.log(repeat);
    }
    const seconds = (Date.now() - started) / 1000;
    const date = new Date().toISOString();
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node.js ${process.version} (${process.platform} ${process.arch}), ${vg}`;
    const result = {
      date, machine, seconds, target: TARGET, K, warm: WARM, n1: N1, nodeFlags: NODE_FLAGS, removed: stripped.removed,
      method: 'callgrind Ir of a driver process running WARM + N batches of K CPUID exits; per exit = (Ir(N2) - Ir(N1)) / (exits(N2) - exits(N1)), N2 = 2 N1',
      measures, ratios, previous: repeat,
    };
    mkdirSync(dirname(RESULT_JSON), { recursive: true });
    writeFileSync(RESULT_JSON, JSON.stringify(result, null, 2) + '\n');
    const md = [
      '# Probe cost on the exit path, in instructions (callgrind)',
      '',
      `Measured by \`node --import tsx bench/probe-cost-callgrind.ts\` on ${date.slice(0, 10)} (${date}), in ${seconds.toFixed(0)} s, on ${machine}.`,
      '',
      'Issue 5: "Probes off must be within 2 % of the exit path with the probe sites compiled out". Timing cannot resolve 2 % on this',
      'shared 2-core host (the probe suite of `npm run bench` gives ±11 %), so this counts instructions with valgrind\'s callgrind, which',
      'do not depend on host load.',
      '',
      `Method: two copies of src/ built as bench/suites/probes.ts builds them — unmodified (probes off) and with the ${stripped.removed}`,
      '`if (site.enabled) site.fire(...)` statements deleted (compiled out). For each, a plain-JS driver boots the CPUID loop guest',
      `(bench/guests.ts, K = ${K} CPUID exits per \`run()\`), runs W warm-up batches and then N batches under`,
      '`valgrind --tool=callgrind`, once with N = N1 and once with N = 2·N1; per-exit instructions = (Ir(2·N1) − Ir(N1)) / (K·N1), so',
      'start-up, module loading and warm-up cancel. Two Node modes: JIT on with `--predictable --random-seed=1 --hash-seed=1`',
      '(compilation and GC on the main thread in a fixed order; the representative one) and `--jitless` (interpreter only; stable',
      'but it weighs the disabled-probe check as Ignition bytecodes, overstating it relative to optimised code).',
      'An instruction count does not weigh cache misses or branch mispredictions (a disabled site is one well-predicted branch).',
      '',
      '| Node mode | W + N1 / W + N2 batches | probes off: instructions/exit | compiled out: instructions/exit | ratio | ≤ 1.02 |',
      '| --- | --- | --- | --- | --- | --- |',
      ...ratios.map((r) => `| ${r.mode} | ${WARM[r.mode]} + ${N1[r.mode]} / ${WARM[r.mode]} + ${2 * N1[r.mode]} | ${fmt(r.off)} | ${fmt(r.compiledOut)} | ${r.ratio.toFixed(4)} | ${r.holds ? 'yes' : 'no'} |`),
      '',
      'Raw totals (Ir, whole process):',
      '',
      '| Node mode | copy | Ir with N1 | Ir with N2 | exits N1 / N2 |',
      '| --- | --- | --- | --- | --- |',
      ...measures.map((m) => `| ${m.mode} | ${m.variant} | ${fmt(m.n1.ir)} | ${fmt(m.n2.ir)} | ${m.n1.exits} / ${m.n2.exits} |`),
      '',
      ...(repeat ? [`Repeatability — ${repeat}.`, ''] : []),
      `Results: bench/results/probe-cost-callgrind.json. Reproduce: \`node --import tsx bench/probe-cost-callgrind.ts\` (about ${Math.ceil(seconds / 60)} min).`,
      '',
    ].join('\n');
    writeFileSync(RESULT_MD, md);
    console.log(`wrote ${RESULT_JSON} and ${RESULT_MD} (${seconds.toFixed(0)} s)`);
  } finally {
    rmSync(stripped.dir, { recursive: true, force: true });
    rmSync(plain.dir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
