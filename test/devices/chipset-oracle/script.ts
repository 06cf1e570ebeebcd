/**
 * A port-I/O script for the chipset devices (PCI host + i440FX/PIIX3 functions, 8237 DMA, 82077AA
 * FDC, ATA), run twice: by a tiny raw BIOS image under QEMU 7.2's `pc` machine (record.ts, results
 * kept in qemu-7.2.golden.json) and on vtx's devices (../chipset-oracle.test.ts).
 *
 * Ops: `out`, `in` (result compared under `mask`), `wait` (poll an 8-bit port until
 * (value & mask) == expected, bounded — QEMU completes ATA commands and floppy DMA asynchronously,
 * vtx instantly), `peek` (read a byte of guest RAM, to see what DMA wrote).
 *
 * ROM table encoding (7 bytes per entry): u8 op (bit 7 IN, bit 6 WAIT, bit 5 PEEK, bits 2:0 size),
 * u16 port, u32 value (WAIT: mask | expected << 8; PEEK: linear address below 1 MiB); op 0 ends
 * the table. Every IN / PEEK result goes to the debugcon port 0xE9, little-endian.
 */
import { PLAYER_IN_AND_EXIT, scriptTableAndReset } from '../oracle-rom.js';
export interface ChipsetStep {
  op: 'in' | 'out' | 'wait' | 'peek';
  size: 1 | 2 | 4;
  port: number;
  value: number;
  /** IN/PEEK: bits compared (default all). */
  mask: number;
  note: string;
}

export const SCRIPT: ChipsetStep[] = [];
let section = '';
const o = (port: number, value: number, size: 1 | 2 | 4 = 1): void => {
  SCRIPT.push({ op: 'out', size, port, value: value >>> 0, mask: 0, note: section });
};
const i = (port: number, opts: { size?: 1 | 2 | 4; mask?: number; note?: string } = {}): void => {
  const size = opts.size ?? 1;
  const all = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  SCRIPT.push({ op: 'in', size, port, value: 0, mask: opts.mask ?? all, note: `${section}${opts.note ? `: ${opts.note}` : ''}` });
};
const wait = (port: number, mask: number, expected: number): void => {
  SCRIPT.push({ op: 'wait', size: 1, port, value: (mask & 0xff) | ((expected & 0xff) << 8), mask: 0, note: section });
};
const peek = (addr: number, note = ''): void => {
  SCRIPT.push({ op: 'peek', size: 1, port: 0, value: addr, mask: 0xff, note: `${section}${note ? `: ${note}` : ''}` });
};

// ---- images shared by the recorder and the replay ----

export const DISK_SECTORS = 8192; // 4 MiB: QEMU's geometry guess is 8/16/63 like vtx's default
/** Hard disk: sector n holds n in bytes 0-1, then (n * 7 + i) & 0xff. */
export function diskImage(): Uint8Array {
  const img = new Uint8Array(DISK_SECTORS * 512);
  for (let n = 0; n < DISK_SECTORS; n++) {
    for (let k = 0; k < 512; k++) img[n * 512 + k] = (n * 7 + k) & 0xff;
    img[n * 512] = n & 0xff;
    img[n * 512 + 1] = n >> 8;
  }
  return img;
}

/** 1.44 MB floppy: sector n holds n in bytes 0-1, then (n + i) & 0xff. */
export function floppyImage(): Uint8Array {
  const img = new Uint8Array(1474560);
  for (let n = 0; n < 2880; n++) {
    for (let k = 0; k < 512; k++) img[n * 512 + k] = (n + k) & 0xff;
    img[n * 512] = n & 0xff;
    img[n * 512 + 1] = n >> 8;
  }
  return img;
}

