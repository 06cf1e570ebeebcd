/**
 * Intel 82093AA I/O APIC (24 pins) as QEMU's `pc` machine has it at 0xFEC00000.
 *
 * Models:
 * - Indirect registers through IOREGSEL (offset 0x00) and IOWIN (offset 0x10): IOAPICID (index 0,
 *   bits 27:24 writable), IOAPICVER (index 1, 0x00170011: version 11h, 24 redirection entries),
 *   IOAPICARB (index 2, arbitration ID = APIC ID, read-only) and the 24 64-bit redirection entries
 *   at indexes 0x10 + 2n (low dword) / 0x11 + 2n (high dword).
 * - Redirection entry fields: vector, delivery mode (fixed, lowest priority, SMI, NMI, INIT,
 *   ExtINT), destination mode, delivery status (always idle: delivery is instantaneous), polarity,
 *   remote IRR, trigger mode, mask and destination (bits 63:56).
 * - Pins are `IrqLine`s (`pin(n)`); `set(1)` means asserted. Edge-triggered pins deliver on the
 *   0->1 transition when unmasked (an edge on a masked pin is lost, per the 82093AA datasheet).
 *   Level-triggered pins deliver while asserted, unmasked and remote IRR clear; a fixed/lowest-
 *   priority delivery sets remote IRR, and `eoi(vector)` (from the local APIC's EOI of a
 *   level-triggered vector) clears it and re-delivers if the pin is still asserted. Unmasking an
 *   asserted level pin delivers. Switching an entry to edge clears its remote IRR.
 * - Delivery goes to one `ApicTarget` (the local APIC of the single CPU), which filters
 *   destinations through `acceptsDestination` when it implements it. Lowest priority is treated as
 *   fixed; SMI is counted (`smiCount`) and otherwise dropped.
 *
 * Does not model: the polarity bit's inversion (pins carry the asserted level; the board wiring
 * does the inversion, as in QEMU), the 82093AA's APIC-bus arbitration and message timing, several
 * target CPUs, the EOI register of version 0x20 I/O APICs (QEMU 7.2's `pc` reports version 20h;
 * this is the 82093AA's 11h), and access sizes other than 32-bit to IOWIN (narrower reads return
 * the low bytes, narrower writes are ignored). Differences from QEMU are listed, with reasons, in
 * test/devices/apic-oracle.test.ts.
 */
import type { AccessSize } from '../memory/types.js';
import type { Device, DeviceState, IrqLine, RegionOps } from './device.js';

/** What the I/O APIC delivers interrupt messages to (`Lapic` satisfies it). */
export interface ApicTarget {
  deliver(vector: number, levelTriggered: boolean): unknown;
  deliverNmi?(): void;
  deliverExtInt?(): void;
  deliverInit?(): void;
  acceptsDestination?(dest: number, logical: boolean): boolean;
}

export interface IoapicOptions {
  name?: string;
  /** I/O APIC ID at reset (default 0; QEMU's pc machine uses 0 as well). */
  id?: number;
  target?: ApicTarget;
}

export const IOAPIC_VERSION = 0x00170011;
export const IOAPIC_PINS = 24;

/* Redirection entry, low dword (82093AA datasheet §3.2.4):
 *   7:0   INTVEC vector
 *   10:8  DELMOD: 000 fixed, 001 lowest priority, 010 SMI, 100 NMI, 101 INIT, 111 ExtINT
 *   11    DESTMOD: 0 physical, 1 logical
 *   12    DELIVS delivery status (RO)
 *   13    INTPOL: 0 active high, 1 active low
 *   14    remote IRR (RO)
 *   15    TRIGGER: 0 edge, 1 level
 *   16    mask
 * High dword: 31:24 destination (bits 63:56 of the entry). */
export const REDIR_REMOTE_IRR = 0x4000;
export const REDIR_LEVEL = 0x8000;
export const REDIR_MASKED = 0x10000;
const REDIR_LOW_WRITABLE = 0x1afff;

export class Ioapic implements Device, RegionOps {
  readonly name: string;
  /** The MMIO page (the device itself: `read`/`write` below). */
  readonly mmio: RegionOps = this;
  /** SMI messages requested by entries in SMI delivery mode. */
  smiCount = 0;
  private target: ApicTarget | undefined;
  private readonly initialId: number;
  private ioregsel = 0;
  private id = 0;
  private readonly redirLow = new Uint32Array(IOAPIC_PINS);
  private readonly redirHigh = new Uint32Array(IOAPIC_PINS);
  private readonly level = new Uint8Array(IOAPIC_PINS);
  private readonly pins: IrqLine[];

  constructor(opts: IoapicOptions = {}) {
    this.name = opts.name ?? 'ioapic';
    this.target = opts.target;
    this.initialId = (opts.id ?? 0) & 0xf;
    this.pins = [];
    for (let n = 0; n < IOAPIC_PINS; n++) this.pins.push({ set: (l) => this.setPin(n, l) });
    this.reset();
  }

  /** Interrupt input `n` (0..23). */
  pin(n: number): IrqLine {
    return this.pins[n]!;
  }

  /** Attach (or replace) the local APIC the messages go to. */
  connect(target: ApicTarget): void {
    this.target = target;
  }

