/**
 * Paging and the TLB (SDM Vol. 3A, chapter 4 "Paging").
 *
 * Models: 32-bit paging (4 KiB pages, 4 MiB pages with CR4.PSE), PAE paging (PDPTE registers loaded
 * on MOV CR3 / CR0 / CR4 with reserved-bit checks, 2 MiB pages, execute-disable with EFER.NXE),
 * U/S and R/W protection with CR0.WP, accessed/dirty bits, global pages (CR4.PGE), the #PF error
 * code and CR2, A20 masking, and VMX non-root guest-physical translation (every paging-structure
 * access and the final address go through `hooks.translateGuestPhysical`).
 *
 * The TLB is three page-indexed Int32Arrays (`tlbRead`, `tlbWrite`, `tlbExec`) holding the
 * host-physical page base of a RAM page, or -1 (slow path: call `translate`). Entries are valid for
 * the privilege class (user = CPL 3, supervisor = CPL 0-2) that was current when they were filled;
 * the Mmu keeps one array set per class and swaps them in `cplChanged()`. Each tag (`setContext`)
 * has its own pair of sets, so VPID-tagged translations survive VM entries and exits. A write entry
 * is only filled once the leaf's dirty bit is set; non-RAM pages are never cached.
 *
 * Does not model: PSE-36, SMEP/SMAP, protection keys, 4-level paging, paging-structure caches
 * other than the TLB, memory types (PAT/MTRR/PCD/PWT are ignored), the A20 gate changing under
 * cached translations (the machine must call `flushAll()` when it toggles A20).
 *
 * Readers of the fast arrays must read `cpu.mmu.tlbRead` (etc.) afresh: `cplChanged()` and
 * `setContext()` replace the array references. Everything that may change or drop a translation
 * also calls `cpu.forgetFetchPage()` (the CPU caches the code page of the last fetch).
 */
import type { Cpu } from './cpu.js';
import { Access } from './vmx-hooks.js';

/** #PF error-code bits (SDM Vol. 3A, "Interrupt 14—Page-Fault Exception"). */
export const enum PfErr { P = 1, W = 2, U = 4, RSVD = 8, ID = 16 }

/**
 * Extra access bit (beyond `Access` in vmx-hooks.ts): an implicit supervisor-mode access
 * (descriptor tables, TSS, stacks during privilege changes), checked as CPL 0 whatever the CPL is.
 * It is stripped before anything is passed to the VMX hooks.
 */
export const ACCESS_SUPERVISOR = 64;

/** CR0/CR4/EFER bits used here. */
export const enum Cr0 {
  PE = 1, MP = 2, EM = 4, TS = 8, ET = 0x10, NE = 0x20, WP = 0x10000, AM = 0x40000,
  NW = 0x20000000, CD = 0x40000000, PG = 0x80000000 | 0,
}
export const enum Cr4 {
  VME = 1, PVI = 2, TSD = 4, DE = 8, PSE = 0x10, PAE = 0x20, MCE = 0x40, PGE = 0x80, PCE = 0x100,
  OSFXSR = 0x200, OSXMMEXCPT = 0x400, VMXE = 0x2000,
}
export const enum Efer { SCE = 1, LME = 0x100, LMA = 0x400, NXE = 0x800 }

/** Physical-address width reported by CPUID 0x80000008 and used for PAE reserved-bit checks. */
export const MAXPHYADDR = 36;

const PAGES = 1 << 20;
/** Number of filled entries remembered per set before a flush has to scan the whole array. */
const FILL_LOG = 4096;

/** Bits of the high dword of a PAE entry that are reserved below bit 63 (bits 62:MAXPHYADDR). */
const PAE_RSVD_HI = (0x7fffffff & ~((1 << (MAXPHYADDR - 32)) - 1)) | 0;
/** PDPTE reserved bits in the low dword: 2:1 and 8:5 (SDM Table 4-8). */
const PDPTE_RSVD_LO = 0x1e6;

