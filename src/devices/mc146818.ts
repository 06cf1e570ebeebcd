/**
 * Motorola MC146818A real-time clock with 128 bytes of CMOS RAM, at ports 0x70 (index; bit 7 =
 * NMI mask, as on the PC) and 0x71 (data), interrupt on IRQ 8.
 *
 * Time is the configured start date (default 2000-01-01 00:00:00 UTC, for determinism) plus the
 * virtual clock: seconds = start + floor((now - base) / 1 s). Registers 0-9 and the century byte
 * 0x32 are computed from that on every read, in BCD or binary (register B DM) and 12 or 24 hour
 * format (register B 24/12, PM flag in hour bit 7). Writes to them set the time; while register B
 * SET is 1 the clock is frozen and no update cycles run (the guest sets the time, then clears SET).
 *
 * Interrupts (register C flags, IRQF = OR of enabled flags, IRQ 8 held high until C is read,
 * C cleared on read):
 *   PF  periodic, rate from register A RS3-0 (RS=1,2 -> 3.90625/7.8125 ms, RS=n>=3 -> 2^(n-1)/32768 s),
 *       boundaries aligned to virtual time 0; a timer runs only while PIE is set, otherwise PF
 *       is derived when C is read
 *   UF  update-ended, once per second (a 1 Hz virtual-clock timer)
 *   AF  alarm: seconds/minutes/hours match registers 1/3/5 after an update; 0xC0-0xFF = don't care
 * UIP (register A bit 7) reads 1 during the last 244 us before each update.
 *
 * CMOS bytes 0x0E-0x7F are plain NVRAM; `setMemorySize` fills the memory-size bytes exactly as
 * QEMU's pc_cmos_init does, the machine sets the rest with `setByte`.
 *
 * Does not model: the divider chain (register A DV bits are stored; time always runs), daylight
 * saving (DSE stored, ignored), the SQW output, register D VRT ever being 0; day-of-week is
 * computed from the date (writes to register 6 are ignored); changing DM/24-12 reformats the
 * registers instead of leaving them garbled as the real part does.
 */
import type { Device, DeviceState, IrqLine, RegionOps } from './device.js';
import type { VirtualClock, Timer } from '../machine/clock.js';
import type { AccessSize } from '../memory/types.js';
import type { IoRegionSpec } from '../memory/io-space.js';

/** CMOS offsets the PC firmware reads (QEMU hw/i386/pc.c). */
export const CMOS = {
  SECONDS: 0x00, SECONDS_ALARM: 0x01, MINUTES: 0x02, MINUTES_ALARM: 0x03, HOURS: 0x04,
  HOURS_ALARM: 0x05, DAY_OF_WEEK: 0x06, DAY_OF_MONTH: 0x07, MONTH: 0x08, YEAR: 0x09,
  REG_A: 0x0a, REG_B: 0x0b, REG_C: 0x0c, REG_D: 0x0d,
  SHUTDOWN_STATUS: 0x0f, FLOPPY_TYPES: 0x10, EQUIPMENT: 0x14,
  BASE_MEM_LO: 0x15, BASE_MEM_HI: 0x16, EXT_MEM_LO: 0x17, EXT_MEM_HI: 0x18,
  CHECKSUM_HI: 0x2e, CHECKSUM_LO: 0x2f, EXT_MEM2_LO: 0x30, EXT_MEM2_HI: 0x31, CENTURY: 0x32,
  MEM_ABOVE_16M_LO: 0x34, MEM_ABOVE_16M_HI: 0x35, BOOT_FLAGS2: 0x38, BOOT_FLAGS1: 0x3d,
  MEM_ABOVE_4G_LO: 0x5b, MEM_ABOVE_4G_MID: 0x5c, MEM_ABOVE_4G_HI: 0x5d,
} as const;

/*
 * Register A: bit 7 UIP (read-only), bits 6:4 DV divider, bits 3:0 RS rate select.
 * Register B: bit 7 SET, 6 PIE, 5 AIE, 4 UIE, 3 SQWE, 2 DM (1 = binary), 1 24/12 (1 = 24 h), 0 DSE.
 * Register C: bit 7 IRQF, 6 PF, 5 AF, 4 UF (read-only, cleared on read).
 * Register D: bit 7 VRT (valid RAM and time, always 1 here).
 */
