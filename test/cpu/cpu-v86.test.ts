/**
 * The executor's virtual-8086-mode rules: real-mode style addressing, IOPL-sensitive CLI/STI/
 * PUSHF/POPF (#GP(0) when IOPL < 3), I/O always checked against the TSS bitmap (checkIo).
 */
import { describe, expect, it } from 'vitest';
import { Reg } from '../../src/cpu/state.js';
import { STACK, haltedInVector, makeMachine, rd32, run, type TestMachine } from './exec-harness.js';

function enterV86(m: TestMachine, iopl: number, code: number[]): void {
  const cpu = m.cpu;
  for (let i = 0; i < 6; i++) {
    const s = cpu.seg[i]!;
    s.selector = 0x1000; s.base = 0x10000; s.limit = 0xffff; s.ar = i === 1 ? 0xfb : 0xf3;
  }
  cpu.cpl = 3;
  cpu.mmu.cplChanged();
  cpu.setEflags(0x20202 | (iopl << 12));
  cpu.regs[Reg.ESP] = 0xfff0;
  m.mem.ram.set(code, 0x10000 + 0x100);
  cpu.invalidateCode(0x10100, code.length);
  cpu.eip = 0x100;
}

describe('virtual-8086 mode', () => {
  it('16-bit code with segment bases; PUSHF/CLI work with IOPL 3', () => {
    const m = makeMachine(32);
    // mov ax, 1234h ; mov [0200h], ax ; pushf ; cli ; pop bx ; hlt(#GP: HLT needs CPL 0)
    enterV86(m, 3, [0xb8, 0x34, 0x12, 0xa3, 0x00, 0x02, 0x9c, 0xfa, 0x5b, 0xf4]);
    run(m);
    expect(m.mem.ram[0x10200]).toBe(0x34);
    expect(m.cpu.regs[Reg.EBX]! & 0xffff).toBe(0x3202); // pushed image: IF, IOPL 3 (VM not in 16 bits)
    expect(haltedInVector(m)).toBe(13); // HLT at CPL 3
  });

  it('CLI with IOPL < 3 is #GP(0), delivered to ring 0 with the v8086 frame', () => {
    const m = makeMachine(32);
    enterV86(m, 0, [0x90, 0xfa]);
    run(m);
    expect(haltedInVector(m)).toBe(13);
    // frame on the ring-0 stack: GS FS DS ES SS ESP EFLAGS CS EIP err
    expect(rd32(m, STACK - 36)).toBe(0x101); // EIP of CLI
    expect(rd32(m, STACK - 40)).toBe(0); // error code
    expect(rd32(m, STACK - 28) & 0x20000).toBe(0x20000); // EFLAGS.VM
  });

  it('port I/O consults the TSS I/O bitmap even with IOPL 3', () => {
    const m = makeMachine(32);
    enterV86(m, 3, [0xe6, 0x80]); // out 80h, al — the harness TSS has no bitmap (base beyond limit)
    run(m);
    expect(haltedInVector(m)).toBe(13);
    expect(m.io.log.length).toBe(0);
  });
});
