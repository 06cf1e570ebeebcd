/**
 * QEMU's firmware configuration device (hw/nvram/fw_cfg.c, docs/specs/fw_cfg.rst), x86 I/O
 * interface: selector at 0x510 (16-bit write), data at 0x511 (8-bit read), optional DMA interface
 * at 0x514 (64-bit big-endian address register: writing the low half at 0x518 starts the
 * transfer). Selector numbers come from include/standard-headers/linux/qemu_fw_cfg.h and
 * hw/i386/fw_cfg.h.
 *
 * Models: items keyed by selector (bit 14 write-channel ignored for reads, bit 15 arch-local),
 * traditional byte-at-a-time reads (past the end, or an unknown selector, read 0), the file
 * directory FW_CFG_FILE_DIR (BE32 count, then {BE32 size, BE16 select, BE16 reserved, name[56]})
 * kept sorted by name with selectors renumbered from 0x20 as QEMU's fw_cfg_add_file does, and
 * the DMA interface (control READ / SKIP / SELECT; WRITE reports an error since no item is
 * writable) when a guest-memory accessor is given — then FW_CFG_ID reports 3 (traditional + DMA)
 * and reads at 0x514 return the "QEMU CFG" signature; without it FW_CFG_ID is 1.
 *
 * Does not model: the MMIO variant (ARM), writable items and write callbacks, legacy file order.
 */
import type { Device, DeviceState, RegionOps } from './device.js';
import type { AccessSize } from '../memory/types.js';
import type { IoRegionSpec } from '../memory/io-space.js';
import { OptionError } from '../machine/errors.js';

/** Selector keys (qemu_fw_cfg.h, hw/i386/fw_cfg.h). */
export const FW_CFG = {
  SIGNATURE: 0x00,
  ID: 0x01,
  UUID: 0x02,
  RAM_SIZE: 0x03,
  NOGRAPHIC: 0x04,
  NB_CPUS: 0x05,
  MACHINE_ID: 0x06,
  KERNEL_ADDR: 0x07,
  KERNEL_SIZE: 0x08,
  KERNEL_CMDLINE: 0x09,
  INITRD_ADDR: 0x0a,
  INITRD_SIZE: 0x0b,
  BOOT_DEVICE: 0x0c,
  NUMA: 0x0d,
  BOOT_MENU: 0x0e,
  MAX_CPUS: 0x0f,
  KERNEL_ENTRY: 0x10,
  KERNEL_DATA: 0x11,
  INITRD_DATA: 0x12,
  CMDLINE_ADDR: 0x13,
  CMDLINE_SIZE: 0x14,
  CMDLINE_DATA: 0x15,
  SETUP_ADDR: 0x16,
  SETUP_SIZE: 0x17,
  SETUP_DATA: 0x18,
  FILE_DIR: 0x19,
  FILE_FIRST: 0x20,
  WRITE_CHANNEL: 0x4000,
  ARCH_LOCAL: 0x8000,
  ACPI_TABLES: 0x8000,
  SMBIOS_ENTRIES: 0x8001,
  IRQ0_OVERRIDE: 0x8002,
  E820_TABLE: 0x8003,
  HPET: 0x8004,
  INVALID: 0xffff,
} as const;

/** FW_CFG_ID feature bits. */
export const FW_CFG_VERSION = 0x01;
export const FW_CFG_VERSION_DMA = 0x02;

const DMA_CTL_ERROR = 0x01;
const DMA_CTL_READ = 0x02;
const DMA_CTL_SKIP = 0x04;
const DMA_CTL_SELECT = 0x08;
const DMA_CTL_WRITE = 0x10;

/** "QEMU CFG" as the 8 bytes a guest reads at 0x514..0x51B. */
const DMA_SIGNATURE = [0x51, 0x45, 0x4d, 0x55, 0x20, 0x43, 0x46, 0x47];
const MAX_FILE_PATH = 56;
/** Selectors are 14 bits wide (bit 14 = write channel, bit 15 = arch). */
const ENTRY_MASK = 0x3fff;

/** Guest-physical memory as DMA sees it (AddressSpace satisfies this). */
export interface FwCfgDmaMemory {
  readBytes(addr: number, dst: Uint8Array): void;
  writeBytes(addr: number, src: Uint8Array): void;
}

export interface FwCfgOptions {
  name?: string;
  /** Base port (default 0x510). The DMA registers sit at base + 4. */
  base?: number;
  /** Enables the DMA interface. */
  dma?: FwCfgDmaMemory;
}

interface FwCfgFile {
  name: string;
  data: Uint8Array;
}

export class FwCfg implements Device {
  readonly name: string;
  readonly base: number;
  private readonly dma: FwCfgDmaMemory | undefined;
  private readonly items = new Map<number, Uint8Array>();
  private files: FwCfgFile[] = [];
  private selector: number = FW_CFG.INVALID;
  private current: Uint8Array | null = null;
  private offset = 0;
  private dmaAddrHi = 0;
  /** Scratch for the 16-byte FWCfgDmaAccess (no allocation per transfer). */
  private readonly dmaDesc = new Uint8Array(16);
  private readonly dmaView = new DataView(this.dmaDesc.buffer);