// ---- PCI configuration mechanism #1 ----
section = 'pci';
const cfgAddr = (devfn: number, reg: number) => (0x80000000 | (devfn << 8) | (reg & 0xfc)) >>> 0;
o(0xcf8, 0x80000000, 4);
i(0xcf8, { size: 4, note: 'CONFIG_ADDRESS readback' });
// Identity and header of the three functions (dwords 0x00..0x3C).
for (const devfn of [0x00, 0x08, 0x09]) {
  for (let reg = 0; reg < 0x40; reg += 4) {
    o(0xcf8, cfgAddr(devfn, reg), 4);
    i(0xcfc, { size: 4, note: `devfn ${devfn.toString(16)} reg ${reg.toString(16)}` });
  }
}
// Byte and word accesses at CONFIG_DATA + n.
o(0xcf8, cfgAddr(0x08, 0x08), 4);
i(0xcfc, { note: 'ISA rev byte' });
i(0xcfd, { note: 'ISA prog-if byte' });
i(0xcfe, { size: 2, note: 'ISA class word' });
o(0xcf8, cfgAddr(0x00, 0x2c), 4);
i(0xcfe, { size: 2, note: 'host subsystem id word' });
// Absent functions and devices.
for (const devfn of [0x02 << 3, 0x0a, 0x0b, 0x1f << 3, 0x01]) {
  o(0xcf8, cfgAddr(devfn, 0), 4);
  i(0xcfc, { size: 4, note: `absent devfn ${devfn.toString(16)}` });
}
// Read-only identity.
o(0xcf8, cfgAddr(0x00, 0), 4);
o(0xcfc, 0, 4);
i(0xcfc, { size: 4, note: 'vendor/device after write' });
// PAM and SMRAM.
o(0xcf8, cfgAddr(0x00, 0x58), 4);
i(0xcfc, { size: 4, note: 'DRAMT/PAM0-2 reset' });
o(0xcf8, cfgAddr(0x00, 0x5c), 4);
i(0xcfc, { size: 4, note: 'PAM3-6 reset' });
o(0xcf8, cfgAddr(0x00, 0x58), 4);
o(0xcfd, 0xcf); // the reserved bits only: enabling PAM0 would unmap the ROM this script runs from
i(0xcfd, { note: 'PAM0 reserved bits' });
o(0xcfe, 0xff);
i(0xcfe, { note: 'PAM1 write mask' });
o(0xcfd, 0x00);
o(0xcfe, 0x00);
o(0xcf8, cfgAddr(0x00, 0x70), 4);
i(0xcfe, { note: 'SMRAM reset' });
o(0xcfe, 0x4a);
i(0xcfe, { note: 'SMRAM D_OPEN|G_SMRAME' });
o(0xcfe, 0x02);
// PIRQ routing.
o(0xcf8, cfgAddr(0x08, 0x60), 4);
i(0xcfc, { size: 4, note: 'PIRQRC reset' });
o(0xcfc, 0x0b0b0a0a, 4);
i(0xcfc, { size: 4, note: 'PIRQRC programmed' });
o(0xcfc, 0xffffffff, 4);
i(0xcfc, { size: 4, note: 'PIRQRC write mask' });
o(0xcfc, 0x80808080, 4);
// IDE BAR4 sizing and programming.
o(0xcf8, cfgAddr(0x09, 0x20), 4);
o(0xcfc, 0xffffffff, 4);
i(0xcfc, { size: 4, note: 'BAR4 size mask' });
o(0xcfc, 0xc000, 4);
i(0xcfc, { size: 4, note: 'BAR4 programmed' });
for (const reg of [0x10, 0x14, 0x18, 0x1c, 0x24, 0x30]) {
  o(0xcf8, cfgAddr(0x09, reg), 4);
  o(0xcfc, 0xffffffff, 4);
  i(0xcfc, { size: 4, note: `IDE reg ${reg.toString(16)} after all-ones` });
}
o(0xcf8, cfgAddr(0x09, 0x04), 4);
o(0xcfc, 0xffff, 2);
i(0xcfc, { size: 2, note: 'IDE command write mask' });
o(0xcfc, 0x0001, 2);
i(0xcfc, { size: 2, note: 'IDE command I/O enable' });
// The bus-master IDE registers at BAR4 = 0xC000.
i(0xc000, { note: 'BMICP' });
i(0xc002, { note: 'BMISP' });
o(0xc004, 0x12345677, 4);
i(0xc004, { size: 4, note: 'BMIDTP dword aligned' });
o(0xc000, 0xff);
i(0xc000, { note: 'BMICP writable bits' });
o(0xc000, 0x00);
o(0xc002, 0x60);
i(0xc002, { note: 'BMISP drive DMA capable bits' });
o(0xcf8, cfgAddr(0x09, 0x04), 4);
o(0xcfc, 0x0000, 2);
o(0xcf8, 0, 4);
i(0xcfc, { size: 4, note: 'CONFIG_DATA with enable clear' });

