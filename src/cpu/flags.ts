/**
 * Lazy evaluation of the six arithmetic status flags (CF PF AF ZF SF OF), after QEMU's
 * CC_OP/CC_SRC/CC_DST scheme.
 *
 * Models: every flag the SDM defines for ADD ADC SUB SBB CMP NEG INC DEC AND OR XOR TEST exactly;
 * the other instructions compute their flags eagerly (exec/*.ts) and store them with
 * `setFlagsEager`.
 *
 * How it works: an arithmetic instruction records `ccOp` (operation kind and size), its two
 * source operands and the result; a flag is computed only when something reads it (Jcc, SETcc,
 * ADC, PUSHF, an interrupt). `ccOp === CcOp.EFLAGS` means the six flags are already materialised
 * in `ccFlags`.
 *
 *   ccOp layout: bits 1:0 size (0 = 8, 1 = 16, 2 = 32 bits), bits 5:2 kind (`CcKind`).
 *
 *   kind     ccSrc1      ccSrc2            ccRes
 *   ADD      dest        source            dest + source
 *   ADC      dest        source            dest + source + 1   (ADC with CF = 0 is recorded as ADD)
 *   SUB      dest        source            dest - source       (CMP, NEG as 0 - x)
 *   SBB      dest        source            dest - source - 1   (SBB with CF = 0 is recorded as SUB)
 *   LOGIC    -           -                 result              (CF = OF = AF = 0)
 *   INC      dest        CF before         dest + 1            (CF preserved)
 *   DEC      dest        CF before         dest - 1            (CF preserved)
 *
 * Policy for flags the SDM leaves undefined (one policy for the whole executor: Bochs 2.7's
 * choices, which are also what the Intel P6 family produces for the common cases):
 *   - AND/OR/XOR/TEST: AF = 0.
 *   - MUL/IMUL: SF, ZF, PF from the low half of the product (AL/AX/EAX or the destination), AF = 0.
 *   - DIV/IDIV: all six flags unchanged.
 *   - SHL/SAL/SHR/SAR/SHLD/SHRD (count != 0 after masking): AF = 0; OF for count > 1 uses the
 *     count-1 formula on the final result: SHL/SHLD OF = CF ^ MSB(result); SHR/SHRD
 *     OF = MSB(result) ^ (MSB-1)(result) (so SHR with count > 1 gives 0); SAR OF = 0.
 *     SHL/SHR of an 8/16-bit operand by more than its width (count 9..31 / 17..31): result 0,
 *     CF = 0, OF = 0; SAR fills with the sign and CF = sign.
 *     SHLD/SHRD 16-bit with count > 16: the result comes from the 32-bit concatenation shifted
 *     (Bochs, P6 behaviour), CF the last bit shifted out of it.
 *   - ROL/ROR/RCL/RCR: OF for count > 1 by the count-1 formula (ROL/RCL OF = CF ^ MSB(result);
 *     ROR/RCR OF = MSB ^ (MSB-1) of the result). An 8/16-bit ROL/ROR whose masked count is a
 *     non-zero multiple of the width leaves the value unchanged but still updates CF and OF; an
 *     8/16-bit RCL/RCR whose masked count is a multiple of 9/17 changes nothing at all.
 *   - BSF/BSR: source 0 → ZF = 1, destination unchanged, other flags unchanged; otherwise ZF = 0
 *     and SF/PF from the index, CF = OF = AF = 0.
 *   - BT/BTS/BTR/BTC: only CF changes.
 *   - AAA/AAS: SF/ZF/PF from the final AL, OF = 0. DAA/DAS: OF = 0.
 *     AAM/AAD: CF = OF = AF = 0 (SF/ZF/PF from AL are defined).
 */
import { Flag } from './state.js';

/** Operation kinds (bits 5:2 of ccOp). */
export const enum CcKind { EFLAGS = 0, ADD = 1, ADC = 2, SUB = 3, SBB = 4, LOGIC = 5, INC = 6, DEC = 7 }

/** `ccOp` values. Size index: 0 = 8-bit, 1 = 16-bit, 2 = 32-bit. */
export const enum CcOp {
  EFLAGS = 0,
  ADD8 = 4, ADD16 = 5, ADD32 = 6,
  ADC8 = 8, ADC16 = 9, ADC32 = 10,
  SUB8 = 12, SUB16 = 13, SUB32 = 14,
  SBB8 = 16, SBB16 = 17, SBB32 = 18,
  LOGIC8 = 20, LOGIC16 = 21, LOGIC32 = 22,
  INC8 = 24, INC16 = 25, INC32 = 26,
  DEC8 = 28, DEC16 = 29, DEC32 = 30,
}

/** The six status flags. */
export const ARITH_FLAGS = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF;

/** The state the lazy-flag functions read. `Cpu` has these fields. */
export interface LazyFlags {
  ccOp: number;
  ccSrc1: number;
  ccSrc2: number;
  ccRes: number;
  /** The six flags when ccOp === CcOp.EFLAGS (other bits are zero). */
  ccFlags: number;
}

