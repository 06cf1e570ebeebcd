/**
 * Near control flow and stack instructions: JMP/CALL/RET (rel, indirect, RET imm16), Jcc,
 * LOOP/LOOPE/LOOPNE/JCXZ (CX vs ECX by address size), PUSH/POP forms, PUSHA/POPA, ENTER/LEAVE,
 * PUSHF/POPF privilege rules, 16-bit operand size wrapping of EIP.
 */
import { describe, expect, it } from 'vitest';
import { Reg, SReg } from '../../src/cpu/state.js';
import { CODE, DATA, STACK, enterUser, haltedInVector, loadCode, makeMachine, rd16, rd32, run } from './exec-harness.js';

describe('jumps, calls, returns', () => {
  it('call rel32 / ret / ret imm16 / call [mem] / jmp reg', () => {
    const m = makeMachine(32);
    // 0: call +6 (E8 06 00 00 00) -> 0x0b
    // 5: jmp ebx (FF E3)
    // 7: hlt (never)  8-10: pad
    // 0x0b: push 7 ; push 8 ; call [0x20000] ; add esp, 0? -> ret 8 at target
    const code = [0xe8, 0x06, 0, 0, 0, 0xff, 0xe3, 0xf4, 0x90, 0x90, 0x90,
      0x6a, 0x07, 0x6a, 0x08, 0xff, 0x15, 0x00, 0x00, 0x02, 0x00, 0xc3,
      0xc2, 0x08, 0x00, 0xf4, 0xf4];
    loadCode(m, code);
    m.cpu.regs[Reg.ESP] = STACK;
    m.cpu.regs[Reg.EBX] = CODE + 0x19; // hlt at 0x19
    m.mem.ram.set([0x16, 0x00, 0x01, 0x00], DATA); // [0x20000] = CODE+0x16 (ret 8)
    run(m);
    // call [mem] pushed 0x15+CODE, ret 8 pops it and 8 bytes of args; ret at 0x15 returns to 5; jmp ebx → 0x19 hlt
    expect(m.cpu.eip).toBe(CODE + 0x1a);
    expect(m.cpu.regs[Reg.ESP]).toBe(STACK);
  });

  it('Jcc taken / not taken, rel8 backwards and rel32', () => {
    const m = makeMachine(32);
    // mov ecx, 5 ; L: dec ecx ; jnz L (75 FD) ; cmp ecx, 0 ; je +1 (0F 84 01 00 00 00) ; hlt ; inc eax ; hlt
    loadCode(m, [0xb9, 5, 0, 0, 0, 0x49, 0x75, 0xfd, 0x83, 0xf9, 0x00, 0x0f, 0x84, 0x01, 0, 0, 0, 0xf4, 0x40, 0xf4]);
    m.cpu.regs[Reg.EAX] = 0;
    run(m);
    expect(m.cpu.regs[Reg.ECX]).toBe(0);
    expect(m.cpu.regs[Reg.EAX]).toBe(1);
  });

  it('LOOP uses CX with a 16-bit address size; JECXZ/JCXZ; LOOPE/LOOPNE', () => {
    const m = makeMachine(32);
    // L: inc eax ; a16 loop L (67 E2 FD) ; hlt
    loadCode(m, [0x40, 0x67, 0xe2, 0xfc, 0xf4]);
    m.cpu.regs[Reg.EAX] = 0;
    m.cpu.regs[Reg.ECX] = 0x10003;
    run(m);
    expect(m.cpu.regs[Reg.EAX]).toBe(3);
    expect(m.cpu.regs[Reg.ECX]).toBe(0x10000);
    // jecxz +1 ; hlt ; inc eax ; hlt — ECX = 0x10000 → not taken; with a16 (jcxz) taken
    loadCode(m, [0xe3, 0x01, 0xf4, 0x40, 0xf4]);
    m.cpu.regs[Reg.EAX] = 0;
    run(m);
    expect(m.cpu.regs[Reg.EAX]).toBe(0);
    loadCode(m, [0x67, 0xe3, 0x01, 0xf4, 0x40, 0xf4]);
    run(m);
    expect(m.cpu.regs[Reg.EAX]).toBe(1);
    // loope stops when ZF = 0: L: inc eax ; cmp eax, 3 ; loope L (E1 F8) ; hlt → stops at eax==... 
    // eax starts 0: inc→1, cmp 1,3 ZF=0 → exits after one iteration
    loadCode(m, [0x40, 0x83, 0xf8, 0x03, 0xe1, 0xfa, 0xf4]);
    m.cpu.regs[Reg.EAX] = 0; m.cpu.regs[Reg.ECX] = 10;
    run(m);
    expect([m.cpu.regs[Reg.EAX], m.cpu.regs[Reg.ECX]]).toEqual([1, 9]);
    // loopne: continue while ZF = 0 → runs until eax == 3
    loadCode(m, [0x40, 0x83, 0xf8, 0x03, 0xe0, 0xfa, 0xf4]);
    m.cpu.regs[Reg.EAX] = 0; m.cpu.regs[Reg.ECX] = 10;
    run(m);
    expect([m.cpu.regs[Reg.EAX], m.cpu.regs[Reg.ECX]]).toEqual([3, 7]);
  });

  it('16-bit operand size truncates EIP to 16 bits', () => {
    const m = makeMachine(16);
    // jmp short to offset 0x0005 ; (at 5) hlt
    loadCode(m, [0xeb, 0x03, 0x90, 0x90, 0x90, 0xf4]);
    run(m);
    expect(m.cpu.eip).toBe(6);
  });
});

