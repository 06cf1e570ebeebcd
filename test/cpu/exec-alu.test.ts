/**
 * ADD ADC SUB SBB CMP AND OR XOR INC DEC NEG NOT at 8/16/32 bits over the edge values, all six
 * status flags checked against a reference computed here from the SDM definitions.
 */
import { describe, expect, it } from 'vitest';
import { Reg } from '../../src/cpu/state.js';
import { AF, CF, EDGES, OF, STATUS, loadCode, makeMachine, refSzp, run } from './exec-harness.js';

type Ref = { r: number; flags: number; writes: boolean };

function signed(v: number, bits: number): number {
  return bits === 32 ? v | 0 : (v << (32 - bits)) >> (32 - bits);
}
function fits(v: number, bits: number): boolean {
  return v >= -(2 ** (bits - 1)) && v <= 2 ** (bits - 1) - 1;
}
function mask(bits: number): number {
  return bits === 32 ? 0xffffffff : (1 << bits) - 1;
}

/** Reference for a binary ALU op (SDM Vol. 2 flag definitions; AF = 0 for logic ops). */
function refBinary(op: string, a0: number, b0: number, cin: number, bits: number): Ref {
  const m = mask(bits);
  const a = (a0 & m) >>> 0, b = (b0 & m) >>> 0;
  const sa = signed(a, bits), sb = signed(b, bits);
  let r: number, cf = false, of = false, af = false;
  const c = op === 'adc' || op === 'sbb' ? cin : 0;
  switch (op) {
    case 'add': case 'adc':
      r = a + b + c; cf = r > m; of = !fits(sa + sb + c, bits); af = (a & 0xf) + (b & 0xf) + c > 0xf; break;
    case 'sub': case 'sbb': case 'cmp':
      r = a - b - c; cf = a < b + c; of = !fits(sa - sb - c, bits); af = (a & 0xf) < (b & 0xf) + c; break;
    case 'and': r = a & b; break;
    case 'or': r = a | b; break;
    default: r = a ^ b; break;
  }
  r = (r & m) >>> 0;
  return {
    r, writes: op !== 'cmp',
    flags: (cf ? CF : 0) | (of ? OF : 0) | (af ? AF : 0) | refSzp(r, bits),
  };
}

const OPS: [string, number][] = [
  ['add', 0x00], ['or', 0x08], ['adc', 0x10], ['sbb', 0x18], ['and', 0x20], ['sub', 0x28], ['xor', 0x30], ['cmp', 0x38],
];

describe('binary ALU ops: register forms, all edge pairs, both carries', () => {
  const m = makeMachine(32);
  for (const bits of [8, 16, 32]) {
    for (const [name, base] of OPS) {
      it(`${name} ${bits}-bit`, () => {
        // stc/clc ; [66] op al|ax|eax, bl|bx|ebx (ModRM D8) ; hlt
        let fails = 0;
        for (const cin of [0, 1]) {
          const code = [cin ? 0xf9 : 0xf8];
          if (bits === 16) code.push(0x66);
          code.push(base + (bits === 8 ? 0 : 1), 0xd8, 0xf4);
          for (const a of EDGES) {
            for (const b of EDGES) {
              loadCode(m, code);
              m.cpu.regs[Reg.EAX] = 0x5a5a5a5a ^ a ^ a; // then overwrite the low part below
              m.cpu.regs[Reg.EAX] = bits === 32 ? a : (0x12345600 & ~mask(bits)) | (a & mask(bits));
              m.cpu.regs[Reg.EBX] = b;
              run(m);
              const ref = refBinary(name, a, b, cin, bits);
              const gotR = (m.cpu.regs[Reg.EAX]! & mask(bits)) >>> 0;
              const wantR = ref.writes ? ref.r : (a & mask(bits)) >>> 0;
              const upperOk = bits === 32 || (m.cpu.regs[Reg.EAX]! & ~mask(bits)) === (0x12345600 & ~mask(bits));
              const gotF = m.cpu.getEflags() & STATUS;
              if (gotR !== wantR || gotF !== ref.flags || !upperOk) {
                fails++;
                if (fails < 4) expect({ name, bits, a, b, cin, r: gotR, f: gotF }).toEqual({ name, bits, a, b, cin, r: wantR, f: ref.flags });
              }
            }
          }
        }
        expect(fails).toBe(0);
      });
    }
  }
});

