/**
 * QEMU (`qemu-system-i386`, TCG) as a bench peer.
 *
 * Loop cost: the loop guest runs as a Multiboot kernel (`-kernel`, a.out kludge) and exits through
 * isa-debug-exit; the wall time of the whole process is measured for K and for 2K iterations and
 * the difference divided by K, which cancels QEMU's start-up (SeaBIOS, option ROMs) and exit.
 * K is chosen so 2K iterations take about `targetMs` beyond start-up. Timer-driven loops add the
 * job's `qemuArgs` (`-icount shift=N,sleep=off`, so QEMU's virtual clock skips idle time as vtx's
 * does). Boot figures: wall time from spawn to the first byte on `-serial stdio` and to process
 * exit (or to the job's end marker, for guests that halt for good; the process is then killed).
 *
 * Does not model: KVM acceleration (never used: this compares two emulators), QEMU's own
 * statistics.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, sampleStats } from '../stats.js';
import { na, type BootFigures, type BootJob, type LoopJob, type Peer, type PeerAvailability, type PeerValue } from './peer.js';

const COMMON = ['-M', 'pc', '-m', '128', '-display', 'none', '-net', 'none', '-monitor', 'none', '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-no-reboot'];

export interface QemuOptions {
  binary?: string;
  /** Wall time 2K - K iterations should take (ms). */
  targetMs?: number;
  /** Repetitions per size (the minimum is used: noise only ever adds time). */
  reps?: number;
  bootReps?: number;
}

export class QemuPeer implements Peer {
  readonly name = 'QEMU';
  private readonly bin: string;
  private readonly targetMs: number;
  private readonly reps: number;
  private readonly bootReps: number;
  private readonly dir: string;

  constructor(o: QemuOptions = {}) {
    this.bin = o.binary ?? 'qemu-system-i386';
    this.targetMs = o.targetMs ?? 300;
    this.reps = o.reps ?? 3;
    this.bootReps = o.bootReps ?? 3;
    this.dir = mkdtempSync(join(tmpdir(), 'vtx-bench-qemu-'));
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  async probe(): Promise<PeerAvailability> {
    const r = spawnSync(this.bin, ['--version'], { encoding: 'utf8' });
    if (r.error || r.status !== 0) return { available: false, reason: `not installed (${this.bin}: ${r.error ? r.error.message : `status ${r.status}`})` };
    return { available: true, version: r.stdout.split('\n')[0]!.trim() };
  }

  /** Wall time (ms) of one QEMU process running the loop guest with K iterations. */
  private timeLoop(job: LoopJob, k: number): number {
    const file = join(this.dir, `${job.id}-${k}.bin`);
    writeFileSync(file, job.build(k));
    const t0 = performance.now();
    const r = spawnSync(this.bin, [...COMMON, '-serial', 'none', ...job.qemuArgs, '-kernel', file], { timeout: 60_000 });
    const t = performance.now() - t0;
    rmSync(file, { force: true });
    if (r.error) throw new Error(`QEMU on ${job.id} (K=${k}): ${r.error.message}`);
    // isa-debug-exit with 0: status (0 << 1) | 1.
    if (r.status !== 1) throw new Error(`QEMU on ${job.id} (K=${k}) ended with status ${r.status ?? r.signal}, not 1 (the guest did not finish its loop): ${r.stderr.toString().trim()}`);
    return t;
  }

  async loopCost(job: LoopJob): Promise<PeerValue> {
    if (job.naWithoutVmx) return na(`n/a (${job.naWithoutVmx})`);
    try {
      // Pilot: grow K until the extra iterations clearly stand out of the start-up time.
      let k = 1000;
      let per = 0;
      for (let round = 0; round < 8; round++) {
        const a = this.timeLoop(job, k);
        const b = this.timeLoop(job, 4 * k);
        if (b - a > 60) {
          per = (b - a) / (3 * k);
          break;
        }
        k *= 8;
      }
      if (per <= 0) return na('n/a (loop too fast to time against start-up)');
      k = Math.max(1, Math.round(this.targetMs / per));
      const perIter: number[] = [];
      const t1: number[] = [];
      const t2: number[] = [];
      for (let i = 0; i < this.reps; i++) {
        t1.push(this.timeLoop(job, k));
        t2.push(this.timeLoop(job, 2 * k));
        perIter.push(((t2[i]! - t1[i]!) / k) * 1e6);
      }
      // Minimum of each size (noise only adds time); the spread of the per-pair differences gives the margin.
      const value = ((Math.min(...t2) - Math.min(...t1)) / k) * 1e6;
      const s = sampleStats(perIter);
      return { value, rme: s.rme, note: `K=${k}, median start-up+K ${median(t1).toFixed(0)} ms` };
    } catch (e) {
      return na(`n/a (${(e as Error).message.split('\n')[0]})`);
    }
  }

  private args(job: BootJob): string[] {
    const a = [...COMMON, '-serial', 'stdio'];
    if (job.bios) a.push('-bios', job.bios);
    switch (job.kind) {
      case 'disk':
        a.push('-drive', `file=${job.image},format=raw,if=ide,snapshot=on`);
        break;
      case 'floppy':
        a.push('-drive', `file=${job.image},format=raw,if=floppy,snapshot=on`);
        break;
      case 'multiboot':
        a.push('-kernel', job.image);
        if (job.append !== undefined) a.push('-append', job.append);
        if (job.modules && job.modules.length > 0) a.push('-initrd', job.modules.map((m) => (m.args ? `${m.path} ${m.args}` : m.path)).join(','));
        break;
    }
    return a;
  }

  private bootOnce(job: BootJob): Promise<{ first: number; done: number }> {
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      const child = spawn(this.bin, this.args(job), { stdio: ['ignore', 'pipe', 'pipe'] });
      let first = -1;
      let done = -1;
      let text = '';
      let stderr = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`timed out after ${job.timeoutMs} ms`));
      }, job.timeoutMs);
      child.stdout.on('data', (b: Buffer) => {
        const now = performance.now();
        if (first < 0) first = now - t0;
        text += b.toString('latin1');
        if (job.endMarker !== undefined && done < 0 && text.includes(job.endMarker)) {
          done = now - t0;
          child.kill('SIGKILL');
        }
      });
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        const now = performance.now() - t0;
        if (job.endMarker === undefined) {
          if (code !== 1) return reject(new Error(`status ${code ?? signal}, not 1 (PASS): ${stderr.trim().split('\n')[0] ?? ''}`));
          done = now;
        } else if (done < 0) return reject(new Error(`exited (${code ?? signal}) before "${job.endMarker}"`));
        if (first < 0) return reject(new Error('no serial output'));
        resolve({ first, done });
      });
    });
  }

  async boot(job: BootJob): Promise<BootFigures> {
    const firsts: number[] = [];
    const dones: number[] = [];
    try {
      for (let i = 0; i < this.bootReps; i++) {
        const r = await this.bootOnce(job);
        firsts.push(r.first);
        dones.push(r.done);
      }
    } catch (e) {
      const v = na(`n/a (${(e as Error).message})`);
      return { firstSerialMs: v, doneMs: v };
    }
    const f = sampleStats(firsts);
    const d = sampleStats(dones);
    return { firstSerialMs: { value: f.mean, rme: f.rme }, doneMs: { value: d.mean, rme: d.rme } };
  }
}
