/**
 * Intel-syntax disassembler: formats a decoded `Insn` from its opcode-table entry (the same
 * mnemonics and operand specs the decoder and executor use), plus an ndisasm-like listing.
 *
 * The text follows iced-x86's Intel formatter with default options (`new Formatter(
 * FormatterSyntax.Intel)`), which the differential test uses as the oracle:
 *   - lower-case, operands separated by "," without a space;
 *   - numbers: 0-9 in decimal, else upper-case hex with an "h" suffix and a leading "0" when the
 *     first digit is a letter (0FFh); immediates are unsigned at their operand width;
 *   - branch targets are absolute, zero-padded to 4/8 digits by operand size; "short" for rel8
 *     JMP/Jcc; far pointers print "offset,selector";
 *   - memory: "[base+index*scale±disp]"; the size keyword ("dword ptr") only when no register
 *     operand implies it (per-entry overrides F.SHOWSIZE/F.NOSIZE); a segment override is shown
 *     only when it differs from the operand's default segment (string instructions: when it is
 *     not DS, then on every memory operand);
 *   - "data16/data32/addr16/addr32" for a 66/67 prefix whose effect is not otherwise visible;
 *     "rep/repe/repne" only on string instructions (and F3 C3 "rep ret"); "lock";
 *   - far forms print "call far", "jmp far", "ret far"; 66 90 prints "xchg ax,ax".
 * No text differences remain over the differential test's space (millions of random
 * instructions); the few encodings where we decode the P6 meaning instead of a later extension
 * (F3 0F BC = BSF, not TZCNT; CET/PREFETCHIT/CLDEMOTE hint NOPs; F3 0F 09 = WBINVD) are listed in
 * test/cpu/decoder-diff.test.ts.
 *
 * Not for the hot path: formatting builds strings.
 */
import { Insn, Prefix } from './insn.js';
import { decodeBytes } from './decoder.js';
import { ENTRY_FLAGS, ENTRY_OPND, F, Op, OPCODE_TABLE, Opnd, isModrmRm, opndBits } from './opcodes.js';
import { SReg } from './state.js';

const R8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const R16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const SREGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', '?', '?'];

function reg(n: number, bits: number): string {
  return bits === 8 ? R8[n] : bits === 16 ? R16[n] : R32[n];
}

/** iced-style number: 0-9 decimal, else hex with "h" and a leading 0 before a letter. */
function num(v: number): string {
  const u = v >>> 0;
  if (u <= 9) return String(u);
  const h = u.toString(16).toUpperCase();
  return (h.charCodeAt(0) >= 0x41 ? '0' : '') + h + 'h';
}

/** Zero-padded hex (branch targets, far selectors), still decimal for 0-9 like iced. */
function numPad(v: number, digits: number): string {
  const u = v >>> 0;
  if (u <= 9) return String(u);
  const h = u.toString(16).toUpperCase().padStart(digits, '0');
  return (h.charCodeAt(0) >= 0x41 ? '0' : '') + h + 'h';
}

function mask(v: number, bits: number): number {
  return bits === 8 ? v & 0xff : bits === 16 ? v & 0xffff : v >>> 0;
}

const SIZE_KEYWORD: Record<number, string> = {
  8: 'byte ptr ', 16: 'word ptr ', 32: 'dword ptr ', 48: 'fword ptr ', 64: 'qword ptr ',
  80: 'tbyte ptr ', 128: 'xmmword ptr ',
};

function isStringOp(op: number): boolean {
  return op === Op.MOVS || op === Op.CMPS || op === Op.STOS || op === Op.LODS || op === Op.SCAS ||
    op === Op.INS || op === Op.OUTS;
}

/** Register-class operands that make a memory operand's size implicit. */
function regBits(o: number, insn: Insn): number {
  switch (o) {
    case Opnd.Gb: case Opnd.Zb: case Opnd.AL: return 8;
    case Opnd.Gw: case Opnd.AX: case Opnd.Sw: return 16;
    case Opnd.Gd: case Opnd.Rd: return 32;
    case Opnd.Gv: case Opnd.Zv: case Opnd.eAX: return insn.opsize;
    default: return 0;
  }
}

/** FPU register forms that iced prints without operands when i = 1. */
const FPU_IMPLICIT_ST1 = new Set([
  'fcom', 'fcomp', 'fxch', 'fucom', 'fucomp', 'faddp', 'fmulp', 'fsubp', 'fsubrp', 'fdivp', 'fdivrp',
]);

