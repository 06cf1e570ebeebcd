/**
 * A guest-physical address space built like QEMU's memory API (docs/devel/memory.rst): a tree of
 * MemoryRegions flattened into a FlatView for dispatch.
 *
 * Region kinds:
 *   ram        backed by a Uint8Array (normally a view of host RAM); reads and writes hit it
 *   rom        backed by a Uint8Array; reads hit it, writes are dropped (a RAM region made
 *              read-only with setReadOnly(true), as PAM does, behaves the same)
 *   mmio       RegionOps plus the access sizes the device implements (minSize..maxSize); accesses
 *              are split or widened to those sizes, little-endian (QEMU access_with_adjusted_size)
 *   alias      a window [offset, offset+size) onto another region
 *   container  holds subregions at addresses with priorities: higher priority wins where they
 *              overlap; at equal priority the later-added one wins (QEMU inserts it first)
 * Any region can be disabled (setEnabled(false)) and then contributes nothing; lower-priority
 * regions show through (PAM/SMRAM-style shadowing).
 *
 * The FlatView (sorted, non-overlapping ranges) is rebuilt lazily on the first access after a
 * change, together with a page index (4 KiB granularity) for addresses below `indexLimit`
 * (default: min(root size, 4 GiB)): each page holds either the one range covering it, -1 for
 * "nothing", or a sub-page list of the ranges intersecting it. Above the index, a binary search.
 * `onChange` listeners run synchronously when the topology changes (the hypervisor drops its EPT).
 *
 * Unbacked accesses read all ones and drop writes, firing `mmio:::unassigned-read` /
 * `mmio:::unassigned-write` (args: address low 32 bits, address high bits, size, value).
 *
 * Does not model: IOMMUs, memory attributes (MemTxAttrs), per-CPU address spaces, dirty logging,
 * big-endian devices, the `valid` (as opposed to `impl`) access constraints — every access is
 * accepted and adjusted.
 */
import type { RegionOps } from '../devices/device.js';
import { ProbeSite } from '../probes/site.js';
import { VtxError } from '../machine/errors.js';
import type { AccessSize, GuestPhysAddr } from './types.js';

/** A memory-map construction mistake by the host (bad sizes, region added twice). */
export class MemoryMapError extends VtxError {
  override readonly name = 'MemoryMapError';
}

export type RegionKind = 'container' | 'ram' | 'rom' | 'mmio' | 'alias';

export interface MmioOptions {
  /** Smallest access the device implements (default 1). */
  minSize?: AccessSize;
  /** Largest access the device implements (default 4). */
  maxSize?: AccessSize;
}

export interface RamOptions {
  /**
   * Host-physical address of backing[0], reported in flatView() for EPT construction. Default:
   * backing.byteOffset, which is right when the backing is a view of PhysicalMemory.ram.
   */
  hostBase?: number;
}

interface Subregion {
  readonly region: MemoryRegion;
  readonly addr: number;
  readonly priority: number;
  readonly seq: number;
}

const SIZE_MASK = [0, 0xff, 0xffff, 0, 0xffffffff] as const;
const BYTE_SCALE = [1, 0x100, 0x10000, 0x1000000] as const;

function maskTo(v: number, size: AccessSize): number {
  return size === 4 ? v >>> 0 : v & SIZE_MASK[size];
}

/**
 * Perform an access of `size` on a device implementing minSize..maxSize: wider accesses become
 * little-endian pieces of maxSize, narrower ones are widened to minSize at the same offset and
 * the low bytes kept.
 */
export function dispatchRead(ops: RegionOps, offset: number, size: AccessSize, minSize: AccessSize, maxSize: AccessSize): number {
  if (size > maxSize) {
    let v = 0;
    for (let i = 0; i < size; i += maxSize) v += maskTo(ops.read(offset + i, maxSize), maxSize) * BYTE_SCALE[i]!;
    return v;
  }
  if (size < minSize) return maskTo(ops.read(offset, minSize), size);
  return maskTo(ops.read(offset, size), size);
}

/** Write counterpart of dispatchRead; narrower writes are zero-extended to minSize. */
export function dispatchWrite(ops: RegionOps, offset: number, size: AccessSize, value: number, minSize: AccessSize, maxSize: AccessSize): void {
  if (size > maxSize) {
    for (let i = 0; i < size; i += maxSize) ops.write(offset + i, maxSize, (value >>> (8 * i)) & SIZE_MASK[maxSize]);
    return;
  }
  if (size < minSize) {
    ops.write(offset, minSize, maskTo(value, size));
    return;
  }
  ops.write(offset, size, maskTo(value, size));
}

