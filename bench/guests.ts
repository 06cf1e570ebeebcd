/**
 * The benchmark guests, built as raw bytes: one tiny 32-bit guest per VM-exit kind and per
 * compute-bound workload. Each is a flat binary loaded at 1 MiB that vtx boots with
 * `boot: 'flat', flatAddr: 0x100000, flatMode: 32`, and that also carries a Multiboot v1 header
 * with the a.out kludge (flags bit 16), so `qemu-system-i386 -kernel` runs the very same bytes.
 *
 * Every guest has the same shape:
 *
 *   start:  jmp main ; Multiboot header ; data (K, counters, GDT)
 *   main:   lgdt, reload segments, ESP = 0x80000, per-guest set-up (IDT, PIC, PIT, paging)
 *   outer:  EBP = K
 *   inner:  <body>          ; one exiting instruction, or a block of compute work
 *           dec ebp ; jnz inner
 *           out 0xF4, 0     ; isa-debug-exit: vtx's run() returns; QEMU exits with status 1
 *           jmp outer       ; the next run() on the same machine does K more iterations
 *
 * EBP is the loop counter because CPUID, RDMSR and WRMSR write EAX, EBX, ECX, EDX.
 * Unexpected exceptions and interrupts end the guest with isa-debug-exit value 1 (a failure the
 * bench reports loudly). Models nothing beyond what these loops need.
 */
import { Asm, R32, SReg32 } from './asm.js';

/** Load address of every bench guest (QEMU's multiboot loader and vtx's flat boot). */
export const GUEST_BASE = 0x100000;
/** isa-debug-exit port (QEMU: -device isa-debug-exit,iobase=0xf4,iosize=4). */
export const DEBUG_EXIT_PORT = 0xf4;

/** Basic exit reasons used by the guests (SDM Vol. 3D, Appendix C). */
export const ExitReason = {
  EXTERNAL_INTERRUPT: 1,
  CPUID: 10,
  HLT: 12,
  VMCALL: 18,
  CR_ACCESS: 28,
  IO_INSTRUCTION: 30,
  MSR_READ: 31,
  MSR_WRITE: 32,
  EPT_VIOLATION: 48,
} as const;

// Fixed data offsets from GUEST_BASE (the header area, before the code).
const OFF_K = 0x40;
const OFF_COUNT = 0x44;
const OFF_TARGET = 0x48;
const OFF_GDTR = 0x50;
const OFF_GDT = 0x58;
const OFF_IDTR = 0x78;
const OFF_MAIN = 0x80;
/** Guest-physical address of the interrupt counter (read by the bench to verify the IRQ loop). */
export const COUNTER_ADDR = GUEST_BASE + OFF_COUNT;

const IDT_VECTORS = 0x30;
const TIMER_VECTOR = 0x20;

/** Set-up a guest needs before its loop. */
export interface GuestSetup {
  /** Remap the 8259 to 0x20/0x28 in auto-EOI mode, unmask IRQ0 only, PIT channel 0 mode 2. */
  timerDivisor?: number;
  /** Mask every 8259 input (a guest that takes no interrupts, as an OS would leave it). */
  maskPic?: boolean;
  /** Turn on 32-bit paging with 4 KiB pages identity-mapping `pagingMiB` MiB. */
  pagingMiB?: number;
}

export interface BuiltGuest {
  image: Uint8Array;
  /** Linear address of `inner` (the loop body), for diagnostics. */
  innerAddr: number;
}

/**
 * Build a bench guest: `body` emits one loop iteration (it may use every register but EBP and
 * ESP); `pre` emits code run before every batch of K iterations (e.g. to reset pointers).
 */
