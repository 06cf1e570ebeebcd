/**
 * Builders for VMX structures, used by the built-in hypervisor, its debug tooling and the tests:
 * EPT tables, a host page directory, a processor state in which VMXON succeeds, and a complete
 * valid VMCS for a flat 32-bit protected-mode guest or an unrestricted real-mode guest.
 *
 * Library code: everything here goes through the architectural interfaces (VMXON, VMPTRLD,
 * VMWRITE via `Vmcs.write`), never through the VMCS layout.
 */
import { VMCS_REVISION_ID, type VmxCapabilities } from './capabilities.js';
import { ENTRY_DEFAULT1, EXIT_DEFAULT1, PIN_DEFAULT1, PROC_DEFAULT1, ProcCtl, ProcCtl2, EntryCtl, ExitCtl } from './controls.js';
import { EptMemType } from './ept.js';
import type { VmxCpu } from './cpu-view.js';
import type { PhysicalMemory } from '../memory/physical.js';
import type { Vmx, VmResult } from './vmx.js';
import type { Vmcs } from './vmcs.js';

function wr32(ram: Uint8Array, a: number, v: number): void {
  ram[a] = v; ram[a + 1] = v >>> 8; ram[a + 2] = v >>> 16; ram[a + 3] = v >>> 24;
}
function rd32(ram: Uint8Array, a: number): number {
  return (ram[a]! | (ram[a + 1]! << 8) | (ram[a + 2]! << 16) | (ram[a + 3]! << 24)) >>> 0;
}

export class SetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SetupError';
  }
}

export interface EptMapOptions {
  /** R/W/X bits 2:0 (default 7). */
  perm?: number;
  /** Leaf memory type (default WB). */
  memType?: number;
  /** Largest page size to use: 4096, 2 MiB or 1 GiB (default 2 MiB). */
  maxPageSize?: number;
}

/**
 * An EPT hierarchy built in host-physical memory, tables taken from a bump arena
 * [arenaStart, arenaStart + arenaSize). The PML4 is the first page.
 */
export class EptBuilder {
  private next: number;
  readonly pml4: number;
  constructor(readonly phys: PhysicalMemory, readonly arenaStart: number, readonly arenaSize: number) {
    if (arenaStart % 4096 !== 0 || arenaStart + arenaSize > phys.ram.length || arenaSize < 4096) {
      throw new SetupError(`EptBuilder: arena 0x${arenaStart.toString(16)}+0x${arenaSize.toString(16)} is not page-aligned RAM`);
    }
    this.next = arenaStart;
    this.pml4 = this.alloc();
  }

  /** Bytes of the arena used so far. */
  get used(): number { return this.next - this.arenaStart; }

  private alloc(): number {
    if (this.next + 4096 > this.arenaStart + this.arenaSize) throw new SetupError('EptBuilder: table arena exhausted');
    const a = this.next;
    this.next += 4096;
    this.phys.ram.fill(0, a, a + 4096);
    return a;
  }

  /** The EPTP (low dword): WB structures, 4-level walk, A/D flags when asked. */
  eptp(opts: { accessedDirty?: boolean; memType?: number } = {}): number {
    return (this.pml4 | ((opts.memType ?? EptMemType.WB) & 7) | (3 << 3) | (opts.accessedDirty === true ? 0x40 : 0)) >>> 0;
  }

  /** The table below entry `index` of `table`, created when absent. */
  private child(table: number, index: number): number {
    const ram = this.phys.ram;
    const a = table + index * 8;
    const lo = rd32(ram, a);
    if ((lo & 7) !== 0) {
      if ((lo & 0x80) !== 0) throw new SetupError(`EptBuilder: 0x${a.toString(16)} is already a large page`);
      return (lo & ~0xfff) >>> 0;
    }
    const t = this.alloc();
    wr32(ram, a, t | 7);
    wr32(ram, a + 4, 0);
    return t;
  }

