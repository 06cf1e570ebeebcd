import { describe, expect, it } from 'vitest';
import { StopReason, Vec } from '../../src/cpu/state.js';
import { Access } from '../../src/cpu/vmx-hooks.js';
import { ACCESS_SUPERVISOR, Cr0, Cr4, Efer } from '../../src/cpu/mmu.js';
import { setCpl } from '../../src/cpu/segmentation.js';
import { writeCr0, writeCr3, writeCr4 } from '../../src/cpu/exec/system.js';
import type { Cpu } from '../../src/cpu/cpu.js';
import { CODE, expectFault, handlerOf, loadCode, makeSys, r32, w32, KERNEL_STACK } from './sys-harness.js';

const PD = 0x100000;
const PT = 0x101000;

/** 32-bit paging: first 1 MiB identity (user, rw), test pages at 0x200000+, a 4 MiB page at 0x400000. */
function setup32(cpu: Cpu, pse = true): void {
  for (let i = 0; i < 1024; i++) w32(cpu, PD + i * 4, 0);
  w32(cpu, PD, PT | 7);
  for (let i = 0; i < 1024; i++) w32(cpu, PT + i * 4, i < 256 ? (i << 12) | 7 : 0);
  w32(cpu, PT + 0x201 * 4, 0x300000 | 5); // user, read-only
  w32(cpu, PT + 0x202 * 4, 0x301000 | 3); // supervisor, rw
  w32(cpu, PT + 0x203 * 4, 0x302000 | 1); // supervisor, read-only
  w32(cpu, PD + 1 * 4, 0x000000 | 0x87); // 4 MiB page → physical 0
  w32(cpu, PD + 2 * 4, 0x000000 | 0x2000 | 0x87); // 4 MiB page with reserved bit 13
  cpu.cr3 = PD;
  cpu.cr4 = pse ? Cr4.PSE : 0;
  cpu.cr0 |= Cr0.PG;
  cpu.mmu.flushAll();
}

const PDPT = 0x110000;
const PAE_PD = 0x111000;
const PAE_PT = 0x112000;

function setupPae(cpu: Cpu, nxe: boolean): void {
  for (let i = 0; i < 1024; i++) { w32(cpu, PAE_PD + i * 4, 0); w32(cpu, PAE_PT + i * 4, 0); }
  for (let i = 0; i < 8; i++) w32(cpu, PDPT + i * 4, 0);
  w32(cpu, PDPT, PAE_PD | 1);
  w32(cpu, PAE_PD, PAE_PT | 7);
  for (let i = 0; i < 256; i++) w32(cpu, PAE_PT + i * 8, (i << 12) | 7);
  // 0x100000: XD, user rw → physical 0x300000
  w32(cpu, PAE_PT + 0x100 * 8, 0x300000 | 7); w32(cpu, PAE_PT + 0x100 * 8 + 4, 0x80000000 | 0);
  // 0x101000: physical-address bit 36 set (reserved with MAXPHYADDR 36)
  w32(cpu, PAE_PT + 0x101 * 8, 0x301000 | 7); w32(cpu, PAE_PT + 0x101 * 8 + 4, 0x10);
  // 0x102000: user read-only
  w32(cpu, PAE_PT + 0x102 * 8, 0x302000 | 5);
  // 0x200000: 2 MiB page → physical 0x200000; 0x400000: 2 MiB page with reserved bit 13
  w32(cpu, PAE_PD + 1 * 8, 0x200000 | 0x87);
  w32(cpu, PAE_PD + 2 * 8, 0x200000 | 0x2000 | 0x87);
  cpu.efer = nxe ? Efer.NXE : 0;
  cpu.cr3 = PDPT;
  cpu.cr4 = Cr4.PAE;
  writeCr0(cpu, cpu.cr0 | Cr0.PG);
}

type Case = [name: string, user: boolean, kind: number, lin: number, expect: { pa: number } | { err: number }, opts?: { wp?: boolean; pse?: boolean }];

const R = Access.READ, W = Access.WRITE, X = Access.EXECUTE;

