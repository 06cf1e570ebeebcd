/**
 * One ATA (IDE) channel with up to two hard disks, PIO protocol only (ATA/ATAPI-6, T13/1410D).
 *
 * Models:
 * - The command block (8 ports: data, error/features, sector count, LBA low/mid/high, device,
 *   status/command) and the control block (1 port: alternate status / device control with nIEN,
 *   SRST and HOB). Task-file writes reach both devices (as on the cable); each register keeps the
 *   previous value for LBA48 HOB reads. Data port accesses of 2 or 4 bytes (PIIX 32-bit PIO).
 * - Commands: IDENTIFY DEVICE, READ/WRITE SECTOR(S) (+EXT), READ/WRITE MULTIPLE (+EXT), SET
 *   MULTIPLE MODE, READ VERIFY SECTOR(S) (+EXT), INITIALIZE DEVICE PARAMETERS, SET FEATURES
 *   (transfer mode, write cache, read look-ahead), READ NATIVE MAX ADDRESS (+EXT), RECALIBRATE,
 *   SEEK, IDLE/STANDBY (immediate and timed), CHECK POWER MODE, SLEEP, FLUSH CACHE (+EXT), EXECUTE
 *   DEVICE DIAGNOSTIC. Anything else (including the DMA, ATAPI and security commands) ends with
 *   ERR and ABRT. LBA28, LBA48 and CHS addressing (CHS through the logical geometry set by
 *   INITIALIZE DEVICE PARAMETERS). An address beyond the medium ends with ERR, IDNF|ABRT.
 * - Completion is instantaneous: BSY is never observed except while SRST is held; DRQ is set when
 *   a data block is ready, INTRQ is asserted at each PIO-in block, after each PIO-out block and at
 *   the end of non-data commands, cleared by reading the status register, and gated by nIEN.
 * - Device selection with a device absent (QEMU's behaviour, which SeaBIOS's ata_detect relies
 *   on): when the selected device is absent but the other is present, status, alternate status and
 *   error read 0 and commands are ignored; a channel with no device at all reads 0 on every port.
 * - Backing store: a Uint8Array image per disk (whole sectors; a trailing partial sector is not
 *   addressable), written in place, refused (`readOnly`: writes end with ERR/ABRT), or kept in a
 *   copy-on-write overlay (`copyOnWrite`, saved in the device state; the image is never modified).
 *
 * Differences from QEMU 7.2 are listed, with reasons, in test/devices/chipset-oracle.test.ts.
 *
 * Does not model: ATAPI/packet devices (IDENTIFY PACKET DEVICE aborts with the ATA signature left
 * in place), DMA transfers (no multiword/UDMA modes are advertised), command timing and BSY
 * windows, power-management timers, SMART, security and HPA (SET MAX) commands, media errors.
 * The device state does not include in-place-written images (the machine owns those).
 */
import type { AccessSize } from '../memory/types.js';
import type { Device, DeviceState, IrqLine, RegionOps } from './device.js';
import type { IoRegionSpec } from '../memory/io-space.js';

/** Status register bits. */
export const ATA_SR_BSY = 0x80;
export const ATA_SR_DRDY = 0x40;
export const ATA_SR_DF = 0x20;
export const ATA_SR_DSC = 0x10;
export const ATA_SR_DRQ = 0x08;
export const ATA_SR_ERR = 0x01;
/** Error register bits. */
export const ATA_ER_ABRT = 0x04;
export const ATA_ER_IDNF = 0x10;
/** Device control register bits. */
export const ATA_DC_NIEN = 0x02;
export const ATA_DC_SRST = 0x04;
export const ATA_DC_HOB = 0x80;
/** Device register bits. */
export const ATA_DEV_LBA = 0x40;
export const ATA_DEV_DEV = 0x10;

const SECTOR = 512;
const MAX_MULTIPLE = 16;

export interface AtaGeometry {
  cylinders: number;
  heads: number;
  sectorsPerTrack: number;
}

export interface AtaDiskOptions {
  /** Disk image; its length in whole 512-byte sectors is the capacity. */
  image: Uint8Array;
  /** Refuse writes (ERR/ABRT). */
  readOnly?: boolean;
  /** Keep writes in an overlay; `image` is never modified. */
  copyOnWrite?: boolean;
  /** Default CHS geometry; by default 16 heads, 63 sectors, capacity/1008 cylinders (2..16383). */
  geometry?: AtaGeometry;
  /** Up to 40 ASCII characters (default "VTX HARDDISK"). */
  model?: string;
  /** Up to 20 ASCII characters (default "VTX0000000000000001"-style: "VTX" + channel/device). */
  serial?: string;
  /** Up to 8 ASCII characters (default "1.0"). */
  firmware?: string;
  /** Advertise and accept the 48-bit commands (default true). */
  lba48?: boolean;
}