const REG_A_UIP = 0x80;
const REG_B_SET = 0x80;
const REG_B_PIE = 0x40;
const REG_B_AIE = 0x20;
const REG_B_UIE = 0x10;
const REG_B_DM = 0x04;
const REG_B_24H = 0x02;
const REG_C_IRQF = 0x80;
const REG_C_PF = 0x40;
const REG_C_AF = 0x20;
const REG_C_UF = 0x10;

const NS = 1e9;
const UIP_NS = 244000;
const RTC_HZ = 32768;

/** A calendar date-time (UTC). */
export interface RtcDate {
  year: number;
  month: number; // 1-12
  day: number; // 1-31
  hour?: number;
  minute?: number;
  second?: number;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Inverse of daysFromCivil. */
export function civilFromDays(z: number): { year: number; month: number; day: number } {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Unix seconds of a date. */
export function rtcDateToSeconds(d: RtcDate): number {
  return daysFromCivil(d.year, d.month, d.day) * 86400 + (d.hour ?? 0) * 3600 + (d.minute ?? 0) * 60 + (d.second ?? 0);
}

/** Virtual ns -> 32.768 kHz ticks, exact. */
function rtcTicks(ns: number): number {
  ns = Math.floor(ns);
  const sec = (ns - (ns % NS)) / NS;
  const x = (ns - sec * NS) * RTC_HZ;
  return sec * RTC_HZ + (x - (x % NS)) / NS;
}

function rtcTicksToNs(t: number): number {
  const sec = (t - (t % RTC_HZ)) / RTC_HZ;
  return sec * NS + Math.ceil(((t - sec * RTC_HZ) * NS) / RTC_HZ);
}

export interface Mc146818Options {
  clock: VirtualClock;
  /** IRQ 8. */
  irq?: IrqLine;
  /** Time at virtual time 0: Unix seconds or a date (default 2000-01-01 00:00:00). */
  start?: number | RtcDate;
  /** Same as a numeric `start` (Unix seconds); `start` wins if both are given. */
  epochSeconds?: number;
  name?: string;
}

export class Mc146818 implements Device, RegionOps {
  readonly name: string;
  private readonly clock: VirtualClock;
  private readonly irq: IrqLine | undefined;
  private readonly startSeconds: number;
  private readonly cmos = new Uint8Array(128);
  private readonly updateTimer: Timer;
  private readonly periodicTimer: Timer;

  private index = 0;
  private nmiMaskedFlag = false;
  /** RTC seconds at virtual time baseNs. */
  private baseSeconds = 0;
  private baseNs = 0;
  /** Time while SET is 1. */
  private frozenSeconds = 0;
  private regA = 0x26;
  private regB = REG_B_24H;
  private regC = 0;
  /** 32 kHz tick of the last PF evaluation. */
  private pfTick = 0;
  private irqLevel = 0;
  // Scratch for field decoding (no allocation per access).
  private readonly f = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, dow: 0 };

  constructor(opts: Mc146818Options) {
    this.name = opts.name ?? 'mc146818';
    this.clock = opts.clock;
    this.irq = opts.irq;
    const s = opts.start ?? opts.epochSeconds ?? { year: 2000, month: 1, day: 1 };
    this.startSeconds = typeof s === 'number' ? Math.floor(s) : rtcDateToSeconds(s);
    this.updateTimer = this.clock.createTimer(`${this.name}.update`, () => this.onUpdate());
    this.periodicTimer = this.clock.createTimer(`${this.name}.periodic`, () => this.onPeriodic());
    this.baseSeconds = this.startSeconds;
    this.baseNs = 0;
    this.reset();
  }

  ioRegions(): IoRegionSpec[] {
    return [{ base: 0x70, count: 2, ops: this, name: this.name, maxSize: 1 }];
  }

  /** NMI mask bit (port 0x70 bit 7) as last written. */
  get nmiMasked(): boolean {
    return this.nmiMaskedFlag;
  }

  // ---- machine-side CMOS API -----------------------------------------------------------------

  /** Raw NVRAM byte (time and status registers read as the guest would see them, without side effects). */
  getByte(i: number): number {
    i &= 0x7f;
    if (i <= 9 || i === CMOS.CENTURY) return this.readTime(i);
    if (i === CMOS.REG_A) return this.regA | (this.uip() ? REG_A_UIP : 0);
    if (i === CMOS.REG_B) return this.regB;
    if (i === CMOS.REG_C) return this.regC;
    if (i === CMOS.REG_D) return 0x80;
    return this.cmos[i]!;
  }

  /** Set an NVRAM byte (0x0E-0x7F; the clock registers are not settable this way). */
  setByte(i: number, v: number): void {
    i &= 0x7f;
    if (i < 0x0e || i === CMOS.CENTURY) return;
    this.cmos[i] = v;
  }

  /**
   * The memory-size bytes, as QEMU pc_cmos_init computes them. A plain number is the total RAM
   * size, split as QEMU's i440FX board does: at most 3.5 GiB (0xE0000000) below 4 GiB, the rest above.
   */
  setMemorySize(sizes: number | { below4g: number; above4g?: number }): void {
    const KiB = 1024;
    const MiB = 1024 * KiB;
    if (typeof sizes === 'number') {
      const below4g = Math.min(sizes, 0xe0000000);
      sizes = { below4g, above4g: sizes - below4g };
    }
    const below = sizes.below4g;
    let val = Math.min(Math.floor(below / KiB), 640);
    this.cmos[0x15] = val;
    this.cmos[0x16] = val >> 8;
    val = below > MiB ? Math.min(Math.floor((below - MiB) / KiB), 65535) : 0;
    this.cmos[0x17] = val;
    this.cmos[0x18] = val >> 8;
    this.cmos[0x30] = val;
    this.cmos[0x31] = val >> 8;
    val = below > 16 * MiB ? Math.min(Math.floor((below - 16 * MiB) / (64 * KiB)), 65535) : 0;
    this.cmos[0x34] = val;
    this.cmos[0x35] = val >> 8;
    val = Math.floor((sizes.above4g ?? 0) / 65536);
    this.cmos[0x5b] = val;
    this.cmos[0x5c] = val >> 8;
    this.cmos[0x5d] = val >> 16;
  }

  /** Standard AT checksum of bytes 0x10-0x2D into 0x2E (high) / 0x2F (low). */
  updateChecksum(): void {
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += this.cmos[i]!;
    this.cmos[0x2e] = sum >> 8;
    this.cmos[0x2f] = sum;
  }

  /** Current RTC time in Unix seconds. */
  seconds(): number {
    if (this.regB & REG_B_SET) return this.frozenSeconds;
    return this.baseSeconds + Math.floor((this.clock.now() - this.baseNs) / NS);
  }

  // ---- guest side ----------------------------------------------------------------------------

  read(offset: number, _size: AccessSize): number {
    if ((offset & 1) === 0) return 0xff;
    const i = this.index;
    if (i === CMOS.REG_C) {
      this.derivePf();
      const v = this.regC;
      this.regC = 0;
      this.setIrq(0);
      return v;
    }
    return this.getByte(i);
  }

  write(offset: number, _size: AccessSize, value: number): void {
    const v = value & 0xff;
    if ((offset & 1) === 0) {
      this.index = v & 0x7f;
      this.nmiMaskedFlag = (v & 0x80) !== 0;
      return;
    }
    const i = this.index;
    if (i <= 9 || i === CMOS.CENTURY) {
      this.writeTime(i, v);
      return;
    }
    switch (i) {
      case CMOS.REG_A: {
        const oldRate = this.regA & 0x0f;
        this.regA = v & 0x7f;
        if ((v & 0x0f) !== oldRate) {
          this.pfTick = rtcTicks(this.clock.now());
          this.armPeriodic();
        }
        return;
      }
      case CMOS.REG_B: {
        let nv = v;
        const wasSet = this.regB & REG_B_SET;
        if (nv & REG_B_SET) {
          nv &= ~REG_B_UIE; // datasheet: SET clears UIE
          if (!wasSet) this.frozenSeconds = this.seconds();
        } else if (wasSet) {
          this.baseSeconds = this.frozenSeconds;
          this.baseNs = this.clock.now();
        }
        this.regB = nv;
        this.armUpdate();
        this.armPeriodic();
        this.updateIrqf();
        return;
      }
      case CMOS.REG_C:
      case CMOS.REG_D:
        return; // read-only
      default:
        this.cmos[i] = v;
    }
  }

  // ---- time registers ------------------------------------------------------------------------

  private fields(secs: number): void {
    const f = this.f;
    const days = Math.floor(secs / 86400);
    const sod = secs - days * 86400;
    const c = civilFromDays(days);
    f.year = c.year;
    f.month = c.month;
    f.day = c.day;
    f.hour = Math.floor(sod / 3600);
    f.minute = Math.floor((sod % 3600) / 60);
    f.second = sod % 60;
    f.dow = (((days + 4) % 7) + 7) % 7 + 1; // 1 = Sunday; 1970-01-01 was a Thursday
  }

  private enc(v: number): number {
    return this.regB & REG_B_DM ? v : ((v / 10) | 0) * 16 + (v % 10);
  }

  private dec(v: number): number {
    return this.regB & REG_B_DM ? v : (v >> 4) * 10 + (v & 15);
  }

  private encHour(h: number): number {
    if (this.regB & REG_B_24H) return this.enc(h);
    return this.enc(h % 12 || 12) | (h >= 12 ? 0x80 : 0);
  }

  private decHour(v: number): number {
    if (this.regB & REG_B_24H) return this.dec(v);
    return (this.dec(v & 0x7f) % 12) + (v & 0x80 ? 12 : 0);
  }

  private readTime(i: number): number {
    if (i === 1 || i === 3 || i === 5) return this.cmos[i]!;
    this.fields(this.seconds());
    const f = this.f;
    switch (i) {
      case 0: return this.enc(f.second);
      case 2: return this.enc(f.minute);
      case 4: return this.encHour(f.hour);
      case 6: return this.enc(f.dow);
      case 7: return this.enc(f.day);
      case 8: return this.enc(f.month);
      case 9: return this.enc(f.year % 100);
      default: return this.enc(Math.floor(f.year / 100)); // century
    }
  }

  private writeTime(i: number, v: number): void {
    if (i === 1 || i === 3 || i === 5) {
      this.cmos[i] = v;
      return;
    }
    if (i === 6) return;
    const now = this.clock.now();
    this.fields(this.seconds());
    const f = this.f;
    switch (i) {
      case 0: f.second = this.dec(v); break;
      case 2: f.minute = this.dec(v); break;
      case 4: f.hour = this.decHour(v); break;
      case 7: f.day = this.dec(v); break;
      case 8: f.month = this.dec(v); break;
      case 9: f.year = Math.floor(f.year / 100) * 100 + this.dec(v); break;
      default: f.year = this.dec(v) * 100 + (f.year % 100); break;
    }
    const secs = rtcDateToSeconds(f);
    if (this.regB & REG_B_SET) {
      this.frozenSeconds = secs;
    } else {
      // Keep the sub-second phase: the next update comes when it would have.
      this.baseSeconds = secs;
      this.baseNs = now - ((((now - this.baseNs) % NS) + NS) % NS);
      this.armUpdate();
    }
  }

  private uip(): boolean {
    if (this.regB & REG_B_SET) return false;
    const frac = (((this.clock.now() - this.baseNs) % NS) + NS) % NS;
    return frac >= NS - UIP_NS;
  }

  // ---- interrupts ----------------------------------------------------------------------------

  /** Period of the periodic interrupt in 32.768 kHz ticks (0 = off). */
  private periodTicks(): number {
    const rs = this.regA & 0x0f;
    if (rs === 0) return 0;
    return rs <= 2 ? 1 << (rs + 6) : 1 << (rs - 1);
  }

  private derivePf(): void {
    const p = this.periodTicks();
    const t = rtcTicks(this.clock.now());
    if (p !== 0 && Math.floor(t / p) > Math.floor(this.pfTick / p)) this.regC |= REG_C_PF;
    this.pfTick = t;
    this.updateIrqf();
  }

  private armPeriodic(): void {
    const p = this.periodTicks();
    if (p === 0 || !(this.regB & REG_B_PIE)) {
      this.periodicTimer.disarm();
      return;
    }
    const t = rtcTicks(this.clock.now());
    this.periodicTimer.arm(rtcTicksToNs((Math.floor(t / p) + 1) * p));
  }

  private onPeriodic(): void {
    this.regC |= REG_C_PF;
    this.pfTick = rtcTicks(this.clock.now());
    this.updateIrqf();
    this.armPeriodic();
  }

  private armUpdate(): void {
    if (this.regB & REG_B_SET) {
      this.updateTimer.disarm();
      return;
    }
    const now = this.clock.now();
    const k = Math.floor((now - this.baseNs) / NS) + 1;
    this.updateTimer.arm(this.baseNs + k * NS);
  }

  private onUpdate(): void {
    if (this.regB & REG_B_SET) return;
    this.regC |= REG_C_UF;
    this.fields(this.seconds());
    const f = this.f;
    const a = this.cmos;
    const match = (alarm: number, cur: number) => (alarm & 0xc0) === 0xc0 || alarm === cur;
    if (match(a[1]!, this.enc(f.second)) && match(a[3]!, this.enc(f.minute)) && match(a[5]!, this.encHour(f.hour))) {
      this.regC |= REG_C_AF;
    }
    this.updateIrqf();
    this.armUpdate();
  }

  private updateIrqf(): void {
    const c = this.regC;
    const b = this.regB;
    const on = (c & REG_C_PF && b & REG_B_PIE) || (c & REG_C_AF && b & REG_B_AIE) || (c & REG_C_UF && b & REG_B_UIE);
    if (on) {
      this.regC |= REG_C_IRQF;
      this.setIrq(1);
    }
  }

  private setIrq(level: 0 | 1): void {
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    if (this.irq) this.irq.set(level);
  }

  reset(): void {
    // Per datasheet RESET clears PIE/AIE/UIE/SQWE and the C flags; time and NVRAM persist.
    this.regB &= ~(REG_B_PIE | REG_B_AIE | REG_B_UIE | 0x08);
    this.regC = 0;
    this.index = 0;
    this.nmiMaskedFlag = false;
    this.setIrq(0);
    this.armUpdate();
    this.armPeriodic();
  }

  saveState(): DeviceState {
    return {
      cmos: Array.from(this.cmos), index: this.index, nmiMasked: this.nmiMaskedFlag,
      baseSeconds: this.baseSeconds, baseNs: this.baseNs, frozenSeconds: this.frozenSeconds,
      regA: this.regA, regB: this.regB, regC: this.regC, pfTick: this.pfTick, irqLevel: this.irqLevel,
    };
  }

  loadState(s: DeviceState): void {
    const n = (k: string, d = 0): number => (typeof s[k] === 'number' ? (s[k] as number) : d);
    if (Array.isArray(s.cmos)) this.cmos.set((s.cmos as number[]).slice(0, 128));
    this.index = n('index') & 0x7f;
    this.nmiMaskedFlag = s.nmiMasked === true;
    this.baseSeconds = n('baseSeconds', this.startSeconds);
    this.baseNs = n('baseNs');
    this.frozenSeconds = n('frozenSeconds');
    this.regA = n('regA', 0x26) & 0x7f;
    this.regB = n('regB', REG_B_24H) & 0xff;
    this.regC = n('regC') & 0xf0;
    this.pfTick = n('pfTick');
    this.irqLevel = n('irqLevel') ? 1 : 0;
    if (this.irq) this.irq.set(this.irqLevel as 0 | 1);
    this.armUpdate();
    this.armPeriodic();
  }
}
