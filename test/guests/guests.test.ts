/**
 * Checks of the committed guest binaries and golden files that need no emulator: every boot
 * image has the 0x55AA signature and a loader that reads exactly the sectors the image has,
 * the multiboot kernels carry a valid header (and the ELF one a sane ELF header), the goldens
 * recorded by scripts/record-goldens.sh are present and consistent, and every binary equals a
 * fresh build. The fresh-build comparison is the only conditional part: it is skipped, with a
 * message, when nasm is not installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Boot images and whether sector 1 loads the rest with `mov ax, 0x02NN; mov bx, 0x7E00`. */
const BOOT_IMAGES: ReadonlyArray<{ path: string; loadsRest: boolean }> = [
  { path: 'guests/hello/hello.img', loadsRest: false },
  { path: 'guests/demo/demo.img', loadsRest: true },
  { path: 'guests/pmode/pmode.img', loadsRest: true },
  { path: 'guests/devcheck/devcheck.img', loadsRest: true },
  { path: 'guests/exitstorm/exitstorm.img', loadsRest: true },
  { path: 'guests/vmexit/vmexit.img', loadsRest: true },
  { path: 'guests/biostest/biostest.img', loadsRest: true },
];

const MULTIBOOT_MAGIC = 0x1badb002;

function read(rel: string): Buffer {
  return readFileSync(join(ROOT, rel));
}

/** Offset of the Multiboot v1 header: 4-byte aligned, within the first 8 KiB. */
function findMultibootHeader(file: Buffer): number {
  const limit = Math.min(file.length - 12, 8192 - 12);
  for (let off = 0; off <= limit; off += 4) {
    if (file.readUInt32LE(off) === MULTIBOOT_MAGIC) return off;
  }
  return -1;
}

describe('boot images', () => {
  for (const { path, loadsRest } of BOOT_IMAGES) {
    describe(path, () => {
      const img = read(path);

      it('is whole sectors ending the first one with the 0x55AA boot signature', () => {
        expect(img.length % 512).toBe(0);
        expect(img.length).toBeGreaterThanOrEqual(512);
        expect(img[510]).toBe(0x55);
        expect(img[511]).toBe(0xaa);
      });

      if (loadsRest) {
        it('fits on track 0 and its boot sector reads exactly the remaining sectors', () => {
          const rest = img.length / 512 - 1;
          expect(rest).toBeGreaterThan(0);
          expect(rest).toBeLessThanOrEqual(17);
          // B8 NN 02 = mov ax, 0x02NN (int 13h AH=02h, AL=NN); BB 00 7E = mov bx, 0x7E00
          const pattern = Buffer.from([0xb8, rest, 0x02, 0xbb, 0x00, 0x7e]);
          expect(img.subarray(0, 510).indexOf(pattern)).toBeGreaterThanOrEqual(0);
        });
      }
    });
  }
});

describe('guests/multiboot/multiboot.elf', () => {
  const elf = read('guests/multiboot/multiboot.elf');

  it('has a sane ELF32 i386 executable header', () => {
    expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(elf[4]).toBe(1); // ELFCLASS32
    expect(elf[5]).toBe(1); // ELFDATA2LSB
    expect(elf[6]).toBe(1); // EV_CURRENT
    expect(elf.readUInt16LE(16)).toBe(2); // ET_EXEC
    expect(elf.readUInt16LE(18)).toBe(3); // EM_386
    expect(elf.readUInt32LE(20)).toBe(1);
    expect(elf.readUInt16LE(40)).toBe(52); // e_ehsize
    expect(elf.readUInt16LE(42)).toBe(32); // e_phentsize
  });

  it('has PT_LOAD segments inside the file, at or above 1 MiB, containing the entry point', () => {
    const entry = elf.readUInt32LE(24);
    const phoff = elf.readUInt32LE(28);
    const phnum = elf.readUInt16LE(44);
    expect(phnum).toBeGreaterThan(0);
    expect(phoff + phnum * 32).toBeLessThanOrEqual(elf.length);
    let entryCovered = false;
    for (let i = 0; i < phnum; i++) {
      const ph = phoff + i * 32;
      if (elf.readUInt32LE(ph) !== 1) continue; // PT_LOAD
      const offset = elf.readUInt32LE(ph + 4);
      const paddr = elf.readUInt32LE(ph + 12);
      const filesz = elf.readUInt32LE(ph + 16);
      const memsz = elf.readUInt32LE(ph + 20);
      expect(offset + filesz).toBeLessThanOrEqual(elf.length);
      expect(memsz).toBeGreaterThanOrEqual(filesz);
      expect(paddr).toBeGreaterThanOrEqual(0x100000);
      if (entry >= paddr && entry < paddr + filesz) entryCovered = true;
    }
    expect(entryCovered).toBe(true);
  });

  it('has a Multiboot header with a zero checksum and no a.out kludge', () => {
    const off = findMultibootHeader(elf);
    expect(off).toBeGreaterThanOrEqual(0);
    const flags = elf.readUInt32LE(off + 4);
    const checksum = elf.readUInt32LE(off + 8);
    expect((MULTIBOOT_MAGIC + flags + checksum) >>> 0).toBe(0);
    expect(flags & 0x10000).toBe(0);
    expect(flags & 0x4).toBe(0); // no video mode request
  });
});