const cases32: Case[] = [
  ['not present, supervisor read', false, R, 0x200000, { err: 0 }],
  ['not present, user write', true, W, 0x200010, { err: 6 }],
  ['not present, user fetch (no I/D bit in 32-bit paging)', true, X, 0x200000, { err: 4 }],
  ['user read of user read-only page', true, R, 0x201004, { pa: 0x300004 }],
  ['user write of read-only page', true, W, 0x201000, { err: 7 }],
  ['supervisor write of read-only user page, WP=0', false, W, 0x201000, { pa: 0x300000 }],
  ['supervisor write of read-only user page, WP=1', false, W, 0x201000, { err: 3 }, { wp: true }],
  ['supervisor write of read-only supervisor page, WP=0', false, W, 0x203008, { pa: 0x302008 }],
  ['user read of supervisor page', true, R, 0x202000, { err: 5 }],
  ['supervisor read of supervisor page', false, R, 0x202abc, { pa: 0x301abc }],
  ['4 MiB page with PSE', true, R, 0x412345, { pa: 0x12345 }],
  ['PS ignored without PSE: walks a page table at 0 (not present)', false, R, 0x412345, { err: 0 }, { pse: false }],
  ['4 MiB page reserved bit 13 → RSVD', false, R, 0x800000, { err: 9 }],
  ['4 MiB page reserved bit, user write → RSVD|W|U|P', true, W, 0x800000, { err: 15 }],
];

function runCase(cpu: Cpu, [, user, kind, lin, exp]: Case): void {
  setCpl(cpu, user ? 3 : 0);
  if ('pa' in exp) {
    expect(cpu.mmu.translate(lin, kind)).toBe(exp.pa);
  } else {
    expectFault(cpu, () => cpu.mmu.translate(lin, kind), Vec.PF, exp.err);
    expect(cpu.mmu.faultLinear).toBe(lin);
  }
}

