import { describe, expect, it } from 'vitest';
import { IoSpace, IoMapError } from '../../src/memory/io-space.js';
import type { RegionOps } from '../../src/devices/device.js';
import type { AccessSize } from '../../src/memory/types.js';

/** A byte-register device that logs every access it receives. */
function regs(count: number, log: string[]): RegionOps & { mem: Uint8Array } {
  const mem = new Uint8Array(count);
  return {
    mem,
    read(off: number, size: AccessSize) {
      log.push(`r${off}/${size}`);
      let v = 0;
      for (let i = 0; i < size; i++) v |= mem[off + i]! << (8 * i);
      return v >>> 0;
    },
    write(off: number, size: AccessSize, value: number) {
      log.push(`w${off}/${size}=${value.toString(16)}`);
      for (let i = 0; i < size; i++) mem[off + i] = value >>> (8 * i);
    },
  };
}

describe('IoSpace', () => {
  it('dispatches in-range accesses with the offset relative to the base', () => {
    const io = new IoSpace();
    const log: string[] = [];
    const d = regs(4, log);
    io.register(0x3f8, 4, d, { name: 'dev', maxSize: 4 });
    io.out(0x3f9, 2, 0xbeef);
    expect(io.in(0x3f9, 2)).toBe(0xbeef);
    expect(io.in(0x3f8, 4)).toBe(0x00beef00);
    expect(log).toEqual(['w1/2=beef', 'r1/2', 'r0/4']);
  });

  it('splits a 16-bit IN on an 8-bit device into two byte reads, little-endian', () => {
    const io = new IoSpace();
    const log: string[] = [];
    const d = regs(2, log);
    d.mem.set([0x34, 0x12]);
    io.register(0x70, 2, d, { name: 'rtc', maxSize: 1 });
    expect(io.in(0x70, 2)).toBe(0x1234);
    expect(log).toEqual(['r0/1', 'r1/1']);
    log.length = 0;
    io.out(0x70, 2, 0xabcd);
    expect(log).toEqual(['w0/1=cd', 'w1/1=ab']);
  });

  it('widens narrow accesses to minSize', () => {
    const io = new IoSpace();
    const log: string[] = [];
    const d = regs(4, log);
    d.mem.set([0x11, 0x22, 0x33, 0x44]);
    io.register(0xcf8, 4, d, { name: 'w', minSize: 4, maxSize: 4 });
    expect(io.in(0xcf8, 1)).toBe(0x11);
    io.out(0xcf8, 2, 0x5566);
    expect(log).toEqual(['r0/4', 'w0/4=5566']);
  });

  it('reads all ones from unassigned ports, drops writes, and fires probes', () => {
    const io = new IoSpace();
    const seen: number[][] = [];
    io.unassignedRead.attach((_s, a, b) => seen.push([0, a, b]));
    io.unassignedWrite.attach((_s, a, b, c) => seen.push([1, a, b, c]));
    expect(io.in(0x1234, 1)).toBe(0xff);
    expect(io.in(0x1234, 2)).toBe(0xffff);
    expect(io.in(0x1234, 4)).toBe(0xffffffff);
    io.out(0x99, 2, 0x1ffff);
    expect(seen).toEqual([[0, 0x1234, 1], [0, 0x1234, 2], [0, 0x1234, 4], [1, 0x99, 2, 0xffff]]);
  });

  it('splits accesses that straddle a device boundary into bytes', () => {
    const io = new IoSpace();
    const log: string[] = [];
    const d = regs(1, log);
    d.mem[0] = 0x42;
    io.register(0x80, 1, d, { name: 'post' });
    expect(io.in(0x80, 2)).toBe(0xff42);
    expect(io.in(0x7f, 4)).toBe(0xffff42ff);
  });

  it('rejects overlaps with a typed error and supports unregister', () => {
    const io = new IoSpace();
    io.register(0x20, 2, regs(2, []), { name: 'pic' });
    expect(() => io.register(0x21, 1, regs(1, []), { name: 'x' })).toThrow(IoMapError);
    expect(() => io.register(0xffff, 2, regs(2, []), { name: 'x' })).toThrow(/outside/);
    expect(io.ownerOf(0x21)).toBe('pic');
    expect(io.unregister(0x20)).toBe(true);
    expect(io.in(0x20, 1)).toBe(0xff);
    io.register(0x21, 1, regs(1, []), { name: 'x' });
    expect(io.list().map((r) => r.name)).toEqual(['x']);
  });
});
