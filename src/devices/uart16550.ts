/**
 * National Semiconductor PC16550D UART, as wired on a PC (COM1-COM4). Register semantics follow
 * the datasheet and QEMU's hw/char/serial.c.
 *
 *   off  DLAB=0 read / write     DLAB=1
 *   0    RBR / THR               DLL
 *   1    IER                     DLM
 *   2    IIR / FCR
 *   3    LCR (bit 7 = DLAB)
 *   4    MCR (DTR, RTS, OUT1, OUT2, LOOP)
 *   5    LSR (DR, OE, PE, FE, BI, THRE, TEMT, RXFE)
 *   6    MSR (DCTS, DDSR, TERI, DDCD, CTS, DSR, RI, DCD)
 *   7    SCR
 *
 * Models: divisor latch; 16-byte receive FIFO with trigger levels 1/4/8/14 (one-byte holding
 * register when FIFOs are off); interrupt priorities RLS > RDA / character timeout > THRE > MS;
 * THRE interrupt cleared by reading IIR while it is the source or by writing THR; LSR error bits
 * cleared on read; overrun (FIFO full: the new byte is lost; non-FIFO: the holding register is
 * overwritten); MSR delta bits cleared on read; loopback (MCR bit 4: THR goes to the receiver,
 * DTR/RTS/OUT1/OUT2 appear as DSR/CTS/RI/DCD, external input ignored); the PC's OUT2 gate on the
 * IRQ line (IRQ = interrupt pending AND OUT2; OUT2 is forced inactive in loopback, so loopback
 * interrupts do not reach the PIC — set `out2GatesIrq: false` for QEMU's ungated behaviour).
 *
 * Timing: transmission is instantaneous — a THR write calls `onTransmit(byte)` at once and THRE /
 * TEMT are set again before the write returns (so the transmit FIFO is never visible). The
 * receive character-timeout interrupt (no FIFO activity for 4 character times, character time from
 * the divisor and LCR frame size at 1.8432 MHz) uses a virtual-clock timer when `clock` is given;
 * without a clock the timeout indication is raised as soon as data sits below the trigger level.
 *
 * Does not model: parity/framing errors and break reception (no wire to produce them), the
 * transmit FIFO, DMA mode signalling (FCR bit 3 is stored), the 16750's 64-byte FIFO.
 */
import type { Device, DeviceState, IrqLine, RegionOps } from './device.js';
import type { VirtualClock, Timer } from '../machine/clock.js';
import type { AccessSize } from '../memory/types.js';
import type { IoRegionSpec } from '../memory/io-space.js';

/** Standard PC COM port resources. */
export const COM_PORTS = [
  { base: 0x3f8, irq: 4 },
  { base: 0x2f8, irq: 3 },
  { base: 0x3e8, irq: 4 },
  { base: 0x2e8, irq: 3 },
] as const;

const IER_RDI = 0x01;
const IER_THRI = 0x02;
const IER_RLSI = 0x04;
const IER_MSI = 0x08;

const IIR_NO_INT = 0x01;
const IIR_MSI = 0x00;
const IIR_THRI = 0x02;
const IIR_RDI = 0x04;
const IIR_RLSI = 0x06;
const IIR_CTI = 0x0c;

const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_BI = 0x10;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
const LSR_INT_ANY = 0x1e;

const MCR_DTR = 0x01;
const MCR_RTS = 0x02;
const MCR_OUT1 = 0x04;
const MCR_OUT2 = 0x08;
const MCR_LOOP = 0x10;

const FCR_FE = 0x01;
const FCR_RFR = 0x02;
const FCR_XFR = 0x04;

const MSR_CTS = 0x10;
const MSR_DSR = 0x20;
const MSR_RI = 0x40;
const MSR_DCD = 0x80;

const FIFO_SIZE = 16;
const TRIGGER_LEVELS = [1, 4, 8, 14] as const;
const UART_CLOCK_HZ = 1843200;

export interface Uart16550Options {
  /** Instance name (default "uart16550"). */
  name?: string;
  /** Base port for ioRegions() (default 0x3F8, COM1). */
  base?: number;
  /** The interrupt line (IRQ 4 for COM1/3, IRQ 3 for COM2/4). */
  irq?: IrqLine;
  /** Called with every transmitted byte (not in loopback mode). */
  onTransmit?: (byte: number) => void;
  /** Called when the guest has taken a byte and the receive FIFO has room again. */
  onRxSpace?: () => void;
  /** Virtual clock for the character-timeout interrupt (optional, see header). */
  clock?: VirtualClock;
  /** OUT2 gates the IRQ output as on the PC (default true). */
  out2GatesIrq?: boolean;
}

