/**
 * PCI bus 0 of QEMU's `pc` machine: the i440FX host bridge with configuration mechanism #1, and the
 * PIIX3 south-bridge functions SeaBIOS looks for.
 *
 * Models:
 * - `PciHost`: CONFIG_ADDRESS (0xCF8, dword only) and CONFIG_DATA (0xCFC..0xCFF, byte/word/dword at
 *   offset `port & 3`), bus 0 with up to 32 devices x 8 functions. Absent functions read all ones and
 *   drop writes; other buses too. A byte access to 0xCF9 is forwarded to the PIIX3 reset control
 *   register (the `resetControl` option); other byte/word accesses to 0xCF8..0xCFB read all ones.
 * - `PciConfigSpace`: a type-0 header with write masks, write-1-to-clear status bits, BARs whose
 *   read-only low address bits give the size on an all-ones write (PCI Local Bus 3.0 §6.2.5.1; I/O
 *   BARs decode 32 bits as in QEMU, so sizing a 16-port BAR reads 0xFFFFFFF1), and a
 *   mapping callback when a BAR becomes decoded/undecoded (command register I/O / memory enable).
 *   Device-specific registers (0x40..0xFF) are fully writable unless a device narrows them, as in
 *   QEMU's `pci_init_wmask`.
 * - `I440fxHostBridge` (00:00.0, 8086:1237 rev 02, class 0600): PAM0..PAM6 (0x59..0x5F) and SMRAM
 *   (0x72, with D_LCK locking D_OPEN and itself until reset).
 * - `Piix3IsaBridge` (00:01.0, 8086:7000, class 0601, multi-function): PIRQRC[A-D] (0x60..0x63) and
 *   the reset control register (RCR, port 0xCF9).
 * - `Piix3Ide` (00:01.1, 8086:7010, class 0101 prog-if 0x80): legacy-mode channels (0x1F0/0x3F6
 *   IRQ14, 0x170/0x376 IRQ15, served by `ata.ts`) and BAR4 (16 ports) with the bus-master IDE
 *   register file.
 * Every function carries subsystem 1af4:1100 as QEMU does (SeaBIOS checks 00:00.0's subsystem ID to
 * know it runs on QEMU).
 *
 * Differences from QEMU 7.2 are listed, with reasons, in test/devices/chipset-oracle.test.ts.
 *
 * Does not model: PCI-to-PCI bridges and buses other than 0, configuration mechanism #2, expansion
 * ROM BARs (read as 0: no ROM), PCI interrupts of devices (the PIRQ routing is stored and exposed via
 * `pirqRoute`), the 00:01.3 PIIX4 ACPI function (absent, as with QEMU's `-machine pc,acpi=off`:
 * finding 8086:7113 would make SeaBIOS use the ACPI PM timer and relocate SMBASE through an APM
 * SMI, and vtx has no SMM; without it SeaBIOS times with the PIT/TSC), and bus-master IDE DMA: the BMIDE registers hold their values, but setting
 * START moves no data (`ata.ts` aborts the DMA commands; IDENTIFY advertises no DMA modes so
 * drivers fall back to PIO; SeaBIOS is built without CONFIG_ATA_DMA).
 *
 * What the machine must do on `onPamChange(pam)`: `pam[0]` is PAM0 (0x59), `pam[i]` PAMi. PAM0
 * bits 5:4 govern 0xF0000-0xFFFFF; PAMi (i = 1..6) bits 1:0 govern the low 16 KiB segment and bits
 * 5:4 the high one of 0xC0000 + (i-1)*0x8000 (so PAM1 = 0xC0000/0xC4000 ... PAM6 = 0xE8000/0xEC000).
 * Per 2-bit field, bit 0 = RE, bit 1 = WE: 00 = reads and writes go to the PCI/ROM side (the BIOS
 * ROM image), 01 = reads from DRAM, writes to ROM (dropped), 10 = reads from ROM, writes to DRAM,
 * 11 = DRAM for both. The machine remaps those 13 segments (the shadow RAM behind the BIOS) and
 * invalidates decoded code for them. `onSmramChange(smram)` reports 0x72: when G_SMRAME is set and
 * D_OPEN is set, 0xA0000-0xBFFFF is DRAM for non-SMM accesses; otherwise it is the VGA window.
 */
