/**
 * Segmentation: descriptor loads and far control transfers (SDM Vol. 3A chapters 3, 5 and 6;
 * Vol. 2 MOV, POP, LDS/LES/LFS/LGS/LSS, JMP, CALL, RET, IRET).
 *
 * Models: MOV/POP Sreg and LxS with every protection check (null selectors, table limits, type,
 * RPL/CPL/DPL, present → #NP or #SS), setting the accessed bit in the descriptor in memory; far
 * JMP/CALL/RET/IRET in real, protected and virtual-8086 mode: conforming and non-conforming code,
 * call gates (16/32-bit, parameter copy, stack switch from the TSS), task gates and TSS selectors
 * (hardware task switch in task.ts), returns to outer privilege levels (data segments nulled),
 * IRET to and from virtual-8086 mode, IRET with NT (task return).
 *
 * The segment cache uses the VMCS access-rights format (state.ts AR): a null selector loaded in
 * protected mode leaves the register "unusable" (AR bit 16).
 *
 * Does not model: CR4.VME/PVI (virtual-8086 mode extensions: IRET/INT n with IOPL < 3 in v8086
 * mode always #GP(0)), 64-bit mode, call gates to 64-bit code.
 */
import type { Cpu } from './cpu.js';
import type { Insn } from './insn.js';
import type { Segment } from './state.js';
import { AR, Flag, Interruptibility, Reg, SReg, Vec } from './state.js';
import { taskSwitch, TaskSource } from './task.js';

/** A raw 8-byte descriptor as read from the GDT/LDT. `addr` is the linear address of the entry. */
export interface Descriptor {
  lo: number;
  hi: number;
  addr: number;
}

/*
 * Segment / gate descriptor layout (SDM Figure 3-8, 5-8):
 *
 *   lo: bits 15:0  limit 15:0            | bits 31:16 base 15:0          (gates: offset 15:0 | selector)
 *   hi: bits 7:0   base 23:16            | bits 11:8 type | 12 S | 14:13 DPL | 15 P
 *       bits 19:16 limit 19:16           | 20 AVL | 21 L | 22 D/B | 23 G | bits 31:24 base 31:24
 *       (gates: bits 4:0 parameter count, bits 31:16 offset 31:16)
 *
 * VMCS access rights = descriptor hi bits 15:8 → AR 7:0, hi bits 23:20 → AR 15:12.
 */
export function descAr(hi: number): number {
  return (hi >>> 8) & 0xf0ff;
}
export function descBase(lo: number, hi: number): number {
  return ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
}
export function descLimit(lo: number, hi: number): number {
  const l = (lo & 0xffff) | (hi & 0xf0000);
  return (hi & 0x800000) !== 0 ? ((l << 12) | 0xfff) >>> 0 : l;
}
export function descDpl(hi: number): number {
  return (hi >>> 13) & 3;
}
/** Type (4 bits) and S as one 5-bit value: 0x10 | type for code/data, type for system. */
export function descTypeS(hi: number): number {
  return (hi >>> 8) & 0x1f;
}
export function descPresent(hi: number): boolean {
  return (hi & 0x8000) !== 0;
}

const isCode = (hi: number): boolean => (hi & 0x1800) === 0x1800;
const isData = (hi: number): boolean => (hi & 0x1800) === 0x1000;
const isConforming = (hi: number): boolean => (hi & 0x1c00) === 0x1c00;
const isReadableCode = (hi: number): boolean => (hi & 0x1a00) === 0x1a00;
const isWritableData = (hi: number): boolean => (hi & 0x1a00) === 0x1200;

/** System descriptor types (S = 0). */
export const enum SysType {
  TSS16_AVAIL = 1, LDT = 2, TSS16_BUSY = 3, CALL_GATE16 = 4, TASK_GATE = 5, INT_GATE16 = 6,
  TRAP_GATE16 = 7, TSS32_AVAIL = 9, TSS32_BUSY = 0xb, CALL_GATE32 = 0xc, INT_GATE32 = 0xe,
  TRAP_GATE32 = 0xf,
}

/**
 * Read the descriptor `selector` names (GDT or LDT by TI). Returns null when the selector's
 * index is outside the table (or TI = 1 with an unusable LDTR). No checks on the contents.
 */