  /** Map guest-physical [gpa, gpa+size) to host-physical [hpa, hpa+size). Page-aligned. */
  map(gpa: number, hpa: number, size: number, opts: EptMapOptions = {}): this {
    if (gpa % 4096 !== 0 || hpa % 4096 !== 0 || size % 4096 !== 0) throw new SetupError('EptBuilder.map: addresses and size must be 4 KiB aligned');
    const perm = opts.perm ?? 7;
    const mt = opts.memType ?? EptMemType.WB;
    const max = opts.maxPageSize ?? 0x200000;
    const ram = this.phys.ram;
    let off = 0;
    while (off < size) {
      const g = gpa + off, h = hpa + off, left = size - off;
      const pml4i = Math.floor(g / 2 ** 39) & 0x1ff;
      const pdpt = this.child(this.pml4, pml4i);
      const pdpti = Math.floor(g / 2 ** 30) & 0x1ff;
      const leafBits = (perm & 7) | ((mt & 7) << 3);
      if (max >= 0x40000000 && g % 0x40000000 === 0 && h % 0x40000000 === 0 && left >= 0x40000000) {
        const a = pdpt + pdpti * 8;
        wr32(ram, a, ((h % 2 ** 32) | leafBits | 0x80) >>> 0);
        wr32(ram, a + 4, Math.floor(h / 2 ** 32));
        off += 0x40000000;
        continue;
      }
      const pd = this.child(pdpt, pdpti);
      const pdi = Math.floor(g / 0x200000) & 0x1ff;
      if (max >= 0x200000 && g % 0x200000 === 0 && h % 0x200000 === 0 && left >= 0x200000) {
        const a = pd + pdi * 8;
        wr32(ram, a, ((h % 2 ** 32) | leafBits | 0x80) >>> 0);
        wr32(ram, a + 4, Math.floor(h / 2 ** 32));
        off += 0x200000;
        continue;
      }
      const pt = this.child(pd, pdi);
      const pti = Math.floor(g / 4096) & 0x1ff;
      const a = pt + pti * 8;
      wr32(ram, a, ((h % 2 ** 32) | leafBits) >>> 0);
      wr32(ram, a + 4, Math.floor(h / 2 ** 32));
      off += 4096;
    }
    return this;
  }

  /** Remove the 4 KiB mapping of `gpa` (splitting nothing: the page must be mapped by a PTE). */
  unmap4k(gpa: number): this {
    const ram = this.phys.ram;
    let table = this.pml4;
    for (const shift of [39, 30, 21]) {
      const e = table + (Math.floor(gpa / 2 ** shift) & 0x1ff) * 8;
      const lo = rd32(ram, e);
      if ((lo & 7) === 0) return this;
      if ((lo & 0x80) !== 0) throw new SetupError(`EptBuilder.unmap4k: 0x${gpa.toString(16)} is inside a large page`);
      table = (lo & ~0xfff) >>> 0;
    }
    const e = table + (Math.floor(gpa / 4096) & 0x1ff) * 8;
    wr32(ram, e, 0);
    wr32(ram, e + 4, 0);
    return this;
  }
}

/**
 * EPT mapping guest-physical [0, sizeBytes) to host-physical [hostBase, hostBase + sizeBytes),
 * tables built at `at` (host-physical, page aligned, arena of `opts.arenaSize`, default 64 KiB).
 * Returns the builder (for further maps) and the EPTP.
 */
export function buildIdentityEpt(phys: PhysicalMemory, at: number, sizeBytes: number,
  opts: EptMapOptions & { hostBase?: number; accessedDirty?: boolean; arenaSize?: number } = {}): { eptp: number; builder: EptBuilder } {
  const b = new EptBuilder(phys, at, opts.arenaSize ?? 0x10000);
  b.map(0, opts.hostBase ?? 0, sizeBytes, opts);
  return { eptp: b.eptp(opts), builder: b };
}

/** A 32-bit page directory of 4 MiB PSE pages identity-mapping all 4 GiB (host CR3; CR4.PSE). */
export function buildHostPageDirectory(phys: PhysicalMemory, at: number): number {
  if (at % 4096 !== 0 || at + 4096 > phys.ram.length) throw new SetupError('buildHostPageDirectory: not a page of RAM');
  for (let i = 0; i < 1024; i++) wr32(phys.ram, at + i * 4, ((i << 22) | 0x83) >>> 0);
  return at;
}

/** Host CR0 / CR4 used by the builders: PE, ET, NE, PG / PSE, VMXE. */
export const HOST_CR0 = 0x80000031 | 0;
export const HOST_CR4 = 0x2010;
/** Host selectors used by the builders (flat GDT: 08 code, 10 data, 18 TSS). */
export const HOST_CS = 0x08, HOST_DS = 0x10, HOST_TR = 0x18;

/**
 * Put the processor in a state where VMXON succeeds (VMX root software running flat, CPL 0,
 * paging with `hostCr3`) and execute VMXON on `vmxonRegion` (its revision identifier is written).
 */