/** Size index (0/1/2) for an operand size in bits (8/16/32). */
export function sizeIndex(bits: number): number {
  return bits >>> 4; // 8 → 0, 16 → 1, 32 → 2
}

/** PF for each byte value: Flag.PF when the number of set bits is even. */
const PARITY: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    let n = 0;
    for (let b = i; b !== 0; b >>= 1) n += b & 1;
    t[i] = (n & 1) === 0 ? Flag.PF : 0;
  }
  return t;
})();

/** Flag.PF if the low byte of `v` has even parity. */
export function parity(v: number): number {
  return PARITY[v & 0xff]!;
}

const MASK = [0xff, 0xffff, 0xffffffff];
const SIGN = [0x80, 0x8000, 0x80000000];

function mask(op: number): number {
  return MASK[op & 3]!;
}
function signBit(op: number): number {
  return SIGN[op & 3]!;
}

export function getCF(f: LazyFlags): boolean {
  const op = f.ccOp;
  switch (op >> 2) {
    case CcKind.EFLAGS: return (f.ccFlags & Flag.CF) !== 0;
    case CcKind.ADD: { const m = mask(op); return ((f.ccRes & m) >>> 0) < ((f.ccSrc1 & m) >>> 0); }
    case CcKind.ADC: { const m = mask(op); return ((f.ccRes & m) >>> 0) <= ((f.ccSrc1 & m) >>> 0); }
    case CcKind.SUB: { const m = mask(op); return ((f.ccSrc1 & m) >>> 0) < ((f.ccSrc2 & m) >>> 0); }
    case CcKind.SBB: { const m = mask(op); return ((f.ccSrc1 & m) >>> 0) <= ((f.ccSrc2 & m) >>> 0); }
    case CcKind.LOGIC: return false;
    default: return f.ccSrc2 !== 0; // INC, DEC: CF before
  }
}

export function getZF(f: LazyFlags): boolean {
  const op = f.ccOp;
  if (op === CcOp.EFLAGS) return (f.ccFlags & Flag.ZF) !== 0;
  return (f.ccRes & mask(op)) === 0;
}

export function getSF(f: LazyFlags): boolean {
  const op = f.ccOp;
  if (op === CcOp.EFLAGS) return (f.ccFlags & Flag.SF) !== 0;
  return (f.ccRes & signBit(op)) !== 0;
}

export function getPF(f: LazyFlags): boolean {
  if (f.ccOp === CcOp.EFLAGS) return (f.ccFlags & Flag.PF) !== 0;
  return PARITY[f.ccRes & 0xff] !== 0;
}

export function getAF(f: LazyFlags): boolean {
  const op = f.ccOp;
  switch (op >> 2) {
    case CcKind.EFLAGS: return (f.ccFlags & Flag.AF) !== 0;
    case CcKind.LOGIC: return false;
    case CcKind.INC:
    case CcKind.DEC: return ((f.ccSrc1 ^ f.ccRes ^ 1) & 0x10) !== 0;
    default: return ((f.ccSrc1 ^ f.ccSrc2 ^ f.ccRes) & 0x10) !== 0;
  }
}

export function getOF(f: LazyFlags): boolean {
  const op = f.ccOp;
  switch (op >> 2) {
    case CcKind.EFLAGS: return (f.ccFlags & Flag.OF) !== 0;
    case CcKind.ADD:
    case CcKind.ADC: return ((f.ccSrc1 ^ f.ccRes) & (f.ccSrc2 ^ f.ccRes) & signBit(op)) !== 0;
    case CcKind.SUB:
    case CcKind.SBB: return ((f.ccSrc1 ^ f.ccSrc2) & (f.ccSrc1 ^ f.ccRes) & signBit(op)) !== 0;
    case CcKind.LOGIC: return false;
    case CcKind.INC: return ((f.ccRes & mask(op)) >>> 0) === signBit(op);
    default: return ((f.ccRes & mask(op)) >>> 0) === signBit(op) - 1; // DEC
  }
}

/** All six flags as EFLAGS bits (one pass over the recorded operation, same formulas as the
 *  single-flag getters above). */
