import { describe, expect, it } from 'vitest';
import { ENTRY_CHECKS } from '../../src/vmx/entry.js';
import { EntryCtl, ExitCtl, PinCtl, ProcCtl, ProcCtl2 } from '../../src/vmx/controls.js';
import { VmcsField as F } from '../../src/vmx/fields.js';
import type { Vmcs } from '../../src/vmx/vmcs.js';
import { makeEnv, MSR_AREA, type Env } from './env.js';

/** The base configuration: flat 32-bit protected mode with 32-bit paging, EPT, no unrestricted guest. */
function base(): Env {
  return makeEnv({ guestCr3: 0x3000 });
}

const or = (v: Vmcs, f: number, bits: number): void => v.write(f, v.read(f) | bits);
const andNot = (v: Vmcs, f: number, bits: number): void => v.write(f, v.read(f) & ~bits);
const ug = (v: Vmcs): void => { or(v, F.SECONDARY_VM_EXEC_CONTROL, ProcCtl2.UNRESTRICTED_GUEST); };
const inject = (v: Vmcs, type: number, vector: number, extra = 0): void =>
  v.write(F.VM_ENTRY_INTR_INFO_FIELD, (0x80000000 | (type << 8) | vector | extra) >>> 0);
const v86 = (v: Vmcs): void => {
  v.write(F.GUEST_RFLAGS, 0x20002);
  for (let i = 0; i < 6; i++) {
    v.write(F.GUEST_ES_SELECTOR + 2 * i, 0x1000);
    v.write(F.GUEST_ES_BASE + 2 * i, 0x10000);
    v.write(F.GUEST_ES_LIMIT + 2 * i, 0xffff);
    v.write(F.GUEST_ES_AR_BYTES + 2 * i, 0xf3);
  }
};
const usableLdtr = (v: Vmcs, ar = 0x82): void => {
  v.write(F.GUEST_LDTR_SELECTOR, 0x20);
  v.write(F.GUEST_LDTR_LIMIT, 0xffff);
  v.write(F.GUEST_LDTR_AR_BYTES, ar);
};
const msrArea = (v: Vmcs, addr: number, count: number, a: number, c: number): void => { v.write(addr, a); v.write(count, c); };

