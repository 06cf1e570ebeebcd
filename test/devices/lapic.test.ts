import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/machine/clock.js';
import { Lapic, LapicReg, LAPIC_VERSION } from '../../src/devices/lapic.js';
import type { InterruptController } from '../../src/devices/device.js';

class FakePic implements InterruptController {
  irqVector = -1;
  acks = 0;
  pending(): boolean {
    return this.irqVector >= 0;
  }
  acknowledge(): number {
    this.acks++;
    const v = this.irqVector >= 0 ? this.irqVector : 0x0f;
    this.irqVector = -1;
    return v;
  }
}

function setup(opts: { busHz?: number; bsp?: boolean } = {}) {
  const clock = new VirtualClock(1);
  const pic = new FakePic();
  const eois: number[] = [];
  const ipis: [number, number][] = [];
  const apic = new Lapic({ clock, pic, busHz: opts.busHz, bsp: opts.bsp, onEoi: (v) => eois.push(v), onIpi: (lo, hi) => ipis.push([lo, hi]) });
  const rd = (reg: number) => apic.mmio.read(reg, 4);
  const wr = (reg: number, v: number) => apic.mmio.write(reg, 4, v);
  const advance = (ns: number) => {
    clock.advanceTo(clock.now() + ns);
    clock.runDue();
  };
  const enable = () => wr(LapicReg.SVR, 0x1ff);
  return { clock, pic, apic, eois, ipis, rd, wr, advance, enable };
}

describe('Lapic registers', () => {
  it('reset values, version, ID, LDR/DFR, read-only registers', () => {
    const t = setup();
    expect(t.rd(LapicReg.VERSION)).toBe(LAPIC_VERSION);
    expect(t.rd(LapicReg.ID)).toBe(0);
    expect(t.rd(LapicReg.SVR)).toBe(0xff);
    expect(t.rd(LapicReg.DFR)).toBe(0xffffffff);
    expect(t.rd(LapicReg.LVT_TIMER)).toBe(0x10000);
    expect(t.rd(LapicReg.LVT_LINT0)).toBe(0x700);
    expect(t.rd(LapicReg.LVT_LINT1)).toBe(0x10000);
    t.wr(LapicReg.ID, 0x05ffffff);
    expect(t.rd(LapicReg.ID)).toBe(0x05000000);
    t.wr(LapicReg.LDR, 0x01ffffff);
    expect(t.rd(LapicReg.LDR)).toBe(0x01000000);
    t.wr(LapicReg.DFR, 0x0);
    expect(t.rd(LapicReg.DFR)).toBe(0x0fffffff);
    // Byte read of the ID register's top byte.
    expect(t.apic.mmio.read(LapicReg.ID + 3, 1)).toBe(0x05);
    // A write to a read-only register is ignored and flagged as an illegal register address.
    t.wr(LapicReg.VERSION, 0);
    t.wr(LapicReg.ESR, 0);
    expect(t.rd(LapicReg.ESR)).toBe(0x80);
    expect(t.rd(LapicReg.VERSION)).toBe(LAPIC_VERSION);
    t.wr(LapicReg.ESR, 0);
    expect(t.rd(LapicReg.ESR)).toBe(0);
    // A reserved address: ESR illegal register address, visible after the next ESR write.
    expect(t.rd(0x2e0)).toBe(0);
    expect(t.rd(LapicReg.ESR)).toBe(0);
    t.wr(LapicReg.ESR, 0);
    expect(t.rd(LapicReg.ESR)).toBe(0x80);
    expect(new Setup2().lapic.mmio.read(LapicReg.LVT_LINT0, 4)).toBe(0x10000);
  });

  it('software disable masks every LVT and LVT writes stay masked', () => {
    const t = setup();
    t.enable();
    t.wr(LapicReg.LVT_LINT1, 0x400);
    expect(t.rd(LapicReg.LVT_LINT1)).toBe(0x400);
    t.wr(LapicReg.SVR, 0xff);
    expect(t.rd(LapicReg.LVT_LINT1)).toBe(0x10400);
    t.wr(LapicReg.LVT_LINT1, 0x400);
    expect(t.rd(LapicReg.LVT_LINT1)).toBe(0x10400);
  });
});

