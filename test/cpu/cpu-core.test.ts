/**
 * The Cpu core: reset state, run/step/HLT/budget/requestStop, external interrupts with the STI
 * shadow, single-step #DB, the decoded-instruction cache with self-modifying code, instruction
 * fetch across a page boundary, the 15-byte limit, segment limit checks, real mode.
 */
import { describe, expect, it } from 'vitest';
import { Cpu } from '../../src/cpu/cpu.js';
import { FlatPhysicalMemory } from '../../src/memory/physical.js';
import { Reg, SReg, StopReason } from '../../src/cpu/state.js';
import { CODE, DATA, HANDLERS, MockIo, STACK, haltedInVector, loadCode, makeMachine, rd16, rd32, run } from './exec-harness.js';

describe('reset and run control', () => {
  it('reset state per the SDM', () => {
    const cpu = new Cpu(new FlatPhysicalMemory(1 << 20), new MockIo());
    expect(cpu.eip).toBe(0xfff0);
    expect(cpu.seg[SReg.CS]!.selector).toBe(0xf000);
    expect(cpu.seg[SReg.CS]!.base >>> 0).toBe(0xffff0000);
    expect(cpu.getEflags()).toBe(2);
    expect(cpu.cr0 >>> 0).toBe(0x60000010);
    expect(cpu.regs[Reg.EDX]).toBe(0x600);
    expect(cpu.dr[7]).toBe(0x400);
  });

  it('fetches the reset vector from the slow path (ROM above RAM)', () => {
    const rom = new Uint8Array(0x10000);
    rom[0xfff0] = 0xb0; rom[0xfff1] = 0x5a; rom[0xfff2] = 0xf4; // mov al, 5Ah ; hlt
    const mem = new FlatPhysicalMemory(1 << 20);
    mem.readSlow = (a: number, size: 1 | 2 | 4) => {
      let v = 0;
      for (let i = 0; i < size; i++) v |= (a + i >= 0xffff0000 ? rom[(a + i) & 0xffff]! : 0xff) << (8 * i);
      return v >>> 0;
    };
    const cpu = new Cpu(mem, new MockIo());
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.regs[Reg.EAX]! & 0xff).toBe(0x5a);
    expect(cpu.eip).toBe(0xfff3);
  });

  it('budget, step, HLT without wake-up does not spend budget, requestStop', () => {
    const m = makeMachine(32);
    loadCode(m, [0x40, 0x40, 0x40, 0xf4]); // inc eax x3 ; hlt
    expect(m.cpu.run(2)).toBe(StopReason.BUDGET);
    expect(m.cpu.regs[Reg.EAX]).toBe(2);
    expect(m.cpu.step()).toBe(StopReason.BUDGET);
    expect(m.cpu.step()).toBe(StopReason.HALT);
    const retired = m.cpu.instructionsRetired;
    expect(m.cpu.run(1000)).toBe(StopReason.HALT);
    expect(m.cpu.instructionsRetired).toBe(retired);
    loadCode(m, [0x40, 0x40, 0xf4]);
    m.cpu.activity = 0;
    m.cpu.requestStop();
    expect(m.cpu.run(100)).toBe(StopReason.REQUESTED);
    expect(m.cpu.instructionsRetired).toBe(retired + 1);
  });

  it('an external interrupt wakes HLT; STI shadow delays it by one instruction', () => {
    const m = makeMachine(32);
    let pending = false;
    const acks: number[] = [];
    m.cpu.intc = { pending: () => pending, acknowledge: () => { pending = false; acks.push(0x20); return 0x20; } };
    // sti ; hlt ; (after the interrupt returns here) ...
    loadCode(m, [0xfb, 0xf4, 0x90, 0xf4]);
    m.cpu.regs[Reg.ESP] = STACK;
    pending = true; // already pending when STI executes: the shadow covers HLT
    expect(m.cpu.run(100)).toBe(StopReason.HALT);
    // the interrupt was taken after HLT? No: STI shadow ends after HLT retires, HLT then waits;
    // run() again delivers it (the handler at vector 0x20 halts).
    expect(m.cpu.eip).toBe(CODE + 2);
    expect(acks.length).toBe(0);
    expect(m.cpu.run(100)).toBe(StopReason.HALT);
    expect(acks).toEqual([0x20]);
    expect(haltedInVector(m)).toBe(0x20);
    expect(rd32(m, STACK - 12)).toBe(CODE + 2); // return to after the HLT
  });

  it('IF = 0 keeps a halted CPU halted', () => {
    const m = makeMachine(32);
    m.cpu.intc = { pending: () => true, acknowledge: () => 0x21 };
    loadCode(m, [0xfa, 0xf4]); // cli ; hlt
    expect(m.cpu.run(100)).toBe(StopReason.HALT);
    expect(m.cpu.run(100)).toBe(StopReason.HALT);
    expect(m.cpu.eip).toBe(CODE + 2);
  });

  it('single-step: #DB after the instruction with DR6.BS', () => {
    const m = makeMachine(32);
    loadCode(m, [0x40, 0x40, 0xf4]);
    m.cpu.regs[Reg.ESP] = STACK;
    m.cpu.setEflags(0x102); // TF
    run(m);
    expect(haltedInVector(m)).toBe(1);
    expect(m.cpu.regs[Reg.EAX]).toBe(1);
    expect(rd32(m, STACK - 12)).toBe(CODE + 1);
    expect(m.cpu.dr[6]! & 0x4000).toBe(0x4000);
  });

  it('virtual TSC: instructions retired + offset, or the tscSource', () => {
    const m = makeMachine(32);
    loadCode(m, [0x90, 0x90, 0xf4]);
    run(m);
    expect(m.cpu.tsc()).toBe(m.cpu.instructionsRetired);
    m.cpu.tscOffset = 1000;
    expect(m.cpu.tsc()).toBe(m.cpu.instructionsRetired + 1000);
    m.cpu.tscSource = () => 5;
    expect(m.cpu.tsc()).toBe(1005);
  });
});

