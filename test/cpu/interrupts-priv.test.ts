import { describe, expect, it } from 'vitest';
import { Flag, SReg, StopReason, Vec } from '../../src/cpu/state.js';
import { EventType } from '../../src/cpu/vmx-hooks.js';
import { deliverInterrupt, currentDelivery } from '../../src/cpu/interrupts.js';
import {
  CODE, KERNEL_STACK, Sel, TSS, USER_STACK, enterRing3, expectFault, handlerOf, loadCode, makeSys, setIdtGate, w16, w32,
} from './sys-harness.js';

describe('stack switch checks (#TS/#SS from the TSS stack)', () => {
  const rows: [string, (t: { tss: number; set: (o: number, v: number, s?: 2 | 4) => void }) => void, EventType, number, number][] = [
    ['SS0 null, INT n', (t) => t.set(8, 0, 2), EventType.SOFTWARE_INTERRUPT, Vec.TS, 0],
    ['SS0 null, external interrupt (EXT)', (t) => t.set(8, 0, 2), EventType.EXTERNAL_INTERRUPT, Vec.TS, 1],
    ['SS0 with RPL 3', (t) => t.set(8, Sel.DATA3, 2), EventType.SOFTWARE_INTERRUPT, Vec.TS, Sel.DATA3 & ~3],
    ['SS0 read-only', (t) => t.set(8, Sel.DATA_RO, 2), EventType.SOFTWARE_INTERRUPT, Vec.TS, Sel.DATA_RO],
    ['SS0 read-only, external (EXT)', (t) => t.set(8, Sel.DATA_RO, 2), EventType.EXTERNAL_INTERRUPT, Vec.TS, Sel.DATA_RO | 1],
    ['SS0 not present → #SS', (t) => t.set(8, Sel.DATA_NP, 2), EventType.SOFTWARE_INTERRUPT, Vec.SS, Sel.DATA_NP],
    ['ESP0 outside a small SS0 → #SS(SS0)', (t) => { t.set(8, Sel.DATA_SMALL, 2); t.set(4, 0x10000, 4); }, EventType.SOFTWARE_INTERRUPT, Vec.SS, Sel.DATA_SMALL],
  ];
  for (const [name, setup, type, vector, err] of rows) {
    it(name, () => {
      const { cpu } = makeSys();
      setIdtGate(cpu, 0x80, Sel.CODE0, handlerOf(0x80), 0xee);
      setup({ tss: TSS, set: (o, v, s = 4) => (s === 2 ? w16(cpu, TSS + o, v) : w32(cpu, TSS + o, v)) });
      enterRing3(cpu);
      cpu.eip = CODE + 2;
      expectFault(cpu, () => deliverInterrupt(cpu, 0x80, type, type === EventType.SOFTWARE_INTERRUPT ? 2 : 0), vector, err);
      // Nothing was committed.
      expect(cpu.cpl).toBe(3);
      expect(cpu.seg[SReg.SS]!.selector).toBe(Sel.DATA3);
      expect(cpu.regs[4]).toBe(USER_STACK);
    });
  }

  it('TSS too short for ESP0/SS0 → #TS(TR)', () => {
    const { cpu } = makeSys();
    setIdtGate(cpu, 0x80, Sel.CODE0, handlerOf(0x80), 0xee);
    cpu.tr.limit = 8;
    enterRing3(cpu);
    expectFault(cpu, () => deliverInterrupt(cpu, 0x80, EventType.SOFTWARE_INTERRUPT, 2), Vec.TS, Sel.TSS);
  });

  it('gate to a non-code selector → #GP(selector | EXT)', () => {
    const { cpu } = makeSys();
    setIdtGate(cpu, 0x20, Sel.DATA0, handlerOf(0x20), 0x8e);
    expectFault(cpu, () => deliverInterrupt(cpu, 0x20, EventType.EXTERNAL_INTERRUPT, 0), Vec.GP, Sel.DATA0 | 1);
  });

  it('not-present gate → #NP(vector*8+2+EXT); currentDelivery reports the event', () => {
    const { cpu } = makeSys();
    setIdtGate(cpu, 0x21, Sel.CODE0, handlerOf(0x21), 0x0e);
    expectFault(cpu, () => deliverInterrupt(cpu, 0x21, EventType.EXTERNAL_INTERRUPT, 0), Vec.NP, 0x21 * 8 + 3);
    expect(currentDelivery(cpu)).toMatchObject({ vector: 0x21, type: EventType.EXTERNAL_INTERRUPT, active: true });
  });
});

describe('IRET privilege rules', () => {
  it('IRET to ring 3 at CPL 0 may set IOPL; IRET at CPL 3 changes IF (CPL <= IOPL) but not IOPL', () => {
    const { cpu } = makeSys();
    setIdtGate(cpu, 0x81, Sel.CODE0, handlerOf(0x81), 0xee);
    // Ring-0 frame: EIP, CS, EFLAGS (IOPL 3, IF), ESP, SS
    const f = KERNEL_STACK - 20;
    [0x11000, Sel.CODE3, 0x3202, USER_STACK - 12, Sel.DATA3].forEach((v, i) => w32(cpu, f + 4 * i, v));
    cpu.regs[4] = f;
    loadCode(cpu, [0xcf]); // iret
    // Ring-3 frame on the user stack for a same-level IRET: EIP, CS, EFLAGS (IOPL 0, IF 0)
    [0x11010, Sel.CODE3, 0x0002].forEach((v, i) => w32(cpu, USER_STACK - 12 + 4 * i, v));
    loadCode(cpu, [0xcf], 0x11000); // iret (ring 3)
    loadCode(cpu, [0xcd, 0x81], 0x11010); // int 0x81
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(handlerOf(0x81) + 1);
    const fl = cpu.getEflags();
    expect((fl >>> 12) & 3).toBe(3); // IOPL unchanged by the ring-3 IRET
    const pushed = cpu.phys.ram[(cpu.regs[4]! >>> 0) + 9]! << 8 | cpu.phys.ram[(cpu.regs[4]! >>> 0) + 8]!;
    expect(pushed & Flag.IF).toBe(0); // IF was cleared by the ring-3 IRET
    expect((pushed >>> 12) & 3).toBe(3);
  });

  it('IRET to ring 3 at CPL 3 with a more privileged CS → #GP(selector)', () => {
    const { cpu } = makeSys();
    setIdtGate(cpu, Vec.GP, Sel.CODE0, handlerOf(Vec.GP), 0x8e);
    [0x11000, Sel.CODE0, 0x0002].forEach((v, i) => w32(cpu, USER_STACK - 12 + 4 * i, v));
    loadCode(cpu, [0xcf]);
    enterRing3(cpu, CODE, USER_STACK - 12);
    expect(cpu.run(10)).toBe(StopReason.HALT);
    expect(cpu.eip).toBe(handlerOf(Vec.GP) + 1);
    expect(cpu.phys.ram[cpu.regs[4]! >>> 0]).toBe(Sel.CODE0);
  });
});
