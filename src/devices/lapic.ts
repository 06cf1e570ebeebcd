/**
 * The local APIC of a single-CPU xAPIC-mode processor (Intel SDM Vol. 3A, chapter 10 / 11 in newer
 * editions), as a 4 KiB MMIO page at IA32_APIC_BASE (default 0xFEE00000).
 *
 * Models:
 * - Registers: ID, version, TPR, APR, PPR, EOI, RRD (reads 0), LDR, DFR, SVR, ISR/TMR/IRR (256 bits
 *   each as 8 x 32-bit registers at stride 0x10), ESR (write-to-latch), ICR low/high, the LVT
 *   (timer, thermal, performance counters, LINT0, LINT1, error), and the timer's initial count,
 *   current count and divide configuration. Reserved offsets read 0; reading them, or writing them
 *   or a read-only register, sets ESR "illegal register address" (bit 7, SDM 10.5.3; QEMU does the
 *   same). Accesses narrower than 4 bytes read part of the register; only aligned 4-byte writes count.
 * - Version 0x00050014: an integrated APIC (version 14h, as on P6/Pentium 4 family parts) with
 *   max LVT entry 5 (six LVT entries, no CMCI) and no EOI-broadcast suppression.
 * - Interrupt acceptance and priority: fixed interrupts enter the IRR (and set/clear the TMR bit by
 *   trigger mode); `pending()` is true when the highest IRR vector's priority class exceeds the
 *   PPR class; `acknowledge()` moves it to the ISR and returns it. EOI clears the highest ISR bit
 *   and, when its TMR bit is set, calls `onEoi(vector)` (the I/O APIC clears remote IRR). Vectors
 *   0-15 are rejected with ESR "receive/send illegal vector". Nothing is accepted into the IRR while
 *   the APIC is software-disabled (SVR bit 8); writing SVR with bit 8 clear sets every LVT mask bit
 *   and LVT writes stay masked until it is set again (SDM 10.4.7.2).
 * - Timer: counts down at busHz / divide (default bus 1 GHz, so one count per ns at divide-by-1),
 *   one-shot and periodic modes from the virtual clock (`Timer`); the current count is computed
 *   from virtual time on read. Late periodic deadlines coalesce into one interrupt.
 * - Virtual-wire mode (MP spec 3.6.2.2): with LVT LINT0 unmasked in ExtINT delivery mode, the 8259
 *   PIC passed as `pic` is the interrupt source behind the APIC: `pending()` reports its INTR and
 *   `acknowledge()` runs its INTA cycle, bypassing IRR/ISR/PPR (APIC-owned vectors are served first,
 *   as QEMU does). On the BSP, LINT0 resets to ExtINT unmasked (0x700, what QEMU's
 *   apic_reset_common sets for the BSP, so the PIC works for guests that never program the APIC;
 *   QEMU 7.2 itself reads 0x10000 at the first power-on); APs (`bsp: false`) reset masked.
 *   An I/O APIC entry in ExtINT mode (`deliverExtInt`) has the same effect for one acknowledge.
 * - IA32_APIC_BASE bit 11 (`setGlobalEnable`): when clear, the APIC is out of the way (pending and
 *   acknowledge pass straight through to the PIC); clearing it resets the APIC registers (ID kept),
 *   as re-enabling after a global disable starts from the power-up state.
 * - ICR: fixed and lowest-priority IPIs to self (shorthand self/all-including-self, or a physical or
 *   logical destination matching this APIC), NMI to self. INIT and SIPI are counted (`initCount`,
 *   `lastSipiVector`) and every ICR send is reported through `onIpi(low, high)` so the machine can
 *   act on INIT/SIPI or other CPUs. Delivery status always reads idle.
 * - LINT0/LINT1 as IrqLines for NMI/fixed delivery (rising edge; LINT1 is normally NMI).
 *
 * Differences from QEMU 7.2 are listed, with reasons, in test/devices/apic-oracle.test.ts.
 *
 * Does not model: x2APIC, TSC-deadline timer mode (bit 18 reads 0), thermal and performance
 * monitoring sources (their LVT entries hold values but never fire), SMI delivery, focus
 * processor checking, remote IRR for level-triggered LINT inputs, the APIC-bus arbitration of
 * multiple CPUs (APR is computed for reading only), relocation of the MMIO page (the machine maps
 * `mmio` where IA32_APIC_BASE says).
 */