/**
 * One set of TLB arrays for one privilege class of one context.
 *
 *   read/write/exec[linear >>> 12]  host-physical page base + 1, or 0 (no entry). Zero for
 *                                   "empty" keeps fresh arrays untouched, so the OS backs only the
 *                                   pages that hold entries (12 MiB per set would otherwise be
 *                                   resident). Readers subtract 1: -1 then means "no entry".
 *   global[linear >>> 12]           1 when the entry came from a global leaf (CR4.PGE)
 *   log[0..count)                   pages filled since the last flush (all, if overflow)
 */
class TlbSet {
  readonly read = new Int32Array(PAGES);
  readonly write = new Int32Array(PAGES);
  readonly exec = new Int32Array(PAGES);
  readonly global = new Uint8Array(PAGES);
  readonly log = new Int32Array(FILL_LOG);
  count = 0;
  overflow = false;

  fill(page: number, base: number, kind: number, global: boolean): void {
    if (this.read[page] === 0 && this.write[page] === 0 && this.exec[page] === 0) {
      if (this.count < FILL_LOG) this.log[this.count++] = page;
      else this.overflow = true;
    }
    this.global[page] = global ? 1 : 0;
    const e = base + 1;
    if (kind === 2) {
      this.write[page] = e;
      this.read[page] = e;
    } else if (kind === 4) {
      this.exec[page] = e;
    } else {
      this.read[page] = e;
    }
  }

  clearPage(page: number): void {
    this.read[page] = 0;
    this.write[page] = 0;
    this.exec[page] = 0;
    this.global[page] = 0;
  }

  flush(keepGlobal: boolean): void {
    if (this.overflow) {
      if (keepGlobal) {
        const g = this.global;
        this.count = 0;
        this.overflow = false;
        for (let p = 0; p < PAGES; p++) {
          if (g[p] !== 0) {
            if (this.count < FILL_LOG) this.log[this.count++] = p;
            else this.overflow = true;
          } else if (this.read[p] !== 0 || this.write[p] !== 0 || this.exec[p] !== 0) {
            this.clearPage(p);
          }
        }
      } else {
        this.read.fill(0);
        this.write.fill(0);
        this.exec.fill(0);
        this.global.fill(0);
        this.count = 0;
        this.overflow = false;
      }
      return;
    }
    let kept = 0;
    for (let i = 0; i < this.count; i++) {
      const p = this.log[i];
      if (keepGlobal && this.global[p] !== 0) this.log[kept++] = p;
      else this.clearPage(p);
    }
    this.count = kept;
  }
}

/** The TLB of one context (tag): a supervisor set and a user set (allocated on first use). */
class TlbContext {
  supervisor = new TlbSet();
  user: TlbSet | null = null;
  constructor(public tag: number) {}
  flush(keepGlobal: boolean): void {
    this.supervisor.flush(keepGlobal);
    if (this.user) this.user.flush(keepGlobal);
  }
  invlpg(page: number): void {
    this.supervisor.clearPage(page);
    if (this.user) this.user.clearPage(page);
  }
}

/** At most this many tagged contexts are kept; the least recently used one is dropped. */
const MAX_CONTEXTS = 4;

export class Mmu {
  /** Fast arrays for the current context and privilege class (see the module comment). */
  tlbRead: Int32Array;
  tlbWrite: Int32Array;
  tlbExec: Int32Array;

  /**
   * PAE PDPTE registers (SDM 4.4.1), as low/high dword pairs: pdpte[2*i], pdpte[2*i+1].
   * VM entry with EPT loads them from the VMCS; otherwise `loadPdptes()` reads them from CR3.
   */
  readonly pdpte = new Int32Array(8);

  /** The linear address of the last #PF raised; interrupt delivery copies it into CR2. */
  faultLinear = 0;

  private readonly cpu: Cpu;
  private contexts: TlbContext[] = [];
  private ctx: TlbContext;
  private set: TlbSet;
  private userClass = false;

  constructor(cpu: Cpu) {
    this.cpu = cpu;
    this.ctx = new TlbContext(0);
    this.contexts.push(this.ctx);
    this.set = this.ctx.supervisor;
    this.tlbRead = this.set.read;
    this.tlbWrite = this.set.write;
    this.tlbExec = this.set.exec;
  }

