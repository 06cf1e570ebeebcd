import { describe, expect, it } from 'vitest';
import { Pic8259 } from '../../src/devices/pic8259.js';
import { IoSpace } from '../../src/memory/io-space.js';

function setup() {
  const intr: number[] = [];
  const pic = new Pic8259({ onIntr: (l) => intr.push(l) });
  const io = new IoSpace();
  io.registerAll(pic.ioRegions());
  // The PC BIOS initialisation: ICW1 edge+ICW4, ICW2 vector base, ICW3 cascade, ICW4 8086 mode.
  io.out(0x20, 1, 0x11);
  io.out(0x21, 1, 0x08);
  io.out(0x21, 1, 0x04);
  io.out(0x21, 1, 0x01);
  io.out(0xa0, 1, 0x11);
  io.out(0xa1, 1, 0x70);
  io.out(0xa1, 1, 0x02);
  io.out(0xa1, 1, 0x01);
  io.out(0x21, 1, 0x00);
  io.out(0xa1, 1, 0x00);
  return { pic, io, intr };
}

const EOI = 0x20;

describe('Pic8259', () => {
  it('delivers an edge-triggered IRQ with the ICW2 vector base, sets ISR, clears IRR', () => {
    const { pic, io, intr } = setup();
    expect(pic.pending()).toBe(false);
    pic.irq(0).set(1);
    expect(pic.pending()).toBe(true);
    expect(intr).toEqual([1]);
    expect(io.in(0x20, 1)).toBe(0x01); // IRR by default after init
    expect(pic.acknowledge()).toBe(0x08);
    expect(pic.pending()).toBe(false);
    io.out(0x20, 1, 0x0b); // OCW3: read ISR
    expect(io.in(0x20, 1)).toBe(0x01);
    // Level still high, no new edge: no new request after EOI.
    io.out(0x20, 1, EOI);
    expect(io.in(0x20, 1)).toBe(0x00);
    expect(pic.pending()).toBe(false);
    pic.irq(0).set(0);
    pic.irq(0).set(1);
    expect(pic.pending()).toBe(true);
  });

  it('fully nested priority: a lower-priority request waits until EOI of the higher one', () => {
    const { pic, io } = setup();
    pic.irq(3).set(1);
    expect(pic.acknowledge()).toBe(0x0b);
    pic.irq(4).set(1);
    expect(pic.pending()).toBe(false); // IR4 < IR3 in service
    pic.irq(1).set(1);
    expect(pic.pending()).toBe(true); // IR1 preempts
    expect(pic.acknowledge()).toBe(0x09);
    io.out(0x20, 1, EOI); // non-specific EOI clears highest in-service (IR1)
    expect(pic.isr).toBe(0x08);
    expect(pic.pending()).toBe(false);
    io.out(0x20, 1, 0x63); // specific EOI for IR3
    expect(pic.isr).toBe(0);
    expect(pic.acknowledge()).toBe(0x0c);
  });

  it('masks with OCW1 and reads IMR back', () => {
    const { pic, io } = setup();
    io.out(0x21, 1, 0x01);
    expect(io.in(0x21, 1)).toBe(0x01);
    pic.irq(0).set(1);
    expect(pic.pending()).toBe(false);
    io.out(0x21, 1, 0x00);
    expect(pic.pending()).toBe(true);
  });

  it('cascades slave IRQs through master IR2 and needs EOI on both', () => {
    const { pic, io } = setup();
    pic.irq(8 + 4).set(1); // IRQ12
    expect(pic.pending()).toBe(true);
    expect(pic.acknowledge()).toBe(0x74);
    expect(pic.isr).toBe((1 << 12) | (1 << 2));
    pic.irq(8 + 6).set(1); // IRQ14: lower than 12 on the slave
    expect(pic.pending()).toBe(false);
    io.out(0xa0, 1, EOI);
    io.out(0x20, 1, EOI);
    expect(pic.pending()).toBe(true);
    expect(pic.acknowledge()).toBe(0x76);
  });

  it('returns spurious IRQ 7 with no ISR bit when the request goes away before INTA', () => {
    const { pic, io } = setup();
    io.out(0x4d0, 1, 0x08); // IRQ3 level-triggered via ELCR
    expect(io.in(0x4d0, 1)).toBe(0x08);
    pic.irq(3).set(1);
    expect(pic.pending()).toBe(true);
    pic.irq(3).set(0);
    expect(pic.acknowledge()).toBe(0x0f);
    expect(pic.isr).toBe(0);
  });

  it('returns spurious IRQ 15 from the slave (master IR2 is in service)', () => {
    const { pic, io } = setup();
    io.out(0x4d1, 1, 0xff);
    expect(io.in(0x4d1, 1)).toBe(0xde); // PIIX: IRQ8 and IRQ13 are edge-only
    pic.irq(10).set(1);
    // The slave request disappears (level) but the master latched the IR2 edge.
    pic.irq(10).set(0);
    expect(pic.acknowledge()).toBe(0x77);
    expect(pic.isr).toBe(1 << 2);
  });

  it('level-triggered inputs re-request after EOI while still asserted', () => {
    const { pic, io } = setup();
    io.out(0x4d1, 1, 0x08); // IRQ11 level
    pic.irq(11).set(1);
    expect(pic.acknowledge()).toBe(0x73);
    io.out(0xa0, 1, EOI);
    io.out(0x20, 1, EOI);
    expect(pic.pending()).toBe(true);
    expect(pic.acknowledge()).toBe(0x73);
  });

  it('auto-EOI mode leaves ISR clear', () => {
    const { pic, io } = setup();
    io.out(0x20, 1, 0x11);
    io.out(0x21, 1, 0x20);
    io.out(0x21, 1, 0x04);
    io.out(0x21, 1, 0x03); // AEOI
    pic.irq(5).set(1);
    expect(pic.acknowledge()).toBe(0x25);
    expect(pic.isr).toBe(0);
    pic.irq(6).set(1);
    expect(pic.acknowledge()).toBe(0x26);
  });

  it('rotating EOI and set-priority change the priority order', () => {
    const { pic, io } = setup();
    pic.irq(0).set(1);
    pic.irq(1).set(1);
    expect(pic.acknowledge()).toBe(0x08);
    io.out(0x20, 1, 0xa0); // rotate on non-specific EOI: IR0 becomes lowest
    expect(pic.acknowledge()).toBe(0x09);
    io.out(0x20, 1, 0xa0); // IR1 lowest now, IR2 highest
    pic.irq(0).set(0);
    pic.irq(0).set(1);
    pic.irq(7).set(1);
    expect(pic.acknowledge()).toBe(0x0f); // IR7 outranks IR0 (order 2..7,0,1)
    io.out(0x20, 1, EOI);
    io.out(0x20, 1, 0xc6); // set priority: IR6 lowest, IR7 highest
    pic.irq(7).set(0);
    pic.irq(7).set(1);
    expect(pic.acknowledge()).toBe(0x0f);
  });

  it('special mask mode lets lower-priority IRQs through when the in-service one is masked', () => {
    const { pic, io } = setup();
    pic.irq(3).set(1);
    expect(pic.acknowledge()).toBe(0x0b);
    pic.irq(5).set(1);
    expect(pic.pending()).toBe(false);
    io.out(0x21, 1, 0x08); // mask IR3
    io.out(0x20, 1, 0x68); // OCW3: set special mask
    expect(pic.pending()).toBe(true);
    expect(pic.acknowledge()).toBe(0x0d);
    io.out(0x20, 1, 0x48); // reset special mask
    expect(pic.isr).toBe(0x28);
  });

  it('poll command returns 0x80|level and acknowledges', () => {
    const { pic, io } = setup();
    pic.irq(6).set(1);
    io.out(0x20, 1, 0x0c);
    expect(io.in(0x20, 1)).toBe(0x86);
    expect(pic.isr).toBe(0x40);
    io.out(0x20, 1, 0x0c);
    expect(io.in(0x20, 1)).toBe(0x00);
  });

  it('save/load round trip gives identical behaviour', () => {
    const a = setup();
    a.pic.irq(3).set(1);
    a.pic.irq(12).set(1);
    a.pic.acknowledge();
    a.io.out(0x21, 1, 0x10);
    const st = JSON.parse(JSON.stringify(a.pic.saveState()));
    const b = new Pic8259();
    b.loadState(st);
    expect(b.saveState()).toEqual(a.pic.saveState());
    expect(b.pending()).toBe(a.pic.pending());
    expect(b.acknowledge()).toBe(a.pic.acknowledge());
    expect(b.isr).toBe(a.pic.isr);
  });

  it('reset returns to power-on state', () => {
    const { pic } = setup();
    pic.irq(1).set(1);
    pic.reset();
    expect([pic.irr, pic.isr, pic.imr, pic.pending()]).toEqual([0, 0, 0, false]);
  });
});
