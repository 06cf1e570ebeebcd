/**
 * Interrupt and exception delivery (SDM Vol. 3A chapter 6, Vol. 2 INT n/INTO/INT3/INT1).
 *
 * Models: real-address mode delivery through the IVT; protected-mode delivery through IDT
 * interrupt, trap and task gates (16- and 32-bit), the gate DPL check for software interrupts
 * (#GP(vector*8+2)), stack switches from the TSS for inner privilege levels, delivery from
 * virtual-8086 mode to ring 0 (GS/FS/DS/ES pushed and nulled), INT n in v8086 mode with IOPL < 3
 * (#GP(0)), error codes for vectors 8, 10-14 and 17 (with the EXT bit for external events), CR2
 * for #PF, the double-fault table (benign / contributory / page fault) and triple fault →
 * shutdown (root: `cpu.shutdownInfo`, activity SHUTDOWN; non-root: `hooks.tripleFault()`). In VMX
 * non-root operation `hooks.exception` runs before any exception, NMI or software interrupt is
 * delivered.
 *
 * The EFLAGS image pushed for fault-class exceptions (not #DB) has RF set.
 *
 * Does not model: CR4.VME/PVI interrupt redirection, #MC, SMIs.
 */
import type { Cpu } from './cpu.js';
import { Activity, AR, Flag, Reg, SReg, UNWIND, Vec } from './state.js';
import { EventType } from './vmx-hooks.js';
import {
  checkTssSs, commitCs, descAr, descBase, descDpl, descLimit, descPresent, descTypeS, fetchDescriptor,
  loadCache, loadNull, pushFrame, readDescriptor, setAccessed, SysType, tssStack,
} from './segmentation.js';
import type { Segment } from './state.js';
import { taskSwitch, TaskSource } from './task.js';

/** Vectors whose exceptions push an error code in protected mode. */
function hasErrorCode(vector: number): boolean {
  return vector === Vec.DF || (vector >= Vec.TS && vector <= Vec.PF) || vector === Vec.AC;
}

/** Fault-class exceptions: the EFLAGS image they push has RF set (SDM 17.3.1.1). */
function isFault(vector: number): boolean {
  return vector === Vec.DE || (vector >= Vec.BR && vector <= Vec.NM) || (vector >= Vec.TS && vector <= Vec.PF) ||
    vector === Vec.MF || vector === Vec.AC || vector === Vec.XM;
}

const enum Cls { BENIGN = 0, CONTRIBUTORY = 1, PAGE_FAULT = 2 }

/** SDM Table 6-4 classes. */
function classOf(vector: number): Cls {
  if (vector === Vec.PF) return Cls.PAGE_FAULT;
  if (vector === Vec.DE || (vector >= Vec.TS && vector <= Vec.GP)) return Cls.CONTRIBUTORY;
  return Cls.BENIGN;
}

/** The event being delivered (for IDT-vectoring information when delivery causes a VM exit). */
export interface DeliveringEvent {
  vector: number;
  type: EventType;
  hasErrorCode: boolean;
  errorCode: number;
  active: boolean;
}


/** The event whose delivery is in progress on `cpu`, or null (VMX: IDT-vectoring information). */
export function currentDelivery(cpu: Cpu): DeliveringEvent | null {
  const d = cpu.delivery;
  return d.active ? d : null;
}

function record(cpu: Cpu, vector: number, type: EventType, hasErr: boolean, err: number): DeliveringEvent {
  const d = cpu.delivery;
  d.vector = vector; d.type = type; d.hasErrorCode = hasErr; d.errorCode = err; d.active = true;
  return d;
}

/**
 * Deliver the exception recorded by `cpu.raiseFault` (cpu.excVector / excHasErrorCode /
 * excErrorCode). EIP must already be the return address (the faulting instruction for faults).
 * A fault while delivering is combined per SDM Table 6-5 (double fault), a fault while delivering
 * #DF is a triple fault.
 */