export interface AtaChannelOptions {
  /** Instance name, e.g. "ata.primary". */
  name?: string;
  /** INTRQ (IRQ14 for the primary channel, IRQ15 for the secondary). */
  irq?: IrqLine;
  master?: AtaDiskOptions;
  slave?: AtaDiskOptions;
}

/** One disk on the channel. */
class AtaDisk {
  readonly image: Uint8Array;
  readonly sectors: number;
  readonly readOnly: boolean;
  readonly cow: boolean;
  readonly lba48: boolean;
  readonly overlay = new Map<number, Uint8Array>();
  readonly geometry: AtaGeometry;
  readonly model: string;
  readonly serial: string;
  readonly firmware: string;
  /** Current (logical) geometry, set by INITIALIZE DEVICE PARAMETERS. */
  curHeads: number;
  curSpt: number;
  multiple = 0;
  writeCache = true;
  lookAhead = true;
  status = ATA_SR_DRDY | ATA_SR_DSC;
  error = 0x01;

  constructor(o: AtaDiskOptions, defaultSerial: string) {
    this.image = o.image;
    this.sectors = Math.floor(o.image.length / SECTOR);
    this.readOnly = o.readOnly === true;
    this.cow = o.copyOnWrite === true;
    this.lba48 = o.lba48 !== false;
    this.geometry = o.geometry ?? defaultGeometry(this.sectors);
    this.curHeads = this.geometry.heads;
    this.curSpt = this.geometry.sectorsPerTrack;
    this.model = (o.model ?? 'VTX HARDDISK').slice(0, 40);
    this.serial = (o.serial ?? defaultSerial).slice(0, 20);
    this.firmware = (o.firmware ?? '1.0').slice(0, 8);
  }

  resetSettings(): void {
    this.curHeads = this.geometry.heads;
    this.curSpt = this.geometry.sectorsPerTrack;
    this.multiple = 0;
    this.writeCache = true;
    this.lookAhead = true;
    this.status = ATA_SR_DRDY | ATA_SR_DSC;
    this.error = 0x01;
  }

  readSector(lba: number, dst: Uint8Array, off: number): void {
    const o = this.overlay.get(lba);
    if (o !== undefined) copy512(o, 0, dst, off);
    else copy512(this.image, lba * SECTOR, dst, off);
  }

  writeSector(lba: number, src: Uint8Array, off: number): void {
    if (this.cow) {
      let o = this.overlay.get(lba);
      if (o === undefined) {
        o = new Uint8Array(SECTOR);
        this.overlay.set(lba, o);
      }
      copy512(src, off, o, 0);
    } else {
      copy512(src, off, this.image, lba * SECTOR);
    }
  }
}

/** Copy one sector without creating views (the data port path stays allocation-free). */
function copy512(src: Uint8Array, so: number, dst: Uint8Array, doff: number): void {
  for (let i = 0; i < SECTOR; i++) dst[doff + i] = src[so + i]!;
}

function defaultGeometry(sectors: number): AtaGeometry {
  const cyl = Math.min(16383, Math.max(2, Math.floor(sectors / (16 * 63))));
  return { cylinders: cyl, heads: 16, sectorsPerTrack: 63 };
}

/** What the current DRQ data phase is doing. */
const enum Xfer {
  None = 0,
  /** Device -> host, sectors from the medium. */
  ReadSectors = 1,
  /** Host -> device, sectors to the medium. */
  WriteSectors = 2,
  /** Device -> host, one block of generated data (IDENTIFY). */
  ReadBuffer = 3,
}

/**
 * An ATA channel. Map `command` at 0x1F0 (8 ports) and `control` at 0x3F6 (1 port) for the
 * primary channel, 0x170 / 0x376 for the secondary.
 */
export class AtaChannel implements Device {
  readonly name: string;
  readonly command: RegionOps;
  readonly control: RegionOps;
  private readonly irq: IrqLine | undefined;
  private readonly disks: (AtaDisk | undefined)[];

