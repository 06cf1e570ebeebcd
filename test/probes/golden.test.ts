/**
 * Golden output of every aggregating function driven through D programs (keys of several types,
 * printa with and without formats, normalize/denormalize/trunc/clear), with the expected text
 * written out from the DTrace layout rules (spec.md 1.2-1.10), independently of the printers.
 */
import { describe, expect, it } from 'vitest';
import { ProbeRegistry } from '../../src/probes/index.js';

const HEADER = '\n           value  ------------- Distribution ------------- count    \n';
const row = (label: string | number, count: number, depth: number): string =>
  String(label).padStart(16) + ' |' + '@'.repeat(depth) + ' '.repeat(40 - depth) + ' ' + String(count).padEnd(9) + '\n';
const k32 = (v: number): string => ' ' + String(v).padStart(8);
const k64 = (v: number | string): string => ' ' + String(v).padStart(16);
const kstr = (s: string): string => '  ' + s.padEnd(50);
const val = (v: number | string): string => ' ' + String(v).padStart(16);

/** Run `program` over `data` fired as vmx:::exit(args[0], args[1], ...) and return end()'s text. */
function run(program: string, data: number[][]): string {
  const reg = new ProbeRegistry();
  const site = reg.site('vmx', 'vm0', 'vcpu0', 'exit');
  let out = '';
  const h = reg.enable(program, { quiet: true, write: (s) => { out += s; } });
  for (const d of data) site.fire(d[0] ?? 0, d[1] ?? 0, d[2] ?? 0, d[3] ?? 0, d[4] ?? 0);
  h.end();
  return out;
}

const DATA = [[30, 5], [30, 17], [10, 2], [48, 100], [30, 40], [12, -3], [48, 60]];

describe('every aggregating function, through D, byte for byte', () => {
  it('count() keyed by uint32_t (args[0])', () => {
    expect(run('vmx:::exit { @[args[0]] = count(); }', DATA)).toBe(
      '\n' + k32(10) + val(1) + '\n' + k32(12) + val(1) + '\n' + k32(48) + val(2) + '\n' + k32(30) + val(3) + '\n');
  });
  it('sum() keyed by int64_t (arg0) with a negative total', () => {
    expect(run('vmx:::exit { @s[arg0] = sum(arg1); }', DATA)).toBe(
      '\n' + k64(12) + val(-3) + '\n' + k64(10) + val(2) + '\n' + k64(30) + val(62) + '\n' + k64(48) + val(160) + '\n');
  });
  it('avg() keyed by string (integer mean, truncated)', () => {
    expect(run('vmx:::exit { @a[strexitno[args[0]]] = avg(arg1); }', DATA)).toBe(
      '\n' + kstr('HLT') + val(-3) + '\n' + kstr('CPUID') + val(2) + '\n' + kstr('IO_INSTRUCTION') + val(20) + '\n' +
      kstr('EPT_VIOLATION') + val(80) + '\n');
  });
  it('min() and max() keyed by (string, uint32_t)', () => {
    expect(run('vmx:::exit { @lo[probename, args[0]] = min(arg1); @hi[probename, args[0]] = max(arg1); }', DATA)).toBe(
      '\n' +
      kstr('exit') + k32(12) + val(-3) + '\n' + kstr('exit') + k32(10) + val(2) + '\n' +
      kstr('exit') + k32(30) + val(5) + '\n' + kstr('exit') + k32(48) + val(60) + '\n' +
      kstr('exit') + k32(12) + val(-3) + '\n' + kstr('exit') + k32(10) + val(2) + '\n' +
      kstr('exit') + k32(30) + val(40) + '\n' + kstr('exit') + k32(48) + val(100) + '\n');
  });
  it('stddev() (population, integer steps)', () => {
    // 30: 5, 17, 40 -> sum 62, squares 25 + 289 + 1600 = 1914; 1914/3 = 638; 62/3 = 20; 638 - 400 = 238 -> 15
    // 48: 100, 60 -> 13600/2 = 6800; 160/2 = 80; 6800 - 6400 = 400 -> 20
    expect(run('vmx:::exit { @d[args[0]] = stddev(arg1); }', DATA)).toBe(
      '\n' + k32(10) + val(0) + '\n' + k32(12) + val(0) + '\n' + k32(30) + val(15) + '\n' + k32(48) + val(20) + '\n');
  });
  it('quantize() with negative values and an increment', () => {
    // values 5,17,2,100,40,-3,60 weighted by 2; -3 -> "-2", 2 -> "2", 5 -> "4", 17 -> "16", 40 -> "32", 60 -> "32", 100 -> "64"
    // total 14: 2 -> round(80/14) = 6, 4 -> round(160/14) = 11
    const q = run('vmx:::exit { @q = quantize(arg1, 2); }', DATA);
    expect(q).toBe('\n' + HEADER +
      row(-4, 0, 0) + row(-2, 2, 6) + row(-1, 0, 0) + row(0, 0, 0) + row(1, 0, 0) + row(2, 2, 6) + row(4, 2, 6) +
      row(8, 0, 0) + row(16, 2, 6) + row(32, 4, 11) + row(64, 2, 6) + row(128, 0, 0) + '\n');
  });
  it('lquantize() keyed by uint32_t, with underflow, overflow and the base+levels*step boundary', () => {
    // lquantize(x, 0, 45, 10): levels 4, overflow ">= 40"
    const text = run('vmx:::exit { @l[args[0]] = lquantize(arg1, 0, 45, 10); }', DATA);
    // sort by weighted sum: underflow weighs base-1, overflow base+levels*step+1 (dt_aggregate_lquantizedsum)
    // 12: -1; 10: 0; 30: 0 + 10 + 41 = 51; 48: 2 * 41 = 82
    expect(text).toBe('\n' +
      k32(12) + HEADER + row('< 0', 1, 40) + row(0, 0, 0) + '\n' +
      k32(10) + HEADER + row('< 0', 0, 0) + row(0, 1, 40) + row(10, 0, 0) + '\n' +
      k32(30) + HEADER + row('< 0', 0, 0) + row(0, 1, 13) + row(10, 1, 13) + row(20, 0, 0) + row(30, 0, 0) + row('>= 40', 1, 13) + '\n' +
      k32(48) + HEADER + row(30, 0, 0) + row('>= 40', 2, 40) + '\n');
  });
  it('llquantize() with a string key', () => {
    // llquantize(x, 10, 0, 2, 20): magnitude 1 has width 5 (10, 15, ..., 95), magnitude 2 width 50
    const text = run('vmx:::exit /args[0] == 30/ { @ll[probefunc] = llquantize(arg1, 10, 0, 2, 20); }', DATA);
    // 5 -> "5", 17 -> "15", 40 -> "40"; total 3 -> 13 @ each
    expect(text).toBe('\n' + kstr('vcpu0') + HEADER +
      row(4, 0, 0) + row(5, 1, 13) + row(6, 0, 0) + row(7, 0, 0) + row(8, 0, 0) + row(9, 0, 0) +
      row(10, 0, 0) + row(15, 1, 13) + row(20, 0, 0) + row(25, 0, 0) + row(30, 0, 0) + row(35, 0, 0) +
      row(40, 1, 13) + row(45, 0, 0) + '\n');
  });
});

