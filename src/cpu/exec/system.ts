/**
 * System instructions (SDM Vol. 2; privilege and VMX ordering from Vol. 3C 25.1): segment-register
 * loads (MOV/POP Sreg, LDS/LES/LFS/LGS/LSS), far JMP/CALL/RET, IRET, INT n/INT3/INTO/INT1, BOUND,
 * ARPL, LGDT/LIDT/SGDT/SIDT/LLDT/SLDT/LTR/STR, LAR/LSL/VERR/VERW, SMSW/LMSW, MOV CR/DR, CLTS,
 * INVLPG, INVD/WBINVD, RDMSR/WRMSR, RDTSC/RDPMC, CPUID, SYSENTER/SYSEXIT, UD2, RSM, the VMX
 * instructions, MONITOR/MWAIT/XSETBV, and the I/O permission check `checkIo`.
 *
 * Ordering in VMX non-root operation: #UD and CPL-based #GP come first (SDM 25.1.1), then the
 * non-root hook (which may VM-exit), then the instruction's own checks and effects.
 *
 * The VMX root seam: `cpu.vmxRoot` may hold a provider `{ execute(cpu, insn): void }` (VMXON and
 * friends in VMX root operation, written elsewhere); without one (or with CR4.VMXE clear) every
 * VMX instruction is #UD in root operation.
 *
 * Does not model: CR4.VME/PVI, CR4.OSXSAVE (XSETBV #UD), MONITOR/MWAIT (#UD: CPUID does not
 * report them; in non-root operation the hook runs first so that MONITOR/MWAIT exiting works),
 * performance counters (RDPMC reads 0 for counters 0 and 1), debug breakpoints in DR0-DR3
 * (stored only), SMM (RSM #UD).
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import { AR, Flag, Interruptibility, Reg, SReg, Vec } from '../state.js';
import { EventType } from '../vmx-hooks.js';
import type { NonRootHooks } from '../vmx-hooks.js';
import { Op, Opnd } from '../opcodes.js';
import { effAddr, getReg, opnd, readRm, setReg } from './operand.js';
import {
  descBase, descDpl, descLimit, descPresent, descTypeS, farCall, farJmp, farRet, fetchDescriptor, iret,
  loadSegment, readDescriptor, setCpl, SysType,
} from '../segmentation.js';
import { deliverInterrupt } from '../interrupts.js';
import { rdmsr, wrmsr } from '../msr.js';
import { Cr0, Cr4 } from '../mmu.js';

/** A VMX root-operation provider (installed in `cpu.vmxRoot` by the VMX implementation). */
export interface VmxRootProvider {
  execute(cpu: Cpu, insn: Insn): void;
}

/** Basic exit reasons of the VMX instructions (SDM Vol. 3C Appendix C). */
const VMX_REASON: Partial<Record<number, number>> = {
  [Op.VMCLEAR]: 19, [Op.VMLAUNCH]: 20, [Op.VMPTRLD]: 21, [Op.VMPTRST]: 22, [Op.VMREAD]: 23,
  [Op.VMRESUME]: 24, [Op.VMWRITE]: 25, [Op.VMXOFF]: 26, [Op.VMXON]: 27, [Op.INVEPT]: 50,
  [Op.INVVPID]: 53, [Op.VMFUNC]: 59,
};

/** System descriptor types LAR and LSL accept (SDM Vol. 2 LAR/LSL tables). */
const LAR_TYPES: readonly number[] = [1, 2, 3, 4, 5, 9, 0xb, 0xc];
const LSL_TYPES: readonly number[] = [1, 2, 3, 9, 0xb];

/** CR0 bits that exist: PE MP EM TS ET NE WP AM NW CD PG. */
const CR0_VALID = 0xe005003f | 0;

function requireCpl0(cpu: Cpu): void {
  if (cpu.cpl !== 0) cpu.raiseFault(Vec.GP, 0);
}