class Setup2 {
  lapic = new Lapic({ clock: new VirtualClock(), bsp: false });
}

describe('Lapic interrupt acceptance', () => {
  it('fixed interrupts go IRR -> ISR on acknowledge; EOI clears the highest ISR bit', () => {
    const t = setup();
    t.enable();
    expect(t.apic.pending()).toBe(false);
    t.apic.deliver(0x41, false);
    t.apic.deliver(0x82, false);
    expect(t.rd(LapicReg.IRR + 0x20) >>> 0).toBe(1 << 1); // vector 0x41: IRR word 2, bit 1
    expect(t.apic.pending()).toBe(true);
    expect(t.apic.acknowledge()).toBe(0x82);
    expect(t.rd(LapicReg.ISR + 0x40)).toBe(1 << 2);
    expect(t.rd(LapicReg.PPR)).toBe(0x80);
    // 0x41 is below the in-service class: not deliverable.
    expect(t.apic.pending()).toBe(false);
    t.wr(LapicReg.EOI, 0);
    expect(t.rd(LapicReg.ISR + 0x40)).toBe(0);
    expect(t.apic.pending()).toBe(true);
    expect(t.apic.acknowledge()).toBe(0x41);
    t.wr(LapicReg.EOI, 0);
    expect(t.eois).toEqual([]); // edge-triggered: no EOI broadcast
  });

  it('TPR masks by priority class; PPR follows TPR and ISR', () => {
    const t = setup();
    t.enable();
    t.wr(LapicReg.TPR, 0x50);
    t.apic.deliver(0x55, false);
    expect(t.rd(LapicReg.PPR)).toBe(0x50);
    expect(t.apic.pending()).toBe(false);
    expect(t.apic.acknowledge()).toBe(0xff); // spurious vector, nothing moves to ISR
    expect(t.rd(LapicReg.ISR + 0x20)).toBe(0);
    t.apic.deliver(0x61, false);
    expect(t.apic.pending()).toBe(true);
    expect(t.apic.acknowledge()).toBe(0x61);
    expect(t.rd(LapicReg.PPR)).toBe(0x60);
    expect(t.rd(LapicReg.APR)).toBe(0x60);
    t.wr(LapicReg.TPR, 0x40);
    expect(t.rd(LapicReg.PPR)).toBe(0x60);
    t.wr(LapicReg.EOI, 0);
    t.wr(LapicReg.TPR, 0x00);
    expect(t.apic.acknowledge()).toBe(0x55);
  });

  it('level-triggered vectors set TMR and EOI is forwarded', () => {
    const t = setup();
    t.enable();
    t.apic.deliver(0x39, true);
    expect(t.rd(LapicReg.TMR + 0x10)).toBe(1 << (0x39 - 32));
    expect(t.apic.acknowledge()).toBe(0x39);
    t.wr(LapicReg.EOI, 0);
    expect(t.eois).toEqual([0x39]);
  });

  it('illegal vectors are rejected with ESR bits; the error LVT fires', () => {
    const t = setup();
    t.enable();
    t.wr(LapicReg.LVT_ERROR, 0xfe);
    t.apic.deliver(5, false);
    t.wr(LapicReg.ICR_LOW, 0x40003); // self IPI, vector 3
    t.wr(LapicReg.ESR, 0);
    expect(t.rd(LapicReg.ESR)).toBe(0x60);
    expect(t.apic.acknowledge()).toBe(0xfe);
  });

  it('software-disabled APIC does not accept fixed interrupts', () => {
    const t = setup();
    expect(t.apic.deliver(0x40, false)).toBe(false);
    expect(t.apic.pending()).toBe(false);
  });

  it('ICR: self IPI, NMI to self, INIT/SIPI recorded, onIpi reported', () => {
    const t = setup();
    t.enable();
    t.wr(LapicReg.ICR_HIGH, 0x00000000);
    t.wr(LapicReg.ICR_LOW, 0x000000a0); // fixed, physical dest 0 = us
    expect(t.apic.acknowledge()).toBe(0xa0);
    t.wr(LapicReg.ICR_LOW, 0x00040400); // NMI, shorthand self
    expect(t.apic.takeNmi()).toBe(true);
    expect(t.apic.takeNmi()).toBe(false);
    t.wr(LapicReg.ICR_HIGH, 0x01000000);
    t.wr(LapicReg.ICR_LOW, 0x0000c500); // INIT assert to APIC 1: not us
    expect(t.apic.initCount).toBe(0);
    t.wr(LapicReg.ICR_LOW, 0x000c4500); // INIT assert, all excluding self
    expect(t.apic.initCount).toBe(0);
    t.wr(LapicReg.ICR_LOW, 0x00044500); // INIT assert, self
    t.wr(LapicReg.ICR_LOW, 0x00040608); // SIPI vector 8, self
    expect(t.apic.initCount).toBe(1);
    expect(t.apic.lastSipiVector).toBe(8);
    expect(t.ipis.length).toBe(6);
    expect(t.ipis[2]).toEqual([0x0000c500, 0x01000000]);
    expect(t.rd(LapicReg.ICR_LOW) & 0x1000).toBe(0); // delivery status idle
  });

  it('logical destinations: flat and cluster models', () => {
    const t = setup();
    t.wr(LapicReg.LDR, 0x04000000);
    expect(t.apic.acceptsDestination(0x06, true)).toBe(true);
    expect(t.apic.acceptsDestination(0x08, true)).toBe(false);
    t.wr(LapicReg.DFR, 0x0fffffff);
    t.wr(LapicReg.LDR, 0x21000000);
    expect(t.apic.acceptsDestination(0x23, true)).toBe(true);
    expect(t.apic.acceptsDestination(0x13, true)).toBe(false);
    expect(t.apic.acceptsDestination(0, false)).toBe(true);
    expect(t.apic.acceptsDestination(0xff, false)).toBe(true);
    expect(t.apic.acceptsDestination(3, false)).toBe(false);
  });
});

