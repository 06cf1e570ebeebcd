import { describe, expect, it } from 'vitest';
import { SReg, StopReason, Vec } from '../../src/cpu/state.js';
import type { Cpu } from '../../src/cpu/cpu.js';
import { Insn } from '../../src/cpu/insn.js';
import { farCall, loadSegment } from '../../src/cpu/segmentation.js';
import {
  CODE, GDT, KERNEL_STACK, Sel, enterRing3, gateDesc, handlerOf, loadCode, makeSys, r32, setDesc, setIdtGate, w16, expectFault,
} from './sys-harness.js';

/** jmp far sel:off (EA ptr16:32) / call far (9A ptr16:32). */
const jmpf = (sel: number, off: number): number[] => [0xea, off & 0xff, (off >>> 8) & 0xff, (off >>> 16) & 0xff, off >>> 24, sel & 0xff, sel >> 8];
const callf = (sel: number, off: number): number[] => [0x9a, off & 0xff, (off >>> 8) & 0xff, (off >>> 16) & 0xff, off >>> 24, sel & 0xff, sel >> 8];

function faultOf(cpu: Cpu): { vector: number; err: number } {
  const h = cpu.eip - 1 - 0x3000;
  return { vector: h / 16, err: r32(cpu, cpu.regs[4]! >>> 0) };
}

