import { Machine } from '../src/machine/machine.js';
import { buildGuest, EXIT_KINDS, COUNTER_ADDR } from './guests.js';
const k = EXIT_KINDS.find((x) => x.id === 'irq')!;
for (const nspi of [16, 64, 256]) for (const cost of [0, 1000]) {
  const g = buildGuest(1000, k.setup, k.body);
  const m = new Machine({ image: { data: g.image, path: 'bench-' + k.id }, boot: 'flat', flatAddr: 0x100000, flatMode: 32, nsPerInstruction: nspi, vmexitCostNs: cost });
  const t0 = performance.now();
  const r = m.run({ maxInstructions: m.instructions + 2_000_000, timeoutMs: 3000 });
  const t = performance.now() - t0;
  const h = m.pc.host; const c = h[COUNTER_ADDR]! | (h[COUNTER_ADDR+1]! << 8) | (h[COUNTER_ADDR+2]! << 16);
  console.log(nspi, cost, r.kind, t.toFixed(0), 'ms', 'counter', c, m.instructions, JSON.stringify(Object.fromEntries(Object.entries(m.exitStats.toJSON()).map(([n, v]) => [n, v.count]))));
}
// MMIO: why external interrupts?
const mk = EXIT_KINDS.find((x) => x.id === 'mmio-read')!;
const g = buildGuest(3, mk.setup, mk.body);
const m = new Machine({ image: { data: g.image, path: 'x' }, boot: 'flat', flatAddr: 0x100000, flatMode: 32 });
m.on('vmexit', (e) => console.log('exit', e.reason, e.guestRip.toString(16), e.interruptionInfo.toString(16), 'pic pending', m.pc.intc.pending()));
m.run({ maxInstructions: 100000 });
