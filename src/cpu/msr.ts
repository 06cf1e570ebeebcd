/**
 * Model-specific registers (SDM Vol. 4; RDMSR/WRMSR in Vol. 2).
 *
 * Models: IA32_TSC (writes adjust `cpu.tscOffset`), IA32_APIC_BASE, IA32_FEATURE_CONTROL (lock
 * bit), IA32_SYSENTER_CS/ESP/EIP, IA32_DEBUGCTL (LBR/BTF stored, no effect), IA32_MISC_ENABLE,
 * IA32_BIOS_SIGN_ID (reads 0), IA32_PAT (#GP on invalid memory types), the MTRRs (MTRRCAP with 8
 * variable ranges, fixed ranges, write-combining; MTRR_DEF_TYPE; storage only), IA32_EFER (NXE
 * only: LME/SCE are #GP since there is no long mode or SYSCALL), and the VMX capability MSRs
 * 0x480-0x491 from `cpu.vmxCapabilities` (read-only). Everything else is #GP(0).
 *
 * Does not model: performance counters, machine-check banks, microcode update.
 */
import type { Cpu } from './cpu.js';
import { MSR, Vec } from './state.js';
import { Efer, MAXPHYADDR } from './mmu.js';

export const MSR_BIOS_SIGN_ID = 0x8b;
export const MSR_MTRR_PHYSBASE0 = 0x200;
export const MSR_MTRR_FIX64K = 0x250;
export const MSR_MTRR_FIX16K_80000 = 0x258;
export const MSR_MTRR_FIX16K_A0000 = 0x259;
export const MSR_MTRR_FIX4K_C0000 = 0x268;
export const MSR_MTRR_FIX4K_F8000 = 0x26f;

/** Number of variable-range MTRR pairs (IA32_MTRRCAP.VCNT). */
const VCNT = 8;
/**
 * IA32_MTRRCAP: bits 7:0 VCNT | bit 8 FIX | bit 10 WC | bit 11 SMRR (0).
 */
const MTRRCAP = VCNT | (1 << 8) | (1 << 10);

/** Valid memory-type encodings for MTRRs (UC, WC, WT, WP, WB) and PAT (plus UC-). */
const mtrrType = (t: number): boolean => t === 0 || t === 1 || t === 4 || t === 5 || t === 6;
const patType = (t: number): boolean => mtrrType(t) || t === 7;

function allBytes(lo: number, hi: number, ok: (t: number) => boolean): boolean {
  for (let i = 0; i < 4; i++) {
    if (!ok((lo >>> (8 * i)) & 0xff) || !ok((hi >>> (8 * i)) & 0xff)) return false;
  }
  return true;
}

/** High-dword bits above MAXPHYADDR (reserved in address-holding MSRs). */
const HI_RSVD = (~((1 << (MAXPHYADDR - 32)) - 1)) | 0;

function isFixedMtrr(i: number): boolean {
  return i === MSR_MTRR_FIX64K || i === MSR_MTRR_FIX16K_80000 || i === MSR_MTRR_FIX16K_A0000 ||
    (i >= MSR_MTRR_FIX4K_C0000 && i <= MSR_MTRR_FIX4K_F8000);
}
function isVariableMtrr(i: number): boolean {
  return i >= MSR_MTRR_PHYSBASE0 && i < MSR_MTRR_PHYSBASE0 + 2 * VCNT;
}

/** Split a non-negative number < 2^64 (exact below 2^53) into [lo, hi] int32 halves. */
function split64(v: number): [number, number] {
  const hi = Math.floor(v / 0x100000000);
  return [(v - hi * 0x100000000) | 0, hi | 0];
}

/** RDMSR: [EAX, EDX] as int32, or #GP(0). The CPL check is the caller's (exec/system.ts). */
export function rdmsr(cpu: Cpu, index: number): [number, number] {
  index >>>= 0;
  switch (index) {
    case MSR.IA32_TSC: return split64(Math.max(0, cpu.tsc()));
    case MSR.IA32_APIC_BASE: return [cpu.apicBase | 0, 0];
    case MSR.IA32_FEATURE_CONTROL: return [cpu.featureControl | 0, 0];
    case MSR.IA32_SYSENTER_CS: return [cpu.sysenterCs | 0, 0];
    case MSR.IA32_SYSENTER_ESP: return [cpu.sysenterEsp | 0, 0];
    case MSR.IA32_SYSENTER_EIP: return [cpu.sysenterEip | 0, 0];
    case MSR.IA32_DEBUGCTL: return [cpu.debugctl | 0, 0];
    case MSR.IA32_MISC_ENABLE: return [cpu.miscEnable | 0, 0];
    case MSR.IA32_PAT: return [cpu.patLo | 0, cpu.patHi | 0];
    case MSR.IA32_MTRRCAP: return [MTRRCAP, 0];
    case MSR.IA32_EFER: return [cpu.efer | 0, 0];
    case MSR_BIOS_SIGN_ID: return [0, 0];
    default:
      break;
  }
  if (index === MSR.IA32_MTRR_DEF_TYPE || isFixedMtrr(index) || isVariableMtrr(index)) {
    const v = cpu.mtrrs.get(index);
    return v === undefined ? [0, 0] : [v[0], v[1]];
  }
  if (index >= MSR.IA32_VMX_BASIC && index <= 0x491 && cpu.vmxCapabilities !== null) {
    const v = cpu.vmxCapabilities.readMsr(index);
    if (v !== undefined) return [v[0] | 0, v[1] | 0];
  }
  return cpu.raiseFault(Vec.GP, 0);
}

