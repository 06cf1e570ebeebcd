/**
 * CPUID (SDM Vol. 2A, "CPUID—CPU Identification").
 *
 * Models: a P6-class "GenuineIntel" processor that reports exactly what vtx implements: TSC,
 * MSR, PAE, CX8, APIC, SEP, MTRR, PGE, CMOV, PAT, PSE, VME-less (CR4.VME is not implemented), no
 * FPU (the x87 escapes raise #NM), VMX (leaf 1 ECX bit 5) only when the CPU has a VMX capability
 * provider, the brand string "vtx virtual CPU" and MAXPHYADDR in 0x80000008. Leaves are
 * configurable with `set()` (tests, machine options).
 *
 * Does not model: cache/TLB descriptor leaves beyond a fixed leaf 2, topology leaves, per-logical-
 * processor APIC IDs other than the one given.
 */
import { MAXPHYADDR } from './mmu.js';

/** Leaf 1 EDX feature bits (SDM Table 3-11). */
export const enum CpuidEdx {
  FPU = 1 << 0, VME = 1 << 1, DE = 1 << 2, PSE = 1 << 3, TSC = 1 << 4, MSR = 1 << 5, PAE = 1 << 6,
  MCE = 1 << 7, CX8 = 1 << 8, APIC = 1 << 9, SEP = 1 << 11, MTRR = 1 << 12, PGE = 1 << 13,
  MCA = 1 << 14, CMOV = 1 << 15, PAT = 1 << 16, PSE36 = 1 << 17,
}
/** Leaf 1 ECX feature bits. */
export const enum CpuidEcx { VMX = 1 << 5, MONITOR = 1 << 3 }
/** Leaf 0x80000001 EDX: execute-disable. */
export const CPUID_EXT_EDX_NX = 1 << 20;

export interface CpuidOptions {
  /** Family/model/stepping (default family 6, model 0x0F, stepping 1). */
  family?: number;
  model?: number;
  stepping?: number;
  /** Initial local APIC ID (leaf 1 EBX bits 31:24). */
  apicId?: number;
  /** Report VMX in leaf 1 ECX bit 5 (the Cpu sets this from `vmxCapabilities`). */
  vmx?: boolean;
}

type Regs = [number, number, number, number];

function str4(s: string, i: number): number {
  return (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24)) | 0;
}

/** Twelve characters as [EBX, EDX, ECX] (leaf 0 order) or 16 as four registers. */
function brandRegs(s: string, off: number): Regs {
  const p = s.padEnd(48, '\0');
  return [str4(p, off), str4(p, off + 4), str4(p, off + 8), str4(p, off + 12)];
}

export class CpuidTable {
  /** When true, leaf 1 ECX reports VMX. `Cpu` (or the machine) sets it with the VMX provider. */
  vmx: boolean;
  private readonly leaves = new Map<number, Regs>();
  private maxBasic = 2;
  private maxExtended = 0x80000008;

  constructor(options: CpuidOptions = {}) {
    const family = options.family ?? 6, model = options.model ?? 0x0f, stepping = options.stepping ?? 1;
    this.vmx = options.vmx ?? false;
    const v = 'GenuineIntel';
    this.leaves.set(0, [this.maxBasic, str4(v, 0), str4(v, 8), str4(v, 4)]);
    // EAX: stepping 3:0 | model 7:4 | family 11:8 | type 13:12 | ext model 19:16 | ext family 27:20
    const eax = (stepping & 0xf) | ((model & 0xf) << 4) | ((family & 0xf) << 8) | (((model >> 4) & 0xf) << 16);
    // EBX: brand index 7:0 | CLFLUSH line size 15:8 (8 qwords) | logical count 23:16 | APIC ID 31:24
    const ebx = (8 << 8) | (1 << 16) | ((options.apicId ?? 0) << 24);
    const edx = CpuidEdx.DE | CpuidEdx.PSE | CpuidEdx.TSC | CpuidEdx.MSR | CpuidEdx.PAE | CpuidEdx.CX8 |
      CpuidEdx.APIC | CpuidEdx.SEP | CpuidEdx.MTRR | CpuidEdx.PGE | CpuidEdx.CMOV | CpuidEdx.PAT;
    this.leaves.set(1, [eax, ebx, 0, edx]);
    // Leaf 2: one descriptor byte 0x01 in AL means "call once"; no other descriptors (0x00).
    this.leaves.set(2, [1, 0, 0, 0]);
    this.leaves.set(0x80000000, [this.maxExtended, 0, 0, 0]);
    this.leaves.set(0x80000001, [0, 0, 0, CPUID_EXT_EDX_NX]);
    const brand = 'vtx virtual CPU';
    this.leaves.set(0x80000002, brandRegs(brand, 0));
    this.leaves.set(0x80000003, brandRegs(brand, 16));
    this.leaves.set(0x80000004, brandRegs(brand, 32));
    // 0x80000008 EAX: physical address bits 7:0, linear address bits 15:8.
    this.leaves.set(0x80000008, [MAXPHYADDR | (32 << 8), 0, 0, 0]);
  }

  /**
   * Override a leaf (subleaf ignored: no implemented leaf has subleaves). Extending the maximum
   * leaf in leaf 0 / 0x80000000 is the caller's business (set those leaves too).
   */
  set(leaf: number, _subleaf: number, regs: readonly [number, number, number, number]): void {
    const r: Regs = [regs[0] | 0, regs[1] | 0, regs[2] | 0, regs[3] | 0];
    this.leaves.set(leaf >>> 0, r);
    if (leaf === 0) this.maxBasic = r[0] >>> 0;
    if (leaf >>> 0 === 0x80000000) this.maxExtended = r[0] >>> 0;
  }

  /**
   * CPUID with EAX = `eax`, ECX = `ecx`: [EAX, EBX, ECX, EDX] as int32. A leaf above the maximum
   * returns the highest basic leaf's data (Intel behaviour); unset leaves below it return zeros.
   * `vmx` (default: the `vmx` field) decides leaf 1 ECX bit 5; exec/system.ts passes
   * `cpu.vmxCapabilities !== null`. The returned array is this table's one result buffer, reused by
   * the next lookup (no allocation per CPUID, which exits on every guest CPUID): copy it to keep it.
   */
  lookup(eax: number, ecx: number, vmx: boolean = this.vmx): [number, number, number, number] {
    void ecx;
    let leaf = eax >>> 0;
    if (leaf >= 0x80000000) {
      if (leaf > this.maxExtended) leaf = this.maxBasic;
    } else if (leaf > this.maxBasic) {
      leaf = this.maxBasic;
    }
    const out = this.out;
    const r = this.leaves.get(leaf);
    if (r === undefined) {
      out[0] = 0; out[1] = 0; out[2] = 0; out[3] = 0;
      return out;
    }
    let c = r[2];
    if (leaf === 1) c = vmx ? c | CpuidEcx.VMX : c & ~CpuidEcx.VMX;
    out[0] = r[0]; out[1] = r[1]; out[2] = c; out[3] = r[3];
    return out;
  }

  private readonly out: [number, number, number, number] = [0, 0, 0, 0];
}
