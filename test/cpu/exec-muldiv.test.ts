/**
 * MUL, IMUL (1/2/3 operands), DIV, IDIV at 8/16/32 bits over edge values, against BigInt
 * references; #DE for zero divisors and quotient overflow with EIP at the faulting instruction.
 */
import { describe, expect, it } from 'vitest';
import { Reg } from '../../src/cpu/state.js';
import { AF, CF, CODE, EDGES, OF, PF, SF, STACK, ZF, haltedInVector, loadCode, makeMachine, rd32, refSzp, run } from './exec-harness.js';

function mask(bits: number): bigint {
  return (1n << BigInt(bits)) - 1n;
}
function sx(v: bigint, bits: number): bigint {
  const m = mask(bits);
  v &= m;
  return v >> BigInt(bits - 1) ? v - (1n << BigInt(bits)) : v;
}
const V = EDGES.concat([3, 10, 0xfffe, 0xfffffffe, 0x12345678]);

describe('MUL / IMUL one operand', () => {
  const m = makeMachine(32);
  for (const bits of [8, 16, 32]) {
    for (const signed of [false, true]) {
      it(`${signed ? 'imul' : 'mul'} ${bits}-bit`, () => {
        // [66] F6/F7 /4|/5 with rm = EBX (E3 / EB) ; hlt
        const code = bits === 16 ? [0x66] : [];
        code.push(bits === 8 ? 0xf6 : 0xf7, signed ? 0xeb : 0xe3, 0xf4);
        for (const a of V) for (const b of V) {
          loadCode(m, code);
          m.cpu.regs[Reg.EAX] = a; m.cpu.regs[Reg.EBX] = b; m.cpu.regs[Reg.EDX] = 0x11111111;
          run(m);
          const A = signed ? sx(BigInt(a), bits) : BigInt(a) & mask(bits);
          const B = signed ? sx(BigInt(b), bits) : BigInt(b) & mask(bits);
          const p = (A * B) & mask(2 * bits);
          let got: bigint;
          if (bits === 8) got = BigInt(m.cpu.regs[Reg.EAX]! & 0xffff);
          else if (bits === 16) got = (BigInt(m.cpu.regs[Reg.EDX]! & 0xffff) << 16n) | BigInt(m.cpu.regs[Reg.EAX]! & 0xffff);
          else got = (BigInt(m.cpu.regs[Reg.EDX]! >>> 0) << 32n) | BigInt(m.cpu.regs[Reg.EAX]! >>> 0);
          expect({ a, b, got }).toEqual({ a, b, got: p });
          const full = A * B;
          const ovf = signed ? sx(full, bits) !== full : (full >> BigInt(bits)) !== 0n;
          expect(m.cpu.getEflags() & (CF | OF)).toBe(ovf ? CF | OF : 0);
          // undefined-flag policy (flags.ts): SF/ZF/PF from the low half, AF = 0
          expect(m.cpu.getEflags() & (SF | ZF | PF | AF)).toBe(refSzp(Number(p & mask(bits)), bits));
        }
      });
    }
  }
});

describe('IMUL two and three operands', () => {
  const m = makeMachine(32);
  for (const bits of [16, 32]) {
    it(`${bits}-bit imul r, r/m and imul r, r/m, imm`, () => {
      for (const a of V) for (const b of V) {
        // [66] 0F AF C3: imul eax, ebx ; hlt
        loadCode(m, (bits === 16 ? [0x66] : []).concat([0x0f, 0xaf, 0xc3, 0xf4]));
        m.cpu.regs[Reg.EAX] = a; m.cpu.regs[Reg.EBX] = b;
        run(m);
        const full = sx(BigInt(a), bits) * sx(BigInt(b), bits);
        expect(BigInt(m.cpu.regs[Reg.EAX]! >>> 0) & mask(bits)).toBe(full & mask(bits));
        expect(m.cpu.getEflags() & (CF | OF)).toBe(sx(full, bits) !== full ? CF | OF : 0);
      }
      for (const a of V) {
        // [66] 6B C3 F9: imul eax, ebx, -7 ; [66] 69 C3 imm: imul eax, ebx, 0x7fff(ffff)
        loadCode(m, (bits === 16 ? [0x66] : []).concat([0x6b, 0xc3, 0xf9, 0xf4]));
        m.cpu.regs[Reg.EBX] = a;
        run(m);
        const full = sx(BigInt(a), bits) * -7n;
        expect(BigInt(m.cpu.regs[Reg.EAX]! >>> 0) & mask(bits)).toBe(full & mask(bits));
        expect(m.cpu.getEflags() & (CF | OF)).toBe(sx(full, bits) !== full ? CF | OF : 0);
        const imm = bits === 16 ? [0xff, 0x7f] : [0xff, 0xff, 0xff, 0x7f];
        loadCode(m, (bits === 16 ? [0x66] : []).concat([0x69, 0xc3, ...imm, 0xf4]));
        run(m);
        const full2 = sx(BigInt(a), bits) * (bits === 16 ? 0x7fffn : 0x7fffffffn);
        expect(BigInt(m.cpu.regs[Reg.EAX]! >>> 0) & mask(bits)).toBe(full2 & mask(bits));
      }
    });
  }
});

