/**
 * DTrace aggregations: the per-key data of count/sum/avg/min/max/stddev/quantize/lquantize/
 * llquantize, their bucket arithmetic (illumos `dtrace.c`), their sort order (`dt_aggregate.c`)
 * and their text output (`dt_consume.c`), reproduced byte for byte.
 *
 * Models: the kernel bucket functions (quantize's 127 power-of-two buckets, lquantize's int32
 * truncation and `base + levels*step` overflow boundary, llquantize's log/linear buckets), the
 * consumer's printers (one padding row each side, the 40-column bar, half bars for mixed signs,
 * `normalize` dividing printed data with DTrace's unsigned division, stddev with 128-bit
 * integer steps), key printing by width (`" %8d"`, `" %16lld"`, `"  %-50s"`, hex dump for
 * non-printable strings), the default value/key sort and the `aggsortkey`, `aggsortrev`,
 * `aggsortkeypos` options, `clear`, `trunc(n)`, `normalize`, `denormalize`.
 * Does not model: per-CPU buffers (one merged set of data per aggregation), `aggpack`, `agghist`,
 * `aggzoom`, UTF-8 bars, stack/symbol keys.
 */
import type { DType } from './dtypes.js';
import { divNormal, pad, sdec, u64 } from './format.js';

export const enum AggFn { COUNT = 0, SUM, AVG, MIN, MAX, STDDEV, QUANTIZE, LQUANTIZE, LLQUANTIZE }
export const AGG_FN_NAMES = ['count', 'sum', 'avg', 'min', 'max', 'stddev', 'quantize', 'lquantize', 'llquantize'] as const;
export type AggFnName = (typeof AGG_FN_NAMES)[number];

export const QUANTIZE_NBUCKETS = 127;
export const QUANTIZE_ZEROBUCKET = 63;

/** Bucket value (label) of quantize() bucket `b` (DTRACE_QUANTIZE_BUCKETVAL). */
export function quantizeBucketVal(b: number): number {
  if (b < QUANTIZE_ZEROBUCKET) return -(2 ** (QUANTIZE_ZEROBUCKET - 1 - b));
  if (b === QUANTIZE_ZEROBUCKET) return 0;
  return 2 ** (b - QUANTIZE_ZEROBUCKET - 1);
}

function log2floor(m: number): number {
  if (m < 4294967296) return 31 - Math.clz32(m);
  let e = 32;
  while (2 ** (e + 1) <= m) e++;
  return e;
}

/** quantize() bucket of signed value `v` (dtrace_aggregate_quantize). */
export function quantizeBucket(v: number): number {
  if (v === 0) return QUANTIZE_ZEROBUCKET;
  if (v > 0) return Math.min(QUANTIZE_ZEROBUCKET + 1 + log2floor(v), QUANTIZE_NBUCKETS - 1);
  return Math.max(QUANTIZE_ZEROBUCKET - 1 - log2floor(-v), 0);
}

export interface LQuantParams {
  base: number;
  step: number;
  levels: number;
}

/** lquantize() bucket of `v`: the value is truncated to int32 first, as the kernel does. */
export function lquantizeBucket(p: LQuantParams, v: number): number {
  const val = v | 0;
  if (val < p.base) return 0;
  const level = Math.floor((val - p.base) / p.step);
  return level < p.levels ? level + 1 : p.levels + 1;
}

export interface LLQuantParams {
  factor: number;
  low: number;
  high: number;
  nsteps: number;
  /** Number of buckets (underflow + every magnitude's buckets + overflow). */
  nbuckets: number;
}

const INT64_MAX_APPROX = 2 ** 63;

/** llquantize() bucket of `v` (dtrace_aggregate_llquantize_bucket, exact). */
export function llquantizeBucket(p: LLQuantParams, v: number): number {
  const { factor, low, high, nsteps } = p;
  let thisv = factor ** low;
  if (v < thisv) return 0;
  let last = thisv;
  thisv *= factor;
  let base = 1;
  for (let order = low; order <= high; order++) {
    const nbuckets = thisv > nsteps ? nsteps : thisv;
    if (factor * thisv >= INT64_MAX_APPROX) v = thisv - 1; // the kernel's overflow clamp
    if (v < thisv) return base + Math.floor((v - last) / Math.floor(thisv / nbuckets));
    base += nbuckets - Math.floor(nbuckets / factor);
    last = thisv;
    thisv *= factor;
  }
  return base;
}

