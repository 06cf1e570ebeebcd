/** Small helpers shared by the suites. */
import type { PeerValue } from '../peers/peer.js';
import type { PeerFigure } from '../report.js';

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
