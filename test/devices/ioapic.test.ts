import { describe, expect, it } from 'vitest';
import { Ioapic, IOAPIC_VERSION, type ApicTarget } from '../../src/devices/ioapic.js';
import { Lapic, LapicReg } from '../../src/devices/lapic.js';
import { VirtualClock } from '../../src/machine/clock.js';

class Recorder implements ApicTarget {
  log: string[] = [];
  accept = true;
  deliver(vector: number, level: boolean): boolean {
    this.log.push(`${level ? 'L' : 'E'}${vector.toString(16)}`);
    return this.accept;
  }
  deliverNmi(): void {
    this.log.push('NMI');
  }
  deliverExtInt(): void {
    this.log.push('EXTINT');
  }
  acceptsDestination(dest: number, logical: boolean): boolean {
    return logical ? (dest & 1) !== 0 : dest === 0 || dest === 0xff;
  }
}

function setup() {
  const target = new Recorder();
  const io = new Ioapic({ target });
  const sel = (i: number) => io.mmio.write(0x00, 4, i);
  const rd = (i: number) => {
    sel(i);
    return io.mmio.read(0x10, 4);
  };
  const wr = (i: number, v: number) => {
    sel(i);
    io.mmio.write(0x10, 4, v);
  };
  return { target, io, sel, rd, wr };
}

describe('Ioapic', () => {
  it('ID, version, arbitration registers; entries reset masked', () => {
    const t = setup();
    expect(t.rd(1)).toBe(IOAPIC_VERSION);
    expect(t.rd(0)).toBe(0);
    t.wr(0, 0x0f000000);
    expect(t.rd(0)).toBe(0x0f000000);
    expect(t.rd(2)).toBe(0x0f000000);
    t.wr(2, 0);
    expect(t.rd(2)).toBe(0x0f000000);
    for (let n = 0; n < 24; n++) {
      expect(t.rd(0x10 + 2 * n)).toBe(0x10000);
      expect(t.rd(0x11 + 2 * n)).toBe(0);
    }
    t.sel(0x21);
    expect(t.io.mmio.read(0x00, 4)).toBe(0x21);
  });

  it('redirection programming: writable fields, read-only status bits, destination', () => {
    const t = setup();
    t.wr(0x10 + 2 * 4, 0xffffffff);
    expect(t.rd(0x10 + 2 * 4)).toBe(0x1afff);
    t.wr(0x11 + 2 * 4, 0xffffffff);
    expect(t.rd(0x11 + 2 * 4)).toBe(0xff000000);
    expect(t.io.entry(4)).toEqual({ low: 0x1afff, high: 0xff000000 });
  });

  it('edge-triggered: delivers on the rising edge only, masked edges are lost', () => {
    const t = setup();
    t.wr(0x10 + 2 * 2, 0x30); // pin 2, vector 0x30, fixed, physical dest 0, edge, unmasked
    const p = t.io.pin(2);
    p.set(1);
    p.set(1);
    p.set(0);
    p.set(1);
    expect(t.target.log).toEqual(['E30', 'E30']);
    t.wr(0x10 + 2 * 2, 0x10030);
    p.set(0);
    p.set(1);
    t.wr(0x10 + 2 * 2, 0x30);
    expect(t.target.log).toEqual(['E30', 'E30']);
  });

  it('level-triggered: remote IRR blocks re-delivery until EOI; EOI re-delivers if still asserted', () => {
    const t = setup();
    t.wr(0x10 + 2 * 11, 0x8041); // level, vector 0x41
    const p = t.io.pin(11);
    p.set(1);
    expect(t.target.log).toEqual(['L41']);
    expect(t.rd(0x10 + 2 * 11) & 0x4000).toBe(0x4000);
    p.set(1);
    expect(t.target.log).toEqual(['L41']);
    t.io.eoi(0x41);
    expect(t.target.log).toEqual(['L41', 'L41']);
    p.set(0);
    t.io.eoi(0x41);
    expect(t.rd(0x10 + 2 * 11) & 0x4000).toBe(0);
    expect(t.target.log).toEqual(['L41', 'L41']);
    // EOI for another vector does nothing.
    p.set(1);
    t.io.eoi(0x42);
    expect(t.rd(0x10 + 2 * 11) & 0x4000).toBe(0x4000);
  });

  it('unmasking an asserted level pin delivers; switching to edge clears remote IRR', () => {
    const t = setup();
    t.io.pin(5).set(1);
    expect(t.target.log).toEqual([]);
    t.wr(0x10 + 2 * 5, 0x8055);
    expect(t.target.log).toEqual(['L55']);
    t.wr(0x10 + 2 * 5, 0x0055);
    expect(t.rd(0x10 + 2 * 5) & 0x4000).toBe(0);
  });

  it('destination filtering, NMI and ExtINT delivery modes', () => {
    const t = setup();
    t.wr(0x11 + 2 * 3, 0x05000000);
    t.wr(0x10 + 2 * 3, 0x33); // physical 5: not us
    t.io.pin(3).set(1);
    expect(t.target.log).toEqual([]);
    t.io.pin(3).set(0);
    t.wr(0x11 + 2 * 3, 0x01000000);
    t.wr(0x10 + 2 * 3, 0x833); // logical 1: us
    t.io.pin(3).set(1);
    t.wr(0x10 + 2 * 7, 0x400); // NMI
    t.io.pin(7).set(1);
    t.wr(0x10 + 2 * 0, 0x700); // ExtINT
    t.io.pin(0).set(1);
    expect(t.target.log).toEqual(['E33', 'NMI', 'EXTINT']);
  });

  it('end to end with the local APIC: level interrupt, EOI broadcast clears remote IRR', () => {
    const clock = new VirtualClock();
    const io = new Ioapic();
    const lapic = new Lapic({ clock, onEoi: (v) => io.eoi(v) });
    io.connect(lapic);
    lapic.mmio.write(LapicReg.SVR, 4, 0x1ff);
    io.mmio.write(0, 4, 0x10 + 2 * 9);
    io.mmio.write(0x10, 4, 0x8069);
    io.pin(9).set(1);
    expect(lapic.pending()).toBe(true);
    expect(lapic.acknowledge()).toBe(0x69);
    io.pin(9).set(0);
    lapic.mmio.write(LapicReg.EOI, 4, 0);
    expect(io.entry(9).low & 0x4000).toBe(0);
    expect(lapic.pending()).toBe(false);
  });

  it('save/load round trip', () => {
    const t = setup();
    t.wr(0x10 + 2 * 11, 0x8041);
    t.wr(0x11 + 2 * 11, 0xff000000);
    t.io.pin(11).set(1);
    t.sel(0x26);
    const s = JSON.parse(JSON.stringify(t.io.saveState()));
    const u = setup();
    u.io.loadState(s);
    expect(u.io.mmio.read(0, 4)).toBe(0x26);
    expect(u.io.entry(11)).toEqual(t.io.entry(11));
    u.io.eoi(0x41);
    expect(u.target.log).toEqual(['L41']);
    u.io.reset();
    expect(u.io.entry(11).low).toBe(0x10000);
  });
});
