/**
 * Host-physical memory as the emulated processor sees it.
 *
 * `ram` is the fast path: host-physical addresses below `ram.length` index it directly.
 * Addresses above it (or inside windows the owner marks as I/O) go to `readSlow`/`writeSlow`.
 * In VMX root operation this is where the TypeScript hypervisor keeps VMCS regions, EPT tables and
 * bitmaps; guest RAM is a slice of it that EPT maps.
 *
 * Models: a flat physical address space. Does not model: caches, memory types (EPT/PAT memory
 * types are recorded and checked, never acted on).
 */
import type { AccessSize, HostPhysAddr } from './types.js';

export interface PhysicalMemory {
  /** Directly addressable RAM, host-physical 0 .. ram.length-1. */
  readonly ram: Uint8Array;
  /** Access to host-physical addresses that are not plain RAM. Unbacked reads return all ones. */
  readSlow(addr: HostPhysAddr, size: AccessSize): number;
  writeSlow(addr: HostPhysAddr, size: AccessSize, value: number): void;
}

/** A PhysicalMemory that is only RAM: everything above it reads as all ones and drops writes. */
export class FlatPhysicalMemory implements PhysicalMemory {
  readonly ram: Uint8Array;
  constructor(bytes: number) {
    this.ram = new Uint8Array(bytes);
  }
  readSlow(_addr: HostPhysAddr, size: AccessSize): number {
    return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  }
  writeSlow(_addr: HostPhysAddr, _size: AccessSize, _value: number): void {}
}