export function deliverException(cpu: Cpu): void {
  let vector = cpu.excVector;
  let err = cpu.excErrorCode;
  const eip0 = cpu.eip;
  const esp0 = cpu.regs[Reg.ESP]!;
  for (let attempt = 0; attempt < 8; attempt++) {
    try {
      deliverEvent(cpu, vector, EventType.HARDWARE_EXCEPTION, 0, hasErrorCode(vector), err, true);
      cpu.excVector = -1;
      return;
    } catch (e) {
      if (e !== UNWIND || cpu.vmexitPending) throw e;
      cpu.eip = eip0;
      cpu.regs[Reg.ESP] = esp0;
      const second = cpu.excVector;
      const first = classOf(vector);
      const next = classOf(second);
      if (vector === Vec.DF && next !== Cls.BENIGN) {
        tripleFault(cpu, second, cpu.excErrorCode);
        return;
      }
      if ((first === Cls.CONTRIBUTORY && next === Cls.CONTRIBUTORY) ||
          (first === Cls.PAGE_FAULT && next !== Cls.BENIGN)) {
        // A page fault that becomes #DF still loads CR2 (it is not delivered itself).
        if (second === Vec.PF) cpu.cr2 = cpu.mmu.faultLinear;
        vector = Vec.DF;
        err = 0;
      } else {
        vector = second;
        err = cpu.excErrorCode;
      }
    }
  }
  tripleFault(cpu, vector, err);
}

/** Shutdown after a triple fault (root) or the triple-fault VM exit (non-root). */
function tripleFault(cpu: Cpu, vector: number, err: number): void {
  cpu.delivery.active = false;
  // Remembered for the caller's triple-fault report (the last exception before shutdown).
  cpu.lastExceptionVector = vector;
  cpu.excVector = -1;
  if (cpu.nonRoot && cpu.hooks !== null) {
    cpu.hooks.tripleFault();
  }
  cpu.activity = Activity.SHUTDOWN;
  cpu.shutdownInfo = { vector, errorCode: err, cs: cpu.seg[SReg.CS]!.selector, eip: cpu.eip };
}

/**
 * Deliver an interrupt or software exception: INT n (SOFTWARE_INTERRUPT, `insnLen` = 2), INT3 /
 * INTO (SOFTWARE_EXCEPTION), INT1 (PRIVILEGED_SOFTWARE_EXCEPTION), external interrupts
 * (EXTERNAL_INTERRUPT), NMI. The return address is the current `cpu.eip` (the run loop and
 * exec/system.ts set it: next instruction for software events). A fault during delivery is
 * raised with `raiseFault` (the run loop delivers it).
 */
export function deliverInterrupt(cpu: Cpu, vector: number, type: EventType, insnLen: number, errorCode?: number): void {
  deliverEvent(cpu, vector & 0xff, type, insnLen, errorCode !== undefined, errorCode ?? 0, true);
}

/**
 * VM-entry event injection: like `deliverInterrupt` (any type, optional error code) but without
 * the `hooks.exception` call (injected events are not subject to the exception bitmap).
 */
export function injectEvent(cpu: Cpu, vector: number, type: EventType, insnLen: number, errorCode?: number): void {
  deliverEvent(cpu, vector & 0xff, type, insnLen, errorCode !== undefined, errorCode ?? 0, false);
}

