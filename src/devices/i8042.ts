/**
 * Intel 8042 keyboard controller (PS/2 KBC) at ports 0x60 (data) and 0x64 (status / command),
 * with a minimal PS/2 keyboard behind it. Follows QEMU's hw/input/pckbd.c and ps2.c.
 *
 * Controller: status register (OBF, SYS, CMD/DATA, keyboard-unlocked, AUX OBF; IBF is always 0
 * because commands complete instantly), command byte read/write (0x20/0x60), aux disable/enable
 * (0xA7/0xA8), aux interface test 0xA9 -> 00, self-test 0xAA -> 55 (sets SYS), keyboard interface
 * test 0xAB -> 00, keyboard disable/enable 0xAD/0xAE, input port 0xC0 -> 80, output port read /
 * write 0xD0/0xD1 (bit 0 = system reset, active low; bit 1 = A20 gate), 0xD2/0xD3 write keyboard /
 * aux output buffer, A20 off/on 0xDD/0xDF, test inputs 0xE0 -> 00, pulse output lines 0xF0-0xFF
 * (bit 0 clear pulses reset: 0xFE is the classic reboot). IRQ 1 while the output buffer holds a
 * keyboard byte and command-byte bit 0 is set; IRQ 12 likewise for aux bytes with bit 1.
 * Writing a byte to port 0x60 with no command pending sends it to the keyboard (and clears the
 * keyboard-disable bit, as QEMU does).
 *
 * Keyboard: reset 0xFF -> FA AA, identify 0xF2 -> FA AB 83 (AB 41 when the controller
 * translates), echo 0xEE, enable/disable scanning 0xF4/0xF5, defaults 0xF6, LEDs 0xED, scan-code set
 * 0xF0, typematic 0xF3; unknown commands answer FE. Host key input (`keyboardInput`) is passed
 * through unchanged: give set-1 codes if the guest enables translation (command byte bit 6), set-2
 * codes otherwise.
 *
 * Does not model: a PS/2 mouse (0xD4 data is dropped, no reply), controller RAM beyond the command
 * byte, password commands, parity/timeout errors, typematic repeat.
 */
import type { Device, DeviceState, IrqLine, RegionOps } from './device.js';
import type { AccessSize } from '../memory/types.js';
import type { IoRegionSpec } from '../memory/io-space.js';

/*
 * Status register (port 0x64 read):
 *   bit 0 OBF  output buffer full      bit 4 keyboard not inhibited (always 1)
 *   bit 1 IBF  input buffer full (0)   bit 5 AUX OBF: the byte came from the aux port
 *   bit 2 SYS  system flag             bit 6 timeout (0)
 *   bit 3 CMD  last write was to 0x64  bit 7 parity error (0)
 * Command byte: bit 0 IRQ1 enable, 1 IRQ12 enable, 2 SYS, 4 keyboard disable, 5 aux disable,
 * 6 scan-code translation. Output port: bit 0 reset (active low), 1 A20, 4 OBF(kbd), 5 OBF(aux).
 */
const STAT_OBF = 0x01;
const STAT_SYS = 0x04;
const STAT_CMD = 0x08;
const STAT_UNLOCKED = 0x10;
const STAT_AUX_OBF = 0x20;

const MODE_KBD_INT = 0x01;
const MODE_AUX_INT = 0x02;
const MODE_SYS = 0x04;
const MODE_DISABLE_KBD = 0x10;
const MODE_DISABLE_AUX = 0x20;
const MODE_TRANSLATE = 0x40;

const OUT_RESET = 0x01;
const OUT_A20 = 0x02;

const QUEUE = 64;

/** A small byte FIFO without allocation. */
class ByteQueue {
  readonly buf = new Uint8Array(QUEUE);
  head = 0;
  count = 0;
  push(b: number): void {
    if (this.count === QUEUE) return; // overflow: dropped, as a full PS/2 queue does
    this.buf[(this.head + this.count) % QUEUE] = b;
    this.count++;
  }
  shift(): number {
    const b = this.buf[this.head]!;
    this.head = (this.head + 1) % QUEUE;
    this.count--;
    return b;
  }
  clear(): void {
    this.head = 0;
    this.count = 0;
  }
  toArray(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.buf[(this.head + i) % QUEUE]!);
    return out;
  }
  load(a: unknown): void {
    this.clear();
    if (Array.isArray(a)) for (const b of a) this.push(Number(b) & 0xff);
  }
}

