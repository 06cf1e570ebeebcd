import { describe, expect, it } from 'vitest';
import { Insn, Prefix } from '../../src/cpu/insn.js';
import { type ByteSource, decode, decodeBytes } from '../../src/cpu/decoder.js';
import {
  ENTRY_OPND, F, OPCODE_TABLE, Op, Opnd, PfxClass, entryOf, lookupEntry, opndBits,
} from '../../src/cpu/opcodes.js';
import { Reg, SReg } from '../../src/cpu/state.js';

function dec(hex: string, bits: 16 | 32 = 32): Insn {
  const bytes = Uint8Array.from(hex.replace(/\s+/g, '').match(/../g)!.map((x) => parseInt(x, 16)));
  const insn = new Insn();
  decodeBytes(insn, bytes, 0, bits);
  return insn;
}

describe('opcode table', () => {
  it('has unique, well-formed entries and every Op reachable is named', () => {
    expect(OPCODE_TABLE[0].op).toBe(Op.UD);
    for (let e = 1; e < OPCODE_TABLE.length; e++) {
      const ent = OPCODE_TABLE[e];
      expect(ent.index).toBe(e);
      expect(ent.mnemonic.length).toBeGreaterThan(0);
      expect(ent.op).toBeGreaterThan(Op.UD);
      expect(ent.op).toBeLessThan(Op.COUNT);
      for (let i = 0; i < ent.operands.length; i++) expect(ENTRY_OPND[e * 4 + i]).toBe(ent.operands[i]);
    }
  });

  it('looks entries up by map, opcode, ModRM and mandatory prefix', () => {
    expect(entryOf(lookupEntry(0, 0x01, 0xc8)).op).toBe(Op.ADD);
    expect(entryOf(lookupEntry(0, 0x90, -1, PfxClass.PF3)).op).toBe(Op.PAUSE);
    expect(entryOf(lookupEntry(0, 0x90, -1)).op).toBe(Op.NOP);
    expect(entryOf(lookupEntry(1, 0xc7, 0x30)).op).toBe(Op.VMPTRLD);
    expect(entryOf(lookupEntry(1, 0xc7, 0x30, PfxClass.P66)).op).toBe(Op.VMCLEAR);
    expect(entryOf(lookupEntry(1, 0xc7, 0x30, PfxClass.PF3)).op).toBe(Op.VMXON);
    expect(lookupEntry(1, 0xc7, 0xf0)).toBe(0); // RDRAND: not a P6 instruction
    expect(entryOf(lookupEntry(0, 0xff, 0x18)).op).toBe(Op.CALLF);
    expect(lookupEntry(0, 0xff, 0xd8)).toBe(0); // FF /3 register form
    expect(entryOf(lookupEntry(2, 0x80, 0x00, PfxClass.P66)).op).toBe(Op.INVEPT);
  });

  it('gives operand sizes', () => {
    expect(opndBits(Opnd.Ev, 16, true)).toBe(16);
    expect(opndBits(Opnd.MwRv, 32, true)).toBe(16);
    expect(opndBits(Opnd.MwRv, 32, false)).toBe(32);
    expect(opndBits(Opnd.Mp, 32, true)).toBe(48);
  });
});

describe('decoder: 16-bit addressing', () => {
  const forms: [number, number, number, number][] = [
    // rm, base, index, default segment
    [0, Reg.EBX, Reg.ESI, SReg.DS], [1, Reg.EBX, Reg.EDI, SReg.DS], [2, Reg.EBP, Reg.ESI, SReg.SS],
    [3, Reg.EBP, Reg.EDI, SReg.SS], [4, Reg.ESI, -1, SReg.DS], [5, Reg.EDI, -1, SReg.DS],
    [6, Reg.EBP, -1, SReg.SS], [7, Reg.EBX, -1, SReg.DS],
  ];
  for (const [rm, base, index, seg] of forms) {
    it(`mod=1 rm=${rm}`, () => {
      const i = dec(`8b ${(0x40 | rm).toString(16)} f0`, 16);
      expect([i.base, i.index, i.disp, i.defaultSeg, i.length, i.adsize]).toEqual([base, index, -16, seg, 3, 16]);
    });
  }
  it('mod=0 rm=6 is a bare disp16 in DS', () => {
    const i = dec('8b 06 34 12', 16);
    expect([i.base, i.index, i.disp, i.defaultSeg, i.length]).toEqual([-1, -1, 0x1234, SReg.DS, 4]);
  });
  it('mod=2 sign-extends disp16', () => {
    const i = dec('8b 86 00 f0', 16);
    expect([i.base, i.disp, i.length]).toEqual([Reg.EBP, -0x1000, 4]);
  });
  it('67 switches 16-bit code to 32-bit addressing', () => {
    const i = dec('67 8b 04 24', 16);
    expect([i.adsize, i.opsize, i.base, i.index, i.defaultSeg, i.length]).toEqual([32, 16, Reg.ESP, -1, SReg.SS, 4]);
  });
});

