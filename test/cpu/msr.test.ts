import { describe, expect, it } from 'vitest';
import { MSR, StopReason, Vec } from '../../src/cpu/state.js';
import { rdmsr, wrmsr } from '../../src/cpu/msr.js';
import { Efer } from '../../src/cpu/mmu.js';
import { enterRing3, expectFault, handlerOf, loadCode, makeSys, r32, setIdtGate, Sel } from './sys-harness.js';

describe('MSRs', () => {
  const roundTrip: [string, number, number, number][] = [
    ['SYSENTER_CS', MSR.IA32_SYSENTER_CS, 0x10, 0],
    ['SYSENTER_ESP', MSR.IA32_SYSENTER_ESP, 0x12345678, 0],
    ['SYSENTER_EIP', MSR.IA32_SYSENTER_EIP, 0xc0001000 | 0, 0],
    ['PAT', MSR.IA32_PAT, 0x00010406, 0x07050400],
    ['MISC_ENABLE', MSR.IA32_MISC_ENABLE, 0x1, 0],
    ['DEBUGCTL', MSR.IA32_DEBUGCTL, 0x3, 0],
    ['APIC_BASE', MSR.IA32_APIC_BASE, 0xfec00900 | 0, 0],
    ['MTRR_DEF_TYPE', MSR.IA32_MTRR_DEF_TYPE, 0xc06, 0],
    ['MTRR_PHYSBASE0', 0x200, 0x00000006, 0],
    ['MTRR_PHYSMASK0', 0x201, 0xfff00800 | 0, 0xf],
    ['MTRR_FIX64K', 0x250, 0x06060606, 0x06060606],
    ['EFER.NXE', MSR.IA32_EFER, Efer.NXE, 0],
  ];
  for (const [name, idx, lo, hi] of roundTrip) {
    it(`${name} round-trips`, () => {
      const { cpu } = makeSys();
      wrmsr(cpu, idx, lo, hi);
      expect(rdmsr(cpu, idx)).toEqual([lo, hi]);
    });
  }

  const gp: [string, () => [number, number, number] | number][] = [
    ['unknown index (read)', () => 0x12345],
    ['unknown index (write)', () => [0x12345, 0, 0]],
    ['PAT with reserved type 2', () => [MSR.IA32_PAT, 0x02, 0]],
    ['EFER.LME (no long mode)', () => [MSR.IA32_EFER, Efer.LME, 0]],
    ['EFER.SCE (no SYSCALL)', () => [MSR.IA32_EFER, Efer.SCE, 0]],
    ['MTRRCAP is read-only', () => [MSR.IA32_MTRRCAP, 0, 0]],
    ['MTRR_DEF_TYPE reserved bit 9', () => [MSR.IA32_MTRR_DEF_TYPE, 0x206, 0]],
    ['variable MTRR base with type 3', () => [0x200, 3, 0]],
    ['APIC_BASE above MAXPHYADDR', () => [MSR.IA32_APIC_BASE, 0xfee00000 | 0, 0x10]],
    ['VMX capability MSR without VMX', () => 0x480],
  ];
  for (const [name, f] of gp) {
    it(`#GP(0): ${name}`, () => {
      const { cpu } = makeSys();
      const a = f();
      if (typeof a === 'number') expectFault(cpu, () => rdmsr(cpu, a), Vec.GP, 0);
      else expectFault(cpu, () => wrmsr(cpu, a[0], a[1], a[2]), Vec.GP, 0);
    });
  }

  it('FEATURE_CONTROL locks', () => {
    const { cpu } = makeSys();
    wrmsr(cpu, MSR.IA32_FEATURE_CONTROL, 5, 0);
    expect(rdmsr(cpu, MSR.IA32_FEATURE_CONTROL)).toEqual([5, 0]);
    expectFault(cpu, () => wrmsr(cpu, MSR.IA32_FEATURE_CONTROL, 0, 0), Vec.GP, 0);
  });

  it('TSC writes adjust the offset; reads advance with the TSC source', () => {
    const { cpu } = makeSys();
    let t = 1000;
    cpu.tscSource = () => t;
    wrmsr(cpu, MSR.IA32_TSC, 0, 1);
    expect(rdmsr(cpu, MSR.IA32_TSC)).toEqual([0, 1]);
    t += 5;
    expect(rdmsr(cpu, MSR.IA32_TSC)).toEqual([5, 1]);
  });

  it('VMX capability MSRs come from the provider', () => {
    const { cpu } = makeSys();
    cpu.vmxCapabilities = { readMsr: (i) => (i === 0x480 ? [0x11, 0x22] : undefined) };
    expect(rdmsr(cpu, 0x480)).toEqual([0x11, 0x22]);
    expectFault(cpu, () => rdmsr(cpu, 0x481), Vec.GP, 0);
    expectFault(cpu, () => wrmsr(cpu, 0x480, 0, 0), Vec.GP, 0);
  });

  it('RDMSR of an unknown MSR in a program → #GP(0) handler; RDMSR at CPL 3 → #GP(0)', () => {
    const { cpu } = makeSys();
    // mov ecx, 0x12345 ; rdmsr
    loadCode(cpu, [0xb9, 0x45, 0x23, 0x01, 0x00, 0x0f, 0x32]);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(handlerOf(Vec.GP) + 1);
    expect(r32(cpu, cpu.regs[4]! >>> 0)).toBe(0);

    const m = makeSys();
    setIdtGate(m.cpu, Vec.GP, Sel.CODE0, handlerOf(Vec.GP), 0x8e);
    loadCode(m.cpu, [0xb9, 0x74, 0x01, 0x00, 0x00, 0x0f, 0x32]); // mov ecx, 0x174 ; rdmsr
    enterRing3(m.cpu);
    expect(m.cpu.run(10)).toBe(StopReason.HALT);
    expect(m.cpu.eip).toBe(handlerOf(Vec.GP) + 1);
  });
});
