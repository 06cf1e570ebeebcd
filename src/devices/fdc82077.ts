/**
 * Intel 82077AA floppy disk controller in PC-AT mode, with up to two 3.5"/5.25" drives.
 *
 * Models:
 * - Registers: DOR (0x3F2: drive select, nRESET, DMA/IRQ gate, motor enables), TDR (0x3F3), MSR
 *   (0x3F4 read: RQM, DIO, NDMA, CB, drive busy bits), DSR (0x3F4 write: software reset, data
 *   rate), FIFO (0x3F5), DIR (0x3F7 read: DSKCHG of the selected drive) and CCR (0x3F7 write: data
 *   rate). SRA/SRB (0x3F0/0x3F1) are PS/2-mode registers and read 0xFF here.
 * - Commands: SPECIFY, SENSE DRIVE STATUS, RECALIBRATE, SENSE INTERRUPT STATUS (four drive-ready
 *   statuses after a reset with polling enabled), SEEK, RELATIVE SEEK, READ ID, READ DATA (multi-
 *   sector, MT, end of track / end of cylinder), WRITE DATA, FORMAT TRACK, VERSION (0x90),
 *   CONFIGURE, LOCK, DUMPREG, PERPENDICULAR MODE. Other opcodes are invalid (result ST0 = 0x80).
 * - Data moves through the DMA channel (default 2) of a `FdcDma` (the 8237 pair): the FDC raises
 *   DREQ and transfers when the channel is serviceable, until terminal count or the end of the
 *   track; result bytes C/H/R/N follow the 82077AA datasheet table (final sector = EOT advances
 *   the cylinder, or the head with MT on head 0). A write that ends at TC mid-sector zero-fills the
 *   rest of the sector, as the chip does.
 * - Media by image size: 160K, 180K, 320K, 360K (40 tracks), 720K, 1.2M, 1.44M, 2.88M (80 tracks);
 *   another size uses the smallest format that holds it (the rest reads as zeros; writes beyond
 *   the image are dropped). The programmed data rate must match the medium's (250/300/500 kb/s,
 *   1 Mb/s) and MFM must be selected, otherwise the command ends with ST1 MA (missing address
 *   mark), which is what BIOS media sensing relies on. The ID C/H/R/N of the command must match the
 *   sector IDs (N = 2, H = physical head), else ST1 ND.
 * - Like QEMU, data commands seek implicitly to cylinder C (SeaBIOS never issues SEEK), whatever
 *   CONFIGURE's EIS bit says, and report ST0 SE when that moved the head; ST0's head bit is the
 *   result's H (QEMU's choice); and like QEMU the DOR resets to 0x0C (controller enabled, DMA/IRQ
 *   gate on) rather than the datasheet's 0x00, because PC BIOSes expect that. DSKCHG is set at
 *   power-on and on media change and cleared by a head step with media present.
 * - Non-DMA mode (SPECIFY ND=1): the execution phase moves the data byte by byte through the FIFO
 *   with MSR RQM|NDMA|CB (+DIO for reads) and IRQ6 held asserted; with no TC on a PC/AT the
 *   transfer ends at EOT of the last head with ST0 abnormal termination and ST1 EN, which drivers
 *   (Linux's "pseudo-DMA") treat as success. Without a DMA controller, DMA-mode data commands end
 *   with ST1 OR.
 * - Completion is instantaneous (no step, head-load or rotational timing); IRQ6 is asserted when a
 *   result phase or a seek/recalibrate completes and is gated by DOR bit 3.
 *
 * Differences from QEMU 7.2 are listed, with reasons, in test/devices/chipset-oracle.test.ts.
 *
 * Does not model: READ TRACK, READ/WRITE DELETED DATA, VERIFY, SCAN and POWERDOWN MODE (invalid
 * commands), CRC errors and overruns, FM recording, the FIFO threshold, drives 2 and 3 (absent:
 * recalibrate fails with EC), motor timing (commands work with the motor off), perpendicular
 * (2.88M) write-gate effects.
 */
import type { AccessSize } from '../memory/types.js';
import type { Device, DeviceState, IrqLine, RegionOps } from './device.js';
import type { IoRegionSpec } from '../memory/io-space.js';

/** What the FDC needs from the DMA controller (`Dma8237` satisfies it). */
export interface FdcDma {
  connect(channel: number, client: { dmaService(channel: number): void }): void;
  requestService(channel: number): void;
  releaseService(channel: number): void;
  transfer(channel: number, buffer: Uint8Array, offset: number, length: number): number;
  readonly lastTc: boolean;
}

export interface FloppyDriveOptions {
  image?: Uint8Array;
  readOnly?: boolean;
}