  // Shared task file (current and previous value of each register, for HOB reads).
  private features = 0;
  private count = 0;
  private lbaLow = 0;
  private lbaMid = 0;
  private lbaHigh = 0;
  private hobFeatures = 0;
  private hobCount = 0;
  private hobLbaLow = 0;
  private hobLbaMid = 0;
  private hobLbaHigh = 0;
  private device = 0;
  private devControl = 0;
  private intrq = false;
  private lineLevel: 0 | 1 = 0;

  // Data phase.
  private readonly buf = new Uint8Array(SECTOR * MAX_MULTIPLE);
  private xfer: Xfer = Xfer.None;
  private pos = 0;
  private end = 0;
  private xferLba = 0;
  private xferRemaining = 0;
  private xferBlock = 1;
  private xferLba48 = false;

  constructor(opts: AtaChannelOptions = {}) {
    this.name = opts.name ?? 'ata';
    this.irq = opts.irq;
    this.disks = [
      opts.master ? new AtaDisk(opts.master, `VTX0-${this.name}`) : undefined,
      opts.slave ? new AtaDisk(opts.slave, `VTX1-${this.name}`) : undefined,
    ];
    this.command = {
      read: (offset, size) => this.readCommand(offset, size),
      write: (offset, size, value) => this.writeCommand(offset, size, value),
    };
    this.control = {
      read: () => this.readAltStatus(),
      write: (_offset, _size, value) => this.writeDeviceControl(value),
    };
    this.reset();
  }

  /** Default port mappings for `primary` or secondary. */
  ioRegions(primary: boolean): IoRegionSpec[] {
    return [
      { base: primary ? 0x1f0 : 0x170, count: 8, ops: this.command, name: `${this.name}.command` },
      { base: primary ? 0x3f6 : 0x376, count: 1, ops: this.control, name: `${this.name}.control` },
    ];
  }

  /** Sector count of device 0/1 (0 when absent). */
  capacity(dev: 0 | 1): number {
    return this.disks[dev]?.sectors ?? 0;
  }

  /** Copy-on-write overlay of device `dev`: sector number -> 512 bytes (read-only view for tools). */
  overlay(dev: 0 | 1): ReadonlyMap<number, Uint8Array> | undefined {
    return this.disks[dev]?.overlay;
  }

  reset(): void {
    this.devControl = 0;
    this.intrq = false;
    this.abortTransfer();
    for (const d of this.disks) if (d) d.resetSettings();
    this.setSignature();
    this.features = 0;
    this.hobFeatures = 0;
    this.hobCount = 0;
    this.hobLbaLow = 0;
    this.hobLbaMid = 0;
    this.hobLbaHigh = 0;
    this.updateIrq();
  }

  // ------------------------------------------------------------------------------------------
  // Register access

  private get selected(): AtaDisk | undefined {
    return this.disks[(this.device >> 4) & 1];
  }

  private get noDevices(): boolean {
    return this.disks[0] === undefined && this.disks[1] === undefined;
  }

  private readCommand(offset: number, size: AccessSize): number {
    if (this.noDevices) return 0;
    if (offset === 0) return this.readData(size);
    if (size !== 1) {
      // The task-file registers are 8 bits wide: a wider access is a run of byte accesses.
      let v = 0;
      for (let i = 0; i < size && offset + i < 8; i++) v |= this.readCommand(offset + i, 1) << (8 * i);
      return v >>> 0;
    }
    const hob = (this.devControl & ATA_DC_HOB) !== 0;
    const d = this.selected;
    switch (offset & 7) {
      case 1:
        return d === undefined ? 0 : d.error;
      case 2:
        return hob ? this.hobCount : this.count;
      case 3:
        return hob ? this.hobLbaLow : this.lbaLow;
      case 4:
        return hob ? this.hobLbaMid : this.lbaMid;
      case 5:
        return hob ? this.hobLbaHigh : this.lbaHigh;
      case 6:
        return this.device;
      default: {
        if (d === undefined) return 0;
        this.intrq = false;
        this.updateIrq();
        return d.status;
      }
    }
  }

  private readAltStatus(): number {
    if (this.noDevices) return 0;
    const d = this.selected;
    return d === undefined ? 0 : d.status;
  }