export class Uart16550 implements Device, RegionOps {
  readonly name: string;
  readonly base: number;
  private readonly irqLine: IrqLine | undefined;
  private readonly onTransmit: ((byte: number) => void) | undefined;
  private readonly onRxSpace: (() => void) | undefined;
  private readonly clock: VirtualClock | undefined;
  private readonly timeoutTimer: Timer | undefined;
  private readonly out2Gates: boolean;

  private readonly rx = new Uint8Array(FIFO_SIZE);
  private rxHead = 0;
  private rxCount = 0;
  private lastRbr = 0;
  private ier = 0;
  private iir = IIR_NO_INT;
  private fcr = 0;
  private lcr = 0;
  private mcr = 0;
  private lsr = LSR_THRE | LSR_TEMT;
  private msr = 0;
  private scr = 0;
  private dll = 12;
  private dlm = 0;
  private thrIpending = 0;
  private timeoutIpending = 0;
  /** Modem status inputs from the outside world, in MSR bit positions 4-7. */
  private modemIn = MSR_CTS | MSR_DSR | MSR_DCD;
  private irqLevel = 0;

  constructor(opts: Uart16550Options = {}) {
    this.name = opts.name ?? 'uart16550';
    this.base = opts.base ?? 0x3f8;
    this.irqLine = opts.irq;
    this.onTransmit = opts.onTransmit;
    this.onRxSpace = opts.onRxSpace;
    this.clock = opts.clock;
    this.out2Gates = opts.out2GatesIrq ?? true;
    this.timeoutTimer = this.clock?.createTimer(`${this.name}.rx-timeout`, () => this.onTimeout());
    this.reset();
  }

  ioRegions(): IoRegionSpec[] {
    return [{ base: this.base, count: 8, ops: this, name: this.name, maxSize: 1 }];
  }

  // ---- host side -----------------------------------------------------------------------------

  /** Bytes arriving on the serial input (ignored in loopback). Beyond the FIFO they overrun. */
  receive(bytes: ArrayLike<number>): void {
    if (this.mcr & MCR_LOOP) return;
    for (let i = 0; i < bytes.length; i++) this.receiveByte(bytes[i]! & 0xff);
    this.updateIrq();
  }

  /** Free receive slots: how many bytes receive() can take now without overrun. */
  rxSpace(): number {
    if (this.mcr & MCR_LOOP) return 0;
    return (this.fcr & FCR_FE ? FIFO_SIZE : 1) - this.rxCount;
  }

  /** Set the modem status inputs (MSR bits 4-7; deltas are raised as on hardware). */
  setModemInputs(inputs: { cts?: boolean; dsr?: boolean; ri?: boolean; dcd?: boolean }): void {
    const v =
      (inputs.cts ?? (this.modemIn & MSR_CTS) !== 0 ? MSR_CTS : 0) |
      (inputs.dsr ?? (this.modemIn & MSR_DSR) !== 0 ? MSR_DSR : 0) |
      (inputs.ri ?? (this.modemIn & MSR_RI) !== 0 ? MSR_RI : 0) |
      (inputs.dcd ?? (this.modemIn & MSR_DCD) !== 0 ? MSR_DCD : 0);
    this.modemIn = v;
    if (!(this.mcr & MCR_LOOP)) this.setMsrInputs(v);
    this.updateIrq();
  }

  /** Baud rate programmed by the guest (0 if the divisor is 0). */
  get baud(): number {
    const div = this.dll | (this.dlm << 8);
    return div === 0 ? 0 : UART_CLOCK_HZ / 16 / div;
  }

  /** The IRQ output level (after OUT2 gating). */
  get irqOut(): 0 | 1 {
    return this.irqLevel ? 1 : 0;
  }

  // ---- guest side ----------------------------------------------------------------------------

  read(offset: number, _size: AccessSize): number {
    switch (offset & 7) {
      case 0:
        if (this.lcr & 0x80) return this.dll;
        return this.readRbr();
      case 1:
        return this.lcr & 0x80 ? this.dlm : this.ier;
      case 2: {
        const ret = this.iir | (this.fcr & FCR_FE ? 0xc0 : 0);
        if ((this.iir & 0x0f) === IIR_THRI) {
          this.thrIpending = 0;
          this.updateIrq();
        }
        return ret;
      }
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5: {
        const ret = this.lsr;
        if (this.lsr & LSR_INT_ANY) {
          this.lsr &= ~LSR_INT_ANY;
          this.updateIrq();
        }
        return ret;
      }
      case 6: {
        const ret = this.msr;
        if (this.msr & 0x0f) {
          this.msr &= 0xf0;
          this.updateIrq();
        }
        return ret;
      }
      default:
        return this.scr;
    }
  }

