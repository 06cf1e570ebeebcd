import { describe, expect, it } from 'vitest';
import { Flag, SReg, StopReason, Vec } from '../../src/cpu/state.js';
import type { Cpu } from '../../src/cpu/cpu.js';
import { KERNEL_STACK, Sel, TSS, handlerOf, loadCode, makeSys, r32, setIdtGate, w32, w8 } from './sys-harness.js';

const V86_CS = 0x2000;
const V86_SS = 0x3000;
const V86_SP = 0x1000;

/** Enter virtual-8086 mode at 2000:0000 with IRET from ring 0 (IOPL as given). */
function enterV86(cpu: Cpu, code: number[], iopl: number): void {
  const f = KERNEL_STACK - 36;
  const vals = [0, V86_CS, 0x20002 | (iopl << 12), V86_SP, V86_SS, 0x1111, 0x2222, 0x3333, 0x4444];
  vals.forEach((v, i) => w32(cpu, f + 4 * i, v));
  cpu.regs[4] = f;
  loadCode(cpu, [0xcf]); // iret
  loadCode(cpu, code, V86_CS << 4);
}

describe('virtual-8086 mode', () => {
  it('IRET from CPL 0 with VM=1 enters v8086 mode with real-mode style segments', () => {
    const { cpu } = makeSys();
    enterV86(cpu, [0x90], 0);
    cpu.step();
    expect(cpu.v86).toBe(true);
    expect(cpu.cpl).toBe(3);
    expect(cpu.eip).toBe(0);
    expect(cpu.seg[SReg.CS]).toEqual({ selector: V86_CS, base: V86_CS << 4, limit: 0xffff, ar: 0xf3 });
    expect(cpu.seg[SReg.DS]!.base).toBe(0x22220);
    expect(cpu.seg[SReg.GS]!.selector).toBe(0x4444);
    expect(cpu.regs[4]).toBe(V86_SP);
  });

  it('INT n with IOPL < 3 → #GP(0) to the ring-0 handler, segments pushed and nulled', () => {
    const { cpu } = makeSys();
    enterV86(cpu, [0x90, 0xcd, 0x21], 0); // nop ; int 0x21
    expect(cpu.run(20)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(handlerOf(Vec.GP) + 1);
    expect(cpu.v86).toBe(false);
    expect(cpu.cpl).toBe(0);
    const esp = cpu.regs[4]! >>> 0;
    expect(esp).toBe(KERNEL_STACK - 40);
    const frame = Array.from({ length: 10 }, (_, i) => r32(cpu, esp + 4 * i));
    expect(frame[0]).toBe(0); // error code
    expect(frame[1]).toBe(1); // EIP of INT
    expect(frame[2]).toBe(V86_CS);
    expect(frame[3]! & Flag.VM).toBe(Flag.VM);
    expect(frame.slice(4)).toEqual([V86_SP, V86_SS, 0x1111, 0x2222, 0x3333, 0x4444]);
    for (const s of [SReg.DS, SReg.ES, SReg.FS, SReg.GS]) expect(cpu.seg[s]!.selector).toBe(0);
  });

  it('INT n with IOPL = 3 goes through a DPL-3 gate to ring 0', () => {
    const { cpu } = makeSys();
    setIdtGate(cpu, 0x21, Sel.CODE0, handlerOf(0x21), 0xee);
    enterV86(cpu, [0xcd, 0x21], 3);
    expect(cpu.run(20)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(handlerOf(0x21) + 1);
    const esp = cpu.regs[4]! >>> 0;
    expect(esp).toBe(KERNEL_STACK - 36);
    expect(r32(cpu, esp)).toBe(2);
  });

  it('INT3 is not IOPL-sensitive (uses the gate DPL)', () => {
    const { cpu } = makeSys();
    setIdtGate(cpu, Vec.BP, Sel.CODE0, handlerOf(Vec.BP), 0xee);
    enterV86(cpu, [0xcc], 0);
    expect(cpu.run(20)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(handlerOf(Vec.BP) + 1);
  });

  it('IRET in v8086 mode with IOPL < 3 → #GP(0)', () => {
    const { cpu } = makeSys();
    enterV86(cpu, [0xcf], 0);
    expect(cpu.run(20)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(handlerOf(Vec.GP) + 1);
    expect(r32(cpu, cpu.regs[4]! >>> 0)).toBe(0);
  });

  it('IN/OUT under the TSS I/O permission bitmap', () => {
    const { cpu, io } = makeSys();
    w8(cpu, TSS + 0x68 + (0x81 >> 3), 1 << (0x81 & 7)); // deny port 0x81
    // mov al, 0x42 ; out 0x80, al ; in al, 0x80 ; mov dx, 0x7f ; in ax, dx  (0x7f-0x80: allowed) ;
    // out 0x81, al → #GP(0)
    enterV86(cpu, [0xb0, 0x42, 0xe6, 0x80, 0xe4, 0x80, 0xba, 0x7f, 0x00, 0xed, 0xe6, 0x81], 0);
    expect(cpu.run(50)).toBe(StopReason.HALT);
    expect(io.log).toEqual(['out1 80=42', 'in1 80', 'in2 7f']);
    expect(cpu.eip).toBe(handlerOf(Vec.GP) + 1);
    expect(r32(cpu, (cpu.regs[4]! >>> 0) + 4)).toBe(10); // EIP of OUT 0x81
  });

  it('a word access spanning a denied port is refused', () => {
    const { cpu, io } = makeSys();
    w8(cpu, TSS + 0x68 + (0x81 >> 3), 1 << (0x81 & 7));
    // mov dx, 0x80 ; in ax, dx (66 prefix: 16-bit in v86 is default, so plain ED = in ax,dx)
    enterV86(cpu, [0xba, 0x80, 0x00, 0xed], 0);
    expect(cpu.run(50)).toBe(StopReason.HALT);
    expect(io.log).toEqual([]);
    expect(cpu.eip).toBe(handlerOf(Vec.GP) + 1);
  });

  it('IOPL does not grant I/O in v8086 mode without the bitmap (bitmap beyond the TSS limit)', () => {
    const { cpu, io } = makeSys();
    cpu.tr.limit = 0x67; // no bitmap
    enterV86(cpu, [0xe6, 0x80], 3);
    expect(cpu.run(50)).toBe(StopReason.HALT);
    expect(io.log).toEqual([]);
    expect(cpu.eip).toBe(handlerOf(Vec.GP) + 1);
  });
});
