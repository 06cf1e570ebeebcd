/** Interrupt/NMI windows with blocking, INVEPT/INVVPID/VMREAD exits from the guest. */
import { describe, expect, it } from 'vitest';
import { Activity, StopReason } from '../../src/cpu/state.js';
import { ExitReason as R, PinCtl, ProcCtl } from '../../src/vmx/controls.js';
import { VmcsField as F } from '../../src/vmx/fields.js';
import { makeEnv, poke, type Env } from './env.js';
import type { FlatGuestOptions } from '../../src/vmx/setup.js';
import type { VmxCapabilityOptions } from '../../src/vmx/capabilities.js';

const IDT = 0x800;
function pm(code: number[], opts: Partial<FlatGuestOptions> = {}, caps: VmxCapabilityOptions = {}): Env {
  const env = makeEnv({ rip: 0x1000, rsp: 0x8000, idtrBase: IDT, idtrLimit: 0x7ff, ...opts }, caps);
  poke(env, 0x08, [0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0]);
  poke(env, 0x10, [0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0]);
  for (let v = 0; v < 256; v++) poke(env, IDT + v * 8, [0x00, 0x30, 0x08, 0, 0, 0x8e, 0, 0]); // handler 0x3000
  poke(env, 0x1000, code);
  return env;
}
function go(env: Env, resume = false): number {
  const r = resume ? env.vmx.vmresume() : env.vmx.vmlaunch();
  if (r.kind === 'vmexit') return env.vmcs.read(F.VM_EXIT_REASON) & 0xffff;
  expect(r.kind).toBe('VMsucceed');
  expect(env.cpu.run(10000)).toBe(StopReason.VMEXIT);
  return env.vmcs.read(F.VM_EXIT_REASON) & 0xffff;
}

describe('interrupt and NMI windows', () => {
  it('STI blocking delays the interrupt-window exit by one instruction', () => {
    const env = pm([0xfb, 0x90, 0x90, 0x90], { proc: ProcCtl.INTERRUPT_WINDOW_EXITING }); // sti ; nop ; nop
    expect(go(env)).toBe(R.INTERRUPT_WINDOW);
    expect(env.vmcs.read(F.GUEST_RIP)).toBe(0x1002);
    expect(env.vmcs.read(F.GUEST_INTERRUPTIBILITY_INFO)).toBe(0);
  });

  it('a halted guest with IF = 1 exits on the interrupt window with activity HLT', () => {
    const env = pm([0xf4], { rflags: 0x202 });
    expect(env.vmx.vmlaunch().kind).toBe('VMsucceed');
    expect(env.cpu.run(100)).toBe(StopReason.HALT);
    // the hypervisor would now request a window; emulate by re-entering with the control set
    env.vmx.hooks.proc |= ProcCtl.INTERRUPT_WINDOW_EXITING;
    env.cpu.eventCheck = true;
    expect(env.cpu.run(100)).toBe(StopReason.VMEXIT);
    expect(env.vmcs.read(F.VM_EXIT_REASON)).toBe(R.INTERRUPT_WINDOW);
    expect(env.vmcs.read(F.GUEST_ACTIVITY_STATE)).toBe(Activity.HLT);
  });

  it('NMI window opens when the handler of an injected virtual NMI executes IRET', () => {
    const env = pm([0x90, 0x90], { pin: PinCtl.NMI_EXITING | PinCtl.VIRTUAL_NMIS, proc: ProcCtl.NMI_WINDOW_EXITING });
    poke(env, 0x3000, [0x90, 0xcf]); // handler: nop ; iret
    env.vmcs.write(F.VM_ENTRY_INTR_INFO_FIELD, 0x80000202);
    expect(go(env)).toBe(R.NMI_WINDOW);
    expect(env.vmcs.read(F.GUEST_RIP)).toBe(0x1000); // back from the handler
    expect(env.vmcs.read(F.GUEST_INTERRUPTIBILITY_INFO) & 8).toBe(0);
  });
});

describe('VMX instructions in the guest', () => {
  it('INVEPT exits (50) with the type register in reg2', () => {
    const env = pm([0x66, 0x0f, 0x38, 0x80, 0x0b]); // invept ecx, [ebx]
    expect(go(env)).toBe(R.INVEPT);
    const info = env.vmcs.read(F.VMX_INSTRUCTION_INFO);
    expect(info >>> 28).toBe(1); // ECX
    expect((info >>> 23) & 0xf).toBe(3); // base EBX
    expect(env.vmcs.read(F.VM_EXIT_INSTRUCTION_LEN)).toBe(5);
  });

  it('INVVPID exits (53)', () => {
    const env = pm([0x66, 0x0f, 0x38, 0x81, 0x0b]);
    expect(go(env)).toBe(R.INVVPID);
  });

  it('VMREAD register form exits (23) with both registers in the instruction information', () => {
    const env = pm([0x0f, 0x78, 0xc3]); // vmread ebx, eax
    expect(go(env)).toBe(R.VMREAD);
    const info = env.vmcs.read(F.VMX_INSTRUCTION_INFO);
    expect((info >>> 10) & 1).toBe(1);
    expect((info >>> 3) & 0xf).toBe(3); // reg1 = EBX (r/m)
    expect(info >>> 28).toBe(0); // reg2 = EAX
    expect(env.vmcs.read(F.EXIT_QUALIFICATION)).toBe(0);
  });

  it('VMFUNC is #UD in the guest (VM functions are not supported)', () => {
    const env = pm([0x0f, 0x01, 0xd4], { exceptionBitmap: 1 << 6 });
    expect(go(env)).toBe(R.EXCEPTION_NMI);
    expect(env.vmcs.read(F.VM_EXIT_INTR_INFO) & 0xff).toBe(6);
  });
});

