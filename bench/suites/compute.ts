/**
 * Guest MIPS on compute-bound guests (bench/guests.ts): instructions retired per batch (vtx counts
 * them; REP MOVSD counts as one instruction, so the copies also report MB/s) over benchmark.js's
 * mean batch time. Peers run the same bytes; their MIPS uses vtx's instruction count per
 * iteration (the same code retires the same instructions).
 */
import { COMPUTE_GUESTS, buildGuest } from '../guests.js';
import type { Peer } from '../peers/peer.js';
import type { BenchResult } from '../report.js';
import { LoopMachine, timeIt, type BenchBudget } from '../vtx.js';
import { failedResult, peerFigure, type Log } from './common.js';
import { runIsolated } from '../isolate.js';

/** Iterations per batch, sized for ~10-40 ms per batch. */
const K: Record<string, number> = { 'int-loop': 20, 'rep-movsd': 20, 'byte-copy': 1, paging: 4 };

/** vtx only: one compute guest, timed (runs in a worker process; see isolate.ts). */
export function measureCompute(id: string, budget: BenchBudget): { result: BenchResult; instructionsPerIteration: number } {
  const g = COMPUTE_GUESTS.find((x) => x.id === id);
  if (!g) throw new Error(`no compute guest ${id}`);
  const k = K[g.id] ?? 1;
  const lm = new LoopMachine(g.id, k, g.setup, g.body, g.pre ? { pre: g.pre } : {});
  lm.batch();
  const { instructions, exits } = lm.measuredBatch();
  const perIter = instructions / k;
  const t = timeIt(`mips ${g.id}`, () => lm.batch(), budget);
  const mips = instructions / t.mean / 1e6;
  const extra: Record<string, number> = {};
  if (g.bytesPerIteration) extra['MB/s'] = (g.bytesPerIteration * k) / t.mean / 1e6;
  if (g.pagesPerIteration) extra['ns/page'] = (t.mean / (g.pagesPerIteration * k)) * 1e9;
  const exitCount = [...exits.values()].reduce((s, n) => s + n, 0);
  return {
    result: {
      id: `mips.${g.id}`,
      section: 'guest MIPS',
      name: g.title,
      value: mips,
      unit: 'MIPS',
      better: 'higher',
      rme: t.rme,
      extra,
      note: `${Math.round(perIter).toLocaleString('en-US')} instructions/iteration, ${exitCount} exit(s)/batch`,
    },
    instructionsPerIteration: perIter,
  };
}

export async function computeSuite(budget: BenchBudget, peers: Peer[], log: Log, isolate: boolean): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const g of COMPUTE_GUESTS) {
    log(`mips: ${g.id}`);
    let r: BenchResult;
    let perIter: number;
    try {
      if (isolate) {
        const w = runIsolated('mips', g.id, budget);
        r = w.results[0]!;
        perIter = w.aux!.instructionsPerIteration!;
      } else {
        const m = measureCompute(g.id, budget);
        r = m.result;
        perIter = m.instructionsPerIteration;
      }
    } catch (e) {
      out.push(failedResult(`mips.${g.id}`, 'guest MIPS', g.title, 'MIPS', 'higher', e));
      log(`mips: ${g.id} FAILED`);
      continue;
    }
    r.peers = {};
    for (const p of peers) {
      log(`mips: ${g.id} on ${p.name}`);
      const v = await p.loopCost({ id: g.id, build: (kk) => buildGuest(kk, g.setup, g.body, g.pre).image, qemuArgs: [] });
      // ns per iteration -> MIPS with vtx's instruction count per iteration.
      r.peers[p.name] = peerFigure(v, r.value, (ns) => (perIter / ns) * 1e3);
    }
    out.push(r);
  }
  return out;
}
