/**
 * Extended page tables (Intel SDM Vol. 3C, "EPT Translation Mechanism", "EPT Misconfigurations",
 * "EPT Violations", "Accessed and Dirty Flags for EPT"): the 4-level walk from an EPTP, 2 MiB and
 * 1 GiB pages, R/W/X permissions (execute-only allowed), memory-type and reserved-bit checks,
 * accessed/dirty flags when EPTP[6] enables them.
 *
 * EPTP (VMCS 0x201A):
 *
 *   bits 2:0    memory type of the EPT paging structures: 0 UC, 6 WB
 *   bits 5:3    page-walk length - 1 (must be 3: 4 levels)
 *   bit  6      enable accessed/dirty flags
 *   bits 11:7   reserved (0)
 *   bits 31:12  PML4 table address (BASIC[48] = 1: EPT structures lie below 4 GiB; bits 63:32 = 0)
 *
 * EPT paging-structure entry (64 bits; MAXPHYADDR = 36):
 *
 *   bit 0 R   bit 1 W   bit 2 X        bits 5:3  memory type (leaf; 2, 3, 7 are reserved)
 *   bit 6     ignore PAT (leaf)         bit 7     page size (PDPTE: 1 GiB, PDE: 2 MiB; PML4E: reserved)
 *   bit 8     accessed                  bit 9     dirty (leaf)
 *   bits 35:12 next table / frame       bits 51:36 reserved       bits 63:52 ignored
 *   non-leaf: bits 7:3 (PML4E) / 6:3 (PDPTE, PDE) reserved
 *   large page: frame bits 29:12 (1 GiB) / 20:12 (2 MiB) reserved
 *
 * An entry with bits 2:0 = 0 is not present (violation). A present entry with W and not R, a
 * reserved bit, or a reserved leaf memory type is an EPT misconfiguration.
 *
 * Models: translation, permissions, misconfigurations, A/D. Does not model: memory types beyond
 * validity checks (recorded, never acted on), #VE, PML, SPP, MBEC, 5-level walks.
 */
import { Access } from '../cpu/vmx-hooks.js';
import type { PhysicalMemory } from '../memory/physical.js';

/** Host-physical base of the MMIO window the hypervisor's instruction emulation routes through. */
export const MMIO_HPA_BASE = 2 ** 40;

export const enum EptStatus { OK = 0, VIOLATION = 1, MISCONFIG = 2 }

const TWO32 = 0x100000000;

/** The result of one walk. Preallocated on the hot path, fresh for `eptWalk`. */
export class EptWalkResult {
  status: EptStatus = EptStatus.OK;
  /** Host-physical address (OK). */
  hpa = 0;
  /** AND of bits 2:0 over the entries walked (where the walk stopped, for violations). */
  rwx = 0;
  /** Leaf memory type and IPAT. */
  memType = 0;
  ipat = false;
  /** Level where the walk ended: 4 PML4E, 3 PDPTE, 2 PDE, 1 PTE. */
  level = 0;
  /** Page size of the translation: 4096, 2 MiB or 1 GiB. */
  pageSize = 0;
  /** Host-physical addresses of the entries walked (index 0 = PML4E). */
  readonly entries = new Float64Array(4);
  count = 0;
  /** Scratch for the high dword of the entry being read. */
  readonly hiScratch = new Int32Array(1);
}

function readEntry(phys: PhysicalMemory, addr: number, hiOut: Int32Array): number {
  const ram = phys.ram;
  if (addr + 8 <= ram.length) {
    hiOut[0] = ram[addr + 4]! | (ram[addr + 5]! << 8) | (ram[addr + 6]! << 16) | (ram[addr + 7]! << 24);
    return ram[addr]! | (ram[addr + 1]! << 8) | (ram[addr + 2]! << 16) | (ram[addr + 3]! << 24);
  }
  hiOut[0] = phys.readSlow(addr + 4, 4) | 0;
  return phys.readSlow(addr, 4) | 0;
}

function orEntryLo(phys: PhysicalMemory, addr: number, bits: number): void {
  const ram = phys.ram;
  if (addr + 8 <= ram.length) {
    ram[addr + 1] = ram[addr + 1]! | (bits >>> 8);
    ram[addr] = ram[addr]! | (bits & 0xff);
  } else {
    phys.writeSlow(addr, 4, (phys.readSlow(addr, 4) | bits) >>> 0);
  }
}

/** Is the EPTP valid for this processor (the VM-entry and INVEPT check)? */
export function eptpValid(eptpLo: number, eptpHi: number, adSupported: boolean): boolean {
  const mt = eptpLo & 7;
  if (mt !== 0 && mt !== 6) return false;
  if (((eptpLo >>> 3) & 7) !== 3) return false;
  if ((eptpLo & 0x40) !== 0 && !adSupported) return false;
  if ((eptpLo & 0xf80) !== 0) return false;
  return eptpHi === 0;
}

/** Options of a walk. */
export const enum EptWalkFlags {
  /** Set accessed/dirty flags (when EPTP[6] = 1) on success. */
  UPDATE_AD = 1,
  /** Execute-only translations allowed (IA32_VMX_EPT_VPID_CAP[0]). */
  EXECUTE_ONLY = 2,
  /** 1 GiB pages supported (CAP[17]). */
  PAGE_1G = 4,
}

