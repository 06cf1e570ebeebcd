/**
 * The PC board (QEMU's `pc` machine, i440FX + PIIX3): host memory, the guest-physical address
 * space, the port-I/O space and every device on it, wired together.
 *
 * Guest-physical map:
 *   0x00000000 - RAM top        RAM (host-physical = guest-physical)
 *   0x000E0000 - 0x000FFFFF     the last 128 KiB of the BIOS image (alias over RAM, read-only)
 *   0xFEC00000                  I/O APIC
 *   0xFEE00000                  local APIC
 *   4 GiB - BIOS size           the BIOS image (ROM)
 * Ports: PIC 0x20/0xA0/0x4D0, PIT 0x40, 0x61, i8042 0x60/0x64, RTC 0x70, POST 0x80, port 0x92,
 *   DMA 0x00/0xC0/0x81.., COM1-4, ATA 0x1F0/0x3F6 and 0x170/0x376, FDC 0x3F0, PCI 0xCF8/0xCFC,
 *   debugcon 0xE9 (and 0x402 for SeaBIOS), isa-debug-exit 0xF4 (iosize 4), fw_cfg 0x510/0x511.
 * IRQs (ISA): 0 PIT, 1 keyboard, 3/4 COM2/COM1, 6 FDC, 8 RTC, 14/15 ATA — to both the 8259 pair
 *   and the I/O APIC pins (GSI 0 goes to pin 2, as the MP/ACPI override QEMU reports).
 *
 * Does not model: VGA (the text buffer at 0xB8000 is plain RAM), PS/2 mouse, SMM, ACPI PM.
 */
import { AddressSpace, MemoryRegion } from '../memory/address-space.js';
import { IoSpace } from '../memory/io-space.js';
import type { VirtualClock } from './clock.js';
import type { E820Entry } from './loader.js';
import type { ProbeRegistry } from '../probes/registry.js';
import type { IrqLine, InterruptController } from '../devices/device.js';
import { Uart16550 } from '../devices/uart16550.js';
import { Pic8259 } from '../devices/pic8259.js';
import { Pit8254 } from '../devices/pit8254.js';
import { Port61 } from '../devices/port61.js';
import { Mc146818 } from '../devices/mc146818.js';
import { I8042 } from '../devices/i8042.js';
import { Port92 } from '../devices/port92.js';
import { PostPort } from '../devices/post-port.js';
import { Debugcon } from '../devices/debugcon.js';
import { IsaDebugExit } from '../devices/isa-debug-exit.js';
import { FwCfg } from '../devices/fw-cfg.js';
import { createI440fxPiix3 } from '../devices/pci-host.js';
import { AtaChannel } from '../devices/ata.js';
import { Dma8237 } from '../devices/dma8237.js';
import { Fdc82077 } from '../devices/fdc82077.js';
import { Lapic } from '../devices/lapic.js';
import { Ioapic } from '../devices/ioapic.js';

/**
 * Bytes of host memory the hypervisor keeps for itself above guest RAM and the BIOS copy: 64 KiB of
 * VMX structures, then EPT tables — enough for 4 KiB pages over all of RAM (A20 masked) plus the
 * upper levels.
 */
export function hvAreaSize(memory: number): number {
  return 0x10000 + (Math.ceil(memory / (2 << 20)) + 64) * 4096;
}

export interface PcOptions {
  machine: { name: string };
  memory: number;
  bios: Uint8Array;
  clock: VirtualClock;
  probes: ProbeRegistry;
  rtcEpochSeconds: number;
  disk: Uint8Array | undefined;
  floppy: Uint8Array | undefined;
  onSerial: (byte: number) => void;
  onDebugcon: (byte: number) => void;
  onDebugExit: (status: number) => void;
  /** A system reset request, with the device that made it. */
  onReset: (source: string) => void;
  /** An INIT IPI reached the bootstrap processor (its own local APIC sent it). */
  onInit: () => void;
}