export function readDescriptor(cpu: Cpu, selector: number): Descriptor | null {
  let base: number, limit: number;
  if ((selector & 4) !== 0) {
    if ((cpu.ldtr.ar & AR.UNUSABLE) !== 0 || (cpu.ldtr.selector & 0xfffc) === 0) return null;
    base = cpu.ldtr.base; limit = cpu.ldtr.limit;
  } else {
    base = cpu.gdtr.base; limit = cpu.gdtr.limit;
  }
  const off = selector & 0xfff8;
  if (off + 7 > limit >>> 0) return null;
  const addr = (base + off) >>> 0;
  const lo = cpu.mmu.readSys(addr, 4);
  const hi = cpu.mmu.readSys(addr + 4, 4);
  return { lo, hi, addr };
}

/** `readDescriptor` that raises `vector`(selector & 0xFFFC | ext) when out of the table. */
export function fetchDescriptor(cpu: Cpu, selector: number, vector: number, ext = 0): Descriptor {
  const d = readDescriptor(cpu, selector);
  if (d === null) return cpu.raiseFault(vector, (selector & 0xfffc) | ext);
  return d;
}

/** Set the accessed bit (type bit 0) of a code/data descriptor in memory (a locked write). */
export function setAccessed(cpu: Cpu, d: Descriptor): void {
  if ((d.hi & 0x100) === 0) {
    d.hi |= 0x100;
    cpu.mmu.writeSys(d.addr + 5, 1, (d.hi >>> 8) & 0xff);
  }
}

/** Load a segment cache from a descriptor (VMCS AR format). */
export function loadCache(s: Segment, selector: number, d: Descriptor): void {
  s.selector = selector & 0xffff;
  s.base = descBase(d.lo, d.hi);
  s.limit = descLimit(d.lo, d.hi);
  s.ar = descAr(d.hi);
}

/** A null selector in protected mode: the register becomes unusable. */
export function loadNull(s: Segment, selector: number): void {
  s.selector = selector & 0xffff;
  s.base = 0;
  s.limit = 0;
  s.ar = AR.UNUSABLE;
}

/**
 * Real mode: selector and base change, limit and attributes stay ("unreal mode" keeps working),
 * except that a register left unusable by a protected-mode null load becomes a 64 KiB read/write
 * data segment again. Virtual-8086 mode: limit 64 KiB, DPL 3 read/write data (AR 0xF3).
 */
export function loadRealOrV86(cpu: Cpu, s: Segment, selector: number): void {
  selector &= 0xffff;
  s.selector = selector;
  s.base = selector << 4;
  if (cpu.v86) {
    s.limit = 0xffff;
    s.ar = 0xf3;
  } else if ((s.ar & AR.UNUSABLE) !== 0) {
    s.limit = 0xffff;
    s.ar = 0x93;
  }
}

/** Set CPL (and tell the Mmu, whose fast TLB arrays are per privilege class). */
export function setCpl(cpu: Cpu, cpl: number): void {
  if (cpu.cpl !== cpl) {
    cpu.cpl = cpl;
    cpu.mmu.cplChanged();
  }
}

/**
 * MOV Sreg / POP Sreg / LxS: load ES, SS, DS, FS or GS with the SDM's checks (Vol. 2 MOV
 * "Protected Mode Exceptions"). CS cannot be loaded this way (#UD).
 */
export function loadSegment(cpu: Cpu, sreg: SReg, selector: number): void {
  selector &= 0xffff;
  const s = cpu.seg[sreg]!;
  if (sreg === SReg.CS) cpu.raiseFault(Vec.UD);
  if (!cpu.protectedMode) {
    loadRealOrV86(cpu, s, selector);
    return;
  }
  const err = selector & 0xfffc;
  const rpl = selector & 3;
  const cpl = cpu.cpl;
  if (sreg === SReg.SS) {
    if (err === 0) cpu.raiseFault(Vec.GP, 0);
    const d = fetchDescriptor(cpu, selector, Vec.GP);
    if (rpl !== cpl || !isWritableData(d.hi) || descDpl(d.hi) !== cpl) cpu.raiseFault(Vec.GP, err);
    if (!descPresent(d.hi)) cpu.raiseFault(Vec.SS, err);
    setAccessed(cpu, d);
    loadCache(s, selector, d);
    return;
  }
  if (err === 0) {
    loadNull(s, selector);
    return;
  }
  const d = fetchDescriptor(cpu, selector, Vec.GP);
  if (!isData(d.hi) && !isReadableCode(d.hi)) cpu.raiseFault(Vec.GP, err);
  if (!isConforming(d.hi)) {
    const dpl = descDpl(d.hi);
    if (rpl > dpl || cpl > dpl) cpu.raiseFault(Vec.GP, err);
  }
  if (!descPresent(d.hi)) cpu.raiseFault(Vec.NP, err);
  setAccessed(cpu, d);
  loadCache(s, selector, d);
}