// ---- 8237 DMA ----
section = 'dma';
o(0x0d, 0); // master clear
o(0xda, 0);
i(0x08, { note: 'status after master clear' });
o(0x0c, 0);
o(0x04, 0x34);
o(0x04, 0x12);
o(0x05, 0xff);
o(0x05, 0x01);
o(0x0c, 0);
i(0x04, { note: 'ch2 address low' });
i(0x04, { note: 'ch2 address high' });
i(0x05, { note: 'ch2 count low' });
i(0x05, { note: 'ch2 count high' });
o(0x81, 0x05);
i(0x81, { note: 'ch2 page' });
o(0x84, 0x77);
i(0x84, { note: 'scratch page register' });
o(0x0c, 0);
o(0xc4, 0x00);
o(0xc4, 0x08);
o(0xd8, 0);
i(0xc4, { note: 'ch5 address low' });
i(0xc4, { note: 'ch5 address high' });
o(0x8b, 0x03);
i(0x8b, { note: 'ch5 page' });
o(0xd6, 0xc0); // cascade channel 4
o(0xd4, 0x00); // unmask channel 4

// ---- 82077AA floppy controller (1.44 MB medium in drive A) ----
section = 'fdc';
i(0x3f2, { note: 'DOR at reset' });
i(0x3f4, { note: 'MSR idle' });
i(0x3f7, { mask: 0x80, note: 'DIR disk change at power-on' });
o(0x3f2, 0x08); // reset
o(0x3f2, 0x0c);
wait(0x3f4, 0xc0, 0x80);
for (let k = 0; k < 4; k++) {
  o(0x3f5, 0x08);
  wait(0x3f4, 0xc0, 0xc0);
  i(0x3f5, { note: `sense interrupt ${k} ST0` });
  i(0x3f5, { note: `sense interrupt ${k} PCN` });
}
o(0x3f5, 0x08);
wait(0x3f4, 0xc0, 0xc0);
i(0x3f5, { note: 'sense interrupt with nothing pending' });
i(0x3f4, { note: 'MSR after invalid' });
o(0x3f5, 0x10);
wait(0x3f4, 0xc0, 0xc0);
i(0x3f5, { note: 'VERSION' });
o(0x3f5, 0x03);
i(0x3f4, { note: 'MSR in command phase' });
o(0x3f5, 0xaf);
o(0x3f5, 0x02);
o(0x3f5, 0x13); // CONFIGURE: EIS, FIFO on, threshold 7, pretrk 0
o(0x3f5, 0x00);
o(0x3f5, 0x47);
o(0x3f5, 0x00);
o(0x3f5, 0x0e); // DUMPREG
wait(0x3f4, 0xc0, 0xc0);
for (let k = 0; k < 10; k++) i(0x3f5, { note: `DUMPREG byte ${k}` });
o(0x3f5, 0x94);
wait(0x3f4, 0xc0, 0xc0);
i(0x3f5, { note: 'LOCK' });
o(0x3f5, 0x14);
wait(0x3f4, 0xc0, 0xc0);
i(0x3f5, { note: 'UNLOCK' });
o(0x3f2, 0x1c); // motor A, DMA gate, drive 0
o(0x3f5, 0x07); // RECALIBRATE
o(0x3f5, 0x00);
wait(0x3f4, 0xd0, 0x80);
o(0x3f5, 0x08);
wait(0x3f4, 0xc0, 0xc0);
i(0x3f5, { note: 'recalibrate ST0' });
i(0x3f5, { note: 'recalibrate PCN' });
o(0x3f5, 0x0f); // SEEK to 5
o(0x3f5, 0x00);
o(0x3f5, 0x05);
wait(0x3f4, 0xd0, 0x80);
o(0x3f5, 0x08);
wait(0x3f4, 0xc0, 0xc0);
i(0x3f5, { note: 'seek ST0' });
i(0x3f5, { note: 'seek PCN' });
i(0x3f7, { mask: 0x80, note: 'DIR after seek' });
o(0x3f5, 0x04); // SENSE DRIVE STATUS
o(0x3f5, 0x00);
wait(0x3f4, 0xc0, 0xc0);
i(0x3f5, { note: 'ST3' });
o(0x3f7, 0x00); // 500 kb/s
o(0x3f5, 0x4a); // READ ID head 0
o(0x3f5, 0x00);
wait(0x3f4, 0xc0, 0xc0);
for (let k = 0; k < 7; k++) i(0x3f5, { mask: k === 5 ? 0 : 0xff, note: `READ ID byte ${k}` });
// READ DATA C1 H1 S16..18 (3 sectors, EOT 18, MT) into 0x10000 via DMA channel 2.
o(0x0a, 0x06);
o(0x0c, 0);
o(0x04, 0x00);
o(0x04, 0x00);
o(0x0c, 0);
o(0x05, (3 * 512 - 1) & 0xff);
o(0x05, (3 * 512 - 1) >> 8);
o(0x0b, 0x46);
o(0x81, 0x01);
o(0x0a, 0x02);
for (const b of [0xe6, 0x04, 1, 1, 16, 2, 18, 0x1b, 0xff]) o(0x3f5, b);
wait(0x3f4, 0xc0, 0xc0);
for (let k = 0; k < 7; k++) i(0x3f5, { note: `READ DATA result ${k}` });
i(0x3f4, { note: 'MSR after result' });
i(0x08, { mask: 0x0f, note: 'DMA status TC' });
i(0x08, { mask: 0x0f, note: 'DMA status TC cleared' });
for (const a of [0x10000, 0x10001, 0x10002, 0x101ff, 0x10200, 0x10201, 0x105ff, 0x10600]) peek(a, `RAM 0x${a.toString(16)}`);
o(0x0c, 0);
i(0x04, { note: 'ch2 address low after transfer' });
i(0x04, { note: 'ch2 address high after transfer' });
i(0x05, { note: 'ch2 count low after transfer' });
i(0x05, { note: 'ch2 count high after transfer' });
// Data rate mismatch: READ ID at 250 kb/s fails with missing address mark.
o(0x3f7, 0x02);
o(0x3f5, 0x4a);
o(0x3f5, 0x00);
wait(0x3f4, 0xc0, 0xc0);
for (let k = 0; k < 7; k++) i(0x3f5, { mask: k < 3 ? 0xff : 0, note: `READ ID at 250K byte ${k}` });
o(0x3f7, 0x00);
// WRITE DATA C2 H0 S3 from 0x10200 (the second sector read above), then read it back into 0x12000.
o(0x0a, 0x06);
o(0x0c, 0);
o(0x04, 0x00);
o(0x04, 0x02);
o(0x0c, 0);
o(0x05, 0xff);
o(0x05, 0x01);
o(0x0b, 0x4a);
o(0x81, 0x01);
o(0x0a, 0x02);
for (const b of [0xc5, 0x00, 2, 0, 3, 2, 3, 0x1b, 0xff]) o(0x3f5, b);
wait(0x3f4, 0xc0, 0xc0);
for (let k = 0; k < 7; k++) i(0x3f5, { note: `WRITE DATA result ${k}` });
o(0x0a, 0x06);
o(0x0c, 0);
o(0x04, 0x00);
o(0x04, 0x20);
o(0x0c, 0);
o(0x05, 0xff);
o(0x05, 0x01);
o(0x0b, 0x46);
o(0x81, 0x01);
o(0x0a, 0x02);
for (const b of [0xe6, 0x00, 2, 0, 3, 2, 3, 0x1b, 0xff]) o(0x3f5, b);
wait(0x3f4, 0xc0, 0xc0);
for (let k = 0; k < 7; k++) i(0x3f5, { note: `read-back result ${k}` });
for (const a of [0x12000, 0x12001, 0x12002, 0x121ff]) peek(a, `read-back RAM 0x${a.toString(16)}`);
// Sector beyond the track.
o(0x0a, 0x06);
o(0x0c, 0);
o(0x05, 0xff);
o(0x05, 0x01);
o(0x0b, 0x46);
o(0x0a, 0x02);
for (const b of [0xe6, 0x00, 0, 0, 19, 2, 19, 0x1b, 0xff]) o(0x3f5, b);
wait(0x3f4, 0xc0, 0xc0);
for (let k = 0; k < 7; k++) i(0x3f5, { mask: k < 2 ? 0xc0 : 0, note: `missing sector result ${k}` });
o(0x3f5, 0x55);
wait(0x3f4, 0xc0, 0xc0);
i(0x3f5, { note: 'invalid opcode' });