describe('decoded-instruction cache and self-modifying code', () => {
  it('a write to the very next instruction is seen', () => {
    const m = makeMachine(32);
    // mov byte [CODE+8], 0x42 (C6 05 disp32 42) ; mov al, 0 (B0 00 at CODE+7) ; hlt
    loadCode(m, [0xc6, 0x05, 0x08, 0x00, 0x01, 0x00, 0x42, 0xb0, 0x00, 0xf4]);
    run(m);
    expect(m.cpu.regs[Reg.EAX]! & 0xff).toBe(0x42);
  });

  it('a loop that patches its own body re-decodes the patched instruction', () => {
    const m = makeMachine(32);
    // CODE+0: mov ecx, 3            B9 03 00 00 00
    // CODE+5: add eax, 1           83 C0 01        (imm patched each iteration)
    // CODE+8: inc byte [CODE+7]     FE 05 07 00 01 00
    // CODE+14: loop CODE+5          E2 F5
    // CODE+16: hlt
    loadCode(m, [0xb9, 3, 0, 0, 0, 0x83, 0xc0, 0x01, 0xfe, 0x05, 0x07, 0x00, 0x01, 0x00, 0xe2, 0xf5, 0xf4]);
    m.cpu.regs[Reg.EAX] = 0;
    run(m);
    expect(m.cpu.regs[Reg.EAX]).toBe(1 + 2 + 3);
  });

  it('a cached instruction changed by an external write (invalidateCode) and by a string store', () => {
    const m = makeMachine(32);
    loadCode(m, [0xb0, 0x01, 0xf4]);
    run(m);
    expect(m.cpu.regs[Reg.EAX]! & 0xff).toBe(1);
    m.mem.ram[CODE + 1] = 2;
    m.cpu.invalidateCode(CODE + 1, 1);
    m.cpu.eip = CODE;
    run(m);
    expect(m.cpu.regs[Reg.EAX]! & 0xff).toBe(2);
    // rep stosb over the next instruction (a HLT, cached by a first run, becomes a NOP):
    // CODE+0x20: mov edi, CODE+0x2e ; mov ecx, 1 ; mov al, 90h ; rep stosb ; (0x2e) hlt ; inc eax ; hlt
    const at = CODE + 0x20;
    loadCode(m, [0xbf, 0x2e, 0x00, 0x01, 0x00, 0xb9, 0x01, 0, 0, 0, 0xb0, 0x90, 0xf3, 0xaa, 0xf4, 0x40, 0xf4], at);
    m.cpu.eip = CODE + 0x2e;
    run(m); // caches the HLT at 0x2e
    expect(m.cpu.eip).toBe(CODE + 0x2f);
    m.cpu.eip = at;
    m.cpu.regs[Reg.EAX] = 0;
    run(m);
    expect(m.cpu.eip).toBe(CODE + 0x31);
    expect(m.cpu.regs[Reg.EAX]).toBe(0x91);
  });

  it('fetch across a page boundary, and the second page is not cached with the first', () => {
    const m = makeMachine(32);
    const at = CODE + 0xffd; // B8 imm32 crosses into the next page after 3 bytes
    loadCode(m, [0xb8, 0x11, 0x22, 0x33, 0x44, 0xf4], at);
    run(m);
    expect(m.cpu.regs[Reg.EAX]! >>> 0).toBe(0x44332211);
    m.mem.ram[at + 4] = 0x55; // bytes in the second page, no invalidation of the first page
    m.cpu.invalidateCode(at + 4, 1);
    m.cpu.eip = at;
    run(m);
    expect(m.cpu.regs[Reg.EAX]! >>> 0).toBe(0x55332211);
  });

  it('a page-crossing fetch faults on the second page with CR2 at the page', () => {
    const m = makeMachine(32);
    const ram = m.mem.ram;
    const PD = 0x100000, PT = 0x101000;
    const w32 = (a: number, v: number) => { ram[a] = v; ram[a + 1] = v >>> 8; ram[a + 2] = v >>> 16; ram[a + 3] = v >>> 24; };
    w32(PD, PT | 3);
    for (let p = 0; p < 1024; p++) w32(PT + p * 4, (p << 12) | 3);
    w32(PT + 0x11 * 4, 0);
    m.cpu.cr3 = PD;
    m.cpu.cr0 = (m.cpu.cr0 | 0x80000000) | 0;
    m.cpu.mmu.flushAll();
    loadCode(m, [0xb8, 0x11, 0x22], CODE + 0xffd);
    m.cpu.regs[Reg.ESP] = STACK;
    run(m);
    expect(haltedInVector(m)).toBe(14);
    expect(m.cpu.cr2 >>> 0).toBe(0x11000);
    expect(rd32(m, STACK - 16)).toBe(0); // not present, read; I/D only with PAE+NXE (SDM)
    expect(rd32(m, STACK - 12)).toBe(CODE + 0xffd);
  });

  it('15 bytes decode; 16 bytes raise #GP(0)', () => {
    const m = makeMachine(32);
    loadCode(m, Array(14).fill(0x26).concat([0x40, 0xf4])); // 14 x ES: ; inc eax
    m.cpu.regs[Reg.EAX] = 0;
    run(m);
    expect(m.cpu.regs[Reg.EAX]).toBe(1);
    expect(haltedInVector(m)).toBe(-1);
    loadCode(m, Array(15).fill(0x26).concat([0x40, 0xf4]));
    m.cpu.regs[Reg.ESP] = STACK;
    run(m);
    expect(haltedInVector(m)).toBe(13);
    expect(rd32(m, STACK - 16)).toBe(0);
    expect(rd32(m, STACK - 12)).toBe(CODE);
    expect(m.cpu.regs[Reg.EAX]).toBe(1);
  });

  it('undefined opcode → #UD at the instruction; x87 escape → #NM', () => {
    const m = makeMachine(32);
    loadCode(m, [0x90, 0x0f, 0xff, 0xc0]); // nop ; ud0
    m.cpu.regs[Reg.ESP] = STACK;
    run(m);
    expect(haltedInVector(m)).toBe(6);
    expect(rd32(m, STACK - 12)).toBe(CODE + 1);
    loadCode(m, [0xd9, 0xe8]); // fld1
    m.cpu.regs[Reg.ESP] = STACK;
    run(m);
    expect(haltedInVector(m)).toBe(7);
  });
});

