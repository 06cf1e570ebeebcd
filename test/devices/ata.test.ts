import { describe, expect, it } from 'vitest';
import { AtaChannel, ATA_SR_DRQ, ATA_SR_ERR } from '../../src/devices/ata.js';

/** A disk image whose sector n is filled with (n * 7 + i) & 0xff, with n in the first 4 bytes. */
function makeImage(sectors: number): Uint8Array {
  const img = new Uint8Array(sectors * 512);
  for (let n = 0; n < sectors; n++) {
    for (let i = 0; i < 512; i++) img[n * 512 + i] = (n * 7 + i) & 0xff;
    img[n * 512] = n & 0xff;
    img[n * 512 + 1] = (n >>> 8) & 0xff;
    img[n * 512 + 2] = (n >>> 16) & 0xff;
  }
  return img;
}

class Line {
  level = 0;
  edges = 0;
  set(l: 0 | 1): void {
    if (l && !this.level) this.edges++;
    this.level = l;
  }
}

function setup(opts: { slave?: boolean; readOnly?: boolean; copyOnWrite?: boolean; sectors?: number } = {}) {
  const irq = new Line();
  const image = makeImage(opts.sectors ?? 4096);
  const ch = new AtaChannel({
    name: 'ata.primary',
    irq,
    master: { image, readOnly: opts.readOnly, copyOnWrite: opts.copyOnWrite },
    slave: opts.slave ? { image: makeImage(100) } : undefined,
  });
  const inb = (r: number) => ch.command.read(r, 1);
  const outb = (r: number, v: number) => ch.command.write(r, 1, v);
  const inw = () => ch.command.read(0, 2);
  const outw = (v: number) => ch.command.write(0, 2, v);
  const alt = () => ch.control.read(0, 1);
  const ctl = (v: number) => ch.control.write(0, 1, v);
  const readBlock = () => {
    const out = new Uint8Array(512);
    for (let i = 0; i < 256; i++) {
      const w = inw();
      out[i * 2] = w & 0xff;
      out[i * 2 + 1] = w >> 8;
    }
    return out;
  };
  return { ch, irq, image, inb, outb, inw, outw, alt, ctl, readBlock };
}

function word(b: Uint8Array, i: number): number {
  return b[i * 2]! | (b[i * 2 + 1]! << 8);
}

function ataString(b: Uint8Array, first: number, words: number): string {
  let s = '';
  for (let i = 0; i < words; i++) s += String.fromCharCode(b[(first + i) * 2 + 1]!, b[(first + i) * 2]!);
  return s.trimEnd();
}