/** For every check id: how to violate exactly that rule starting from the base configuration. */
const VIOLATIONS: Record<string, (v: Vmcs, env: Env) => void> = {
  'control.pin.allowed': (v) => or(v, F.PIN_BASED_VM_EXEC_CONTROL, PinCtl.PROCESS_POSTED_INTERRUPTS),
  'control.proc.allowed': (v) => or(v, F.CPU_BASED_VM_EXEC_CONTROL, ProcCtl.USE_TPR_SHADOW),
  'control.proc2.allowed': (v) => or(v, F.SECONDARY_VM_EXEC_CONTROL, ProcCtl2.VIRTUALIZE_APIC_ACCESSES),
  'control.cr3-target-count': (v) => v.write(F.CR3_TARGET_COUNT, 5),
  'control.io-bitmap-a.align': (v) => { or(v, F.CPU_BASED_VM_EXEC_CONTROL, ProcCtl.USE_IO_BITMAPS); v.write(F.IO_BITMAP_A, 0x4010); },
  'control.io-bitmap-a.width': (v) => { or(v, F.CPU_BASED_VM_EXEC_CONTROL, ProcCtl.USE_IO_BITMAPS); v.write(F.IO_BITMAP_A_HIGH, 1); },
  'control.io-bitmap-b.align': (v) => { or(v, F.CPU_BASED_VM_EXEC_CONTROL, ProcCtl.USE_IO_BITMAPS); v.write(F.IO_BITMAP_B, 0x4008); },
  'control.io-bitmap-b.width': (v) => { or(v, F.CPU_BASED_VM_EXEC_CONTROL, ProcCtl.USE_IO_BITMAPS); v.write(F.IO_BITMAP_B_HIGH, 2); },
  'control.msr-bitmap.align': (v) => { or(v, F.CPU_BASED_VM_EXEC_CONTROL, ProcCtl.USE_MSR_BITMAPS); v.write(F.MSR_BITMAP, 0x6004); },
  'control.msr-bitmap.width': (v) => { or(v, F.CPU_BASED_VM_EXEC_CONTROL, ProcCtl.USE_MSR_BITMAPS); v.write(F.MSR_BITMAP_HIGH, 1); },
  'control.nmi.virtual-nmis': (v) => or(v, F.PIN_BASED_VM_EXEC_CONTROL, PinCtl.VIRTUAL_NMIS),
  'control.nmi.nmi-window': (v) => { or(v, F.PIN_BASED_VM_EXEC_CONTROL, PinCtl.NMI_EXITING); or(v, F.CPU_BASED_VM_EXEC_CONTROL, ProcCtl.NMI_WINDOW_EXITING); },
  'control.vpid.nonzero': (v) => { or(v, F.SECONDARY_VM_EXEC_CONTROL, ProcCtl2.ENABLE_VPID); v.write(F.VIRTUAL_PROCESSOR_ID, 0); },
  'control.eptp.memory-type': (v) => v.write(F.EPT_POINTER, (v.read(F.EPT_POINTER) & ~7) | 1),
  'control.eptp.walk-length': (v) => v.write(F.EPT_POINTER, (v.read(F.EPT_POINTER) & ~0x38) | (2 << 3)),
  'control.eptp.reserved': (v) => or(v, F.EPT_POINTER, 0x100),
  'control.eptp.width': (v) => v.write(F.EPT_POINTER_HIGH, 1),
  'control.unrestricted-guest.ept': (v) => { andNot(v, F.SECONDARY_VM_EXEC_CONTROL, ProcCtl2.ENABLE_EPT); ug(v); },
  'control.preemption-timer.save': (v) => or(v, F.VM_EXIT_CONTROLS, ExitCtl.SAVE_PREEMPTION_TIMER),
  'control.exit.allowed': (v) => or(v, F.VM_EXIT_CONTROLS, ExitCtl.HOST_ADDRESS_SPACE_SIZE),
  'control.exit.msr-store.align': (v) => msrArea(v, F.VM_EXIT_MSR_STORE_ADDR, F.VM_EXIT_MSR_STORE_COUNT, MSR_AREA + 8, 1),
  'control.exit.msr-store.range': (v) => msrArea(v, F.VM_EXIT_MSR_STORE_ADDR, F.VM_EXIT_MSR_STORE_COUNT, 0xfffffff0, 2),
  'control.exit.msr-load.align': (v) => msrArea(v, F.VM_EXIT_MSR_LOAD_ADDR, F.VM_EXIT_MSR_LOAD_COUNT, MSR_AREA + 4, 1),
  'control.exit.msr-load.range': (v) => msrArea(v, F.VM_EXIT_MSR_LOAD_ADDR, F.VM_EXIT_MSR_LOAD_COUNT, 0xffffffe0, 3),
  'control.entry.allowed': (v) => or(v, F.VM_ENTRY_CONTROLS, EntryCtl.IA32E_MODE_GUEST),
  'control.entry.intr.type': (v) => inject(v, 1, 0x20),
  'control.entry.intr.nmi-vector': (v) => inject(v, 2, 3),
  'control.entry.intr.exception-vector': (v) => inject(v, 3, 32),
  'control.entry.intr.other-vector': (v) => inject(v, 7, 1),
  'control.entry.intr.error-code': (v) => inject(v, 3, 13),
  'control.entry.intr.reserved': (v) => inject(v, 0, 0x20, 1 << 12),
  'control.entry.intr.error-code-reserved': (v) => { inject(v, 3, 13, 0x800); v.write(F.VM_ENTRY_EXCEPTION_ERROR_CODE, 0x10000); },
  'control.entry.intr.instruction-length': (v) => { inject(v, 4, 0x80); v.write(F.VM_ENTRY_INSTRUCTION_LEN, 0); },
  'control.entry.msr-load.align': (v) => msrArea(v, F.VM_ENTRY_MSR_LOAD_ADDR, F.VM_ENTRY_MSR_LOAD_COUNT, MSR_AREA + 2, 1),
  'control.entry.msr-load.range': (v) => msrArea(v, F.VM_ENTRY_MSR_LOAD_ADDR, F.VM_ENTRY_MSR_LOAD_COUNT, 0xfffffff0, 2),
  'host.cr0.fixed0': (v) => v.write(F.HOST_CR0, 0x31),
  'host.cr0.fixed1': (v) => or(v, F.HOST_CR0, 0x40),
  'host.cr4.fixed0': (v) => v.write(F.HOST_CR4, 0x10),
  'host.cr4.fixed1': (v) => or(v, F.HOST_CR4, 0x200),
  'host.pat.valid': (v) => { or(v, F.VM_EXIT_CONTROLS, ExitCtl.LOAD_IA32_PAT); v.write(F.HOST_IA32_PAT, 0x00070402); },
  'host.efer.reserved': (v) => { or(v, F.VM_EXIT_CONTROLS, ExitCtl.LOAD_IA32_EFER); v.write(F.HOST_IA32_EFER, 1); },
  'host.efer.lma-lme': (v) => { or(v, F.VM_EXIT_CONTROLS, ExitCtl.LOAD_IA32_EFER); v.write(F.HOST_IA32_EFER, 0x100); },
  'host.es.rpl-ti': (v) => v.write(F.HOST_ES_SELECTOR, 0x13),
  'host.cs.rpl-ti': (v) => v.write(F.HOST_CS_SELECTOR, 0x0b),
  'host.ss.rpl-ti': (v) => v.write(F.HOST_SS_SELECTOR, 0x14),
  'host.ds.rpl-ti': (v) => v.write(F.HOST_DS_SELECTOR, 0x11),
  'host.fs.rpl-ti': (v) => v.write(F.HOST_FS_SELECTOR, 0x12),
  'host.gs.rpl-ti': (v) => v.write(F.HOST_GS_SELECTOR, 0x17),
  'host.tr.rpl-ti': (v) => v.write(F.HOST_TR_SELECTOR, 0x1c),
  'host.cs.nonzero': (v) => v.write(F.HOST_CS_SELECTOR, 0),
  'host.tr.nonzero': (v) => v.write(F.HOST_TR_SELECTOR, 0),
  'host.ss.nonzero': (v) => v.write(F.HOST_SS_SELECTOR, 0),
  'guest.cr0.fixed0': (v) => andNot(v, F.GUEST_CR0, 0x20),
  'guest.cr0.fixed1': (v) => or(v, F.GUEST_CR0, 0x40),
  'guest.cr0.pg-without-pe': (v) => { ug(v); v.write(F.GUEST_CR0, 0x80000030); },
  'guest.cr4.fixed0': (v) => andNot(v, F.GUEST_CR4, 0x2000),
  'guest.cr4.fixed1': (v) => or(v, F.GUEST_CR4, 0x200),
  'guest.debugctl.reserved': (v) => { or(v, F.VM_ENTRY_CONTROLS, EntryCtl.LOAD_DEBUG_CONTROLS); v.write(F.GUEST_IA32_DEBUGCTL, 4); },
  'guest.pat.valid': (v) => { or(v, F.VM_ENTRY_CONTROLS, EntryCtl.LOAD_IA32_PAT); v.write(F.GUEST_IA32_PAT_HIGH, 0x03); },
  'guest.efer.reserved': (v) => { or(v, F.VM_ENTRY_CONTROLS, EntryCtl.LOAD_IA32_EFER); v.write(F.GUEST_IA32_EFER, 0x1); },
  'guest.efer.lma': (v) => { or(v, F.VM_ENTRY_CONTROLS, EntryCtl.LOAD_IA32_EFER); v.write(F.GUEST_IA32_EFER, 0x400); },
  'guest.efer.lme': (v) => { or(v, F.VM_ENTRY_CONTROLS, EntryCtl.LOAD_IA32_EFER); v.write(F.GUEST_IA32_EFER, 0x100); },
  'guest.tr.ti': (v) => v.write(F.GUEST_TR_SELECTOR, 0x1c),
  'guest.ldtr.ti': (v) => { usableLdtr(v); v.write(F.GUEST_LDTR_SELECTOR, 0x24); },
  'guest.ss.rpl': (v) => v.write(F.GUEST_SS_SELECTOR, 0x13),
  'guest.v86.base': (v) => { v86(v); v.write(F.GUEST_DS_BASE, 0); },
  'guest.v86.limit': (v) => { v86(v); v.write(F.GUEST_FS_LIMIT, 0xfffff); },
  'guest.v86.ar': (v) => { v86(v); v.write(F.GUEST_GS_AR_BYTES, 0x93); },
  'guest.cs.usable': (v) => or(v, F.GUEST_CS_AR_BYTES, 0x10000),
  'guest.cs.type': (v) => v.write(F.GUEST_CS_AR_BYTES, 0xc093),
  'guest.ss.type': (v) => v.write(F.GUEST_SS_AR_BYTES, 0xc09b),
  'guest.data.accessed': (v) => v.write(F.GUEST_DS_AR_BYTES, 0xc092),
  'guest.data.code-readable': (v) => v.write(F.GUEST_ES_AR_BYTES, 0xc099),
  'guest.seg.s': (v) => v.write(F.GUEST_FS_AR_BYTES, 0xc083),
  'guest.cs.dpl-data': (v) => { ug(v); v.write(F.GUEST_CS_AR_BYTES, 0xc0f3); },
  'guest.cs.dpl-nonconforming': (v) => v.write(F.GUEST_CS_AR_BYTES, 0xc0fb),
  'guest.cs.dpl-conforming': (v) => { v.write(F.GUEST_CS_AR_BYTES, 0xc0ff); },
  'guest.ss.dpl-rpl': (v) => { v.write(F.GUEST_CS_AR_BYTES, 0xc09f); v.write(F.GUEST_SS_AR_BYTES, 0xc0f3); },
  'guest.ss.dpl-real': (v) => { ug(v); v.write(F.GUEST_CR0, 0x30); v.write(F.GUEST_CS_AR_BYTES, 0xc09f); v.write(F.GUEST_SS_AR_BYTES, 0xc0f3); },
  'guest.data.dpl': (v) => v.write(F.GUEST_DS_SELECTOR, 0x13),
  'guest.seg.present': (v) => v.write(F.GUEST_GS_AR_BYTES, 0xc013),
  'guest.seg.ar-reserved': (v) => or(v, F.GUEST_DS_AR_BYTES, 0x100),
  'guest.seg.granularity': (v) => v.write(F.GUEST_DS_LIMIT, 0xffffe000),
  'guest.tr.type': (v) => v.write(F.GUEST_TR_AR_BYTES, 0x89),
  'guest.tr.s': (v) => v.write(F.GUEST_TR_AR_BYTES, 0x9b),
  'guest.tr.present': (v) => v.write(F.GUEST_TR_AR_BYTES, 0x0b),
  'guest.tr.ar-reserved': (v) => v.write(F.GUEST_TR_AR_BYTES, 0x18b),
  'guest.tr.granularity': (v) => v.write(F.GUEST_TR_AR_BYTES, 0x808b),
  'guest.tr.usable': (v) => v.write(F.GUEST_TR_AR_BYTES, 0x1008b),
  'guest.ldtr.type': (v) => usableLdtr(v, 0x83),
  'guest.ldtr.s': (v) => usableLdtr(v, 0x92),
  'guest.ldtr.present': (v) => usableLdtr(v, 0x02),
  'guest.ldtr.ar-reserved': (v) => usableLdtr(v, 0x482),
  'guest.ldtr.granularity': (v) => { usableLdtr(v, 0x8082); v.write(F.GUEST_LDTR_LIMIT, 0x1000); },
  'guest.gdtr.limit': (v) => v.write(F.GUEST_GDTR_LIMIT, 0x10000),
  'guest.idtr.limit': (v) => v.write(F.GUEST_IDTR_LIMIT, 0x20000),
  'guest.rflags.reserved': (v) => v.write(F.GUEST_RFLAGS, 0x8002),
  'guest.rflags.bit1': (v) => v.write(F.GUEST_RFLAGS, 0),
  'guest.rflags.vm-real': (v) => { ug(v); v.write(F.GUEST_CR0, 0x30); v86(v); },
  'guest.rflags.if-external-interrupt': (v) => inject(v, 0, 0x20),
  'guest.activity.supported': (v) => v.write(F.GUEST_ACTIVITY_STATE, 2),
  'guest.activity.hlt-dpl': (v) => {
    v.write(F.GUEST_CS_SELECTOR, 0x0b); v.write(F.GUEST_CS_AR_BYTES, 0xc0fb);
    v.write(F.GUEST_SS_SELECTOR, 0x13); v.write(F.GUEST_SS_AR_BYTES, 0xc0f3);
    v.write(F.GUEST_ACTIVITY_STATE, 1);
  },
  'guest.activity.blocking': (v) => { v.write(F.GUEST_RFLAGS, 0x202); v.write(F.GUEST_INTERRUPTIBILITY_INFO, 1); v.write(F.GUEST_ACTIVITY_STATE, 1); },
  'guest.activity.injection': (v) => { v.write(F.GUEST_ACTIVITY_STATE, 1); inject(v, 4, 0x80); v.write(F.VM_ENTRY_INSTRUCTION_LEN, 2); },
  'guest.interruptibility.reserved': (v) => v.write(F.GUEST_INTERRUPTIBILITY_INFO, 0x10),
  'guest.interruptibility.sti-movss': (v) => { v.write(F.GUEST_RFLAGS, 0x202); v.write(F.GUEST_INTERRUPTIBILITY_INFO, 3); },
  'guest.interruptibility.sti-if': (v) => v.write(F.GUEST_INTERRUPTIBILITY_INFO, 1),
  'guest.interruptibility.external-interrupt': (v) => { v.write(F.GUEST_RFLAGS, 0x202); v.write(F.GUEST_INTERRUPTIBILITY_INFO, 2); inject(v, 0, 0x20); },
  'guest.interruptibility.nmi-movss': (v) => { v.write(F.GUEST_INTERRUPTIBILITY_INFO, 2); inject(v, 2, 2); },
  'guest.interruptibility.smi': (v) => v.write(F.GUEST_INTERRUPTIBILITY_INFO, 4),
  'guest.interruptibility.virtual-nmi': (v) => {
    or(v, F.PIN_BASED_VM_EXEC_CONTROL, PinCtl.NMI_EXITING | PinCtl.VIRTUAL_NMIS);
    v.write(F.GUEST_INTERRUPTIBILITY_INFO, 8); inject(v, 2, 2);
  },
  'guest.pending-debug.reserved': (v) => v.write(F.GUEST_PENDING_DBG_EXCEPTIONS, 0x10),
  'guest.pending-debug.bs': (v) => { v.write(F.GUEST_RFLAGS, 0x202); v.write(F.GUEST_INTERRUPTIBILITY_INFO, 1); v.write(F.GUEST_PENDING_DBG_EXCEPTIONS, 0x4000); },
  'guest.vmcs-link-pointer': (v) => { v.write(F.VMCS_LINK_POINTER, 0x5000); v.write(F.VMCS_LINK_POINTER_HIGH, 0); },
  'guest.interruptibility.nmi-sti': (v) => { v.write(F.GUEST_RFLAGS, 0x202); v.write(F.GUEST_INTERRUPTIBILITY_INFO, 1); inject(v, 2, 2); },
  'guest.pdpte': (v) => { v.write(F.GUEST_CR4, 0x2030); v.write(F.GUEST_PDPTR0, 0x5003); },
};