import type { Timer, VirtualClock } from '../machine/clock.js';
import type { AccessSize } from '../memory/types.js';
import type { Device, DeviceState, InterruptController, IrqLine, RegionOps } from './device.js';

/** Register offsets in the APIC page. */
export const LapicReg = {
  ID: 0x020,
  VERSION: 0x030,
  TPR: 0x080,
  APR: 0x090,
  PPR: 0x0a0,
  EOI: 0x0b0,
  RRD: 0x0c0,
  LDR: 0x0d0,
  DFR: 0x0e0,
  SVR: 0x0f0,
  ISR: 0x100,
  TMR: 0x180,
  IRR: 0x200,
  ESR: 0x280,
  ICR_LOW: 0x300,
  ICR_HIGH: 0x310,
  LVT_TIMER: 0x320,
  LVT_THERMAL: 0x330,
  LVT_PERF: 0x340,
  LVT_LINT0: 0x350,
  LVT_LINT1: 0x360,
  LVT_ERROR: 0x370,
  TIMER_INITIAL: 0x380,
  TIMER_CURRENT: 0x390,
  TIMER_DIVIDE: 0x3e0,
} as const;

export const LAPIC_VERSION = 0x00050014;

/* LVT entry (SDM Figure 10-8 "Local Vector Table"):
 *   7:0   vector
 *   10:8  delivery mode: 000 fixed, 010 SMI, 100 NMI, 101 INIT, 111 ExtINT (not for timer/error)
 *   12    delivery status (RO)
 *   13    input pin polarity (LINT0/1)
 *   14    remote IRR (RO, LINT0/1)
 *   15    trigger mode (LINT0/1): 0 edge, 1 level
 *   16    mask
 *   18:17 timer mode: 00 one-shot, 01 periodic, 10 TSC-deadline */
export const LVT_MASKED = 0x10000;
export const LVT_PERIODIC = 0x20000;
const LVT_WRITE_MASK = [0x300ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff] as const;
const LVT_TIMER = 0;
const LVT_LINT0 = 3;
const LVT_LINT1 = 4;
const LVT_ERROR = 5;
const DM_FIXED = 0;
const DM_LOWEST = 1;
const DM_NMI = 4;
const DM_INIT = 5;
const DM_SIPI = 6;
const DM_EXTINT = 7;

/* SVR: 7:0 spurious vector, 8 APIC software enable, 9 focus processor checking disable */
const SVR_ENABLE = 0x100;

/* ESR bits (SDM Figure 10-9) */
const ESR_SEND_ILLEGAL_VECTOR = 0x20;
const ESR_RECV_ILLEGAL_VECTOR = 0x40;
const ESR_ILLEGAL_REGISTER = 0x80;

/* ICR low (SDM Figure 10-12):
 *   7:0 vector   10:8 delivery mode   11 destination mode (1 logical)   12 delivery status (RO)
 *   14 level (1 assert)   15 trigger mode   19:18 shorthand: 00 none, 01 self, 10 all incl. self,
 *   11 all excl. self
 * ICR high: 31:24 destination */
const ICR_LOW_MASK = 0x000ccfff;

export interface LapicOptions {
  name?: string;
  clock: VirtualClock;
  /** Initial APIC ID (default 0). */
  id?: number;
  /** Bootstrap processor: LINT0 resets to ExtINT unmasked (default true). */
  bsp?: boolean;
  /** Timer input clock before the divider, in Hz (default 1e9). */
  busHz?: number;
  /** The 8259 pair, reached in virtual-wire mode (LINT0 ExtINT) and when globally disabled. */
  pic?: InterruptController;
  /** EOI of a level-triggered vector (TMR bit set): the machine forwards it to the I/O APIC. */
  onEoi?: (vector: number) => void;
  /** Every ICR send (after self-delivery): the machine handles INIT/SIPI and other CPUs. */
  onIpi?: (icrLow: number, icrHigh: number) => void;
}