/** Format a memory operand (`[..]` with optional size keyword and segment). */
function memText(insn: Insn, kind: number, sizeBits: number, showSize: boolean, seg: string): string {
  let s = '';
  const r = insn.adsize === 16 ? R16 : R32;
  if (insn.base >= 0) s = r[insn.base];
  if (insn.index >= 0) {
    // iced writes "*1" when there is no base (SIB with base=101b, mod=0).
    const noBase = s === '';
    if (!noBase) s += '+';
    s += r[insn.index];
    if (insn.scale > 0 || noBase) s += '*' + (1 << insn.scale);
  }
  if (s === '') {
    s = num(mask(insn.disp, insn.adsize));
  } else if (insn.disp !== 0) {
    const d = insn.adsize === 16 ? (insn.disp << 16) >> 16 : insn.disp | 0;
    s += d < 0 ? '-' + num(-d) : '+' + num(d);
  }
  let size = showSize && SIZE_KEYWORD[sizeBits] ? SIZE_KEYWORD[sizeBits] : '';
  if (kind === Opnd.Menv || kind === Opnd.Mstate) {
    // iced names the x87 environment/state size only when a 66 prefix changed it.
    const big = insn.opsize === 32;
    if ((insn.prefixes & Prefix.OPSIZE) !== 0) {
      size = kind === Opnd.Menv ? (big ? 'fpuenv28 ptr ' : 'fpuenv14 ptr ') : (big ? 'fpustate108 ptr ' : 'fpustate94 ptr ');
    }
  }
  return size + seg + '[' + s + ']';
}

/**
 * Format one decoded instruction at `address` (the offset branch targets are relative to).
 * `bits` is the code size the instruction was decoded with (sizes are already in `insn`).
 */
export function formatInsn(insn: Insn, address: number, bits: 16 | 32): string {
  if (insn.invalid) return '(bad)';
  const e = insn.entry;
  const ent = OPCODE_TABLE[e];
  const flags = ENTRY_FLAGS[e];
  const op = insn.op;
  const p = insn.prefixes;
  const pre: string[] = [];

  // ---- mnemonic ----
  let mn = (flags & F.MNEM_AS) !== 0
    ? (insn.adsize === 16 ? ent.mnemonic16 : ent.mnemonic)
    : (insn.opsize === 16 ? ent.mnemonic16 : ent.mnemonic);
  if (op === Op.RETF) mn = 'ret far';
  else if ((op === Op.JMPF || op === Op.CALLF)) mn += ' far';
  let ops: number[] = [];
  for (let k = 0; k < 3; k++) {
    const o = ENTRY_OPND[e * 4 + k];
    if (o !== Opnd.NONE) ops.push(o);
  }
  if (op === Op.NOP && insn.opcode === 0x90 && (p & Prefix.OPSIZE) !== 0) {
    mn = 'xchg';
    ops = [Opnd.Zv, Opnd.eAX];
  }
  if (op === Op.IMUL3 && insn.mod === 3 && insn.reg === insn.rm) ops = [ops[0], ops[2]];
  if (op === Op.FPU && insn.mod === 3 && insn.rm === 1 && FPU_IMPLICIT_ST1.has(mn)) ops = [];
  const str = isStringOp(op);
  if (str) ops = ops.filter((o) => o !== Opnd.AL && o !== Opnd.eAX);

  // ---- prefixes (iced's order: xacquire/xrelease, lock, data/addr, hint, notrack, rep/bnd) ----
  // F2/F3/2E/3E are ignored by a P6 outside string instructions; iced names their later
  // meanings (HLE, MPX, branch hints, CET), and so do we, to keep the texts comparable.
  const memForm = insn.mod >= 0 && insn.mod !== 3;
  let repText = '';
  if ((p & (Prefix.REP | Prefix.REPNE)) !== 0) {
    if (str) {
      const cond = op === Op.CMPS || op === Op.SCAS;
      repText = (p & Prefix.REPNE) !== 0 ? 'repne' : cond ? 'repe' : 'rep';
    } else if (op === Op.RETN && (p & Prefix.REP) !== 0 && ops.length === 0) {
      repText = 'rep';
    } else if ((p & Prefix.REPNE) !== 0 && isNearBranch(insn, op)) {
      repText = 'bnd';
    } else if (memForm && ((p & Prefix.LOCK) !== 0 || op === Op.XCHG)) {
      pre.push((p & Prefix.REPNE) !== 0 ? 'xacquire' : 'xrelease');
    } else if (memForm && (p & Prefix.REP) !== 0 && op === Op.MOV &&
      (insn.opcode === 0x88 || insn.opcode === 0x89 || insn.opcode === 0xc6 || insn.opcode === 0xc7)) {
      pre.push('xrelease');
    }
  }
  if ((p & Prefix.LOCK) !== 0) pre.push('lock');
  if ((p & Prefix.OPSIZE) !== 0 && opsizeHidden(insn, op, ops)) pre.push(insn.opsize === 16 ? 'data16' : 'data32');
  if ((p & Prefix.ADSIZE) !== 0 && adsizeHidden(op, ops)) pre.push(insn.adsize === 16 ? 'addr16' : 'addr32');
  if (op === Op.JCC && (insn.segOverride === SReg.CS || insn.segOverride === SReg.DS)) {
    pre.push(insn.segOverride === SReg.CS ? 'hint-not-taken' : 'hint-taken');
  }
  if (op === Op.MONITOR && insn.segOverride >= 0 && insn.segOverride !== SReg.DS) pre.push(SREGS[insn.segOverride]);
  const notrack = (op === Op.JMP || op === Op.CALL) && insn.mod >= 0 && insn.segOverride === SReg.DS;
  if (notrack) pre.push('notrack');
  if (repText !== '') pre.push(repText);

  // ---- operands ----
  const isMem = insn.mod >= 0 && insn.mod !== 3;
  let memBits = 0;
  let regSized = false;
  for (const o of ops) {
    if (isModrmRm(o) && isMem) memBits = opndBits(o, insn.opsize, true);
  }
  for (const o of ops) {
    const rb = regBits(o, insn);
    if (rb !== 0 && rb === memBits) regSized = true;
  }
  const showSize = (flags & F.SHOWSIZE) !== 0 || ((flags & F.NOSIZE) === 0 && !regSized);
  // Segment shown: differs from the default; for string instructions whenever it is not DS.
  const so = insn.segOverride;
  const strSeg = str || op === Op.XLAT ? so >= 0 && so !== SReg.DS : false;
  const segFor = (def: number): string => {
    if (so < 0 || op === Op.LEA) return '';
    if (str || op === Op.XLAT) return strSeg ? SREGS[def === SReg.ES ? SReg.ES : so] + ':' : '';
    return so !== def ? SREGS[so] + ':' : '';
  };

  const parts: string[] = [];
  let nimm = 0;
  for (const o of ops) {
    const isImm = o === Opnd.Ib || o === Opnd.Ibs || o === Opnd.Iw || o === Opnd.Iz;
    parts.push(operandText(insn, o, address, showSize, segFor, isImm && nimm++ > 0 ? insn.imm2 : insn.imm));
  }
  const head = pre.length > 0 ? pre.join(' ') + ' ' + mn : mn;
  return parts.length > 0 ? head + ' ' + parts.join(',') : head;
}

