/**
 * One vtx measurement in its own process (see isolate.ts):
 *   node --import tsx bench/worker.ts <suite> <item> '<budget JSON>'
 * Prints one line of JSON ({ results, aux }) on stdout; progress and errors go to stderr.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerOutput } from './isolate.js';
import { measureBoot } from './suites/boots.js';
import { measureCompute } from './suites/compute.js';
import { measureExitKind } from './suites/exits.js';
import { probeSuite } from './suites/probes.js';
import type { BenchBudget } from './vtx.js';
import { around, calibrate } from './calibrate.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<WorkerOutput> {
  const [suite, item, budgetText] = process.argv.slice(2);
  if (!suite || !item || !budgetText) throw new Error('usage: worker.ts <suite> <item> <budget JSON>');
  const budget = JSON.parse(budgetText) as BenchBudget;
  const log = (msg: string): void => void process.stderr.write(`  [worker] ${msg}\n`);
  // Calibrate next to the measurement: on a shared machine the load changes within a run.
  const calBudget: BenchBudget = { maxTime: Math.min(0.5, budget.maxTime), minSamples: Math.min(5, budget.minSamples) };
  const before = calibrate(calBudget);
  const out = await measure(suite, item, budget, log);
  const cal = around(before, calibrate(calBudget));
  for (const r of out.results) r.calibration = cal;
  return out;
}

async function measure(suite: string, item: string, budget: BenchBudget, log: (msg: string) => void): Promise<WorkerOutput> {
  switch (suite) {
    case 'exits':
      return { results: [measureExitKind(item, budget)] };
    case 'mips': {
      const m = measureCompute(item, budget);
      return { results: [m.result], aux: { instructionsPerIteration: m.instructionsPerIteration } };
    }
    case 'boot':
      return { results: measureBoot(ROOT, item, budget) };
    case 'probes':
      return { results: await probeSuite(ROOT, budget, log) };
    default:
      throw new Error(`unknown suite ${suite}`);
  }
}

main().then(
  (out) => process.stdout.write(`${JSON.stringify(out)}\n`),
  (e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
