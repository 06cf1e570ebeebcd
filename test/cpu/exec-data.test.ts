/**
 * Data movement and bit instructions: MOV forms, XCHG, XADD, CMPXCHG, CMPXCHG8B, BSWAP, CMOVcc,
 * SETcc, BT/BTS/BTR/BTC (register and memory bit strings), BSF/BSR, MOVZX/MOVSX, LEA (16/32-bit
 * addressing), XLAT, CBW/CWDE/CWD/CDQ, LAHF/SAHF/CMC, IN/OUT.
 */
import { describe, expect, it } from 'vitest';
import { Reg } from '../../src/cpu/state.js';
import { CF, DATA, PF, SF, ZF, loadCode, makeMachine, rd32, run } from './exec-harness.js';

describe('moves and exchanges', () => {
  it('mov forms: moffs, r/m8 high registers, imm to memory, mov r/m, sreg', () => {
    const m = makeMachine(32);
    // mov eax, [0x20000] (A1) ; mov ah, al (88 C4) ; mov [0x20004], ax (66 A3) ; mov dword [ebx], 0x11223344 (C7 03) ; mov ecx, ds (8C D9) ; hlt
    loadCode(m, [0xa1, 0, 0, 2, 0, 0x88, 0xc4, 0x66, 0xa3, 4, 0, 2, 0, 0xc7, 0x03, 0x44, 0x33, 0x22, 0x11, 0x8c, 0xd9, 0xf4]);
    m.mem.ram.set([0x7f, 0x00, 0x55, 0x66], DATA);
    m.cpu.regs[Reg.EBX] = DATA + 8;
    m.cpu.regs[Reg.ECX] = -1;
    run(m);
    expect(m.cpu.regs[Reg.EAX]! >>> 0).toBe(0x66557f7f);
    expect(rd32(m, DATA + 4)).toBe(0x7f7f);
    expect(rd32(m, DATA + 8)).toBe(0x11223344);
    expect(m.cpu.regs[Reg.ECX]).toBe(0x10);
  });

  it('xchg, xadd, cmpxchg (both outcomes), cmpxchg8b', () => {
    const m = makeMachine(32);
    // xchg [ebx], eax (87 03) ; xadd [ebx], ecx (0F C1 0B) ; hlt
    loadCode(m, [0x87, 0x03, 0x0f, 0xc1, 0x0b, 0xf4]);
    m.cpu.regs[Reg.EBX] = DATA; m.cpu.regs[Reg.EAX] = 5; m.cpu.regs[Reg.ECX] = 10;
    m.mem.ram.set([7, 0, 0, 0], DATA);
    run(m);
    expect(m.cpu.regs[Reg.EAX]).toBe(7);
    expect(m.cpu.regs[Reg.ECX]).toBe(5);
    expect(rd32(m, DATA)).toBe(15);
    // cmpxchg [ebx], edx (0F B1 13): EAX (7) != 15 → EAX = 15, ZF = 0 ; again: equal → [ebx] = EDX, ZF = 1
    loadCode(m, [0x0f, 0xb1, 0x13, 0x9c, 0x0f, 0xb1, 0x13, 0xf4]);
    m.cpu.regs[Reg.EDX] = 99;
    m.cpu.regs[Reg.ESP] = 0x80000;
    run(m);
    expect(rd32(m, 0x80000 - 4) & ZF).toBe(0);
    expect(m.cpu.regs[Reg.EAX]).toBe(15);
    expect(rd32(m, DATA)).toBe(99);
    expect(m.cpu.getEflags() & ZF).toBe(ZF);
    // cmpxchg8b [ebx] (0F C7 0B)
    loadCode(m, [0x0f, 0xc7, 0x0b, 0xf4]);
    m.mem.ram.set([1, 0, 0, 0, 2, 0, 0, 0], DATA);
    m.cpu.regs[Reg.EAX] = 1; m.cpu.regs[Reg.EDX] = 2; m.cpu.regs[Reg.EBX] = DATA; m.cpu.regs[Reg.ECX] = 4;
    m.cpu.regs[Reg.EBX] = DATA;
    run(m);
    expect(m.cpu.getEflags() & ZF).toBe(ZF);
    expect(rd32(m, DATA)).toBe(DATA); // EBX
    expect(rd32(m, DATA + 4)).toBe(4); // ECX
    loadCode(m, [0x0f, 0xc7, 0x0b, 0xf4]);
    m.cpu.regs[Reg.EAX] = 0;
    run(m);
    expect(m.cpu.getEflags() & ZF).toBe(0);
    expect([m.cpu.regs[Reg.EAX], m.cpu.regs[Reg.EDX]]).toEqual([DATA, 4]);
  });

  it('bswap, movzx/movsx, cbw/cwde/cwd/cdq', () => {
    const m = makeMachine(32);
    // bswap eax (0F C8) ; movsx ebx, al (0F BE D8) ; movzx ecx, ax (0F B7 C8) ; cwde (98) ; cdq (99) ; hlt
    loadCode(m, [0x0f, 0xc8, 0x0f, 0xbe, 0xd8, 0x0f, 0xb7, 0xc8, 0x98, 0x99, 0xf4]);
    m.cpu.regs[Reg.EAX] = 0x80ff0012 | 0;
    run(m);
    expect(m.cpu.regs[Reg.EBX]).toBe(-128);
    expect(m.cpu.regs[Reg.ECX]).toBe(0xff80);
    expect(m.cpu.regs[Reg.EAX]).toBe(-128);
    expect(m.cpu.regs[Reg.EDX]).toBe(-1);
    loadCode(m, [0x66, 0x98, 0x66, 0x99, 0xf4]); // cbw ; cwd
    m.cpu.regs[Reg.EAX] = 0x1234007f; m.cpu.regs[Reg.EDX] = 0x11112222;
    run(m);
    expect(m.cpu.regs[Reg.EAX]).toBe(0x1234007f);
    expect(m.cpu.regs[Reg.EDX]).toBe(0x11110000);
  });

  it('lea with 16- and 32-bit addressing; xlat', () => {
    const m = makeMachine(32);
    // lea eax, [ebx+esi*4+0x10] (8D 44 B3 10) ; 67 lea cx, ... : 66 67 8D 48 FF = lea cx, [bx+si-1] ; xlat (D7) ; hlt
    loadCode(m, [0x8d, 0x44, 0xb3, 0x10, 0x66, 0x67, 0x8d, 0x48, 0xff, 0xf4]);
    m.cpu.regs[Reg.EBX] = 0x10000; m.cpu.regs[Reg.ESI] = 0x10001; m.cpu.regs[Reg.ECX] = 0x55550000;
    run(m);
    expect(m.cpu.regs[Reg.EAX]).toBe(0x10000 + 0x40004 + 0x10);
    expect(m.cpu.regs[Reg.ECX]! >>> 0).toBe(0x55550000); // (0x0000 + 0x0001 - 1) & FFFF = 0
    loadCode(m, [0xd7, 0xf4]);
    m.cpu.regs[Reg.EBX] = DATA; m.cpu.regs[Reg.EAX] = 3;
    m.mem.ram.set([9, 8, 7, 6], DATA);
    run(m);
    expect(m.cpu.regs[Reg.EAX]).toBe(6);
  });
});

