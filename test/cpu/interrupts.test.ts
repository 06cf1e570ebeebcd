import { describe, expect, it } from 'vitest';
import { Flag, SReg, StopReason, Vec } from '../../src/cpu/state.js';
import {
  CODE, KERNEL_STACK, Sel, USER_STACK, enterRing3, gateDesc, handlerOf, loadCode, makeSys, r16, r32,
  setIdtGate, w16, w32,
} from './sys-harness.js';

describe('protected-mode interrupt delivery', () => {
  it('INT n from ring 3 through a DPL-3 interrupt gate: TSS stack switch, IRET back', () => {
    const { cpu } = makeSys();
    const K = 0x5000;
    setIdtGate(cpu, 0x80, Sel.CODE0, K, 0xee); // P, DPL 3, 32-bit interrupt gate
    setIdtGate(cpu, 0x81, Sel.CODE0, handlerOf(0x81), 0xee);
    // kernel: mov esi, esp ; mov edi, cs ; iret
    loadCode(cpu, [0x89, 0xe6, 0x8c, 0xcf, 0xcf], K);
    // user: int 0x80 ; int 0x81
    loadCode(cpu, [0xcd, 0x80, 0xcd, 0x81]);
    enterRing3(cpu);
    cpu.setEflags(0x202);
    expect(cpu.run(100)).toBe(StopReason.HALT);
    // First frame (snapshot in ESI): EIP, CS, EFLAGS, ESP, SS.
    const f = cpu.regs[6]! >>> 0;
    expect(f).toBe(KERNEL_STACK - 20);
    expect(cpu.regs[7]! & 0xffff).toBe(Sel.CODE0);
    // Second INT: same kernel stack from the TSS, frame after the IRET returned to ring 3.
    expect(r32(cpu, f)).toBe(CODE + 4);
    expect(r32(cpu, f + 4)).toBe(Sel.CODE3);
    expect(r32(cpu, f + 8) & Flag.IF).toBe(Flag.IF);
    expect(r32(cpu, f + 12)).toBe(USER_STACK);
    expect(r32(cpu, f + 16)).toBe(Sel.DATA3);
    expect(cpu.cpl).toBe(0);
    expect(cpu.seg[SReg.CS]!.selector).toBe(Sel.CODE0);
    expect(cpu.seg[SReg.SS]!.selector).toBe(Sel.DATA0);
    expect(cpu.getEflags() & Flag.IF).toBe(0); // interrupt gate clears IF
  });

  it('trap gate keeps IF; same-privilege delivery pushes no SS:ESP', () => {
    const { cpu } = makeSys();
    setIdtGate(cpu, 0x40, Sel.CODE0, handlerOf(0x40), 0x8f);
    loadCode(cpu, [0xcd, 0x40]);
    cpu.setEflags(0x202);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.regs[4]! >>> 0).toBe(KERNEL_STACK - 12);
    expect(r32(cpu, KERNEL_STACK - 12)).toBe(CODE + 2);
    expect(r32(cpu, KERNEL_STACK - 4) & Flag.RF).toBe(0); // software interrupts do not set RF
    expect(cpu.getEflags() & Flag.IF).toBe(Flag.IF);
  });

  it('INT n with gate DPL < CPL → #GP(vector*8+2)', () => {
    const { cpu } = makeSys();
    loadCode(cpu, [0xcd, 0x80]);
    setIdtGate(cpu, Vec.GP, Sel.CODE0, handlerOf(Vec.GP), 0xee);
    enterRing3(cpu);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(handlerOf(Vec.GP) + 1);
    const esp = cpu.regs[4]! >>> 0;
    expect(r32(cpu, esp)).toBe(0x80 * 8 + 2);
    expect(r32(cpu, esp + 4)).toBe(CODE); // the INT instruction itself
    expect(r32(cpu, esp + 12) & Flag.RF).toBe(Flag.RF); // faults push EFLAGS with RF set
  });

  it('16-bit interrupt gate pushes 16-bit frame', () => {
    const { cpu } = makeSys();
    setIdtGate(cpu, 0x41, Sel.CODE0, handlerOf(0x41), 0x86);
    loadCode(cpu, [0xcd, 0x41]);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.regs[4]! >>> 0).toBe(KERNEL_STACK - 6);
    expect(r16(cpu, KERNEL_STACK - 6)).toBe((CODE + 2) & 0xffff);
    expect(r16(cpu, KERNEL_STACK - 4)).toBe(Sel.CODE0);
  });

  it('exception beyond the IDT limit → #GP(vector*8+2+EXT)', () => {
    const { cpu } = makeSys();
    cpu.idtr.limit = 13 * 8 + 7; // only vectors 0-13
    loadCode(cpu, [0x0f, 0x0b]); // ud2 → #UD ok (vector 6 inside)
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(handlerOf(Vec.UD) + 1);
    // int 0x30 (software: no EXT) beyond the limit.
    const m = makeSys();
    m.cpu.idtr.limit = 13 * 8 + 7;
    loadCode(m.cpu, [0xcd, 0x30]);
    expect(m.cpu.run(10)).toBe(StopReason.HALT);
    expect(r32(m.cpu, m.cpu.regs[4]! >>> 0)).toBe(0x30 * 8 + 2);
  });

  it('double fault: #NP while delivering #GP', () => {
    const { cpu } = makeSys();
    setIdtGate(cpu, Vec.GP, Sel.CODE0, handlerOf(Vec.GP), 0x0e); // not present
    // mov ax, 0x48 ; mov es, ax  → #GP(0x48)
    loadCode(cpu, [0x66, 0xb8, 0x48, 0x00, 0x8e, 0xc0]);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(handlerOf(Vec.DF) + 1);
    const esp = cpu.regs[4]! >>> 0;
    expect(esp).toBe(KERNEL_STACK - 16);
    expect(r32(cpu, esp)).toBe(0); // #DF error code is 0
    expect(r32(cpu, esp + 4)).toBe(CODE + 4); // the faulting MOV ES
  });

  it('benign then contributory is handled serially (#UD gate not present → #NP)', () => {
    const { cpu } = makeSys();
    setIdtGate(cpu, Vec.UD, Sel.CODE0, handlerOf(Vec.UD), 0x0e); // not present
    loadCode(cpu, [0x0f, 0x0b]);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(handlerOf(Vec.NP) + 1);
    expect(r32(cpu, cpu.regs[4]! >>> 0)).toBe(Vec.UD * 8 + 2 + 1); // IDT bit + EXT
  });

  it('triple fault ends the run with SHUTDOWN and a report', () => {
    const { cpu } = makeSys();
    setIdtGate(cpu, Vec.GP, Sel.CODE0, handlerOf(Vec.GP), 0x0e);
    setIdtGate(cpu, Vec.DF, Sel.CODE0, handlerOf(Vec.DF), 0x0e);
    loadCode(cpu, [0x90, 0x66, 0xb8, 0x48, 0x00, 0x8e, 0xc0]);
    expect(cpu.run(10)).toBe(StopReason.SHUTDOWN);
    expect(cpu.shutdownInfo).toEqual({ vector: Vec.NP, errorCode: Vec.DF * 8 + 2 + 1, cs: Sel.CODE0, eip: CODE + 5 });
  });

  it('triple fault with an empty IDT', () => {
    const { cpu } = makeSys();
    cpu.idtr.limit = 0;
    loadCode(cpu, [0x0f, 0x0b]);
    expect(cpu.run(10)).toBe(StopReason.SHUTDOWN);
    expect(cpu.shutdownInfo?.eip).toBe(CODE);
  });

  it('#PF while delivering #PF → #DF, whose delivery faults again → triple fault', () => {
    const { cpu } = makeSys();
    // Paging: identity-map 0-1 MiB except the kernel stack page below KERNEL_STACK.
    const PD = 0x100000, PT = 0x101000;
    w32(cpu, PD, PT | 3);
    for (let i = 0; i < 1024; i++) w32(cpu, PT + i * 4, i < 256 ? (i << 12) | 3 : 0);
    w32(cpu, PT + ((KERNEL_STACK - 4) >>> 12) * 4, 0);
    cpu.cr3 = PD;
    cpu.cr0 |= 0x80000000;
    cpu.mmu.flushAll();
    loadCode(cpu, [0xa1, 0x00, 0x00, 0x20, 0x00]); // mov eax, [0x200000] → #PF
    expect(cpu.run(10)).toBe(StopReason.SHUTDOWN);
    expect(cpu.shutdownInfo).toEqual({ vector: Vec.PF, errorCode: 2, cs: Sel.CODE0, eip: CODE });
    expect(cpu.cr2 >>> 0).toBe(KERNEL_STACK - 4); // the #PF that became #DF loaded CR2
  });
});

