/**
 * The seam between devices and the machine (rust-vmm `vm-device`, Firecracker `BusDevice`).
 *
 * A device sees only accesses to its own region: `read(offset, size)` / `write(offset, size, v)`
 * where `offset` is relative to the start of the region it was mapped at (an MMIO range or a
 * port range). It never sees the bus. Devices are constructed infallibly, `reset()` puts them in
 * their power-on state, and `saveState()`/`loadState()` round-trip every guest-visible register
 * under stable names (QEMU qdev / v86 get_state).
 */
import type { AccessSize } from '../memory/types.js';

/** JSON-compatible device state. Typed arrays are stored as plain number arrays. */
export type DeviceState = { [name: string]: unknown };

export interface Device {
  /** Stable instance name, e.g. "uart16550.com1". */
  readonly name: string;
  reset(): void;
  saveState(): DeviceState;
  loadState(state: DeviceState): void;
}

/** A region of registers reachable by MMIO or port I/O. */
export interface RegionOps {
  read(offset: number, size: AccessSize): number;
  write(offset: number, size: AccessSize, value: number): void;
}

/**
 * An interrupt request line into an interrupt controller (PIC input, I/O APIC pin).
 * `set(1)` raises, `set(0)` lowers. Edge-triggered consumers latch the 0->1 transition.
 */
export interface IrqLine {
  set(level: 0 | 1): void;
}

/**
 * What the CPU sees of the interrupt controllers: the INTR pin and the INTA cycle.
 * `pending()` is the INTR line level; `acknowledge()` runs the interrupt-acknowledge cycle and
 * returns the vector (the 8259A returns the spurious vector when nothing is left).
 */
export interface InterruptController {
  pending(): boolean;
  acknowledge(): number;
}

/** Port I/O as the CPU (or a hypervisor handling an I/O exit) performs it. */
export interface IoBus {
  in(port: number, size: AccessSize): number;
  out(port: number, size: AccessSize, value: number): void;
}
