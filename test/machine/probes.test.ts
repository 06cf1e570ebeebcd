/**
 * Probes on a real guest: a D count by exit reason equals --stats, an llquantize of exit-to-entry
 * time prints a valid histogram, and the output is the same run after run.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Machine } from '../../src/machine/machine.js';
import { bundledPath } from '../../src/machine/bundled.js';

function run(programs: string[]): { text: string; machine: Machine } {
  let text = '';
  const image = 'guests/exitstorm/exitstorm.img';
  const machine = new Machine({
    image: { data: new Uint8Array(readFileSync(bundledPath(image))), path: image },
    probes: { programs, quiet: true, write: (s) => (text += s) },
  });
  machine.run({ maxInstructions: 50_000_000 });
  machine.finish();
  return { text, machine };
}

describe('D on the exit-storm guest', () => {
  it('@[args[0]] = count() equals the --stats counts', () => {
    const { text, machine } = run(['vmx:::exit { @[args[0]] = count(); }']);
    const rows = text.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
    const counted = new Map(rows.map(([reason, n]) => [reason!, n!]));
    const stats = machine.exitStats.sorted();
    expect(counted.size).toBe(stats.length);
    for (const [reason, s] of stats) expect(counted.get(reason)).toBe(s.count);
    expect(counted.get(10)).toBe(10002);
  });

  it('llquantize of exit-to-entry time prints a valid histogram', () => {
    const { text } = run([
      'vmx:::exit { self->t = timestamp; } vmx:::entry /self->t/ { @ = llquantize(timestamp - self->t, 10, 2, 6, 10); self->t = 0; }',
    ]);
    const lines = text.split('\n');
    expect(lines.some((l) => /^\s+value\s+-+ Distribution -+ count\s*$/.test(l))).toBe(true);
    const rows = lines.map((l) => /^\s+(\d+) \|([@ ]{40}) (\d+)\s*$/.exec(l)).filter((m) => m !== null);
    expect(rows.length).toBeGreaterThan(2);
    const total = rows.reduce((t, m) => t + Number(m![3]), 0);
    expect(total).toBeGreaterThan(40_000);
    // labels increase and the bars add up to at most 40 columns
    for (let i = 1; i < rows.length; i++) expect(Number(rows[i]![1])).toBeGreaterThan(Number(rows[i - 1]![1]));
  });

  it('is deterministic', () => {
    const p = 'vmx:::exit { @[strexitno[args[0]]] = count(); } pio:::in, pio:::out { @io[probename, arg0] = count(); }';
    expect(run([p]).text).toBe(run([p]).text);
  });
});