export function enterVmxRoot(vmx: Vmx, opts: { vmxonRegion: number; hostCr3: number }): VmResult {
  const cpu: VmxCpu = vmx.cpu;
  for (let i = 0; i < 6; i++) {
    const s = cpu.seg[i]!;
    s.selector = i === 1 ? HOST_CS : HOST_DS;
    s.base = 0;
    s.limit = 0xffffffff | 0;
    s.ar = i === 1 ? 0xc09b : 0xc093;
  }
  cpu.tr = { selector: HOST_TR, base: 0, limit: 0x67, ar: 0x8b };
  cpu.cr0 = HOST_CR0;
  cpu.cr4 = HOST_CR4;
  cpu.cr3 = opts.hostCr3;
  cpu.cpl = 0;
  cpu.setEflags(2);
  cpu.featureControl = 5;
  cpu.mmu.flushAll();
  cpu.mmu.cplChanged();
  wr32(cpu.phys.ram, opts.vmxonRegion, vmx.caps.revisionId);
  return vmx.vmxon(opts.vmxonRegion);
}

/** Write the revision identifier into a fresh VMCS region, VMCLEAR and VMPTRLD it. */
export function loadFreshVmcs(vmx: Vmx, region: number): Vmcs {
  const ram = vmx.cpu.phys.ram;
  ram.fill(0, region, region + 4096);
  wr32(ram, region, vmx.caps.revisionId);
  const r1 = vmx.vmclear(region);
  const r2 = vmx.vmptrld(region);
  if (r1.kind !== 'VMsucceed' || r2.kind !== 'VMsucceed') {
    throw new SetupError(`loadFreshVmcs: VMCLEAR/VMPTRLD of 0x${region.toString(16)} failed (${r1.kind}, ${r2.kind})`);
  }
  return vmx.vmcs;
}

export interface FlatGuestOptions {
  /** 'protected32': flat 32-bit protected mode (paged with `guestCr3`, else unpaged under
   *  unrestricted guest); 'real': unrestricted real-mode guest (needs `eptp`). */
  mode?: 'protected32' | 'real';
  rip: number;
  rsp?: number;
  rflags?: number;
  /** EPT pointer (enables EPT); required for 'real'. */
  eptp?: number;
  /** VPID (enables VPID when nonzero). */
  vpid?: number;
  /** Extra control bits ORed into the defaults. */
  pin?: number;
  proc?: number;
  proc2?: number;
  exit?: number;
  entry?: number;
  exceptionBitmap?: number;
  /** Host state. */
  hostRip?: number;
  hostRsp?: number;
  hostCr3: number;
  hostGdtrBase?: number;
  hostIdtrBase?: number;
  hostTrBase?: number;
  /** Guest CR3: when given (protected32), the guest runs with 32-bit paging (CR0.PG, CR4.PSE) and
   *  needs no unrestricted guest; otherwise the guest is unpaged under EPT + unrestricted guest. */
  guestCr3?: number;
  guestCr4?: number;
  guestCr0?: number;
  /** Guest GDT/IDT (default base 0 limit 0xFFFF / IVT for real mode: base 0 limit 0x3FF). */
  gdtrBase?: number;
  gdtrLimit?: number;
  idtrBase?: number;
  idtrLimit?: number;
}

/**
 * Fill the current VMCS with a complete valid configuration: host state (flat, CPL 0, paging with
 * `hostCr3`), controls at their default settings (plus `opts`), and a guest that is flat 32-bit
 * protected mode (CPL 0, 4 GiB segments, busy 32-bit TSS) or unrestricted real mode.
 */
