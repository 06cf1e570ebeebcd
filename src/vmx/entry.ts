/**
 * VM entry (Intel SDM Vol. 3C, chapter "VM Entries"): the checks on the VMX controls, the
 * host-state area and the guest-state area, in SDM order, as data; loading guest state into the
 * processor; the VM-entry MSR-load list.
 *
 * Failure classes:
 *   controls     → VMfailValid(7)       (nothing changes)
 *   host state   → VMfailValid(8)       (nothing changes)
 *   guest state  → VM-entry failure: exit reason 33 | 0x80000000, qualification 0 / 2 (PDPTE) /
 *                  3 (NMI injection with STI blocking) / 4 (VMCS link pointer)
 *   MSR loading  → VM-entry failure: exit reason 34 | 0x80000000, qualification = 1-based index
 * The SDM allows any order inside a class; this model checks in the order of `ENTRY_CHECKS`.
 *
 * Models: every check that applies to a 32-bit processor without Intel 64 and the features of
 * `capabilities.ts`. Does not model: the checks of unsupported features (they are rejected by the
 * allowed-settings checks first), canonical-address checks (no Intel 64), DR7[63:32] (natural width
 * is 32 bits), SMM / dual-monitor checks, the executive-VMCS pointer.
 */
import { AR, Flag } from '../cpu/state.js';
import { controlsValid, type VmxCapabilities, VMX_STRUCT_ADDR_BITS } from './capabilities.js';
import { EntryCtl, ExitCtl, PinCtl, ProcCtl, ProcCtl2, EntryFailureQual } from './controls.js';
import { eptpValid } from './ept.js';
import { VmcsField } from './fields.js';

const F = VmcsField;
import type { Vmcs } from './vmcs.js';
import type { VmxCpu, VmxServices } from './cpu-view.js';

export type EntryCheckCategory = 'control' | 'host' | 'guest';

/** What a failing check produces. */
export type EntryFailure =
  | { readonly kind: 'VMfailValid'; readonly error: 7 | 8 }
  | { readonly kind: 'entryFailure'; readonly reason: 33; readonly qualification: number };

/** Values a check reads, decoded once per VM entry. */
export class EntryContext {
  pin = 0; proc = 0; proc2 = 0; exit = 0; entry = 0;
  cr0 = 0; cr4 = 0; rflags = 0;
  intrInfo = 0; intrValid = false; intrType = 0; intrVector = 0;
  interruptibility = 0; activity = 0;
  unrestricted = false; ept = false; v86 = false;
  vmcs: Vmcs;
  constructor(vmcs: Vmcs, readonly caps: VmxCapabilities, readonly ram: Uint8Array) {
    this.vmcs = vmcs;
    this.load(vmcs);
  }
  /** Re-read the fields the checks use from `vmcs` (one context serves every VM entry). */
  load(vmcs: Vmcs): this {
    this.vmcs = vmcs;
    this.pin = vmcs.get(F.PIN_BASED_VM_EXEC_CONTROL);
    this.proc = vmcs.get(F.CPU_BASED_VM_EXEC_CONTROL);
    this.proc2 = (this.proc & ProcCtl.ACTIVATE_SECONDARY_CONTROLS) !== 0 ? vmcs.get(F.SECONDARY_VM_EXEC_CONTROL) : 0;
    this.exit = vmcs.get(F.VM_EXIT_CONTROLS);
    this.entry = vmcs.get(F.VM_ENTRY_CONTROLS);
    this.cr0 = vmcs.get(F.GUEST_CR0);
    this.cr4 = vmcs.get(F.GUEST_CR4);
    this.rflags = vmcs.get(F.GUEST_RFLAGS);
    this.intrInfo = vmcs.get(F.VM_ENTRY_INTR_INFO_FIELD);
    this.intrValid = (this.intrInfo & 0x80000000) !== 0;
    this.intrType = (this.intrInfo >>> 8) & 7;
    this.intrVector = this.intrInfo & 0xff;
    this.interruptibility = vmcs.get(F.GUEST_INTERRUPTIBILITY_INFO);
    this.activity = vmcs.get(F.GUEST_ACTIVITY_STATE);
    this.unrestricted = (this.proc2 & ProcCtl2.UNRESTRICTED_GUEST) !== 0;
    this.ept = (this.proc2 & ProcCtl2.ENABLE_EPT) !== 0;
    this.v86 = (this.rflags & Flag.VM) !== 0;
    return this;
  }
  g(enc: number): number { return this.vmcs.get(enc); }
  /** A 64-bit address field is 4 KiB aligned and within the 32-bit structure width. */
  pageAddrOk(enc: number): boolean {
    return (this.g(enc) & 0xfff) === 0 && this.g(enc | 1) === 0;
  }
  /** MSR-area address: 16-byte aligned and the whole area (count * 16 bytes) below 2^32. */
  msrAreaOk(addrEnc: number, countEnc: number, part: 'align' | 'range'): boolean {
    const count = this.g(countEnc);
    if (count === 0) return true;
    const lo = this.g(addrEnc), hi = this.g(addrEnc | 1);
    if (part === 'align') return (lo & 0xf) === 0;
    return hi === 0 && lo + count * 16 - 1 < 2 ** VMX_STRUCT_ADDR_BITS;
  }
  /** Segment `i` (0-5 ES..GS, 6 LDTR, 7 TR) fields. */
  sel(i: number): number { return this.g(F.GUEST_ES_SELECTOR + 2 * i); }
  limit(i: number): number { return this.g(F.GUEST_ES_LIMIT + 2 * i); }
  ar(i: number): number { return this.g(F.GUEST_ES_AR_BYTES + 2 * i); }
  base(i: number): number { return this.g(F.GUEST_ES_BASE + 2 * i); }
  usable(i: number): boolean { return (this.ar(i) & AR.UNUSABLE) === 0; }
}

export interface EntryCheck {
  /** Stable identifier (category.subject.rule). */
  readonly id: string;
  readonly category: EntryCheckCategory;
  /** The SDM rule, in our words. */
  readonly sdm: string;
  readonly failure: EntryFailure;
  /** True when the VMCS satisfies the rule. */
  readonly ok: (c: EntryContext) => boolean;
}

const CONTROLS: EntryFailure = Object.freeze({ kind: 'VMfailValid', error: 7 });
const HOST: EntryFailure = Object.freeze({ kind: 'VMfailValid', error: 8 });
const GUEST = (qualification: number): EntryFailure => Object.freeze({ kind: 'entryFailure', reason: 33, qualification });
const GUEST0 = GUEST(EntryFailureQual.DEFAULT);

const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;
const ES = 0, CS = 1, SS = 2, LDTR = 6, TR = 7;
/** Access-rights bits that must be 0 (11:8, L (no IA-32e), 31:17). */
const AR_RESERVED = 0xfffe2f00 | 0;
/** Hardware exceptions that push an error code. */
const ERROR_CODE_VECTORS = (1 << 8) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13) | (1 << 14) | (1 << 17) | (1 << 21);

