import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AggFn, Aggregation, formatAggregation, llquantizeBucket, lquantizeBucket, makeLLQuantParams, makeLQuantParams,
  printLLQuantize, printLQuantize, printQuantize, quantizeBucket, quantizeBucketVal, QUANT_HEADER,
} from '../../src/probes/aggregate.js';

const SAMPLES = readFileSync(new URL('../fixtures/dtrace/derived-samples.txt', import.meta.url), 'utf8');

/** Section bodies of derived-samples.txt keyed by their "### " title. */
function samples(): Map<string, string> {
  const out = new Map<string, string>();
  const parts = SAMPLES.split(/^### /m).slice(1);
  for (const p of parts) {
    const nl = p.indexOf('\n');
    let body = p.slice(nl + 1);
    if (!body.endsWith('\n\n')) body += '\n'; // the file's last vector lacks the trailing blank line
    out.set(p.slice(0, nl), body);
  }
  return out;
}

function hist(fn: AggFn, values: number[], lq: ReturnType<typeof makeLQuantParams> | null = null, llq: ReturnType<typeof makeLLQuantParams> | null = null): Aggregation {
  const a = new Aggregation('', 0, fn, [], lq, llq);
  const e = a.entry('', []);
  for (const v of values) a.update(e, v, 1);
  return a;
}

describe('derived-samples.txt golden vectors', () => {
  const s = samples();
  it('has the four vectors', () => expect(s.size).toBe(4));
  it('quantize', () => {
    const a = hist(AggFn.QUANTIZE, [3, 5, 5, 7, 12, 40, 100, 1000]);
    expect(formatAggregation(a)).toBe(s.get('quantize, values {3,5,5,7,12,40,100,1000}'));
  });
  it('lquantize', () => {
    const a = hist(AggFn.LQUANTIZE, [-5, 3, 15, 17, 25, 250], makeLQuantParams(0, 100, 10));
    expect(formatAggregation(a)).toBe(s.get('lquantize(v, 0, 100, 10), values {-5,3,15,17,25,250}'));
  });
  it('llquantize 10,0,3,20', () => {
    const a = hist(AggFn.LLQUANTIZE, [0, 4, 9, 12, 47, 99, 350, 8000, 20000], null, makeLLQuantParams(10, 0, 3, 20));
    expect(formatAggregation(a)).toBe(s.get('llquantize(v, 10, 0, 3, 20), values {0,4,9,12,47,99,350,8000,20000}'));
  });
  it('llquantize 10,3,11,100', () => {
    const a = hist(AggFn.LLQUANTIZE, [500, 1234, 1299, 45678, 2000000], null, makeLLQuantParams(10, 3, 11, 100));
    expect(formatAggregation(a)).toBe(s.get('llquantize(v, 10, 3, 11, 100) (Cloud Analytics latency shape), values {500,1234,1299,45678,2000000}'));
  });
});

// ---------------------------------------------------------------------------------------------
// Independent re-statement of the layout rules (spec.md 1.6/1.7), used to build expected text.

const HEADER = '\n           value  ------------- Distribution ------------- count    \n';
/** A non-negative histogram row: label right-aligned in 16, "|", depth @, pad to 40, count %-9d. */
function row(label: string | number, count: number, depth: number): string {
  return String(label).padStart(16) + ' |' + '@'.repeat(depth) + ' '.repeat(40 - depth) + ' ' + String(count).padEnd(9) + '\n';
}
/** A row of a histogram whose counts are all <= 0 (bar grows leftward). */
function negRow(label: string | number, count: number, depth: number): string {
  return String(label).padStart(16) + ' ' + ' '.repeat(40 - depth) + '@'.repeat(depth) + '| ' + String(count).padEnd(9) + '\n';
}

describe('real DTrace output samples (spec.md 1.11)', () => {
  it('quantize keyed by string (Oracle Linux guide)', () => {
    const a = new Aggregation('', 1, AggFn.QUANTIZE, ['string']);
    const e = a.entry('bash', ['bash']);
    for (let i = 0; i < 4; i++) a.update(e, 20000, 1);
    a.update(e, 140000, 1);
    const expected = '  bash' + ' '.repeat(46) + HEADER + row(8192, 0, 0) + row(16384, 4, 32) + row(32768, 0, 0) + row(65536, 0, 0) + row(131072, 1, 8) + row(262144, 0, 0) + '\n';
    expect(formatAggregation(a)).toBe(expected);
  });
  it('lquantize(arg0, 0, 100, 1) keyed by string (Oracle Linux guide)', () => {
    const a = new Aggregation('', 1, AggFn.LQUANTIZE, ['string'], makeLQuantParams(0, 100, 1));
    const e = a.entry('gnome-session', ['gnome-session']);
    for (let i = 0; i < 9; i++) a.update(e, 26, 1);
    expect(formatAggregation(a)).toBe('  gnome-session' + ' '.repeat(37) + HEADER + row(25, 0, 0) + row(26, 9, 40) + row(27, 0, 0) + '\n');
  });
  it('lquantize with an int key and step 100 (Apple tst.lquantize.d.out)', () => {
    const a = new Aggregation('', 1, AggFn.LQUANTIZE, ['i32'], makeLQuantParams(0, 1000, 100));
    const e = a.entry(100, [100]);
    a.update(e, 100, 1);
    expect(formatAggregation(a)).toBe('      100' + HEADER + row(0, 0, 0) + row(100, 1, 40) + row(200, 0, 0) + '\n');
  });
  it('llquantize with negative increments (Apple tst.llquantnegorder.d.out)', () => {
    const a = new Aggregation('', 1, AggFn.LLQUANTIZE, ['i32'], null, makeLLQuantParams(10, 0, 6, 20));
    const e = a.entry(2, [2]);
    a.update(e, 1, -12);
    expect(formatAggregation(a)).toBe('        2' + HEADER + negRow('< 1', 0, 0) + negRow(1, -12, 40) + negRow(2, 0, 0) + '\n');
  });
  it('count keyed by string (Solaris Dynamic Tracing Guide)', () => {
    const a = new Aggregation('', 1, AggFn.COUNT, ['string']);
    const e = a.entry('write system calls', ['write system calls']);
    for (let i = 0; i < 179; i++) a.update(e, 0, 1);
    expect(formatAggregation(a)).toBe('  write system calls                                              179\n');
  });
  it('a single zero prints the -1/0/1 window (Apple tst.quantize.d.out)', () => {
    const a = hist(AggFn.QUANTIZE, [0]);
    expect(formatAggregation(a)).toBe(HEADER + row(-1, 0, 0) + row(0, 1, 40) + row(1, 0, 0) + '\n');
  });
});

/** Parse the labels a histogram prints (every bucket non-zero so every row prints). */
function labels(text: string): string[] {
  // the tail after a label is fixed: ' |', 40 columns, ' ', the count in 9 columns
  return text.split('\n').slice(2).filter((l) => l.length > 0).map((l) => l.slice(0, l.length - 52).trim());
}

describe('bucket boundaries: every label falls in its own bucket, label - 1 in the one before', () => {
  it('quantize: all 127 buckets', () => {
    const d = new Float64Array(127).fill(1);
    const ls = labels(printQuantize(d, 1));
    expect(ls.length).toBe(127);
    ls.forEach((l, i) => {
      const v = Number(l);
      expect(quantizeBucketVal(i)).toBe(v);
      expect(quantizeBucket(v)).toBe(i);
      if (Math.abs(v) >= 2 ** 52) return; // v - 1 is not representable in a double beyond 2^53
      if (v > 0) expect(quantizeBucket(v - 1)).toBe(i - 1);
      if (v < 0) {
        // negative rows hold (2v, v]: v+1 is the next row, 2v+1 is still this row, 2v the previous one
        expect(quantizeBucket(v + 1)).toBe(i + 1);
        if (i > 0) {
          expect(quantizeBucket(2 * v + 1)).toBe(i);
          expect(quantizeBucket(2 * v)).toBe(i - 1);
        }
      }
    });
    expect(quantizeBucket(2 ** 62)).toBe(126);
    expect(quantizeBucket(2 ** 63)).toBe(126);
    expect(quantizeBucket(-(2 ** 63))).toBe(0);
  });

  for (const [base, limit, step] of [[0, 100, 10], [0, 95, 10], [-50, 50, 7], [1000, 1003, 1], [-10, 0, 5]] as const) {
    it(`lquantize(x, ${base}, ${limit}, ${step})`, () => {
      const p = makeLQuantParams(base, limit, step);
      const d = new Float64Array(p.levels + 2).fill(1);
      const ls = labels(printLQuantize(p, d, 1));
      expect(ls.length).toBe(p.levels + 2);
      ls.forEach((l, i) => {
        if (l.startsWith('< ')) {
          expect(i).toBe(0);
          expect(lquantizeBucket(p, Number(l.slice(2)) - 1)).toBe(0);
        } else if (l.startsWith('>= ')) {
          const v = Number(l.slice(3));
          expect(v).toBe(base + p.levels * step); // not `limit` when (limit - base) % step != 0
          expect(lquantizeBucket(p, v)).toBe(i);
          expect(lquantizeBucket(p, v - 1)).toBe(i - 1);
        } else {
          const v = Number(l);
          expect(lquantizeBucket(p, v)).toBe(i);
          expect(lquantizeBucket(p, v - 1)).toBe(i - 1);
        }
      });
    });
  }

  it('lquantize truncates the value to int32 first', () => {
    const p = makeLQuantParams(0, 100, 10);
    expect(lquantizeBucket(p, 2 ** 32 + 15)).toBe(2);
    expect(lquantizeBucket(p, 2 ** 31)).toBe(0); // becomes INT32_MIN: underflow
  });

  const LLQ: Array<[number, number, number, number, number]> = [
    [10, 0, 3, 20, 65], [10, 3, 11, 100, 812], [2, 0, 25, 32, 369], [4, 0, 2, 16, 29], [10, 0, 1, 10, 20],
  ];
  for (const [factor, low, high, nsteps, total] of LLQ) {
    it(`llquantize(x, ${factor}, ${low}, ${high}, ${nsteps}) has ${total} buckets`, () => {
      const p = makeLLQuantParams(factor, low, high, nsteps);
      expect(p.nbuckets).toBe(total);
      const d = new Float64Array(p.nbuckets).fill(1);
      const ls = labels(printLLQuantize(p, d, 1));
      expect(ls.length).toBe(total);
      ls.forEach((l, i) => {
        if (l.startsWith('< ')) {
          expect(i).toBe(0);
          expect(Number(l.slice(2))).toBe(factor ** low);
          expect(llquantizeBucket(p, Number(l.slice(2)) - 1)).toBe(0);
          expect(llquantizeBucket(p, 0)).toBe(0);
          expect(llquantizeBucket(p, -5)).toBe(0);
        } else {
          const v = Number(l.startsWith('>= ') ? l.slice(3) : l);
          if (l.startsWith('>= ')) expect(v).toBe(factor ** (high + 1));
          expect(llquantizeBucket(p, v)).toBe(i);
          expect(llquantizeBucket(p, v - 1)).toBe(i - 1);
        }
      });
    });
  }

  it('llquantize parameter checks (dt_cc.c rules)', () => {
    expect(() => makeLLQuantParams(1, 0, 3, 10)).toThrow('llquantize( ) factor (argument #1) must be two or more');
    expect(() => makeLLQuantParams(10, 3, 3, 10)).toThrow('llquantize( ) high magnitude (argument #3) must be greater than low magnitude (argument #2)');
    expect(() => makeLLQuantParams(10, 0, 3, 5)).toThrow(/must be less than or equal to the number of linear steps per magnitude/);
    expect(() => makeLLQuantParams(10, 0, 3, 25)).toThrow(/must evenly divide the number of steps per magnitude/);
    expect(() => makeLLQuantParams(10, 0, 3, 30)).toThrow(/must evenly divide a power of the factor/);
    expect(() => makeLLQuantParams(10, 0, 20, 10)).toThrow(/overflows 64-bits/);
    expect(() => makeLLQuantParams(10, 0, 70000, 10)).toThrow('llquantize( ) high magnitude (argument #3) must be an unsigned 16-bit quantity');
    expect(() => makeLQuantParams(10, 0, 1)).toThrow('lquantize( ) base (argument #1) must be less than limit (argument #2)');
    expect(() => makeLQuantParams(0, 10, 20)).toThrow(/too large/);
    expect(() => makeLQuantParams(0, 10, 0)).toThrow(/non-zero positive/);
  });
});

describe('scalar aggregations, keys and sort order', () => {
  function build(fn: AggFn, types: Array<'i32' | 'i64' | 'u32' | 'u64' | 'string'>, data: Array<[Array<number | string>, number]>): Aggregation {
    const a = new Aggregation('x', 1, fn, types);
    for (const [k, v] of data) a.update(a.entry(k.join('\u0001'), k), v, 1);
    return a;
  }
  const v16 = (n: number | string) => ' ' + String(n).padStart(16);

  it('count with int32 keys prints " %8d" keys, sorted by value then key', () => {
    const a = build(AggFn.COUNT, ['i32'], [[[5], 0], [[3], 0], [[3], 0], [[7], 0], [[-1], 0]]);
    // values: 5->1, 3->2, 7->1, -1->1; ties by key unsigned: 5 < 7 < -1 (0xffffffff)
    expect(formatAggregation(a)).toBe(
      '        5' + v16(1) + '\n' + '        7' + v16(1) + '\n' + '       -1' + v16(1) + '\n' + '        3' + v16(2) + '\n');
  });
  it('sum with int64 keys prints " %16lld" keys; negative sums sort first', () => {
    const a = build(AggFn.SUM, ['i64'], [[[10], 5], [[20], -7], [[10], 6], [[30], 0]]);
    expect(formatAggregation(a)).toBe(v16(20) + v16(-7) + '\n' + v16(30) + v16(0) + '\n' + v16(10) + v16(11) + '\n');
  });
  it('avg truncates toward zero; min/max; two keys (string, int)', () => {
    const a = build(AggFn.AVG, ['string', 'i32'], [[['a', 1], 10], [['a', 1], 11], [['b', 2], -7], [['b', 2], -8]]);
    const k = (s: string, n: number) => '  ' + s.padEnd(50) + ' ' + String(n).padStart(8);
    expect(formatAggregation(a)).toBe(k('b', 2) + v16(-7) + '\n' + k('a', 1) + v16(10) + '\n');
    const mn = build(AggFn.MIN, [], [[[], 5], [[], -3], [[], 9]]);
    expect(formatAggregation(mn)).toBe(v16(-3) + '\n');
    const mx = build(AggFn.MAX, [], [[[], 5], [[], -3], [[], 9]]);
    expect(formatAggregation(mx)).toBe(v16(9) + '\n');
  });
  it('stddev uses integer steps (population, truncating)', () => {
    // 1,2,3,4: avg of squares 30/4 = 7, mean 10/4 = 2, 7 - 4 = 3, isqrt = 1
    expect(formatAggregation(build(AggFn.STDDEV, [], [[[], 1], [[], 2], [[], 3], [[], 4]]))).toBe(v16(1) + '\n');
    // 2,4,4,4,5,5,7,9: 232/8 = 29, 40/8 = 5, 29 - 25 = 4 -> 2
    expect(formatAggregation(build(AggFn.STDDEV, [], [2, 4, 4, 4, 5, 5, 7, 9].map((v) => [[], v] as [number[], number])))).toBe(v16(2) + '\n');
    // large values go through the 128-bit path: 1e9 and 3e9 -> sqrt(5e18 - 4e18) = 1e9
    expect(formatAggregation(build(AggFn.STDDEV, [], [[[], 1e9], [[], 3e9]]))).toBe(v16(1000000000) + '\n');
  });
  it('string keys sort byte-wise; the empty string is hex-dumped like dt_print_bytes', () => {
    const a = build(AggFn.COUNT, ['string'], [[['b'], 0], [['a'], 0]]);
    expect(formatAggregation(a)).toBe('  ' + 'a'.padEnd(50) + v16(1) + '\n' + '  ' + 'b'.padEnd(50) + v16(1) + '\n');
    const empty = build(AggFn.COUNT, ['string'], [[[''], 0]]);
    const text = formatAggregation(empty);
    expect(text.startsWith('\n           ' + '  0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f  0123456789abcdef\n')).toBe(true);
    expect(text).toContain('         0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................\n');
    expect(text.endsWith('       f0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................\n' + v16(1) + '\n')).toBe(true);
  });
  it('aggsortkey / aggsortrev / aggsortkeypos', () => {
    const a = build(AggFn.COUNT, ['i32', 'i32'], [[[2, 1], 0], [[1, 2], 0], [[1, 2], 0], [[3, 0], 0]]);
    const line = (x: number, y: number, c: number) => ' ' + String(x).padStart(8) + ' ' + String(y).padStart(8) + v16(c) + '\n';
    expect(formatAggregation(a)).toBe(line(2, 1, 1) + line(3, 0, 1) + line(1, 2, 2));
    expect(formatAggregation(a, { sortKey: true, sortRev: false, sortKeyPos: 0 })).toBe(line(1, 2, 2) + line(2, 1, 1) + line(3, 0, 1));
    expect(formatAggregation(a, { sortKey: true, sortRev: false, sortKeyPos: 1 })).toBe(line(3, 0, 1) + line(2, 1, 1) + line(1, 2, 2));
    expect(formatAggregation(a, { sortKey: false, sortRev: true, sortKeyPos: 0 })).toBe(line(1, 2, 2) + line(3, 0, 1) + line(2, 1, 1));
  });
});

describe('normalize, trunc, clear', () => {
  const v16 = (n: number | string) => ' ' + String(n).padStart(16);
  function counts(): Aggregation {
    const a = new Aggregation('x', 1, AggFn.SUM, ['i32']);
    for (const [k, v] of [[1, 100], [2, 250], [3, 7], [4, 40]]) a.update(a.entry(k, [k!]), v!, 1);
    return a;
  }
  const line = (k: number, v: number | string) => ' ' + String(k).padStart(8) + v16(v) + '\n';
  it('normalize divides printed values (integer division), denormalize restores', () => {
    const a = counts();
    a.normalize(10);
    expect(formatAggregation(a)).toBe(line(3, 0) + line(4, 4) + line(1, 10) + line(2, 25));
    a.denormalize();
    expect(formatAggregation(a)).toBe(line(3, 7) + line(4, 40) + line(1, 100) + line(2, 250));
  });
  it('normalize of a negative sum is an unsigned division, as in dt_print_datum', () => {
    const a = new Aggregation('x', 1, AggFn.SUM, []);
    a.update(a.entry('', []), -10, 1);
    a.normalize(2);
    expect(formatAggregation(a)).toBe(v16('9223372036854775803') + '\n');
  });
  it('normalize divides histogram counts but not the bars', () => {
    const a = new Aggregation('x', 1, AggFn.QUANTIZE, []);
    const e = a.entry('', []);
    a.update(e, 1, 30);
    a.update(e, 2, 10);
    a.normalize(10);
    expect(formatAggregation(a)).toBe(HEADER + row(0, 0, 0) + row(1, 3, 30) + row(2, 1, 10) + row(4, 0, 0) + '\n');
  });
  it('trunc(n) keeps the n largest, trunc(-n) the n smallest, trunc() removes all', () => {
    let a = counts();
    a.trunc(2);
    expect(formatAggregation(a)).toBe(line(1, 100) + line(2, 250));
    a = counts();
    a.trunc(-1);
    expect(formatAggregation(a)).toBe(line(3, 7));
    a.trunc(0);
    expect(formatAggregation(a)).toBe('');
  });
  it('clear zeroes values but keeps keys; an empty quantize prints -1..1', () => {
    const a = counts();
    a.clear();
    expect(formatAggregation(a)).toBe(line(1, 0) + line(2, 0) + line(3, 0) + line(4, 0));
    const q = hist(AggFn.QUANTIZE, [5, 9]);
    q.clear();
    expect(formatAggregation(q)).toBe(HEADER + row(-1, 0, 0) + row(0, 0, 0) + row(1, 0, 0) + '\n');
    const l = hist(AggFn.LQUANTIZE, [5], makeLQuantParams(0, 10, 1));
    l.clear();
    expect(formatAggregation(l)).toBe(HEADER + row('< 0', 0, 0) + row(0, 0, 0) + row(1, 0, 0) + '\n');
    const ll = hist(AggFn.LLQUANTIZE, [5], null, makeLLQuantParams(10, 0, 2, 10));
    ll.clear();
    expect(formatAggregation(ll)).toBe(HEADER + row('< 1', 0, 0) + row(1, 0, 0) + '\n');
  });
  it('mixed-sign histograms use two half bars around a centre line', () => {
    const a = new Aggregation('x', 1, AggFn.QUANTIZE, []);
    const e = a.entry('', []);
    a.update(e, 1, 3);
    a.update(e, 4, -1);
    // total |3| + |-1| = 4; depth = round(|c| * 20 / 4)
    const pos = (label: number, c: number, d: number) => String(label).padStart(16) + ' ' + ' '.repeat(20) + '|' + '@'.repeat(d) + ' '.repeat(20 - d) + ' ' + String(c).padEnd(9) + '\n';
    const neg = (label: number, c: number, d: number) => String(label).padStart(16) + ' ' + ' '.repeat(20 - d) + '@'.repeat(d) + '|' + ' '.repeat(20) + ' ' + String(c).padEnd(9) + '\n';
    expect(formatAggregation(a)).toBe(HEADER + neg(0, 0, 0) + pos(1, 3, 15) + neg(2, 0, 0) + neg(4, -1, 5) + neg(8, 0, 0) + '\n');
  });
});
