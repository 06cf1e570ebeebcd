import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { buildGuest, EXIT_KINDS, COMPUTE_GUESTS } from './guests.js';
const all = [...EXIT_KINDS.map((k) => ({ ...k, K: 200000 })), ...COMPUTE_GUESTS.map((c) => ({ ...c, qemu: { args: [] as string[] }, K: 200 }))];
for (const k of all) {
  if ('na' in k.qemu) continue;
  const times: number[] = [];
  for (const mult of [1, 2]) {
    const g = buildGuest(k.K * mult, k.setup, k.body);
    writeFileSync('/tmp/h9g.bin', g.image);
    const t0 = performance.now();
    const r = spawnSync('qemu-system-i386', ['-M', 'pc', '-m', '128', '-display', 'none', '-net', 'none', '-serial', 'none', '-monitor', 'none', '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-no-reboot', ...k.qemu.args, '-kernel', '/tmp/h9g.bin'], { timeout: 30000 });
    times.push(performance.now() - t0);
    if (r.status !== 1) console.log(k.id, 'status', r.status, r.stderr.toString());
  }
  console.log(k.id, times.map((t) => t.toFixed(0)), ((times[1]! - times[0]!) / k.K * 1e6).toFixed(0), 'ns/iter');
}
