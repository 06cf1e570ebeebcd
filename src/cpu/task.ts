/**
 * Hardware task switching (SDM Vol. 3A chapter 7 "Task Management").
 *
 * Models: task switches through JMP/CALL to a TSS or task gate, IRET with EFLAGS.NT (task return
 * through the back link) and IDT task gates; 32-bit and 16-bit TSS formats; busy bits, the back
 * link and NT for nested tasks, CR0.TS, CR3 (32-bit TSS, only when paging is enabled), the LDT and
 * the segment registers of the new task with their #TS/#NP/#SS checks (faults after the commit
 * point are delivered in the context of the new task, as the SDM describes), the debug trap
 * (T bit) after the switch, and the error code of an exception delivered through a task gate
 * (pushed on the new task's stack). In VMX non-root operation every task switch exits first
 * (`hooks.taskSwitch`).
 *
 * Does not model: the I/O map base check, "TSS page present" pre-checks beyond what the reads
 * fault on before the commit point. A 16-bit TSS leaves FS and GS null and the upper halves of
 * the general registers unchanged.
 */
import type { Cpu } from './cpu.js';
import type { Descriptor } from './segmentation.js';
import {
  descBase, descDpl, descLimit, descPresent, descTypeS, fetchDescriptor, loadCache, loadNull,
  loadRealOrV86, readDescriptor, setAccessed, setCpl, SysType,
} from './segmentation.js';
import { Flag, SReg, UNWIND, Vec } from './state.js';
import { Cr0, Cr4 } from './mmu.js';
import { deliverException } from './interrupts.js';

/** Why a task switch happens; numbered as the VM-exit qualification "source of task switch". */
export const enum TaskSource { CALL = 0, IRET = 1, JMP = 2, IDT = 3 }

export interface TaskSwitchOptions {
  /** Instruction length (for the VM-exit hook); 0 for events. */
  insnLen?: number;
  /** EIP saved in the old TSS (the next instruction for JMP/CALL/IRET/INT n, the faulting one for faults). */
  returnEip?: number;
  /** Error code to push on the new task's stack (exception through a task gate), or undefined. */
  errorCode?: number;
  /** EXT bit (1) for error codes when the switch is caused by an external event. */
  ext?: number;
}

/*
 * TSS layouts (SDM Figures 7-2 and 7-11), byte offsets:
 *
 *   32-bit: 0 link | 4 ESP0 | 8 SS0 | 0C ESP1 | 10 SS1 | 14 ESP2 | 18 SS2 | 1C CR3 | 20 EIP |
 *           24 EFLAGS | 28 EAX ECX EDX EBX ESP EBP ESI EDI (to 44) | 48 ES | 4C CS | 50 SS |
 *           54 DS | 58 FS | 5C GS | 60 LDT | 64 T (bit 0) | 66 I/O map base
 *   16-bit: 0 link | 2 SP0 | 4 SS0 | 6 SP1 | 8 SS1 | 0A SP2 | 0C SS2 | 0E IP | 10 FLAGS |
 *           12 AX CX DX BX SP BP SI DI (to 20) | 22 ES | 24 CS | 26 SS | 28 DS | 2A LDT
 */
const T32 = { EIP: 0x20, EFLAGS: 0x24, REGS: 0x28, SEGS: 0x48, LDT: 0x60, T: 0x64, MIN: 0x67 } as const;
const T16 = { EIP: 0x0e, EFLAGS: 0x10, REGS: 0x12, SEGS: 0x22, LDT: 0x2a, MIN: 0x2b } as const;

/** Set or clear the busy bit (type bit 1) of the TSS descriptor `selector` in the GDT. */
function setBusy(cpu: Cpu, selector: number, busy: boolean): void {
  const addr = (cpu.gdtr.base + (selector & 0xfff8) + 5) >>> 0;
  const b = cpu.mmu.readSys(addr, 1);
  cpu.mmu.writeSys(addr, 1, busy ? b | 2 : b & ~2);
}

/**
 * Switch to the task whose TSS descriptor is `selector` (already resolved from a task gate).
 * For JMP/CALL/IDT the descriptor must be an available TSS, for IRET a busy one.
 */
