/**
 * The hypervisor's EPT policy (KVM's memslots → EPT): guest RAM mapped read/write/execute, ROM
 * read/execute (guest writes become EPT violations, which the hypervisor completes against the
 * bus, where the ROM region drops them), MMIO left unmapped (every access is an EPT violation the
 * hypervisor sends to the device bus). The tables themselves are built by `vmx/setup.ts`'s
 * EptBuilder, in host memory the hypervisor owns.
 *
 * With the A20 gate masked, every RAM page whose guest-physical address has bit 20 set is mapped
 * to the page with bit 20 clear — the 8086 wrap-around the gate emulates (QEMU applies the gate in
 * its TCG address translation; KVM ignores it).
 */
import type { FlatRangeInfo } from '../memory/address-space.js';
import type { PhysicalMemory } from '../memory/physical.js';
import { EptBuilder } from '../vmx/setup.js';

const PAGE = 4096;
const MB = 0x100000;

/** Build fresh EPT tables in [arena, arena + size) for `ranges`; returns the EPTP (low dword). */
export function buildEpt(phys: PhysicalMemory, arena: number, size: number, ranges: readonly FlatRangeInfo[], a20: boolean): number {
  const b = new EptBuilder(phys, arena, size);
  for (const r of ranges) {
    if (r.kind === 'mmio' || r.hostAddr === undefined) continue;
    // Only whole pages can be mapped; partial pages stay unmapped and are emulated.
    const start = Math.ceil(r.start / PAGE) * PAGE;
    const end = Math.floor((r.start + r.size) / PAGE) * PAGE;
    if (end <= start) continue;
    const perm = r.kind === 'ram' ? 7 : 5;
    if (a20 || end <= MB || start >= 2 ** 32 - 2 * MB) {
      b.map(start, r.hostAddr + (start - r.start), end - start, { perm });
      continue;
    }
    for (let gpa = start; gpa < end; gpa += PAGE) {
      if ((gpa & MB) === 0) {
        b.map(gpa, r.hostAddr + (gpa - r.start), PAGE, { perm });
        continue;
      }
      const target = gpa & ~MB;
      const t = ranges.find((x) => x.kind !== 'mmio' && x.hostAddr !== undefined && target >= x.start && target + PAGE <= x.start + x.size);
      if (t) b.map(gpa, t.hostAddr! + (target - t.start), PAGE, { perm: t.kind === 'ram' ? 7 : 5 });
    }
  }
  return b.eptp({ accessedDirty: true });
}