export interface I8042Options {
  name?: string;
  /** IRQ 1 (keyboard). */
  irq1?: IrqLine;
  /** IRQ 12 (aux). */
  irq12?: IrqLine;
  /** A20 gate changed through the output port (0xD1, 0xDD, 0xDF). */
  onA20?: (enabled: boolean) => void;
  /** System reset requested (output port bit 0 low, or a pulse command such as 0xFE). */
  onReset?: () => void;
}

export class I8042 implements Device, RegionOps {
  readonly name: string;
  private readonly irq1: IrqLine | undefined;
  private readonly irq12: IrqLine | undefined;
  private readonly onA20: ((enabled: boolean) => void) | undefined;
  private readonly onReset: (() => void) | undefined;

  /** Controller-originated bytes (responses), [byte, aux] interleaved by a parallel flag queue. */
  private readonly ctrlQ = new ByteQueue();
  private readonly ctrlAuxQ = new ByteQueue();
  /** Keyboard command replies: ahead of scan codes, dropped when the next command arrives (QEMU ps2_cqueue). */
  private readonly kbdReplyQ = new ByteQueue();
  /** Scan codes from the keyboard. */
  private readonly kbdQ = new ByteQueue();

  private mode = MODE_KBD_INT | MODE_AUX_INT;
  private sys = 0;
  private cmdFlag = 1;
  private outport = OUT_RESET | OUT_A20 | 0xcc;
  private obf = 0;
  private obfAux = 0;
  /** Where the output-buffer byte came from: 0 controller, 1 keyboard reply, 2 scan code. */
  private obfSrc = 0;
  private outByte = 0;
  /** Controller command waiting for its data byte (0 = none). */
  private pendingCmd = 0;
  // Keyboard device state.
  private kbdPendingCmd = 0;
  private kbdScanning = 1;
  private kbdScanSet = 2;
  private kbdLeds = 0;
  private irq1Level = 0;
  private irq12Level = 0;

  constructor(opts: I8042Options = {}) {
    this.name = opts.name ?? 'i8042';
    this.irq1 = opts.irq1;
    this.irq12 = opts.irq12;
    this.onA20 = opts.onA20;
    this.onReset = opts.onReset;
    this.reset();
  }

  ioRegions(): IoRegionSpec[] {
    return [
      { base: 0x60, count: 1, ops: this.dataOps, name: `${this.name}.data`, maxSize: 1 },
      { base: 0x64, count: 1, ops: this.cmdOps, name: `${this.name}.cmd`, maxSize: 1 },
    ];
  }

  /** Port 0x60. */
  readonly dataOps: RegionOps = {
    read: () => this.readData(),
    write: (_o: number, _s: AccessSize, v: number) => this.writeData(v & 0xff),
  };
  /** Port 0x64. */
  readonly cmdOps: RegionOps = {
    read: () => this.readStatus(),
    write: (_o: number, _s: AccessSize, v: number) => this.writeCommand(v & 0xff),
  };

  /** RegionOps over both ports when mapped as one 5-byte range at 0x60 (offsets 0 and 4). */
  read(offset: number, _size: AccessSize): number {
    return offset === 4 ? this.readStatus() : offset === 0 ? this.readData() : 0xff;
  }
  write(offset: number, _size: AccessSize, value: number): void {
    if (offset === 4) this.writeCommand(value & 0xff);
    else if (offset === 0) this.writeData(value & 0xff);
  }

  /** Host key input: scan-code bytes from the keyboard (dropped while scanning is disabled). */
  keyboardInput(bytes: ArrayLike<number>): void {
    if (!this.kbdScanning) return;
    for (let i = 0; i < bytes.length; i++) this.kbdQ.push(bytes[i]! & 0xff);
    this.pump();
  }

  /** The A20 gate as the output port drives it. */
  get a20(): boolean {
    return (this.outport & OUT_A20) !== 0;
  }

  private readStatus(): number {
    return (this.obf ? STAT_OBF : 0) | (this.sys ? STAT_SYS : 0) | (this.cmdFlag ? STAT_CMD : 0) | STAT_UNLOCKED | (this.obf && this.obfAux ? STAT_AUX_OBF : 0);
  }

  private readData(): number {
    const v = this.outByte;
    if (this.obf) {
      this.obf = 0;
      this.obfAux = 0;
      this.updateIrq();
      this.pump();
    }
    return v;
  }

