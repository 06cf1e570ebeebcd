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
import { Machine } from '../../src/machine/machine.js';
import { peerFigure, type Log } from './common.js';

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
  return describeCounts(exits, K);
}

export async function exitSuite(budget: BenchBudget, peers: Peer[], log: Log): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const kind of EXIT_KINDS) {
    log(`exits: ${kind.id}`);
    const lm = new LoopMachine(kind.id, K, kind.setup, kind.body, { ...(kind.vtx ?? {}) });
    lm.batch(); // set-up exits and first-run compilation stay out of the measurement
    const perIteration = verify(kind, lm);
    const t = timeIt(`exit ${kind.id}`, () => lm.batch(), budget);
    verify(kind, lm);
    const ns = (t.mean / K) * 1e9;
    const r: BenchResult = {
      id: `exit.${kind.id}`,
      section: 'VM exits',
      name: kind.title,
      value: ns,
      unit: kind.countsInterrupts ? 'ns/interrupt' : 'ns/exit',
      better: 'lower',
      rme: t.rme,
      extra: { 'exits/s': 1e9 / ns },
      note: `per iteration: ${perIteration}`,
      peers: {},
    };
    for (const p of peers) {
      log(`exits: ${kind.id} on ${p.name}`);
      const v = await p.loopCost({
        id: kind.id,
        build: (k) => buildGuest(k, kind.setup, kind.body).image,
        qemuArgs: 'args' in kind.qemu ? kind.qemu.args : [],
        ...('na' in kind.qemu ? { naWithoutVmx: kind.qemu.na } : {}),
      });
      r.peers![p.name] = peerFigure(v, ns, (x) => x);
    }
    out.push(r);
  }
  return out;
}