describe('stack instructions', () => {
  it('push esp pushes the old value; pop esp; pop [esp+4] uses the incremented ESP', () => {
    const m = makeMachine(32);
    loadCode(m, [0x54, 0x5b, 0xf4]); // push esp ; pop ebx
    m.cpu.regs[Reg.ESP] = STACK;
    run(m);
    expect(m.cpu.regs[Reg.EBX]).toBe(STACK);
    // push 0x11 ; push 0x22 ; pop dword [esp] (8F 04 24) ; hlt → after pop, ESP = STACK-4, writes 0x22 there
    loadCode(m, [0x6a, 0x11, 0x6a, 0x22, 0x8f, 0x04, 0x24, 0xf4]);
    m.cpu.regs[Reg.ESP] = STACK;
    run(m);
    expect(m.cpu.regs[Reg.ESP]).toBe(STACK - 4);
    expect(rd32(m, STACK - 4)).toBe(0x22);
  });

  it('pusha/popa round trip (ESP skipped on pop), 16-bit forms', () => {
    const m = makeMachine(32);
    loadCode(m, [0x60, 0x31, 0xc0, 0x31, 0xdb, 0x61, 0xf4]); // pusha ; xor eax,eax ; xor ebx,ebx ; popa
    for (let r = 0; r < 8; r++) m.cpu.regs[r] = 0x1000 * (r + 1);
    m.cpu.regs[Reg.ESP] = STACK;
    run(m);
    expect(Array.from(m.cpu.regs)).toEqual([0x1000, 0x2000, 0x3000, 0x4000, STACK, 0x6000, 0x7000, 0x8000]);
    expect(rd32(m, STACK - 20)).toBe(STACK); // pushed ESP
    loadCode(m, [0x66, 0x60, 0x66, 0x61, 0xf4]);
    run(m);
    expect(m.cpu.regs[Reg.ESP]).toBe(STACK);
  });

  it('popa that faults half-way leaves registers and ESP untouched', () => {
    const m = makeMachine(32);
    m.cpu.seg[SReg.SS]!.limit = STACK + 15; // only 16 bytes above STACK
    loadCode(m, [0x61, 0xf4]);
    m.cpu.regs[Reg.ESP] = STACK;
    m.cpu.regs[Reg.EAX] = 0x55;
    run(m);
    // #SS → the handler runs on the same stack, which is fine below STACK
    expect(haltedInVector(m)).toBe(12);
    expect(m.cpu.regs[Reg.EAX]).toBe(0x55);
    expect(rd32(m, STACK - 12)).toBe(CODE);
  });

  it('enter with nesting levels and leave', () => {
    const m = makeMachine(32);
    // enter 8, 0 ; leave ; enter 16, 2 ; hlt
    loadCode(m, [0xc8, 0x08, 0x00, 0x00, 0xc9, 0xc8, 0x10, 0x00, 0x02, 0xf4]);
    m.cpu.regs[Reg.ESP] = STACK;
    m.cpu.regs[Reg.EBP] = STACK + 0x100;
    m.mem.ram.set([0xaa, 0xbb, 0xcc, 0xdd], STACK + 0x100 - 4); // [ebp-4] copied by level 2
    run(m);
    // first enter/leave restore; second: push ebp (STACK-4), copy [ebp-4] (STACK-8), push frame (STACK-12), esp -= 16
    expect(m.cpu.regs[Reg.EBP]).toBe(STACK - 4);
    expect(rd32(m, STACK - 4)).toBe(STACK + 0x100);
    expect(rd32(m, STACK - 8)).toBe(0xddccbbaa);
    expect(rd32(m, STACK - 12)).toBe(STACK - 4);
    expect(m.cpu.regs[Reg.ESP]).toBe(STACK - 12 - 16);
  });

  it('pushf/popf: what CPL 0 may change; IOPL and IF protected at CPL 3', () => {
    const m = makeMachine(32);
    loadCode(m, [0x68, 0xff, 0x7e, 0x3f, 0x00, 0x9d, 0x9c, 0x58, 0xf4]); // push 3F7EFFh ; popf ; pushf ; pop eax
    m.cpu.regs[Reg.ESP] = STACK;
    run(m);
    // CPL 0: all but VM, RF, VIF, VIP (TF kept clear here); bit 1 set, reserved bits 0
    expect(m.cpu.regs[Reg.EAX]! >>> 0).toBe(0x247ed7);
    const m2 = makeMachine(32);
    enterUser(m2, 0x202);
    loadCode(m2, [0x68, 0xc1, 0x30, 0x00, 0x00, 0x9d, 0x9c, 0x58, 0xf4]); // push 30C1h (IOPL3, SF, ZF, CF, IF=0) ; popf
    for (let i = 0; i < 4; i++) m2.cpu.step();
    expect(m2.cpu.regs[Reg.EAX]! & 0x32c1).toBe(0x2c1); // IF still 1, IOPL still 0, SF ZF CF set
  });

  it('cli at CPL 3 > IOPL → #GP(0) delivered on the ring-0 stack; with IOPL 3 it works', () => {
    const m = makeMachine(32);
    enterUser(m, 0x202);
    loadCode(m, [0xfa, 0xf4]);
    run(m);
    expect(haltedInVector(m)).toBe(13);
    expect(rd32(m, STACK - 20)).toBe(CODE); // EIP of the CLI
    expect(rd32(m, STACK - 24)).toBe(0); // error code
    expect(rd32(m, STACK - 12) & 0x200).toBe(0x200); // pushed EFLAGS: IF still set
    const m2 = makeMachine(32);
    enterUser(m2, 0x3202);
    loadCode(m2, [0xfa, 0x90, 0x90]);
    m2.cpu.step();
    expect(m2.cpu.eip).toBe(CODE + 1);
    expect(m2.cpu.getEflags() & 0x200).toBe(0);
  });

  it('real mode pushf/popf and 16-bit stack wrap', () => {
    const m = makeMachine(16);
    loadCode(m, [0x9c, 0x58, 0xf4]); // pushf ; pop ax
    m.cpu.regs[Reg.ESP] = 0x0000; // SP wraps to FFFE
    m.cpu.setEflags(0x203);
    run(m);
    expect(m.cpu.regs[Reg.EAX]! & 0xffff).toBe(0x203);
    expect(rd16(m, 0x70000 + 0xfffe)).toBe(0x203);
    expect(m.cpu.regs[Reg.ESP]).toBe(0);
  });
});