describe('32-bit paging', () => {
  for (const c of cases32) {
    it(c[0], () => {
      const { cpu } = makeSys();
      setup32(cpu, c[5]?.pse ?? true);
      if (c[5]?.wp) cpu.cr0 |= Cr0.WP;
      runCase(cpu, c);
    });
  }

  it('sets A on every level walked and D on the leaf only on writes', () => {
    const { cpu } = makeSys();
    setup32(cpu);
    cpu.mmu.translate(0x202000, R);
    expect(r32(cpu, PD) & 0x60).toBe(0x20);
    expect(r32(cpu, PT + 0x202 * 4) & 0x60).toBe(0x20);
    cpu.mmu.translate(0x202000, W);
    expect(r32(cpu, PT + 0x202 * 4) & 0x60).toBe(0x60);
    expect(r32(cpu, PD) & 0x40).toBe(0); // D is not set in a non-leaf entry
    cpu.mmu.translate(0x400000, W);
    expect(r32(cpu, PD + 4) & 0x60).toBe(0x60); // 4 MiB leaf
    // A faulting access does not set D.
    cpu.cr0 |= Cr0.WP;
    cpu.mmu.flushAll();
    expectFault(cpu, () => cpu.mmu.translate(0x201000, W), Vec.PF, 3);
    expect(r32(cpu, PT + 0x201 * 4) & 0x40).toBe(0);
  });

  it('TLB: a write entry is filled only after D is set; fast arrays hold RAM page bases', () => {
    const { cpu } = makeSys();
    setup32(cpu);
    cpu.mmu.translate(0x202000, R);
    expect(cpu.mmu.tlbRead[0x202]! - 1).toBe(0x301000);
    expect(cpu.mmu.tlbWrite[0x202]! - 1).toBe(-1);
    cpu.mmu.translate(0x202000, W);
    expect(cpu.mmu.tlbWrite[0x202]! - 1).toBe(0x301000);
  });

  it('TLB entries are per privilege class (cplChanged)', () => {
    const { cpu } = makeSys();
    setup32(cpu);
    setCpl(cpu, 3);
    cpu.mmu.translate(0x201000, R);
    expect(cpu.mmu.tlbRead[0x201]! - 1).toBe(0x300000);
    setCpl(cpu, 0);
    expect(cpu.mmu.tlbRead[0x201]! - 1).toBe(-1);
    setCpl(cpu, 3);
    expect(cpu.mmu.tlbRead[0x201]! - 1).toBe(0x300000);
  });

  it('global page survives MOV CR3 but not INVLPG; non-global pages are flushed by MOV CR3', () => {
    const { cpu } = makeSys();
    setup32(cpu);
    writeCr4(cpu, cpu.cr4 | Cr4.PGE);
    w32(cpu, PT + 0x202 * 4, 0x301000 | 0x103); // global
    cpu.mmu.translate(0x202000, R);
    cpu.mmu.translate(0x203000, R);
    expect(cpu.mmu.tlbRead[0x202]! - 1).toBe(0x301000);
    expect(cpu.mmu.tlbRead[0x203]! - 1).toBe(0x302000);
    // Remap both in memory: the TLB keeps the old translations until flushed.
    w32(cpu, PT + 0x202 * 4, 0x305000 | 0x103);
    w32(cpu, PT + 0x203 * 4, 0x306000 | 0x003);
    writeCr3(cpu, PD);
    expect(cpu.mmu.tlbRead[0x202]! - 1).toBe(0x301000);
    expect(cpu.mmu.tlbRead[0x203]! - 1).toBe(-1);
    expect(cpu.mmu.translate(0x203000, R)).toBe(0x306000);
    cpu.mmu.invlpg(0x202abc);
    expect(cpu.mmu.tlbRead[0x202]! - 1).toBe(-1);
    expect(cpu.mmu.translate(0x202000, R)).toBe(0x305000);
    // Clearing CR4.PGE flushes everything, global entries included.
    cpu.mmu.translate(0x202000, R);
    writeCr4(cpu, cpu.cr4 & ~Cr4.PGE);
    expect(cpu.mmu.tlbRead[0x202]! - 1).toBe(-1);
  });

  it('A20 mask applies to physical addresses', () => {
    const { cpu } = makeSys();
    cpu.a20Mask = ~0x100000;
    cpu.mmu.flushAll();
    expect(cpu.mmu.translate(0x123456, R)).toBe(0x023456);
  });

  it('#PF in a program: CR2 and the error code reach the handler', () => {
    const { cpu } = makeSys();
    setup32(cpu);
    // mov eax, [0x200000]
    loadCode(cpu, [0xa1, 0x00, 0x00, 0x20, 0x00, 0xf4]);
    expect(cpu.run(50)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(handlerOf(Vec.PF) + 1);
    expect(cpu.cr2 >>> 0).toBe(0x200000);
    const esp = cpu.regs[4]! >>> 0;
    expect(esp).toBe(KERNEL_STACK - 16);
    expect(r32(cpu, esp)).toBe(0);
    expect(r32(cpu, esp + 4)).toBe(CODE);
  });
});

describe('PAE paging', () => {
  const table: [string, boolean, boolean, number, number, { pa: number } | { err: number }][] = [
    ['read of XD page with NXE', true, false, R, 0x100010, { pa: 0x300010 }],
    ['fetch of XD page with NXE → P|I/D', true, false, X, 0x100000, { err: 0x11 }],
    ['user fetch of XD page with NXE → P|U|I/D', true, true, X, 0x100000, { err: 0x15 }],
    ['XD bit without NXE is reserved → RSVD|P', false, false, R, 0x100000, { err: 9 }],
    ['not-present fetch with NXE → I/D', true, false, X, 0x180000, { err: 0x10 }],
    ['not-present fetch without NXE → 0', false, false, X, 0x180000, { err: 0 }],
    ['physical-address bit above MAXPHYADDR → RSVD', true, false, R, 0x101000, { err: 9 }],
    ['user write to read-only → P|W|U', true, true, W, 0x102000, { err: 7 }],
    ['2 MiB page', true, true, W, 0x2abcde, { pa: 0x2abcde }],
    ['2 MiB page reserved bit 13 → RSVD', true, false, R, 0x400000, { err: 9 }],
    ['PDPTE not present', true, false, R, 0x40000000, { err: 0 }],
  ];
  for (const [name, nxe, user, kind, lin, exp] of table) {
    it(name, () => {
      const { cpu } = makeSys();
      setupPae(cpu, nxe);
      runCase(cpu, [name, user, kind, lin, exp]);
    });
  }

  it('A/D bits in 64-bit entries and in the 2 MiB leaf', () => {
    const { cpu } = makeSys();
    setupPae(cpu, true);
    cpu.mmu.translate(0x200000, W);
    expect(r32(cpu, PAE_PD + 8) & 0x60).toBe(0x60);
    cpu.mmu.translate(0x5000, R);
    expect(r32(cpu, PAE_PD) & 0x60).toBe(0x20);
    expect(r32(cpu, PAE_PT + 5 * 8) & 0x60).toBe(0x20);
  });

  it('PDPTEs are loaded on MOV CR3; a reserved bit is #GP(0) and nothing changes', () => {
    const { cpu } = makeSys();
    setupPae(cpu, false);
    expect(cpu.mmu.pdpte[0]).toBe(PAE_PD | 1);
    // A second PDPT with a reserved bit (bit 5) in a present entry.
    w32(cpu, 0x120000, PAE_PD | 1 | 0x20);
    expectFault(cpu, () => writeCr3(cpu, 0x120000), Vec.GP, 0);
    expect(cpu.cr3).toBe(PDPT);
    // Not-present entries may hold anything.
    w32(cpu, 0x120000, 0xfffffffe);
    writeCr3(cpu, 0x120000);
    expect(cpu.cr3).toBe(0x120000);
    expect(cpu.mmu.pdpte[0]).toBe(0xfffffffe | 0);
  });

  it('enabling paging with PAE and a bad PDPTE is #GP(0) (CR0 unchanged)', () => {
    const { cpu } = makeSys();
    w32(cpu, 0x120000, PAE_PD | 1 | 0x4); // bit 2 reserved
    cpu.cr3 = 0x120000;
    cpu.cr4 = Cr4.PAE;
    const cr0 = cpu.cr0;
    expectFault(cpu, () => writeCr0(cpu, cr0 | Cr0.PG), Vec.GP, 0);
    expect(cpu.cr0).toBe(cr0);
  });

  it('implicit supervisor accesses ignore CPL 3', () => {
    const { cpu } = makeSys();
    setup32(cpu);
    setCpl(cpu, 3);
    expect(cpu.mmu.translate(0x202000, R | ACCESS_SUPERVISOR)).toBe(0x301000);
    // …and do not fill the user-class TLB.
    expect(cpu.mmu.tlbRead[0x202]! - 1).toBe(-1);
  });

  it('setContext keeps tagged translations apart; flushContext drops one tag', () => {
    const { cpu } = makeSys();
    setup32(cpu);
    cpu.mmu.translate(0x202000, R);
    cpu.mmu.setContext(5);
    expect(cpu.mmu.tlbRead[0x202]! - 1).toBe(-1);
    cpu.mmu.translate(0x203000, R);
    cpu.mmu.setContext(0);
    expect(cpu.mmu.tlbRead[0x202]! - 1).toBe(0x301000);
    expect(cpu.mmu.tlbRead[0x203]! - 1).toBe(-1);
    cpu.mmu.flushContext(5);
    cpu.mmu.setContext(5);
    expect(cpu.mmu.tlbRead[0x203]! - 1).toBe(-1);
    // More tags than kept: the least recently used one is recycled empty.
    cpu.mmu.translate(0x203000, R);
    for (const t of [6, 7, 8, 9]) cpu.mmu.setContext(t);
    cpu.mmu.setContext(5);
    expect(cpu.mmu.tlbRead[0x203]! - 1).toBe(-1);
    expect(cpu.mmu.context).toBe(5);
  });
});

describe('CR0/CR4 rules', () => {
  const bad: [string, (cpu: Cpu) => void][] = [
    ['PG without PE', (cpu) => writeCr0(cpu, (cpu.cr0 & ~1) | Cr0.PG)],
    ['NW without CD', (cpu) => writeCr0(cpu, (cpu.cr0 & ~Cr0.CD) | Cr0.NW)],
    ['CR0 reserved bit 6', (cpu) => writeCr0(cpu, cpu.cr0 | 0x40)],
    ['CR4 reserved bit (VME not implemented)', (cpu) => writeCr4(cpu, Cr4.VME)],
    ['CR4.VMXE without VMX', (cpu) => writeCr4(cpu, Cr4.VMXE)],
  ];
  for (const [name, fn] of bad) {
    it(`#GP(0): ${name}`, () => {
      const { cpu } = makeSys();
      expectFault(cpu, () => fn(cpu), Vec.GP, 0);
    });
  }
  it('ET reads as 1', () => {
    const { cpu } = makeSys();
    writeCr0(cpu, 1);
    expect(cpu.cr0 & Cr0.ET).toBe(Cr0.ET);
  });
});

describe('Mmu helpers', () => {
  it('probe() translates without side effects', () => {
    const { cpu } = makeSys();
    setup32(cpu);
    const before = r32(cpu, PT + 0x202 * 4);
    expect(cpu.mmu.probe(0x202123)).toBe(0x301123);
    expect(cpu.mmu.probe(0x412345)).toBe(0x12345);
    expect(cpu.mmu.probe(0x200000)).toBe(-1);
    expect(r32(cpu, PT + 0x202 * 4)).toBe(before);
    expect(cpu.mmu.tlbRead[0x202]! - 1).toBe(-1);
  });

  it('pages outside RAM are never cached in the fast arrays', () => {
    const { cpu } = makeSys();
    setup32(cpu);
    w32(cpu, PT + 0x204 * 4, 0xfee00000 | 3); // beyond the 4 MiB of RAM
    expect(cpu.mmu.translate(0x204010, R)).toBe(0xfee00010);
    expect(cpu.mmu.tlbRead[0x204]! - 1).toBe(-1);
  });
});

