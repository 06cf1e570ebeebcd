// The bench guests' bytes and exit accounting (no timing): the Multiboot header QEMU needs, and
// one small batch per exit kind producing exactly the exits the bench checks for.
import { describe, expect, it } from 'vitest';
import { COMPUTE_GUESTS, COUNTER_ADDR, EXIT_KINDS, GUEST_BASE, buildGuest } from '../../bench/guests.js';
import { LoopMachine } from '../../bench/vtx.js';

describe('bench guests', () => {
  it('carry a valid Multiboot a.out-kludge header loading the image at 1 MiB', () => {
    const img = buildGuest(5, {}, (a) => a.cpuid()).image;
    const dv = new DataView(img.buffer, img.byteOffset);
    const off = 8;
    expect(dv.getUint32(off, true)).toBe(0x1badb002);
    const flags = dv.getUint32(off + 4, true);
    expect(flags & 0x10000).toBe(0x10000);
    expect((dv.getUint32(off, true) + flags + dv.getUint32(off + 8, true)) >>> 0).toBe(0);
    expect(dv.getUint32(off + 12, true)).toBe(GUEST_BASE + off); // header_addr
    expect(dv.getUint32(off + 16, true)).toBe(GUEST_BASE); // load_addr
    expect(dv.getUint32(off + 28, true)).toBe(GUEST_BASE); // entry
    expect(dv.getUint32(0x40, true)).toBe(5); // K
    expect(() => buildGuest(0, {}, () => {})).toThrow(RangeError);
  });

  it('each exit kind produces K exits of its reason per batch', () => {
    const K = 20;
    for (const kind of EXIT_KINDS) {
      const lm = new LoopMachine(kind.id, K, kind.setup, kind.body, { ...(kind.vtx ?? {}) });
      lm.batch();
      const c0 = lm.readGuest32(COUNTER_ADDR);
      const { exits } = lm.measuredBatch();
      if (kind.countsInterrupts) expect(lm.readGuest32(COUNTER_ADDR) - c0, kind.id).toBe(K);
      else expect(exits.get(kind.reason), kind.id).toBe(K + kind.extraExits);
    }
  });

  it('compute guests run to their debug exit with no exits but the final OUT', () => {
    for (const g of COMPUTE_GUESTS) {
      const lm = new LoopMachine(g.id, 1, g.setup, g.body, g.pre ? { pre: g.pre } : {});
      lm.batch();
      const { exits, instructions } = lm.measuredBatch();
      expect([...exits.entries()], g.id).toEqual([[30, 1]]);
      expect(instructions, g.id).toBeGreaterThan(8);
    }
  });
});
