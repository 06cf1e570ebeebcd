import { describe, expect, it } from 'vitest';
import { Flag, SReg, StopReason, UNWIND, Vec } from '../../src/cpu/state.js';
import type { NonRootHooks } from '../../src/cpu/vmx-hooks.js';
import { Cr0, Cr4 } from '../../src/cpu/mmu.js';
import type { Cpu } from '../../src/cpu/cpu.js';
import {
  GDT, KERNEL_STACK, Sel, enterRing3, handlerOf, loadCode, makeSys, r16, r32, r8, setDesc, setIdtGate, w16, w32,
} from './sys-harness.js';

/** Run code at CPL 0 up to its HLT. */
function run(cpu: Cpu, code: number[]): StopReason {
  loadCode(cpu, [...code, 0xf4]);
  return cpu.run(100);
}
const zf = (cpu: Cpu): boolean => (cpu.getEflags() & Flag.ZF) !== 0;

describe('LAR / LSL / VERR / VERW / ARPL', () => {
  // mov ax, sel ; lar ebx, ax ; (ZF, EBX)
  const lar: [string, number, boolean, number?][] = [
    ['flat data (limit bits 19:16 not reported)', Sel.DATA0, true, 0x00c09300],
    ['TSS (busy)', Sel.TSS, true, 0x00008b00],
    ['null', 0, false],
    ['beyond the GDT', 0x1f0, false],
    ['DPL 0 data with RPL 3', Sel.DATA0 | 3, false],
  ];
  for (const [name, sel, ok, v] of lar) {
    it(`LAR ${name}`, () => {
      const { cpu } = makeSys();
      if (sel === Sel.DATA0) setDesc(cpu, Sel.DATA0, 0, 0xfffff, 0x93, 0xc);
      cpu.regs[3] = 0x77;
      expect(run(cpu, [0x66, 0xb8, sel & 0xff, sel >> 8, 0x0f, 0x02, 0xd8])).toBe(StopReason.HALT);
      expect(zf(cpu)).toBe(ok);
      expect(cpu.regs[3]! >>> 0).toBe(ok ? v! : 0x77);
    });
  }

  it('LSL returns the expanded limit; fails for gates', () => {
    const { cpu } = makeSys();
    run(cpu, [0x66, 0xb8, Sel.DATA0, 0, 0x0f, 0x03, 0xd8]); // lsl ebx, ax
    expect(zf(cpu)).toBe(true);
    expect(cpu.regs[3]! >>> 0).toBe(0xffffffff);
    const m = makeSys();
    run(m.cpu, [0x66, 0xb8, Sel.DATA_SMALL, 0, 0x0f, 0x03, 0xd8]);
    expect(m.cpu.regs[3]).toBe(0xff);
    const g = makeSys();
    w32(g.cpu, GDT + Sel.FREE1, 0x00081000); w32(g.cpu, GDT + Sel.FREE1 + 4, 0x0000ec00); // call gate
    run(g.cpu, [0x66, 0xb8, Sel.FREE1, 0, 0x0f, 0x03, 0xd8]);
    expect(zf(g.cpu)).toBe(false);
  });

  const ver: [string, number, number, boolean][] = [
    // [name, selector, 0 = VERR / 1 = VERW, expected ZF]
    ['VERR data', Sel.DATA0, 0, true],
    ['VERW data', Sel.DATA0, 1, true],
    ['VERW read-only data', Sel.DATA_RO, 1, false],
    ['VERR execute-only code', Sel.CODE_XO, 0, false],
    ['VERR readable code', Sel.CODE_R0, 0, true],
    ['VERW code', Sel.CODE_R0, 1, false],
    ['VERR not-present data (P not checked)', Sel.DATA_NP, 0, true],
    ['VERR system descriptor', Sel.TSS, 0, false],
  ];
  for (const [name, sel, w, ok] of ver) {
    it(name, () => {
      const { cpu } = makeSys();
      // mov ax, sel ; verr/verw ax
      run(cpu, [0x66, 0xb8, sel, 0, 0x0f, 0x00, w === 0 ? 0xe0 : 0xe8]);
      expect(zf(cpu)).toBe(ok);
    });
  }

  it('ARPL raises RPL and sets ZF, else clears ZF', () => {
    const { cpu } = makeSys();
    // mov ax, 0x10 ; mov bx, 0x1b ; arpl ax, bx
    run(cpu, [0x66, 0xb8, 0x10, 0, 0x66, 0xbb, 0x1b, 0, 0x63, 0xd8]);
    expect(cpu.regs[0]! & 0xffff).toBe(0x13);
    expect(zf(cpu)).toBe(true);
    const m = makeSys();
    run(m.cpu, [0x66, 0xb8, 0x13, 0, 0x66, 0xbb, 0x18, 0, 0x63, 0xd8]);
    expect(m.cpu.regs[0]! & 0xffff).toBe(0x13);
    expect(zf(m.cpu)).toBe(false);
  });
});