export class Lapic implements Device, InterruptController, RegionOps {
  readonly name: string;
  /** The MMIO page (the device itself: `read`/`write` below). */
  readonly mmio: RegionOps = this;
  /** LINT0 input for non-ExtINT delivery modes (NMI/fixed); ExtINT uses `pic`. */
  readonly lint0: IrqLine;
  /** LINT1 input (normally NMI). */
  readonly lint1: IrqLine;
  /** An NMI was delivered (LINT NMI mode, ICR NMI, I/O APIC NMI) and not yet taken. */
  nmiPending = false;
  /** INIT IPIs (assert) sent to this APIC. */
  initCount = 0;
  /** Vector of the last SIPI sent to this APIC (-1 = none). */
  lastSipiVector = -1;

  private readonly clock: VirtualClock;
  private readonly timer: Timer;
  private readonly bsp: boolean;
  private readonly initialId: number;
  private readonly nsPerBusTick: number;
  private readonly pic: InterruptController | undefined;
  private readonly onEoi: ((vector: number) => void) | undefined;
  private readonly onIpi: ((lo: number, hi: number) => void) | undefined;

  private globalEnabled = true;
  private id = 0;
  private tpr = 0;
  private ldr = 0;
  private dfr = 0xffffffff;
  private svr = 0xff;
  private esr = 0;
  private esrPending = 0;
  private icrLow = 0;
  private icrHigh = 0;
  private readonly lvt = new Uint32Array(6);
  private readonly isr = new Uint32Array(8);
  private readonly tmr = new Uint32Array(8);
  private readonly irr = new Uint32Array(8);
  private timerInitial = 0;
  private timerDivide = 0;
  /** Virtual time at which the current count was equal to the initial count. */
  private timerStart = 0;
  private extIntPending = false;
  /** Some IRR bit is set (lets `pending()` skip the 256-bit scan in the common empty case). */
  private irrAny = false;
  private readonly lintLevel = new Uint8Array(2);

  constructor(opts: LapicOptions) {
    this.name = opts.name ?? 'lapic';
    this.clock = opts.clock;
    this.bsp = opts.bsp !== false;
    this.initialId = (opts.id ?? 0) & 0xff;
    this.nsPerBusTick = 1e9 / (opts.busHz ?? 1e9);
    this.pic = opts.pic;
    this.onEoi = opts.onEoi;
    this.onIpi = opts.onIpi;
    this.timer = this.clock.createTimer(`${this.name}.timer`, (now) => this.timerFired(now));
    this.lint0 = { set: (level) => this.lintInput(0, level) };
    this.lint1 = { set: (level) => this.lintInput(1, level) };
    this.reset();
  }

  reset(): void {
    this.globalEnabled = true;
    this.resetRegisters();
    this.id = this.initialId;
    this.nmiPending = false;
    this.initCount = 0;
    this.lastSipiVector = -1;
    this.lintLevel.fill(0);
  }

  private resetRegisters(): void {
    this.tpr = 0;
    this.ldr = 0;
    this.dfr = 0xffffffff;
    this.svr = 0xff;
    this.esr = 0;
    this.esrPending = 0;
    this.icrLow = 0;
    this.icrHigh = 0;
    this.lvt.fill(LVT_MASKED);
    if (this.bsp) this.lvt[LVT_LINT0] = DM_EXTINT << 8;
    this.isr.fill(0);
    this.tmr.fill(0);
    this.irr.fill(0);
    this.irrAny = false;
    this.timerInitial = 0;
    this.timerDivide = 0;
    this.timerStart = 0;
    this.extIntPending = false;
    this.timer.disarm();
  }

  /** IA32_APIC_BASE bit 11, as the machine's MSR handler sees it written. */
  setGlobalEnable(enabled: boolean): void {
    if (enabled === this.globalEnabled) return;
    if (!enabled) {
      const id = this.id;
      this.resetRegisters();
      this.id = id;
    }
    this.globalEnabled = enabled;
  }

  get globallyEnabled(): boolean {
    return this.globalEnabled;
  }

