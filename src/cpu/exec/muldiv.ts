/**
 * MUL, IMUL (one, two and three operands), DIV, IDIV. 64-bit products and dividends are handled
 * in 16-bit limbs so every intermediate is an exact double (no BigInt, no allocation).
 * #DE on a zero divisor and on a quotient that does not fit, raised before anything is written.
 * Flags: MUL/IMUL set CF = OF per the SDM, SF/ZF/PF from the low half and AF = 0 (flags.ts
 * policy); DIV/IDIV leave all flags unchanged.
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import { Flag, Reg, Vec } from '../state.js';
import { setFlagsEager, szp } from '../flags.js';
import { Op } from '../opcodes.js';
import { getReg, opnd, readOpnd, readRm, setReg } from './operand.js';

/** Limb base for the 64-bit arithmetic. */
const enum Limb { M16 = 0x10000 }

/** Unsigned 32x32 → 64 multiply. Returns the high dword; the low dword is Math.imul(a, b). */
export function mulHighU32(a: number, b: number): number {
  const au = a >>> 0;
  const bu = b >>> 0;
  const aL = au & 0xffff, aH = au >>> 16, bL = bu & 0xffff, bH = bu >>> 16;
  const ll = aL * bL;
  const lh = aL * bH;
  const hl = aH * bL;
  const hh = aH * bH;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (hh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / Limb.M16)) | 0;
}

/** Signed 32x32 → 64 multiply: the high dword (int32). */
export function mulHighS32(a: number, b: number): number {
  let hi = mulHighU32(a, b);
  if ((a | 0) < 0) hi = (hi - b) | 0;
  if ((b | 0) < 0) hi = (hi - a) | 0;
  return hi;
}

function mulFlags(cpu: Cpu, overflow: boolean, low: number, bits: number): void {
  setFlagsEager(cpu, (overflow ? Flag.CF | Flag.OF : 0) | szp(low, bits));
}

/** MUL / one-operand IMUL: AX ← AL*r/m8, DX:AX ← AX*r/m16, EDX:EAX ← EAX*r/m32. */
export function execMul(cpu: Cpu, insn: Insn): void {
  const signed = insn.op === Op.IMUL;
  const bits = opnd(insn, 0) === 1 /* Eb */ ? 8 : insn.opsize;
  const src = readRm(cpu, insn, bits);
  const regs = cpu.regs;
  if (bits === 8) {
    const al = regs[Reg.EAX]! & 0xff;
    let p: number;
    let ovf: boolean;
    if (signed) {
      p = ((al << 24) >> 24) * ((src << 24) >> 24);
      ovf = p !== ((p << 24) >> 24);
    } else {
      p = al * src;
      ovf = (p & 0xff00) !== 0;
    }
    setReg(cpu, Reg.EAX, 16, p);
    mulFlags(cpu, ovf, p, 8);
  } else if (bits === 16) {
    const ax = regs[Reg.EAX]! & 0xffff;
    let p: number;
    let ovf: boolean;
    if (signed) {
      p = ((ax << 16) >> 16) * ((src << 16) >> 16);
      ovf = p !== ((p << 16) >> 16);
    } else {
      p = ax * src;
      ovf = (p >>> 16) !== 0;
    }
    setReg(cpu, Reg.EAX, 16, p);
    setReg(cpu, Reg.EDX, 16, p >>> 16);
    mulFlags(cpu, ovf, p, 16);
  } else {
    const eax = regs[Reg.EAX]!;
    const lo = Math.imul(eax, src);
    const hi = signed ? mulHighS32(eax, src) : mulHighU32(eax, src);
    regs[Reg.EAX] = lo;
    regs[Reg.EDX] = hi;
    mulFlags(cpu, signed ? hi !== (lo >> 31) : hi !== 0, lo, 32);
  }
}

