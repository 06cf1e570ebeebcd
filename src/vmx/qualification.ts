/**
 * Exit qualifications and information fields: pack (processor side, at a VM exit) and unpack
 * (for the hypervisor, the dump and tests). Layouts from Intel SDM Vol. 3C, "Exit Qualification
 * for VM Exits" and "Information for VM Exits" (tables quoted above each function).
 *
 * Models: the fields for every exit this VMX model produces. Does not model: 64-bit operand forms
 * (no Intel 64), FRED/shadow-stack/HLAT bits (always 0).
 */
import type { Insn } from '../cpu/insn.js';

/**
 * Control-register access (exit reason 28):
 *
 *   bits 3:0    control register (0, 3, 4, 8; 0 for CLTS and LMSW)
 *   bits 5:4    access type: 0 MOV to CR, 1 MOV from CR, 2 CLTS, 3 LMSW
 *   bit  6      LMSW operand type: 0 register, 1 memory
 *   bit  7      reserved
 *   bits 11:8   general-purpose register (MOV CR)
 *   bits 15:12  reserved
 *   bits 31:16  LMSW source data
 */
export function packCrAccess(cr: number, accessType: number, lmswMemory: boolean, gpr: number, lmswSource: number): number {
  return ((cr & 0xf) | ((accessType & 3) << 4) | (lmswMemory ? 1 << 6 : 0) | ((gpr & 0xf) << 8) |
    ((lmswSource & 0xffff) << 16)) >>> 0;
}
export function unpackCrAccess(q: number): { cr: number; accessType: number; lmswMemory: boolean; gpr: number; lmswSource: number } {
  return { cr: q & 0xf, accessType: (q >>> 4) & 3, lmswMemory: (q & 0x40) !== 0, gpr: (q >>> 8) & 0xf, lmswSource: q >>> 16 };
}

/**
 * MOV DR (exit reason 29):
 *
 *   bits 2:0    debug register number
 *   bit  3      reserved
 *   bit  4      direction: 0 MOV to DR, 1 MOV from DR
 *   bits 7:5    reserved
 *   bits 11:8   general-purpose register
 */
export function packMovDr(dr: number, toDr: boolean, gpr: number): number {
  return (dr & 7) | (toDr ? 0 : 1 << 4) | ((gpr & 0xf) << 8);
}
export function unpackMovDr(q: number): { dr: number; toDr: boolean; gpr: number } {
  return { dr: q & 7, toDr: (q & 0x10) === 0, gpr: (q >>> 8) & 0xf };
}

/**
 * I/O instruction (exit reason 30):
 *
 *   bits 2:0    size of access - 1 (0 = 1 byte, 1 = 2 bytes, 3 = 4 bytes)
 *   bit  3      direction: 0 OUT, 1 IN
 *   bit  4      string instruction (INS/OUTS)
 *   bit  5      REP prefixed
 *   bit  6      operand encoding: 0 DX, 1 immediate
 *   bits 15:7   reserved
 *   bits 31:16  port number
 */
export function packIo(size: number, isIn: boolean, isString: boolean, isRep: boolean, isImmediate: boolean, port: number): number {
  return (((size - 1) & 7) | (isIn ? 8 : 0) | (isString ? 0x10 : 0) | (isRep ? 0x20 : 0) |
    (isImmediate ? 0x40 : 0) | ((port & 0xffff) << 16)) >>> 0;
}
export function unpackIo(q: number): { size: number; isIn: boolean; isString: boolean; isRep: boolean; isImmediate: boolean; port: number } {
  return {
    size: (q & 7) + 1, isIn: (q & 8) !== 0, isString: (q & 0x10) !== 0, isRep: (q & 0x20) !== 0,
    isImmediate: (q & 0x40) !== 0, port: q >>> 16,
  };
}

/**
 * Task switch (exit reason 9):
 *
 *   bits 15:0   selector of the new TSS
 *   bits 29:16  reserved
 *   bits 31:30  source: 0 CALL, 1 IRET, 2 JMP, 3 task gate in IDT
 */
export function packTaskSwitch(selector: number, source: number): number {
  return ((selector & 0xffff) | ((source & 3) << 30)) >>> 0;
}
export function unpackTaskSwitch(q: number): { selector: number; source: number } {
  return { selector: q & 0xffff, source: q >>> 30 };
}

/** Bits of the EPT-violation exit qualification (exit reason 48). */
export const EptViolation = {
  READ: 1 << 0,
  WRITE: 1 << 1,
  FETCH: 1 << 2,
  READABLE: 1 << 3,
  WRITABLE: 1 << 4,
  EXECUTABLE: 1 << 5,
  LINEAR_VALID: 1 << 7,
  TRANSLATION: 1 << 8,
  USER_LINEAR: 1 << 9,
  WRITABLE_LINEAR: 1 << 10,
  XD_LINEAR: 1 << 11,
  NMI_UNBLOCKING: 1 << 12,
} as const;

/**
 * EPT violation (exit reason 48):
 *
 *   bit 0   data read            bit 7   guest-linear-address field valid
 *   bit 1   data write           bit 8   1: access to the translation of a linear address;
 *   bit 2   instruction fetch            0: access to a guest paging-structure entry (if bit 7)
 *   bit 3   GPA readable (AND of R over the walk)     bit 9   advanced: linear address user-mode
 *   bit 4   GPA writable (AND of W)                   bit 10  advanced: linear address writable
 *   bit 5   GPA executable (AND of X)                 bit 11  advanced: linear address XD
 *   bit 6   user-mode executable (MBEC only; 0)       bit 12  NMI unblocking due to IRET
 *
 * `accessBits` is bits 2:0, `rwx` the EPT permission bits 2:0, `linearInfo` bits 11:7.
 */
