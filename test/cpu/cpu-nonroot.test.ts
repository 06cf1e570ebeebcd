/**
 * The executor's side of VMX non-root operation: hooks are called before the instruction has any
 * effect; a hook that VM-exits (vmexitPending + UNWIND) makes run() return VMEXIT with no
 * exception delivered; instructionBoundary runs before each instruction when eventCheck is set.
 */
import { describe, expect, it } from 'vitest';
import type { NonRootHooks } from '../../src/cpu/vmx-hooks.js';
import { Reg, StopReason, UNWIND } from '../../src/cpu/state.js';
import { CODE, loadCode, makeMachine, run, type TestMachine } from './exec-harness.js';

function hooksFor(m: TestMachine, calls: string[], exitOn: Set<string>): NonRootHooks {
  const maybeExit = (name: string) => {
    if (exitOn.has(name)) {
      m.cpu.vmexitPending = true;
      m.cpu.eip = 0x5000; // "host state"
      throw UNWIND;
    }
  };
  const h: Partial<NonRootHooks> = {
    io: (len, port, size, isIn, isString, isRep, isImm) => { calls.push(`io ${len} ${port.toString(16)} ${size} ${isIn} ${isString} ${isRep} ${isImm}`); maybeExit('io'); },
    hlt: (len) => { calls.push(`hlt ${len}`); maybeExit('hlt'); },
    pause: (len) => { calls.push(`pause ${len}`); maybeExit('pause'); },
    instructionBoundary: () => { calls.push('boundary'); maybeExit('boundary'); },
    exception: (v) => { calls.push(`exception ${v}`); maybeExit('exception'); },
    translateGuestPhysical: (gpa) => gpa,
  };
  return h as NonRootHooks;
}

describe('non-root hooks', () => {
  it('IN/OUT call hooks.io first, then the bus; HLT and PAUSE call their hooks', () => {
    const m = makeMachine(32);
    const calls: string[] = [];
    m.cpu.hooks = hooksFor(m, calls, new Set());
    m.cpu.nonRoot = true;
    // in al, 0x60 ; out dx, ax (66 EF) ; rep outsb (F3 6E) ; pause (F3 90) ; hlt
    loadCode(m, [0xe4, 0x60, 0x66, 0xef, 0xf3, 0x6e, 0xf3, 0x90, 0xf4]);
    m.cpu.regs[Reg.EDX] = 0x3f8; m.cpu.regs[Reg.ECX] = 1; m.cpu.regs[Reg.ESI] = 0x20000;
    expect(run(m)).toBe(StopReason.HALT);
    expect(calls).toEqual(['io 2 60 1 true false false true', 'io 2 3f8 2 false false false false',
      'io 2 3f8 1 false true true false', 'pause 2', 'hlt 1']);
    expect(m.io.log.length).toBe(3);
  });

  it('a hook that VM-exits makes run() return VMEXIT before the instruction has any effect', () => {
    const m = makeMachine(32);
    const calls: string[] = [];
    m.cpu.hooks = hooksFor(m, calls, new Set(['io']));
    m.cpu.nonRoot = true;
    loadCode(m, [0x40, 0xe4, 0x60, 0xf4]); // inc eax ; in al, 0x60
    m.cpu.regs[Reg.EAX] = 0;
    expect(run(m)).toBe(StopReason.VMEXIT);
    expect(m.cpu.regs[Reg.EAX]).toBe(1);
    expect(m.io.log.length).toBe(0);
    expect(m.cpu.eip).toBe(0x5000);
    expect(m.cpu.vmexitPending).toBe(false);
    expect(m.cpu.excVector).toBe(-1);
  });

  it('eventCheck: instructionBoundary before each instruction, and it may exit', () => {
    const m = makeMachine(32);
    const calls: string[] = [];
    m.cpu.hooks = hooksFor(m, calls, new Set());
    m.cpu.nonRoot = true;
    m.cpu.eventCheck = true;
    loadCode(m, [0x90, 0x90, 0xf4]);
    run(m);
    expect(calls.filter((c) => c === 'boundary').length).toBe(3);
    const m2 = makeMachine(32);
    m2.cpu.hooks = hooksFor(m2, [], new Set(['boundary']));
    m2.cpu.nonRoot = true;
    m2.cpu.eventCheck = true;
    loadCode(m2, [0x90, 0xf4]);
    expect(run(m2)).toBe(StopReason.VMEXIT);
    expect(m2.cpu.instructionsRetired).toBe(0);
  });

  it('a guest fault goes through hooks.exception (which may exit)', () => {
    const m = makeMachine(32);
    const calls: string[] = [];
    m.cpu.hooks = hooksFor(m, calls, new Set(['exception']));
    m.cpu.nonRoot = true;
    loadCode(m, [0x31, 0xdb, 0xf7, 0xf3]); // xor ebx, ebx ; div ebx
    expect(run(m)).toBe(StopReason.VMEXIT);
    expect(calls).toEqual(['exception 0']);
    expect(CODE).toBe(0x10000);
  });
});
