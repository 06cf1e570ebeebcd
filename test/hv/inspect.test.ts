/**
 * Inspection in tests (README "Stopping at a VM exit"): stop at a chosen exit — by reason, by
 * count or by predicate — assert on the exit information and the VMCS, then continue.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';

// 32-bit flat guest at 1 MiB:
//   mov dx, 0x3f8 ; mov al, 'A' ; out dx, al ; cpuid ; out 0xf4, al (isa-debug-exit) ; hlt
const CODE = Uint8Array.of(
  0x66, 0xba, 0xf8, 0x03, // 100000: mov dx, 0x3f8
  0xb0, 0x41, //             100004: mov al, 'A'
  0xee, //                   100006: out dx, al
  0x0f, 0xa2, //             100007: cpuid
  0xb0, 0x00, //             100009: mov al, 0
  0xe6, 0xf4, //             10000b: out 0xf4, al
  0xf4, //                   10000d: hlt
);

function machine(): Machine {
  return new Machine({ image: { data: CODE, path: 'inline' }, boot: 'flat', flatAddr: 0x100000, flatMode: 32 });
}

describe('stopping at VM exits', () => {
  it('OUT DX, AL to 0x3F8: exit reason 30 with the I/O qualification, then RIP advances by the length', () => {
    const m = machine();
    let serial = '';
    m.on('serial', (b) => (serial += Buffer.from(b).toString('latin1')));
    const r = m.run({ stopAt: { reason: 30 } });
    if (r.kind !== 'exit-breakpoint') throw new Error(`expected a breakpoint, got ${r.kind}`);
    const e = r.exit;
    expect(e.reason).toBe(30);
    // Exit qualification for I/O instructions: size-1 in 2:0 (0 = 1 byte), bit 3 direction
    // (0 = OUT), bit 4 string, bit 5 REP, bit 6 operand encoding (0 = DX), port in 31:16.
    expect(e.qualification).toBe(0x03f80000);
    expect(e.instructionLength).toBe(1);
    expect(e.vmcs.read('GUEST_RIP')).toBe(0x100006);
    expect(e.vmcs.read('VM_EXIT_REASON')).toBe(30);
    expect(serial).toBe(''); // stopped before the hypervisor handled the OUT

    const r2 = m.run({ stopAt: { reason: 10 } });
    if (r2.kind !== 'exit-breakpoint') throw new Error(`expected a breakpoint, got ${r2.kind}`);
    expect(serial).toBe('A');
    expect(r2.exit.vmcs.read('GUEST_RIP')).toBe(0x100006 + e.instructionLength);
    expect(r2.exit.instructionLength).toBe(2);

    expect(m.run()).toEqual({ kind: 'debug-exit', status: 1 });
  });

  it('stops by count and by predicate', () => {
    const m = machine();
    const r = m.run({ stopAt: { count: 2 } });
    expect(r.kind === 'exit-breakpoint' && r.exit.reason).toBe(10);
    const m2 = machine();
    const r2 = m2.run({ stopAt: { when: (e) => e.reason === 30 && e.qualification >>> 16 === 0xf4 } });
    expect(r2.kind === 'exit-breakpoint' && r2.exit.guestRip).toBe(0x10000b);
  });
});

describe('serial output', () => {
  it('is available as a stream and as events', async () => {
    const m = machine();
    const chunks: Buffer[] = [];
    const s = m.serialStream();
    s.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise((resolve) => s.on('end', resolve));
    m.run();
    m.finish();
    await done;
    expect(Buffer.concat(chunks).toString()).toBe('A');
  });
});

describe('vmexit events', () => {
  it('are delivered while a listener is attached, and not after it is removed', () => {
    const m = machine();
    const seen: number[] = [];
    const l = (e: { reason: number }): void => { seen.push(e.reason); };
    m.on('vmexit', l);
    m.run({ stopAt: { reason: 10 } });
    expect(seen).toEqual([30, 10]);
    m.off('vmexit', l);
    expect(m.listening.vmexit).toBe(false);
    m.run();
    expect(seen).toEqual([30, 10]);
  });
});

describe('ROM', () => {
  it('a guest write to the BIOS ROM is an EPT violation the hypervisor completes by dropping it', () => {
    // mov eax, [0xffff0]; mov dword [0xffff0], 0x12345678; cmp eax, [0xffff0]; setne al; out 0xf4, al
    const code = Uint8Array.of(
      0xa1, 0xf0, 0xff, 0x0f, 0x00,
      0xc7, 0x05, 0xf0, 0xff, 0x0f, 0x00, 0x78, 0x56, 0x34, 0x12,
      0x3b, 0x05, 0xf0, 0xff, 0x0f, 0x00,
      0x0f, 0x95, 0xc0,
      0xe6, 0xf4,
    );
    const m = new Machine({ image: { data: code, path: 'rom-write' }, boot: 'flat', flatAddr: 0x100000, flatMode: 32 });
    const reasons: number[] = [];
    m.on('vmexit', (e) => reasons.push(e.reason));
    expect(m.run()).toEqual({ kind: 'debug-exit', status: 1 }); // setne gave 0: the ROM kept its bytes
    expect(reasons).toContain(48);
  });
});
