/**
 * Checks of the committed firmware image (firmware/bios.bin) that need no emulator: the image
 * is well formed (size, reset vector, fixed-address tables) and equals a fresh build of
 * firmware/bios.asm. The fresh-build comparison is the only conditional part: it is skipped,
 * with a message, when nasm is not installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIOS = join(ROOT, 'firmware/bios.bin');

function nasmAvailable(): boolean {
  const r = spawnSync('nasm', ['-v'], { encoding: 'utf8' });
  return r.status === 0;
}

describe('firmware/bios.bin', () => {
  const image = readFileSync(BIOS);

  it('is 64 KiB (QEMU and the vtx board map it at 0xF0000 and below 4 GiB)', () => {
    expect(image.length).toBe(65536);
    expect(image.length % 65536).toBe(0);
  });

  it('has a far jump to F000:POST at the reset vector F000:FFF0', () => {
    expect(image[0xfff0]).toBe(0xea); // JMP ptr16:16
    const offset = image.readUInt16LE(0xfff1);
    const segment = image.readUInt16LE(0xfff3);
    expect(segment).toBe(0xf000);
    expect(offset).toBeLessThan(0xe000); // code lives below the fixed-address area
    // the POST entry starts with CLI; CLD
    expect(image[offset]).toBe(0xfa);
    expect(image[offset + 1]).toBe(0xfc);
  });

  it('carries the BIOS date at F000:FFF5 and the AT model byte at F000:FFFE', () => {
    expect(image.subarray(0xfff5, 0xfffd).toString('latin1')).toMatch(/^\d\d\/\d\d\/\d\d$/);
    expect(image[0xfffe]).toBe(0xfc);
  });

  it('has the traditional POST entry at F000:E05B and the diskette parameter table at F000:EFC7', () => {
    // E05B: JMP rel16 to POST
    expect(image[0xe05b]).toBe(0xe9);
    const target = (0xe05b + 3 + image.readInt16LE(0xe05c)) & 0xffff;
    expect(target).toBe(image.readUInt16LE(0xfff1));
    // EFC7: 1.44 MB parameters (SRT/HUT 0xAF, 512-byte sectors, 18 sectors per track)
    expect(image[0xefc7]).toBe(0xaf);
    expect(image[0xefc7 + 3]).toBe(0x02);
    expect(image[0xefc7 + 4]).toBe(18);
  });

  describe('fresh build', () => {
    let out = '';
    let built = false;
    beforeAll(() => {
      if (!nasmAvailable()) return;
      out = mkdtempSync(join(tmpdir(), 'vtx-fw-'));
      const r = spawnSync('sh', [join(ROOT, 'scripts/build-binaries.sh'), '--out', out], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`build-binaries.sh failed (${r.status}): ${r.stderr}`);
      built = true;
    });
    afterAll(() => {
      if (out) rmSync(out, { recursive: true, force: true });
    });

    it('equals the committed image byte for byte (nasm required)', () => {
      if (!built) {
        console.warn('nasm is not installed: the rebuild comparison of firmware/bios.bin was not run');
        return;
      }
      const fresh = readFileSync(join(out, 'firmware/bios.bin'));
      expect(Buffer.compare(fresh, image)).toBe(0);
    });
  });
});