export interface Pc {
  /** Host memory: guest RAM at 0, then the BIOS copy, then the hypervisor's area. */
  readonly host: Uint8Array;
  readonly memory: number;
  /** Host-physical base and size of the hypervisor's own area. */
  readonly hvBase: number;
  readonly hvSize: number;
  readonly mem: AddressSpace;
  readonly io: IoSpace;
  readonly com1: Uart16550;
  readonly pic: Pic8259;
  readonly pit: Pit8254;
  readonly rtc: Mc146818;
  readonly lapic: Lapic;
  readonly ioapic: Ioapic;
  readonly fwcfg: FwCfg;
  readonly post: PostPort;
  /** What the vCPU's hypervisor injects from: the interrupt controllers as the guest sees them. */
  readonly intc: InterruptController;
  /** Copy bytes into guest RAM (loaders). */
  loadGuest(gpa: number, data: Uint8Array): void;
  /** The memory map the firmware reports (int 15h E820) and multiboot passes on. */
  e820(): E820Entry[];
  /** Who drops decoded instructions when loaders or DMA write guest RAM (the vCPU). */
  setCodeInvalidator(h: (gpa: number, len: number) => void): void;
  /** A20 gate state (i8042 / port 0x92). */
  a20: boolean;
  onA20Change: ((enabled: boolean) => void) | null;
}