/**
 * Check a code segment descriptor as the target of a far JMP/CALL (direct, not through a gate):
 * SDM Vol. 2 JMP/CALL "CONFORMING-CODE-SEGMENT" / "NONCONFORMING-CODE-SEGMENT".
 */
function checkDirectCode(cpu: Cpu, selector: number, d: Descriptor): void {
  const err = selector & 0xfffc;
  const dpl = descDpl(d.hi);
  if (isConforming(d.hi)) {
    if (dpl > cpu.cpl) cpu.raiseFault(Vec.GP, err);
  } else if ((selector & 3) > cpu.cpl || dpl !== cpu.cpl) {
    cpu.raiseFault(Vec.GP, err);
  }
  if (!descPresent(d.hi)) cpu.raiseFault(Vec.NP, err);
}

/** Load CS from a checked descriptor with RPL = `cpl` and set CPL. */
export function commitCs(cpu: Cpu, selector: number, d: Descriptor, cpl: number): void {
  setAccessed(cpu, d);
  loadCache(cpu.seg[SReg.CS]!, (selector & 0xfffc) | cpl, d);
  setCpl(cpu, cpl);
}

/** The target code segment of a call/jump/interrupt gate (shared checks). Returns its descriptor. */
function gateTarget(cpu: Cpu, codeSel: number, ext: number): Descriptor {
  if ((codeSel & 0xfffc) === 0) cpu.raiseFault(Vec.GP, ext);
  const d = fetchDescriptor(cpu, codeSel, Vec.GP, ext);
  if (!isCode(d.hi) || descDpl(d.hi) > cpu.cpl) cpu.raiseFault(Vec.GP, (codeSel & 0xfffc) | ext);
  if (!descPresent(d.hi)) cpu.raiseFault(Vec.NP, (codeSel & 0xfffc) | ext);
  return d;
}

/** Real-mode / v8086 far jump target. */
function realJump(cpu: Cpu, selector: number, offset: number, opsize: number): void {
  const cs = cpu.seg[SReg.CS]!;
  const eip = opsize === 16 ? offset & 0xffff : offset >>> 0;
  if (eip > cs.limit >>> 0) cpu.raiseFault(Vec.GP, 0);
  loadRealOrV86(cpu, cs, selector);
  cpu.eip = eip;
}

/** Check a task gate or TSS selector for JMP/CALL and switch tasks. */
function taskTransfer(cpu: Cpu, selector: number, d: Descriptor, source: TaskSource, insn: Insn): void {
  const err = selector & 0xfffc;
  const dpl = descDpl(d.hi);
  if (dpl < cpu.cpl || dpl < (selector & 3)) cpu.raiseFault(Vec.GP, err);
  if (!descPresent(d.hi)) cpu.raiseFault(Vec.NP, err);
  let tssSel = selector;
  if (descTypeS(d.hi) === SysType.TASK_GATE) {
    tssSel = d.lo >>> 16;
    const terr = tssSel & 0xfffc;
    if ((tssSel & 4) !== 0) cpu.raiseFault(Vec.GP, terr);
    const td = fetchDescriptor(cpu, tssSel, Vec.GP);
    const t = descTypeS(td.hi);
    if (t !== SysType.TSS16_AVAIL && t !== SysType.TSS32_AVAIL) cpu.raiseFault(Vec.GP, terr);
    if (!descPresent(td.hi)) cpu.raiseFault(Vec.NP, terr);
  }
  taskSwitch(cpu, tssSel, source, { insnLen: insn.length, returnEip: cpu.eip });
}

