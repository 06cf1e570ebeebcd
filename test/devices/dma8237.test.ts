import { describe, expect, it } from 'vitest';
import { Dma8237, type DmaMemory } from '../../src/devices/dma8237.js';

class Ram implements DmaMemory {
  readonly bytes = new Uint8Array(0x40000);
  readBytes(addr: number, n: number): Uint8Array {
    return this.bytes.slice(addr, addr + n);
  }
  writeBytes(addr: number, b: Uint8Array): void {
    this.bytes.set(b, addr);
  }
}

function setup() {
  const ram = new Ram();
  const dma = new Dma8237({ memory: ram });
  const out = (port: number, v: number) => {
    if (port < 0x10) dma.dma1.write(port, 1, v);
    else if (port >= 0xc0) dma.dma2.write(port - 0xc0, 1, v);
    else dma.page.write(port - 0x81, 1, v);
  };
  const inp = (port: number) => (port < 0x10 ? dma.dma1.read(port, 1) : port >= 0xc0 ? dma.dma2.read(port - 0xc0, 1) : dma.page.read(port - 0x81, 1));
  return { ram, dma, out, inp };
}

/** Program channel 2 like SeaBIOS's floppy_cmd. */
function programCh2(t: ReturnType<typeof setup>, addr: number, count: number, mode: number) {
  t.out(0x0a, 0x06);
  t.out(0x0c, 0);
  t.out(0x04, addr & 0xff);
  t.out(0x04, (addr >> 8) & 0xff);
  t.out(0x0c, 0);
  t.out(0x05, count & 0xff);
  t.out(0x05, count >> 8);
  t.out(0x0b, mode);
  t.out(0x81, addr >> 16);
  t.out(0x0a, 0x02);
}