// ---- ATA primary channel: master disk, no slave ----
section = 'ata';
i(0x1f7, { note: 'status at power-on' });
i(0x1f1, { note: 'error at power-on' });
for (const p of [0x1f2, 0x1f3, 0x1f4, 0x1f5, 0x1f6]) i(p, { note: `signature 0x${p.toString(16)}` });
o(0x1f6, 0xb0);
i(0x1f7, { note: 'absent slave status' });
i(0x3f6, { note: 'absent slave alt status' });
o(0x1f2, 0x55);
o(0x1f3, 0xaa);
i(0x1f2, { note: 'slave selected: sector count readback' });
i(0x1f3, { note: 'slave selected: sector number readback' });
i(0x1f6, { note: 'slave selected: device readback' });
o(0x1f6, 0xa0);
o(0x3f6, 0x06); // SRST + nIEN
o(0x3f6, 0x02);
wait(0x1f7, 0x80, 0x00);
i(0x1f7, { note: 'status after SRST' });
for (const p of [0x1f1, 0x1f2, 0x1f3, 0x1f4, 0x1f5, 0x1f6]) i(p, { note: `after SRST 0x${p.toString(16)}` });
// IDENTIFY PACKET DEVICE on a hard disk: aborted.
o(0x1f6, 0xa0);
o(0x1f7, 0xa1);
wait(0x1f7, 0x80, 0x00);
i(0x1f7, { note: 'IDENTIFY PACKET status' });
i(0x1f1, { note: 'IDENTIFY PACKET error' });
// IDENTIFY DEVICE: compare the words vtx models like QEMU; strings and vendor details masked.
o(0x1f7, 0xec);
wait(0x1f7, 0x88, 0x08);
i(0x1f7, { note: 'IDENTIFY status' });
const identifyCompared = new Set([0, 1, 3, 6, 49, 53, 54, 55, 56, 57, 58, 60, 61, 100, 101, 102, 103]);
for (let w = 0; w < 256; w++) i(0x1f0, { size: 2, mask: identifyCompared.has(w) ? 0xffff : w === 83 ? 0x0400 : 0, note: `IDENTIFY word ${w}` });
i(0x1f7, { note: 'status after IDENTIFY data' });
// READ SECTORS: 2 sectors at LBA 0x123.
o(0x1f2, 2);
o(0x1f3, 0x23);
o(0x1f4, 0x01);
o(0x1f5, 0x00);
o(0x1f6, 0xe0);
o(0x1f7, 0x20);
for (let s = 0; s < 2; s++) {
  wait(0x1f7, 0x88, 0x08);
  i(0x3f6, { note: `READ block ${s} alt status` });
  for (let w = 0; w < 256; w++) i(0x1f0, { size: 2, note: `READ block ${s} word ${w}` });
}
wait(0x1f7, 0x80, 0x00);
i(0x1f7, { note: 'status after READ' });
i(0x1f2, { note: 'sector count after READ' });
// Out-of-range LBA.
o(0x1f2, 1);
o(0x1f3, 0x00);
o(0x1f4, 0x20);
o(0x1f5, 0x00);
o(0x1f6, 0xe0);
o(0x1f7, 0x20);
wait(0x1f7, 0x80, 0x00);
i(0x1f7, { note: 'status for LBA beyond the disk' });
i(0x1f1, { mask: 0x04, note: 'error for LBA beyond the disk (ABRT)' });
// Unknown command.
o(0x1f7, 0xb0);
wait(0x1f7, 0x80, 0x00);
i(0x1f7, { note: 'status for SMART (unsupported)' });
i(0x1f1, { note: 'error for SMART' });
// WRITE SECTORS at LBA 0x300, then READ it back with 32-bit data accesses.
o(0x1f2, 1);
o(0x1f3, 0x00);
o(0x1f4, 0x03);
o(0x1f5, 0x00);
o(0x1f6, 0xe0);
o(0x1f7, 0x30);
wait(0x1f7, 0x88, 0x08);
i(0x1f7, { note: 'WRITE status before data' });
for (let w = 0; w < 256; w++) o(0x1f0, (w * 0x0101 + 0x1234) & 0xffff, 2);
wait(0x1f7, 0x80, 0x00);
i(0x1f7, { note: 'WRITE status after data' });
o(0x1f2, 1);
o(0x1f3, 0x00);
o(0x1f4, 0x03);
o(0x1f5, 0x00);
o(0x1f6, 0xe0);
o(0x1f7, 0x20);
wait(0x1f7, 0x88, 0x08);
for (let d = 0; d < 4; d++) i(0x1f0, { size: 4, note: `read-back dword ${d}` });
for (let d = 4; d < 128; d++) i(0x1f0, { size: 4, mask: 0, note: `read-back dword ${d}` });
wait(0x1f7, 0x80, 0x00);
i(0x1f7, { note: 'status after read-back' });
// SET MULTIPLE 4, READ MULTIPLE 6 sectors at LBA 0x40.
o(0x1f2, 4);
o(0x1f7, 0xc6);
wait(0x1f7, 0x80, 0x00);
i(0x1f7, { note: 'SET MULTIPLE status' });
o(0x1f2, 6);
o(0x1f3, 0x40);
o(0x1f4, 0x00);
o(0x1f5, 0x00);
o(0x1f6, 0xe0);
o(0x1f7, 0xc4);
for (let b = 0; b < 2; b++) {
  wait(0x1f7, 0x88, 0x08);
  const words = b === 0 ? 4 * 256 : 2 * 256;
  for (let w = 0; w < words; w++) i(0x1f0, { size: 2, mask: w % 256 === 0 ? 0xffff : 0, note: `READ MULTIPLE block ${b} word ${w}` });
}
wait(0x1f7, 0x80, 0x00);
i(0x1f7, { note: 'status after READ MULTIPLE' });
// CHS READ: cylinder 1 head 2 sector 3 (16 heads, 63 sectors).
o(0x1f2, 1);
o(0x1f3, 3);
o(0x1f4, 1);
o(0x1f5, 0);
o(0x1f6, 0xa2);
o(0x1f7, 0x20);
wait(0x1f7, 0x88, 0x08);
for (let w = 0; w < 256; w++) i(0x1f0, { size: 2, mask: w === 0 ? 0xffff : 0, note: `CHS read word ${w}` });
// EXECUTE DEVICE DIAGNOSTIC.
o(0x1f6, 0xa0);
o(0x1f7, 0x90);
wait(0x1f7, 0x80, 0x00);
i(0x1f7, { note: 'status after diagnostic' });
i(0x1f1, { note: 'error after diagnostic' });
for (const p of [0x1f2, 0x1f3, 0x1f4, 0x1f5]) i(p, { note: `diagnostic signature 0x${p.toString(16)}` });
// Empty secondary channel.
section = 'ata2';
for (const p of [0x171, 0x172, 0x173, 0x177, 0x376]) i(p, { note: `empty channel 0x${p.toString(16)}` });