  private writeCommand(offset: number, size: AccessSize, value: number): void {
    if (offset === 0) {
      this.writeData(size, value);
      return;
    }
    if (size !== 1) {
      for (let i = 0; i < size && offset + i < 8; i++) this.writeCommand(offset + i, 1, (value >>> (8 * i)) & 0xff);
      return;
    }
    value &= 0xff;
    if ((offset & 7) !== 7) this.devControl &= ~ATA_DC_HOB;
    switch (offset & 7) {
      case 1:
        this.hobFeatures = this.features;
        this.features = value;
        break;
      case 2:
        this.hobCount = this.count;
        this.count = value;
        break;
      case 3:
        this.hobLbaLow = this.lbaLow;
        this.lbaLow = value;
        break;
      case 4:
        this.hobLbaMid = this.lbaMid;
        this.lbaMid = value;
        break;
      case 5:
        this.hobLbaHigh = this.lbaHigh;
        this.lbaHigh = value;
        break;
      case 6:
        // Bits 7 and 5 are obsolete "always one" bits on old drives; keep what was written.
        this.device = value;
        this.updateIrq();
        break;
      default:
        this.executeCommand(value);
    }
  }

  private writeDeviceControl(value: number): void {
    const old = this.devControl;
    this.devControl = value & (ATA_DC_HOB | ATA_DC_SRST | ATA_DC_NIEN);
    if ((value & ATA_DC_SRST) !== 0 && (old & ATA_DC_SRST) === 0) {
      // Enter reset: abandon everything, devices busy until SRST is released.
      this.abortTransfer();
      this.intrq = false;
      for (const d of this.disks) if (d) d.status = ATA_SR_BSY;
    } else if ((value & ATA_DC_SRST) === 0 && (old & ATA_DC_SRST) !== 0) {
      for (const d of this.disks) {
        if (d) {
          d.status = ATA_SR_DRDY | ATA_SR_DSC;
          d.error = 0x01;
        }
      }
      this.setSignature();
    }
    this.updateIrq();
  }

  /** The ATA device signature (count 1, LBA 1/0/0, device 0): what reset and diagnostics leave. */
  private setSignature(): void {
    this.count = 1;
    this.lbaLow = 1;
    this.lbaMid = 0;
    this.lbaHigh = 0;
    this.device = 0;
  }

  private updateIrq(): void {
    const level: 0 | 1 = this.intrq && (this.devControl & ATA_DC_NIEN) === 0 && this.selected !== undefined ? 1 : 0;
    if (level !== this.lineLevel) {
      this.lineLevel = level;
      if (this.irq) this.irq.set(level);
    }
  }

  private raiseIrq(): void {
    this.intrq = true;
    this.updateIrq();
  }

  // ------------------------------------------------------------------------------------------
  // Data port

  private readData(size: AccessSize): number {
    if (this.xfer !== Xfer.ReadSectors && this.xfer !== Xfer.ReadBuffer) return 0;
    const b = this.buf;
    let v: number;
    if (size === 4) {
      const p = this.pos;
      v = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
      this.pos += 4;
    } else {
      v = b[this.pos]! | (b[this.pos + 1]! << 8);
      this.pos += 2;
      if (size === 1) v &= 0xff;
    }
    if (this.pos >= this.end) this.blockDone();
    return v;
  }

  private writeData(size: AccessSize, value: number): void {
    if (this.xfer !== Xfer.WriteSectors) return;
    const b = this.buf;
    const p = this.pos;
    b[p] = value & 0xff;
    b[p + 1] = (value >>> 8) & 0xff;
    if (size === 4) {
      b[p + 2] = (value >>> 16) & 0xff;
      b[p + 3] = (value >>> 24) & 0xff;
      this.pos += 4;
    } else {
      this.pos += 2;
    }
    if (this.pos >= this.end) this.blockDone();
  }

  /** A DRQ block has been fully transferred by the host. */
  private blockDone(): void {
    const d = this.selected!;
    const n = this.end / SECTOR;
    if (this.xfer === Xfer.ReadBuffer) {
      this.xfer = Xfer.None;
      d.status = ATA_SR_DRDY | ATA_SR_DSC;
      return;
    }
    if (this.xfer === Xfer.WriteSectors) {
      for (let i = 0; i < n; i++) d.writeSector(this.xferLba + i, this.buf, i * SECTOR);
    }
    this.xferLba += n;
    this.xferRemaining -= n;
    this.setTaskFileAddress(d, this.xferLba - 1);
    this.count = this.xferRemaining & 0xff;
    if (this.xferRemaining > 0) {
      if (this.xfer === Xfer.ReadSectors) this.loadReadBlock(d);
      else this.startWriteBlock(d);
      this.raiseIrq();
    } else {
      const wasWrite = this.xfer === Xfer.WriteSectors;
      this.xfer = Xfer.None;
      d.status = ATA_SR_DRDY | ATA_SR_DSC;
      if (wasWrite) this.raiseIrq();
    }
  }

