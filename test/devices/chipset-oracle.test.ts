/**
 * Differential test: the port-I/O script of chipset-oracle/script.ts replayed on vtx's chipset
 * devices must give the IN (and RAM peek) results QEMU 7.2 gave (chipset-oracle/qemu-7.2.golden.json,
 * recorded by chipset-oracle/record.ts), under each step's mask. Where vtx deliberately follows the
 * datasheet instead of QEMU, the step is listed in DEVIATIONS with the reason.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { SCRIPT, diskImage, floppyImage } from './chipset-oracle/script.js';
import type { RegionOps } from '../../src/devices/device.js';
import { createI440fxPiix3 } from '../../src/devices/pci-host.js';
import { Dma8237 } from '../../src/devices/dma8237.js';
import { Fdc82077 } from '../../src/devices/fdc82077.js';
import { AtaChannel } from '../../src/devices/ata.js';

const golden = JSON.parse(readFileSync(new URL('./chipset-oracle/qemu-7.2.golden.json', import.meta.url), 'utf8')) as { results: number[] };

/** Steps (by note) where vtx differs from QEMU on purpose, with the expected vtx value. */
const DEVIATIONS: Record<string, { vtx: number; why: string }> = {
  'pci: PAM0 reserved bits': { vtx: 0x00, why: '82441FX: PAM0 bits 3:0 and 7:6 are reserved (QEMU makes them writable)' },
  'pci: PAM1 write mask': { vtx: 0x33, why: '82441FX: only RE/WE bits 0,1,4,5 of PAMx exist' },
  'pci: PIRQRC write mask': { vtx: 0x8f8f8f8f, why: '82371SB: PIRQRC bits 6:4 are reserved' },
  'dma: scratch page register': { vtx: 0x77, why: 'PIIX: 0x84-0x86/0x88/0x8C-0x8E are readable page registers (QEMU leaves them unassigned)' },
  'fdc: DUMPREG byte 4': { vtx: 0xaf, why: '82077AA: SRT<<4 | HUT (QEMU drops HUT)' },
  'fdc: DUMPREG byte 5': { vtx: 0x02, why: '82077AA: HLT<<1 | ND (QEMU reports the DOR DMA gate as ND)' },
  'fdc: DUMPREG byte 6': { vtx: 0x00, why: 'SC/EOT of the last data command: none yet (QEMU reports the medium sectors per track)' },
  'fdc: WRITE DATA result 0': { vtx: 0x24, why: 'the head stays on cylinder 1 after the MT read ended at EOT, so the write seeks (SE); QEMU steps the head to the next cylinder' },
  'fdc: missing sector result 1': { vtx: 0x04, why: 'a sector ID beyond the track is not found: ST1 ND (QEMU reports EN)' },
  'ata: error at power-on': { vtx: 0x01, why: 'ATA-6 9.1: power-on leaves the diagnostic code 01h in the error register' },
  'ata: signature 0x1f6': { vtx: 0x00, why: 'ATA-6 9.12: the signature has Device = 00h (QEMU forces obsolete bits 7 and 5)' },
  'ata: after SRST 0x1f6': { vtx: 0x00, why: 'ATA-6 9.12: the signature has Device = 00h' },
  'ata: IDENTIFY PACKET status': { vtx: 0x51, why: 'DSC stays set on errors, as real drives report (0x51 DriveReady SeekComplete Error)' },
  'ata: status for LBA beyond the disk': { vtx: 0x51, why: 'DSC stays set on errors, as real drives report' },
  'ata: status for SMART (unsupported)': { vtx: 0x51, why: 'DSC stays set on errors, as real drives report' },
  'ata: IDENTIFY word 49': { vtx: 0x0a00, why: 'no DMA: bus-master IDE moves no data in vtx, so DMA is not advertised' },
  'ata: IDENTIFY word 53': { vtx: 0x0003, why: 'no UDMA: word 88 is not valid' },
};

function board() {
  const ram = new Uint8Array(1 << 20);
  const ports = new Map<number, { ops: RegionOps; offset: number }>();
  const map = (base: number, count: number, ops: RegionOps) => {
    for (let k = 0; k < count; k++) ports.set(base + k, { ops, offset: k });
  };
  const pci = createI440fxPiix3({
    ide: { onBarMap: (_bar, base) => { if (base >= 0) map(base, 16, pci.ide.bmide); } },
  });
  map(0xcf8, 8, pci.host.io);
  const dma = new Dma8237({ memory: { readBytes: (a, n) => ram.slice(a, a + n), writeBytes: (a, b) => ram.set(b, a) } });
  for (const r of dma.ioRegions()) map(r.base, r.count, r.ops);
  const fdc = new Fdc82077({ dma, image: floppyImage() });
  for (const r of fdc.ioRegions()) map(r.base, r.count, r.ops);
  const ide0 = new AtaChannel({ name: 'ata.primary', master: { image: diskImage() } });
  const ide1 = new AtaChannel({ name: 'ata.secondary' });
  for (const r of ide0.ioRegions(true)) map(r.base, r.count, r.ops);
  for (const r of ide1.ioRegions(false)) map(r.base, r.count, r.ops);
  const ones = (size: number) => (size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff);
  const inp = (port: number, size: 1 | 2 | 4): number => {
    const p = ports.get(port);
    return p === undefined ? ones(size) : p.ops.read(p.offset, size);
  };
  const out = (port: number, size: 1 | 2 | 4, v: number): void => {
    const p = ports.get(port);
    if (p !== undefined) p.ops.write(p.offset, size, v);
  };
  return { ram, inp, out };
}

describe('chipset devices vs QEMU 7.2 (recorded)', () => {
  it('every IN and RAM peek of the script matches under its mask', () => {
    const { ram, inp, out } = board();
    const diffs: { note: string; qemu: string; vtx: string }[] = [];
    let k = 0;
    let waitsTimedOut = 0;
    for (const s of SCRIPT) {
      if (s.op === 'out') {
        out(s.port, s.size, s.value);
        continue;
      }
      if (s.op === 'wait') {
        const mask = s.value & 0xff;
        const want = (s.value >> 8) & 0xff;
        let ok = false;
        for (let n = 0; n < 1000 && !ok; n++) ok = (inp(s.port, 1) & mask) === want;
        if (!ok) waitsTimedOut++;
        continue;
      }
      const v = s.op === 'peek' ? ram[s.value]! : inp(s.port, s.size);
      const q = golden.results[k++]!;
      const dev = DEVIATIONS[s.note];
      const expected = dev !== undefined ? dev.vtx : q;
      if (((v ^ expected) & s.mask) !== 0) {
        diffs.push({ note: `#${k - 1} ${s.op} 0x${(s.op === 'peek' ? s.value : s.port).toString(16)} (${s.note})`, qemu: `0x${(q >>> 0).toString(16)}`, vtx: `0x${(v >>> 0).toString(16)}` });
      }
    }
    expect(k).toBe(golden.results.length);
    expect(waitsTimedOut).toBe(0);
    expect(diffs).toEqual([]);
  });
});
