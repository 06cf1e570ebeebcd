/**
 * Differential test: our decoder + disassembler against iced-x86 (Intel formatter, defaults).
 *
 * A seeded stream of random bytes (biased towards prefixes, the 0F map, group opcodes and x87
 * escapes) is decoded sequentially by both decoders, resynchronising at each iced instruction
 * boundary; every decoded position counts as one byte string. For each:
 *   - iced valid and all its CPUID features in the Pentium Pro (+VMX) set → ours valid, same
 *     length, same text after `normalise`;
 *   - iced valid but needing a later feature (MMX, SSE*, AVX*, 3DNow!, RDTSCP, SYSCALL ...) →
 *     ours invalid (#UD), except the EXCEPTIONS below;
 *   - iced invalid → ours invalid.
 *
 * Accepted feature set (P6 + what our CPU implements), with why:
 *   INTEL8086..INTEL486, FPU, FPU287, FPU387, CMOV (incl. FCMOVcc/FCOMI), CX8, TSC, MSR, SEP
 *   (SYSENTER/SYSEXIT, Pentium II; we implement it), CPUID, RDPMC (P6), VMX, INVEPT, INVVPID (our
 *   CPU implements VT-x with EPT/VPID), MONITOR (MONITOR/MWAIT are implemented for VMX exits),
 *   SMM (RSM decodes; #UD outside SMM), PAUSE (F3 90 = REP NOP on a P6: same length and
 *   effect), MULTIBYTENOP (0F 18 /4-7, 0F 19-1F: P6 family hint NOPs).
 *
 * EXCEPTIONS (iced needs a later feature, we decode the P6 meaning — SDM semantics):
 *   - F3 0F BC/BD: iced TZCNT/LZCNT (BMI1/LZCNT); on a P6 the F3 is an ignored REP prefix, so
 *     ours is BSF/BSR (same length; text not compared).
 *   - CET encodings in the reserved-NOP space (ENDBR32/64, RDSSPD, ...; iced CET_IBT/CET_SS):
 *     ours is the hint NOP (same length; text not compared).
 *   - PREFETCHIT0/1 (0F 18 /6,/7) and CLDEMOTE (0F 1C /0): hint instructions allocated in the
 *     reserved-NOP space; processors without them execute a NOP (ours: hint NOP, same length).
 *   - F3 0F 09: iced WBNOINVD; processors without it ignore the F3 and execute WBINVD.
 *   - XSETBV (iced XSAVE): decoded so that VMX can report its exit; XGETBV and the rest stay #UD.
 * Text normalisation: none. The disassembler reproduces iced's quirks instead (HLE/MPX/CET/branch-
 * hint prefix names on prefixes a P6 ignores, "data16"/"addr16" markers, x87 implicit operands,
 * "*1" for a SIB without base ...), so texts are compared byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { CpuidFeature, Code, Decoder, DecoderOptions, Formatter, FormatterSyntax, Instruction } from 'iced-x86';
import { Insn } from '../../src/cpu/insn.js';
import { decodeBytes } from '../../src/cpu/decoder.js';
import { formatInsn } from '../../src/cpu/disasm.js';
import { OPCODE_TABLE } from '../../src/cpu/opcodes.js';

const ALLOWED = new Set<number>([
  CpuidFeature.INTEL8086, CpuidFeature.INTEL186, CpuidFeature.INTEL286, CpuidFeature.INTEL386,
  CpuidFeature.INTEL486, CpuidFeature.FPU, CpuidFeature.FPU287, CpuidFeature.FPU387,
  CpuidFeature.CMOV, CpuidFeature.CX8, CpuidFeature.TSC, CpuidFeature.MSR, CpuidFeature.SEP,
  CpuidFeature.CPUID, CpuidFeature.RDPMC, CpuidFeature.VMX, CpuidFeature.INVEPT,
  CpuidFeature.INVVPID, CpuidFeature.MONITOR, CpuidFeature.SMM, CpuidFeature.PAUSE,
  CpuidFeature.MULTIBYTENOP,
]);

/** iced codes where we intentionally decode the P6 meaning (see header). */
const EXCEPTION_FEATURES = new Set<number>([
  CpuidFeature.BMI1, CpuidFeature.LZCNT, CpuidFeature.CET_IBT, CpuidFeature.CET_SS,
  CpuidFeature.PREFETCHITI, CpuidFeature.CLDEMOTE, CpuidFeature.WBNOINVD,
]);

/** mulberry32: small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PREFIXES = [0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];
const INTERESTING = [
  0x0f, 0x0f, 0x0f, 0x0f, 0x80, 0x81, 0x83, 0x8c, 0x8e, 0x8f, 0xc0, 0xc1, 0xc4, 0xc5, 0xc6, 0xc7,
  0xd0, 0xd3, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xf6, 0xf7, 0xfe, 0xff, 0x62, 0x9a,
  0xea, 0xa0, 0xa3, 0xc8, 0x01, 0x00, 0x38, 0x3a, 0xc7,
];

/** Rare multi-byte shapes that uniform bytes almost never produce. */
function template(r: () => number): number[] {
  const pick = <T>(a: readonly T[]): T => a[(r() * a.length) | 0];
  switch ((r() * 7) | 0) {
    case 0: return [0x0f, 0x01, 0xc0 + ((r() * 0x20) | 0)]; // VMX, MONITOR, XSETBV ...
    case 1: return [pick([0x66, 0x66, 0xf3, 0xf2]), 0x0f, 0x38, 0x80 + ((r() * 2) | 0)]; // INVEPT/INVVPID
    case 2: return [pick([0x66, 0xf3, 0xf2, 0x90]), 0x0f, 0xc7, pick([0x30, 0x38, 0x08, 0x70, 0xf0])];
    case 3: { // long prefix runs: the 15-byte limit
      const k = 8 + ((r() * 9) | 0);
      return Array.from({ length: k }, () => pick(PREFIXES));
    }
    case 4: return [0x0f, 0x20 + ((r() * 4) | 0)];
    case 5: return [0x0f, 0x18 + ((r() * 8) | 0)];
    default: return [pick([0x66, 0x67]), pick([0xea, 0x9a, 0xa1, 0xa3, 0xe2, 0xe3, 0xc8, 0xff])];
  }
}