export function taskSwitch(cpu: Cpu, selector: number, source: TaskSource, opts: TaskSwitchOptions = {}): void {
  selector &= 0xffff;
  if (cpu.nonRoot && cpu.hooks !== null) cpu.hooks.taskSwitch(opts.insnLen ?? 0, selector, source);
  const ext = opts.ext ?? 0;
  const err = (selector & 0xfffc) | ext;

  // ---- checks on the new TSS descriptor ----
  if ((selector & 4) !== 0) cpu.raiseFault(source === TaskSource.IRET ? Vec.TS : Vec.GP, err);
  const nd = fetchDescriptor(cpu, selector, source === TaskSource.IRET ? Vec.TS : Vec.GP, ext);
  const t = descTypeS(nd.hi);
  if (source === TaskSource.IRET) {
    if (t !== SysType.TSS16_BUSY && t !== SysType.TSS32_BUSY) cpu.raiseFault(Vec.TS, err);
  } else if (t !== SysType.TSS16_AVAIL && t !== SysType.TSS32_AVAIL) {
    cpu.raiseFault(Vec.GP, err);
  }
  if (!descPresent(nd.hi)) cpu.raiseFault(Vec.NP, err);
  const new32 = (t & 8) !== 0;
  const nbase = descBase(nd.lo, nd.hi);
  const nlimit = descLimit(nd.lo, nd.hi);
  if (nlimit < (new32 ? T32.MIN : T16.MIN)) cpu.raiseFault(Vec.TS, err);
  const old = cpu.tr;
  const old32 = (old.ar & 8) !== 0;
  if (old.limit >>> 0 < (old32 ? T32.MIN : T16.MIN)) cpu.raiseFault(Vec.TS, (old.selector & 0xfffc) | ext);

  // ---- read the new task's state (faults here leave the old task intact) ----
  const mmu = cpu.mmu;
  const L = new32 ? T32 : T16;
  const rsz = new32 ? 4 : 2;
  const newCr3 = new32 ? mmu.readSys(nbase + 0x1c, 4) : cpu.cr3;
  const newEip = mmu.readSys(nbase + L.EIP, rsz);
  let newFlags = mmu.readSys(nbase + L.EFLAGS, rsz);
  const newRegs = new Int32Array(8);
  for (let i = 0; i < 8; i++) {
    const v = mmu.readSys(nbase + L.REGS + i * rsz, rsz);
    newRegs[i] = new32 ? v : (cpu.regs[i]! & ~0xffff) | v;
  }
  const nsegs = new32 ? 6 : 4;
  const newSegs = [0, 0, 0, 0, 0, 0];
  for (let i = 0; i < nsegs; i++) newSegs[i] = mmu.readSys(nbase + L.SEGS + i * rsz, 2);
  const newLdt = mmu.readSys(nbase + L.LDT, 2);
  const tBit = new32 ? (mmu.readSys(nbase + T32.T, 2) & 1) !== 0 : false;
  if (!new32) newFlags = (cpu.getEflags() & ~0xffff) | newFlags;

  // ---- save the old task's state ----
  const O = old32 ? T32 : T16;
  const osz = old32 ? 4 : 2;
  const obase = old.base;
  let oldFlags = cpu.getEflags();
  if (source === TaskSource.IRET) oldFlags &= ~Flag.NT;
  mmu.writeSys(obase + O.EIP, osz, opts.returnEip ?? cpu.eip);
  mmu.writeSys(obase + O.EFLAGS, osz, oldFlags);
  for (let i = 0; i < 8; i++) mmu.writeSys(obase + O.REGS + i * osz, osz, cpu.regs[i]!);
  for (let i = 0; i < (old32 ? 6 : 4); i++) mmu.writeSys(obase + O.SEGS + i * osz, 2, cpu.seg[i]!.selector);

  // ---- busy bits, back link, NT ----
  if (source === TaskSource.JMP || source === TaskSource.IRET) setBusy(cpu, old.selector, false);
  if (source === TaskSource.CALL || source === TaskSource.IDT) {
    newFlags |= Flag.NT;
    mmu.writeSys(nbase, 2, old.selector);
  }
  if (source !== TaskSource.IRET) setBusy(cpu, selector, true);

  // ---- commit point: the new task ----
  cpu.tr = { selector, base: nbase, limit: nlimit, ar: ((nd.hi >>> 8) & 0xf0ff) | 2 };
  cpu.cr0 |= Cr0.TS;
  let pdpteFault = false;
  if (new32 && (cpu.cr0 & Cr0.PG) !== 0) {
    cpu.cr3 = newCr3;
    // Invalid PDPTEs in the new task: #GP(0) in the new task's context (MOV CR3 rules).
    if ((cpu.cr4 & Cr4.PAE) !== 0 && !mmu.loadPdptes(newCr3)) pdpteFault = true;
    mmu.flushNonGlobal();
  }
  cpu.setEflags(newFlags);
  cpu.regs.set(newRegs);
  cpu.eip = newEip >>> 0;
  const v86 = (newFlags & Flag.VM) !== 0;

  // Selectors first (so that a fault below is reported with the new task's selectors loaded).
  for (let i = 0; i < 6; i++) {
    const s = cpu.seg[i]!;
    if (v86) loadRealOrV86(cpu, s, newSegs[i]!);
    else loadNull(s, newSegs[i]!);
  }
  cpu.ldtr = { selector: newLdt, base: 0, limit: 0, ar: 0x10000 };
  // The new CPL is the new CS's RPL (3 in v8086 mode), even if a descriptor check below fails.
  setCpl(cpu, v86 ? 3 : newSegs[SReg.CS]! & 3);
  try {
    if (pdpteFault) cpu.raiseFault(Vec.GP, 0);
    loadTaskLdt(cpu, newLdt, ext);
    if (v86) {
      setCpl(cpu, 3);
    } else {
      loadTaskSegments(cpu, newSegs, ext);
    }
    if (opts.errorCode !== undefined) {
      if (new32) cpu.push32(opts.errorCode);
      else cpu.push16(opts.errorCode);
    }
  } catch (e) {
    if (e !== UNWIND || cpu.vmexitPending) throw e;
    // A fault in the new task's context: deliver it now, with the new task's EIP.
    deliverException(cpu);
    cpu.excVector = -1;
    return;
  }
  if (tBit) {
    cpu.dr[6] = cpu.dr[6]! | 0x8000; // DR6.BT
    cpu.excVector = Vec.DB;
    cpu.excHasErrorCode = false;
    cpu.excErrorCode = 0;
    deliverException(cpu);
    cpu.excVector = -1;
  }
}