/** JMP ptr16:16/32 and JMP m16:16/32 (SDM Vol. 2 JMP, far jumps). `cpu.eip` = next instruction. */
export function farJmp(cpu: Cpu, selector: number, offset: number, insn: Insn): void {
  selector &= 0xffff;
  if (!cpu.protectedMode) {
    realJump(cpu, selector, offset, insn.opsize);
    return;
  }
  const err = selector & 0xfffc;
  if (err === 0) cpu.raiseFault(Vec.GP, 0);
  const d = fetchDescriptor(cpu, selector, Vec.GP);
  const ts = descTypeS(d.hi);
  if ((ts & 0x18) === 0x18) {
    checkDirectCode(cpu, selector, d);
    const eip = insn.opsize === 16 ? offset & 0xffff : offset >>> 0;
    if (eip > descLimit(d.lo, d.hi)) cpu.raiseFault(Vec.GP, 0);
    commitCs(cpu, selector, d, cpu.cpl);
    cpu.eip = eip;
    return;
  }
  switch (ts) {
    case SysType.CALL_GATE16: case SysType.CALL_GATE32: {
      const dpl = descDpl(d.hi);
      if (dpl < cpu.cpl || dpl < (selector & 3)) cpu.raiseFault(Vec.GP, err);
      if (!descPresent(d.hi)) cpu.raiseFault(Vec.NP, err);
      const codeSel = d.lo >>> 16;
      const cd = gateTarget(cpu, codeSel, 0);
      if (!isConforming(cd.hi) && descDpl(cd.hi) !== cpu.cpl) cpu.raiseFault(Vec.GP, codeSel & 0xfffc);
      const eip = ts === SysType.CALL_GATE32 ? ((d.lo & 0xffff) | (d.hi & 0xffff0000)) >>> 0 : d.lo & 0xffff;
      if (eip > descLimit(cd.lo, cd.hi)) cpu.raiseFault(Vec.GP, 0);
      commitCs(cpu, codeSel, cd, cpu.cpl);
      cpu.eip = eip;
      return;
    }
    case SysType.TASK_GATE: case SysType.TSS16_AVAIL: case SysType.TSS32_AVAIL:
      taskTransfer(cpu, selector, d, TaskSource.JMP, insn);
      return;
    default:
      cpu.raiseFault(Vec.GP, err);
  }
}

// ---------------------------------------------------------------- stack helpers

/** Is [off, off+size) inside the stack segment described by `ar`/`limit`? (expand-down aware) */
export function stackRangeOk(ar: number, limit: number, off: number, size: number): boolean {
  const end = off + size - 1;
  if ((ar & 0x1c) === 0x14) {
    const upper = (ar & AR.DB) !== 0 ? 0xffffffff : 0xffff;
    return off > limit >>> 0 && end <= upper;
  }
  return end <= limit >>> 0;
}

/**
 * Values pushed on a stack other than the current one (new privilege level). Checks the whole
 * range first (→ #SS(`errCode`)), then writes. Returns the new stack pointer (masked by SS.B).
 * The writes are supervisor accesses unless `cpl` is 3.
 */
export function pushFrame(cpu: Cpu, ss: Segment, sp: number, values: number[], size: number, errCode: number, cpl: number): number {
  const mask = (ss.ar & AR.DB) !== 0 ? 0xffffffff : 0xffff;
  const total = values.length * size;
  const top = (sp - total) & mask;
  // Each slot must be inside the segment (wrap-around is a limit violation).
  for (let i = 0; i < values.length; i++) {
    const off = ((sp - (i + 1) * size) & mask) >>> 0;
    if (!stackRangeOk(ss.ar, ss.limit, off, size)) cpu.raiseFault(Vec.SS, errCode);
  }
  for (let i = 0; i < values.length; i++) {
    const off = ((sp - (i + 1) * size) & mask) >>> 0;
    cpu.mmu.writeSys((ss.base + off) >>> 0, size as 2 | 4, values[i]!, cpl === 3);
  }
  return top >>> 0;
}

/** Read a `size`-byte value at SS:off of the current stack (limit-checked: #SS(0)). */
function stackRead(cpu: Cpu, off: number, size: number): number {
  const mask = cpu.stackMask;
  off = (off & mask) >>> 0;
  return size === 4 ? cpu.read32(SReg.SS, off) : cpu.read16(SReg.SS, off);
}

/** Set the stack pointer of a freshly loaded SS (per its B bit). */
function setSpFor(cpu: Cpu, v: number): void {
  cpu.setSp(v);
}

/**
 * The stack for privilege level `dpl` from the current TSS (SDM 6.12.1 / 5.8.5): returns
 * [ss, esp]. #TS(TR selector | ext) when the TSS is too short.
 *
 *   32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n.   16-bit TSS: SPn at 2 + 4n, SSn at 4 + 4n.
 */