export class MemoryRegion {
  private enabledFlag = true;
  private readOnlyFlag: boolean;
  private aliasOffsetValue: number;
  /** @internal */ readonly subregions: Subregion[] = [];
  /** @internal containers holding this region and aliases pointing at it */
  readonly users: MemoryRegion[] = [];
  /** @internal address spaces whose root this is */
  readonly spaces: AddressSpace[] = [];
  private parent: MemoryRegion | null = null;
  private seq = 0;

  private constructor(
    readonly kind: RegionKind,
    readonly name: string,
    readonly size: number,
    readonly backing: Uint8Array | null,
    readonly hostBase: number,
    readonly ops: RegionOps | null,
    readonly minSize: AccessSize,
    readonly maxSize: AccessSize,
    readonly aliasTarget: MemoryRegion | null,
    aliasOffset: number,
  ) {
    if (!(size > 0) || !Number.isInteger(size)) throw new MemoryMapError(`${name}: region size ${size} must be a positive integer`);
    this.readOnlyFlag = kind === 'rom';
    this.aliasOffsetValue = aliasOffset;
  }

  /** A pure container (QEMU memory_region_init). */
  static container(name: string, size: number): MemoryRegion {
    return new MemoryRegion('container', name, size, null, -1, null, 1, 4, null, 0);
  }

  /** RAM backed by `backing` (its length is the region size). */
  static ram(name: string, backing: Uint8Array, opts: RamOptions = {}): MemoryRegion {
    return new MemoryRegion('ram', name, backing.length, backing, opts.hostBase ?? backing.byteOffset, null, 1, 4, null, 0);
  }

  /** ROM backed by `backing`: guest writes are dropped; loaders use AddressSpace.writeRom. */
  static rom(name: string, backing: Uint8Array, opts: RamOptions = {}): MemoryRegion {
    return new MemoryRegion('rom', name, backing.length, backing, opts.hostBase ?? backing.byteOffset, null, 1, 4, null, 0);
  }

  /** Device registers. `ops` sees offsets relative to the region start. */
  static mmio(name: string, size: number, ops: RegionOps, opts: MmioOptions = {}): MemoryRegion {
    const minSize = opts.minSize ?? 1;
    const maxSize = opts.maxSize ?? 4;
    if (minSize > maxSize) throw new MemoryMapError(`${name}: minSize ${minSize} > maxSize ${maxSize}`);
    return new MemoryRegion('mmio', name, size, null, -1, ops, minSize, maxSize, null, 0);
  }

  /** A window of `size` bytes onto `target` starting at `offset` in it (QEMU memory_region_init_alias). */
  static alias(name: string, target: MemoryRegion, offset: number, size: number): MemoryRegion {
    const r = new MemoryRegion('alias', name, size, null, -1, null, 1, 4, target, offset);
    target.users.push(r);
    return r;
  }

  get enabled(): boolean {
    return this.enabledFlag;
  }
  get readOnly(): boolean {
    return this.readOnlyFlag;
  }
  get aliasOffset(): number {
    return this.aliasOffsetValue;
  }

  /** QEMU memory_region_set_enabled. */
  setEnabled(on: boolean): void {
    if (on === this.enabledFlag) return;
    this.enabledFlag = on;
    this.changed();
  }

  /** QEMU memory_region_set_readonly: a RAM region that drops writes (reported as 'rom'). */
  setReadOnly(on: boolean): void {
    if (this.kind !== 'ram') throw new MemoryMapError(`${this.name}: setReadOnly applies to RAM regions only`);
    if (on === this.readOnlyFlag) return;
    this.readOnlyFlag = on;
    this.changed();
  }

  /** QEMU memory_region_set_alias_offset. */
  setAliasOffset(offset: number): void {
    if (this.kind !== 'alias') throw new MemoryMapError(`${this.name}: setAliasOffset applies to aliases only`);
    if (offset === this.aliasOffsetValue) return;
    this.aliasOffsetValue = offset;
    this.changed();
  }

