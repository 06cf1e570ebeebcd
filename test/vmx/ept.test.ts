import { describe, expect, it } from 'vitest';
import { FlatPhysicalMemory } from '../../src/memory/physical.js';
import { EptStatus, eptWalk, eptpValid } from '../../src/vmx/ept.js';
import { EptBuilder } from '../../src/vmx/setup.js';
import { Access } from '../../src/cpu/vmx-hooks.js';
import { packEptViolation, unpackEptViolation } from '../../src/vmx/qualification.js';

const R = Access.READ, W = Access.WRITE, X = Access.EXECUTE;

function mem(): { phys: FlatPhysicalMemory; b: EptBuilder } {
  const phys = new FlatPhysicalMemory(8 << 20);
  return { phys, b: new EptBuilder(phys, 0x100000, 0x40000) };
}
function wr64(phys: FlatPhysicalMemory, a: number, lo: number, hi = 0): void {
  const r = phys.ram;
  r[a] = lo; r[a + 1] = lo >>> 8; r[a + 2] = lo >>> 16; r[a + 3] = lo >>> 24;
  r[a + 4] = hi; r[a + 5] = hi >>> 8; r[a + 6] = hi >>> 16; r[a + 7] = hi >>> 24;
}
function rd32(phys: FlatPhysicalMemory, a: number): number {
  const r = phys.ram;
  return (r[a]! | (r[a + 1]! << 8) | (r[a + 2]! << 16) | (r[a + 3]! << 24)) >>> 0;
}