import type { AccessSize } from '../memory/types.js';
import type { Device, DeviceState, RegionOps } from './device.js';
import type { IoRegionSpec } from '../memory/io-space.js';

// ---------------------------------------------------------------------------------------------
// Configuration space

/** Standard type-0 header offsets (PCI Local Bus 3.0 §6.1). */
export const PciReg = {
  VENDOR_ID: 0x00,
  DEVICE_ID: 0x02,
  COMMAND: 0x04,
  STATUS: 0x06,
  REVISION_ID: 0x08,
  PROG_IF: 0x09,
  SUBCLASS: 0x0a,
  CLASS: 0x0b,
  CACHE_LINE_SIZE: 0x0c,
  LATENCY_TIMER: 0x0d,
  HEADER_TYPE: 0x0e,
  BIST: 0x0f,
  BAR0: 0x10,
  SUBSYSTEM_VENDOR_ID: 0x2c,
  SUBSYSTEM_ID: 0x2e,
  ROM_BASE: 0x30,
  CAPABILITIES: 0x34,
  INTERRUPT_LINE: 0x3c,
  INTERRUPT_PIN: 0x3d,
} as const;

/** Command register bits. */
export const PCI_COMMAND_IO = 0x1;
export const PCI_COMMAND_MEMORY = 0x2;
export const PCI_COMMAND_MASTER = 0x4;

/** What the host bridge needs from a function on the bus. */
export interface PciFunction {
  /** 256 bytes of configuration space, little-endian. */
  readonly config: Uint8Array;
  /** Per bit: 1 = writable by the guest. */
  readonly writeMask: Uint8Array;
  /** Per bit: 1 = cleared by writing 1 (status register error bits). */
  readonly w1cMask: Uint8Array;
  /** Called after a guest write has been applied to `config` (offset and size as the guest wrote). */
  onConfigWrite?(offset: number, size: AccessSize, value: number): void;
}

export interface PciIdentity {
  vendorId: number;
  deviceId: number;
  revision: number;
  /** class << 16 | subclass << 8 | prog-if */
  classCode: number;
  /** Header type without the multi-function bit (0 for all functions here). */
  headerType?: number;
  subsystemVendorId?: number;
  subsystemId?: number;
  /** Command register at reset. */
  command?: number;
  /** Status register at reset. */
  status?: number;
  interruptPin?: number;
}

export interface PciBarSpec {
  /** Power of two, >= 4 for I/O and >= 16 for memory. */
  size: number;
  kind: 'io' | 'mem32';
  prefetchable?: boolean;
}

/** Called when a BAR starts or stops being decoded. `base` is -1 when it stops. */
export type PciBarMapCallback = (bar: number, base: number, spec: PciBarSpec) => void;

/**
 * A configuration space with masks and BAR bookkeeping. Devices build one, define their BARs and
 * registers, then call `commitDefaults()`; `reset()` returns to that image.
 */
export class PciConfigSpace implements PciFunction {
  readonly config = new Uint8Array(256);
  readonly writeMask = new Uint8Array(256);
  readonly w1cMask = new Uint8Array(256);
  private readonly defaults = new Uint8Array(256);
  private readonly defaultMask = new Uint8Array(256);
  private readonly bars: (PciBarSpec | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined];
  /** Currently decoded base per BAR, -1 = not decoded. */
  private readonly mapped = new Float64Array(6).fill(-1);
  /** Device hook run after every guest write (before BAR remapping notifications). */
  hook: ((offset: number, size: AccessSize, value: number) => void) | undefined;
  onBarMap: PciBarMapCallback | undefined;

