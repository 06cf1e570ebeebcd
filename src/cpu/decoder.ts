/**
 * x86 instruction decoder (P6 class, 16- and 32-bit code), driven entirely by the derived lookup
 * arrays of `opcodes.ts`. Fills a caller-provided `Insn` in place: no allocation, no exceptions of
 * its own (a `ByteSource` may throw — e.g. the CPU's fetch raising a page fault — and that
 * propagates untouched).
 *
 * Models: all legacy prefixes (66, 67, segment overrides with the last one winning, F0, F2/F3
 * with the last one winning, any number and order of them), ModRM/SIB/displacements for 16- and
 * 32-bit addressing, moffs, far pointers, ENTER's two immediates, mandatory-prefix selection
 * (VMXON/VMCLEAR/VMPTRLD, INVEPT/INVVPID, PAUSE), the LOCK rules (#UD on a non-lockable
 * instruction or a register destination) and the 15-byte limit (bytes past the 15th are never
 * fetched; `insn.tooLong` tells the executor to raise #GP(0)).
 * Does not model: 64-bit mode/REX, VEX/EVEX/XOP (C4/C5/62/8F are LES/LDS/BOUND/POP here, and their
 * register forms are #UD as on a Pentium Pro), MMX/SSE opcodes (all #UD).
 */
import { Insn, Prefix } from './insn.js';
import {
  ENTRY_FLAGS, ENTRY_NEXT, ENTRY_OP, ENTRY_OPND, F, MAP_SLOT, MODRM_GROUPS, MODRM_SLOTS, Op,
  Opnd, PfxClass,
} from './opcodes.js';
import { Reg, SReg } from './state.js';

/** Instruction bytes, indexed from the first byte of the instruction. May throw (#PF). */
export interface ByteSource {
  byte(i: number): number;
}

/** Architectural maximum instruction length (SDM Vol. 2, 2.3.11). */
const MAX_LEN = 15;

/** 16-bit addressing (SDM Vol. 2, Table 2-1): ModRM.rm → base and index register. */
const BASE16 = Int8Array.of(Reg.EBX, Reg.EBX, Reg.EBP, Reg.EBP, Reg.ESI, Reg.EDI, Reg.EBP, Reg.EBX);
const INDEX16 = Int8Array.of(Reg.ESI, Reg.EDI, Reg.ESI, Reg.EDI, -1, -1, -1, -1);

/** Segment-override prefix byte → SReg (-1 if not a segment prefix). */
function segPrefix(b: number): number {
  switch (b) {
    case 0x26: return SReg.ES;
    case 0x2e: return SReg.CS;
    case 0x36: return SReg.SS;
    case 0x3e: return SReg.DS;
    case 0x64: return SReg.FS;
    case 0x65: return SReg.GS;
    default: return -1;
  }
}

/**
 * Decode the instruction at `src.byte(0)` in `bits`-bit code (the CS.D default) into `insn`.
 * Invalid encodings set `insn.invalid` and `insn.op = Op.UD`; `insn.length` is then the number of
 * bytes examined (at least 1).
 */
export function decode(insn: Insn, src: ByteSource, bits: 16 | 32): void {
  decodeCore(insn, src, null, 0, bits);
}

/**
 * Decode from a buffer at `offset`. Bytes past the end of `bytes` make the instruction invalid
 * with `insn.truncated` set and `insn.length = bytes.length - offset`.
 */
export function decodeBytes(insn: Insn, bytes: Uint8Array, offset: number, bits: 16 | 32): void {
  decodeCore(insn, null, bytes, offset, bits);
}

/** Fetch byte `i` of the instruction; never fetches past the 15th byte or past a buffer's end. */
function rb(insn: Insn, src: ByteSource | null, buf: Uint8Array | null, off: number, i: number): number {
  if (i >= MAX_LEN) {
    insn.tooLong = true;
    return 0;
  }
  if (buf !== null) {
    const p = off + i;
    if (p >= buf.length) {
      insn.truncated = true;
      return 0;
    }
    return buf[p];
  }
  return (src as ByteSource).byte(i) & 0xff;
}