function setZf(cpu: Cpu, on: boolean): void {
  const f = cpu.getEflags();
  cpu.setEflags(on ? f | Flag.ZF : f & ~Flag.ZF);
}

function nonRootHooks(cpu: Cpu): NonRootHooks | null {
  return cpu.nonRoot ? cpu.hooks : null;
}

/** Linear address of the memory operand (segment base + effective address). */
function linearOf(cpu: Cpu, insn: Insn): number {
  return (cpu.seg[insn.seg]!.base + effAddr(cpu, insn)) >>> 0;
}

export function execSystem(cpu: Cpu, insn: Insn): void {
  const len = insn.length;
  const hooks = nonRootHooks(cpu);
  switch (insn.op) {
    // ------------------------------------------------------------ segment registers
    case Op.MOV_TO_SREG: {
      const sreg = insn.reg;
      if (sreg === SReg.CS || sreg > SReg.GS) cpu.raiseFault(Vec.UD);
      loadSegment(cpu, sreg as SReg, readRm(cpu, insn, 16));
      if (sreg === SReg.SS) cpu.interruptibility |= Interruptibility.MOV_SS;
      return;
    }
    case Op.POP_SREG: {
      const sreg = opnd(insn, 0) - Opnd.ES;
      const sp = cpu.getSp();
      const v = insn.opsize === 32 ? cpu.read32(SReg.SS, sp) & 0xffff : cpu.read16(SReg.SS, sp);
      const mask = cpu.stackMask;
      loadSegment(cpu, sreg as SReg, v);
      // SP is incremented with the stack-address size in effect before the load.
      const nsp = (sp + insn.opsize / 8) & mask;
      if (mask === -1) cpu.regs[Reg.ESP] = nsp;
      else cpu.regs[Reg.ESP] = (cpu.regs[Reg.ESP]! & ~0xffff) | (nsp & 0xffff);
      if (sreg === SReg.SS) cpu.interruptibility |= Interruptibility.MOV_SS;
      return;
    }
    case Op.LES: case Op.LDS: case Op.LSS: case Op.LFS: case Op.LGS: {
      if (insn.mod === 3) cpu.raiseFault(Vec.UD);
      const sreg = insn.op === Op.LES ? SReg.ES : insn.op === Op.LDS ? SReg.DS : insn.op === Op.LSS ? SReg.SS
        : insn.op === Op.LFS ? SReg.FS : SReg.GS;
      const ea = effAddr(cpu, insn);
      const off = insn.opsize === 32 ? cpu.read32(insn.seg, ea) : cpu.read16(insn.seg, ea);
      const sel = cpu.read16(insn.seg, (ea + insn.opsize / 8) & (insn.adsize === 16 ? 0xffff : -1));
      loadSegment(cpu, sreg, sel);
      setReg(cpu, insn.reg, insn.opsize, off);
      return;
    }

    // ------------------------------------------------------------ far transfers
    case Op.JMPF: case Op.CALLF: {
      let sel: number, off: number;
      if (opnd(insn, 0) === Opnd.Ap) {
        sel = insn.imm2 & 0xffff;
        off = insn.opsize === 32 ? insn.imm >>> 0 : insn.imm & 0xffff;
      } else {
        if (insn.mod === 3) cpu.raiseFault(Vec.UD);
        const ea = effAddr(cpu, insn);
        off = insn.opsize === 32 ? cpu.read32(insn.seg, ea) >>> 0 : cpu.read16(insn.seg, ea);
        sel = cpu.read16(insn.seg, (ea + insn.opsize / 8) & (insn.adsize === 16 ? 0xffff : -1));
      }
      if (insn.op === Op.JMPF) farJmp(cpu, sel, off, insn);
      else farCall(cpu, sel, off, insn);
      return;
    }
    case Op.RETF:
      farRet(cpu, insn.opcode === 0xca ? insn.imm & 0xffff : 0, insn);
      return;
    case Op.IRET:
      iret(cpu, insn);
      return;

    // ------------------------------------------------------------ interrupts
    case Op.INT:
      deliverInterrupt(cpu, insn.imm & 0xff, EventType.SOFTWARE_INTERRUPT, len);
      return;
    case Op.INT3:
      deliverInterrupt(cpu, Vec.BP, EventType.SOFTWARE_EXCEPTION, len);
      return;
    case Op.INTO:
      if ((cpu.getEflags() & Flag.OF) !== 0) deliverInterrupt(cpu, Vec.OF, EventType.SOFTWARE_EXCEPTION, len);
      return;
    case Op.INT1:
      deliverInterrupt(cpu, Vec.DB, EventType.PRIVILEGED_SOFTWARE_EXCEPTION, len);
      return;
    case Op.BOUND: {
      if (insn.mod === 3) cpu.raiseFault(Vec.UD);
      const ea = effAddr(cpu, insn);
      const sz = insn.opsize;
      const mask = insn.adsize === 16 ? 0xffff : -1;
      let idx = getReg(cpu, insn.reg, sz);
      let lo = sz === 32 ? cpu.read32(insn.seg, ea) : cpu.read16(insn.seg, ea);
      let hi = sz === 32 ? cpu.read32(insn.seg, (ea + 4) & mask) : cpu.read16(insn.seg, (ea + 2) & mask);
      if (sz === 16) { idx = (idx << 16) >> 16; lo = (lo << 16) >> 16; hi = (hi << 16) >> 16; }
      if (idx < lo || idx > hi) cpu.raiseFault(Vec.BR);
      return;
    }

    // ------------------------------------------------------------ protection queries
    case Op.ARPL: {
      const dst = readRm(cpu, insn, 16);
      const src = getReg(cpu, insn.reg, 16);
      if ((dst & 3) < (src & 3)) {
        if (insn.mod === 3) setReg(cpu, insn.rm, 16, (dst & ~3) | (src & 3));
        else cpu.write16(insn.seg, effAddr(cpu, insn), (dst & ~3) | (src & 3));
        setZf(cpu, true);
      } else {
        setZf(cpu, false);
      }
      return;
    }
    case Op.LAR: case Op.LSL: {
      const sel = readRm(cpu, insn, 16);
      const d = (sel & 0xfffc) === 0 ? null : readDescriptor(cpu, sel);
      let ok = d !== null;
      if (d !== null) {
        const ts = descTypeS(d.hi);
        if ((ts & 0x10) === 0) {
          ok = (insn.op === Op.LAR ? LAR_TYPES : LSL_TYPES).includes(ts);
        }
        const conformingCode = (ts & 0x1c) === 0x1c;
        if (ok && !conformingCode) {
          const dpl = descDpl(d.hi);
          if (dpl < cpu.cpl || dpl < (sel & 3)) ok = false;
        }
        if (ok) {
          const v = insn.op === Op.LAR ? (d.hi & 0x00f0ff00) : descLimit(d.lo, d.hi);
          setReg(cpu, insn.reg, insn.opsize, insn.opsize === 16 ? v & 0xffff : v | 0);
        }
      }
      setZf(cpu, ok);
      return;
    }
    case Op.VERR: case Op.VERW: {
      const sel = readRm(cpu, insn, 16);
      const d = (sel & 0xfffc) === 0 ? null : readDescriptor(cpu, sel);
      let ok = false;
      if (d !== null && (d.hi & 0x1000) !== 0) {
        const code = (d.hi & 0x800) !== 0;
        const conforming = code && (d.hi & 0x400) !== 0;
        ok = insn.op === Op.VERR ? (!code || (d.hi & 0x200) !== 0) : (!code && (d.hi & 0x200) !== 0);
        if (ok && !conforming) {
          const dpl = descDpl(d.hi);
          if (dpl < cpu.cpl || dpl < (sel & 3)) ok = false;
        }
      }
      setZf(cpu, ok);
      return;
    }

    // ------------------------------------------------------------ descriptor tables
    case Op.SGDT: case Op.SIDT: {
      if (hooks !== null) hooks.descriptorTable(46, len, insn, insn.disp);
      const t = insn.op === Op.SGDT ? cpu.gdtr : cpu.idtr;
      const ea = effAddr(cpu, insn);
      const mask = insn.adsize === 16 ? 0xffff : -1;
      cpu.write16(insn.seg, ea, t.limit & 0xffff);
      cpu.write32(insn.seg, (ea + 2) & mask, insn.opsize === 16 ? t.base & 0xffffff : t.base | 0);
      return;
    }
    case Op.LGDT: case Op.LIDT: {
      requireCpl0(cpu);
      if (hooks !== null) hooks.descriptorTable(46, len, insn, insn.disp);
      const ea = effAddr(cpu, insn);
      const mask = insn.adsize === 16 ? 0xffff : -1;
      const limit = cpu.read16(insn.seg, ea);
      let base = cpu.read32(insn.seg, (ea + 2) & mask) >>> 0;
      if (insn.opsize === 16) base &= 0xffffff;
      const t = insn.op === Op.LGDT ? cpu.gdtr : cpu.idtr;
      t.base = base;
      t.limit = limit;
      return;
    }
    case Op.SLDT: case Op.STR: {
      if (hooks !== null) hooks.descriptorTable(47, len, insn, insn.disp);
      const v = insn.op === Op.SLDT ? cpu.ldtr.selector : cpu.tr.selector;
      if (insn.mod === 3) setReg(cpu, insn.rm, insn.opsize, v & 0xffff);
      else cpu.write16(insn.seg, effAddr(cpu, insn), v);
      return;
    }
    case Op.LLDT: {
      requireCpl0(cpu);
      if (hooks !== null) hooks.descriptorTable(47, len, insn, insn.disp);
      const sel = readRm(cpu, insn, 16);
      if ((sel & 0xfffc) === 0) {
        cpu.ldtr = { selector: sel, base: 0, limit: 0, ar: AR.UNUSABLE };
        return;
      }
      if ((sel & 4) !== 0) cpu.raiseFault(Vec.GP, sel & 0xfffc);
      const d = fetchDescriptor(cpu, sel, Vec.GP);
      if (descTypeS(d.hi) !== SysType.LDT) cpu.raiseFault(Vec.GP, sel & 0xfffc);
      if (!descPresent(d.hi)) cpu.raiseFault(Vec.NP, sel & 0xfffc);
      cpu.ldtr = { selector: sel, base: descBase(d.lo, d.hi), limit: descLimit(d.lo, d.hi), ar: (d.hi >>> 8) & 0xf0ff };
      return;
    }
    case Op.LTR: {
      requireCpl0(cpu);
      if (hooks !== null) hooks.descriptorTable(47, len, insn, insn.disp);
      const sel = readRm(cpu, insn, 16);
      if ((sel & 0xfffc) === 0) cpu.raiseFault(Vec.GP, 0);
      if ((sel & 4) !== 0) cpu.raiseFault(Vec.GP, sel & 0xfffc);
      const d = fetchDescriptor(cpu, sel, Vec.GP);
      const t = descTypeS(d.hi);
      if (t !== SysType.TSS16_AVAIL && t !== SysType.TSS32_AVAIL) cpu.raiseFault(Vec.GP, sel & 0xfffc);
      if (!descPresent(d.hi)) cpu.raiseFault(Vec.NP, sel & 0xfffc);
      d.hi |= 0x200;
      cpu.mmu.writeSys(d.addr + 5, 1, (d.hi >>> 8) & 0xff);
      cpu.tr = { selector: sel, base: descBase(d.lo, d.hi), limit: descLimit(d.lo, d.hi), ar: (d.hi >>> 8) & 0xf0ff };
      return;
    }

    // ------------------------------------------------------------ control registers
    case Op.SMSW: {
      let v = cpu.cr0;
      if (hooks !== null) v = hooks.movFromCr(len, 0, -1, v);
      if (insn.mod === 3) setReg(cpu, insn.rm, insn.opsize, insn.opsize === 32 ? v : v & 0xffff);
      else cpu.write16(insn.seg, effAddr(cpu, insn), v & 0xffff);
      return;
    }
    case Op.LMSW: {
      requireCpl0(cpu);
      let src = readRm(cpu, insn, 16);
      if (hooks !== null) src = hooks.lmsw(len, src, insn.mod === 3 ? -1 : linearOf(cpu, insn), insn);
      // LMSW loads PE, MP, EM, TS; it can set PE but never clear it.
      const v = (cpu.cr0 & ~0xe) | (src & 0xf) | (cpu.cr0 & Cr0.PE);
      writeCr0(cpu, v);
      return;
    }
    case Op.CLTS:
      requireCpl0(cpu);
      if (hooks !== null) hooks.clts(len);
      cpu.cr0 &= ~Cr0.TS;
      return;
    case Op.MOV_FROM_CR: {
      requireCpl0(cpu);
      const cr = insn.reg;
      let v = readCr(cpu, cr);
      if (hooks !== null) v = hooks.movFromCr(len, cr, insn.rm, v);
      cpu.regs[insn.rm] = v;
      return;
    }
    case Op.MOV_TO_CR: {
      requireCpl0(cpu);
      const cr = insn.reg;
      let v = cpu.regs[insn.rm]!;
      if (hooks !== null) v = hooks.movToCr(len, cr, insn.rm, v);
      writeCr(cpu, cr, v);
      return;
    }
    case Op.MOV_FROM_DR: case Op.MOV_TO_DR: {
      requireCpl0(cpu);
      let dr = insn.reg;
      if (dr === 4 || dr === 5) {
        if ((cpu.cr4 & Cr4.DE) !== 0) cpu.raiseFault(Vec.UD);
        dr += 2;
      }
      const toDr = insn.op === Op.MOV_TO_DR;
      // MOV-DR exiting has priority over the general-detect #DB (KVM emulates GD after the exit).
      if (hooks !== null) hooks.movDr(len, insn.reg, insn.rm, toDr);
      if ((cpu.dr[7]! & 0x2000) !== 0) {
        // General detect: #DB (fault) with DR6.BD, DR7.GD cleared.
        cpu.dr[6] = cpu.dr[6]! | 0x2000;
        cpu.dr[7] = cpu.dr[7]! & ~0x2000;
        cpu.raiseFault(Vec.DB);
      }
      if (!toDr) {
        cpu.regs[insn.rm] = cpu.dr[dr]!;
      } else {
        const v = cpu.regs[insn.rm]!;
        if (dr === 6) cpu.dr[6] = (v & 0xe00f) | 0xffff0ff0;
        else if (dr === 7) cpu.dr[7] = (v & ~0xd800) | 0x400;
        else cpu.dr[dr] = v;
      }
      return;
    }

    // ------------------------------------------------------------ caches and TLB
    case Op.INVLPG: {
      requireCpl0(cpu);
      if (insn.mod === 3) cpu.raiseFault(Vec.UD);
      const lin = linearOf(cpu, insn);
      if (hooks !== null) hooks.invlpg(len, lin, insn);
      cpu.mmu.invlpg(lin);
      return;
    }
    case Op.INVD:
      requireCpl0(cpu);
      if (hooks !== null) hooks.invd(len);
      return;
    case Op.WBINVD:
      requireCpl0(cpu);
      if (hooks !== null) hooks.wbinvd(len);
      return;

    // ------------------------------------------------------------ MSRs, counters, CPUID
    case Op.RDMSR: {
      requireCpl0(cpu);
      const idx = cpu.regs[Reg.ECX]! >>> 0;
      if (hooks !== null) hooks.rdmsr(len, idx);
      const [lo, hi] = rdmsr(cpu, idx);
      cpu.regs[Reg.EAX] = lo;
      cpu.regs[Reg.EDX] = hi;
      return;
    }
    case Op.WRMSR: {
      requireCpl0(cpu);
      const idx = cpu.regs[Reg.ECX]! >>> 0;
      if (hooks !== null) hooks.wrmsr(len, idx);
      wrmsr(cpu, idx, cpu.regs[Reg.EAX]!, cpu.regs[Reg.EDX]!);
      return;
    }
    case Op.RDTSC: {
      if ((cpu.cr4 & Cr4.TSD) !== 0 && cpu.cpl !== 0 && (cpu.cr0 & 1) !== 0) cpu.raiseFault(Vec.GP, 0);
      if (hooks !== null) hooks.rdtsc(len);
      const t = Math.max(0, cpu.tsc());
      const hi = Math.floor(t / 0x100000000);
      cpu.regs[Reg.EAX] = (t - hi * 0x100000000) | 0;
      cpu.regs[Reg.EDX] = hi | 0;
      return;
    }
    case Op.RDPMC: {
      if ((cpu.cr4 & Cr4.PCE) === 0 && cpu.cpl !== 0 && (cpu.cr0 & 1) !== 0) cpu.raiseFault(Vec.GP, 0);
      // The counter-index #GP is not privilege-based: the VM exit has priority over it.
      if (hooks !== null) hooks.rdpmc(len);
      const ecx = cpu.regs[Reg.ECX]! >>> 0;
      if (ecx > 1) cpu.raiseFault(Vec.GP, 0);
      cpu.regs[Reg.EAX] = 0;
      cpu.regs[Reg.EDX] = 0;
      return;
    }
    case Op.CPUID: {
      if (hooks !== null) hooks.cpuid(len);
      const [a, b, c, d] = cpu.cpuidTable.lookup(cpu.regs[Reg.EAX]!, cpu.regs[Reg.ECX]!, cpu.vmxCapabilities !== null);
      cpu.regs[Reg.EAX] = a;
      cpu.regs[Reg.EBX] = b;
      cpu.regs[Reg.ECX] = c;
      cpu.regs[Reg.EDX] = d;
      return;
    }

    // ------------------------------------------------------------ fast system calls
    case Op.SYSENTER: sysenter(cpu); return;
    case Op.SYSEXIT: sysexit(cpu); return;

    // ------------------------------------------------------------ undefined / unsupported
    case Op.UD2: case Op.RSM:
      cpu.raiseFault(Vec.UD);
      return;
    case Op.MONITOR:
      if (hooks !== null) hooks.monitor(len);
      cpu.raiseFault(Vec.UD);
      return;
    case Op.MWAIT:
      if (hooks !== null) hooks.mwait(len);
      cpu.raiseFault(Vec.UD);
      return;
    case Op.XSETBV:
      cpu.raiseFault(Vec.UD);
      return;

    // ------------------------------------------------------------ VMX
    case Op.VMCALL:
      if (hooks !== null) {
        hooks.vmcall(len);
        return;
      }
      vmxRoot(cpu, insn);
      return;
    case Op.VMLAUNCH: case Op.VMRESUME: case Op.VMXOFF: case Op.VMPTRLD: case Op.VMPTRST:
    case Op.VMCLEAR: case Op.VMXON: case Op.VMREAD: case Op.VMWRITE: case Op.INVEPT: case Op.INVVPID:
    case Op.VMFUNC:
      if (hooks !== null) {
        hooks.vmxInstruction(VMX_REASON[insn.op]!, len, insn);
        return;
      }
      vmxRoot(cpu, insn);
      return;

    default:
      cpu.raiseFault(Vec.UD);
  }
}

