/**
 * Guest image formats and their detection: BIOS boot images (floppy or hard disk), multiboot v1
 * kernels (ELF, and the a.out kludge with header flag 16), and flat binaries at a given address.
 *
 * `parseImage()` validates an image and returns a plan — what goes where in guest-physical memory
 * and how the vCPU starts — without touching a machine. Everything malformed is an `ImageError`
 * naming the file, the offset and the field: truncated files, wrong magic, a multiboot header with
 * a bad checksum, ELF segments outside RAM.
 *
 * Multiboot follows the Multiboot Specification 0.6.96 and QEMU's `hw/i386/multiboot.c` where the
 * spec leaves room (boot device 0x8000FFFF, command line "<kernel path> <append>", module command
 * lines "<path> <args>", modules page-aligned after the kernel).
 *
 * Does not model: multiboot video mode set-up (flag 2 is accepted and ignored, as QEMU does),
 * ELF64 kernels, multiboot2.
 */
import { ImageError } from './errors.js';

export type BootKind = 'disk' | 'floppy' | 'multiboot' | 'flat';

/** Sizes of the standard PC floppy formats in bytes. */
export const FLOPPY_SIZES: ReadonlySet<number> = new Set([
  163840, 184320, 327680, 368640, 737280, 1228800, 1474560, 2949120,
]);

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
const MULTIBOOT_SEARCH = 8192;

export interface LoadSegment {
  /** Guest-physical load address. */
  addr: number;
  /** Bytes to copy. */
  data: Uint8Array;
  /** Total size in memory (zero-filled past data.length). */
  memSize: number;
}

export interface BiosBootPlan {
  kind: 'disk' | 'floppy';
  image: Uint8Array;
}

export interface MultibootPlan {
  kind: 'multiboot';
  format: 'elf' | 'aout';
  segments: LoadSegment[];
  entry: number;
  /** Header flags (bit 0: page-align modules, bit 1: memory info, bit 16: address fields). */
  flags: number;
  /** Highest guest-physical address used by the kernel (exclusive), for placing modules/info. */
  end: number;
}

export interface FlatPlan {
  kind: 'flat';
  addr: number;
  data: Uint8Array;
  /** 16: real mode, CS:IP = addr>>4:addr&15 (addr < 1 MiB); 32: flat protected mode, paging off. */
  mode: 16 | 32;
}

export type BootPlan = BiosBootPlan | MultibootPlan | FlatPlan;

export interface ParseOptions {
  /** Name used in error messages (the path the user gave). */
  file: string;
  /** Forced kind (from --boot); undefined = detect. */
  boot?: BootKind;
  /** For flat images: load address and mode. */
  flatAddr?: number;
  flatMode?: 16 | 32;
  /** Guest RAM size in bytes (segments must fit). */
  ramSize: number;
}

function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

/** Offset of the multiboot header in the first 8 KiB (32-bit aligned), or -1. */
export function findMultibootHeader(image: Uint8Array): number {
  const end = Math.min(image.length, MULTIBOOT_SEARCH) - 12;
  for (let o = 0; o <= end; o += 4) if (u32(image, o) === MULTIBOOT_HEADER_MAGIC) return o;
  return -1;
}

function isElf(image: Uint8Array): boolean {
  return image.length >= 4 && image[0] === 0x7f && image[1] === 0x45 && image[2] === 0x4c && image[3] === 0x46;
}

function hasBootSignature(image: Uint8Array): boolean {
  return image.length >= 512 && image[510] === 0x55 && image[511] === 0xaa;
}

/** Detect the kind of an image: multiboot header, else boot signature, else an error. */
export function detectKind(image: Uint8Array, file: string): BootKind {
  if (image.length === 0) throw new ImageError(file, 'empty image');
  if (findMultibootHeader(image) >= 0) return 'multiboot';
  if (isElf(image)) throw new ImageError(file, 'ELF file without a multiboot header in its first 8 KiB', 0, 'multiboot magic 0x1BADB002');
  if (image.length < 512) throw new ImageError(file, `truncated image: ${image.length} bytes, a boot sector needs 512`, image.length);
  if (!hasBootSignature(image)) {
    throw new ImageError(file, `unrecognised image: no multiboot header and no boot signature 0x55AA (found 0x${u16(image, 510).toString(16).padStart(4, '0')})`, 510, 'boot signature');
  }
  return FLOPPY_SIZES.has(image.length) ? 'floppy' : 'disk';
}

