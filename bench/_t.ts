import { Machine } from '../src/machine/machine.js';
import { buildGuest, EXIT_KINDS, COMPUTE_GUESTS } from './guests.js';
for (const k of EXIT_KINDS) {
  const g = buildGuest(1000, k.setup, k.body);
  const m = new Machine({ image: { data: g.image, path: 'bench-' + k.id }, boot: 'flat', flatAddr: 0x100000, flatMode: 32, ...(k.vtx ?? {}) });
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) {
    const r = m.run({ maxInstructions: m.instructions + 10_000_000 });
    if (r.kind !== 'debug-exit' || r.status !== 0) { console.log(k.id, r); break; }
  }
  const t = performance.now() - t0;
  console.log(k.id, (t / 3000 * 1e6).toFixed(0) + ' ns', JSON.stringify(Object.fromEntries(Object.entries(m.exitStats.toJSON()).map(([n, v]) => [n, v.count]))));
}
for (const k of COMPUTE_GUESTS) {
  const g = buildGuest(20, k.setup, k.body, k.pre);
  const m = new Machine({ image: { data: g.image, path: 'bench-' + k.id }, boot: 'flat', flatAddr: 0x100000, flatMode: 32 });
  m.run({ maxInstructions: 100_000_000 });
  const i0 = m.instructions; const t0 = performance.now();
  const r = m.run({ maxInstructions: m.instructions + 100_000_000 });
  const t = performance.now() - t0;
  console.log(k.id, r.kind, ((m.instructions - i0) / t / 1000).toFixed(1), 'MIPS', t.toFixed(1), 'ms', m.instructions - i0);
}
