/**
 * Whole-machine tests: bundled guests boot through our BIOS (or multiboot) under the built-in
 * hypervisor and print what QEMU printed for the same image (golden files recorded from
 * qemu-system-i386 by scripts/record-goldens.sh).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { Machine, type RunResult } from '../../src/machine/machine.js';
import { bundledPath } from '../../src/machine/bundled.js';
import type { ExitEvent } from '../../src/hv/vcpu.js';

function boot(image: string, opts: { append?: string; modules?: string[]; max?: number } = {}): { out: string; result: RunResult; exits: number[]; machine: Machine } {
  const path = bundledPath(image);
  const machine = new Machine({
    image: { data: new Uint8Array(readFileSync(path)), path: image },
    ...(opts.append !== undefined ? { append: opts.append } : {}),
    modules: (opts.modules ?? []).map((m) => ({ name: m, data: new Uint8Array(readFileSync(bundledPath(m.split(' ')[0]!))) })),
  });
  const chunks: Uint8Array[] = [];
  machine.on('serial', (b) => chunks.push(b));
  const exits: number[] = [];
  machine.on('vmexit', (e: ExitEvent) => exits.push(e.reason));
  const result = machine.run({ maxInstructions: opts.max ?? 200_000_000 });
  machine.finish();
  return { out: Buffer.concat(chunks).toString('latin1'), result, exits, machine };
}

function golden(name: string): { serial: string; status: number } | null {
  const s = bundledPath('test', 'golden', `${name}.serial`);
  if (!existsSync(s)) return null;
  const st = bundledPath('test', 'golden', `${name}.status`);
  return { serial: readFileSync(s, 'latin1'), status: existsSync(st) ? Number(readFileSync(st, 'utf8').trim()) : NaN };
}

describe('bundled guests boot', () => {
  it('the demo guest runs to a clean halt and causes the exits it announces', () => {
    const { out, result, exits } = boot('guests/demo/demo.img');
    expect(result).toEqual({ kind: 'halted' });
    expect(out).toContain('vendor GenuineIntel');
    expect(out).toContain('ticks 3');
    for (const reason of [10, 30, 48, 12]) expect(exits).toContain(reason);
  });

  it('hello (real-mode boot sector) prints what QEMU printed', () => {
    const { out, result } = boot('guests/hello/hello.img');
    expect(result.kind).toBe('halted');
    const g = golden('hello');
    expect(g).not.toBeNull();
    expect(out).toBe(g!.serial);
  });

  it('runs are deterministic: same serial output and the same VM-exit sequence', () => {
    const a = boot('guests/demo/demo.img');
    const b = boot('guests/demo/demo.img');
    expect(a.out).toBe(b.out);
    expect(a.exits).toEqual(b.exits);
    expect(a.exits.length).toBeGreaterThan(50);
  });
});