  private loadReadBlock(d: AtaDisk): void {
    const n = Math.min(this.xferBlock, this.xferRemaining);
    for (let i = 0; i < n; i++) d.readSector(this.xferLba + i, this.buf, i * SECTOR);
    this.pos = 0;
    this.end = n * SECTOR;
    d.status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
  }

  private startWriteBlock(d: AtaDisk): void {
    const n = Math.min(this.xferBlock, this.xferRemaining);
    this.pos = 0;
    this.end = n * SECTOR;
    d.status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
  }

  private abortTransfer(): void {
    this.xfer = Xfer.None;
    this.pos = 0;
    this.end = 0;
    this.xferRemaining = 0;
  }

  // ------------------------------------------------------------------------------------------
  // Commands

  private executeCommand(cmd: number): void {
    const d = this.selected;
    if (d === undefined) return; // commands to an absent device are ignored
    if ((d.status & ATA_SR_BSY) !== 0) return;
    this.abortTransfer();
    this.devControl &= ~ATA_DC_HOB;
    this.xferLba48 = false;
    d.error = 0;
    switch (cmd) {
      case 0xec: // IDENTIFY DEVICE
        this.identify(d);
        return;
      case 0x20: // READ SECTOR(S)
      case 0x21:
        this.startRw(d, false, false, 1);
        return;
      case 0x24: // READ SECTOR(S) EXT
        if (d.lba48) this.startRw(d, false, true, 1);
        else this.abort(d);
        return;
      case 0x30: // WRITE SECTOR(S)
      case 0x31:
        this.startRw(d, true, false, 1);
        return;
      case 0x34: // WRITE SECTOR(S) EXT
        if (d.lba48) this.startRw(d, true, true, 1);
        else this.abort(d);
        return;
      case 0xc4: // READ MULTIPLE
      case 0xc5: // WRITE MULTIPLE
      case 0x29: // READ MULTIPLE EXT
      case 0x39: {
        // WRITE MULTIPLE EXT
        const ext = cmd === 0x29 || cmd === 0x39;
        if (d.multiple === 0 || (ext && !d.lba48)) this.abort(d);
        else this.startRw(d, cmd === 0xc5 || cmd === 0x39, ext, d.multiple);
        return;
      }
      case 0xc6: // SET MULTIPLE MODE
        if (this.count === 0 || this.count > MAX_MULTIPLE || (this.count & (this.count - 1)) !== 0) this.abort(d);
        else {
          d.multiple = this.count;
          this.complete(d);
        }
        return;
      case 0x40: // READ VERIFY SECTOR(S)
      case 0x41:
        this.verify(d, false);
        return;
      case 0x42: // READ VERIFY SECTOR(S) EXT
        if (d.lba48) this.verify(d, true);
        else this.abort(d);
        return;
      case 0x91: // INITIALIZE DEVICE PARAMETERS
        if (this.count === 0) this.abort(d);
        else {
          d.curSpt = this.count;
          d.curHeads = (this.device & 0x0f) + 1;
          this.complete(d);
        }
        return;
      case 0xef: // SET FEATURES
        this.setFeatures(d);
        return;
      case 0xf8: // READ NATIVE MAX ADDRESS
        this.setTaskFileAddress(d, Math.min(d.sectors, 0x10000000) - 1);
        this.complete(d);
        return;
      case 0x27: // READ NATIVE MAX ADDRESS EXT
        if (!d.lba48) this.abort(d);
        else {
          this.xferLba48 = true;
          this.setTaskFileAddress(d, d.sectors - 1);
          this.complete(d);
        }
        return;
      case 0x70: // SEEK
        if (this.checkRange(d, this.taskFileLba(d, false), 1)) this.complete(d);
        return;
      case 0xe5: // CHECK POWER MODE: 0xFF = active or idle
      case 0x98:
        this.count = 0xff;
        this.complete(d);
        return;
      case 0xe0: // STANDBY IMMEDIATE
      case 0xe1: // IDLE IMMEDIATE
      case 0xe2: // STANDBY
      case 0xe3: // IDLE
      case 0xe6: // SLEEP
      case 0x94:
      case 0x95:
      case 0x96:
      case 0x97:
      case 0x99:
      case 0xe7: // FLUSH CACHE
      case 0xea: // FLUSH CACHE EXT
        this.complete(d);
        return;
      case 0x90: // EXECUTE DEVICE DIAGNOSTIC
        for (const x of this.disks) {
          if (x) {
            x.error = 0x01;
            x.status = ATA_SR_DRDY | ATA_SR_DSC;
          }
        }
        this.setSignature();
        this.raiseIrq();
        return;
      default:
        if (cmd >= 0x10 && cmd <= 0x1f) {
          // RECALIBRATE
          this.complete(d);
          return;
        }
        this.abort(d);
    }
  }

