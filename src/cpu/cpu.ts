/**
 * One IA-32 logical processor: architectural state, the instruction dispatch loop, segmented /
 * linear / physical memory access, the decoded-instruction cache, stack helpers and fault
 * unwinding.
 *
 * Models: real mode, 16/32-bit protected mode and virtual-8086 mode execution of the
 * general-purpose instruction set (exec/*.ts); system instructions, descriptor loads, interrupt
 * delivery, paging and task switches are in segmentation.ts, interrupts.ts, task.ts, mmu.ts,
 * exec/system.ts. VMX non-root operation is reached through `hooks` (vmx-hooks.ts).
 *
 * Does not model: long mode, x87/MMX/SSE (escapes raise #NM/#UD), caches and memory types,
 * alignment checking (#AC), instruction/data/I/O breakpoints in DR0-DR3 and the RF flag (only the
 * single-step #DB is delivered; no #DB after INT n/INT3/INTO/INT1, whose delivery clears TF),
 * multiple processors (LOCK is accepted and is trivially atomic here).
 *
 * Faults: an instruction checks before it commits where it can (compute, check, then commit).
 * `raiseFault()` records the exception and throws the `UNWIND` sentinel; the dispatch loop
 * catches it, puts EIP back at the faulting instruction and ESP back to its value at the start
 * of the instruction (so a push sequence that faults half-way is rolled back), then calls
 * `deliverException()`. REP string instructions update ESI/EDI/ECX per iteration, so a fault in
 * the middle resumes at the right element.
 *
 * Self-modifying code: decoded instructions are cached per host-physical RAM page, one slot per
 * byte offset. Every write to a page that holds cached instructions invalidates the slots of the
 * instructions that could overlap the written bytes, immediately; the next fetch re-decodes. So a
 * write to the very next instruction is seen at once (the simplest behaviour that satisfies the
 * SDM, which only requires it after a jump or serialising instruction). Instructions that cross a
 * page boundary, and code outside RAM (ROM behind `readSlow`), are decoded on every fetch and
 * never cached. Anything that writes RAM behind the CPU's back (a loader filling `phys.ram`, DMA,
 * a snapshot restore) must call `invalidateCode(hpa, len)` or `flushCodeCache()`.
 *
 * Fetch: the code page of the last fetch is remembered (`fetchLinPage`/`fetchPage`), so
 * straight-line code and loops within a page skip the TLB and code-cache lookups; the Mmu drops
 * it whenever a translation may change. The CS limit and the slot's validity (self-modifying
 * code) are still checked for every instruction.
 *
 * Dispatch: a handler table indexed by `insn.op` in exec/index.ts, chosen over a `switch` by
 * bench/cpu-dispatch.ts (see bench/cpu-dispatch.md for the numbers).
 */
import { Activity, AR, Flag, Interruptibility, Reg, SReg, StopReason, UNWIND, Vec, makeSegment } from './state.js';
import type { DescriptorTableRegister, Segment } from './state.js';
import { Insn } from './insn.js';
import { Access, EventType } from './vmx-hooks.js';
import type { NonRootHooks } from './vmx-hooks.js';
import { CcOp, getArithFlags, setFlagsEager } from './flags.js';
import type { LazyFlags } from './flags.js';
import type { PhysicalMemory } from '../memory/physical.js';
import type { InterruptController, IoBus } from '../devices/device.js';
import type { VirtualClock } from '../machine/clock.js';
import type { ProbeSite } from '../probes/site.js';
import { decode } from './decoder.js';
import type { ByteSource } from './decoder.js';
import { Mmu } from './mmu.js';
import { CpuidTable } from './cpuid.js';
import { deliverException, deliverInterrupt } from './interrupts.js';
import type { DeliveringEvent } from './interrupts.js';
import { execute } from './exec/index.js';
import { Op } from './opcodes.js';

/** EFLAGS bits that exist on this processor (bit 1 always reads 1). */
export const EFLAGS_VALID = 0x3f7fd5;
const EFLAGS_FIXED1 = 0x2;
const ARITH = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF;

/** Maximum REP iterations executed in one dispatch; the instruction then restarts (EIP unchanged),
 *  which gives interrupts and the budget a chance, as real processors do between iterations. */
export const REP_CHUNK = 4096;

/** Why a triple fault shut the processor down. */
export interface ShutdownInfo { vector: number; errorCode: number; cs: number; eip: number }

/** The VMX-capability provider H3 installs (capability MSRs 0x480-0x491). */
export interface VmxCapabilityProvider { readMsr(index: number): [number, number] | undefined }

/** Decoded instructions of one host-physical page: a slot per byte offset. */
class CodePage {
  readonly insns: (Insn | undefined)[] = new Array<Insn | undefined>(4096);
  /** Code size the slot was decoded for (16/32), 0 = empty/invalid. */
  readonly bits = new Uint8Array(4096);
}

/**
 * Instruction-byte source for the decoder: bytes at CS:EIP+i, with the 15-byte limit (#GP(0)),
 * the CS limit (#GP(0)) and page crossing (the second page is translated for execute access
 * when the decoder first touches it).
 */
