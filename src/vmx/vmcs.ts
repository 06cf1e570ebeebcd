/**
 * A VMCS (Intel SDM Vol. 3C, "Virtual Machine Control Structures"): a 4 KiB region of
 * host-physical memory, read and written only through VMREAD/VMWRITE semantics.
 *
 * Region layout (only the first two dwords are architectural):
 *
 *   offset 0    bits 30:0 VMCS revision identifier, bit 31 shadow-VMCS indicator
 *   offset 4    VMX-abort indicator
 *   offset 8    launch state (implementation-specific: 0 = clear, LAUNCHED_MAGIC = launched)
 *   offset 16+  field data: one 8-byte slot per supported field, in ascending encoding order;
 *               64-bit fields keep the low half at +0 and the high half at +4, narrower fields
 *               use +0 only (implementation-specific: software must use VMREAD/VMWRITE)
 *
 * VMREAD/VMWRITE rules on this IA-32 processor (no Intel 64, operands are 32 bits):
 * - natural-width fields are 32 bits wide (documented model choice; BASIC[48] = 1);
 * - 16-bit fields: VMWRITE keeps bits 15:0, VMREAD zero-extends;
 * - 64-bit fields: the full encoding reads the low half; a VMWRITE to it writes the low half and
 *   clears the high half (the field is wider than the operand); the `_HIGH` encoding
 *   (bit 0 = 1) reads/writes the high half only;
 * - unsupported or reserved encodings: VMfailValid(12);
 * - VMWRITE to a VM-exit information field: VMfailValid(13) unless IA32_VMX_MISC[29].
 *
 * Models: the field store, the header, the access rules, a dump. Does not model: caching of VMCS
 * data inside the processor (every access goes to the region, as in Bochs), VMCS shadowing.
 */
import { exitReasonIdent } from './exit-reasons.js';
import { type VmxCapabilities } from './capabilities.js';
import {
  ExitCtl, EntryCtl, PinCtl, ProcCtl, ProcCtl2, controlBitNames,
} from './controls.js';
import {
  FieldType, FieldWidth, SUPPORTED_ENCODINGS, type VmcsAnyFieldName, VmcsField, fieldEncoding,
  fieldName, fieldType, fieldWidth, isHighAccess,
} from './fields.js';

export const VMCS_HEADER_BYTES = 16;
export const LAUNCHED_MAGIC = 0x4c41554e; // 'NUAL' little-endian, anything but 0

/** Offset of each supported encoding (full and high) inside the region, -1 if unsupported. */
const OFFSET: Int16Array = (() => {
  const t = new Int16Array(0x8000).fill(-1);
  SUPPORTED_ENCODINGS.forEach((enc, i) => {
    const off = VMCS_HEADER_BYTES + i * 8;
    t[enc] = off;
    if (fieldWidth(enc) === FieldWidth.W64) t[enc | 1] = off + 4;
  });
  return t;
})();

/** 1 for encodings whose stores keep only 16 bits (16-bit fields, full access). */
const IS16: Uint8Array = (() => {
  const t = new Uint8Array(0x8000);
  for (const enc of SUPPORTED_ENCODINGS) if (fieldWidth(enc) === FieldWidth.W16) t[enc] = 1;
  return t;
})();

/** Byte offset of a field in the region, or -1. Encodings with reserved bits are unsupported. */
export function fieldOffset(encoding: number): number {
  return (encoding & 0xffff8000) !== 0 ? -1 : OFFSET[encoding]!;
}

/** A host-side misuse of the typed VMCS API (the VMREAD/VMWRITE error number says why). */
export class VmcsAccessError extends Error {
  constructor(
    readonly encoding: number,
    readonly vmInstructionError: 12 | 13,
    op: 'read' | 'write',
  ) {
    const name = fieldName(encoding) ?? '(unknown)';
    super(`VMCS ${op} of field ${name} (encoding 0x${(encoding >>> 0).toString(16)}) failed: ` +
      (vmInstructionError === 12 ? 'unsupported VMCS component (VM-instruction error 12)'
        : 'VMWRITE to read-only VMCS component (VM-instruction error 13)'));
    this.name = 'VmcsAccessError';
  }
}

/** A field identified by encoding or by SDM name. */
export type VmcsFieldRef = number | VmcsAnyFieldName;