  private complete(d: AtaDisk): void {
    d.status = ATA_SR_DRDY | ATA_SR_DSC;
    this.raiseIrq();
  }

  private abort(d: AtaDisk, error = ATA_ER_ABRT): void {
    d.error = error;
    d.status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR;
    this.raiseIrq();
  }

  /** The starting address of a command from the task file (LBA28, LBA48 or CHS), -1 if invalid. */
  private taskFileLba(d: AtaDisk, lba48: boolean): number {
    if (lba48) {
      return (
        this.lbaLow +
        this.lbaMid * 0x100 +
        this.lbaHigh * 0x10000 +
        this.hobLbaLow * 0x1000000 +
        this.hobLbaMid * 0x100000000 +
        this.hobLbaHigh * 0x10000000000
      );
    }
    if ((this.device & ATA_DEV_LBA) !== 0) {
      return this.lbaLow | (this.lbaMid << 8) | (this.lbaHigh << 16) | ((this.device & 0x0f) << 24);
    }
    const cyl = this.lbaMid | (this.lbaHigh << 8);
    const head = this.device & 0x0f;
    const sector = this.lbaLow;
    if (sector === 0 || sector > d.curSpt || head >= d.curHeads) return -1;
    return (cyl * d.curHeads + head) * d.curSpt + sector - 1;
  }

  /** Write `lba` back into the task file in the addressing mode of the current command. */
  private setTaskFileAddress(d: AtaDisk, lba: number): void {
    if (lba < 0) lba = 0;
    if (this.xferLba48) {
      this.lbaLow = lba & 0xff;
      this.lbaMid = (lba >>> 8) & 0xff;
      this.lbaHigh = (lba >>> 16) & 0xff;
      this.hobLbaLow = Math.floor(lba / 0x1000000) & 0xff;
      this.hobLbaMid = Math.floor(lba / 0x100000000) & 0xff;
      this.hobLbaHigh = Math.floor(lba / 0x10000000000) & 0xff;
    } else if ((this.device & ATA_DEV_LBA) !== 0) {
      this.lbaLow = lba & 0xff;
      this.lbaMid = (lba >>> 8) & 0xff;
      this.lbaHigh = (lba >>> 16) & 0xff;
      this.device = (this.device & 0xf0) | ((lba >>> 24) & 0x0f);
    } else {
      const spt = d.curSpt;
      const heads = d.curHeads;
      const cyl = Math.floor(lba / (spt * heads));
      const rem = lba % (spt * heads);
      this.lbaLow = (rem % spt) + 1;
      this.lbaMid = cyl & 0xff;
      this.lbaHigh = (cyl >>> 8) & 0xff;
      this.device = (this.device & 0xf0) | (Math.floor(rem / spt) & 0x0f);
    }
  }

  private sectorCount(lba48: boolean): number {
    if (lba48) {
      const n = this.count | (this.hobCount << 8);
      return n === 0 ? 65536 : n;
    }
    return this.count === 0 ? 256 : this.count;
  }

  private checkRange(d: AtaDisk, lba: number, n: number): boolean {
    if (lba < 0 || lba + n > d.sectors) {
      this.abort(d, ATA_ER_IDNF | ATA_ER_ABRT);
      return false;
    }
    return true;
  }

  private startRw(d: AtaDisk, write: boolean, lba48: boolean, block: number): void {
    this.xferLba48 = lba48;
    const lba = this.taskFileLba(d, lba48);
    const n = this.sectorCount(lba48);
    if (!this.checkRange(d, lba, n)) return;
    if (write && d.readOnly) {
      this.abort(d);
      return;
    }
    this.xferLba = lba;
    this.xferRemaining = n;
    this.xferBlock = block;
    if (write) {
      this.xfer = Xfer.WriteSectors;
      this.startWriteBlock(d); // PIO out: the first DRQ block comes without an interrupt
    } else {
      this.xfer = Xfer.ReadSectors;
      this.loadReadBlock(d);
      this.raiseIrq();
    }
  }