  /** Ports base..base+1: offset 0 = selector (16-bit write), 1 = data (8-bit). */
  readonly ioOps: RegionOps;
  /** Ports base+4..base+11: DMA address register (big-endian), signature on read. */
  readonly dmaOps: RegionOps;

  constructor(opts: FwCfgOptions = {}) {
    this.name = opts.name ?? 'fw_cfg';
    this.base = opts.base ?? 0x510;
    this.dma = opts.dma;
    this.ioOps = {
      read: (_off: number, size: AccessSize) => {
        let v = 0;
        for (let i = 0; i < size; i++) v |= this.readByte() << (8 * i);
        return v >>> 0;
      },
      write: (off: number, size: AccessSize, v: number) => {
        // QEMU fw_cfg_comb_write: a 16-bit write at offset 0 selects; data writes are ignored.
        if (off === 0 && size === 2) this.select(v & 0xffff);
      },
    };
    this.dmaOps = {
      read: (off: number, size: AccessSize) => {
        let v = 0;
        for (let i = 0; i < size; i++) v |= (DMA_SIGNATURE[off + i] ?? 0) << (8 * i);
        return v >>> 0;
      },
      write: (off: number, size: AccessSize, v: number) => {
        if (size !== 4) return;
        const be = bswap32(v);
        if (off === 0) this.dmaAddrHi = be;
        else if (off === 4) {
          this.dmaTransfer(this.dmaAddrHi * 2 ** 32 + be);
          this.dmaAddrHi = 0;
        }
      },
    };
    this.addItem(FW_CFG.SIGNATURE, new Uint8Array([0x51, 0x45, 0x4d, 0x55])); // "QEMU"
    this.addI32(FW_CFG.ID, FW_CFG_VERSION | (this.dma ? FW_CFG_VERSION_DMA : 0));
    this.addItem(FW_CFG.UUID, new Uint8Array(16));
    this.addI16(FW_CFG.NOGRAPHIC, 0);
    this.addI16(FW_CFG.BOOT_MENU, 0);
    this.rebuildDir();
  }

  ioRegions(): IoRegionSpec[] {
    const r: IoRegionSpec[] = [{ base: this.base, count: 2, ops: this.ioOps, name: this.name, minSize: 1, maxSize: 2 }];
    if (this.dma) r.push({ base: this.base + 4, count: 8, ops: this.dmaOps, name: `${this.name}.dma`, minSize: 1, maxSize: 4 });
    return r;
  }

  // ---- machine side --------------------------------------------------------------------------

  /** Set (or replace) the item at `selector`. */
  addItem(selector: number, data: Uint8Array): void {
    const key = selector & (FW_CFG.ARCH_LOCAL | ENTRY_MASK);
    if ((key & ENTRY_MASK) >= FW_CFG.FILE_FIRST && (key & FW_CFG.ARCH_LOCAL) === 0) {
      throw new OptionError(`${this.name}.addItem`, `selector 0x${selector.toString(16)} is in the file range; use addFile`);
    }
    this.items.set(key, data);
  }

  addI16(selector: number, v: number): void {
    this.addItem(selector, le(v, 2));
  }
  addI32(selector: number, v: number): void {
    this.addItem(selector, le(v, 4));
  }
  addI64(selector: number, v: number): void {
    this.addItem(selector, le(v, 8));
  }
  /** FW_CFG_RAM_SIZE (64-bit LE), as QEMU's fw_cfg_arch_create sets it. */
  setRamSize(bytes: number): void {
    this.addI64(FW_CFG.RAM_SIZE, bytes);
  }

  /** FW_CFG_NB_CPUS and FW_CFG_MAX_CPUS (16-bit LE). */
  setCpuCount(cpus: number, maxCpus = cpus): void {
    this.addI16(FW_CFG.NB_CPUS, cpus);
    this.addI16(FW_CFG.MAX_CPUS, maxCpus);
  }

  /** A NUL-terminated string item (QEMU fw_cfg_add_string). */
  addString(selector: number, s: string): void {
    this.addItem(selector, nulTerminated(s));
  }