function decodeCore(insn: Insn, src: ByteSource | null, buf: Uint8Array | null, off: number, bits: number): void {
  insn.op = Op.UD;
  insn.entry = 0;
  insn.opcode = 0;
  insn.prefixes = 0;
  insn.segOverride = -1;
  insn.mod = -1;
  insn.reg = 0;
  insn.rm = 0;
  insn.base = -1;
  insn.index = -1;
  insn.scale = 0;
  insn.disp = 0;
  insn.defaultSeg = SReg.DS;
  insn.imm = 0;
  insn.imm2 = 0;
  insn.invalid = false;
  insn.tooLong = false;
  insn.truncated = false;
  insn.opsize = bits;
  insn.adsize = bits;

  // ---- prefixes ----
  let i = 0;
  let pfx = 0;
  let rep = 0; // PfxClass of the last F2/F3, 0 if none
  let b = 0;
  for (;;) {
    b = rb(insn, src, buf, off, i);
    if (insn.tooLong || insn.truncated) return fail(insn, i, buf, off);
    const s = segPrefix(b);
    if (s >= 0) {
      insn.segOverride = s;
      pfx |= Prefix.SEG;
    } else if (b === 0x66) {
      pfx |= Prefix.OPSIZE;
    } else if (b === 0x67) {
      pfx |= Prefix.ADSIZE;
    } else if (b === 0xf0) {
      pfx |= Prefix.LOCK;
    } else if (b === 0xf3) {
      rep = PfxClass.PF3;
    } else if (b === 0xf2) {
      rep = PfxClass.PF2;
    } else {
      break;
    }
    i++;
  }
  if (rep === PfxClass.PF3) pfx |= Prefix.REP;
  else if (rep === PfxClass.PF2) pfx |= Prefix.REPNE;
  insn.prefixes = pfx;

  // ---- opcode ----
  i++;
  let map = 0;
  let opcode = b;
  if (b === 0x0f) {
    b = rb(insn, src, buf, off, i++);
    map = 1;
    opcode = 0x0f00 | b;
    if (b === 0x38 || b === 0x3a) {
      map = b === 0x38 ? 2 : 3;
      const b3 = rb(insn, src, buf, off, i++);
      opcode = (0x0f0000 | (b << 8) | b3);
      b = b3;
    }
    if (insn.tooLong || insn.truncated) return fail(insn, i, buf, off);
  }
  insn.opcode = opcode;
  const cls = rep !== 0 ? rep : (pfx & Prefix.OPSIZE) !== 0 ? PfxClass.P66 : PfxClass.NONE;

  const v = MAP_SLOT[map * 256 + b];
  let e: number;
  if (v >= 0) {
    e = v;
    insn.reg = b & 7;
  } else {
    const modrm = rb(insn, src, buf, off, i++);
    if (insn.tooLong || insn.truncated) return fail(insn, i, buf, off);
    const mod = modrm >> 6;
    insn.mod = mod;
    insn.reg = (modrm >> 3) & 7;
    insn.rm = modrm & 7;
    e = MODRM_GROUPS[~v * MODRM_SLOTS + (mod === 3 ? 8 + (modrm & 0x3f) : insn.reg)];
  }
  // Mandatory-prefix alternatives.
  while (e !== 0) {
    const f = ENTRY_FLAGS[e];
    if ((f & (F.PNP | F.P66 | F.PF3)) === 0) break;
    if ((f & F.PNP) !== 0 ? cls === PfxClass.NONE : (f & F.P66) !== 0 ? cls === PfxClass.P66 : cls === PfxClass.PF3) break;
    e = ENTRY_NEXT[e];
  }
  if (e === 0) return fail(insn, i, buf, off);
  const flags = ENTRY_FLAGS[e];

  // ---- sizes ----
  if ((flags & F.OS32) !== 0) insn.opsize = 32;
  else if ((pfx & Prefix.OPSIZE) !== 0 && (flags & F.P66) === 0) insn.opsize = bits ^ 48;
  if ((pfx & Prefix.ADSIZE) !== 0) insn.adsize = bits ^ 48;

  // ---- memory operand ----
  if (insn.mod >= 0) {
    if ((flags & F.MODIGN) !== 0) {
      insn.mod = 3;
    } else if (insn.mod !== 3) {
      i = decodeModrmMemory(insn, src, buf, off, i);
    }
  }

  // ---- LOCK: only on lockable instructions with a memory destination ----
  if ((pfx & Prefix.LOCK) !== 0 && ((flags & F.LOCK) === 0 || insn.mod === 3)) {
    return fail(insn, i, buf, off);
  }

  // ---- immediates, moffs ----
  let nimm = 0;
  for (let k = (flags & F.IMM) !== 0 ? 0 : 3; k < 3; k++) {
    const o = ENTRY_OPND[e * 4 + k];
    let val = 0;
    switch (o) {
      case Opnd.NONE:
        k = 3;
        continue;
      case Opnd.Ib:
        val = rb(insn, src, buf, off, i);
        i += 1;
        break;
      case Opnd.Ibs:
      case Opnd.Jb:
        val = (rb(insn, src, buf, off, i) << 24) >> 24;
        i += 1;
        break;
      case Opnd.Iw:
        val = rb(insn, src, buf, off, i) | (rb(insn, src, buf, off, i + 1) << 8);
        i += 2;
        break;
      case Opnd.Iz:
      case Opnd.Jz:
        if (insn.opsize === 16) {
          val = rb(insn, src, buf, off, i) | (rb(insn, src, buf, off, i + 1) << 8);
          if (o === Opnd.Jz) val = (val << 16) >> 16;
          i += 2;
        } else {
          val = rd32(insn, src, buf, off, i);
          i += 4;
        }
        break;
      case Opnd.Ap:
        if (insn.opsize === 16) {
          insn.imm = rb(insn, src, buf, off, i) | (rb(insn, src, buf, off, i + 1) << 8);
          i += 2;
        } else {
          insn.imm = rd32(insn, src, buf, off, i);
          i += 4;
        }
        insn.imm2 = rb(insn, src, buf, off, i) | (rb(insn, src, buf, off, i + 1) << 8);
        i += 2;
        nimm = 2;
        continue;
      case Opnd.Ob:
      case Opnd.Ov:
        if (insn.adsize === 16) {
          insn.disp = rb(insn, src, buf, off, i) | (rb(insn, src, buf, off, i + 1) << 8);
          i += 2;
        } else {
          insn.disp = rd32(insn, src, buf, off, i);
          i += 4;
        }
        continue;
      default:
        continue;
    }
    if (nimm === 0) insn.imm = val;
    else insn.imm2 = val;
    nimm++;
  }
  if (insn.tooLong || insn.truncated) return fail(insn, i, buf, off);

  insn.entry = e;
  insn.op = ENTRY_OP[e];
  insn.length = i;
}