export function buildPc(o: PcOptions): Pc {
  const memory = o.memory;
  const biosBase = memory;
  const hvBase = biosBase + o.bios.length;
  const hvSize = hvAreaSize(memory);
  const host = new Uint8Array(hvBase + hvSize);
  const probes = o.probes;
  const mod = o.machine.name;

  // ---- guest-physical address space ----
  const root = MemoryRegion.container('pc.system', 2 ** 32);
  const mem = new AddressSpace(root, {
    name: 'pc.memory',
    unassignedRead: probes.site('mmio', mod, 'bus', 'unassigned-read'),
    unassignedWrite: probes.site('mmio', mod, 'bus', 'unassigned-write'),
  });
  const ram = MemoryRegion.ram('pc.ram', host.subarray(0, memory), { hostBase: 0 });
  root.addSubregion(0, ram, 0);
  const biosBytes = host.subarray(biosBase, biosBase + o.bios.length);
  biosBytes.set(o.bios);
  const biosRom = MemoryRegion.rom('pc.bios', biosBytes, { hostBase: biosBase });
  root.addSubregion(2 ** 32 - o.bios.length, biosRom, 1);
  const isaBiosSize = Math.min(o.bios.length, 128 << 10);
  const isaBios = MemoryRegion.alias('isa-bios', biosRom, o.bios.length - isaBiosSize, isaBiosSize);
  root.addSubregion(0x100000 - isaBiosSize, isaBios, 1);

  // ---- port I/O ----
  const io = new IoSpace({
    unassignedRead: probes.site('pio', mod, 'bus', 'unassigned-in'),
    unassignedWrite: probes.site('pio', mod, 'bus', 'unassigned-out'),
  });

  const pic = new Pic8259({ name: 'pic8259' });
  const ioapic = new Ioapic({ name: 'ioapic' });
  // An ISA IRQ goes to the 8259 input and to the I/O APIC pin (IRQ0 → pin 2, as QEMU's override).
  const isaIrq = (n: number): IrqLine => {
    const a = pic.irq(n);
    const b = ioapic.pin(n === 0 ? 2 : n);
    return { set: (level) => { a.set(level); b.set(level); } };
  };
  const lapic = new Lapic({ name: 'lapic', clock: o.clock, pic, onEoi: (vector: number) => ioapic.eoi(vector), onIpi: (lo: number, hi: number) => {
    // ICR (SDM Vol. 3A "Interrupt Command Register"): delivery mode 10:8 (101 = INIT), level 14
    // (1 = assert; INIT level de-assert sends nothing), shorthand 19:18 (0 destination field,
    // 2 all including self, 3 all excluding self), destination 63:56. One CPU: APIC ID 0.
    if (((lo >>> 8) & 7) !== 5 || (lo & 0x4000) === 0) return;
    const shorthand = (lo >>> 18) & 3;
    const toSelf = shorthand === 2 || (shorthand === 0 && (lo & 0x800 ? ((hi >>> 24) & 1) !== 0 : (hi >>> 24) === 0 || (hi >>> 24) === 0xff));
    if (toSelf) o.onInit();
  } });
  ioapic.connect(lapic);

  const pit = new Pit8254({ clock: o.clock, irq0: isaIrq(0) });
  const port61 = new Port61({ clock: o.clock, pit });
  const rtc = new Mc146818({ clock: o.clock, irq: isaIrq(8), epochSeconds: o.rtcEpochSeconds });
  const i8042 = new I8042({ irq1: isaIrq(1), onA20: (on: boolean) => setA20(on), onReset: () => o.onReset('i8042 output port (pulse 0xFE)') });
  const port92 = new Port92({ onA20: (on: boolean) => setA20(on), onReset: () => o.onReset('port 0x92 fast reset') });
  const post = new PostPort({ probe: probes.site('pio', mod, 'post', 'code') });
  const debugcon = new Debugcon({ onOutput: o.onDebugcon });
  const seabiosLog = new Debugcon({ name: 'debugcon.402', base: 0x402, onOutput: o.onDebugcon });
  const debugExit = new IsaDebugExit({ onExit: o.onDebugExit });
  const fwcfg = new FwCfg({});
  const com1 = new Uart16550({ name: 'com1', base: 0x3f8, irq: isaIrq(4), onTransmit: o.onSerial, clock: o.clock });
  const dma = new Dma8237({ memory: { readBytes: (addr: number, n: number) => { const b = new Uint8Array(n); mem.readBytes(addr, b); return b; }, writeBytes: (addr: number, b: Uint8Array) => { mem.writeBytes(addr, b); invalidate(addr, b.length); } } });
  const fdc = new Fdc82077({ irq: isaIrq(6), dma, ...(o.floppy ? { image: o.floppy } : {}) });
  const ide0 = new AtaChannel({ irq: isaIrq(14), ...(o.disk ? { master: { image: o.disk } } : {}) });
  const ide1 = new AtaChannel({ irq: isaIrq(15) });
  // PCI bus 0 of QEMU's pc machine: 00:00.0 i440FX, 00:01.0 PIIX3 ISA, 00:01.1 PIIX3 IDE.
  const chipset = createI440fxPiix3({
    i440fx: { onPamChange: (pam: Uint8Array) => applyPam(pam) },
    isa: { onReset: () => o.onReset('PIIX3 reset control register 0xCF9') },
  });
  const pci = chipset.host;

  for (const d of [pic, pit, port61, rtc, i8042, port92, post, debugcon, seabiosLog, debugExit, fwcfg, com1, dma, fdc, pci]) {
    io.registerAll((d as { ioRegions(): Parameters<IoSpace['registerAll']>[0] }).ioRegions());
  }
  io.registerAll(ide0.ioRegions(true));
  io.registerAll(ide1.ioRegions(false));

  // BIOS shadow RAM (i440FX PAM registers): 13 segments of RAM above the ISA BIOS alias, each
  // enabled read-only or read-write as its 2-bit PAM field says (bit 0 RE, bit 1 WE). With the
  // field 00 (or write-only, 10, which we treat like 00: writes then go to ROM and are dropped)
  // the segment shows what lies below: the BIOS ROM alias in 0xE0000-0xFFFFF, RAM elsewhere.
  // Each segment is two views of the same RAM bytes: a ROM-kind one (writes dropped) and a RAM one.
  const pamSegments: Array<{ ro: MemoryRegion; rw: MemoryRegion }> = [];
  const addPam = (base: number, size: number): void => {
    const bytes = host.subarray(base, base + size);
    const ro = MemoryRegion.rom(`pam-ro-0x${base.toString(16)}`, bytes, { hostBase: base });
    const rw = MemoryRegion.ram(`pam-rw-0x${base.toString(16)}`, bytes, { hostBase: base });
    ro.setEnabled(false);
    rw.setEnabled(false);
    root.addSubregion(base, ro, 2);
    root.addSubregion(base, rw, 2);
    pamSegments.push({ ro, rw });
  };
  addPam(0xf0000, 0x10000);
  for (let i = 0; i < 12; i++) addPam(0xc0000 + i * 0x4000, 0x4000);
  function applyPam(pam: Uint8Array): void {
    pamSegments.forEach((seg, n) => {
      const field = n === 0 ? (pam[0]! >> 4) & 3 : (pam[1 + ((n - 1) >> 1)]! >> ((n - 1) & 1 ? 4 : 0)) & 3;
      seg.rw.setEnabled(field === 3);
      seg.ro.setEnabled(field === 1);
    });
    invalidate(0xc0000, 0x40000);
  }

  root.addSubregion(0xfec00000, MemoryRegion.mmio('ioapic', 0x1000, ioapic, { minSize: 4, maxSize: 4 }), 1);
  root.addSubregion(0xfee00000, MemoryRegion.mmio('lapic', 0x1000, lapic, { minSize: 4, maxSize: 4 }), 1);

  // ---- CMOS and fw_cfg: what the firmware reads about the machine ----
  rtc.setMemorySize(memory);
  // As QEMU's pc_cmos_init: floppy drive type (0x10: drive A 1.44 MB when a floppy is attached),
  // and the boot order in 0x3D/0x38 (1 floppy, 2 hard disk, 3 CD-ROM).
  rtc.setByte(0x10, o.floppy ? 0x40 : 0x00);
  rtc.setByte(0x3d, o.floppy ? 0x21 : 0x12);
  rtc.setByte(0x38, 0x30);
  rtc.updateChecksum();
  // The map a guest loaded by multiboot receives: SeaBIOS's layout on QEMU's pc machine (EBDA,
  // BIOS, the top 128 KiB of RAM reserved for firmware tables, the flash at 4 GiB - 256 KiB), so
  // multiboot kernels see under vtx what they see under qemu-system-i386.
  const e820 = (): E820Entry[] => [
    { base: 0, length: 0x9fc00, type: 1 },
    { base: 0x9fc00, length: 0x400, type: 2 },
    { base: 0xf0000, length: 0x10000, type: 2 },
    { base: 0x100000, length: memory - 0x100000 - 0x20000, type: 1 },
    { base: memory - 0x20000, length: 0x20000, type: 2 },
    { base: 2 ** 32 - 0x40000, length: 0x40000, type: 2 },
  ];
  fwcfg.setRamSize(memory);
  fwcfg.addFile('etc/e820', e820Table([{ base: 0, length: memory, type: 1 }]));

  let invalidateHook: ((gpa: number, len: number) => void) | null = null;
  const invalidate = (gpa: number, len: number): void => {
    if (invalidateHook) invalidateHook(gpa, len);
  };

  const pc: Pc = {
    host,
    memory,
    hvBase,
    hvSize,
    mem,
    io,
    com1,
    pic,
    pit,
    rtc,
    lapic,
    ioapic,
    fwcfg,
    post,
    intc: lapic,
    loadGuest(gpa: number, data: Uint8Array): void {
      host.set(data, gpa);
      invalidate(gpa, data.length);
    },
    e820,
    a20: true,
    onA20Change: null,
    setCodeInvalidator(h) {
      invalidateHook = h;
    },
  };
  function setA20(on: boolean): void {
    if (pc.a20 === on) return;
    pc.a20 = on;
    if (pc.onA20Change) pc.onA20Change(on);
  }
  return pc;
}

/** QEMU's "etc/e820" fw_cfg file: packed {u64 address, u64 length, u32 type}. */
function e820Table(entries: E820Entry[]): Uint8Array {
  const b = new DataView(new ArrayBuffer(20 * entries.length));
  entries.forEach((e, i) => {
    b.setBigUint64(i * 20, BigInt(e.base), true);
    b.setBigUint64(i * 20 + 8, BigInt(e.length), true);
    b.setUint32(i * 20 + 16, e.type, true);
  });
  return new Uint8Array(b.buffer);
}
