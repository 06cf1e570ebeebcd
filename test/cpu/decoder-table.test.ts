/**
 * Per-opcode tests driven by the opcode table itself: for every entry, build a canonical encoding
 * (mandatory prefix, map escape, opcode, ModRM forms allowed by its selector, zero immediates),
 * decode it and check that (1) our decoder selects exactly that entry, and (2) iced-x86 agrees on
 * validity, length and text — in 16- and 32-bit code.
 */
import { describe, expect, it } from 'vitest';
import { CpuidFeature, Decoder, DecoderOptions, Formatter, FormatterSyntax } from 'iced-x86';
import { Insn } from '../../src/cpu/insn.js';
import { decodeBytes } from '../../src/cpu/decoder.js';
import { formatInsn } from '../../src/cpu/disasm.js';
import { F, OPCODE_TABLE, type OpcodeEntry } from '../../src/cpu/opcodes.js';

/** Hint instructions in the reserved-NOP space: a P6 executes them as NOPs (see decoder-diff). */
const HINT_NOP_FEATURES = new Set<number>([CpuidFeature.PREFETCHITI, CpuidFeature.CLDEMOTE]);

/** ModRM bytes that exercise an entry's selector. */
function modrms(e: OpcodeEntry): number[] {
  const memOk = (e.flags & F.REG) === 0 && (e.flags & F.MODIGN) === 0;
  const regOk = (e.flags & F.MEM) === 0;
  const out: number[] = [];
  const both = (reg: number, mem: boolean, rg: boolean): void => {
    if (mem && memOk) out.push(reg << 3);
    if (rg && regOk) out.push(0xc2 | (reg << 3));
  };
  const s = e.sel;
  if (s === '/r') both(1, true, true);
  else if (s === 'm') both(1, true, false);
  else if (s === 'r') both(1, false, true);
  else if (/^\/[0-7]$/.test(s)) both(+s[1], true, true);
  else if (/^m\/[0-7]$/.test(s)) both(+s[2], true, false);
  else if (/^r\/[0-7]$/.test(s)) both(+s[2], false, true);
  else out.push(parseInt(s, 16));
  return out;
}

function encodings(e: OpcodeEntry): number[][] {
  const pre: number[] = (e.flags & F.P66) !== 0 ? [0x66] : (e.flags & F.PF3) !== 0 ? [0xf3] : [];
  const esc = e.map === 0 ? [] : e.map === 1 ? [0x0f] : e.map === 2 ? [0x0f, 0x38] : [0x0f, 0x3a];
  const tail = [0, 0, 0, 0, 0, 0, 0, 0];
  if (e.sel === '-') return [[...pre, ...esc, e.opcode, ...tail]];
  return modrms(e).map((m) => [...pre, ...esc, e.opcode, m, ...tail]);
}

describe('every opcode-table entry decodes to itself and matches iced-x86', () => {
  const formatter = new Formatter(FormatterSyntax.Intel);
  const insn = new Insn();
  for (const bits of [16, 32] as const) {
    it(`${bits}-bit`, () => {
      const problems: string[] = [];
      let checked = 0;
      for (const e of OPCODE_TABLE.slice(1)) {
        for (const enc of encodings(e)) {
          const bytes = Uint8Array.from(enc);
          const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
          decodeBytes(insn, bytes, 0, bits);
          if (insn.invalid || insn.entry !== e.index) {
            problems.push(`${hex}: expected entry ${e.index} ${e.mnemonic}, got ${insn.invalid ? 'invalid' : OPCODE_TABLE[insn.entry].mnemonic}`);
            continue;
          }
          const dec = new Decoder(bits, bytes, DecoderOptions.None);
          dec.ip = 0x1000n;
          const ins = dec.decode();
          const iced = ins.isInvalid ? '(bad)' : formatter.format(ins);
          const ours = formatInsn(insn, 0x1000, bits);
          const hint = Array.from(ins.cpuidFeatures()).some((f) => HINT_NOP_FEATURES.has(f));
          if (ins.length !== insn.length || (iced !== ours && !hint)) {
            problems.push(`${hex}: iced ${JSON.stringify(iced)}/${ins.length}, ours ${JSON.stringify(ours)}/${insn.length}`);
          }
          ins.free();
          dec.free();
          checked++;
        }
      }
      expect(problems).toEqual([]);
      expect(checked).toBeGreaterThan(OPCODE_TABLE.length);
    });
  }
});