/** VMX instruction in root operation: the provider, or #UD. */
function vmxRoot(cpu: Cpu, insn: Insn): void {
  const p = cpu.vmxRoot as VmxRootProvider | null;
  if (p === null || typeof p !== 'object' || typeof p.execute !== 'function' || (cpu.cr4 & Cr4.VMXE) === 0) {
    cpu.raiseFault(Vec.UD);
  }
  p.execute(cpu, insn);
}

// ---------------------------------------------------------------- control registers

export function readCr(cpu: Cpu, cr: number): number {
  switch (cr) {
    case 0: return cpu.cr0;
    case 2: return cpu.cr2;
    case 3: return cpu.cr3;
    case 4: return cpu.cr4;
    default: return cpu.raiseFault(Vec.UD);
  }
}

/** MOV to CRn with the SDM's checks and TLB/PDPTE side effects. */
export function writeCr(cpu: Cpu, cr: number, v: number): void {
  switch (cr) {
    case 0: writeCr0(cpu, v); return;
    case 2: cpu.cr2 = v; return;
    case 3: writeCr3(cpu, v); return;
    case 4: writeCr4(cpu, v); return;
    default: cpu.raiseFault(Vec.UD);
  }
}

/** CR4 bits this processor implements (VMXE only with a VMX capability provider). */
export function cr4Valid(cpu: Cpu): number {
  return Cr4.TSD | Cr4.DE | Cr4.PSE | Cr4.PAE | Cr4.MCE | Cr4.PGE | Cr4.PCE |
    (cpu.vmxCapabilities !== null ? Cr4.VMXE : 0);
}