export function buildGuest(k: number, setup: GuestSetup, body: (a: Asm) => void, pre?: (a: Asm) => void): BuiltGuest {
  if (!Number.isInteger(k) || k < 1 || k > 0x7fffffff) throw new RangeError(`bench guest: K = ${k} must be an integer in 1..2^31-1`);
  const a = new Asm(GUEST_BASE);
  a.jmp('main').align(8, 0x90);
  // Multiboot header, a.out kludge (Multiboot Specification 0.6.96, 3.1.1 and 3.1.3):
  //   +0 magic 0x1BADB002  +4 flags (bit 16: address fields valid)  +8 checksum
  //   +12 header_addr  +16 load_addr  +20 load_end_addr (0: whole file)  +24 bss_end_addr  +28 entry_addr
  const MAGIC = 0x1badb002;
  const FLAGS = 0x00010000;
  a.label('mbh').d32(MAGIC).d32(FLAGS).d32((-(MAGIC + FLAGS)) >>> 0);
  a.d32(GUEST_BASE + 8).d32(GUEST_BASE).d32(0).d32(0).d32(GUEST_BASE);
  a.align(OFF_K, 0);
  if (a.here !== OFF_K) throw new Error('bench guest: header overflow');
  a.d32(k); // OFF_K
  a.d32(0); // OFF_COUNT
  a.d32(0); // OFF_TARGET
  a.align(OFF_GDTR, 0);
  a.label('gdtr');
  a.d16(8 * 3 - 1).d32(GUEST_BASE + OFF_GDT).d16(0); // OFF_GDTR
  // GDT: null, 0x08 flat 32-bit code, 0x10 flat data (SDM Vol. 3A, 3.4.5 segment descriptors).
  a.d32(0).d32(0).d32(0x0000ffff).d32(0x00cf9a00).d32(0x0000ffff).d32(0x00cf9200);
  a.align(OFF_IDTR, 0);
  a.label('idtr');
  a.d16(8 * IDT_VECTORS - 1).abs32('idt').d16(0); // OFF_IDTR
  a.align(OFF_MAIN, 0);

  a.label('main');
  a.lgdt('gdtr');
  a.jmpFar(0x08, 'reload');
  a.label('reload');
  a.movImm(R32.EAX, 0x10);
  for (const s of [SReg32.DS, SReg32.ES, SReg32.SS, SReg32.FS, SReg32.GS]) a.movSreg(s, R32.EAX);
  a.movImm(R32.ESP, 0x80000);
  a.lidt('idtr');
  if (setup.pagingMiB !== undefined) emitPaging(a, setup.pagingMiB);
  if (setup.maskPic) a.outb(0x21, 0xff).outb(0xa1, 0xff);
  if (setup.timerDivisor !== undefined) emitTimer(a, setup.timerDivisor);

  a.label('outer');
  if (pre) pre(a);
  a.load(R32.EBP, GUEST_BASE + OFF_K);
  a.label('inner');
  const innerAddr = a.addr;
  body(a);
  a.dec(R32.EBP).jnz('inner');
  a.outb(DEBUG_EXIT_PORT, 0);
  a.jmp('outer');

  // Interrupt handlers: the timer counts; anything else fails the run.
  a.label('timer_isr');
  a.incMem(COUNTER_ADDR);
  a.iret();
  a.label('bad_isr');
  a.outb(DEBUG_EXIT_PORT, 1);
  a.cli().hlt();
  a.label('bad_loop').jmp('bad_loop');

  a.align(8, 0);
  a.label('idt');
  const timer = a.addrOf('timer_isr');
  const bad = a.addrOf('bad_isr');
  for (let v = 0; v < IDT_VECTORS; v++) {
    const off = v === TIMER_VECTOR ? timer : bad;
    // 32-bit interrupt gate (SDM Vol. 3A, Figure 6-2):
    //   dword 0: bits 31:16 selector, 15:0 offset 15:0
    //   dword 1: bits 31:16 offset 31:16, 15 P, 14:13 DPL, 12:8 01110 (32-bit interrupt gate)
    a.d32(((0x08 << 16) | (off & 0xffff)) >>> 0);
    a.d32(((off & 0xffff0000) | 0x8e00) >>> 0);
  }
  return { image: a.build(), innerAddr };
}

/** Paging structures at 4 MiB: a page directory and one page table per 4 MiB, identity-mapped. */
export const PAGE_DIR = 0x400000;

function emitPaging(a: Asm, mib: number): void {
  const tables = Math.ceil(mib / 4);
  // Page tables at PAGE_DIR + 0x1000 * (1 + i); PTE = (page << 12) | P | RW (SDM Vol. 3A, Table 4-6).
  a.movImm(R32.EDI, PAGE_DIR + 0x1000);
  a.movImm(R32.EAX, 0x3);
  a.movImm(R32.ECX, tables * 1024);
  a.label('pt_fill');
  a.storeInd(R32.EDI, R32.EAX);
  a.addImm(R32.EDI, 4);
  a.addImm(R32.EAX, 0x1000);
  a.dec(R32.ECX).jnz('pt_fill');
  // Page directory: PDE i = (PAGE_DIR + 0x1000 * (1 + i)) | P | RW.
  a.movImm(R32.EDI, PAGE_DIR);
  a.movImm(R32.EAX, (PAGE_DIR + 0x1000) | 0x3);
  a.movImm(R32.ECX, tables);
  a.label('pd_fill');
  a.storeInd(R32.EDI, R32.EAX);
  a.addImm(R32.EDI, 4);
  a.addImm(R32.EAX, 0x1000);
  a.dec(R32.ECX).jnz('pd_fill');
  a.movImm(R32.EAX, PAGE_DIR);
  a.movToCr(3, R32.EAX);
  a.movFromCr(R32.EAX, 0);
  a.orImm(R32.EAX, 0x80000000);
  a.movToCr(0, R32.EAX);
}

