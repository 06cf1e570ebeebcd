/** Event injection, IDT-vectoring, NMI / external-interrupt exits, task switch, MSR lists. */
import { describe, expect, it } from 'vitest';
import { Activity, StopReason } from '../../src/cpu/state.js';
import { ExitCtl, ExitReason as R, PinCtl } from '../../src/vmx/controls.js';
import { VmcsField as F } from '../../src/vmx/fields.js';
import { MSR_AREA, makeEnv, peek32, poke, type Env } from './env.js';
import type { FlatGuestOptions } from '../../src/vmx/setup.js';

const CODE = 0x1000;
const IDT = 0x800;
const HANDLER = 0x3000;

function le32(v: number): number[] { return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]; }

/** A flat protected-mode guest with a GDT at GPA 0 and an IDT at GPA 0x800 whose gates all point
 *  at HANDLER (CPUID: exit 10). */
function pmGuest(code: number[], opts: Partial<FlatGuestOptions> = {}): Env {
  const env = makeEnv({ rip: CODE, rsp: 0x8000, idtrBase: IDT, idtrLimit: 0x7ff, ...opts });
  poke(env, 0x08, [0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0]);
  poke(env, 0x10, [0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0]);
  for (let v = 0; v < 256; v++) poke(env, IDT + v * 8, [HANDLER & 0xff, HANDLER >>> 8, 0x08, 0, 0, 0x8e, 0, 0]);
  poke(env, HANDLER, [0x0f, 0xa2]);
  poke(env, CODE, code);
  return env;
}

function exitReason(env: Env): number { return env.vmcs.read(F.VM_EXIT_REASON) & 0xffff; }
function launchAndRun(env: Env): number {
  const r = env.vmx.vmlaunch();
  if (r.kind === 'vmexit') return exitReason(env);
  expect(r.kind).toBe('VMsucceed');
  expect(env.cpu.run(10000)).toBe(StopReason.VMEXIT);
  return exitReason(env);
}

describe('VM-entry event injection (protected mode)', () => {
  it('injects #GP with an error code through the IDT', () => {
    const env = pmGuest([0x90]);
    env.vmcs.write(F.VM_ENTRY_INTR_INFO_FIELD, 0x80000b0d);
    env.vmcs.write(F.VM_ENTRY_EXCEPTION_ERROR_CODE, 0x1234);
    expect(launchAndRun(env)).toBe(R.CPUID);
    expect(env.vmcs.read(F.GUEST_RIP)).toBe(HANDLER);
    const esp = env.vmcs.read(F.GUEST_RSP);
    expect(esp).toBe(0x8000 - 16);
    expect(peek32(env, esp)).toBe(0x1234);
    expect(peek32(env, esp + 4)).toBe(CODE);
    expect(peek32(env, esp + 8)).toBe(0x08);
  });

  it('injects a software interrupt: the return address is RIP + instruction length', () => {
    const env = pmGuest([0x90]);
    env.vmcs.write(F.VM_ENTRY_INTR_INFO_FIELD, 0x80000430);
    env.vmcs.write(F.VM_ENTRY_INSTRUCTION_LEN, 2);
    expect(launchAndRun(env)).toBe(R.CPUID);
    expect(peek32(env, env.vmcs.read(F.GUEST_RSP))).toBe(CODE + 2);
  });

  it('an injected NMI sets NMI blocking in the guest', () => {
    const env = pmGuest([0x90]);
    env.vmcs.write(F.VM_ENTRY_INTR_INFO_FIELD, 0x80000202);
    expect(launchAndRun(env)).toBe(R.CPUID);
    expect(env.vmcs.read(F.GUEST_INTERRUPTIBILITY_INFO) & 8).toBe(8);
  });

  it('a pending MTF "other event" exits before the first instruction', () => {
    const env = pmGuest([0x90], { proc: 1 << 27 });
    env.vmcs.write(F.VM_ENTRY_INTR_INFO_FIELD, 0x80000700);
    expect(launchAndRun(env)).toBe(R.MONITOR_TRAP_FLAG);
    expect(env.vmcs.read(F.GUEST_RIP)).toBe(CODE);
  });
});

