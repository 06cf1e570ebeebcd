import { describe, expect, it } from 'vitest';
import { buildMultibootInfo, detectKind, MULTIBOOT_HEADER_MAGIC, parseImage } from '../../src/machine/loader.js';
import { ImageError } from '../../src/machine/errors.js';

const RAM = 32 << 20;

function bootSector(): Uint8Array {
  const b = new Uint8Array(512);
  b[0] = 0xf4;
  b[510] = 0x55;
  b[511] = 0xaa;
  return b;
}

function le32(b: Uint8Array, o: number, v: number): void {
  new DataView(b.buffer, b.byteOffset).setUint32(o, v >>> 0, true);
}

/** a.out-kludge multiboot kernel loaded at 1 MiB with the header at offset 0. */
function aoutKernel(opts: { checksumDelta?: number; loadAddr?: number; size?: number } = {}): Uint8Array {
  const size = opts.size ?? 64;
  const b = new Uint8Array(size);
  const flags = 0x10003;
  const load = opts.loadAddr ?? 0x100000;
  le32(b, 0, MULTIBOOT_HEADER_MAGIC);
  le32(b, 4, flags);
  le32(b, 8, -(MULTIBOOT_HEADER_MAGIC + flags) + (opts.checksumDelta ?? 0));
  le32(b, 12, load); // header_addr
  le32(b, 16, load); // load_addr
  le32(b, 20, load + size); // load_end_addr
  le32(b, 24, load + size + 4096); // bss_end_addr
  le32(b, 28, load + 32); // entry
  b[32] = 0xf4;
  return b;
}

/** Minimal ELF32 with one PT_LOAD at `paddr` and a multiboot header (flags 3) in the segment. */
function elfKernel(paddr = 0x100000): Uint8Array {
  const b = new Uint8Array(0x200);
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0);
  const v = new DataView(b.buffer);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 3, true); // EM_386
  v.setUint32(20, 1, true);
  v.setUint32(24, paddr + 0x10, true); // entry
  v.setUint32(28, 52, true); // phoff
  v.setUint16(40, 52, true);
  v.setUint16(42, 32, true);
  v.setUint16(44, 1, true);
  // PT_LOAD: offset 0x100, vaddr/paddr, filesz 0x100, memsz 0x1000
  v.setUint32(52, 1, true);
  v.setUint32(56, 0x100, true);
  v.setUint32(60, paddr, true);
  v.setUint32(64, paddr, true);
  v.setUint32(68, 0x100, true);
  v.setUint32(72, 0x1000, true);
  v.setUint32(76, 5, true);
  le32(b, 0x100, MULTIBOOT_HEADER_MAGIC);
  le32(b, 0x104, 3);
  le32(b, 0x108, -(MULTIBOOT_HEADER_MAGIC + 3));
  return b;
}

describe('image detection', () => {
  it('detects a boot sector as a disk and a 1.44 MB image as a floppy', () => {
    expect(detectKind(bootSector(), 'a.img')).toBe('disk');
    const f = new Uint8Array(1474560);
    f.set(bootSector());
    expect(detectKind(f, 'f.img')).toBe('floppy');
  });
  it('detects multiboot ELF and a.out kludge kernels', () => {
    expect(parseImage(elfKernel(), { file: 'k.elf', ramSize: RAM })).toMatchObject({ kind: 'multiboot', format: 'elf', entry: 0x100010 });
    const p = parseImage(aoutKernel(), { file: 'k.bin', ramSize: RAM });
    expect(p).toMatchObject({ kind: 'multiboot', format: 'aout', entry: 0x100020 });
    if (p.kind === 'multiboot') expect(p.segments[0]!.memSize).toBe(64 + 4096);
  });
});

describe('malformed images get one clear error', () => {
  const cases: Array<[string, () => Uint8Array, RegExp, object?]> = [
    ['empty file', () => new Uint8Array(0), /empty image/],
    ['truncated boot sector', () => bootSector().subarray(0, 300), /truncated image: 300 bytes/],
    ['wrong boot signature', () => { const b = bootSector(); b[511] = 0; return b; }, /no multiboot header and no boot signature 0x55AA \(found 0x0055\).*offset 0x1fe/],
    ['multiboot bad checksum', () => aoutKernel({ checksumDelta: 1 }), /checksum is wrong.*offset 0x8, checksum/],
    ['multiboot truncated load area', () => { const k = aoutKernel(); return k.subarray(0, 40); }, /truncated image: load_end_addr needs 64 bytes, file has 40/],
    ['segment outside RAM', () => aoutKernel({ loadAddr: 0x4000000 }), /outside guest RAM/],
    ['ELF without multiboot header', () => { const e = elfKernel(); e.fill(0, 0x100, 0x10c); return e; }, /ELF file without a multiboot header/],
    ['ELF segment outside RAM', () => elfKernel(0x7ff0000), /outside guest RAM/],
    ['ELF truncated program headers', () => { const e = elfKernel(); new DataView(e.buffer).setUint16(44, 40, true); return e; }, /program headers run past the end/],
  ];
  for (const [name, make, re] of cases) {
    it(name, () => {
      let err: unknown;
      try {
        parseImage(make(), { file: 'guest.img', ramSize: RAM });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ImageError);
      expect((err as Error).message).toMatch(/^guest\.img: /);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).not.toContain('\n');
    });
  }
});

describe('multiboot information', () => {
  it('lays out info, command line, modules and memory map after the kernel', () => {
    const plan = parseImage(elfKernel(), { file: 'k.elf', ramSize: RAM });
    if (plan.kind !== 'multiboot') throw new Error('expected multiboot');
    const mod = new Uint8Array([1, 2, 3]);
    const layout = buildMultibootInfo(plan, {
      cmdline: 'k.elf hello',
      modules: [{ name: 'm1', data: mod, args: 'x=1' }],
      e820: [{ base: 0, length: 0x9fc00, type: 1 }, { base: 0x100000, length: RAM - 0x100000, type: 1 }],
      ramSize: RAM,
      loaderName: 'vtx',
      file: 'k.elf',
    });
    expect(layout.writes[0]).toEqual({ addr: 0x101000, data: mod });
    expect(layout.infoAddr).toBe(0x102000);
    const info = new DataView(layout.writes[1]!.data.buffer);
    expect(info.getUint32(0, true)).toBe(0x24f);
    expect(info.getUint32(8, true)).toBe((RAM >> 10) - 1024);
    expect(info.getUint32(20, true)).toBe(1);
  });
});
