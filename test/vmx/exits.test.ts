/**
 * Guest snippets per exit reason: raw guest code runs through VMLAUNCH + cpu.run; the test checks
 * the exit reason, qualification and exit information, advances GUEST_RIP by
 * VM_EXIT_INSTRUCTION_LEN and VMRESUMEs where the guest continues.
 */
import { describe, expect, it } from 'vitest';
import { StopReason } from '../../src/cpu/state.js';
import { ExitCtl, ExitReason as R, PinCtl, ProcCtl, ProcCtl2 } from '../../src/vmx/controls.js';
import { VmcsField as F } from '../../src/vmx/fields.js';
import { unpackIo, unpackCrAccess, unpackEptViolation } from '../../src/vmx/qualification.js';
import { GUEST_BASE, IO_A, IO_B, MSR_BITMAP, makeEnv, poke, type Env } from './env.js';
import { EptStatus, eptWalk } from '../../src/vmx/ept.js';
import { Access } from '../../src/cpu/vmx-hooks.js';
import type { FlatGuestOptions } from '../../src/vmx/setup.js';

const CODE = 0x1000;

function guest(code: number[], opts: Partial<FlatGuestOptions> = {}, caps = {}, ad = false): Env {
  const env = makeEnv({ rip: CODE, rsp: 0x8000, ...opts }, caps, { accessedDirty: ad });
  poke(env, CODE, code);
  return env;
}

/** VMLAUNCH (or VMRESUME) and run until the VM exit; returns the basic exit reason. */
function runToExit(env: Env, resume = false, budget = 10000): number {
  const r = resume ? env.vmx.vmresume() : env.vmx.vmlaunch();
  if (r.kind === 'vmexit') return env.vmcs.read(F.VM_EXIT_REASON) & 0xffff;
  expect(r.kind).toBe('VMsucceed');
  const stop = env.cpu.run(budget);
  expect(stop).toBe(StopReason.VMEXIT);
  expect(env.cpu.nonRoot).toBe(false);
  expect(env.cpu.eip).toBe(0xdead0000);
  return env.vmcs.read(F.VM_EXIT_REASON) & 0xffff;
}

/** Skip the exiting instruction (GUEST_RIP += VM_EXIT_INSTRUCTION_LEN). */
function skip(env: Env): void {
  const v = env.vmcs;
  v.write(F.GUEST_RIP, v.read(F.GUEST_RIP) + v.read(F.VM_EXIT_INSTRUCTION_LEN));
}

const q = (env: Env): number => env.vmcs.read(F.EXIT_QUALIFICATION);
const rip = (env: Env): number => env.vmcs.read(F.GUEST_RIP);
const len = (env: Env): number => env.vmcs.read(F.VM_EXIT_INSTRUCTION_LEN);