describe('IDT-vectoring information and software interrupts', () => {
  it('INT n never exits through the exception bitmap', () => {
    const env = pmGuest([0xcd, 0x30], { exceptionBitmap: 0xffffffff });
    expect(launchAndRun(env)).toBe(R.CPUID);
    expect(env.vmcs.read(F.GUEST_RIP)).toBe(HANDLER);
  });

  it('#NP while delivering INT 0x30: exit 0 with IDT-vectoring (type 4) and the INT length', () => {
    const env = pmGuest([0xcd, 0x30], { exceptionBitmap: 1 << 11 });
    poke(env, IDT + 0x30 * 8 + 5, [0x0e]); // gate not present
    expect(launchAndRun(env)).toBe(R.EXCEPTION_NMI);
    expect(env.vmcs.read(F.VM_EXIT_INTR_INFO) >>> 0).toBe(0x80000b0b);
    expect(env.vmcs.read(F.VM_EXIT_INTR_ERROR_CODE)).toBe(0x30 * 8 + 2);
    expect(env.vmcs.read(F.IDT_VECTORING_INFO_FIELD) >>> 0).toBe(0x80000430);
    expect(env.vmcs.read(F.VM_EXIT_INSTRUCTION_LEN)).toBe(2);
    expect(env.vmcs.read(F.GUEST_RIP)).toBe(CODE);
  });

  it('an exit with no event in delivery has IDT-vectoring invalid', () => {
    const env = pmGuest([0x0f, 0xa2]);
    expect(launchAndRun(env)).toBe(R.CPUID);
    expect(env.vmcs.read(F.IDT_VECTORING_INFO_FIELD)).toBe(0);
  });
});

describe('NMI and external interrupts', () => {
  it('NMI exiting: exit 0 with NMI interruption information; NMIs blocked in the host', () => {
    const env = pmGuest([0x90, 0x90], { pin: PinCtl.NMI_EXITING });
    expect(env.vmx.vmlaunch().kind).toBe('VMsucceed');
    env.cpu.nmiPending = true;
    expect(env.cpu.run(100)).toBe(StopReason.VMEXIT);
    expect(exitReason(env)).toBe(R.EXCEPTION_NMI);
    expect(env.vmcs.read(F.VM_EXIT_INTR_INFO) >>> 0).toBe(0x80000202);
    expect(env.vmcs.read(F.GUEST_INTERRUPTIBILITY_INFO) & 8).toBe(0);
    expect(env.cpu.interruptibility & 8).toBe(8);
  });

  it('a halted guest exits on an external interrupt; the activity state HLT is saved', () => {
    const env = pmGuest([0xf4], { pin: PinCtl.EXTERNAL_INTERRUPT_EXITING });
    let pending = false;
    env.cpu.intc = { pending: () => pending, acknowledge: () => 0x40 };
    expect(env.vmx.vmlaunch().kind).toBe('VMsucceed');
    expect(env.cpu.run(100)).toBe(StopReason.HALT);
    pending = true;
    expect(env.cpu.run(100)).toBe(StopReason.VMEXIT);
    expect(exitReason(env)).toBe(R.EXTERNAL_INTERRUPT);
    expect(env.vmcs.read(F.VM_EXIT_INTR_INFO)).toBe(0); // not acknowledged
    expect(env.vmcs.read(F.GUEST_ACTIVITY_STATE)).toBe(Activity.HLT);
    expect(env.vmcs.read(F.GUEST_RIP)).toBe(CODE + 1);
  });

  it('without external-interrupt exiting the interrupt is delivered through the guest IDT', () => {
    const env = pmGuest([0x90, 0x90, 0x90], { rflags: 0x202 });
    let pending = true;
    env.cpu.intc = { pending: () => pending, acknowledge: () => { pending = false; return 0x41; } };
    expect(launchAndRun(env)).toBe(R.CPUID);
    expect(env.vmcs.read(F.GUEST_RIP)).toBe(HANDLER);
    expect(pending).toBe(false);
  });
});

