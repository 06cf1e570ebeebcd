/**
 * The bench regression guard (not a timed test): compare a bench report with the committed
 * baseline as calibration-normalised ratios and flag slowdowns above a threshold.
 *
 *   node --import tsx scripts/bench-compare.ts NEW.json [BASELINE.json] [--threshold 0.15] [--strict]
 *
 * BASELINE defaults to bench/baseline.json. A slowdown is flagged when it exceeds the threshold and
 * the noise of the two measurements (--strict: the threshold alone); see bench/compare.ts.
 * Exit status: 0 nothing flagged, 1 flagged, 2 bad arguments or unreadable/invalid reports.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { compareReports, DEFAULT_THRESHOLD, formatComparison } from '../bench/compare.js';
import { validateReport, type BenchReport } from '../bench/report.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function load(file: string): BenchReport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON: ${(e as Error).message}`);
  }
  return validateReport(doc, file);
}

function main(argv: string[]): number {
  const files: string[] = [];
  let threshold = DEFAULT_THRESHOLD;
  let strict = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--threshold') {
      const v = Number(argv[++i]);
      if (!(v > 0 && v < 10)) throw new Error(`--threshold ${argv[i]}: expected a fraction such as 0.15`);
      threshold = v;
    } else if (a === '--strict') {
      strict = true;
    } else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node --import tsx scripts/bench-compare.ts NEW.json [BASELINE.json] [--threshold 0.15] [--strict]\n');
      return 0;
    } else files.push(a);
  }
  if (files.length < 1 || files.length > 2) throw new Error('usage: bench-compare NEW.json [BASELINE.json] [--threshold 0.15] [--strict]');
  const current = load(files[0]!);
  const baseline = load(files[1] ?? join(ROOT, 'bench', 'baseline.json'));
  const c = compareReports(current, baseline, { threshold, strict });
  process.stdout.write(formatComparison(c) + '\n');
  return c.flagged.length > 0 ? 1 : 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`bench-compare: ${(e as Error).message}\n`);
  process.exitCode = 2;
}