describe('Lapic virtual wire and global disable', () => {
  it('LINT0 ExtINT passes the PIC through; masking LINT0 cuts it off', () => {
    const t = setup();
    t.pic.irqVector = 0x08;
    expect(t.apic.pending()).toBe(true);
    expect(t.apic.acknowledge()).toBe(0x08);
    expect(t.pic.acks).toBe(1);
    t.enable();
    t.wr(LapicReg.LVT_LINT0, 0x10700);
    t.pic.irqVector = 0x09;
    expect(t.apic.pending()).toBe(false);
    t.wr(LapicReg.LVT_LINT0, 0x00700);
    expect(t.apic.pending()).toBe(true);
    // APIC-owned vectors are served before the PIC.
    t.apic.deliver(0x30, false);
    expect(t.apic.acknowledge()).toBe(0x30);
    expect(t.apic.acknowledge()).toBe(0x09);
  });

  it('globally disabled APIC is transparent and resets on disable', () => {
    const t = setup();
    t.enable();
    t.wr(LapicReg.LVT_LINT0, 0x10700);
    t.wr(LapicReg.ID, 0x03000000);
    t.apic.setGlobalEnable(false);
    t.pic.irqVector = 0x20;
    expect(t.apic.pending()).toBe(true);
    expect(t.apic.acknowledge()).toBe(0x20);
    expect(t.apic.deliver(0x40, false)).toBe(false);
    t.apic.setGlobalEnable(true);
    expect(t.rd(LapicReg.SVR)).toBe(0xff);
    expect(t.rd(LapicReg.ID)).toBe(0x03000000);
  });

  it('LINT1 in NMI mode raises an NMI on the rising edge', () => {
    const t = setup();
    t.enable();
    t.wr(LapicReg.LVT_LINT1, 0x400);
    t.apic.lint1.set(1);
    expect(t.apic.takeNmi()).toBe(true);
    t.apic.lint1.set(1);
    expect(t.apic.takeNmi()).toBe(false);
  });
});