describe('decoder: 32-bit addressing', () => {
  it('SIB with no base (mod=0, base=101b) has a disp32', () => {
    const i = dec('8b 04 8d 00 10 00 00');
    expect([i.base, i.index, i.scale, i.disp, i.defaultSeg, i.length]).toEqual([-1, Reg.ECX, 2, 0x1000, SReg.DS, 7]);
  });
  it('SIB index 100b means no index', () => {
    const i = dec('8d 04 a0');
    expect([i.base, i.index, i.scale, i.length]).toEqual([Reg.EAX, -1, 0, 3]);
  });
  it('EBP base with mod=1 defaults to SS; disp32-only defaults to DS', () => {
    expect(dec('8b 45 fc').defaultSeg).toBe(SReg.SS);
    expect(dec('8b 44 24 04').defaultSeg).toBe(SReg.SS);
    const i = dec('8b 05 78 56 34 12');
    expect([i.base, i.disp, i.defaultSeg, i.length]).toEqual([-1, 0x12345678, SReg.DS, 6]);
  });
  it('last segment override wins', () => {
    const i = dec('26 2e 64 8b 07');
    expect([i.segOverride, i.seg, i.prefixes & Prefix.SEG]).toEqual([SReg.FS, SReg.FS, Prefix.SEG]);
  });
});

describe('decoder: operands and immediates', () => {
  it('moffs follows the address size, not the operand size', () => {
    const a = dec('a1 78 56 34 12');
    expect([a.op, a.disp, a.length]).toEqual([Op.MOV, 0x12345678, 5]);
    const b = dec('67 a1 34 12');
    expect([b.adsize, b.opsize, b.disp, b.length]).toEqual([16, 32, 0x1234, 4]);
    const c = dec('67 a0 00 00 01 00', 16);
    expect([c.adsize, c.disp, c.length]).toEqual([32, 0x10000, 6]);
  });
  it('far pointers: ptr16:32, ptr16:16', () => {
    const a = dec('ea 78 56 34 12 34 12');
    expect([a.op, a.imm, a.imm2, a.length]).toEqual([Op.JMPF, 0x12345678, 0x1234, 7]);
    const b = dec('9a 00 7c 00 f0', 16);
    expect([b.op, b.imm, b.imm2, b.length]).toEqual([Op.CALLF, 0x7c00, 0xf000, 5]);
    const c = dec('66 ea 00 00 01 00 08 00', 16);
    expect([c.opsize, c.imm, c.imm2, c.length]).toEqual([32, 0x10000, 8, 8]);
  });
  it('ENTER has imm16 then imm8', () => {
    const i = dec('c8 10 02 03');
    expect([i.op, i.imm, i.imm2, i.length]).toEqual([Op.ENTER, 0x210, 3, 4]);
  });
  it('Jcc rel16 in 16-bit code, rel32 in 32-bit code, rel8 sign-extended', () => {
    const a = dec('0f 84 fd ff', 16);
    expect([a.op, a.opcode & 0xf, a.imm, a.length, a.opsize]).toEqual([Op.JCC, 4, -3, 4, 16]);
    const b = dec('0f 85 00 01 00 00');
    expect([b.imm, b.length]).toEqual([0x100, 6]);
    expect(dec('74 80').imm).toBe(-128);
    expect(dec('66 e9 fd ff').length).toBe(4);
  });
  it('extends immediates as documented', () => {
    expect(dec('83 c0 ff').imm).toBe(-1); // Ibs
    expect(dec('80 c0 ff').imm).toBe(0xff); // Ib
    expect(dec('66 05 ff ff').imm).toBe(0xffff); // Iz, 16-bit
    expect(dec('05 ff ff ff ff').imm).toBe(-1); // Iz, 32-bit (int32)
    expect(dec('c2 08 80').imm).toBe(0x8008); // Iw
    expect(dec('6a 80', 16).imm).toBe(-128);
  });
  it('register-in-opcode forms put the register in insn.reg', () => {
    const i = dec('53');
    expect([i.op, i.mod, i.reg]).toEqual([Op.PUSH, -1, Reg.EBX]);
    expect(dec('0f cf').reg).toBe(Reg.EDI);
  });
  it('MOV CR/DR ignore mod and are always 32-bit', () => {
    const i = dec('66 0f 20 00', 16);
    expect([i.op, i.mod, i.rm, i.reg, i.opsize, i.length]).toEqual([Op.MOV_FROM_CR, 3, 0, 0, 32, 4]);
    expect(dec('0f 22 d8').op).toBe(Op.MOV_TO_CR);
    expect(dec('0f 20 c8').invalid).toBe(true); // CR1
    expect(dec('0f 21 f8').op).toBe(Op.MOV_FROM_DR);
  });
  it('x87 forms', () => {
    const a = dec('d9 c1');
    expect([a.op, a.mod, a.rm, a.length]).toEqual([Op.FPU, 3, 1, 2]);
    const b = dec('dd 30', 16);
    expect([b.op, OPCODE_TABLE[b.entry].mnemonic, b.base, b.index]).toEqual([Op.FPU, 'fnsave', Reg.EBX, Reg.ESI]);
    expect(OPCODE_TABLE[dec('df e0').entry].mnemonic).toBe('fnstsw');
    expect(dec('d9 d1').invalid).toBe(true);
    expect(dec('db 08').invalid).toBe(true); // FISTTP is SSE3
  });
});