/** Assembly source of the 64 KiB ROM that runs SCRIPT from reset. */
export function romSource(): string {
  const lines = [
    'bits 16',
    'org 0',
    'start:',
    '  cli',
    '  mov ax, 0xf000',
    '  mov ds, ax',
    '  mov si, table',
    '.next:',
    '  lodsb',
    '  test al, al',
    '  jz .done',
    '  mov bl, al',
    '  lodsw',
    '  mov dx, ax',
    '  lodsd',
    '  test bl, 0x40',
    '  jnz .wait',
    '  test bl, 0x20',
    '  jnz .peek',
    '  mov bh, bl',
    '  and bh, 7',
    '  test bl, 0x80',
    '  jnz .in',
    '  cmp bh, 1',
    '  jne .o2',
    '  out dx, al',
    '  jmp .next',
    '.o2:',
    '  cmp bh, 2',
    '  jne .o4',
    '  out dx, ax',
    '  jmp .next',
    '.o4:',
    '  out dx, eax',
    '  jmp .next',
    '.wait:',
    '  mov cx, ax',
    '  mov edi, 0x800000',
    '.w1:',
    '  in al, dx',
    '  and al, cl',
    '  cmp al, ch',
    '  je .next',
    '  dec edi',
    '  jnz .w1',
    '  jmp .next',
    '.peek:',
    '  mov edi, eax',
    '  shr eax, 4',
    '  mov es, ax',
    '  and di, 0xf',
    '  mov al, [es:di]',
    '  mov dx, 0xe9',
    '  out dx, al',
    '  jmp .next',
    ...PLAYER_IN_AND_EXIT,
  ];
  lines.push(...scriptTableAndReset(SCRIPT.map((s) => ({ op: (s.op === 'in' ? 0x80 : s.op === 'wait' ? 0x40 : s.op === 'peek' ? 0x20 : 0) | s.size, port: s.port, value: s.value }))));
  return lines.join('\n') + '\n';
}
