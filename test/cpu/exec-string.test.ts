/**
 * String instructions with and without REP in both directions, REPE/REPNE stop conditions,
 * ECX = 0, 16-bit address size (CX/SI/DI), INS/OUTS, and restart after a #PF in the middle.
 */
import { describe, expect, it } from 'vitest';
import { Reg } from '../../src/cpu/state.js';
import { CF, CODE, DATA, STACK, ZF, haltedInVector, loadCode, makeMachine, rd32, run } from './exec-harness.js';

describe('MOVS/STOS/LODS', () => {
  it('rep movsb forward and backward (std)', () => {
    const m = makeMachine(32);
    for (let i = 0; i < 16; i++) m.mem.ram[DATA + i] = i + 1;
    // rep movsb ; hlt
    loadCode(m, [0xf3, 0xa4, 0xf4]);
    m.cpu.regs[Reg.ESI] = DATA; m.cpu.regs[Reg.EDI] = DATA + 0x100; m.cpu.regs[Reg.ECX] = 16;
    run(m);
    expect(Array.from(m.mem.ram.subarray(DATA + 0x100, DATA + 0x110))).toEqual([...Array(16).keys()].map((i) => i + 1));
    expect(m.cpu.regs[Reg.ECX]).toBe(0);
    expect(m.cpu.regs[Reg.ESI]).toBe(DATA + 16);
    expect(m.cpu.regs[Reg.EDI]).toBe(DATA + 0x110);
    // std ; rep movsd ; cld ; hlt — copies 4 dwords downwards
    loadCode(m, [0xfd, 0xf3, 0xa5, 0xfc, 0xf4]);
    m.cpu.regs[Reg.ESI] = DATA + 12; m.cpu.regs[Reg.EDI] = DATA + 0x20c; m.cpu.regs[Reg.ECX] = 4;
    run(m);
    expect(Array.from(m.mem.ram.subarray(DATA + 0x200, DATA + 0x210))).toEqual([...Array(16).keys()].map((i) => i + 1));
    expect(m.cpu.regs[Reg.ESI]).toBe(DATA - 4);
    expect(m.cpu.regs[Reg.EDI]).toBe(DATA + 0x1fc);
  });

  it('ECX = 0 does nothing; rep stosw with a16 uses CX and DI only', () => {
    const m = makeMachine(32);
    loadCode(m, [0xf3, 0xaa, 0xf4]); // rep stosb
    m.cpu.regs[Reg.EDI] = DATA; m.cpu.regs[Reg.ECX] = 0; m.cpu.regs[Reg.EAX] = 0x55;
    run(m);
    expect(m.mem.ram[DATA]).toBe(0);
    expect(m.cpu.regs[Reg.EDI]).toBe(DATA);
    // 66 67 F3 AB: rep stosw, 16-bit operand and address size: ES:DI, CX
    loadCode(m, [0x66, 0x67, 0xf3, 0xab, 0xf4]);
    m.cpu.regs[Reg.EDI] = 0x1230fffe; // DI = FFFE wraps to 0000
    m.cpu.regs[Reg.ECX] = 0x77770002;
    m.cpu.regs[Reg.EAX] = 0xbeef;
    run(m);
    expect(m.mem.ram[0xfffe]).toBe(0xef);
    expect(m.mem.ram[0xffff]).toBe(0xbe);
    expect(m.mem.ram[0x0000]).toBe(0xef);
    expect(m.cpu.regs[Reg.EDI]).toBe(0x12300002);
    expect(m.cpu.regs[Reg.ECX]).toBe(0x77770000);
  });

  it('lodsd and stosd without REP', () => {
    const m = makeMachine(32);
    m.mem.ram.set([1, 2, 3, 4], DATA);
    loadCode(m, [0xad, 0xab, 0xf4]); // lodsd ; stosd
    m.cpu.regs[Reg.ESI] = DATA; m.cpu.regs[Reg.EDI] = DATA + 8;
    run(m);
    expect(m.cpu.regs[Reg.EAX]).toBe(0x04030201);
    expect(rd32(m, DATA + 8)).toBe(0x04030201);
  });
});