/** WRMSR: store EDX:EAX into MSR `index` or #GP(0). The CPL check is the caller's. */
export function wrmsr(cpu: Cpu, index: number, lo: number, hi: number): void {
  index >>>= 0;
  lo |= 0;
  hi |= 0;
  const gp = (): never => cpu.raiseFault(Vec.GP, 0);
  switch (index) {
    case MSR.IA32_TSC: {
      const base = cpu.tsc() - cpu.tscOffset;
      cpu.tscOffset = (hi >>> 0) * 0x100000000 + (lo >>> 0) - base;
      return;
    }
    case MSR.IA32_APIC_BASE:
      // bits 7:0 reserved, 8 BSP, 9 reserved, 10 x2APIC (unsupported), 11 enable, 35:12 base
      if ((lo & 0x6ff) !== 0 || (hi & HI_RSVD) !== 0) gp();
      cpu.apicBase = lo >>> 0;
      return;
    case MSR.IA32_FEATURE_CONTROL:
      // bit 0 lock, 1 VMX inside SMX, 2 VMX outside SMX; writes #GP once locked.
      if ((cpu.featureControl & 1) !== 0 || (lo & ~7) !== 0 || hi !== 0) gp();
      cpu.featureControl = lo >>> 0;
      return;
    case MSR.IA32_SYSENTER_CS: cpu.sysenterCs = lo & 0xffff; return;
    case MSR.IA32_SYSENTER_ESP: cpu.sysenterEsp = lo >>> 0; return;
    case MSR.IA32_SYSENTER_EIP: cpu.sysenterEip = lo >>> 0; return;
    case MSR.IA32_DEBUGCTL:
      if ((lo & ~3) !== 0 || hi !== 0) gp();
      cpu.debugctl = lo;
      return;
    case MSR.IA32_MISC_ENABLE: cpu.miscEnable = lo >>> 0; return;
    case MSR.IA32_PAT:
      if (!allBytes(lo, hi, patType)) gp();
      cpu.patLo = lo;
      cpu.patHi = hi;
      return;
    case MSR.IA32_MTRRCAP: gp(); return;
    case MSR.IA32_EFER:
      // Only NXE is writable; LMA is read-only and ignored on write.
      if ((lo & ~(Efer.NXE | Efer.LMA)) !== 0 || hi !== 0) gp();
      if (((cpu.efer ^ lo) & Efer.NXE) !== 0) cpu.mmu.flushAll();
      cpu.efer = (cpu.efer & ~Efer.NXE) | (lo & Efer.NXE);
      return;
    case MSR_BIOS_SIGN_ID: return;
    default:
      break;
  }
  if (index === MSR.IA32_MTRR_DEF_TYPE) {
    // bits 7:0 type | 10 FE | 11 E
    if ((lo & ~0xcff) !== 0 || hi !== 0 || !mtrrType(lo & 0xff)) gp();
    cpu.mtrrs.set(index, [lo, hi]);
    return;
  }
  if (isFixedMtrr(index)) {
    if (!allBytes(lo, hi, mtrrType)) gp();
    cpu.mtrrs.set(index, [lo, hi]);
    return;
  }
  if (isVariableMtrr(index)) {
    // PHYSBASE: 7:0 type | 11:8 rsvd | base.  PHYSMASK: 10:0 rsvd | 11 V | mask.
    const isBase = ((index - MSR_MTRR_PHYSBASE0) & 1) === 0;
    if ((hi & HI_RSVD) !== 0) gp();
    if (isBase ? ((lo & 0xf00) !== 0 || !mtrrType(lo & 0xff)) : (lo & 0x7ff) !== 0) gp();
    cpu.mtrrs.set(index, [lo, hi]);
    return;
  }
  gp();
}