  private verify(d: AtaDisk, lba48: boolean): void {
    this.xferLba48 = lba48;
    const lba = this.taskFileLba(d, lba48);
    const n = this.sectorCount(lba48);
    if (!this.checkRange(d, lba, n)) return;
    this.setTaskFileAddress(d, lba + n - 1);
    this.complete(d);
  }

  private setFeatures(d: AtaDisk): void {
    switch (this.features) {
      case 0x03: {
        // Set transfer mode: PIO default (00h/01h) or PIO flow-control modes 0..4.
        const mode = this.count;
        if (mode <= 0x01 || (mode >= 0x08 && mode <= 0x0c)) this.complete(d);
        else this.abort(d);
        return;
      }
      case 0x02:
      case 0x82:
        d.writeCache = this.features === 0x02;
        this.complete(d);
        return;
      case 0xaa:
      case 0x55:
        d.lookAhead = this.features === 0xaa;
        this.complete(d);
        return;
      case 0x66: // keep / revert to power-on defaults
      case 0xcc:
        this.complete(d);
        return;
      default:
        this.abort(d);
    }
  }

  private identify(d: AtaDisk): void {
    const w = this.buf;
    w.fill(0, 0, SECTOR);
    const g = d.geometry;
    const lba28 = Math.min(d.sectors, 0x0fffffff);
    putWord(w, 0, 0x0040); // fixed device, not removable
    putWord(w, 1, g.cylinders);
    putWord(w, 3, g.heads);
    putWord(w, 4, SECTOR * g.sectorsPerTrack); // obsolete unformatted bytes per track
    putWord(w, 5, SECTOR);
    putWord(w, 6, g.sectorsPerTrack);
    putString(w, 10, 10, d.serial);
    putWord(w, 20, 3); // obsolete buffer type
    putWord(w, 21, SECTOR); // obsolete buffer size
    putWord(w, 22, 4); // obsolete ECC bytes
    putString(w, 23, 4, d.firmware);
    putString(w, 27, 20, d.model);
    putWord(w, 47, 0x8000 | MAX_MULTIPLE);
    putWord(w, 48, 1); // 32-bit PIO (obsolete, as QEMU)
    putWord(w, 49, 0x0a00); // IORDY supported, LBA supported, no DMA
    putWord(w, 50, 0x4000);
    putWord(w, 51, 0x0200); // PIO mode 2 timing
    putWord(w, 53, 0x0003); // words 54-58 and 64-70 valid
    const curCyl = Math.min(65535, Math.floor(d.sectors / (d.curHeads * d.curSpt)));
    putWord(w, 54, curCyl);
    putWord(w, 55, d.curHeads);
    putWord(w, 56, d.curSpt);
    const curCap = curCyl * d.curHeads * d.curSpt;
    putWord(w, 57, curCap & 0xffff);
    putWord(w, 58, (curCap >>> 16) & 0xffff);
    putWord(w, 59, d.multiple !== 0 ? 0x100 | d.multiple : 0);
    putWord(w, 60, lba28 & 0xffff);
    putWord(w, 61, (lba28 >>> 16) & 0xffff);
    putWord(w, 64, 0x0003); // PIO modes 3 and 4
    putWord(w, 65, 120);
    putWord(w, 66, 120);
    putWord(w, 67, 120);
    putWord(w, 68, 120);
    putWord(w, 80, 0x007e); // ATA-1 .. ATA-6
    putWord(w, 81, 0);
    putWord(w, 82, 0x4020 | (d.lookAhead ? 0x40 : 0)); // write cache (5), look-ahead (6) supported
    putWord(w, 83, 0x4000 | 0x1000 | (d.lba48 ? 0x2400 : 0)); // FLUSH CACHE (12), LBA48 (10), FLUSH EXT (13)
    putWord(w, 84, 0x4000);
    putWord(w, 85, (d.writeCache ? 0x20 : 0) | (d.lookAhead ? 0x40 : 0));
    putWord(w, 86, 0x1000 | (d.lba48 ? 0x2400 : 0));
    putWord(w, 87, 0x4000);
    putWord(w, 93, 0x6001); // hardware reset result, as QEMU (SeaBIOS then probes device 1 too)
    if (d.lba48) {
      putWord(w, 100, d.sectors & 0xffff);
      putWord(w, 101, Math.floor(d.sectors / 0x10000) & 0xffff);
      putWord(w, 102, Math.floor(d.sectors / 0x100000000) & 0xffff);
      putWord(w, 103, Math.floor(d.sectors / 0x1000000000000) & 0xffff);
    }
    // Word 255: signature A5h and a checksum making the 512 bytes sum to 0 mod 256.
    w[510] = 0xa5;
    let sum = 0;
    for (let i = 0; i < 511; i++) sum += w[i]!;
    w[511] = -sum & 0xff;
    this.xfer = Xfer.ReadBuffer;
    this.pos = 0;
    this.end = SECTOR;
    d.status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
    this.raiseIrq();
  }