describe('instruction exits', () => {
  it('CPUID exits unconditionally; the guest resumes after it; HLT exiting', () => {
    const env = guest([0x0f, 0xa2, 0xf4], { proc: ProcCtl.HLT_EXITING });
    expect(runToExit(env)).toBe(R.CPUID);
    expect(rip(env)).toBe(CODE);
    expect(len(env)).toBe(2);
    skip(env);
    expect(runToExit(env, true)).toBe(R.HLT);
    expect(rip(env)).toBe(CODE + 2);
    expect(len(env)).toBe(1);
  });

  it('HLT without HLT exiting halts the guest in non-root operation', () => {
    const env = guest([0xf4]);
    expect(env.vmx.vmlaunch().kind).toBe('VMsucceed');
    expect(env.cpu.run(100)).toBe(StopReason.HALT);
    expect(env.cpu.nonRoot).toBe(true);
  });

  it('INVD, VMCALL and WBINVD (secondary control) exit', () => {
    let env = guest([0x0f, 0x08]);
    expect(runToExit(env)).toBe(R.INVD);
    env = guest([0x0f, 0x01, 0xc1]);
    expect(runToExit(env)).toBe(R.VMCALL);
    expect(len(env)).toBe(3);
    env = guest([0x0f, 0x09, 0x0f, 0xa2], { proc2: ProcCtl2.WBINVD_EXITING });
    expect(runToExit(env)).toBe(R.WBINVD);
    env = guest([0x0f, 0x09, 0x0f, 0xa2]);
    expect(runToExit(env)).toBe(R.CPUID); // WBINVD ran without exiting
  });

  it('RDTSC: exiting, and TSC offsetting when not exiting', () => {
    let env = guest([0x0f, 0x31], { proc: ProcCtl.RDTSC_EXITING });
    expect(runToExit(env)).toBe(R.RDTSC);
    env = guest([0x0f, 0x31, 0x0f, 0xa2], { proc: ProcCtl.USE_TSC_OFFSETTING });
    env.vmcs.write(F.TSC_OFFSET, 0x1000000);
    expect(runToExit(env)).toBe(R.CPUID);
    const eax = env.cpu.regs[0]! >>> 0;
    expect(eax).toBeGreaterThanOrEqual(0x1000000);
    expect(eax).toBeLessThan(0x1000000 + 100000);
    expect(env.cpu.tscOffset).toBe(0); // root offset restored
  });

  it('RDPMC exiting', () => {
    const env = guest([0x0f, 0x33], { proc: ProcCtl.RDPMC_EXITING });
    expect(runToExit(env)).toBe(R.RDPMC);
  });

  it('PAUSE exiting', () => {
    const env = guest([0xf3, 0x90], { proc: ProcCtl.PAUSE_EXITING });
    expect(runToExit(env)).toBe(R.PAUSE);
    expect(len(env)).toBe(2);
  });

  it('MWAIT and MONITOR exiting take priority over #UD', () => {
    let env = guest([0x0f, 0x01, 0xc9], { proc: ProcCtl.MWAIT_EXITING });
    expect(runToExit(env)).toBe(R.MWAIT);
    env = guest([0x0f, 0x01, 0xc8], { proc: ProcCtl.MONITOR_EXITING });
    expect(runToExit(env)).toBe(R.MONITOR);
  });

  it('INVLPG exiting reports the linear address', () => {
    const env = guest([0xb8, 0x78, 0x56, 0x34, 0x12, 0x0f, 0x01, 0x38], { proc: ProcCtl.INVLPG_EXITING });
    expect(runToExit(env)).toBe(R.INVLPG);
    expect(q(env) >>> 0).toBe(0x12345678);
    expect(rip(env)).toBe(CODE + 5);
  });

  it('VMX instructions exit with displacement and instruction information', () => {
    // VMPTRLD [eax+0x10]
    const env = guest([0x0f, 0xc7, 0x70, 0x10]);
    expect(runToExit(env)).toBe(R.VMPTRLD);
    expect(q(env)).toBe(0x10);
    const info = env.vmcs.read(F.VMX_INSTRUCTION_INFO);
    expect((info >>> 7) & 7).toBe(1); // 32-bit address size
    expect((info >>> 10) & 1).toBe(0); // memory operand
    expect((info >>> 15) & 7).toBe(3); // DS
    expect((info >>> 23) & 0xf).toBe(0); // base EAX
    expect((info >>> 22) & 1).toBe(1); // no index
    expect(len(env)).toBe(4);
  });

  it('VMLAUNCH in the guest exits with reason 20', () => {
    const env = guest([0x0f, 0x01, 0xc2]);
    expect(runToExit(env)).toBe(R.VMLAUNCH);
  });
});