/** A host error in aggregation parameters (reported by the compiler with the source position). */
export class AggParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AggParamError';
  }
}

/**
 * Validate lquantize(x, base, limit, step) constants (dt_cc.c rules). Messages number the
 * parameters after the value expression from #1, as dt_cc.c does.
 */
export function makeLQuantParams(base: number, limit: number, step: number): LQuantParams {
  if ((base | 0) !== base) throw new AggParamError('lquantize( ) base (argument #1) must be a 32-bit quantity');
  if ((limit | 0) !== limit) throw new AggParamError('lquantize( ) limit (argument #2) must be a 32-bit quantity');
  if (limit < base) throw new AggParamError('lquantize( ) base (argument #1) must be less than limit (argument #2)');
  if (step <= 0 || step > 65535 || !Number.isInteger(step)) {
    throw new AggParamError('lquantize( ) step (argument #3) must be a non-zero positive 16-bit integer constant');
  }
  const levels = Math.floor((limit - base) / step);
  if (levels === 0) throw new AggParamError('lquantize( ) step (argument #3) too large: must have at least one quantization level');
  if (levels > 65535) throw new AggParamError('lquantize( ) step (argument #3) too small: number of quantization levels must be a 16-bit quantity');
  return { base, step, levels };
}

/** Validate llquantize(x, factor, low, high, nsteps) constants (dt_cc.c / dtrace.c rules). */
export function makeLLQuantParams(factor: number, low: number, high: number, nsteps: number): LLQuantParams {
  const names = ['factor', 'low magnitude', 'high magnitude', 'linear steps per magnitude'];
  [factor, low, high, nsteps].forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v > 65535) {
      throw new AggParamError(`llquantize( ) ${names[i]} (argument #${i + 1}) must be an unsigned 16-bit quantity`);
    }
  });
  if (factor < 2) throw new AggParamError('llquantize( ) factor (argument #1) must be two or more');
  if (low >= high) throw new AggParamError('llquantize( ) high magnitude (argument #3) must be greater than low magnitude (argument #2)');
  if (nsteps < factor) {
    throw new AggParamError('llquantize( ) factor (argument #1) must be less than or equal to the number of linear steps per magnitude (argument #4)');
  }
  let v = factor;
  while (v < nsteps) v *= factor;
  if (nsteps % factor !== 0 || v % nsteps !== 0) {
    throw new AggParamError('llquantize( ) factor (argument #1) must evenly divide the number of steps per magnitude (argument #4), and the number of steps per magnitude must evenly divide a power of the factor');
  }
  if (factor ** (high + 1) >= INT64_MAX_APPROX) {
    throw new AggParamError('llquantize( ) factor (argument #1) raised to power of high magnitude (argument #3) plus 1 overflows 64-bits');
  }
  const p: LLQuantParams = { factor, low, high, nsteps, nbuckets: 0 };
  p.nbuckets = llquantizeBucket(p, INT64_MAX_APPROX) + 1;
  return p;
}

export type KeyValue = number | string;

/** One key's data. Field use by function: see `Aggregation.update`. */
export class AggEntry {
  /** normalize() divisor applied when printing. */
  normal = 1;
  /** count/sum/min/max: the value; avg/stddev: n. */
  a = 0;
  /** avg/stddev: Σx. */
  b = 0;
  /** stddev: Σx² while it is exact in a double; then `sqBig`. */
  sq = 0;
  sqBig: bigint | null = null;

  constructor(readonly keys: readonly KeyValue[], readonly buckets: Float64Array | null) {}
}

export interface SortOptions {
  /** aggsortkey: sort by key, then value. */
  sortKey: boolean;
  /** aggsortrev: reverse every comparison. */
  sortRev: boolean;
  /** aggsortkeypos: which key is compared first. */
  sortKeyPos: number;
}