describe('control and debug registers', () => {
  it('LMSW cannot clear PE; SMSW reads the low word', () => {
    const { cpu } = makeSys();
    // xor eax, eax ; lmsw ax ; smsw ebx
    run(cpu, [0x31, 0xc0, 0x0f, 0x01, 0xf0, 0x0f, 0x01, 0xe3]);
    expect(cpu.cr0 & Cr0.PE).toBe(Cr0.PE);
    expect(cpu.regs[3]! & 0xffff).toBe(cpu.cr0 & 0xffff);
    // mov ax, 8 ; lmsw ax → TS set
    const m = makeSys();
    run(m.cpu, [0x66, 0xb8, 0x08, 0x00, 0x0f, 0x01, 0xf0]);
    expect(m.cpu.cr0 & (Cr0.TS | Cr0.PE)).toBe(Cr0.TS | Cr0.PE);
  });

  it('CLTS clears TS', () => {
    const { cpu } = makeSys();
    cpu.cr0 |= Cr0.TS;
    run(cpu, [0x0f, 0x06]);
    expect(cpu.cr0 & Cr0.TS).toBe(0);
  });

  it('MOV DR4 aliases DR6 without CR4.DE, #UD with it', () => {
    const { cpu } = makeSys();
    run(cpu, [0x0f, 0x21, 0xe0]); // mov eax, dr4
    expect(cpu.regs[0]! >>> 0).toBe(cpu.dr[6]! >>> 0);
    const m = makeSys();
    m.cpu.cr4 = Cr4.DE;
    run(m.cpu, [0x0f, 0x21, 0xe0]);
    expect(m.cpu.eip).toBe(handlerOf(Vec.UD) + 1);
  });

  it('MOV CR at CPL 3 → #GP(0); MOV to CR3 flushes', () => {
    const { cpu } = makeSys();
    setIdtGate(cpu, Vec.GP, Sel.CODE0, handlerOf(Vec.GP), 0x8e);
    loadCode(cpu, [0x0f, 0x20, 0xc0]); // mov eax, cr0
    enterRing3(cpu);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(handlerOf(Vec.GP) + 1);
  });

  it('MOV to CR0 with PG and no PE → #GP(0) from a program', () => {
    const { cpu } = makeSys();
    // mov eax, 0x80000010 ; mov cr0, eax
    run(cpu, [0xb8, 0x10, 0, 0, 0x80, 0x0f, 0x22, 0xc0]);
    expect(cpu.eip).toBe(handlerOf(Vec.GP) + 1);
    expect(cpu.cr0 & Cr0.PE).toBe(Cr0.PE);
  });
});

