import { describe, expect, it } from 'vitest';
import { VmxCapabilities, VmxMsr, VMCS_REVISION_ID } from '../../src/vmx/capabilities.js';
import { ExitReason } from '../../src/vmx/controls.js';
import {
  FieldType, FieldWidth, HIGHEST_FIELD_INDEX, SUPPORTED_ENCODINGS, VmcsField as F, fieldEncoding, fieldName,
  fieldType, fieldWidth, isSupportedField,
} from '../../src/vmx/fields.js';
import { Vmcs, VmcsAccessError, dumpVmcs } from '../../src/vmx/vmcs.js';
import { makeEnv, VMCS, VMCS2, VMXON } from './env.js';

function bare(opts = {}): Vmcs {
  const v = new Vmcs(new Uint8Array(0x10000), 0x1000, new VmxCapabilities(opts));
  v.initHeader(VMCS_REVISION_ID);
  return v;
}

describe('field encodings', () => {
  it('decodes width and type from the encoding', () => {
    expect(F.GUEST_RIP).toBe(0x681e);
    expect(fieldWidth(F.GUEST_RIP)).toBe(FieldWidth.NATURAL);
    expect(fieldType(F.GUEST_RIP)).toBe(FieldType.GUEST);
    expect(fieldWidth(F.EPT_POINTER)).toBe(FieldWidth.W64);
    expect(fieldType(F.VM_EXIT_REASON)).toBe(FieldType.EXIT_INFO);
    expect(fieldWidth(F.HOST_CS_SELECTOR)).toBe(FieldWidth.W16);
    expect(fieldType(F.HOST_CS_SELECTOR)).toBe(FieldType.HOST);
    expect(fieldName(0x201b)).toBe('EPT_POINTER_HIGH');
    expect(fieldEncoding('VMCS_LINK_POINTER')).toBe(0x2800);
  });
  it('supported fields: modelled features only; the region layout fits in 4 KiB', () => {
    expect(isSupportedField(F.GUEST_RIP)).toBe(true);
    expect(isSupportedField(F.EPT_POINTER | 1)).toBe(true);
    expect(isSupportedField(F.POSTED_INTR_NV)).toBe(false);
    expect(isSupportedField(F.VIRTUAL_APIC_PAGE_ADDR)).toBe(false);
    expect(isSupportedField(F.GUEST_RIP | 1)).toBe(false); // no high access to natural-width fields
    expect(isSupportedField(F.GUEST_RIP | 0x1000)).toBe(false); // reserved bit 12
    expect(16 + SUPPORTED_ENCODINGS.length * 8).toBeLessThanOrEqual(4096);
    expect(HIGHEST_FIELD_INDEX).toBe(23);
  });
});

