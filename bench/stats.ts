/**
 * Sample statistics computed the way benchmark.js computes them (Benchmark.prototype.stats:
 * mean, sample standard deviation, standard error of the mean, margin of error with Student's
 * t critical value at 95 %, relative margin of error in percent), for quantities benchmark.js does
 * not time itself (time to first serial byte, QEMU process wall times).
 */

/** Two-sided 95 % critical values of Student's t, by degrees of freedom (benchmark.js tTable). */
const T_TABLE: Record<number, number> = {
  1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
  11: 2.201, 12: 2.179, 13: 2.16, 14: 2.145, 15: 2.131, 16: 2.12, 17: 2.11, 18: 2.101, 19: 2.093, 20: 2.086,
  21: 2.08, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.06, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042,
};

export interface SampleStats {
  mean: number;
  /** Relative margin of error, percent (0 with one sample). */
  rme: number;
  n: number;
  min: number;
  max: number;
}

export function sampleStats(sample: readonly number[]): SampleStats {
  const n = sample.length;
  if (n === 0) throw new RangeError('sampleStats: empty sample');
  const mean = sample.reduce((s, x) => s + x, 0) / n;
  const variance = n > 1 ? sample.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : 0;
  const sem = Math.sqrt(variance / n);
  const df = n - 1;
  const critical = df === 0 ? 0 : (T_TABLE[Math.round(df)] ?? 1.96);
  const moe = sem * critical;
  const rme = mean !== 0 ? (moe / Math.abs(mean)) * 100 : 0;
  return { mean, rme, n, min: Math.min(...sample), max: Math.max(...sample) };
}

/** Relative margin of error of a ratio a/b from the two relative margins (first-order). */
export function ratioRme(rmeA: number, rmeB: number): number {
  return Math.sqrt(rmeA * rmeA + rmeB * rmeB);
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median: empty');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
