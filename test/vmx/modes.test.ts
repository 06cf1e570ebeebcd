/** Unrestricted guest mode switches, PAE with EPT, VPID/EPTP-tagged TLB and INVEPT/INVVPID. */
import { describe, expect, it } from 'vitest';
import { StopReason } from '../../src/cpu/state.js';
import { ExitReason as R, ProcCtl } from '../../src/vmx/controls.js';
import { VmcsField as F } from '../../src/vmx/fields.js';
import { GUEST_BASE, makeEnv, poke, type Env } from './env.js';

function exitReason(env: Env): number { return env.vmcs.read(F.VM_EXIT_REASON) & 0xffff; }
function go(env: Env, resume = false): number {
  const r = resume ? env.vmx.vmresume() : env.vmx.vmlaunch();
  if (r.kind === 'vmexit') return exitReason(env);
  expect(r.kind).toBe('VMsucceed');
  expect(env.cpu.run(10000)).toBe(StopReason.VMEXIT);
  return exitReason(env);
}
function le32(v: number): number[] { return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]; }

describe('unrestricted guest', () => {
  it('a real-mode guest enables protection itself (CR0.PE is guest-owned)', () => {
    const env = makeEnv({ mode: 'real', rip: 0x7c00, rsp: 0x7000 });
    // mov eax,cr0 ; or al,1 ; mov cr0,eax ; cpuid
    poke(env, 0x7c00, [0x66, 0x0f, 0x20, 0xc0, 0x0c, 0x01, 0x66, 0x0f, 0x22, 0xc0, 0x0f, 0xa2]);
    expect(go(env)).toBe(R.CPUID);
    expect(env.vmcs.read(F.GUEST_CR0) & 1).toBe(1);
    expect(env.vmcs.read(F.GUEST_RIP)).toBe(0x7c0a);
  });

  it('a host-owned PE bit exits on the guest write', () => {
    const env = makeEnv({ mode: 'real', rip: 0x7c00, rsp: 0x7000 });
    env.vmcs.write(F.CR0_GUEST_HOST_MASK, 1);
    env.vmcs.write(F.CR0_READ_SHADOW, 0);
    poke(env, 0x7c00, [0x66, 0x0f, 0x20, 0xc0, 0x0c, 0x01, 0x66, 0x0f, 0x22, 0xc0, 0x0f, 0xa2]);
    expect(go(env)).toBe(R.CR_ACCESS);
    expect(env.vmcs.read(F.GUEST_RIP)).toBe(0x7c06);
  });
});

describe('PAE guest under EPT', () => {
  it('uses the PDPTEs from the VMCS, not from guest memory', () => {
    // guest: PAE paging, PDPTE0 → PD at GPA 0x4000 with a 2 MiB page identity-mapping GPA 0
    const env = makeEnv({ guestCr3: 0x3000, guestCr4: 0x2030, rip: 0x1000 });
    poke(env, 0x4000, [0x83, 0, 0, 0, 0, 0, 0, 0]);
    poke(env, 0x1000, [0xa1, 0x00, 0x20, 0x00, 0x00, 0x0f, 0xa2]); // mov eax,[0x2000] ; cpuid
    poke(env, 0x2000, le32(0xcafef00d));
    // guest memory at CR3 holds garbage; the VMCS PDPTE is what counts
    poke(env, 0x3000, [0xff, 0xff, 0xff, 0xff]);
    env.vmcs.write(F.GUEST_PDPTR0, 0x4001);
    expect(go(env)).toBe(R.CPUID);
    expect(env.cpu.regs[0]! >>> 0).toBe(0xcafef00d);
    expect(env.vmcs.read(F.GUEST_PDPTR0)).toBe(0x4001);
  });
});