export function tssStack(cpu: Cpu, dpl: number, ext: number): [number, number] {
  const tr = cpu.tr;
  const tss32 = (tr.ar & 8) !== 0;
  if (tss32) {
    const o = 4 + 8 * dpl;
    if (o + 5 > tr.limit >>> 0) cpu.raiseFault(Vec.TS, (tr.selector & 0xfffc) | ext);
    return [cpu.mmu.readSys(tr.base + o + 4, 2), cpu.mmu.readSys(tr.base + o, 4)];
  }
  const o = 2 + 4 * dpl;
  if (o + 3 > tr.limit >>> 0) cpu.raiseFault(Vec.TS, (tr.selector & 0xfffc) | ext);
  return [cpu.mmu.readSys(tr.base + o + 2, 2), cpu.mmu.readSys(tr.base + o, 2)];
}

/**
 * Check the new SS from the TSS for a stack switch to `cpl` (#TS with the SS selector, #SS when
 * not present). Returns its descriptor.
 */
export function checkTssSs(cpu: Cpu, ss: number, cpl: number, ext: number): Descriptor {
  const err = (ss & 0xfffc) | ext;
  if ((ss & 0xfffc) === 0) cpu.raiseFault(Vec.TS, ext);
  const d = fetchDescriptor(cpu, ss, Vec.TS, ext);
  if ((ss & 3) !== cpl || descDpl(d.hi) !== cpl || !isWritableData(d.hi)) cpu.raiseFault(Vec.TS, err);
  if (!descPresent(d.hi)) cpu.raiseFault(Vec.SS, err);
  return d;
}

/** A scratch segment for building a new stack before it is committed. */
function tempSeg(sel: number, d: Descriptor): Segment {
  return { selector: sel, base: descBase(d.lo, d.hi), limit: descLimit(d.lo, d.hi), ar: descAr(d.hi) };
}

// ---------------------------------------------------------------- far CALL

/** CALL ptr16:16/32 and CALL m16:16/32. `cpu.eip` = next instruction (the return address). */
export function farCall(cpu: Cpu, selector: number, offset: number, insn: Insn): void {
  selector &= 0xffff;
  const size = insn.opsize === 16 ? 2 : 4;
  const cs = cpu.seg[SReg.CS]!;
  if (!cpu.protectedMode) {
    const eip = size === 2 ? offset & 0xffff : offset >>> 0;
    if (eip > cs.limit >>> 0) cpu.raiseFault(Vec.GP, 0);
    pushCurrent(cpu, size, cs.selector, cpu.eip);
    loadRealOrV86(cpu, cs, selector);
    cpu.eip = eip;
    return;
  }
  const err = selector & 0xfffc;
  if (err === 0) cpu.raiseFault(Vec.GP, 0);
  const d = fetchDescriptor(cpu, selector, Vec.GP);
  const ts = descTypeS(d.hi);
  if ((ts & 0x18) === 0x18) {
    checkDirectCode(cpu, selector, d);
    const eip = size === 2 ? offset & 0xffff : offset >>> 0;
    if (eip > descLimit(d.lo, d.hi)) cpu.raiseFault(Vec.GP, 0);
    pushCurrent(cpu, size, cs.selector, cpu.eip);
    commitCs(cpu, selector, d, cpu.cpl);
    cpu.eip = eip;
    return;
  }
  switch (ts) {
    case SysType.CALL_GATE16: case SysType.CALL_GATE32:
      callGate(cpu, selector, d, ts === SysType.CALL_GATE32 ? 4 : 2);
      return;
    case SysType.TASK_GATE: case SysType.TSS16_AVAIL: case SysType.TSS32_AVAIL:
      taskTransfer(cpu, selector, d, TaskSource.CALL, insn);
      return;
    default:
      cpu.raiseFault(Vec.GP, err);
  }
}

/** Push CS and EIP on the current stack (checked before anything is written). */
function pushCurrent(cpu: Cpu, size: number, csSel: number, eip: number): void {
  const ss = cpu.seg[SReg.SS]!;
  const sp = cpu.getSp();
  const mask = cpu.stackMask;
  for (let i = 1; i <= 2; i++) {
    if (!stackRangeOk(ss.ar, ss.limit, ((sp - i * size) & mask) >>> 0, size)) cpu.raiseFault(Vec.SS, 0);
  }
  if (size === 4) {
    cpu.push32(csSel);
    cpu.push32(eip);
  } else {
    cpu.push16(csSel);
    cpu.push16(eip);
  }
}