  write(offset: number, _size: AccessSize, value: number): void {
    const v = value & 0xff;
    switch (offset & 7) {
      case 0:
        if (this.lcr & 0x80) {
          this.dll = v;
          return;
        }
        this.transmit(v);
        return;
      case 1: {
        if (this.lcr & 0x80) {
          this.dlm = v;
          return;
        }
        const changed = (this.ier ^ v) & 0x0f;
        this.ier = v & 0x0f;
        if (changed & IER_THRI) this.thrIpending = this.ier & IER_THRI && this.lsr & LSR_THRE ? 1 : 0;
        if (changed) this.updateIrq();
        return;
      }
      case 2:
        this.writeFcr(v);
        return;
      case 3:
        this.lcr = v;
        return;
      case 4: {
        const old = this.mcr;
        this.mcr = v & 0x1f;
        if ((old ^ this.mcr) & MCR_LOOP || this.mcr & MCR_LOOP) {
          this.setMsrInputs(this.mcr & MCR_LOOP ? this.loopbackInputs() : this.modemIn);
        }
        this.updateIrq();
        return;
      }
      case 5: // LSR: factory test only
      case 6: // MSR: read-only
        return;
      default:
        this.scr = v;
        return;
    }
  }

  private readRbr(): number {
    if (this.rxCount > 0) {
      this.lastRbr = this.rx[this.rxHead]!;
      this.rxHead = (this.rxHead + 1) & (FIFO_SIZE - 1);
      this.rxCount--;
    }
    this.timeoutIpending = 0;
    if (this.rxCount === 0) {
      this.lsr &= ~(LSR_DR | LSR_BI);
      if (this.timeoutTimer) this.timeoutTimer.disarm();
    } else {
      this.armTimeout();
    }
    this.updateIrq();
    if (this.onRxSpace) this.onRxSpace();
    return this.lastRbr;
  }

  private transmit(v: number): void {
    // The THR write clears THRE (the IRQ line drops), then the byte moves on and THRE is set
    // again: a real low pulse, so an edge-triggered PIC sees a new THRE interrupt (QEMU too).
    this.thrIpending = 0;
    this.lsr &= ~(LSR_THRE | LSR_TEMT);
    this.updateIrq();
    if (this.mcr & MCR_LOOP) {
      this.receiveByte(v);
    } else if (this.onTransmit) {
      this.onTransmit(v);
    }
    this.lsr |= LSR_THRE | LSR_TEMT;
    this.thrIpending = 1;
    this.updateIrq();
  }

  private receiveByte(b: number): void {
    if (this.fcr & FCR_FE) {
      if (this.rxCount === FIFO_SIZE) {
        this.lsr |= LSR_OE; // the shift register is overwritten; the FIFO keeps its bytes
      } else {
        this.rx[(this.rxHead + this.rxCount) & (FIFO_SIZE - 1)] = b;
        this.rxCount++;
      }
      this.armTimeout();
    } else {
      if (this.rxCount > 0) {
        this.lsr |= LSR_OE; // the holding register is overwritten
        this.rx[this.rxHead] = b;
      } else {
        this.rx[this.rxHead] = b;
        this.rxCount = 1;
      }
    }
    this.lsr |= LSR_DR;
  }

  private writeFcr(v: number): void {
    if ((v ^ this.fcr) & FCR_FE) v |= FCR_XFR | FCR_RFR;
    if (v & FCR_RFR) {
      this.lsr &= ~(LSR_DR | LSR_BI);
      this.timeoutIpending = 0;
      if (this.timeoutTimer) this.timeoutTimer.disarm();
      this.rxHead = 0;
      this.rxCount = 0;
    }
    if (v & FCR_XFR) {
      this.lsr |= LSR_THRE | LSR_TEMT;
      this.thrIpending = 1;
    }
    this.fcr = v & 0xc9;
    this.updateIrq();
  }

  private loopbackInputs(): number {
    const m = this.mcr;
    return (m & MCR_RTS ? MSR_CTS : 0) | (m & MCR_DTR ? MSR_DSR : 0) | (m & MCR_OUT1 ? MSR_RI : 0) | (m & MCR_OUT2 ? MSR_DCD : 0);
  }

  private setMsrInputs(high: number): void {
    const old = this.msr & 0xf0;
    const ch = old ^ high;
    let delta = this.msr & 0x0f;
    if (ch & MSR_CTS) delta |= 0x01;
    if (ch & MSR_DSR) delta |= 0x02;
    if (old & MSR_RI && !(high & MSR_RI)) delta |= 0x04; // trailing edge of RI
    if (ch & MSR_DCD) delta |= 0x08;
    this.msr = high | delta;
  }

  /** Ns per character frame: start + data + parity + stop bits at the programmed baud rate. */
  private charTimeNs(): number {
    const div = this.dll | (this.dlm << 8) || 0x10000;
    const dataBits = 5 + (this.lcr & 3);
    const stop = this.lcr & 4 ? (dataBits === 5 ? 1.5 : 2) : 1;
    const bits = 1 + dataBits + (this.lcr & 8 ? 1 : 0) + stop;
    return Math.ceil((bits * 16 * div * 1e9) / UART_CLOCK_HZ);
  }