  constructor(id: PciIdentity) {
    const c = this.config;
    put16(c, PciReg.VENDOR_ID, id.vendorId);
    put16(c, PciReg.DEVICE_ID, id.deviceId);
    put16(c, PciReg.COMMAND, id.command ?? 0);
    put16(c, PciReg.STATUS, id.status ?? 0);
    c[PciReg.REVISION_ID] = id.revision;
    c[PciReg.PROG_IF] = id.classCode & 0xff;
    c[PciReg.SUBCLASS] = (id.classCode >>> 8) & 0xff;
    c[PciReg.CLASS] = (id.classCode >>> 16) & 0xff;
    c[PciReg.HEADER_TYPE] = id.headerType ?? 0;
    put16(c, PciReg.SUBSYSTEM_VENDOR_ID, id.subsystemVendorId ?? 0x1af4);
    put16(c, PciReg.SUBSYSTEM_ID, id.subsystemId ?? 0x1100);
    c[PciReg.INTERRUPT_PIN] = id.interruptPin ?? 0;
    // Command: I/O, memory, bus master, SERR#, INTx disable (bit 10) — QEMU's default mask.
    put16(this.writeMask, PciReg.COMMAND, 0x0507);
    // Status error bits are RW1C: parity, signalled/received aborts, SERR#, detected parity.
    put16(this.w1cMask, PciReg.STATUS, 0xf900);
    this.writeMask[PciReg.CACHE_LINE_SIZE] = 0xff;
    this.writeMask[PciReg.LATENCY_TIMER] = 0xff;
    this.writeMask[PciReg.INTERRUPT_LINE] = 0xff;
    this.writeMask.fill(0xff, 0x40, 0x100);
  }

  /** Declare BAR `index` (0..5). */
  defineBar(index: number, spec: PciBarSpec): void {
    this.bars[index] = spec;
    const off = PciReg.BAR0 + index * 4;
    const low = spec.kind === 'io' ? 0x1 : spec.prefetchable ? 0x8 : 0x0;
    put32(this.config, off, low);
    // I/O BARs decode 32 bits here, as in QEMU (SeaBIOS sizes them from the full dword).
    const mask = spec.kind === 'io' ? ~(spec.size - 1) & 0xfffffffc : ~(spec.size - 1) & 0xfffffff0;
    put32(this.writeMask, off, mask >>> 0);
  }

  barSpec(index: number): PciBarSpec | undefined {
    return this.bars[index];
  }

  /** The address BAR `index` holds (type bits stripped), decoded or not. */
  barAddress(index: number): number {
    const spec = this.bars[index];
    if (spec === undefined) return 0;
    const v = get32(this.config, PciReg.BAR0 + index * 4);
    return spec.kind === 'io' ? (v & 0xfffffffc) >>> 0 : (v & 0xfffffff0) >>> 0;
  }

  /** Snapshot the current image as the reset state. */
  commitDefaults(): void {
    this.defaults.set(this.config);
    this.defaultMask.set(this.writeMask);
  }

  reset(): void {
    this.config.set(this.defaults);
    this.writeMask.set(this.defaultMask);
    this.updateMappings();
  }

  read(offset: number, size: AccessSize): number {
    const c = this.config;
    if (size === 1) return c[offset]!;
    if (size === 2) return c[offset]! | (c[offset + 1]! << 8);
    return get32(c, offset);
  }

  /** A guest write through the host bridge: masks, RW1C, device hook, BAR remapping. */
  write(offset: number, size: AccessSize, value: number): void {
    applyWrite(this, offset, size, value);
  }

  onConfigWrite(offset: number, size: AccessSize, value: number): void {
    if (this.hook !== undefined) this.hook(offset, size, value);
    if ((offset < PciReg.BAR0 + 24 && offset + size > PciReg.BAR0) || (offset < PciReg.COMMAND + 2 && offset + size > PciReg.COMMAND)) {
      this.updateMappings();
    }
  }