describe('descriptor-table instructions', () => {
  it('SGDT/SIDT store, LGDT/LIDT load', () => {
    const { cpu } = makeSys();
    // sgdt [0x20000] ; sidt [0x20010] ; lidt [0x20020]
    w16(cpu, 0x20020, 0x3ff); w32(cpu, 0x20022, 0x12345678);
    run(cpu, [0x0f, 0x01, 0x05, 0, 0, 2, 0, 0x0f, 0x01, 0x0d, 0x10, 0, 2, 0, 0x0f, 0x01, 0x1d, 0x20, 0, 2, 0]);
    expect(r16(cpu, 0x20000)).toBe(0xff);
    expect(r32(cpu, 0x20002)).toBe(GDT);
    expect(r16(cpu, 0x20010)).toBe(0x7ff);
    expect(cpu.idtr).toEqual({ base: 0x12345678, limit: 0x3ff });
  });

  it('LTR marks the TSS busy; LTR of a busy TSS → #GP(sel)', () => {
    const { cpu } = makeSys();
    // mov ax, 0x68 ; ltr ax ; str bx
    run(cpu, [0x66, 0xb8, Sel.TSS2, 0, 0x0f, 0x00, 0xd8, 0x0f, 0x00, 0xcb]);
    expect(cpu.tr.selector).toBe(Sel.TSS2);
    expect(r8(cpu, GDT + Sel.TSS2 + 5) & 0xf).toBe(0xb);
    expect(cpu.regs[3]! & 0xffff).toBe(Sel.TSS2);
    const m = makeSys();
    run(m.cpu, [0x66, 0xb8, Sel.TSS, 0, 0x0f, 0x00, 0xd8]);
    expect(m.cpu.eip).toBe(handlerOf(Vec.GP) + 1);
    expect(r32(m.cpu, m.cpu.regs[4]! >>> 0)).toBe(Sel.TSS);
  });

  it('LLDT then a segment load through the LDT', () => {
    const { cpu } = makeSys();
    const LDT = 0x7800;
    setDesc(cpu, Sel.FREE2, LDT, 0x17, 0x82, 0);
    w32(cpu, LDT + 8, 0x0000ffff); w32(cpu, LDT + 12, 0x00cf9200 | 0x08); // data, base 0x08000000? no: base 23:16 = 8
    // mov ax, 0x78 ; lldt ax ; mov ax, 0x0c ; mov ds, ax
    run(cpu, [0x66, 0xb8, Sel.FREE2, 0, 0x0f, 0x00, 0xd0, 0x66, 0xb8, 0x0c, 0, 0x8e, 0xd8]);
    expect(cpu.ldtr.base).toBe(LDT);
    expect(cpu.seg[SReg.DS]!.selector).toBe(0x0c);
    expect(cpu.seg[SReg.DS]!.base).toBe(0x080000);
  });
});

describe('SYSENTER / SYSEXIT', () => {
  it('round trip ring 0 → 3 → 0', () => {
    const { cpu } = makeSys();
    cpu.sysenterCs = Sel.CODE0;
    cpu.sysenterEsp = 0x8f000;
    cpu.sysenterEip = 0x5000;
    // GDT layout expected by SYSEXIT: CS+16 = 0x18 (ring-3 code), CS+24 = 0x20 (ring-3 data): matches.
    loadCode(cpu, [0xf4], 0x5000);
    // ring 0: mov edx, 0x11000 ; mov ecx, 0x60000 ; sysexit
    loadCode(cpu, [0xba, 0x00, 0x10, 0x01, 0x00, 0xb9, 0x00, 0x00, 0x06, 0x00, 0x0f, 0x35]);
    loadCode(cpu, [0x0f, 0x34], 0x11000); // ring 3: sysenter
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(0x5001);
    expect(cpu.cpl).toBe(0);
    expect(cpu.regs[4]).toBe(0x8f000);
    expect(cpu.seg[SReg.SS]!.selector).toBe(Sel.DATA0);
  });

  it('SYSENTER with SYSENTER_CS = 0 → #GP(0)', () => {
    const { cpu } = makeSys();
    run(cpu, [0x0f, 0x34]);
    expect(cpu.eip).toBe(handlerOf(Vec.GP) + 1);
  });
});

