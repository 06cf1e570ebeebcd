/**
 * Intel 8254 programmable interval timer at ports 0x40-0x43, clocked at 1.193182 MHz derived from
 * the virtual clock (tick = floor(now_ns * 1193182 / 1e9), computed exactly in integers).
 *
 * Models (8254 datasheet): modes 0-5 with their OUT waveforms, binary and BCD counting, LSB / MSB /
 * LSB-then-MSB access, the counter-latch command, the read-back command (status byte with OUT and
 * NULL COUNT, and count latch), and the GATE input per mode (0/4: gate low pauses counting;
 * 1/5: rising edge triggers; 2/3: low stops and forces OUT high, rising edge reloads). Channel 0's
 * OUT drives IRQ0 through an IrqLine, from a clock timer armed at the next OUT transition (no
 * polling); transitions are delivered in order even when the timer runs late. Channels 0 and 1
 * have GATE tied high; channel 2's gate is driven by port 0x61 (see port61.ts).
 *
 * Simplifications, all as QEMU's hw/timer/i8254.c: a count takes effect immediately when written
 * (the real part loads it on the next CLK edge, so OUT transitions here are one tick early);
 * writing a new count in modes 2/3 restarts the period at once instead of at the end of the
 * current one; mode 3 with an odd count uses QEMU's counter-value approximation. A new count
 * written while a mode 1/5 one-shot is running applies to the running cycle.
 *
 * Does not model: the 8253's differences, CLK inputs other than 1.193182 MHz.
 */
import type { Device, DeviceState, IrqLine, RegionOps } from './device.js';
import type { VirtualClock, Timer } from '../machine/clock.js';
import type { AccessSize } from '../memory/types.js';
import type { IoRegionSpec } from '../memory/io-space.js';

/** PIT input clock in Hz. */
export const PIT_FREQ = 1193182;
const NS_PER_S = 1e9;

/** Virtual ns -> PIT ticks since time 0 (exact for any ns < 2^53). */
export function nsToPitTicks(ns: number): number {
  ns = Math.floor(ns);
  const sec = (ns - (ns % NS_PER_S)) / NS_PER_S;
  const x = (ns - sec * NS_PER_S) * PIT_FREQ;
  return sec * PIT_FREQ + (x - (x % NS_PER_S)) / NS_PER_S;
}

/** The first virtual ns at which the tick count has reached `t`. */
export function pitTicksToNs(t: number): number {
  const sec = (t - (t % PIT_FREQ)) / PIT_FREQ;
  const r = t - sec * PIT_FREQ;
  return sec * NS_PER_S + Math.ceil((r * NS_PER_S) / PIT_FREQ);
}

const enum Phase {
  /** Control word written, waiting for a count. */
  NoCount = 0,
  /** Count written, waiting for a gate trigger (modes 1/5) or for gate high (modes 2/3). */
  WaitGate = 1,
  Running = 2,
  /** Modes 0/4 with gate low: counting suspended at `frozenD`. */
  Paused = 3,
}

class Channel {
  mode = 0;
  /** Mode bits as written (6 and 7 read back as written). */
  modeBits = 0;
  bcd = 0;
  /** 1 = LSB, 2 = MSB, 3 = LSB then MSB. */
  rwMode = 3;
  /** Reload value in ticks: 1..65536 (binary) or 1..10000 (BCD). */
  count = 0x10000;
  phase: Phase = Phase.NoCount;
  startTick = 0;
  frozenD = 0;
  gate = 1;
  nullCount = 1;
  writeHi = 0;
  writeLatch = 0;
  readHi = 0;
  /** 0 none, 1 LSB pending, 2 MSB pending, 3 LSB then MSB, 4 MSB after LSB. */
  latchState = 0;
  latchedCount = 0;
  statusLatched = 0;
  status = 0;

  /** Ticks elapsed in the current count, or -1 if not counting. */
  elapsed(nowTick: number): number {
    if (this.phase === Phase.Running) return nowTick - this.startTick;
    if (this.phase === Phase.Paused) return this.frozenD;
    return -1;
  }

  outAt(d: number): number {
    const c = this.count;
    switch (this.mode) {
      case 0:
      case 1:
        return d >= c ? 1 : 0;
      case 2:
        return d % c === c - 1 ? 0 : 1;
      case 3:
        return d % c < (c + 1) >> 1 ? 1 : 0;
      default: // 4, 5: one-tick low strobe at terminal count
        return d === c ? 0 : 1;
    }
  }

