import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { compareReports, formatComparison } from '../../bench/compare.js';
import { REPORT_SCHEMA, type BenchReport, type BenchResult } from '../../bench/report.js';

function rep(calHz: number, results: BenchResult[]): BenchReport {
  return { schema: REPORT_SCHEMA, date: '2026-11-26T09:00:00Z', machine: { nproc: 2, cpu: 'x', node: 'v20', platform: 'linux', peers: {} }, calibration: { hz: calHz, rme: 1 }, results, durationSec: 1 };
}
const r = (id: string, value: number | null, better: 'lower' | 'higher', unit = better === 'lower' ? 'ns/exit' : 'MIPS', extra: Partial<BenchResult> = {}): BenchResult => ({ id, section: 's', name: id, value, unit, better, rme: 2, ...extra });

describe('compareReports', () => {
  const base = rep(1000, [r('exit.cpuid', 10000, 'lower'), r('mips.int', 10, 'higher'), r('ratio', 1.0, 'lower', 'ratio', { normalise: false }), r('gone', 5, 'lower')]);

  it('cancels the speed of the machine through the calibration benchmark', () => {
    // A machine twice as slow: times double, rates halve, calibration hz halves.
    const cur = rep(500, [r('exit.cpuid', 20000, 'lower'), r('mips.int', 5, 'higher'), r('ratio', 1.0, 'lower', 'ratio', { normalise: false }), r('gone', 10, 'lower')]);
    const c = compareReports(cur, base);
    expect(c.flagged).toEqual([]);
    for (const row of c.rows) expect(row.slowdown).toBeCloseTo(0, 9);
    expect(c.calibrationRatio).toBe(0.5);
  });

  it('flags slowdowns above the threshold, in either direction of "better"', () => {
    const cur = rep(1000, [r('exit.cpuid', 12000, 'lower'), r('mips.int', 8, 'higher'), r('ratio', 1.1, 'lower', 'ratio', { normalise: false }), r('gone', 4, 'lower')]);
    const c = compareReports(cur, base);
    const by = new Map(c.rows.map((x) => [x.id, x]));
    expect(by.get('exit.cpuid')!.slowdown).toBeCloseTo(0.2, 9);
    expect(by.get('exit.cpuid')!.status).toBe('slower');
    expect(by.get('mips.int')!.slowdown).toBeCloseTo(0.25, 9);
    expect(by.get('mips.int')!.status).toBe('slower');
    expect(by.get('ratio')!.status).toBe('ok'); // +10 %, not normalised
    expect(by.get('gone')!.status).toBe('faster');
    expect(c.flagged.map((x) => x.id)).toEqual(['exit.cpuid', 'mips.int']);
    expect(compareReports(cur, base, { threshold: 0.3 }).flagged).toEqual([]);
    expect(formatComparison(c)).toContain('2 regression(s) above the threshold or failed: exit.cpuid, mips.int');
  });

  it('reports new, missing, unmeasured and re-defined results without flagging them', () => {
    const cur = rep(1000, [r('exit.cpuid', null, 'lower'), r('mips.int', 10, 'higher', 'MB/s'), r('new', 1, 'lower')]);
    const c = compareReports(cur, base);
    const st = Object.fromEntries(c.rows.map((x) => [x.id, x.status]));
    expect(st).toEqual({ 'exit.cpuid': 'n/a', 'mips.int': 'unit-changed', new: 'new', ratio: 'missing', gone: 'missing' });
    expect(c.flagged).toEqual([]);
    expect(formatComparison(c)).toContain('no regression above the threshold');
  });

  it('calls a slowdown within the noise "noisy" and flags it only in strict mode', () => {
    const noisy = (v: number, rme: number) => r('boot.x', v, 'lower', 'ms', { rme });
    const b2 = rep(1000, [noisy(100, 20)]);
    const c = compareReports(rep(1000, [noisy(125, 25)]), b2); // +25 %, noise ±32 %
    expect(c.rows[0]!.status).toBe('noisy');
    expect(c.rows[0]!.noise).toBeCloseTo(Math.sqrt(20 ** 2 + 25 ** 2 + 1 + 1) / 100, 9);
    expect(c.flagged).toEqual([]);
    expect(compareReports(rep(1000, [noisy(125, 25)]), b2, { strict: true }).flagged).toHaveLength(1);
    expect(compareReports(rep(1000, [noisy(160, 25)]), b2).rows[0]!.status).toBe('slower'); // +60 % > ±32 %
  });

  it('normalises a result by its own calibration, timed next to it, when it has one', () => {
    const b2 = rep(1000, [r('boot.x', 100, 'lower', 'ms', { calibration: { hz: 1000, rme: 1 } })]);
    // Loaded host while boot.x ran: it took 1.5x as long, and so did the calibration next to it.
    const cur = rep(1000, [r('boot.x', 150, 'lower', 'ms', { calibration: { hz: 1000 / 1.5, rme: 1 } })]);
    const c = compareReports(cur, b2);
    expect(c.rows[0]!.slowdown).toBeCloseTo(0, 9);
    expect(c.flagged).toEqual([]);
  });

  it('flags a measurement the new run marks FAILED', () => {
    const cur = rep(1000, [r('exit.cpuid', null, 'lower', 'ns/exit', { failed: 'bench guest cpuid: run ended with triple-fault' }), r('mips.int', 10, 'higher')]);
    const c = compareReports(cur, base);
    expect(c.flagged.map((x) => [x.id, x.status])).toEqual([['exit.cpuid', 'failed']]);
  });

  it('rejects a nonsensical threshold', () => {
    expect(() => compareReports(base, base, { threshold: 0 })).toThrow(RangeError);
  });
});

describe('scripts/bench-compare.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vtx-bench-compare-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, doc: unknown): string => {
    const p = join(dir, name);
    writeFileSync(p, JSON.stringify(doc));
    return p;
  };
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench-compare.ts', ...args], { encoding: 'utf8' });

  it('exits 0 without regressions, 1 with, 2 on bad input', () => {
    const b = write('base.json', rep(1000, [r('exit.cpuid', 10000, 'lower')]));
    const same = write('same.json', rep(1000, [r('exit.cpuid', 10500, 'lower')]));
    const slow = write('slow.json', rep(1000, [r('exit.cpuid', 13000, 'lower')]));
    const ok = run(same, b);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('no regression above the threshold');
    const bad = run(slow, b);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/slower\s+\+30\.0%/);
    expect(run(slow, b, '--threshold', '0.5').status).toBe(0);
    const junk = write('junk.json', { hello: 1 });
    const e = run(junk, b);
    expect(e.status).toBe(2);
    expect(e.stderr).toMatch(/junk\.json: not a vtx bench report/);
    expect(run(join(dir, 'missing.json'), b).status).toBe(2);
  }, 30_000);
});
