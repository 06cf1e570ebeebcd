/**
 * Differential test: the MMIO script of apic-oracle/script.ts replayed on vtx's local APIC and I/O
 * APIC must give the reads QEMU 7.2 gave (apic-oracle/qemu-7.2.golden.json, recorded by
 * apic-oracle/record.ts), under each step's mask, except the DEVIATIONS listed with their reason.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { SCRIPT, LAPIC, IOAPIC } from './apic-oracle/script.js';
import { Lapic } from '../../src/devices/lapic.js';
import { Ioapic } from '../../src/devices/ioapic.js';
import { VirtualClock } from '../../src/machine/clock.js';

const golden = JSON.parse(readFileSync(new URL('./apic-oracle/qemu-7.2.golden.json', import.meta.url), 'utf8')) as { results: number[] };

const DEVIATIONS: Record<string, { vtx: number; why: string }> = {};

describe('local APIC and I/O APIC vs QEMU 7.2 (recorded)', () => {
  it('every MMIO read of the script matches under its mask', () => {
    const clock = new VirtualClock(1);
    const ioapic = new Ioapic();
    const lapic = new Lapic({ clock, onEoi: (v) => ioapic.eoi(v) });
    ioapic.connect(lapic);
    const region = (addr: number) =>
      addr >= LAPIC && addr < LAPIC + 0x1000 ? { ops: lapic, off: addr - LAPIC } : addr >= IOAPIC && addr < IOAPIC + 0x1000 ? { ops: ioapic, off: addr - IOAPIC } : undefined;
    const diffs: { note: string; qemu: string; vtx: string }[] = [];
    let k = 0;
    for (const s of SCRIPT) {
      clock.addInstructions(10);
      clock.runDue();
      const r = region(s.addr)!;
      if (s.op === 'wr') {
        r.ops.write(r.off, 4, s.value);
        continue;
      }
      const v = r.ops.read(r.off, 4);
      const q = golden.results[k++]!;
      const dev = DEVIATIONS[s.note];
      const expected = dev !== undefined ? dev.vtx : q;
      if (((v ^ expected) & s.mask) !== 0) {
        diffs.push({ note: `#${k - 1} 0x${s.addr.toString(16)} (${s.note})`, qemu: `0x${(q >>> 0).toString(16)}`, vtx: `0x${(v >>> 0).toString(16)}` });
      }
    }
    expect(k).toBe(golden.results.length);
    expect(diffs).toEqual([]);
  });
});