describe('printa formats and aggregation operations in D', () => {
  it('printa with widths, flags and %@ conversions, sorted by value', () => {
    const text = run(`vmx:::exit { @n[strexitno[args[0]], args[0]] = count(); @t[strexitno[args[0]], args[0]] = sum(arg1); }
      END { printa("%-16s|%4d|%@-6d|%@x\\n", @n, @t); }`, DATA);
    expect(text).toBe(
      'HLT             |  12|1     |fffffffffffffffd\n' +
      'CPUID           |  10|1     |2\n' +
      'EPT_VIOLATION   |  48|2     |a0\n' +
      'IO_INSTRUCTION  |  30|3     |3e\n' +
      '\n');
  });
  it('joined printa fills missing keys with zero', () => {
    const text = run('vmx:::exit { @a[args[0]] = count(); } vmx:::exit /args[0] == 30/ { @b[args[0]] = sum(arg1); } END { printa(@a, @b); }', DATA);
    expect(text).toBe('\n' +
      k32(10) + val(1) + val(0) + '\n' + k32(12) + val(1) + val(0) + '\n' + k32(48) + val(2) + val(0) + '\n' +
      k32(30) + val(3) + val(62) + '\n' + '\n');
  });
  it('normalize / denormalize / trunc / clear from clauses', () => {
    const text = run(`vmx:::exit { @s[args[0]] = sum(arg1); @c[args[0]] = count(); }
      END {
        normalize(@s, 10); printa(@s);
        denormalize(@s); trunc(@s, 2); printa(@s);
        trunc(@s, -1); printa(@s);
        clear(@c); printa("%d=%@d ", @c); printf("\\n");
        trunc(@c); printa(@c);
      }`, DATA);
    expect(text).toBe(
      '\n' + k32(12) + val('1844674407370955161') + '\n' + k32(10) + val(0) + '\n' + k32(30) + val(6) + '\n' + k32(48) + val(16) + '\n' +
      '\n' + k32(30) + val(62) + '\n' + k32(48) + val(160) + '\n' +
      '\n' + k32(30) + val(62) + '\n' +
      '10=0 12=0 30=0 48=0 \n' +
      '\n' +
      '\n');
  });
  it('unprinted aggregations print at the end in order of first use, printed ones do not', () => {
    const text = run('vmx:::exit { @z = count(); @a = sum(arg1); @m = max(arg1); } END { printa(@a); }', DATA);
    expect(text).toBe('\n' + val(221) + '\n' + '\n' + val(7) + '\n' + val(100) + '\n');
  });
});
