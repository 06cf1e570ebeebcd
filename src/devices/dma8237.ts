/**
 * The PC/AT pair of Intel 8237A DMA controllers with their 74LS612 page registers.
 *
 * Models:
 * - DMA1 (8-bit channels 0-3) at ports 0x00-0x0F, DMA2 (16-bit channels 4-7) at 0xC0-0xDF (each
 *   register on an even port), page registers at 0x81-0x8F (ch2 0x81, ch3 0x82, ch1 0x83, ch0 0x87,
 *   ch6 0x89, ch7 0x8A, ch5 0x8B, ch4 0x8F; the others are scratch bytes, as on the PIIX).
 * - Base/current address and word count with the byte-pointer flip-flop, mode register (verify /
 *   write / read transfer, auto-initialisation, address decrement, demand/single/block/cascade),
 *   single and all-channel mask registers (the PIIX makes the mask readable at 0x0F/0xDE),
 *   software request register, status register (TC bits 3:0 cleared on read, request bits 7:4),
 *   command register (controller disable), temporary register (reads 0), master clear, clear mask.
 * - 16-bit channels address words: physical = (page & 0xFE) << 16 | address << 1, count in words.
 *   The address wraps within its 64 KiB (8-bit) or 128 KiB (16-bit) block; the page register does
 *   not increment (the classic ISA DMA boundary).
 * - Devices transfer through `transfer(channel, buffer, offset, length)`: the channel's mode decides
 *   the direction (write transfer: buffer -> memory, read transfer: memory -> buffer, verify: no
 *   data moves) and the transfer stops at terminal count. A device that has data to move calls
 *   `requestService(channel)` (DREQ); the controller calls the client's `dmaService()` at once if
 *   the channel is unmasked and the controller enabled, or later when it becomes so (QEMU's
 *   DMA_hold_DREQ/DMA_run). `releaseService(channel)` drops DREQ.
 *
 * Differences from QEMU 7.2 are listed, with reasons, in test/devices/chipset-oracle.test.ts.
 *
 * Does not model: bus arbitration and per-byte timing (single, block and demand modes all run the
 * whole request at once), memory-to-memory transfers (channels 0/1 with command bit 0), and the
 * cascade requirement that channel 4 be unmasked for DMA1 to reach the bus (QEMU ignores both too).
 */
import type { AccessSize, GuestPhysAddr } from '../memory/types.js';
import type { Device, DeviceState, RegionOps } from './device.js';
import type { IoRegionSpec } from '../memory/io-space.js';

/** Guest-physical memory as the DMA controller sees it (the machine passes RAM access). */
export interface DmaMemory {
  readBytes(addr: GuestPhysAddr, n: number): Uint8Array;
  writeBytes(addr: GuestPhysAddr, bytes: Uint8Array): void;
}

/** A device attached to a DMA channel. */
export interface DmaClient {
  /** The channel is ready to move data for the device's pending request: call `transfer`. */
  dmaService(channel: number): void;
}

export interface Dma8237Options {
  name?: string;
  memory: DmaMemory;
}

/* Mode register (write to 0x0B / 0xD6), 8237A datasheet "Mode Register":
 *   7:6  mode: 00 demand, 01 single, 10 block, 11 cascade
 *   5    address decrement
 *   4    auto-initialisation
 *   3:2  transfer: 00 verify, 01 write (to memory), 10 read (from memory), 11 illegal
 *   1:0  channel select */
export const DMA_MODE_DECREMENT = 0x20;
export const DMA_MODE_AUTOINIT = 0x10;
export const DMA_XFER_VERIFY = 0;
export const DMA_XFER_WRITE = 1;
export const DMA_XFER_READ = 2;

/** Page register port offset (from 0x81) per channel. */
const PAGE_PORT = [0x87 - 0x81, 0x83 - 0x81, 0x81 - 0x81, 0x82 - 0x81, 0x8f - 0x81, 0x8b - 0x81, 0x89 - 0x81, 0x8a - 0x81];