/**
 * The walk, filling `out` (no allocation). `access` uses `Access` bits (READ/WRITE/EXECUTE,
 * PAGE_WALK). Guest paging-structure accesses are treated as writes when EPTP[6] = 1.
 */
export function eptWalkInto(out: EptWalkResult, phys: PhysicalMemory, eptpLo: number, gpa: number, access: number, flags: number): void {
  const hiBuf = out.hiScratch;
  const ad = (eptpLo & 0x40) !== 0;
  let need = access & 7;
  if (ad && (access & Access.PAGE_WALK) !== 0) need |= Access.WRITE;
  let table = (eptpLo & ~0xfff) >>> 0;
  const gpaHi = gpa >= TWO32 ? Math.floor(gpa / TWO32) : 0;
  const gpaLo = gpa >>> 0;
  let rwx = 7;
  out.count = 0;
  out.status = EptStatus.OK;
  for (let level = 4; level >= 1; level--) {
    let index: number;
    switch (level) {
      case 4: index = (gpaHi >>> 7) & 0x1ff; break;          // bits 47:39
      case 3: index = ((gpaHi & 0x7f) << 2) | (gpaLo >>> 30); break; // bits 38:30
      case 2: index = (gpaLo >>> 21) & 0x1ff; break;
      default: index = (gpaLo >>> 12) & 0x1ff; break;
    }
    const addr = table + index * 8;
    out.entries[out.count++] = addr;
    out.level = level;
    const lo = readEntry(phys, addr, hiBuf);
    const hi = hiBuf[0]!;
    const perm = lo & 7;
    rwx &= perm;
    out.rwx = rwx;
    if (perm === 0) { out.status = EptStatus.VIOLATION; return; }
    // ---- misconfiguration checks on a present entry ----
    if ((perm & 3) === 2) { out.status = EptStatus.MISCONFIG; return; }             // W without R
    if (perm === 4 && (flags & EptWalkFlags.EXECUTE_ONLY) === 0) { out.status = EptStatus.MISCONFIG; return; }
    if ((hi & 0x000ffff0) !== 0) { out.status = EptStatus.MISCONFIG; return; }      // bits 51:36
    const ps = (lo & 0x80) !== 0;
    const leaf = level === 1 || (ps && level <= 3);
    if (level === 4 && (lo & 0xf8) !== 0) { out.status = EptStatus.MISCONFIG; return; }
    if (level === 3 && ps && (flags & EptWalkFlags.PAGE_1G) === 0) { out.status = EptStatus.MISCONFIG; return; }
    if (!leaf) {
      if ((lo & 0x78) !== 0) { out.status = EptStatus.MISCONFIG; return; }
      table = (hi & 0xf) * TWO32 + ((lo & ~0xfff) >>> 0);
      continue;
    }
    const mt = (lo >>> 3) & 7;
    if (mt === 2 || mt === 3 || mt === 7) { out.status = EptStatus.MISCONFIG; return; }
    const frameHi = (hi & 0xf) * TWO32;
    let base: number;
    let size: number;
    if (level === 3) {
      if ((lo & 0x3ffff000) !== 0) { out.status = EptStatus.MISCONFIG; return; }
      base = frameHi + ((lo & 0xc0000000) >>> 0);
      size = 0x40000000;
    } else if (level === 2) {
      if ((lo & 0x1ff000) !== 0) { out.status = EptStatus.MISCONFIG; return; }
      base = frameHi + ((lo & 0xffe00000) >>> 0);
      size = 0x200000;
    } else {
      base = frameHi + ((lo & ~0xfff) >>> 0);
      size = 0x1000;
    }
    out.memType = mt;
    out.ipat = (lo & 0x40) !== 0;
    out.pageSize = size;
    if ((need & ~rwx & 7) !== 0) { out.status = EptStatus.VIOLATION; return; }
    out.hpa = base + (gpaLo & (size - 1));
    if (ad && (flags & EptWalkFlags.UPDATE_AD) !== 0) {
      for (let i = 0; i < out.count - 1; i++) orEntryLo(phys, out.entries[i]!, 0x100);
      orEntryLo(phys, addr, (need & Access.WRITE) !== 0 ? 0x300 : 0x100);
    }
    return;
  }
}

/**
 * A pure EPT walk for tests and debug tooling: does not set A/D flags unless asked.
 * `eptp` is the low dword of the EPTP (the high dword must be 0 on this processor).
 */
export function eptWalk(phys: PhysicalMemory, eptp: number, gpa: number, access: number,
  opts: { updateAccessedDirty?: boolean; executeOnly?: boolean; pages1G?: boolean } = {}): EptWalkResult {
  const out = new EptWalkResult();
  const flags = (opts.updateAccessedDirty === true ? EptWalkFlags.UPDATE_AD : 0) |
    (opts.executeOnly !== false ? EptWalkFlags.EXECUTE_ONLY : 0) | (opts.pages1G !== false ? EptWalkFlags.PAGE_1G : 0);
  eptWalkInto(out, phys, eptp, gpa, access, flags);
  return out;
}

/** EPT leaf permission bits for builders. */
export const EptPerm = { R: 1, W: 2, X: 4, RW: 3, RWX: 7 } as const;
/** EPT memory types. */
export const EptMemType = { UC: 0, WC: 1, WT: 4, WP: 5, WB: 6 } as const;