/** Random bytes, biased: ~12% prefixes, ~15% interesting opcodes, ~1% templates, else uniform. */
function makeStream(n: number, seed: number): Uint8Array {
  const r = prng(seed);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const x = r();
    if (x < 0.12) b[i] = PREFIXES[(r() * PREFIXES.length) | 0];
    else if (x < 0.27) b[i] = INTERESTING[(r() * INTERESTING.length) | 0];
    else if (x < 0.28) {
      for (const t of template(r)) if (i < n) b[i++] = t;
      i--;
    } else b[i] = (r() * 256) | 0;
  }
  return b;
}

const hex = (b: Uint8Array, o: number, n: number): string =>
  Array.from(b.subarray(o, o + n), (x) => x.toString(16).padStart(2, '0')).join(' ');

interface Result { count: number; mismatches: string[]; kinds: Map<string, number> }

function runDiff(bits: 16 | 32, want: number, seed: number): Result {
  const res: Result = { count: 0, mismatches: [], kinds: new Map() };
  const featCache = new Map<number, number>(); // code → 0 allowed, 1 later, 2 exception
  const formatter = new Formatter(FormatterSyntax.Intel);
  const instr = new Instruction();
  const ours = new Insn();
  const note = (kind: string, msg: string): void => {
    res.kinds.set(kind, (res.kinds.get(kind) ?? 0) + 1);
    if (res.mismatches.length < 40) res.mismatches.push(msg);
  };
  let chunk = 0;
  while (res.count < want) {
    const size = 1 << 19;
    // Vary the load address so branch targets cover 0-9 (decimal), wrap-around and 16-bit masks.
    const ORG = [0x7c00, 0, bits === 16 ? 0xff00 : 0xfff80000][chunk % 3];
    const buf = makeStream(size, seed * 7919 + chunk++);
    const dec = new Decoder(bits, buf, DecoderOptions.None);
    dec.ip = BigInt(ORG);
    let pos = 0;
    const end = size - 16;
    while (pos < end && res.count < want) {
      dec.decodeOut(instr);
      const len = instr.length;
      res.count++;
      decodeBytes(ours, buf, pos, bits);
      const code = instr.code;
      if (code === Code.INVALID) {
        if (!ours.invalid) {
          note('iced-invalid', `[${bits}] ${hex(buf, pos, 15)}: iced (bad), ours ${JSON.stringify(formatInsn(ours, ORG + pos, bits))} len ${ours.length}`);
        }
      } else {
        let cls = featCache.get(code);
        if (cls === undefined) {
          const feats = Array.from(instr.cpuidFeatures());
          cls = feats.every((f) => ALLOWED.has(f)) ? 0
            : feats.some((f) => EXCEPTION_FEATURES.has(f)) || code === Code.Xsetbv ? 2 : 1;
          featCache.set(code, cls);
        }
        const icedText = cls === 1 ? '' : formatter.format(instr);
        if (cls === 0 || (cls === 2 && !ours.invalid)) {
          if (ours.invalid) {
            note('ours-invalid', `[${bits}] ${hex(buf, pos, len)}: iced ${JSON.stringify(icedText)}, ours invalid${ours.tooLong ? ' (tooLong)' : ''}`);
          } else if (ours.length !== len) {
            note('length', `[${bits}] ${hex(buf, pos, Math.max(len, ours.length))}: iced ${JSON.stringify(icedText)} len ${len}, ours ${JSON.stringify(formatInsn(ours, ORG + pos, bits))} len ${ours.length}`);
          } else if (cls === 0) {
            const t = formatInsn(ours, ORG + pos, bits);
            if (t !== icedText) {
              note('text', `[${bits}] ${hex(buf, pos, len)}: iced ${JSON.stringify(icedText)}, ours ${JSON.stringify(t)} (${OPCODE_TABLE[ours.entry].mnemonic})`);
            }
          }
        } else if (cls === 1 && !ours.invalid) {
          note('later-feature', `[${bits}] ${hex(buf, pos, len)}: iced ${JSON.stringify(formatter.format(instr))} needs ${Array.from(instr.cpuidFeatures(), (f) => CpuidFeature[f]).join('+')}, ours ${JSON.stringify(formatInsn(ours, ORG + pos, bits))}`);
        }
      }
      pos += len;
    }
    dec.free();
  }
  instr.free();
  formatter.free();
  return res;
}

const COUNT = Number(process.env.VTX_DIFF_COUNT ?? 1_000_000);
const SEED = Number(process.env.VTX_DIFF_SEED ?? 0);

describe('decoder/disassembler vs iced-x86', () => {
  for (const bits of [16, 32] as const) {
    it(`${COUNT} random instructions in ${bits}-bit code agree`, () => {
      const r = runDiff(bits, COUNT, bits + SEED * 64);
      if (r.mismatches.length > 0) {
        const summary = [...r.kinds].map(([k, v]) => `${k}: ${v}`).join(', ');
        console.log(`${bits}-bit mismatches (${summary}):\n` + r.mismatches.slice(0, 20).join('\n'));
      }
      expect(r.count).toBe(COUNT);
      expect(r.mismatches).toEqual([]);
    }, 120_000);
  }
});
