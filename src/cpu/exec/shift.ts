/**
 * Shifts and rotates: ROL ROR RCL RCR SHL/SAL SHR SAR (C0/C1/D0-D3) and SHLD/SHRD.
 * The count is masked to 5 bits; a masked count of 0 changes nothing (not even flags). RCL/RCR
 * of 8/16-bit operands rotate through CF modulo 9/17. Flags are computed eagerly; the policy for
 * the flags the SDM leaves undefined is in flags.ts (Bochs's choices).
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import { Flag } from '../state.js';
import { getCF, setFlagsEager, setSomeFlags, szp } from '../flags.js';
import { Op } from '../opcodes.js';
import { effAddr, getReg, opnd, readMem, readOpnd, setReg, width, writeMem } from './operand.js';

const MASKS = [0xff, 0xffff, 0xffffffff];

/**
 * Shift/rotate `v` (`bits` wide) by `count` (already masked to 5 bits, non-zero) and set flags.
 * `op` is Op.ROL..Op.SAR. Returns the result.
 */
export function shiftRotate(cpu: Cpu, op: number, v: number, count: number, bits: number): number {
  const m = MASKS[bits >>> 4]!;
  const top = bits - 1;
  const u = (v & m) >>> 0;
  let r: number;
  let cf: number;
  let of: number;
  switch (op) {
    case Op.ROL: {
      const c = count & top;
      r = c === 0 ? u : (((u << c) | (u >>> (bits - c))) & m) >>> 0;
      cf = r & 1;
      of = cf ^ ((r >>> top) & 1);
      setSomeFlags(cpu, Flag.CF | Flag.OF, (cf !== 0 ? Flag.CF : 0) | (of !== 0 ? Flag.OF : 0));
      return r;
    }
    case Op.ROR: {
      const c = count & top;
      r = c === 0 ? u : (((u >>> c) | (u << (bits - c))) & m) >>> 0;
      cf = (r >>> top) & 1;
      of = cf ^ ((r >>> (top - 1)) & 1);
      setSomeFlags(cpu, Flag.CF | Flag.OF, (cf !== 0 ? Flag.CF : 0) | (of !== 0 ? Flag.OF : 0));
      return r;
    }
    case Op.RCL: {
      const c = bits === 32 ? count : count % (bits + 1);
      if (c === 0) return u;
      const cin = getCF(cpu) ? 1 : 0;
      if (bits === 32) {
        r = ((u << c) | (cin << (c - 1)) | (c > 1 ? u >>> (33 - c) : 0)) >>> 0;
        cf = (u >>> (32 - c)) & 1;
      } else {
        const wide = (cin << bits) | u; // bits+1 wide
        const w1 = bits + 1;
        const rr = ((wide << c) | (wide >>> (w1 - c))) & ((1 << w1) - 1);
        r = rr & m;
        cf = (rr >>> bits) & 1;
      }
      of = cf ^ ((r >>> top) & 1);
      setSomeFlags(cpu, Flag.CF | Flag.OF, (cf !== 0 ? Flag.CF : 0) | (of !== 0 ? Flag.OF : 0));
      return r;
    }
    case Op.RCR: {
      const c = bits === 32 ? count : count % (bits + 1);
      if (c === 0) return u;
      const cin = getCF(cpu) ? 1 : 0;
      if (bits === 32) {
        r = ((u >>> c) | (cin << (32 - c)) | (c > 1 ? u << (33 - c) : 0)) >>> 0;
        cf = (u >>> (c - 1)) & 1;
      } else {
        const wide = (cin << bits) | u;
        const w1 = bits + 1;
        const rr = ((wide >>> c) | (wide << (w1 - c))) & ((1 << w1) - 1);
        r = rr & m;
        cf = (rr >>> bits) & 1;
      }
      of = ((r >>> top) ^ (r >>> (top - 1))) & 1;
      setSomeFlags(cpu, Flag.CF | Flag.OF, (cf !== 0 ? Flag.CF : 0) | (of !== 0 ? Flag.OF : 0));
      return r;
    }
    case Op.SHL: {
      if (count <= bits) {
        r = bits === 32 ? (u << count) >>> 0 : (u << count) & m;
        cf = (u >>> (bits - count)) & 1;
        of = cf ^ ((r >>> top) & 1);
      } else {
        r = 0; cf = 0; of = 0;
      }
      break;
    }
    case Op.SHR: {
      r = u >>> count;
      cf = count - 1 < bits ? (u >>> (count - 1)) & 1 : 0;
      of = ((r >>> top) ^ (r >>> (top - 1))) & 1;
      break;
    }
    default: { // SAR
      const s = (u << (32 - bits)) >> (32 - bits);
      r = (s >> count) & m;
      cf = (s >> (count - 1)) & 1;
      of = 0;
      break;
    }
  }
  setFlagsEager(cpu, (cf !== 0 ? Flag.CF : 0) | (of !== 0 ? Flag.OF : 0) | szp(r, bits));
  return r >>> 0;
}