  get softwareEnabled(): boolean {
    return (this.svr & SVR_ENABLE) !== 0;
  }

  /** Take (and clear) a pending NMI. */
  takeNmi(): boolean {
    const n = this.nmiPending;
    this.nmiPending = false;
    return n;
  }

  // ------------------------------------------------------------------------------------------
  // Interrupt controller seen by the CPU

  pending(): boolean {
    if (!this.globalEnabled) return this.pic !== undefined && this.pic.pending();
    if (this.irrAny && this.deliverableVector() >= 0) return true;
    return this.extIntRoute() && this.pic!.pending();
  }

  acknowledge(): number {
    if (!this.globalEnabled) return this.pic !== undefined ? this.pic.acknowledge() : 0xff;
    const v = this.deliverableVector();
    if (v >= 0) {
      this.irr[v >>> 5] = this.irr[v >>> 5]! & ~(1 << (v & 31));
      this.isr[v >>> 5] = this.isr[v >>> 5]! | (1 << (v & 31));
      this.irrAny = highestBit(this.irr) >= 0;
      return v;
    }
    if (this.extIntRoute() && this.pic!.pending()) {
      this.extIntPending = false;
      return this.pic!.acknowledge();
    }
    return this.svr & 0xff;
  }

  /** Virtual wire through LINT0, or an I/O APIC ExtINT message waiting. */
  private extIntRoute(): boolean {
    if (this.pic === undefined) return false;
    const l = this.lvt[LVT_LINT0]!;
    return ((l & LVT_MASKED) === 0 && ((l >>> 8) & 7) === DM_EXTINT) || this.extIntPending;
  }

  /** Highest IRR vector if its class beats the PPR class, else -1. */
  private deliverableVector(): number {
    const v = highestBit(this.irr);
    if (v < 0) return -1;
    return (v & 0xf0) > (this.ppr() & 0xf0) ? v : -1;
  }

  private ppr(): number {
    const isrv = highestBit(this.isr);
    const isrClass = isrv < 0 ? 0 : isrv & 0xf0;
    return (this.tpr & 0xf0) >= isrClass ? this.tpr : isrClass;
  }

  private apr(): number {
    const irrv = Math.max(0, highestBit(this.irr));
    const isrv = Math.max(0, highestBit(this.isr));
    if ((this.tpr & 0xf0) >= (irrv & 0xf0) && (this.tpr & 0xf0) > (isrv & 0xf0)) return this.tpr;
    return Math.max(this.tpr & 0xf0, isrv & 0xf0, irrv & 0xf0);
  }

  // ------------------------------------------------------------------------------------------
  // Interrupt sources

  /**
   * A fixed (or lowest-priority) interrupt message for this APIC (I/O APIC, IPI, LVT). Returns
   * whether it was accepted into the IRR.
   */
  deliver(vector: number, levelTriggered: boolean): boolean {
    if (!this.globalEnabled || !this.softwareEnabled) return false;
    vector &= 0xff;
    if (vector < 16) {
      this.signalError(ESR_RECV_ILLEGAL_VECTOR);
      return false;
    }
    const w = vector >>> 5;
    const bit = 1 << (vector & 31);
    this.irr[w] = this.irr[w]! | bit;
    this.irrAny = true;
    if (levelTriggered) this.tmr[w] = this.tmr[w]! | bit;
    else this.tmr[w] = this.tmr[w]! & ~bit;
    return true;
  }

  deliverNmi(): void {
    if (this.globalEnabled) this.nmiPending = true;
  }

  /** An ExtINT message (I/O APIC pin in ExtINT mode): the next acknowledge goes to the PIC. */
  deliverExtInt(): void {
    if (this.globalEnabled) this.extIntPending = true;
  }

  deliverInit(): void {
    this.initCount++;
  }

  /** Whether a message with destination `dest` (physical ID or logical mask) addresses us. */
  acceptsDestination(dest: number, logical: boolean): boolean {
    dest &= 0xff;
    if (!logical) return dest === 0xff || dest === this.id;
    if (dest === 0xff) return true;
    const ldr = this.ldr >>> 24;
    if ((this.dfr >>> 28) === 0xf) return (ldr & dest) !== 0; // flat model
    // Cluster model: high nibble = cluster, low nibble = member mask.
    return (ldr >>> 4) === (dest >>> 4) && (ldr & dest & 0x0f) !== 0;
  }