describe('VM-entry checks (table-driven)', () => {
  it('the base configuration enters', () => {
    const env = base();
    expect(env.vmx.vmlaunch()).toEqual({ kind: 'VMsucceed' });
    expect(env.cpu.nonRoot).toBe(true);
  });

  it('has at least 60 distinct checks and a violation for each', () => {
    const ids = ENTRY_CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(60);
    for (const id of ids) expect(VIOLATIONS[id], id).toBeDefined();
  });

  for (const check of ENTRY_CHECKS) {
    it(`${check.id} → ${check.failure.kind === 'VMfailValid' ? `VMfailValid(${check.failure.error})` : `exit 33 qual ${check.failure.qualification}`}`, () => {
      const env = base();
      const v = env.vmcs;
      VIOLATIONS[check.id]!(v, env);
      const r = env.vmx.vmlaunch();
      expect(env.vmx.lastFailedCheck?.id).toBe(check.id);
      expect(env.cpu.nonRoot).toBe(false);
      if (check.failure.kind === 'VMfailValid') {
        expect(r).toEqual({ kind: 'VMfailValid', error: check.failure.error });
        expect(v.read(F.VM_INSTRUCTION_ERROR)).toBe(check.failure.error);
        expect(env.cpu.getEflags() & 0x40).toBe(0x40); // ZF
        expect(v.launched).toBe(false);
      } else {
        expect(r).toEqual({ kind: 'vmexit' });
        expect(v.read(F.VM_EXIT_REASON) >>> 0).toBe((0x80000000 | 33) >>> 0);
        expect(v.read(F.EXIT_QUALIFICATION)).toBe(check.failure.qualification);
        expect(env.cpu.eip).toBe(0xdead0000); // host state loaded
        expect(env.cpu.regs[4]).toBe(0x9000);
        expect(v.launched).toBe(false);
      }
    });
  }
});

