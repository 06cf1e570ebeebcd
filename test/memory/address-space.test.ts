import { describe, expect, it } from 'vitest';
import { AddressSpace, MemoryRegion, MemoryMapError } from '../../src/memory/address-space.js';
import type { RegionOps } from '../../src/devices/device.js';
import type { AccessSize } from '../../src/memory/types.js';

function logger(log: string[], value = 0): RegionOps {
  return {
    read(off: number, size: AccessSize) {
      log.push(`r${off.toString(16)}/${size}`);
      return value;
    },
    write(off: number, size: AccessSize, v: number) {
      log.push(`w${off.toString(16)}/${size}=${v.toString(16)}`);
    },
  };
}

describe('AddressSpace', () => {
  it('reads and writes RAM little-endian through the backing view', () => {
    const host = new Uint8Array(0x20000);
    const root = MemoryRegion.container('system', 2 ** 32);
    root.addSubregion(0, MemoryRegion.ram('ram', host.subarray(0x10000, 0x20000)));
    const as = new AddressSpace(root);
    as.write(0x100, 4, 0xdeadbeef);
    expect(host[0x10100]).toBe(0xef);
    expect(as.read(0x100, 4)).toBe(0xdeadbeef);
    expect(as.read(0x101, 2)).toBe(0xadbe);
    expect(as.read(0xfffe, 4)).toBe(0xffff0000); // straddles end of RAM
    const fv = as.ramPages();
    expect(fv).toHaveLength(1);
    expect(fv[0]!.hostAddr).toBe(0x10000);
    expect(fv[0]!.size).toBe(0x10000);
  });

  it('drops ROM writes but writeRom loads it', () => {
    const rom = new Uint8Array(0x1000);
    const root = MemoryRegion.container('system', 2 ** 32);
    root.addSubregion(0xf0000, MemoryRegion.rom('bios', rom));
    const as = new AddressSpace(root);
    as.write(0xf0000, 1, 0x55);
    expect(as.read(0xf0000, 1)).toBe(0);
    as.writeRom(0xf0000, new Uint8Array([1, 2, 3]));
    expect(as.read(0xf0000, 4)).toBe(0x030201);
    expect(as.flatView()[0]!.kind).toBe('rom');
  });

  it('splits MMIO accesses to the implemented sizes', () => {
    const log: string[] = [];
    const root = MemoryRegion.container('system', 2 ** 32);
    root.addSubregion(0xfee00000, MemoryRegion.mmio('dev', 0x1000, logger(log, 0xab), { maxSize: 1 }));
    root.addSubregion(0xfec00000, MemoryRegion.mmio('wide', 0x1000, logger(log, 0x12345678), { minSize: 4, maxSize: 4 }));
    const as = new AddressSpace(root);
    expect(as.read(0xfee00010, 4)).toBe(0xabababab);
    as.write(0xfee00010, 2, 0x1234);
    expect(as.read(0xfec00000, 1)).toBe(0x78);
    expect(log).toEqual(['r10/1', 'r11/1', 'r12/1', 'r13/1', 'w10/1=34', 'w11/1=12', 'r0/4']);
  });

  it('higher priority wins; equal priority: later-added wins; disabling shows what is below', () => {
    const low = new Uint8Array(0x3000).fill(1);
    const high = new Uint8Array(0x1000).fill(2);
    const late = new Uint8Array(0x1000).fill(3);
    const root = MemoryRegion.container('system', 0x10000);
    const hi = MemoryRegion.ram('hi', high);
    root.addSubregion(0x1000, hi, 1);
    root.addSubregion(0, MemoryRegion.ram('low', low));
    const l = MemoryRegion.ram('late', late);
    root.addSubregion(0x2000, l, 0);
    const as = new AddressSpace(root);
    expect([as.read(0x0, 1), as.read(0x1000, 1), as.read(0x2000, 1)]).toEqual([1, 2, 3]);
    hi.setEnabled(false);
    expect(as.read(0x1000, 1)).toBe(1);
    l.setEnabled(false);
    expect(as.read(0x2000, 1)).toBe(1);
    expect(as.flatView().map((r) => r.name)).toEqual(['low']);
  });

  it('aliases map a window of another region (offset relative to the target)', () => {
    const ram = new Uint8Array(0x100000);
    ram[0xc0000] = 0x77;
    const root = MemoryRegion.container('system', 2 ** 32);
    const ramMr = MemoryRegion.ram('pc.ram', ram);
    const lowAlias = MemoryRegion.alias('ram-below-a0000', ramMr, 0, 0xa0000);
    const shadow = MemoryRegion.alias('pam-c0000', ramMr, 0xc0000, 0x4000);
    root.addSubregion(0, lowAlias);
    root.addSubregion(0xc0000, shadow);
    const as = new AddressSpace(root);
    expect(as.read(0xc0000, 1)).toBe(0x77);
    expect(as.read(0xa0000, 1)).toBe(0xff); // hole (VGA window unassigned here)
    as.write(0xc0001, 1, 0x99);
    expect(ram[0xc0001]).toBe(0x99);
    const v = as.flatView();
    expect(v.map((r) => [r.start, r.size, r.offset, r.hostAddr])).toEqual([
      [0, 0xa0000, 0, 0],
      [0xc0000, 0x4000, 0xc0000, 0xc0000],
    ]);
    shadow.setAliasOffset(0);
    expect(as.read(0xc0000, 1)).toBe(ram[0]);
  });

  it('PAM-style shadowing: a read-only RAM alias over ROM, toggled at run time, with change notification', () => {
    const ram = new Uint8Array(0x100000);
    const bios = new Uint8Array(0x10000).fill(0xbb);
    const root = MemoryRegion.container('system', 2 ** 32);
    const ramMr = MemoryRegion.ram('pc.ram', ram);
    root.addSubregion(0xf0000, MemoryRegion.rom('bios', bios));
    const pam = MemoryRegion.alias('pam-f0000', ramMr, 0xf0000, 0x10000);
    root.addSubregion(0xf0000, pam, 1);
    pam.setEnabled(false);
    const as = new AddressSpace(root);
    let changes = 0;
    as.onChange(() => changes++);
    expect(as.read(0xf0000, 1)).toBe(0xbb);
    pam.setEnabled(true);
    expect(changes).toBe(1);
    expect(as.read(0xf0000, 1)).toBe(0);
    ramMr.setReadOnly(true);
    as.write(0xf0000, 1, 5);
    expect(as.read(0xf0000, 1)).toBe(0);
    expect(as.ramPages()[0]!.kind).toBe('rom');
    expect(changes).toBe(2);
  });

  it('sub-page dispatch: several ranges within one 4 KiB page', () => {
    const log: string[] = [];
    const ram = new Uint8Array(0x2000).fill(0x11);
    const root = MemoryRegion.container('system', 2 ** 32);
    root.addSubregion(0, MemoryRegion.ram('ram', ram));
    root.addSubregion(0x1100, MemoryRegion.mmio('a', 0x10, logger(log, 0xaa)), 1);
    root.addSubregion(0x1200, MemoryRegion.mmio('b', 0x10, logger(log, 0xbb)), 1);
    const as = new AddressSpace(root);
    expect(as.read(0x10ff, 1)).toBe(0x11);
    expect(as.read(0x1100, 1)).toBe(0xaa);
    expect(as.read(0x1205, 1)).toBe(0xbb);
    expect(as.read(0x1210, 1)).toBe(0x11);
    expect(log).toEqual(['r0/1', 'r5/1']);
    expect(as.flatView().map((r) => r.name)).toEqual(['ram', 'a', 'ram', 'b', 'ram']);
  });

  it('addresses above the page index use binary search (RAM above 4 GiB)', () => {
    const hi = new Uint8Array(0x1000);
    const root = MemoryRegion.container('system', 2 ** 40);
    root.addSubregion(2 ** 32 + 0x1000, MemoryRegion.ram('above-4g', hi));
    const as = new AddressSpace(root);
    as.write(2 ** 32 + 0x1004, 2, 0x1234);
    expect(hi[4]).toBe(0x34);
    expect(as.read(2 ** 32 + 0x1004, 2)).toBe(0x1234);
    expect(as.read(2 ** 32, 1)).toBe(0xff);
  });

  it('unassigned accesses fire probes with address and size', () => {
    const as = new AddressSpace(MemoryRegion.container('system', 2 ** 32));
    const seen: number[][] = [];
    as.unassignedRead.attach((_s, lo, hi, size) => seen.push([lo, hi, size]));
    as.unassignedWrite.attach((_s, lo, hi, size, v) => seen.push([lo, hi, size, v]));
    expect(as.read(0xfed00000, 4)).toBe(0xffffffff);
    as.write(0x1234, 2, 0xbeef);
    expect(seen).toEqual([[0xfed00000, 0, 4], [0x1234, 0, 2, 0xbeef]]);
  });

  it('readBytes/writeBytes span RAM, holes and MMIO', () => {
    const ram = new Uint8Array(0x1000);
    const root = MemoryRegion.container('system', 2 ** 32);
    root.addSubregion(0, MemoryRegion.ram('ram', ram));
    root.addSubregion(0x1004, MemoryRegion.mmio('m', 4, logger([], 0x5a)));
    const as = new AddressSpace(root);
    as.writeBytes(0xffe, new Uint8Array([1, 2, 3, 4]));
    expect([ram[0xffe], ram[0xfff]]).toEqual([1, 2]);
    const dst = new Uint8Array(8);
    as.readBytes(0xffe, dst);
    expect([...dst]).toEqual([1, 2, 0xff, 0xff, 0xff, 0xff, 0x5a, 0x5a]);
  });

  it('host errors are typed', () => {
    const root = MemoryRegion.container('system', 0x1000);
    const r = MemoryRegion.ram('r', new Uint8Array(16));
    root.addSubregion(0, r);
    expect(() => root.addSubregion(0x10, r)).toThrow(MemoryMapError);
    expect(() => r.addSubregion(0, MemoryRegion.container('c', 1))).toThrow(MemoryMapError);
    expect(() => MemoryRegion.container('z', 0)).toThrow(MemoryMapError);
  });
});