  /** The tag of the current context (0 = VMX root / no VPID). */
  get context(): number {
    return this.ctx.tag;
  }

  // ---------------------------------------------------------------- TLB management

  /**
   * Invalidate every translation of the current context, global ones included. Also re-selects
   * the array set for the current CPL (so a CPL written without `cplChanged()` is picked up).
   */
  flushAll(): void {
    this.cpu.forgetFetchPage();
    this.ctx.flush(false);
    this.cplChanged();
  }

  /** Invalidate the current context's non-global translations (MOV CR3). */
  flushNonGlobal(): void {
    this.cpu.forgetFetchPage();
    this.ctx.flush(true);
    this.cplChanged();
  }

  /** INVLPG: invalidate one page (global or not) in the current context. */
  invlpg(linear: number): void {
    this.cpu.forgetFetchPage();
    this.ctx.invlpg(linear >>> 12);
  }

  /** Called whenever `cpu.cpl` may have changed: selects the set for the privilege class. */
  cplChanged(): void {
    const user = this.cpu.cpl === 3;
    if (user === this.userClass) return;
    this.userClass = user;
    this.selectSet();
  }

  /** Switch to the TLB of `tag` (e.g. VPID, or VPID and EPTP combined by the caller). */
  setContext(tag: number): void {
    if (tag === this.ctx.tag) return;
    const list = this.contexts;
    let found: TlbContext | null = null;
    for (let i = 0; i < list.length; i++) {
      if (list[i].tag === tag) {
        found = list[i];
        list.splice(i, 1);
        break;
      }
    }
    if (found === null) {
      if (list.length >= MAX_CONTEXTS) {
        // Recycle the least recently used context's arrays (a TLB may forget at any time).
        found = list.shift()!;
        found.flush(false);
        found.tag = tag;
      } else {
        found = new TlbContext(tag);
      }
    }
    list.push(found);
    this.ctx = found;
    this.userClass = this.cpu.cpl === 3;
    this.selectSet();
  }

  /** Invalidate all translations (global included) tagged `tag`. */
  flushContext(tag: number): void {
    this.cpu.forgetFetchPage();
    for (const c of this.contexts) if (c.tag === tag) c.flush(false);
  }

  /** Invalidate one page in the context `tag` (INVVPID individual-address). */
  flushContextPage(tag: number, linear: number): void {
    this.cpu.forgetFetchPage();
    for (const c of this.contexts) if (c.tag === tag) c.invlpg(linear >>> 12);
  }

  /** Invalidate every context (INVVPID all-context, VMXON/VMXOFF...). */
  flushAllContexts(): void {
    this.cpu.forgetFetchPage();
    for (const c of this.contexts) c.flush(false);
  }

  private selectSet(): void {
    this.cpu.forgetFetchPage();
    const c = this.ctx;
    if (this.userClass) {
      if (c.user === null) c.user = new TlbSet();
      this.set = c.user;
    } else {
      this.set = c.supervisor;
    }
    this.tlbRead = this.set.read;
    this.tlbWrite = this.set.write;
    this.tlbExec = this.set.exec;
  }

  // ---------------------------------------------------------------- PDPTEs

  /** True when PAE paging is in use (CR0.PG and CR4.PAE). */
  paePaging(): boolean {
    const cpu = this.cpu;
    return (cpu.cr0 & Cr0.PG) !== 0 && (cpu.cr4 & Cr4.PAE) !== 0;
  }

