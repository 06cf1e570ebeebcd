import { describe, expect, it } from 'vitest';
import { Mc146818, civilFromDays, daysFromCivil, rtcDateToSeconds } from '../../src/devices/mc146818.js';
import { VirtualClock } from '../../src/machine/clock.js';
import { IoSpace } from '../../src/memory/io-space.js';

function setup(start?: number | { year: number; month: number; day: number; hour?: number; minute?: number; second?: number }) {
  const clock = new VirtualClock(1);
  const irq: [number, number][] = [];
  const rtc = new Mc146818({ clock, irq: { set: (l) => irq.push([clock.now(), l]) }, ...(start !== undefined ? { start } : {}) });
  const io = new IoSpace();
  io.registerAll(rtc.ioRegions());
  const rd = (i: number) => {
    io.out(0x70, 1, i);
    return io.in(0x71, 1);
  };
  const wr = (i: number, v: number) => {
    io.out(0x70, 1, i);
    io.out(0x71, 1, v);
  };
  const at = (ns: number) => {
    while (clock.nextDeadline <= ns) {
      clock.advanceTo(clock.nextDeadline);
      clock.runDue();
    }
    clock.advanceTo(ns);
  };
  return { clock, rtc, io, rd, wr, irq, at };
}

describe('calendar helpers', () => {
  it('round-trip days <-> dates', () => {
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(daysFromCivil(2000, 3, 1)).toBe(11017);
    for (const d of [-1000, 0, 10957, 11016, 11017, 20000, 50000]) {
      const c = civilFromDays(d);
      expect(daysFromCivil(c.year, c.month, c.day)).toBe(d);
    }
    expect(rtcDateToSeconds({ year: 2000, month: 1, day: 1 })).toBe(946684800);
  });
});

