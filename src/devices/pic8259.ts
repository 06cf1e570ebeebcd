/**
 * The PC's pair of Intel 8259A programmable interrupt controllers, master at 0x20/0x21 and slave
 * at 0xA0/0xA1 cascaded on master IR2, plus the PIIX ELCR (0x4D0/0x4D1) selecting edge or level
 * triggering per line. Behaviour follows the 8259A datasheet and QEMU's hw/intc/i8259.c.
 *
 * Models: ICW1-ICW4 initialisation (single/cascade, ICW4 optional, LTIM, AEOI, SFNM), OCW1 mask,
 * OCW2 non-specific/specific/rotating EOI, rotate-on-AEOI, set-priority, OCW3 read IRR/ISR,
 * poll command and special mask mode; edge (latched rising edge) and level inputs; the
 * interrupt-acknowledge cycle with cascade; spurious IRQ 7 / 15 (vector of IR7 with no ISR bit set
 * in the controller that had nothing to deliver — the master's ISR bit 2 is set for a slave
 * spurious, as on hardware).
 *
 * Does not model: MCS-80/85 mode (ICW1 IC4/ADI call-address bytes), buffered mode (ICW4 BUF/M-S:
 * recorded only), ICW3 other than the PC wiring (the slave is always on master IR2).
 *
 * ELCR masks are PIIX's: IRQ 0, 1, 2, 8 and 13 cannot be made level-triggered.
 */
import type { Device, DeviceState, InterruptController, IrqLine, RegionOps } from './device.js';
import type { AccessSize } from '../memory/types.js';
import type { IoRegionSpec } from '../memory/io-space.js';
import { OptionError } from '../machine/errors.js';

/** One 8259A. Fixed-shape state; all fields are guest-visible registers or latches. */
class Chip8259 {
  irr = 0;
  imr = 0;
  isr = 0;
  /** Edge detector: last level seen per input. */
  lastIrr = 0;
  /** ELCR: 1 = level-triggered. */
  elcr = 0;
  /** Lowest-priority rotation: priority 0 is IR(priorityAdd). */
  priorityAdd = 0;
  irqBase = 0;
  readRegSelect = 0;
  poll = 0;
  specialMask = 0;
  initState = 0;
  init4 = 0;
  singleMode = 0;
  ltim = 0;
  autoEoi = 0;
  rotateOnAutoEoi = 0;
  specialFullyNested = 0;
  icw4Bits = 0;
  /** INT output level. */
  out = 0;

  constructor(
    readonly isMaster: boolean,
    readonly elcrMask: number,
  ) {}

  /** Called whenever `out` may have changed. */
  onOut: (level: 0 | 1) => void = () => {};

  /** 0..7 or 8 (none): the priority of the highest-priority bit in `mask` after rotation. */
  private priorityOf(mask: number): number {
    if (mask === 0) return 8;
    let p = 0;
    while ((mask & (1 << ((p + this.priorityAdd) & 7))) === 0) p++;
    return p;
  }

  /** The IR that would be delivered now, or -1. */
  getIrq(): number {
    const p = this.priorityOf(this.irr & ~this.imr);
    if (p === 8) return -1;
    let inService = this.isr;
    if (this.specialMask) inService &= ~this.imr;
    if (this.specialFullyNested && this.isMaster) inService &= ~(1 << 2);
    const cur = this.priorityOf(inService);
    return p < cur ? (p + this.priorityAdd) & 7 : -1;
  }

  update(): void {
    const level = this.getIrq() >= 0 ? 1 : 0;
    this.out = level;
    this.onOut(level);
  }

  setIrq(n: number, level: number): void {
    const m = 1 << n;
    if ((this.elcr | (this.ltim ? 0xff : 0)) & m) {
      if (level) {
        this.irr |= m;
        this.lastIrr |= m;
      } else {
        this.irr &= ~m;
        this.lastIrr &= ~m;
      }
    } else if (level) {
      if ((this.lastIrr & m) === 0) this.irr |= m;
      this.lastIrr |= m;
    } else {
      this.lastIrr &= ~m;
    }
    this.update();
  }