export interface Fdc82077Options {
  name?: string;
  /** IRQ6. */
  irq?: IrqLine;
  dma?: FdcDma;
  /** DMA channel (default 2). */
  dmaChannel?: number;
  /**
   * Drives 0 and 1 (A: and B:). Omit a drive to leave it absent; give `{}` for an empty drive.
   * Default: drive 0 present (with `image` if given), drive 1 absent.
   */
  drives?: (FloppyDriveOptions | undefined)[];
  /** Shorthand for `drives: [{ image, readOnly }]`. Ignored when `drives` is given. */
  image?: Uint8Array;
  readOnly?: boolean;
}

/** A floppy format: geometry and the data rate code it is recorded at. */
export interface FloppyFormat {
  readonly name: string;
  readonly tracks: number;
  readonly heads: number;
  readonly sectors: number;
  /** DSR/CCR rate code: 0 = 500 kb/s, 1 = 300 kb/s, 2 = 250 kb/s, 3 = 1 Mb/s. */
  readonly rate: number;
}

export const FLOPPY_FORMATS: readonly FloppyFormat[] = [
  { name: '160K', tracks: 40, heads: 1, sectors: 8, rate: 2 },
  { name: '180K', tracks: 40, heads: 1, sectors: 9, rate: 1 },
  { name: '320K', tracks: 40, heads: 2, sectors: 8, rate: 2 },
  { name: '360K', tracks: 40, heads: 2, sectors: 9, rate: 1 },
  { name: '720K', tracks: 80, heads: 2, sectors: 9, rate: 2 },
  { name: '1.2M', tracks: 80, heads: 2, sectors: 15, rate: 0 },
  { name: '1.44M', tracks: 80, heads: 2, sectors: 18, rate: 0 },
  { name: '2.88M', tracks: 80, heads: 2, sectors: 36, rate: 3 },
];

/** The format of an image of `bytes` bytes: exact match, else the smallest that holds it. */
export function floppyFormatFor(bytes: number): FloppyFormat {
  for (const f of FLOPPY_FORMATS) if (f.tracks * f.heads * f.sectors * 512 === bytes) return f;
  for (const f of FLOPPY_FORMATS) if (f.tracks * f.heads * f.sectors * 512 >= bytes) return f;
  return FLOPPY_FORMATS[FLOPPY_FORMATS.length - 1]!;
}

/* Status register 0 (82077AA datasheet, "Status Register 0"):
 *   7:6 IC interrupt code: 00 normal, 01 abnormal termination, 10 invalid command, 11 abnormal
 *       termination caused by polling (drive ready change)
 *   5   SE seek end   4 EC equipment check   3 (not ready, always 0)   2 H head   1:0 DS drive */
export const ST0_ABNORMAL = 0x40;
export const ST0_INVALID = 0x80;
export const ST0_POLL = 0xc0;
export const ST0_SE = 0x20;
export const ST0_EC = 0x10;
/* ST1: 7 EN end of cylinder, 5 DE data error, 4 OR overrun, 2 ND no data, 1 NW not writable,
 *      0 MA missing address mark */
export const ST1_EN = 0x80;
export const ST1_OR = 0x10;
export const ST1_ND = 0x04;
export const ST1_NW = 0x02;
export const ST1_MA = 0x01;
/* ST3: 6 WP write protected, 5 RDY (always 1 on 82077AA), 4 T0 track 0, 3 two-sided (pin, 1 for
 *      PC drives), 2 head, 1:0 drive */

/* MSR: 7 RQM, 6 DIO (1 = controller to CPU), 5 NDMA (non-DMA execution), 4 CB (command busy),
 *      3:0 drive 3..0 busy (seeking) */
const MSR_RQM = 0x80;
const MSR_DIO = 0x40;
const MSR_NDMA = 0x20;
const MSR_CB = 0x10;

/* DOR: 7:4 motor enable D..A, 3 DMA gate (DMA and IRQ enable), 2 nRESET, 1:0 drive select */
const DOR_DMAGATE = 0x08;
const DOR_NRESET = 0x04;

const enum Phase {
  Command = 0,
  Execution = 1,
  Result = 2,
}

const enum Op {
  None = 0,
  Read = 1,
  Write = 2,
  Format = 3,
}

class FloppyDrive {
  image: Uint8Array | undefined;
  readOnly = false;
  format: FloppyFormat = FLOPPY_FORMATS[6]!;
  pcn = 0;
  /** Sector under the head, as READ ID reports it. */
  nextSector = 1;
  changed = true;

  insert(image: Uint8Array | undefined, readOnly: boolean): void {
    this.image = image;
    this.readOnly = readOnly;
    if (image) this.format = floppyFormatFor(image.length);
    this.changed = true;
  }
}