/** LDT of the new task (SDM Table 7-1): #TS(LDT selector) unless null or a present LDT in the GDT. */
function loadTaskLdt(cpu: Cpu, sel: number, ext: number): void {
  const err = (sel & 0xfffc) | ext;
  if ((sel & 0xfffc) === 0) {
    cpu.ldtr = { selector: sel, base: 0, limit: 0, ar: 0x10000 };
    return;
  }
  if ((sel & 4) !== 0) cpu.raiseFault(Vec.TS, err);
  const d = readDescriptor(cpu, sel);
  if (d === null || descTypeS(d.hi) !== SysType.LDT || !descPresent(d.hi)) cpu.raiseFault(Vec.TS, err);
  cpu.ldtr = { selector: sel, base: descBase(d.lo, d.hi), limit: descLimit(d.lo, d.hi), ar: (d.hi >>> 8) & 0xf0ff };
}

/** CS, SS, then the data segments of the new task, with #TS/#NP/#SS (SDM Table 7-1). */
function loadTaskSegments(cpu: Cpu, sels: number[], ext: number): void {
  // CS
  const csSel = sels[SReg.CS]!;
  const cpl = csSel & 3;
  const csErr = (csSel & 0xfffc) | ext;
  if ((csSel & 0xfffc) === 0) cpu.raiseFault(Vec.TS, csErr);
  const cd = fetchDescriptor(cpu, csSel, Vec.TS, ext);
  if ((cd.hi & 0x1800) !== 0x1800) cpu.raiseFault(Vec.TS, csErr);
  const cdpl = descDpl(cd.hi);
  if ((cd.hi & 0x400) !== 0 ? cdpl > cpl : cdpl !== cpl) cpu.raiseFault(Vec.TS, csErr);
  if (!descPresent(cd.hi)) cpu.raiseFault(Vec.NP, csErr);
  // SS
  const ssSel = sels[SReg.SS]!;
  const ssErr = (ssSel & 0xfffc) | ext;
  if ((ssSel & 0xfffc) === 0) cpu.raiseFault(Vec.TS, ssErr);
  const sd = fetchDescriptor(cpu, ssSel, Vec.TS, ext);
  if ((ssSel & 3) !== cpl || descDpl(sd.hi) !== cpl || (sd.hi & 0x1a00) !== 0x1200) cpu.raiseFault(Vec.TS, ssErr);
  if (!descPresent(sd.hi)) cpu.raiseFault(Vec.SS, ssErr);
  setAccessed(cpu, cd);
  loadCache(cpu.seg[SReg.CS]!, csSel, cd);
  setCpl(cpu, cpl);
  setAccessed(cpu, sd);
  loadCache(cpu.seg[SReg.SS]!, ssSel, sd);
  for (const sr of [SReg.ES, SReg.DS, SReg.FS, SReg.GS]) {
    const sel = sels[sr]!;
    if ((sel & 0xfffc) === 0) continue; // stays null/unusable
    const e = (sel & 0xfffc) | ext;
    const d: Descriptor = fetchDescriptor(cpu, sel, Vec.TS, ext);
    const data = (d.hi & 0x1800) === 0x1000;
    const readableCode = (d.hi & 0x1a00) === 0x1a00;
    if (!data && !readableCode) cpu.raiseFault(Vec.TS, e);
    if (data || (d.hi & 0x400) === 0) {
      const dpl = descDpl(d.hi);
      if (dpl < cpl || dpl < (sel & 3)) cpu.raiseFault(Vec.TS, e);
    }
    if (!descPresent(d.hi)) cpu.raiseFault(Vec.NP, e);
    setAccessed(cpu, d);
    loadCache(cpu.seg[sr]!, sel, d);
  }
}