describe('task switch, MSR lists, VMX abort', () => {
  it('JMP far to a TSS exits with reason 9 (source JMP)', () => {
    const env = pmGuest([0xea, 0, 0, 0, 0, 0x28, 0x00]);
    poke(env, 0x28, [0x67, 0, 0x00, 0x40, 0, 0x89, 0, 0]); // available 32-bit TSS at 0x4000
    expect(launchAndRun(env)).toBe(R.TASK_SWITCH);
    expect(env.vmcs.read(F.EXIT_QUALIFICATION) >>> 0).toBe((0x28 | (2 << 30)) >>> 0);
    expect(env.vmcs.read(F.VM_EXIT_INSTRUCTION_LEN)).toBe(7);
  });

  it('VM-exit MSR-store and MSR-load lists', () => {
    const env = pmGuest([0x0f, 0xa2]);
    const r = env.ram;
    r.set([0x74, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], MSR_AREA); // store SYSENTER_CS
    r.set([0x75, 0x01, 0, 0, 0, 0, 0, 0, ...le32(0xabcd000), 0, 0, 0, 0], MSR_AREA + 16); // load SYSENTER_ESP
    env.vmcs.write(F.GUEST_SYSENTER_CS, 0x77);
    env.vmcs.write(F.VM_EXIT_MSR_STORE_ADDR, MSR_AREA);
    env.vmcs.write(F.VM_EXIT_MSR_STORE_COUNT, 1);
    env.vmcs.write(F.VM_EXIT_MSR_LOAD_ADDR, MSR_AREA + 16);
    env.vmcs.write(F.VM_EXIT_MSR_LOAD_COUNT, 1);
    expect(launchAndRun(env)).toBe(R.CPUID);
    expect(r[MSR_AREA + 8]).toBe(0x77);
    expect(env.cpu.sysenterEsp).toBe(0xabcd000);
  });

  it('a bad VM-exit MSR-load entry causes a VMX abort (indicator 4, shutdown)', () => {
    const env = pmGuest([0x0f, 0xa2]);
    env.ram.set([0x00, 0x01, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], MSR_AREA); // FS_BASE
    env.vmcs.write(F.VM_EXIT_MSR_LOAD_ADDR, MSR_AREA);
    env.vmcs.write(F.VM_EXIT_MSR_LOAD_COUNT, 1);
    expect(env.vmx.vmlaunch().kind).toBe('VMsucceed');
    expect(env.cpu.run(100)).toBe(StopReason.VMEXIT);
    expect(env.vmcs.abortIndicator).toBe(4);
    expect(env.cpu.activity).toBe(Activity.SHUTDOWN);
  });

  it('guest state is saved at the exit and host state loaded', () => {
    const env = pmGuest([0x6a, 0x05, 0xfd, 0x0f, 0xa2], { exit: ExitCtl.SAVE_IA32_EFER }); // push 5 ; std ; cpuid
    expect(launchAndRun(env)).toBe(R.CPUID);
    const v = env.vmcs;
    expect(v.read(F.GUEST_RSP)).toBe(0x8000 - 4);
    expect(v.read(F.GUEST_RFLAGS) & 0x400).toBe(0x400);
    expect(v.read(F.GUEST_CS_AR_BYTES)).toBe(0xc09b);
    expect(v.read(F.GUEST_TR_AR_BYTES)).toBe(0x8b);
    expect(v.read(F.GUEST_LDTR_AR_BYTES)).toBe(0x10000);
    const cpu = env.cpu;
    expect(cpu.getEflags()).toBe(2);
    expect(cpu.seg[1]!.ar).toBe(0xc09b);
    expect(cpu.seg[1]!.selector).toBe(0x08);
    expect(cpu.tr.limit).toBe(0x67);
    expect(cpu.gdtr.limit).toBe(0xffff);
    expect(cpu.cr0 >>> 0).toBe(0x80000031);
    expect(cpu.dr[7]).toBe(0x400);
    expect(cpu.cpl).toBe(0);
    // resume: the guest continues after CPUID
    v.write(F.GUEST_RIP, v.read(F.GUEST_RIP) + v.read(F.VM_EXIT_INSTRUCTION_LEN));
    poke(env, CODE + 5, [0x0f, 0xa2]);
    expect(env.vmx.vmresume().kind).toBe('VMsucceed');
    expect(env.cpu.run(100)).toBe(StopReason.VMEXIT);
    expect(v.read(F.GUEST_RIP)).toBe(CODE + 5);
  });
});
