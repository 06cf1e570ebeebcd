/**
 * System control port A at 0x92 (PS/2 "fast A20 and reset", as in QEMU's hw/i386/pc.c port92):
 *
 *   bit 1  R/W  A20 gate (1 = enabled)
 *   bit 0  R/W  fast reset: a 0 -> 1 transition requests a CPU reset
 *
 * Reads return the last value written. The A20 callback fires on every change of bit 1. On a PC
 * the i8042 output port drives the same A20 signal; QEMU lets the last writer win, the machine
 * decides how to combine the two callbacks.
 * Does not model: the other bits (watchdog, security lock, LEDs), which read back as written.
 */
import type { Device, DeviceState, RegionOps } from './device.js';
import type { AccessSize } from '../memory/types.js';
import type { IoRegionSpec } from '../memory/io-space.js';

export interface Port92Options {
  name?: string;
  onA20?: (enabled: boolean) => void;
  onReset?: () => void;
}

export class Port92 implements Device, RegionOps {
  readonly name: string;
  private readonly onA20: ((enabled: boolean) => void) | undefined;
  private readonly onReset: (() => void) | undefined;
  private value = 0;

  constructor(opts: Port92Options = {}) {
    this.name = opts.name ?? 'port92';
    this.onA20 = opts.onA20;
    this.onReset = opts.onReset;
  }

  ioRegions(): IoRegionSpec[] {
    return [{ base: 0x92, count: 1, ops: this, name: this.name, maxSize: 1 }];
  }

  get a20(): boolean {
    return (this.value & 2) !== 0;
  }

  read(_offset: number, _size: AccessSize): number {
    return this.value;
  }

  write(_offset: number, _size: AccessSize, v: number): void {
    const old = this.value;
    this.value = v & 0xff;
    if ((old ^ this.value) & 2 && this.onA20) this.onA20((this.value & 2) !== 0);
    if (this.value & 1 && !(old & 1) && this.onReset) this.onReset();
  }

  reset(): void {
    this.value = 0;
  }

  saveState(): DeviceState {
    return { value: this.value };
  }

  loadState(s: DeviceState): void {
    this.value = Number(s.value ?? 0) & 0xff;
  }
}
