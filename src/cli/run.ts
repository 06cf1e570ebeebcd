/**
 * `vtx run`: build a PC, boot the image, stream COM1 to stdout, report on stderr, map the outcome
 * to an exit status. All host errors (unreadable file, malformed image, bad option, bad D program)
 * become one line on stderr and status 1; nothing the guest does can crash the command.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { VtxError } from '../machine/errors.js';
import { Machine, type RunResult } from '../machine/machine.js';
import { demoImagePath } from '../machine/bundled.js';
import type { BootKind } from '../machine/loader.js';
import { diag, parseAddress } from './main.js';

export interface RunCliOptions {
  memory: number;
  bios: string;
  boot?: string;
  append?: string;
  initrd?: string;
  maxInstructions?: number;
  timeout?: number;
  stats?: boolean;
  statsJson?: string;
  probe: string[];
  script: string[];
  quiet?: boolean;
  nsPerInstruction: number;
}

export const EXIT_BUDGET = 124;

export function statusFor(result: RunResult): number {
  switch (result.kind) {
    case 'debug-exit':
      return result.status;
    case 'halted':
      return 0;
    case 'triple-fault':
      return 2;
    case 'budget':
      return EXIT_BUDGET;
    case 'probe-exit':
      return result.status;
    case 'stopped':
      return 0;
    case 'exit-breakpoint':
      return 0;
    case 'reset':
      return 0;
    case 'internal-error':
      return 3;
  }
}

function readImage(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new VtxError(`${path}: cannot read ${what}: ${why}`);
  }
}

export async function runCommand(image: string | undefined, opts: RunCliOptions, io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream }): Promise<number> {
  let machine: Machine;
  try {
    const path = image ?? demoImagePath();
    const data = readImage(path, 'image');
    let boot: BootKind | undefined;
    let flatAddr: number | undefined;
    let flatMode: 16 | 32 | undefined;
    if (opts.boot) {
      if (opts.boot.startsWith('flat:')) {
        const [, addr, mode] = opts.boot.split(':');
        boot = 'flat';
        try {
          flatAddr = parseAddress(addr ?? '');
        } catch (e) {
          throw new VtxError(`--boot ${opts.boot}: ${(e as Error).message}`);
        }
        if (mode !== undefined) {
          if (mode !== '16' && mode !== '32') throw new VtxError(`--boot ${opts.boot}: the mode after the address must be 16 or 32`);
          flatMode = mode === '16' ? 16 : 32;
        }
      } else boot = opts.boot as BootKind;
    }
    const bios = opts.bios === 'builtin' ? 'builtin' : readImage(opts.bios, 'BIOS image');
    const modules = (opts.initrd ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((spec) => {
        // As QEMU's -initrd: "file args" — the module's command line is the whole spec.
        const file = spec.split(/\s+/)[0]!;
        return { name: spec, data: readImage(file, 'module') };
      });
    const programs: string[] = [...opts.probe];
    for (const f of opts.script) programs.push(new TextDecoder().decode(readImage(f, 'D script')));
    machine = new Machine({
      memory: opts.memory,
      bios,
      image: { data, path },
      ...(boot ? { boot } : {}),
      ...(flatAddr !== undefined ? { flatAddr } : {}),
      ...(flatMode !== undefined ? { flatMode } : {}),
      ...(opts.append !== undefined ? { append: opts.append } : {}),
      modules,
      nsPerInstruction: opts.nsPerInstruction,
      ...(programs.length ? { probes: { programs, quiet: !!opts.quiet, write: (s: string) => io.out.write(s) } } : {}),
    });
  } catch (e) {
    if (e instanceof VtxError) {
      diag(io.err, `${e.message}\n`);
      return 1;
    }
    throw e;
  }

  machine.on('serial', (bytes) => {
    io.out.write(bytes);
  });
  const result = machine.run({
    ...(opts.maxInstructions ? { maxInstructions: opts.maxInstructions } : {}),
    ...(opts.timeout ? { timeoutMs: opts.timeout * 1000 } : {}),
  });
  machine.finish();

  switch (result.kind) {
    case 'triple-fault':
      diag(io.err, `triple fault: last exception ${result.lastException} at CS:EIP ${hex16(result.cs)}:${hex32(result.eip)}\n`);
      break;
    case 'budget':
      diag(io.err, `${result.which === 'instructions' ? `instruction budget of ${opts.maxInstructions} ran out` : `timeout of ${opts.timeout} s ran out`} at CS:EIP ${hex16(result.cs)}:${hex32(result.eip)}\n`);
      break;
    case 'reset':
      diag(io.err, `the guest requested a system reset through the ${result.source}; the run ends there (as QEMU's -no-reboot)\n`);
      break;
    case 'internal-error':
      diag(io.err, `${result.message}\n`);
      break;
    default:
      break;
  }
  // The demo shows what the emulator did: the VM exits behind its output.
  if (opts.stats || image === undefined) io.err.write(machine.exitStats.format());
  if (image === undefined && !opts.stats) io.err.write('(the demo prints VM-exit statistics; for any guest use --stats, --stats-json FILE or -n D-PROGRAM)\n');
  if (opts.statsJson) {
    try {
      writeFileSync(opts.statsJson, JSON.stringify(machine.statsJson(), null, 2) + '\n');
    } catch (e) {
      diag(io.err, `${opts.statsJson}: cannot write statistics: ${(e as Error).message}\n`);
      return 1;
    }
  }
  return statusFor(result);
}

function hex16(n: number): string {
  return (n & 0xffff).toString(16).toUpperCase().padStart(4, '0');
}
function hex32(n: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
}