describe('VPID/EPTP-tagged translations and INVEPT', () => {
  it('a changed EPT mapping takes effect after INVEPT (VPID enabled, cached translation otherwise)', () => {
    const env = makeEnv({ rip: 0x1000, vpid: 7 });
    // loop: mov eax,[0x2000] ; cpuid ; jmp loop
    poke(env, 0x1000, [0xa1, 0x00, 0x20, 0x00, 0x00, 0x0f, 0xa2, 0xeb, 0xf7]);
    poke(env, 0x2000, le32(0x11111111));
    env.ram.set(le32(0x22222222), GUEST_BASE + 0x300000);
    expect(go(env)).toBe(R.CPUID);
    expect(env.cpu.regs[0]! >>> 0).toBe(0x11111111);
    // remap GPA 0x2000 → the page holding 0x22222222, without INVEPT: the tagged TLB still has it
    env.ept.map(0x2000, GUEST_BASE + 0x300000, 0x1000, { maxPageSize: 4096 });
    env.vmcs.write(F.GUEST_RIP, env.vmcs.read(F.GUEST_RIP) + 2);
    expect(go(env, true)).toBe(R.CPUID);
    expect(env.cpu.regs[0]! >>> 0).toBe(0x11111111);
    expect(env.vmx.invept(1, env.eptp).kind).toBe('VMsucceed');
    env.vmcs.write(F.GUEST_RIP, env.vmcs.read(F.GUEST_RIP) + 2);
    expect(go(env, true)).toBe(R.CPUID);
    expect(env.cpu.regs[0]! >>> 0).toBe(0x22222222);
  });

  it('INVVPID single-context flushes the guest context too', () => {
    const env = makeEnv({ rip: 0x1000, vpid: 9 });
    poke(env, 0x1000, [0xa1, 0x00, 0x20, 0x00, 0x00, 0x0f, 0xa2, 0xeb, 0xf7]);
    poke(env, 0x2000, le32(0x1));
    env.ram.set(le32(0x2), GUEST_BASE + 0x300000);
    expect(go(env)).toBe(R.CPUID);
    env.ept.map(0x2000, GUEST_BASE + 0x300000, 0x1000, { maxPageSize: 4096 });
    expect(env.vmx.invvpid(1, 9).kind).toBe('VMsucceed');
    env.vmcs.write(F.GUEST_RIP, env.vmcs.read(F.GUEST_RIP) + 2);
    expect(go(env, true)).toBe(R.CPUID);
    expect(env.cpu.regs[0]! >>> 0).toBe(0x2);
  });

  it('without VPID every VM entry starts with an empty TLB', () => {
    const env = makeEnv({ rip: 0x1000 });
    poke(env, 0x1000, [0xa1, 0x00, 0x20, 0x00, 0x00, 0x0f, 0xa2, 0xeb, 0xf7]);
    poke(env, 0x2000, le32(0x1));
    env.ram.set(le32(0x2), GUEST_BASE + 0x300000);
    expect(go(env)).toBe(R.CPUID);
    env.ept.map(0x2000, GUEST_BASE + 0x300000, 0x1000, { maxPageSize: 4096 });
    env.vmcs.write(F.GUEST_RIP, env.vmcs.read(F.GUEST_RIP) + 2);
    expect(go(env, true)).toBe(R.CPUID);
    expect(env.cpu.regs[0]! >>> 0).toBe(0x2);
  });

  it('a monitor-trap-flag single step walks the guest one instruction per exit', () => {
    const env = makeEnv({ rip: 0x1000, proc: ProcCtl.MONITOR_TRAP_FLAG });
    poke(env, 0x1000, [0x40, 0x40, 0x40]); // inc eax x3
    env.cpu.regs[0] = 0;
    for (let i = 1; i <= 3; i++) {
      expect(go(env, i > 1)).toBe(R.MONITOR_TRAP_FLAG);
      expect(env.vmcs.read(F.GUEST_RIP)).toBe(0x1000 + i);
      expect(env.cpu.regs[0]).toBe(i);
    }
  });
});