  /**
   * Load the four PDPTEs from the 32-byte-aligned table CR3 points at (SDM 4.4.1). Returns false
   * (registers unchanged) when a present PDPTE has a reserved bit set: the caller raises #GP(0).
   *
   *   PDPTE: bit 0 P | 2:1 rsvd | 3 PWT | 4 PCD | 8:5 rsvd | 11:9 ignored |
   *          (MAXPHYADDR-1):12 page-directory base | 63:MAXPHYADDR rsvd
   */
  loadPdptes(cr3: number = this.cpu.cr3): boolean {
    const cpu = this.cpu;
    const base = (cr3 & 0xffffffe0) >>> 0;
    let lo0 = 0, hi0 = 0, lo1 = 0, hi1 = 0, lo2 = 0, hi2 = 0, lo3 = 0, hi3 = 0;
    for (let i = 0; i < 4; i++) {
      let addr = this.a20(base + i * 8);
      if (cpu.nonRoot && cpu.hooks !== null) {
        addr = cpu.hooks.translateGuestPhysical(addr, Access.READ | Access.PAGE_WALK, 0);
      }
      const lo = physRead32(cpu, addr);
      const hi = physRead32(cpu, addr + 4);
      if ((lo & 1) !== 0 && ((lo & PDPTE_RSVD_LO) !== 0 || (hi & (PAE_RSVD_HI | 0x80000000)) !== 0)) {
        return false;
      }
      if (i === 0) { lo0 = lo; hi0 = hi; } else if (i === 1) { lo1 = lo; hi1 = hi; }
      else if (i === 2) { lo2 = lo; hi2 = hi; } else { lo3 = lo; hi3 = hi; }
    }
    const p = this.pdpte;
    p[0] = lo0; p[1] = hi0; p[2] = lo1; p[3] = hi1; p[4] = lo2; p[5] = hi2; p[6] = lo3; p[7] = hi3;
    return true;
  }

  // ---------------------------------------------------------------- translation

  /**
   * Translate `linear` for an access (`Access.READ`, `WRITE` or `EXECUTE`, optionally with
   * `ACCESS_SUPERVISOR`). Returns the host-physical address; fills the TLB when the page is RAM;
   * raises #PF (CR2 is written at delivery from `faultLinear`) or VM-exits through the hooks.
   */
  translate(linear: number, access: number): number {
    const user = this.cpu.cpl === 3 && (access & ACCESS_SUPERVISOR) === 0;
    return this.translateImpl(linear >>> 0, access, user);
  }

  private translateImpl(linear: number, access: number, user: boolean): number {
    const cpu = this.cpu;
    const kind = access & (Access.READ | Access.WRITE | Access.EXECUTE);
    let gpa: number;
    let global = false;
    if ((cpu.cr0 & Cr0.PG) === 0) {
      gpa = this.a20(linear);
    } else if ((cpu.cr4 & Cr4.PAE) === 0) {
      gpa = this.walk32(linear, kind, user);
      global = this.walkGlobal;
    } else {
      gpa = this.walkPae(linear, kind, user);
      global = this.walkGlobal;
    }
    let hpa = gpa;
    if (cpu.nonRoot && cpu.hooks !== null) {
      hpa = cpu.hooks.translateGuestPhysical(
        gpa, kind | (user ? Access.USER : 0) | Access.LINEAR_VALID, linear);
    }
    const base = hpa - (hpa & 0xfff);
    if (base + 4096 <= cpu.phys.ram.length && user === this.userClass) {
      // A refilled execute entry may map the CPU's fetch page elsewhere.
      if (kind === Access.EXECUTE) cpu.forgetFetchPage();
      this.set.fill(linear >>> 12, base, kind === Access.WRITE ? 2 : kind === Access.EXECUTE ? 4 : 1, global);
    }
    return hpa;
  }

