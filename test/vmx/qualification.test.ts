import { describe, expect, it } from 'vitest';
import { Insn } from '../../src/cpu/insn.js';
import {
  packCrAccess, unpackCrAccess, packMovDr, unpackMovDr, packIo, unpackIo, packTaskSwitch, unpackTaskSwitch,
  packInterruptionInfo, unpackInterruptionInfo, packExitReason, packInstructionInfo, packIoInstructionInfo,
} from '../../src/vmx/qualification.js';
import { StopReason } from '../../src/cpu/state.js';
import { ExitCtl, ExitReason as R } from '../../src/vmx/controls.js';
import { VmcsField as F } from '../../src/vmx/fields.js';
import { makeEnv } from './env.js';

describe('qualification and information packing (SDM bit layouts)', () => {
  it('control-register access', () => {
    const q = packCrAccess(3, 1, false, 6, 0);
    expect(q).toBe(3 | (1 << 4) | (6 << 8));
    expect(unpackCrAccess(packCrAccess(0, 3, true, 0, 0xbeef))).toEqual({ cr: 0, accessType: 3, lmswMemory: true, gpr: 0, lmswSource: 0xbeef });
  });
  it('MOV DR', () => {
    expect(packMovDr(7, false, 2)).toBe(7 | 0x10 | 0x200);
    expect(unpackMovDr(packMovDr(3, true, 5))).toEqual({ dr: 3, toDr: true, gpr: 5 });
  });
  it('I/O instruction', () => {
    expect(packIo(4, true, true, true, false, 0x1f0) >>> 0).toBe((3 | 8 | 0x10 | 0x20 | (0x1f0 << 16)) >>> 0);
    expect(unpackIo(packIo(2, false, false, false, true, 0xffff))).toEqual({ size: 2, isIn: false, isString: false, isRep: false, isImmediate: true, port: 0xffff });
  });
  it('task switch', () => {
    expect(packTaskSwitch(0x28, 3) >>> 0).toBe(0xc0000028);
    expect(unpackTaskSwitch(packTaskSwitch(0x30, 1))).toEqual({ selector: 0x30, source: 1 });
  });
  it('interruption information and exit reason', () => {
    expect(packInterruptionInfo(14, 3, true)).toBe(0x80000b0e);
    expect(unpackInterruptionInfo(0x80001202)).toEqual({ valid: true, vector: 2, type: 2, hasErrorCode: false, nmiUnblocking: true, reserved: 0 });
    expect(packExitReason(33, true)).toBe(0x80000021);
    expect(packExitReason(48, false)).toBe(48);
  });
  it('VM-exit instruction information', () => {
    const i = new Insn();
    i.mod = 1; i.base = 5; i.index = 6; i.scale = 2; i.adsize = 32; i.segOverride = 2; i.reg = 1;
    const v = packInstructionInfo(i, i.reg);
    expect(v & 3).toBe(2);
    expect((v >>> 7) & 7).toBe(1);
    expect((v >>> 10) & 1).toBe(0);
    expect((v >>> 15) & 7).toBe(2);
    expect((v >>> 18) & 0xf).toBe(6);
    expect((v >>> 22) & 1).toBe(0);
    expect((v >>> 23) & 0xf).toBe(5);
    expect((v >>> 27) & 1).toBe(0);
    expect(v >>> 28).toBe(1);
    i.mod = 3; i.rm = 4;
    const r = packInstructionInfo(i, 0, 3, true);
    expect((r >>> 3) & 0xf).toBe(4);
    expect((r >>> 10) & 1).toBe(1);
    expect((r >>> 11) & 1).toBe(1);
    expect((r >>> 28) & 3).toBe(3);
    expect(packIoInstructionInfo(16, 0)).toBe(0);
    expect(packIoInstructionInfo(32, 3)).toBe((1 << 7) | (3 << 15));
  });
});

describe('check classes are ordered: controls, then host state, then guest state', () => {
  it('a VMCS with a bad control, host and guest field fails with VMfailValid(7)', () => {
    const env = makeEnv();
    env.vmcs.write(F.CR3_TARGET_COUNT, 9);
    env.vmcs.write(F.HOST_CS_SELECTOR, 0);
    env.vmcs.write(F.GUEST_RFLAGS, 0);
    expect(env.vmx.vmlaunch()).toEqual({ kind: 'VMfailValid', error: 7 });
    env.vmcs.write(F.CR3_TARGET_COUNT, 0);
    expect(env.vmx.vmlaunch()).toEqual({ kind: 'VMfailValid', error: 8 });
    env.vmcs.write(F.HOST_CS_SELECTOR, 8);
    expect(env.vmx.vmlaunch()).toEqual({ kind: 'vmexit' });
    expect(env.vmcs.read(F.VM_EXIT_REASON) >>> 0).toBe(0x80000021);
  });
});

describe('PAE guest without EPT', () => {
  it('VM entry loads the PDPTEs from guest CR3 and the guest translates through them', () => {
    const env = makeEnv({ guestCr3: 0x3000, guestCr4: 0x2030, rip: 0x1000, exit: ExitCtl.SAVE_IA32_PAT }, {}, { noEpt: true });
    // without EPT guest-physical = host-physical: build the tables in host memory
    const r = env.ram;
    r.set([0x01, 0x40, 0, 0, 0, 0, 0, 0], 0x3000); // PDPTE0 → PD at 0x4000
    r.set([0x83, 0, 0, 0, 0, 0, 0, 0], 0x4000); // PDE0: 2 MiB page at 0
    r.set([0x0f, 0xa2], 0x1000);
    env.cpu.invalidateCode(0x1000, 2);
    expect(env.vmx.vmlaunch().kind).toBe('VMsucceed');
    expect(env.cpu.run(10)).toBe(StopReason.VMEXIT);
    expect(env.vmcs.read(F.VM_EXIT_REASON)).toBe(R.CPUID);
    expect(env.vmcs.read(F.GUEST_PDPTR0)).toBe(0x4001);
  });
});
