/**
 * The REP MOVS/STOS fast path (exec/string.ts bulkMovsStos) against the element path: the same
 * copy done by REP MOVS/STOS and by a MOVS/STOS + LOOP loop (never bulk) must leave the same
 * memory, ESI/EDI/ECX and exception, for overlapping moves, page-crossing runs, segment limits
 * ending the run (#GP mid-way), not-present and read-only pages (#PF mid-way) and a copy that
 * overwrites the code that follows it.
 */
import { describe, expect, it } from 'vitest';
import { Reg, SReg } from '../../src/cpu/state.js';
import { CODE, DATA, STACK, haltedInVector, loadCode, makeMachine, run, type TestMachine } from './exec-harness.js';

/** xorshift32: deterministic cases. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
}

interface Case {
  movs: boolean; size: 1 | 2 | 4; src: number; dst: number; count: number;
  dsLimit: number; esLimit: number; paging: 0 | 1 | 2; eax: number;
}

const PD = 0x100000, PT = 0x101000;

function setUp(m: TestMachine, c: Case): void {
  const ram = m.mem.ram;
  for (let i = 0; i < 0x6000; i++) ram[0x1e000 + i] = (i * 7 + 3) & 0xff;
  if (c.paging !== 0) {
    const w32 = (a: number, v: number) => { ram[a] = v; ram[a + 1] = v >>> 8; ram[a + 2] = v >>> 16; ram[a + 3] = v >>> 24; };
    w32(PD, PT | 3);
    for (let p = 0; p < 1024; p++) w32(PT + p * 4, (p << 12) | 3);
    // page 0x21000: not present (1) or read-only with CR0.WP (2)
    w32(PT + 0x21 * 4, c.paging === 1 ? 0 : (0x21 << 12) | 1);
    m.cpu.cr3 = PD;
    m.cpu.cr0 = (m.cpu.cr0 | 0x80010000) | 0;
    m.cpu.mmu.flushAll();
  }
  m.cpu.seg[SReg.DS]!.limit = c.dsLimit;
  m.cpu.seg[SReg.ES]!.limit = c.esLimit;
  const r = m.cpu.regs;
  r[Reg.ESI] = c.src; r[Reg.EDI] = c.dst; r[Reg.ECX] = c.count; r[Reg.EAX] = c.eax; r[Reg.ESP] = STACK;
}

function opcode(c: Case): number[] {
  const base = c.movs ? (c.size === 1 ? 0xa4 : 0xa5) : (c.size === 1 ? 0xaa : 0xab);
  return c.size === 2 ? [0x66, base] : [base];
}

function outcome(m: TestMachine) {
  const r = m.cpu.regs;
  return {
    vector: haltedInVector(m), esi: r[Reg.ESI], edi: r[Reg.EDI], ecx: r[Reg.ECX],
    mem: Buffer.from(m.mem.ram.subarray(0x1e000, 0x24000)).toString('base64'),
  };
}

function runRep(c: Case) {
  const m = makeMachine(32);
  setUp(m, c);
  loadCode(m, [0xf3, ...opcode(c), 0xf4]); // rep movs/stos ; hlt
  run(m, 100000);
  return outcome(m);
}

function runLoop(c: Case) {
  const m = makeMachine(32);
  setUp(m, c);
  // jecxz done ; l: movs/stos ; loop l ; done: hlt
  const op = opcode(c);
  loadCode(m, [0xe3, op.length + 2, ...op, 0xe2, (-(op.length + 2)) & 0xff, 0xf4]);
  run(m, 100000);
  return outcome(m);
}

describe('REP MOVS/STOS fast path', () => {
  it('matches the element path on 400 generated cases', () => {
    const rnd = prng(0x5eed1234);
    const vectors = new Map<number, number>();
    for (let k = 0; k < 400; k++) {
      const size = ([1, 2, 4] as const)[rnd() % 3]!;
      const src = DATA + (rnd() % 0x1800) + ((rnd() & 1) !== 0 ? 0xff0 - (rnd() % 32) : 0);
      const overlap = (rnd() & 3) === 0;
      const dst = overlap ? src + ((rnd() % 17) - 8) : DATA + (rnd() % 0x2000);
      const c: Case = {
        movs: (rnd() & 1) !== 0, size, src, dst, count: rnd() % 700,
        dsLimit: (rnd() & 7) === 0 ? src + (rnd() % 1500) : 0xffffffff,
        esLimit: (rnd() & 7) === 0 ? dst + (rnd() % 1500) : 0xffffffff,
        paging: (rnd() % 3) as 0 | 1 | 2,
        eax: rnd() | 0,
      };
      const want = runLoop(c);
      const got = runRep(c);
      vectors.set(want.vector, (vectors.get(want.vector) ?? 0) + 1);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        expect({ case: c, ...got }).toEqual({ case: c, ...want });
      }
    }
    // The cases cover completion, #GP (segment limits) and #PF (not present / read-only).
    expect(vectors.get(-1)).toBeGreaterThan(50);
    expect(vectors.get(13)).toBeGreaterThan(10);
    expect(vectors.get(14)).toBeGreaterThan(10);
  });

  it('a REP MOVSB that overwrites the instructions after it: they run as written', () => {
    const m = makeMachine(32);
    // rep movsb ; (2 bytes overwritten with: inc eax; hlt) ; nop ; nop ; hlt
    loadCode(m, [0xf3, 0xa4, 0x90, 0x90, 0xf4]);
    m.mem.ram.set([0x40, 0xf4], DATA);
    m.cpu.regs[Reg.ESI] = DATA; m.cpu.regs[Reg.EDI] = CODE + 2; m.cpu.regs[Reg.ECX] = 2; m.cpu.regs[Reg.EAX] = 0;
    run(m);
    expect(m.cpu.regs[Reg.EAX]).toBe(1);
    expect(m.cpu.eip).toBe(CODE + 4);
  });
});