function patValid(lo: number, hi: number): boolean {
  for (let i = 0; i < 8; i++) {
    const b = ((i < 4 ? lo : hi) >>> ((i & 3) * 8)) & 0xff;
    if (b > 7 || b === 2 || b === 3) return false;
  }
  return true;
}

function gLimitOk(limit: number, ar: number): boolean {
  const g = (ar & AR.G) !== 0;
  if ((limit & 0xfff) !== 0xfff && g) return false;
  if ((limit & 0xfff00000) !== 0 && !g) return false;
  return true;
}

const DATA_SEGS: readonly number[] = Object.freeze([0, 3, 4, 5]);
const CODE_TYPES: readonly number[] = Object.freeze([9, 11, 13, 15]);
const NONCONFORMING: readonly number[] = Object.freeze([9, 11]);
const CONFORMING: readonly number[] = Object.freeze([13, 15]);
const SS_TYPES: readonly number[] = Object.freeze([3, 7]);
const TR_TYPES: readonly number[] = Object.freeze([3, 11]);
const EPT_MEMTYPES: readonly number[] = Object.freeze([0, 6]);

/** `f` holds for every usable DS, ES, FS, GS (module-level predicates: no closure per entry). */
function eachDataSeg(c: EntryContext, f: (c: EntryContext, i: number) => boolean): boolean {
  for (let k = 0; k < DATA_SEGS.length; k++) {
    const i = DATA_SEGS[k]!;
    if (c.usable(i) && !f(c, i)) return false;
  }
  return true;
}
/** `f` holds for all six segment registers. */
function eachSeg(c: EntryContext, f: (c: EntryContext, i: number) => boolean): boolean {
  for (let i = 0; i < 6; i++) if (!f(c, i)) return false;
  return true;
}
/** `f` holds for CS and every usable ES, SS, DS, FS, GS. */
function eachCsOrUsable(c: EntryContext, f: (c: EntryContext, i: number) => boolean): boolean {
  for (let i = 0; i < 6; i++) if ((i === 1 || c.usable(i)) && !f(c, i)) return false;
  return true;
}
const v86Base = (c: EntryContext, i: number): boolean => c.base(i) === (c.sel(i) << 4);
const v86Limit = (c: EntryContext, i: number): boolean => c.limit(i) === 0xffff;
const v86Ar = (c: EntryContext, i: number): boolean => c.ar(i) === 0xf3;
const accessed = (c: EntryContext, i: number): boolean => (c.ar(i) & 1) !== 0;
const codeReadable = (c: EntryContext, i: number): boolean => (c.ar(i) & 8) === 0 || (c.ar(i) & 2) !== 0;
const dplGeRpl = (c: EntryContext, i: number): boolean => (c.ar(i) & 15) > 11 || ((c.ar(i) >>> 5) & 3) >= (c.sel(i) & 3);
const sSet = (c: EntryContext, i: number): boolean => (c.ar(i) & AR.S) !== 0;
const present = (c: EntryContext, i: number): boolean => (c.ar(i) & AR.P) !== 0;
const arReservedClear = (c: EntryContext, i: number): boolean => (c.ar(i) & AR_RESERVED) === 0;
const granularityOk = (c: EntryContext, i: number): boolean => gLimitOk(c.limit(i), c.ar(i));

function protectedSegs(c: EntryContext): boolean {
  return !c.v86;
}

function pdptesOk(c: EntryContext): boolean {
  if ((c.cr0 & 0x80000000) === 0 || (c.cr4 & 0x20) === 0) return true;
  const entries: number[] = [];
  if (c.ept) {
    for (let i = 0; i < 4; i++) entries.push(c.g(F.GUEST_PDPTR0 + 2 * i), c.g((F.GUEST_PDPTR0 + 2 * i) | 1));
  } else {
    const base = (c.g(F.GUEST_CR3) & 0xffffffe0) >>> 0;
    if (base + 32 > c.ram.length) return false;
    const r = c.ram;
    for (let i = 0; i < 8; i++) {
      const a = base + i * 4;
      entries.push((r[a]! | (r[a + 1]! << 8) | (r[a + 2]! << 16) | (r[a + 3]! << 24)) >>> 0);
    }
  }
  for (let i = 0; i < 4; i++) {
    const lo = entries[2 * i]!, hi = entries[2 * i + 1]!;
    if ((lo & 1) !== 0 && ((lo & 0x1e6) !== 0 || (hi & 0xfffffff0) !== 0)) return false;
  }
  return true;
}

function linkPointerOk(c: EntryContext): boolean {
  const lo = c.g(F.VMCS_LINK_POINTER), hi = c.g(F.VMCS_LINK_POINTER_HIGH);
  if (lo === 0xffffffff && hi === 0xffffffff) return true;
  if ((lo & 0xfff) !== 0 || hi !== 0 || lo + 4096 > c.ram.length) return false;
  const r = c.ram;
  const rev = (r[lo]! | (r[lo + 1]! << 8) | (r[lo + 2]! << 16) | (r[lo + 3]! << 24)) >>> 0;
  // Without VMCS shadowing the linked VMCS must be an ordinary one with our revision.
  return rev === c.caps.revisionId;
}

/**
 * Every VM-entry check, in the order this processor performs them. Each entry is one SDM rule;
 * a test builds a VMCS that violates exactly that rule.
 */
