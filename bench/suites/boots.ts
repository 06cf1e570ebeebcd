/**
 * Time to the first serial byte and to the end of every bundled guest (guests/), and of a boot
 * through Debian's SeaBIOS when /usr/share/seabios/bios.bin is installed. "End" is the guest's
 * isa-debug-exit, or for guests that halt for good (`cli; hlt`) the halt (vtx) / the last line of
 * their output (peers, whose process would run on). benchmark.js times a whole boot (machine
 * construction included); first-byte times are collected from the same boots.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Machine, type MachineOptions } from '../../dist/machine/machine.js';
import type { BootJob, Peer } from '../peers/peer.js';
import type { BenchResult } from '../report.js';
import { sampleStats } from '../stats.js';
import { bootToEnd, timeIt, type BenchBudget } from '../vtx.js';
import { failedResult, peerFigure, type Log } from './common.js';
import { runIsolated } from '../isolate.js';

export const SEABIOS_PATH = '/usr/share/seabios/bios.bin';

interface BootCase {
  id: string;
  title: string;
  job: Omit<BootJob, 'image' | 'modules' | 'bios'> & { image: string; modules?: Array<{ path: string; args?: string }>; bios?: string };
  /** What vtx's run() must end with. */
  expect: 'halted' | 'pass';
}

function cases(root: string): BootCase[] {
  const g = (p: string): string => join(root, 'guests', p);
  return [
    { id: 'hello', title: 'hello (boot sector, our BIOS)', job: { id: 'hello', kind: 'disk', image: g('hello/hello.img'), endMarker: 'boot drive = 0x0080', timeoutMs: 20_000 }, expect: 'halted' },
    { id: 'demo', title: 'demo (boot32, paging, 5 × HLT at 100 Hz)', job: { id: 'demo', kind: 'disk', image: g('demo/demo.img'), endMarker: 'demo done; halting', timeoutMs: 20_000 }, expect: 'halted' },
    { id: 'pmode', title: 'pmode (real → protected mode, paging, #PF)', job: { id: 'pmode', kind: 'disk', image: g('pmode/pmode.img'), timeoutMs: 20_000 }, expect: 'pass' },
    {
      id: 'multiboot',
      title: 'multiboot (ELF kernel, 2 modules)',
      job: { id: 'multiboot', kind: 'multiboot', image: g('multiboot/multiboot.elf'), append: 'console=ttyS0 vtx=1', modules: [{ path: g('multiboot/mod1.txt'), args: 'first-arg' }, { path: g('multiboot/mod2.txt') }], timeoutMs: 20_000 },
      expect: 'pass',
    },
    { id: 'multiboot-aout', title: 'multiboot-aout (a.out kludge kernel)', job: { id: 'multiboot-aout', kind: 'multiboot', image: g('multiboot/multiboot-aout.bin'), append: 'console=ttyS0 vtx=1', timeoutMs: 20_000 }, expect: 'pass' },
    { id: 'devcheck', title: 'devcheck (17 device checks, floppy)', job: { id: 'devcheck', kind: 'floppy', image: g('devcheck/devcheck.img'), timeoutMs: 30_000 }, expect: 'pass' },
    { id: 'exitstorm', title: 'exitstorm (10,000 × 4 exit kinds + 1,000 HLT)', job: { id: 'exitstorm', kind: 'disk', image: g('exitstorm/exitstorm.img'), timeoutMs: 60_000 }, expect: 'pass' },
    { id: 'vmexit', title: 'vmexit (kvm-unit-tests style)', job: { id: 'vmexit', kind: 'disk', image: g('vmexit/vmexit.img'), timeoutMs: 60_000 }, expect: 'pass' },
    { id: 'biostest', title: 'biostest (BIOS services, our BIOS)', job: { id: 'biostest', kind: 'disk', image: g('biostest/biostest.img'), bios: join(root, 'firmware', 'bios.bin'), timeoutMs: 20_000 }, expect: 'pass' },
    { id: 'seabios-hello', title: 'hello through SeaBIOS (Debian bios.bin)', job: { id: 'seabios-hello', kind: 'disk', image: g('hello/hello.img'), bios: SEABIOS_PATH, endMarker: 'boot drive = 0x0080', timeoutMs: 30_000 }, expect: 'halted' },
  ];
}