describe('Mc146818', () => {
  it('defaults to 2000-01-01 00:00:00, BCD, 24h; register D VRT; century byte', () => {
    const { rd } = setup();
    expect([rd(0), rd(2), rd(4), rd(6), rd(7), rd(8), rd(9), rd(0x32)]).toEqual([0, 0, 0, 0x07, 0x01, 0x01, 0x00, 0x20]);
    expect(rd(0x0a)).toBe(0x26);
    expect(rd(0x0b)).toBe(0x02);
    expect(rd(0x0d)).toBe(0x80);
  });

  it('time advances with the virtual clock; BCD vs binary; 12-hour PM flag', () => {
    const { rd, wr, at } = setup({ year: 2024, month: 2, day: 28, hour: 23, minute: 59, second: 58 });
    at(3.5e9); // 2024-02-29 00:00:01 (leap year)
    expect([rd(9), rd(8), rd(7), rd(4), rd(2), rd(0)]).toEqual([0x24, 0x02, 0x29, 0x00, 0x00, 0x01]);
    expect(rd(6)).toBe(0x05); // Thursday
    wr(0x0b, 0x06); // binary, 24h
    expect([rd(9), rd(7), rd(0)]).toEqual([24, 29, 1]);
    wr(0x0b, 0x04); // binary, 12h: 00:00 -> 12 AM
    expect(rd(4)).toBe(12);
    at(3.5e9 + 13 * 3600e9); // 13:00:01 -> 1 PM
    expect(rd(4)).toBe(0x81);
    wr(0x0b, 0x00); // BCD 12h
    expect(rd(4)).toBe(0x81);
  });

  it('setting the time with SET: frozen while set, runs from the new value after', () => {
    const { rd, wr, at } = setup();
    at(5e8);
    wr(0x0b, 0x82); // SET, BCD, 24h
    wr(0x04, 0x13);
    wr(0x02, 0x45);
    wr(0x00, 0x30);
    wr(0x09, 0x99);
    wr(0x32, 0x19);
    at(10e9);
    expect([rd(4), rd(2), rd(0), rd(9), rd(0x32)]).toEqual([0x13, 0x45, 0x30, 0x99, 0x19]);
    expect(rd(0x0a) & 0x80).toBe(0); // no UIP while SET
    wr(0x0b, 0x02);
    at(12e9 + 1);
    expect(rd(0)).toBe(0x32);
  });

  it('UIP is set in the 244 us before each update', () => {
    const { rd, at } = setup();
    at(1e9 - 300000);
    expect(rd(0x0a) & 0x80).toBe(0);
    at(1e9 - 200000);
    expect(rd(0x0a) & 0x80).toBe(0x80);
    at(1e9 + 1);
    expect(rd(0x0a) & 0x80).toBe(0);
    expect(rd(0)).toBe(1);
  });

  it('periodic interrupt at the register A rate (RS=6: 1024 Hz), IRQ held until C is read', () => {
    const { rd, wr, at, irq } = setup();
    wr(0x0b, 0x42); // PIE
    at(976562);
    expect(irq).toEqual([]);
    at(976563);
    expect(irq).toEqual([[976563, 1]]);
    at(3e6); // more periods pass, IRQ stays high
    expect(irq.length).toBe(1);
    expect(rd(0x0c)).toBe(0xc0);
    expect(irq[1]![1]).toBe(0);
    expect(rd(0x0c)).toBe(0x00);
    wr(0x0a, 0x2f); // RS=15: 2 Hz
    irq.length = 0;
    at(3e6 + 5e8);
    expect(irq).toEqual([[5e8, 1]]);
  });

  it('PF without PIE is set in C (no IRQ) when a period boundary passed', () => {
    const { rd, at, irq } = setup();
    at(1e6);
    expect(rd(0x0c)).toBe(0x40);
    expect(rd(0x0c)).toBe(0x00);
    expect(irq).toEqual([]);
  });

  it('update-ended interrupt each second, alarm with don\'t-care bytes', () => {
    const { rd, wr, at, irq } = setup();
    wr(0x0b, 0x12); // UIE
    at(1e9);
    expect(irq).toEqual([[1e9, 1]]);
    expect(rd(0x0c)).toBe(0xd0); // PF is set too (rate 6 runs; PIE off)
    wr(0x0b, 0x22); // AIE only
    wr(0x01, 0x05); // alarm at hh:mm:05 any hour/minute
    wr(0x03, 0xc0);
    wr(0x05, 0xff);
    irq.length = 0;
    at(4.5e9);
    expect(irq).toEqual([]);
    at(5e9);
    expect(irq).toEqual([[5e9, 1]]);
    expect(rd(0x0c) & 0xb0).toBe(0xb0); // IRQF|AF|UF
  });

  it('epochSeconds option is a numeric start', () => {
    const clock = new VirtualClock(1);
    const rtc = new Mc146818({ clock, epochSeconds: rtcDateToSeconds({ year: 2021, month: 6, day: 15, hour: 8 }) });
    expect([rtc.getByte(9), rtc.getByte(8), rtc.getByte(7), rtc.getByte(4)]).toEqual([0x21, 0x06, 0x15, 0x08]);
  });

  it('port 0x70 bit 7 is the NMI mask; index reads back as 0xff', () => {
    const { io, rtc } = setup();
    io.out(0x70, 1, 0x8f);
    expect(rtc.nmiMasked).toBe(true);
    expect(io.in(0x70, 1)).toBe(0xff);
    io.out(0x70, 1, 0x0f);
    expect(rtc.nmiMasked).toBe(false);
  });

  it('memory-size bytes as QEMU pc_cmos_init; NVRAM read/write; checksum', () => {
    const { rtc, rd, wr } = setup();
    rtc.setMemorySize({ below4g: 32 * 1024 * 1024 });
    expect(rd(0x15) | (rd(0x16) << 8)).toBe(640);
    expect(rd(0x17) | (rd(0x18) << 8)).toBe(31 * 1024);
    expect(rd(0x30) | (rd(0x31) << 8)).toBe(31 * 1024);
    expect(rd(0x34) | (rd(0x35) << 8)).toBe((16 * 1024) / 64);
    expect([rd(0x5b), rd(0x5c), rd(0x5d)]).toEqual([0, 0, 0]);
    rtc.setMemorySize({ below4g: 3 * 2 ** 30, above4g: 2 ** 32 });
    expect(rd(0x17) | (rd(0x18) << 8)).toBe(65535);
    expect(rd(0x5b) | (rd(0x5c) << 8) | (rd(0x5d) << 16)).toBe(65536);
    rtc.setMemorySize(5 * 2 ** 30); // a total: 3.5 GiB below 4 GiB, 1.5 GiB above
    expect(rd(0x34) | (rd(0x35) << 8)).toBe((0xe0000000 - 16 * 2 ** 20) / 65536);
    expect(rd(0x5b) | (rd(0x5c) << 8) | (rd(0x5d) << 16)).toBe((1.5 * 2 ** 30) / 65536);
    wr(0x40, 0x5a);
    expect(rd(0x40)).toBe(0x5a);
    rtc.setByte(0x10, 0x40);
    rtc.updateChecksum();
    expect(rtc.getByte(0x2e) * 256 + rtc.getByte(0x2f)).toBeGreaterThan(0x40);
  });

  it('save/load round trip', () => {
    const a = setup();
    a.wr(0x0b, 0x52);
    a.wr(0x50, 0x77);
    a.at(2.2e9);
    const st = JSON.parse(JSON.stringify(a.rtc.saveState()));
    const b = setup();
    b.clock.loadState(a.clock.saveState());
    b.rtc.loadState(st);
    expect(b.rtc.saveState()).toEqual(a.rtc.saveState());
    a.at(5e9);
    b.at(5e9);
    for (const r of [0, 2, 4, 7, 0x0a, 0x0c, 0x50]) expect(b.rd(r)).toBe(a.rd(r));
  });
});