class FetchSource implements ByteSource {
  lin = 0;
  eip = 0;
  limit = 0;
  /** Host-physical base of the first page when it is RAM, else -1. */
  hpPage = -1;
  crossed = false;
  constructor(private readonly cpu: Cpu, private readonly ram: Uint8Array) {}

  byte(i: number): number {
    const cpu = this.cpu;
    if (i >= 15) cpu.raiseFault(Vec.GP, 0);
    if (this.eip + i > this.limit) cpu.raiseFault(Vec.GP, 0);
    const o = (this.lin & 0xfff) + i;
    if (o < 4096) {
      if (this.hpPage >= 0) return this.ram[this.hpPage + o]!;
    } else {
      this.crossed = true;
    }
    return cpu.fetchLinear8((this.lin + i) | 0);
  }
}

export class Cpu implements LazyFlags {
  // ---- general registers and EIP ----
  readonly regs = new Int32Array(8);
  /** EIP as an unsigned number (0..2^32-1). */
  eip = 0;

  // ---- segments and descriptor tables ----
  readonly seg: Segment[] = [makeSegment(), makeSegment(), makeSegment(), makeSegment(), makeSegment(), makeSegment()];
  ldtr: Segment = { selector: 0, base: 0, limit: 0xffff, ar: 0x82 };
  tr: Segment = { selector: 0, base: 0, limit: 0xffff, ar: 0x8b };
  gdtr: DescriptorTableRegister = { base: 0, limit: 0xffff };
  idtr: DescriptorTableRegister = { base: 0, limit: 0xffff };

  // ---- control, debug, model-specific ----
  cr0 = 0x60000010;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  readonly dr = new Int32Array(8);
  efer = 0;
  /** Current privilege level (kept current by segment loads and mode switches). */
  cpl = 0;
  sysenterCs = 0;
  sysenterEsp = 0;
  sysenterEip = 0;
  patLo = 0x00070406;
  patHi = 0x00070406;
  debugctl = 0;
  apicBase = 0xfee00900;
  miscEnable = 0;
  featureControl = 0;
  /** MTRR storage: MSR index → [lo, hi] (msr.ts owns the meaning). */
  readonly mtrrs = new Map<number, [number, number]>();
  /** Added to the virtual TSC (IA32_TSC writes adjust it). */
  tscOffset = 0;
  /** When set, the TSC base comes from here (e.g. clock-derived) instead of instructionsRetired. */
  tscSource: (() => number) | null = null;
  /** Instructions are accounted to this clock (at run end and before every I/O or MMIO access). */
  clock: VirtualClock | null = null;
  vmxCapabilities: VmxCapabilityProvider | null = null;
  /** Seam for a VMX root-operation provider (exec/system.ts): null = VMX instructions #UD in root. */
  vmxRoot: unknown = null;

  // ---- buses ----
  readonly phys: PhysicalMemory;
  readonly ram: Uint8Array;
  readonly io: IoBus;
  intc: InterruptController | null;

  // ---- VMX non-root seam ----
  nonRoot = false;
  hooks: NonRootHooks | null = null;
  /** When set (and nonRoot), the run loop calls hooks.instructionBoundary() before every instruction. */
  eventCheck = false;
  /**
   * This CPU sets `eventCheck` again whenever EFLAGS.IF goes from 0 to 1 in non-root operation
   * (STI, and `setEflags`, which POPF, IRET, task switches and VM entry go through). So the
   * boundary hook may clear `eventCheck` while the only armed event is an interrupt window that
   * IF = 0 keeps closed (src/vmx/nonroot.ts), instead of being called before every instruction.
   */
  readonly eventCheckOnIf = true;
  /** Set by a hook that performed a VM exit, just before it throws UNWIND. */
  vmexitPending = false;

  // ---- non-register state ----
  activity: Activity = Activity.ACTIVE;
  interruptibility = 0;
  nmiPending = false;
  /** An INIT signal is pending (delivered at the next instruction boundary; in VMX non-root
   *  operation it causes a VM exit, SDM "INIT signal"). Set `eventCheck` along with it. */
  initPending = false;
  /** Applied to physical addresses by the Mmu (A20 gate): 0xFFFFFFFF or ~0x100000, as int32. */
  a20Mask = -1;

  readonly mmu: Mmu;
  cpuidTable: CpuidTable;

  instructionsRetired = 0;
  shutdownInfo: ShutdownInfo | null = null;
  /** The event being delivered through the IDT/IVT (interrupts.ts; VMX IDT-vectoring info). */
  readonly delivery: DeliveringEvent = { vector: 0, type: 0, hasErrorCode: false, errorCode: 0, active: false };
  /** Probe sites cpu:::exception and cpu:::interrupt (set by the machine; null = none). */
  probeException: ProbeSite | null = null;
  probeInterrupt: ProbeSite | null = null;
  /** Vector of the exception whose delivery ended in a triple fault (-1: none yet). */
  lastExceptionVector = -1;