describe('VM-entry: valid configurations', () => {
  it('unrestricted real-mode guest', () => {
    const env = makeEnv({ mode: 'real', rip: 0x7c00, rsp: 0x7000 });
    expect(env.vmx.vmlaunch().kind).toBe('VMsucceed');
    expect(env.cpu.cr0 & 1).toBe(0);
    expect(env.cpu.eip).toBe(0x7c00);
    expect(env.cpu.cpl).toBe(0);
  });
  it('paged guest without EPT', () => {
    const env = makeEnv({ guestCr3: 0x3000 }, {}, { noEpt: true });
    expect(env.vmx.vmlaunch().kind).toBe('VMsucceed');
    expect(env.cpu.cr0 >>> 0).toBe(0x80000031);
  });
  it('unpaged protected-mode guest with VPID and PAT/EFER save/load', () => {
    const env = makeEnv({
      vpid: 5, exit: ExitCtl.SAVE_IA32_PAT | ExitCtl.LOAD_IA32_PAT | ExitCtl.SAVE_IA32_EFER | ExitCtl.LOAD_IA32_EFER,
      entry: EntryCtl.LOAD_IA32_PAT | EntryCtl.LOAD_IA32_EFER | EntryCtl.LOAD_DEBUG_CONTROLS,
    });
    env.vmcs.write('GUEST_IA32_EFER', 0x800);
    env.vmcs.write('GUEST_IA32_PAT', 0x06060606);
    expect(env.vmx.vmlaunch().kind).toBe('VMsucceed');
    expect(env.cpu.efer).toBe(0x800);
    expect(env.cpu.patLo).toBe(0x06060606);
  });
  it('v8086 guest enters', () => {
    const env = base();
    v86(env.vmcs);
    expect(env.vmx.vmlaunch().kind).toBe('VMsucceed');
    expect(env.cpu.cpl).toBe(3);
  });
  it('PDPTEs are checked from guest memory without EPT (qualification 2)', () => {
    const env = makeEnv({ guestCr3: 0x3000, guestCr4: 0x2030 }, {}, { noEpt: true });
    env.ram.set([0x03, 0x50, 0, 0], 0x3000); // PDPTE0 present with reserved bit 1 (guest-physical = host-physical)
    expect(env.vmx.vmlaunch()).toEqual({ kind: 'vmexit' });
    expect(env.vmcs.read(F.EXIT_QUALIFICATION)).toBe(2);
  });
});

