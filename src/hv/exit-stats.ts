/**
 * VM-exit statistics in the spirit of `perf kvm stat report --event=vmexit`: per basic exit
 * reason the number of exits, their share, and the time from the VM exit to the next VM entry
 * (the time the hypervisor spent handling it), as min / max / mean with the relative standard
 * error of the mean — the columns `perf kvm stat` prints (tools/perf/builtin-kvm.c print_result).
 *
 * Counts are deterministic (they follow the guest). Times are host time (process.hrtime), as perf
 * measures them; they are diagnostics and vary from run to run.
 */
import { exitReasonName } from '../vmx/exit-reasons.js';

export interface ExitReasonStats {
  count: number;
  /** Exits whose handling time was measured (all but an exit the guest never re-entered after). */
  timed: number;
  totalNs: number;
  minNs: number;
  maxNs: number;
  /** Sum of squared durations (ns^2) for the standard error. */
  sumSqNs: number;
}

export class ExitStats {
  /** Indexed by basic exit reason (0..127). */
  readonly byReason: Array<ExitReasonStats | undefined> = [];
  total = 0;

  /** Count an exit (at the VM exit). */
  recordExit(reason: number): void {
    let s = this.byReason[reason];
    if (s === undefined) {
      s = { count: 0, timed: 0, totalNs: 0, minNs: Infinity, maxNs: 0, sumSqNs: 0 };
      this.byReason[reason] = s;
    }
    s.count++;
    this.total++;
  }

  /** Add the handling time of an exit (at the next VM entry). */
  recordTime(reason: number, durationNs: number): void {
    const s = this.byReason[reason];
    if (s === undefined) return;
    s.timed++;
    s.totalNs += durationNs;
    s.sumSqNs += durationNs * durationNs;
    if (durationNs < s.minNs) s.minNs = durationNs;
    if (durationNs > s.maxNs) s.maxNs = durationNs;
  }

  countOf(reason: number): number {
    return this.byReason[reason]?.count ?? 0;
  }

  /** Reasons sorted as perf sorts by default (key "sample": count, descending; ties by reason). */
  sorted(): Array<[number, ExitReasonStats]> {
    const rows: Array<[number, ExitReasonStats]> = [];
    this.byReason.forEach((s, r) => {
      if (s) rows.push([r, s]);
    });
    rows.sort((a, b) => b[1].count - a[1].count || a[0] - b[0]);
    return rows;
  }

  /** The `perf kvm stat report` table. */
  format(): string {
    const rows = this.sorted();
    const totalTime = rows.reduce((t, [, s]) => t + s.totalNs, 0);
    const keyWidth = Math.max(20, ...rows.map(([r]) => exitReasonName(r).length));
    const us = (ns: number): string => (ns / 1000).toFixed(2);
    let out = '\n\nAnalyze events for all VMs, all VCPUs:\n\n';
    out += `${'VM-EXIT'.padStart(keyWidth)} ${'Samples'.padStart(10)} ${'Samples%'.padStart(9)} ${'Time%'.padStart(9)} ${'Min Time'.padStart(11)} ${'Max Time'.padStart(11)} ${'Avg time'.padStart(16)} \n\n`;
    for (const [r, s] of rows) {
      const n = s.timed;
      const mean = n > 0 ? s.totalNs / n : 0;
      const variance = n > 1 ? Math.max(0, (s.sumSqNs - n * mean * mean) / (n - 1)) : 0;
      const rel = mean > 0 ? (Math.sqrt(variance / n) / mean) * 100 : 0;
      out +=
        `${exitReasonName(r).padStart(keyWidth)} ` +
        `${String(s.count).padStart(10)} ` +
        `${((s.count / this.total) * 100).toFixed(2).padStart(8)}% ` +
        `${(totalTime > 0 ? (s.totalNs / totalTime) * 100 : 0).toFixed(2).padStart(8)}% ` +
        `${us(n > 0 ? s.minNs : 0).padStart(9)}us ` +
        `${us(s.maxNs).padStart(9)}us ` +
        `${us(mean).padStart(9)}us ( +-${rel.toFixed(2).padStart(7)}% )\n`;
    }
    out += `\nTotal Samples:${this.total}, Total events handled time:${us(totalTime)}us.\n\n`;
    return out;
  }

  /** JSON form: {"<SDM reason name>": {count, share, total_ns, avg_ns, min_ns, max_ns}}. */
  toJSON(): Record<string, { reason: number; count: number; share: number; total_ns: number; avg_ns: number; min_ns: number; max_ns: number }> {
    const out: Record<string, { reason: number; count: number; share: number; total_ns: number; avg_ns: number; min_ns: number; max_ns: number }> = {};
    for (const [r, s] of this.sorted()) {
      out[exitReasonName(r)] = {
        reason: r,
        count: s.count,
        share: s.count / this.total,
        total_ns: Math.round(s.totalNs),
        avg_ns: s.timed > 0 ? Math.round(s.totalNs / s.timed) : 0,
        min_ns: s.timed > 0 ? Math.round(s.minNs) : 0,
        max_ns: Math.round(s.maxNs),
      };
    }
    return out;
  }
}