export function parseImage(image: Uint8Array, opts: ParseOptions): BootPlan {
  const { file } = opts;
  const kind = opts.boot ?? detectKind(image, file);
  switch (kind) {
    case 'disk':
    case 'floppy':
      if (image.length < 512) throw new ImageError(file, `truncated image: ${image.length} bytes, a boot sector needs 512`, image.length);
      if (!hasBootSignature(image)) throw new ImageError(file, `boot sector lacks the signature 0x55AA (found 0x${u16(image, 510).toString(16).padStart(4, '0')})`, 510, 'boot signature');
      return { kind, image };
    case 'multiboot':
      return parseMultiboot(image, opts);
    case 'flat': {
      const addr = opts.flatAddr ?? 0x7c00;
      const mode = opts.flatMode ?? (addr < 0x100000 ? 16 : 32);
      if (image.length === 0) throw new ImageError(file, 'empty image');
      if (addr < 0 || addr + image.length > opts.ramSize) {
        throw new ImageError(file, `flat image of ${image.length} bytes at 0x${addr.toString(16)} does not fit in ${opts.ramSize >> 20} MiB of RAM`);
      }
      if (mode === 16 && addr + image.length > 0x100000) throw new ImageError(file, 'a 16-bit flat image must lie below 1 MiB');
      return { kind: 'flat', addr, data: image, mode };
    }
  }
}

