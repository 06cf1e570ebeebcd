/**
 * A decoded instruction. One preallocated object per cache slot: the decoder fills it in place,
 * nothing is allocated per executed instruction. The opcode table (`opcodes.ts`) gives each entry
 * an `op` number; the executor dispatches on it and the disassembler formats from the same entry.
 *
 * Addressing form of a memory operand (ModRM/SIB): effective address =
 *   base (or 0 if base < 0) + (index < 0 ? 0 : reg[index] << scale) + disp, truncated to adsize.
 */
export const enum Prefix {
  LOCK = 1, REP = 2, REPNE = 4, OPSIZE = 8, ADSIZE = 16, SEG = 32,
}

export class Insn {
  /** Dispatch key: index of the opcode-table entry's operation (see `opcodes.ts` `Op`). */
  op = 0;
  /** Index of the opcode-table entry (for the disassembler and tests). */
  entry = 0;
  /** Total length in bytes, prefixes included (<= 15). */
  length = 0;
  /** Opcode: 0x00-0xFF one-byte map, 0x0F00-0x0FFF 0F map, 0x0F3800-0x0F38FF / 0x0F3A00-0x0F3AFF
   *  three-byte maps. Jcc/SETcc/CMOVcc condition = `opcode & 0xF`. */
  opcode = 0;
  /** Effective operand size (16 or 32) and address size (16 or 32). */
  opsize = 32;
  adsize = 32;
  /** Prefix bits (`Prefix`). */
  prefixes = 0;
  /** Segment override (SReg) or -1. */
  segOverride = -1;
  /** ModRM fields; `mod === 3` means a register operand in `rm`. -1 when there is no ModRM;
   *  then `reg` is the opcode's low 3 bits (the register of B0+r, 50+r, 0F C8+r ... forms). */
  mod = -1;
  reg = 0;
  rm = 0;
  /** Memory operand: base register (Reg) or -1, index register or -1, scale (0-3), displacement
   *  (sign-extended int32), default segment (SReg: SS for EBP/ESP bases, else DS). */
  base = -1;
  index = -1;
  scale = 0;
  disp = 0;
  defaultSeg = 3;
  /** First and second immediates (sign- or zero-extended as the operand type says; for far
   *  pointers `imm` is the offset and `imm2` the selector; for ENTER imm = size, imm2 = level). */
  imm = 0;
  imm2 = 0;
  /** Set when the decoder rejected the bytes (#UD): `op` is then the UD operation. */
  invalid = false;
  /** The instruction would exceed 15 bytes: the executor raises #GP(0). Takes precedence over
   *  `invalid` (which is also set); bytes past the 15th were never fetched. */
  tooLong = false;
  /** `decodeBytes` only: the buffer ended inside the instruction (`invalid` is also set). */
  truncated = false;

  /** The effective segment of the memory operand. */
  get seg(): number {
    return this.segOverride >= 0 ? this.segOverride : this.defaultSeg;
  }
}