describe('control-register and debug-register accesses', () => {
  it('MOV to CR0 exits when a masked bit differs from the shadow; MOV from CR0 reads the shadow', () => {
    // mov eax, cr0 ; mov cr0, eax
    const env = guest([0x0f, 0x20, 0xc0, 0x0f, 0x22, 0xc0]);
    env.vmcs.write(F.CR0_GUEST_HOST_MASK, 0x8);
    env.vmcs.write(F.CR0_READ_SHADOW, 0x0);
    // the guest CR0 has TS=1 but the shadow says 0: the read returns TS=0, the write of the same
    // value matches the shadow and does not exit.
    env.vmcs.write(F.GUEST_CR0, 0x39);
    poke(env, CODE + 6, [0x83, 0xc8, 0x08, 0x0f, 0x22, 0xc0]); // or eax,8 ; mov cr0,eax
    expect(runToExit(env)).toBe(R.CR_ACCESS);
    expect(rip(env)).toBe(CODE + 9);
    expect(env.cpu.regs[0]! & 8).toBe(8);
    const c = unpackCrAccess(q(env));
    expect(c).toMatchObject({ cr: 0, accessType: 0, gpr: 0 });
  });

  it('MOV to CR3 exits unless the value is a CR3-target value; MOV from CR3 with CR3-store exiting', () => {
    // mov ebx, 0x5000 ; mov cr3, ebx ; mov ebx, 0x6000 ; mov cr3, ebx
    const env = guest([0xbb, 0x00, 0x50, 0, 0, 0x0f, 0x22, 0xdb, 0xbb, 0x00, 0x60, 0, 0, 0x0f, 0x22, 0xdb, 0x0f, 0x20, 0xd9],
      { proc: ProcCtl.CR3_LOAD_EXITING | ProcCtl.CR3_STORE_EXITING });
    env.vmcs.write(F.CR3_TARGET_COUNT, 1);
    env.vmcs.write(F.CR3_TARGET_VALUE0, 0x5000);
    expect(runToExit(env)).toBe(R.CR_ACCESS);
    expect(rip(env)).toBe(CODE + 13);
    expect(unpackCrAccess(q(env))).toMatchObject({ cr: 3, accessType: 0, gpr: 3 });
    skip(env);
    env.vmcs.write(F.GUEST_CR3, 0x6000);
    expect(runToExit(env, true)).toBe(R.CR_ACCESS);
    expect(unpackCrAccess(q(env))).toMatchObject({ cr: 3, accessType: 1, gpr: 1 });
  });

  it('CLTS and LMSW', () => {
    let env = guest([0x0f, 0x06]);
    env.vmcs.write(F.CR0_GUEST_HOST_MASK, 8);
    env.vmcs.write(F.CR0_READ_SHADOW, 8);
    expect(runToExit(env)).toBe(R.CR_ACCESS);
    expect(unpackCrAccess(q(env)).accessType).toBe(2);
    // mov ax, 0x000f ; lmsw ax
    env = guest([0x66, 0xb8, 0x0f, 0x00, 0x0f, 0x01, 0xf0]);
    env.vmcs.write(F.CR0_GUEST_HOST_MASK, 4);
    env.vmcs.write(F.CR0_READ_SHADOW, 0);
    expect(runToExit(env)).toBe(R.CR_ACCESS);
    expect(unpackCrAccess(q(env))).toMatchObject({ accessType: 3, lmswMemory: false, lmswSource: 0xf });
  });

  it('MOV DR exiting', () => {
    const env = guest([0x0f, 0x21, 0xf8], { proc: ProcCtl.MOV_DR_EXITING }); // mov eax, dr7
    expect(runToExit(env)).toBe(R.DR_ACCESS);
    expect(q(env)).toBe(7 | 0x10);
  });
});