  intack(n: number): void {
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.priorityAdd = (n + 1) & 7;
    } else {
      this.isr |= 1 << n;
    }
    // Edge-triggered requests are consumed by the acknowledge; level ones stay while asserted.
    if (!((this.elcr | (this.ltim ? 0xff : 0)) & (1 << n))) this.irr &= ~(1 << n);
    this.update();
  }

  /** ICW1 starts initialisation: clears masks and state (ELCR is untouched). */
  private initReset(): void {
    this.lastIrr = 0;
    this.irr &= this.elcr;
    this.imr = 0;
    this.isr = 0;
    this.priorityAdd = 0;
    this.irqBase = 0;
    this.readRegSelect = 0;
    this.poll = 0;
    this.specialMask = 0;
    this.initState = 0;
    this.autoEoi = 0;
    this.rotateOnAutoEoi = 0;
    this.specialFullyNested = 0;
    this.init4 = 0;
    this.singleMode = 0;
    this.ltim = 0;
    this.icw4Bits = 0;
    this.update();
  }

  reset(): void {
    this.initReset();
    this.irr = 0;
    this.elcr = 0;
    this.update();
  }

  write(addr: number, val: number): void {
    val &= 0xff;
    if (addr === 0) {
      if (val & 0x10) {
        // ICW1: bit 0 IC4, bit 1 SNGL, bit 3 LTIM.
        this.initReset();
        this.initState = 1;
        this.init4 = val & 1;
        this.singleMode = (val >> 1) & 1;
        this.ltim = (val >> 3) & 1;
      } else if (val & 0x08) {
        // OCW3: bit 2 poll, bits 1:0 read register (RR, RIS), bits 6:5 special mask (ESMM, SMM).
        if (val & 0x04) this.poll = 1;
        if (val & 0x02) this.readRegSelect = val & 1;
        if (val & 0x40) {
          // Unlike QEMU, re-evaluate INT now: entering special mask mode can unblock requests.
          this.specialMask = (val >> 5) & 1;
          this.update();
        }
      } else {
        // OCW2: bits 7:5 = R, SL, EOI; bits 2:0 = level.
        const cmd = val >> 5;
        switch (cmd) {
          case 0: // rotate in AEOI mode: clear
          case 4: // rotate in AEOI mode: set
            this.rotateOnAutoEoi = cmd >> 2;
            break;
          case 1: // non-specific EOI
          case 5: {
            // rotate on non-specific EOI
            const p = this.priorityOf(this.isr);
            if (p !== 8) {
              const irq = (p + this.priorityAdd) & 7;
              this.isr &= ~(1 << irq);
              if (cmd === 5) this.priorityAdd = (irq + 1) & 7;
              this.update();
            }
            break;
          }
          case 3: // specific EOI
            this.isr &= ~(1 << (val & 7));
            this.update();
            break;
          case 6: // set priority: IR(level) becomes the lowest
            this.priorityAdd = (val + 1) & 7;
            this.update();
            break;
          case 7: // rotate on specific EOI
            this.isr &= ~(1 << (val & 7));
            this.priorityAdd = ((val & 7) + 1) & 7;
            this.update();
            break;
          default: // 2: no operation
            break;
        }
      }
      return;
    }
    switch (this.initState) {
      case 0: // OCW1
        this.imr = val;
        this.update();
        break;
      case 1: // ICW2: vector base (T7-T3)
        this.irqBase = val & 0xf8;
        this.initState = this.singleMode ? (this.init4 ? 3 : 0) : 2;
        break;
      case 2: // ICW3: cascade wiring (fixed on the PC)
        this.initState = this.init4 ? 3 : 0;
        break;
      case 3: // ICW4: bit 1 AEOI, bit 4 SFNM, bits 3:2 buffered mode, bit 0 uPM
        this.icw4Bits = val & 0x1f;
        this.specialFullyNested = (val >> 4) & 1;
        this.autoEoi = (val >> 1) & 1;
        this.initState = 0;
        break;
    }
  }

  read(addr: number): number {
    if (this.poll) {
      // Poll: the read is the acknowledge. Bit 7 = interrupt present, bits 2:0 = level.
      this.poll = 0;
      const irq = this.getIrq();
      if (irq < 0) return 0;
      this.intack(irq);
      return irq | 0x80;
    }
    if (addr === 0) return this.readRegSelect ? this.isr : this.irr;
    return this.imr;
  }

  save(): DeviceState {
    return {
      irr: this.irr, imr: this.imr, isr: this.isr, lastIrr: this.lastIrr, elcr: this.elcr,
      priorityAdd: this.priorityAdd, irqBase: this.irqBase, readRegSelect: this.readRegSelect,
      poll: this.poll, specialMask: this.specialMask, initState: this.initState, init4: this.init4,
      singleMode: this.singleMode, ltim: this.ltim, autoEoi: this.autoEoi,
      rotateOnAutoEoi: this.rotateOnAutoEoi, specialFullyNested: this.specialFullyNested,
      icw4Bits: this.icw4Bits,
    };
  }

  load(s: DeviceState): void {
    const n = (k: string): number => Number(s[k] ?? 0) & 0xff;
    this.irr = n('irr'); this.imr = n('imr'); this.isr = n('isr'); this.lastIrr = n('lastIrr');
    this.elcr = n('elcr') & this.elcrMask; this.priorityAdd = n('priorityAdd') & 7; this.irqBase = n('irqBase') & 0xf8;
    this.readRegSelect = n('readRegSelect'); this.poll = n('poll'); this.specialMask = n('specialMask');
    this.initState = n('initState') & 3; this.init4 = n('init4'); this.singleMode = n('singleMode');
    this.ltim = n('ltim'); this.autoEoi = n('autoEoi'); this.rotateOnAutoEoi = n('rotateOnAutoEoi');
    this.specialFullyNested = n('specialFullyNested'); this.icw4Bits = n('icw4Bits');
  }
}