  /** Re-evaluate which BARs are decoded and notify `onBarMap` of changes. */
  updateMappings(): void {
    const cmd = this.config[PciReg.COMMAND]!;
    for (let i = 0; i < 6; i++) {
      const spec = this.bars[i];
      if (spec === undefined) continue;
      const enabled = spec.kind === 'io' ? (cmd & PCI_COMMAND_IO) !== 0 : (cmd & PCI_COMMAND_MEMORY) !== 0;
      const addr = this.barAddress(i);
      // An all-ones sizing pattern or a zero base is not a decode window.
      const sizing = addr === ((~(spec.size - 1) & (spec.kind === 'io' ? 0xfffffffc : 0xfffffff0)) >>> 0);
      const base = enabled && addr !== 0 && !sizing ? addr : -1;
      if (base !== this.mapped[i]) {
        this.mapped[i] = base;
        if (this.onBarMap !== undefined) this.onBarMap(i, base, spec);
      }
    }
  }

  /** Decoded base of BAR `index`, or -1. */
  mappedBase(index: number): number {
    return this.mapped[index]!;
  }

  saveState(): DeviceState {
    return { config: Array.from(this.config), writeMask: Array.from(this.writeMask) };
  }

  loadState(s: DeviceState): void {
    this.config.set(s['config'] as number[]);
    this.writeMask.set(s['writeMask'] as number[]);
    this.updateMappings();
  }
}

/** Apply a guest configuration write to any PciFunction (masks and RW1C), then run its hook. */
export function applyWrite(f: PciFunction, offset: number, size: AccessSize, value: number): void {
  const c = f.config;
  const m = f.writeMask;
  const w = f.w1cMask;
  for (let i = 0; i < size; i++) {
    const o = offset + i;
    const b = (value >>> (8 * i)) & 0xff;
    c[o] = ((c[o]! & ~m[o]!) | (b & m[o]!)) & ~(b & w[o]!);
  }
  if (f.onConfigWrite !== undefined) f.onConfigWrite(offset, size, value);
}

// ---------------------------------------------------------------------------------------------
// Host bridge (configuration mechanism #1)

/*
 * CONFIG_ADDRESS (0xCF8), PCI Local Bus 3.0 §3.2.2.3.2:
 *   31     enable (config cycle on CONFIG_DATA access)
 *   30:24  reserved (read as 0)
 *   23:16  bus number
 *   15:11  device number
 *   10:8   function number
 *   7:2    register (dword index)
 *   1:0    0
 */
const CONFIG_ADDRESS_MASK = 0x80fffffc;

export interface PciHostOptions {
  name?: string;
  /** Byte accesses to port 0xCF9 go here (offset 0): the PIIX3 reset control register. */
  resetControl?: RegionOps;
}

/**
 * Configuration mechanism #1 and bus 0. Map `io` at ports 0xCF8..0xCFF (8 ports).
 */
export class PciHost implements Device {
  readonly name: string;
  private configAddress = 0;
  /** devfn (dev << 3 | fn) -> function. */
  private readonly functions: (PciFunction | undefined)[] = new Array<PciFunction | undefined>(256).fill(undefined);
  private readonly resetControl: RegionOps | undefined;
  readonly io: RegionOps;

  constructor(opts: PciHostOptions = {}) {
    this.name = opts.name ?? 'pci-host';
    this.resetControl = opts.resetControl;
    this.io = {
      read: (offset, size) => this.ioRead(offset, size),
      write: (offset, size, value) => this.ioWrite(offset, size, value),
    };
  }

  /** Default port mapping. */
  ioRegions(): IoRegionSpec[] {
    return [{ base: 0xcf8, count: 8, ops: this.io, name: this.name }];
  }

