import { describe, expect, it } from 'vitest';
import { REPORT_SCHEMA, formatNumber, formatReadmeSection, formatTable, peerNames, validateReport, type BenchReport } from '../../bench/report.js';
import { median, ratioRme, sampleStats } from '../../bench/stats.js';

function report(): BenchReport {
  return {
    schema: REPORT_SCHEMA,
    date: '2026-11-26T09:00:00.000Z',
    machine: { nproc: 2, cpu: 'Test CPU', node: 'v20.0.0', platform: 'linux x64', peers: { QEMU: 'QEMU emulator version 7.2', v86: 'not installed (npm package v86)' } },
    calibration: { hz: 1000, rme: 1 },
    results: [
      { id: 'exit.cpuid', section: 'VM exits', name: 'CPUID', value: 12345.6, unit: 'ns/exit', better: 'lower', rme: 1.23, extra: { 'exits/s': 81000 }, peers: { QEMU: { value: 10, rme: 5, ratio: 1234.56 }, v86: { value: null, note: 'not installed' } } },
      { id: 'boot.seabios', section: 'boot', name: 'SeaBIOS | hello', value: null, unit: 'ms', better: 'lower', rme: null, note: 'n/a (not installed)' },
    ],
    durationSec: 300,
  };
}

describe('formatNumber', () => {
  it('keeps about three significant digits and groups thousands', () => {
    expect(formatNumber(12345.6)).toBe('12,346');
    expect(formatNumber(123.4)).toBe('123');
    expect(formatNumber(12.34)).toBe('12.3');
    expect(formatNumber(1.234)).toBe('1.23');
    expect(formatNumber(0.01234)).toBe('0.0123');
    expect(formatNumber(0)).toBe('0');
  });
});

describe('formatTable', () => {
  it('prints one Markdown table: value and ratio columns per peer, one column for a peer with no numbers', () => {
    const r = report();
    expect(peerNames(r)).toEqual(['QEMU', 'v86']);
    const lines = formatTable(r).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\| section +\| benchmark +\| vtx +\| ± +\| unit +\| QEMU +\| vtx\/QEMU +\| v86 +\| notes +\|$/);
    expect(lines[1]).toMatch(/^\|-+(\|-+)+\|$/);
    expect(lines[2]).toContain('12,346');
    expect(lines[2]).toContain('1.2%');
    expect(lines[2]).toContain('10.0 ±5.0%');
    expect(lines[2]).toContain('1,235×');
    expect(lines[2]).toContain('not installed');
    expect(lines[2]).toContain('exits/s 81,000');
    // n/a results show their reason in the vtx column; pipes in text are escaped.
    expect(lines[3]).toContain('n/a (not installed)');
    expect(lines[3]).toContain('SeaBIOS \\| hello');
    // every row has the same width
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });

  it('shows a failed measurement as FAILED with its reason', () => {
    const r = report();
    r.results[1] = { ...r.results[1]!, failed: 'boot ended with triple-fault' };
    expect(formatTable(r).split('\n')[3]).toContain('FAILED: boot ended with triple-fault');
  });

  it('writes a README section with the machine, the date and how to reproduce', () => {
    const r = report();
    const s = formatReadmeSection(r, formatTable(r));
    expect(s.startsWith('## Benchmarks\n')).toBe(true);
    expect(s).toContain('2 × Test CPU');
    expect(s).toContain('Node.js v20.0.0');
    expect(s).toContain('2026-11-26');
    expect(s).toContain('npm run bench');
    expect(s).toContain(formatTable(r));
  });
});

describe('validateReport', () => {
  it('accepts a report and names the first bad field otherwise', () => {
    expect(validateReport(JSON.parse(JSON.stringify(report())), 'x.json').results).toHaveLength(2);
    expect(() => validateReport([], 'x.json')).toThrow(/x\.json: not a vtx bench report: schema/);
    expect(() => validateReport({ ...report(), schema: 'other' }, 'x.json')).toThrow(/schema is "other"/);
    expect(() => validateReport({ ...report(), calibration: { hz: 0, rme: 0 } }, 'x.json')).toThrow(/calibration\.hz/);
    const bad = report();
    (bad.results[0] as unknown as Record<string, unknown>).better = 'up';
    expect(() => validateReport(bad, 'x.json')).toThrow(/results\[0\] \(exit\.cpuid\)\.better/);
    const bad2 = report();
    (bad2.results[1] as unknown as Record<string, unknown>).value = '3';
    expect(() => validateReport(bad2, 'x.json')).toThrow(/results\[1\] \(boot\.seabios\)\.value/);
  });
});

describe('stats', () => {
  it('computes mean and relative margin of error as benchmark.js does', () => {
    const s = sampleStats([10, 12, 11, 13, 9]);
    expect(s.mean).toBe(11);
    // sd = sqrt(2.5), sem = sd / sqrt(5), t(4) = 2.776
    expect(s.rme).toBeCloseTo(((Math.sqrt(2.5) / Math.sqrt(5)) * 2.776 * 100) / 11, 6);
    expect(sampleStats([5]).rme).toBe(0);
    expect(() => sampleStats([])).toThrow(RangeError);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(ratioRme(3, 4)).toBe(5);
  });
});
