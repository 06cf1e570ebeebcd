/**
 * VM-exit round trips through the built-in hypervisor, one guest per exit kind (bench/guests.ts):
 * benchmark.js times one run() of K iterations; the exit counts of a batch, taken before and after
 * timing, must show exactly K exits of the kind's reason (the timer kinds: K HLT exits, or K
 * handled interrupts), else the bench fails.
 */
import { COUNTER_ADDR, EXIT_KINDS, buildGuest, type ExitKind } from '../guests.js';
import type { Peer } from '../peers/peer.js';
import type { BenchResult } from '../report.js';
import { LoopMachine, describeCounts, timeIt, type BenchBudget } from '../vtx.js';
import { Machine } from '../../dist/machine/machine.js';
import { failedResult, peerFigure, type Log } from './common.js';
import { runIsolated } from '../isolate.js';

const K = 1000;

function verify(kind: ExitKind, lm: LoopMachine): string {
  const before = kind.countsInterrupts ? lm.readGuest32(COUNTER_ADDR) : 0;
  const { exits } = lm.measuredBatch();
  const got = exits.get(kind.reason) ?? 0;
  if (kind.countsInterrupts) {
    const handled = lm.readGuest32(COUNTER_ADDR) - before;
    if (handled !== K) throw new Error(`bench ${kind.id}: the guest handled ${handled} timer interrupts in a batch, expected ${K}`);
    if (got < K / 2) throw new Error(`bench ${kind.id}: only ${got} ${Machine.reasonName(kind.reason)} exits for ${K} interrupts (${describeCounts(exits)})`);
  } else if (got !== K + kind.extraExits) {
    throw new Error(`bench ${kind.id}: a batch of K=${K} produced ${got} ${Machine.reasonName(kind.reason)} exits, expected ${K + kind.extraExits} (all exits: ${describeCounts(exits)})`);
  }
  return describeCounts(exits);
}

/** vtx only: one exit kind, timed (runs in a worker process; see isolate.ts). */
export function measureExitKind(id: string, budget: BenchBudget): BenchResult {
  const kind = EXIT_KINDS.find((k) => k.id === id);
  if (!kind) throw new Error(`no exit kind ${id}`);
  const lm = new LoopMachine(kind.id, K, kind.setup, kind.body, { ...(kind.vtx ?? {}) });
  lm.batch(); // set-up exits and first-run compilation stay out of the measurement
  const perBatch = verify(kind, lm); // the exits of one batch, as text
  const t = timeIt(`exit ${kind.id}`, () => lm.batch(), budget);
  verify(kind, lm);
  const ns = (t.mean / K) * 1e9;
  return {
    id: `exit.${kind.id}`,
    section: 'VM exits',
    name: kind.title,
    value: ns,
    unit: kind.countsInterrupts ? 'ns/interrupt' : 'ns/exit',
    better: 'lower',
    rme: t.rme,
    extra: { 'exits/s': 1e9 / ns },
    note: `per batch of ${K}: ${perBatch}`,
  };
}

export async function exitSuite(budget: BenchBudget, peers: Peer[], log: Log, isolate: boolean): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const kind of EXIT_KINDS) {
    log(`exits: ${kind.id}`);
    let r: BenchResult;
    try {
      r = isolate ? runIsolated('exits', kind.id, budget).results[0]! : measureExitKind(kind.id, budget);
    } catch (e) {
      out.push(failedResult(`exit.${kind.id}`, 'VM exits', kind.title, kind.countsInterrupts ? 'ns/interrupt' : 'ns/exit', 'lower', e));
      log(`exits: ${kind.id} FAILED`);
      continue;
    }
    r.peers = {};
    for (const p of peers) {
      log(`exits: ${kind.id} on ${p.name}`);
      const v = await p.loopCost({
        id: kind.id,
        build: (k) => buildGuest(k, kind.setup, kind.body).image,
        qemuArgs: 'args' in kind.qemu ? kind.qemu.args : [],
        ...('na' in kind.qemu ? { naWithoutVmx: kind.qemu.na } : {}),
      });
      r.peers[p.name] = peerFigure(v, r.value, (x) => x);
    }
    out.push(r);
  }
  return out;
}