/** CALL through a call gate (SDM Vol. 2 CALL "CALL-GATE", 5.8.5 stack switching). */
function callGate(cpu: Cpu, selector: number, gate: Descriptor, size: number): void {
  const err = selector & 0xfffc;
  const gdpl = descDpl(gate.hi);
  if (gdpl < cpu.cpl || gdpl < (selector & 3)) cpu.raiseFault(Vec.GP, err);
  if (!descPresent(gate.hi)) cpu.raiseFault(Vec.NP, err);
  const codeSel = gate.lo >>> 16;
  const cd = gateTarget(cpu, codeSel, 0);
  const eip = size === 4 ? ((gate.lo & 0xffff) | (gate.hi & 0xffff0000)) >>> 0 : gate.lo & 0xffff;
  const dpl = descDpl(cd.hi);
  const cs = cpu.seg[SReg.CS]!;
  if (!isConforming(cd.hi) && dpl < cpu.cpl) {
    // More privilege: switch to the inner stack from the TSS and copy the parameters.
    const [newSs, newSp] = tssStack(cpu, dpl, 0);
    const ssd = checkTssSs(cpu, newSs, dpl, 0);
    const nss = tempSeg(newSs, ssd);
    if (eip > descLimit(cd.lo, cd.hi)) cpu.raiseFault(Vec.GP, 0);
    const count = gate.hi & 0x1f;
    const oldSs = cpu.seg[SReg.SS]!.selector;
    const oldSp = cpu.regs[Reg.ESP]!;
    const values: number[] = [oldSs, size === 4 ? oldSp : oldSp & 0xffff];
    const sp = cpu.getSp();
    for (let i = count - 1; i >= 0; i--) values.push(stackRead(cpu, sp + i * size, size));
    values.push(cs.selector, cpu.eip);
    const top = pushFrame(cpu, nss, (nss.ar & AR.DB) !== 0 ? newSp >>> 0 : newSp & 0xffff, values, size, newSs & 0xfffc, dpl);
    // Commit.
    setAccessed(cpu, ssd);
    commitCs(cpu, codeSel, cd, dpl);
    const ssReg = cpu.seg[SReg.SS]!;
    loadCache(ssReg, newSs, ssd);
    if ((ssReg.ar & AR.DB) !== 0) cpu.regs[Reg.ESP] = top;
    else cpu.regs[Reg.ESP] = (newSp & ~0xffff) | top;
    cpu.eip = eip;
    return;
  }
  // Same privilege.
  if (eip > descLimit(cd.lo, cd.hi)) cpu.raiseFault(Vec.GP, 0);
  pushCurrent(cpu, size, cs.selector, cpu.eip);
  commitCs(cpu, codeSel, cd, cpu.cpl);
  cpu.eip = eip;
}

// ---------------------------------------------------------------- far RET / IRET

/** Check the CS selector popped by RET/IRET (SDM Vol. 2 RET "PROTECTED-MODE"). */
function checkReturnCs(cpu: Cpu, sel: number): Descriptor {
  const err = sel & 0xfffc;
  if (err === 0) cpu.raiseFault(Vec.GP, 0);
  const d = fetchDescriptor(cpu, sel, Vec.GP);
  const rpl = sel & 3;
  if (!isCode(d.hi) || rpl < cpu.cpl) cpu.raiseFault(Vec.GP, err);
  const dpl = descDpl(d.hi);
  if (isConforming(d.hi) ? dpl > rpl : dpl !== rpl) cpu.raiseFault(Vec.GP, err);
  if (!descPresent(d.hi)) cpu.raiseFault(Vec.NP, err);
  return d;
}

/** Check the SS selector popped by a return to an outer level. */
function checkReturnSs(cpu: Cpu, sel: number, rpl: number): Descriptor {
  const err = sel & 0xfffc;
  if (err === 0) cpu.raiseFault(Vec.GP, 0);
  const d = fetchDescriptor(cpu, sel, Vec.GP);
  if ((sel & 3) !== rpl || !isWritableData(d.hi) || descDpl(d.hi) !== rpl) cpu.raiseFault(Vec.GP, err);
  if (!descPresent(d.hi)) cpu.raiseFault(Vec.SS, err);
  return d;
}

const DATA_SREGS: readonly SReg[] = [SReg.ES, SReg.DS, SReg.FS, SReg.GS];

/** After a return to an outer level: data segments more privileged than the new CPL become null. */
export function nullifyDataSegments(cpu: Cpu): void {
  const cpl = cpu.cpl;
  for (const sr of DATA_SREGS) {
    const s = cpu.seg[sr]!;
    if ((s.ar & AR.UNUSABLE) !== 0) continue;
    const conformingCode = (s.ar & 0x1c) === 0x1c;
    if (!conformingCode && ((s.ar >>> 5) & 3) < cpl) loadNull(s, 0);
  }
}

