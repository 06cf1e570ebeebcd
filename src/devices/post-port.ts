/**
 * The POST diagnostic port 0x80. Firmware writes progress codes here; Linux also uses it as an I/O
 * delay (outb_p). The device records the last code and a history of the most recent ones (a
 * fixed-size ring, no allocation per write) and fires the `post:::code` probe (args: code, size).
 * Reads return 0xFF, as the port is write-only (QEMU's ioport80 does the same).
 */
import type { Device, DeviceState, RegionOps } from './device.js';
import type { AccessSize } from '../memory/types.js';
import type { IoRegionSpec } from '../memory/io-space.js';
import { ProbeSite } from '../probes/site.js';

export interface PostPortOptions {
  name?: string;
  /** Port (default 0x80). */
  base?: number;
  /** How many codes the history keeps (default 256). */
  historySize?: number;
  /** Probe site to fire on each write (default: a new `post:::code`). */
  probe?: ProbeSite;
}

export class PostPort implements Device, RegionOps {
  readonly name: string;
  readonly base: number;
  readonly probe: ProbeSite;
  private readonly ring: Uint32Array;
  private head = 0;
  private count = 0;
  private lastCode = -1;

  constructor(opts: PostPortOptions = {}) {
    this.name = opts.name ?? 'post';
    this.base = opts.base ?? 0x80;
    this.probe = opts.probe ?? new ProbeSite('post', '', '', 'code');
    this.ring = new Uint32Array(Math.max(1, Math.floor(opts.historySize ?? 256)));
  }

  ioRegions(): IoRegionSpec[] {
    return [{ base: this.base, count: 1, ops: this, name: this.name, maxSize: 1 }];
  }

  /** The last code written, or -1 if none. */
  get last(): number {
    return this.lastCode;
  }

  /** The recorded codes, oldest first. */
  history(): number[] {
    const out: number[] = [];
    const n = this.ring.length;
    for (let i = 0; i < this.count; i++) out.push(this.ring[(this.head + n - this.count + i) % n]!);
    return out;
  }

  read(_offset: number, _size: AccessSize): number {
    return 0xff;
  }

  write(_offset: number, size: AccessSize, v: number): void {
    const code = v & 0xff;
    this.lastCode = code;
    this.ring[this.head] = code;
    this.head = (this.head + 1) % this.ring.length;
    if (this.count < this.ring.length) this.count++;
    if (this.probe.enabled) this.probe.fire(code, size);
  }

  reset(): void {
    this.head = 0;
    this.count = 0;
    this.lastCode = -1;
  }

  saveState(): DeviceState {
    return { last: this.lastCode, history: this.history() };
  }

  loadState(s: DeviceState): void {
    this.reset();
    const h = Array.isArray(s.history) ? (s.history as number[]) : [];
    for (const c of h.slice(-this.ring.length)) {
      this.ring[this.head] = Number(c) & 0xff;
      this.head = (this.head + 1) % this.ring.length;
      this.count++;
    }
    this.lastCode = typeof s.last === 'number' ? s.last : -1;
  }
}