  // ---- the pending exception (raiseFault → deliverException) ----
  /** Vector of the exception being raised, -1 when none. */
  excVector = -1;
  excHasErrorCode = false;
  excErrorCode = 0;

  // ---- lazy flags (flags.ts) and the rest of EFLAGS ----
  ccOp = CcOp.EFLAGS as number;
  ccSrc1 = 0;
  ccSrc2 = 0;
  ccRes = 0;
  ccFlags = 0;
  /** EFLAGS without the six arithmetic flags (bit 1 set). */
  eflagsRest = EFLAGS_FIXED1;

  // ---- the instruction being executed ----
  /** EIP of the current instruction (faults restart here). */
  insnStart = 0;
  /** ESP at the start of the current instruction (restored on a fault). */
  insnEsp = 0;
  /** The instruction being executed (for hooks that need it). */
  curInsn: Insn;

  /** Scratch for POPA (values read before any register is written). */
  readonly popaScratch = new Int32Array(8);

  /**
   * The code page of the last fetch: instructions at linear page `fetchLinPage` (linear >>> 12)
   * are looked up in `fetchPage` without the TLB and code-cache lookups. Only set while the
   * current TLB maps that page to RAM for execute access; the Mmu drops it (`forgetFetchPage`)
   * whenever a translation may change (flushes, INVLPG, context or privilege-class switch), and
   * `flushCodeCache` drops it. Self-modifying code is still seen: slots are validated by
   * `fetchPage.bits` as on the slow path.
   */
  private fetchLinPage = -1;
  private fetchPage: CodePage | null = null;

  private stopRequested = false;
  private clockSynced = 0;
  private readonly ramPages: number;
  private readonly codeCache: (CodePage | undefined)[];
  private readonly fetchSrc: FetchSource;
  private readonly scratch = new Insn();

  constructor(phys: PhysicalMemory, io: IoBus, intc: InterruptController | null = null) {
    this.phys = phys;
    this.ram = phys.ram;
    this.io = io;
    this.intc = intc;
    this.ramPages = Math.ceil(phys.ram.length / 4096);
    this.codeCache = new Array<CodePage | undefined>(this.ramPages);
    this.fetchSrc = new FetchSource(this, this.ram);
    this.curInsn = this.scratch;
    this.mmu = new Mmu(this);
    this.cpuidTable = new CpuidTable();
    this.reset();
  }

  // =============================================================================================
  // Reset and test set-up
  // =============================================================================================

  /** Power-on / RESET state (SDM Vol. 3A, "Processor State After Reset"). */
  reset(): void {
    this.regs.fill(0);
    this.regs[Reg.EDX] = 0x00000600; // family 6
    this.eip = 0xfff0;
    for (let i = 0; i < 6; i++) {
      const s = this.seg[i]!;
      s.selector = 0; s.base = 0; s.limit = 0xffff; s.ar = 0x93;
    }
    const cs = this.seg[SReg.CS]!;
    cs.selector = 0xf000; cs.base = 0xffff0000; cs.ar = 0x9b;
    this.ldtr = { selector: 0, base: 0, limit: 0xffff, ar: 0x82 };
    this.tr = { selector: 0, base: 0, limit: 0xffff, ar: 0x8b };
    this.gdtr = { base: 0, limit: 0xffff };
    this.idtr = { base: 0, limit: 0xffff };
    this.cr0 = 0x60000010; this.cr2 = 0; this.cr3 = 0; this.cr4 = 0;
    this.dr.fill(0);
    this.dr[6] = 0xffff0ff0 | 0;
    this.dr[7] = 0x400;
    this.efer = 0;
    this.cpl = 0;
    this.setEflags(EFLAGS_FIXED1);
    this.activity = Activity.ACTIVE;
    this.interruptibility = 0;
    this.nmiPending = false;
    this.excVector = -1;
    this.shutdownInfo = null;
    this.vmexitPending = false;
    this.a20Mask = -1;
    this.mmu.flushAll();
  }

  /**
   * Flat state for tests and boot loaders: CR0.PE (32-bit) or real mode (16-bit), all segments
   * base 0, CPL 0, limit 4 GiB (32) or 64 KiB (16), EIP and ESP as given.
   */
  setFlat(bits: 16 | 32, eip: number, esp: number): void {
    for (let i = 0; i < 6; i++) {
      const s = this.seg[i]!;
      s.base = 0;
      if (bits === 32) {
        s.selector = i === SReg.CS ? 0x08 : 0x10;
        s.limit = 0xffffffff;
        s.ar = i === SReg.CS ? 0xc09b : 0xc093;
      } else {
        s.selector = 0; s.limit = 0xffff; s.ar = i === SReg.CS ? 0x9b : 0x93;
      }
    }
    this.cr0 = bits === 32 ? (this.cr0 | 1) : (this.cr0 & ~1);
    this.cpl = 0;
    this.setEflags(EFLAGS_FIXED1);
    this.eip = eip >>> 0;
    this.regs[Reg.ESP] = esp;
    this.activity = Activity.ACTIVE;
    this.mmu.flushAll();
  }

  // =============================================================================================
  // EFLAGS
  // =============================================================================================