export const DEFAULT_SORT: SortOptions = { sortKey: false, sortRev: false, sortKeyPos: 0 };

const TWO53 = 2 ** 53;

/** One aggregation variable (`@name`). */
export class Aggregation {
  readonly entries = new Map<unknown, AggEntry>();
  /** Set when printa() printed it; END then skips it (DTRACE_AGD_PRINTED). */
  printed = false;

  constructor(
    readonly name: string,
    /** Aggregation variable id: order of first appearance in the program (sort key). */
    readonly varId: number,
    readonly fn: AggFn,
    readonly keyTypes: readonly DType[],
    readonly lq: LQuantParams | null = null,
    readonly llq: LLQuantParams | null = null,
  ) {}

  get nbuckets(): number {
    switch (this.fn) {
      case AggFn.QUANTIZE: return QUANTIZE_NBUCKETS;
      case AggFn.LQUANTIZE: return this.lq!.levels + 2;
      case AggFn.LLQUANTIZE: return this.llq!.nbuckets;
      default: return 0;
    }
  }

  /**
   * The entry for `mapKey` (the key itself for one key, a joined string for several); `keys` is
   * copied only when the entry is created, so callers may pass a scratch array.
   */
  entry(mapKey: unknown, keys: readonly KeyValue[]): AggEntry {
    let e = this.entries.get(mapKey);
    if (e === undefined) {
      const nb = this.nbuckets;
      e = new AggEntry(keys.slice(), nb > 0 ? new Float64Array(nb) : null);
      if (this.fn === AggFn.MIN) e.a = Infinity;
      else if (this.fn === AggFn.MAX) e.a = -Infinity;
      this.entries.set(mapKey, e);
    }
    return e;
  }

  /** Apply one datum `v` (with increment `incr` for the quantizations). */
  update(e: AggEntry, v: number, incr: number): void {
    switch (this.fn) {
      case AggFn.COUNT: e.a += 1; break;
      case AggFn.SUM: e.a += v; break;
      case AggFn.AVG: e.a += 1; e.b += v; break;
      case AggFn.MIN: if (v < e.a) e.a = v; break;
      case AggFn.MAX: if (v > e.a) e.a = v; break;
      case AggFn.STDDEV: {
        e.a += 1;
        e.b += v;
        const m = Math.abs(v);
        const s = m * m;
        if (e.sqBig === null && s < TWO53 && e.sq + s < TWO53) e.sq += s;
        else {
          const bm = BigInt(m);
          e.sqBig = (e.sqBig ?? BigInt(e.sq)) + bm * bm;
        }
        break;
      }
      case AggFn.QUANTIZE: e.buckets![quantizeBucket(v)] += incr; break;
      case AggFn.LQUANTIZE: e.buckets![lquantizeBucket(this.lq!, v)] += incr; break;
      case AggFn.LLQUANTIZE: e.buckets![llquantizeBucket(this.llq!, v)] += incr; break;
    }
  }

  /** clear(): zero every value, keep the keys (and quantization parameters). */
  clear(): void {
    for (const e of this.entries.values()) {
      e.a = 0;
      e.b = 0;
      e.sq = 0;
      e.sqBig = null;
      e.buckets?.fill(0);
    }
  }

  /** trunc(n): keep the n largest (n > 0) or |n| smallest (n < 0) entries; trunc() removes all. */
  trunc(n: number, opts: SortOptions = DEFAULT_SORT): void {
    if (n === 0) {
      this.entries.clear();
      return;
    }
    // dt_trunc walks value-reverse-sorted (n > 0) or value-sorted (n < 0), both subject to aggsortrev.
    const sorted = this.sortedEntries({ sortKey: false, sortRev: opts.sortRev, sortKeyPos: opts.sortKeyPos });
    if (n > 0) sorted.reverse();
    const keep = new Set(sorted.slice(0, Math.abs(n)));
    for (const [k, e] of this.entries) if (!keep.has(e)) this.entries.delete(k);
  }

  normalize(n: number): void {
    for (const e of this.entries.values()) e.normal = n;
  }

  denormalize(): void {
    for (const e of this.entries.values()) e.normal = 1;
  }