describe('I/O and MSR exits', () => {
  it('unconditional I/O exiting: OUT imm8, AL', () => {
    const env = guest([0xe6, 0x80], { proc: ProcCtl.UNCONDITIONAL_IO_EXITING });
    expect(runToExit(env)).toBe(R.IO_INSTRUCTION);
    expect(unpackIo(q(env))).toEqual({ size: 1, isIn: false, isString: false, isRep: false, isImmediate: true, port: 0x80 });
    expect(env.ioLog.length).toBe(0);
  });

  it('I/O bitmaps A and B, multi-byte accesses and wrap-around', () => {
    // mov dx,0x3f9 ; in ax,dx   (bit for 0x3f9 set: a 2-byte access at 0x3f8 also touches it)
    let env = guest([0x66, 0xba, 0xf8, 0x03, 0x66, 0xed], { proc: ProcCtl.USE_IO_BITMAPS });
    env.vmcs.write(F.IO_BITMAP_A, IO_A);
    env.vmcs.write(F.IO_BITMAP_B, IO_B);
    env.ram[IO_A + (0x3f9 >>> 3)] = 1 << (0x3f9 & 7);
    expect(runToExit(env)).toBe(R.IO_INSTRUCTION);
    expect(unpackIo(q(env))).toMatchObject({ size: 2, isIn: true, isImmediate: false, port: 0x3f8 });
    // port 0x8001 in bitmap B
    env = guest([0x66, 0xba, 0x01, 0x80, 0xec, 0x0f, 0xa2], { proc: ProcCtl.USE_IO_BITMAPS });
    env.vmcs.write(F.IO_BITMAP_A, IO_A);
    env.vmcs.write(F.IO_BITMAP_B, IO_B);
    expect(runToExit(env)).toBe(R.CPUID); // no bit set: IN executes
    env.ram[IO_B] = 2;
    env.vmcs.write(F.GUEST_RIP, CODE);
    expect(runToExit(env, true)).toBe(R.IO_INSTRUCTION);
    // wrap-around: 4-byte access at 0xFFFE
    env = guest([0x66, 0xba, 0xfe, 0xff, 0xed], { proc: ProcCtl.USE_IO_BITMAPS });
    env.vmcs.write(F.IO_BITMAP_A, IO_A);
    env.vmcs.write(F.IO_BITMAP_B, IO_B);
    expect(runToExit(env)).toBe(R.IO_INSTRUCTION);
    expect(unpackIo(q(env))).toMatchObject({ size: 4, port: 0xfffe });
  });

  it('REP OUTSB reports string/REP, the guest-linear address and instruction information', () => {
    // mov esi, 0x2000 ; mov dx, 0x3f8 ; mov ecx, 3 ; rep outsb
    const env = guest([0xbe, 0x00, 0x20, 0, 0, 0x66, 0xba, 0xf8, 0x03, 0xb9, 3, 0, 0, 0, 0xf3, 0x6e],
      { proc: ProcCtl.UNCONDITIONAL_IO_EXITING });
    expect(runToExit(env)).toBe(R.IO_INSTRUCTION);
    expect(unpackIo(q(env))).toMatchObject({ size: 1, isIn: false, isString: true, isRep: true, port: 0x3f8 });
    expect(env.vmcs.read(F.GUEST_LINEAR_ADDRESS)).toBe(0x2000);
    const info = env.vmcs.read(F.VMX_INSTRUCTION_INFO);
    expect((info >>> 7) & 7).toBe(1);
    expect((info >>> 15) & 7).toBe(3);
  });

  it('RDMSR/WRMSR through MSR bitmaps (low, high, out of range)', () => {
    // mov ecx, 0x174 ; rdmsr ; mov ecx, 0x10 ; rdmsr
    const env = guest([0xb9, 0x74, 0x01, 0, 0, 0x0f, 0x32, 0xb9, 0x10, 0, 0, 0, 0x0f, 0x32], { proc: ProcCtl.USE_MSR_BITMAPS });
    env.vmcs.write(F.MSR_BITMAP, MSR_BITMAP);
    env.ram[MSR_BITMAP + 2] = 1; // read-low bit 0x10
    expect(runToExit(env)).toBe(R.MSR_READ);
    expect(rip(env)).toBe(CODE + 12);
    expect(env.cpu.regs[1]).toBe(0x10);
    // out of range → always exits
    poke(env, CODE, [0xb9, 0, 0, 0, 0x40, 0x0f, 0x32]);
    env.vmcs.write(F.GUEST_RIP, CODE);
    expect(runToExit(env, true)).toBe(R.MSR_READ);
    // WRMSR of EFER: write-high bitmap bit 0x80
    poke(env, CODE, [0xb9, 0x80, 0, 0, 0xc0, 0x0f, 0x30]);
    env.ram[MSR_BITMAP + 3072 + 0x10] = 1;
    env.vmcs.write(F.GUEST_RIP, CODE);
    expect(runToExit(env, true)).toBe(R.MSR_WRITE);
  });

  it('without MSR bitmaps every RDMSR exits', () => {
    const env = guest([0xb9, 0x74, 0x01, 0, 0, 0x0f, 0x32]);
    expect(runToExit(env)).toBe(R.MSR_READ);
  });
});