describe('decoder: prefixes, LOCK, validity', () => {
  it('LOCK only on lockable instructions with a memory destination', () => {
    expect(dec('f0 01 08').invalid).toBe(false);
    expect(dec('f0 01 c8').invalid).toBe(true);
    expect(dec('f0 8b 08').invalid).toBe(true);
    expect(dec('f0 39 08').invalid).toBe(true); // CMP
    expect(dec('f0 0f c7 08').op).toBe(Op.CMPXCHG8B);
    expect(dec('f0 87 08').op).toBe(Op.XCHG);
    expect(dec('f0 0f ba 28 01').op).toBe(Op.BTS);
    expect(dec('f0 0f ba 20 01').invalid).toBe(true); // BT is not lockable
  });
  it('REP: the last of F2/F3 wins', () => {
    expect(dec('f3 f2 a6').prefixes & (Prefix.REP | Prefix.REPNE)).toBe(Prefix.REPNE);
    expect(dec('f2 f3 a6').prefixes & (Prefix.REP | Prefix.REPNE)).toBe(Prefix.REP);
  });
  it('mandatory prefixes select VMX instructions and are not size prefixes', () => {
    expect(dec('0f c7 30').op).toBe(Op.VMPTRLD);
    const c = dec('66 0f c7 30', 16);
    expect([c.op, c.opsize]).toEqual([Op.VMCLEAR, 16]);
    expect(dec('f3 0f c7 30').op).toBe(Op.VMXON);
    expect(dec('0f c7 38').op).toBe(Op.VMPTRST);
    expect(dec('66 0f c7 38').invalid).toBe(true);
    const i = dec('66 0f 38 80 00', 16);
    expect([i.op, i.opsize, i.length]).toEqual([Op.INVEPT, 32, 5]);
    expect(dec('0f 38 80 00').invalid).toBe(true);
    expect(dec('66 0f 38 81 c0').invalid).toBe(true);
    expect(dec('0f 78 c1').op).toBe(Op.VMREAD);
    expect(dec('66 0f 78 c1').invalid).toBe(true);
    expect(dec('f3 90').op).toBe(Op.PAUSE);
    expect(dec('0f 01 c1').op).toBe(Op.VMCALL);
    expect(dec('f3 0f 01 c1').invalid).toBe(true);
    expect(dec('0f 01 d1').op).toBe(Op.XSETBV);
    expect(dec('0f 01 d0').invalid).toBe(true); // XGETBV: not decoded
  });
  it('everything a Pentium Pro lacks is #UD', () => {
    for (const h of ['0f 6f c0', '0f 77', '0f 10 c0', '66 0f 10 c0', '0f 0f c0 b4', 'c5 f8 77',
      'c4 e2 79 18 00', '62 f1 7c 48 10 00', '0f 05', '0f 01 f9', '0f ae 00', '0f 18 00', '0f 0d 00',
      '0f 37', '0f c7 f0', 'c6 f8 00', '0f b8 c0']) {
      const i = dec(h);
      expect([h, i.invalid, i.op]).toEqual([h, true, Op.UD]);
    }
  });
  it('invalid-by-ModRM forms', () => {
    expect(dec('8d c0').invalid).toBe(true); // LEA reg
    expect(dec('c4 c0').invalid).toBe(true); // LES reg
    expect(dec('8e c8').invalid).toBe(true); // MOV CS,r
    expect(dec('8e d0').op).toBe(Op.MOV_TO_SREG);
    expect(dec('8c f0').invalid).toBe(true); // Sreg 6
    expect(dec('ff f8').invalid).toBe(true); // FF /7
    expect(dec('0f 0b').op).toBe(Op.UD2);
    expect(dec('0f 0b').invalid).toBe(false);
  });
  it('the 15-byte limit: never fetches a 16th byte, flags tooLong', () => {
    const ok = dec('66'.repeat(14) + '90');
    expect([ok.invalid, ok.length, ok.op]).toEqual([false, 15, Op.NOP]);
    const bad = dec('66'.repeat(15) + '90');
    expect([bad.tooLong, bad.invalid, bad.length]).toEqual([true, true, 15]);
    const bad2 = dec('66 66 66 66 66 66 66 66 66 66 81 84 24 00 00 00 00 00 00 00 00');
    expect([bad2.tooLong, bad2.length]).toEqual([true, 15]);
    let maxIndex = -1;
    const src: ByteSource = { byte: (i) => { maxIndex = Math.max(maxIndex, i); return 0x26; } };
    const i = new Insn();
    decode(i, src, 32);
    expect([i.tooLong, maxIndex]).toEqual([true, 14]);
  });
  it('truncated buffers are invalid with the remaining length', () => {
    const i = dec('e8 00 00');
    expect([i.invalid, i.truncated, i.length]).toEqual([true, true, 3]);
  });
  it('a throwing ByteSource propagates (page fault during fetch)', () => {
    const sentinel = { fault: 14 };
    const src: ByteSource = { byte: (i) => { if (i === 2) throw sentinel; return [0x8b, 0x80][i]; } };
    expect(() => decode(new Insn(), src, 32)).toThrow();
    try { decode(new Insn(), src, 32); } catch (e) { expect(e).toBe(sentinel); }
  });
  it('decode() and decodeBytes() agree and reuse the Insn', () => {
    const bytes = Uint8Array.of(0x66, 0x2e, 0xc7, 0x84, 0x88, 0x10, 0x00, 0x00, 0x00, 0x34, 0x12);
    const a = new Insn();
    const b = new Insn();
    decodeBytes(a, bytes, 0, 32);
    decode(b, { byte: (i) => bytes[i] }, 32);
    expect({ ...b }).toEqual({ ...a });
    expect([a.op, a.opsize, a.seg, a.base, a.index, a.scale, a.disp, a.imm, a.length])
      .toEqual([Op.MOV, 16, SReg.CS, Reg.EAX, Reg.ECX, 2, 0x10, 0x1234, 11]);
    decodeBytes(a, Uint8Array.of(0x90), 0, 32);
    expect([a.op, a.mod, a.base, a.segOverride, a.prefixes, a.imm]).toEqual([Op.NOP, -1, -1, -1, 0, 0]);
  });
  it('entry flags carry LOCK/MEM/privilege information', () => {
    expect(OPCODE_TABLE[dec('0f 01 10').entry].flags & F.PRIV).toBe(F.PRIV); // LGDT
    expect(OPCODE_TABLE[dec('63 c0').entry].flags & F.NOREAL).toBe(F.NOREAL); // ARPL
  });
});