describe('VMX non-root hooks', () => {
  function recorder(cpu: Cpu, exitOn: string | null): string[] {
    const calls: string[] = [];
    cpu.hooks = new Proxy({} as NonRootHooks, {
      get: (_t, name: string) => (...args: unknown[]) => {
        calls.push(`${name}(${args.filter((a) => typeof a !== 'object').join(',')})`);
        if (name === exitOn) { cpu.vmexitPending = true; throw UNWIND; }
        if (name === 'translateGuestPhysical') return args[0];
        if (name === 'movToCr' || name === 'movFromCr') return args[3];
        return undefined;
      },
    });
    cpu.nonRoot = true;
    return calls;
  }

  it('CPUID calls hooks.cpuid(len) first and VM-exits without executing', () => {
    const { cpu } = makeSys();
    loadCode(cpu, [0x0f, 0xa2]);
    const calls = recorder(cpu, 'cpuid');
    cpu.regs[0] = 0x1234;
    expect(cpu.run(5)).toBe(StopReason.VMEXIT);
    expect(calls.filter((c) => !c.startsWith('translate'))).toEqual(['cpuid(2)']);
    expect(cpu.regs[0]).toBe(0x1234);
  });

  it('MOV CR0 at CPL 3 raises #GP before the hook; the exception hook sees it', () => {
    const { cpu } = makeSys();
    setIdtGate(cpu, Vec.GP, Sel.CODE0, handlerOf(Vec.GP), 0x8e);
    loadCode(cpu, [0x0f, 0x22, 0xc0]);
    enterRing3(cpu);
    const calls = recorder(cpu, null);
    expect(cpu.run(5)).toBe(StopReason.HALT);
    const relevant = calls.filter((c) => !c.startsWith('translate'));
    expect(relevant).toEqual(['exception(13,3,true,0,0)', 'hlt(1)']);
  });

  it('INT n calls hooks.exception with the software-interrupt type and length', () => {
    const { cpu } = makeSys();
    loadCode(cpu, [0xcd, 0x40]);
    const calls = recorder(cpu, 'exception');
    expect(cpu.run(5)).toBe(StopReason.VMEXIT);
    expect(calls.filter((c) => !c.startsWith('translate'))).toEqual(['exception(64,4,false,0,2)']);
    expect(cpu.regs[4]).toBe(KERNEL_STACK);
  });

  it('triple fault in non-root calls hooks.tripleFault', () => {
    const { cpu } = makeSys();
    cpu.idtr.limit = 0;
    loadCode(cpu, [0x0f, 0x0b]);
    const calls = recorder(cpu, 'tripleFault');
    expect(cpu.run(5)).toBe(StopReason.VMEXIT);
    expect(calls.filter((c) => !c.startsWith('translate')).at(-1)).toBe('tripleFault()');
  });

  it('paging-structure reads go through translateGuestPhysical with PAGE_WALK', () => {
    const { cpu } = makeSys();
    const PD = 0x100000, PT = 0x101000;
    w32(cpu, PD, PT | 3);
    for (let i = 0; i < 256; i++) w32(cpu, PT + i * 4, (i << 12) | 3);
    cpu.cr3 = PD;
    cpu.cr0 |= Cr0.PG;
    cpu.mmu.flushAll();
    const calls = recorder(cpu, null);
    cpu.mmu.translate(0x20004, 1);
    expect(calls).toEqual([
      `translateGuestPhysical(${PD},41,${0x20004})`,
      `translateGuestPhysical(${PT + 0x20 * 4},41,${0x20004})`,
      `translateGuestPhysical(${PD},42,${0x20004})`, // A bit update of the PDE
      `translateGuestPhysical(${PT + 0x20 * 4},42,${0x20004})`, // A bit of the PTE
      `translateGuestPhysical(${0x20004},33,${0x20004})`,
    ]);
  });
});

