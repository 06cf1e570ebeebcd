/**
 * Peers: other PC emulators timed in the same bench run on the same guests, so the report can
 * give vtx/peer ratios measured on one machine at one time. A peer is described by what it can
 * run, not by how: loop guests (bench/guests.ts, flat binaries with a Multiboot a.out-kludge
 * header) and bundled boot guests (guests/), each described peer-neutrally below.
 *
 * A peer that is not installed says so (`probe()`), and every figure it cannot produce is
 * `{ value: null, note }` — the report prints the note instead of a number.
 *
 * Adding a peer: implement `Peer` in bench/peers/<name>.ts and list it in `allPeers()`.
 */

/** A figure from a peer: a mean with benchmark.js-style relative margin of error, or why not. */
export type PeerValue = { value: number; rme: number; note?: string } | { value: null; note: string };

/** A loop guest: `build(k)` returns the image doing K iterations then writing 0 to port 0xF4. */
export interface LoopJob {
  id: string;
  build(k: number): Uint8Array;
  /** Peer-specific run options for timer-driven loops, QEMU spelling (e.g. ['-icount', ...]). */
  qemuArgs: string[];
  /** Why this loop cannot run on an emulator without VMX, if it cannot (e.g. VMCALL #UDs). */
  naWithoutVmx?: string;
}

/** A bundled guest: how to boot it, and how to tell it is done. */
export interface BootJob {
  id: string;
  kind: 'disk' | 'floppy' | 'multiboot';
  /** Path of the image (absolute). */
  image: string;
  /** Multiboot command line and modules (as QEMU's -append / -initrd). */
  append?: string;
  modules?: Array<{ path: string; args?: string }>;
  /** A BIOS image other than the emulator's own (absolute path). */
  bios?: string;
  /**
   * Serial text that marks the end for guests that halt for good instead of exiting (`cli; hlt`):
   * the run is timed to the moment this text has been received.
   */
  endMarker?: string;
  timeoutMs: number;
}

export interface BootFigures {
  firstSerialMs: PeerValue;
  doneMs: PeerValue;
}

export type PeerAvailability = { available: true; version: string } | { available: false; reason: string };

export interface Peer {
  readonly name: string;
  probe(): Promise<PeerAvailability>;
  /** Nanoseconds per loop iteration (start-up cancelled by timing K and 2K iterations). */
  loopCost(job: LoopJob): Promise<PeerValue>;
  boot(job: BootJob): Promise<BootFigures>;
}

export function na(note: string): PeerValue {
  return { value: null, note };
}
