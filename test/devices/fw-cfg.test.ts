import { describe, expect, it } from 'vitest';
import { FwCfg, FW_CFG } from '../../src/devices/fw-cfg.js';
import { IoSpace } from '../../src/memory/io-space.js';
import { AddressSpace, MemoryRegion } from '../../src/memory/address-space.js';

function readItem(io: IoSpace, sel: number, n: number): number[] {
  io.out(0x510, 2, sel);
  const out = [];
  for (let i = 0; i < n; i++) out.push(io.in(0x511, 1));
  return out;
}

function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

describe('FwCfg', () => {
  it('signature "QEMU", ID = 1 without DMA, reads past the end return 0', () => {
    const fw = new FwCfg();
    const io = new IoSpace();
    io.registerAll(fw.ioRegions());
    expect(String.fromCharCode(...readItem(io, FW_CFG.SIGNATURE, 4))).toBe('QEMU');
    expect(readItem(io, FW_CFG.ID, 4)).toEqual([1, 0, 0, 0]);
    expect(readItem(io, FW_CFG.SIGNATURE, 6)).toEqual([0x51, 0x45, 0x4d, 0x55, 0, 0]);
    expect(readItem(io, 0x1234, 2)).toEqual([0, 0]);
    expect(io.in(0x514, 1)).toBe(0xff); // no DMA registers
  });

  it('numeric items are little-endian; arch-local keys are separate', () => {
    const fw = new FwCfg();
    const io = new IoSpace();
    io.registerAll(fw.ioRegions());
    fw.setRamSize(0x1_2345_6780);
    fw.setCpuCount(2);
    expect(readItem(io, FW_CFG.MAX_CPUS, 2)).toEqual([2, 0]);
    fw.addI32(FW_CFG.IRQ0_OVERRIDE, 1);
    expect(readItem(io, FW_CFG.RAM_SIZE, 8)).toEqual([0x80, 0x67, 0x45, 0x23, 1, 0, 0, 0]);
    expect(readItem(io, FW_CFG.NB_CPUS, 2)).toEqual([2, 0]);
    expect(readItem(io, FW_CFG.IRQ0_OVERRIDE, 4)).toEqual([1, 0, 0, 0]);
    expect(readItem(io, FW_CFG.IRQ0_OVERRIDE & 0x7fff, 4)).toEqual([0, 0, 0, 0]);
  });

  it('file directory: big-endian count and entries, sorted by name, selectors renumbered', () => {
    const fw = new FwCfg();
    const io = new IoSpace();
    io.registerAll(fw.ioRegions());
    fw.addFile('etc/sercon-port', new Uint8Array([0xf8, 0x03, 0, 0]));
    fw.addFile('bootorder', new TextEncoder().encode('/pci@i0cf8/ide@1,1/drive@0/disk@0\n'));
    fw.addFile('etc/e820', new Uint8Array(40));
    const dir = new Uint8Array(readItem(io, FW_CFG.FILE_DIR, 4 + 3 * 64));
    const v = new DataView(dir.buffer);
    expect(v.getUint32(0)).toBe(3);
    const entries = [0, 1, 2].map((i) => {
      const o = 4 + i * 64;
      const nameBytes = dir.subarray(o + 8, o + 64);
      const name = new TextDecoder().decode(nameBytes.subarray(0, nameBytes.indexOf(0)));
      return [name, v.getUint32(o), v.getUint16(o + 4)];
    });
    expect(entries).toEqual([
      ['bootorder', 34, 0x20],
      ['etc/e820', 40, 0x21],
      ['etc/sercon-port', 4, 0x22],
    ]);
    expect(fw.fileSelector('etc/sercon-port')).toBe(0x22);
    expect(readItem(io, 0x22, 4)).toEqual([0xf8, 0x03, 0, 0]);
    expect(String.fromCharCode(...readItem(io, 0x20, 9))).toBe('/pci@i0cf');
  });

  it('DMA: ID reports DMA, signature at 0x514, READ/SELECT/SKIP transfers write control back as 0', () => {
    const ram = new Uint8Array(0x10000);
    const root = MemoryRegion.container('system', 2 ** 32);
    root.addSubregion(0, MemoryRegion.ram('ram', ram));
    const as = new AddressSpace(root);
    const fw = new FwCfg({ dma: as });
    fw.addFile('etc/blob', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    const io = new IoSpace();
    io.registerAll(fw.ioRegions());
    expect(readItem(io, FW_CFG.ID, 1)).toEqual([3]);
    const sig = [];
    for (let i = 0; i < 8; i++) sig.push(io.in(0x514 + i, 1));
    expect(String.fromCharCode(...sig)).toBe('QEMU CFG');
    // FWCfgDmaAccess at 0x1000: SELECT(0x20)|SKIP 2 bytes, then READ 4 bytes to 0x2000.
    const desc = new DataView(ram.buffer, 0x1000, 16);
    desc.setUint32(0, (0x20 << 16) | 0x08 | 0x04);
    desc.setUint32(4, 2);
    desc.setUint32(8, 0);
    desc.setUint32(12, 0x2000);
    io.out(0x514, 4, bswap32(0));
    io.out(0x518, 4, bswap32(0x1000));
    expect(desc.getUint32(0)).toBe(0);
    desc.setUint32(0, 0x02);
    desc.setUint32(4, 10); // 6 left in the item, then zeros
    ram.fill(0xee, 0x2000, 0x2010);
    io.out(0x518, 4, bswap32(0x1000));
    expect(desc.getUint32(0)).toBe(0);
    expect([...ram.subarray(0x2000, 0x200b)]).toEqual([3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0xee]);
    desc.setUint32(0, 0x10); // WRITE: not allowed
    desc.setUint32(4, 1);
    io.out(0x518, 4, bswap32(0x1000));
    expect(desc.getUint32(0)).toBe(1);
  });

  it('rejects bad host input with typed errors', () => {
    const fw = new FwCfg();
    expect(() => fw.addItem(0x25, new Uint8Array(1))).toThrow(/addFile/);
    expect(() => fw.addFile('x'.repeat(56), new Uint8Array(1))).toThrow(/1\.\.55/);
  });

  it('save/load keeps the selection and offset', () => {
    const a = new FwCfg();
    const io = new IoSpace();
    io.registerAll(a.ioRegions());
    readItem(io, FW_CFG.SIGNATURE, 2);
    const b = new FwCfg();
    const io2 = new IoSpace();
    io2.registerAll(b.ioRegions());
    b.loadState(JSON.parse(JSON.stringify(a.saveState())));
    expect([io2.in(0x511, 1), io2.in(0x511, 1)]).toEqual([io.in(0x511, 1), io.in(0x511, 1)]);
  });
});