  /** QEMU memory_region_add_subregion_overlap (priority 0 = memory_region_add_subregion). */
  addSubregion(addr: number, region: MemoryRegion, priority = 0): void {
    if (this.kind !== 'container') throw new MemoryMapError(`${this.name}: only containers take subregions (adding ${region.name})`);
    if (region.parent !== null) throw new MemoryMapError(`${region.name}: already a subregion of ${region.parent.name}`);
    if (region === this) throw new MemoryMapError(`${region.name}: cannot contain itself`);
    region.parent = this;
    region.users.push(this);
    this.subregions.push({ region, addr, priority, seq: this.seq++ });
    // Render order: higher priority first; equal priority: later-added first (it wins).
    this.subregions.sort((a, b) => b.priority - a.priority || b.seq - a.seq);
    this.changed();
  }

  /** QEMU memory_region_del_subregion. */
  removeSubregion(region: MemoryRegion): void {
    const i = this.subregions.findIndex((s) => s.region === region);
    if (i < 0) throw new MemoryMapError(`${region.name}: not a subregion of ${this.name}`);
    this.subregions.splice(i, 1);
    region.parent = null;
    const u = region.users.indexOf(this);
    if (u >= 0) region.users.splice(u, 1);
    this.changed();
  }

  /** @internal Propagate a topology change to every address space that can see this region. */
  changed(): void {
    for (const s of this.spaces) s.invalidate();
    for (const u of this.users) u.changed();
  }
}

/** One range of the flattened view. */
export interface FlatRangeInfo {
  start: GuestPhysAddr;
  size: number;
  kind: 'ram' | 'rom' | 'mmio';
  /** Name of the terminal region that serves this range. */
  name: string;
  region: MemoryRegion;
  /** Offset of `start` within that region. */
  offset: number;
  /** ram/rom: the backing bytes of exactly this range. */
  backing?: Uint8Array;
  /** ram/rom: host-physical address of the first byte (for EPT). */
  hostAddr?: number;
}

/** Internal flat range: fixed shape for the dispatch path. */
class FlatRange {
  constructor(
    readonly start: number,
    readonly end: number,
    readonly region: MemoryRegion,
    readonly offset: number,
    /** null for MMIO */
    readonly backing: Uint8Array | null,
    readonly readOnly: boolean,
    readonly ops: RegionOps | null,
    readonly minSize: AccessSize,
    readonly maxSize: AccessSize,
  ) {}
}

export interface AddressSpaceOptions {
  name?: string;
  /** Probe fired on a read nobody backs. Args: addr low 32, addr high, size. */
  unassignedRead?: ProbeSite;
  /** Probe fired on a write nobody backs. Args: addr low 32, addr high, size, value. */
  unassignedWrite?: ProbeSite;
  /** Addresses below this are page-indexed (default min(root.size, 4 GiB)); must be a multiple of 4096. */
  indexLimit?: number;
}

const PAGE_SHIFT = 12;
const PAGE_SIZE = 4096;
const NONE = -1;

export class AddressSpace {
  readonly name: string;
  readonly unassignedRead: ProbeSite;
  readonly unassignedWrite: ProbeSite;
  private dirty = true;
  private ranges: FlatRange[] = [];
  private readonly indexLimit: number;
  private readonly pageIndex: Int32Array;
  private subpages: number[][] = [];
  private readonly listeners: (() => void)[] = [];

  constructor(
    readonly root: MemoryRegion,
    opts: AddressSpaceOptions = {},
  ) {
    this.name = opts.name ?? root.name;
    this.unassignedRead = opts.unassignedRead ?? new ProbeSite('mmio', '', '', 'unassigned-read');
    this.unassignedWrite = opts.unassignedWrite ?? new ProbeSite('mmio', '', '', 'unassigned-write');
    const limit = opts.indexLimit ?? Math.min(Math.ceil(root.size / PAGE_SIZE) * PAGE_SIZE, 2 ** 32);
    if (limit % PAGE_SIZE !== 0 || limit > 2 ** 32 || limit < 0) {
      throw new MemoryMapError(`${this.name}: indexLimit 0x${limit.toString(16)} must be a page multiple <= 4 GiB`);
    }
    this.indexLimit = limit;
    this.pageIndex = new Int32Array(limit / PAGE_SIZE);
    root.spaces.push(this);
  }