  private queueCtrl(b: number, aux = 0): void {
    this.ctrlQ.push(b);
    this.ctrlAuxQ.push(aux);
    this.pump();
  }

  /** Move the next byte into the output buffer if it is free. */
  private pump(): void {
    if (this.obf) return;
    if (this.ctrlQ.count > 0) {
      this.outByte = this.ctrlQ.shift();
      this.obfAux = this.ctrlAuxQ.shift();
      this.obfSrc = 0;
      this.obf = 1;
    } else if (!(this.mode & MODE_DISABLE_KBD) && this.kbdReplyQ.count + this.kbdQ.count > 0) {
      const reply = this.kbdReplyQ.count > 0;
      this.outByte = reply ? this.kbdReplyQ.shift() : this.kbdQ.shift();
      this.obfAux = 0;
      this.obfSrc = reply ? 1 : 2;
      this.obf = 1;
    }
    this.updateIrq();
  }

  private updateIrq(): void {
    const l1 = this.obf && !this.obfAux && this.mode & MODE_KBD_INT ? 1 : 0;
    const l12 = this.obf && this.obfAux && this.mode & MODE_AUX_INT ? 1 : 0;
    if (l1 !== this.irq1Level) {
      this.irq1Level = l1;
      if (this.irq1) this.irq1.set(l1);
    }
    if (l12 !== this.irq12Level) {
      this.irq12Level = l12;
      if (this.irq12) this.irq12.set(l12);
    }
  }

  private writeOutport(v: number): void {
    const old = this.outport;
    this.outport = v;
    if ((old ^ v) & OUT_A20 && this.onA20) this.onA20((v & OUT_A20) !== 0);
    if (!(v & OUT_RESET) && this.onReset) this.onReset();
  }

  private writeCommand(v: number): void {
    this.cmdFlag = 1;
    if (v >= 0xf0) {
      // Pulse output port lines whose bit is 0; bit 0 is the reset line.
      if (!(v & 1) && this.onReset) this.onReset();
      return;
    }
    switch (v) {
      case 0x20:
        this.queueCtrl(this.mode);
        break;
      case 0x60:
      case 0xd1:
      case 0xd2:
      case 0xd3:
      case 0xd4:
        this.pendingCmd = v;
        break;
      case 0xa7:
        this.mode |= MODE_DISABLE_AUX;
        break;
      case 0xa8:
        this.mode &= ~MODE_DISABLE_AUX;
        break;
      case 0xa9:
      case 0xab:
      case 0xe0:
        this.queueCtrl(0x00);
        break;
      case 0xaa:
        this.sys = 1;
        this.queueCtrl(0x55);
        break;
      case 0xad:
        this.mode |= MODE_DISABLE_KBD;
        this.updateIrq();
        break;
      case 0xae:
        this.mode &= ~MODE_DISABLE_KBD;
        this.pump();
        break;
      case 0xc0:
        this.queueCtrl(0x80);
        break;
      case 0xd0: {
        const obfBits = (this.obf && !this.obfAux ? 0x10 : 0) | (this.obf && this.obfAux ? 0x20 : 0);
        this.queueCtrl((this.outport & 0xcf) | obfBits);
        break;
      }
      case 0xdd:
        this.writeOutport(this.outport & ~OUT_A20);
        break;
      case 0xdf:
        this.writeOutport(this.outport | OUT_A20);
        break;
      default:
        break; // unknown commands are ignored
    }
  }

  private writeData(v: number): void {
    this.cmdFlag = 0;
    const cmd = this.pendingCmd;
    this.pendingCmd = 0;
    switch (cmd) {
      case 0x60:
        this.mode = v;
        this.sys = v & MODE_SYS ? 1 : 0;
        this.updateIrq();
        this.pump();
        return;
      case 0xd1:
        this.writeOutport(v);
        return;
      case 0xd2:
        this.queueCtrl(v, 0);
        return;
      case 0xd3:
        this.queueCtrl(v, 1);
        return;
      case 0xd4:
        return; // no mouse attached
      default:
        this.mode &= ~MODE_DISABLE_KBD;
        // A new command makes the keyboard drop replies the host has not read (QEMU
        // ps2_cqueue_reset), including one waiting in the output buffer.
        this.kbdReplyQ.clear();
        if (this.obf && this.obfSrc === 1) {
          this.obf = 0;
          this.updateIrq();
        }
        this.keyboardCommand(v);
    }
  }

  private kbdReply(b: number): void {
    this.kbdReplyQ.push(b);
  }