function rd32(insn: Insn, src: ByteSource | null, buf: Uint8Array | null, off: number, i: number): number {
  return rb(insn, src, buf, off, i) | (rb(insn, src, buf, off, i + 1) << 8) |
    (rb(insn, src, buf, off, i + 2) << 16) | (rb(insn, src, buf, off, i + 3) << 24);
}

/**
 * ModRM (mod != 3) + SIB + displacement → base/index/scale/disp/defaultSeg. Returns the new i.
 * (SDM Vol. 2, 2.1.3 and 2.1.5, Tables 2-1 to 2-3.)
 *
 *   ModRM:  7..6 mod   5..3 reg   2..0 rm        SIB:  7..6 scale   5..3 index   2..0 base
 *
 *   16-bit: mod=00 rm=110 → [disp16]; mod=01/10 → + disp8 / disp16 (sign-extended);
 *           rm selects [BX+SI] [BX+DI] [BP+SI] [BP+DI] [SI] [DI] [BP] [BX]; BP-based → SS.
 *   32-bit: rm=100 → SIB (index=100 means none); mod=00 rm=101 → [disp32];
 *           SIB base=101 with mod=00 → no base, disp32; ESP/EBP base → SS.
 */
function decodeModrmMemory(insn: Insn, src: ByteSource | null, buf: Uint8Array | null, off: number, i: number): number {
  const mod = insn.mod;
  const rm = insn.rm;
  if (insn.adsize === 16) {
    if (mod === 0 && rm === 6) {
      insn.disp = rb(insn, src, buf, off, i) | (rb(insn, src, buf, off, i + 1) << 8);
      return i + 2;
    }
    insn.base = BASE16[rm];
    insn.index = INDEX16[rm];
    if (insn.base === Reg.EBP) insn.defaultSeg = SReg.SS;
    if (mod === 1) {
      insn.disp = (rb(insn, src, buf, off, i) << 24) >> 24;
      return i + 1;
    }
    if (mod === 2) {
      insn.disp = ((rb(insn, src, buf, off, i) | (rb(insn, src, buf, off, i + 1) << 8)) << 16) >> 16;
      return i + 2;
    }
    return i;
  }
  let base = rm;
  if (rm === 4) {
    const sib = rb(insn, src, buf, off, i++);
    const idx = (sib >> 3) & 7;
    if (idx !== 4) {
      insn.index = idx;
      insn.scale = sib >> 6;
    }
    base = sib & 7;
    if (base === 5 && mod === 0) base = -1;
  } else if (rm === 5 && mod === 0) {
    base = -1;
  }
  insn.base = base;
  if (base === Reg.ESP || base === Reg.EBP) insn.defaultSeg = SReg.SS;
  if (mod === 1) {
    insn.disp = (rb(insn, src, buf, off, i) << 24) >> 24;
    return i + 1;
  }
  if (mod === 2 || base < 0) {
    insn.disp = rd32(insn, src, buf, off, i);
    return i + 4;
  }
  return i;
}

/** Mark `insn` invalid (#UD; or #GP(0) when `tooLong`). */
function fail(insn: Insn, i: number, buf: Uint8Array | null, off: number): void {
  insn.invalid = true;
  insn.op = Op.UD;
  insn.entry = 0;
  if (insn.tooLong) insn.length = MAX_LEN;
  else if (insn.truncated && buf !== null) insn.length = Math.max(1, buf.length - off);
  else insn.length = Math.max(1, Math.min(i, MAX_LEN));
}