  /** Entries in print order (dtrace_aggregate_walk_sorted). */
  sortedEntries(opts: SortOptions = DEFAULT_SORT): AggEntry[] {
    const list = [...this.entries.values()];
    const r = opts.sortRev ? -1 : 1;
    const kc = (x: AggEntry, y: AggEntry): number => compareKeys(this.keyTypes, x.keys, y.keys, opts.sortKeyPos);
    if (opts.sortKey) list.sort((x, y) => r * kc(x, y));
    else list.sort((x, y) => r * (compareValues(this, x, y) || kc(x, y)));
    return list;
  }

  /** The printed value text of entry `e` (dt_print_datum for the aggregation record). */
  formatValue(e: AggEntry): string {
    return formatAggValue(this, e);
  }
}

// ---------------------------------------------------------------------------------------------
// Sorting (dt_aggregate.c)

function sign(x: number): number {
  return x < 0 ? -1 : x > 0 ? 1 : 0;
}

/** Unsigned comparison of integer keys of their width; byte-wise for strings. */
export function compareKeys(types: readonly DType[], a: readonly KeyValue[], b: readonly KeyValue[], keyPos: number): number {
  const n = types.length;
  const pos = keyPos + 1 >= n + 1 ? 0 : keyPos;
  for (let i = 0; i < n; i++) {
    const ndx = (i + pos) % n;
    const t = types[ndx]!;
    const x = a[ndx]!;
    const y = b[ndx]!;
    let c: number;
    if (t === 'string') c = compareStringBytes(x as string, y as string);
    else if (t === 'i32' || t === 'u32') c = sign(((x as number) >>> 0) - ((y as number) >>> 0));
    else {
      const ux = u64(x as number);
      const uy = u64(y as number);
      c = ux < uy ? -1 : ux > uy ? 1 : 0;
    }
    if (c !== 0) return c;
  }
  return 0;
}

function compareStringBytes(a: string, b: string): number {
  const ea = utf8(a);
  const eb = utf8(b);
  const n = Math.min(ea.length, eb.length);
  for (let i = 0; i < n; i++) if (ea[i] !== eb[i]) return ea[i]! < eb[i]! ? -1 : 1;
  return sign(ea.length - eb.length);
}

const encoder = new TextEncoder();
function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

function avgOf(e: AggEntry): number {
  return e.a !== 0 ? Math.trunc(e.b / e.a) : 0;
}

/** The quantity the default sort compares (dt_aggregate_valcmp), with its tie-breaker. */
function sortValue(agg: Aggregation, e: AggEntry): [number, number] {
  switch (agg.fn) {
    case AggFn.COUNT: case AggFn.SUM: case AggFn.MIN: case AggFn.MAX: return [e.a, 0];
    case AggFn.AVG: return [avgOf(e), 0];
    case AggFn.STDDEV: return [Number(stddev(e, 1)), 0];
    case AggFn.QUANTIZE: {
      let t = 0;
      const b = e.buckets!;
      for (let i = 0; i < QUANTIZE_NBUCKETS; i++) t += quantizeBucketVal(i) * b[i]!;
      return [t, b[QUANTIZE_ZEROBUCKET]!];
    }
    case AggFn.LQUANTIZE: {
      const { base: base0, step, levels } = agg.lq!;
      const q = e.buckets!;
      let base = base0;
      let t = q[0]! * (base - 1);
      for (let i = 0; i < levels; base += step, i++) t += q[i + 1]! * base;
      t += q[levels + 1]! * (base + 1);
      // weight at zero (dt_aggregate_lquantizedzero)
      let zero = 0;
      if (base0 - 1 === 0) zero = q[0]!;
      else {
        let b = base0;
        let found = false;
        for (let i = 0; i < levels; b += step, i++) {
          if (b === 0) { zero = q[i + 1]!; found = true; break; }
        }
        if (!found && b + 1 === 0) zero = q[levels + 1]!;
      }
      return [t, zero];
    }
    case AggFn.LLQUANTIZE: {
      const { factor, low, high, nsteps } = agg.llq!;
      const q = e.buckets!;
      let bin = 0;
      let value = factor ** low;
      let t = q[bin++]! * (value - 1);
      let next = value * factor;
      let step = next > nsteps ? next / nsteps : 1;
      let order = low;
      while (order <= high) {
        t += q[bin++]! * value;
        if ((value += step) !== next) continue;
        next = value * factor;
        step = next > nsteps ? next / nsteps : 1;
        order++;
      }
      t += q[bin]! * value;
      return [t, q[0]!];
    }
  }
}

