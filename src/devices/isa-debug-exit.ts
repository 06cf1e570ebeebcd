/**
 * QEMU's isa-debug-exit (hw/misc/debugexit.c), mapped as `-device isa-debug-exit,iobase=0xf4,
 * iosize=4` by default here (QEMU's own defaults are iobase 0x501, iosize 2). A write of value v
 * (any size 1-4) ends the run with exit status (v << 1) | 1, reported through `onExit(status)` as a
 * full-width number (v * 2 + 1; a host process exit truncates it to 8 bits as QEMU's exit() is).
 * Reads return 0, as QEMU's debug_exit_read does.
 */
import type { Device, DeviceState, RegionOps } from './device.js';
import type { AccessSize } from '../memory/types.js';
import type { IoRegionSpec } from '../memory/io-space.js';

export interface IsaDebugExitOptions {
  name?: string;
  /** Default 0xF4. */
  iobase?: number;
  /** Default 4. */
  iosize?: number;
  onExit?: (status: number) => void;
}

export class IsaDebugExit implements Device, RegionOps {
  readonly name: string;
  readonly iobase: number;
  readonly iosize: number;
  private readonly onExit: ((status: number) => void) | undefined;

  constructor(opts: IsaDebugExitOptions = {}) {
    this.name = opts.name ?? 'isa-debug-exit';
    this.iobase = opts.iobase ?? 0xf4;
    this.iosize = Math.max(1, opts.iosize ?? 4);
    this.onExit = opts.onExit;
  }

  ioRegions(): IoRegionSpec[] {
    return [{ base: this.iobase, count: this.iosize, ops: this, name: this.name, minSize: 1, maxSize: 4 }];
  }

  read(_offset: number, _size: AccessSize): number {
    return 0;
  }

  write(_offset: number, _size: AccessSize, v: number): void {
    if (this.onExit) this.onExit((v >>> 0) * 2 + 1);
  }

  reset(): void {}

  saveState(): DeviceState {
    return {};
  }

  loadState(_s: DeviceState): void {}
}