  /** Called when the topology changes; returns an unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** @internal */
  invalidate(): void {
    this.dirty = true;
    for (const l of this.listeners) l();
  }

  // ---- dispatch ----------------------------------------------------------------------------

  read(addr: GuestPhysAddr, size: AccessSize): number {
    if (this.dirty) this.rebuild();
    const r = this.lookup(addr);
    if (r !== null && addr + size <= r.end) {
      const off = addr - r.start + r.offset;
      const b = r.backing;
      if (b !== null) {
        if (size === 1) return b[off]!;
        if (size === 2) return b[off]! | (b[off + 1]! << 8);
        return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
      }
      return dispatchRead(r.ops!, off, size, r.minSize, r.maxSize);
    }
    return this.readSlow(addr, size);
  }

  write(addr: GuestPhysAddr, size: AccessSize, value: number): void {
    if (this.dirty) this.rebuild();
    const r = this.lookup(addr);
    if (r !== null && addr + size <= r.end) {
      const off = addr - r.start + r.offset;
      const b = r.backing;
      if (b !== null) {
        if (r.readOnly) return;
        b[off] = value;
        if (size >= 2) b[off + 1] = value >>> 8;
        if (size === 4) {
          b[off + 2] = value >>> 16;
          b[off + 3] = value >>> 24;
        }
        return;
      }
      dispatchWrite(r.ops!, off, size, value, r.minSize, r.maxSize);
      return;
    }
    this.writeSlow(addr, size, value);
  }

  private readSlow(addr: number, size: AccessSize): number {
    if (this.unbacked(addr, size)) {
      if (this.unassignedRead.enabled) this.unassignedRead.fire(addr >>> 0, Math.floor(addr / 2 ** 32), size);
      return SIZE_MASK[size];
    }
    let v = 0;
    for (let i = 0; i < size; i++) v += this.read(addr + i, 1) * BYTE_SCALE[i]!;
    return v;
  }

  private writeSlow(addr: number, size: AccessSize, value: number): void {
    if (this.unbacked(addr, size)) {
      if (this.unassignedWrite.enabled) this.unassignedWrite.fire(addr >>> 0, Math.floor(addr / 2 ** 32), size, maskTo(value, size));
      return;
    }
    for (let i = 0; i < size; i++) this.write(addr + i, 1, (value >>> (8 * i)) & 0xff);
  }

  private unbacked(addr: number, size: number): boolean {
    for (let i = 0; i < size; i++) if (this.lookup(addr + i) !== null) return false;
    return true;
  }

  /** Bulk read for loaders and DMA: RAM/ROM copied, MMIO read bytewise, holes read 0xff. */
  readBytes(addr: GuestPhysAddr, dst: Uint8Array): void {
    if (this.dirty) this.rebuild();
    let a: number = addr;
    let i = 0;
    while (i < dst.length) {
      const r = this.lookup(a);
      if (r !== null && r.backing !== null) {
        const n = Math.min(dst.length - i, r.end - a);
        const off = a - r.start + r.offset;
        dst.set(r.backing.subarray(off, off + n), i);
        i += n;
        a += n;
      } else {
        dst[i++] = this.read(a++, 1);
      }
    }
  }

  /** Bulk write for loaders and DMA: RAM written, ROM and holes dropped, MMIO written bytewise. */
  writeBytes(addr: GuestPhysAddr, src: Uint8Array): void {
    this.bulkWrite(addr, src, false);
  }

  /** Like writeBytes but also fills ROM (QEMU address_space_write_rom): for firmware loaders. */
  writeRom(addr: GuestPhysAddr, src: Uint8Array): void {
    this.bulkWrite(addr, src, true);
  }

  private bulkWrite(addr: number, src: Uint8Array, intoRom: boolean): void {
    if (this.dirty) this.rebuild();
    let a = addr;
    let i = 0;
    while (i < src.length) {
      const r = this.lookup(a);
      if (r !== null && r.backing !== null) {
        const n = Math.min(src.length - i, r.end - a);
        if (!r.readOnly || intoRom) r.backing.set(src.subarray(i, i + n), a - r.start + r.offset);
        i += n;
        a += n;
      } else {
        this.write(a++, 1, src[i++]!);
      }
    }
  }

  // ---- flat view ---------------------------------------------------------------------------

