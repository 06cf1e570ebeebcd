import { describe, expect, it } from 'vitest';
import { formatInt, formatStr, parseFormat, withDynWidth } from '../../src/probes/format.js';

function f(fmt: string, v: number | string, size: 4 | 8 = 4, unsignedArg = false): string {
  const p = parseFormat(fmt);
  const c = p.convs[0]!;
  const body = typeof v === 'string' ? formatStr(c, v, c.width, c.prec) : formatInt(c, v, size, c.width, c.prec, unsignedArg);
  return p.text[0] + body + p.text[1];
}

describe('printf conversions (C rules as dt_printf_format applies them)', () => {
  it('integers', () => {
    expect(f('%d', -5)).toBe('-5');
    expect(f('[%5d]', 42)).toBe('[   42]');
    expect(f('[%-5d]', 42)).toBe('[42   ]');
    expect(f('[%05d]', -42)).toBe('[-0042]');
    expect(f('[%+d]', 42)).toBe('[+42]');
    expect(f('[% d]', 42)).toBe('[ 42]');
    expect(f('[%.4d]', 42)).toBe('[0042]');
    expect(f('[%8.4d]', -42)).toBe('[   -0042]');
    expect(f('[%08.4d]', 42)).toBe('[    0042]'); // 0 flag ignored with a precision
    expect(f('%i', 0xffffffff | 0)).toBe('-1');
    expect(f('%u', -1)).toBe('4294967295');
    expect(f('%u', -1, 8)).toBe('18446744073709551615');
    expect(f('%x', 255)).toBe('ff');
    expect(f('%X', 255)).toBe('FF');
    expect(f('%#x', 255)).toBe('0xff');
    expect(f('%#x', 0)).toBe('0');
    expect(f('%#o', 8)).toBe('010');
    expect(f('%o', 8)).toBe('10');
    expect(f('%llx', -1, 8)).toBe('ffffffffffffffff');
    expect(f('%lld', 1234567890123, 8)).toBe('1234567890123');
    expect(f('%hd', 0x12345)).toBe('9029');
    expect(f('%hhx', 0x1ff)).toBe('ff');
    expect(f('%c', 65)).toBe('A');
    expect(f('[%3c]', 65)).toBe('[  A]');
    expect(f('%p', 0x1000, 8)).toBe('1000'); // %p is converted to %x
  });
  it('%d prints unsigned for unsigned arguments (pfcheck_dint)', () => {
    expect(f('%d', -1, 4, true)).toBe('4294967295');
    expect(f('%i', -1, 4, true)).toBe('-1');
  });
  it('a precision of 0 is dropped', () => {
    expect(f('[%.0d]', 0)).toBe('[0]');
    expect(f('[%.0s]', 'abc')).toBe('[abc]');
  });
  it('strings', () => {
    expect(f('[%s]', 'abc')).toBe('[abc]');
    expect(f('[%5s]', 'abc')).toBe('[  abc]');
    expect(f('[%-5s]', 'abc')).toBe('[abc  ]');
    expect(f('[%.2s]', 'abc')).toBe('[ab]');
  });
  it('%% and literal text; %@ flags', () => {
    const p = parseFormat('100%% %@8u\n');
    expect(p.text).toEqual(['100% ', '\n']);
    expect(p.convs[0]!.agg).toBe(true);
    expect(p.convs[0]!.width).toBe(8);
  });
  it('dynamic widths: negative means left-justified', () => {
    const c = parseFormat('%*d').convs[0]!;
    const [sp, w] = withDynWidth(c, -4);
    expect(formatInt(sp, 7, 4, w, -1)).toBe('7   ');
  });
  it('rejects unsupported conversions', () => {
    expect(() => parseFormat('%f')).toThrow(/unsupported conversion character 'f'/);
    expect(() => parseFormat('abc %')).toThrow(/ends in the middle/);
  });
});