describe('real-mode delivery through the IVT', () => {
  it('INT 0x10 pushes FLAGS, CS, IP and clears IF/TF', () => {
    const { cpu } = makeSys();
    cpu.setFlat(16, 0x0100, 0x8000);
    cpu.seg[SReg.CS]!.selector = 0x1000;
    cpu.seg[SReg.CS]!.base = 0x10000;
    cpu.idtr = { base: 0, limit: 0x3ff };
    w16(cpu, 0x10 * 4, 0x0010);
    w16(cpu, 0x10 * 4 + 2, 0x0500); // 0500:0010 = 0x5010
    cpu.phys.ram[0x5010] = 0xf4;
    loadCode(cpu, [0xcd, 0x10], 0x10100);
    cpu.setEflags(0x202);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.seg[SReg.CS]!.selector).toBe(0x500);
    expect(cpu.eip).toBe(0x11);
    expect(r16(cpu, 0x8000 - 6)).toBe(0x102);
    expect(r16(cpu, 0x8000 - 4)).toBe(0x1000);
    expect(r16(cpu, 0x8000 - 2)).toBe(0x202);
    expect(cpu.getEflags() & Flag.IF).toBe(0);
  });

  it('IRET in real mode returns', () => {
    const { cpu } = makeSys();
    cpu.setFlat(16, 0x0100, 0x7ffa);
    cpu.idtr = { base: 0, limit: 0x3ff };
    w16(cpu, 0x7ffa, 0x0200); w16(cpu, 0x7ffc, 0x0000); w16(cpu, 0x7ffe, 0x0246);
    loadCode(cpu, [0xcf], 0x100);
    cpu.phys.ram[0x200] = 0xf4;
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(0x201);
    expect(cpu.getEflags() & 0xfff).toBe(0x246);
  });
});