export class Dma8237 implements Device {
  readonly name: string;
  /** Ports 0x00-0x0F. */
  readonly dma1: RegionOps;
  /** Ports 0xC0-0xDF. */
  readonly dma2: RegionOps;
  /** Ports 0x81-0x8F. */
  readonly page: RegionOps;
  /** Whether the last `transfer` call ended at terminal count. */
  lastTc = false;

  private readonly memory: DmaMemory;
  private readonly baseAddr = new Uint16Array(8);
  private readonly baseCount = new Uint16Array(8);
  private readonly curAddr = new Uint16Array(8);
  private readonly curCount = new Uint16Array(8);
  private readonly mode = new Uint8Array(8);
  /** Page registers 0x81..0x8F (index = port - 0x81). */
  private readonly pages = new Uint8Array(15);
  /** Per controller: flip-flop, command, mask (4 bits), request (4 bits), status. */
  private readonly flipFlop = new Uint8Array(2);
  private readonly command = new Uint8Array(2);
  private readonly mask = new Uint8Array(2);
  private readonly request = new Uint8Array(2);
  private readonly status = new Uint8Array(2);
  /** Device DREQ lines (bit per channel). */
  private dreq = 0;
  private readonly clients: (DmaClient | undefined)[] = new Array<DmaClient | undefined>(8).fill(undefined);
  private servicing = false;

  constructor(opts: Dma8237Options) {
    this.name = opts.name ?? 'dma8237';
    this.memory = opts.memory;
    this.dma1 = {
      read: (offset) => this.readReg(0, offset & 15),
      write: (offset, _size, value) => this.writeReg(0, offset & 15, value & 0xff),
    };
    this.dma2 = {
      read: (offset) => ((offset & 1) === 0 ? this.readReg(1, (offset >> 1) & 15) : 0xff),
      write: (offset, _size, value) => {
        if ((offset & 1) === 0) this.writeReg(1, (offset >> 1) & 15, value & 0xff);
      },
    };
    this.page = {
      read: (offset, size) => this.readPage(offset, size),
      write: (offset, size, value) => {
        for (let i = 0; i < size; i++) if (offset + i < 15) this.pages[offset + i] = (value >>> (8 * i)) & 0xff;
      },
    };
    this.reset();
  }

  /** Default port mappings. */
  ioRegions(): IoRegionSpec[] {
    return [
      { base: 0x00, count: 16, ops: this.dma1, name: `${this.name}.dma1`, maxSize: 1 },
      { base: 0xc0, count: 32, ops: this.dma2, name: `${this.name}.dma2`, maxSize: 1 },
      { base: 0x81, count: 15, ops: this.page, name: `${this.name}.page`, maxSize: 1 },
    ];
  }

  /** Attach the device that owns `channel` (FDC: 2). */
  connect(channel: number, client: DmaClient): void {
    this.clients[channel & 7] = client;
  }

  reset(): void {
    for (let c = 0; c < 2; c++) this.masterClear(c);
    this.baseAddr.fill(0);
    this.baseCount.fill(0);
    this.curAddr.fill(0);
    this.curCount.fill(0);
    this.mode.fill(0);
    this.pages.fill(0);
    this.dreq = 0;
    this.lastTc = false;
  }

  private masterClear(c: number): void {
    this.flipFlop[c] = 0;
    this.command[c] = 0;
    this.mask[c] = 0x0f;
    this.request[c] = 0;
    this.status[c] = 0;
  }

  // ------------------------------------------------------------------------------------------
  // Registers

  private readReg(c: number, reg: number): number {
    if (reg < 8) {
      const ch = c * 4 + (reg >> 1);
      const v = (reg & 1) === 0 ? this.curAddr[ch]! : this.curCount[ch]!;
      const ff = this.flipFlop[c]!;
      this.flipFlop[c] = ff ^ 1;
      return ff === 0 ? v & 0xff : v >> 8;
    }
    switch (reg) {
      case 8: {
        // Status: TC bits are cleared by the read; request bits reflect DREQ (device or software).
        const req = ((this.dreq >> (c * 4)) | this.request[c]!) & 0x0f;
        const v = (this.status[c]! & 0x0f) | (req << 4);
        this.status[c] = 0;
        return v;
      }
      case 15:
        return 0xf0 | this.mask[c]!;
      default:
        return 0; // temporary register (memory-to-memory only) and write-only registers
    }
  }

