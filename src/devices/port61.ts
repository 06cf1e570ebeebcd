/**
 * Port 0x61, the PC/AT "system control port B" (PPI port B on the XT; on PIIX it lives in the
 * southbridge):
 *
 *   bit 7  R    SERR# / parity check status (0: never set here)
 *   bit 6  R    IOCHK status (0: never set here)
 *   bit 5  R    OUT2: PIT channel 2 output
 *   bit 4  R    refresh request toggle: flips every 15.085 us (18 PIT ticks) of virtual time
 *   bit 3  R/W  IOCHK enable (stored)
 *   bit 2  R/W  parity check enable (stored)
 *   bit 1  R/W  speaker data enable (ANDed with OUT2 to drive the speaker)
 *   bit 0  R/W  PIT channel 2 GATE
 *
 * The refresh toggle is derived from the virtual clock rather than flipped on every read (QEMU's
 * pcspk does the latter); firmware that counts toggles for delays therefore measures virtual time.
 * Does not model: NMI sources behind bits 6/7, the speaker sound itself (only the on/off level is
 * reported through `onSpeaker`).
 */
import type { Device, DeviceState, RegionOps } from './device.js';
import type { AccessSize } from '../memory/types.js';
import type { IoRegionSpec } from '../memory/io-space.js';
import type { VirtualClock } from '../machine/clock.js';
import { nsToPitTicks, type Pit8254 } from './pit8254.js';

export interface Port61Options {
  clock: VirtualClock;
  pit: Pit8254;
  name?: string;
  /** Speaker enable level changed (gate2 AND data enable); the tone itself is OUT2. */
  onSpeaker?: (on: boolean) => void;
}

export class Port61 implements Device, RegionOps {
  readonly name: string;
  private readonly clock: VirtualClock;
  private readonly pit: Pit8254;
  private readonly onSpeaker: ((on: boolean) => void) | undefined;
  /** Bits 3:0 as written. */
  private value = 0;

  constructor(opts: Port61Options) {
    this.name = opts.name ?? 'port61';
    this.clock = opts.clock;
    this.pit = opts.pit;
    this.onSpeaker = opts.onSpeaker;
  }

  ioRegions(): IoRegionSpec[] {
    return [{ base: 0x61, count: 1, ops: this, name: this.name, maxSize: 1 }];
  }

  read(_offset: number, _size: AccessSize): number {
    const refresh = Math.floor(nsToPitTicks(this.clock.now()) / 18) & 1;
    return (this.pit.getOut(2) << 5) | (refresh << 4) | (this.value & 0x0e) | this.pit.getGate(2);
  }

  write(_offset: number, _size: AccessSize, v: number): void {
    const old = this.value;
    this.value = v & 0x0f;
    this.pit.setGate(2, (v & 1) as 0 | 1);
    if (this.onSpeaker && ((old ^ this.value) & 3) !== 0) this.onSpeaker((this.value & 3) === 3);
  }

  reset(): void {
    this.value = 0;
    this.pit.setGate(2, 0);
  }

  saveState(): DeviceState {
    return { value: this.value };
  }

  /** Load after the PIT (the gate level is part of the PIT's own state). */
  loadState(state: DeviceState): void {
    this.value = Number(state.value ?? 0) & 0x0f;
  }
}