describe('far JMP / CALL checks (protected mode)', () => {
  const rows: [string, boolean, (cpu: Cpu) => number[], number, number][] = [
    ['JMP to non-conforming DPL 0 code from CPL 3', true, () => jmpf(Sel.CODE0 | 3, 0x5000), Vec.GP, Sel.CODE0],
    ['JMP to a data segment', false, () => jmpf(Sel.DATA0, 0x5000), Vec.GP, Sel.DATA0],
    ['JMP with offset beyond the limit', false, (cpu) => { setDesc(cpu, Sel.FREE1, 0, 0xfff, 0x9a, 0x4); return jmpf(Sel.FREE1, 0x1000); }, Vec.GP, 0],
    ['JMP to null selector', false, () => jmpf(0, 0), Vec.GP, 0],
    ['CALL to not-present code', false, (cpu) => { setDesc(cpu, Sel.FREE1, 0, 0xfffff, 0x1a, 0xc); return callf(Sel.FREE1, 0x5000); }, Vec.NP, Sel.FREE1],
    ['JMP through a call gate to more privileged code', true, (cpu) => { gateDesc(cpu, GDT + Sel.FREE1, Sel.CODE0, 0x5000, 0xec); return jmpf(Sel.FREE1 | 3, 0); }, Vec.GP, Sel.CODE0],
    ['JMP through a not-present call gate', false, (cpu) => { gateDesc(cpu, GDT + Sel.FREE1, Sel.CODE0, 0x5000, 0x0c); return jmpf(Sel.FREE1, 0); }, Vec.NP, Sel.FREE1],
    ['JMP to an LDT descriptor', false, (cpu) => { setDesc(cpu, Sel.FREE1, 0x7800, 0xf, 0x82, 0); return jmpf(Sel.FREE1, 0); }, Vec.GP, Sel.FREE1],
  ];
  for (const [name, ring3, code, vector, err] of rows) {
    it(name, () => {
      const { cpu } = makeSys();
      setIdtGate(cpu, vector, Sel.CODE0, handlerOf(vector), 0x8e);
      loadCode(cpu, code(cpu));
      if (ring3) enterRing3(cpu);
      expect(cpu.run(10)).toBe(StopReason.HALT);
      expect(faultOf(cpu)).toEqual({ vector, err });
    });
  }

  it('conforming code: reachable from a less privileged CPL, which it keeps', () => {
    const { cpu } = makeSys();
    setDesc(cpu, Sel.FREE2, 0, 0xfffff, 0x9e, 0xc); // conforming, readable, DPL 0
    setIdtGate(cpu, 0x81, Sel.CODE0, handlerOf(0x81), 0xee);
    loadCode(cpu, [0xcd, 0x81], 0x5000);
    loadCode(cpu, jmpf(Sel.FREE2 | 3, 0x5000));
    enterRing3(cpu);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(handlerOf(0x81) + 1);
    const f = cpu.regs[4]! >>> 0;
    expect(r32(cpu, f)).toBe(0x5002);
    expect(r32(cpu, f + 4)).toBe(Sel.FREE2 | 3); // CS with RPL = CPL 3
  });

  it('conforming code with DPL > CPL → #GP(selector)', () => {
    const { cpu } = makeSys();
    loadCode(cpu, jmpf(Sel.CODE_CONF3 & ~3, 0x5000));
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(faultOf(cpu)).toEqual({ vector: Vec.GP, err: Sel.CODE_CONF3 & ~3 });
  });

  it('JMP through a call gate at the same privilege', () => {
    const { cpu } = makeSys();
    gateDesc(cpu, GDT + Sel.FREE1, Sel.CODE0, 0x5000, 0x8c);
    loadCode(cpu, [0xf4], 0x5000);
    loadCode(cpu, jmpf(Sel.FREE1, 0x1234));
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(0x5001);
  });

  it('far CALL with no room on the stack → #SS(0), nothing pushed or committed', () => {
    const { cpu } = makeSys();
    loadSegment(cpu, SReg.SS, Sel.DATA_SMALL); // limit 0xFF
    cpu.regs[4] = 4; // room for one dword only
    cpu.phys.ram.fill(0xcc, 0x60000, 0x60010);
    const insn = new Insn();
    insn.opsize = 32;
    expectFault(cpu, () => farCall(cpu, Sel.CODE0, 0x5000, insn), Vec.SS, 0);
    expect(cpu.regs[4]).toBe(4);
    expect(r32(cpu, 0x60000)).toBe(0xcccccccc);
    expect(cpu.seg[SReg.CS]!.selector).toBe(Sel.CODE0);
    expect(cpu.eip).toBe(CODE);
  });

  it('16-bit call gate from ring 3: 16-bit frame on the inner stack, RETF back', () => {
    const { cpu } = makeSys();
    gateDesc(cpu, GDT + Sel.FREE1, Sel.CODE0, 0x5000, 0xe4, 1); // 16-bit call gate, 1 word param
    setIdtGate(cpu, 0x81, Sel.CODE0, handlerOf(0x81), 0xee);
    // kernel: mov esi, esp ; mov eax, [esp] ; mov ebx, [esp+4] ; movzx ecx, word [esp+8] ; o16 retf 2
    loadCode(cpu, [0x89, 0xe6, 0x8b, 0x04, 0x24, 0x8b, 0x5c, 0x24, 0x04, 0x0f, 0xb7, 0x4c, 0x24, 0x08,
      0x66, 0xca, 0x02, 0x00], 0x5000);
    // user at 0x8000 (16-bit gates save a 16-bit IP): o16 push 0x4444 ; o16 call 0x73:0 ; int 0x81
    loadCode(cpu, [0x66, 0x68, 0x44, 0x44, 0x66, 0x9a, 0, 0, Sel.FREE1 | 3, 0, 0xcd, 0x81], 0x8000);
    enterRing3(cpu, 0x8000, 0x9000);
    expect(cpu.run(20)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(handlerOf(0x81) + 1);
    expect(cpu.regs[6]! >>> 0).toBe(KERNEL_STACK - 10); // IP, CS, param, SP, SS: five words
    expect(cpu.regs[0]! >>> 0).toBe((Sel.CODE3 << 16 | 0x800a) >>> 0);
    expect(cpu.regs[3]! >>> 0).toBe((0x8ffe << 16 | 0x4444) >>> 0);
    expect(cpu.regs[1]).toBe(Sel.DATA3);
    // Back in ring 3 with the parameter popped: the INT 0x81 frame shows ESP 0x9000.
    expect(r32(cpu, (cpu.regs[4]! >>> 0) + 12)).toBe(0x9000);
  });
});

describe('far transfers in real mode', () => {
  it('CALL FAR / RETF imm16 push and pop CS:IP', () => {
    const { cpu } = makeSys();
    cpu.setFlat(16, 0x100, 0x8000);
    cpu.idtr = { base: 0, limit: 0x3ff };
    // call 0x0200:0x0010 ; hlt   |  at 0x2010: retf 2
    loadCode(cpu, [0x9a, 0x10, 0x00, 0x00, 0x02, 0xf4], 0x100);
    loadCode(cpu, [0xca, 0x02, 0x00], 0x2010);
    w16(cpu, 0x8000 - 2, 0);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(0x106);
    expect(cpu.seg[SReg.CS]!.base).toBe(0);
    expect(cpu.regs[4]! & 0xffff).toBe(0x8002);
  });
});