describe('segmentation checks in the executor', () => {
  it('real mode: a word access at offset FFFF is #GP (SS: #SS)', () => {
    const m = makeMachine(16);
    // mov ax, [0xffff] (A1 FF FF) ; hlt
    loadCode(m, [0xa1, 0xff, 0xff, 0xf4]);
    run(m);
    expect(haltedInVector(m)).toBe(13);
    // IVT delivery pushed FLAGS, CS, IP at SS:FFF0-6
    expect(rd16(m, 0x70000 + 0xfff0 - 6)).toBe(0);
    expect(rd16(m, 0x70000 + 0xfff0 - 4)).toBe(CODE >>> 4);
    const m2 = makeMachine(16);
    loadCode(m2, [0x36, 0x8b, 0x47, 0xff, 0xf4]); // mov ax, ss:[bx-1] with BX = 0 → SS:FFFF
    m2.cpu.regs[Reg.EBX] = 0;
    run(m2);
    expect(haltedInVector(m2)).toBe(12);
  });

  it('real mode: 16-bit code basics (push/pop/call/ret, segment bases)', () => {
    const m = makeMachine(16);
    // mov ax, 0x1234 ; push ax ; call +3 ; jmp +4(skip) ; <sub:> pop bx ; push bx ; ret ; ... 
    // simpler: mov ax,1234h ; push ax ; pop cx ; mov [0010], cx (DS=2000h) ; hlt
    loadCode(m, [0xb8, 0x34, 0x12, 0x50, 0x59, 0x89, 0x0e, 0x10, 0x00, 0xf4]);
    run(m);
    expect(m.cpu.regs[Reg.ECX]! & 0xffff).toBe(0x1234);
    expect(rd16(m, DATA + 0x10)).toBe(0x1234);
    expect(m.cpu.regs[Reg.ESP]! & 0xffff).toBe(0xfff0);
  });

  it('protected mode: writing a read-only data segment is #GP(0), a code-segment read needs R', () => {
    const m = makeMachine(32);
    m.cpu.seg[SReg.DS]!.ar = 0xc091; // read-only data
    loadCode(m, [0xa3, 0x00, 0x00, 0x02, 0x00, 0xf4]); // mov [0x20000], eax
    m.cpu.regs[Reg.ESP] = STACK;
    run(m);
    expect(haltedInVector(m)).toBe(13);
    expect(rd32(m, STACK - 12)).toBe(CODE);
    const m2 = makeMachine(32);
    m2.cpu.seg[SReg.DS]!.limit = 0xfff;
    loadCode(m2, [0xa1, 0xfe, 0x0f, 0x00, 0x00, 0xf4]); // mov eax, [0xffe] crosses the limit
    m2.cpu.regs[Reg.ESP] = STACK;
    run(m2);
    expect(haltedInVector(m2)).toBe(13);
  });

  it('near jump beyond the CS limit is #GP(0) at the jump', () => {
    const m = makeMachine(32);
    m.cpu.seg[SReg.CS]!.limit = 0x10fff;
    loadCode(m, [0xe9, 0x00, 0x10, 0x00, 0x00]); // jmp +0x1000
    m.cpu.regs[Reg.ESP] = STACK;
    run(m);
    expect(haltedInVector(m)).toBe(13);
    expect(rd32(m, STACK - 12)).toBe(CODE);
  });
});