/** Group 2: ROL..SAR Eb/Ev by 1, CL or Ib. */
export function execShift(cpu: Cpu, insn: Insn): void {
  const bits = width(insn, opnd(insn, 0));
  const count = readOpnd(cpu, insn, opnd(insn, 1), 8) & 0x1f;
  if (insn.mod !== 3) {
    const seg = insn.seg;
    const off = effAddr(cpu, insn);
    const v = readMem(cpu, seg, off, bits);
    if (count === 0) return;
    // Compute on a copy of the flags so a faulting write leaves EFLAGS as they were.
    const saveOp = cpu.ccOp, s1 = cpu.ccSrc1, s2 = cpu.ccSrc2, res = cpu.ccRes, fl = cpu.ccFlags;
    const r = shiftRotate(cpu, insn.op, v, count, bits);
    const newOp = cpu.ccOp, newFl = cpu.ccFlags;
    cpu.ccOp = saveOp; cpu.ccSrc1 = s1; cpu.ccSrc2 = s2; cpu.ccRes = res; cpu.ccFlags = fl;
    writeMem(cpu, seg, off, bits, r);
    cpu.ccOp = newOp; cpu.ccFlags = newFl;
    return;
  }
  if (count === 0) return;
  const v = getReg(cpu, insn.rm, bits);
  setReg(cpu, insn.rm, bits, shiftRotate(cpu, insn.op, v, count, bits));
}

/** SHLD/SHRD Ev,Gv,Ib|CL (double-precision shift). */
export function doubleShift(cpu: Cpu, left: boolean, v: number, s: number, count: number, bits: number): number {
  let r: number;
  let cf: number;
  let of: number;
  if (bits === 32) {
    const u = v >>> 0;
    const w = s >>> 0;
    if (left) {
      r = ((u << count) | (w >>> (32 - count))) >>> 0;
      cf = (u >>> (32 - count)) & 1;
      of = cf ^ (r >>> 31);
    } else {
      r = ((u >>> count) | (w << (32 - count))) >>> 0;
      cf = (u >>> (count - 1)) & 1;
      of = ((r >>> 31) ^ (r >>> 30)) & 1;
    }
  } else {
    const a = v & 0xffff;
    const b = s & 0xffff;
    if (left) {
      // Bochs (P6 behaviour for count > 16): shift a:b:a left.
      const t = ((a << 16) | b) >>> 0;
      let res = (t << count) >>> 0;
      if (count > 16) res = (res | (a << (count - 16))) >>> 0;
      r = res >>> 16;
      cf = (t >>> (32 - count)) & 1;
      of = cf ^ (r >>> 15);
    } else {
      const t = ((b << 16) | a) >>> 0;
      let res = t >>> count;
      if (count > 16) res = (res | (a << (32 - count))) >>> 0;
      r = res & 0xffff;
      cf = (a >>> (count - 1)) & 1;
      of = ((r >>> 15) ^ (r >>> 14)) & 1;
    }
  }
  setFlagsEager(cpu, (cf !== 0 ? Flag.CF : 0) | (of !== 0 ? Flag.OF : 0) | szp(r, bits));
  return r;
}

export function execShld(cpu: Cpu, insn: Insn): void {
  const bits = insn.opsize;
  const count = readOpnd(cpu, insn, opnd(insn, 2), 8) & 0x1f;
  const s = getReg(cpu, insn.reg, bits);
  const left = insn.op === Op.SHLD;
  if (insn.mod !== 3) {
    const seg = insn.seg;
    const off = effAddr(cpu, insn);
    const v = readMem(cpu, seg, off, bits);
    if (count === 0) return;
    const saveOp = cpu.ccOp, fl = cpu.ccFlags;
    const r = doubleShift(cpu, left, v, s, count, bits);
    const newFl = cpu.ccFlags;
    cpu.ccOp = saveOp; cpu.ccFlags = fl;
    writeMem(cpu, seg, off, bits, r);
    setFlagsEager(cpu, newFl);
    return;
  }
  if (count === 0) return;
  const v = getReg(cpu, insn.rm, bits);
  setReg(cpu, insn.rm, bits, doubleShift(cpu, left, v, s, count, bits));
}
