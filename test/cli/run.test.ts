/**
 * `vtx run` as a user meets it: exit statuses, stdout/stderr split, one-line errors, statistics.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { bundledPath } from '../../src/machine/bundled.js';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

async function vtx(...args: string[]): Promise<{ status: number; out: string; err: string }> {
  const out = new Sink();
  const err = new Sink();
  const status = await main(args, { out, err });
  return { status, out: out.text, err: err.text };
}

const tmp = mkdtempSync(join(tmpdir(), 'vtx-cli-'));

describe('vtx run exit statuses', () => {
  it('isa-debug-exit: (v << 1) | 1, guest output on stdout only', async () => {
    const r = await vtx('run', bundledPath('guests/pmode/pmode.img'));
    expect(r.status).toBe(1);
    expect(r.out).toContain('pmode: PASS');
    expect(r.err).toBe('');
  });

  it('0 when the guest halts for good', async () => {
    const r = await vtx('run', bundledPath('guests/hello/hello.img'));
    expect(r.status).toBe(0);
    expect(r.out).toContain('Hello from vtx!');
  });

  it('2 on a triple fault, with the last exception and CS:EIP on stderr', async () => {
    const r = await vtx('run', bundledPath('test/fixtures/guests/triple.img'));
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/^vtx: triple fault: last exception #GP at CS:EIP 0000:00007C0A\n$/);
  });

  it('124 when the instruction budget runs out', async () => {
    const r = await vtx('run', bundledPath('guests/exitstorm/exitstorm.img'), '--max-instructions', '20000');
    expect(r.status).toBe(124);
    expect(r.err).toMatch(/instruction budget of 20000 ran out at CS:EIP/);
  });

  it('0 and a note on stderr when the guest asks for a system reset (as QEMU -no-reboot)', async () => {
    const img = join(tmp, 'reset.bin');
    writeFileSync(img, Uint8Array.of(0xb0, 0xfe, 0xe6, 0x64, 0xf4)); // mov al, 0xfe; out 0x64, al; hlt
    const r = await vtx('run', img, '--boot', 'flat:0x7c00:16');
    expect(r.status).toBe(0);
    expect(r.err).toBe('vtx: the guest requested a system reset through the i8042 output port (pulse 0xFE); the run ends there (as QEMU\'s -no-reboot)\n');
  });

  it('with no image it boots the demo and shows its VM exits', async () => {
    const r = await vtx('run');
    expect(r.status).toBe(0);
    expect(r.out).toContain('demo');
    expect(r.err).toContain('Analyze events for all VMs, all VCPUs:');
  });
});

describe('bad input: one clear line and status 1', () => {
  const bad = join(tmp, 'bad.img');
  writeFileSync(bad, new Uint8Array(100));
  const cases: Array<[string, string[], RegExp]> = [
    ['missing file', ['run', join(tmp, 'nope.img')], /^vtx: .*nope\.img: cannot read image: no such file\n$/],
    ['truncated image', ['run', bad], /^vtx: .*bad\.img: truncated image: 100 bytes, a boot sector needs 512/],
    ['bad memory size', ['run', '--memory', 'lots'], /^vtx: .*"lots" is not a size/],
    ['bad boot kind', ['run', '--boot', 'cdrom'], /^vtx: .*"cdrom" is not one of disk, floppy, multiboot, flat:ADDR/],
    ['unknown option', ['run', '--frobnicate'], /^vtx: unknown option '--frobnicate'/],
    ['bad flat address', ['run', bad, '--boot', 'flat:zz'], /^vtx: .*"zz" is not an address/],
  ];
  for (const [name, args, re] of cases) {
    it(name, async () => {
      const r = await vtx(...args);
      expect(r.status).toBe(1);
      expect(r.err).toMatch(re);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    });
  }
});

describe('statistics', () => {
  it('--stats-json counts match --stats and the exits of the guest', async () => {
    const file = join(tmp, 'stats.json');
    const r = await vtx('run', bundledPath('guests/exitstorm/exitstorm.img'), '--stats', '--stats-json', file);
    expect(r.status).toBe(1);
    const j = JSON.parse(readFileSync(file, 'utf8')) as { exits: Record<string, { count: number }>; instructions: number };
    expect(j.exits['CPUID']!.count).toBeGreaterThanOrEqual(10000);
    expect(j.exits['EPT violation']!.count).toBeGreaterThanOrEqual(10000);
    expect(j.exits['HLT']!.count).toBeGreaterThanOrEqual(1000);
    expect(j.instructions).toBeGreaterThan(100000);
    const line = r.err.split('\n').find((l) => l.trim().startsWith('CPUID'))!;
    expect(line.trim().split(/\s+/)[1]).toBe(String(j.exits['CPUID']!.count));
  });
});
