import { describe, expect, it } from 'vitest';
import { Dma8237, type DmaMemory } from '../../src/devices/dma8237.js';
import { Fdc82077, floppyFormatFor } from '../../src/devices/fdc82077.js';

class Ram implements DmaMemory {
  readonly bytes = new Uint8Array(0x100000);
  readBytes(addr: number, n: number): Uint8Array {
    return this.bytes.slice(addr, addr + n);
  }
  writeBytes(addr: number, b: Uint8Array): void {
    this.bytes.set(b, addr);
  }
}

class Line {
  level = 0;
  edges = 0;
  set(l: 0 | 1): void {
    if (l && !this.level) this.edges++;
    this.level = l;
  }
}

/** 1.44 MB image: byte 0..3 of each sector = LBA, rest = (lba + i) & 0xff. */
function makeImage(bytes = 1474560): Uint8Array {
  const img = new Uint8Array(bytes);
  for (let lba = 0; lba < bytes / 512; lba++) {
    const o = lba * 512;
    for (let i = 0; i < 512; i++) img[o + i] = (lba + i) & 0xff;
    img[o] = lba & 0xff;
    img[o + 1] = lba >> 8;
  }
  return img;
}

function setup(image = makeImage(), readOnly = false) {
  const ram = new Ram();
  const dma = new Dma8237({ memory: ram });
  const irq = new Line();
  const fdc = new Fdc82077({ irq, dma, drives: [{ image, readOnly }] });
  const out = (port: number, v: number) => {
    if (port === 0x3f7) fdc.dirOps.write(0, 1, v);
    else if (port >= 0x3f0 && port <= 0x3f5) fdc.ops.write(port - 0x3f0, 1, v);
    else if (port < 0x10) dma.dma1.write(port, 1, v);
    else dma.page.write(port - 0x81, 1, v);
  };
  const inp = (port: number) => (port === 0x3f7 ? fdc.dirOps.read(0, 1) : fdc.ops.read(port - 0x3f0, 1));
  const msr = () => inp(0x3f4);
  /** Send a command like SeaBIOS's floppy_pio (checking RQM/DIO), return the result bytes. */
  const command = (bytes: number[], resultLen: number): number[] => {
    for (const b of bytes) {
      expect(msr() & 0xc0).toBe(0x80);
      out(0x3f5, b);
    }
    const res: number[] = [];
    for (let i = 0; i < resultLen; i++) {
      expect(msr() & 0xc0).toBe(0xc0);
      res.push(inp(0x3f5));
    }
    expect(msr() & 0xd0).toBe(0x80);
    return res;
  };
  const dmaSetup = (addr: number, bytes: number, mode: number) => {
    out(0x0a, 0x06);
    out(0x0c, 0);
    out(0x04, addr & 0xff);
    out(0x04, (addr >> 8) & 0xff);
    out(0x0c, 0);
    out(0x05, (bytes - 1) & 0xff);
    out(0x05, (bytes - 1) >> 8);
    out(0x0b, mode);
    out(0x81, addr >> 16);
    out(0x0a, 0x02);
  };
  return { ram, dma, irq, fdc, image, out, inp, msr, command, dmaSetup };
}