describe('call gates', () => {
  it('ring 3 → ring 0 through a call gate with 2 parameters, RETF 8 back', () => {
    const { cpu } = makeSys();
    gateDesc(cpu, 0x1000 + Sel.FREE1, Sel.CODE0, 0x5100, 0xec, 2); // 32-bit call gate DPL 3
    setIdtGate(cpu, 0x81, Sel.CODE0, handlerOf(0x81), 0xee);
    // kernel: mov esi, esp ; mov ebp, [esp] ; mov edi, [esp+4] ; mov eax, [esp+8] ;
    //         mov ebx, [esp+12] ; mov ecx, [esp+16] ; mov edx, [esp+20] ; retf 8
    loadCode(cpu, [0x89, 0xe6, 0x8b, 0x2c, 0x24, 0x8b, 0x7c, 0x24, 0x04, 0x8b, 0x44, 0x24, 0x08,
      0x8b, 0x5c, 0x24, 0x0c, 0x8b, 0x4c, 0x24, 0x10, 0x8b, 0x54, 0x24, 0x14, 0xca, 0x08, 0x00], 0x5100);
    // user: push 0x11 ; push 0x22 ; call 0x73:0 ; int 0x81
    loadCode(cpu, [0x6a, 0x11, 0x6a, 0x22, 0x9a, 0, 0, 0, 0, Sel.FREE1 | 3, 0, 0xcd, 0x81]);
    enterRing3(cpu);
    expect(cpu.run(100)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(handlerOf(0x81) + 1);
    const f = cpu.regs[6]! >>> 0;
    expect(f).toBe(KERNEL_STACK - 24);
    const rg = (i: number): number => cpu.regs[i]! >>> 0;
    expect([rg(5), rg(7), rg(0), rg(3), rg(1), rg(2)])
      .toEqual([CODE + 11, Sel.CODE3, 0x22, 0x11, USER_STACK - 8, Sel.DATA3]);
    // The INT 0x81 frame shows ring 3 resumed with the parameters popped.
    const g = cpu.regs[4]! >>> 0;
    expect(r32(cpu, g)).toBe(CODE + 13);
    expect(r32(cpu, g + 12)).toBe(USER_STACK);
  });

  it('far RET to an outer level nulls data segments that are too privileged', () => {
    const { cpu } = makeSys();
    // Ring 0 frame for RETF to ring 3: EIP, CS, ESP, SS
    const sp = KERNEL_STACK - 16;
    const wr = (a: number, v: number): void => { cpu.phys.ram[a] = v; cpu.phys.ram[a + 1] = v >>> 8; cpu.phys.ram[a + 2] = v >>> 16; cpu.phys.ram[a + 3] = v >>> 24; };
    wr(sp, 0x7000); wr(sp + 4, Sel.CODE3); wr(sp + 8, USER_STACK); wr(sp + 12, Sel.DATA3);
    cpu.regs[4] = sp;
    loadCode(cpu, [0xcb]); // retf
    setIdtGate(cpu, 0x81, Sel.CODE0, handlerOf(0x81), 0xee);
    loadCode(cpu, [0xcd, 0x81], 0x7000);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    // In the handler: the ring-3 frame, and DS (DPL 0) was nulled by the RETF.
    expect(cpu.seg[SReg.DS]!.selector).toBe(0);
    expect(r32(cpu, (cpu.regs[4]! >>> 0) + 4)).toBe(Sel.CODE3);
  });

  it('call gate with DPL < CPL → #GP(gate selector)', () => {
    const { cpu } = makeSys();
    gateDesc(cpu, 0x1000 + Sel.FREE1, Sel.CODE0, 0x5100, 0x8c, 0); // DPL 0
    setIdtGate(cpu, Vec.GP, Sel.CODE0, handlerOf(Vec.GP), 0x8e);
    loadCode(cpu, [0x9a, 0, 0, 0, 0, Sel.FREE1 | 3, 0]);
    enterRing3(cpu);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(r32(cpu, cpu.regs[4]! >>> 0)).toBe(Sel.FREE1);
  });
});