/** Number of command bytes per opcode (low 5 bits), 0 = invalid. */
function commandLength(cmd: number): number {
  switch (cmd) {
    case 0x03:
      return 3; // SPECIFY
    case 0x04:
      return 2; // SENSE DRIVE STATUS
    case 0x07:
      return 2; // RECALIBRATE
    case 0x08:
      return 1; // SENSE INTERRUPT STATUS
    case 0x0e:
      return 1; // DUMPREG
    case 0x0f:
    case 0x8f:
    case 0xcf:
      return 3; // SEEK, RELATIVE SEEK
    case 0x10:
      return 1; // VERSION
    case 0x12:
      return 2; // PERPENDICULAR MODE
    case 0x13:
      return 4; // CONFIGURE
    case 0x14:
    case 0x94:
      return 1; // LOCK
  }
  switch (cmd & 0x1f) {
    case 0x06: // READ DATA: MT MFM SK
      return 9;
    case 0x05: // WRITE DATA: MT MFM
      return (cmd & 0x20) === 0 ? 9 : 0;
    case 0x0a: // READ ID: MFM
      return (cmd & 0xa0) === 0 ? 2 : 0;
    case 0x0d: // FORMAT TRACK: MFM
      return (cmd & 0xa0) === 0 ? 6 : 0;
  }
  return 0;
}

/**
 * The controller. Map `ops` at 0x3F0..0x3F5 (6 ports) and `dirOps` at 0x3F7 (1 port); 0x3F6 is the
 * IDE control register.
 */
export class Fdc82077 implements Device {
  readonly name: string;
  readonly ops: RegionOps;
  readonly dirOps: RegionOps;
  private readonly irq: IrqLine | undefined;
  private readonly dma: FdcDma | undefined;
  private readonly dmaChannel: number;
  private readonly drives: (FloppyDrive | undefined)[];

  private dor = 0;
  private tdr = 0;
  private rate = 2;
  private precomp = 0;
  private phase: Phase = Phase.Command;
  private readonly cmd = new Uint8Array(16);
  private cmdLen = 0;
  private cmdPos = 0;
  private readonly res = new Uint8Array(16);
  private resLen = 0;
  private resPos = 0;
  /** The result phase was entered with an interrupt that the first result byte read clears. */
  private resIrq = false;
  private specify1 = 0;
  private specify2 = 0;
  /** CONFIGURE byte 2: 6 EIS, 5 EFIFO (1 = FIFO disabled), 4 POLL (1 = disabled), 3:0 FIFOTHR. */
  private config = 0x20;
  private pretrk = 0;
  private lock = 0;
  private perpendicular = 0;
  private lastEot = 0;
  private intPending = false;
  private lineLevel: 0 | 1 = 0;
  private resetSense = 0;
  /** Seek/recalibrate completion status waiting for SENSE INTERRUPT STATUS (-1 = none). */
  private seekSt0 = -1;
  private seekDrive = 0;
  private driveBusy = 0;

  // Execution phase of a DMA data command.
  private op: Op = Op.None;
  private xDrive = 0;
  private xHead = 0;
  private xC = 0;
  private xR = 0;
  private xSectorsDone = 0;
  /** ST0_SE when the command's implied seek moved the head, else 0. */
  private xSeekEnd = 0;
  /** SPECIFY ND was set when the command started: bytes move through the FIFO. */
  private xNonDma = false;
  /** Byte position in `sector` (or `formatId`) of a non-DMA transfer. */
  private ndPos = 0;
  private readonly sector = new Uint8Array(512);
  private readonly formatId = new Uint8Array(4);

  constructor(opts: Fdc82077Options = {}) {
    this.name = opts.name ?? 'fdc82077';
    this.irq = opts.irq;
    this.dma = opts.dma;
    this.dmaChannel = opts.dmaChannel ?? 2;
    const ds = opts.drives ?? [{ image: opts.image, readOnly: opts.readOnly }];
    this.drives = [0, 1].map((i) => {
      const o = ds[i];
      if (o === undefined) return undefined;
      const d = new FloppyDrive();
      d.insert(o.image, o.readOnly === true);
      return d;
    });
    if (this.dma) this.dma.connect(this.dmaChannel, { dmaService: () => this.dmaService() });
    this.ops = {
      read: (offset) => this.readReg(offset),
      write: (offset, _size, value) => this.writeReg(offset, value & 0xff),
    };
    this.dirOps = {
      read: () => this.readDir(),
      write: (_offset, _size, value) => {
        this.rate = value & 3;
      },
    };
    this.reset();
  }

  /** Default port mappings. */
  ioRegions(): IoRegionSpec[] {
    return [
      { base: 0x3f0, count: 6, ops: this.ops, name: this.name, maxSize: 1 },
      { base: 0x3f7, count: 1, ops: this.dirOps, name: `${this.name}.dir`, maxSize: 1 },
    ];
  }

  /** Change the medium in drive 0/1 (undefined = eject). Sets the drive's disk-change line. */
  insertMedia(drive: 0 | 1, image: Uint8Array | undefined, readOnly = false): void {
    this.drives[drive]?.insert(image, readOnly);
  }

  /** The format of the medium in a drive (undefined when absent or empty), e.g. for CMOS 0x10. */
  mediaFormat(drive: 0 | 1): FloppyFormat | undefined {
    const d = this.drives[drive];
    return d?.image ? d.format : undefined;
  }

