/**
 * The calibration benchmark: a pure-JS integer loop over a typed array — the kind of work vtx's
 * interpreter does, with nothing of vtx in it. bench-compare divides every figure by it, so the
 * speed of the machine (and, measured next to each item, the load on it at that moment) cancels.
 */
import Benchmark from 'benchmark';
import type { BenchBudget } from './vtx.js';

export interface Calibration {
  hz: number;
  rme: number;
}

export function calibrate(budget: BenchBudget): Calibration {
  const a = new Int32Array(4096);
  let sink = 0;
  const b = new Benchmark('calibration', () => {
    let h = sink | 0;
    for (let i = 0; i < 4096; i++) {
      h = (Math.imul(h ^ a[i]!, 0x9e3779b1) + i) | 0;
      a[i] = h;
    }
    sink = h;
  }, { maxTime: budget.maxTime, minSamples: budget.minSamples });
  b.run();
  return { hz: b.hz, rme: b.stats.rme };
}

/** Mean of two calibrations taken around a measurement, with their combined margin. */
export function around(before: Calibration, after: Calibration): Calibration {
  return { hz: (before.hz + after.hz) / 2, rme: Math.sqrt(before.rme ** 2 + after.rme ** 2) / 2 + (Math.abs(before.hz - after.hz) / (before.hz + after.hz)) * 100 };
}