/** dt_aggregate_valcmp: compare the sort values of two entries of `agg`. */
export function compareValues(agg: Aggregation, x: AggEntry, y: AggEntry): number {
  const [vx, zx] = sortValue(agg, x);
  const [vy, zy] = sortValue(agg, y);
  return sign(vx - vy) || sign(zx - zy);
}

// ---------------------------------------------------------------------------------------------
// Arithmetic for printing

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

const TWO128 = 1n << 128n;

/** dt_stddev(): population standard deviation with DTrace's integer steps. */
export function stddev(e: AggEntry, normal: number): bigint {
  if (e.a === 0) return 0n;
  const n = BigInt(e.a);
  const nb = BigInt(normal);
  const sq = e.sqBig ?? BigInt(e.sq);
  const avgOfSquares = sq / nb / nb / n;
  let normAvg = BigInt(Math.trunc(e.b)) / nb / n;
  if (normAvg < 0n) normAvg = -normAvg;
  let diff = avgOfSquares - normAvg * normAvg;
  if (diff < 0n) diff += TWO128; // dt_subtract_128 wraps
  return BigInt.asUintN(64, isqrt(diff));
}

// ---------------------------------------------------------------------------------------------
// Printing (dt_consume.c)

const ATS = '@'.repeat(40);
const SPACES = ' '.repeat(40);

/** Header of a histogram (dt_print_quanthdr): starts with a newline. */
export const QUANT_HEADER = '\n' + pad('value', 16) + ' ' + pad('------------- Distribution -------------', 41) + ' ' + 'count'.padEnd(9) + '\n';

/** One bar and count (dt_print_quantline). */
function quantLine(val: number, normal: number, total: number, positives: boolean, negatives: boolean): string {
  const cnt = sdec(divNormal(val, normal)).padEnd(9);
  let len = 40;
  if (!negatives) {
    const depth = positives ? Math.floor((Math.abs(val) * len) / total + 0.5) : 0;
    return '|' + ATS.slice(0, depth) + SPACES.slice(depth) + ' ' + cnt + '\n';
  }
  if (!positives) {
    const depth = Math.floor((Math.abs(val) * len) / total + 0.5);
    return SPACES.slice(depth) + ATS.slice(0, depth) + '| ' + cnt + '\n';
  }
  len = 20;
  const depth = Math.floor((Math.abs(val) * len) / total + 0.5);
  if (val <= 0) return SPACES.slice(0, len - depth) + ATS.slice(0, depth) + '|' + SPACES.slice(0, len) + ' ' + cnt + '\n';
  return SPACES.slice(0, 20) + '|' + ATS.slice(0, depth) + SPACES.slice(0, len - depth) + ' ' + cnt + '\n';
}

/** first/last printed bins: one zero row of padding each side; `empty` when all zero. */
function trimRange(d: Float64Array, n: number, emptyFirst: number, emptyLast: number): [number, number] {
  let first = 0;
  while (first < n && d[first] === 0) first++;
  if (first === n) return [emptyFirst, emptyLast];
  if (first > 0) first--;
  let last = n - 1;
  while (last > 0 && d[last] === 0) last--;
  if (last < n - 1) last++;
  return [first, last];
}

function totals(d: Float64Array, first: number, last: number): [number, boolean, boolean] {
  let total = 0;
  let pos = false;
  let neg = false;
  for (let i = first; i <= last; i++) {
    const v = d[i]!;
    if (v > 0) pos = true;
    if (v < 0) neg = true;
    total += Math.abs(v);
  }
  return [total, pos, neg];
}