function machineFor(c: BootCase): () => Machine {
  const data = new Uint8Array(readFileSync(c.job.image));
  const bios = c.job.bios === SEABIOS_PATH ? new Uint8Array(readFileSync(SEABIOS_PATH)) : undefined;
  const modules = (c.job.modules ?? []).map((m) => ({ name: m.path, data: new Uint8Array(readFileSync(m.path)), ...(m.args !== undefined ? { args: m.args } : {}) }));
  const o: MachineOptions = { image: { data, path: c.job.image }, boot: c.job.kind };
  if (bios) o.bios = bios;
  if (c.job.append !== undefined) o.append = c.job.append;
  if (modules.length > 0) o.modules = modules;
  return () => new Machine(o);
}

/** vtx only: one guest's two results, first serial byte and end (runs in a worker process). */
export function measureBoot(root: string, id: string, budget: BenchBudget): BenchResult[] {
  const c = cases(root).find((x) => x.id === id);
  if (!c) throw new Error(`no boot case ${id}`);
  const first: BenchResult = { id: `boot.${c.id}.first-serial`, section: 'boot', name: `${c.title}: first serial byte`, value: null, unit: 'ms', better: 'lower', rme: null };
  const done: BenchResult = { id: `boot.${c.id}.end`, section: 'boot', name: `${c.title}: ${c.expect === 'halted' ? 'halt' : 'exit'}`, value: null, unit: 'ms', better: 'lower', rme: null };
  if (c.job.bios === SEABIOS_PATH && !existsSync(SEABIOS_PATH)) {
    first.note = done.note = `n/a (${SEABIOS_PATH} is not installed)`;
    return [first, done];
  }
  const make = machineFor(c);
  const check = bootToEnd(make, { timeoutMs: c.job.timeoutMs });
  const ok = c.expect === 'halted' ? check.result.kind === 'halted' : check.result.kind === 'debug-exit' && check.result.status === 1;
  if (!ok || check.firstSerialMs < 0) {
    const why = `n/a (vtx cannot boot it yet: ${check.firstSerialMs < 0 ? 'no serial output, ' : ''}run ended with ${JSON.stringify(check.result).slice(0, 160)})`;
    if (c.job.bios !== SEABIOS_PATH) throw new Error(`boot ${c.id}: ${why}`);
    first.note = done.note = why;
    return [first, done];
  }
  const firsts: number[] = [];
  const t = timeIt(`boot ${c.id}`, () => {
    const o = bootToEnd(make, { timeoutMs: c.job.timeoutMs });
    if (o.result.kind !== check.result.kind) throw new Error(`boot ${c.id}: ended with ${JSON.stringify(o.result).slice(0, 160)}`);
    firsts.push(o.firstSerialMs);
  }, budget);
  const fs = sampleStats(firsts);
  first.value = fs.mean;
  first.rme = fs.rme;
  done.value = t.mean * 1e3;
  done.rme = t.rme;
  return [first, done];
}

export async function bootSuite(root: string, budget: BenchBudget, peers: Peer[], log: Log, isolate: boolean): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const c of cases(root)) {
    log(`boot: ${c.id}`);
    let first: BenchResult | undefined;
    let done: BenchResult | undefined;
    try {
      [first, done] = isolate ? runIsolated('boot', c.id, budget).results : measureBoot(root, c.id, budget);
    } catch (e) {
      out.push(failedResult(`boot.${c.id}.first-serial`, 'boot', `${c.title}: first serial byte`, 'ms', 'lower', e));
      out.push(failedResult(`boot.${c.id}.end`, 'boot', `${c.title}: ${c.expect === 'halted' ? 'halt' : 'exit'}`, 'ms', 'lower', e));
      log(`boot: ${c.id} FAILED`);
      continue;
    }
    first!.peers = {};
    done!.peers = {};
    if (first!.value !== null) {
      for (const p of peers) {
        log(`boot: ${c.id} on ${p.name}`);
        const b = await p.boot({ ...c.job });
        first!.peers[p.name] = peerFigure(b.firstSerialMs, first!.value, (x) => x);
        done!.peers[p.name] = peerFigure(b.doneMs, done!.value, (x) => x);
      }
    }
    out.push(first!, done!);
  }
  return out;
}
