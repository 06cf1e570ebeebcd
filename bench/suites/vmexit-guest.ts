/**
 * guests/vmexit (kvm-unit-tests' vmexit in spirit) under vtx: the cycles per exit it prints,
 * measured by the guest with RDTSC — vtx's virtual TSC (1 GHz of virtual time; every VM-exit round
 * trip costs the machine's `vmexitCostNs`, 1,000 ns by default). These are properties of vtx's
 * virtual-time model, not host speed: they are compared as is, and shown next to the published
 * KVM figure and next to what QEMU TCG prints (host TSC, no VM exits at all).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Machine } from '../../dist/machine/machine.js';
import type { BenchResult } from '../report.js';
import { bootToEnd } from '../vtx.js';
import type { Log } from './common.js';

export const KVM_REFERENCE = 'KVM: a CPUID exit costs about 1,000-1,100 TSC cycles on recent Intel server parts (published kvm-unit-tests vmexit figures)';

/** "name cycles" lines of the guest's output. */
export function parseVmexitLines(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split(/\r?\n/)) {
    const x = /^([a-z0-9_.]+) (\d+)$/.exec(line.trim());
    if (x) m.set(x[1]!, Number(x[2]));
  }
  return m;
}

export async function vmexitGuestSuite(root: string, qemu: boolean, log: Log): Promise<{ results: BenchResult[]; lines: string[] }> {
  log('vmexit guest');
  const image = join(root, 'guests', 'vmexit', 'vmexit.img');
  const data = new Uint8Array(readFileSync(image));
  const o = bootToEnd(() => new Machine({ image: { data, path: image }, boot: 'disk' }), { timeoutMs: 60_000 });
  if (o.result.kind !== 'debug-exit' || o.result.status !== 1) throw new Error(`vmexit guest: run ended with ${JSON.stringify(o.result).slice(0, 160)}`);
  const lines = o.serial.split(/\r?\n/).filter((l) => l.length > 0);
  const vtx = parseVmexitLines(o.serial);
  let q = new Map<string, number>();
  let qNote = '';
  if (qemu) {
    log('vmexit guest on QEMU');
    const r = spawnSync('qemu-system-i386', ['-M', 'pc', '-m', '128', '-display', 'none', '-net', 'none', '-monitor', 'none', '-serial', 'stdio', '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-no-reboot', '-drive', `file=${image},format=raw,if=ide,snapshot=on`], { timeout: 60_000, encoding: 'latin1' });
    if (r.status === 1) q = parseVmexitLines(r.stdout);
    else qNote = `n/a (QEMU status ${r.status ?? r.signal})`;
  }
  const results: BenchResult[] = [];
  for (const [name, cycles] of vtx) {
    const r: BenchResult = {
      id: `vmexit-guest.${name}`,
      section: 'vmexit guest',
      name: `${name} (guest RDTSC)`,
      value: cycles,
      unit: 'virtual TSC cycles',
      better: 'lower',
      rme: null,
      normalise: false,
      peers: {},
    };
    if (name === 'cpuid') r.note = 'KVM (published): ~1,000-1,100 cycles';
    if (qemu) {
      const qv = q.get(name);
      r.peers!['QEMU'] = qv === undefined ? { value: null, note: qNote || 'n/a (not printed under TCG)' } : { value: qv, note: 'host TSC, TCG (no exit)' };
    }
    results.push(r);
  }
  return { results, lines };
}