describe('memory-destination ALU ops', () => {
  it('add dword [ebx+4], eax with lazy flags; cmp does not write', () => {
    const m = makeMachine(32);
    // add [ebx+4], eax (01 43 04) ; cmp [ebx+4], eax (39 43 04) ; hlt
    loadCode(m, [0x01, 0x43, 0x04, 0x39, 0x43, 0x04, 0xf4]);
    m.cpu.regs[Reg.EBX] = 0x20000;
    m.cpu.regs[Reg.EAX] = 0x80000000 | 0;
    m.mem.ram.set([0, 0, 0, 0x80], 0x20004);
    run(m);
    expect(Array.from(m.mem.ram.subarray(0x20004, 0x20008))).toEqual([0, 0, 0, 0]);
    // cmp 0 - 0x80000000: CF=1, OF=1, SF=1
    const f = m.cpu.getEflags();
    expect(f & (CF | OF)).toBe(CF | OF);
  });

  it('or byte [0x20010], 0x81 (80 0D disp32 imm8) and 83 /0 sign-extended imm', () => {
    const m = makeMachine(32);
    // or byte [0x20010], 0x81 ; add dword [0x20014], -1 (83 05 disp32 FF) ; hlt
    loadCode(m, [0x80, 0x0d, 0x10, 0x00, 0x02, 0x00, 0x81, 0x83, 0x05, 0x14, 0x00, 0x02, 0x00, 0xff, 0xf4]);
    m.mem.ram[0x20010] = 0x02;
    m.mem.ram.set([5, 0, 0, 0], 0x20014);
    run(m);
    expect(m.mem.ram[0x20010]).toBe(0x83);
    expect(Array.from(m.mem.ram.subarray(0x20014, 0x20018))).toEqual([4, 0, 0, 0]);
    expect(m.cpu.getEflags() & CF).toBe(CF);
  });
});

describe('INC DEC NEG NOT', () => {
  const m = makeMachine(32);
  for (const bits of [8, 16, 32]) {
    it(`${bits}-bit over edge values, CF preserved by INC/DEC`, () => {
      const mk = mask(bits);
      for (const cin of [0, 1]) {
        for (const a of EDGES) {
          for (const [name, modrm] of [['inc', 0xc0], ['dec', 0xc8], ['neg', 0xd8], ['not', 0xd0]] as const) {
            const code = [cin ? 0xf9 : 0xf8];
            if (bits === 16) code.push(0x66);
            const opc = name === 'inc' || name === 'dec' ? (bits === 8 ? 0xfe : 0xff) : (bits === 8 ? 0xf6 : 0xf7);
            code.push(opc, modrm, 0xf4);
            loadCode(m, code);
            m.cpu.regs[Reg.EAX] = a;
            run(m);
            const av = (a & mk) >>> 0;
            let r: number, flags: number;
            if (name === 'inc') {
              r = (av + 1) & mk;
              flags = cin | ((av & 0xf) === 0xf ? AF : 0) | (av === 2 ** (bits - 1) - 1 ? OF : 0) | refSzp(r, bits);
            } else if (name === 'dec') {
              r = (av - 1) & mk;
              flags = cin | ((av & 0xf) === 0 ? AF : 0) | (av === 2 ** (bits - 1) ? OF : 0) | refSzp(r, bits);
            } else if (name === 'neg') {
              r = (-av) & mk;
              flags = (av !== 0 ? CF : 0) | ((av & 0xf) !== 0 ? AF : 0) | (av === 2 ** (bits - 1) ? OF : 0) | refSzp(r, bits);
            } else {
              r = ~av & mk;
              flags = cin; // NOT changes no flags; after STC/CLC: CF = cin, others 0
              flags = -1;
            }
            r >>>= 0;
            expect({ name, a, r: (m.cpu.regs[Reg.EAX]! & mk) >>> 0 }).toEqual({ name, a, r });
            if (flags >= 0) expect({ name, a, cin, f: m.cpu.getEflags() & STATUS }).toEqual({ name, a, cin, f: flags });
          }
        }
      }
    });
  }

  it('NOT leaves flags alone', () => {
    // add eax, 0 (83 C0 00) sets ZF for eax=0 ; not eax ; hlt
    loadCode(m, [0x83, 0xc0, 0x00, 0xf7, 0xd0, 0xf4]);
    m.cpu.regs[Reg.EAX] = 0;
    run(m);
    expect(m.cpu.regs[Reg.EAX]).toBe(-1);
    expect(m.cpu.getEflags() & STATUS).toBe(0x44); // ZF | PF from the add
  });
});

describe('binary ALU ops: seeded random operands', () => {
  it('3000 random cases across ops, sizes and carries', () => {
    const m = makeMachine(32);
    let seed = 0x12345678;
    const rnd = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return seed >>> 0; };
    for (let i = 0; i < 3000; i++) {
      const [name, base] = OPS[rnd() % 8]!;
      const bits = [8, 16, 32][rnd() % 3]!;
      const cin = rnd() & 1;
      const a = rnd(), b = rnd();
      const code = [cin ? 0xf9 : 0xf8];
      if (bits === 16) code.push(0x66);
      // op ecx, edx (ModRM D1: reg = EDX, rm = ECX)
      code.push(base + (bits === 8 ? 0 : 1), 0xd1, 0xf4);
      loadCode(m, code);
      m.cpu.regs[Reg.ECX] = a; m.cpu.regs[Reg.EDX] = b;
      run(m);
      const ref = refBinary(name, a, b, cin, bits);
      const got = (m.cpu.regs[Reg.ECX]! & mask(bits)) >>> 0;
      expect({ name, bits, a, b, cin, r: got, f: m.cpu.getEflags() & STATUS })
        .toEqual({ name, bits, a, b, cin, r: ref.writes ? ref.r : (a & mask(bits)) >>> 0, f: ref.flags });
    }
  });
});