export { HANDLERS };

describe('virtual clock accounting', () => {
  it('instructions are added to the clock at run end and before port I/O', async () => {
    const { VirtualClock } = await import('../../src/machine/clock.js');
    const m = makeMachine(32);
    const clock = new VirtualClock(10);
    m.cpu.clock = clock;
    const seen: number[] = [];
    m.cpu.io.out = () => { seen.push(clock.now()); };
    loadCode(m, [0x90, 0x90, 0xe6, 0x80, 0x90, 0xf4]); // nop nop out 80h,al nop hlt
    run(m);
    expect(seen).toEqual([20]);
    expect(clock.now()).toBe(50);
  });
});

describe('page-crossing data accesses and expand-down segments', () => {
  it('a dword write crossing into a not-present page writes nothing and faults with CR2 = the page', () => {
    const m = makeMachine(32);
    const ram = m.mem.ram;
    const PD = 0x100000, PT = 0x101000;
    const w32 = (a: number, v: number) => { ram[a] = v; ram[a + 1] = v >>> 8; ram[a + 2] = v >>> 16; ram[a + 3] = v >>> 24; };
    w32(PD, PT | 3);
    for (let p = 0; p < 1024; p++) w32(PT + p * 4, (p << 12) | 3);
    w32(PT + 0x21 * 4, 0);
    m.cpu.cr3 = PD;
    m.cpu.cr0 = (m.cpu.cr0 | 0x80000000) | 0;
    m.cpu.mmu.flushAll();
    ram.set([0xaa, 0xbb], 0x20ffe);
    loadCode(m, [0xa3, 0xfe, 0x0f, 0x02, 0x00, 0xf4]); // mov [0x20ffe], eax
    m.cpu.regs[Reg.EAX] = 0x11223344;
    m.cpu.regs[Reg.ESP] = STACK;
    run(m);
    expect(haltedInVector(m)).toBe(14);
    expect(m.cpu.cr2 >>> 0).toBe(0x21000);
    expect([ram[0x20ffe], ram[0x20fff]]).toEqual([0xaa, 0xbb]);
    // a read crossing the boundary of two present pages
    w32(PT + 0x21 * 4, (0x21 << 12) | 3);
    m.cpu.mmu.flushAll();
    ram.set([1, 2, 3, 4], 0x20ffe);
    loadCode(m, [0xa1, 0xfe, 0x0f, 0x02, 0x00, 0xf4]); // mov eax, [0x20ffe]
    run(m);
    expect(m.cpu.regs[Reg.EAX]).toBe(0x04030201);
  });

  it('expand-down data segment: offsets above the limit are valid, at or below fault', () => {
    const m = makeMachine(32);
    const ss = m.cpu.seg[SReg.SS]!;
    ss.ar = 0x4097; // expand-down, writable, 32-bit (B), DPL 0
    ss.limit = 0x7ffff; // valid: 0x80000 .. 0xffffffff
    loadCode(m, [0x50, 0xf4]); // push eax with ESP = 0x80004 → writes 0x80000
    m.cpu.regs[Reg.ESP] = 0x80004;
    run(m);
    expect(haltedInVector(m)).toBe(-1);
    expect(m.cpu.regs[Reg.ESP]).toBe(0x80000);
    loadCode(m, [0x50, 0xf4]); // the next push would write 0x7fffc: #SS, whose delivery on the
    run(m);                    // same stack faults again: #DF, then triple fault → shutdown
    expect(m.cpu.activity).toBe(2);
    expect(m.cpu.regs[Reg.ESP]).toBe(0x80000);
    const m2 = makeMachine(32);
    const ds = m2.cpu.seg[SReg.DS]!;
    ds.ar = 0x4097; ds.limit = 0x7ffff;
    loadCode(m2, [0xa3, 0xfc, 0xff, 0x07, 0x00, 0xf4]); // mov [0x7fffc], eax → #GP(0)
    m2.cpu.regs[Reg.ESP] = STACK;
    run(m2);
    expect(haltedInVector(m2)).toBe(13);
  });
});