function emitTimer(a: Asm, divisor: number): void {
  // 8259 pair: ICW1 edge/cascade/ICW4, ICW2 base, ICW3 wiring, ICW4 8086 + auto-EOI; OCW1 masks.
  a.outb(0x20, 0x11).outb(0x21, 0x20).outb(0x21, 0x04).outb(0x21, 0x03).outb(0x21, 0xfe);
  a.outb(0xa0, 0x11).outb(0xa1, 0x28).outb(0xa1, 0x02).outb(0xa1, 0x01).outb(0xa1, 0xff);
  // 8254 channel 0, lobyte/hibyte, mode 2 (rate generator).
  a.outb(0x43, 0x34).outb(0x40, divisor & 0xff).outb(0x40, (divisor >>> 8) & 0xff);
  a.sti();
}

// ---------------------------------------------------------------------------------------------
// The exit kinds

export interface ExitKind {
  id: string;
  title: string;
  /** The exit reason each iteration must produce, and how many of it per iteration. */
  reason: number;
  /** Exits of `reason` per run of K iterations, beyond K (e.g. the final OUT 0xF4). */
  extraExits: number;
  setup: GuestSetup;
  body: (a: Asm) => void;
  /** vtx machine options for this kind (beyond the flat boot). */
  vtx?: { nsPerInstruction?: number };
  /** Extra QEMU arguments (icount for timer-driven kinds), or why QEMU cannot run it. */
  qemu: { args: string[] } | { na: string };
  /** Iterations count timer interrupts handled (the loop waits for the counter) rather than bodies. */
  countsInterrupts?: boolean;
}

const IOAPIC_BASE = 0xfec00000;

export const EXIT_KINDS: ExitKind[] = [
  {
    id: 'cpuid',
    title: 'CPUID',
    reason: ExitReason.CPUID,
    extraExits: 0,
    setup: { maskPic: true },
    body: (a) => a.movImm(R32.EAX, 0).cpuid(),
    qemu: { args: [] },
  },
  {
    id: 'out',
    title: 'OUT 0x80 (POST port)',
    reason: ExitReason.IO_INSTRUCTION,
    extraExits: 1,
    setup: { maskPic: true },
    body: (a) => a.outImm(0x80),
    qemu: { args: [] },
  },
  {
    id: 'in',
    title: 'IN 0x61 (port B)',
    reason: ExitReason.IO_INSTRUCTION,
    extraExits: 1,
    setup: { maskPic: true },
    body: (a) => a.inImm(0x61),
    qemu: { args: [] },
  },
  {
    id: 'mmio-read',
    title: 'MMIO read (IOAPIC, EPT violation)',
    reason: ExitReason.EPT_VIOLATION,
    extraExits: 0,
    setup: { maskPic: true },
    body: (a) => a.load(R32.EAX, IOAPIC_BASE + 0x10),
    qemu: { args: [] },
  },
  {
    id: 'mmio-write',
    title: 'MMIO write (IOAPIC, EPT violation)',
    reason: ExitReason.EPT_VIOLATION,
    extraExits: 0,
    setup: { maskPic: true },
    body: (a) => a.movImm(R32.EAX, 1).store(IOAPIC_BASE, R32.EAX),
    qemu: { args: [] },
  },
  {
    id: 'rdmsr',
    title: 'RDMSR IA32_PAT (MSR bitmap)',
    reason: ExitReason.MSR_READ,
    extraExits: 0,
    setup: { maskPic: true },
    body: (a) => a.movImm(R32.ECX, 0x277).rdmsr(),
    qemu: { args: [] },
  },
  {
    id: 'wrmsr',
    title: 'WRMSR IA32_PAT (MSR bitmap)',
    reason: ExitReason.MSR_WRITE,
    extraExits: 0,
    setup: { maskPic: true },
    body: (a) => a.movImm(R32.ECX, 0x277).movImm(R32.EAX, 0x00070406).movImm(R32.EDX, 0x00070406).wrmsr(),
    qemu: { args: [] },
  },
  {
    id: 'cr0',
    title: 'MOV to CR0 toggling NE (masked bit)',
    reason: ExitReason.CR_ACCESS,
    extraExits: 0,
    setup: { maskPic: true },
    body: (a) => a.movFromCr(R32.EAX, 0).xorImm(R32.EAX, 0x20).movToCr(0, R32.EAX),
    qemu: { args: [] },
  },
  {
    id: 'hlt',
    title: 'HLT woken by PIT IRQ0',
    reason: ExitReason.HLT,
    extraExits: 0,
    setup: { timerDivisor: 1193 },
    body: (a) => a.hlt(),
    // The PIT runs on virtual time in vtx; icount with sleep=off makes QEMU skip idle time too.
    qemu: { args: ['-icount', 'shift=0,sleep=off'] },
  },
  {
    id: 'vmcall',
    title: 'VMCALL',
    reason: ExitReason.VMCALL,
    extraExits: 0,
    setup: { maskPic: true },
    body: (a) => a.vmcall(),
    qemu: { na: 'TCG has no VMX: VMCALL raises #UD' },
  },
  {
    id: 'irq',
    title: 'injected interrupt (PIT IRQ0, external-interrupt exit)',
    reason: ExitReason.EXTERNAL_INTERRUPT,
    extraExits: 0,
    // One PIT period (2 / 1.193182 MHz = 1.68 us) every ~26 guest instructions (64 virtual ns per
    // instruction: vtx nsPerInstruction 64, QEMU icount shift=6): the guest does little but take
    // interrupts, and each costs the exit, the injection, the handler and ~10 loop instructions.
    setup: { timerDivisor: 2 },
    body: (a) => {
      // Wait for the counter to pass the target, then raise the target by one.
      a.load(R32.EAX, GUEST_BASE + OFF_TARGET);
      a.inc(R32.EAX);
      a.store(GUEST_BASE + OFF_TARGET, R32.EAX);
      a.label('irq_wait');
      a.cmpMem(R32.EAX, COUNTER_ADDR);
      a.ja('irq_wait');
    },
    vtx: { nsPerInstruction: 64 },
    qemu: { args: ['-icount', 'shift=6,sleep=off'] },
    countsInterrupts: true,
  },
];