export function getArithFlags(f: LazyFlags): number {
  const op = f.ccOp;
  if (op === CcOp.EFLAGS) return f.ccFlags;
  const m = MASK[op & 3]!;
  const sign = SIGN[op & 3]!;
  const s1 = f.ccSrc1, s2 = f.ccSrc2, res = f.ccRes;
  let fl = ((res & m) === 0 ? Flag.ZF : 0) | ((res & sign) !== 0 ? Flag.SF : 0) | PARITY[res & 0xff]!;
  switch (op >> 2) {
    case CcKind.ADD:
      if (((res & m) >>> 0) < ((s1 & m) >>> 0)) fl |= Flag.CF;
      if (((s1 ^ res) & (s2 ^ res) & sign) !== 0) fl |= Flag.OF;
      return fl | ((s1 ^ s2 ^ res) & Flag.AF);
    case CcKind.ADC:
      if (((res & m) >>> 0) <= ((s1 & m) >>> 0)) fl |= Flag.CF;
      if (((s1 ^ res) & (s2 ^ res) & sign) !== 0) fl |= Flag.OF;
      return fl | ((s1 ^ s2 ^ res) & Flag.AF);
    case CcKind.SUB:
      if (((s1 & m) >>> 0) < ((s2 & m) >>> 0)) fl |= Flag.CF;
      if (((s1 ^ s2) & (s1 ^ res) & sign) !== 0) fl |= Flag.OF;
      return fl | ((s1 ^ s2 ^ res) & Flag.AF);
    case CcKind.SBB:
      if (((s1 & m) >>> 0) <= ((s2 & m) >>> 0)) fl |= Flag.CF;
      if (((s1 ^ s2) & (s1 ^ res) & sign) !== 0) fl |= Flag.OF;
      return fl | ((s1 ^ s2 ^ res) & Flag.AF);
    case CcKind.LOGIC:
      return fl;
    case CcKind.INC:
      if (s2 !== 0) fl |= Flag.CF;
      if (((res & m) >>> 0) === sign) fl |= Flag.OF;
      return fl | ((s1 ^ res ^ 1) & Flag.AF);
    default: // DEC
      if (s2 !== 0) fl |= Flag.CF;
      if (((res & m) >>> 0) === sign - 1) fl |= Flag.OF;
      return fl | ((s1 ^ res ^ 1) & Flag.AF);
  }
}

/** Replace the six flags with `flags` (other bits ignored). */
export function setFlagsEager(f: LazyFlags, flags: number): void {
  f.ccFlags = flags & ARITH_FLAGS;
  f.ccOp = CcOp.EFLAGS;
}

/** Replace only the flags in `which` with the corresponding bits of `flags`. */
export function setSomeFlags(f: LazyFlags, which: number, flags: number): void {
  const cur = getArithFlags(f);
  f.ccFlags = (cur & ~which) | (flags & which);
  f.ccOp = CcOp.EFLAGS;
}

/** SF, ZF, PF of `res` at `bits` width (a LOGIC-style result), as EFLAGS bits. */
export function szp(res: number, bits: number): number {
  const i = bits >>> 4;
  const m = MASK[i]!;
  return ((res & m) === 0 ? Flag.ZF : 0) | ((res & SIGN[i]!) !== 0 ? Flag.SF : 0) | PARITY[res & 0xff]!;
}

/**
 * Evaluate condition code `cc` (the low nibble of Jcc/SETcc/CMOVcc opcodes):
 *   0 O, 1 NO, 2 B, 3 AE, 4 E, 5 NE, 6 BE, 7 A, 8 S, 9 NS, A P, B NP, C L, D GE, E LE, F G.
 * Straight from the lazy state: only the flags the condition needs are computed (E/NE, S, P and
 * L/GE after any recorded operation without materialising the other flags).
 */
export function testCondition(f: LazyFlags, cc: number): boolean {
  const op = f.ccOp;
  let r: boolean;
  if (op === CcOp.EFLAGS) {
    const fl = f.ccFlags;
    switch (cc >> 1) {
      case 0: r = (fl & Flag.OF) !== 0; break;
      case 1: r = (fl & Flag.CF) !== 0; break;
      case 2: r = (fl & Flag.ZF) !== 0; break;
      case 3: r = (fl & (Flag.CF | Flag.ZF)) !== 0; break;
      case 4: r = (fl & Flag.SF) !== 0; break;
      case 5: r = (fl & Flag.PF) !== 0; break;
      case 6: r = (((fl >> 7) ^ (fl >> 11)) & 1) !== 0; break; // SF != OF
      default: r = (fl & Flag.ZF) !== 0 || (((fl >> 7) ^ (fl >> 11)) & 1) !== 0; break;
    }
  } else {
    switch (cc >> 1) {
      case 0: r = getOF(f); break;
      case 1: r = getCF(f); break;
      case 2: r = (f.ccRes & MASK[op & 3]!) === 0; break;
      case 3: r = (f.ccRes & MASK[op & 3]!) === 0 || getCF(f); break;
      case 4: r = (f.ccRes & SIGN[op & 3]!) !== 0; break;
      case 5: r = PARITY[f.ccRes & 0xff] !== 0; break;
      case 6: r = lazyLess(f, op); break;
      default: r = (f.ccRes & MASK[op & 3]!) === 0 || lazyLess(f, op); break;
    }
  }
  return (cc & 1) !== 0 ? !r : r;
}

/** SF != OF for a recorded (non-EFLAGS) operation: the sign of the result XOR the overflow. */
function lazyLess(f: LazyFlags, op: number): boolean {
  const sign = SIGN[op & 3]!;
  const s1 = f.ccSrc1, s2 = f.ccSrc2, res = f.ccRes;
  switch (op >> 2) {
    case CcKind.ADD:
    case CcKind.ADC: return ((res ^ ((s1 ^ res) & (s2 ^ res))) & sign) !== 0;
    case CcKind.SUB:
    case CcKind.SBB: return ((res ^ ((s1 ^ s2) & (s1 ^ res))) & sign) !== 0;
    case CcKind.LOGIC: return (res & sign) !== 0;
    default: return ((res & sign) !== 0) !== getOF(f); // INC, DEC
  }
}