describe('guests/multiboot/multiboot-aout.bin', () => {
  const bin = read('guests/multiboot/multiboot-aout.bin');

  it('has a Multiboot header with the a.out kludge and consistent addresses', () => {
    const off = findMultibootHeader(bin);
    expect(off).toBeGreaterThanOrEqual(0);
    const flags = bin.readUInt32LE(off + 4);
    const checksum = bin.readUInt32LE(off + 8);
    expect((MULTIBOOT_MAGIC + flags + checksum) >>> 0).toBe(0);
    expect(flags & 0x10000).toBe(0x10000);
    const headerAddr = bin.readUInt32LE(off + 12);
    const loadAddr = bin.readUInt32LE(off + 16);
    const loadEnd = bin.readUInt32LE(off + 20);
    const bssEnd = bin.readUInt32LE(off + 24);
    const entry = bin.readUInt32LE(off + 28);
    expect(loadAddr).toBeGreaterThanOrEqual(0x100000);
    expect(headerAddr - loadAddr).toBe(off); // file offset of the header = its load offset
    expect(loadEnd - loadAddr).toBeLessThanOrEqual(bin.length);
    expect(bssEnd).toBeGreaterThanOrEqual(loadEnd);
    expect(entry).toBeGreaterThanOrEqual(loadAddr);
    expect(entry).toBeLessThan(loadEnd);
  });
});

describe('golden files (scripts/record-goldens.sh)', () => {
  const exiting = ['pmode', 'multiboot', 'multiboot-aout', 'devcheck', 'exitstorm', 'biostest'];

  for (const name of exiting) {
    it(`${name}: exits through isa-debug-exit with 0 (QEMU status 1) after printing PASS`, () => {
      const serial = read(`test/golden/${name}.serial`).toString('latin1');
      const status = read(`test/golden/${name}.status`).toString('latin1');
      expect(status).toBe('1\n');
      expect(serial.endsWith(': PASS\r\n')).toBe(true);
      expect(serial).not.toMatch(/FAIL/);
    });
  }

  it('hello: prints its greeting and a computed line, then halts (QEMU ended by timeout, 124)', () => {
    const serial = read('test/golden/hello.serial').toString('latin1');
    expect(serial).toBe('Hello from vtx!\r\nfib(24) = 46368\r\nboot drive = 0x0080\r\n');
    expect(read('test/golden/hello.status').toString('latin1')).toBe('124\n');
  });

  it('demo: tours the exits, then halts (QEMU ended by timeout, 124)', () => {
    const serial = read('test/golden/demo.serial').toString('latin1');
    expect(serial.startsWith('vtx demo guest\r\n')).toBe(true);
    expect(serial.endsWith('demo done; halting (cli; hlt)\r\n')).toBe(true);
    expect(read('test/golden/demo.status').toString('latin1')).toBe('124\n');
  });

  it('exitstorm: its summary holds only iteration counts (deterministic)', () => {
    const serial = read('test/golden/exitstorm.serial').toString('latin1');
    expect(serial).toContain('exitstorm: cpuid 10000\r\n');
    expect(serial).toContain('exitstorm: hlt woken by irq0 1000\r\n');
  });

  it('vmexit has no golden (its numbers are timings)', () => {
    expect(existsSync(join(ROOT, 'test/golden/vmexit.serial'))).toBe(false);
  });
});

describe('fresh build', () => {
  let out = '';
  let files: string[] = [];
  beforeAll(() => {
    if (spawnSync('nasm', ['-v']).status !== 0) return;
    out = mkdtempSync(join(tmpdir(), 'vtx-guests-'));
    const r = spawnSync('sh', [join(ROOT, 'scripts/build-binaries.sh'), '--out', out], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`build-binaries.sh failed (${r.status}): ${r.stderr}`);
    files = r.stdout.split('\n').filter((l) => l.startsWith('guests/'));
  });
  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('every committed guest binary equals a fresh build byte for byte (nasm required)', () => {
    if (!out) {
      console.warn('nasm is not installed: the rebuild comparison of the guest binaries was not run');
      return;
    }
    expect(files.length).toBe(9);
    for (const rel of files) {
      const fresh = readFileSync(join(out, rel));
      const committed = read(rel);
      expect(Buffer.compare(fresh, committed), rel).toBe(0);
    }
  });
});