describe('VM-entry: instruction-level failures and MSR loading', () => {
  it('VMLAUNCH of a launched VMCS → VMfailValid(4); VMRESUME of a clear one → 5', () => {
    const env = base();
    expect(env.vmx.vmresume()).toEqual({ kind: 'VMfailValid', error: 5 });
    env.vmcs.launched = true;
    expect(env.vmx.vmlaunch()).toEqual({ kind: 'VMfailValid', error: 4 });
  });
  it('MOV-SS blocking → VMfailValid(26)', () => {
    const env = base();
    env.cpu.interruptibility = 2;
    expect(env.vmx.vmlaunch()).toEqual({ kind: 'VMfailValid', error: 26 });
  });
  it('no current VMCS → VMfailInvalid (CF)', () => {
    const env = base();
    env.vmx.vmclear(0x102000);
    expect(env.vmx.vmlaunch()).toEqual({ kind: 'VMfailInvalid' });
    expect(env.cpu.getEflags() & 1).toBe(1);
  });
  it('a bad VM-entry MSR-load entry → exit 34 with the 1-based index', () => {
    const env = base();
    const r = env.ram;
    const entry = (i: number, index: number, lo: number, rsv = 0): void => {
      const a = MSR_AREA + i * 16;
      r.set([index & 0xff, (index >>> 8) & 0xff, (index >>> 16) & 0xff, index >>> 24, rsv, 0, 0, 0, lo & 0xff, (lo >>> 8) & 0xff, 0, 0, 0, 0, 0, 0], a);
    };
    entry(0, 0x174, 0x10); // IA32_SYSENTER_CS: fine
    entry(1, 0xc0000100, 0); // FS_BASE: forbidden
    msrArea(env.vmcs, F.VM_ENTRY_MSR_LOAD_ADDR, F.VM_ENTRY_MSR_LOAD_COUNT, MSR_AREA, 2);
    expect(env.vmx.vmlaunch()).toEqual({ kind: 'vmexit' });
    expect(env.vmcs.read(F.VM_EXIT_REASON) >>> 0).toBe((0x80000000 | 34) >>> 0);
    expect(env.vmcs.read(F.EXIT_QUALIFICATION)).toBe(2);
    entry(1, 0x174, 0, 1); // reserved dword nonzero
    expect(env.vmx.vmlaunch().kind).toBe('vmexit');
    expect(env.vmcs.read(F.EXIT_QUALIFICATION)).toBe(2);
    entry(1, 0x175, 0x1234);
    expect(env.vmx.vmlaunch().kind).toBe('VMsucceed');
    expect(env.cpu.sysenterCs).toBe(0x10);
    expect(env.cpu.sysenterEsp).toBe(0x1234);
  });
});