describe('EPT walk', () => {
  it('4 KiB, 2 MiB and 1 GiB translations', () => {
    const { phys, b } = mem();
    b.map(0x1000, 0x400000, 0x1000, { maxPageSize: 4096 });
    b.map(0x200000, 0x600000, 0x200000);
    b.map(0x40000000, 0x80000000, 0x40000000, { maxPageSize: 0x40000000 });
    const eptp = b.eptp();
    const a = eptWalk(phys, eptp, 0x1234, R);
    expect(a).toMatchObject({ status: EptStatus.OK, hpa: 0x400234, pageSize: 4096, level: 1, memType: 6 });
    const c = eptWalk(phys, eptp, 0x2abcde, W);
    expect(c).toMatchObject({ status: EptStatus.OK, hpa: 0x6abcde, pageSize: 0x200000, level: 2 });
    const d = eptWalk(phys, eptp, 0x7fedcba9, X);
    expect(d).toMatchObject({ status: EptStatus.OK, hpa: 0xbfedcba9, pageSize: 0x40000000, level: 3 });
  });

  it('GPAs above 4 GiB use the PML4/PDPT indices', () => {
    const { phys, b } = mem();
    b.map(0x8_0000_0000, 0x300000, 0x1000, { maxPageSize: 4096 });
    expect(eptWalk(phys, b.eptp(), 0x8_0000_0010, R)).toMatchObject({ status: EptStatus.OK, hpa: 0x300010 });
    expect(eptWalk(phys, b.eptp(), 0x10, R).status).toBe(EptStatus.VIOLATION);
  });

  it('permissions: read-only, write, execute-only, AND across levels', () => {
    const { phys, b } = mem();
    b.map(0x1000, 0x400000, 0x1000, { perm: 1, maxPageSize: 4096 });
    b.map(0x2000, 0x401000, 0x1000, { perm: 4, maxPageSize: 4096 });
    b.map(0x3000, 0x402000, 0x1000, { perm: 7, maxPageSize: 4096 });
    const eptp = b.eptp();
    expect(eptWalk(phys, eptp, 0x1000, R).status).toBe(EptStatus.OK);
    expect(eptWalk(phys, eptp, 0x1000, W)).toMatchObject({ status: EptStatus.VIOLATION, rwx: 1 });
    expect(eptWalk(phys, eptp, 0x1000, X)).toMatchObject({ status: EptStatus.VIOLATION, rwx: 1 });
    expect(eptWalk(phys, eptp, 0x2000, X).status).toBe(EptStatus.OK); // execute-only allowed
    expect(eptWalk(phys, eptp, 0x2000, R)).toMatchObject({ status: EptStatus.VIOLATION, rwx: 4 });
    expect(eptWalk(phys, eptp, 0x2000, X, { executeOnly: false }).status).toBe(EptStatus.MISCONFIG);
    // restrict the PDE to read-only: the AND makes the RWX page read-only
    const w = eptWalk(phys, eptp, 0x3000, R);
    const pde = w.entries[2]!;
    wr64(phys, pde, (rd32(phys, pde) & ~7) | 1);
    expect(eptWalk(phys, eptp, 0x3000, W)).toMatchObject({ status: EptStatus.VIOLATION, rwx: 1 });
  });

  it('not-present entries at every level are violations with rwx 0', () => {
    const { phys, b } = mem();
    const eptp = b.eptp();
    expect(eptWalk(phys, eptp, 0x5000, R)).toMatchObject({ status: EptStatus.VIOLATION, rwx: 0, level: 4 });
    b.map(0x200000, 0x400000, 0x1000, { maxPageSize: 4096 });
    expect(eptWalk(phys, eptp, 0x201000, R)).toMatchObject({ status: EptStatus.VIOLATION, rwx: 0, level: 1 });
    expect(eptWalk(phys, eptp, 0x400000, R)).toMatchObject({ status: EptStatus.VIOLATION, rwx: 0, level: 2 });
  });

  describe('misconfigurations', () => {
    const cases: [string, (phys: FlatPhysicalMemory, w: ReturnType<typeof eptWalk>) => void][] = [
      ['write without read on a leaf', (p, w) => wr64(p, w.entries[3]!, (rd32(p, w.entries[3]!) & ~7) | 2)],
      ['write+execute without read', (p, w) => wr64(p, w.entries[3]!, (rd32(p, w.entries[3]!) & ~7) | 6)],
      ['memory type 2', (p, w) => wr64(p, w.entries[3]!, (rd32(p, w.entries[3]!) & ~0x38) | (2 << 3))],
      ['memory type 3', (p, w) => wr64(p, w.entries[3]!, (rd32(p, w.entries[3]!) & ~0x38) | (3 << 3))],
      ['memory type 7', (p, w) => wr64(p, w.entries[3]!, rd32(p, w.entries[3]!) | (7 << 3))],
      ['reserved address bit 40 in a PTE', (p, w) => wr64(p, w.entries[3]!, rd32(p, w.entries[3]!), 0x100)],
      ['reserved bits 7:3 in a PML4E', (p, w) => wr64(p, w.entries[0]!, rd32(p, w.entries[0]!) | 0x8)],
      ['page size in a PML4E', (p, w) => wr64(p, w.entries[0]!, rd32(p, w.entries[0]!) | 0x80)],
      ['reserved bits 6:3 in a non-leaf PDE', (p, w) => wr64(p, w.entries[2]!, rd32(p, w.entries[2]!) | 0x10)],
      ['write without read in a PDPTE', (p, w) => wr64(p, w.entries[1]!, (rd32(p, w.entries[1]!) & ~7) | 2)],
    ];
    for (const [name, corrupt] of cases) {
      it(name, () => {
        const { phys, b } = mem();
        b.map(0x1000, 0x400000, 0x1000, { maxPageSize: 4096 });
        const eptp = b.eptp();
        const w = eptWalk(phys, eptp, 0x1000, R);
        expect(w.status).toBe(EptStatus.OK);
        corrupt(phys, w);
        expect(eptWalk(phys, eptp, 0x1000, R).status).toBe(EptStatus.MISCONFIG);
      });
    }
    it('reserved frame bits of a 2 MiB page and a 1 GiB page; 1 GiB page without support', () => {
      const { phys, b } = mem();
      b.map(0x200000, 0x400000, 0x200000);
      b.map(0x40000000, 0x40000000, 0x40000000, { maxPageSize: 0x40000000 });
      const eptp = b.eptp();
      expect(eptWalk(phys, eptp, 0x40000000, R, { pages1G: false }).status).toBe(EptStatus.MISCONFIG);
      const w = eptWalk(phys, eptp, 0x200000, R);
      wr64(phys, w.entries[2]!, rd32(phys, w.entries[2]!) | 0x1000);
      expect(eptWalk(phys, eptp, 0x200000, R).status).toBe(EptStatus.MISCONFIG);
      const g = eptWalk(phys, eptp, 0x40000000, R);
      wr64(phys, g.entries[1]!, rd32(phys, g.entries[1]!) | 0x200000);
      expect(eptWalk(phys, eptp, 0x40000000, R).status).toBe(EptStatus.MISCONFIG);
    });
  });

  it('accessed/dirty flags only with EPTP[6], only when asked, only on success', () => {
    const { phys, b } = mem();
    b.map(0x1000, 0x400000, 0x1000, { maxPageSize: 4096 });
    const leafOf = (e: number): number => { const w = eptWalk(phys, e, 0x1000, R); return w.entries[3]!; };
    const noAd = b.eptp();
    eptWalk(phys, noAd, 0x1000, W, { updateAccessedDirty: true });
    expect(rd32(phys, leafOf(noAd)) & 0x300).toBe(0);
    const ad = b.eptp({ accessedDirty: true });
    eptWalk(phys, ad, 0x1000, R);
    expect(rd32(phys, leafOf(ad)) & 0x300).toBe(0); // pure walk: no side effects
    eptWalk(phys, ad, 0x1000, R, { updateAccessedDirty: true });
    expect(rd32(phys, leafOf(ad)) & 0x300).toBe(0x100);
    eptWalk(phys, ad, 0x1000, W, { updateAccessedDirty: true });
    expect(rd32(phys, leafOf(ad)) & 0x300).toBe(0x300);
    // guest paging-structure reads count as writes with A/D enabled
    b.map(0x2000, 0x401000, 0x1000, { perm: 1, maxPageSize: 4096 });
    expect(eptWalk(phys, ad, 0x2000, R | Access.PAGE_WALK).status).toBe(EptStatus.VIOLATION);
    expect(eptWalk(phys, noAd, 0x2000, R | Access.PAGE_WALK).status).toBe(EptStatus.OK);
  });

  it('EPTP validity', () => {
    expect(eptpValid(0x1000 | 0x1e, 0, true)).toBe(true);
    expect(eptpValid(0x1000 | 0x18, 0, true)).toBe(true); // UC
    expect(eptpValid(0x1000 | 0x1e | 0x40, 0, true)).toBe(true);
    expect(eptpValid(0x1000 | 0x1e | 0x40, 0, false)).toBe(false);
    expect(eptpValid(0x1000 | 0x1d, 0, true)).toBe(false); // memory type 5
    expect(eptpValid(0x1000 | 0x26, 0, true)).toBe(false); // 5-level
    expect(eptpValid(0x1000 | 0x1e | 0x80, 0, true)).toBe(false);
    expect(eptpValid(0x1000 | 0x1e, 1, true)).toBe(false);
  });

  it('EPT-violation qualification packing', () => {
    const q = packEptViolation(2, 5, 0x180, true);
    expect(q).toBe(2 | (5 << 3) | 0x180 | 0x1000);
    expect(unpackEptViolation(q)).toEqual({
      read: false, write: true, fetch: false, rwx: 5, linearValid: true, translation: true,
      user: false, writable: false, xd: false, nmiUnblocking: true,
    });
  });
});
