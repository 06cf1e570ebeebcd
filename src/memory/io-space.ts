/**
 * The x86 port-I/O space (ports 0..0xFFFF), QEMU's `address_space_io` reduced to what port I/O
 * needs: a flat list of non-overlapping device ranges with a 65536-entry lookup table.
 *
 * Models:
 * - `register(base, count, ops, {name, minSize, maxSize})`: the device implements accesses of
 *   minSize..maxSize bytes. Wider accesses are split into little-endian pieces of maxSize (a 16-bit
 *   IN on an 8-bit device = byte reads at port and port+1, as QEMU's access_with_adjusted_size);
 *   narrower ones are widened to minSize at the same offset (reads keep the low bytes, writes
 *   zero-extend), as QEMU does.
 * - An access that crosses a range boundary is split into single bytes, each dispatched on its own
 *   (QEMU's flatview_read/write split at section boundaries).
 * - Unassigned ports read as all ones and drop writes; both fire a probe site
 *   (`io:::unassigned-read` / `io:::unassigned-write`, args: port, size, value).
 * - Ports wrap at 0xFFFF per byte (an access at 0xFFFF of size 2 touches 0xFFFF and 0x0000).
 *
 * Does not model: the ISA 10-bit decode aliasing of old boards, I/O permission bitmaps (the CPU
 * and the VMX I/O bitmaps handle those), or string I/O (the caller loops).
 */
import type { IoBus, RegionOps } from '../devices/device.js';
import { ProbeSite } from '../probes/site.js';
import { VtxError } from '../machine/errors.js';
import type { AccessSize } from './types.js';
import { dispatchRead, dispatchWrite } from './address-space.js';

/** A bus configuration mistake by the host (overlapping ranges, bad sizes). */
export class IoMapError extends VtxError {
  override readonly name = 'IoMapError';
}

export interface IoRegisterOptions {
  /** Name shown in listings and errors, e.g. "pic8259.master". */
  name: string;
  /** Smallest access the device implements (default 1). */
  minSize?: AccessSize;
  /** Largest access the device implements (default 4). */
  maxSize?: AccessSize;
}

/** A device's default port mapping, as devices describe it in `ioRegions()`. */
export interface IoRegionSpec extends IoRegisterOptions {
  base: number;
  count: number;
  ops: RegionOps;
}

export interface IoSpaceOptions {
  /** Probe fired on an IN from a port no device claims. Args: port, size. */
  unassignedRead?: ProbeSite;
  /** Probe fired on an OUT to a port no device claims. Args: port, size, value. */
  unassignedWrite?: ProbeSite;
}

interface IoRange {
  readonly base: number;
  readonly end: number; // exclusive
  readonly ops: RegionOps;
  readonly name: string;
  readonly minSize: AccessSize;
  readonly maxSize: AccessSize;
}

const ONES = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

export class IoSpace implements IoBus {
  /** Range index + 1 per port; 0 = unassigned. */
  private readonly map = new Uint16Array(0x10000);
  /** Slot 0 is unused so that map entries can use 0 for "none". */
  private readonly ranges: (IoRange | undefined)[] = [undefined];
  readonly unassignedRead: ProbeSite;
  readonly unassignedWrite: ProbeSite;

  constructor(opts: IoSpaceOptions = {}) {
    this.unassignedRead = opts.unassignedRead ?? new ProbeSite('io', '', '', 'unassigned-read');
    this.unassignedWrite = opts.unassignedWrite ?? new ProbeSite('io', '', '', 'unassigned-write');
  }