  private writeReg(c: number, reg: number, v: number): void {
    if (reg < 8) {
      const ch = c * 4 + (reg >> 1);
      const ff = this.flipFlop[c]!;
      this.flipFlop[c] = ff ^ 1;
      const arr = (reg & 1) === 0 ? this.baseAddr : this.baseCount;
      const cur = (reg & 1) === 0 ? this.curAddr : this.curCount;
      const nv = ff === 0 ? (arr[ch]! & 0xff00) | v : (arr[ch]! & 0x00ff) | (v << 8);
      arr[ch] = nv;
      cur[ch] = nv;
      return;
    }
    switch (reg) {
      case 8: // command
        this.command[c] = v;
        break;
      case 9: // request
        if ((v & 4) !== 0) this.request[c] = this.request[c]! | (1 << (v & 3));
        else this.request[c] = this.request[c]! & ~(1 << (v & 3));
        break;
      case 10: // single mask
        if ((v & 4) !== 0) this.mask[c] = this.mask[c]! | (1 << (v & 3));
        else this.mask[c] = this.mask[c]! & ~(1 << (v & 3));
        break;
      case 11: // mode
        this.mode[c * 4 + (v & 3)] = v;
        break;
      case 12: // clear byte pointer flip-flop
        this.flipFlop[c] = 0;
        break;
      case 13: // master clear
        this.masterClear(c);
        break;
      case 14: // clear mask register
        this.mask[c] = 0;
        break;
      case 15: // write all mask bits
        this.mask[c] = v & 0x0f;
        break;
    }
    this.runPending();
  }