  private keyboardCommand(v: number): void {
    const pending = this.kbdPendingCmd;
    if (pending !== 0) {
      this.kbdPendingCmd = 0;
      if (pending === 0xed) {
        this.kbdLeds = v & 7;
        this.kbdReply(0xfa);
      } else if (pending === 0xf0) {
        this.kbdReply(0xfa);
        if (v === 0) this.kbdReply(this.kbdScanSet);
        else if (v <= 3) this.kbdScanSet = v;
      } else {
        this.kbdReply(0xfa); // 0xF3 typematic rate
      }
      this.pump();
      return;
    }
    switch (v) {
      case 0xff:
        this.kbdQ.clear();
        this.kbdReplyQ.clear();
        this.kbdScanning = 1;
        this.kbdScanSet = 2;
        this.kbdLeds = 0;
        this.kbdReply(0xfa);
        this.kbdReply(0xaa);
        break;
      case 0xf2:
        this.kbdReply(0xfa);
        this.kbdReply(0xab);
        this.kbdReply(this.mode & MODE_TRANSLATE ? 0x41 : 0x83);
        break;
      case 0xee:
        this.kbdReply(0xee);
        break;
      case 0xf4:
        this.kbdScanning = 1;
        this.kbdReply(0xfa);
        break;
      case 0xf5:
        this.kbdScanning = 0;
        this.kbdScanSet = 2;
        this.kbdReply(0xfa);
        break;
      case 0xf6:
        this.kbdScanSet = 2;
        this.kbdReply(0xfa);
        break;
      case 0xed:
      case 0xf0:
      case 0xf3:
        this.kbdPendingCmd = v;
        this.kbdReply(0xfa);
        break;
      default:
        this.kbdReply(v >= 0xf7 ? 0xfa : 0xfe);
        break;
    }
    this.pump();
  }

  reset(): void {
    this.ctrlQ.clear();
    this.ctrlAuxQ.clear();
    this.kbdQ.clear();
    this.kbdReplyQ.clear();
    this.obfSrc = 0;
    this.mode = MODE_KBD_INT | MODE_AUX_INT;
    this.sys = 0;
    this.cmdFlag = 1;
    this.outport = OUT_RESET | OUT_A20 | 0xcc;
    this.obf = 0;
    this.obfAux = 0;
    this.outByte = 0;
    this.pendingCmd = 0;
    this.kbdPendingCmd = 0;
    this.kbdScanning = 1;
    this.kbdScanSet = 2;
    this.kbdLeds = 0;
    this.updateIrq();
  }

  saveState(): DeviceState {
    return {
      ctrlQ: this.ctrlQ.toArray(), ctrlAuxQ: this.ctrlAuxQ.toArray(), kbdQ: this.kbdQ.toArray(), kbdReplyQ: this.kbdReplyQ.toArray(), obfSrc: this.obfSrc,
      mode: this.mode, sys: this.sys, cmdFlag: this.cmdFlag, outport: this.outport, obf: this.obf,
      obfAux: this.obfAux, outByte: this.outByte, pendingCmd: this.pendingCmd,
      kbdPendingCmd: this.kbdPendingCmd, kbdScanning: this.kbdScanning, kbdScanSet: this.kbdScanSet,
      kbdLeds: this.kbdLeds,
    };
  }

  loadState(s: DeviceState): void {
    const n = (k: string, d = 0): number => (typeof s[k] === 'number' ? (s[k] as number) & 0xff : d);
    this.ctrlQ.load(s.ctrlQ);
    this.ctrlAuxQ.load(s.ctrlAuxQ);
    this.kbdQ.load(s.kbdQ);
    this.kbdReplyQ.load(s.kbdReplyQ);
    this.obfSrc = n('obfSrc');
    this.mode = n('mode', MODE_KBD_INT | MODE_AUX_INT);
    this.sys = n('sys');
    this.cmdFlag = n('cmdFlag', 1);
    this.outport = n('outport', 0xcf);
    this.obf = n('obf');
    this.obfAux = n('obfAux');
    this.outByte = n('outByte');
    this.pendingCmd = n('pendingCmd');
    this.kbdPendingCmd = n('kbdPendingCmd');
    this.kbdScanning = n('kbdScanning', 1);
    this.kbdScanSet = n('kbdScanSet', 2);
    this.kbdLeds = n('kbdLeds');
    this.updateIrq();
  }
}
