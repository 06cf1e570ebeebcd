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
  /**
   * The calibration benchmark timed right before and after this measurement (in its worker
   * process); bench-compare prefers it to the run-wide `calibration`.
   */
  calibration?: { hz: number; rme: number };
  /** Set when the measurement failed (wrong exit count, guest failure, crash): the reason. */
  failed?: string;
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

/** True when the peer produced at least one number (else it gets one column, for its reason). */
function peerHasValues(report: BenchReport, peer: string): boolean {
  return report.results.some((r) => typeof r.peers?.[peer]?.value === 'number');
}

/**
 * The one table: a Markdown pipe table (readable in a terminal and pasteable into README.md).
 * A peer gets a value column and a vtx/peer ratio column; a peer without any number (not
 * installed) gets only the column saying why.
 */
export function formatTable(report: BenchReport): string {
  const peers = peerNames(report);
  const withRatio = new Map(peers.map((p) => [p, peerHasValues(report, p)]));
  const header = ['section', 'benchmark', 'vtx', '±', 'unit', ...peers.flatMap((p) => (withRatio.get(p) ? [p, `vtx/${p}`] : [p])), 'notes'];
  const rows: string[][] = [];
  for (const r of report.results) {
    const vtx = r.failed !== undefined ? `FAILED: ${r.failed}` : r.value === null ? (r.note ?? 'n/a') : formatNumber(r.value);
    const rme = r.value === null || r.rme === null ? '' : `${r.rme.toFixed(1)}%`;
    const notes: string[] = [];
    for (const [k, v] of Object.entries(r.extra ?? {})) notes.push(`${k} ${formatNumber(v)}`);
    if (r.value !== null && r.note) notes.push(r.note);
    rows.push([r.section, r.name, vtx, rme, r.unit, ...peers.flatMap((p) => (withRatio.get(p) ? peerCell(r, p) : [peerCell(r, p)[0]])), notes.join('; ')]);
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

/** The "Benchmarks" section for README.md, generated from one report. */
export function formatReadmeSection(report: BenchReport, tableText: string): string {
  const m = report.machine;
  const peers = Object.entries(m.peers).map(([k, v]) => `${k}: ${v}`).join('; ');
  const vm = report.vmexitGuest;
  return [
    '## Benchmarks',
    '',
    `Measured by \`npm run bench\` on ${report.date.slice(0, 10)} (${report.date}), in ${report.durationSec.toFixed(0)} s, on ${m.nproc} × ${m.cpu}, Node.js ${m.node} (${m.platform}). Peers: ${peers}.`,
    'Every vtx figure is a benchmark.js mean with its relative margin of error (95 %), except: the probe rows (median of 7 interleaved rounds, each a benchmark.js mean; ± from the spread of the rounds), the vmexit guest (virtual TSC cycles: deterministic), memory (one measurement). QEMU: minimum over 3 process pairs of K and 2K iterations (± from the spread of the pairs); boots: mean of 3 processes.',
    'vtx runs from the tsc build in dist/ (`npm run bench` builds it first), as `npx vtx` does. On a shared machine figures move between runs by more than their ± (which only covers noise within one run): compare runs with scripts/bench-compare.ts, not by eye.',
    '',
    tableText,
    '',
    'How to read it:',
    '- **VM exits**: one guest per exit kind runs K = 1,000 exiting instructions per `Machine.run()` (bench/guests.ts); ns per round trip = run time / K, exit reason and count checked through `machine.exitStats`. QEMU runs the same bytes as a Multiboot kernel under TCG, where these instructions do not exit at all: the ratio compares the cost of the same guest loop (QEMU: wall time of K and 2K iterations, start-up cancelled). VMCALL raises #UD under TCG (no VMX).',
    '- **guest MIPS**: instructions retired (`machine.instructions`) per second; REP MOVSD counts as one instruction, hence MB/s.',
    '- **boot**: wall time from `new Machine()` to the first COM1 byte and to the guest\'s isa-debug-exit or final halt. The machine delivers `serial` events when `run()` returns, so the boot runs in `run()` slices of 20,000 instructions and the first byte is timed to the end of its slice. QEMU: from spawning the process (SeaBIOS, option ROMs included) to the first byte on `-serial stdio` and to process exit (or to the last line, for guests that halt for good). demo\'s and exitstorm\'s timer waits are virtual time in vtx but real time in QEMU.',
    '- **probes**: the CPUID exit path with probes off; with `vmx:::exit { @[args[0]] = count(); }`; with `vmx:::exit { self->t = timestamp; } vmx:::entry /self->t/ { @ = llquantize(timestamp - self->t, 10, 0, 6, 20); self->t = 0; }`; after both were enabled and ended; and with the probe sites compiled out — a copy of src/ with every `if (site.enabled) site.fire(...)` statement deleted, compared with an unmodified copy loaded the same way (both fresh module graphs). The ratios are taken within each of 7 rounds that time every variant back to back in rotating order, so a change of host load cannot read as a probe cost; at this noise level a 2 % difference is below what one run can resolve (see the ±).',
    '- **QEMU timer loops** (HLT, injected interrupt) run with `-icount shift=N,sleep=off` so QEMU\'s clock, like vtx\'s, is driven by instructions and skips idle time; the HLT figure is dominated by QEMU\'s idle-time warp.',
    ...(vm ? [`- **vmexit guest**: guests/vmexit measures cycles per exit with RDTSC inside the guest — vtx's virtual TSC, where a VM-exit round trip costs \`vmexitCostNs\` (1,000 ns = 1,000 cycles by default). ${vm.reference}.`] : []),
    '',
    'Each vtx measurement runs in a fresh Node process (bench/worker.ts): V8 type feedback left by other benchmarks otherwise changes the exit path\'s speed, so each figure is independent of the order the benchmarks ran in.',
    '',
    'Reproduce: `npm ci && npm run bench` (about 3-4 minutes; writes the table to stdout, bench/results/latest.json, a dated copy, and this section to bench/README-section.md). Regression guard: `node --import tsx scripts/bench-compare.ts bench/results/latest.json` compares with the committed bench/baseline.json, normalising every figure by a pure-JS calibration loop timed in the same worker process right before and after it, so the speed of the machine and its load at that moment cancel out; it exits with status 1 when a figure is more than 15 % slower and the slowdown exceeds the two runs\' combined margin of error (`--strict`: the threshold alone; `--threshold 0.1` to change it), or when a measurement failed.',
    '',
  ].join('\n');
}