describe('CMPS/SCAS with REPE/REPNE', () => {
  it('repe cmpsb stops at the first difference', () => {
    const m = makeMachine(32);
    m.mem.ram.set([1, 2, 3, 4, 5], DATA);
    m.mem.ram.set([1, 2, 9, 4, 5], DATA + 0x10);
    loadCode(m, [0xf3, 0xa6, 0xf4]);
    m.cpu.regs[Reg.ESI] = DATA; m.cpu.regs[Reg.EDI] = DATA + 0x10; m.cpu.regs[Reg.ECX] = 5;
    run(m);
    expect(m.cpu.regs[Reg.ECX]).toBe(2);
    expect(m.cpu.regs[Reg.ESI]).toBe(DATA + 3);
    expect(m.cpu.getEflags() & ZF).toBe(0);
    expect(m.cpu.getEflags() & CF).toBe(CF); // 3 < 9
  });
  it('repe cmpsb over equal strings runs out with ZF=1', () => {
    const m = makeMachine(32);
    m.mem.ram.set([7, 7, 7], DATA);
    m.mem.ram.set([7, 7, 7], DATA + 0x10);
    loadCode(m, [0xf3, 0xa6, 0xf4]);
    m.cpu.regs[Reg.ESI] = DATA; m.cpu.regs[Reg.EDI] = DATA + 0x10; m.cpu.regs[Reg.ECX] = 3;
    run(m);
    expect(m.cpu.regs[Reg.ECX]).toBe(0);
    expect(m.cpu.getEflags() & ZF).toBe(ZF);
  });
  it('repne scasb finds a byte; with ECX=0 flags are unchanged', () => {
    const m = makeMachine(32);
    m.mem.ram.set([5, 6, 0, 8], DATA);
    loadCode(m, [0xf2, 0xae, 0xf4]); // repne scasb
    m.cpu.regs[Reg.EDI] = DATA; m.cpu.regs[Reg.ECX] = 100; m.cpu.regs[Reg.EAX] = 0;
    run(m);
    expect(m.cpu.regs[Reg.EDI]).toBe(DATA + 3);
    expect(m.cpu.regs[Reg.ECX]).toBe(97);
    expect(m.cpu.getEflags() & ZF).toBe(ZF);
    loadCode(m, [0xf9, 0xf2, 0xae, 0xf4]); // stc ; repne scasb with ECX = 0
    m.cpu.regs[Reg.ECX] = 0;
    m.cpu.setEflags(2);
    run(m);
    expect(m.cpu.getEflags() & (ZF | CF)).toBe(CF);
  });
  it('a long rep stosb is split into restartable chunks but completes', () => {
    const m = makeMachine(32);
    loadCode(m, [0xf3, 0xaa, 0xf4]);
    m.cpu.regs[Reg.EDI] = 0x100000; m.cpu.regs[Reg.ECX] = 20000; m.cpu.regs[Reg.EAX] = 0xab;
    run(m);
    expect(m.cpu.regs[Reg.ECX]).toBe(0);
    expect(m.mem.ram[0x100000 + 19999]).toBe(0xab);
    expect(m.mem.ram[0x100000 + 20000]).toBe(0);
  });
});

describe('INS/OUTS', () => {
  it('rep outsb and rep insw go through the I/O bus', () => {
    const m = makeMachine(32);
    m.mem.ram.set([0x41, 0x42, 0x43], DATA);
    loadCode(m, [0xf3, 0x6e, 0xf4]); // rep outsb
    m.cpu.regs[Reg.ESI] = DATA; m.cpu.regs[Reg.ECX] = 3; m.cpu.regs[Reg.EDX] = 0x3f8;
    run(m);
    expect(m.io.log.map((e) => [e.dir, e.port, e.value])).toEqual([['out', 0x3f8, 0x41], ['out', 0x3f8, 0x42], ['out', 0x3f8, 0x43]]);
    m.io.inputs.push(0x1111, 0x2222);
    loadCode(m, [0x66, 0xf3, 0x6d, 0xf4]); // rep insw
    m.cpu.regs[Reg.EDI] = DATA + 0x40; m.cpu.regs[Reg.ECX] = 2; m.cpu.regs[Reg.EDX] = 0x1f0;
    run(m);
    expect(Array.from(m.mem.ram.subarray(DATA + 0x40, DATA + 0x44))).toEqual([0x11, 0x11, 0x22, 0x22]);
  });
});

describe('REP restart after #PF', () => {
  it('a page fault mid-way leaves ESI/EDI/ECX at the faulting element; the restart completes', () => {
    const m = makeMachine(32);
    const ram = m.mem.ram;
    const PD = 0x100000, PT = 0x101000;
    const w32 = (a: number, v: number) => { ram[a] = v; ram[a + 1] = v >>> 8; ram[a + 2] = v >>> 16; ram[a + 3] = v >>> 24; };
    w32(PD, PT | 3);
    for (let p = 0; p < 1024; p++) w32(PT + p * 4, (p << 12) | 3);
    w32(PT + 0x21 * 4, (0x21 << 12) | 0); // page 0x21000 not present
    m.cpu.cr3 = PD;
    m.cpu.cr0 = (m.cpu.cr0 | 0x80000000) | 0;
    m.cpu.mmu.flushAll();
    for (let i = 0; i < 0x200; i++) ram[0x20e00 + i] = i & 0xff;
    loadCode(m, [0xf3, 0xa4, 0xf4]); // rep movsb
    m.cpu.regs[Reg.ESI] = 0x20e00; m.cpu.regs[Reg.EDI] = 0x20f00; m.cpu.regs[Reg.ECX] = 0x200;
    m.cpu.regs[Reg.ESP] = STACK;
    run(m);
    expect(haltedInVector(m)).toBe(14);
    expect(m.cpu.cr2 >>> 0).toBe(0x21000);
    expect(m.cpu.regs[Reg.EDI]).toBe(0x21000);
    expect(m.cpu.regs[Reg.ESI]).toBe(0x20f00);
    expect(m.cpu.regs[Reg.ECX]).toBe(0x100);
    expect(rd32(m, STACK - 16)).toBe(0x2); // error code W
    expect(rd32(m, STACK - 12)).toBe(CODE); // EIP of the REP MOVSB
    // "handle" the fault: map the page, return to the instruction
    w32(PT + 0x21 * 4, (0x21 << 12) | 3);
    m.cpu.mmu.flushAll();
    m.cpu.eip = CODE;
    m.cpu.regs[Reg.ESP] = STACK;
    run(m);
    expect(haltedInVector(m)).toBe(-1);
    expect(m.cpu.regs[Reg.ECX]).toBe(0);
    expect(Array.from(ram.subarray(0x20f00, 0x21100))).toEqual([...Array(0x200).keys()].map((i) => i & 0xff));
  });
});
