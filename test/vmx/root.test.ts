/** VMX instructions executed by emulated root-mode code (the cpu.vmxRoot provider). */
import { describe, expect, it } from 'vitest';
import { StopReason } from '../../src/cpu/state.js';
import { VmcsField as F } from '../../src/vmx/fields.js';
import { makeEnv, poke, VMCS } from './env.js';

const HOST_CODE = 0x200000;

describe('VMX instructions in emulated root operation', () => {
  it('VMREAD, VMWRITE and VMPTRST with register and memory operands', () => {
    const env = makeEnv({ rip: 0x1000 });
    const code = [
      0xb8, 0x1e, 0x68, 0, 0, // mov eax, 0x681e (GUEST_RIP)
      0x0f, 0x78, 0xc3, // vmread ebx, eax
      0xb9, 0x00, 0x20, 0, 0, // mov ecx, 0x2000
      0x0f, 0x79, 0xc1, // vmwrite eax, ecx
      0x0f, 0xc7, 0x3d, 0x00, 0x00, 0x30, 0x00, // vmptrst [0x300000]
      0xb8, 0x02, 0x44, 0, 0, // mov eax, 0x4402 (VM_EXIT_REASON: read-only)
      0x0f, 0x79, 0xc1, // vmwrite eax, ecx → VMfailValid(13)
      0xf4,
    ];
    env.ram.set(code, HOST_CODE);
    env.cpu.eip = HOST_CODE;
    expect(env.cpu.run(100)).toBe(StopReason.HALT);
    expect(env.cpu.regs[3]).toBe(0x1000);
    expect(env.vmcs.read(F.GUEST_RIP)).toBe(0x2000);
    expect(env.ram[0x300000] | (env.ram[0x300001]! << 8) | (env.ram[0x300002]! << 16)).toBe(VMCS);
    expect(env.cpu.getEflags() & 0x40).toBe(0x40);
    expect(env.vmcs.read(F.VM_INSTRUCTION_ERROR)).toBe(13);
  });

  it('VMLAUNCH from emulated root code runs the guest; the exit continues at HOST_RIP', () => {
    const env = makeEnv({ rip: 0x1000, hostRip: HOST_CODE + 3 });
    poke(env, 0x1000, [0x0f, 0xa2]); // guest: cpuid
    env.ram.set([0x0f, 0x01, 0xc2, 0xf4], HOST_CODE); // vmlaunch ; hlt
    env.cpu.eip = HOST_CODE;
    expect(env.cpu.run(100)).toBe(StopReason.VMEXIT);
    expect(env.cpu.nonRoot).toBe(false);
    expect(env.vmcs.read(F.VM_EXIT_REASON)).toBe(10);
    expect(env.cpu.eip).toBe(HOST_CODE + 3);
    expect(env.cpu.run(100)).toBe(StopReason.HALT);
  });

  it('VMX operations at CPL 3 in root return #GP(0)', () => {
    const env = makeEnv({ rip: 0x1000 });
    const r = env.vmx.vmread(F.GUEST_RIP);
    expect(r.result.kind).toBe('VMsucceed');
    env.cpu.cpl = 3;
    expect(env.vmx.vmread(F.GUEST_RIP).result).toEqual({ kind: 'fault', vector: 13, errorCode: 0 });
  });
});