  private lintInput(n: 0 | 1, level: 0 | 1): void {
    const rising = level === 1 && this.lintLevel[n] === 0;
    this.lintLevel[n] = level;
    const l = this.lvt[n === 0 ? LVT_LINT0 : LVT_LINT1]!;
    if (!this.globalEnabled || (l & LVT_MASKED) !== 0) return;
    const trigLevel = (l & 0x8000) !== 0;
    if (!rising && !(trigLevel && level === 1)) return;
    const dm = (l >>> 8) & 7;
    if (dm === DM_NMI) {
      if (rising) this.nmiPending = true;
    } else if (dm === DM_FIXED) {
      this.deliver(l & 0xff, trigLevel);
    }
  }

  private signalError(bits: number): void {
    this.esrPending |= bits;
    const l = this.lvt[LVT_ERROR]!;
    if ((l & LVT_MASKED) === 0) this.deliver(l & 0xff, false);
  }

  // ------------------------------------------------------------------------------------------
  // Timer

  private timerPeriodNs(): number {
    const d = this.timerDivide;
    const code = ((d & 8) >> 1) | (d & 3);
    const div = code === 7 ? 1 : 2 << code;
    return div * this.nsPerBusTick;
  }

  private currentCount(): number {
    if (this.timerInitial === 0) return 0;
    const elapsed = Math.floor((this.clock.now() - this.timerStart) / this.timerPeriodNs());
    if ((this.lvt[LVT_TIMER]! & LVT_PERIODIC) !== 0) return this.timerInitial - (elapsed % this.timerInitial);
    return elapsed >= this.timerInitial ? 0 : this.timerInitial - elapsed;
  }

  private rearmTimer(): void {
    if (this.timerInitial === 0) {
      this.timer.disarm();
      return;
    }
    const periodNs = this.timerInitial * this.timerPeriodNs();
    const now = this.clock.now();
    if ((this.lvt[LVT_TIMER]! & LVT_PERIODIC) !== 0) {
      const k = Math.floor((now - this.timerStart) / periodNs);
      this.timer.arm(this.timerStart + (k + 1) * periodNs);
    } else {
      const deadline = this.timerStart + periodNs;
      if (deadline > now) this.timer.arm(deadline);
      else this.timer.disarm();
    }
  }

  private timerFired(_now: number): void {
    const l = this.lvt[LVT_TIMER]!;
    if ((l & LVT_MASKED) === 0) this.deliver(l & 0xff, false);
    if ((l & LVT_PERIODIC) !== 0) this.rearmTimer();
  }

  // ------------------------------------------------------------------------------------------
  // MMIO

  read(offset: number, size: AccessSize): number {
    const sub = offset & 0xf;
    if (sub + size > 4) return 0;
    const reg = offset & 0xff0;
    if (!implemented(reg)) {
      this.signalError(ESR_ILLEGAL_REGISTER);
      return 0;
    }
    const v = this.readReg(reg);
    const shifted = v >>> (sub * 8);
    return size === 4 ? shifted >>> 0 : size === 2 ? shifted & 0xffff : shifted & 0xff;
  }