  /**
   * Translate without side effects (no A/D updates, no faults, no TLB fill): the guest-physical
   * address or -1. For debuggers. Paging structures are read at their guest-physical addresses
   * (no EPT translation: in non-root operation use it only when guest-physical = host-physical).
   */
  probe(linear: number): number {
    const cpu = this.cpu;
    linear >>>= 0;
    if ((cpu.cr0 & Cr0.PG) === 0) return this.a20(linear);
    if ((cpu.cr4 & Cr4.PAE) === 0) {
      const pde = physRead32(cpu, this.a20(((cpu.cr3 & 0xfffff000) >>> 0) + ((linear >>> 22) << 2)));
      if ((pde & 1) === 0) return -1;
      if ((pde & 0x80) !== 0 && (cpu.cr4 & Cr4.PSE) !== 0) return this.a20(((pde & 0xffc00000) >>> 0) + (linear & 0x3fffff));
      const pte = physRead32(cpu, this.a20(((pde & 0xfffff000) >>> 0) + (((linear >>> 12) & 0x3ff) << 2)));
      if ((pte & 1) === 0) return -1;
      return this.a20(((pte & 0xfffff000) >>> 0) + (linear & 0xfff));
    }
    const i = linear >>> 30;
    const plo = this.pdpte[2 * i], phi = this.pdpte[2 * i + 1];
    if ((plo & 1) === 0) return -1;
    const pdeAddr = this.a20(paeAddr(plo, phi) + (((linear >>> 21) & 0x1ff) << 3));
    const dlo = physRead32(cpu, pdeAddr), dhi = physRead32(cpu, pdeAddr + 4);
    if ((dlo & 1) === 0) return -1;
    if ((dlo & 0x80) !== 0) return this.a20(paeAddr(dlo & 0xffe00000, dhi) + (linear & 0x1fffff));
    const pteAddr = this.a20(paeAddr(dlo, dhi) + (((linear >>> 12) & 0x1ff) << 3));
    const tlo = physRead32(cpu, pteAddr), thi = physRead32(cpu, pteAddr + 4);
    if ((tlo & 1) === 0) return -1;
    return this.a20(paeAddr(tlo, thi) + (linear & 0xfff));
  }

  /** Set by the walks: the leaf was global (G bit with CR4.PGE). */
  private walkGlobal = false;

  private a20(addr: number): number {
    return addr - (addr & ~this.cpu.a20Mask & 0x100000);
  }

  /** Host-physical address of a paging-structure entry at guest-physical `gpa`. */
  private structAddr(gpa: number, linear: number, write: boolean): number {
    const cpu = this.cpu;
    gpa = this.a20(gpa);
    if (cpu.nonRoot && cpu.hooks !== null) {
      return cpu.hooks.translateGuestPhysical(
        gpa, (write ? Access.WRITE : Access.READ) | Access.PAGE_WALK | Access.LINEAR_VALID, linear);
    }
    return gpa;
  }

  private pageFault(linear: number, err: number): never {
    this.faultLinear = linear;
    return this.cpu.raiseFault(14, err);
  }

  /** Protection check shared by both walks (SDM 4.6). `rw`/`us`: combined R/W and U/S. */
  private checkAccess(linear: number, kind: number, user: boolean, rw: boolean, us: boolean, xd: boolean): void {
    const cpu = this.cpu;
    const write = kind === Access.WRITE;
    let ok = true;
    if (user) {
      if (!us || (write && !rw)) ok = false;
    } else if (write && !rw && (cpu.cr0 & Cr0.WP) !== 0) {
      ok = false;
    }
    if (kind === Access.EXECUTE && xd) ok = false;
    if (!ok) this.pageFault(linear, this.errBits(kind, user) | PfErr.P);
  }

  private errBits(kind: number, user: boolean): number {
    let e = 0;
    if (kind === Access.WRITE) e |= PfErr.W;
    if (user) e |= PfErr.U;
    if (kind === Access.EXECUTE && (this.cpu.cr4 & Cr4.PAE) !== 0 && (this.cpu.efer & Efer.NXE) !== 0) {
      e |= PfErr.ID;
    }
    return e;
  }