class PicIrqLine implements IrqLine {
  constructor(
    private readonly chip: Chip8259,
    private readonly n: number,
  ) {}
  set(level: 0 | 1): void {
    this.chip.setIrq(this.n, level);
  }
}

export interface Pic8259Options {
  /** Instance name (default "pic8259"). */
  name?: string;
  /** Called when the master's INT output (the CPU's INTR pin) changes level. */
  onIntr?: (level: 0 | 1) => void;
}

/** The master/slave 8259A pair of a PC with the PIIX ELCR. */
export class Pic8259 implements Device, InterruptController {
  readonly name: string;
  private readonly master = new Chip8259(true, 0xf8);
  private readonly slave = new Chip8259(false, 0xde);
  private readonly lines: PicIrqLine[] = [];
  private readonly onIntr: ((level: 0 | 1) => void) | undefined;
  private intr: 0 | 1 = 0;

  /** Ports 0x20-0x21 (offset 0 = command, 1 = data). */
  readonly masterOps: RegionOps;
  /** Ports 0xA0-0xA1. */
  readonly slaveOps: RegionOps;
  /** Ports 0x4D0-0x4D1: ELCR1 (IRQ0-7), ELCR2 (IRQ8-15). */
  readonly elcrOps: RegionOps;

  constructor(opts: Pic8259Options = {}) {
    this.name = opts.name ?? 'pic8259';
    this.onIntr = opts.onIntr;
    this.slave.onOut = (level) => this.master.setIrq(2, level);
    this.master.onOut = (level) => {
      if (level !== this.intr) {
        this.intr = level;
        if (this.onIntr) this.onIntr(level);
      }
    };
    for (let i = 0; i < 16; i++) this.lines.push(new PicIrqLine(i < 8 ? this.master : this.slave, i & 7));
    const m = this.master;
    const s = this.slave;
    this.masterOps = {
      read: (off: number, _size: AccessSize) => m.read(off & 1),
      write: (off: number, _size: AccessSize, v: number) => m.write(off & 1, v),
    };
    this.slaveOps = {
      read: (off: number, _size: AccessSize) => s.read(off & 1),
      write: (off: number, _size: AccessSize, v: number) => s.write(off & 1, v),
    };
    this.elcrOps = {
      read: (off: number, _size: AccessSize) => (off & 1 ? s.elcr : m.elcr),
      write: (off: number, _size: AccessSize, v: number) => {
        const c = off & 1 ? s : m;
        c.elcr = v & c.elcrMask;
        c.update();
      },
    };
  }

  /**
   * The input line for IRQ n (0..15). IRQ 2 is the master's IR2 input itself (the slave's INT is
   * also wired there, as in QEMU); ISA devices wired to "IRQ 2" on a PC use IRQ 9.
   */
  irq(n: number): IrqLine {
    const l = this.lines[n];
    if (l === undefined) throw new OptionError(`${this.name}.irq`, `IRQ ${n} is out of range 0..15`);
    return l;
  }

  /** Default port mapping for IoSpace.registerAll. */
  ioRegions(): IoRegionSpec[] {
    return [
      { base: 0x20, count: 2, ops: this.masterOps, name: `${this.name}.master`, maxSize: 1 },
      { base: 0xa0, count: 2, ops: this.slaveOps, name: `${this.name}.slave`, maxSize: 1 },
      { base: 0x4d0, count: 2, ops: this.elcrOps, name: `${this.name}.elcr`, maxSize: 1 },
    ];
  }

  /** INTR: the master's INT output. */
  pending(): boolean {
    return this.master.out === 1;
  }

  /** The INTA cycle (QEMU pic_read_irq): returns the vector, spurious IR7/IR15 if nothing is left. */
  acknowledge(): number {
    const m = this.master;
    const irq = m.getIrq();
    if (irq < 0) return m.irqBase + 7;
    let vector: number;
    if (irq === 2) {
      let irq2 = this.slave.getIrq();
      if (irq2 >= 0) this.slave.intack(irq2);
      else irq2 = 7; // spurious on the slave
      vector = this.slave.irqBase + irq2;
    } else {
      vector = m.irqBase + irq;
    }
    m.intack(irq);
    return vector;
  }

  /** Registers for debuggers and tests: IRR/ISR/IMR as 16-bit (slave in the high byte). */
  get irr(): number {
    return this.master.irr | (this.slave.irr << 8);
  }
  get isr(): number {
    return this.master.isr | (this.slave.isr << 8);
  }
  get imr(): number {
    return this.master.imr | (this.slave.imr << 8);
  }

  reset(): void {
    this.slave.reset();
    this.master.reset();
  }

  saveState(): DeviceState {
    return { master: this.master.save(), slave: this.slave.save() };
  }

  loadState(state: DeviceState): void {
    this.master.load((state.master ?? {}) as DeviceState);
    this.slave.load((state.slave ?? {}) as DeviceState);
    // Recompute outputs without disturbing the latched edge state.
    const so = this.slave.getIrq() >= 0 ? 1 : 0;
    this.slave.out = so;
    this.master.update();
  }
}