/**
 * MOV to CR0 (SDM Vol. 2 MOV CR): #GP(0) for reserved bits, PG without PE, NW without CD, and
 * invalid PDPTEs when enabling PAE paging. ET is hard-wired to 1. Flushes the TLB when PG, PE or
 * WP change.
 */
export function writeCr0(cpu: Cpu, v: number): void {
  v |= 0;
  if ((v & ~CR0_VALID) !== 0) cpu.raiseFault(Vec.GP, 0);
  if ((v & Cr0.PG) !== 0 && (v & Cr0.PE) === 0) cpu.raiseFault(Vec.GP, 0);
  if ((v & Cr0.NW) !== 0 && (v & Cr0.CD) === 0) cpu.raiseFault(Vec.GP, 0);
  v |= Cr0.ET;
  const old = cpu.cr0;
  if ((v & Cr0.PG) !== 0 && (old & Cr0.PG) === 0 && (cpu.cr4 & Cr4.PAE) !== 0) {
    cpu.cr0 = v;
    const ok = cpu.mmu.loadPdptes();
    if (!ok) {
      cpu.cr0 = old;
      cpu.raiseFault(Vec.GP, 0);
    }
  }
  cpu.cr0 = v;
  if (((old ^ v) & (Cr0.PG | Cr0.PE | Cr0.WP)) !== 0) cpu.mmu.flushAll();
  if ((v & Cr0.PE) === 0) setCpl(cpu, 0);
}

