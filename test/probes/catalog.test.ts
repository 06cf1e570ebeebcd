import { describe, expect, it } from 'vitest';
import { ALIASES, globMatch, parseProbeDesc, PROBES, tickIntervalNs } from '../../src/probes/catalog.js';
import { parseD } from '../../src/probes/d-parser.js';

describe('probe descriptions and globs', () => {
  it('fills missing leading fields from the right', () => {
    expect(parseProbeDesc('BEGIN')).toEqual({ provider: '', module: '', func: '', name: 'BEGIN' });
    expect(parseProbeDesc('vcpu0:exit')).toEqual({ provider: '', module: '', func: 'vcpu0', name: 'exit' });
    expect(parseProbeDesc('vmx:::exit')).toEqual({ provider: 'vmx', module: '', func: '', name: 'exit' });
    expect(parseProbeDesc('a:b:c:d:e')).toBeNull();
    expect(parseProbeDesc('a\\:b:c')).toEqual({ provider: '', module: '', func: 'a\\:b', name: 'c' });
  });
  it('matches whole fields with * ? [...] [!...] and escapes', () => {
    expect(globMatch('', 'anything')).toBe(true);
    expect(globMatch('ex*', 'exit')).toBe(true);
    expect(globMatch('ex*', 'entry')).toBe(false);
    expect(globMatch('*it', 'exit')).toBe(true);
    expect(globMatch('e?it', 'exit')).toBe(true);
    expect(globMatch('vcpu[0-3]', 'vcpu2')).toBe(true);
    expect(globMatch('vcpu[0-3]', 'vcpu4')).toBe(false);
    expect(globMatch('vcpu[!0]', 'vcpu1')).toBe(true);
    expect(globMatch('vcpu[!0]', 'vcpu0')).toBe(false);
    expect(globMatch('entry*', 'entry-failure')).toBe(true);
    expect(globMatch('exit', 'exits')).toBe(false);
    expect(globMatch('a\\*', 'a*')).toBe(true);
    expect(globMatch('a\\*', 'ab')).toBe(false);
  });
  it('tick units (no suffix = hz)', () => {
    expect(tickIntervalNs('tick-1ms')).toBe(1e6);
    expect(tickIntervalNs('tick-1msec')).toBe(1e6);
    expect(tickIntervalNs('tick-10hz')).toBe(1e8);
    expect(tickIntervalNs('tick-1000')).toBe(1e6);
    expect(tickIntervalNs('tick-1s')).toBe(1e9);
    expect(tickIntervalNs('tick-1sec')).toBe(1e9);
    expect(tickIntervalNs('tick-250us')).toBe(250e3);
    expect(tickIntervalNs('tick-100ns')).toBe(100);
    expect(tickIntervalNs('tick-2m')).toBe(120e9);
    expect(tickIntervalNs('tick-1h')).toBe(3600e9);
    expect(tickIntervalNs('tick-1d')).toBe(86400e9);
    expect(tickIntervalNs('tick-1fortnight')).toBeNull();
    expect(tickIntervalNs('exit')).toBeNull();
  });
  it('catalog: every probe named in the issue exists; aliases point at real probes', () => {
    const names = PROBES.map((p) => `${p.provider}:::${p.name}`);
    for (const n of ['vmx:::entry', 'vmx:::exit', 'vmx:::entry-failure', 'vmx:::inject', 'ept:::violation', 'ept:::misconfig',
      'pio:::in', 'pio:::out', 'mmio:::read', 'mmio:::write', 'cpu:::exception', 'cpu:::interrupt']) expect(names).toContain(n);
    expect(PROBES.find((p) => p.name === 'exit' && p.provider === 'vmx')!.args.map((a) => a.name)).toEqual(['reason', 'qualification', 'rip', 'gpa', 'insnlen', 'full_reason']);
    for (const a of ALIASES) {
      for (const t of a.targets) {
        const target = PROBES.find((p) => p.provider === t.provider && p.name === t.name)!;
        expect(target).toBeDefined();
        expect(t.argMap.length).toBe(a.args.length);
        t.argMap.forEach((src) => { if (typeof src === 'number') expect(src).toBeLessThan(target.args.length); });
      }
    }
  });
});

describe('parser', () => {
  it('clauses, descriptions, predicates, pragmas, comments and the #! line', () => {
    const ast = parseD(`#!/usr/sbin/dtrace -s
#pragma D option quiet
#pragma D option aggsortkeypos=1
/* block
   comment */
vmx:::exit, pio:::in // line comment
/(arg0 / 2) > 3 && probename != "x"/
{
  @a[arg0, "s"] = lquantize(arg0, 0, 100, 10);
  x = y ? 1 : 2;;
}
tick-1s {}
`);
    expect(ast.pragmas.map((p) => [p.name, p.value])).toEqual([['quiet', null], ['aggsortkeypos', '1']]);
    expect(ast.clauses.length).toBe(2);
    const c = ast.clauses[0]!;
    expect(c.descs.map((d) => d.text)).toEqual(['vmx:::exit', 'pio:::in']);
    expect(c.pos).toEqual({ line: 6, col: 1 });
    expect(c.pred!.k).toBe('binary');
    expect(c.body.map((s) => s.k)).toEqual(['agg', 'expr']);
    const agg = c.body[0]!;
    if (agg.k !== 'agg') throw new Error('agg');
    expect([agg.name, agg.fn, agg.keys.length, agg.args.length]).toEqual(['a', 'lquantize', 2, 4]);
    expect(ast.clauses[1]!.body).toEqual([]);
  });
  it('operator precedence follows C', () => {
    const ast = parseD('BEGIN { x = 1 + 2 * 3 << 1 == 14 && 1 | 2 ^ 3 & 4; }');
    const s = ast.clauses[0]!.body[0]!;
    if (s.k !== 'expr' || s.e.k !== 'assign') throw new Error('assign');
    const e = s.e.value;
    // && binds looser than ==, which binds looser than <<, then +, then *
    expect(e.k === 'binary' && e.op).toBe('&&');
  });
  it('literals: hex, octal, suffixes, char escapes', () => {
    const ast = parseD("BEGIN { a = 0x1F; b = 017; c = 10UL; d = '\\n'; e = \"q\\\"\\x41\\101\"; }");
    const vals = ast.clauses[0]!.body.map((s) => (s.k === 'expr' && s.e.k === 'assign' ? s.e.value : null));
    expect(vals[0]).toMatchObject({ k: 'num', value: 31n, decimal: false });
    expect(vals[1]).toMatchObject({ k: 'num', value: 15n, decimal: false });
    expect(vals[2]).toMatchObject({ k: 'num', value: 10n, suffix: 'UL' });
    expect(vals[3]).toMatchObject({ k: 'num', value: 10n });
    expect(vals[4]).toMatchObject({ k: 'str', value: 'q"AA' });
  });
});