  /**
   * Plug `f` at bus 0, device `dev` (0..31), function `fn` (0..7). When a device has functions other
   * than 0, function 0's header type gets the multi-function bit (bit 7), as QEMU does.
   */
  plug(dev: number, fn: number, f: PciFunction): void {
    const devfn = ((dev & 31) << 3) | (fn & 7);
    this.functions[devfn] = f;
    const f0 = this.functions[devfn & ~7];
    if (f0 !== undefined) {
      for (let i = 1; i < 8; i++) {
        if (this.functions[(devfn & ~7) | i] !== undefined) {
          f0.config[PciReg.HEADER_TYPE] = f0.config[PciReg.HEADER_TYPE]! | 0x80;
          if (f0 instanceof PciConfigSpace) f0.commitDefaults();
          break;
        }
      }
    }
  }

  /** The function at bus 0 dev/fn, if any. */
  function(dev: number, fn: number): PciFunction | undefined {
    return this.functions[((dev & 31) << 3) | (fn & 7)];
  }

  /** Configuration read as the CPU would see it through 0xCFC (bus 0 only; others all ones). */
  configRead(bus: number, devfn: number, offset: number, size: AccessSize): number {
    const f = bus === 0 ? this.functions[devfn & 0xff] : undefined;
    if (f === undefined) return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    const c = f.config;
    if (size === 1) return c[offset]!;
    if (size === 2) return c[offset]! | (c[offset + 1]! << 8);
    return get32(c, offset);
  }

  configWrite(bus: number, devfn: number, offset: number, size: AccessSize, value: number): void {
    const f = bus === 0 ? this.functions[devfn & 0xff] : undefined;
    if (f === undefined) return;
    applyWrite(f, offset, size, value);
  }

  private ioRead(offset: number, size: AccessSize): number {
    if (offset < 4) {
      if (offset === 0 && size === 4) return this.configAddress >>> 0;
      if (offset === 1 && size === 1 && this.resetControl !== undefined) return this.resetControl.read(0, 1);
      return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    }
    const a = this.configAddress;
    const ones = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    if ((a & 0x80000000) === 0) return ones;
    const reg = (a & 0xfc) + (offset & 3);
    if (reg + size > 256) return ones;
    return this.configRead((a >>> 16) & 0xff, (a >>> 8) & 0xff, reg, size);
  }

  private ioWrite(offset: number, size: AccessSize, value: number): void {
    if (offset < 4) {
      if (offset === 0 && size === 4) this.configAddress = (value & CONFIG_ADDRESS_MASK) >>> 0;
      else if (offset === 1 && size === 1 && this.resetControl !== undefined) this.resetControl.write(0, 1, value);
      return;
    }
    const a = this.configAddress;
    if ((a & 0x80000000) === 0) return;
    const reg = (a & 0xfc) + (offset & 3);
    if (reg + size > 256) return;
    this.configWrite((a >>> 16) & 0xff, (a >>> 8) & 0xff, reg, size, value);
  }

  reset(): void {
    this.configAddress = 0;
  }

  saveState(): DeviceState {
    return { configAddress: this.configAddress };
  }

  loadState(s: DeviceState): void {
    this.configAddress = (s['configAddress'] as number) >>> 0;
  }
}

// ---------------------------------------------------------------------------------------------
// 00:00.0 i440FX PMC (host bridge)

export const I440FX_PAM0 = 0x59;
export const I440FX_SMRAM = 0x72;
/* SMRAM (0x72), 82441FX datasheet §3.2.29:
 *   7    reserved
 *   6    D_OPEN   SMRAM visible to non-SMM accesses
 *   5    D_CLS    SMRAM closed for data accesses
 *   4    D_LCK    locks D_OPEN and D_LCK until reset
 *   3    G_SMRAME global SMRAM enable
 *   2:0  C_BASE_SEG = 010 (0xA0000), read-only */
export const SMRAM_D_OPEN = 0x40;
export const SMRAM_D_CLS = 0x20;
export const SMRAM_D_LCK = 0x10;
export const SMRAM_G_SMRAME = 0x08;

export interface I440fxOptions {
  name?: string;
  /** PAM0..PAM6 changed: `pam` is a live 7-byte view of config 0x59..0x5F (do not keep a copy). */
  onPamChange?: (pam: Uint8Array) => void;
  /** SMRAM register (0x72) changed. */
  onSmramChange?: (smram: number) => void;
}