function parseMultiboot(image: Uint8Array, opts: ParseOptions): MultibootPlan {
  const { file, ramSize } = opts;
  const h = findMultibootHeader(image);
  if (h < 0) throw new ImageError(file, 'no multiboot header (magic 0x1BADB002) in the first 8 KiB', 0, 'multiboot magic');
  if (h + 12 > image.length) throw new ImageError(file, 'truncated multiboot header', h);
  const flags = u32(image, h + 4);
  const checksum = u32(image, h + 8);
  if (((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0) !== 0) {
    throw new ImageError(file, `multiboot header checksum is wrong: magic + flags + checksum = 0x${((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0).toString(16)}, must be 0`, h + 8, 'checksum');
  }
  // Bits 0-15 are requirements: refuse the ones we cannot honour (2 = video mode is accepted and
  // ignored, as QEMU does).
  const unknown = flags & 0xfff8;
  if (unknown !== 0) throw new ImageError(file, `multiboot header requires unsupported features (flags 0x${flags.toString(16)})`, h + 4, 'flags');

  const segments: LoadSegment[] = [];
  let entry: number;
  let format: 'elf' | 'aout';
  if (flags & 0x10000) {
    format = 'aout';
    if (h + 32 > image.length) throw new ImageError(file, 'truncated multiboot header address fields', h + 12);
    const headerAddr = u32(image, h + 12);
    const loadAddr = u32(image, h + 16);
    const loadEndAddr = u32(image, h + 20);
    const bssEndAddr = u32(image, h + 24);
    entry = u32(image, h + 28);
    if (loadAddr > headerAddr) throw new ImageError(file, `load_addr 0x${loadAddr.toString(16)} is above header_addr 0x${headerAddr.toString(16)}`, h + 16, 'load_addr');
    const fileOffset = h - (headerAddr - loadAddr);
    if (fileOffset < 0) throw new ImageError(file, 'header_addr - load_addr points before the start of the file', h + 12, 'header_addr');
    const loadSize = loadEndAddr === 0 ? image.length - fileOffset : (loadEndAddr - loadAddr) >>> 0;
    if (loadEndAddr !== 0 && loadEndAddr < loadAddr) throw new ImageError(file, 'load_end_addr is below load_addr', h + 20, 'load_end_addr');
    if (fileOffset + loadSize > image.length) throw new ImageError(file, `truncated image: load_end_addr needs ${fileOffset + loadSize} bytes, file has ${image.length}`, image.length, 'load_end_addr');
    const memSize = bssEndAddr === 0 ? loadSize : Math.max(loadSize, (bssEndAddr - loadAddr) >>> 0);
    if (bssEndAddr !== 0 && bssEndAddr < loadAddr + loadSize) throw new ImageError(file, 'bss_end_addr is below load_end_addr', h + 24, 'bss_end_addr');
    segments.push({ addr: loadAddr, data: image.subarray(fileOffset, fileOffset + loadSize), memSize });
  } else {
    format = 'elf';
    parseElf(image, file, segments);
    entry = u32(image, 24);
  }
  let end = 0;
  for (const s of segments) {
    if (s.addr < 0x1000 || s.addr + s.memSize > ramSize) {
      throw new ImageError(file, `segment at 0x${s.addr.toString(16)}..0x${(s.addr + s.memSize).toString(16)} lies outside guest RAM (0x1000..0x${ramSize.toString(16)})`);
    }
    if (s.addr < 0x100000 && s.addr + s.memSize > 0xa0000) {
      throw new ImageError(file, `segment at 0x${s.addr.toString(16)}..0x${(s.addr + s.memSize).toString(16)} overlaps the VGA/BIOS hole 0xA0000-0xFFFFF`);
    }
    end = Math.max(end, s.addr + s.memSize);
  }
  if (!segments.some((s) => entry >= s.addr && entry < s.addr + s.memSize)) {
    throw new ImageError(file, `entry point 0x${entry.toString(16)} is not inside any loaded segment`, format === 'aout' ? h + 28 : 24, 'entry');
  }
  return { kind: 'multiboot', format, segments, entry, flags, end };
}

/** ELF32 little-endian i386 executable: collect PT_LOAD segments (physical addresses). */
function parseElf(image: Uint8Array, file: string, out: LoadSegment[]): void {
  if (!isElf(image)) throw new ImageError(file, 'multiboot header without address fields (flag 16) requires an ELF image, but the ELF magic is missing', 0, 'e_ident');
  if (image.length < 52) throw new ImageError(file, `truncated ELF header: ${image.length} bytes`, image.length);
  if (image[4] !== 1) throw new ImageError(file, 'not a 32-bit ELF file (ELFCLASS32 required)', 4, 'EI_CLASS');
  if (image[5] !== 1) throw new ImageError(file, 'not a little-endian ELF file', 5, 'EI_DATA');
  const type = u16(image, 16);
  if (type !== 2) throw new ImageError(file, `ELF type ${type} is not ET_EXEC (2)`, 16, 'e_type');
  const machine = u16(image, 18);
  if (machine !== 3) throw new ImageError(file, `ELF machine ${machine} is not EM_386 (3)`, 18, 'e_machine');
  const phoff = u32(image, 28);
  const phentsize = u16(image, 42);
  const phnum = u16(image, 44);
  if (phentsize < 32) throw new ImageError(file, `bad program header entry size ${phentsize}`, 42, 'e_phentsize');
  if (phoff + phnum * phentsize > image.length) throw new ImageError(file, 'truncated image: program headers run past the end of the file', phoff, 'e_phoff');
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (u32(image, p) !== 1) continue; // PT_LOAD
    const offset = u32(image, p + 4);
    const paddr = u32(image, p + 12);
    const filesz = u32(image, p + 16);
    const memsz = u32(image, p + 20);
    if (offset + filesz > image.length) throw new ImageError(file, `truncated image: segment ${i} needs bytes up to ${offset + filesz}, file has ${image.length}`, p + 4, 'p_offset');
    if (memsz < filesz) throw new ImageError(file, `segment ${i} has p_memsz < p_filesz`, p + 20, 'p_memsz');
    if (memsz === 0) continue;
    out.push({ addr: paddr, data: image.subarray(offset, offset + filesz), memSize: memsz });
  }
  if (out.length === 0) throw new ImageError(file, 'ELF file has no loadable segments', phoff, 'PT_LOAD');
}

export interface E820Entry {
  base: number;
  length: number;
  /** 1 usable, 2 reserved, 3 ACPI reclaimable, 4 ACPI NVS. */
  type: number;
}

export interface MultibootModule {
  name: string;
  data: Uint8Array;
  /** Arguments after the module path (QEMU: "-initrd 'file args,file2'"). */
  args?: string;
}

export interface MultibootInfoLayout {
  /** Guest-physical address of the multiboot information structure. */
  infoAddr: number;
  /** Bytes to write into guest memory: [addr, data] pairs. */
  writes: Array<{ addr: number; data: Uint8Array }>;
}

/**
 * Lay out the multiboot information structure, command line, module list, modules and memory map
 * after the kernel, as QEMU does: modules page-aligned from the first page after the kernel, then
 * the info block. Flags set: MEMORY, BOOT_DEVICE, CMDLINE, MODS, MMAP, BOOT_LOADER_NAME.
 */
