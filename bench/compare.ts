/**
 * The regression guard's logic: compare a new bench report with a baseline as machine-independent
 * ratios. Every value is first normalised by the calibration benchmark of its own run (a pure-JS
 * loop, in operations per second; each result's own calibration when the bench timed one next to
 * it, else the run's): a time becomes "time × calibration hz" (time in units of the
 * calibration operation), a rate becomes "rate / calibration hz". A slower or faster machine
 * scales both alike, so the ratio of normalised values is what vtx itself gained or lost.
 *
 * A result is flagged when its normalised slowdown exceeds the threshold (default 15 %) and also
 * exceeds its noise — the combined relative margin of error of the two runs (benchmark.js rme of
 * the result in each run and, for normalised values, of the calibration in each run) — so a
 * figure that is merely noisy on a shared machine reads "noisy", not "slower". `strict` flags
 * every slowdown above the threshold. A result the new run marks FAILED is always flagged (a
 * guest that no longer runs is the worst regression).
 * Pure functions; the CLI is scripts/bench-compare.ts.
 */
import type { BenchReport, BenchResult } from './report.js';

export const DEFAULT_THRESHOLD = 0.15;

export interface CompareRow {
  id: string;
  name: string;
  unit: string;
  baseline: number | null;
  current: number | null;
  /** Normalised slowdown: +0.20 = 20 % slower than the baseline, -0.1 = 10 % faster. */
  slowdown: number | null;
  /** Combined relative margin of error of the two runs, as a fraction (informational). */
  noise: number | null;
  status: 'ok' | 'slower' | 'noisy' | 'faster' | 'new' | 'missing' | 'n/a' | 'unit-changed' | 'failed';
}

export interface Comparison {
  rows: CompareRow[];
  flagged: CompareRow[];
  threshold: number;
  strict: boolean;
  calibrationRatio: number;
}

/** The calibration a result is normalised by: its own (timed next to it), else the run's. */
function calibrationOf(r: BenchResult, report: BenchReport): { hz: number; rme: number } {
  return r.calibration ?? report.calibration;
}

function normalised(r: BenchResult, report: BenchReport): number {
  if (r.normalise === false) return r.value!;
  const hz = calibrationOf(r, report).hz;
  return r.better === 'lower' ? r.value! * hz : r.value! / hz;
}

export interface CompareOptions {
  /** Slowdown (fraction) above which a result is flagged; default 0.15. */
  threshold?: number;
  /** Flag slowdowns above the threshold even when they are within the noise. */
  strict?: boolean;
}

export function compareReports(current: BenchReport, baseline: BenchReport, opts: CompareOptions = {}): Comparison {
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  if (!(threshold > 0)) throw new RangeError(`threshold ${threshold}: must be a positive fraction (0.15 = 15 %)`);
  const base = new Map(baseline.results.map((r) => [r.id, r]));
  const rows: CompareRow[] = [];
  const seen = new Set<string>();
  for (const r of current.results) {
    seen.add(r.id);
    const b = base.get(r.id);
    const row: CompareRow = { id: r.id, name: r.name, unit: r.unit, baseline: b?.value ?? null, current: r.value, slowdown: null, noise: null, status: 'ok' };
    if (r.failed !== undefined) row.status = 'failed';
    else if (!b) row.status = 'new';
    else if (b.unit !== r.unit || b.better !== r.better) row.status = 'unit-changed';
    else if (r.value === null || b.value === null || b.value === 0 || r.value === 0) row.status = 'n/a';
    else {
      const nNew = normalised(r, current);
      const nOld = normalised(b, baseline);
      const slowdown = r.better === 'lower' ? nNew / nOld - 1 : nOld / nNew - 1;
      row.slowdown = slowdown;
      const rmes = [r.rme ?? 0, b.rme ?? 0, ...(r.normalise === false ? [] : [calibrationOf(r, current).rme, calibrationOf(b, baseline).rme])];
      const noise = Math.sqrt(rmes.reduce((s, x) => s + x * x, 0)) / 100;
      row.noise = noise;
      if (slowdown > threshold) row.status = opts.strict || slowdown > noise ? 'slower' : 'noisy';
      else row.status = slowdown < -threshold ? 'faster' : 'ok';
    }
    rows.push(row);
  }
  for (const b of baseline.results) {
    if (!seen.has(b.id)) rows.push({ id: b.id, name: b.name, unit: b.unit, baseline: b.value, current: null, slowdown: null, noise: null, status: 'missing' });
  }
  return { rows, flagged: rows.filter((r) => r.status === 'slower' || r.status === 'failed'), threshold, strict: opts.strict ?? false, calibrationRatio: current.calibration.hz / baseline.calibration.hz };
}

export function formatComparison(c: Comparison): string {
  const pct = (x: number | null): string => (x === null ? '' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`);
  const num = (x: number | null): string => (x === null ? '-' : x.toPrecision(4));
  const lines = [
    `calibration: this machine runs the pure-JS loop at ${c.calibrationRatio.toFixed(3)}× the baseline's speed; values are normalised by it.`,
    `threshold: slowdowns above ${(c.threshold * 100).toFixed(0)}% are flagged${c.strict ? '' : ' when they also exceed the noise (combined margin of error of both runs; "noisy" otherwise)'}.`,
    '',
    `${'status'.padEnd(12)} ${'slowdown'.padStart(9)} ${'noise'.padStart(7)} ${'baseline'.padStart(11)} ${'current'.padStart(11)}  benchmark`,
  ];
  for (const r of c.rows) {
    lines.push(`${r.status.padEnd(12)} ${pct(r.slowdown).padStart(9)} ${(r.noise === null ? '' : `±${(r.noise * 100).toFixed(1)}%`).padStart(7)} ${num(r.baseline).padStart(11)} ${num(r.current).padStart(11)}  ${r.id} (${r.unit})`);
  }
  lines.push('', c.flagged.length === 0 ? 'no regression above the threshold' : `${c.flagged.length} regression(s) above the threshold or failed: ${c.flagged.map((r) => r.id).join(', ')}`);
  return lines.join('\n');
}