describe('Dma8237', () => {
  it('address and count registers go through the flip-flop', () => {
    const t = setup();
    t.out(0x0c, 0);
    t.out(0x04, 0x34);
    t.out(0x04, 0x12);
    t.out(0x0c, 0);
    expect(t.inp(0x04)).toBe(0x34);
    expect(t.inp(0x04)).toBe(0x12);
    t.out(0x05, 0xff);
    t.out(0x05, 0x01);
    expect(t.inp(0x05)).toBe(0xff);
    expect(t.inp(0x05)).toBe(0x01);
    // Stray write toggles the pointer: next read gets the high byte.
    t.out(0x0c, 0);
    t.inp(0x04);
    expect(t.inp(0x04)).toBe(0x12);
  });

  it('write transfer (device -> memory) with TC, status TC bit cleared on read, mask set at TC', () => {
    const t = setup();
    programCh2(t, 0x12000, 511, 0x46); // single, increment, write to memory, channel 2
    expect(t.dma.channelState(2).masked).toBe(false);
    const buf = new Uint8Array(1024).map((_, i) => i & 0xff);
    const n = t.dma.transfer(2, buf, 0, 1024);
    expect(n).toBe(512);
    expect(t.dma.lastTc).toBe(true);
    expect(Array.from(t.ram.bytes.subarray(0x12000, 0x12200))).toEqual(Array.from(buf.subarray(0, 512)));
    expect(t.ram.bytes[0x12200]).toBe(0);
    expect(t.inp(0x08) & 0x0f).toBe(0x04);
    expect(t.inp(0x08) & 0x0f).toBe(0x00);
    expect(t.dma.channelState(2).masked).toBe(true);
    expect(t.inp(0x0f) & 0x0f).toBe(0x0f);
    // Current address/count advanced
    t.out(0x0c, 0);
    expect(t.inp(0x04) | (t.inp(0x04) << 8)).toBe(0x2200);
    expect(t.inp(0x05) | (t.inp(0x05) << 8)).toBe(0xffff);
  });

  it('partial transfers keep counting; TC only when the count expires', () => {
    const t = setup();
    programCh2(t, 0x1000, 99, 0x46);
    const buf = new Uint8Array(60).fill(0xaa);
    expect(t.dma.transfer(2, buf, 0, 60)).toBe(60);
    expect(t.dma.lastTc).toBe(false);
    expect(t.dma.transfer(2, buf, 0, 60)).toBe(40);
    expect(t.dma.lastTc).toBe(true);
    expect(t.ram.bytes[0x1000 + 99]).toBe(0xaa);
    expect(t.ram.bytes[0x1000 + 100]).toBe(0);
  });

  it('read transfer (memory -> device), decrement mode, verify mode', () => {
    const t = setup();
    for (let i = 0; i < 16; i++) t.ram.bytes[0x2000 + i] = i + 1;
    programCh2(t, 0x2000, 15, 0x4a); // read
    const buf = new Uint8Array(16);
    t.dma.transfer(2, buf, 0, 16);
    expect(Array.from(buf)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    programCh2(t, 0x200f, 3, 0x6a); // read, decrement
    const b2 = new Uint8Array(4);
    t.dma.transfer(2, b2, 0, 4);
    expect(Array.from(b2)).toEqual([16, 15, 14, 13]);
    programCh2(t, 0x3000, 3, 0x42); // verify
    expect(t.dma.transfer(2, new Uint8Array(4).fill(9), 0, 4)).toBe(4);
    expect(t.ram.bytes[0x3000]).toBe(0);
  });

  it('auto-initialisation reloads base address/count at TC and leaves the channel unmasked', () => {
    const t = setup();
    programCh2(t, 0x4000, 3, 0x56);
    t.dma.transfer(2, new Uint8Array([1, 2, 3, 4]), 0, 4);
    expect(t.dma.lastTc).toBe(true);
    expect(t.dma.channelState(2)).toMatchObject({ address: 0x4000, count: 3, masked: false });
    t.dma.transfer(2, new Uint8Array([5, 6]), 0, 2);
    expect(Array.from(t.ram.bytes.subarray(0x4000, 0x4004))).toEqual([5, 6, 3, 4]);
  });

  it('masked channel or disabled controller moves nothing; addresses wrap inside 64 KiB', () => {
    const t = setup();
    programCh2(t, 0x1fffe, 3, 0x46);
    t.out(0x0a, 0x06);
    expect(t.dma.transfer(2, new Uint8Array(4), 0, 4)).toBe(0);
    t.out(0x0a, 0x02);
    t.out(0x08, 0x04);
    expect(t.dma.transfer(2, new Uint8Array(4), 0, 4)).toBe(0);
    t.out(0x08, 0x00);
    expect(t.dma.transfer(2, new Uint8Array([1, 2, 3, 4]), 0, 4)).toBe(4);
    expect([t.ram.bytes[0x1fffe], t.ram.bytes[0x1ffff], t.ram.bytes[0x10000], t.ram.bytes[0x10001]]).toEqual([1, 2, 3, 4]);
  });

  it('16-bit channels address words; page bit 0 ignored', () => {
    const t = setup();
    t.out(0xd4, 0x05); // mask ch5
    t.out(0xd8, 0);
    t.out(0xc4, 0x00);
    t.out(0xc4, 0x08); // word address 0x0800 -> byte 0x1000
    t.out(0xc6, 1);
    t.out(0xc6, 0); // 2 words
    t.out(0xd6, 0x45); // single, write, ch5
    t.out(0x8b, 0x03); // page 3 -> 0x20000 (bit 0 ignored)
    t.out(0xd4, 0x01);
    expect(t.dma.transfer(5, new Uint8Array([1, 2, 3, 4, 5, 6]), 0, 6)).toBe(4);
    expect(Array.from(t.ram.bytes.subarray(0x21000, 0x21005))).toEqual([1, 2, 3, 4, 0]);
    expect(t.inp(0xd0) & 0x0f).toBe(0x02);
  });

  it('DREQ: client serviced when the channel is unmasked; request bits in status', () => {
    const t = setup();
    const served: number[] = [];
    t.dma.connect(2, { dmaService: (ch) => { served.push(ch); t.dma.releaseService(ch); } });
    t.out(0x0a, 0x06);
    t.dma.requestService(2);
    expect(served).toEqual([]);
    expect(t.inp(0x08) & 0xf0).toBe(0x40);
    t.out(0x0a, 0x02);
    expect(served).toEqual([2]);
    expect(t.inp(0x08) & 0xf0).toBe(0x00);
  });

  it('master clear, clear mask, all-mask; page scratch registers; save/load', () => {
    const t = setup();
    t.out(0x0e, 0);
    expect(t.inp(0x0f) & 0x0f).toBe(0);
    t.out(0x0f, 0x05);
    expect(t.inp(0x0f) & 0x0f).toBe(5);
    t.out(0x0d, 0);
    expect(t.inp(0x0f) & 0x0f).toBe(0x0f);
    t.out(0x84, 0x77);
    expect(t.inp(0x84)).toBe(0x77);
    programCh2(t, 0x12345, 0x1ff, 0x46);
    const s = JSON.parse(JSON.stringify(t.dma.saveState()));
    const u = setup();
    u.dma.loadState(s);
    expect(u.dma.channelState(2)).toEqual(t.dma.channelState(2));
    expect(u.inp(0x84)).toBe(0x77);
    u.dma.reset();
    expect(u.dma.channelState(2).masked).toBe(true);
  });
});
