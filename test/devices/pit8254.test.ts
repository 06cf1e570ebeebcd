import { describe, expect, it } from 'vitest';
import { Pit8254, PIT_FREQ, nsToPitTicks, pitTicksToNs } from '../../src/devices/pit8254.js';
import { Port61 } from '../../src/devices/port61.js';
import { VirtualClock } from '../../src/machine/clock.js';
import { IoSpace } from '../../src/memory/io-space.js';

function setup() {
  const clock = new VirtualClock(1);
  const edges: [number, number][] = [];
  const pit = new Pit8254({ clock, irq0: { set: (l) => edges.push([nsToPitTicks(clock.now()), l]) } });
  const p61 = new Port61({ clock, pit });
  const io = new IoSpace();
  io.registerAll(pit.ioRegions());
  io.registerAll(p61.ioRegions());
  /** Move virtual time to PIT tick t, running timers on the way (as the run loop does). */
  const at = (t: number) => {
    for (;;) {
      const target = pitTicksToNs(t);
      const next = clock.nextDeadline;
      if (next <= target) {
        clock.advanceTo(next);
        clock.runDue();
      } else {
        clock.advanceTo(target);
        return;
      }
    }
  };
  const status = (ch: number) => {
    io.out(0x43, 1, 0xe0 | (2 << ch)); // read-back, status only
    return io.in(0x40 + ch, 1);
  };
  return { clock, pit, io, edges, at, status, p61 };
}

describe('tick conversion', () => {
  it('is exact and monotone', () => {
    expect(nsToPitTicks(1e9)).toBe(PIT_FREQ);
    expect(nsToPitTicks(pitTicksToNs(12345))).toBe(12345);
    expect(nsToPitTicks(pitTicksToNs(12345) - 1)).toBe(12344);
    expect(nsToPitTicks(3600e9 * 24 * 365)).toBe(PIT_FREQ * 3600 * 24 * 365);
  });
});