/** Near branches that iced prefixes with "bnd" when F2 is present (not JMP rel8). */
function isNearBranch(insn: Insn, op: number): boolean {
  if (op === Op.JMP) return insn.opcode !== 0xeb;
  return op === Op.JCC || op === Op.CALL || op === Op.RETN;
}

/** Does a 66 prefix change something that the text does not show? */
function opsizeHidden(insn: Insn, op: number, ops: number[]): boolean {
  const e = OPCODE_TABLE[insn.entry];
  if (e.mnemonic !== e.mnemonic16 && (e.flags & F.MNEM_AS) === 0) return false;
  switch (op) {
    case Op.PUSH: case Op.PUSH_SREG: case Op.POP_SREG: case Op.RETN: case Op.RETF:
    case Op.ENTER: case Op.LEAVE: case Op.CALL: case Op.JMP: case Op.JCC: case Op.JMPF:
    case Op.CALLF: case Op.LOOP: case Op.LOOPE: case Op.LOOPNE: case Op.JCXZ:
      for (const o of ops) {
        if (o === Opnd.Ev || o === Opnd.Zv || o === Opnd.Mp) return false;
      }
      return true;
    default:
      return false;
  }
}

/** Does a 67 prefix change something that the text does not show? */
function adsizeHidden(op: number, ops: number[]): boolean {
  if (op === Op.LOOP || op === Op.LOOPE || op === Op.LOOPNE || op === Op.MONITOR) return true;
  return ops.includes(Opnd.Ob) || ops.includes(Opnd.Ov);
}

