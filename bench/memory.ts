/**
 * Resident memory per machine, run as a child process (`node --expose-gc --import tsx
 * bench/memory.ts`) so the bench's own heap does not blur it: RSS, heap and ArrayBuffer bytes
 * after a full GC, before and after one machine (booted to the end of the demo guest), and
 * before and after 16 machines held at once. Prints one JSON object on stdout.
 *
 * Guest RAM is a zero-filled typed array: pages the guest never touches are not resident, so
 * RSS grows with what the guest used, while `arrayBuffers` counts every allocated byte.
 */
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine } from '../dist/machine/machine.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Snapshot {
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function snap(): Snapshot {
  if (gc) {
    gc();
    gc();
  }
  const u = process.memoryUsage();
  return { rss: u.rss, heapUsed: u.heapUsed, arrayBuffers: u.arrayBuffers };
}

function delta(a: Snapshot, b: Snapshot): Snapshot {
  return { rss: b.rss - a.rss, heapUsed: b.heapUsed - a.heapUsed, arrayBuffers: b.arrayBuffers - a.arrayBuffers };
}

const image = join(ROOT, 'guests', 'demo', 'demo.img');
const data = new Uint8Array(readFileSync(image));
function boot(): Machine {
  const m = new Machine({ image: { data, path: image } });
  const r = m.run({ maxInstructions: 50_000_000 });
  if (r.kind !== 'halted') throw new Error(`memory bench: demo ended with ${JSON.stringify(r)}`);
  return m;
}

// Warm up module loading and JIT state once, so the first machine is not charged for them.
boot();
const s0 = snap();
const one = boot();
const s1 = snap();
const many: Machine[] = [];
for (let i = 0; i < 16; i++) many.push(boot());
const s2 = snap();
process.stdout.write(
  JSON.stringify({
    gc: gc !== undefined,
    guestRamBytes: one.pc.host.length,
    one: delta(s0, s1),
    sixteen: delta(s1, s2),
    machines: many.length + 1,
  }) + '\n',
);