  getEflags(): number {
    return (this.eflagsRest | getArithFlags(this)) >>> 0;
  }

  /** Raw write of EFLAGS (no privilege rules: POPF/IRET apply those before calling). */
  setEflags(v: number): void {
    const wasIf = this.eflagsRest & Flag.IF;
    this.eflagsRest = (v & EFLAGS_VALID & ~ARITH) | EFLAGS_FIXED1;
    setFlagsEager(this, v);
    if (wasIf === 0 && (v & Flag.IF) !== 0 && this.nonRoot) this.eventCheck = true; // see eventCheckOnIf
  }

  get iopl(): number {
    return (this.eflagsRest >>> 12) & 3;
  }

  /** Protected mode and not virtual-8086 mode (segment rights are checked). */
  get protectedMode(): boolean {
    return (this.cr0 & 1) !== 0 && (this.eflagsRest & Flag.VM) === 0;
  }

  get v86(): boolean {
    return (this.eflagsRest & Flag.VM) !== 0;
  }

  /** Virtual time-stamp counter (RDTSC in exec/system.ts reads this). */
  tsc(): number {
    return (this.tscSource !== null ? this.tscSource() : this.instructionsRetired) + this.tscOffset;
  }

  // =============================================================================================
  // Faults
  // =============================================================================================

  /** Record a fault (or a trap raised by the instruction itself) and unwind the instruction. */
  raiseFault(vector: number, errorCode?: number): never {
    this.excVector = vector;
    this.excHasErrorCode = errorCode !== undefined;
    this.excErrorCode = errorCode === undefined ? 0 : errorCode;
    throw UNWIND;
  }

  /** Ask run() to return StopReason.REQUESTED at the next instruction boundary. */
  requestStop(): void {
    this.stopRequested = true;
  }

  // =============================================================================================
  // Run loop
  // =============================================================================================

  /** Execute exactly one instruction (or deliver one pending event). */
  step(): StopReason {
    return this.run(1);
  }

  /**
   * Execute up to `budget` instructions. Returns why it stopped (state.ts StopReason). A halted
   * processor with nothing to wake it returns HALT at once without spending budget.
   */
  run(budget: number): StopReason {
    let remaining = budget;
    let nested = 0;
    for (;;) {
      try {
        if (this.excVector >= 0) {
          // A fault was unwound: deliver it. A fault during delivery comes back here; after
          // more than a few in a row something is badly wrong: shut down rather than spin.
          if (++nested > 4) return this.finish(this.shutdown());
          deliverException(this);
          this.excVector = -1;
          if (this.activity === Activity.SHUTDOWN) return this.finish(StopReason.SHUTDOWN);
        }
        nested = 0;
        if (this.activity !== Activity.ACTIVE) {
          if (this.activity === Activity.SHUTDOWN) return this.finish(StopReason.SHUTDOWN);
          if (!this.wake()) return this.finish(StopReason.HALT);
        }
        while (remaining > 0) {
          remaining--;
          this.stepOne();
          const act = this.activity as Activity;
          if (act !== Activity.ACTIVE) {
            return this.finish(act === Activity.SHUTDOWN ? StopReason.SHUTDOWN : StopReason.HALT);
          }
          if (this.stopRequested) {
            this.stopRequested = false;
            return this.finish(StopReason.REQUESTED);
          }
        }
        return this.finish(StopReason.BUDGET);
      } catch (e) {
        if (e !== UNWIND) throw e;
        if (this.vmexitPending) {
          this.vmexitPending = false;
          this.excVector = -1;
          return this.finish(StopReason.VMEXIT);
        }
        if (this.excVector < 0) throw new Error('cpu: UNWIND without a pending exception or VM exit');
        // A fault: back to the start of the instruction.
        this.eip = this.insnStart;
        this.regs[Reg.ESP] = this.insnEsp;
      }
    }
  }

  private shutdown(): StopReason {
    this.activity = Activity.SHUTDOWN;
    this.shutdownInfo = { vector: this.excVector, errorCode: this.excErrorCode, cs: this.seg[SReg.CS]!.selector, eip: this.eip };
    this.excVector = -1;
    return StopReason.SHUTDOWN;
  }

  private finish(r: StopReason): StopReason {
    this.syncClock();
    return r;
  }

  /** Account retired instructions to the virtual clock (before device accesses, at run end). */
  syncClock(): void {
    const c = this.clock;
    if (c !== null) {
      const n = this.instructionsRetired - this.clockSynced;
      if (n > 0) c.addInstructions(n);
      this.clockSynced = this.instructionsRetired; // (instructionsRetired may be rewritten by VMX)
    }
  }

  /** Halted: an unmasked interrupt or NMI resumes execution (and is delivered). */
  private wake(): boolean {
    if (this.nonRoot && this.eventCheck) {
      this.insnStart = this.eip;
      this.insnEsp = this.regs[Reg.ESP]!;
      this.hooks!.instructionBoundary();
      if (this.activity === Activity.ACTIVE) return true;
    }
    if (this.nmiPending && (this.interruptibility & Interruptibility.NMI) === 0) {
      this.activity = Activity.ACTIVE;
      return true;
    }
    if (!this.nonRoot && this.intc !== null && (this.eflagsRest & Flag.IF) !== 0 && this.intc.pending()) {
      this.activity = Activity.ACTIVE;
      return true;
    }
    return false;
  }

