import { describe, expect, it } from 'vitest';
import { Flag, SReg, StopReason, Vec } from '../../src/cpu/state.js';
import type { Cpu } from '../../src/cpu/cpu.js';
import { Cr0 } from '../../src/cpu/mmu.js';
import {
  CODE, GDT, KERNEL_STACK, Sel, TSS, TSS2, gateDesc, handlerOf, setIdtGate, enterRing3, loadCode, makeSys, r16, r32, r8, setDesc, w16, w32, IDT,
} from './sys-harness.js';

const T2_EIP = 0x12000;
const T2_ESP = 0x88000;

/** A 32-bit TSS for task 2: flat ring-0 segments, EIP 0x12000, ESP 0x88000. */
function setupTss2(cpu: Cpu, cr3 = 0): void {
  cpu.phys.ram.fill(0, TSS2, TSS2 + 0x68);
  w32(cpu, TSS2 + 0x1c, cr3);
  w32(cpu, TSS2 + 0x20, T2_EIP);
  w32(cpu, TSS2 + 0x24, 0x2);
  w32(cpu, TSS2 + 0x28, 0xaaaa); // EAX
  w32(cpu, TSS2 + 0x38, T2_ESP); // ESP
  const segs = [Sel.DATA0, Sel.CODE0, Sel.DATA0, Sel.DATA0, Sel.DATA0, Sel.DATA0];
  segs.forEach((s, i) => w16(cpu, TSS2 + 0x48 + 4 * i, s));
}

const type = (cpu: Cpu, sel: number): number => r8(cpu, GDT + sel + 5) & 0xf;

