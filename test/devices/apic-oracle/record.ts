/**
 * Regenerates qemu-7.2.golden.json: assembles the script ROM with nasm and runs it as the BIOS of
 * QEMU's `pc` machine (TCG, so QEMU's own local APIC and I/O APIC models answer).
 * Run: npx tsx test/devices/apic-oracle/record.ts
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCRIPT, romSource } from './script.js';

const dir = mkdtempSync(join(tmpdir(), 'vtx-apic-oracle-'));
writeFileSync(join(dir, 'rom.asm'), romSource());
execFileSync('nasm', ['-f', 'bin', '-o', join(dir, 'rom.bin'), join(dir, 'rom.asm')]);
const out = join(dir, 'debugcon.bin');
const r = spawnSync('qemu-system-i386', [
  '-M', 'pc,acpi=off', '-m', '32', '-bios', join(dir, 'rom.bin'), '-nodefaults', '-display', 'none',
  '-serial', 'null', '-debugcon', `file:${out}`, '-device', 'isa-debug-exit,iobase=0xf4,iosize=4',
  '-no-reboot',
], { timeout: 60000 });
if (r.status !== 85) throw new Error(`qemu exited with ${r.status}: ${r.stderr?.toString()}`);
const bytes = readFileSync(out);
const results: number[] = [];
let p = 0;
for (const s of SCRIPT) {
  if (s.op !== 'rd') continue;
  let v = 0;
  for (let k = 0; k < 4; k++) v += bytes[p++]! * 2 ** (8 * k);
  results.push(v);
}
if (p !== bytes.length) throw new Error(`debugcon produced ${bytes.length} bytes, expected ${p}`);
const version = execFileSync('qemu-system-i386', ['--version']).toString().split('\n')[0];
const target = join(dirname(fileURLToPath(import.meta.url)), 'qemu-7.2.golden.json');
writeFileSync(target, JSON.stringify({ qemu: version, results }, null, 0) + '\n');
console.log(`wrote ${results.length} results to ${target}`);
