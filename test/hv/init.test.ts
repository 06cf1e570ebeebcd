/**
 * INIT signal: an INIT IPI the guest sends to itself through its local APIC causes the
 * INIT-signal VM exit (reason 3, unconditional in VMX non-root operation); the hypervisor then
 * restarts the vCPU at the reset vector, as KVM does for an INIT event.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';

// 32-bit flat guest at 1 MiB:
//   mov dword [0xfee00310], 0          ; ICR high: destination 0
//   mov dword [0xfee00300], 0x00084500 ; ICR low: all including self, assert, INIT
//   hlt
const CODE = Uint8Array.of(
  0xc7, 0x05, 0x10, 0x03, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00,
  0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe, 0x00, 0x45, 0x08, 0x00,
  0xf4,
);

describe('INIT signal', () => {
  it('an INIT IPI to self exits with reason 3, then the vCPU restarts in the BIOS', () => {
    const m = new Machine({ image: { data: CODE, path: 'init' }, boot: 'flat', flatAddr: 0x100000, flatMode: 32 });
    let serial = '';
    m.on('serial', (b) => (serial += Buffer.from(b).toString('latin1')));
    const r = m.run({ stopAt: { reason: 3 } });
    if (r.kind !== 'exit-breakpoint') throw new Error(`expected the INIT exit, got ${JSON.stringify(r)}`);
    expect(r.exit.qualification).toBe(0);
    expect(r.exit.guestRip).toBe(0x100014); // the boundary after the ICR write
    const r2 = m.run({ maxInstructions: 5_000_000 });
    expect(r2.kind).toBe('halted'); // no boot device: the BIOS says so and halts
    expect(serial).toContain('No bootable device');
    expect(r.exit.vmcs.read('GUEST_CS_SELECTOR')).toBe(0xf000);
  });
});