export function initVmcsForFlatGuest(vmx: Vmx, opts: FlatGuestOptions): Vmcs {
  const v = vmx.vmcs;
  const caps: VmxCapabilities = vmx.caps;
  const real = opts.mode === 'real';
  const paged = !real && opts.guestCr3 !== undefined;
  if (!paged && opts.eptp === undefined) {
    throw new SetupError('initVmcsForFlatGuest: a guest without paging (real mode or unpaged protected mode) needs EPT (unrestricted guest); pass eptp or guestCr3');
  }
  let proc2 = opts.proc2 ?? 0;
  if (opts.eptp !== undefined) proc2 |= ProcCtl2.ENABLE_EPT;
  if (!paged) proc2 |= ProcCtl2.UNRESTRICTED_GUEST;
  if ((opts.vpid ?? 0) !== 0) proc2 |= ProcCtl2.ENABLE_VPID;
  let proc = (PROC_DEFAULT1 & ~(ProcCtl.CR3_LOAD_EXITING | ProcCtl.CR3_STORE_EXITING)) | (opts.proc ?? 0);
  if (proc2 !== 0) proc |= ProcCtl.ACTIVATE_SECONDARY_CONTROLS;
  const w = (name: Parameters<Vmcs['write']>[0], value: number): void => v.write(name, value);
  // ---- controls ----
  w('PIN_BASED_VM_EXEC_CONTROL', caps.pin0 | (opts.pin ?? 0));
  w('CPU_BASED_VM_EXEC_CONTROL', proc);
  w('SECONDARY_VM_EXEC_CONTROL', proc2);
  w('VM_EXIT_CONTROLS', caps.exit0 | (opts.exit ?? 0));
  w('VM_ENTRY_CONTROLS', caps.entry0 | (opts.entry ?? 0));
  w('EXCEPTION_BITMAP', opts.exceptionBitmap ?? 0);
  w('CR3_TARGET_COUNT', 0);
  if (opts.eptp !== undefined) w('EPT_POINTER', opts.eptp);
  w('VIRTUAL_PROCESSOR_ID', opts.vpid ?? 0);
  w('VMCS_LINK_POINTER', 0xffffffff);
  w('VMCS_LINK_POINTER_HIGH', 0xffffffff);
  w('VM_ENTRY_INTR_INFO_FIELD', 0);
  // ---- host state ----
  w('HOST_CR0', HOST_CR0);
  w('HOST_CR3', opts.hostCr3);
  w('HOST_CR4', HOST_CR4);
  w('HOST_CS_SELECTOR', HOST_CS);
  for (const s of ['HOST_ES_SELECTOR', 'HOST_SS_SELECTOR', 'HOST_DS_SELECTOR', 'HOST_FS_SELECTOR', 'HOST_GS_SELECTOR'] as const) w(s, HOST_DS);
  w('HOST_TR_SELECTOR', HOST_TR);
  w('HOST_TR_BASE', opts.hostTrBase ?? 0);
  w('HOST_GDTR_BASE', opts.hostGdtrBase ?? 0);
  w('HOST_IDTR_BASE', opts.hostIdtrBase ?? 0);
  w('HOST_RIP', opts.hostRip ?? 0);
  w('HOST_RSP', opts.hostRsp ?? 0);
  // ---- guest state ----
  const segs = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS'] as const;
  for (const s of segs) {
    const code = s === 'CS';
    if (real) {
      w(`GUEST_${s}_SELECTOR`, 0);
      w(`GUEST_${s}_BASE`, 0);
      w(`GUEST_${s}_LIMIT`, 0xffff);
      w(`GUEST_${s}_AR_BYTES`, code ? 0x9b : 0x93);
    } else {
      w(`GUEST_${s}_SELECTOR`, code ? 0x08 : 0x10);
      w(`GUEST_${s}_BASE`, 0);
      w(`GUEST_${s}_LIMIT`, 0xffffffff);
      w(`GUEST_${s}_AR_BYTES`, code ? 0xc09b : 0xc093);
    }
  }
  w('GUEST_LDTR_SELECTOR', 0);
  w('GUEST_LDTR_AR_BYTES', 0x10000);
  w('GUEST_TR_SELECTOR', real ? 0 : 0x18);
  w('GUEST_TR_BASE', 0);
  w('GUEST_TR_LIMIT', 0x67);
  w('GUEST_TR_AR_BYTES', 0x8b);
  w('GUEST_GDTR_BASE', opts.gdtrBase ?? 0);
  w('GUEST_GDTR_LIMIT', opts.gdtrLimit ?? 0xffff);
  w('GUEST_IDTR_BASE', opts.idtrBase ?? 0);
  w('GUEST_IDTR_LIMIT', opts.idtrLimit ?? (real ? 0x3ff : 0xffff));
  w('GUEST_CR0', opts.guestCr0 ?? (real ? 0x30 : paged ? 0x80000031 : 0x31));
  w('GUEST_CR3', opts.guestCr3 ?? 0);
  w('GUEST_CR4', opts.guestCr4 ?? (paged ? 0x2010 : 0x2000));
  w('GUEST_DR7', 0x400);
  w('GUEST_RSP', opts.rsp ?? 0);
  w('GUEST_RIP', opts.rip);
  w('GUEST_RFLAGS', opts.rflags ?? 2);
  w('GUEST_INTERRUPTIBILITY_INFO', 0);
  w('GUEST_ACTIVITY_STATE', 0);
  w('GUEST_PENDING_DBG_EXCEPTIONS', 0);
  w('GUEST_IA32_PAT', 0x00070406);
  w('GUEST_IA32_PAT_HIGH', 0x00070406);
  w('HOST_IA32_PAT', 0x00070406);
  w('HOST_IA32_PAT_HIGH', 0x00070406);
  return v;
}

/** Re-exported for callers that build regions by hand. */
export { VMCS_REVISION_ID, ENTRY_DEFAULT1, EXIT_DEFAULT1, PIN_DEFAULT1, EntryCtl, ExitCtl };