function deliverEvent(cpu: Cpu, vector: number, type: EventType, insnLen: number, hasErr: boolean, err: number, hook: boolean): void {
  // INT n in virtual-8086 mode with IOPL < 3 is #GP(0) before anything else (no CR4.VME).
  if (type === EventType.SOFTWARE_INTERRUPT && (cpu.cr0 & 1) !== 0 && cpu.v86 && cpu.iopl < 3) {
    cpu.raiseFault(Vec.GP, 0);
  }
  if (hook && cpu.nonRoot && cpu.hooks !== null && type !== EventType.EXTERNAL_INTERRUPT) {
    cpu.hooks.exception(vector, type, hasErr, err, insnLen);
  }
  const rec = record(cpu, vector, type, hasErr, err);
  // Probes: cpu:::exception (vector, error code, has error code, EIP, CR2) for exceptions,
  // cpu:::interrupt (vector, EIP) for external interrupts and INT n. One branch each when off.
  if (type === EventType.HARDWARE_EXCEPTION || type === EventType.SOFTWARE_EXCEPTION || type === EventType.PRIVILEGED_SOFTWARE_EXCEPTION) {
    const p = cpu.probeException;
    if (p !== null && p.enabled) p.fire(vector, err, hasErr ? 1 : 0, cpu.eip, vector === Vec.PF ? cpu.mmu.faultLinear : cpu.cr2);
  } else {
    const p = cpu.probeInterrupt;
    if (p !== null && p.enabled) p.fire(vector, cpu.eip);
  }
  // A #PF loads CR2 when it is delivered (not when it VM-exits, nor when the VMM injects it).
  if (hook && type === EventType.HARDWARE_EXCEPTION && vector === Vec.PF) cpu.cr2 = cpu.mmu.faultLinear;
  if (cpu.activity === Activity.HLT) cpu.activity = Activity.ACTIVE;
  if ((cpu.cr0 & 1) === 0) realMode(cpu, vector);
  else protectedMode(cpu, vector, type, insnLen, hasErr, err);
  rec.active = false;
}

/** Real-address mode: IVT entry = IP:CS at vector*4; push FLAGS, CS, IP (SDM 20.1.4). */
function realMode(cpu: Cpu, vector: number): void {
  const off = vector * 4;
  if (off + 3 > cpu.idtr.limit >>> 0) cpu.raiseFault(Vec.GP, 0);
  const ip = cpu.mmu.readSys(cpu.idtr.base + off, 2);
  const cs = cpu.mmu.readSys(cpu.idtr.base + off + 2, 2);
  const flags = cpu.getEflags();
  const csReg = cpu.seg[SReg.CS]!;
  cpu.push16(flags);
  cpu.push16(csReg.selector);
  cpu.push16(cpu.eip);
  cpu.setEflags(flags & ~(Flag.IF | Flag.TF | Flag.AC | Flag.RF));
  csReg.selector = cs;
  csReg.base = cs << 4;
  cpu.eip = ip;
}