describe('descriptor-table exits', () => {
  it('SGDT [ebx+4] → 46 with displacement and identity 0; LLDT ax → 47 identity 2', () => {
    let env = guest([0x0f, 0x01, 0x43, 0x04], { proc2: ProcCtl2.DESCRIPTOR_TABLE_EXITING });
    expect(runToExit(env)).toBe(R.GDTR_IDTR);
    expect(q(env)).toBe(4);
    let info = env.vmcs.read(F.VMX_INSTRUCTION_INFO);
    expect((info >>> 28) & 3).toBe(0);
    expect((info >>> 23) & 0xf).toBe(3); // base EBX
    env = guest([0x0f, 0x00, 0xd0], { proc2: ProcCtl2.DESCRIPTOR_TABLE_EXITING });
    expect(runToExit(env)).toBe(R.LDTR_TR);
    info = env.vmcs.read(F.VMX_INSTRUCTION_INFO);
    expect((info >>> 28) & 3).toBe(2);
    expect((info >>> 10) & 1).toBe(1);
  });
});

describe('events', () => {
  it('exception bitmap: #UD exits with interruption information', () => {
    const env = guest([0x0f, 0x0b], { exceptionBitmap: 1 << 6 });
    expect(runToExit(env)).toBe(R.EXCEPTION_NMI);
    expect(env.vmcs.read(F.VM_EXIT_INTR_INFO) >>> 0).toBe(0x80000306);
    expect(rip(env)).toBe(CODE);
  });

  it('INT3 with bitmap bit 3 exits as a software exception with its length', () => {
    const env = guest([0xcc], { exceptionBitmap: 1 << 3 });
    expect(runToExit(env)).toBe(R.EXCEPTION_NMI);
    expect(env.vmcs.read(F.VM_EXIT_INTR_INFO) >>> 0).toBe(0x80000603);
    expect(len(env)).toBe(1);
    expect(rip(env)).toBe(CODE);
  });

  it('#PF error-code mask/match inverts bit 14', () => {
    // paged guest: CR3 page directory with nothing present; mov eax,[0x400000] faults
    const mk = (mask: number, match: number, bitmap: number): Env => {
      const env = guest([0xa1, 0x00, 0x00, 0x40, 0x00], { guestCr3: 0x3000, exceptionBitmap: bitmap });
      // guest page directory at GPA 0x3000: identity 4 MiB page for the first 4 MiB only
      poke(env, 0x3000, [0x83, 0, 0, 0]);
      env.vmcs.write(F.PAGE_FAULT_ERROR_CODE_MASK, mask);
      env.vmcs.write(F.PAGE_FAULT_ERROR_CODE_MATCH, match);
      return env;
    };
    let env = mk(0, 0, 1 << 14);
    expect(runToExit(env)).toBe(R.EXCEPTION_NMI);
    expect(env.vmcs.read(F.VM_EXIT_INTR_INFO) >>> 0).toBe(0x80000b0e);
    expect(env.vmcs.read(F.VM_EXIT_INTR_ERROR_CODE)).toBe(0);
    expect(q(env)).toBe(0x400000);
    env = mk(1, 1, 1 << 14); // error code P=0 does not match: bit 14 inverted → no exit; then triple fault (no IDT)
    expect(runToExit(env)).toBe(R.TRIPLE_FAULT);
    env = mk(1, 0, 0); // matches with bit 14 clear → no exit... bit inverted only on mismatch
    expect(runToExit(env)).toBe(R.TRIPLE_FAULT);
    env = mk(1, 1, 0); // mismatch and bit 14 clear → exit
    expect(runToExit(env)).toBe(R.EXCEPTION_NMI);
  });

  it('triple fault exits with reason 2', () => {
    const env = guest([0x0f, 0x0b], { idtrLimit: 0 });
    expect(runToExit(env)).toBe(R.TRIPLE_FAULT);
  });

  it('interrupt window, NMI window and MTF exits at instruction boundaries', () => {
    let env = guest([0x90, 0x90], { proc: ProcCtl.INTERRUPT_WINDOW_EXITING, rflags: 0x202 });
    expect(runToExit(env)).toBe(R.INTERRUPT_WINDOW);
    expect(rip(env)).toBe(CODE);
    env = guest([0x90, 0x90], { proc: ProcCtl.NMI_WINDOW_EXITING, pin: PinCtl.NMI_EXITING | PinCtl.VIRTUAL_NMIS });
    expect(runToExit(env)).toBe(R.NMI_WINDOW);
    env = guest([0x90, 0x90, 0x90], { proc: ProcCtl.MONITOR_TRAP_FLAG });
    expect(runToExit(env)).toBe(R.MONITOR_TRAP_FLAG);
    expect(rip(env)).toBe(CODE + 1);
    expect(runToExit(env, true)).toBe(R.MONITOR_TRAP_FLAG);
    expect(rip(env)).toBe(CODE + 2);
  });

  it('VMX-preemption timer: 0 exits before the first instruction; N counts TSC >> rate', () => {
    let env = guest([0xeb, 0xfe], { pin: PinCtl.ACTIVATE_PREEMPTION_TIMER });
    env.vmcs.write(F.VMX_PREEMPTION_TIMER_VALUE, 0);
    expect(runToExit(env)).toBe(R.PREEMPTION_TIMER);
    expect(rip(env)).toBe(CODE);
    env = guest([0xeb, 0xfe], { pin: PinCtl.ACTIVATE_PREEMPTION_TIMER, exit: ExitCtl.SAVE_PREEMPTION_TIMER });
    env.vmcs.write(F.VMX_PREEMPTION_TIMER_VALUE, 3);
    const before = env.cpu.instructionsRetired;
    expect(runToExit(env)).toBe(R.PREEMPTION_TIMER);
    const ran = env.cpu.instructionsRetired - before;
    expect(ran).toBeGreaterThanOrEqual(2 * 32);
    expect(ran).toBeLessThanOrEqual(3 * 32 + 1);
    expect(env.vmcs.read(F.VMX_PREEMPTION_TIMER_VALUE)).toBe(0);
  });

  it('external-interrupt exiting with acknowledge interrupt on exit', () => {
    const env = guest([0x90, 0x90], { pin: PinCtl.EXTERNAL_INTERRUPT_EXITING, exit: ExitCtl.ACKNOWLEDGE_INTERRUPT_ON_EXIT });
    let pending = true;
    env.cpu.intc = { pending: () => pending, acknowledge: () => { pending = false; return 0x31; } };
    expect(runToExit(env)).toBe(R.EXTERNAL_INTERRUPT);
    expect(env.vmcs.read(F.VM_EXIT_INTR_INFO) >>> 0).toBe(0x80000031);
    expect(pending).toBe(false);
  });

  it('event injection: an external interrupt into a real-mode guest goes through the IVT', () => {
    const env = guest([], { mode: 'real', rip: 0x7c00, rsp: 0x7000, proc: ProcCtl.HLT_EXITING, rflags: 0x202 });
    poke(env, 0x20 * 4, [0x00, 0x05, 0x00, 0x00]); // vector 0x20 → 0000:0500
    poke(env, 0x500, [0xf4]);
    env.vmcs.write(F.VM_ENTRY_INTR_INFO_FIELD, 0x80000020);
    expect(runToExit(env)).toBe(R.HLT);
    expect(rip(env)).toBe(0x500);
    expect(env.vmcs.read(F.GUEST_RSP)).toBe(0x7000 - 6);
    expect(env.ram[GUEST_BASE + 0x7000 - 6] | (env.ram[GUEST_BASE + 0x7000 - 5]! << 8)).toBe(0x7c00);
    expect(env.vmcs.read(F.VM_ENTRY_INTR_INFO_FIELD) >>> 31).toBe(0); // valid bit cleared by the exit
  });

  it('an EPT violation while delivering an injected event sets IDT-vectoring information', () => {
    const env = guest([], { mode: 'real', rip: 0x7c00, rsp: 0x7000, rflags: 0x202 });
    env.ept.unmap4k(0x6000); // the stack page
    env.vmcs.write(F.VM_ENTRY_INTR_INFO_FIELD, 0x80000020);
    expect(env.vmx.vmlaunch()).toEqual({ kind: 'vmexit' });
    expect(env.vmcs.read(F.VM_EXIT_REASON)).toBe(R.EPT_VIOLATION);
    expect(env.vmcs.read(F.IDT_VECTORING_INFO_FIELD) >>> 0).toBe(0x80000020);
    expect(env.vmcs.read(F.GUEST_RIP)).toBe(0x7c00);
  });
});