describe('hardware task switching', () => {
  it('JMP to a TSS: state saved in the old TSS, busy bits moved, new state loaded, CR0.TS set', () => {
    const { cpu } = makeSys();
    setupTss2(cpu);
    loadCode(cpu, [0xf4], T2_EIP);
    // mov eax, 0x1111 ; jmp 0x68:0
    loadCode(cpu, [0xb8, 0x11, 0x11, 0, 0, 0xea, 0, 0, 0, 0, Sel.TSS2, 0]);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(T2_EIP + 1);
    expect(cpu.tr.selector).toBe(Sel.TSS2);
    expect(cpu.regs[0]).toBe(0xaaaa);
    expect(cpu.regs[4]).toBe(T2_ESP);
    expect(type(cpu, Sel.TSS)).toBe(9);
    expect(type(cpu, Sel.TSS2)).toBe(0xb);
    expect(r32(cpu, TSS + 0x20)).toBe(CODE + 12);
    expect(r32(cpu, TSS + 0x28)).toBe(0x1111);
    expect(r32(cpu, TSS + 0x38)).toBe(KERNEL_STACK);
    expect(r16(cpu, TSS + 0x4c)).toBe(Sel.CODE0);
    expect(r16(cpu, TSS2)).toBe(0); // no back link for JMP
    expect(cpu.getEflags() & Flag.NT).toBe(0);
    expect(cpu.cr0 & Cr0.TS).toBe(Cr0.TS);
  });

  it('CALL to a TSS and back with IRET (NT, back link)', () => {
    const { cpu } = makeSys();
    setupTss2(cpu);
    // task 2: mov ecx, 0x7777 ; pushfd ; pop edx ; iret
    loadCode(cpu, [0xb9, 0x77, 0x77, 0, 0, 0x9c, 0x5a, 0xcf], T2_EIP);
    // task 1: mov ecx, 0x1234 ; call 0x68:0 ; mov ebx, 0x5555 ; hlt
    loadCode(cpu, [0xb9, 0x34, 0x12, 0, 0, 0x9a, 0, 0, 0, 0, Sel.TSS2, 0, 0xbb, 0x55, 0x55, 0, 0, 0xf4]);
    expect(cpu.run(20)).toBe(StopReason.HALT);
    expect(cpu.tr.selector).toBe(Sel.TSS);
    expect(cpu.regs[3]).toBe(0x5555);
    expect(cpu.regs[1]).toBe(0x1234); // task 1's ECX came back from its TSS
    expect(r32(cpu, TSS2 + 0x2c)).toBe(0x7777); // task 2's ECX saved by the IRET
    expect(r32(cpu, TSS2 + 0x30) & Flag.NT).toBe(Flag.NT); // NT was set inside task 2
    expect(r32(cpu, TSS2 + 0x24) & Flag.NT).toBe(0); // ...and cleared in the saved image
    expect(r16(cpu, TSS2)).toBe(Sel.TSS); // back link
    expect(type(cpu, Sel.TSS2)).toBe(9);
    expect(type(cpu, Sel.TSS)).toBe(0xb);
    expect(cpu.getEflags() & Flag.NT).toBe(0);
  });

  it('task gate in the IDT (INT n) and IRET back', () => {
    const { cpu } = makeSys();
    setupTss2(cpu);
    gateDesc(cpu, IDT + 0x40 * 8, Sel.TSS2, 0, 0x85);
    loadCode(cpu, [0xcf], T2_EIP); // iret
    loadCode(cpu, [0xcd, 0x40, 0xf4]); // int 0x40 ; hlt
    expect(cpu.run(20)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(CODE + 3);
    expect(cpu.tr.selector).toBe(Sel.TSS);
    expect(r32(cpu, TSS + 0x20)).toBe(CODE + 2);
  });

  it('exception through a task gate pushes its error code on the new task stack', () => {
    const { cpu } = makeSys();
    setupTss2(cpu);
    gateDesc(cpu, IDT + Vec.GP * 8, Sel.TSS2, 0, 0x85);
    loadCode(cpu, [0xf4], T2_EIP);
    loadCode(cpu, [0x66, 0xb8, 0x48, 0x00, 0x8e, 0xc0]); // mov ax,0x48 ; mov es,ax → #GP(0x48)
    expect(cpu.run(20)).toBe(StopReason.HALT);
    expect(cpu.tr.selector).toBe(Sel.TSS2);
    expect(cpu.regs[4]).toBe(T2_ESP - 4);
    expect(r32(cpu, T2_ESP - 4)).toBe(0x48);
    expect(r32(cpu, TSS + 0x20)).toBe(CODE + 4); // the faulting instruction
  });

  it('double fault through a task gate after #PF while delivering #PF (CR3 from the TSS)', () => {
    const { cpu } = makeSys();
    const PD = 0x100000, PT = 0x101000;
    w32(cpu, PD, PT | 3);
    for (let i = 0; i < 1024; i++) w32(cpu, PT + i * 4, i < 256 ? (i << 12) | 3 : 0);
    w32(cpu, PT + ((KERNEL_STACK - 4) >>> 12) * 4, 0); // kernel stack page not present
    cpu.cr3 = PD;
    cpu.cr0 |= Cr0.PG;
    cpu.mmu.flushAll();
    setupTss2(cpu, PD);
    gateDesc(cpu, IDT + Vec.DF * 8, Sel.TSS2, 0, 0x85);
    loadCode(cpu, [0xf4], T2_EIP);
    loadCode(cpu, [0xa1, 0x00, 0x00, 0x20, 0x00]); // mov eax, [0x200000] → #PF
    expect(cpu.run(20)).toBe(StopReason.HALT);
    expect(cpu.tr.selector).toBe(Sel.TSS2);
    expect(r32(cpu, T2_ESP - 4)).toBe(0);
    expect(cpu.cr2 >>> 0).toBe(KERNEL_STACK - 4); // the second #PF's address
  });

  it('JMP to a busy TSS → #GP(selector); TSS below the minimum limit → #TS(selector)', () => {
    const { cpu } = makeSys();
    loadCode(cpu, [0xea, 0, 0, 0, 0, Sel.TSS, 0]);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(handlerOf(Vec.GP) + 1);
    expect(r32(cpu, cpu.regs[4]! >>> 0)).toBe(Sel.TSS);

    const m = makeSys();
    setDesc(m.cpu, Sel.TSS2, TSS2, 0x60, 0x89, 0);
    loadCode(m.cpu, [0xea, 0, 0, 0, 0, Sel.TSS2, 0]);
    expect(m.cpu.run(10)).toBe(StopReason.HALT);
    expect(m.cpu.eip).toBe(handlerOf(Vec.TS) + 1);
    expect(r32(m.cpu, m.cpu.regs[4]! >>> 0)).toBe(Sel.TSS2);
  });

  it('a bad DS in the new TSS faults (#TS) in the context of the new task', () => {
    const { cpu } = makeSys();
    setupTss2(cpu);
    w16(cpu, TSS2 + 0x54, Sel.CODE_XO); // DS = execute-only code
    loadCode(cpu, [0xea, 0, 0, 0, 0, Sel.TSS2, 0]);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(handlerOf(Vec.TS) + 1);
    expect(cpu.tr.selector).toBe(Sel.TSS2);
    expect(cpu.regs[4]! >>> 0).toBe(T2_ESP - 16);
    expect(r32(cpu, T2_ESP - 16)).toBe(Sel.CODE_XO);
    expect(r32(cpu, T2_ESP - 12)).toBe(T2_EIP);
  });

  it('a null CS in the new TSS cannot be recovered without a task gate: shutdown', () => {
    const { cpu } = makeSys();
    setupTss2(cpu);
    w16(cpu, TSS2 + 0x4c, 0);
    loadCode(cpu, [0xea, 0, 0, 0, 0, Sel.TSS2, 0]);
    expect(cpu.run(10)).toBe(StopReason.SHUTDOWN);
    expect(cpu.tr.selector).toBe(Sel.TSS2);
  });

  it('T bit in the new TSS raises #DB after the switch', () => {
    const { cpu } = makeSys();
    setupTss2(cpu);
    w16(cpu, TSS2 + 0x64, 1);
    loadCode(cpu, [0x90], T2_EIP);
    loadCode(cpu, [0xea, 0, 0, 0, 0, Sel.TSS2, 0]);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(handlerOf(Vec.DB) + 1);
    expect(r32(cpu, cpu.regs[4]! >>> 0)).toBe(T2_EIP);
    expect(cpu.dr[6]! & 0x8000).toBe(0x8000);
  });

  it('16-bit TSS: JMP loads IP/FLAGS/registers/ES-DS from the 286 format', () => {
    const { cpu } = makeSys();
    const T16 = 0x7000;
    setDesc(cpu, Sel.FREE2, T16, 0x2b, 0x81, 0);
    cpu.phys.ram.fill(0, T16, T16 + 0x2c);
    w16(cpu, T16 + 0x0e, 0x2100); // IP
    w16(cpu, T16 + 0x10, 0x0002); // FLAGS
    w16(cpu, T16 + 0x12, 0xbeef); // AX
    w16(cpu, T16 + 0x1a, 0x6000); // SP
    [Sel.DATA16, Sel.CODE16_0, Sel.DATA16, Sel.DATA16].forEach((s, i) => w16(cpu, T16 + 0x22 + 2 * i, s));
    loadCode(cpu, [0xf4], 0x2100);
    loadCode(cpu, [0xea, 0, 0, 0, 0, Sel.FREE2, 0]);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(0x2101);
    expect(cpu.tr.selector).toBe(Sel.FREE2);
    expect(cpu.regs[0]! & 0xffff).toBe(0xbeef);
    expect(cpu.seg[SReg.CS]!.selector).toBe(Sel.CODE16_0);
    expect(cpu.seg[SReg.FS]!.selector).toBe(0);
    expect(r8(cpu, GDT + Sel.FREE2 + 5) & 0xf).toBe(3); // busy 16-bit TSS
    expect(r32(cpu, TSS + 0x20)).toBe(CODE + 7); // the old (32-bit) TSS got the state
  });

  it('JMP through a task gate in the GDT; the new task loads its LDT and an LDT data segment', () => {
    const { cpu } = makeSys();
    setupTss2(cpu);
    const LDT = 0x7800;
    setDesc(cpu, Sel.FREE2, LDT, 0x0f, 0x82, 0);
    w32(cpu, LDT + 8, 0x0000ffff); w32(cpu, LDT + 12, 0x00cf9205); // data, base 0x050000
    w16(cpu, TSS2 + 0x60, Sel.FREE2);
    w16(cpu, TSS2 + 0x54, 0x0c); // DS = LDT entry 1
    gateDesc(cpu, GDT + Sel.FREE1, Sel.TSS2, 0, 0x85); // task gate, DPL 0
    loadCode(cpu, [0xf4], T2_EIP);
    loadCode(cpu, [0xea, 0, 0, 0, 0, Sel.FREE1, 0]);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.tr.selector).toBe(Sel.TSS2);
    expect(cpu.ldtr.base).toBe(LDT);
    expect(cpu.seg[SReg.DS]!.base).toBe(0x50000);
  });

  it('an LDT selector that is not an LDT descriptor → #TS(LDT selector), handled by a task gate', () => {
    const { cpu } = makeSys();
    setupTss2(cpu);
    w16(cpu, TSS2 + 0x60, Sel.DATA0);
    // #TS goes through a task gate back to task 1 (whose TSS the JMP left available).
    gateDesc(cpu, IDT + Vec.TS * 8, Sel.TSS, 0, 0x85);
    loadCode(cpu, [0xea, 0, 0, 0, 0, Sel.TSS2, 0, 0xf4]); // jmp 0x68:0 ; hlt
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.tr.selector).toBe(Sel.TSS);
    expect(cpu.eip).toBe(CODE + 8);
    expect(cpu.regs[4]! >>> 0).toBe(KERNEL_STACK - 4);
    expect(r32(cpu, KERNEL_STACK - 4)).toBe(Sel.DATA0);
    expect(r16(cpu, TSS)).toBe(Sel.TSS2); // back link to the faulting task
    expect(cpu.getEflags() & Flag.NT).toBe(Flag.NT);
  });

  it('inter-privilege interrupt with a 16-bit TSS uses SP0/SS0 from the 286 layout', () => {
    const { cpu } = makeSys();
    const T16 = 0x7000;
    cpu.phys.ram.fill(0, T16, T16 + 0x2c);
    w16(cpu, T16 + 2, 0x8800); // SP0
    w16(cpu, T16 + 4, Sel.DATA0); // SS0
    cpu.tr = { selector: Sel.FREE2, base: T16, limit: 0x2b, ar: 0x83 };
    setIdtGate(cpu, 0x80, Sel.CODE0, handlerOf(0x80), 0xee);
    loadCode(cpu, [0xcd, 0x80]);
    enterRing3(cpu);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.regs[4]! >>> 0).toBe(0x8800 - 20);
    expect(r32(cpu, 0x8800 - 20)).toBe(CODE + 2);
  });
});