function resolve(field: VmcsFieldRef): number {
  if (typeof field === 'number') return field;
  const e = fieldEncoding(field);
  if (e === undefined) throw new TypeError(`VMCS: unknown field name '${field}'`);
  return e;
}

export class Vmcs {
  constructor(
    /** Host RAM (`cpu.phys.ram`). */
    readonly ram: Uint8Array,
    /** Host-physical address of the 4 KiB region. */
    readonly hpa: number,
    readonly caps: VmxCapabilities,
  ) {
    if (hpa % 4096 !== 0 || hpa < 0 || hpa + 4096 > ram.length) {
      throw new RangeError(`Vmcs: region 0x${hpa.toString(16)} is not a 4 KiB-aligned page of RAM`);
    }
  }

  private rd32(off: number): number {
    const r = this.ram;
    const a = this.hpa + off;
    return (r[a]! | (r[a + 1]! << 8) | (r[a + 2]! << 16) | (r[a + 3]! << 24)) >>> 0;
  }
  private wr32(off: number, v: number): void {
    const r = this.ram;
    const a = this.hpa + off;
    r[a] = v; r[a + 1] = v >>> 8; r[a + 2] = v >>> 16; r[a + 3] = v >>> 24;
  }

  // ---- header ----
  get revisionId(): number { return this.rd32(0) & 0x7fffffff; }
  get shadowIndicator(): boolean { return (this.rd32(0) & 0x80000000) !== 0; }
  get abortIndicator(): number { return this.rd32(4); }
  set abortIndicator(v: number) { this.wr32(4, v); }
  get launched(): boolean { return this.rd32(8) === LAUNCHED_MAGIC; }
  set launched(v: boolean) { this.wr32(8, v ? LAUNCHED_MAGIC : 0); }
  /** Write the header as software does before VMPTRLD (revision id, shadow bit). */
  initHeader(revisionId: number, shadow = false): void {
    this.wr32(0, (revisionId & 0x7fffffff) | (shadow ? 0x80000000 : 0));
  }

  // ---- processor-internal access (no read-only rule; callers pass supported encodings) ----
  /** Raw 32-bit value of a supported encoding (full: low half / whole field; high: upper half). */
  get(encoding: number): number {
    const off = OFFSET[encoding]!;
    return off < 0 ? 0 : this.rd32(off);
  }
  /** Raw store with width truncation: 16-bit fields keep 15:0. A full-encoding store to a 64-bit
   *  field leaves the high half alone (use `set64` to set both). */
  set(encoding: number, value: number): void {
    const off = OFFSET[encoding]!;
    if (off < 0) return;
    this.wr32(off, IS16[encoding] === 1 ? value & 0xffff : value);
  }
  /** Both halves of a 64-bit field. */
  set64(encoding: number, lo: number, hi: number): void {
    this.set(encoding & ~1, lo);
    this.set(encoding | 1, hi);
  }
  /** A 64-bit field as a JS number when it fits in 53 bits (addresses), else NaN. */
  getAddr64(encoding: number): number {
    const hi = this.get(encoding | 1);
    if (hi >= 0x200000) return NaN;
    return hi * 0x100000000 + this.get(encoding & ~1);
  }

  // ---- VMREAD / VMWRITE semantics ----
  /**
   * VMREAD with a 32-bit destination: the value, or -12 when the encoding is unsupported
   * (VMfailValid(12)). Never throws.
   */
  vmread(encoding: number): number {
    const off = fieldOffset(encoding);
    if (off < 0) return -12;
    return this.rd32(off);
  }
  /** VMWRITE from a 32-bit source: 0 on success, 12 or 13 (the VM-instruction error). */
  vmwrite(encoding: number, value: number): 0 | 12 | 13 {
    const off = fieldOffset(encoding);
    if (off < 0) return 12;
    if (fieldType(encoding) === FieldType.EXIT_INFO && !this.caps.vmwriteExitInfo) return 13;
    const w = fieldWidth(encoding);
    if (w === FieldWidth.W16) {
      this.wr32(off, value & 0xffff);
    } else if (w === FieldWidth.W64 && !isHighAccess(encoding)) {
      this.wr32(off, value); // the field is wider than the operand: high bits are cleared
      this.wr32(off + 4, 0);
    } else {
      this.wr32(off, value);
    }
    return 0;
  }