export const ENTRY_CHECKS: readonly EntryCheck[] = [
  // ================================ VM-execution control fields ================================
  { id: 'control.pin.allowed', category: 'control', failure: CONTROLS,
    sdm: 'Pin-based controls respect IA32_VMX_TRUE_PINBASED_CTLS allowed-0/allowed-1 settings',
    ok: (c) => controlsValid(c.pin, c.caps.pin0, c.caps.pin1) },
  { id: 'control.proc.allowed', category: 'control', failure: CONTROLS,
    sdm: 'Primary processor-based controls respect IA32_VMX_TRUE_PROCBASED_CTLS',
    ok: (c) => controlsValid(c.proc, c.caps.proc0, c.caps.proc1) },
  { id: 'control.proc2.allowed', category: 'control', failure: CONTROLS,
    sdm: 'Secondary controls (when activated) respect IA32_VMX_PROCBASED_CTLS2',
    ok: (c) => controlsValid(c.proc2, c.caps.proc2_0, c.caps.proc2_1) },
  { id: 'control.cr3-target-count', category: 'control', failure: CONTROLS,
    sdm: 'CR3-target count is not greater than IA32_VMX_MISC[24:16] (4)',
    ok: (c) => (c.g(F.CR3_TARGET_COUNT) >>> 0) <= c.caps.cr3TargetCount },
  { id: 'control.io-bitmap-a.align', category: 'control', failure: CONTROLS,
    sdm: 'With "use I/O bitmaps", bits 11:0 of the I/O-bitmap A address are 0',
    ok: (c) => (c.proc & ProcCtl.USE_IO_BITMAPS) === 0 || (c.g(F.IO_BITMAP_A) & 0xfff) === 0 },
  { id: 'control.io-bitmap-a.width', category: 'control', failure: CONTROLS,
    sdm: 'With "use I/O bitmaps", the I/O-bitmap A address is within the physical-address width (32 bits, BASIC[48])',
    ok: (c) => (c.proc & ProcCtl.USE_IO_BITMAPS) === 0 || c.g(F.IO_BITMAP_A_HIGH) === 0 },
  { id: 'control.io-bitmap-b.align', category: 'control', failure: CONTROLS,
    sdm: 'With "use I/O bitmaps", bits 11:0 of the I/O-bitmap B address are 0',
    ok: (c) => (c.proc & ProcCtl.USE_IO_BITMAPS) === 0 || (c.g(F.IO_BITMAP_B) & 0xfff) === 0 },
  { id: 'control.io-bitmap-b.width', category: 'control', failure: CONTROLS,
    sdm: 'With "use I/O bitmaps", the I/O-bitmap B address is within the physical-address width',
    ok: (c) => (c.proc & ProcCtl.USE_IO_BITMAPS) === 0 || c.g(F.IO_BITMAP_B_HIGH) === 0 },
  { id: 'control.msr-bitmap.align', category: 'control', failure: CONTROLS,
    sdm: 'With "use MSR bitmaps", bits 11:0 of the MSR-bitmap address are 0',
    ok: (c) => (c.proc & ProcCtl.USE_MSR_BITMAPS) === 0 || (c.g(F.MSR_BITMAP) & 0xfff) === 0 },
  { id: 'control.msr-bitmap.width', category: 'control', failure: CONTROLS,
    sdm: 'With "use MSR bitmaps", the MSR-bitmap address is within the physical-address width',
    ok: (c) => (c.proc & ProcCtl.USE_MSR_BITMAPS) === 0 || c.g(F.MSR_BITMAP_HIGH) === 0 },
  { id: 'control.nmi.virtual-nmis', category: 'control', failure: CONTROLS,
    sdm: 'If "NMI exiting" is 0, "virtual NMIs" is 0',
    ok: (c) => (c.pin & PinCtl.NMI_EXITING) !== 0 || (c.pin & PinCtl.VIRTUAL_NMIS) === 0 },
  { id: 'control.nmi.nmi-window', category: 'control', failure: CONTROLS,
    sdm: 'If "virtual NMIs" is 0, "NMI-window exiting" is 0',
    ok: (c) => (c.pin & PinCtl.VIRTUAL_NMIS) !== 0 || (c.proc & ProcCtl.NMI_WINDOW_EXITING) === 0 },
  { id: 'control.vpid.nonzero', category: 'control', failure: CONTROLS,
    sdm: 'If "enable VPID" is 1, the VPID is not 0000H',
    ok: (c) => (c.proc2 & ProcCtl2.ENABLE_VPID) === 0 || c.g(F.VIRTUAL_PROCESSOR_ID) !== 0 },
  { id: 'control.eptp.memory-type', category: 'control', failure: CONTROLS,
    sdm: 'With "enable EPT", EPTP bits 2:0 are a supported memory type (0 UC or 6 WB)',
    ok: (c) => !c.ept || EPT_MEMTYPES.includes(c.g(F.EPT_POINTER) & 7) },
  { id: 'control.eptp.walk-length', category: 'control', failure: CONTROLS,
    sdm: 'With "enable EPT", EPTP bits 5:3 are 3 (4-level walk)',
    ok: (c) => !c.ept || ((c.g(F.EPT_POINTER) >>> 3) & 7) === 3 },
  { id: 'control.eptp.reserved', category: 'control', failure: CONTROLS,
    sdm: 'With "enable EPT", EPTP bits 11:7 are 0',
    ok: (c) => !c.ept || (c.g(F.EPT_POINTER) & 0xf80) === 0 },
  { id: 'control.eptp.width', category: 'control', failure: CONTROLS,
    sdm: 'With "enable EPT", EPTP bits 63:32 are 0 (EPT structures below 4 GiB, BASIC[48])',
    ok: (c) => !c.ept || eptpValid(c.g(F.EPT_POINTER), c.g(F.EPT_POINTER_HIGH), true) },
  { id: 'control.unrestricted-guest.ept', category: 'control', failure: CONTROLS,
    sdm: 'If "unrestricted guest" is 1, "enable EPT" is 1',
    ok: (c) => !c.unrestricted || c.ept },
  { id: 'control.preemption-timer.save', category: 'control', failure: CONTROLS,
    sdm: 'If "activate VMX-preemption timer" is 0, "save VMX-preemption timer value" is 0',
    ok: (c) => (c.pin & PinCtl.ACTIVATE_PREEMPTION_TIMER) !== 0 || (c.exit & ExitCtl.SAVE_PREEMPTION_TIMER) === 0 },
  // ================================ VM-exit control fields ================================
  { id: 'control.exit.allowed', category: 'control', failure: CONTROLS,
    sdm: 'VM-exit controls respect IA32_VMX_TRUE_EXIT_CTLS',
    ok: (c) => controlsValid(c.exit, c.caps.exit0, c.caps.exit1) },
  { id: 'control.exit.msr-store.align', category: 'control', failure: CONTROLS,
    sdm: 'With a nonzero VM-exit MSR-store count, bits 3:0 of the MSR-store address are 0',
    ok: (c) => c.msrAreaOk(F.VM_EXIT_MSR_STORE_ADDR, F.VM_EXIT_MSR_STORE_COUNT, 'align') },
  { id: 'control.exit.msr-store.range', category: 'control', failure: CONTROLS,
    sdm: 'The last byte of the VM-exit MSR-store area is within the physical-address width',
    ok: (c) => c.msrAreaOk(F.VM_EXIT_MSR_STORE_ADDR, F.VM_EXIT_MSR_STORE_COUNT, 'range') },
  { id: 'control.exit.msr-load.align', category: 'control', failure: CONTROLS,
    sdm: 'With a nonzero VM-exit MSR-load count, bits 3:0 of the MSR-load address are 0',
    ok: (c) => c.msrAreaOk(F.VM_EXIT_MSR_LOAD_ADDR, F.VM_EXIT_MSR_LOAD_COUNT, 'align') },
  { id: 'control.exit.msr-load.range', category: 'control', failure: CONTROLS,
    sdm: 'The last byte of the VM-exit MSR-load area is within the physical-address width',
    ok: (c) => c.msrAreaOk(F.VM_EXIT_MSR_LOAD_ADDR, F.VM_EXIT_MSR_LOAD_COUNT, 'range') },
  // ================================ VM-entry control fields ================================
  { id: 'control.entry.allowed', category: 'control', failure: CONTROLS,
    sdm: 'VM-entry controls respect IA32_VMX_TRUE_ENTRY_CTLS',
    ok: (c) => controlsValid(c.entry, c.caps.entry0, c.caps.entry1) },
  { id: 'control.entry.intr.type', category: 'control', failure: CONTROLS,
    sdm: 'A valid VM-entry interruption-information field does not use type 1 (reserved)',
    ok: (c) => !c.intrValid || c.intrType !== 1 },
  { id: 'control.entry.intr.nmi-vector', category: 'control', failure: CONTROLS,
    sdm: 'Injection of type NMI (2) uses vector 2',
    ok: (c) => !c.intrValid || c.intrType !== 2 || c.intrVector === 2 },
  { id: 'control.entry.intr.exception-vector', category: 'control', failure: CONTROLS,
    sdm: 'Injection of a hardware exception (type 3) uses a vector <= 31',
    ok: (c) => !c.intrValid || c.intrType !== 3 || c.intrVector <= 31 },
  { id: 'control.entry.intr.other-vector', category: 'control', failure: CONTROLS,
    sdm: 'Injection of type "other event" (7) uses vector 0 (pending MTF VM exit)',
    ok: (c) => !c.intrValid || c.intrType !== 7 || c.intrVector === 0 },
  { id: 'control.entry.intr.error-code', category: 'control', failure: CONTROLS,
    sdm: 'Deliver-error-code is 1 exactly for a hardware exception that pushes one (8, 10-14, 17, 21) into a protected-mode guest',
    ok: (c) => {
      if (!c.intrValid) return true;
      const want = c.intrType === 3 && (!c.unrestricted || (c.cr0 & 1) !== 0) &&
        ((ERROR_CODE_VECTORS >>> c.intrVector) & 1) !== 0 && c.intrVector < 32;
      return ((c.intrInfo & 0x800) !== 0) === want;
    } },
  { id: 'control.entry.intr.reserved', category: 'control', failure: CONTROLS,
    sdm: 'Bits 30:12 of a valid VM-entry interruption-information field are 0',
    ok: (c) => !c.intrValid || (c.intrInfo & 0x7ffff000) === 0 },
  { id: 'control.entry.intr.error-code-reserved', category: 'control', failure: CONTROLS,
    sdm: 'When an error code is delivered, bits 31:16 of the VM-entry exception error code are 0',
    ok: (c) => !c.intrValid || (c.intrInfo & 0x800) === 0 || (c.g(F.VM_ENTRY_EXCEPTION_ERROR_CODE) & 0xffff0000) === 0 },
  { id: 'control.entry.intr.instruction-length', category: 'control', failure: CONTROLS,
    sdm: 'For software interrupts/exceptions (types 4, 5, 6) the VM-entry instruction length is 1-15 (0 allowed only with MISC[30])',
    ok: (c) => {
      if (!c.intrValid || c.intrType < 4 || c.intrType > 6) return true;
      const len = c.g(F.VM_ENTRY_INSTRUCTION_LEN);
      return len <= 15 && (len >= 1 || c.caps.zeroLengthSoftwareInjection);
    } },
  { id: 'control.entry.msr-load.align', category: 'control', failure: CONTROLS,
    sdm: 'With a nonzero VM-entry MSR-load count, bits 3:0 of the MSR-load address are 0',
    ok: (c) => c.msrAreaOk(F.VM_ENTRY_MSR_LOAD_ADDR, F.VM_ENTRY_MSR_LOAD_COUNT, 'align') },
  { id: 'control.entry.msr-load.range', category: 'control', failure: CONTROLS,
    sdm: 'The last byte of the VM-entry MSR-load area is within the physical-address width',
    ok: (c) => c.msrAreaOk(F.VM_ENTRY_MSR_LOAD_ADDR, F.VM_ENTRY_MSR_LOAD_COUNT, 'range') },
  // ================================ host-state area ================================
  { id: 'host.cr0.fixed0', category: 'host', failure: HOST,
    sdm: 'Host CR0 has every bit set that IA32_VMX_CR0_FIXED0 requires (PE, NE, PG)',
    ok: (c) => (c.g(F.HOST_CR0) & c.caps.cr0Fixed0) === c.caps.cr0Fixed0 },
  { id: 'host.cr0.fixed1', category: 'host', failure: HOST,
    sdm: 'Host CR0 has no bit set that IA32_VMX_CR0_FIXED1 reports 0',
    ok: (c) => (c.g(F.HOST_CR0) & ~c.caps.cr0Fixed1) === 0 },
  { id: 'host.cr4.fixed0', category: 'host', failure: HOST,
    sdm: 'Host CR4 has every bit set that IA32_VMX_CR4_FIXED0 requires (VMXE)',
    ok: (c) => (c.g(F.HOST_CR4) & c.caps.cr4Fixed0) === c.caps.cr4Fixed0 },
  { id: 'host.cr4.fixed1', category: 'host', failure: HOST,
    sdm: 'Host CR4 has no bit set that IA32_VMX_CR4_FIXED1 reports 0',
    ok: (c) => (c.g(F.HOST_CR4) & ~c.caps.cr4Fixed1) === 0 },
  { id: 'host.pat.valid', category: 'host', failure: HOST,
    sdm: 'With "load IA32_PAT" (exit control), every host PAT entry is a valid memory type (0, 1, 4-7)',
    ok: (c) => (c.exit & ExitCtl.LOAD_IA32_PAT) === 0 || patValid(c.g(F.HOST_IA32_PAT), c.g(F.HOST_IA32_PAT_HIGH)) },
  { id: 'host.efer.reserved', category: 'host', failure: HOST,
    sdm: 'With "load IA32_EFER" (exit control), reserved bits of host IA32_EFER are 0',
    ok: (c) => (c.exit & ExitCtl.LOAD_IA32_EFER) === 0 || ((c.g(F.HOST_IA32_EFER) & ~0xd00) === 0 && c.g(F.HOST_IA32_EFER_HIGH) === 0) },
  { id: 'host.efer.lma-lme', category: 'host', failure: HOST,
    sdm: 'With "load IA32_EFER", host EFER.LMA and EFER.LME equal "host address-space size" (0)',
    ok: (c) => (c.exit & ExitCtl.LOAD_IA32_EFER) === 0 || (c.g(F.HOST_IA32_EFER) & 0x500) === 0 },
  ...(['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'tr'] as const).map((n, i): EntryCheck => ({
    id: `host.${n}.rpl-ti`, category: 'host', failure: HOST,
    sdm: `Host ${n.toUpperCase()} selector has RPL = 0 and TI = 0`,
    ok: (c) => (c.g(F.HOST_ES_SELECTOR + 2 * i) & 7) === 0,
  })),
  { id: 'host.cs.nonzero', category: 'host', failure: HOST,
    sdm: 'Host CS selector is not 0000H', ok: (c) => c.g(F.HOST_CS_SELECTOR) !== 0 },
  { id: 'host.tr.nonzero', category: 'host', failure: HOST,
    sdm: 'Host TR selector is not 0000H', ok: (c) => c.g(F.HOST_TR_SELECTOR) !== 0 },
  { id: 'host.ss.nonzero', category: 'host', failure: HOST,
    sdm: 'Host SS selector is not 0000H ("host address-space size" is 0)', ok: (c) => c.g(F.HOST_SS_SELECTOR) !== 0 },
  // ================================ guest-state area ================================
  { id: 'guest.cr0.fixed0', category: 'guest', failure: GUEST0,
    sdm: 'Guest CR0 has every IA32_VMX_CR0_FIXED0 bit set (PE and PG exempt with unrestricted guest)',
    ok: (c) => { const f0 = c.unrestricted ? c.caps.cr0Fixed0 & 0x7ffffffe : c.caps.cr0Fixed0; return (c.cr0 & f0) === f0; } },
  { id: 'guest.cr0.fixed1', category: 'guest', failure: GUEST0,
    sdm: 'Guest CR0 has no bit set that IA32_VMX_CR0_FIXED1 reports 0',
    ok: (c) => (c.cr0 & ~c.caps.cr0Fixed1) === 0 },
  { id: 'guest.cr0.pg-without-pe', category: 'guest', failure: GUEST0,
    sdm: 'If guest CR0.PG is 1, CR0.PE is 1',
    ok: (c) => (c.cr0 & 0x80000000) === 0 || (c.cr0 & 1) !== 0 },
  { id: 'guest.cr4.fixed0', category: 'guest', failure: GUEST0,
    sdm: 'Guest CR4 has every IA32_VMX_CR4_FIXED0 bit set (VMXE)',
    ok: (c) => (c.cr4 & c.caps.cr4Fixed0) === c.caps.cr4Fixed0 },
  { id: 'guest.cr4.fixed1', category: 'guest', failure: GUEST0,
    sdm: 'Guest CR4 has no bit set that IA32_VMX_CR4_FIXED1 reports 0',
    ok: (c) => (c.cr4 & ~c.caps.cr4Fixed1) === 0 },
  { id: 'guest.debugctl.reserved', category: 'guest', failure: GUEST0,
    sdm: 'With "load debug controls", reserved bits of guest IA32_DEBUGCTL (5:2, 63:15) are 0',
    ok: (c) => (c.entry & EntryCtl.LOAD_DEBUG_CONTROLS) === 0 ||
      ((c.g(F.GUEST_IA32_DEBUGCTL) & 0xffff803c) === 0 && c.g(F.GUEST_IA32_DEBUGCTL_HIGH) === 0) },
  { id: 'guest.pat.valid', category: 'guest', failure: GUEST0,
    sdm: 'With "load IA32_PAT" (entry control), every guest PAT entry is a valid memory type',
    ok: (c) => (c.entry & EntryCtl.LOAD_IA32_PAT) === 0 || patValid(c.g(F.GUEST_IA32_PAT), c.g(F.GUEST_IA32_PAT_HIGH)) },
  { id: 'guest.efer.reserved', category: 'guest', failure: GUEST0,
    sdm: 'With "load IA32_EFER" (entry control), reserved bits of guest IA32_EFER are 0',
    ok: (c) => (c.entry & EntryCtl.LOAD_IA32_EFER) === 0 || ((c.g(F.GUEST_IA32_EFER) & ~0xd00) === 0 && c.g(F.GUEST_IA32_EFER_HIGH) === 0) },
  { id: 'guest.efer.lma', category: 'guest', failure: GUEST0,
    sdm: 'With "load IA32_EFER", guest EFER.LMA equals "IA-32e mode guest" (0)',
    ok: (c) => (c.entry & EntryCtl.LOAD_IA32_EFER) === 0 || (c.g(F.GUEST_IA32_EFER) & 0x400) === 0 },
  { id: 'guest.efer.lme', category: 'guest', failure: GUEST0,
    sdm: 'With "load IA32_EFER" and guest CR0.PG = 1, EFER.LME equals EFER.LMA',
    ok: (c) => (c.entry & EntryCtl.LOAD_IA32_EFER) === 0 || (c.cr0 & 0x80000000) === 0 ||
      ((c.g(F.GUEST_IA32_EFER) >>> 8) & 1) === ((c.g(F.GUEST_IA32_EFER) >>> 10) & 1) },
  // ---- segment registers: selectors ----
  { id: 'guest.tr.ti', category: 'guest', failure: GUEST0,
    sdm: 'Guest TR selector TI flag (bit 2) is 0', ok: (c) => (c.sel(TR) & 4) === 0 },
  { id: 'guest.ldtr.ti', category: 'guest', failure: GUEST0,
    sdm: 'If LDTR is usable, its selector TI flag is 0', ok: (c) => !c.usable(LDTR) || (c.sel(LDTR) & 4) === 0 },
  { id: 'guest.ss.rpl', category: 'guest', failure: GUEST0,
    sdm: 'Outside virtual-8086 mode and without unrestricted guest, SS.RPL equals CS.RPL',
    ok: (c) => c.v86 || c.unrestricted || (c.sel(SS) & 3) === (c.sel(CS) & 3) },
  // ---- virtual-8086 mode ----
  { id: 'guest.v86.base', category: 'guest', failure: GUEST0,
    sdm: 'In virtual-8086 mode each segment base is the selector shifted left 4',
    ok: (c) => !c.v86 || eachSeg(c, v86Base) },
  { id: 'guest.v86.limit', category: 'guest', failure: GUEST0,
    sdm: 'In virtual-8086 mode each segment limit is 0000FFFFH',
    ok: (c) => !c.v86 || eachSeg(c, v86Limit) },
  { id: 'guest.v86.ar', category: 'guest', failure: GUEST0,
    sdm: 'In virtual-8086 mode each segment access-rights field is 000000F3H',
    ok: (c) => !c.v86 || eachSeg(c, v86Ar) },
  // ---- protected / real (unrestricted) mode access rights ----
  { id: 'guest.cs.usable', category: 'guest', failure: GUEST0,
    sdm: 'CS is usable (the unusable bit is 0)', ok: (c) => c.v86 || c.usable(CS) },
  { id: 'guest.cs.type', category: 'guest', failure: GUEST0,
    sdm: 'CS type is 9, 11, 13 or 15 (accessed code), or 3 with unrestricted guest',
    ok: (c) => c.v86 || CODE_TYPES.includes(c.ar(CS) & 15) || (c.unrestricted && (c.ar(CS) & 15) === 3) },
  { id: 'guest.ss.type', category: 'guest', failure: GUEST0,
    sdm: 'If SS is usable, its type is 3 or 7 (read/write data, accessed)',
    ok: (c) => c.v86 || !c.usable(SS) || SS_TYPES.includes(c.ar(SS) & 15) },
  { id: 'guest.data.accessed', category: 'guest', failure: GUEST0,
    sdm: 'Usable DS, ES, FS, GS have the accessed bit (type bit 0) set',
    ok: (c) => c.v86 || eachDataSeg(c, accessed) },
  { id: 'guest.data.code-readable', category: 'guest', failure: GUEST0,
    sdm: 'A usable DS, ES, FS, GS holding a code segment is readable (type bit 1)',
    ok: (c) => c.v86 || eachDataSeg(c, codeReadable) },
  { id: 'guest.seg.s', category: 'guest', failure: GUEST0,
    sdm: 'CS and every usable ES, SS, DS, FS, GS are code/data segments (S = 1)',
    ok: (c) => c.v86 || eachCsOrUsable(c, sSet) },
  { id: 'guest.cs.dpl-data', category: 'guest', failure: GUEST0,
    sdm: 'If CS type is 3 (unrestricted guest), CS.DPL is 0',
    ok: (c) => c.v86 || (c.ar(CS) & 15) !== 3 || (c.ar(CS) & AR.DPL) === 0 },
  { id: 'guest.cs.dpl-nonconforming', category: 'guest', failure: GUEST0,
    sdm: 'If CS is non-conforming code (type 9 or 11), CS.DPL equals SS.DPL',
    ok: (c) => c.v86 || !NONCONFORMING.includes(c.ar(CS) & 15) || (c.ar(CS) & AR.DPL) === (c.ar(SS) & AR.DPL) },
  { id: 'guest.cs.dpl-conforming', category: 'guest', failure: GUEST0,
    sdm: 'If CS is conforming code (type 13 or 15), CS.DPL is not greater than SS.DPL',
    ok: (c) => c.v86 || !CONFORMING.includes(c.ar(CS) & 15) || (c.ar(CS) & AR.DPL) <= (c.ar(SS) & AR.DPL) },
  { id: 'guest.ss.dpl-rpl', category: 'guest', failure: GUEST0,
    sdm: 'Without unrestricted guest, SS.DPL equals SS.RPL',
    ok: (c) => c.v86 || c.unrestricted || ((c.ar(SS) >>> 5) & 3) === (c.sel(SS) & 3) },
  { id: 'guest.ss.dpl-real', category: 'guest', failure: GUEST0,
    sdm: 'If CS type is 3 or CR0.PE is 0, SS.DPL is 0',
    ok: (c) => c.v86 || ((c.ar(CS) & 15) !== 3 && (c.cr0 & 1) !== 0) || (c.ar(SS) & AR.DPL) === 0 },
  { id: 'guest.data.dpl', category: 'guest', failure: GUEST0,
    sdm: 'Without unrestricted guest, usable DS, ES, FS, GS of type 0-11 have DPL >= RPL',
    ok: (c) => c.v86 || c.unrestricted || eachDataSeg(c, dplGeRpl) },
  { id: 'guest.seg.present', category: 'guest', failure: GUEST0,
    sdm: 'CS and every usable ES, SS, DS, FS, GS are present (P = 1)',
    ok: (c) => c.v86 || eachCsOrUsable(c, present) },
  { id: 'guest.seg.ar-reserved', category: 'guest', failure: GUEST0,
    sdm: 'Access-rights bits 11:8, 13 (L, no IA-32e) and 31:17 of CS and usable segments are 0',
    ok: (c) => c.v86 || eachCsOrUsable(c, arReservedClear) },
  { id: 'guest.seg.granularity', category: 'guest', failure: GUEST0,
    sdm: 'G is 0 if any of limit bits 11:0 is 0, and 1 if any of limit bits 31:20 is 1 (CS and usable segments)',
    ok: (c) => c.v86 || eachCsOrUsable(c, granularityOk) },
  // ---- TR and LDTR ----
  { id: 'guest.tr.type', category: 'guest', failure: GUEST0,
    sdm: 'TR type is 3 (busy 16-bit TSS) or 11 (busy 32-bit TSS)', ok: (c) => TR_TYPES.includes(c.ar(TR) & 15) },
  { id: 'guest.tr.s', category: 'guest', failure: GUEST0,
    sdm: 'TR is a system segment (S = 0)', ok: (c) => (c.ar(TR) & AR.S) === 0 },
  { id: 'guest.tr.present', category: 'guest', failure: GUEST0,
    sdm: 'TR is present (P = 1)', ok: (c) => (c.ar(TR) & AR.P) !== 0 },
  { id: 'guest.tr.ar-reserved', category: 'guest', failure: GUEST0,
    sdm: 'TR access-rights bits 11:8 and 31:17 are 0', ok: (c) => (c.ar(TR) & AR_RESERVED) === 0 },
  { id: 'guest.tr.granularity', category: 'guest', failure: GUEST0,
    sdm: 'TR limit and G are consistent', ok: (c) => gLimitOk(c.limit(TR), c.ar(TR)) },
  { id: 'guest.tr.usable', category: 'guest', failure: GUEST0,
    sdm: 'TR is usable', ok: (c) => c.usable(TR) },
  { id: 'guest.ldtr.type', category: 'guest', failure: GUEST0,
    sdm: 'A usable LDTR has type 2 (LDT)', ok: (c) => !c.usable(LDTR) || (c.ar(LDTR) & 15) === 2 },
  { id: 'guest.ldtr.s', category: 'guest', failure: GUEST0,
    sdm: 'A usable LDTR is a system segment (S = 0)', ok: (c) => !c.usable(LDTR) || (c.ar(LDTR) & AR.S) === 0 },
  { id: 'guest.ldtr.present', category: 'guest', failure: GUEST0,
    sdm: 'A usable LDTR is present', ok: (c) => !c.usable(LDTR) || (c.ar(LDTR) & AR.P) !== 0 },
  { id: 'guest.ldtr.ar-reserved', category: 'guest', failure: GUEST0,
    sdm: 'A usable LDTR has access-rights bits 11:8 and 31:17 clear', ok: (c) => !c.usable(LDTR) || (c.ar(LDTR) & AR_RESERVED) === 0 },
  { id: 'guest.ldtr.granularity', category: 'guest', failure: GUEST0,
    sdm: 'A usable LDTR has consistent limit and G', ok: (c) => !c.usable(LDTR) || gLimitOk(c.limit(LDTR), c.ar(LDTR)) },
  { id: 'guest.gdtr.limit', category: 'guest', failure: GUEST0,
    sdm: 'GDTR limit bits 31:16 are 0', ok: (c) => (c.g(F.GUEST_GDTR_LIMIT) & 0xffff0000) === 0 },
  { id: 'guest.idtr.limit', category: 'guest', failure: GUEST0,
    sdm: 'IDTR limit bits 31:16 are 0', ok: (c) => (c.g(F.GUEST_IDTR_LIMIT) & 0xffff0000) === 0 },
  // ---- RIP and RFLAGS ----
  { id: 'guest.rflags.reserved', category: 'guest', failure: GUEST0,
    sdm: 'RFLAGS bits 31:22, 15, 5 and 3 are 0',
    ok: (c) => (c.rflags & 0xffc08028) === 0 },
  { id: 'guest.rflags.bit1', category: 'guest', failure: GUEST0,
    sdm: 'RFLAGS bit 1 is 1', ok: (c) => (c.rflags & 2) !== 0 },
  { id: 'guest.rflags.vm-real', category: 'guest', failure: GUEST0,
    sdm: 'RFLAGS.VM is 0 when CR0.PE is 0 (unrestricted guest)', ok: (c) => !c.v86 || (c.cr0 & 1) !== 0 },
  { id: 'guest.rflags.if-external-interrupt', category: 'guest', failure: GUEST0,
    sdm: 'When injecting an external interrupt, RFLAGS.IF is 1',
    ok: (c) => !c.intrValid || c.intrType !== 0 || (c.rflags & Flag.IF) !== 0 },
  // ---- non-register state ----
  { id: 'guest.activity.supported', category: 'guest', failure: GUEST0,
    sdm: 'The activity state is one IA32_VMX_MISC reports as supported (active, HLT)',
    ok: (c) => c.caps.isActivityStateSupported(c.activity) },
  { id: 'guest.activity.hlt-dpl', category: 'guest', failure: GUEST0,
    sdm: 'The HLT activity state requires SS.DPL = 0', ok: (c) => c.activity !== 1 || (c.ar(SS) & AR.DPL) === 0 },
  { id: 'guest.activity.blocking', category: 'guest', failure: GUEST0,
    sdm: 'With blocking by STI or MOV SS, the activity state is active',
    ok: (c) => (c.interruptibility & 3) === 0 || c.activity === 0 },
  { id: 'guest.activity.injection', category: 'guest', failure: GUEST0,
    sdm: 'An injected event is allowed in the activity state (HLT: external interrupt, NMI, #DB, #MC, MTF)',
    ok: (c) => {
      if (!c.intrValid || c.activity === 0) return true;
      if (c.activity === 1) return c.intrType === 0 || c.intrType === 2 || c.intrType === 7 || (c.intrType === 3 && (c.intrVector === 1 || c.intrVector === 18));
      if (c.activity === 2) return c.intrType === 2 || (c.intrType === 3 && c.intrVector === 18);
      return false;
    } },
  { id: 'guest.interruptibility.reserved', category: 'guest', failure: GUEST0,
    sdm: 'Interruptibility-state bits 31:4 are 0', ok: (c) => (c.interruptibility & 0xfffffff0) === 0 },
  { id: 'guest.interruptibility.sti-movss', category: 'guest', failure: GUEST0,
    sdm: 'Blocking by STI and blocking by MOV SS are not both set', ok: (c) => (c.interruptibility & 3) !== 3 },
  { id: 'guest.interruptibility.sti-if', category: 'guest', failure: GUEST0,
    sdm: 'Blocking by STI requires RFLAGS.IF = 1', ok: (c) => (c.interruptibility & 1) === 0 || (c.rflags & Flag.IF) !== 0 },
  { id: 'guest.interruptibility.external-interrupt', category: 'guest', failure: GUEST0,
    sdm: 'When injecting an external interrupt, neither STI nor MOV-SS blocking is set',
    ok: (c) => !c.intrValid || c.intrType !== 0 || (c.interruptibility & 3) === 0 },
  { id: 'guest.interruptibility.nmi-movss', category: 'guest', failure: GUEST0,
    sdm: 'When injecting an NMI, MOV-SS blocking is not set',
    ok: (c) => !c.intrValid || c.intrType !== 2 || (c.interruptibility & 2) === 0 },
  { id: 'guest.interruptibility.smi', category: 'guest', failure: GUEST0,
    sdm: 'Blocking by SMI is 0 (VM entry is not from SMM)', ok: (c) => (c.interruptibility & 4) === 0 },
  { id: 'guest.interruptibility.virtual-nmi', category: 'guest', failure: GUEST0,
    sdm: 'With "virtual NMIs", injecting an NMI requires no (virtual-)NMI blocking',
    ok: (c) => !c.intrValid || c.intrType !== 2 || (c.pin & PinCtl.VIRTUAL_NMIS) === 0 || (c.interruptibility & 8) === 0 },
  { id: 'guest.pending-debug.reserved', category: 'guest', failure: GUEST0,
    sdm: 'Pending debug exceptions bits 11:4, 13, 15 and 31:16 are 0',
    ok: (c) => (c.g(F.GUEST_PENDING_DBG_EXCEPTIONS) & 0xffffaff0) === 0 },
  { id: 'guest.pending-debug.bs', category: 'guest', failure: GUEST0,
    sdm: 'With STI/MOV-SS blocking or HLT, pending BS is 1 exactly when RFLAGS.TF = 1 and DEBUGCTL.BTF = 0',
    ok: (c) => {
      if ((c.interruptibility & 3) === 0 && c.activity !== 1) return true;
      const bs = (c.g(F.GUEST_PENDING_DBG_EXCEPTIONS) & 0x4000) !== 0;
      const want = (c.rflags & Flag.TF) !== 0 && (c.g(F.GUEST_IA32_DEBUGCTL) & 2) === 0;
      return bs === want;
    } },
  { id: 'guest.vmcs-link-pointer', category: 'guest', failure: GUEST(EntryFailureQual.VMCS_LINK_POINTER),
    sdm: 'The VMCS link pointer is FFFFFFFF_FFFFFFFFH or a 4 KiB-aligned VMCS with our revision identifier',
    ok: linkPointerOk },
  { id: 'guest.interruptibility.nmi-sti', category: 'guest', failure: GUEST(EntryFailureQual.NMI_INJECTION),
    sdm: 'Injecting an NMI while blocking by STI fails with qualification 3',
    ok: (c) => !c.intrValid || c.intrType !== 2 || (c.interruptibility & 1) === 0 },
  { id: 'guest.pdpte', category: 'guest', failure: GUEST(EntryFailureQual.PDPTE),
    sdm: 'With PAE paging, present PDPTEs (from the VMCS with EPT, else from CR3) have no reserved bit set',
    ok: pdptesOk },
];

