import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DisOptionError, disCommand, parseBits, parseOrg } from '../../src/cli/dis.js';

function sink(): { stream: Writable; text: () => string } {
  let buf = '';
  const stream = new Writable({
    write(chunk, _enc, cb) { buf += String(chunk); cb(); },
  });
  return { stream, text: () => buf };
}

const BOOT = fileURLToPath(new URL('../fixtures/dis/boot.bin', import.meta.url));

describe('vtx dis', () => {
  it('prints a listing and returns 0', async () => {
    const out = sink();
    const err = sink();
    const status = await disCommand(BOOT, { bits: 16, org: 0x7c00, count: 2 }, out.stream, err.stream);
    expect(status).toBe(0);
    expect(out.text()).toBe('7C00  FA                cli\n7C01  31C0              xor ax,ax\n');
    expect(err.text()).toBe('');
  });
  it('a missing file is one clear line on stderr and status 1', async () => {
    const out = sink();
    const err = sink();
    const status = await disCommand('/nonexistent/boot.bin', {}, out.stream, err.stream);
    expect(status).toBe(1);
    expect(out.text()).toBe('');
    expect(err.text()).toBe("vtx dis: cannot read '/nonexistent/boot.bin': no such file\n");
  });
  it('parses --org in hex or decimal and --bits', () => {
    expect(parseOrg('0x7c00')).toBe(0x7c00);
    expect(parseOrg('0X7C00')).toBe(0x7c00);
    expect(parseOrg('31744')).toBe(0x7c00);
    expect(parseOrg('7c00h')).toBe(0x7c00);
    expect(() => parseOrg('seven')).toThrow(DisOptionError);
    expect(() => parseOrg('0x100000000')).toThrow(/out of range/);
    expect(parseBits('32')).toBe(32);
    expect(() => parseBits('64')).toThrow(DisOptionError);
  });
});