describe('EPT violations, misconfigurations and the MMIO seam', () => {
  it('a write to an unmapped GPA: qualification, GPA and GLA', () => {
    const env = guest([0xa3, 0x10, 0x00, 0x50, 0x00]); // mov [0x500010], eax
    expect(runToExit(env)).toBe(R.EPT_VIOLATION);
    const v = unpackEptViolation(q(env));
    expect(v).toMatchObject({ read: false, write: true, fetch: false, rwx: 0, linearValid: true, translation: true });
    expect(env.vmcs.read(F.GUEST_PHYSICAL_ADDRESS)).toBe(0x500010);
    expect(env.vmcs.read(F.GUEST_LINEAR_ADDRESS)).toBe(0x500010);
    expect(rip(env)).toBe(CODE);
  });

  it('write to a read-only page reports the permissions; fetch from a non-executable page', () => {
    let env = guest([0xa3, 0x00, 0x20, 0x00, 0x00]); // mov [0x2000], eax
    env.ept.map(0x2000, GUEST_BASE + 0x2000, 0x1000, { perm: 1 });
    expect(runToExit(env)).toBe(R.EPT_VIOLATION);
    expect(unpackEptViolation(q(env))).toMatchObject({ write: true, rwx: 1 });
    env = guest([0x90]);
    env.ept.map(0x1000, GUEST_BASE + 0x1000, 0x1000, { perm: 3 });
    expect(runToExit(env)).toBe(R.EPT_VIOLATION);
    expect(unpackEptViolation(q(env))).toMatchObject({ fetch: true, rwx: 3 });
  });

  it('EPT misconfiguration (write without read) → 49 with the GPA', () => {
    const env = guest([0xa1, 0x00, 0x20, 0x00, 0x00]);
    env.ept.map(0x2000, GUEST_BASE + 0x2000, 0x1000, { perm: 2 });
    expect(runToExit(env)).toBe(R.EPT_MISCONFIG);
    expect(env.vmcs.read(F.GUEST_PHYSICAL_ADDRESS)).toBe(0x2000);
  });

  it('EPT A/D flags are set when EPTP[6] = 1', () => {
    const env = guest([0xa3, 0x00, 0x20, 0x00, 0x00, 0x0f, 0xa2], {}, {}, true);
    expect(runToExit(env)).toBe(R.CPUID);
    const leaf = (gpa: number): number => {
      const w = eptWalk(env.cpu.phys, env.eptp, gpa, Access.READ);
      expect(w.status).toBe(EptStatus.OK);
      return (env.ram[w.entries[w.count - 1]! + 1]! & 3);
    };
    expect(leaf(0x2000)).toBe(3); // accessed + dirty
    expect(leaf(0x1000)).toBe(1); // code page: accessed only
    expect(leaf(0x3000)).toBe(0); // untouched
    const w = eptWalk(env.cpu.phys, env.eptp, 0x2000, Access.READ);
    expect(env.ram[w.entries[0]! + 1]! & 1).toBe(1); // PML4E accessed
  });

  it('the MMIO window turns an unmapped GPA into MMIO_HPA_BASE + gpa (no exit)', () => {
    const env = guest([0xa1, 0x00, 0x00, 0x50, 0x00, 0x0f, 0xa2]); // mov eax,[0x500000] ; cpuid
    const seen: number[] = [];
    env.vmx.hooks.mmioWindow = (gpa) => { seen.push(gpa); return gpa >= 0x500000; };
    expect(runToExit(env)).toBe(R.CPUID);
    expect(env.cpu.regs[0]! >>> 0).toBe(0xffffffff); // FlatPhysicalMemory.readSlow: unbacked
    expect(seen).toContain(0x500000);
  });
});
