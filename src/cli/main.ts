/**
 * The `vtx` command: `vtx run [IMAGE] ...` boots a guest headless, `vtx dis FILE` disassembles.
 *
 * Argument parsing is commander's (a well-kept library; not our core). Exit statuses of `run`
 * follow QEMU conventions where QEMU has one: isa-debug-exit gives (v << 1) | 1; 0 when the guest
 * halts for good; 2 on a triple fault; 124 when a budget runs out (as timeout(1)); 1 for a bad
 * image or bad options, with one clear line on stderr.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { createColors } from 'picocolors';
import { readFileSync } from 'node:fs';
import { disCommand } from './dis.js';
import { bundledPath } from '../machine/bundled.js';
import { runCommand, type RunCliOptions } from './run.js';

/**
 * One diagnostic line on stderr, prefixed "vtx:" — in red on a terminal (picocolors; NO_COLOR and
 * FORCE_COLOR are honoured), plain when stderr is a file or a pipe so scripts can match it.
 */
export function diag(err: NodeJS.WritableStream, text: string): void {
  const tty = (err as NodeJS.WritableStream & { isTTY?: boolean }).isTTY === true;
  const c = createColors(tty && !process.env['NO_COLOR']);
  err.write(`${c.bold(c.red('vtx:'))} ${text.endsWith('\n') ? text : `${text}\n`}`);
}

export function parseSize(text: string): number {
  const m = /^(\d+)([KMG]?)(i?B?)?$/i.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`"${text}" is not a size (examples: 32M, 65536, 1G)`);
  const unit = (m[2] ?? '').toUpperCase();
  // QEMU's -m takes MiB when there is no suffix.
  const mult = unit === 'K' ? 1024 : unit === 'M' || unit === '' ? 1 << 20 : unit === 'G' ? 1 << 30 : 1;
  const n = Number(m[1]) * mult;
  if (n < 2 << 20 || n > 2 ** 31) throw new InvalidArgumentError(`memory size ${text} must be between 2M and 2G`);
  return n;
}

export function parseAddress(text: string): number {
  const t = text.trim();
  const n = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^\d+$/.test(t) ? parseInt(t, 10) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError(`"${text}" is not an address (examples: 0x7c00, 1048576)`);
  return n;
}

function parseCount(text: string): number {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`"${text}" is not a positive whole number`);
  return n;
}

function parseSeconds(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`"${text}" is not a positive number of seconds`);
  return n;
}

function parseBoot(text: string): string {
  if (/^(disk|floppy|multiboot)$/.test(text) || /^flat:/.test(text)) return text;
  throw new InvalidArgumentError(`"${text}" is not one of disk, floppy, multiboot, flat:ADDR`);
}

export async function main(argv: string[], io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream } = { out: process.stdout, err: process.stderr }): Promise<number> {
  let status = 0;
  const program = new Command();
  program
    .name('vtx')
    .description('x86 VT-x emulator: boot a guest in VMX non-root operation under a built-in KVM-like hypervisor')
    .version((JSON.parse(readFileSync(bundledPath('package.json'), 'utf8')) as { version: string }).version, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out.write(s),
      writeErr: (s) => io.err.write(s),
      outputError: (s) => diag(io.err, s.replace(/^error: /, '')),
    });

  program
    .command('run')
    .description('boot IMAGE (a disk or floppy image, a multiboot kernel, or a flat binary); with no IMAGE, the bundled demo guest')
    .argument('[image]', 'guest image')
    .option('-m, --memory <size>', 'guest RAM (e.g. 32M)', parseSize, 32 << 20)
    .option('--bios <builtin|path>', 'firmware: our own (builtin) or another BIOS image such as SeaBIOS', 'builtin')
    .addOption(new Option('--boot <kind>', 'disk | floppy | multiboot | flat:ADDR[:16|:32] (default: detected)').argParser(parseBoot))
    .option('--append <cmdline>', 'multiboot command line')
    .option('--initrd <modules>', 'multiboot modules, comma-separated "file args" (as QEMU -initrd)')
    .option('--max-instructions <n>', 'stop with status 124 after N guest instructions', parseCount)
    .option('--timeout <seconds>', 'stop with status 124 after this much host time', parseSeconds)
    .option('--stats', 'print VM exits by reason (perf kvm stat style) on stderr at the end')
    .option('--stats-json <file>', 'write exit statistics as JSON to FILE')
    .option('-n, --probe <program>', 'enable a D program (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('-s, --script <file>', 'enable a D program from FILE (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('-q, --quiet', 'D: set the quiet option (print only what the program prints)')
    .option('--ns-per-instruction <n>', 'virtual nanoseconds per instruction (virtual clock rate)', Number, 1)
    .action(async (image: string | undefined, opts: RunCliOptions) => {
      status = await runCommand(image, opts, io);
    });

  program
    .command('dis')
    .description('disassemble a raw binary (Intel syntax)')
    .argument('<file>', 'binary file (e.g. a boot sector)')
    .addOption(new Option('--bits <n>', 'code size').choices(['16', '32']).default('16'))
    .option('--org <addr>', 'address of the first byte (e.g. 0x7c00)', parseAddress, 0)
    .option('--count <n>', 'stop after N instructions', parseCount)
    .action(async (file: string, opts: { bits: string; org: number; count?: number }) => {
      status = await disCommand(file, { bits: opts.bits === '32' ? 32 : 16, org: opts.org, ...(opts.count ? { count: opts.count } : {}) }, io.out, io.err);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 1;
    }
    throw e;
  }
  return status;
}