  /** The flattened map: sorted, non-overlapping ranges (holes omitted). */
  flatView(): FlatRangeInfo[] {
    if (this.dirty) this.rebuild();
    return this.ranges.map((r) => {
      const info: FlatRangeInfo = {
        start: r.start as GuestPhysAddr,
        size: r.end - r.start,
        kind: r.backing === null ? 'mmio' : r.readOnly ? 'rom' : 'ram',
        name: r.region.name,
        region: r.region,
        offset: r.offset,
      };
      if (r.backing !== null) {
        info.backing = r.backing.subarray(r.offset, r.offset + (r.end - r.start));
        info.hostAddr = r.region.hostBase + r.offset;
      }
      return info;
    });
  }

  /** RAM and ROM ranges only: what the hypervisor maps in EPT (RAM RWX, ROM R+X). */
  ramPages(): FlatRangeInfo[] {
    return this.flatView().filter((r) => r.kind !== 'mmio');
  }

  private lookup(addr: number): FlatRange | null {
    if (addr < this.indexLimit) {
      const e = this.pageIndex[addr >>> PAGE_SHIFT]!;
      if (e >= 0) return this.ranges[e]!;
      if (e === NONE) return null;
      const list = this.subpages[-2 - e]!;
      for (let i = 0; i < list.length; i++) {
        const r = this.ranges[list[i]!]!;
        if (addr >= r.start && addr < r.end) return r;
      }
      return null;
    }
    const rs = this.ranges;
    let lo = 0;
    let hi = rs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = rs[mid]!;
      if (addr < r.start) hi = mid - 1;
      else if (addr >= r.end) lo = mid + 1;
      else return r;
    }
    return null;
  }

  private rebuild(): void {
    const out: FlatRange[] = [];
    this.render(this.root, 0, 0, this.root.size, out);
    out.sort((a, b) => a.start - b.start);
    this.ranges = out;
    const idx = this.pageIndex;
    idx.fill(NONE);
    this.subpages = [];
    const pages = idx.length;
    for (let i = 0; i < out.length; i++) {
      const r = out[i]!;
      if (r.start >= this.indexLimit) break;
      const first = Math.floor(r.start / PAGE_SIZE);
      const last = Math.min(Math.floor((r.end - 1) / PAGE_SIZE), pages - 1);
      for (let p = first; p <= last; p++) {
        const ps = p * PAGE_SIZE;
        if (r.start <= ps && r.end >= ps + PAGE_SIZE) {
          // Interior pages are wholly this range: fill the run at once.
          const runEnd = Math.min(Math.floor(r.end / PAGE_SIZE), pages);
          idx.fill(i, p, runEnd);
          p = runEnd - 1;
          continue;
        }
        const e = idx[p]!;
        if (e === NONE) {
          this.subpages.push([i]);
          idx[p] = -2 - (this.subpages.length - 1);
        } else {
          this.subpages[-2 - e]!.push(i);
        }
      }
    }
    this.dirty = false;
  }

  /** QEMU render_memory_region: `base` is where offset 0 of `mr` sits; clip to [cs, ce). */
  private render(mr: MemoryRegion, base: number, cs: number, ce: number, out: FlatRange[]): void {
    if (!mr.enabled) return;
    const s = Math.max(cs, base);
    const e = Math.min(ce, base + mr.size);
    if (s >= e) return;
    switch (mr.kind) {
      case 'alias':
        this.render(mr.aliasTarget!, base - mr.aliasOffset, s, e, out);
        return;
      case 'container':
        for (const sub of mr.subregions) this.render(sub.region, base + sub.addr, s, e, out);
        return;
      case 'ram':
      case 'rom':
      case 'mmio':
        insertUncovered(out, s, e, (a, b) => new FlatRange(a, b, mr, a - base, mr.backing, mr.readOnly, mr.ops, mr.minSize, mr.maxSize));
        return;
    }
  }
}

/** Add the parts of [s, e) no range in `out` covers yet (higher-priority ranges were added first). */
function insertUncovered(out: FlatRange[], s: number, e: number, make: (a: number, b: number) => FlatRange): void {
  const covering = out.filter((r) => r.end > s && r.start < e).sort((a, b) => a.start - b.start);
  let cur = s;
  for (const r of covering) {
    if (r.start > cur) out.push(make(cur, r.start));
    if (r.end > cur) cur = r.end;
  }
  if (cur < e) out.push(make(cur, e));
}