export function buildMultibootInfo(
  plan: MultibootPlan,
  opts: { cmdline: string; modules: MultibootModule[]; e820: E820Entry[]; ramSize: number; loaderName: string; file: string },
): MultibootInfoLayout {
  const writes: Array<{ addr: number; data: Uint8Array }> = [];
  const pageUp = (x: number): number => (x + 0xfff) & ~0xfff;
  let cursor = pageUp(plan.end);
  const modEntries: Array<{ start: number; end: number; cmdAddr: number }> = [];
  const strings: Array<{ text: string; at: number }> = [];
  for (const m of opts.modules) {
    const start = cursor;
    writes.push({ addr: start, data: m.data });
    cursor = pageUp(start + m.data.length);
    modEntries.push({ start, end: start + m.data.length, cmdAddr: 0 });
  }
  // Info block (88 bytes), module list, mmap, strings.
  const infoAddr = cursor;
  const modListAddr = infoAddr + 88;
  const mmapAddr = modListAddr + 16 * modEntries.length;
  const mmapLen = 24 * opts.e820.length;
  let strAddr = mmapAddr + mmapLen;
  const enc = new TextEncoder();
  const putString = (text: string): number => {
    const at = strAddr;
    strings.push({ text, at });
    strAddr += enc.encode(text).length + 1;
    return at;
  };
  const cmdlineAddr = putString(opts.cmdline);
  const loaderAddr = putString(opts.loaderName);
  opts.modules.forEach((m, i) => {
    modEntries[i]!.cmdAddr = putString(m.args ? `${m.name} ${m.args}` : m.name);
  });
  if (strAddr > opts.ramSize) throw new ImageError(opts.file, 'kernel, modules and multiboot information do not fit in guest RAM');

  const info = new DataView(new ArrayBuffer(88));
  // flags: 0 mem, 1 boot_device, 2 cmdline, 3 mods, 6 mmap, 9 boot_loader_name
  info.setUint32(0, (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 6) | (1 << 9), true);
  // mem_lower / mem_upper from the memory map, as QEMU's multiboot option ROM does: the usable
  // entry at 0 and the usable entry at 1 MiB, in KiB.
  const low = opts.e820.find((e) => e.base === 0 && e.type === 1);
  const high = opts.e820.find((e) => e.base === 0x100000 && e.type === 1);
  info.setUint32(4, low ? Math.floor(low.length / 1024) : 640, true);
  info.setUint32(8, high ? Math.floor(high.length / 1024) : Math.floor(opts.ramSize / 1024) - 1024, true);
  info.setUint32(12, 0x8000ffff, true); // boot_device
  info.setUint32(16, cmdlineAddr, true);
  info.setUint32(20, modEntries.length, true);
  info.setUint32(24, modListAddr, true);
  info.setUint32(44, mmapLen, true);
  info.setUint32(48, mmapAddr, true);
  info.setUint32(64, loaderAddr, true);
  writes.push({ addr: infoAddr, data: new Uint8Array(info.buffer) });

  const mods = new DataView(new ArrayBuffer(16 * modEntries.length));
  modEntries.forEach((m, i) => {
    mods.setUint32(i * 16, m.start, true);
    mods.setUint32(i * 16 + 4, m.end, true);
    mods.setUint32(i * 16 + 8, m.cmdAddr, true);
  });
  if (modEntries.length) writes.push({ addr: modListAddr, data: new Uint8Array(mods.buffer) });

  const mmap = new DataView(new ArrayBuffer(mmapLen));
  opts.e820.forEach((e, i) => {
    const o = i * 24;
    mmap.setUint32(o, 20, true); // size of the entry excluding this field
    mmap.setBigUint64(o + 4, BigInt(e.base), true);
    mmap.setBigUint64(o + 12, BigInt(e.length), true);
    mmap.setUint32(o + 20, e.type, true);
  });
  writes.push({ addr: mmapAddr, data: new Uint8Array(mmap.buffer) });
  for (const s of strings) {
    const bytes = enc.encode(s.text);
    const z = new Uint8Array(bytes.length + 1);
    z.set(bytes);
    writes.push({ addr: s.at, data: z });
  }
  return { infoAddr, writes };
}