  /**
   * 32-bit paging walk (SDM 4.3).
   *
   *   PDE (4 KiB table):  0 P | 1 R/W | 2 U/S | 3 PWT | 4 PCD | 5 A | 7 PS=0 | 31:12 table base
   *   PDE (4 MiB page):   0 P | 1 R/W | 2 U/S | 5 A | 6 D | 7 PS=1 | 8 G | 21:13 rsvd | 31:22 base
   *   PTE:                0 P | 1 R/W | 2 U/S | 5 A | 6 D | 8 G | 31:12 page base
   */
  private walk32(linear: number, kind: number, user: boolean): number {
    const cpu = this.cpu;
    const pdeGpa = ((cpu.cr3 & 0xfffff000) >>> 0) + ((linear >>> 22) << 2);
    const pde = physRead32(cpu, this.structAddr(pdeGpa, linear, false));
    if ((pde & 1) === 0) this.pageFault(linear, this.errBits(kind, user));
    const write = kind === Access.WRITE;
    if ((pde & 0x80) !== 0 && (cpu.cr4 & Cr4.PSE) !== 0) {
      if ((pde & 0x3fe000) !== 0) this.pageFault(linear, this.errBits(kind, user) | PfErr.P | PfErr.RSVD);
      this.checkAccess(linear, kind, user, (pde & 2) !== 0, (pde & 4) !== 0, false);
      const upd = pde | 0x20 | (write ? 0x40 : 0);
      if (upd !== pde) this.writeEntry(pdeGpa, upd, linear);
      this.walkGlobal = (pde & 0x100) !== 0 && (cpu.cr4 & Cr4.PGE) !== 0;
      return this.a20(((pde & 0xffc00000) >>> 0) + (linear & 0x3fffff));
    }
    const pteGpa = ((pde & 0xfffff000) >>> 0) + (((linear >>> 12) & 0x3ff) << 2);
    const pte = physRead32(cpu, this.structAddr(pteGpa, linear, false));
    if ((pte & 1) === 0) this.pageFault(linear, this.errBits(kind, user));
    this.checkAccess(linear, kind, user, (pde & pte & 2) !== 0, (pde & pte & 4) !== 0, false);
    if ((pde & 0x20) === 0) this.writeEntry(pdeGpa, pde | 0x20, linear);
    const upd = pte | 0x20 | (write ? 0x40 : 0);
    if (upd !== pte) this.writeEntry(pteGpa, upd, linear);
    this.walkGlobal = (pte & 0x100) !== 0 && (cpu.cr4 & Cr4.PGE) !== 0;
    return this.a20(((pte & 0xfffff000) >>> 0) + (linear & 0xfff));
  }

  /**
   * PAE paging walk (SDM 4.4). Entries are 64-bit (low dword / high dword):
   *
   *   PDE (table):  lo: 0 P | 1 R/W | 2 U/S | 5 A | 7 PS=0 | 31:12 base   hi: 3:0 base 35:32 |
   *                 30:4 rsvd | 31 XD (reserved unless EFER.NXE)
   *   PDE (2 MiB):  lo: 0 P | 1 R/W | 2 U/S | 5 A | 6 D | 7 PS=1 | 8 G | 20:13 rsvd | 31:21 base
   *   PTE:          lo: 0 P | 1 R/W | 2 U/S | 5 A | 6 D | 8 G | 31:12 base   hi: as PDE
   */
  private walkPae(linear: number, kind: number, user: boolean): number {
    const cpu = this.cpu;
    const i = linear >>> 30;
    const plo = this.pdpte[2 * i], phi = this.pdpte[2 * i + 1];
    if ((plo & 1) === 0) this.pageFault(linear, this.errBits(kind, user));
    const rsvdHi = (cpu.efer & Efer.NXE) !== 0 ? PAE_RSVD_HI : (PAE_RSVD_HI | 0x80000000);
    const write = kind === Access.WRITE;
    const pdeGpa = paeAddr(plo, phi) + (((linear >>> 21) & 0x1ff) << 3);
    const pdeAddr = this.structAddr(pdeGpa, linear, false);
    const dlo = physRead32(cpu, pdeAddr), dhi = physRead32(cpu, pdeAddr + 4);
    if ((dlo & 1) === 0) this.pageFault(linear, this.errBits(kind, user));
    if ((dhi & rsvdHi) !== 0 || ((dlo & 0x80) !== 0 && (dlo & 0x1fe000) !== 0)) {
      this.pageFault(linear, this.errBits(kind, user) | PfErr.P | PfErr.RSVD);
    }
    const nxe = (cpu.efer & Efer.NXE) !== 0;
    if ((dlo & 0x80) !== 0) {
      this.checkAccess(linear, kind, user, (dlo & 2) !== 0, (dlo & 4) !== 0, nxe && dhi < 0);
      const upd = dlo | 0x20 | (write ? 0x40 : 0);
      if (upd !== dlo) this.writeEntry(pdeGpa, upd, linear);
      this.walkGlobal = (dlo & 0x100) !== 0 && (cpu.cr4 & Cr4.PGE) !== 0;
      return this.a20(paeAddr(dlo & 0xffe00000, dhi) + (linear & 0x1fffff));
    }
    const pteGpa = paeAddr(dlo, dhi) + (((linear >>> 12) & 0x1ff) << 3);
    const pteAddr = this.structAddr(pteGpa, linear, false);
    const tlo = physRead32(cpu, pteAddr), thi = physRead32(cpu, pteAddr + 4);
    if ((tlo & 1) === 0) this.pageFault(linear, this.errBits(kind, user));
    if ((thi & rsvdHi) !== 0) this.pageFault(linear, this.errBits(kind, user) | PfErr.P | PfErr.RSVD);
    this.checkAccess(linear, kind, user, (dlo & tlo & 2) !== 0, (dlo & tlo & 4) !== 0,
      nxe && (dhi < 0 || thi < 0));
    if ((dlo & 0x20) === 0) this.writeEntry(pdeGpa, dlo | 0x20, linear);
    const upd = tlo | 0x20 | (write ? 0x40 : 0);
    if (upd !== tlo) this.writeEntry(pteGpa, upd, linear);
    this.walkGlobal = (tlo & 0x100) !== 0 && (cpu.cr4 & Cr4.PGE) !== 0;
    return this.a20(paeAddr(tlo, thi) + (linear & 0xfff));
  }