  /** Events at an instruction boundary, then one instruction. */
  private stepOne(): void {
    // ---- events at the boundary ----
    if (this.nonRoot && this.eventCheck) {
      // insnStart is where a VM exit (or a fault while the hook injects an event) resumes.
      this.insnStart = this.eip;
      this.insnEsp = this.regs[Reg.ESP]!;
      this.hooks!.instructionBoundary();
    }
    const shadow = this.interruptibility & (Interruptibility.STI | Interruptibility.MOV_SS);
    if (shadow === 0) {
      if (this.nmiPending && (this.interruptibility & Interruptibility.NMI) === 0) {
        this.nmiPending = false;
        this.interruptibility |= Interruptibility.NMI;
        this.insnStart = this.eip;
        this.insnEsp = this.regs[Reg.ESP]!;
        deliverInterrupt(this, Vec.NMI, EventType.NMI, 0);
        return;
      }
      if (!this.nonRoot && (this.eflagsRest & Flag.IF) !== 0 && this.intc !== null && this.intc.pending()) {
        const vector = this.intc.acknowledge();
        this.insnStart = this.eip;
        this.insnEsp = this.regs[Reg.ESP]!;
        deliverInterrupt(this, vector, EventType.EXTERNAL_INTERRUPT, 0);
        return;
      }
    }

    // ---- fetch ----
    const start = this.eip;
    this.insnStart = start;
    this.insnEsp = this.regs[Reg.ESP]!;
    const insn = this.fetch(); // EIP now points at the next instruction
    this.curInsn = insn;
    const tf = this.eflagsRest & Flag.TF;

    // ---- execute ----
    execute(this, insn);
    this.instructionsRetired++;

    // ---- after the instruction ----
    if (shadow !== 0) this.interruptibility &= ~shadow;
    if (tf !== 0 && (insn.op < Op.INT3 || insn.op > Op.INT1)) {
      // Single-step trap: #DB after the instruction with DR6.BS (SDM Vol. 3B, "Single-Step
      // Exception Condition"). EIP already points at the next instruction. Not after INT3/INT n/
      // INTO/INT1, whose delivery cleared TF (the handler is entered without a trap).
      this.dr[6] = this.dr[6]! | 0x4000;
      this.insnStart = this.eip;
      this.insnEsp = this.regs[Reg.ESP]!;
      this.excVector = Vec.DB;
      this.excHasErrorCode = false;
      this.excErrorCode = 0;
      deliverException(this);
      this.excVector = -1;
    }
  }

  // =============================================================================================
  // Instruction fetch and the decoded-instruction cache
  // =============================================================================================

  /** Fetch (decode or look up) the instruction at CS:EIP and advance EIP past it (wrapping at
   *  64 KiB in 16-bit code). */
  private fetch(): Insn {
    const cs = this.seg[SReg.CS]!;
    const eip = this.eip;
    const lin = (cs.base + eip) | 0;
    const bits = (cs.ar & AR.DB) !== 0 ? 32 : 16;
    let insn: Insn | undefined;
    if ((lin >>> 12) === this.fetchLinPage) {
      // Hot path: same code page as the last fetch, a cached decode for this byte and code size.
      const page = this.fetchPage!;
      const off = lin & 0xfff;
      if (page.bits[off] === bits) {
        insn = page.insns[off]!;
        if (eip + insn.length - 1 > (cs.limit >>> 0)) this.raiseFault(Vec.GP, 0);
      }
    }
    if (insn === undefined) insn = this.fetchSlow(cs, eip, lin, bits);
    const next = eip + insn.length;
    this.eip = bits === 32 ? next >>> 0 : next & 0xffff;
    return insn;
  }

  /** Fetch through the TLB and the code cache; decodes on a miss. */
  private fetchSlow(cs: Segment, eip: number, lin: number, bits: 16 | 32): Insn {
    const off = lin & 0xfff;
    let hp = this.mmu.tlbExec[lin >>> 12]! - 1;
    if (hp === -1) {
      const pa = this.mmu.translate(lin, this.accessBits(Access.EXECUTE));
      hp = this.mmu.tlbExec[lin >>> 12]! - 1;
      if (hp === -1 && pa < this.ram.length) hp = pa - (pa & 0xfff);
    }
    const tlbMapped = hp !== -1 && this.mmu.tlbExec[lin >>> 12]! - 1 === hp;
    const src = this.fetchSrc;
    src.lin = lin;
    src.eip = eip;
    src.limit = cs.limit >>> 0;
    src.crossed = false;
    if (hp === -1) {
      // Not RAM (ROM/MMIO behind readSlow): decode every time.
      src.hpPage = -1;
      decode(this.scratch, src, bits);
      return this.scratch;
    }
    const ppn = hp >>> 12;
    let page = this.codeCache[ppn];
    if (page === undefined) {
      page = new CodePage();
      this.codeCache[ppn] = page;
    }
    if (tlbMapped) {
      this.fetchLinPage = lin >>> 12;
      this.fetchPage = page;
    }
    if (page.bits[off] === bits) {
      const insn = page.insns[off]!;
      if (eip + insn.length - 1 > src.limit) this.raiseFault(Vec.GP, 0);
      return insn;
    }
    src.hpPage = hp;
    let insn = page.insns[off];
    if (insn === undefined) {
      insn = new Insn();
      page.insns[off] = insn;
    }
    page.bits[off] = 0;
    decode(insn, src, bits);
    if (!src.crossed) page.bits[off] = bits;
    return insn;
  }