export function writeCr3(cpu: Cpu, v: number): void {
  if (cpu.mmu.paePaging() && !cpu.mmu.loadPdptes(v)) cpu.raiseFault(Vec.GP, 0);
  cpu.cr3 = v;
  cpu.mmu.flushNonGlobal();
}

export function writeCr4(cpu: Cpu, v: number): void {
  v |= 0;
  if ((v & ~cr4Valid(cpu)) !== 0) cpu.raiseFault(Vec.GP, 0);
  const old = cpu.cr4;
  if ((old & Cr4.VMXE) !== 0 && (v & Cr4.VMXE) === 0 && cpu.vmxRoot !== null &&
      (cpu.vmxRoot as { inVmxOperation?: boolean }).inVmxOperation === true) {
    cpu.raiseFault(Vec.GP, 0);
  }
  if ((cpu.cr0 & Cr0.PG) !== 0 && (v & Cr4.PAE) !== 0 && ((old ^ v) & (Cr4.PAE | Cr4.PGE | Cr4.PSE)) !== 0) {
    cpu.cr4 = v;
    if (!cpu.mmu.loadPdptes()) {
      cpu.cr4 = old;
      cpu.raiseFault(Vec.GP, 0);
    }
  }
  cpu.cr4 = v;
  if (((old ^ v) & (Cr4.PAE | Cr4.PGE | Cr4.PSE)) !== 0) cpu.mmu.flushAll();
}