/** The first failing check, or null when the VMCS passes every check. */
export function firstFailingCheck(c: EntryContext): EntryCheck | null {
  for (const chk of ENTRY_CHECKS) if (!chk.ok(c)) return chk;
  return null;
}

// =============================================================================================
// Loading guest state
// =============================================================================================

/** Load the guest-state area into the processor (SDM "Loading Guest State"). */
export function loadGuestState(cpu: VmxCpu, v: Vmcs, c: EntryContext): void {
  cpu.cr0 = v.get(F.GUEST_CR0) | 0;
  cpu.cr3 = v.get(F.GUEST_CR3) | 0;
  cpu.cr4 = v.get(F.GUEST_CR4) | 0;
  if ((c.entry & EntryCtl.LOAD_DEBUG_CONTROLS) !== 0) {
    cpu.dr[7] = v.get(F.GUEST_DR7) | 0;
    cpu.debugctl = v.get(F.GUEST_IA32_DEBUGCTL) | 0;
  }
  cpu.sysenterCs = v.get(F.GUEST_SYSENTER_CS) | 0;
  cpu.sysenterEsp = v.get(F.GUEST_SYSENTER_ESP) | 0;
  cpu.sysenterEip = v.get(F.GUEST_SYSENTER_EIP) | 0;
  if ((c.entry & EntryCtl.LOAD_IA32_PAT) !== 0) {
    cpu.patLo = v.get(F.GUEST_IA32_PAT) | 0;
    cpu.patHi = v.get(F.GUEST_IA32_PAT_HIGH) | 0;
  }
  if ((c.entry & EntryCtl.LOAD_IA32_EFER) !== 0) cpu.efer = v.get(F.GUEST_IA32_EFER) | 0;
  for (let i = 0; i < 6; i++) {
    const s = cpu.seg[i]!;
    s.selector = v.get(F.GUEST_ES_SELECTOR + 2 * i);
    s.base = v.get(F.GUEST_ES_BASE + 2 * i) | 0;
    s.limit = v.get(F.GUEST_ES_LIMIT + 2 * i) | 0;
    s.ar = v.get(F.GUEST_ES_AR_BYTES + 2 * i) & 0x1f0ff;
  }
  const l = cpu.ldtr, t = cpu.tr;
  l.selector = v.get(F.GUEST_LDTR_SELECTOR); l.base = v.get(F.GUEST_LDTR_BASE) | 0;
  l.limit = v.get(F.GUEST_LDTR_LIMIT) | 0; l.ar = v.get(F.GUEST_LDTR_AR_BYTES) & 0x1f0ff;
  t.selector = v.get(F.GUEST_TR_SELECTOR); t.base = v.get(F.GUEST_TR_BASE) | 0;
  t.limit = v.get(F.GUEST_TR_LIMIT) | 0; t.ar = v.get(F.GUEST_TR_AR_BYTES) & 0x1f0ff;
  cpu.gdtr.base = v.get(F.GUEST_GDTR_BASE) | 0; cpu.gdtr.limit = v.get(F.GUEST_GDTR_LIMIT) & 0xffff;
  cpu.idtr.base = v.get(F.GUEST_IDTR_BASE) | 0; cpu.idtr.limit = v.get(F.GUEST_IDTR_LIMIT) & 0xffff;
  cpu.regs[4] = v.get(F.GUEST_RSP) | 0;
  cpu.eip = v.get(F.GUEST_RIP) >>> 0;
  cpu.setEflags(v.get(F.GUEST_RFLAGS));
  // CPL: 0 in real mode, 3 in virtual-8086 mode, SS.DPL otherwise.
  cpu.cpl = (cpu.cr0 & 1) === 0 ? 0 : c.v86 ? 3 : (cpu.seg[2]!.ar >>> 5) & 3;
  cpu.interruptibility = v.get(F.GUEST_INTERRUPTIBILITY_INFO) & 0xf;
  cpu.activity = v.get(F.GUEST_ACTIVITY_STATE);
  if ((cpu.cr0 & 0x80000000) !== 0 && (cpu.cr4 & 0x20) !== 0) {
    if (c.ept) {
      // With EPT the PDPTEs come from the VMCS (SDM "Loading Page-Directory-Pointer-Table Entries").
      const p = cpu.mmu.pdpte;
      for (let i = 0; i < 4; i++) {
        p[2 * i] = v.get(F.GUEST_PDPTR0 + 2 * i) | 0;
        p[2 * i + 1] = v.get((F.GUEST_PDPTR0 + 2 * i) | 1) | 0;
      }
    } else {
      // Without EPT they are loaded from guest CR3 (already checked: guest-physical = host-physical).
      cpu.mmu.loadPdptes(cpu.cr3);
    }
  }
  cpu.mmu.cplChanged();
}