  private readReg(reg: number): number {
    switch (reg) {
      case LapicReg.ID:
        return (this.id << 24) >>> 0;
      case LapicReg.VERSION:
        return LAPIC_VERSION;
      case LapicReg.TPR:
        return this.tpr;
      case LapicReg.APR:
        return this.apr();
      case LapicReg.PPR:
        return this.ppr();
      case LapicReg.EOI:
      case LapicReg.RRD:
        return 0;
      case LapicReg.LDR:
        return this.ldr >>> 0;
      case LapicReg.DFR:
        return this.dfr >>> 0;
      case LapicReg.SVR:
        return this.svr;
      case LapicReg.ESR:
        return this.esr;
      case LapicReg.ICR_LOW:
        return this.icrLow;
      case LapicReg.ICR_HIGH:
        return this.icrHigh >>> 0;
      case LapicReg.TIMER_INITIAL:
        return this.timerInitial >>> 0;
      case LapicReg.TIMER_CURRENT:
        return this.currentCount() >>> 0;
      case LapicReg.TIMER_DIVIDE:
        return this.timerDivide;
    }
    if (reg >= LapicReg.ISR && reg < LapicReg.IRR + 0x80) {
      const arr = reg < LapicReg.TMR ? this.isr : reg < LapicReg.IRR ? this.tmr : this.irr;
      return arr[(reg >> 4) & 7]! >>> 0;
    }
    if (reg >= LapicReg.LVT_TIMER && reg <= LapicReg.LVT_ERROR) return this.lvt[(reg - LapicReg.LVT_TIMER) >> 4]! >>> 0;
    return 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (size !== 4 || (offset & 0xf) !== 0) return;
    const reg = offset & 0xff0;
    value >>>= 0;
    switch (reg) {
      case LapicReg.ID:
        this.id = value >>> 24;
        return;
      case LapicReg.TPR:
        this.tpr = value & 0xff;
        return;
      case LapicReg.EOI:
        this.eoi();
        return;
      case LapicReg.LDR:
        this.ldr = (value & 0xff000000) >>> 0;
        return;
      case LapicReg.DFR:
        this.dfr = (value | 0x0fffffff) >>> 0;
        return;
      case LapicReg.SVR:
        this.svr = value & 0x3ff;
        if ((this.svr & SVR_ENABLE) === 0) for (let i = 0; i < 6; i++) this.lvt[i] = this.lvt[i]! | LVT_MASKED;
        return;
      case LapicReg.ESR:
        this.esr = this.esrPending;
        this.esrPending = 0;
        return;
      case LapicReg.ICR_LOW:
        this.icrLow = value & ICR_LOW_MASK;
        this.sendIpi();
        return;
      case LapicReg.ICR_HIGH:
        this.icrHigh = (value & 0xff000000) >>> 0;
        return;
      case LapicReg.TIMER_INITIAL:
        this.timerInitial = value;
        this.timerStart = this.clock.now();
        this.rearmTimer();
        return;
      case LapicReg.TIMER_DIVIDE: {
        const cur = this.currentCount();
        const expired = this.timerInitial !== 0 && cur === 0;
        this.timerDivide = value & 0xb;
        // Keep the count where it is: restart the time base from it at the new rate.
        const p = this.timerPeriodNs();
        this.timerStart = this.clock.now() - (expired ? this.timerInitial : this.timerInitial - cur) * p;
        this.rearmTimer();
        return;
      }
    }
    if (reg >= LapicReg.LVT_TIMER && reg <= LapicReg.LVT_ERROR) {
      const i = (reg - LapicReg.LVT_TIMER) >> 4;
      let v = (this.lvt[i]! & ~LVT_WRITE_MASK[i]!) | (value & LVT_WRITE_MASK[i]!);
      if (!this.softwareEnabled) v |= LVT_MASKED;
      const wasPeriodic = i === LVT_TIMER && (this.lvt[i]! & LVT_PERIODIC) !== 0;
      this.lvt[i] = v >>> 0;
      if (i === LVT_TIMER && wasPeriodic !== ((v & LVT_PERIODIC) !== 0)) this.rearmTimer();
      return;
    }
    // Read-only or reserved register: an illegal register address, as QEMU reports it.
    this.signalError(ESR_ILLEGAL_REGISTER);
  }

  private eoi(): void {
    const v = highestBit(this.isr);
    if (v < 0) return;
    const w = v >>> 5;
    const bit = 1 << (v & 31);
    this.isr[w] = this.isr[w]! & ~bit;
    if ((this.tmr[w]! & bit) !== 0 && this.onEoi !== undefined) this.onEoi(v);
  }

