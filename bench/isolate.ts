/**
 * Run one vtx measurement in a fresh Node process (`node --import tsx bench/worker.ts ...`).
 *
 * Why: V8's type feedback is per process. After the hypervisor has handled every exit kind and
 * booted every guest, its exit path is polymorphic and measurably slower than in a process that
 * only ever ran one loop (a CPUID exit measured 9.2 µs in a fresh module graph against 16.4 µs in
 * the bench process after the other suites, in the same run). Measuring each item in its own
 * process makes every figure independent of which benchmarks ran before it, so adding a benchmark
 * does not move the others and bench-compare compares like with like.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './report.js';
import type { BenchBudget } from './vtx.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'worker.ts');

export interface WorkerOutput {
  results: BenchResult[];
  /** Figures the parent needs beyond the results (e.g. instructions per loop iteration). */
  aux?: Record<string, number>;
}

export function runIsolated(suite: string, item: string, budget: BenchBudget): WorkerOutput {
  const r = spawnSync(process.execPath, ['--import', 'tsx', WORKER, suite, item, JSON.stringify(budget)], { encoding: 'utf8', timeout: 300_000, maxBuffer: 16 << 20 });
  if (r.error) throw new Error(`bench worker ${suite} ${item}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`bench worker ${suite} ${item} failed (status ${r.status ?? r.signal}):\n${r.stderr.trim()}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as WorkerOutput;
  } catch {
    throw new Error(`bench worker ${suite} ${item}: no JSON result on stdout (got ${JSON.stringify(last.slice(0, 200))})`);
  }
}