/** Return to an outer privilege level: pop ESP/SS at `off`, load CS, SS. */
function returnOuter(cpu: Cpu, csSel: number, cd: Descriptor, eip: number, off: number, size: number, popBytes: number): void {
  const rpl = csSel & 3;
  const newSp = stackRead(cpu, off, size);
  const newSs = stackRead(cpu, off + size, size) & 0xffff;
  const ssd = checkReturnSs(cpu, newSs, rpl);
  if (eip > descLimit(cd.lo, cd.hi)) cpu.raiseFault(Vec.GP, 0);
  commitCs(cpu, csSel, cd, rpl);
  setAccessed(cpu, ssd);
  const ss = cpu.seg[SReg.SS]!;
  loadCache(ss, newSs, ssd);
  // A 16-bit return pops a 16-bit SP: ESP is zero-extended from it.
  cpu.regs[Reg.ESP] = size === 4 ? newSp : newSp & 0xffff;
  if (popBytes !== 0) setSpFor(cpu, cpu.getSp() + popBytes);
  cpu.eip = eip;
  nullifyDataSegments(cpu);
}

/** RETF / RETF imm16 (`popBytes` = imm16). */
export function farRet(cpu: Cpu, popBytes: number, insn: Insn): void {
  const size = insn.opsize === 16 ? 2 : 4;
  const sp = cpu.getSp();
  const eipRaw = stackRead(cpu, sp, size);
  const csSel = stackRead(cpu, sp + size, size) & 0xffff;
  const eip = size === 2 ? eipRaw & 0xffff : eipRaw >>> 0;
  if (!cpu.protectedMode) {
    const cs = cpu.seg[SReg.CS]!;
    if (eip > cs.limit >>> 0) cpu.raiseFault(Vec.GP, 0);
    loadRealOrV86(cpu, cs, csSel);
    cpu.eip = eip;
    cpu.setSp(sp + 2 * size + popBytes);
    return;
  }
  const cd = checkReturnCs(cpu, csSel);
  if ((csSel & 3) === cpu.cpl) {
    if (eip > descLimit(cd.lo, cd.hi)) cpu.raiseFault(Vec.GP, 0);
    commitCs(cpu, csSel, cd, cpu.cpl);
    cpu.eip = eip;
    cpu.setSp(sp + 2 * size + popBytes);
    return;
  }
  returnOuter(cpu, csSel, cd, eip, sp + 2 * size + popBytes, size, popBytes);
}

/** EFLAGS bits IRET/POPF may change regardless of privilege (the rest are handled below). */
const IRET_BASE = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.TF | Flag.DF | Flag.OF | Flag.NT |
  Flag.RF | Flag.AC | Flag.ID;