export function packEptViolation(accessBits: number, rwx: number, linearInfo: number, nmiUnblocking: boolean): number {
  return ((accessBits & 7) | ((rwx & 7) << 3) | (linearInfo & 0xf80) | (nmiUnblocking ? 1 << 12 : 0)) >>> 0;
}
export function unpackEptViolation(q: number): { read: boolean; write: boolean; fetch: boolean; rwx: number; linearValid: boolean; translation: boolean; user: boolean; writable: boolean; xd: boolean; nmiUnblocking: boolean } {
  return {
    read: (q & 1) !== 0, write: (q & 2) !== 0, fetch: (q & 4) !== 0, rwx: (q >>> 3) & 7,
    linearValid: (q & 0x80) !== 0, translation: (q & 0x100) !== 0, user: (q & 0x200) !== 0,
    writable: (q & 0x400) !== 0, xd: (q & 0x800) !== 0, nmiUnblocking: (q & 0x1000) !== 0,
  };
}

/**
 * Interruption information (VM-entry 0x4016, VM-exit 0x4404, IDT-vectoring 0x4408):
 *
 *   bits 7:0    vector
 *   bits 10:8   type: 0 external interrupt, 2 NMI, 3 hardware exception, 4 software interrupt,
 *               5 privileged software exception, 6 software exception, 7 other event
 *   bit  11     error code valid / deliver error code
 *   bit  12     NMI unblocking due to IRET (exit info); reserved (entry); undefined (IDT-vect.)
 *   bits 30:13  reserved
 *   bit  31     valid
 */
export function packInterruptionInfo(vector: number, type: number, hasErrorCode: boolean, nmiUnblocking = false): number {
  return ((vector & 0xff) | ((type & 7) << 8) | (hasErrorCode ? 1 << 11 : 0) | (nmiUnblocking ? 1 << 12 : 0) | 0x80000000) >>> 0;
}
export function unpackInterruptionInfo(v: number): { valid: boolean; vector: number; type: number; hasErrorCode: boolean; nmiUnblocking: boolean; reserved: number } {
  return {
    valid: (v & 0x80000000) !== 0, vector: v & 0xff, type: (v >>> 8) & 7, hasErrorCode: (v & 0x800) !== 0,
    nmiUnblocking: (v & 0x1000) !== 0, reserved: v & 0x7fffe000,
  };
}

/**
 * Exit reason (0x4402):
 *
 *   bits 15:0   basic exit reason      bit 28  pending MTF VM exit (SMM; 0)
 *   bit  16     always 0               bit 29  VM exit from VMX root operation (SMM; 0)
 *   bits 27:17  reserved / 0 here      bit 31  VM-entry failure
 */
export function packExitReason(basic: number, entryFailure: boolean): number {
  return ((basic & 0xffff) | (entryFailure ? 0x80000000 : 0)) >>> 0;
}

/**
 * VM-exit instruction information for VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMXON, INVEPT,
 * INVVPID, LIDT/LGDT/SIDT/SGDT, LLDT/LTR/SLDT/STR (0x440E):
 *
 *   bits 1:0    scaling (memory operand; 0 for register)      bits 17:15  segment register
 *   bit  2      reserved                                      bits 21:18  index register
 *   bits 6:3    reg1 (register operand when bit 10 = 1)       bit  22     index invalid
 *   bits 9:7    address size: 0 16-bit, 1 32-bit              bits 26:23  base register
 *   bit  10     0 memory operand, 1 register operand          bit  27     base invalid
 *   bits 14:11  operand size (descriptor-table exits: 0 16-bit, 1 32-bit) / undefined
 *   bits 31:28  reg2 (VMREAD/VMWRITE: the other register; INVEPT/INVVPID: type register);
 *               for descriptor-table exits bits 29:28 are the instruction identity
 *
 * `reg2` is the ModRM reg field where the instruction has one. `identity` (descriptor-table)
 * overrides bits 29:28; `operandSize32` sets bit 11 for descriptor-table exits.
 */
export function packInstructionInfo(insn: Insn, reg2: number, identity = -1, operandSize32 = false): number {
  let v = 0;
  if (insn.mod === 3) {
    v |= ((insn.rm & 0xf) << 3) | (1 << 10);
  } else {
    v |= insn.scale & 3;
    v |= (insn.adsize === 32 ? 1 : 0) << 7;
    v |= (insn.seg & 7) << 15;
    v |= insn.index < 0 ? 1 << 22 : (insn.index & 0xf) << 18;
    v |= insn.base < 0 ? 1 << 27 : (insn.base & 0xf) << 23;
  }
  if (insn.mod === 3) v |= (insn.adsize === 32 ? 1 : 0) << 7;
  if (operandSize32) v |= 1 << 11;
  if (identity >= 0) v |= (identity & 3) << 28;
  else v |= (reg2 & 0xf) << 28;
  return v >>> 0;
}

/**
 * VM-exit instruction information for INS/OUTS (reported because BASIC[54] = 1):
 *
 *   bits 6:0    undefined (0)
 *   bits 9:7    address size: 0 16-bit, 1 32-bit
 *   bits 14:10  undefined (0)
 *   bits 17:15  segment register (OUTS: the source segment; INS: always ES)
 */
export function packIoInstructionInfo(adsize: number, seg: number): number {
  return ((adsize === 32 ? 1 : 0) << 7) | ((seg & 7) << 15);
}
