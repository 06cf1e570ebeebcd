/** Runs bench/memory.ts in a child process (with --expose-gc) and turns its JSON into results. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { BenchResult } from '../report.js';
import type { Log } from './common.js';

interface MemoryJson {
  gc: boolean;
  guestRamBytes: number;
  one: { rss: number; heapUsed: number; arrayBuffers: number };
  sixteen: { rss: number; heapUsed: number; arrayBuffers: number };
}

export function memorySuite(root: string, log: Log): BenchResult[] {
  log('memory (child process)');
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(root, 'bench', 'memory.ts')], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`memory bench: child exited with ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as MemoryJson;
  const MiB = 1 << 20;
  const note = `${j.gc ? 'after gc()' : 'no --expose-gc'}; host memory array ${(j.guestRamBytes / MiB).toFixed(1)} MiB per machine`;
  const base = { section: 'memory', better: 'lower' as const, rme: null, normalise: false };
  return [
    { ...base, id: 'memory.one.rss', name: 'one machine (demo booted): RSS', value: j.one.rss / MiB, unit: 'MiB', note, extra: { 'heap MiB': j.one.heapUsed / MiB, 'ArrayBuffer MiB': j.one.arrayBuffers / MiB } },
    { ...base, id: 'memory.sixteen.rss', name: '16 machines in one process: RSS', value: j.sixteen.rss / MiB, unit: 'MiB', note: `${(j.sixteen.rss / MiB / 16).toFixed(1)} MiB RSS per machine`, extra: { 'heap MiB': j.sixteen.heapUsed / MiB, 'ArrayBuffer MiB': j.sixteen.arrayBuffers / MiB } },
  ];
}