describe('Fdc82077', () => {
  it('media formats by image size', () => {
    expect(floppyFormatFor(1474560).name).toBe('1.44M');
    expect(floppyFormatFor(737280).name).toBe('720K');
    expect(floppyFormatFor(1228800).name).toBe('1.2M');
    expect(floppyFormatFor(2949120).name).toBe('2.88M');
    expect(floppyFormatFor(1000000).name).toBe('1.2M');
  });

  it('power-on: DOR 0x0C, MSR RQM, VERSION 0x90, DIR disk change set', () => {
    const t = setup();
    expect(t.inp(0x3f2)).toBe(0x0c);
    expect(t.msr()).toBe(0x80);
    expect(t.command([0x10], 1)).toEqual([0x90]);
    expect(t.inp(0x3f7) & 0x80).toBe(0x80);
    expect(t.command([0x55], 1)).toEqual([0x80]); // invalid
  });

  it('reset through DOR: IRQ6, then SENSE INTERRUPT STATUS x4 (C0..C3), then invalid', () => {
    const t = setup();
    t.out(0x3f2, 0x08);
    expect(t.msr()).toBe(0);
    expect(t.irq.level).toBe(0);
    t.out(0x3f2, 0x0c);
    expect(t.irq.level).toBe(1);
    expect(t.command([0x08], 2)).toEqual([0xc0, 0]);
    expect(t.irq.level).toBe(0);
    expect(t.command([0x08], 2)).toEqual([0xc1, 0]);
    expect(t.command([0x08], 2)).toEqual([0xc2, 0]);
    expect(t.command([0x08], 2)).toEqual([0xc3, 0]);
    expect(t.command([0x08], 1)).toEqual([0x80]);
  });

  it('DSR software reset behaves the same; IRQ gated by DOR bit 3', () => {
    const t = setup();
    t.out(0x3f2, 0x04); // gate off
    t.out(0x3f4, 0x80);
    expect(t.irq.level).toBe(0);
    t.out(0x3f2, 0x0c);
    expect(t.irq.level).toBe(1);
    expect(t.command([0x08], 2)).toEqual([0xc0, 0]);
  });

  it('SPECIFY, CONFIGURE, LOCK, DUMPREG', () => {
    const t = setup();
    expect(t.command([0x03, 0xaf, 0x02], 0)).toEqual([]);
    expect(t.command([0x13, 0x00, 0x47, 0x05], 0)).toEqual([]);
    expect(t.command([0x94], 1)).toEqual([0x10]);
    const d = t.command([0x0e], 10);
    expect(d).toEqual([0, 0, 0, 0, 0xaf, 0x02, 0, 0x80, 0x47, 0x05]);
    // LOCK keeps CONFIGURE across a software reset; SPECIFY survives anyway.
    t.out(0x3f4, 0x80);
    for (let i = 0; i < 4; i++) t.command([0x08], 2);
    expect(t.command([0x0e], 10).slice(4, 10)).toEqual([0xaf, 0x02, 0, 0x80, 0x47, 0x05]);
    expect(t.command([0x14], 1)).toEqual([0x00]);
  });

  it('RECALIBRATE and SEEK: IRQ, drive busy until SENSE INTERRUPT, ST0 SE + PCN, DSKCHG cleared', () => {
    const t = setup();
    t.out(0x3f2, 0x1c);
    t.command([0x0f, 0x00, 10], 0);
    expect(t.irq.level).toBe(1);
    expect(t.msr() & 0x01).toBe(0x01);
    expect(t.command([0x08], 2)).toEqual([0x20, 10]);
    expect(t.irq.level).toBe(0);
    expect(t.msr() & 0x0f).toBe(0);
    expect(t.inp(0x3f7) & 0x80).toBe(0);
    t.command([0x07, 0x00], 0);
    expect(t.command([0x08], 2)).toEqual([0x20, 0]);
    expect(t.command([0x04, 0x04], 1)).toEqual([0x20 | 0x10 | 0x08 | 0x04]);
    // Absent drive 1: recalibrate reports equipment check.
    t.command([0x07, 0x01], 0);
    expect(t.command([0x08], 2)).toEqual([0x71, 0]);
    // Relative seek in by 5 then out by 2.
    t.command([0xcf, 0x00, 5], 0);
    expect(t.command([0x08], 2)).toEqual([0x20, 5]);
    t.command([0x8f, 0x00, 2], 0);
    expect(t.command([0x08], 2)).toEqual([0x20, 3]);
  });

  it('READ DATA via DMA channel 2: multi-sector to TC, result ST0-ST2/C/H/R/N, IRQ6', () => {
    const t = setup();
    t.out(0x3f7, 0x00); // 500 kb/s
    t.command([0x07, 0x00], 0);
    t.command([0x08], 2);
    // Read C=2 H=1 R=5..7 (3 sectors) into 0x10000.
    t.dmaSetup(0x10000, 3 * 512, 0x46);
    for (const b of [0xe6, 0x04, 2, 1, 5, 2, 7, 0x1b, 0xff]) t.out(0x3f5, b);
    expect(t.irq.level).toBe(1);
    const r: number[] = [];
    for (let i = 0; i < 7; i++) r.push(t.inp(0x3f5));
    expect(r).toEqual([0x20, 0x00, 0x00, 3, 0, 1, 2]); // implied seek 0->2 (SE); final sector = EOT, MT, head 1 -> C+1, H0, R1
    expect(t.irq.level).toBe(0);
    const lba = (2 * 2 + 1) * 18 + 4;
    expect(Array.from(t.ram.bytes.subarray(0x10000, 0x10000 + 3 * 512))).toEqual(Array.from(t.image.subarray(lba * 512, (lba + 3) * 512)));
    expect(t.ram.bytes[0x10000 + 3 * 512]).toBe(0);
    expect(t.inp(0x08) & 0x04).toBe(0x04); // DMA TC for channel 2
  });

  it('READ DATA multi-track across heads; final sector = EOT advances C (MT on head 1)', () => {
    const t = setup();
    t.out(0x3f7, 0x00);
    // C=0 H=0 R=17 .. H=1 R=18: 2 + 18 sectors, ends at EOT on head 1 with TC.
    t.dmaSetup(0x20000, 20 * 512, 0x46);
    for (const b of [0xe6, 0x00, 0, 0, 17, 2, 18, 0x1b, 0xff]) t.out(0x3f5, b);
    const r: number[] = [];
    for (let i = 0; i < 7; i++) r.push(t.inp(0x3f5));
    expect(r).toEqual([0x00, 0, 0, 1, 0, 1, 2]);
    expect(t.ram.bytes[0x20000]).toBe(16);
    expect(t.ram.bytes[0x20000 + 19 * 512]).toBe(35);
  });

  it('READ DATA without MT running past EOT without TC: end of cylinder', () => {
    const t = setup();
    t.out(0x3f7, 0x00);
    t.dmaSetup(0x20000, 4 * 512, 0x46);
    for (const b of [0x46, 0x00, 0, 0, 17, 2, 18, 0x1b, 0xff]) t.out(0x3f5, b);
    const r: number[] = [];
    for (let i = 0; i < 7; i++) r.push(t.inp(0x3f5));
    expect(r).toEqual([0x40, 0x80, 0, 1, 0, 1, 2]);
  });

  it('data-rate mismatch and missing sector fail like real media sensing', () => {
    const t = setup();
    t.out(0x3f7, 0x02); // 250 kb/s: wrong for 1.44M
    t.out(0x3f5, 0x4a);
    t.out(0x3f5, 0x00);
    const r: number[] = [];
    for (let i = 0; i < 7; i++) r.push(t.inp(0x3f5));
    expect(r.slice(0, 2)).toEqual([0x40, 0x01]);
    t.out(0x3f7, 0x00);
    t.out(0x3f5, 0x4a);
    t.out(0x3f5, 0x00);
    const id: number[] = [];
    for (let i = 0; i < 7; i++) id.push(t.inp(0x3f5));
    expect(id).toEqual([0x00, 0, 0, 0, 0, 1, 2]);
    // Sector 19 does not exist on a 1.44M track.
    t.dmaSetup(0x1000, 512, 0x46);
    for (const b of [0xe6, 0x00, 0, 0, 19, 2, 19, 0x1b, 0xff]) t.out(0x3f5, b);
    const e: number[] = [];
    for (let i = 0; i < 7; i++) e.push(t.inp(0x3f5));
    expect(e.slice(0, 3)).toEqual([0x40, 0x04, 0]);
  });

  it('WRITE DATA via DMA; write-protected media reports NW', () => {
    const t = setup();
    t.out(0x3f7, 0x00);
    t.ram.bytes.fill(0x5a, 0x3000, 0x3200);
    t.dmaSetup(0x3000, 512, 0x4a);
    for (const b of [0xc5, 0x00, 1, 0, 1, 2, 1, 0x1b, 0xff]) t.out(0x3f5, b);
    const r: number[] = [];
    for (let i = 0; i < 7; i++) r.push(t.inp(0x3f5));
    expect(r).toEqual([0x24, 0, 0, 1, 1, 1, 2]); // implied seek (SE); final sector = EOT, MT on head 0 -> head 1, R1
    expect(t.image[36 * 512]).toBe(0x5a);
    expect(t.image[36 * 512 + 511]).toBe(0x5a);
    const ro = setup(makeImage(), true);
    ro.out(0x3f7, 0x00);
    ro.dmaSetup(0x3000, 512, 0x4a);
    for (const b of [0xc5, 0x00, 1, 0, 1, 2, 1, 0x1b, 0xff]) ro.out(0x3f5, b);
    const w: number[] = [];
    for (let i = 0; i < 7; i++) w.push(ro.inp(0x3f5));
    expect(w.slice(0, 2)).toEqual([0x60, 0x02]); // implied seek to C1 (SE), then not writable
  });

  it('masked DMA channel holds the command in execution until unmasked', () => {
    const t = setup();
    t.out(0x3f7, 0x00);
    t.dmaSetup(0x4000, 512, 0x46);
    t.out(0x0a, 0x06); // mask channel 2 again
    for (const b of [0xe6, 0x00, 0, 0, 1, 2, 1, 0x1b, 0xff]) t.out(0x3f5, b);
    expect(t.msr()).toBe(0x10);
    expect(t.irq.level).toBe(0);
    t.out(0x0a, 0x02);
    expect(t.irq.level).toBe(1);
    expect(t.msr() & 0xc0).toBe(0xc0);
    expect(t.ram.bytes[0x4002]).toBe(2);
  });

  it('FORMAT TRACK fills sectors with the filler byte', () => {
    const t = setup();
    t.out(0x3f7, 0x00);
    const ids: number[] = [];
    for (let r = 1; r <= 18; r++) ids.push(0, 0, r, 2);
    t.ram.bytes.set(ids, 0x5000);
    t.dmaSetup(0x5000, ids.length, 0x4a);
    for (const b of [0x4d, 0x00, 2, 18, 0x6c, 0xf6]) t.out(0x3f5, b);
    const r: number[] = [];
    for (let i = 0; i < 7; i++) r.push(t.inp(0x3f5));
    expect(r[0]).toBe(0);
    expect(t.image[0]).toBe(0xf6);
    expect(t.image[17 * 512 + 511]).toBe(0xf6);
    expect(t.image[18 * 512]).toBe(18);
  });

  it('save/load round trip keeps positions and pending interrupt status', () => {
    const t = setup();
    t.command([0x03, 0xaf, 0x02], 0);
    t.command([0x0f, 0x00, 33], 0);
    const s = JSON.parse(JSON.stringify({ f: t.fdc.saveState(), d: t.dma.saveState() }));
    const u = setup();
    u.fdc.loadState(s.f);
    u.dma.loadState(s.d);
    expect(u.irq.level).toBe(1);
    expect(u.command([0x08], 2)).toEqual([0x20, 33]);
    expect(u.command([0x0e], 10).slice(4, 6)).toEqual([0xaf, 0x02]);
  });

  it('image shorthand option gives drive 0 that medium; drive 1 absent', () => {
    const fdc = new Fdc82077({ image: new Uint8Array(737280) });
    expect(fdc.mediaFormat(0)?.name).toBe('720K');
    expect(fdc.mediaFormat(1)).toBeUndefined();
    fdc.insertMedia(0, undefined);
    expect(fdc.mediaFormat(0)).toBeUndefined();
  });

  it('SeaBIOS floppy sequence: enable controller, recalibrate, READ ID media sense, read with 0xE6', () => {
    const t = setup();
    // floppy_disable_controller then floppy_enable_controller (waits for IRQ6, one sense)
    t.out(0x3f2, t.inp(0x3f2) & ~0x04);
    t.out(0x3f2, t.inp(0x3f2) | 0x04);
    expect(t.irq.level).toBe(1);
    expect(t.command([0x08], 2)[0]).toBe(0xc0);
    t.out(0x3f2, 0x1c); // motor A, DMA/IRQ, drive 0
    // floppy_drive_recal
    t.command([0x07, 0x00], 0);
    expect(t.irq.level).toBe(1);
    expect(t.command([0x08], 2)).toEqual([0x20, 0]);
    // floppy_drive_readid at the 1.44M rate (500K = 0)
    t.out(0x3f7, 0x00);
    for (const b of [0x4a, 0x00]) t.out(0x3f5, b);
    expect(t.irq.level).toBe(1);
    const id: number[] = [];
    for (let i = 0; i < 7; i++) id.push(t.inp(0x3f5));
    expect(id[0]! & 0xc0).toBe(0);
    // floppy_read of LBA 36..37 (C1 H0 S1-2) into 0x7c00 via DMA channel 2, mode 0x46
    t.dmaSetup(0x7c00, 1024, 0x46);
    for (const b of [0xe6, 0x00, 1, 0, 1, 2, 2, 0x1b, 0xff]) t.out(0x3f5, b);
    expect(t.irq.level).toBe(1);
    const r: number[] = [];
    for (let i = 0; i < 7; i++) r.push(t.inp(0x3f5));
    expect(r[0]! & 0xc0).toBe(0);
    expect(t.msr() & 0xd0).toBe(0x80);
    expect(t.ram.bytes[0x7c00]).toBe(36);
    expect(t.ram.bytes[0x7c00 + 512]).toBe(37);
  });

  it('non-DMA mode: READ DATA bytes through the FIFO, ends at EOT with EN; WRITE DATA likewise', () => {
    const t = setup();
    t.out(0x3f7, 0x00);
    t.command([0x03, 0xaf, 0x03], 0); // ND = 1
    for (const b of [0x46, 0x00, 2, 0, 17, 2, 18, 0x1b, 0xff]) t.out(0x3f5, b);
    expect(t.msr()).toBe(0xf0);
    expect(t.irq.level).toBe(1);
    const got: number[] = [];
    for (let i = 0; i < 1024; i++) got.push(t.inp(0x3f5));
    const lba = 2 * 36 + 16;
    expect(got).toEqual(Array.from(t.image.subarray(lba * 512, (lba + 2) * 512)));
    expect(t.msr() & 0xf0).toBe(0xd0);
    const r: number[] = [];
    for (let i = 0; i < 7; i++) r.push(t.inp(0x3f5));
    expect(r).toEqual([0x60, 0x80, 0, 3, 0, 1, 2]);
    expect(t.irq.level).toBe(0);
    // Write one sector (R = EOT = 5 on C3 H1).
    for (const b of [0x45, 0x04, 3, 1, 5, 2, 5, 0x1b, 0xff]) t.out(0x3f5, b);
    expect(t.msr()).toBe(0xb0);
    for (let i = 0; i < 512; i++) t.out(0x3f5, 0xc3);
    const w: number[] = [];
    for (let i = 0; i < 7; i++) w.push(t.inp(0x3f5));
    expect(w).toEqual([0x64, 0x80, 0, 4, 1, 1, 2]);
    const wl = (3 * 2 + 1) * 18 + 4;
    expect(t.image[wl * 512]).toBe(0xc3);
    expect(t.image[wl * 512 + 511]).toBe(0xc3);
    expect(t.image[(wl + 1) * 512]).toBe((wl + 1) & 0xff);
  });
});