describe('AtaChannel', () => {
  it('powers up with DRDY|DSC and the ATA signature', () => {
    const t = setup();
    expect(t.inb(7)).toBe(0x50);
    expect(t.inb(1)).toBe(0x01);
    expect([t.inb(2), t.inb(3), t.inb(4), t.inb(5), t.inb(6)]).toEqual([1, 1, 0, 0, 0]);
  });

  it('IDENTIFY DEVICE: DRQ + IRQ, model, geometry, capacity, checksum', () => {
    const t = setup({ sectors: 20160 });
    t.outb(6, 0xa0);
    t.outb(7, 0xec);
    expect(t.irq.level).toBe(1);
    expect(t.alt()).toBe(0x58);
    expect(t.irq.level).toBe(1); // alternate status does not acknowledge
    expect(t.inb(7)).toBe(0x58);
    expect(t.irq.level).toBe(0); // status does
    const id = t.readBlock();
    expect(t.inb(7)).toBe(0x50);
    expect(ataString(id, 27, 20)).toBe('VTX HARDDISK');
    expect(ataString(id, 23, 4)).toBe('1.0');
    expect(word(id, 0)).toBe(0x0040);
    expect([word(id, 1), word(id, 3), word(id, 6)]).toEqual([20, 16, 63]);
    expect(word(id, 60) | (word(id, 61) << 16)).toBe(20160);
    expect(word(id, 83) & 0x0400).toBe(0x0400);
    expect(word(id, 100)).toBe(20160);
    expect(word(id, 49) & 0x0200).toBe(0x0200);
    expect(id[510]).toBe(0xa5);
    let sum = 0;
    for (const b of id) sum += b;
    expect(sum & 0xff).toBe(0);
  });

  it('READ SECTORS (LBA28) of a known image with DRQ sequencing and one IRQ per block', () => {
    const t = setup();
    t.ctl(0x00);
    t.outb(2, 3);
    t.outb(3, 0x10);
    t.outb(4, 0x02);
    t.outb(5, 0x00);
    t.outb(6, 0xe0); // LBA, device 0, LBA[27:24] = 0
    t.outb(7, 0x20);
    for (let n = 0; n < 3; n++) {
      expect(t.irq.level).toBe(1);
      expect(t.inb(7) & (ATA_SR_DRQ | ATA_SR_ERR | 0x80)).toBe(ATA_SR_DRQ);
      const blk = t.readBlock();
      expect(Array.from(blk)).toEqual(Array.from(t.image.subarray((0x210 + n) * 512, (0x211 + n) * 512)));
    }
    expect(t.inb(7)).toBe(0x50);
    expect(t.irq.edges).toBe(3);
    expect(t.inb(2)).toBe(0);
    expect(t.inb(3)).toBe(0x12); // last sector transferred
  });

  it('nIEN gates INTRQ', () => {
    const t = setup();
    t.ctl(0x02);
    t.outb(2, 1);
    t.outb(3, 0);
    t.outb(4, 0);
    t.outb(5, 0);
    t.outb(6, 0xe0);
    t.outb(7, 0x20);
    expect(t.irq.level).toBe(0);
    expect(t.alt() & ATA_SR_DRQ).toBe(ATA_SR_DRQ);
    t.ctl(0x00);
    expect(t.irq.level).toBe(1); // still pending: never acknowledged
  });

  it('READ SECTORS with 32-bit data port accesses and CHS addressing', () => {
    const t = setup();
    // CHS: cylinder 1, head 2, sector 3 with 16 heads, 63 sectors -> LBA (1*16+2)*63+2 = 1136
    t.outb(2, 1);
    t.outb(3, 3);
    t.outb(4, 1);
    t.outb(5, 0);
    t.outb(6, 0xa2);
    t.outb(7, 0x20);
    const words = [];
    for (let i = 0; i < 128; i++) words.push(t.ch.command.read(0, 4));
    expect(words[0]! & 0xffffff).toBe(1136);
    expect(t.inb(7)).toBe(0x50);
  });

  it('WRITE SECTORS: first DRQ without IRQ, IRQ after each block, data lands in the image', () => {
    const t = setup();
    t.outb(2, 2);
    t.outb(3, 5);
    t.outb(4, 0);
    t.outb(5, 0);
    t.outb(6, 0xe0);
    t.outb(7, 0x30);
    expect(t.irq.level).toBe(0);
    expect(t.inb(7)).toBe(0x58);
    for (let i = 0; i < 256; i++) t.outw(0xbeef);
    expect(t.irq.level).toBe(1);
    expect(t.inb(7)).toBe(0x58);
    for (let i = 0; i < 256; i++) t.outw(0x1234);
    expect(t.irq.level).toBe(1);
    expect(t.inb(7)).toBe(0x50);
    expect(t.image[5 * 512]).toBe(0xef);
    expect(t.image[5 * 512 + 1]).toBe(0xbe);
    expect(t.image[6 * 512 + 511]).toBe(0x12);
  });

  it('copy-on-write keeps the image intact and survives save/load', () => {
    const t = setup({ copyOnWrite: true });
    const before = t.image[7 * 512];
    t.outb(2, 1);
    t.outb(3, 7);
    t.outb(4, 0);
    t.outb(5, 0);
    t.outb(6, 0xe0);
    t.outb(7, 0x30);
    for (let i = 0; i < 256; i++) t.outw(0xa55a);
    expect(t.image[7 * 512]).toBe(before);
    const state = JSON.parse(JSON.stringify(t.ch.saveState()));
    const u = setup({ copyOnWrite: true });
    u.ch.loadState(state);
    u.outb(2, 1);
    u.outb(3, 7);
    u.outb(4, 0);
    u.outb(5, 0);
    u.outb(6, 0xe0);
    u.outb(7, 0x20);
    expect(u.inw()).toBe(0xa55a);
  });

  it('read-only disks abort writes', () => {
    const t = setup({ readOnly: true });
    t.outb(2, 1);
    t.outb(3, 0);
    t.outb(6, 0xe0);
    t.outb(7, 0x30);
    expect(t.inb(7)).toBe(0x51);
    expect(t.inb(1)).toBe(0x04);
  });

  it('out-of-range LBA: ERR with IDNF|ABRT and an IRQ', () => {
    const t = setup({ sectors: 100 });
    t.outb(2, 2);
    t.outb(3, 99);
    t.outb(4, 0);
    t.outb(5, 0);
    t.outb(6, 0xe0);
    t.outb(7, 0x20);
    expect(t.irq.level).toBe(1);
    expect(t.inb(7)).toBe(0x51);
    expect(t.inb(1)).toBe(0x14);
    expect(t.inw()).toBe(0);
  });

  it('unknown and ATAPI commands abort with ABRT, leaving the ATA signature readable', () => {
    const t = setup();
    t.outb(7, 0xa1); // IDENTIFY PACKET DEVICE
    expect(t.inb(7)).toBe(0x51);
    expect(t.inb(1)).toBe(0x04);
    t.outb(7, 0xc8); // READ DMA
    expect(t.inb(7) & 1).toBe(1);
    t.outb(7, 0xb0); // SMART
    expect(t.inb(1)).toBe(0x04);
    expect(t.inb(4) | (t.inb(5) << 8)).toBe(0);
  });

  it('READ/WRITE MULTIPLE need SET MULTIPLE MODE; blocks of N sectors with one IRQ each', () => {
    const t = setup();
    t.outb(2, 4);
    t.outb(7, 0xc4);
    expect(t.inb(7)).toBe(0x51);
    t.outb(2, 3);
    t.outb(7, 0xc6); // not a power of two
    expect(t.inb(7)).toBe(0x51);
    t.outb(2, 4);
    t.outb(7, 0xc6);
    expect(t.inb(7)).toBe(0x50);
    t.outb(2, 6);
    t.outb(3, 0);
    t.outb(4, 0);
    t.outb(5, 0);
    t.outb(6, 0xe0);
    t.outb(7, 0xc4);
    expect(t.inb(7)).toBe(0x58);
    for (let i = 0; i < 4; i++) t.readBlock();
    expect(t.irq.level).toBe(1);
    expect(t.inb(7)).toBe(0x58);
    const b4 = t.readBlock();
    expect(b4[0]).toBe(4);
    t.readBlock();
    expect(t.inb(7)).toBe(0x50);
    expect(t.irq.edges).toBe(2 + 3); // 3 aborts/completions above + 2 blocks
  });

  it('LBA48 READ SECTORS EXT uses the HOB registers, readable with HOB set', () => {
    const t = setup({ sectors: 0x2000 });
    t.outb(2, 0); // count high
    t.outb(2, 1); // count low
    t.outb(3, 0); // LBA[31:24]
    t.outb(3, 0x34); // LBA[7:0]
    t.outb(4, 0);
    t.outb(4, 0x12); // LBA[15:8]
    t.outb(5, 0);
    t.outb(5, 0);
    t.outb(6, 0x40);
    t.ctl(0x80);
    expect(t.inb(3)).toBe(0);
    t.ctl(0x00);
    expect(t.inb(3)).toBe(0x34);
    t.outb(7, 0x24);
    const blk = t.readBlock();
    expect(blk[0]! | (blk[1]! << 8)).toBe(0x1234);
    expect(t.inb(7)).toBe(0x50);
  });

  it('READ VERIFY, INITIALIZE DEVICE PARAMETERS, SET FEATURES, power commands', () => {
    const t = setup();
    t.outb(2, 10);
    t.outb(3, 0);
    t.outb(6, 0xe0);
    t.outb(7, 0x40);
    expect(t.inb(7)).toBe(0x50);
    t.outb(2, 32);
    t.outb(6, 0xa7); // 8 heads
    t.outb(7, 0x91);
    expect(t.inb(7)).toBe(0x50);
    t.outb(6, 0xa0);
    t.outb(7, 0xec);
    const id = t.readBlock();
    expect([word(id, 55), word(id, 56)]).toEqual([8, 32]);
    t.outb(1, 0x03);
    t.outb(2, 0x0c); // PIO mode 4
    t.outb(7, 0xef);
    expect(t.inb(7)).toBe(0x50);
    t.outb(1, 0x03);
    t.outb(2, 0x45); // UDMA 5: not supported
    t.outb(7, 0xef);
    expect(t.inb(7)).toBe(0x51);
    for (const c of [0xe0, 0xe1, 0xe3, 0xe7]) {
      t.outb(7, c);
      expect(t.inb(7)).toBe(0x50);
    }
    t.outb(7, 0xe5);
    expect(t.inb(2)).toBe(0xff);
  });

  it('SRST: BSY while asserted, signature and device 0 afterwards', () => {
    const t = setup({ slave: true });
    t.outb(6, 0xb0);
    t.outb(2, 0x55);
    t.ctl(0x06);
    expect(t.alt()).toBe(0x80);
    t.ctl(0x02);
    expect(t.alt()).toBe(0x50);
    expect([t.inb(2), t.inb(3), t.inb(6), t.inb(1)]).toEqual([1, 1, 0, 1]);
  });

  it('EXECUTE DEVICE DIAGNOSTIC sets the signature and error 01h', () => {
    const t = setup();
    t.outb(2, 9);
    t.outb(7, 0x90);
    expect(t.inb(1)).toBe(0x01);
    expect(t.inb(2)).toBe(1);
    expect(t.irq.level).toBe(1); // reading error/count does not acknowledge
    expect(t.inb(7)).toBe(0x50);
    expect(t.irq.level).toBe(0);
  });

  it('absent slave: status/error read 0, task file shared, commands ignored (SeaBIOS ata_detect)', () => {
    const t = setup();
    t.outb(6, 0xb0);
    expect(t.inb(7)).toBe(0);
    expect(t.alt()).toBe(0);
    t.outb(2, 0x55);
    t.outb(3, 0xaa);
    expect([t.inb(2), t.inb(3), t.inb(6)]).toEqual([0x55, 0xaa, 0xb0]);
    t.outb(7, 0xec);
    expect(t.inb(7)).toBe(0);
    expect(t.irq.level).toBe(0);
    t.outb(6, 0xa0);
    expect(t.inb(7)).toBe(0x50);
  });

  it('empty channel reads 0 everywhere', () => {
    const ch = new AtaChannel({ name: 'ata.secondary' });
    for (let r = 0; r < 8; r++) expect(ch.command.read(r, 1)).toBe(0);
    ch.command.write(6, 1, 0xa0);
    expect(ch.command.read(6, 1)).toBe(0);
    expect(ch.control.read(0, 1)).toBe(0);
  });

  it('save/load mid-transfer resumes the data phase', () => {
    const t = setup();
    t.outb(2, 2);
    t.outb(3, 0x40);
    t.outb(4, 0);
    t.outb(5, 0);
    t.outb(6, 0xe0);
    t.outb(7, 0x20);
    for (let i = 0; i < 100; i++) t.inw();
    const s = JSON.parse(JSON.stringify(t.ch.saveState()));
    const u = setup();
    u.ch.loadState(s);
    expect(u.irq.level).toBe(1);
    const rest: number[] = [];
    for (let i = 100; i < 256; i++) rest.push(u.inw());
    expect(rest[0]).toBe(t.inw());
    for (let i = 101; i < 256; i++) t.inw();
    const b2 = u.readBlock();
    expect(b2[0]).toBe(0x41);
    expect(u.inb(7)).toBe(0x50);
  });

  it('SeaBIOS ata_detect sequence: master found as ATA (after the ATAPI probe aborts), slave rejected', () => {
    const t = setup({ sectors: 2048 });
    const found: string[] = [];
    for (const slave of [0, 1]) {
      expect(t.inb(7) & 0x80).toBe(0); // powerup_await_non_bsy
      const newdh = slave ? 0xb0 : 0xa0;
      t.outb(6, newdh);
      expect(t.inb(7) & 0x80).toBe(0);
      t.outb(6, newdh);
      const dh = t.inb(6);
      t.outb(2, 0x55);
      t.outb(3, 0xaa);
      if (t.inb(2) !== 0x55 || t.inb(3) !== 0xaa || dh !== newdh) continue;
      if (slave === 0) {
        // ata_reset
        t.ctl(0x0e);
        t.ctl(0x0a);
        expect(t.inb(7) & 0x80).toBe(0);
        t.outb(6, 0xa0);
      }
      // init_drive_atapi: IDENTIFY PACKET DEVICE must fail (ERR or no DRQ)
      t.ctl(0x0a);
      t.outb(6, newdh);
      t.outb(7, 0xa1);
      const st1 = t.inb(7);
      expect(st1 & 0x08).toBe(0);
      t.ctl(0x08);
      const st = t.inb(7);
      if (!st) continue;
      expect(st & 0x40).toBe(0x40); // await_rdy
      t.ctl(0x0a);
      t.outb(7, 0xec);
      const s2 = t.inb(7);
      expect(s2 & 0x89).toBe(0x08);
      const id = t.readBlock();
      expect(t.inb(7) & 0x89).toBe(0);
      t.ctl(0x08);
      found.push(`${slave}:${ataString(id, 27, 20)}:${word(id, 60)}`);
    }
    expect(found).toEqual(['0:VTX HARDDISK:2048']);
  });

  it('wide accesses to task-file registers act as byte accesses', () => {
    const t = setup();
    t.ch.command.write(2, 2, 0x3412); // sector count 0x12, LBA low 0x34
    expect([t.inb(2), t.inb(3)]).toEqual([0x12, 0x34]);
    expect(t.ch.command.read(2, 4)).toBe(0x00003412 | (t.inb(4) << 16) | (t.inb(5) << 24));
  });
});