function protectedMode(cpu: Cpu, vector: number, type: EventType, insnLen: number, hasErr: boolean, err: number): void {
  const software = type === EventType.SOFTWARE_INTERRUPT || type === EventType.SOFTWARE_EXCEPTION;
  const ext = software ? 0 : 1;
  const eflags = cpu.getEflags();
  const v86 = (eflags & Flag.VM) !== 0;
  const image = type === EventType.HARDWARE_EXCEPTION && isFault(vector) ? eflags | Flag.RF : eflags;
  const idtErr = vector * 8 + 2 + ext;
  if (vector * 8 + 7 > cpu.idtr.limit >>> 0) cpu.raiseFault(Vec.GP, idtErr);
  const gaddr = (cpu.idtr.base + vector * 8) >>> 0;
  const lo = cpu.mmu.readSys(gaddr, 4);
  const hi = cpu.mmu.readSys(gaddr + 4, 4);
  const gt = descTypeS(hi);
  if (gt !== SysType.TASK_GATE && gt !== SysType.INT_GATE16 && gt !== SysType.TRAP_GATE16 &&
      gt !== SysType.INT_GATE32 && gt !== SysType.TRAP_GATE32) {
    cpu.raiseFault(Vec.GP, idtErr);
  }
  if (software && descDpl(hi) < cpu.cpl) cpu.raiseFault(Vec.GP, vector * 8 + 2);
  if (!descPresent(hi)) cpu.raiseFault(Vec.NP, idtErr);

  if (gt === SysType.TASK_GATE) {
    const tss = lo >>> 16;
    const terr = (tss & 0xfffc) | ext;
    if ((tss & 4) !== 0) cpu.raiseFault(Vec.GP, terr);
    const td = readDescriptor(cpu, tss);
    if (td === null) cpu.raiseFault(Vec.GP, terr);
    const t = descTypeS(td.hi);
    if (t !== SysType.TSS16_AVAIL && t !== SysType.TSS32_AVAIL) cpu.raiseFault(Vec.GP, terr);
    if (!descPresent(td.hi)) cpu.raiseFault(Vec.NP, terr);
    taskSwitch(cpu, tss, TaskSource.IDT, {
      insnLen, returnEip: cpu.eip, errorCode: hasErr ? err : undefined, ext,
    });
    return;
  }

  const gate32 = (gt & 8) !== 0;
  const size = gate32 ? 4 : 2;
  const codeSel = lo >>> 16;
  const offset = gate32 ? ((lo & 0xffff) | (hi & 0xffff0000)) >>> 0 : lo & 0xffff;
  if ((codeSel & 0xfffc) === 0) cpu.raiseFault(Vec.GP, ext);
  const cd = fetchDescriptor(cpu, codeSel, Vec.GP, ext);
  const cerr = (codeSel & 0xfffc) | ext;
  if ((cd.hi & 0x1800) !== 0x1800 || descDpl(cd.hi) > cpu.cpl) cpu.raiseFault(Vec.GP, cerr);
  if (!descPresent(cd.hi)) cpu.raiseFault(Vec.NP, cerr);
  const dpl = descDpl(cd.hi);
  const conforming = (cd.hi & 0x400) !== 0;
  const cs = cpu.seg[SReg.CS]!;
  const oldEip = cpu.eip;

  if (!conforming && dpl < cpu.cpl) {
    // Inter-privilege: new stack from the TSS.
    if (v86 && dpl !== 0) cpu.raiseFault(Vec.GP, cerr);
    const [newSs, newSp] = tssStack(cpu, dpl, ext);
    const ssd = checkTssSs(cpu, newSs, dpl, ext);
    const nss: Segment = { selector: newSs, base: descBase(ssd.lo, ssd.hi), limit: descLimit(ssd.lo, ssd.hi), ar: descAr(ssd.hi) };
    if (offset > descLimit(cd.lo, cd.hi)) cpu.raiseFault(Vec.GP, ext);
    const values: number[] = [];
    if (v86) {
      values.push(cpu.seg[SReg.GS]!.selector, cpu.seg[SReg.FS]!.selector, cpu.seg[SReg.DS]!.selector, cpu.seg[SReg.ES]!.selector);
    }
    values.push(cpu.seg[SReg.SS]!.selector, cpu.regs[Reg.ESP]!, image, cs.selector, oldEip);
    if (hasErr) values.push(err);
    const sp0 = (nss.ar & AR.DB) !== 0 ? newSp >>> 0 : newSp & 0xffff;
    const top = pushFrame(cpu, nss, sp0, values, size, (newSs & 0xfffc) | ext, dpl);
    // Commit.
    setAccessed(cpu, ssd);
    if (v86) {
      cpu.setEflags(eflags & ~Flag.VM);
      for (const sr of [SReg.ES, SReg.DS, SReg.FS, SReg.GS]) loadNull(cpu.seg[sr]!, 0);
    }
    commitCs(cpu, codeSel, cd, dpl);
    loadCache(cpu.seg[SReg.SS]!, newSs, ssd);
    cpu.regs[Reg.ESP] = (nss.ar & AR.DB) !== 0 ? top : (newSp & ~0xffff) | top;
  } else {
    if (v86) cpu.raiseFault(Vec.GP, cerr);
    if (offset > descLimit(cd.lo, cd.hi)) cpu.raiseFault(Vec.GP, ext);
    const values: number[] = [image, cs.selector, oldEip];
    if (hasErr) values.push(err);
    const ss = cpu.seg[SReg.SS]!;
    const top = pushFrame(cpu, ss, cpu.getSp(), values, size, ext, cpu.cpl);
    commitCs(cpu, codeSel, cd, cpu.cpl);
    cpu.setSp(top);
  }
  cpu.eip = offset;
  let f = cpu.getEflags() & ~(Flag.TF | Flag.NT | Flag.RF | Flag.VM);
  if (gt === SysType.INT_GATE16 || gt === SysType.INT_GATE32) f &= ~Flag.IF;
  cpu.setEflags(f);
}