describe('VMREAD / VMWRITE rules', () => {
  it('16-bit fields truncate and zero-extend', () => {
    const v = bare();
    expect(v.vmwrite(F.GUEST_CS_SELECTOR, 0x12345678)).toBe(0);
    expect(v.vmread(F.GUEST_CS_SELECTOR)).toBe(0x5678);
  });
  it('natural-width fields are 32 bits', () => {
    const v = bare();
    v.write('GUEST_RIP', 0xfedcba98);
    expect(v.read('GUEST_RIP')).toBe(0xfedcba98);
  });
  it('64-bit fields: full access writes low and clears high; _HIGH accesses the upper half', () => {
    const v = bare();
    v.write(F.TSC_OFFSET_HIGH, 0xaaaa5555);
    v.write(F.TSC_OFFSET, 0x11223344);
    expect(v.read(F.TSC_OFFSET_HIGH)).toBe(0);
    expect(v.read(F.TSC_OFFSET)).toBe(0x11223344);
    v.write(F.TSC_OFFSET_HIGH, 0x99);
    expect(v.read(F.TSC_OFFSET)).toBe(0x11223344);
    expect(v.read64('TSC_OFFSET')).toBe(0x99_11223344n);
    v.write64('VMCS_LINK_POINTER', 0xffffffffffffffffn);
    expect(v.read('VMCS_LINK_POINTER_HIGH')).toBe(0xffffffff);
  });
  it('unsupported encodings → 12; read-only fields → 13 unless MISC[29]', () => {
    const v = bare();
    expect(v.vmread(F.POSTED_INTR_NV)).toBe(-12);
    expect(v.vmwrite(0x12345, 0)).toBe(12);
    expect(v.vmwrite(F.VM_EXIT_REASON, 1)).toBe(13);
    expect(() => v.write('VM_EXIT_REASON', 1)).toThrow(VmcsAccessError);
    expect(() => v.read('PML_ADDRESS')).toThrow(/error 12/);
    expect(() => v.read('NOT_A_FIELD' as never)).toThrow(TypeError);
    const w = bare({ vmwriteExitInfo: true });
    expect(w.vmwrite(F.VM_EXIT_REASON, 48)).toBe(0);
    expect(w.read(F.VM_EXIT_REASON)).toBe(48);
  });
  it('header: revision, shadow indicator, abort indicator, launch state', () => {
    const v = bare();
    expect(v.revisionId).toBe(VMCS_REVISION_ID);
    expect(v.shadowIndicator).toBe(false);
    v.launched = true;
    expect(v.launched).toBe(true);
    expect(v.abortIndicator).toBe(0);
  });
  it('dumpVmcs names every field and decodes controls and the exit reason', () => {
    const env = makeEnv();
    env.vmcs.set(F.VM_EXIT_REASON, ExitReason.EPT_VIOLATION);
    const d = dumpVmcs(env.vmcs);
    for (const enc of SUPPORTED_ENCODINGS) expect(d).toContain(fieldName(enc)!);
    expect(d).toContain('EPT_VIOLATION');
    expect(d).toMatch(/SECONDARY_VM_EXEC_CONTROL\s+0x[0-9a-f]+\s+ENABLE_EPT UNRESTRICTED_GUEST/);
  });
});