  private sendIpi(): void {
    const lo = this.icrLow;
    const vector = lo & 0xff;
    const dm = (lo >>> 8) & 7;
    const logical = (lo & 0x800) !== 0;
    const shorthand = (lo >>> 18) & 3;
    const toSelf = shorthand === 1 || shorthand === 2 || (shorthand === 0 && this.acceptsDestination(this.icrHigh >>> 24, logical));
    if ((dm === DM_FIXED || dm === DM_LOWEST) && vector < 16) {
      this.signalError(ESR_SEND_ILLEGAL_VECTOR);
    } else if (toSelf) {
      switch (dm) {
        case DM_FIXED:
        case DM_LOWEST:
          this.deliver(vector, false);
          break;
        case DM_NMI:
          this.nmiPending = true;
          break;
        case DM_INIT:
          if ((lo & 0x4000) !== 0 || (lo & 0x8000) === 0) this.initCount++;
          break;
        case DM_SIPI:
          this.lastSipiVector = vector;
          break;
      }
    }
    if (this.onIpi !== undefined) this.onIpi(lo, this.icrHigh);
  }

  // ------------------------------------------------------------------------------------------
  // State

  saveState(): DeviceState {
    return {
      globalEnabled: this.globalEnabled,
      id: this.id,
      tpr: this.tpr,
      ldr: this.ldr,
      dfr: this.dfr,
      svr: this.svr,
      esr: this.esr,
      esrPending: this.esrPending,
      icrLow: this.icrLow,
      icrHigh: this.icrHigh,
      lvt: Array.from(this.lvt),
      isr: Array.from(this.isr),
      tmr: Array.from(this.tmr),
      irr: Array.from(this.irr),
      timerInitial: this.timerInitial,
      timerDivide: this.timerDivide,
      timerStart: this.timerStart,
      extIntPending: this.extIntPending,
      nmiPending: this.nmiPending,
      initCount: this.initCount,
      lastSipiVector: this.lastSipiVector,
      lintLevel: Array.from(this.lintLevel),
    };
  }

  /** Restore; call after the clock's own state has been restored (the timer re-arms from it). */
  loadState(s: DeviceState): void {
    this.globalEnabled = s['globalEnabled'] as boolean;
    this.id = s['id'] as number;
    this.tpr = s['tpr'] as number;
    this.ldr = s['ldr'] as number;
    this.dfr = s['dfr'] as number;
    this.svr = s['svr'] as number;
    this.esr = s['esr'] as number;
    this.esrPending = s['esrPending'] as number;
    this.icrLow = s['icrLow'] as number;
    this.icrHigh = s['icrHigh'] as number;
    this.lvt.set(s['lvt'] as number[]);
    this.isr.set(s['isr'] as number[]);
    this.tmr.set(s['tmr'] as number[]);
    this.irr.set(s['irr'] as number[]);
    this.irrAny = highestBit(this.irr) >= 0;
    this.timerInitial = s['timerInitial'] as number;
    this.timerDivide = s['timerDivide'] as number;
    this.timerStart = s['timerStart'] as number;
    this.extIntPending = s['extIntPending'] as boolean;
    this.nmiPending = s['nmiPending'] as boolean;
    this.initCount = s['initCount'] as number;
    this.lastSipiVector = s['lastSipiVector'] as number;
    this.lintLevel.set(s['lintLevel'] as number[]);
    this.rearmTimer();
  }
}

/** Whether `reg` (16-byte aligned offset) is a register of this APIC (version 14h, 6 LVT entries). */
function implemented(reg: number): boolean {
  if (reg >= 0x100 && reg <= 0x280) return true; // ISR, TMR, IRR, ESR
  if (reg >= 0x300 && reg <= 0x390) return true; // ICR, LVT, timer counts
  switch (reg) {
    case 0x020:
    case 0x030:
    case 0x080:
    case 0x090:
    case 0x0a0:
    case 0x0b0:
    case 0x0c0:
    case 0x0d0:
    case 0x0e0:
    case 0x0f0:
    case 0x3e0:
      return true;
  }
  return false;
}

/** Index of the highest set bit of a 256-bit register, or -1. */
function highestBit(a: Uint32Array): number {
  for (let i = 7; i >= 0; i--) {
    const w = a[i]!;
    if (w !== 0) return i * 32 + 31 - Math.clz32(w);
  }
  return -1;
}
