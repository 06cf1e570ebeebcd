/**
 * `npm run bench`: every suite in one run, one table on stdout, the JSON report in
 * bench/results/latest.json and bench/results/<date>.json, and the README section in
 * bench/README-section.md. Progress goes to stderr.
 *
 *   node --import tsx bench/run.ts [--no-peers] [--only exits,mips,boot,probes,vmexit,memory]
 *                                 [--quick] [--write-baseline] [--in-process]
 *   node --import tsx bench/run.ts --readme-only [REPORT.json]   (re-render README-section.md)
 *
 * Each vtx measurement runs in its own child process (bench/isolate.ts explains why);
 * `--in-process` runs them all in this process instead (faster to start, order-dependent).
 *
 * Budgets are small (benchmark.js maxTime 1.5 s per benchmark) so the whole run takes about five
 * minutes on a two-core machine. A suite that produces a wrong exit count or a failed guest stops
 * the run with an error: a number from a broken guest is worse than none.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allPeers } from './peers/index.js';
import type { Peer } from './peers/peer.js';
import { REPORT_SCHEMA, formatReadmeSection, formatTable, validateReport, type BenchReport, type BenchResult } from './report.js';
import { bootSuite } from './suites/boots.js';
import { computeSuite } from './suites/compute.js';
import { exitSuite } from './suites/exits.js';
import { memorySuite } from './suites/memory.js';
import { probeSuite } from './suites/probes.js';
import { KVM_REFERENCE, vmexitGuestSuite } from './suites/vmexit-guest.js';
import { ratioRme } from './stats.js';
import { calibrate } from './calibrate.js';
import { runIsolated } from './isolate.js';
import { failedResult } from './suites/common.js';
import { DEFAULT_BUDGET, type BenchBudget } from './vtx.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SECTIONS = ['exits', 'mips', 'boot', 'probes', 'vmexit', 'memory'] as const;
type Section = (typeof SECTIONS)[number];

function parseArgs(argv: string[]): { peers: boolean; only: Set<Section>; quick: boolean; writeBaseline: boolean; isolate: boolean } {
  const o = { peers: true, only: new Set<Section>(SECTIONS), quick: false, writeBaseline: false, isolate: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--no-peers') o.peers = false;
    else if (a === '--quick') o.quick = true;
    else if (a === '--write-baseline') o.writeBaseline = true;
    else if (a === '--in-process') o.isolate = false;
    else if (a === '--only') {
      const list = (argv[++i] ?? '').split(',').filter(Boolean);
      for (const s of list) if (!SECTIONS.includes(s as Section)) throw new Error(`--only ${s}: sections are ${SECTIONS.join(', ')}`);
      o.only = new Set(list as Section[]);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1]!.trim();
  } catch {
    // not Linux: fall back to Node's view
  }
  return cpus()[0]?.model ?? 'unknown CPU';
}

function nproc(): number {
  const r = spawnSync('nproc', { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : cpus().length;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--readme-only') {
    // Re-render bench/README-section.md from a saved report (default: the latest run), no timing.
    const file = process.argv[3] ?? join(ROOT, 'bench', 'results', 'latest.json');
    const report = validateReport(JSON.parse(readFileSync(file, 'utf8')), file);
    writeFileSync(join(ROOT, 'bench', 'README-section.md'), formatReadmeSection(report, formatTable(report)));
    return;
  }
  const opts = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const log = (msg: string): void => {
    process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)}s] ${msg}\n`);
  };
  const budget: BenchBudget = opts.quick ? { maxTime: 0.3, minSamples: 3 } : DEFAULT_BUDGET;
  const bootBudget: BenchBudget = opts.quick ? { maxTime: 0.3, minSamples: 2 } : { maxTime: 1, minSamples: 5 };

  const peerInfo: Record<string, string> = {};
  const peers: Peer[] = [];
  for (const p of allPeers()) {
    const a = await p.probe();
    peerInfo[p.name] = a.available ? a.version : a.reason;
    if (!opts.peers) peerInfo[p.name] = `not run (--no-peers)${a.available ? `; ${a.version}` : ''}`;
    else if (a.available) peers.push(p);
  }
  const unavailable = opts.peers ? allPeers().map((p) => p.name).filter((n) => !peers.some((p) => p.name === n)) : [];
  log(`peers: ${Object.entries(peerInfo).map(([k, v]) => `${k}: ${v}`).join('; ')}`);

  log('calibration');
  const cal1 = calibrate(budget);
  const results: BenchResult[] = [];
  let vmexitLines: string[] | undefined;
  if (opts.only.has('exits')) results.push(...(await exitSuite(budget, peers, log, opts.isolate)));
  if (opts.only.has('mips')) results.push(...(await computeSuite(budget, peers, log, opts.isolate)));
  if (opts.only.has('boot')) results.push(...(await bootSuite(ROOT, bootBudget, peers, log, opts.isolate)));
  if (opts.only.has('probes')) {
    log('probes');
    try {
      results.push(...(opts.isolate ? runIsolated('probes', 'all', budget).results : await probeSuite(ROOT, budget, log)));
    } catch (e) {
      results.push(failedResult('probes.off-vs-compiled-out', 'probes', 'probes off / compiled out (target ≤ 1.02)', 'ratio', 'lower', e));
    }
  }
  if (opts.only.has('vmexit')) {
    try {
      const v = await vmexitGuestSuite(ROOT, peers.some((p) => p.name === 'QEMU'), log);
      results.push(...v.results);
      vmexitLines = v.lines;
    } catch (e) {
      results.push(failedResult('vmexit-guest.cpuid', 'vmexit guest', 'cpuid (guest RDTSC)', 'virtual TSC cycles', 'lower', e));
    }
  }
  if (opts.only.has('memory')) {
    try {
      results.push(...memorySuite(ROOT, log));
    } catch (e) {
      results.push(failedResult('memory.one.rss', 'memory', 'one machine (demo booted): RSS', 'MiB', 'lower', e));
    }
  }
  log('calibration (again)');
  const cal2 = calibrate(budget);
  for (const p of peers) (p as { dispose?: () => void }).dispose?.();

  // Peers that are not installed still get a column saying so.
  for (const name of unavailable) {
    for (const r of results) if (r.peers && r.section !== 'probes' && r.section !== 'memory') r.peers[name] = { value: null, note: 'not installed' };
  }

  const report: BenchReport = {
    schema: REPORT_SCHEMA,
    date: new Date().toISOString(),
    machine: { nproc: nproc(), cpu: cpuModel(), node: process.version, platform: `${process.platform} ${process.arch}`, peers: peerInfo },
    calibration: { hz: (cal1.hz + cal2.hz) / 2, rme: ratioRme(cal1.rme, cal2.rme) },
    results,
    ...(vmexitLines ? { vmexitGuest: { lines: vmexitLines, reference: KVM_REFERENCE } } : {}),
    durationSec: (performance.now() - started) / 1000,
  };
  const table = formatTable(report);
  process.stdout.write(`${table}\n`);
  if (vmexitLines) process.stdout.write(`\nguests/vmexit under vtx (virtual TSC):\n${vmexitLines.map((l) => `  ${l}`).join('\n')}\n${KVM_REFERENCE}\n`);

  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  const latest = join(dir, 'latest.json');
  writeFileSync(latest, text);
  writeFileSync(join(dir, `${report.date.replace(/[:.]/g, '-')}.json`), text);
  writeFileSync(join(ROOT, 'bench', 'README-section.md'), formatReadmeSection(report, table));
  const failed = results.filter((r) => r.failed !== undefined);
  if (opts.writeBaseline && failed.length === 0) copyFileSync(latest, join(ROOT, 'bench', 'baseline.json'));
  log(`wrote ${latest}${opts.writeBaseline && failed.length === 0 ? ' and bench/baseline.json' : ''}; total ${report.durationSec.toFixed(0)} s`);
  if (failed.length > 0) {
    for (const r of failed) process.stderr.write(`bench: FAILED ${r.id}:\n${r.note ?? r.failed}\n`);
    process.stderr.write(`bench: ${failed.length} measurement(s) FAILED${opts.writeBaseline ? '; the baseline was not written' : ''}\n`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