  /** Drop the fetch page (the Mmu calls this whenever a linear-to-physical mapping may change). */
  forgetFetchPage(): void {
    this.fetchLinPage = -1;
    this.fetchPage = null;
  }

  /** Code-fetch read of one byte at a linear address (second page of a crossing instruction). */
  fetchLinear8(lin: number): number {
    const hp = this.mmu.tlbExec[lin >>> 12]! - 1;
    if (hp !== -1) return this.ram[hp + (lin & 0xfff)]!;
    return this.readPhys8(this.mmu.translate(lin, this.accessBits(Access.EXECUTE)));
  }

  /** Forget decoded instructions overlapping host-physical [hpa, hpa+len) (DMA, loaders). */
  invalidateCode(hpa: number, len: number): void {
    if (len <= 0) return;
    const first = Math.max(0, Math.floor(hpa / 4096));
    const last = Math.min(this.ramPages - 1, Math.floor((hpa + len - 1) / 4096));
    for (let p = first; p <= last; p++) {
      if (this.codeCache[p] !== undefined) {
        const from = p === first ? (hpa & 0xfff) : 0;
        const to = p === last ? ((hpa + len - 1) & 0xfff) : 0xfff;
        this.invalidateSlots(p, from, to);
      }
    }
  }

  /** Invalidate the slots of instructions that may overlap bytes [from, to] of page `ppn`. */
  private invalidateSlots(ppn: number, from: number, to: number): void {
    const bits = this.codeCache[ppn]!.bits;
    let o = from - 14;
    if (o < 0) o = 0;
    for (; o <= to; o++) bits[o] = 0;
  }

  /** Drop the whole decoded-instruction cache (e.g. after a snapshot restore). */
  flushCodeCache(): void {
    this.codeCache.fill(undefined);
    this.forgetFetchPage();
  }

  // =============================================================================================
  // Segmented access (SDM Vol. 3A, "Limit Checking", "Type Checking")
  // =============================================================================================

  /** Linear address of a `size`-byte read at `offset` in segment `sreg`, after the checks. */
  segRead(sreg: number, offset: number, size: number): number {
    const s = this.seg[sreg]!;
    const ar = s.ar;
    if ((this.cr0 & 1) !== 0 && (this.eflagsRest & Flag.VM) === 0) {
      if ((ar & AR.UNUSABLE) !== 0 || (ar & 0x1a) === 0x18) this.segFault(sreg);
    }
    if ((ar & 0x1c) === 0x14 || (offset >>> 0) + size - 1 > (s.limit >>> 0)) {
      this.limitCheck(sreg, s, offset, size); // expand-down, or a fault
    }
    return (s.base + offset) | 0;
  }

  /** Linear address of a `size`-byte write at `offset` in segment `sreg`, after the checks. */
  segWrite(sreg: number, offset: number, size: number): number {
    const s = this.seg[sreg]!;
    const ar = s.ar;
    if ((this.cr0 & 1) !== 0 && (this.eflagsRest & Flag.VM) === 0) {
      if ((ar & AR.UNUSABLE) !== 0 || (ar & 0x1a) !== 0x12) this.segFault(sreg);
    }
    if ((ar & 0x1c) === 0x14 || (offset >>> 0) + size - 1 > (s.limit >>> 0)) {
      this.limitCheck(sreg, s, offset, size); // expand-down, or a fault
    }
    return (s.base + offset) | 0;
  }

  private limitCheck(sreg: number, s: Segment, offset: number, size: number): void {
    const off = offset >>> 0;
    const end = off + size - 1;
    if ((s.ar & 0x1c) === 0x14) {
      // expand-down data segment: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF
      const upper = (s.ar & AR.DB) !== 0 ? 0xffffffff : 0xffff;
      if (off <= (s.limit >>> 0) || end > upper) this.segFault(sreg);
    } else if (end > (s.limit >>> 0)) {
      this.segFault(sreg);
    }
  }

  private segFault(sreg: number): never {
    return this.raiseFault(sreg === SReg.SS ? Vec.SS : Vec.GP, 0);
  }