  // ------------------------------------------------------------------------------------------
  // State

  saveState(): DeviceState {
    const disks = this.disks.map((d) =>
      d === undefined
        ? null
        : {
            status: d.status,
            error: d.error,
            curHeads: d.curHeads,
            curSpt: d.curSpt,
            multiple: d.multiple,
            writeCache: d.writeCache,
            lookAhead: d.lookAhead,
            overlay: Array.from(d.overlay.entries()).map(([lba, data]) => [lba, Buffer.from(data).toString('base64')]),
          },
    );
    return {
      taskFile: [this.features, this.count, this.lbaLow, this.lbaMid, this.lbaHigh, this.hobFeatures, this.hobCount, this.hobLbaLow, this.hobLbaMid, this.hobLbaHigh],
      device: this.device,
      devControl: this.devControl,
      intrq: this.intrq,
      xfer: this.xfer,
      pos: this.pos,
      end: this.end,
      xferLba: this.xferLba,
      xferRemaining: this.xferRemaining,
      xferBlock: this.xferBlock,
      xferLba48: this.xferLba48,
      buffer: Buffer.from(this.buf.subarray(0, this.end)).toString('base64'),
      disks,
    };
  }

  loadState(s: DeviceState): void {
    const tf = s['taskFile'] as number[];
    [this.features, this.count, this.lbaLow, this.lbaMid, this.lbaHigh, this.hobFeatures, this.hobCount, this.hobLbaLow, this.hobLbaMid, this.hobLbaHigh] = tf as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    this.device = s['device'] as number;
    this.devControl = s['devControl'] as number;
    this.intrq = s['intrq'] as boolean;
    this.xfer = s['xfer'] as Xfer;
    this.pos = s['pos'] as number;
    this.end = s['end'] as number;
    this.xferLba = s['xferLba'] as number;
    this.xferRemaining = s['xferRemaining'] as number;
    this.xferBlock = s['xferBlock'] as number;
    this.xferLba48 = s['xferLba48'] as boolean;
    this.buf.fill(0);
    this.buf.set(Buffer.from(s['buffer'] as string, 'base64'));
    const disks = s['disks'] as ({ [k: string]: unknown } | null)[];
    for (let i = 0; i < 2; i++) {
      const d = this.disks[i];
      const ds = disks[i];
      if (d === undefined || ds === null || ds === undefined) continue;
      d.status = ds['status'] as number;
      d.error = ds['error'] as number;
      d.curHeads = ds['curHeads'] as number;
      d.curSpt = ds['curSpt'] as number;
      d.multiple = ds['multiple'] as number;
      d.writeCache = ds['writeCache'] as boolean;
      d.lookAhead = ds['lookAhead'] as boolean;
      d.overlay.clear();
      for (const [lba, b64] of ds['overlay'] as [number, string][]) d.overlay.set(lba, new Uint8Array(Buffer.from(b64, 'base64')));
    }
    this.lineLevel = 0;
    const level: 0 | 1 = this.intrq && (this.devControl & ATA_DC_NIEN) === 0 && this.selected !== undefined ? 1 : 0;
    this.lineLevel = level;
    if (this.irq) this.irq.set(level);
  }
}

function putWord(w: Uint8Array, i: number, v: number): void {
  w[i * 2] = v & 0xff;
  w[i * 2 + 1] = (v >>> 8) & 0xff;
}

/** ATA strings: two characters per word, the first in the high byte; padded with spaces. */
function putString(w: Uint8Array, firstWord: number, words: number, s: string): void {
  for (let i = 0; i < words * 2; i++) {
    const ch = i < s.length ? s.charCodeAt(i) & 0x7f : 0x20;
    w[firstWord * 2 + (i ^ 1)] = ch;
  }
}