describe('VMX instructions (root operation)', () => {
  it('VMREAD/VMWRITE through Vmx set RFLAGS and VM_INSTRUCTION_ERROR', () => {
    const env = makeEnv();
    const { vmx, cpu } = env;
    expect(vmx.vmwrite(F.GUEST_RIP, 0x1234).kind).toBe('VMsucceed');
    expect(cpu.getEflags() & 0x41).toBe(0);
    expect(vmx.vmread(F.GUEST_RIP)).toEqual({ result: { kind: 'VMsucceed' }, value: 0x1234 });
    expect(vmx.vmwrite(F.EXIT_QUALIFICATION, 1)).toEqual({ kind: 'VMfailValid', error: 13 });
    expect(cpu.getEflags() & 0x41).toBe(0x40);
    expect(vmx.vmread(F.VM_INSTRUCTION_ERROR).value).toBe(13);
    expect(vmx.vmread(0x2012).result).toEqual({ kind: 'VMfailValid', error: 12 });
  });
  it('VMCLEAR / VMPTRLD / VMPTRST errors', () => {
    const env = makeEnv();
    const { vmx, ram } = env;
    expect(vmx.vmptrst()).toMatchObject({ value: VMCS, high: 0 });
    expect(vmx.vmclear(VMCS + 8)).toEqual({ kind: 'VMfailValid', error: 2 });
    expect(vmx.vmclear(VMXON)).toEqual({ kind: 'VMfailValid', error: 3 });
    expect(vmx.vmptrld(0x123)).toEqual({ kind: 'VMfailValid', error: 9 });
    expect(vmx.vmptrld(VMXON)).toEqual({ kind: 'VMfailValid', error: 10 });
    ram.fill(0, VMCS2, VMCS2 + 8);
    expect(vmx.vmptrld(VMCS2)).toEqual({ kind: 'VMfailValid', error: 11 });
    ram[VMCS2 + 3] = 0x80; ram.set([0x31, 0x58, 0x54], VMCS2); // right revision, shadow bit set
    expect(vmx.vmptrld(VMCS2)).toEqual({ kind: 'VMfailValid', error: 11 });
    expect(vmx.vmclear(VMCS)).toEqual({ kind: 'VMsucceed' });
    expect(vmx.current).toBe(null);
    expect(vmx.vmptrst()).toMatchObject({ value: 0xffffffff, high: 0xffffffff });
    expect(vmx.vmclear(VMXON)).toEqual({ kind: 'VMfailInvalid' });
    expect(vmx.vmread(F.GUEST_RIP).result).toEqual({ kind: 'VMfailInvalid' });
  });
  it('VMXON in root → VMfail(15); VMCALL in root → VMfail(1); VMXOFF; then #UD', () => {
    const env = makeEnv();
    const { vmx } = env;
    expect(vmx.vmxon(VMXON)).toEqual({ kind: 'VMfailValid', error: 15 });
    expect(vmx.vmcall()).toEqual({ kind: 'VMfailValid', error: 1 });
    expect(vmx.vmxoff()).toEqual({ kind: 'VMsucceed' });
    expect(vmx.vmread(F.GUEST_RIP).result).toEqual({ kind: 'fault', vector: 6, errorCode: 0 });
  });
  it('VMXON checks: #UD without CR4.VMXE, #GP at CPL 3 / bad CR0 / feature control, VMfailInvalid for a bad region', () => {
    const env = makeEnv();
    const { vmx, cpu } = env;
    vmx.vmxoff();
    cpu.cr4 = 0x10;
    expect(vmx.vmxon(VMXON)).toMatchObject({ kind: 'fault', vector: 6 });
    cpu.cr4 = 0x2010;
    cpu.featureControl = 1;
    expect(vmx.vmxon(VMXON)).toMatchObject({ kind: 'fault', vector: 13 });
    cpu.featureControl = 5;
    cpu.cr0 = 0x31;
    expect(vmx.vmxon(VMXON)).toMatchObject({ kind: 'fault', vector: 13 });
    cpu.cr0 = 0x80000031 | 0;
    expect(vmx.vmxon(VMXON + 0x10)).toEqual({ kind: 'VMfailInvalid' });
    expect(vmx.vmxon(VMCS2)).toEqual({ kind: 'VMfailInvalid' }); // revision 0
    expect(vmx.vmxon(VMXON)).toEqual({ kind: 'VMsucceed' });
  });
  it('INVEPT / INVVPID operand checks', () => {
    const env = makeEnv();
    const { vmx } = env;
    expect(vmx.invept(1, env.eptp)).toEqual({ kind: 'VMsucceed' });
    expect(vmx.invept(2, 0)).toEqual({ kind: 'VMsucceed' });
    expect(vmx.invept(3, env.eptp)).toEqual({ kind: 'VMfailValid', error: 28 });
    expect(vmx.invept(1, env.eptp | 0x100)).toEqual({ kind: 'VMfailValid', error: 28 });
    expect(vmx.invvpid(1, 0)).toEqual({ kind: 'VMfailValid', error: 28 });
    expect(vmx.invvpid(2, 0)).toEqual({ kind: 'VMsucceed' });
    expect(vmx.invvpid(0, 3, 0x1000)).toEqual({ kind: 'VMsucceed' });
    expect(vmx.invvpid(1, 0x10000)).toEqual({ kind: 'VMfailValid', error: 28 });
    expect(vmx.invvpid(4, 1)).toEqual({ kind: 'VMfailValid', error: 28 });
  });
});

