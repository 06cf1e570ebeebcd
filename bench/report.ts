/**
 * The bench report: the JSON document `npm run bench` writes (bench/results/latest.json and a
 * dated copy; bench/baseline.json is one of these) and the one table it prints.
 *
 * Pure functions of the document: no timing, no I/O — tested in test/bench/report.test.ts.
 */

export const REPORT_SCHEMA = 'vtx-bench/1';

/** Which direction is better for a result's value. */
export type Better = 'lower' | 'higher';

/** A peer's figure for the same benchmark. */
export interface PeerFigure {
  /** The peer's value in the result's unit, or null when it has none. */
  value: number | null;
  rme?: number;
  /** vtx value / peer value (for 'lower' units: how many times slower vtx is). */
  ratio?: number;
  /** Why there is no value, or how it was measured. */
  note?: string;
}

export interface BenchResult {
  /** Stable identifier used by bench-compare (e.g. "exit.cpuid"). */
  id: string;
  section: string;
  name: string;
  /** null: not measured (see note), e.g. "n/a (SeaBIOS is not installed)". */
  value: number | null;
  unit: string;
  better: Better;
  /** benchmark.js relative margin of error, percent. */
  rme: number | null;
  /** Secondary figures shown in the note column (e.g. exits/s). */
  extra?: Record<string, number>;
  peers?: Record<string, PeerFigure>;
  note?: string;
  /**
   * false: the value does not scale with host speed (a ratio, virtual TSC cycles, memory), so
   * bench-compare compares it as is instead of normalising it by the calibration benchmark.
   */
  normalise?: boolean;
}

export interface MachineInfo {
  nproc: number;
  cpu: string;
  node: string;
  platform: string;
  peers: Record<string, string>;
}

export interface BenchReport {
  schema: typeof REPORT_SCHEMA;
  /** ISO 8601 date of the run. */
  date: string;
  machine: MachineInfo;
  /** A pure-JavaScript loop timed in the same run: bench-compare divides by it. */
  calibration: { hz: number; rme: number };
  results: BenchResult[];
  /** Lines printed by guests/vmexit under vtx (virtual TSC cycles per exit). */
  vmexitGuest?: { lines: string[]; reference: string };
  durationSec: number;
}

/** Numbers as the table shows them: 3 significant digits, thousands separated. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a === 0) return '0';
  return v.toPrecision(3);
}

function peerCell(r: BenchResult, peer: string): [string, string] {
  const p = r.peers?.[peer];
  if (!p) return ['', ''];
  if (p.value === null) return [p.note ?? 'n/a', ''];
  const v = `${formatNumber(p.value)}${p.rme !== undefined ? ` ±${p.rme.toFixed(1)}%` : ''}`;
  return [v, p.ratio !== undefined ? `${formatNumber(p.ratio)}×` : ''];
}

/** The peers that appear in any result, in first-seen order. */
export function peerNames(report: BenchReport): string[] {
  const names: string[] = [];
  for (const r of report.results) for (const p of Object.keys(r.peers ?? {})) if (!names.includes(p)) names.push(p);
  return names;
}

/** The one table: a Markdown pipe table (readable in a terminal and pasteable into README.md). */
export function formatTable(report: BenchReport): string {
  const peers = peerNames(report);
  const header = ['section', 'benchmark', 'vtx', '±', 'unit', ...peers.flatMap((p) => [p, `vtx/${p}`]), 'notes'];
  const rows: string[][] = [];
  for (const r of report.results) {
    const vtx = r.value === null ? (r.note ?? 'n/a') : formatNumber(r.value);
    const rme = r.value === null || r.rme === null ? '' : `${r.rme.toFixed(1)}%`;
    const notes: string[] = [];
    for (const [k, v] of Object.entries(r.extra ?? {})) notes.push(`${k} ${formatNumber(v)}`);
    if (r.value !== null && r.note) notes.push(r.note);
    rows.push([r.section, r.name, vtx, rme, r.unit, ...peers.flatMap((p) => peerCell(r, p)), notes.join('; ')]);
  }
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => esc(row[i]!).length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => esc(c).padEnd(widths[i]!)).join(' | ')} |`;
  const out = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
  return out.join('\n');
}

/** Check the shape of a parsed JSON document; throws a TypeError naming the first bad field. */
export function validateReport(doc: unknown, file: string): BenchReport {
  const fail = (what: string): never => {
    throw new TypeError(`${file}: not a vtx bench report: ${what}`);
  };
  if (typeof doc !== 'object' || doc === null) fail('not a JSON object');
  const d = doc as Record<string, unknown>;
  if (d.schema !== REPORT_SCHEMA) fail(`schema is ${JSON.stringify(d.schema)}, expected "${REPORT_SCHEMA}"`);
  const cal = d.calibration as Record<string, unknown> | undefined;
  if (!cal || typeof cal.hz !== 'number' || !(cal.hz > 0)) fail('calibration.hz missing or not positive');
  if (!Array.isArray(d.results)) fail('results is not an array');
  (d.results as unknown[]).forEach((r, i) => {
    const x = r as Record<string, unknown>;
    if (typeof x.id !== 'string') fail(`results[${i}].id is not a string`);
    if (x.value !== null && typeof x.value !== 'number') fail(`results[${i}] (${String(x.id)}).value is not a number or null`);
    if (x.better !== 'lower' && x.better !== 'higher') fail(`results[${i}] (${String(x.id)}).better must be "lower" or "higher"`);
    if (typeof x.unit !== 'string') fail(`results[${i}] (${String(x.id)}).unit is not a string`);
  });
  return doc as BenchReport;
}