  private readPage(offset: number, size: AccessSize): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = (v << 8) | (offset + i < 15 ? this.pages[offset + i]! : 0xff);
    return v >>> 0;
  }

  // ------------------------------------------------------------------------------------------
  // Device side

  /** True when `channel` can move data now (unmasked, controller enabled). */
  ready(channel: number): boolean {
    const c = channel >> 2;
    return (this.mask[c]! & (1 << (channel & 3))) === 0 && (this.command[c]! & 0x04) === 0;
  }

  /** Transfer type of `channel` (DMA_XFER_VERIFY / _WRITE / _READ, 3 = illegal). */
  transferType(channel: number): number {
    return (this.mode[channel & 7]! >> 2) & 3;
  }

  /** Assert DREQ for `channel`; the client is serviced now or when the channel becomes ready. */
  requestService(channel: number): void {
    this.dreq |= 1 << (channel & 7);
    this.runPending();
  }

  /** Deassert DREQ for `channel`. */
  releaseService(channel: number): void {
    this.dreq &= ~(1 << (channel & 7));
  }

  private runPending(): void {
    if (this.servicing || this.dreq === 0) return;
    this.servicing = true;
    // Bounded: each client either transfers or releases; a client that keeps DREQ without
    // progress is retried only on the next register write.
    for (let ch = 0; ch < 8; ch++) {
      if ((this.dreq & (1 << ch)) !== 0 && this.ready(ch)) {
        const cl = this.clients[ch];
        if (cl !== undefined) cl.dmaService(ch);
      }
    }
    this.servicing = false;
  }

  /**
   * Move up to `length` bytes between `buffer[offset..]` and guest memory on `channel`, in the
   * direction of the channel's mode. Stops at terminal count (then `lastTc` is true, the status
   * TC bit is set and, with auto-initialisation, the current registers are reloaded). Returns the
   * number of buffer bytes consumed (0 if the channel is masked or the controller disabled).
   */
  transfer(channel: number, buffer: Uint8Array, offset: number, length: number): number {
    channel &= 7;
    this.lastTc = false;
    if (!this.ready(channel)) return 0;
    const c = channel >> 2;
    const wide = c === 1;
    const unit = wide ? 2 : 1;
    const mode = this.mode[channel]!;
    const type = (mode >> 2) & 3;
    const dec = (mode & DMA_MODE_DECREMENT) !== 0;
    const page = this.pages[PAGE_PORT[channel]!]!;
    // Units the channel can still move (count + 1) and units requested.
    const left = this.curCount[channel]! + 1;
    let units = Math.floor(length / unit);
    let tc = false;
    if (units >= left) {
      units = left;
      tc = true;
    }
    let done = 0;
    while (done < units) {
      const addr = this.curAddr[channel]!;
      // Contiguous run before the address wraps inside its block.
      const run = Math.min(units - done, dec ? addr + 1 : 0x10000 - addr);
      const base = wide ? (page & 0xfe) * 0x10000 + addr * 2 : page * 0x10000 + addr;
      const bytes = run * unit;
      const bufOff = offset + done * unit;
      if (type === DMA_XFER_WRITE || type === DMA_XFER_READ) {
        if (!dec) {
          if (type === DMA_XFER_WRITE) this.memory.writeBytes(base as GuestPhysAddr, buffer.subarray(bufOff, bufOff + bytes));
          else buffer.set(this.memory.readBytes(base as GuestPhysAddr, bytes), bufOff);
        } else {
          // Decrementing: buffer unit i goes to address - i.
          const low = base - (run - 1) * unit;
          if (type === DMA_XFER_WRITE) {
            const tmp = new Uint8Array(bytes);
            for (let i = 0; i < run; i++) for (let k = 0; k < unit; k++) tmp[(run - 1 - i) * unit + k] = buffer[bufOff + i * unit + k]!;
            this.memory.writeBytes(low as GuestPhysAddr, tmp);
          } else {
            const src = this.memory.readBytes(low as GuestPhysAddr, bytes);
            for (let i = 0; i < run; i++) for (let k = 0; k < unit; k++) buffer[bufOff + i * unit + k] = src[(run - 1 - i) * unit + k]!;
          }
        }
      }
      this.curAddr[channel] = dec ? addr - run : addr + run;
      done += run;
    }
    this.curCount[channel] = this.curCount[channel]! - units;
    if (tc) {
      this.lastTc = true;
      this.status[c] = this.status[c]! | (1 << (channel & 3));
      this.request[c] = this.request[c]! & ~(1 << (channel & 3));
      if ((mode & DMA_MODE_AUTOINIT) !== 0) {
        this.curAddr[channel] = this.baseAddr[channel]!;
        this.curCount[channel] = this.baseCount[channel]!;
      } else {
        this.mask[c] = this.mask[c]! | (1 << (channel & 3));
      }
    }
    return units * unit;
  }

  /** Current address/count of a channel (for tools and tests). */
  channelState(channel: number): { address: number; count: number; page: number; mode: number; masked: boolean } {
    channel &= 7;
    return {
      address: this.curAddr[channel]!,
      count: this.curCount[channel]!,
      page: this.pages[PAGE_PORT[channel]!]!,
      mode: this.mode[channel]!,
      masked: (this.mask[channel >> 2]! & (1 << (channel & 3))) !== 0,
    };
  }

  saveState(): DeviceState {
    return {
      baseAddr: Array.from(this.baseAddr),
      baseCount: Array.from(this.baseCount),
      curAddr: Array.from(this.curAddr),
      curCount: Array.from(this.curCount),
      mode: Array.from(this.mode),
      pages: Array.from(this.pages),
      flipFlop: Array.from(this.flipFlop),
      command: Array.from(this.command),
      mask: Array.from(this.mask),
      request: Array.from(this.request),
      status: Array.from(this.status),
      dreq: this.dreq,
    };
  }

  loadState(s: DeviceState): void {
    this.baseAddr.set(s['baseAddr'] as number[]);
    this.baseCount.set(s['baseCount'] as number[]);
    this.curAddr.set(s['curAddr'] as number[]);
    this.curCount.set(s['curCount'] as number[]);
    this.mode.set(s['mode'] as number[]);
    this.pages.set(s['pages'] as number[]);
    this.flipFlop.set(s['flipFlop'] as number[]);
    this.command.set(s['command'] as number[]);
    this.mask.set(s['mask'] as number[]);
    this.request.set(s['request'] as number[]);
    this.status.set(s['status'] as number[]);
    this.dreq = s['dreq'] as number;
  }
}
