/**
 * v86 (npm package `v86`, an x86 emulator compiling to WebAssembly) as a bench peer.
 *
 * v86 is not a dependency of vtx (do not add it to package.json); install it locally to compare
 * (`npm install --no-save v86`) and the next `npm run bench` picks it up. Without it the peer
 * reports "not installed" for every figure.
 *
 * How it is timed when installed (v86's documented Node API: `new V86({ wasm_path, bios, hda |
 * fda | multiboot, autostart })`, the `serial0-output-byte` event, `emulator.destroy()`):
 * - boots: wall time from construction to the first COM1 byte, and to the job's end marker (v86
 *   has no isa-debug-exit device, so guests that exit through port 0xF4 are timed to their last
 *   serial line only when the job gives an end marker; otherwise n/a);
 * - loop guests: n/a — without isa-debug-exit v86 cannot tell when the loop ended.
 * v86 also has no VT-x: like QEMU TCG it runs the guests natively, not under a hypervisor.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sampleStats } from '../stats.js';
import { na, type BootFigures, type BootJob, type LoopJob, type Peer, type PeerAvailability, type PeerValue } from './peer.js';

interface V86Emulator {
  add_listener(event: string, fn: (arg: number) => void): void;
  destroy(): Promise<void> | void;
}
type V86Ctor = new (opts: Record<string, unknown>) => V86Emulator;

export class V86Peer implements Peer {
  readonly name = 'v86';
  private ctor: V86Ctor | null = null;
  private pkgDir = '';

  async probe(): Promise<PeerAvailability> {
    const require = createRequire(import.meta.url);
    let main: string;
    try {
      main = require.resolve('v86');
    } catch {
      return { available: false, reason: 'not installed (npm package v86)' };
    }
    try {
      const mod = (await import(main)) as { V86?: V86Ctor; default?: { V86?: V86Ctor } };
      this.ctor = mod.V86 ?? mod.default?.V86 ?? null;
      if (this.ctor === null) return { available: false, reason: 'not usable (the v86 package exports no V86 constructor)' };
      this.pkgDir = dirname(require.resolve('v86/package.json'));
      const version = (JSON.parse(readFileSync(join(this.pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
      return { available: true, version: `v86 ${version}` };
    } catch (e) {
      return { available: false, reason: `not usable (${(e as Error).message})` };
    }
  }

  async loopCost(_job: LoopJob): Promise<PeerValue> {
    return na(this.ctor === null ? 'not installed' : 'n/a (v86 has no isa-debug-exit: loop end not observable)');
  }

  private bootOnce(job: BootJob, ctor: V86Ctor): Promise<{ first: number; done: number }> {
    return new Promise((resolve, reject) => {
      const image = { buffer: readFileSync(job.image).buffer };
      const opts: Record<string, unknown> = {
        wasm_path: join(this.pkgDir, 'build', 'v86.wasm'),
        bios: { buffer: readFileSync(job.bios ?? join(this.pkgDir, 'bios', 'seabios.bin')).buffer },
        autostart: true,
        memory_size: 128 << 20,
      };
      if (job.kind === 'disk') opts.hda = image;
      else if (job.kind === 'floppy') opts.fda = image;
      else opts.multiboot = image;
      const t0 = performance.now();
      const emu = new ctor(opts);
      let first = -1;
      let text = '';
      const timer = setTimeout(() => {
        void emu.destroy();
        reject(new Error(`timed out after ${job.timeoutMs} ms`));
      }, job.timeoutMs);
      emu.add_listener('serial0-output-byte', (byte: number) => {
        const now = performance.now() - t0;
        if (first < 0) first = now;
        text += String.fromCharCode(byte);
        if (job.endMarker !== undefined && text.includes(job.endMarker)) {
          clearTimeout(timer);
          void emu.destroy();
          resolve({ first, done: now });
        }
      });
    });
  }

  async boot(job: BootJob): Promise<BootFigures> {
    const ctor = this.ctor;
    if (ctor === null) return { firstSerialMs: na('not installed'), doneMs: na('not installed') };
    if (job.kind === 'multiboot' && job.modules && job.modules.length > 0) {
      const v = na('n/a (v86 multiboot takes no modules)');
      return { firstSerialMs: v, doneMs: v };
    }
    if (job.endMarker === undefined) {
      const v = na('n/a (guest ends through isa-debug-exit, which v86 lacks)');
      return { firstSerialMs: v, doneMs: v };
    }
    const firsts: number[] = [];
    const dones: number[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const r = await this.bootOnce(job, ctor);
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