// ---------------------------------------------------------------- SYSENTER / SYSEXIT

/** SYSENTER (SDM Vol. 2): flat CPL-0 CS/SS from IA32_SYSENTER_CS. */
function sysenter(cpu: Cpu): void {
  if ((cpu.cr0 & 1) === 0) cpu.raiseFault(Vec.GP, 0);
  const sel = cpu.sysenterCs & 0xfffc;
  if (sel === 0) cpu.raiseFault(Vec.GP, 0);
  cpu.setEflags(cpu.getEflags() & ~(Flag.VM | Flag.IF | Flag.RF));
  const cs = cpu.seg[SReg.CS]!;
  cs.selector = sel; cs.base = 0; cs.limit = 0xffffffff; cs.ar = 0xc09b;
  const ss = cpu.seg[SReg.SS]!;
  ss.selector = (sel + 8) & 0xffff; ss.base = 0; ss.limit = 0xffffffff; ss.ar = 0xc093;
  setCpl(cpu, 0);
  cpu.regs[Reg.ESP] = cpu.sysenterEsp;
  cpu.eip = cpu.sysenterEip >>> 0;
}

/** SYSEXIT: flat CPL-3 CS/SS at IA32_SYSENTER_CS + 16 / + 24; EIP = EDX, ESP = ECX. */
function sysexit(cpu: Cpu): void {
  const sel = cpu.sysenterCs & 0xfffc;
  if (!cpu.protectedMode || cpu.cpl !== 0 || sel === 0) cpu.raiseFault(Vec.GP, 0);
  const cs = cpu.seg[SReg.CS]!;
  cs.selector = ((sel + 16) | 3) & 0xffff; cs.base = 0; cs.limit = 0xffffffff; cs.ar = 0xc0fb;
  const ss = cpu.seg[SReg.SS]!;
  ss.selector = ((sel + 24) | 3) & 0xffff; ss.base = 0; ss.limit = 0xffffffff; ss.ar = 0xc0f3;
  setCpl(cpu, 3);
  cpu.regs[Reg.ESP] = cpu.regs[Reg.ECX]!;
  cpu.eip = cpu.regs[Reg.EDX]! >>> 0;
}