  out(nowTick: number): number {
    const d = this.elapsed(nowTick);
    if (d < 0) return this.phase === Phase.NoCount && this.mode === 0 ? 0 : 1;
    return this.outAt(d);
  }

  /** Elapsed-tick value of the next OUT change after `d`, or -1 if OUT is now constant. */
  nextTransition(d: number): number {
    const c = this.count;
    switch (this.mode) {
      case 0:
      case 1:
        return d < c ? c : -1;
      case 2: {
        if (c < 2) return -1;
        const base = d - (d % c);
        return d % c < c - 1 ? base + c - 1 : base + c;
      }
      case 3: {
        if (c < 2) return -1;
        const base = d - (d % c);
        const half = (c + 1) >> 1;
        return d % c < half ? base + half : base + c;
      }
      default:
        return d < c ? c : d === c ? c + 1 : -1;
    }
  }

  /** The counting element's value (binary, before BCD encoding). */
  counter(nowTick: number): number {
    const d = this.elapsed(nowTick);
    const c = this.count;
    if (d < 0) return c;
    const mod = this.bcd ? 10000 : 0x10000;
    switch (this.mode) {
      case 2:
        return c - (d % c);
      case 3:
        return c - ((2 * d) % c);
      default:
        return (((c - d) % mod) + mod) % mod;
    }
  }

  /** Counter value as read: 16 bits, BCD-encoded if in BCD mode. */
  readValue(nowTick: number): number {
    const v = this.counter(nowTick);
    if (!this.bcd) return v & 0xffff;
    const b = v % 10000;
    return ((b / 1000) | 0) * 0x1000 + (((b / 100) | 0) % 10) * 0x100 + (((b / 10) | 0) % 10) * 0x10 + (b % 10);
  }
}

const KEYS = [
  'mode', 'modeBits', 'bcd', 'rwMode', 'count', 'phase', 'startTick', 'frozenD', 'gate', 'nullCount',
  'writeHi', 'writeLatch', 'readHi', 'latchState', 'latchedCount', 'statusLatched', 'status',
] as const;

export interface Pit8254Options {
  clock: VirtualClock;
  /** Channel 0 OUT (IRQ0 on the PC). */
  irq0?: IrqLine;
  /** Instance name (default "pit8254"). */
  name?: string;
}

export class Pit8254 implements Device, RegionOps {
  readonly name: string;
  private readonly clock: VirtualClock;
  private readonly irq0: IrqLine | undefined;
  private readonly ch: [Channel, Channel, Channel] = [new Channel(), new Channel(), new Channel()];
  private readonly timer0: Timer;
  /** Tick of the transition the channel 0 timer is armed for. */
  private nextTick0 = 0;

  constructor(opts: Pit8254Options) {
    this.name = opts.name ?? 'pit8254';
    this.clock = opts.clock;
    this.irq0 = opts.irq0;
    this.timer0 = this.clock.createTimer(`${this.name}.ch0`, () => this.onTimer0());
    this.reset();
  }

  /** Default port mapping: 0x40-0x43, byte-wide. */
  ioRegions(): IoRegionSpec[] {
    return [{ base: 0x40, count: 4, ops: this, name: this.name, maxSize: 1 }];
  }

  private nowTick(): number {
    return nsToPitTicks(this.clock.now());
  }

  read(offset: number, _size: AccessSize): number {
    const n = offset & 3;
    if (n === 3) return 0xff; // control word register is write-only
    const c = this.ch[n]!;
    if (c.statusLatched) {
      c.statusLatched = 0;
      return c.status;
    }
    switch (c.latchState) {
      case 1:
        c.latchState = 0;
        return c.latchedCount & 0xff;
      case 2:
        c.latchState = 0;
        return c.latchedCount >>> 8;
      case 3:
        c.latchState = 4;
        return c.latchedCount & 0xff;
      case 4:
        c.latchState = 0;
        return c.latchedCount >>> 8;
    }
    const v = c.readValue(this.nowTick());
    switch (c.rwMode) {
      case 0: // no control word since reset: QEMU reads the LSB
      case 1:
        return v & 0xff;
      case 2:
        return v >>> 8;
      default:
        c.readHi ^= 1;
        return c.readHi ? v & 0xff : v >>> 8;
    }
  }