describe('capability MSRs', () => {
  const caps = new VmxCapabilities();
  const msr = (i: number): [number, number] => caps.readMsr(i)!;
  it('IA32_VMX_BASIC', () => {
    const [lo, hi] = msr(VmxMsr.IA32_VMX_BASIC);
    expect(lo).toBe(VMCS_REVISION_ID);
    expect(lo >>> 31).toBe(0);
    expect(hi & 0x1fff).toBe(4096);
    expect((hi >>> 16) & 1).toBe(1); // 32-bit physical addresses
    expect((hi >>> 18) & 0xf).toBe(6); // WB
    expect((hi >>> 22) & 3).toBe(3); // INS/OUTS info, TRUE MSRs
  });
  it('control MSRs: default1 bits, TRUE MSRs clear CR3 exiting / debug controls', () => {
    expect(msr(VmxMsr.IA32_VMX_PINBASED_CTLS)[0]).toBe(0x16);
    expect(msr(VmxMsr.IA32_VMX_PROCBASED_CTLS)[0]).toBe(0x0401e172);
    expect(msr(VmxMsr.IA32_VMX_TRUE_PROCBASED_CTLS)[0]).toBe(0x04006172);
    expect(msr(VmxMsr.IA32_VMX_TRUE_EXIT_CTLS)[0]).toBe(0x00036dfb);
    expect(msr(VmxMsr.IA32_VMX_TRUE_ENTRY_CTLS)[0]).toBe(0x000011fb);
    const [, proc1] = msr(VmxMsr.IA32_VMX_PROCBASED_CTLS);
    expect(proc1 >>> 31).toBe(1); // secondary controls
    expect((proc1 >>> 21) & 1).toBe(0); // no TPR shadow (no Intel 64)
    expect((proc1 >>> 19) & 3).toBe(0); // no CR8 exiting
    const [, exit1] = msr(VmxMsr.IA32_VMX_EXIT_CTLS);
    expect((exit1 >>> 9) & 1).toBe(0); // host address-space size
    const [, entry1] = msr(VmxMsr.IA32_VMX_ENTRY_CTLS);
    expect((entry1 >>> 9) & 1).toBe(0); // IA-32e mode guest
    const [p2lo, p2hi] = msr(VmxMsr.IA32_VMX_PROCBASED_CTLS2);
    expect(p2lo).toBe(0);
    expect(p2hi).toBe(0x2 | 0x4 | 0x20 | 0x40 | 0x80);
    // every allowed-0 bit is also allowed-1
    for (const i of [0x481, 0x482, 0x483, 0x484, 0x48b, 0x48d, 0x48e, 0x48f, 0x490]) {
      const [a0, a1] = msr(i);
      expect((a0 & ~a1) >>> 0, `MSR ${i.toString(16)}`).toBe(0);
    }
  });
  it('MISC, FIXED, VMCS_ENUM, EPT_VPID_CAP; VMFUNC and unknown MSRs do not exist', () => {
    const [misc] = msr(VmxMsr.IA32_VMX_MISC);
    expect(misc & 0x1f).toBe(5);
    expect((misc >>> 5) & 1).toBe(1);
    expect((misc >>> 6) & 7).toBe(1); // HLT only
    expect((misc >>> 16) & 0x1ff).toBe(4);
    expect((misc >>> 29) & 3).toBe(0);
    expect(msr(VmxMsr.IA32_VMX_CR0_FIXED0)[0]).toBe(0x80000021);
    expect(msr(VmxMsr.IA32_VMX_CR4_FIXED0)[0]).toBe(0x2000);
    expect(msr(VmxMsr.IA32_VMX_VMCS_ENUM)[0]).toBe(23 << 1);
    const [ept, vpid] = msr(VmxMsr.IA32_VMX_EPT_VPID_CAP);
    for (const b of [0, 6, 8, 14, 16, 17, 20, 21, 25, 26]) expect((ept >>> b) & 1, `bit ${b}`).toBe(1);
    expect((ept >>> 7) & 1).toBe(0); // no 5-level
    expect(vpid).toBe(0xf01);
    expect(caps.readMsr(VmxMsr.IA32_VMX_VMFUNC)).toBeUndefined();
    expect(caps.readMsr(0x492)).toBeUndefined();
    const opt = new VmxCapabilities({ vmwriteExitInfo: true, zeroLengthSoftwareInjection: true });
    expect((opt.readMsr(VmxMsr.IA32_VMX_MISC)![0] >>> 29) & 3).toBe(3);
  });
  it('RDMSR on the CPU reads them through cpu.vmxCapabilities', () => {
    const env = makeEnv();
    expect((env.cpu.vmxCapabilities as VmxCapabilities).readMsr(0x480)![0]).toBe(VMCS_REVISION_ID);
  });
});
