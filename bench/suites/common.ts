/** Small helpers shared by the suites. */
import type { PeerValue } from '../peers/peer.js';
import type { BenchResult, PeerFigure } from '../report.js';

export type Log = (msg: string) => void;

/**
 * A peer figure in the result's unit: `convert` maps the peer's raw value (ns per iteration, ms)
 * into the unit; the ratio is vtx / peer.
 */
export function peerFigure(v: PeerValue, vtxValue: number | null, convert: (raw: number) => number): PeerFigure {
  if (v.value === null) return { value: null, note: v.note };
  const value = convert(v.value);
  const f: PeerFigure = { value, rme: v.rme };
  if (vtxValue !== null && value > 0) f.ratio = vtxValue / value;
  if (v.note) f.note = v.note;
  return f;
}

/** A result standing for a measurement that failed: the run goes on, and ends with status 1. */
export function failedResult(id: string, section: string, name: string, unit: string, better: 'lower' | 'higher', e: unknown): BenchResult {
  const msg = (e as Error).message ?? String(e);
  const first = msg.split('\n').find((l) => /error|fail|expected|ended/i.test(l)) ?? msg.split('\n')[0] ?? '';
  return { id, section, name, value: null, unit, better, rme: null, failed: first.trim().slice(0, 200), note: msg.slice(0, 2000) };
}