// ---------------------------------------------------------------- I/O permission

/**
 * I/O permission for IN/OUT/INS/OUTS (SDM Vol. 1 18.5): in protected mode with CPL > IOPL, or in
 * virtual-8086 mode, every bit of the `size` ports from `port` must be clear in the 32-bit TSS's
 * I/O permission bitmap (both bytes read as the SDM describes); otherwise #GP(0). A 16-bit TSS or
 * a bitmap beyond the TSS limit denies access.
 */
export function checkIo(cpu: Cpu, port: number, size: number): void {
  if ((cpu.cr0 & 1) === 0) return;
  if (!cpu.v86 && cpu.cpl <= cpu.iopl) return;
  const tr = cpu.tr;
  const t = tr.ar & 0xf;
  if ((t !== SysType.TSS32_AVAIL && t !== SysType.TSS32_BUSY) || (tr.ar & AR.UNUSABLE) !== 0 || tr.limit >>> 0 < 0x67) {
    cpu.raiseFault(Vec.GP, 0);
  }
  const mapBase = cpu.mmu.readSys(tr.base + 0x66, 2);
  const off = mapBase + ((port & 0xffff) >>> 3);
  if (off + 1 > tr.limit >>> 0) cpu.raiseFault(Vec.GP, 0);
  const bits = cpu.mmu.readSys(tr.base + off, 2);
  const mask = ((1 << size) - 1) << (port & 7);
  if ((bits & mask) !== 0) cpu.raiseFault(Vec.GP, 0);
}