  /**
   * Write back an entry's low dword with A/D set (a locked update on hardware). In non-root
   * operation the update is a write to guest-physical memory and needs EPT write permission.
   */
  private writeEntry(gpa: number, value: number, linear: number): void {
    physWrite32(this.cpu, this.structAddr(gpa, linear, true), value);
  }

  // ---------------------------------------------------------------- system linear accesses

  /**
   * Read `size` (1, 2 or 4) bytes at `linear` as an implicit supervisor access (descriptor
   * tables, TSS) or, with `user`, as a CPL-3 access. Page-crossing accesses are split bytewise.
   */
  readSys(linear: number, size: 1 | 2 | 4, user = false): number {
    linear >>>= 0;
    const acc = Access.READ | (user ? 0 : ACCESS_SUPERVISOR);
    if ((linear & 0xfff) + size <= 4096) {
      // The fast array is valid when it belongs to the privilege class of this access.
      const fast = user === this.userClass ? this.tlbRead[linear >>> 12]! - 1 : -1;
      const hpa = fast !== -1 ? fast + (linear & 0xfff) : this.translateAs(linear, acc, user);
      return size === 4 ? physRead32(this.cpu, hpa) : size === 2 ? physRead16(this.cpu, hpa) : physRead8(this.cpu, hpa);
    }
    let v = 0;
    for (let i = 0; i < size; i++) v |= physRead8(this.cpu, this.translateAs((linear + i) >>> 0, acc, user)) << (8 * i);
    return size === 4 ? v : v & ((1 << (8 * size)) - 1);
  }

  /** Write counterpart of `readSys`. Checks every page before writing any byte. */
  writeSys(linear: number, size: 1 | 2 | 4, value: number, user = false): void {
    linear >>>= 0;
    const acc = Access.WRITE | (user ? 0 : ACCESS_SUPERVISOR);
    if ((linear & 0xfff) + size <= 4096) {
      const fast = user === this.userClass ? this.tlbWrite[linear >>> 12]! - 1 : -1;
      const hpa = fast !== -1 ? fast + (linear & 0xfff) : this.translateAs(linear, acc, user);
      if (size === 4) physWrite32(this.cpu, hpa, value);
      else if (size === 2) physWrite16(this.cpu, hpa, value);
      else physWrite8(this.cpu, hpa, value);
      return;
    }
    const a0 = this.translateAs(linear, acc, user);
    const a1 = this.translateAs((linear + size - 1) >>> 0, acc, user);
    for (let i = 0; i < size; i++) {
      const lin = (linear + i) >>> 0;
      const hpa = ((lin ^ linear) & ~0xfff) === 0 ? a0 + i : a1 - (size - 1 - i);
      physWrite8(this.cpu, hpa, value >>> (8 * i));
    }
  }