function operandText(
  insn: Insn, o: number, address: number, showSize: boolean, segFor: (def: number) => string,
  imm: number,
): string {
  const osz = insn.opsize;
  switch (o) {
    case Opnd.Eb: case Opnd.Ew: case Opnd.Ed: case Opnd.Ev: case Opnd.MwRv: case Opnd.M:
    case Opnd.Mb: case Opnd.Mw: case Opnd.Md: case Opnd.Mq: case Opnd.Mt: case Opnd.Mdq:
    case Opnd.Ma: case Opnd.Mp: case Opnd.Ms: case Opnd.Menv: case Opnd.Mstate:
      if (insn.mod === 3) return reg(insn.rm, opndBits(o, osz, false));
      return memText(insn, o, opndBits(o, osz, true), showSize, segFor(insn.defaultSeg));
    case Opnd.Rd: return R32[insn.rm];
    case Opnd.Gb: case Opnd.Gw: case Opnd.Gd: case Opnd.Gv:
      return reg(insn.reg, opndBits(o, osz, false));
    case Opnd.Zb: case Opnd.Zv:
      return reg(insn.reg, opndBits(o, osz, false));
    case Opnd.Ib: return num(imm & 0xff);
    case Opnd.Iw: return num(imm & 0xffff);
    case Opnd.Ibs: case Opnd.Iz: return num(mask(imm, osz));
    case Opnd.Jb: case Opnd.Jz: {
      const t = mask(address + insn.length + insn.imm, osz);
      const short = o === Opnd.Jb && (insn.op === Op.JMP || insn.op === Op.JCC) ? 'short ' : '';
      return short + numPad(t, osz === 16 ? 4 : 8);
    }
    case Opnd.Ap:
      return numPad(insn.imm, osz === 16 ? 4 : 8) + ',' + numPad(insn.imm2, 4);
    case Opnd.Ob: case Opnd.Ov:
      return segFor(SReg.DS) + '[' + num(mask(insn.disp, insn.adsize)) + ']';
    case Opnd.Xb: case Opnd.Xv:
      return segFor(SReg.DS) + (insn.adsize === 16 ? '[si]' : '[esi]');
    case Opnd.Yb: case Opnd.Yv:
      return segFor(SReg.ES) + (insn.adsize === 16 ? '[di]' : '[edi]');
    case Opnd.Mxlat:
      return segFor(SReg.DS) + (insn.adsize === 16 ? '[bx]' : '[ebx]');
    case Opnd.Sw: return SREGS[insn.reg];
    case Opnd.Cd: return 'cr' + insn.reg;
    case Opnd.Dd: return 'dr' + insn.reg;
    case Opnd.AL: return 'al';
    case Opnd.CL: return 'cl';
    case Opnd.AX: return 'ax';
    case Opnd.DX: return 'dx';
    case Opnd.eAX: return osz === 16 ? 'ax' : 'eax';
    case Opnd.ES: return 'es';
    case Opnd.CS: return 'cs';
    case Opnd.SS: return 'ss';
    case Opnd.DS: return 'ds';
    case Opnd.FS: return 'fs';
    case Opnd.GS: return 'gs';
    case Opnd.ONE: return '1';
    case Opnd.ST: return 'st';
    case Opnd.STi: return 'st(' + insn.rm + ')';
    default: return '?';
  }
}

export interface DisasmLine {
  address: number;
  bytes: Uint8Array;
  text: string;
}

/**
 * Disassemble `code` linearly from `org` (default 0). Invalid or truncated bytes become one-byte
 * "db 0xNN" lines (ndisasm style) and decoding resumes at the next byte.
 */
export function disassemble(code: Uint8Array, opts: { bits?: 16 | 32; org?: number; count?: number } = {}): DisasmLine[] {
  const bits = opts.bits ?? 16;
  const org = opts.org ?? 0;
  const count = opts.count ?? Infinity;
  const out: DisasmLine[] = [];
  const insn = new Insn();
  let off = 0;
  while (off < code.length && out.length < count) {
    decodeBytes(insn, code, off, bits);
    const address = (org + off) >>> 0;
    if (insn.invalid) {
      out.push({ address, bytes: code.slice(off, off + 1), text: 'db 0x' + code[off].toString(16).padStart(2, '0') });
      off += 1;
      continue;
    }
    out.push({ address, bytes: code.slice(off, off + insn.length), text: formatInsn(insn, address, bits) });
    off += insn.length;
  }
  return out;
}

/**
 * "ADDR  BYTES  TEXT" lines like ndisasm: address as 4 hex digits in 16-bit code below 64 KiB,
 * else 8; up to 8 bytes per line, the rest on "-" continuation lines.
 */
export function formatListing(lines: DisasmLine[], bits: 16 | 32): string {
  const wide = bits === 32 || lines.some((l) => l.address + l.bytes.length > 0x10000);
  const aw = wide ? 8 : 4;
  const hex = (b: Uint8Array, from: number, to: number): string => {
    let s = '';
    for (let i = from; i < to && i < b.length; i++) s += b[i].toString(16).padStart(2, '0').toUpperCase();
    return s;
  };
  let text = '';
  for (const l of lines) {
    const addr = l.address.toString(16).toUpperCase().padStart(aw, '0');
    text += addr + '  ' + hex(l.bytes, 0, 8).padEnd(18) + l.text + '\n';
    for (let i = 8; i < l.bytes.length; i += 8) {
      text += ' '.repeat(aw) + ' -' + hex(l.bytes, i, i + 8) + '\n';
    }
  }
  return text;
}
