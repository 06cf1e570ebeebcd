/**
 * Synthetic end-to-end run: a registry, sites as the machine would create them, D programs
 * enabled on them, firings with known values on a virtual clock, and the text dtrace(1M) would
 * print, checked byte for byte. The expected text is built from the layout rules of spec.md
 * (1.6-1.8), not from the implementation.
 */
import { describe, expect, it } from 'vitest';
import { ProbeRegistry } from '../../src/probes/index.js';

const HEADER = '\n           value  ------------- Distribution ------------- count    \n';
const row = (label: string | number, count: number, depth: number): string =>
  String(label).padStart(16) + ' |' + '@'.repeat(depth) + ' '.repeat(40 - depth) + ' ' + String(count).padEnd(9) + '\n';
/** An aggregation line with a uint32_t key (" %8d") and a count (" %16lld"). */
const countLine = (key: number, n: number): string => ' ' + String(key).padStart(8) + ' ' + String(n).padStart(16) + '\n';

function machine() {
  let now = 0;
  const reg = new ProbeRegistry({ clock: () => now });
  const sites = [0, 1].map((v) => ({
    exit: reg.site('vmx', 'vm0', `vcpu${v}`, 'exit', { vcpu: v }),
    entry: reg.site('vmx', 'vm0', `vcpu${v}`, 'entry', { vcpu: v }),
  }));
  return { reg, sites, at: (t: number) => { now = t; } };
}

describe('end to end: exits by reason and exit-to-entry latency', () => {
  it('vmx:::exit { @[args[0]] = count(); } plus llquantize of the latency', () => {
    const m = machine();
    let out = '';
    const h = m.reg.enable(`
      #pragma D option quiet
      vmx:::exit { @[args[0]] = count(); self->t = timestamp; }
      vmx:::entry /self->t/ { @lat = llquantize(timestamp - self->t, 10, 0, 2, 10); self->t = 0; }
    `, { write: (s) => { out += s; } });

    const events: Array<[number, number, 'exit' | 'entry', number]> = [
      [100, 0, 'exit', 30], [105, 0, 'entry', 0],
      [200, 0, 'exit', 30], [210, 1, 'exit', 10], [215, 0, 'entry', 0], [227, 1, 'entry', 0],
      [300, 1, 'exit', 48], [550, 1, 'entry', 0],
      [600, 0, 'exit', 30], [860, 0, 'entry', 0],
      [1000, 1, 'exit', 12], [2200, 1, 'entry', 0],
      [2300, 0, 'entry', 0], // no exit pending on vcpu0: the predicate is false
    ];
    for (const [t, v, kind, reason] of events) {
      m.at(t);
      const s = m.sites[v]![kind];
      if (s.enabled) {
        if (kind === 'exit') s.fire(reason, 0, 0x7c00, 0, 2);
        else s.fire(0x7c00, 0);
      }
    }
    expect(out).toBe(''); // quiet, aggregations only: nothing until the end

    // latencies 5, 15, 17, 250, 260, 1200 ns; total 6, so 1 -> 7 @ and 2 -> 13 @ (round half up)
    const lat =
      HEADER + row(4, 0, 0) + row(5, 1, 7) + row(6, 0, 0) + row(7, 0, 0) + row(8, 0, 0) + row(9, 0, 0) +
      row(10, 2, 13) + [20, 30, 40, 50, 60, 70, 80, 90, 100].map((v) => row(v, 0, 0)).join('') +
      row(200, 2, 13) + [300, 400, 500, 600, 700, 800, 900].map((v) => row(v, 0, 0)).join('') +
      row('>= 1000', 1, 7);
    const expected =
      '\n' + // dtrace(1M) prints a newline when tracing stops
      countLine(10, 1) + countLine(12, 1) + countLine(48, 1) + countLine(30, 3) + // value, then key order
      lat + '\n';
    expect(h.end()).toBe(expected);
    expect(out).toBe(expected);
    expect(m.sites[0]!.exit.enabled).toBe(false);
  });

  it('the default (non-quiet) program prints nothing per firing and the sorted counts at the end', () => {
    const m = machine();
    const h = m.reg.enable('vmx:::exit { @[args[0]] = count(); }');
    for (const r of [30, 30, 1, 30, 12, 1]) m.sites[r % 2]!.exit.fire(r, 0, 0, 0, 0);
    expect(h.output()).toBe('');
    expect(h.end()).toBe('\n' + countLine(12, 1) + countLine(1, 2) + countLine(30, 3));
  });

  it('a tick-driven report with printa formats, trunc and clear, then exit()', () => {
    const m = machine();
    let out = '';
    let stopped: number | null = null;
    m.reg.enable(`
      #pragma D option quiet
      vmx:::exit { @n[strexitno[args[0]]] = count(); }
      tick-1ms /++ticks == 2/ { exit(0); }
      tick-1ms { printf("-- %d ms\\n", timestamp / 1000000); printa("%-20s %@8d\\n", @n); trunc(@n, 1); clear(@n); }
      END { printf("done\\n"); }
    `, { write: (s) => { out += s; }, onExit: (s) => { stopped = s; } });
    for (const r of [30, 30, 12, 10, 30]) m.sites[0]!.exit.fire(r, 0, 0, 0, 0);
    m.at(1_000_000);
    m.reg.advance(1_000_000);
    m.sites[0]!.exit.fire(12, 0, 0, 0, 0);
    m.at(2_000_000);
    m.reg.advance(2_000_000);
    expect(stopped).toBe(0);
    expect(out).toBe(
      '-- 1 ms\n' +
      'CPUID                       1\nHLT                         1\nIO_INSTRUCTION              3\n' +
      // trunc(@n, 1) kept IO_INSTRUCTION, clear() zeroed it; HLT came back with 1. At the second
      // tick the first clause calls exit(0): its tick still runs the later clauses (same firing).
      '-- 2 ms\n' +
      'IO_INSTRUCTION              0\nHLT                         1\n' +
      'done\n' +
      '\n'); // @n was printed by printa(), so the end of run only adds the newline
    expect(m.reg.nextDeadline()).toBe(Infinity);
  });
});