  private translateAs(linear: number, access: number, user: boolean): number {
    // A CPL-3 access while CPL != 3 does not fill: the fast arrays are for the current class.
    return this.translateImpl(linear, access, user || (this.cpu.cpl === 3 && (access & ACCESS_SUPERVISOR) === 0));
  }
}

/** Host-physical address of a PAE entry's target: high dword bits 3:0 are address bits 35:32. */
function paeAddr(lo: number, hi: number): number {
  return (hi & 0xf) * 0x100000000 + ((lo & 0xfffff000) >>> 0);
}

// ---------------------------------------------------------------- physical helpers

/** Read host-physical memory (RAM fast path, else the slow path). Little-endian. */
export function physRead8(cpu: Cpu, hpa: number): number {
  const ram = cpu.phys.ram;
  if (hpa < ram.length) return ram[hpa];
  return cpu.phys.readSlow(hpa, 1) & 0xff;
}

export function physRead16(cpu: Cpu, hpa: number): number {
  const ram = cpu.phys.ram;
  if (hpa + 1 < ram.length) return ram[hpa] | (ram[hpa + 1] << 8);
  if (hpa >= ram.length) return cpu.phys.readSlow(hpa, 2) & 0xffff;
  return physRead8(cpu, hpa) | (physRead8(cpu, hpa + 1) << 8);
}

export function physRead32(cpu: Cpu, hpa: number): number {
  const ram = cpu.phys.ram;
  if (hpa + 3 < ram.length) {
    return ram[hpa] | (ram[hpa + 1] << 8) | (ram[hpa + 2] << 16) | (ram[hpa + 3] << 24);
  }
  if (hpa >= ram.length) return cpu.phys.readSlow(hpa, 4) | 0;
  return physRead16(cpu, hpa) | (physRead16(cpu, hpa + 2) << 16);
}

/** Write host-physical memory; RAM writes invalidate cached decoded instructions. */
export function physWrite8(cpu: Cpu, hpa: number, v: number): void {
  const ram = cpu.phys.ram;
  if (hpa < ram.length) {
    ram[hpa] = v;
    cpu.invalidateCode(hpa, 1);
  } else {
    cpu.phys.writeSlow(hpa, 1, v & 0xff);
  }
}

export function physWrite16(cpu: Cpu, hpa: number, v: number): void {
  const ram = cpu.phys.ram;
  if (hpa + 1 < ram.length) {
    ram[hpa] = v;
    ram[hpa + 1] = v >>> 8;
    cpu.invalidateCode(hpa, 2);
  } else if (hpa >= ram.length) {
    cpu.phys.writeSlow(hpa, 2, v & 0xffff);
  } else {
    physWrite8(cpu, hpa, v);
    physWrite8(cpu, hpa + 1, v >>> 8);
  }
}

export function physWrite32(cpu: Cpu, hpa: number, v: number): void {
  const ram = cpu.phys.ram;
  if (hpa + 3 < ram.length) {
    ram[hpa] = v;
    ram[hpa + 1] = v >>> 8;
    ram[hpa + 2] = v >>> 16;
    ram[hpa + 3] = v >>> 24;
    cpu.invalidateCode(hpa, 4);
  } else if (hpa >= ram.length) {
    cpu.phys.writeSlow(hpa, 4, v >>> 0);
  } else {
    physWrite16(cpu, hpa, v);
    physWrite16(cpu, hpa + 2, v >>> 16);
  }
}
