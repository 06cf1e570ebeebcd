import { describe, expect, it } from 'vitest';
import { I8042 } from '../../src/devices/i8042.js';
import { IoSpace } from '../../src/memory/io-space.js';

function setup() {
  const events: string[] = [];
  const irq1: number[] = [];
  const kbc = new I8042({
    irq1: { set: (l) => irq1.push(l) },
    onA20: (e) => events.push(`a20:${e}`),
    onReset: () => events.push('reset'),
  });
  const io = new IoSpace();
  io.registerAll(kbc.ioRegions());
  return { kbc, io, events, irq1 };
}

describe('I8042', () => {
  it('self-test 0xAA -> 0x55 and sets SYS; interface test 0xAB -> 0x00', () => {
    const { io } = setup();
    expect(io.in(0x64, 1) & 0x05).toBe(0);
    io.out(0x64, 1, 0xaa);
    expect(io.in(0x64, 1) & 0x05).toBe(0x05);
    expect(io.in(0x60, 1)).toBe(0x55);
    expect(io.in(0x64, 1) & 1).toBe(0);
    io.out(0x64, 1, 0xab);
    expect(io.in(0x60, 1)).toBe(0x00);
  });

  it('command byte read/write; IRQ1 only with bit 0 set', () => {
    const { io, irq1 } = setup();
    io.out(0x64, 1, 0x20);
    expect(io.in(0x60, 1)).toBe(0x03);
    expect(irq1).toEqual([1, 0]);
    io.out(0x64, 1, 0x60);
    io.out(0x60, 1, 0x64); // translate, disable kbd clock? no: 0x64 = XLAT | SYS | ... without IRQ
    expect(io.in(0x64, 1) & 0x04).toBe(0x04);
    io.out(0x64, 1, 0x20);
    expect(irq1).toEqual([1, 0]);
    expect(io.in(0x60, 1)).toBe(0x64);
  });

  it('A20 via output port write 0xD1, read back with 0xD0; 0xDD/0xDF', () => {
    const { io, events, kbc } = setup();
    io.out(0x64, 1, 0xd1);
    io.out(0x60, 1, 0xdd); // A20 off (bit 1 = 0), reset line high
    expect(events).toEqual(['a20:false']);
    expect(kbc.a20).toBe(false);
    io.out(0x64, 1, 0xd0);
    expect(io.in(0x60, 1) & 0x03).toBe(0x01);
    io.out(0x64, 1, 0xd1);
    io.out(0x60, 1, 0xdf);
    expect(events).toEqual(['a20:false', 'a20:true']);
    io.out(0x64, 1, 0xdd);
    io.out(0x64, 1, 0xdf);
    expect(events).toEqual(['a20:false', 'a20:true', 'a20:false', 'a20:true']);
  });

  it('reset: pulse 0xFE, or output port bit 0 low', () => {
    const { io, events } = setup();
    io.out(0x64, 1, 0xfe);
    expect(events).toEqual(['reset']);
    io.out(0x64, 1, 0xff); // pulses nothing
    expect(events).toEqual(['reset']);
    io.out(0x64, 1, 0xd1);
    io.out(0x60, 1, 0x02);
    expect(events).toEqual(['reset', 'reset']);
  });

  it('keyboard reset 0xFF -> FA AA; identify; echo; unknown -> FE', () => {
    const { io } = setup();
    const drain = () => {
      const out = [];
      while (io.in(0x64, 1) & 1) out.push(io.in(0x60, 1));
      return out;
    };
    io.out(0x60, 1, 0xff);
    expect(drain()).toEqual([0xfa, 0xaa]);
    io.out(0x60, 1, 0xf2);
    expect(drain()).toEqual([0xfa, 0xab, 0x83]);
    io.out(0x60, 1, 0xee);
    expect(drain()).toEqual([0xee]);
    io.out(0x60, 1, 0xed);
    expect(drain()).toEqual([0xfa]);
    io.out(0x60, 1, 0x02);
    expect(drain()).toEqual([0xfa]);
    // A command byte makes the keyboard drop replies not yet read (as QEMU's ps2_cqueue_reset).
    io.out(0x60, 1, 0xf0);
    io.out(0x60, 1, 0x00);
    expect(drain()).toEqual([0xfa, 0x02]);
    io.out(0x60, 1, 0xf2);
    io.in(0x60, 1);
    io.out(0x60, 1, 0xee);
    expect(drain()).toEqual([0xee]);
    io.out(0x60, 1, 0x01);
    expect(drain()).toEqual([0xfe]);
  });

  it('0xAD holds keyboard bytes back, 0xAE releases them; IRQ1 on output buffer full', () => {
    const { io, kbc, irq1 } = setup();
    io.out(0x64, 1, 0xad);
    kbc.keyboardInput([0x1e, 0x9e]);
    expect(io.in(0x64, 1) & 1).toBe(0);
    expect(irq1).toEqual([]);
    io.out(0x64, 1, 0xae);
    expect(irq1).toEqual([1]);
    expect(io.in(0x60, 1)).toBe(0x1e);
    expect(irq1).toEqual([1, 0, 1]);
    expect(io.in(0x60, 1)).toBe(0x9e);
    expect(io.in(0x64, 1) & 1).toBe(0);
  });

  it('0xD3 aux loopback sets AUX OBF', () => {
    const { io } = setup();
    io.out(0x64, 1, 0xd3);
    io.out(0x60, 1, 0x5a);
    expect(io.in(0x64, 1) & 0x21).toBe(0x21);
    expect(io.in(0x60, 1)).toBe(0x5a);
  });

  it('save/load round trip', () => {
    const a = setup();
    a.io.out(0x60, 1, 0xf2);
    a.io.in(0x60, 1);
    const b = setup();
    b.kbc.loadState(JSON.parse(JSON.stringify(a.kbc.saveState())));
    expect(b.kbc.saveState()).toEqual(a.kbc.saveState());
    expect([b.io.in(0x64, 1), b.io.in(0x60, 1), b.io.in(0x60, 1)]).toEqual([a.io.in(0x64, 1), a.io.in(0x60, 1), a.io.in(0x60, 1)]);
  });
});