describe('CR fixed bits in VMX non-root operation', () => {
  it('clearing guest-owned CR0.NE raises #GP; a host-owned CR4.VMXE keeps its value', () => {
    // mov eax, 0x11 ; mov cr0, eax   (NE cleared)
    let env = pm([0xb8, 0x11, 0, 0, 0, 0x0f, 0x22, 0xc0], { exceptionBitmap: 1 << 13 });
    expect(go(env)).toBe(R.EXCEPTION_NMI);
    expect(env.vmcs.read(F.VM_EXIT_INTR_INFO) & 0xff).toBe(13);
    // mov eax, 0x10 ; mov cr4, eax ; cpuid  (VMXE masked with shadow 0: no exit, stays set)
    env = pm([0xb8, 0x10, 0, 0, 0, 0x0f, 0x22, 0xe0, 0x0f, 0xa2]);
    env.vmcs.write(F.CR4_GUEST_HOST_MASK, 0x2000);
    env.vmcs.write(F.CR4_READ_SHADOW, 0);
    expect(go(env)).toBe(R.CPUID);
    expect(env.vmcs.read(F.GUEST_CR4)).toBe(0x2010);
  });
});

describe('NMI unblocking due to IRET', () => {
  it('an EPT violation on the IRET that ends NMI blocking sets qualification bit 12', () => {
    const env = pm([0x90], { pin: PinCtl.NMI_EXITING | PinCtl.VIRTUAL_NMIS });
    poke(env, 0x3000, [0xbc, 0x00, 0x00, 0x50, 0x00, 0xcf]); // mov esp, 0x500000 ; iret
    env.vmcs.write(F.VM_ENTRY_INTR_INFO_FIELD, 0x80000202);
    expect(go(env)).toBe(R.EPT_VIOLATION);
    expect(env.vmcs.read(F.EXIT_QUALIFICATION) & 0x1000).toBe(0x1000);
    expect(env.vmcs.read(F.GUEST_RIP)).toBe(0x3005);
  });
  it('an EPT violation on an ordinary access does not', () => {
    const env = pm([0xa1, 0x00, 0x00, 0x50, 0x00], { pin: PinCtl.NMI_EXITING | PinCtl.VIRTUAL_NMIS });
    expect(go(env)).toBe(R.EPT_VIOLATION);
    expect(env.vmcs.read(F.EXIT_QUALIFICATION) & 0x1000).toBe(0);
  });
});

describe('capability-dependent behaviour', () => {
  it('MISC[30]: software events may be injected with instruction length 0', () => {
    let env = pm([0x90]);
    env.vmcs.write(F.VM_ENTRY_INTR_INFO_FIELD, 0x80000430);
    env.vmcs.write(F.VM_ENTRY_INSTRUCTION_LEN, 0);
    expect(env.vmx.vmlaunch()).toEqual({ kind: 'VMfailValid', error: 7 });
    env = pm([0x90], {}, { zeroLengthSoftwareInjection: true });
    env.vmcs.write(F.VM_ENTRY_INTR_INFO_FIELD, 0x80000430);
    env.vmcs.write(F.VM_ENTRY_INSTRUCTION_LEN, 0);
    expect(env.vmx.vmlaunch().kind).toBe('VMsucceed');
  });

  it('the preemption-timer deadline is exposed in TSC units for an idle machine', () => {
    const env = pm([0xf4], { pin: PinCtl.ACTIVATE_PREEMPTION_TIMER });
    env.vmcs.write(F.VMX_PREEMPTION_TIMER_VALUE, 10);
    expect(env.vmx.hooks.preemptionTimerDeadline()).toBe(Infinity);
    expect(env.vmx.vmlaunch().kind).toBe('VMsucceed');
    const d = env.vmx.hooks.preemptionTimerDeadline();
    expect(d).toBeGreaterThanOrEqual(env.cpu.instructionsRetired + 10 * 32 - 32);
    expect(d).toBeLessThanOrEqual(env.cpu.instructionsRetired + 10 * 32);
  });
});