  reset(): void {
    this.dor = DOR_NRESET | DOR_DMAGATE;
    this.tdr = 0;
    this.rate = 2;
    this.precomp = 0;
    this.specify1 = 0;
    this.specify2 = 0;
    this.lock = 0;
    this.perpendicular = 0;
    for (const d of this.drives) {
      if (d) {
        d.pcn = 0;
        d.nextSector = 1;
        d.changed = true;
      }
    }
    this.softReset();
    this.resetSense = 0; // power-on: no polling interrupt pending
    this.intPending = false;
    this.updateIrq();
  }

  /** The controller part of a DOR/DSR reset (SPECIFY and locked CONFIGURE survive). */
  private softReset(): void {
    this.abortExecution();
    this.phase = Phase.Command;
    this.cmdPos = 0;
    this.resLen = 0;
    this.resPos = 0;
    this.resIrq = false;
    if (this.lock === 0) {
      this.config = 0x20;
      this.pretrk = 0;
    }
    this.perpendicular &= 0x3c;
    this.seekSt0 = -1;
    this.driveBusy = 0;
    this.intPending = false;
    this.resetSense = 0;
    this.updateIrq();
  }

  /** Leaving reset: with polling enabled, one interrupt and four drive-ready statuses. */
  private exitReset(): void {
    if ((this.config & 0x10) === 0) {
      this.resetSense = 4;
      this.raiseIrq();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Registers

  private readReg(offset: number): number {
    switch (offset) {
      case 2:
        return this.dor;
      case 3:
        return this.tdr;
      case 4:
        return this.msr();
      case 5:
        return this.readFifo();
      default:
        return 0xff; // SRA/SRB: PS/2 mode only
    }
  }

  private writeReg(offset: number, v: number): void {
    switch (offset) {
      case 2:
        this.writeDor(v);
        break;
      case 3:
        this.tdr = v & 3;
        break;
      case 4:
        // DSR: 7 software reset, 6 power down, 4:2 precompensation, 1:0 data rate.
        this.rate = v & 3;
        this.precomp = (v >> 2) & 7;
        if ((v & 0x80) !== 0 && (this.dor & DOR_NRESET) !== 0) {
          this.softReset();
          this.exitReset();
        }
        break;
      case 5:
        this.writeFifo(v);
        break;
    }
  }

  private readDir(): number {
    const d = this.drives[this.dor & 3];
    return d !== undefined && d.changed ? 0x80 : 0x00;
  }

  private writeDor(v: number): void {
    const old = this.dor;
    this.dor = v;
    if ((v & DOR_NRESET) === 0) {
      if ((old & DOR_NRESET) !== 0) this.softReset();
    } else if ((old & DOR_NRESET) === 0) {
      this.exitReset();
    }
    this.updateIrq();
    if ((v & DOR_DMAGATE) !== 0 && (old & DOR_DMAGATE) === 0 && this.op !== Op.None && this.dma) {
      this.dma.requestService(this.dmaChannel);
    }
  }

  private msr(): number {
    if ((this.dor & DOR_NRESET) === 0) return 0;
    switch (this.phase) {
      case Phase.Command:
        return MSR_RQM | (this.cmdPos > 0 ? MSR_CB : 0) | this.driveBusy;
      case Phase.Execution:
        if (this.xNonDma) return MSR_RQM | MSR_NDMA | MSR_CB | (this.op === Op.Read ? MSR_DIO : 0) | this.driveBusy;
        return MSR_CB | this.driveBusy;
      default:
        return MSR_RQM | MSR_DIO | MSR_CB | this.driveBusy;
    }
  }

  private readFifo(): number {
    if (this.phase === Phase.Execution && this.xNonDma && this.op === Op.Read) {
      const b = this.sector[this.ndPos++]!;
      this.nonDmaByte();
      return b;
    }
    if (this.phase !== Phase.Result) return 0;
    const v = this.res[this.resPos++]!;
    if (this.resIrq) {
      this.resIrq = false;
      this.intPending = false;
      this.updateIrq();
    }
    if (this.resPos >= this.resLen) {
      this.phase = Phase.Command;
      this.resPos = 0;
      this.resLen = 0;
    }
    return v;
  }

  private writeFifo(v: number): void {
    if (this.phase === Phase.Execution && this.xNonDma && this.op !== Op.Read) {
      if (this.op === Op.Format) this.formatId[this.ndPos++] = v;
      else this.sector[this.ndPos++] = v;
      this.nonDmaByte();
      return;
    }
    if ((this.dor & DOR_NRESET) === 0 || this.phase !== Phase.Command) return;
    if (this.cmdPos === 0) {
      this.cmdLen = commandLength(v);
      if (this.cmdLen === 0) {
        this.result1(ST0_INVALID);
        return;
      }
    }
    this.cmd[this.cmdPos++] = v;
    if (this.cmdPos >= this.cmdLen) {
      this.cmdPos = 0;
      this.execute();
    }
  }

  private updateIrq(): void {
    const level: 0 | 1 = this.intPending && (this.dor & DOR_DMAGATE) !== 0 ? 1 : 0;
    if (level !== this.lineLevel) {
      this.lineLevel = level;
      if (this.irq) this.irq.set(level);
    }
  }

  private raiseIrq(): void {
    this.intPending = true;
    this.updateIrq();
  }

  private result1(b0: number): void {
    this.res[0] = b0;
    this.enterResult(1, false);
  }

  private enterResult(len: number, irq: boolean): void {
    this.phase = Phase.Result;
    this.resLen = len;
    this.resPos = 0;
    this.resIrq = irq;
    if (irq) this.raiseIrq();
  }

  // ------------------------------------------------------------------------------------------
  // Commands

  private execute(): void {
    const c = this.cmd;
    const op = c[0]!;
    // A new command other than SENSE INTERRUPT supersedes the pending reset polling statuses.
    if (op !== 0x08) this.resetSense = 0;
    switch (op) {
      case 0x03: // SPECIFY
        this.specify1 = c[1]!;
        this.specify2 = c[2]!;
        return;
      case 0x04: // SENSE DRIVE STATUS
        this.res[0] = this.st3(c[1]! & 3, (c[1]! >> 2) & 1);
        this.enterResult(1, false);
        return;
      case 0x07: // RECALIBRATE
        this.recalibrate(c[1]! & 3);
        return;
      case 0x08: // SENSE INTERRUPT STATUS
        this.senseInterrupt();
        return;
      case 0x0e: // DUMPREG
        this.dumpreg();
        return;
      case 0x0f: // SEEK
        this.seek(c[1]! & 3, (c[1]! >> 2) & 1, c[2]!);
        return;
      case 0x8f: // RELATIVE SEEK out (towards cylinder 0)
      case 0xcf: {
        // RELATIVE SEEK in
        const d = this.drives[c[1]! & 3];
        const pcn = d ? d.pcn : 0;
        const ncn = op === 0xcf ? Math.min(255, pcn + c[2]!) : Math.max(0, pcn - c[2]!);
        this.seek(c[1]! & 3, (c[1]! >> 2) & 1, ncn);
        return;
      }
      case 0x10: // VERSION
        this.result1(0x90);
        return;
      case 0x12: // PERPENDICULAR MODE
        if ((c[1]! & 0x80) !== 0) this.perpendicular = (this.perpendicular & 0x03) | (c[1]! & 0x3c);
        this.perpendicular = (this.perpendicular & 0x3c) | (c[1]! & 0x03);
        return;
      case 0x13: // CONFIGURE
        this.config = c[2]! & 0x7f;
        this.pretrk = c[3]!;
        return;
      case 0x14: // LOCK
      case 0x94:
        this.lock = op >> 7;
        this.result1(this.lock << 4);
        return;
    }
    switch (op & 0x1f) {
      case 0x06:
        this.startData(Op.Read);
        return;
      case 0x05:
        this.startData(Op.Write);
        return;
      case 0x0a:
        this.readId();
        return;
      case 0x0d:
        this.startFormat();
        return;
    }
    this.result1(ST0_INVALID);
  }

  private st3(drive: number, head: number): number {
    const d = this.drives[drive];
    let v = 0x20 | 0x08 | (head << 2) | drive; // RDY, two-sided
    if (d !== undefined) {
      if (d.pcn === 0) v |= 0x10;
      if (d.image === undefined || d.readOnly) v |= 0x40;
    }
    return v;
  }

  private completeSeek(drive: number, st0: number): void {
    this.seekSt0 = st0;
    this.seekDrive = drive;
    this.driveBusy |= 1 << drive;
    this.raiseIrq();
  }

  private recalibrate(drive: number): void {
    const d = this.drives[drive];
    if (d === undefined) {
      // No TRK0 after 79 steps: equipment check.
      this.completeSeek(drive, ST0_ABNORMAL | ST0_SE | ST0_EC | drive);
      return;
    }
    if (d.pcn !== 0 && d.image !== undefined) d.changed = false;
    d.pcn = 0;
    d.nextSector = 1;
    this.completeSeek(drive, ST0_SE | drive);
  }

  private seek(drive: number, head: number, ncn: number): void {
    const d = this.drives[drive];
    if (d !== undefined) {
      if (d.pcn !== ncn && d.image !== undefined) d.changed = false;
      d.pcn = ncn;
      d.nextSector = 1;
    }
    this.completeSeek(drive, ST0_SE | (head << 2) | drive);
  }

  private senseInterrupt(): void {
    if (this.resetSense > 0) {
      const drive = 4 - this.resetSense;
      this.resetSense--;
      this.res[0] = ST0_POLL | drive;
      this.res[1] = this.drives[drive]?.pcn ?? 0;
    } else if (this.seekSt0 >= 0) {
      this.res[0] = this.seekSt0;
      this.res[1] = this.drives[this.seekDrive]?.pcn ?? 0;
      this.driveBusy &= ~(1 << this.seekDrive);
      this.seekSt0 = -1;
    } else {
      this.result1(ST0_INVALID);
      return;
    }
    this.intPending = false;
    this.updateIrq();
    this.enterResult(2, false);
  }

  private dumpreg(): void {
    const r = this.res;
    for (let i = 0; i < 4; i++) r[i] = this.drives[i]?.pcn ?? 0;
    r[4] = this.specify1;
    r[5] = this.specify2;
    r[6] = this.lastEot;
    r[7] = (this.lock << 7) | this.perpendicular;
    r[8] = this.config;
    r[9] = this.pretrk;
    this.enterResult(10, false);
  }

  /** Whether the drive's medium can be read at the current data rate in MFM. */
  private mediumReadable(d: FloppyDrive | undefined, head: number): d is FloppyDrive {
    return d !== undefined && d.image !== undefined && d.format.rate === this.rate && (this.cmd[0]! & 0x40) !== 0 && head < d.format.heads;
  }

  private readId(): void {
    const drive = this.cmd[1]! & 3;
    const head = (this.cmd[1]! >> 2) & 1;
    const d = this.drives[drive];
    const st0 = (head << 2) | drive;
    if (!this.mediumReadable(d, head) || d.pcn >= d.format.tracks) {
      this.finishData(st0 | ST0_ABNORMAL, ST1_MA, 0, d?.pcn ?? 0, head, 1, 2);
      return;
    }
    const r = d.nextSector;
    d.nextSector = (r % d.format.sectors) + 1;
    this.finishData(st0, 0, 0, d.pcn, head, r, 2);
  }

  private finishData(st0: number, st1: number, st2: number, c: number, h: number, r: number, n: number): void {
    const res = this.res;
    res[0] = st0;
    res[1] = st1;
    res[2] = st2;
    res[3] = c;
    res[4] = h;
    res[5] = r;
    res[6] = n;
    this.op = Op.None;
    this.xNonDma = false;
    if (this.dma) this.dma.releaseService(this.dmaChannel);
    this.enterResult(7, true);
  }

  private startData(op: Op): void {
    const c = this.cmd;
    const drive = c[1]! & 3;
    const head = (c[1]! >> 2) & 1;
    const d = this.drives[drive];
    const st0 = (head << 2) | drive;
    const C = c[2]!;
    const H = c[3]!;
    const R = c[4]!;
    const N = c[5]!;
    this.lastEot = c[6]!;
    if (!this.mediumReadable(d, head)) {
      this.finishData(st0 | ST0_ABNORMAL, ST1_MA, 0, C, H, R, N);
      return;
    }
    // Implied seek (QEMU behaviour), within what the drive can reach; ST0 SE when the head moved.
    this.xSeekEnd = 0;
    if (C < 84 && C !== d.pcn) {
      d.pcn = C;
      this.xSeekEnd = ST0_SE;
    }
    if (C >= d.format.tracks || H !== head || N !== 2 || R === 0 || R > d.format.sectors) {
      this.finishData(st0 | this.xSeekEnd | ST0_ABNORMAL, ST1_ND, 0, C, H, R, N);
      return;
    }
    if (op === Op.Write && d.readOnly) {
      this.finishData(st0 | this.xSeekEnd | ST0_ABNORMAL, ST1_NW, 0, C, H, R, N);
      return;
    }
    this.op = op;
    this.xDrive = drive;
    this.xHead = head;
    this.xC = C;
    this.xR = R;
    this.xSectorsDone = 0;
    this.phase = Phase.Execution;
    this.startExecution(d, st0);
  }

  /** Execution phase: non-DMA (data request interrupt, bytes through the FIFO) or DMA (DREQ). */
  private startExecution(d: FloppyDrive, st0: number): void {
    this.xNonDma = (this.specify2 & 1) !== 0;
    this.ndPos = 0;
    if (this.xNonDma) {
      if (this.op === Op.Read) this.loadSector(d);
      this.raiseIrq();
    } else if (this.dma === undefined) {
      // DMA mode without a DMA controller: nothing ever services the request.
      this.finishData(st0 | ST0_ABNORMAL, ST1_OR, 0, this.xC, this.xHead, this.xR, this.cmd[5]!);
    } else if ((this.dor & DOR_DMAGATE) !== 0) {
      this.dma.requestService(this.dmaChannel);
    }
  }

  private startFormat(): void {
    const c = this.cmd;
    const drive = c[1]! & 3;
    const head = (c[1]! >> 2) & 1;
    const d = this.drives[drive];
    const st0 = (head << 2) | drive;
    if (!this.mediumReadable(d, head)) {
      this.finishData(st0 | ST0_ABNORMAL, ST1_MA, 0, 0, head, 0, c[2]!);
      return;
    }
    if (d.readOnly) {
      this.finishData(st0 | ST0_ABNORMAL, ST1_NW, 0, d.pcn, head, 0, c[2]!);
      return;
    }
    this.op = Op.Format;
    this.xSeekEnd = 0;
    this.xDrive = drive;
    this.xHead = head;
    this.xC = d.pcn;
    this.xR = 1;
    this.xSectorsDone = 0;
    this.phase = Phase.Execution;
    this.startExecution(d, st0);
  }

  private abortExecution(): void {
    if (this.op !== Op.None && this.dma) this.dma.releaseService(this.dmaChannel);
    this.op = Op.None;
    this.xNonDma = false;
  }

  /** Image byte offset of a sector, or -1 if it lies outside the image. */
  private sectorOffset(d: FloppyDrive, c: number, h: number, r: number): number {
    const f = d.format;
    const off = ((c * f.heads + h) * f.sectors + (r - 1)) * 512;
    return off + 512 <= d.image!.length ? off : -1;
  }

  /** Load the current sector (xC/xHead/xR) into `sector`; zeros beyond the image. */
  private loadSector(d: FloppyDrive): void {
    const off = this.sectorOffset(d, this.xC, this.xHead, this.xR);
    if (off >= 0) this.sector.set(d.image!.subarray(off, off + 512));
    else this.sector.fill(0);
  }

  /** Store `sector` as the current sector (dropped beyond the image). */
  private storeSector(d: FloppyDrive): void {
    const off = this.sectorOffset(d, this.xC, this.xHead, this.xR);
    if (off >= 0) d.image!.set(this.sector, off);
  }

  /** End the command with ND when the current sector is not on the track. Returns true if ended. */
  private sectorMissing(d: FloppyDrive): boolean {
    if (this.xR <= d.format.sectors) return false;
    this.finishData(this.xDrive | (this.xHead << 2) | this.xSeekEnd | ST0_ABNORMAL, ST1_ND, 0, this.xC, this.xHead, this.xR, this.cmd[5]!);
    return true;
  }

  /**
   * The current sector has been transferred. With TC, or at EOT on the last head, end the command
   * (result C/H/R per the datasheet's table: final sector = EOT moves to sector 1 of the next head
   * with MT on head 0, else of the next cylinder); otherwise step to the next sector. Returns true
   * when the command has ended.
   */
  private advanceSector(d: FloppyDrive, tc: boolean): boolean {
    const c = this.cmd;
    const mt = (c[0]! & 0x80) !== 0;
    const eot = c[6]!;
    const r = this.xR;
    this.xSectorsDone++;
    d.nextSector = (r % d.format.sectors) + 1;
    if (!tc && r === eot && mt && this.xHead === 0) {
      // Multi-track: continue on head 1 from sector 1.
      this.xHead = 1;
      this.xR = 1;
      return false;
    }
    if (!tc && r !== eot) {
      this.xR = r + 1;
      return false;
    }
    let C = this.xC;
    let H = this.xHead;
    let R = r + 1;
    if (r === eot) {
      R = 1;
      if (mt && H === 0) H = 1;
      else {
        C++;
        if (mt) H = 0;
      }
    }
    // Without TC the transfer ran off the end of the cylinder (the normal end in non-DMA mode).
    // ST0's head bit reports the result head, as QEMU does.
    const st0 = this.xDrive | (H << 2) | this.xSeekEnd | (tc ? 0 : ST0_ABNORMAL);
    this.finishData(st0, tc ? 0 : ST1_EN, 0, C, H, R, c[5]!);
    return true;
  }

  /** DMA channel ready: run the data command as far as DMA allows (to TC or end of track). */
  private dmaService(): void {
    if (this.op === Op.None || this.phase !== Phase.Execution || this.xNonDma || (this.dor & DOR_DMAGATE) === 0) return;
    if (this.op === Op.Format) {
      this.runFormat();
      return;
    }
    const dma = this.dma!;
    const d = this.drives[this.xDrive]!;
    // Bounded: at most one track (both sides) per command.
    for (let guard = 0; guard < 2 * 256; guard++) {
      if (this.sectorMissing(d)) return;
      if (this.op === Op.Read) this.loadSector(d);
      const moved = dma.transfer(this.dmaChannel, this.sector, 0, 512);
      const tc = dma.lastTc;
      if (moved === 0 && !tc) return; // channel not serviceable: keep DREQ, resume later
      if (this.op === Op.Write) {
        if (moved < 512) this.sector.fill(0, moved);
        this.storeSector(d);
      }
      if (this.advanceSector(d, tc)) return;
    }
  }

  /** Non-DMA execution: the host moved one byte through the FIFO. */
  private nonDmaByte(): void {
    const d = this.drives[this.xDrive]!;
    if (this.op === Op.Format) {
      if (this.ndPos < 4) return;
      this.ndPos = 0;
      this.formatOne(d);
      if (this.xSectorsDone >= this.cmd[3]!) this.finishData(this.xDrive | (this.xHead << 2), 0, 0, d.pcn, this.xHead, this.cmd[3]!, this.cmd[2]!);
      return;
    }
    if (this.ndPos < 512) return;
    this.ndPos = 0;
    if (this.op === Op.Write) this.storeSector(d);
    if (this.advanceSector(d, false) || this.sectorMissing(d)) return;
    if (this.op === Op.Read) this.loadSector(d);
  }

  private runFormat(): void {
    const dma = this.dma!;
    const d = this.drives[this.xDrive]!;
    const c = this.cmd;
    const count = c[3]!;
    while (this.xSectorsDone < count) {
      const moved = dma.transfer(this.dmaChannel, this.formatId, 0, 4);
      if (moved === 0 && !dma.lastTc) return;
      this.formatOne(d);
      if (dma.lastTc) break;
    }
    this.finishData(this.xDrive | (this.xHead << 2), 0, 0, d.pcn, this.xHead, count, c[2]!);
  }

  /** Format the sector whose ID (C, H, R, N) is in `formatId`, with the command's filler byte. */
  private formatOne(d: FloppyDrive): void {
    const id = this.formatId;
    this.xSectorsDone++;
    const cyl = id[0]!;
    const r = id[2]!;
    if (cyl === d.pcn && r >= 1 && r <= d.format.sectors && id[3] === 2) {
      const off = this.sectorOffset(d, cyl, this.xHead, r);
      if (off >= 0) d.image!.fill(this.cmd[5]!, off, off + 512);
    }
  }

  // ------------------------------------------------------------------------------------------
  // State

  saveState(): DeviceState {
    return {
      dor: this.dor,
      tdr: this.tdr,
      rate: this.rate,
      precomp: this.precomp,
      phase: this.phase,
      cmd: Array.from(this.cmd),
      cmdLen: this.cmdLen,
      cmdPos: this.cmdPos,
      res: Array.from(this.res),
      resLen: this.resLen,
      resPos: this.resPos,
      resIrq: this.resIrq,
      specify: [this.specify1, this.specify2],
      config: this.config,
      pretrk: this.pretrk,
      lock: this.lock,
      perpendicular: this.perpendicular,
      lastEot: this.lastEot,
      intPending: this.intPending,
      resetSense: this.resetSense,
      seekSt0: this.seekSt0,
      seekDrive: this.seekDrive,
      driveBusy: this.driveBusy,
      exec: [this.op, this.xDrive, this.xHead, this.xC, this.xR, this.xSectorsDone, this.xNonDma ? 1 : 0, this.ndPos, this.xSeekEnd],
      sector: Array.from(this.sector),
      formatId: Array.from(this.formatId),
      drives: this.drives.map((d) => (d ? { pcn: d.pcn, nextSector: d.nextSector, changed: d.changed } : null)),
    };
  }

  loadState(s: DeviceState): void {
    this.dor = s['dor'] as number;
    this.tdr = s['tdr'] as number;
    this.rate = s['rate'] as number;
    this.precomp = s['precomp'] as number;
    this.phase = s['phase'] as Phase;
    this.cmd.set(s['cmd'] as number[]);
    this.cmdLen = s['cmdLen'] as number;
    this.cmdPos = s['cmdPos'] as number;
    this.res.set(s['res'] as number[]);
    this.resLen = s['resLen'] as number;
    this.resPos = s['resPos'] as number;
    this.resIrq = s['resIrq'] as boolean;
    [this.specify1, this.specify2] = s['specify'] as [number, number];
    this.config = s['config'] as number;
    this.pretrk = s['pretrk'] as number;
    this.lock = s['lock'] as number;
    this.perpendicular = s['perpendicular'] as number;
    this.lastEot = s['lastEot'] as number;
    this.intPending = s['intPending'] as boolean;
    this.resetSense = s['resetSense'] as number;
    this.seekSt0 = s['seekSt0'] as number;
    this.seekDrive = s['seekDrive'] as number;
    this.driveBusy = s['driveBusy'] as number;
    const e = s['exec'] as number[];
    this.op = e[0] as Op;
    this.xDrive = e[1]!;
    this.xHead = e[2]!;
    this.xC = e[3]!;
    this.xR = e[4]!;
    this.xSectorsDone = e[5]!;
    this.xNonDma = e[6] === 1;
    this.ndPos = e[7] ?? 0;
    this.xSeekEnd = e[8] ?? 0;
    this.sector.set(s['sector'] as number[]);
    this.formatId.set(s['formatId'] as number[]);
    const ds = s['drives'] as ({ pcn: number; nextSector: number; changed: boolean } | null)[];
    for (let i = 0; i < 2; i++) {
      const d = this.drives[i];
      const x = ds[i];
      if (d && x) {
        d.pcn = x.pcn;
        d.nextSector = x.nextSector;
        d.changed = x.changed;
      }
    }
    this.lineLevel = this.intPending && (this.dor & DOR_DMAGATE) !== 0 ? 1 : 0;
    if (this.irq) this.irq.set(this.lineLevel);
  }
}