  reset(): void {
    this.ioregsel = 0;
    this.id = this.initialId;
    this.redirLow.fill(REDIR_MASKED);
    this.redirHigh.fill(0);
    this.smiCount = 0;
    // Pin levels are inputs driven by devices; they survive a reset of the I/O APIC.
  }

  /** Redirection entry `n` as (high << 32 | low) split in two dwords, for tools and tests. */
  entry(n: number): { low: number; high: number } {
    return { low: this.redirLow[n]!, high: this.redirHigh[n]! };
  }

  // ------------------------------------------------------------------------------------------
  // MMIO

  read(offset: number, size: AccessSize): number {
    let v: number;
    if (offset === 0x00) v = this.ioregsel;
    else if (offset >= 0x10 && offset < 0x14) v = this.readIndirect(this.ioregsel) >>> ((offset - 0x10) * 8);
    else return 0;
    return size === 4 ? v >>> 0 : size === 2 ? v & 0xffff : v & 0xff;
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (offset === 0x00) this.ioregsel = value & 0xff;
    else if (offset === 0x10 && size === 4) this.writeIndirect(this.ioregsel, value >>> 0);
  }

  private readIndirect(index: number): number {
    switch (index) {
      case 0:
        return (this.id << 24) >>> 0;
      case 1:
        return IOAPIC_VERSION;
      case 2:
        return (this.id << 24) >>> 0;
    }
    if (index >= 0x10 && index < 0x10 + 2 * IOAPIC_PINS) {
      const n = (index - 0x10) >> 1;
      return (index & 1) === 0 ? this.redirLow[n]! : this.redirHigh[n]!;
    }
    return 0;
  }

  private writeIndirect(index: number, value: number): void {
    if (index === 0) {
      this.id = (value >>> 24) & 0xf;
      return;
    }
    if (index < 0x10 || index >= 0x10 + 2 * IOAPIC_PINS) return;
    const n = (index - 0x10) >> 1;
    if ((index & 1) === 1) {
      this.redirHigh[n] = (value & 0xff000000) >>> 0;
      return;
    }
    const old = this.redirLow[n]!;
    let v = (old & ~REDIR_LOW_WRITABLE) | (value & REDIR_LOW_WRITABLE);
    if ((v & REDIR_LEVEL) === 0) v &= ~REDIR_REMOTE_IRR;
    this.redirLow[n] = v >>> 0;
    if ((v & (REDIR_MASKED | REDIR_LEVEL | REDIR_REMOTE_IRR)) === REDIR_LEVEL && this.level[n] === 1) this.service(n);
  }

  // ------------------------------------------------------------------------------------------
  // Pins and delivery

  private setPin(n: number, l: 0 | 1): void {
    const prev = this.level[n]!;
    this.level[n] = l;
    const e = this.redirLow[n]!;
    if ((e & REDIR_MASKED) !== 0 || l === 0) return;
    if ((e & REDIR_LEVEL) !== 0) {
      if ((e & REDIR_REMOTE_IRR) === 0) this.service(n);
    } else if (prev === 0) {
      this.service(n);
    }
  }

  /** Send the message of entry `n`. */
  private service(n: number): void {
    const t = this.target;
    if (t === undefined) return;
    const e = this.redirLow[n]!;
    const dest = this.redirHigh[n]! >>> 24;
    const logical = (e & 0x800) !== 0;
    if (t.acceptsDestination !== undefined && !t.acceptsDestination(dest, logical)) return;
    const level = (e & REDIR_LEVEL) !== 0;
    switch ((e >>> 8) & 7) {
      case 0: // fixed
      case 1: // lowest priority
        if (t.deliver(e & 0xff, level) !== false && level) this.redirLow[n] = (e | REDIR_REMOTE_IRR) >>> 0;
        break;
      case 2:
        this.smiCount++;
        break;
      case 4:
        if (t.deliverNmi) t.deliverNmi();
        break;
      case 5:
        if (t.deliverInit) t.deliverInit();
        break;
      case 7:
        if (t.deliverExtInt) t.deliverExtInt();
        break;
    }
  }

  /** EOI broadcast for `vector` from a local APIC: clear remote IRR, re-deliver asserted pins. */
  eoi(vector: number): void {
    for (let n = 0; n < IOAPIC_PINS; n++) {
      const e = this.redirLow[n]!;
      if ((e & 0xff) !== (vector & 0xff) || (e & REDIR_REMOTE_IRR) === 0) continue;
      this.redirLow[n] = (e & ~REDIR_REMOTE_IRR) >>> 0;
      if ((e & (REDIR_MASKED | REDIR_LEVEL)) === REDIR_LEVEL && this.level[n] === 1) this.service(n);
    }
  }

  saveState(): DeviceState {
    return {
      ioregsel: this.ioregsel,
      id: this.id,
      redirLow: Array.from(this.redirLow),
      redirHigh: Array.from(this.redirHigh),
      level: Array.from(this.level),
      smiCount: this.smiCount,
    };
  }

  loadState(s: DeviceState): void {
    this.ioregsel = s['ioregsel'] as number;
    this.id = s['id'] as number;
    this.redirLow.set(s['redirLow'] as number[]);
    this.redirHigh.set(s['redirHigh'] as number[]);
    this.level.set(s['level'] as number[]);
    this.smiCount = s['smiCount'] as number;
  }
}