describe('Pit8254', () => {
  it('mode 2 (rate generator) on channel 0: OUT low for one tick per period; IRQ0 rising edge every N ticks', () => {
    const { io, edges, at } = setup();
    io.out(0x43, 1, 0x34); // ch0, lo/hi, mode 2, binary
    io.out(0x40, 1, 100);
    io.out(0x40, 1, 0);
    at(350);
    expect(edges.filter(([t]) => t > 0)).toEqual([
      [99, 0], [100, 1], [199, 0], [200, 1], [299, 0], [300, 1],
    ]);
  });

  it('mode 3 (square wave): high ceil(N/2), low floor(N/2); counter decrements by two', () => {
    const { io, edges, at } = setup();
    io.out(0x43, 1, 0x36);
    io.out(0x40, 1, 5);
    io.out(0x40, 1, 0);
    at(12);
    expect(edges.filter(([t]) => t > 0)).toEqual([[3, 0], [5, 1], [8, 0], [10, 1]]);
  });

  it('mode 0 (interrupt on terminal count): OUT low until N ticks, counter keeps wrapping', () => {
    const { io, edges, at, status } = setup();
    io.out(0x43, 1, 0x30);
    io.out(0x40, 1, 0x10);
    io.out(0x40, 1, 0x00);
    at(5);
    expect(status(0) & 0x80).toBe(0);
    io.out(0x43, 1, 0x00); // latch
    expect(io.in(0x40, 1) | (io.in(0x40, 1) << 8)).toBe(11);
    at(16);
    expect(status(0) & 0x80).toBe(0x80);
    at(18);
    io.out(0x43, 1, 0x00);
    expect(io.in(0x40, 1) | (io.in(0x40, 1) << 8)).toBe(0xfffe);
    expect(edges.filter(([t]) => t > 0)).toEqual([[16, 1]]);
  });

  it('mode 0: writing the first byte stops counting and forces OUT low', () => {
    const { io, at, status } = setup();
    io.out(0x43, 1, 0x30);
    io.out(0x40, 1, 4);
    io.out(0x40, 1, 0);
    at(10);
    expect(status(0) >> 7).toBe(1);
    io.out(0x40, 1, 4);
    expect(status(0) >> 7).toBe(0);
    expect(status(0) & 0x40).toBe(0x40); // null count until the count is complete
    io.out(0x40, 1, 0);
    expect(status(0) & 0x40).toBe(0);
  });

  it('mode 4 (software strobe): one-tick low pulse at terminal count', () => {
    const { io, edges, at } = setup();
    io.out(0x43, 1, 0x38);
    io.out(0x40, 1, 7);
    io.out(0x40, 1, 0);
    at(30);
    expect(edges.filter(([t]) => t > 0)).toEqual([[7, 0], [8, 1]]);
  });

  it('mode 1 on channel 2: gate rising edge triggers a low one-shot of N ticks, retriggerable', () => {
    const { io, at } = setup();
    io.out(0x43, 1, 0xb2); // ch2, lo/hi, mode 1
    io.out(0x42, 1, 10);
    io.out(0x42, 1, 0);
    expect(io.in(0x61, 1) & 0x20).toBe(0x20); // OUT2 high until triggered
    at(5);
    io.out(0x61, 1, 0x01); // gate rising edge at tick 5
    expect(io.in(0x61, 1) & 0x21).toBe(0x01);
    at(14);
    expect(io.in(0x61, 1) & 0x20).toBe(0);
    io.out(0x61, 1, 0x00);
    io.out(0x61, 1, 0x01); // retrigger at 14
    at(23);
    expect(io.in(0x61, 1) & 0x20).toBe(0);
    at(24);
    expect(io.in(0x61, 1) & 0x20).toBe(0x20);
  });

  it('mode 5 (hardware strobe): strobe N ticks after the gate edge', () => {
    const { io, at, status } = setup();
    io.out(0x43, 1, 0x9a); // ch2, LSB only, mode 5
    io.out(0x42, 1, 4);
    at(100);
    expect(status(2) >> 7).toBe(1);
    io.out(0x61, 1, 1);
    at(104);
    expect(status(2) >> 7).toBe(0);
    at(105);
    expect(status(2) >> 7).toBe(1);
  });

  it('modes 0/4 gate low pauses counting; modes 2/3 gate low forces OUT high and rising edge reloads', () => {
    const { io, at, pit } = setup();
    io.out(0x61, 1, 1);
    io.out(0x43, 1, 0xb0); // ch2 mode 0
    io.out(0x42, 1, 20);
    io.out(0x42, 1, 0);
    at(5);
    io.out(0x61, 1, 0);
    at(50);
    expect(pit.peekCount(2)).toBe(15);
    io.out(0x61, 1, 1);
    at(64);
    expect(io.in(0x61, 1) & 0x20).toBe(0);
    at(65);
    expect(io.in(0x61, 1) & 0x20).toBe(0x20);

    io.out(0x43, 1, 0xb6); // ch2 mode 3, count 8
    io.out(0x42, 1, 8);
    io.out(0x42, 1, 0);
    at(65 + 5);
    expect(io.in(0x61, 1) & 0x20).toBe(0);
    io.out(0x61, 1, 0);
    expect(io.in(0x61, 1) & 0x20).toBe(0x20);
    at(100);
    io.out(0x61, 1, 1); // reload
    at(103);
    expect(io.in(0x61, 1) & 0x20).toBe(0x20);
    at(104);
    expect(io.in(0x61, 1) & 0x20).toBe(0);
  });

  it('counter latch holds the value across time; LSB/MSB access modes', () => {
    const { io, at } = setup();
    io.out(0x43, 1, 0x34);
    io.out(0x40, 1, 0x00);
    io.out(0x40, 1, 0x10); // 0x1000
    at(0x10);
    io.out(0x43, 1, 0x00);
    at(0x200);
    expect(io.in(0x40, 1)).toBe(0xf0);
    expect(io.in(0x40, 1)).toBe(0x0f);
    // Live reads alternate LSB/MSB.
    expect(io.in(0x40, 1)).toBe(0x00);
    expect(io.in(0x40, 1)).toBe(0x0e);
    io.out(0x43, 1, 0x24); // MSB only, mode 2
    io.out(0x40, 1, 0x20); // count 0x2000
    at(0x200 + 0x300);
    expect(io.in(0x40, 1)).toBe(0x1d);
  });

  it('read-back: status byte fields and count latch together', () => {
    const { io, at } = setup();
    io.out(0x43, 1, 0xb5); // ch2, lo/hi, mode 2, BCD
    io.out(0x42, 1, 0x00);
    io.out(0x42, 1, 0x01); // BCD 0100 = 100 ticks
    io.out(0x61, 1, 1);
    at(1);
    io.out(0x43, 1, 0xc8); // read-back count+status of ch2
    expect(io.in(0x42, 1)).toBe(0x80 | 0x30 | (2 << 1) | 1); // OUT high, lo/hi, mode 2, BCD
    expect(io.in(0x42, 1)).toBe(0x99);
    expect(io.in(0x42, 1)).toBe(0x00);
  });

  it('port 0x61: speaker data bit, gate, refresh toggle from virtual time', () => {
    const { io, at } = setup();
    io.out(0x61, 1, 0x03);
    expect(io.in(0x61, 1) & 0x0f).toBe(0x03);
    at(18 * 10);
    const a = io.in(0x61, 1) & 0x10;
    at(18 * 11);
    const b = io.in(0x61, 1) & 0x10;
    expect(a ^ b).toBe(0x10);
  });

  it('the 18.2 Hz BIOS tick: count 0 = 65536 in mode 3', () => {
    const { io, edges, clock, at } = setup();
    io.out(0x43, 1, 0x36);
    io.out(0x40, 1, 0);
    io.out(0x40, 1, 0);
    at(PIT_FREQ); // one second
    expect(edges.filter(([t, l]) => t > 0 && l === 1).length).toBe(18);
    expect(clock.now()).toBeGreaterThanOrEqual(1e9);
  });

  it('power-on state (as QEMU): mode 3, count 65536, channel 0 running, channel 2 waiting for its gate', () => {
    const { status, edges, at } = setup();
    expect(status(0)).toBe(0x86); // OUT high, no access mode yet (QEMU), mode 3
    expect(status(2)).toBe(0x86);
    at(65536 * 2 + 1);
    expect(edges.filter(([t]) => t > 0)).toEqual([[32768, 0], [65536, 1], [98304, 0], [131072, 1]]);
  });

  it('port 0x61 save/load keeps the written bits (gate state travels with the PIT)', () => {
    const a = setup();
    a.io.out(0x61, 1, 0x0b);
    const b = setup();
    b.pit.loadState(JSON.parse(JSON.stringify(a.pit.saveState())));
    b.p61.loadState(JSON.parse(JSON.stringify(a.p61.saveState())));
    expect(b.io.in(0x61, 1) & 0x0f).toBe(0x0b);
    expect(b.pit.getGate(2)).toBe(1);
  });

  it('save/load round trip continues the same waveform', () => {
    const a = setup();
    a.io.out(0x43, 1, 0x34);
    a.io.out(0x40, 1, 50);
    a.io.out(0x40, 1, 0);
    a.at(120);
    const st = JSON.parse(JSON.stringify(a.pit.saveState()));
    const b = setup();
    b.clock.loadState(a.clock.saveState());
    b.pit.loadState(st);
    b.edges.length = 0;
    a.edges.length = 0;
    a.at(400);
    b.at(400);
    expect(b.edges).toEqual(a.edges);
    expect(b.pit.saveState()).toEqual(a.pit.saveState());
  });
});