export function printQuantize(d: Float64Array, normal: number): string {
  // dt_print_quantize: the search stops at NBUCKETS - 1, so data only in the last bucket
  // counts as "no data" there too.
  let first = 0;
  while (first < QUANTIZE_NBUCKETS - 1 && d[first] === 0) first++;
  let last = QUANTIZE_NBUCKETS - 1;
  if (first === QUANTIZE_NBUCKETS - 1) {
    first = QUANTIZE_ZEROBUCKET - 1;
    last = QUANTIZE_ZEROBUCKET + 1;
  } else {
    if (first > 0) first--;
    while (last > 0 && d[last] === 0) last--;
    if (last < QUANTIZE_NBUCKETS - 1) last++;
  }
  const [total, pos, neg] = totals(d, first, last);
  let out = QUANT_HEADER;
  for (let i = first; i <= last; i++) {
    out += pad(sdec(quantizeBucketVal(i)), 16) + ' ' + quantLine(d[i]!, normal, total, pos, neg);
  }
  return out;
}

export function printLQuantize(p: LQuantParams, d: Float64Array, normal: number): string {
  const { base, step, levels } = p;
  const [first, last] = trimRange(d, levels + 2, 0, 2);
  const [total, pos, neg] = totals(d, first, last);
  let out = QUANT_HEADER;
  for (let i = first; i <= last; i++) {
    let label: string;
    if (i === 0) label = pad(`< ${base}`, 16);
    else if (i === levels + 1) label = pad(`>= ${(base + levels * step) | 0}`, 16);
    else label = pad(String((base + (i - 1) * step) | 0), 16);
    out += label + ' ' + quantLine(d[i]!, normal, total, pos, neg);
  }
  return out;
}

export function printLLQuantize(p: LLQuantParams, d: Float64Array, normal: number): string {
  const { factor, low, high, nsteps } = p;
  const levels = d.length;
  const [first, last] = trimRange(d, levels, 0, 1);
  const [total, pos, neg] = totals(d, first, last);
  let out = QUANT_HEADER;
  let value = 1;
  let order = 0;
  for (; order < low; order++) value *= factor;
  let next = value * factor;
  let step = next > nsteps ? Math.floor(next / nsteps) : 1;
  if (first === 0) out += pad(`< ${sdec(value)}`, 16) + ' ' + quantLine(d[0]!, normal, total, pos, neg);
  let bin = 1;
  while (order <= high) {
    if (bin >= first && bin <= last) out += pad(sdec(value), 16) + ' ' + quantLine(d[bin]!, normal, total, pos, neg);
    bin++;
    if ((value += step) !== next) continue;
    next = value * factor;
    step = next > nsteps ? Math.floor(next / nsteps) : 1;
    order++;
  }
  if (last < bin) return out;
  return out + pad(`>= ${sdec(value)}`, 16) + ' ' + quantLine(d[bin]!, normal, total, pos, neg);
}

/** The value column of an entry: `" %16lld"`-style scalars or a histogram. */
export function formatAggValue(agg: Aggregation, e: AggEntry): string {
  const normal = e.normal;
  switch (agg.fn) {
    case AggFn.COUNT: case AggFn.SUM: case AggFn.MIN: case AggFn.MAX:
      return ' ' + pad(sdec(divNormal(e.a, normal)), 16);
    case AggFn.AVG:
      return ' ' + pad(sdec(e.a !== 0 ? Math.trunc(Math.trunc(e.b / normal) / e.a) : 0), 16);
    case AggFn.STDDEV:
      return ' ' + pad(stddev(e, normal).toString(), 16);
    case AggFn.QUANTIZE: return printQuantize(e.buckets!, normal);
    case AggFn.LQUANTIZE: return printLQuantize(agg.lq!, e.buckets!, normal);
    case AggFn.LLQUANTIZE: return printLLQuantize(agg.llq!, e.buckets!, normal);
  }
}

/**
 * The scalar an aggregation value stands for in printa's `%@d` (not for histograms), as
 * dt_printf_format computes it: count/sum/min/max through pfprint_sint (signed division by the
 * normalization), avg through pfprint_average (uint64_t arithmetic: a negative mean prints as a
 * large unsigned number, as on illumos), stddev through dt_stddev.
 */
