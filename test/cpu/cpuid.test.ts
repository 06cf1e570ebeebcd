import { describe, expect, it } from 'vitest';
import { CpuidTable } from '../../src/cpu/cpuid.js';
import { StopReason } from '../../src/cpu/state.js';
import { loadCode, makeSys } from './sys-harness.js';

const str = (...regs: number[]): string =>
  regs.map((r) => String.fromCharCode(r & 0xff, (r >>> 8) & 0xff, (r >>> 16) & 0xff, (r >>> 24) & 0xff)).join('');

describe('CPUID', () => {
  it('leaf 0: max leaf and GenuineIntel', () => {
    const [a, b, c, d] = new CpuidTable().lookup(0, 0);
    expect(a).toBeGreaterThanOrEqual(2);
    expect(str(b, d, c)).toBe('GenuineIntel');
  });

  it('leaf 1: family 6, no FPU, the implemented features, VMX only when asked', () => {
    const t = new CpuidTable();
    const [a, , c, d] = t.lookup(1, 0);
    expect((a >>> 8) & 0xf).toBe(6);
    expect(d & 1).toBe(0); // no FPU
    for (const bit of [3, 4, 5, 6, 8, 9, 11, 12, 13, 15, 16]) expect((d >>> bit) & 1, `EDX bit ${bit}`).toBe(1);
    expect((d >>> 1) & 1).toBe(0); // no VME
    expect(c & 0x20).toBe(0);
    expect(t.lookup(1, 0, true)[2] & 0x20).toBe(0x20);
    expect(new CpuidTable({ vmx: true }).lookup(1, 0)[2] & 0x20).toBe(0x20);
  });

  it('extended leaves: brand string, NX, MAXPHYADDR', () => {
    const t = new CpuidTable();
    expect(t.lookup(0x80000000, 0)[0] >>> 0).toBe(0x80000008);
    const brand = [2, 3, 4].map((i) => str(...[...t.lookup(0x80000000 + i, 0)])).join('').replace(/\0+$/, '');
    expect(brand).toBe('vtx virtual CPU');
    expect(t.lookup(0x80000001, 0)[3] & (1 << 20)).toBe(1 << 20);
    expect(t.lookup(0x80000008, 0)[0] & 0xff).toBe(36);
  });

  it('leaves above the maximum return the highest basic leaf', () => {
    const t = new CpuidTable();
    expect([...t.lookup(0x40, 0)]).toEqual([...t.lookup(2, 0)]);
  });

  it('set() overrides a leaf', () => {
    const t = new CpuidTable();
    t.set(0, 0, [1, 0x756e6547, 0x6c65746e, 0x49656e69]);
    expect([...t.lookup(5, 0)]).toEqual([...t.lookup(1, 0)]);
  });

  it('the CPUID instruction reports VMX when the CPU has a VMX capability provider', () => {
    const { cpu } = makeSys();
    // mov eax, 1 ; cpuid ; hlt
    loadCode(cpu, [0xb8, 1, 0, 0, 0, 0x0f, 0xa2, 0xf4]);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.regs[1]! & 0x20).toBe(0);
    expect(cpu.regs[2]! & 1).toBe(0);
    const m = makeSys();
    m.cpu.vmxCapabilities = { readMsr: () => undefined };
    loadCode(m.cpu, [0xb8, 1, 0, 0, 0, 0x0f, 0xa2, 0xf4]);
    expect(m.cpu.run(10)).toBe(StopReason.HALT);
    expect(m.cpu.regs[1]! & 0x20).toBe(0x20);
  });
});
