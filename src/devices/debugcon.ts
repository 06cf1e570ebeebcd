/**
 * QEMU's ISA debug console (hw/char/debugcon.c): a one-byte port (0xE9 by default; SeaBIOS's
 * debug output uses 0x402 — the machine maps a second instance there). Each write sends the low
 * byte to `onOutput`; reads return the readback value (QEMU's default 0xE9, which lets guests
 * detect the device). The device implements byte accesses only (QEMU: impl max 1), so a 16-bit
 * write becomes two byte writes at the port and the next one.
 */
import type { Device, DeviceState, RegionOps } from './device.js';
import type { AccessSize } from '../memory/types.js';
import type { IoRegionSpec } from '../memory/io-space.js';

export interface DebugconOptions {
  name?: string;
  /** Port (default 0xE9). */
  base?: number;
  /** Value reads return (default 0xE9). */
  readback?: number;
  onOutput?: (byte: number) => void;
}

export class Debugcon implements Device, RegionOps {
  readonly name: string;
  readonly base: number;
  private readonly readback: number;
  private readonly onOutput: ((byte: number) => void) | undefined;

  constructor(opts: DebugconOptions = {}) {
    this.name = opts.name ?? 'debugcon';
    this.base = opts.base ?? 0xe9;
    this.readback = (opts.readback ?? 0xe9) & 0xff;
    this.onOutput = opts.onOutput;
  }

  ioRegions(): IoRegionSpec[] {
    return [{ base: this.base, count: 1, ops: this, name: this.name, maxSize: 1 }];
  }

  read(_offset: number, _size: AccessSize): number {
    return this.readback;
  }

  write(_offset: number, _size: AccessSize, v: number): void {
    if (this.onOutput) this.onOutput(v & 0xff);
  }

  reset(): void {}

  saveState(): DeviceState {
    return {};
  }

  loadState(_s: DeviceState): void {}
}
