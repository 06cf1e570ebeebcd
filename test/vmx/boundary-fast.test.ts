/**
 * The quiet-boundary fast path of nonroot.ts `instructionBoundary`: with interrupt-window exiting
 * armed and IF = 0 the boundary checks stop (cpu.eventCheck false), and every way IF becomes 1
 * (STI, POPF, IRET) re-arms them so the interrupt-window exit still comes at the right boundary.
 */
import { describe, expect, it } from 'vitest';
import { StopReason } from '../../src/cpu/state.js';
import { ExitReason as R, ProcCtl } from '../../src/vmx/controls.js';
import { VmcsField as F } from '../../src/vmx/fields.js';
import { makeEnv, poke, type Env } from './env.js';

const IDT = 0x800;
function guest(code: number[]): Env {
  const env = makeEnv({ rip: 0x1000, rsp: 0x8000, idtrBase: IDT, idtrLimit: 0x7ff, proc: ProcCtl.INTERRUPT_WINDOW_EXITING });
  poke(env, 0x08, [0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0]);
  poke(env, 0x10, [0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0]);
  for (let v = 0; v < 256; v++) poke(env, IDT + v * 8, [0x00, 0x30, 0x08, 0, 0, 0x8e, 0, 0]);
  poke(env, 0x1000, code);
  expect(env.vmx.vmlaunch().kind).toBe('VMsucceed');
  return env;
}
const NOPS = [0x90, 0x90, 0x90, 0x90];

describe('interrupt window with IF = 0: boundary checks stop and are re-armed', () => {
  it('stops checking while IF = 0 keeps the window closed', () => {
    const env = guest([...NOPS, 0xf4]);
    expect(env.cpu.run(2)).toBe(StopReason.BUDGET);
    expect(env.cpu.eventCheck).toBe(false);
  });

  it('STI: the exit comes after the instruction that follows STI', () => {
    const env = guest([...NOPS, 0xfb, 0x90, 0x90, 0xf4]); // nops ; sti ; nop ; nop
    expect(env.cpu.run(10000)).toBe(StopReason.VMEXIT);
    expect(env.vmcs.read(F.VM_EXIT_REASON)).toBe(R.INTERRUPT_WINDOW);
    expect(env.vmcs.read(F.GUEST_RIP)).toBe(0x1006);
  });

  it('POPF setting IF: the exit comes right after POPF', () => {
    const env = guest([...NOPS, 0x68, 0x02, 0x02, 0, 0, 0x9d, 0x90, 0xf4]); // push 0x202 ; popf ; nop
    expect(env.cpu.run(10000)).toBe(StopReason.VMEXIT);
    expect(env.vmcs.read(F.VM_EXIT_REASON)).toBe(R.INTERRUPT_WINDOW);
    expect(env.vmcs.read(F.GUEST_RIP)).toBe(0x100a);
  });

  it('IRET to a frame with IF = 1: the exit comes at the IRET target', () => {
    // push 0x202 ; push 0x08 ; push 0x2000 ; iret     (target: nop ; hlt)
    const env = guest([...NOPS, 0x68, 0x02, 0x02, 0, 0, 0x6a, 0x08, 0x68, 0x00, 0x20, 0, 0, 0xcf]);
    poke(env, 0x2000, [0x90, 0xf4]);
    expect(env.cpu.run(10000)).toBe(StopReason.VMEXIT);
    expect(env.vmcs.read(F.VM_EXIT_REASON)).toBe(R.INTERRUPT_WINDOW);
    expect(env.vmcs.read(F.GUEST_RIP)).toBe(0x2000);
  });
});