export class I440fxHostBridge implements Device {
  readonly name: string;
  readonly pci: PciConfigSpace;
  /** Live view of PAM0..PAM6. */
  readonly pam: Uint8Array;
  private readonly opts: I440fxOptions;

  constructor(opts: I440fxOptions = {}) {
    this.name = opts.name ?? 'i440fx';
    this.opts = opts;
    const p = new PciConfigSpace({
      vendorId: 0x8086,
      deviceId: 0x1237,
      revision: 0x02,
      classCode: 0x060000,
    });
    p.config[I440FX_SMRAM] = 0x02;
    p.writeMask[I440FX_PAM0] = 0x30;
    p.writeMask.fill(0x33, I440FX_PAM0 + 1, I440FX_PAM0 + 7);
    p.writeMask[I440FX_SMRAM] = 0x78;
    p.commitDefaults();
    p.hook = (offset, size) => this.configWritten(offset, size);
    this.pci = p;
    this.pam = p.config.subarray(I440FX_PAM0, I440FX_PAM0 + 7);
  }

  private configWritten(offset: number, size: number): void {
    const end = offset + size;
    if (offset < I440FX_PAM0 + 7 && end > I440FX_PAM0 && this.opts.onPamChange) this.opts.onPamChange(this.pam);
    if (offset <= I440FX_SMRAM && end > I440FX_SMRAM) {
      const c = this.pci.config;
      if ((c[I440FX_SMRAM]! & SMRAM_D_LCK) !== 0) {
        c[I440FX_SMRAM] = c[I440FX_SMRAM]! & ~SMRAM_D_OPEN;
        this.pci.writeMask[I440FX_SMRAM] = SMRAM_D_CLS | SMRAM_G_SMRAME;
      }
      if (this.opts.onSmramChange) this.opts.onSmramChange(c[I440FX_SMRAM]!);
    }
  }

  reset(): void {
    this.pci.reset();
    if (this.opts.onPamChange) this.opts.onPamChange(this.pam);
    if (this.opts.onSmramChange) this.opts.onSmramChange(this.pci.config[I440FX_SMRAM]!);
  }

  saveState(): DeviceState {
    return this.pci.saveState();
  }

  loadState(s: DeviceState): void {
    this.pci.loadState(s);
    if (this.opts.onPamChange) this.opts.onPamChange(this.pam);
    if (this.opts.onSmramChange) this.opts.onSmramChange(this.pci.config[I440FX_SMRAM]!);
  }
}

// ---------------------------------------------------------------------------------------------
// 00:01.0 PIIX3 PCI-to-ISA bridge

export const PIIX3_PIRQRC = 0x60;

/* RCR (port 0xCF9), 82371SB datasheet §4.1.3:
 *   2  RCPU  reset CPU: a 0->1 transition starts the reset
 *   1  SRST  1 = hard (system) reset, 0 = soft reset (INIT) */
const RCR_RCPU = 0x04;
const RCR_SRST = 0x02;

export interface Piix3IsaOptions {
  name?: string;
  /** A PIRQRC register changed: `pirq` 0..3 (A..D), `irq` the routed ISA IRQ or -1 if disabled. */
  onPirqChange?: (pirq: number, irq: number) => void;
  /** RCR requested a reset: `hard` true for a system reset (SRST=1), false for a CPU INIT. */
  onReset?: (hard: boolean) => void;
}

export class Piix3IsaBridge implements Device {
  readonly name: string;
  readonly pci: PciConfigSpace;
  /** The reset control register at port 0xCF9 (pass to `PciHost` as `resetControl`). */
  readonly rcr: RegionOps;
  private rcrValue = 0;
  private readonly opts: Piix3IsaOptions;