describe('DIV / IDIV', () => {
  const m = makeMachine(32);
  for (const bits of [8, 16, 32]) {
    for (const signed of [false, true]) {
      it(`${signed ? 'idiv' : 'div'} ${bits}-bit incl. #DE`, () => {
        // [66] F6/F7 /6|/7 rm=EBX (F3 / FB) ; hlt
        const code = bits === 16 ? [0x66] : [];
        code.push(bits === 8 ? 0xf6 : 0xf7, signed ? 0xfb : 0xf3, 0xf4);
        const dividends: [number, number][] = [[0, 0], [0, 100], [0, 0xffffffff], [0xffffffff, 0xffffffff], [0, 0x7fffffff],
          [0xffffffff, 0x80000000], [0x1, 0], [0x7fff, 0xffff0000], [0xffff, 0xffff], [0, 0x8000], [0, 0x80]];
        for (const [hi, lo] of dividends) for (const d of V) {
          loadCode(m, code);
          m.cpu.regs[Reg.ESP] = STACK;
          m.cpu.regs[Reg.EAX] = lo; m.cpu.regs[Reg.EDX] = hi; m.cpu.regs[Reg.EBX] = d;
          m.cpu.setEflags(2);
          run(m);
          let n: bigint;
          if (bits === 8) n = BigInt(lo & 0xffff);
          else if (bits === 16) n = (BigInt(hi & 0xffff) << 16n) | BigInt(lo & 0xffff);
          else n = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
          const N = signed ? sx(n, 2 * bits) : n;
          const D = signed ? sx(BigInt(d), bits) : BigInt(d) & mask(bits);
          let fault = D === 0n;
          let q = 0n, r = 0n;
          if (!fault) {
            q = N / D; r = N % D; // BigInt division truncates toward zero, as IDIV does
            fault = signed ? sx(q, bits) !== q : q > mask(bits);
          }
          const ctx = { bits, signed, hi, lo, d };
          if (fault) {
            expect({ ...ctx, v: haltedInVector(m) }).toEqual({ ...ctx, v: 0 });
            expect(rd32(m, STACK - 12)).toBe(CODE); // pushed EIP = the DIV itself
            expect(m.cpu.regs[Reg.EAX]).toBe(lo | 0); // nothing written
          } else {
            expect({ ...ctx, v: haltedInVector(m) }).toEqual({ ...ctx, v: -1 });
            let gq: bigint, gr: bigint;
            if (bits === 8) { gq = BigInt(m.cpu.regs[Reg.EAX]! & 0xff); gr = BigInt((m.cpu.regs[Reg.EAX]! >> 8) & 0xff); }
            else if (bits === 16) { gq = BigInt(m.cpu.regs[Reg.EAX]! & 0xffff); gr = BigInt(m.cpu.regs[Reg.EDX]! & 0xffff); }
            else { gq = BigInt(m.cpu.regs[Reg.EAX]! >>> 0); gr = BigInt(m.cpu.regs[Reg.EDX]! >>> 0); }
            expect({ ...ctx, gq, gr }).toEqual({ ...ctx, gq: q & mask(bits), gr: r & mask(bits) });
            expect(m.cpu.getEflags() & 0x8d5).toBe(0); // flags unchanged (policy)
          }
        }
      });
    }
  }
});