  /** Map `ops` at ports base..base+count-1. Throws IoMapError on overlap or bad arguments. */
  register(base: number, count: number, ops: RegionOps, opts: IoRegisterOptions): void {
    const minSize = opts.minSize ?? 1;
    const maxSize = opts.maxSize ?? 4;
    if (!Number.isInteger(base) || !Number.isInteger(count) || base < 0 || count < 1 || base + count > 0x10000) {
      throw new IoMapError(`${opts.name}: port range 0x${base.toString(16)}+${count} is outside 0..0xffff`);
    }
    if (minSize > maxSize) throw new IoMapError(`${opts.name}: minSize ${minSize} > maxSize ${maxSize}`);
    for (let p = base; p < base + count; p++) {
      const other = this.map[p]!;
      if (other !== 0) {
        throw new IoMapError(`${opts.name}: port 0x${p.toString(16)} already belongs to ${this.ranges[other]!.name}`);
      }
    }
    let slot = this.ranges.indexOf(undefined, 1);
    if (slot < 0) slot = this.ranges.length;
    this.ranges[slot] = { base, end: base + count, ops, name: opts.name, minSize, maxSize };
    this.map.fill(slot, base, base + count);
  }

  /** Register every range a device describes. */
  registerAll(specs: readonly IoRegionSpec[]): void {
    for (const s of specs) this.register(s.base, s.count, s.ops, s);
  }

  /** Remove the range that starts at `base`. Returns false if none does. */
  unregister(base: number): boolean {
    const slot = this.map[base & 0xffff]!;
    const r = this.ranges[slot];
    if (r === undefined || r.base !== base) return false;
    this.map.fill(0, r.base, r.end);
    this.ranges[slot] = undefined;
    return true;
  }

  /** Name of the device owning `port`, or undefined. */
  ownerOf(port: number): string | undefined {
    return this.ranges[this.map[port & 0xffff]!]?.name;
  }

  /** Registered ranges, sorted by base (for `info mtree`-style listings). */
  list(): { base: number; count: number; name: string; minSize: AccessSize; maxSize: AccessSize }[] {
    const out = [];
    for (const r of this.ranges) {
      if (r !== undefined) out.push({ base: r.base, count: r.end - r.base, name: r.name, minSize: r.minSize, maxSize: r.maxSize });
    }
    return out.sort((a, b) => a.base - b.base);
  }

  in(port: number, size: AccessSize): number {
    port &= 0xffff;
    const r = this.ranges[this.map[port]!];
    if (r !== undefined && port + size <= r.end) {
      if (size >= r.minSize && size <= r.maxSize) return maskTo(r.ops.read(port - r.base, size), size);
      return dispatchRead(r.ops, port - r.base, size, r.minSize, r.maxSize);
    }
    return this.inSlow(port, size);
  }

  out(port: number, size: AccessSize, value: number): void {
    port &= 0xffff;
    const r = this.ranges[this.map[port]!];
    if (r !== undefined && port + size <= r.end) {
      if (size >= r.minSize && size <= r.maxSize) r.ops.write(port - r.base, size, maskTo(value, size));
      else dispatchWrite(r.ops, port - r.base, size, maskTo(value, size), r.minSize, r.maxSize);
      return;
    }
    this.outSlow(port, size, value);
  }

  /** Unassigned, or crossing a range boundary: byte by byte. */
  private inSlow(port: number, size: AccessSize): number {
    if (this.allUnassigned(port, size)) {
      if (this.unassignedRead.enabled) this.unassignedRead.fire(port, size);
      return ONES[size];
    }
    let v = 0;
    for (let i = 0; i < size; i++) v += this.in((port + i) & 0xffff, 1) * 2 ** (8 * i);
    return v;
  }

  private outSlow(port: number, size: AccessSize, value: number): void {
    if (this.allUnassigned(port, size)) {
      if (this.unassignedWrite.enabled) this.unassignedWrite.fire(port, size, maskTo(value, size));
      return;
    }
    for (let i = 0; i < size; i++) this.out((port + i) & 0xffff, 1, (value >>> (8 * i)) & 0xff);
  }

  private allUnassigned(port: number, size: number): boolean {
    for (let i = 0; i < size; i++) if (this.map[(port + i) & 0xffff] !== 0) return false;
    return true;
  }
}

function maskTo(v: number, size: AccessSize): number {
  return size === 4 ? v >>> 0 : size === 2 ? v & 0xffff : v & 0xff;
}