describe('conditions and bits', () => {
  it('setcc and cmovcc after cmp', () => {
    const m = makeMachine(32);
    // cmp eax, ebx ; setl cl (0F 9C C1) ; setb dl (0F 92 C2) ; cmovg esi, edi (0F 4F F7) ; cmovl ebp, edi (0F 4C EF) ; hlt
    loadCode(m, [0x39, 0xd8, 0x0f, 0x9c, 0xc1, 0x0f, 0x92, 0xc2, 0x0f, 0x4f, 0xf7, 0x0f, 0x4c, 0xef, 0xf4]);
    m.cpu.regs[Reg.EAX] = -1; m.cpu.regs[Reg.EBX] = 1;
    m.cpu.regs[Reg.ECX] = 0x100; m.cpu.regs[Reg.EDX] = 0x100; m.cpu.regs[Reg.EDI] = 77; m.cpu.regs[Reg.ESI] = 5; m.cpu.regs[Reg.EBP] = 6;
    run(m);
    expect(m.cpu.regs[Reg.ECX]).toBe(0x101); // -1 < 1 signed
    expect(m.cpu.regs[Reg.EDX]).toBe(0x100); // 0xffffffff not below 1
    expect(m.cpu.regs[Reg.ESI]).toBe(5);
    expect(m.cpu.regs[Reg.EBP]).toBe(77);
  });

  it('bt/bts/btr/btc on registers and on memory bit strings with negative offsets', () => {
    const m = makeMachine(32);
    // bts eax, ecx (0F AB C8) ; btr [ebx], ecx (0F B3 0B) ; btc dword [ebx], 3 (0F BA 3B 03) ; hlt
    loadCode(m, [0x0f, 0xab, 0xc8, 0x0f, 0xb3, 0x0b, 0x0f, 0xba, 0x3b, 0x03, 0xf4]);
    m.cpu.regs[Reg.EAX] = 0; m.cpu.regs[Reg.ECX] = -1; // bit 31 (reg), and bit -1 = bit 31 of [ebx-4]
    m.cpu.regs[Reg.EBX] = DATA + 4;
    m.mem.ram.set([0, 0, 0, 0x80, 0, 0, 0, 0], DATA);
    run(m);
    expect(m.cpu.regs[Reg.EAX]! >>> 0).toBe(0x80000000);
    expect(rd32(m, DATA)).toBe(0);
    expect(rd32(m, DATA + 4)).toBe(8);
    expect(m.cpu.getEflags() & CF).toBe(0); // btc saw bit 3 = 0
  });

  it('bsf/bsr: index and flags; zero source keeps the destination and sets ZF', () => {
    const m = makeMachine(32);
    // bsf eax, ebx (0F BC C3) ; bsr ecx, ebx (0F BD CB) ; hlt
    loadCode(m, [0x0f, 0xbc, 0xc3, 0x0f, 0xbd, 0xcb, 0xf4]);
    m.cpu.regs[Reg.EBX] = 0x00f00100;
    run(m);
    expect([m.cpu.regs[Reg.EAX], m.cpu.regs[Reg.ECX]]).toEqual([8, 23]);
    expect(m.cpu.getEflags() & ZF).toBe(0);
    loadCode(m, [0x0f, 0xbc, 0xc3, 0xf4]);
    m.cpu.regs[Reg.EBX] = 0; m.cpu.regs[Reg.EAX] = 1234;
    run(m);
    expect(m.cpu.regs[Reg.EAX]).toBe(1234);
    expect(m.cpu.getEflags() & ZF).toBe(ZF);
  });

  it('lahf/sahf/cmc/stc/clc', () => {
    const m = makeMachine(32);
    // mov ah, 0xd5 ; sahf ; cmc ; lahf ; hlt
    loadCode(m, [0xb4, 0xd5, 0x9e, 0xf5, 0x9f, 0xf4]);
    run(m);
    expect((m.cpu.regs[Reg.EAX]! >> 8) & 0xff).toBe(0xd6);
    expect(m.cpu.getEflags() & (SF | ZF | PF | CF)).toBe(SF | ZF | PF);
  });
});

describe('port I/O', () => {
  it('in/out with imm8 and DX ports at 8/16/32 bits', () => {
    const m = makeMachine(32);
    m.io.inputs.push(0xab, 0x1234, 0xdeadbeef);
    // in al, 0x60 (E4 60) ; in ax, dx (66 ED) ; in eax, dx (ED) ; out 0x80, al (E6 80) ; out dx, eax (EF) ; hlt
    loadCode(m, [0xe4, 0x60, 0x66, 0xed, 0xed, 0xe6, 0x80, 0xef, 0xf4]);
    m.cpu.regs[Reg.EDX] = 0x1f0;
    run(m);
    expect(m.io.log.map((e) => [e.dir, e.port, e.size])).toEqual([
      ['in', 0x60, 1], ['in', 0x1f0, 2], ['in', 0x1f0, 4], ['out', 0x80, 1], ['out', 0x1f0, 4],
    ]);
    expect(m.cpu.regs[Reg.EAX]! >>> 0).toBe(0xdeadbeef);
    expect(m.io.log[3]!.value).toBe(0xef);
    expect(m.io.log[4]!.value).toBe(0xdeadbeef);
  });
});