/** MSR indices the VM-entry / VM-exit MSR-load lists may not load. */
export function msrLoadForbidden(index: number): boolean {
  return index === 0xc0000100 || index === 0xc0000101 || (index >>> 8) === 0x8 ||
    index === 0x79 || index === 0x8b || index === 0x9b || index === 0x9e;
}

/**
 * Process an MSR-load list (entry or exit): 16-byte entries {index, reserved, data lo, data hi}.
 * Returns 0 on success or the 1-based index of the failing entry.
 */
export function loadMsrList(cpu: VmxCpu, services: VmxServices, addr: number, count: number, max: number): number {
  const ram = cpu.phys.ram;
  const rd = (a: number): number => (ram[a]! | (ram[a + 1]! << 8) | (ram[a + 2]! << 16) | (ram[a + 3]! << 24)) >>> 0;
  for (let i = 0; i < count; i++) {
    if (i >= max) return i + 1;
    const a = addr + i * 16;
    if (a + 16 > ram.length) return i + 1;
    const index = rd(a);
    if (rd(a + 4) !== 0 || msrLoadForbidden(index)) return i + 1;
    if (!services.wrmsr(cpu, index, rd(a + 8), rd(a + 12))) return i + 1;
  }
  return 0;
}

/** Process the VM-exit MSR-store list. Returns false on failure (VMX abort). */
export function storeMsrList(cpu: VmxCpu, services: VmxServices, addr: number, count: number): boolean {
  const ram = cpu.phys.ram;
  const rd = (a: number): number => (ram[a]! | (ram[a + 1]! << 8) | (ram[a + 2]! << 16) | (ram[a + 3]! << 24)) >>> 0;
  const wr = (a: number, v: number): void => { ram[a] = v; ram[a + 1] = v >>> 8; ram[a + 2] = v >>> 16; ram[a + 3] = v >>> 24; };
  for (let i = 0; i < count; i++) {
    const a = addr + i * 16;
    if (a + 16 > ram.length) return false;
    const index = rd(a);
    if (rd(a + 4) !== 0 || index === 0xc0000100 || index === 0xc0000101 || (index >>> 8) === 0x8) return false;
    const val = services.rdmsr(cpu, index);
    if (val === undefined) return false;
    wr(a + 8, val[0]);
    wr(a + 12, val[1]);
  }
  return true;
}

export { SEG_NAMES, ES };