/** IRET / IRETD (SDM Vol. 2 IRET). */
export function iret(cpu: Cpu, insn: Insn): void {
  const size = insn.opsize === 16 ? 2 : 4;
  const cur = cpu.getEflags();
  // IRET ends NMI blocking (SDM 6.7.1).
  cpu.interruptibility &= ~Interruptibility.NMI;
  if ((cpu.cr0 & 1) === 0) {
    // Real-address mode.
    const sp = cpu.getSp();
    const eip = stackRead(cpu, sp, size);
    const csSel = stackRead(cpu, sp + size, size) & 0xffff;
    const fl = stackRead(cpu, sp + 2 * size, size);
    const cs = cpu.seg[SReg.CS]!;
    const neip = size === 2 ? eip & 0xffff : eip >>> 0;
    if (neip > cs.limit >>> 0) cpu.raiseFault(Vec.GP, 0);
    loadRealOrV86(cpu, cs, csSel);
    cpu.eip = neip;
    cpu.setSp(sp + 3 * size);
    if (size === 4) cpu.setEflags((fl & 0x257fd5) | (cur & 0x1a0000));
    else cpu.setEflags((cur & ~0xffff) | (fl & 0xffff));
    return;
  }
  if (cpu.v86) {
    // Virtual-8086 mode: IOPL-sensitive (no CR4.VME support).
    if (cpu.iopl !== 3) cpu.raiseFault(Vec.GP, 0);
    const sp = cpu.getSp();
    const eip = stackRead(cpu, sp, size);
    const csSel = stackRead(cpu, sp + size, size) & 0xffff;
    const fl = stackRead(cpu, sp + 2 * size, size);
    const neip = size === 2 ? eip & 0xffff : eip >>> 0;
    if (neip > 0xffff) cpu.raiseFault(Vec.GP, 0);
    loadRealOrV86(cpu, cpu.seg[SReg.CS]!, csSel);
    cpu.eip = neip;
    cpu.setSp(sp + 3 * size);
    const keep = Flag.VM | Flag.IOPL | Flag.VIP | Flag.VIF;
    if (size === 4) cpu.setEflags((fl & ~keep) | (cur & keep));
    else cpu.setEflags((cur & ~0xffff) | (fl & 0xffff & ~Flag.IOPL) | (cur & Flag.IOPL));
    return;
  }
  if ((cur & Flag.NT) !== 0) {
    // Task return through the back link of the current TSS (SDM 7.3, IRET "TASK-RETURN").
    const link = cpu.mmu.readSys(cpu.tr.base, 2);
    if ((link & 4) !== 0) cpu.raiseFault(Vec.TS, link & 0xfffc);
    const d = readDescriptor(cpu, link);
    if (d === null) cpu.raiseFault(Vec.TS, link & 0xfffc);
    const t = descTypeS(d.hi);
    if (t !== SysType.TSS16_BUSY && t !== SysType.TSS32_BUSY) cpu.raiseFault(Vec.TS, link & 0xfffc);
    if (!descPresent(d.hi)) cpu.raiseFault(Vec.NP, link & 0xfffc);
    taskSwitch(cpu, link, TaskSource.IRET, { insnLen: insn.length, returnEip: cpu.eip });
    return;
  }
  const sp = cpu.getSp();
  const eipRaw = stackRead(cpu, sp, size);
  const csSel = stackRead(cpu, sp + size, size) & 0xffff;
  const fl = stackRead(cpu, sp + 2 * size, size);
  if (size === 4 && (fl & Flag.VM) !== 0 && cpu.cpl === 0) {
    returnToV86(cpu, eipRaw, csSel, fl, sp + 12);
    return;
  }
  const eip = size === 2 ? eipRaw & 0xffff : eipRaw >>> 0;
  const cd = checkReturnCs(cpu, csSel);
  const oldCpl = cpu.cpl;
  const newFlags = iretFlags(cur, fl, size, oldCpl);
  if ((csSel & 3) === oldCpl) {
    if (eip > descLimit(cd.lo, cd.hi)) cpu.raiseFault(Vec.GP, 0);
    commitCs(cpu, csSel, cd, oldCpl);
    cpu.eip = eip;
    cpu.setSp(sp + 3 * size);
    cpu.setEflags(newFlags);
    return;
  }
  returnOuter(cpu, csSel, cd, eip, sp + 3 * size, size, 0);
  cpu.setEflags(newFlags);
}

/** EFLAGS after a protected-mode IRET (privilege rules for IF, IOPL, VIF/VIP). */
function iretFlags(cur: number, fl: number, size: number, cpl: number): number {
  let mask = IRET_BASE;
  if (cpl <= ((cur >>> 12) & 3)) mask |= Flag.IF;
  if (cpl === 0) {
    mask |= Flag.IOPL;
    if (size === 4) mask |= Flag.VIF | Flag.VIP;
  }
  if (size === 2) mask &= 0xffff;
  return ((cur & ~mask) | (fl & mask)) & ~Flag.VM;
}

/** IRET from CPL 0 to virtual-8086 mode (SDM Vol. 2 IRET "RETURN-TO-VIRTUAL-8086-MODE"). */
function returnToV86(cpu: Cpu, eip: number, csSel: number, fl: number, off: number): void {
  const esp = stackRead(cpu, off, 4);
  const ss = stackRead(cpu, off + 4, 4) & 0xffff;
  const es = stackRead(cpu, off + 8, 4) & 0xffff;
  const ds = stackRead(cpu, off + 12, 4) & 0xffff;
  const fs = stackRead(cpu, off + 16, 4) & 0xffff;
  const gs = stackRead(cpu, off + 20, 4) & 0xffff;
  cpu.setEflags(fl);
  const sels = [es, csSel, ss, ds, fs, gs];
  for (let i = 0; i < 6; i++) loadRealOrV86(cpu, cpu.seg[i]!, sels[i]!);
  cpu.regs[Reg.ESP] = esp;
  cpu.eip = eip & 0xffff;
  setCpl(cpu, 3);
}