  private armTimeout(): void {
    if (!(this.fcr & FCR_FE)) return;
    if (this.timeoutTimer && this.clock) {
      this.timeoutTimer.arm(this.clock.now() + 4 * this.charTimeNs());
    } else {
      this.timeoutIpending = 1;
    }
  }

  private onTimeout(): void {
    if (this.rxCount > 0 && this.fcr & FCR_FE) {
      this.timeoutIpending = 1;
      this.updateIrq();
    }
  }

  /**
   * QEMU serial_update_irq with the PC's OUT2 gate. RDA and character timeout share priority 2;
   * RDA (trigger reached) is reported first.
   */
  private updateIrq(): void {
    let id = IIR_NO_INT;
    const ier = this.ier;
    if (ier & IER_RLSI && this.lsr & LSR_INT_ANY) id = IIR_RLSI;
    else if (ier & IER_RDI && this.lsr & LSR_DR && (!(this.fcr & FCR_FE) || this.rxCount >= TRIGGER_LEVELS[this.fcr >> 6]!)) id = IIR_RDI;
    else if (ier & IER_RDI && this.timeoutIpending) id = IIR_CTI;
    else if (ier & IER_THRI && this.thrIpending) id = IIR_THRI;
    else if (ier & IER_MSI && this.msr & 0x0f) id = IIR_MSI;
    this.iir = id;
    let level = id !== IIR_NO_INT ? 1 : 0;
    if (this.out2Gates && (!(this.mcr & MCR_OUT2) || this.mcr & MCR_LOOP)) level = 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      if (this.irqLine) this.irqLine.set(level as 0 | 1);
    }
  }

  reset(): void {
    this.rxHead = 0;
    this.rxCount = 0;
    this.lastRbr = 0;
    this.ier = 0;
    this.iir = IIR_NO_INT;
    this.fcr = 0;
    this.lcr = 0;
    // The datasheet's master reset clears MCR; QEMU resets it to OUT2, so guests written against
    // QEMU that never touch MCR still get interrupts through the OUT2 gate. We follow QEMU.
    this.mcr = MCR_OUT2;
    this.lsr = LSR_THRE | LSR_TEMT;
    this.msr = this.modemIn;
    this.scr = 0;
    this.dll = 12;
    this.dlm = 0;
    this.thrIpending = 0;
    this.timeoutIpending = 0;
    if (this.timeoutTimer) this.timeoutTimer.disarm();
    this.updateIrq();
  }

  saveState(): DeviceState {
    const fifo: number[] = [];
    for (let i = 0; i < this.rxCount; i++) fifo.push(this.rx[(this.rxHead + i) & (FIFO_SIZE - 1)]!);
    return {
      rxFifo: fifo, lastRbr: this.lastRbr, ier: this.ier, iir: this.iir, fcr: this.fcr, lcr: this.lcr,
      mcr: this.mcr, lsr: this.lsr, msr: this.msr, scr: this.scr, dll: this.dll, dlm: this.dlm,
      thrIpending: this.thrIpending, timeoutIpending: this.timeoutIpending, modemIn: this.modemIn,
      timeoutDeadline: this.timeoutTimer?.armed ? this.timeoutTimer.deadline : -1,
    };
  }

  loadState(s: DeviceState): void {
    const n = (k: string, d = 0): number => (typeof s[k] === 'number' ? (s[k] as number) : d);
    const fifo = Array.isArray(s.rxFifo) ? (s.rxFifo as number[]).slice(0, FIFO_SIZE) : [];
    this.rxHead = 0;
    this.rxCount = fifo.length;
    for (let i = 0; i < fifo.length; i++) this.rx[i] = fifo[i]!;
    this.lastRbr = n('lastRbr');
    this.ier = n('ier') & 0x0f;
    this.fcr = n('fcr') & 0xc9;
    this.lcr = n('lcr') & 0xff;
    this.mcr = n('mcr') & 0x1f;
    this.lsr = n('lsr', LSR_THRE | LSR_TEMT) & 0xff;
    this.msr = n('msr') & 0xff;
    this.scr = n('scr') & 0xff;
    this.dll = n('dll', 12) & 0xff;
    this.dlm = n('dlm') & 0xff;
    this.thrIpending = n('thrIpending') ? 1 : 0;
    this.timeoutIpending = n('timeoutIpending') ? 1 : 0;
    this.modemIn = n('modemIn', MSR_CTS | MSR_DSR | MSR_DCD) & 0xf0;
    const dl = n('timeoutDeadline', -1);
    if (this.timeoutTimer) {
      if (dl >= 0) this.timeoutTimer.arm(dl);
      else this.timeoutTimer.disarm();
    }
    this.updateIrq();
  }
}