  /** Add or replace a named file; the directory stays sorted by name. */
  addFile(name: string, data: Uint8Array): void {
    if (name.length === 0 || new TextEncoder().encode(name).length >= MAX_FILE_PATH) {
      throw new OptionError(`${this.name}.addFile`, `file name "${name}" must be 1..${MAX_FILE_PATH - 1} bytes`);
    }
    const existing = this.files.find((f) => f.name === name);
    if (existing) existing.data = data;
    else {
      if (this.files.length >= ENTRY_MASK - FW_CFG.FILE_FIRST) throw new OptionError(`${this.name}.addFile`, 'too many files');
      this.files.push({ name, data });
      // QEMU compares names with strcmp: byte order.
      this.files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
    this.rebuildDir();
  }

  /** Selector of a file (after sorting), or -1. */
  fileSelector(name: string): number {
    const i = this.files.findIndex((f) => f.name === name);
    return i < 0 ? -1 : FW_CFG.FILE_FIRST + i;
  }

  /**
   * FW_CFG_FILE_DIR, all big-endian:
   *   +0        u32 count
   *   +4+64*i   u32 size, u16 select, u16 reserved, char name[56] (NUL-padded)
   */
  private rebuildDir(): void {
    const dir = new Uint8Array(4 + this.files.length * 64);
    const v = new DataView(dir.buffer);
    v.setUint32(0, this.files.length);
    const enc = new TextEncoder();
    this.files.forEach((f, i) => {
      const o = 4 + i * 64;
      v.setUint32(o, f.data.length);
      v.setUint16(o + 4, FW_CFG.FILE_FIRST + i);
      dir.set(enc.encode(f.name), o + 8);
    });
    this.items.set(FW_CFG.FILE_DIR, dir);
    if (this.selector !== FW_CFG.INVALID) this.current = this.lookup(this.selector);
  }

  private lookup(key: number): Uint8Array | null {
    const k = key & (FW_CFG.ARCH_LOCAL | ENTRY_MASK);
    if ((k & FW_CFG.ARCH_LOCAL) === 0 && k >= FW_CFG.FILE_FIRST) {
      const f = this.files[k - FW_CFG.FILE_FIRST];
      return f ? f.data : null;
    }
    return this.items.get(k) ?? null;
  }

  // ---- guest side ----------------------------------------------------------------------------

  private select(key: number): void {
    this.selector = key;
    this.offset = 0;
    this.current = this.lookup(key);
  }

  private readByte(): number {
    const d = this.current;
    if (d === null || this.offset >= d.length) return 0;
    return d[this.offset++]!;
  }

  /**
   * QEMU fw_cfg_dma_transfer. FWCfgDmaAccess at `addr` (big-endian):
   *   +0  u32 control   bit 0 ERROR, 1 READ, 2 SKIP, 3 SELECT, 4 WRITE; bits 31:16 selector
   *   +4  u32 length
   *   +8  u64 address
   * On completion control is written back as 0, or ERROR.
   */
  private dmaTransfer(addr: number): void {
    const mem = this.dma;
    if (!mem) return;
    mem.readBytes(addr, this.dmaDesc);
    const v = this.dmaView;
    const control = v.getUint32(0);
    let length = v.getUint32(4);
    let address = v.getUint32(8) * 2 ** 32 + v.getUint32(12);
    if (control & DMA_CTL_SELECT) this.select(control >>> 16);
    let read = false;
    let write = false;
    if (control & DMA_CTL_READ) read = true;
    else if (control & DMA_CTL_WRITE) write = true;
    else if (!(control & DMA_CTL_SKIP)) length = 0;
    let result = 0;
    while (length > 0 && !(result & DMA_CTL_ERROR)) {
      const d = this.current;
      let len: number;
      if (d === null || this.offset >= d.length) {
        len = length;
        if (read) mem.writeBytes(address, new Uint8Array(len));
        if (write) result |= DMA_CTL_ERROR;
      } else {
        len = Math.min(length, d.length - this.offset);
        if (read) mem.writeBytes(address, d.subarray(this.offset, this.offset + len));
        if (write) result |= DMA_CTL_ERROR; // no item is writable
        this.offset += len;
      }
      address += len;
      length -= len;
    }
    v.setUint32(0, result);
    mem.writeBytes(addr, this.dmaDesc.subarray(0, 4));
  }

  reset(): void {
    this.selector = FW_CFG.INVALID;
    this.current = null;
    this.offset = 0;
    this.dmaAddrHi = 0;
  }

  /** Guest-visible state: the selection and offset (the item contents are machine configuration). */
  saveState(): DeviceState {
    return { selector: this.selector, offset: this.offset, dmaAddrHi: this.dmaAddrHi };
  }

  loadState(s: DeviceState): void {
    this.select(typeof s.selector === 'number' ? s.selector & 0xffff : FW_CFG.INVALID);
    if (this.selector === FW_CFG.INVALID) this.current = null;
    this.offset = typeof s.offset === 'number' ? s.offset : 0;
    this.dmaAddrHi = typeof s.dmaAddrHi === 'number' ? s.dmaAddrHi : 0;
  }
}

function le(v: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = v;
  for (let i = 0; i < bytes; i++) {
    out[i] = x % 256;
    x = Math.floor(x / 256);
  }
  return out;
}

function nulTerminated(s: string): Uint8Array {
  const b = new TextEncoder().encode(s);
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  return out;
}

function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}
