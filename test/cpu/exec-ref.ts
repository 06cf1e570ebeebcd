/** Reference values shared by the executor tests (no Cpu import). */
/** Edge values of the brief, per width. */
export const EDGES = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

/** The EFLAGS status bits. */
export const CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
export const STATUS = CF | PF | AF | ZF | SF | OF;

/** SZP computed from the definition (test-side, independent of flags.ts). */
export function refSzp(r: number, bits: number): number {
  const m = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  const v = (r & m) >>> 0;
  let ones = 0;
  for (let i = 0; i < 8; i++) ones += (v >>> i) & 1;
  return (v === 0 ? ZF : 0) | ((v >>> (bits - 1)) & 1 ? SF : 0) | (ones % 2 === 0 ? PF : 0);
}
