/**
 * Whole-machine tests: the bundled guests boot under the built-in hypervisor (through our BIOS, or
 * by multiboot) and print exactly what qemu-system-i386 printed for the same image and options
 * (golden files recorded by scripts/record-goldens.sh with `-m 128`, see test/golden/README.md).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Machine, type RunResult } from '../../src/machine/machine.js';
import { bundledPath } from '../../src/machine/bundled.js';
import type { ExitEvent } from '../../src/hv/vcpu.js';
import type { BootKind } from '../../src/machine/loader.js';

interface BootOpts {
  boot?: BootKind;
  append?: string;
  initrd?: string[];
  memory?: number;
  max?: number;
}

function boot(image: string, opts: BootOpts = {}): { out: string; result: RunResult; exits: number[]; machine: Machine } {
  const machine = new Machine({
    image: { data: new Uint8Array(readFileSync(bundledPath(image))), path: image },
    memory: opts.memory ?? 128 << 20,
    ...(opts.boot ? { boot: opts.boot } : {}),
    ...(opts.append !== undefined ? { append: opts.append } : {}),
    modules: (opts.initrd ?? []).map((spec) => ({ name: spec, data: new Uint8Array(readFileSync(bundledPath(spec.split(' ')[0]!))) })),
  });
  const chunks: Uint8Array[] = [];
  machine.on('serial', (b) => chunks.push(b));
  const exits: number[] = [];
  machine.on('vmexit', (e: ExitEvent) => exits.push(e.reason));
  const result = machine.run({ maxInstructions: opts.max ?? 100_000_000 });
  machine.finish();
  return { out: Buffer.concat(chunks).toString('latin1'), result, exits, machine };
}

/** QEMU's exit status for a run: isa-debug-exit's value, 124 for a guest that halted for good. */
function qemuStatus(r: RunResult): number {
  if (r.kind === 'debug-exit') return r.status;
  if (r.kind === 'halted') return 124;
  return -1;
}

const MB_APPEND = 'console=ttyS0 vtx=1';
const MB_INITRD = ['guests/multiboot/mod1.txt first-arg', 'guests/multiboot/mod2.txt'];

const GUESTS: Array<[string, string, BootOpts]> = [
  ['hello', 'guests/hello/hello.img', {}],
  ['demo', 'guests/demo/demo.img', {}],
  ['pmode', 'guests/pmode/pmode.img', {}],
  ['devcheck', 'guests/devcheck/devcheck.img', { boot: 'floppy' }],
  ['exitstorm', 'guests/exitstorm/exitstorm.img', {}],
  ['biostest', 'guests/biostest/biostest.img', {}],
  ['multiboot', 'guests/multiboot/multiboot.elf', { append: MB_APPEND, initrd: MB_INITRD }],
  ['multiboot-aout', 'guests/multiboot/multiboot-aout.bin', { append: MB_APPEND, initrd: MB_INITRD }],
];

describe('bundled guests print what QEMU printed', () => {
  for (const [name, image, opts] of GUESTS) {
    it(name, () => {
      const { out, result } = boot(image, opts);
      let golden = readFileSync(bundledPath('test', 'golden', `${name}.serial`), 'latin1');
      // The one documented difference: the multiboot boot-loader name is ours, not "qemu".
      if (name.startsWith('multiboot')) golden = golden.replace(/^(multiboot: boot loader )qemu\r$/m, '$1vtx\r');
      expect(out).toBe(golden);
      expect(qemuStatus(result)).toBe(Number(readFileSync(bundledPath('test', 'golden', `${name}.status`), 'utf8').trim()));
    });
  }
});

describe('whole-machine behaviour', () => {
  it('runs are deterministic: same serial output and the same VM-exit sequence', () => {
    const a = boot('guests/exitstorm/exitstorm.img');
    const b = boot('guests/exitstorm/exitstorm.img');
    expect(a.out).toBe(b.out);
    expect(a.exits).toEqual(b.exits);
    expect(a.exits.length).toBeGreaterThan(40_000);
  });

  it('the demo guest causes the exits a PC guest causes', () => {
    const { exits, machine } = boot('guests/demo/demo.img', { memory: 32 << 20 });
    for (const reason of [10, 12, 30]) expect(exits).toContain(reason);
    expect(machine.exitStats.total).toBe(exits.length);
  });

  it('a guest halted with every interrupt masked is halted for good, not a host hang', () => {
    // mov al, 0xff; out 0x21, al; out 0xa1, al; sti; hlt; jmp $-1
    const code = Uint8Array.of(0xb0, 0xff, 0xe6, 0x21, 0xe6, 0xa1, 0xfb, 0xf4, 0xeb, 0xfd);
    const m = new Machine({ image: { data: code, path: 'masked-hlt' }, boot: 'flat', flatAddr: 0x7c00, flatMode: 16 });
    expect(m.run()).toEqual({ kind: 'halted' });
  });

  it('an instruction budget ends the run with a report', () => {
    const { result } = boot('guests/exitstorm/exitstorm.img', { max: 10_000 });
    expect(result.kind).toBe('budget');
  });
});