  read8(sreg: number, offset: number): number {
    return this.readLinear8(this.segRead(sreg, offset, 1));
  }
  read16(sreg: number, offset: number): number {
    return this.readLinear16(this.segRead(sreg, offset, 2));
  }
  read32(sreg: number, offset: number): number {
    return this.readLinear32(this.segRead(sreg, offset, 4));
  }
  write8(sreg: number, offset: number, v: number): void {
    this.writeLinear8(this.segWrite(sreg, offset, 1), v);
  }
  write16(sreg: number, offset: number, v: number): void {
    this.writeLinear16(this.segWrite(sreg, offset, 2), v);
  }
  write32(sreg: number, offset: number, v: number): void {
    this.writeLinear32(this.segWrite(sreg, offset, 4), v);
  }

  // =============================================================================================
  // Linear access (Mmu TLB fast path; page-crossing accesses split)
  // =============================================================================================

  /** Access bits for the Mmu/EPT: kind | USER at CPL 3 | LINEAR_VALID. */
  accessBits(kind: number): number {
    return kind | (this.cpl === 3 ? Access.USER : 0) | Access.LINEAR_VALID;
  }

  readLinear8(lin: number): number {
    const hp = this.mmu.tlbRead[lin >>> 12]! - 1;
    if (hp !== -1) return this.ram[hp + (lin & 0xfff)]!;
    return this.readPhys8(this.mmu.translate(lin, this.accessBits(Access.READ)));
  }

  readLinear16(lin: number): number {
    const o = lin & 0xfff;
    if (o <= 0xffe) {
      const hp = this.mmu.tlbRead[lin >>> 12]! - 1;
      if (hp !== -1) {
        const a = hp + o;
        const ram = this.ram;
        return ram[a]! | (ram[a + 1]! << 8);
      }
      return this.readPhys16(this.mmu.translate(lin, this.accessBits(Access.READ)));
    }
    return this.readLinear8(lin) | (this.readLinear8((lin + 1) | 0) << 8);
  }

  /** 32-bit read, returned as int32. */
  readLinear32(lin: number): number {
    const o = lin & 0xfff;
    if (o <= 0xffc) {
      const hp = this.mmu.tlbRead[lin >>> 12]! - 1;
      if (hp !== -1) {
        const a = hp + o;
        const ram = this.ram;
        return ram[a]! | (ram[a + 1]! << 8) | (ram[a + 2]! << 16) | (ram[a + 3]! << 24);
      }
      return this.readPhys32(this.mmu.translate(lin, this.accessBits(Access.READ)));
    }
    return this.readLinear8(lin) | (this.readLinear8((lin + 1) | 0) << 8) |
      (this.readLinear8((lin + 2) | 0) << 16) | (this.readLinear8((lin + 3) | 0) << 24);
  }

  writeLinear8(lin: number, v: number): void {
    const hp = this.mmu.tlbWrite[lin >>> 12]! - 1;
    if (hp !== -1) {
      const a = hp + (lin & 0xfff);
      this.ram[a] = v;
      if (this.codeCache[a >>> 12] !== undefined) this.invalidateSlots(a >>> 12, a & 0xfff, a & 0xfff);
      return;
    }
    this.writePhys8(this.mmu.translate(lin, this.accessBits(Access.WRITE)), v);
  }

  writeLinear16(lin: number, v: number): void {
    const o = lin & 0xfff;
    if (o <= 0xffe) {
      const hp = this.mmu.tlbWrite[lin >>> 12]! - 1;
      if (hp !== -1) {
        const a = hp + o;
        const ram = this.ram;
        ram[a] = v;
        ram[a + 1] = v >> 8;
        if (this.codeCache[a >>> 12] !== undefined) this.invalidateSlots(a >>> 12, o, o + 1);
        return;
      }
      this.writePhys16(this.mmu.translate(lin, this.accessBits(Access.WRITE)), v);
      return;
    }
    this.writeSplit(lin, v, 2);
  }

  writeLinear32(lin: number, v: number): void {
    const o = lin & 0xfff;
    if (o <= 0xffc) {
      const hp = this.mmu.tlbWrite[lin >>> 12]! - 1;
      if (hp !== -1) {
        const a = hp + o;
        const ram = this.ram;
        ram[a] = v;
        ram[a + 1] = v >> 8;
        ram[a + 2] = v >> 16;
        ram[a + 3] = v >> 24;
        if (this.codeCache[a >>> 12] !== undefined) this.invalidateSlots(a >>> 12, o, o + 3);
        return;
      }
      this.writePhys32(this.mmu.translate(lin, this.accessBits(Access.WRITE)), v);
      return;
    }
    this.writeSplit(lin, v, 4);
  }

  /** A write crossing a page boundary: both pages are translated (and may fault) before any
   *  byte is written. */
  private writeSplit(lin: number, v: number, size: number): void {
    const acc = this.accessBits(Access.WRITE);
    const pa0 = this.mmu.translate(lin, acc);
    const second = (lin + size - 1) | 0;
    const pa1 = this.mmu.translate(second & ~0xfff, acc);
    for (let i = 0; i < size; i++) {
      const l = (lin + i) | 0;
      const pa = (l & ~0xfff) === (lin & ~0xfff) ? pa0 + i : pa1 + (l & 0xfff);
      this.writePhys8(pa, (v >> (8 * i)) & 0xff);
    }
  }

