/**
 * Builds the EPT paging structures the hypervisor hands to the processor: guest RAM mapped
 * read/write/execute, ROM read/execute (writes cause EPT violations, which the hypervisor drops
 * as the ROM region does), MMIO left unmapped (every access is an EPT violation that the
 * hypervisor sends to the device bus) — how KVM maps memslots.
 *
 * Tables live in a window of host-physical memory that the hypervisor owns. 2 MiB pages are used
 * wherever a whole aligned 2 MiB range has one kind and contiguous backing; 4 KiB pages elsewhere.
 *
 * EPT entry bits written here (SDM Vol. 3C, "EPT Translation Mechanism"):
 *   bits 2:0 R/W/X   bits 5:3 memory type (6 = WB) on leaves   bit 7 page size on PDEs
 *   bits 35:12 physical address of the next table or frame
 */
import type { FlatRangeInfo } from '../memory/address-space.js';
import { VtxError } from '../machine/errors.js';

const PAGE = 4096;
const LARGE = 2 << 20;
const WB = 6;

export interface EptMapping {
  gpa: number;
  hpa: number;
  size: number;
  /** R=1, W=2, X=4 */
  perms: number;
}

export class EptBuilder {
  private next: number;
  readonly pml4: number;

  /** Host memory `ram`; tables are allocated from [base, base + size). */
  constructor(
    private readonly ram: Uint8Array,
    private readonly base: number,
    private readonly size: number,
  ) {
    this.next = base;
    this.pml4 = this.alloc();
  }

  /** EPTP for these tables: WB structures, 4-level walk, accessed/dirty flags when `ad`. */
  eptp(ad = false): number {
    return this.pml4 | (3 << 3) | WB | (ad ? 1 << 6 : 0);
  }

  /** Clear every table (before a rebuild after the guest-physical map changed). */
  reset(): void {
    this.ram.fill(0, this.base, this.next);
    this.next = this.base;
    const p = this.alloc();
    if (p !== this.pml4) throw new Error('EptBuilder: PML4 moved');
  }

  private alloc(): number {
    if (this.next + PAGE > this.base + this.size) throw new VtxError('EPT table area exhausted');
    const p = this.next;
    this.next += PAGE;
    this.ram.fill(0, p, p + PAGE);
    return p;
  }

  private rd(addr: number): number {
    const r = this.ram;
    return (r[addr]! | (r[addr + 1]! << 8) | (r[addr + 2]! << 16) | (r[addr + 3]! << 24)) >>> 0;
  }
  private wr(addr: number, lo: number, hi = 0): void {
    const r = this.ram;
    r[addr] = lo; r[addr + 1] = lo >>> 8; r[addr + 2] = lo >>> 16; r[addr + 3] = lo >>> 24;
    r[addr + 4] = hi; r[addr + 5] = hi >>> 8; r[addr + 6] = hi >>> 16; r[addr + 7] = hi >>> 24;
  }

  /** The table an entry points to, allocating it when absent. */
  private table(entryAddr: number): number {
    const e = this.rd(entryAddr);
    if (e & 7) return e & ~0xfff;
    const t = this.alloc();
    this.wr(entryAddr, t | 7);
    return t;
  }

  private pd(gpa: number): number {
    const pdpt = this.table(this.pml4 + 8 * (Math.floor(gpa / 2 ** 39) & 511));
    return this.table(pdpt + 8 * (Math.floor(gpa / 2 ** 30) & 511));
  }

  map(m: EptMapping): void {
    if (m.gpa % PAGE || m.hpa % PAGE || m.size % PAGE) throw new VtxError(`EPT mapping 0x${m.gpa.toString(16)} must be page aligned`);
    let gpa = m.gpa;
    let hpa = m.hpa;
    let left = m.size;
    const leafBits = m.perms | (WB << 3);
    while (left > 0) {
      const pd = this.pd(gpa);
      const pde = pd + 8 * (Math.floor(gpa / LARGE) & 511);
      if (gpa % LARGE === 0 && hpa % LARGE === 0 && left >= LARGE && (this.rd(pde) & 7) === 0) {
        this.wr(pde, (hpa | leafBits | 0x80) >>> 0, Math.floor(hpa / 2 ** 32));
        gpa += LARGE; hpa += LARGE; left -= LARGE;
        continue;
      }
      const pt = this.table(pde);
      this.wr(pt + 8 * (Math.floor(gpa / PAGE) & 511), (hpa | leafBits) >>> 0, Math.floor(hpa / 2 ** 32));
      gpa += PAGE; hpa += PAGE; left -= PAGE;
    }
  }

  /**
   * Map every RAM and ROM range of a flattened guest-physical address space. With the A20 gate
   * masked (`a20 === false`), every RAM page whose address has bit 20 set is mapped to the page
   * with bit 20 clear, as the 8086 wrap-around that the gate emulates (QEMU does the same in its
   * TCG address translation; KVM ignores the gate).
   */
  mapFlatView(ranges: readonly FlatRangeInfo[], a20 = true): void {
    const MB = 0x100000;
    for (const r of ranges) {
      if (r.kind === 'mmio' || r.hostAddr === undefined) continue;
      // Only whole pages can be mapped; partial pages stay unmapped and are emulated.
      const start = Math.ceil(r.start / PAGE) * PAGE;
      const end = Math.floor((r.start + r.size) / PAGE) * PAGE;
      if (end <= start) continue;
      const perms = r.kind === 'ram' ? 7 : 5;
      if (a20 || end <= MB || start >= 2 ** 32 - 2 * MB) {
        this.map({ gpa: start, hpa: r.hostAddr + (start - r.start), size: end - start, perms });
        continue;
      }
      // A20 masked: pages with address bit 20 set take the translation of the page without it.
      for (let gpa = start; gpa < end; gpa += PAGE) {
        if ((gpa & MB) === 0) {
          this.map({ gpa, hpa: r.hostAddr + (gpa - r.start), size: PAGE, perms });
          continue;
        }
        const target = gpa & ~MB;
        const t = ranges.find((x) => x.kind !== 'mmio' && x.hostAddr !== undefined && target >= x.start && target + PAGE <= x.start + x.size);
        if (t) this.map({ gpa, hpa: t.hostAddr! + (target - t.start), size: PAGE, perms: t.kind === 'ram' ? 7 : 5 });
      }
    }
  }
}
