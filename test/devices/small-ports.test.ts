import { describe, expect, it } from 'vitest';
import { Port92 } from '../../src/devices/port92.js';
import { PostPort } from '../../src/devices/post-port.js';
import { Debugcon } from '../../src/devices/debugcon.js';
import { IsaDebugExit } from '../../src/devices/isa-debug-exit.js';
import { IoSpace } from '../../src/memory/io-space.js';

describe('Port92', () => {
  it('bit 1 drives A20, a 0->1 edge on bit 0 resets; reads back', () => {
    const ev: string[] = [];
    const p = new Port92({ onA20: (e) => ev.push(`a20:${e}`), onReset: () => ev.push('reset') });
    const io = new IoSpace();
    io.registerAll(p.ioRegions());
    io.out(0x92, 1, 0x02);
    expect(io.in(0x92, 1)).toBe(0x02);
    io.out(0x92, 1, 0x03);
    io.out(0x92, 1, 0x03); // no new edge
    io.out(0x92, 1, 0x00);
    expect(ev).toEqual(['a20:true', 'reset', 'a20:false']);
    const q = new Port92();
    q.loadState(JSON.parse(JSON.stringify(p.saveState())));
    expect(q.a20).toBe(p.a20);
  });
});

describe('PostPort', () => {
  it('records the last code and a capped history; fires its probe; reads 0xFF', () => {
    const p = new PostPort({ historySize: 3 });
    const fired: number[] = [];
    p.probe.attach((_s, code) => fired.push(code));
    const io = new IoSpace();
    io.registerAll(p.ioRegions());
    for (const c of [0x01, 0x02, 0x03, 0x04]) io.out(0x80, 1, c);
    expect(p.last).toBe(4);
    expect(p.history()).toEqual([2, 3, 4]);
    expect(fired).toEqual([1, 2, 3, 4]);
    expect(io.in(0x80, 1)).toBe(0xff);
    const q = new PostPort({ historySize: 3 });
    q.loadState(JSON.parse(JSON.stringify(p.saveState())));
    expect([q.last, q.history()]).toEqual([4, [2, 3, 4]]);
  });
});

describe('Debugcon', () => {
  it('writes go to the output, reads return 0xE9; a second instance at 0x402', () => {
    const out: number[] = [];
    const a = new Debugcon({ onOutput: (b) => out.push(b) });
    const b = new Debugcon({ base: 0x402, name: 'debugcon.seabios', onOutput: (x) => out.push(x | 0x100) });
    const io = new IoSpace();
    io.registerAll(a.ioRegions());
    io.registerAll(b.ioRegions());
    io.out(0xe9, 1, 0x48);
    io.out(0x402, 1, 0x69);
    expect(out).toEqual([0x48, 0x169]);
    expect(io.in(0xe9, 1)).toBe(0xe9);
    expect(io.in(0x402, 1)).toBe(0xe9);
  });
});

describe('IsaDebugExit', () => {
  it('a write of v exits with (v << 1) | 1; reads return 0 (QEMU debug_exit_read)', () => {
    const st: number[] = [];
    const d = new IsaDebugExit({ onExit: (s) => st.push(s) });
    const io = new IoSpace();
    io.registerAll(d.ioRegions());
    io.out(0xf4, 1, 0x10);
    io.out(0xf4, 4, 0);
    io.out(0xf6, 2, 0x1234);
    expect(st).toEqual([0x21, 1, 0x2469]);
    expect(io.in(0xf4, 4)).toBe(0);
    expect(io.in(0xf8, 1)).toBe(0xff);
  });
});
