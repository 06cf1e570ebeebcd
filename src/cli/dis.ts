/**
 * `vtx dis FILE [--bits 16|32] [--org ADDR] [--count N]`: ndisasm-style listing of a raw binary
 * (boot sector, flat image) with the CPU's own decoder and disassembler (`../cpu/disasm.ts`).
 * Models nothing of a machine: the file is decoded linearly from its first byte.
 */
import { readFile } from 'node:fs/promises';
import { disassemble, formatListing } from '../cpu/disasm.js';

export interface DisOptions {
  bits?: 16 | 32;
  org?: number;
  count?: number;
}

/** A bad `vtx dis` option value (host error, with the offending text). */
export class DisOptionError extends Error {
  constructor(readonly option: string, readonly value: string, why: string) {
    super(`invalid ${option} '${value}': ${why}`);
    this.name = 'DisOptionError';
  }
}

/** Parse an --org value: "0x7c00", "7c00h" or decimal "31744"; 0 ≤ value < 2^32. */
export function parseOrg(text: string): number {
  const t = text.trim().toLowerCase();
  let v: number;
  if (/^0x[0-9a-f]+$/.test(t)) v = parseInt(t.slice(2), 16);
  else if (/^[0-9a-f]+h$/.test(t)) v = parseInt(t.slice(0, -1), 16);
  else if (/^[0-9]+$/.test(t)) v = parseInt(t, 10);
  else throw new DisOptionError('--org', text, 'expected a decimal or 0x-prefixed hex address');
  if (!(v >= 0 && v <= 0xffffffff)) throw new DisOptionError('--org', text, 'address out of range');
  return v;
}

/** Parse a --bits value (16 or 32). */
export function parseBits(text: string): 16 | 32 {
  if (text === '16') return 16;
  if (text === '32') return 32;
  throw new DisOptionError('--bits', text, 'expected 16 or 32');
}

/** Print the listing of `file` to `out`; errors as one line on `err`. Returns the exit status. */
export async function disCommand(
  file: string, opts: DisOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream,
): Promise<number> {
  let code: Uint8Array;
  try {
    code = new Uint8Array(await readFile(file));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file'
      : (e as Error).message;
    err.write(`vtx dis: cannot read '${file}': ${why}\n`);
    return 1;
  }
  const bits = opts.bits ?? 16;
  if (bits !== 16 && bits !== 32) {
    err.write(`vtx dis: invalid --bits '${String(bits)}': expected 16 or 32\n`);
    return 1;
  }
  const org = opts.org ?? 0;
  if (!Number.isInteger(org) || org < 0 || org > 0xffffffff) {
    err.write(`vtx dis: invalid --org '${String(org)}': expected 0..0xffffffff\n`);
    return 1;
  }
  const lines = disassemble(code, { bits, org, count: opts.count });
  out.write(formatListing(lines, bits));
  return 0;
}