  constructor(opts: Piix3IsaOptions = {}) {
    this.name = opts.name ?? 'piix3.isa';
    this.opts = opts;
    const p = new PciConfigSpace({
      vendorId: 0x8086,
      deviceId: 0x7000,
      revision: 0x00,
      classCode: 0x060100,
      headerType: 0x80,
      status: 0x0200,
    });
    const c = p.config;
    c[0x4c] = 0x4d; // IORT
    c[0x4e] = 0x03; // XBCS
    c.fill(0x80, PIIX3_PIRQRC, PIIX3_PIRQRC + 4);
    p.writeMask.fill(0x8f, PIIX3_PIRQRC, PIIX3_PIRQRC + 4);
    c[0x69] = 0x02; // TOM
    c[0x70] = 0x80; // MBIRQ0
    c[0x76] = 0x0c; // MBDMA0
    c[0x77] = 0x0c; // MBDMA1
    c[0x78] = 0x02; // PCSC
    c[0xa0] = 0x08; // SMICNTL
    c[0xa8] = 0x0f; // SMIREQ
    p.commitDefaults();
    p.hook = (offset, size) => this.configWritten(offset, size);
    this.pci = p;
    this.rcr = {
      read: () => this.rcrValue,
      write: (_o, _s, v) => this.writeRcr(v),
    };
  }

  /** ISA IRQ that PIRQ `n` (0..3 = A..D) is routed to, or -1 when routing is disabled. */
  pirqRoute(n: number): number {
    const v = this.pci.config[PIIX3_PIRQRC + (n & 3)]!;
    return (v & 0x80) !== 0 ? -1 : v & 0x0f;
  }

  private configWritten(offset: number, size: number): void {
    if (this.opts.onPirqChange === undefined) return;
    for (let i = 0; i < 4; i++) {
      const r = PIIX3_PIRQRC + i;
      if (offset <= r && offset + size > r) this.opts.onPirqChange(i, this.pirqRoute(i));
    }
  }

  private writeRcr(v: number): void {
    const rising = (v & RCR_RCPU) !== 0 && (this.rcrValue & RCR_RCPU) === 0;
    this.rcrValue = v & RCR_SRST;
    if (rising && this.opts.onReset) this.opts.onReset((v & RCR_SRST) !== 0);
  }

  reset(): void {
    this.pci.reset();
    this.rcrValue = 0;
  }

  saveState(): DeviceState {
    return { ...this.pci.saveState(), rcr: this.rcrValue };
  }

  loadState(s: DeviceState): void {
    this.pci.loadState(s);
    this.rcrValue = (s['rcr'] as number) & 0xff;
  }
}

// ---------------------------------------------------------------------------------------------
// 00:01.1 PIIX3 IDE

/* Bus-master IDE registers (BAR4, 16 ports), 82371SB §5.1; channel c at +8*c:
 *   +0  BMICx command: bit 0 SSBM (start/stop), bit 3 RWCON (1 = write to memory)
 *   +2  BMISx status:  bit 0 BMIDEA (active, RO), bit 1 error (RW1C), bit 2 IDE interrupt (RW1C),
 *                      bits 6:5 drive 0/1 DMA capable (RW)
 *   +4  BMIDTPx descriptor table pointer (dword aligned: bits 1:0 read 0) */
export interface Piix3IdeOptions {
  name?: string;
  /** Called when BAR4 (bus-master IDE, 16 ports) is decoded at `base` (or -1 when no longer). */
  onBarMap?: PciBarMapCallback;
}

export class Piix3Ide implements Device {
  readonly name: string;
  readonly pci: PciConfigSpace;
  /** Bus-master IDE register file; map it where BAR4 points. */
  readonly bmide: RegionOps;
  private readonly bm = new Uint8Array(16);