  write(offset: number, _size: AccessSize, value: number): void {
    const n = offset & 3;
    value &= 0xff;
    if (n === 3) {
      this.writeControl(value);
      return;
    }
    const c = this.ch[n]!;
    switch (c.rwMode) {
      case 0: // no control word written since reset: ignored (QEMU)
        break;
      case 1:
        this.loadCount(n, value);
        break;
      case 2:
        this.loadCount(n, value << 8);
        break;
      default:
        if (!c.writeHi) {
          c.writeLatch = value;
          c.writeHi = 1;
          if (c.mode === 0) {
            // Mode 0: writing the first byte stops counting and drives OUT low.
            c.phase = Phase.NoCount;
            c.nullCount = 1;
            if (n === 0) this.updateOut0();
          }
        } else {
          c.writeHi = 0;
          this.loadCount(n, c.writeLatch | (value << 8));
        }
    }
  }

  /**
   * Control word (port 0x43):
   *   bits 7:6 SC   channel 0-2; 3 = read-back
   *   bits 5:4 RW   0 = counter latch, 1 = LSB, 2 = MSB, 3 = LSB then MSB
   *   bits 3:1 M    mode 0-5 (6, 7 = modes 2, 3)
   *   bit  0   BCD
   * Read-back: bit 5 = 0 latch count, bit 4 = 0 latch status, bits 3:1 = channels 2, 1, 0.
   * Status byte: bit 7 OUT, bit 6 NULL COUNT, bits 5:0 as the control word's RW, M, BCD.
   */
  private writeControl(v: number): void {
    const sel = v >> 6;
    if (sel === 3) {
      // Read-back: bit 5 = !COUNT, bit 4 = !STATUS, bits 3..1 select channels 2..0.
      const now = this.nowTick();
      for (let i = 0; i < 3; i++) {
        if (!(v & (2 << i))) continue;
        const c = this.ch[i]!;
        if (!(v & 0x20)) this.latchCount(c, now);
        if (!(v & 0x10) && !c.statusLatched) {
          c.status = (c.out(now) << 7) | (c.nullCount << 6) | (c.rwMode << 4) | (c.modeBits << 1) | c.bcd;
          c.statusLatched = 1;
        }
      }
      return;
    }
    const c = this.ch[sel]!;
    const rw = (v >> 4) & 3;
    if (rw === 0) {
      this.latchCount(c, this.nowTick());
      return;
    }
    c.rwMode = rw;
    c.modeBits = (v >> 1) & 7;
    c.mode = c.modeBits > 5 ? c.modeBits - 4 : c.modeBits;
    c.bcd = v & 1;
    c.phase = Phase.NoCount;
    c.nullCount = 1;
    c.writeHi = 0;
    c.readHi = 0;
    c.latchState = 0;
    c.statusLatched = 0;
    if (sel === 0) this.updateOut0();
  }

  private latchCount(c: Channel, now: number): void {
    if (c.latchState !== 0) return; // a second latch before reading is ignored
    c.latchedCount = c.readValue(now);
    c.latchState = c.rwMode === 3 ? 3 : c.rwMode;
  }

  private loadCount(n: number, raw: number): void {
    const c = this.ch[n]!;
    let count: number;
    if (c.bcd) {
      const dec = (raw >> 12) * 1000 + ((raw >> 8) & 15) * 100 + ((raw >> 4) & 15) * 10 + (raw & 15);
      count = dec === 0 ? 10000 : dec;
    } else {
      count = raw === 0 ? 0x10000 : raw;
    }
    c.count = count;
    c.nullCount = 0;
    const now = this.nowTick();
    switch (c.mode) {
      case 0:
      case 4:
        if (c.gate) {
          c.phase = Phase.Running;
          c.startTick = now;
        } else {
          c.phase = Phase.Paused;
          c.frozenD = 0;
        }
        break;
      case 2:
      case 3:
        if (c.gate) {
          c.phase = Phase.Running;
          c.startTick = now;
        } else {
          c.phase = Phase.WaitGate;
        }
        break;
      default: // 1, 5: wait for a gate trigger
        if (c.phase === Phase.NoCount) c.phase = Phase.WaitGate;
        break;
    }
    if (n === 0) this.updateOut0();
  }