describe('Lapic timer', () => {
  it('one-shot: fires once at initial * divide / bus clock; current count from virtual time', () => {
    const t = setup({ busHz: 100e6 }); // 10 ns per bus tick
    t.enable();
    t.wr(LapicReg.TIMER_DIVIDE, 0x3); // divide by 16 -> 160 ns per count
    t.wr(LapicReg.LVT_TIMER, 0x40);
    t.wr(LapicReg.TIMER_INITIAL, 1000); // 160 us
    expect(t.rd(LapicReg.TIMER_CURRENT)).toBe(1000);
    t.advance(16000);
    expect(t.rd(LapicReg.TIMER_CURRENT)).toBe(900);
    expect(t.apic.pending()).toBe(false);
    t.advance(160000 - 16000 - 1);
    expect(t.apic.pending()).toBe(false);
    t.advance(1);
    expect(t.apic.pending()).toBe(true);
    expect(t.rd(LapicReg.TIMER_CURRENT)).toBe(0);
    expect(t.apic.acknowledge()).toBe(0x40);
    t.wr(LapicReg.EOI, 0);
    t.advance(1_000_000);
    expect(t.apic.pending()).toBe(false);
  });

  it('periodic: fires every period and reloads; masked timer counts but does not interrupt', () => {
    const t = setup();
    t.enable();
    t.wr(LapicReg.TIMER_DIVIDE, 0xb); // divide by 1 -> 1 ns per count
    t.wr(LapicReg.LVT_TIMER, 0x20000 | 0x50);
    t.wr(LapicReg.TIMER_INITIAL, 500);
    let fired = 0;
    for (let i = 0; i < 10; i++) {
      t.advance(100);
      if (t.apic.pending()) {
        expect(t.apic.acknowledge()).toBe(0x50);
        t.wr(LapicReg.EOI, 0);
        fired++;
      }
    }
    expect(fired).toBe(2);
    expect(t.rd(LapicReg.TIMER_CURRENT)).toBe(500);
    t.advance(50);
    expect(t.rd(LapicReg.TIMER_CURRENT)).toBe(450);
    t.wr(LapicReg.LVT_TIMER, 0x30050);
    t.advance(5000);
    expect(t.apic.pending()).toBe(false);
    expect(t.rd(LapicReg.TIMER_CURRENT)).toBe(450);
    t.wr(LapicReg.TIMER_INITIAL, 0);
    expect(t.rd(LapicReg.TIMER_CURRENT)).toBe(0);
    expect(t.clock.nextDeadline).toBe(Infinity);
  });

  it('divide change keeps the current count', () => {
    const t = setup();
    t.enable();
    t.wr(LapicReg.TIMER_DIVIDE, 0xb);
    t.wr(LapicReg.LVT_TIMER, 0x60);
    t.wr(LapicReg.TIMER_INITIAL, 1000);
    t.advance(400);
    t.wr(LapicReg.TIMER_DIVIDE, 0x0); // divide by 2
    expect(t.rd(LapicReg.TIMER_CURRENT)).toBe(600);
    t.advance(1199);
    expect(t.apic.pending()).toBe(false);
    t.advance(1);
    expect(t.apic.pending()).toBe(true);
  });

  it('save/load round trip re-arms the timer from the clock', () => {
    const t = setup();
    t.enable();
    t.wr(LapicReg.TPR, 0x20);
    t.wr(LapicReg.LVT_TIMER, 0x20071);
    t.wr(LapicReg.TIMER_DIVIDE, 0xb);
    t.wr(LapicReg.TIMER_INITIAL, 300);
    t.apic.deliver(0x90, true);
    t.advance(100);
    const s = JSON.parse(JSON.stringify({ c: t.clock.saveState(), a: t.apic.saveState() }));
    const u = setup();
    u.clock.loadState(s.c);
    u.apic.loadState(s.a);
    expect(u.rd(LapicReg.TIMER_CURRENT)).toBe(200);
    expect(u.rd(LapicReg.TPR)).toBe(0x20);
    expect(u.apic.acknowledge()).toBe(0x90);
    u.wr(LapicReg.EOI, 0);
    expect(u.eois).toEqual([0x90]);
    u.advance(200);
    expect(u.apic.acknowledge()).toBe(0x71);
    expect(u.rd(LapicReg.TMR + 0x40)).toBe(1 << 16);
  });
});