// ---------------------------------------------------------------------------------------------
// Compute-bound guests (guest MIPS)

export interface ComputeGuest {
  id: string;
  title: string;
  setup: GuestSetup;
  body: (a: Asm) => void;
  pre?: (a: Asm) => void;
  /** Bytes moved per iteration (memory copies: MB/s is reported too). */
  bytesPerIteration?: number;
  /** Pages touched per iteration (paging guest: ns per page is reported too). */
  pagesPerIteration?: number;
}

const COPY_SRC = 0x200000;
const COPY_DST = 0x300000;
const COPY_BYTES = 0x10000;
const TOUCH_BASE = 0x800000;
const TOUCH_PAGES = 2048;

export const COMPUTE_GUESTS: ComputeGuest[] = [
  {
    id: 'int-loop',
    title: 'integer loop (add/xor/imul, 1024 per iteration)',
    setup: { maskPic: true },
    body: (a) => {
      a.movImm(R32.ECX, 1024);
      a.label('int_l');
      a.add(R32.EAX, R32.ECX).xor(R32.EBX, R32.EAX).imul(R32.EDX, R32.EBX).add(R32.ESI, R32.EDX);
      a.dec(R32.ECX).jnz('int_l');
    },
  },
  {
    id: 'rep-movsd',
    title: 'memory copy, REP MOVSD 64 KiB',
    setup: { maskPic: true },
    body: (a) => {
      a.movImm(R32.ESI, COPY_SRC).movImm(R32.EDI, COPY_DST).movImm(R32.ECX, COPY_BYTES / 4);
      a.repMovsd();
    },
    bytesPerIteration: COPY_BYTES,
  },
  {
    id: 'byte-copy',
    title: 'memory copy, byte loop 64 KiB',
    setup: { maskPic: true },
    body: (a) => {
      a.movImm(R32.ESI, COPY_SRC).movImm(R32.EDI, COPY_DST).movImm(R32.ECX, COPY_BYTES);
      a.label('bc_l');
      a.loadByteInd(0 /* AL */, R32.ESI).storeByteInd(R32.EDI, 0);
      a.inc(R32.ESI).inc(R32.EDI).dec(R32.ECX).jnz('bc_l');
    },
    bytesPerIteration: COPY_BYTES,
  },
  {
    id: 'paging',
    title: 'paging on: MOV CR3 flush, then touch 2048 pages (8 MiB)',
    setup: { maskPic: true, pagingMiB: 16 },
    body: (a) => {
      a.movImm(R32.EAX, PAGE_DIR).movToCr(3, R32.EAX); // flushes every non-global translation
      a.movImm(R32.ESI, TOUCH_BASE).movImm(R32.ECX, TOUCH_PAGES);
      a.label('pg_l');
      a.loadInd(R32.EAX, R32.ESI);
      a.addImm(R32.ESI, 0x1000);
      a.dec(R32.ECX).jnz('pg_l');
    },
    pagesPerIteration: TOUCH_PAGES,
  },
];