  /** Typed host API: VMREAD semantics; throws VmcsAccessError for an unsupported field. */
  read(field: VmcsFieldRef): number {
    const enc = resolve(field);
    const v = this.vmread(enc);
    if (v < 0) throw new VmcsAccessError(enc, 12, 'read');
    return v;
  }
  /** Typed host API: VMWRITE semantics; throws VmcsAccessError (12 unsupported, 13 read-only). */
  write(field: VmcsFieldRef, value: number): void {
    const enc = resolve(field);
    const err = this.vmwrite(enc, value);
    if (err !== 0) throw new VmcsAccessError(enc, err, 'write');
  }
  /** Both halves of a 64-bit field (two VMREADs: full then high). */
  read64(field: VmcsFieldRef): bigint {
    const enc = resolve(field);
    if (fieldWidth(enc) !== FieldWidth.W64 || isHighAccess(enc)) return BigInt(this.read(enc));
    return (BigInt(this.read(enc | 1)) << 32n) | BigInt(this.read(enc));
  }
  /** Both halves of a 64-bit field (VMWRITE full, then VMWRITE high). */
  write64(field: VmcsFieldRef, value: bigint): void {
    const enc = resolve(field);
    if (fieldWidth(enc) !== FieldWidth.W64 || isHighAccess(enc)) {
      this.write(enc, Number(BigInt.asUintN(32, value)));
      return;
    }
    this.write(enc, Number(BigInt.asUintN(32, value)));
    this.write(enc | 1, Number(BigInt.asUintN(32, value >> 32n)));
  }
}

const hex = (v: number, digits = 8): string => '0x' + (v >>> 0).toString(16).padStart(digits, '0');

function decodeField(vmcs: Vmcs, enc: number, v: number): string {
  switch (enc) {
    case VmcsField.PIN_BASED_VM_EXEC_CONTROL: return controlBitNames(PinCtl, v).join(' ');
    case VmcsField.CPU_BASED_VM_EXEC_CONTROL: return controlBitNames(ProcCtl, v).join(' ');
    case VmcsField.SECONDARY_VM_EXEC_CONTROL: return controlBitNames(ProcCtl2, v).join(' ');
    case VmcsField.VM_EXIT_CONTROLS: return controlBitNames(ExitCtl, v).join(' ');
    case VmcsField.VM_ENTRY_CONTROLS: return controlBitNames(EntryCtl, v).join(' ');
    case VmcsField.VM_EXIT_REASON:
      return exitReasonIdent(v & 0xffff) + ((v & 0x80000000) !== 0 ? ' (VM-entry failure)' : '');
    case VmcsField.VM_ENTRY_INTR_INFO_FIELD:
    case VmcsField.VM_EXIT_INTR_INFO:
    case VmcsField.IDT_VECTORING_INFO_FIELD:
      if ((v & 0x80000000) === 0) return 'invalid';
      return `vector ${v & 0xff} type ${(v >>> 8) & 7}${(v & 0x800) !== 0 ? ' +errcode' : ''}`;
    case VmcsField.GUEST_ACTIVITY_STATE:
      return ['active', 'HLT', 'shutdown', 'wait-for-SIPI'][v] ?? 'invalid';
    default:
      void vmcs;
      return '';
  }
}

/** Every supported field by SDM name with its value (64-bit fields as both halves) and a decoding
 *  of the control words, exit reason and interruption-information fields. */
export function dumpVmcs(vmcs: Vmcs): string {
  const lines: string[] = [
    `VMCS @ ${hex(vmcs.hpa)} revision ${hex(vmcs.revisionId)}${vmcs.shadowIndicator ? ' (shadow)' : ''}` +
    ` abort ${vmcs.abortIndicator} launch-state ${vmcs.launched ? 'launched' : 'clear'}`,
  ];
  for (const enc of SUPPORTED_ENCODINGS) {
    const name = fieldName(enc)!;
    const w = fieldWidth(enc);
    const v = vmcs.get(enc);
    let text = w === FieldWidth.W16 ? hex(v, 4)
      : w === FieldWidth.W64 ? `${hex(vmcs.get(enc | 1))}_${(v >>> 0).toString(16).padStart(8, '0')}` : hex(v);
    const d = decodeField(vmcs, enc, v);
    if (d !== '') text += `  ${d}`;
    lines.push(`  ${name.padEnd(32)} ${text}`);
  }
  return lines.join('\n');
}