  constructor(opts: Piix3IdeOptions = {}) {
    this.name = opts.name ?? 'piix3.ide';
    const p = new PciConfigSpace({
      vendorId: 0x8086,
      deviceId: 0x7010,
      revision: 0x00,
      classCode: 0x010180,
      command: 0x0000,
      status: 0x0280,
    });
    p.defineBar(4, { size: 16, kind: 'io' });
    p.commitDefaults();
    if (opts.onBarMap) p.onBarMap = opts.onBarMap;
    this.pci = p;
    this.bmide = {
      read: (offset, size) => this.bmRead(offset, size),
      write: (offset, size, value) => this.bmWrite(offset, size, value),
    };
  }

  /** Default port mappings of the legacy-mode channels served by `ata.ts`. */
  static readonly LEGACY = [
    { command: 0x1f0, control: 0x3f6, irq: 14 },
    { command: 0x170, control: 0x376, irq: 15 },
  ] as const;

  private bmRead(offset: number, size: AccessSize): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = (v << 8) | this.bm[(offset + i) & 15]!;
    return v >>> 0;
  }

  private bmWrite(offset: number, size: AccessSize, value: number): void {
    for (let i = 0; i < size; i++) {
      const o = (offset + i) & 15;
      const b = (value >>> (8 * i)) & 0xff;
      const r = o & 7;
      if (r === 0) this.bm[o] = b & 0x09;
      else if (r === 2) this.bm[o] = (this.bm[o]! & 0x01) | (this.bm[o]! & 0x06 & ~b) | (b & 0x60);
      else if (r === 4) this.bm[o] = b & 0xfc;
      else if (r >= 5) this.bm[o] = b;
    }
  }

  reset(): void {
    this.pci.reset();
    this.bm.fill(0);
  }

  saveState(): DeviceState {
    return { ...this.pci.saveState(), bmide: Array.from(this.bm) };
  }

  loadState(s: DeviceState): void {
    this.pci.loadState(s);
    this.bm.set(s['bmide'] as number[]);
  }
}

// ---------------------------------------------------------------------------------------------
// The whole bus 0 of QEMU's `pc` machine

export interface I440fxPiix3Options {
  i440fx?: I440fxOptions;
  isa?: Piix3IsaOptions;
  ide?: Piix3IdeOptions;
}

export interface I440fxPiix3 {
  /** Map `host.io` (or `host.ioRegions()`) at 0xCF8..0xCFF. */
  host: PciHost;
  /** 00:00.0 */
  i440fx: I440fxHostBridge;
  /** 00:01.0 (its RCR is reached through the host at 0xCF9) */
  isa: Piix3IsaBridge;
  /** 00:01.1 (map `ide.bmide` where `onBarMap` says) */
  ide: Piix3Ide;
  /** Every Device above, for the machine's reset/save/load lists. */
  devices: Device[];
}

/** Build the host bridge and plug 00:00.0 i440FX, 00:01.0 PIIX3 ISA and 00:01.1 PIIX3 IDE. */
export function createI440fxPiix3(opts: I440fxPiix3Options = {}): I440fxPiix3 {
  const i440fx = new I440fxHostBridge(opts.i440fx);
  const isa = new Piix3IsaBridge(opts.isa);
  const ide = new Piix3Ide(opts.ide);
  const host = new PciHost({ resetControl: isa.rcr });
  host.plug(0, 0, i440fx.pci);
  host.plug(1, 0, isa.pci);
  host.plug(1, 1, ide.pci);
  return { host, i440fx, isa, ide, devices: [host, i440fx, isa, ide] };
}

// ---------------------------------------------------------------------------------------------

function put16(a: Uint8Array, o: number, v: number): void {
  a[o] = v & 0xff;
  a[o + 1] = (v >>> 8) & 0xff;
}

function put32(a: Uint8Array, o: number, v: number): void {
  a[o] = v & 0xff;
  a[o + 1] = (v >>> 8) & 0xff;
  a[o + 2] = (v >>> 16) & 0xff;
  a[o + 3] = (v >>> 24) & 0xff;
}

function get32(a: Uint8Array, o: number): number {
  return (a[o]! | (a[o + 1]! << 8) | (a[o + 2]! << 16) | (a[o + 3]! << 24)) >>> 0;
}