  // =============================================================================================
  // Physical access (RAM fast path, else PhysicalMemory.readSlow/writeSlow)
  // =============================================================================================

  readPhys8(hpa: number): number {
    if (hpa < this.ram.length) return this.ram[hpa]!;
    this.syncClock();
    return this.phys.readSlow(hpa, 1) & 0xff;
  }

  readPhys16(hpa: number): number {
    if (hpa + 1 < this.ram.length) return this.ram[hpa]! | (this.ram[hpa + 1]! << 8);
    this.syncClock();
    return this.phys.readSlow(hpa, 2) & 0xffff;
  }

  /** 32-bit physical read, returned as int32. */
  readPhys32(hpa: number): number {
    const ram = this.ram;
    if (hpa + 3 < ram.length) return ram[hpa]! | (ram[hpa + 1]! << 8) | (ram[hpa + 2]! << 16) | (ram[hpa + 3]! << 24);
    this.syncClock();
    return this.phys.readSlow(hpa, 4) | 0;
  }

  writePhys8(hpa: number, v: number): void {
    if (hpa < this.ram.length) {
      this.ram[hpa] = v;
      if (this.codeCache[hpa >>> 12] !== undefined) this.invalidateSlots(hpa >>> 12, hpa & 0xfff, hpa & 0xfff);
      return;
    }
    this.syncClock();
    this.phys.writeSlow(hpa, 1, v & 0xff);
  }

  writePhys16(hpa: number, v: number): void {
    if (hpa + 1 < this.ram.length) {
      this.ram[hpa] = v;
      this.ram[hpa + 1] = v >> 8;
      this.invalidateCode(hpa, 2);
      return;
    }
    this.syncClock();
    this.phys.writeSlow(hpa, 2, v & 0xffff);
  }

  writePhys32(hpa: number, v: number): void {
    if (hpa + 3 < this.ram.length) {
      const ram = this.ram;
      ram[hpa] = v;
      ram[hpa + 1] = v >> 8;
      ram[hpa + 2] = v >> 16;
      ram[hpa + 3] = v >> 24;
      this.invalidateCode(hpa, 4);
      return;
    }
    this.syncClock();
    this.phys.writeSlow(hpa, 4, v >>> 0);
  }

  // =============================================================================================
  // Stack (SS.B selects ESP or SP)
  // =============================================================================================

  /** Address-size mask of the stack pointer. */
  get stackMask(): number {
    return (this.seg[SReg.SS]!.ar & AR.DB) !== 0 ? -1 : 0xffff;
  }

  /** Set ESP or SP (per SS.B) to `v`. */
  setSp(v: number): void {
    if ((this.seg[SReg.SS]!.ar & AR.DB) !== 0) this.regs[Reg.ESP] = v;
    else this.regs[Reg.ESP] = (this.regs[Reg.ESP]! & ~0xffff) | (v & 0xffff);
  }

  /** Current stack-pointer offset (ESP or SP per SS.B), unsigned. */
  getSp(): number {
    const esp = this.regs[Reg.ESP]!;
    return (this.seg[SReg.SS]!.ar & AR.DB) !== 0 ? esp >>> 0 : esp & 0xffff;
  }

  push16(v: number): void {
    const big = (this.seg[SReg.SS]!.ar & AR.DB) !== 0;
    const esp = this.regs[Reg.ESP]!;
    const sp = big ? (esp - 2) >>> 0 : (esp - 2) & 0xffff;
    this.writeLinear16(this.segWrite(SReg.SS, sp, 2), v);
    this.regs[Reg.ESP] = big ? sp : (esp & ~0xffff) | sp;
  }

  push32(v: number): void {
    const big = (this.seg[SReg.SS]!.ar & AR.DB) !== 0;
    const esp = this.regs[Reg.ESP]!;
    const sp = big ? (esp - 4) >>> 0 : (esp - 4) & 0xffff;
    this.writeLinear32(this.segWrite(SReg.SS, sp, 4), v);
    this.regs[Reg.ESP] = big ? sp : (esp & ~0xffff) | sp;
  }

  pop16(): number {
    const big = (this.seg[SReg.SS]!.ar & AR.DB) !== 0;
    const esp = this.regs[Reg.ESP]!;
    const sp = big ? esp >>> 0 : esp & 0xffff;
    const v = this.readLinear16(this.segRead(SReg.SS, sp, 2));
    this.regs[Reg.ESP] = big ? sp + 2 : (esp & ~0xffff) | ((sp + 2) & 0xffff);
    return v;
  }

  /** 32-bit pop, returned as int32. */
  pop32(): number {
    const big = (this.seg[SReg.SS]!.ar & AR.DB) !== 0;
    const esp = this.regs[Reg.ESP]!;
    const sp = big ? esp >>> 0 : esp & 0xffff;
    const v = this.readLinear32(this.segRead(SReg.SS, sp, 4));
    this.regs[Reg.ESP] = big ? sp + 4 : (esp & ~0xffff) | ((sp + 4) & 0xffff);
    return v;
  }
}