/** IMUL Gv,Ev (0F AF) and IMUL Gv,Ev,Iz/Ibs (69/6B): truncated signed product. */
export function execImul23(cpu: Cpu, insn: Insn): void {
  const bits = insn.opsize;
  const a = readRm(cpu, insn, bits);
  const b = insn.op === Op.IMUL3 ? readOpnd(cpu, insn, opnd(insn, 2), bits) : getReg(cpu, insn.reg, bits);
  let r: number;
  let ovf: boolean;
  if (bits === 16) {
    const p = ((a << 16) >> 16) * ((b << 16) >> 16);
    r = p & 0xffff;
    ovf = p !== ((p << 16) >> 16);
  } else {
    r = Math.imul(a, b);
    ovf = mulHighS32(a, b) !== (r >> 31);
  }
  setReg(cpu, insn.reg, bits, r);
  mulFlags(cpu, ovf, r, bits);
}

/** DIV / IDIV: AL,AH ← AX / r/m8; AX,DX ← DX:AX / r/m16; EAX,EDX ← EDX:EAX / r/m32. */
export function execDiv(cpu: Cpu, insn: Insn): void {
  const signed = insn.op === Op.IDIV;
  const bits = opnd(insn, 0) === 1 /* Eb */ ? 8 : insn.opsize;
  const src = readRm(cpu, insn, bits);
  const regs = cpu.regs;
  if (bits === 8) {
    const ax = regs[Reg.EAX]! & 0xffff;
    let q: number;
    let r: number;
    if (signed) {
      const n = (ax << 16) >> 16;
      const d = (src << 24) >> 24;
      if (d === 0) cpu.raiseFault(Vec.DE);
      q = Math.trunc(n / d);
      if (q > 127 || q < -128) cpu.raiseFault(Vec.DE);
      r = n - q * d;
    } else {
      if (src === 0) cpu.raiseFault(Vec.DE);
      q = Math.floor(ax / src);
      if (q > 0xff) cpu.raiseFault(Vec.DE);
      r = ax - q * src;
    }
    setReg(cpu, Reg.EAX, 16, (q & 0xff) | ((r & 0xff) << 8));
  } else if (bits === 16) {
    const n32 = ((regs[Reg.EDX]! & 0xffff) << 16) | (regs[Reg.EAX]! & 0xffff);
    let q: number;
    let r: number;
    if (signed) {
      const d = (src << 16) >> 16;
      if (d === 0) cpu.raiseFault(Vec.DE);
      q = Math.trunc(n32 / d);
      if (q > 0x7fff || q < -0x8000) cpu.raiseFault(Vec.DE);
      r = n32 - q * d;
    } else {
      const n = n32 >>> 0;
      if (src === 0) cpu.raiseFault(Vec.DE);
      q = Math.floor(n / src);
      if (q > 0xffff) cpu.raiseFault(Vec.DE);
      r = n - q * src;
    }
    setReg(cpu, Reg.EAX, 16, q);
    setReg(cpu, Reg.EDX, 16, r);
  } else {
    let hi = regs[Reg.EDX]! >>> 0;
    let lo = regs[Reg.EAX]! >>> 0;
    let d = src >>> 0;
    if (d === 0) cpu.raiseFault(Vec.DE);
    let negQ = false;
    let negR = false;
    if (signed) {
      if ((hi | 0) < 0) {
        // 64-bit negate
        lo = (-lo) >>> 0;
        hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
        negQ = true;
        negR = true;
      }
      if ((src | 0) < 0) {
        d = (-src) >>> 0;
        negQ = !negQ;
      }
    }
    if (hi >= d) cpu.raiseFault(Vec.DE); // quotient >= 2^32
    // Long division by 16-bit limbs: rem < d < 2^32, rem * 65536 + limb < 2^48 (exact).
    let rem = hi;
    let cur = rem * Limb.M16 + (lo >>> 16);
    const q1 = Math.floor(cur / d);
    rem = cur - q1 * d;
    cur = rem * Limb.M16 + (lo & 0xffff);
    const q0 = Math.floor(cur / d);
    rem = cur - q0 * d;
    const q = q1 * Limb.M16 + q0;
    if (signed) {
      if (negQ ? q > 0x80000000 : q > 0x7fffffff) cpu.raiseFault(Vec.DE);
      regs[Reg.EAX] = negQ ? -q : q;
      regs[Reg.EDX] = negR ? -rem : rem;
    } else {
      regs[Reg.EAX] = q;
      regs[Reg.EDX] = rem;
    }
  }
}