  /** GATE input of channel n (only channel 2's is wired on the PC, via port 0x61). */
  setGate(n: number, level: 0 | 1): void {
    const c = this.ch[n];
    if (c === undefined || c.gate === level) return;
    c.gate = level;
    const now = this.nowTick();
    switch (c.mode) {
      case 0:
      case 4:
        if (!level && c.phase === Phase.Running) {
          c.phase = Phase.Paused;
          c.frozenD = now - c.startTick;
        } else if (level && c.phase === Phase.Paused) {
          c.phase = Phase.Running;
          c.startTick = now - c.frozenD;
        }
        break;
      case 2:
      case 3:
        if (!level && c.phase === Phase.Running) c.phase = Phase.WaitGate;
        else if (level && c.phase === Phase.WaitGate) {
          c.phase = Phase.Running;
          c.startTick = now;
        }
        break;
      default:
        if (level && c.phase !== Phase.NoCount) {
          c.phase = Phase.Running;
          c.startTick = now;
        }
        break;
    }
    if (n === 0) this.updateOut0();
  }

  getGate(n: number): 0 | 1 {
    return this.ch[n]!.gate ? 1 : 0;
  }

  /** OUT of channel n at the current virtual time. */
  getOut(n: number): 0 | 1 {
    return this.ch[n]!.out(this.nowTick()) ? 1 : 0;
  }

  /** Counter n's current value as a read would return it (no side effects). */
  peekCount(n: number): number {
    return this.ch[n]!.readValue(this.nowTick());
  }

  /** Channel 0 changed: drive IRQ0 to OUT now and arm the timer at the next transition. */
  private updateOut0(): void {
    const c = this.ch[0];
    const now = this.nowTick();
    if (this.irq0) this.irq0.set(c.out(now) ? 1 : 0);
    this.arm0(c, c.elapsed(now));
  }

  private arm0(c: Channel, d: number): void {
    if (this.irq0 === undefined || c.phase !== Phase.Running) {
      this.timer0.disarm();
      return;
    }
    const next = c.nextTransition(d);
    if (next < 0) {
      this.timer0.disarm();
      return;
    }
    this.nextTick0 = c.startTick + next;
    this.timer0.arm(pitTicksToNs(this.nextTick0));
  }

  private onTimer0(): void {
    const c = this.ch[0];
    if (c.phase !== Phase.Running) return;
    // Evaluate at the transition's own tick so that every edge is delivered, in order.
    const d = this.nextTick0 - c.startTick;
    this.irq0!.set(c.outAt(d) ? 1 : 0);
    this.arm0(c, d);
  }

  /**
   * The datasheet leaves the power-on state undefined; like QEMU's pit_reset every channel starts
   * in mode 3 with count 65536 loaded, so channel 0 ticks IRQ0 at 18.2 Hz until programmed
   * (channel 2 waits for its gate).
   */
  reset(): void {
    const now = this.nowTick();
    for (let i = 0; i < 3; i++) {
      const c = this.ch[i]!;
      c.mode = 3;
      c.modeBits = 3;
      c.bcd = 0;
      c.rwMode = 0; // as QEMU: no access mode until a control word is written
      c.count = 0x10000;
      c.gate = i === 2 ? 0 : 1;
      c.phase = c.gate ? Phase.Running : Phase.WaitGate;
      c.startTick = now;
      c.frozenD = 0;
      c.nullCount = 0;
      c.writeHi = 0;
      c.writeLatch = 0;
      c.readHi = 0;
      c.latchState = 0;
      c.latchedCount = 0;
      c.statusLatched = 0;
      c.status = 0;
    }
    this.updateOut0();
  }

  saveState(): DeviceState {
    return {
      channels: this.ch.map((c) => {
        const o: { [k: string]: number } = {};
        for (const k of KEYS) o[k] = c[k];
        return o;
      }),
      nextTick0: this.nextTick0,
    };
  }

  loadState(state: DeviceState): void {
    const chans = (state.channels ?? []) as { [k: string]: unknown }[];
    for (let i = 0; i < 3; i++) {
      const s = chans[i] ?? {};
      const c = this.ch[i]! as unknown as { [k: string]: number };
      for (const k of KEYS) if (typeof s[k] === 'number') c[k] = s[k] as number;
    }
    const c = this.ch[0];
    const now = this.nowTick();
    if (this.irq0) this.irq0.set(c.out(now) ? 1 : 0);
    this.arm0(c, c.elapsed(now));
  }
}