export function aggScalar(agg: Aggregation, e: AggEntry): number | bigint {
  const normal = e.normal;
  switch (agg.fn) {
    case AggFn.AVG:
      if (e.a === 0) return 0;
      if (e.b >= 0) return Math.floor(Math.floor(e.b / normal) / e.a);
      return BigInt.asIntN(64, u64(e.b) / BigInt(normal) / BigInt(e.a));
    case AggFn.STDDEV: return stddev(e, normal);
    default: return normal === 1 ? e.a : Math.trunc(e.a / normal);
  }
}

export function isHistogram(fn: AggFn): boolean {
  return fn === AggFn.QUANTIZE || fn === AggFn.LQUANTIZE || fn === AggFn.LLQUANTIZE;
}

const STRSIZE = 256;

function isPrintable(c: number): boolean {
  return (c >= 0x20 && c <= 0x7e) || (c >= 0x09 && c <= 0x0d) || c === 0x08 || c === 0x07;
}

/** dt_print_bytes() raw form: a hex dump with an offset column and an ASCII column. */
export function hexDump(bytes: Uint8Array): string {
  let out = '\n' + ' '.repeat(5) + '      ';
  for (let i = 0; i < 16; i++) out += '  ' + '0123456789abcdef'[i];
  out += '  0123456789abcdef\n';
  for (let i = 0; i < bytes.length; i += 16) {
    out += ' '.repeat(5) + pad(i.toString(16), 5) + ':';
    let j = i;
    for (; j < i + 16 && j < bytes.length; j++) out += ' ' + bytes[j]!.toString(16).padStart(2, '0');
    while (j++ % 16) out += '   ';
    out += '  ';
    for (j = i; j < i + 16 && j < bytes.length; j++) {
      const c = bytes[j]!;
      out += c < 0x20 || c > 0x7e ? '.' : String.fromCharCode(c);
    }
    out += '\n';
  }
  return out;
}

/**
 * A string record as dt_print_bytes prints it with `width` (-50 for keys, -33 for trace()):
 * printable text → `"  %-50s"`; otherwise (including the empty string, whose first byte is NUL)
 * a hex dump of the whole strsize-byte record.
 */
export function formatStringRecord(s: string, width: number, quiet = false): string {
  const enc = utf8(s);
  let printable = enc.length > 0 && enc.length < STRSIZE;
  for (let i = 0; printable && i < enc.length; i++) if (!isPrintable(enc[i]!)) printable = false;
  if (printable) {
    if (quiet) return s;
    return ' ' + (width < 0 ? ' ' : '') + pad(s, Math.abs(width), width < 0);
  }
  const rec = new Uint8Array(STRSIZE);
  rec.set(enc.subarray(0, STRSIZE));
  return hexDump(rec);
}

/** A key column (dt_print_datum with normal 1). */
export function formatKey(v: KeyValue, t: DType): string {
  if (t === 'string') return formatStringRecord(v as string, -50);
  if (t === 'i32' || t === 'u32') return ' ' + pad(String((v as number) | 0), 8);
  return ' ' + pad(sdec(v as number), 16);
}

/** One line of non-formatted printa / end-of-run output (dt_print_aggs). */
export function formatEntryLine(agg: Aggregation, e: AggEntry): string {
  let out = '';
  for (let i = 0; i < e.keys.length; i++) out += formatKey(e.keys[i]!, agg.keyTypes[i]!);
  return out + formatAggValue(agg, e) + '\n';
}

/** Zero-filled entry for joined printa() rows where an aggregation lacks the key. */
export function zeroEntry(agg: Aggregation, keys: readonly KeyValue[]): AggEntry {
  const nb = agg.nbuckets;
  return new AggEntry(keys, nb > 0 ? new Float64Array(nb) : null);
}

/** The whole of `printa(@a)` without a format, or of one aggregation at the end of a run. */
export function formatAggregation(agg: Aggregation, opts: SortOptions = DEFAULT_SORT): string {
  let out = '';
  for (const e of agg.sortedEntries(opts)) out += formatEntryLine(agg, e);
  return out;
}
