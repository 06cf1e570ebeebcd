/**
 * THE OPCODE TABLE — the single declarative description of every instruction the vtx CPU knows.
 *
 * DO NOT RENUMBER OR RENAME `Op` / `Opnd` MEMBERS: the executor, the system-instruction code and
 * VMX dispatch on them. Append new members before COUNT. Everything below the table (lookup
 * arrays) is derived at module load from `buildRows()`; edit the rows, never the arrays.
 *
 * Models: the IA-32 instruction set of a P6-class processor (Pentium Pro: 8086 … 486, Pentium
 * CPUID/TSC/MSR/CX8, P6 CMOV/FCMOV/FCOMI/RDPMC/SYSENTER, multi-byte NOP) plus Intel VT-x (VMX
 * instructions, INVEPT/INVVPID/VMFUNC), MONITOR/MWAIT, XSETBV (decoded so that VMX can report
 * its exit), in 16- and 32-bit code. Every x87 escape (D8-DF) is described fully (the executor
 * raises #NM for them). Does NOT model: 64-bit mode, MMX/SSE/3DNow!/AVX/VEX/EVEX/XOP encodings
 * (a Pentium Pro raises #UD for all of them, and so does our decoder), 386/486-only test
 * registers (MOV TRn), LOADALL.
 *
 * Uses of this one table (Bochs `ia_opcodes.def` style):
 *   - `decoder.ts` walks the derived lookup arrays below (built once at module load from `DEFS`).
 *   - The executor dispatches on `Insn.op` (an `Op` value) and reads operand forms from the entry.
 *   - `disasm.ts` formats an `Insn` from its entry's mnemonic and operand specs.
 * Op NAMES AND MEANINGS ARE STABLE: other modules switch on them. Add new ops at the end only.
 *
 * Operand specs (SDM Vol. 2, Appendix A notation; `v` = 16/32 bits by operand size,
 * `z` = 16/32 bits by operand size — identical to `v` without 64-bit mode):
 *   Eb Ew Ed Ev  ModRM r/m operand (register or memory) of 8/16/32/v bits
 *   Gb Gw Gd Gv  general register selected by ModRM.reg
 *   Rd           general register selected by ModRM.rm, mod must be 3 (MOV CR/DR: always 32-bit)
 *   MwRv         r/m: a 16-bit memory operand, or a v-sized register (SLDT/STR/SMSW/LAR/LSL src)
 *   M            memory operand, size not meaningful (LEA, INVLPG)
 *   Mb Mw Md Mq Mt Mdq  memory of 8/16/32/64/80/128 bits (Mt: x87 extended real / packed BCD)
 *   Ma           two v-sized words (BOUND)        Mp  far pointer offset:selector (16:16 / 16:32)
 *   Ms           6-byte pseudo-descriptor (LGDT, SIDT ...)
 *   Menv Mstate  x87 environment (14/28 bytes) / full state (94/108 bytes)
 *   Ib           imm8, zero-extended              Ibs imm8, sign-extended to 32 bits
 *   Iw           imm16, zero-extended             Iz  imm16 (zero-extended) or imm32 by operand size
 *   Jb Jz        relative branch displacement rel8 / rel16|rel32, sign-extended into `imm`
 *   Ap           direct far pointer: `imm` = offset (16/32 by operand size), `imm2` = selector
 *   Ob Ov        moffs: an absolute offset (16/32 bits by ADDRESS size) in `disp`, no ModRM
 *   Xb Xv        string source DS:(E)SI (segment overridable)
 *   Yb Yv        string destination ES:(E)DI (never overridable)
 *   Mxlat        XLAT's DS:[(E)BX+AL]
 *   Sw           segment register selected by ModRM.reg
 *   Cd Dd        control / debug register selected by ModRM.reg
 *   Zb Zv        general register selected by the opcode's low 3 bits (B0+r, 50+r, 0F C8+r ...)
 *   AL CL AX DX eAX   fixed registers (eAX = AX or EAX by operand size; DX in IN/OUT = port)
 *   ES CS SS DS FS GS  fixed segment registers (PUSH/POP sreg)
 *   1            the constant 1 (shift by one)
 *   ST STi       x87 ST(0) / ST(i) with i from ModRM.rm
 *
 * x87 rows list the implicit ST(0) operand where iced-x86 prints it ("fadd st,dword ptr [eax]",
 * "fst dword ptr [eax],st"); the executor raises #NM for all of them and ignores the operands.
 *
 * Immediate extension: see `Insn.imm`: Ib/Iw zero-extended; Ibs, Jb, Jz sign-extended to int32;
 * Iz is imm16 zero-extended in 16-bit operand size and the raw imm32 as int32 otherwise.
 */
/** Operation ids: the executor's dispatch key. Stable names; append new ones before COUNT. */
export const enum Op {
  UD = 0,
  ADD, OR, ADC, SBB, AND, SUB, XOR, CMP,
  INC, DEC, PUSH, POP, PUSH_SREG, POP_SREG, PUSHA, POPA, BOUND, ARPL,
  /** IMUL Gv,Ev,Iz/Ibs (three operands) and IMUL Gv,Ev (0F AF). One-operand form is IMUL. */
  IMUL3, IMUL2,
  /** Jcc / SETcc / CMOVcc: the condition is `insn.opcode & 0xF` (SDM tttn encoding). */
  JCC, TEST, XCHG, MOV,
  /** MOV Sw,Ew (8E: load a segment register) and MOV Ev,Sw (8C: store). */
  MOV_TO_SREG, MOV_FROM_SREG,
  LEA, CBW_CWDE, CWD_CDQ,
  /** Far call: operand Ap (9A, direct) or Mp (FF /3, indirect). */
  CALLF, WAIT, PUSHF, POPF, SAHF, LAHF,
  MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS,
  /** Shift/rotate group (C0/C1/D0-D3). /6 (undocumented SAL alias) decodes as SHL. */
  ROL, ROR, RCL, RCR, SHL, SHR, SAR,
  RETN, LES, LDS, LSS, LFS, LGS, ENTER, LEAVE, RETF, INT3, INT, INTO,
  /** F1: INT1 / ICEBP (undocumented on P6 but present; delivers #DB as a privileged event). */
  INT1, IRET, AAM, AAD, SALC, XLAT,
  /** Every x87 escape D8-DF (the CPU has no FPU: executes as #NM). */
  FPU,
  LOOPNE, LOOPE, LOOP, JCXZ, IN, OUT,
  /** Near call / jump: operand Jz (relative) or Ev (indirect). JMP also for EB (Jb). */
  CALL, JMP,
  /** Far jump: operand Ap (EA) or Mp (FF /5). */
  JMPF, HLT, CMC, NOT, NEG, MUL,
  /** One-operand IMUL (F6 /5, F7 /5). */
  IMUL, DIV, IDIV, CLC, STC, CLI, STI, CLD, STD, DAA, DAS, AAA, AAS,
  /** 90 and the multi-byte / hint NOPs (0F 1F /0, 0F 19-1F reserved NOPs). */
  NOP,
  /** F3 90. */
  PAUSE,
  // ---- 0F map ----
  SLDT, STR, LLDT, LTR, VERR, VERW, SGDT, SIDT, LGDT, LIDT, SMSW, LMSW, INVLPG, LAR, LSL,
  CLTS, INVD, WBINVD,
  /** UD2 (0F 0B), UD1 (0F B9), UD0 (0F FF): defined to raise #UD. */
  UD2,
  /** MOV Rd,Cd (0F 20) / MOV Cd,Rd (0F 22) / MOV Rd,Dd (0F 21) / MOV Dd,Rd (0F 23). */
  MOV_FROM_CR, MOV_TO_CR, MOV_FROM_DR, MOV_TO_DR,
  WRMSR, RDTSC, RDMSR, RDPMC, SYSENTER, SYSEXIT, CMOVCC, SETCC, CPUID,
  /** BT/BTS/BTR/BTC: Ev,Gv (0F A3/AB/B3/BB) or Ev,Ib (0F BA group 8). */
  BT, BTS, BTR, BTC,
  /** SHLD/SHRD Ev,Gv,Ib or Ev,Gv,CL. */
  SHLD, SHRD,
  /** RSM: #UD outside SMM (we have no SMM). */
  RSM, CMPXCHG, CMPXCHG8B, MOVZX, MOVSX, BSF, BSR, XADD, BSWAP,
  VMCALL, VMLAUNCH, VMRESUME, VMXOFF, VMPTRLD, VMPTRST, VMCLEAR, VMXON, VMREAD, VMWRITE,
  INVEPT, INVVPID, VMFUNC, MONITOR, MWAIT,
  /** XSETBV (0F 01 D1): #UD unless CR4.OSXSAVE; VM exit reason 55 in non-root. */
  XSETBV,
  COUNT,
}

/** Operand specs (see header). 0 = no operand. */
export const enum Opnd {
  NONE = 0,
  Eb, Ew, Ed, Ev, Gb, Gw, Gd, Gv, Rd, MwRv,
  M, Mb, Mw, Md, Mq, Mt, Mdq, Ma, Mp, Ms, Menv, Mstate,
  Ib, Ibs, Iw, Iz, Jb, Jz, Ap, Ob, Ov, Xb, Xv, Yb, Yv, Mxlat,
  Sw, Cd, Dd, Zb, Zv,
  AL, CL, AX, DX, eAX,
  ES, CS, SS, DS, FS, GS,
  ONE, ST, STi,
  COUNT,
}

/** Operand-spec names, indexed by `Opnd` (for parsing `DEFS` and for tests). */
export const OPND_NAMES: readonly string[] = [
  '',
  'Eb', 'Ew', 'Ed', 'Ev', 'Gb', 'Gw', 'Gd', 'Gv', 'Rd', 'MwRv',
  'M', 'Mb', 'Mw', 'Md', 'Mq', 'Mt', 'Mdq', 'Ma', 'Mp', 'Ms', 'Menv', 'Mstate',
  'Ib', 'Ibs', 'Iw', 'Iz', 'Jb', 'Jz', 'Ap', 'Ob', 'Ov', 'Xb', 'Xv', 'Yb', 'Yv', 'Mxlat',
  'Sw', 'Cd', 'Dd', 'Zb', 'Zv',
  'AL', 'CL', 'AX', 'DX', 'eAX',
  'ES', 'CS', 'SS', 'DS', 'FS', 'GS',
  '1', 'ST', 'STi',
];

/** True for specs that live in ModRM.rm and may be memory (E*, M*, MwRv). */
export function isModrmRm(o: number): boolean {
  return (o >= Opnd.Eb && o <= Opnd.Ev) || (o >= Opnd.MwRv && o <= Opnd.Mstate);
}

/**
 * Size in bits of an operand (0 when not meaningful), given the instruction's operand size.
 * For MwRv the register form is `opsize` and the memory form 16: pass `isMem`.
 */
export function opndBits(o: number, opsize: number, isMem: boolean): number {
  switch (o) {
    case Opnd.Eb: case Opnd.Gb: case Opnd.Ib: case Opnd.Jb: case Opnd.Ob: case Opnd.Xb:
    case Opnd.Yb: case Opnd.Zb: case Opnd.AL: case Opnd.CL: case Opnd.Mb: case Opnd.Mxlat:
      return 8;
    case Opnd.Ew: case Opnd.Gw: case Opnd.Iw: case Opnd.Mw: case Opnd.AX: case Opnd.DX:
    case Opnd.Sw: case Opnd.ES: case Opnd.CS: case Opnd.SS: case Opnd.DS: case Opnd.FS:
    case Opnd.GS:
      return 16;
    case Opnd.Ed: case Opnd.Gd: case Opnd.Rd: case Opnd.Md: case Opnd.Cd: case Opnd.Dd:
      return 32;
    case Opnd.MwRv:
      return isMem ? 16 : opsize;
    case Opnd.Mq: return 64;
    case Opnd.Mt: return 80;
    case Opnd.Mdq: return 128;
    case Opnd.Ev: case Opnd.Gv: case Opnd.Iz: case Opnd.Ibs: case Opnd.Jz: case Opnd.Ov:
    case Opnd.Xv: case Opnd.Yv: case Opnd.Zv: case Opnd.eAX:
      return opsize;
    case Opnd.Ma: return opsize * 2;
    case Opnd.Mp: return opsize + 16;
    case Opnd.Ms: return 48;
    default: return 0;
  }
}

/** Entry flags. */
export const enum F {
  /** LOCK prefix allowed (only with a memory destination; otherwise #UD). */
  LOCK = 1 << 0,
  /** ModRM.mod must not be 3 (register form is #UD), e.g. LEA, LES, BOUND, CMPXCHG8B. */
  MEM = 1 << 1,
  /** ModRM.mod must be 3. */
  REG = 1 << 2,
  /** #UD in real-address mode (ARPL, LAR, LSL, VERR, VERW, SLDT, STR, LLDT, LTR, VMX ...). */
  NOREAL = 1 << 3,
  /** #UD in virtual-8086 mode. */
  NOV86 = 1 << 4,
  /** Mandatory-prefix class: no 66/F2/F3 allowed, or 66 / F3 required (then not a size prefix). */
  PNP = 1 << 5,
  P66 = 1 << 6,
  PF3 = 1 << 7,
  /** Mnemonic variant chosen by address size (JCXZ/JECXZ) rather than operand size. */
  MNEM_AS = 1 << 8,
  /** Has a ModRM byte (derived, set by the table builder). */
  MODRM = 1 << 9,
  /** Operand size is 32 regardless of 66 (MOV CR/DR, VMREAD/VMWRITE, INVEPT ...). */
  OS32 = 1 << 10,
  /** Disassembler: always print the memory operand's size ("dword ptr"). */
  SHOWSIZE = 1 << 11,
  /** Disassembler: never print the memory operand's size. */
  NOSIZE = 1 << 12,
  /** Privileged (CPL 0 only; #GP(0) otherwise). Informational, the executor checks. */
  PRIV = 1 << 13,
  /** ModRM.mod is ignored and treated as 3 (MOV CR/DR: SDM "the mod field is ignored"). */
  MODIGN = 1 << 14,
  /** Has immediate, relative, far-pointer or moffs bytes after the opcode/ModRM (derived). */
  IMM = 1 << 15,
}

/** Instruction-set level at which the instruction appeared. */
export const enum Isa { I8086 = 0, I186, I286, I386, I486, P5, P6, VMX }

export interface OpcodeEntry {
  /** Index in `OPCODE_TABLE` (= `Insn.entry`). */
  readonly index: number;
  /** 0 = one-byte map, 1 = 0F, 2 = 0F 38, 3 = 0F 3A. */
  readonly map: number;
  /** Opcode byte within the map. */
  readonly opcode: number;
  /** ModRM selector: '-' (none), '/r', '/0'-'/7', 'm/n', 'r/n', 'm', 'r', or exact 'XX' (mod=3). */
  readonly sel: string;
  /** Mnemonic for 32-bit operand (or address, with F.MNEM_AS) size, or the only one. */
  readonly mnemonic: string;
  /** Mnemonic for 16-bit operand (address) size. */
  readonly mnemonic16: string;
  readonly op: Op;
  readonly operands: readonly Opnd[];
  readonly flags: number;
  readonly isa: Isa;
  /** CPUID feature required beyond the base ISA level (null for the base set). */
  readonly cpuid: string | null;
}

// ------------------------------------------------------------------------------------------
// The declarative table. Each row: [opcode, selector, mnemonic(s), op, operands, flags?, isa?,
// cpuid?]. `opcode` includes the map: 0xXX, 0x0FXX, 0x0F38XX, 0x0F3AXX. Mnemonic "a|b" = 16|32.
// Several rows may share an opcode/selector when they differ by mandatory prefix; they are tried
// in order.
// ------------------------------------------------------------------------------------------

type Row = readonly [number, string, string, Op, string, number?, Isa?, string?];

const L = F.LOCK;
const PV = F.PRIV;
const NR = F.NOREAL | F.NOV86;

const ALU: readonly [string, Op][] = [
  ['add', Op.ADD], ['or', Op.OR], ['adc', Op.ADC], ['sbb', Op.SBB],
  ['and', Op.AND], ['sub', Op.SUB], ['xor', Op.XOR], ['cmp', Op.CMP],
];
const SHIFTS: readonly [string, Op][] = [
  ['rol', Op.ROL], ['ror', Op.ROR], ['rcl', Op.RCL], ['rcr', Op.RCR],
  ['shl', Op.SHL], ['shr', Op.SHR], ['shl', Op.SHL], ['sar', Op.SAR],
];
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];

function buildRows(): Row[] {
  const r: Row[] = [];
  const add = (...row: Row): void => { r.push(row); };

  // 00-3F: ALU, segment push/pop, BCD adjust.
  for (let i = 0; i < 8; i++) {
    const [m, op] = ALU[i];
    const b = i * 8;
    const lk = op === Op.CMP ? 0 : L;
    add(b + 0, '/r', m, op, 'Eb,Gb', lk);
    add(b + 1, '/r', m, op, 'Ev,Gv', lk);
    add(b + 2, '/r', m, op, 'Gb,Eb');
    add(b + 3, '/r', m, op, 'Gv,Ev');
    add(b + 4, '-', m, op, 'AL,Ib');
    add(b + 5, '-', m, op, 'eAX,Iz');
  }
  add(0x06, '-', 'push', Op.PUSH_SREG, 'ES');
  add(0x07, '-', 'pop', Op.POP_SREG, 'ES');
  add(0x0e, '-', 'push', Op.PUSH_SREG, 'CS');
  add(0x16, '-', 'push', Op.PUSH_SREG, 'SS');
  add(0x17, '-', 'pop', Op.POP_SREG, 'SS');
  add(0x1e, '-', 'push', Op.PUSH_SREG, 'DS');
  add(0x1f, '-', 'pop', Op.POP_SREG, 'DS');
  add(0x27, '-', 'daa', Op.DAA, '');
  add(0x2f, '-', 'das', Op.DAS, '');
  add(0x37, '-', 'aaa', Op.AAA, '');
  add(0x3f, '-', 'aas', Op.AAS, '');
  for (let i = 0; i < 8; i++) {
    add(0x40 + i, '-', 'inc', Op.INC, 'Zv');
    add(0x48 + i, '-', 'dec', Op.DEC, 'Zv');
    add(0x50 + i, '-', 'push', Op.PUSH, 'Zv');
    add(0x58 + i, '-', 'pop', Op.POP, 'Zv');
  }
  add(0x60, '-', 'pusha|pushad', Op.PUSHA, '', 0, Isa.I186);
  add(0x61, '-', 'popa|popad', Op.POPA, '', 0, Isa.I186);
  add(0x62, '/r', 'bound', Op.BOUND, 'Gv,Ma', F.MEM | F.SHOWSIZE, Isa.I186);
  add(0x63, '/r', 'arpl', Op.ARPL, 'Ew,Gw', F.NOREAL | F.NOV86, Isa.I286);
  add(0x68, '-', 'push', Op.PUSH, 'Iz', 0, Isa.I186);
  add(0x69, '/r', 'imul', Op.IMUL3, 'Gv,Ev,Iz', 0, Isa.I186);
  add(0x6a, '-', 'push', Op.PUSH, 'Ibs', 0, Isa.I186);
  add(0x6b, '/r', 'imul', Op.IMUL3, 'Gv,Ev,Ibs', 0, Isa.I186);
  add(0x6c, '-', 'insb', Op.INS, 'Yb,DX', 0, Isa.I186);
  add(0x6d, '-', 'insw|insd', Op.INS, 'Yv,DX', 0, Isa.I186);
  add(0x6e, '-', 'outsb', Op.OUTS, 'DX,Xb', 0, Isa.I186);
  add(0x6f, '-', 'outsw|outsd', Op.OUTS, 'DX,Xv', 0, Isa.I186);
  for (let i = 0; i < 16; i++) add(0x70 + i, '-', 'j' + CC[i], Op.JCC, 'Jb');
  for (let i = 0; i < 8; i++) {
    const [m, op] = ALU[i];
    const lk = op === Op.CMP ? 0 : L;
    add(0x80, '/' + i, m, op, 'Eb,Ib', lk);
    add(0x81, '/' + i, m, op, 'Ev,Iz', lk);
    add(0x82, '/' + i, m, op, 'Eb,Ib', lk);
    add(0x83, '/' + i, m, op, 'Ev,Ibs', lk);
  }
  add(0x84, '/r', 'test', Op.TEST, 'Eb,Gb');
  add(0x85, '/r', 'test', Op.TEST, 'Ev,Gv');
  add(0x86, '/r', 'xchg', Op.XCHG, 'Eb,Gb', L);
  add(0x87, '/r', 'xchg', Op.XCHG, 'Ev,Gv', L);
  add(0x88, '/r', 'mov', Op.MOV, 'Eb,Gb');
  add(0x89, '/r', 'mov', Op.MOV, 'Ev,Gv');
  add(0x8a, '/r', 'mov', Op.MOV, 'Gb,Eb');
  add(0x8b, '/r', 'mov', Op.MOV, 'Gv,Ev');
  for (let i = 0; i < 6; i++) add(0x8c, '/' + i, 'mov', Op.MOV_FROM_SREG, 'MwRv,Sw');
  add(0x8d, '/r', 'lea', Op.LEA, 'Gv,M', F.MEM);
  for (let i = 0; i < 6; i++) if (i !== 1) add(0x8e, '/' + i, 'mov', Op.MOV_TO_SREG, 'Sw,Ew');
  add(0x8f, '/0', 'pop', Op.POP, 'Ev');
  // PAUSE is REP NOP on processors that predate it (no CPUID bit).
  add(0x90, '-', 'pause', Op.PAUSE, '', F.PF3);
  add(0x90, '-', 'nop', Op.NOP, '');
  for (let i = 1; i < 8; i++) add(0x90 + i, '-', 'xchg', Op.XCHG, 'Zv,eAX');
  add(0x98, '-', 'cbw|cwde', Op.CBW_CWDE, '');
  add(0x99, '-', 'cwd|cdq', Op.CWD_CDQ, '');
  add(0x9a, '-', 'call', Op.CALLF, 'Ap');
  add(0x9b, '-', 'fwait', Op.WAIT, '');
  add(0x9c, '-', 'pushf|pushfd', Op.PUSHF, '');
  add(0x9d, '-', 'popf|popfd', Op.POPF, '');
  add(0x9e, '-', 'sahf', Op.SAHF, '');
  add(0x9f, '-', 'lahf', Op.LAHF, '');
  add(0xa0, '-', 'mov', Op.MOV, 'AL,Ob');
  add(0xa1, '-', 'mov', Op.MOV, 'eAX,Ov');
  add(0xa2, '-', 'mov', Op.MOV, 'Ob,AL');
  add(0xa3, '-', 'mov', Op.MOV, 'Ov,eAX');
  add(0xa4, '-', 'movsb', Op.MOVS, 'Yb,Xb');
  add(0xa5, '-', 'movsw|movsd', Op.MOVS, 'Yv,Xv');
  add(0xa6, '-', 'cmpsb', Op.CMPS, 'Xb,Yb');
  add(0xa7, '-', 'cmpsw|cmpsd', Op.CMPS, 'Xv,Yv');
  add(0xa8, '-', 'test', Op.TEST, 'AL,Ib');
  add(0xa9, '-', 'test', Op.TEST, 'eAX,Iz');
  add(0xaa, '-', 'stosb', Op.STOS, 'Yb,AL');
  add(0xab, '-', 'stosw|stosd', Op.STOS, 'Yv,eAX');
  add(0xac, '-', 'lodsb', Op.LODS, 'AL,Xb');
  add(0xad, '-', 'lodsw|lodsd', Op.LODS, 'eAX,Xv');
  add(0xae, '-', 'scasb', Op.SCAS, 'AL,Yb');
  add(0xaf, '-', 'scasw|scasd', Op.SCAS, 'eAX,Yv');
  for (let i = 0; i < 8; i++) {
    add(0xb0 + i, '-', 'mov', Op.MOV, 'Zb,Ib');
    add(0xb8 + i, '-', 'mov', Op.MOV, 'Zv,Iz');
  }
  for (let i = 0; i < 8; i++) {
    const [m, op] = SHIFTS[i];
    add(0xc0, '/' + i, m, op, 'Eb,Ib', 0, Isa.I186);
    add(0xc1, '/' + i, m, op, 'Ev,Ib', 0, Isa.I186);
    add(0xd0, '/' + i, m, op, 'Eb,1');
    add(0xd1, '/' + i, m, op, 'Ev,1');
    add(0xd2, '/' + i, m, op, 'Eb,CL');
    add(0xd3, '/' + i, m, op, 'Ev,CL');
  }
  add(0xc2, '-', 'ret', Op.RETN, 'Iw');
  add(0xc3, '-', 'ret', Op.RETN, '');
  add(0xc4, '/r', 'les', Op.LES, 'Gv,Mp', F.MEM | F.NOSIZE);
  add(0xc5, '/r', 'lds', Op.LDS, 'Gv,Mp', F.MEM | F.NOSIZE);
  add(0xc6, '/0', 'mov', Op.MOV, 'Eb,Ib');
  add(0xc7, '/0', 'mov', Op.MOV, 'Ev,Iz');
  add(0xc8, '-', 'enter', Op.ENTER, 'Iw,Ib', 0, Isa.I186);
  add(0xc9, '-', 'leave', Op.LEAVE, '', 0, Isa.I186);
  add(0xca, '-', 'retf', Op.RETF, 'Iw');
  add(0xcb, '-', 'retf', Op.RETF, '');
  add(0xcc, '-', 'int3', Op.INT3, '');
  add(0xcd, '-', 'int', Op.INT, 'Ib');
  add(0xce, '-', 'into', Op.INTO, '');
  add(0xcf, '-', 'iret|iretd', Op.IRET, '');
  add(0xd4, '-', 'aam', Op.AAM, 'Ib');
  add(0xd5, '-', 'aad', Op.AAD, 'Ib');
  add(0xd6, '-', 'salc', Op.SALC, '');
  add(0xd7, '-', 'xlat', Op.XLAT, 'Mxlat');
  fpuRows(add);
  add(0xe0, '-', 'loopne', Op.LOOPNE, 'Jb');
  add(0xe1, '-', 'loope', Op.LOOPE, 'Jb');
  add(0xe2, '-', 'loop', Op.LOOP, 'Jb');
  add(0xe3, '-', 'jcxz|jecxz', Op.JCXZ, 'Jb', F.MNEM_AS);
  add(0xe4, '-', 'in', Op.IN, 'AL,Ib');
  add(0xe5, '-', 'in', Op.IN, 'eAX,Ib');
  add(0xe6, '-', 'out', Op.OUT, 'Ib,AL');
  add(0xe7, '-', 'out', Op.OUT, 'Ib,eAX');
  add(0xe8, '-', 'call', Op.CALL, 'Jz');
  add(0xe9, '-', 'jmp', Op.JMP, 'Jz');
  add(0xea, '-', 'jmp', Op.JMPF, 'Ap');
  add(0xeb, '-', 'jmp', Op.JMP, 'Jb');
  add(0xec, '-', 'in', Op.IN, 'AL,DX');
  add(0xed, '-', 'in', Op.IN, 'eAX,DX');
  add(0xee, '-', 'out', Op.OUT, 'DX,AL');
  add(0xef, '-', 'out', Op.OUT, 'DX,eAX');
  add(0xf1, '-', 'int1', Op.INT1, '', 0, Isa.I386);
  add(0xf4, '-', 'hlt', Op.HLT, '', PV);
  add(0xf5, '-', 'cmc', Op.CMC, '');
  const g3: readonly [string, Op, string, number][] = [
    ['test', Op.TEST, 'Ib', 0], ['test', Op.TEST, 'Ib', 0], ['not', Op.NOT, '', L],
    ['neg', Op.NEG, '', L], ['mul', Op.MUL, '', 0], ['imul', Op.IMUL, '', 0],
    ['div', Op.DIV, '', 0], ['idiv', Op.IDIV, '', 0],
  ];
  for (let i = 0; i < 8; i++) {
    const [m, op, o2, fl] = g3[i];
    add(0xf6, '/' + i, m, op, o2 ? 'Eb,' + o2 : 'Eb', fl);
    add(0xf7, '/' + i, m, op, o2 === 'Ib' ? 'Ev,Iz' : 'Ev', fl);
  }
  add(0xf8, '-', 'clc', Op.CLC, '');
  add(0xf9, '-', 'stc', Op.STC, '');
  add(0xfa, '-', 'cli', Op.CLI, '');
  add(0xfb, '-', 'sti', Op.STI, '');
  add(0xfc, '-', 'cld', Op.CLD, '');
  add(0xfd, '-', 'std', Op.STD, '');
  add(0xfe, '/0', 'inc', Op.INC, 'Eb', L);
  add(0xfe, '/1', 'dec', Op.DEC, 'Eb', L);
  add(0xff, '/0', 'inc', Op.INC, 'Ev', L);
  add(0xff, '/1', 'dec', Op.DEC, 'Ev', L);
  add(0xff, '/2', 'call', Op.CALL, 'Ev');
  add(0xff, 'm/3', 'call', Op.CALLF, 'Mp');
  add(0xff, '/4', 'jmp', Op.JMP, 'Ev');
  add(0xff, 'm/5', 'jmp', Op.JMPF, 'Mp');
  add(0xff, '/6', 'push', Op.PUSH, 'Ev');

  // ---- 0F map ----
  const g6: readonly [string, Op, string, number][] = [
    ['sldt', Op.SLDT, 'MwRv', 0], ['str', Op.STR, 'MwRv', 0], ['lldt', Op.LLDT, 'Ew', PV],
    ['ltr', Op.LTR, 'Ew', PV], ['verr', Op.VERR, 'Ew', 0], ['verw', Op.VERW, 'Ew', 0],
  ];
  for (let i = 0; i < 6; i++) {
    const [m, op, o, fl] = g6[i];
    add(0x0f00, '/' + i, m, op, o, fl | NR | F.NOSIZE, Isa.I286);
  }
  add(0x0f01, 'm/0', 'sgdt', Op.SGDT, 'Ms', F.NOSIZE, Isa.I286);
  add(0x0f01, 'm/1', 'sidt', Op.SIDT, 'Ms', F.NOSIZE, Isa.I286);
  add(0x0f01, 'm/2', 'lgdt', Op.LGDT, 'Ms', PV | F.NOSIZE, Isa.I286);
  add(0x0f01, 'm/3', 'lidt', Op.LIDT, 'Ms', PV | F.NOSIZE, Isa.I286);
  add(0x0f01, '/4', 'smsw', Op.SMSW, 'MwRv', F.NOSIZE, Isa.I286);
  add(0x0f01, '/6', 'lmsw', Op.LMSW, 'Ew', PV | F.NOSIZE, Isa.I286);
  add(0x0f01, 'm/7', 'invlpg', Op.INVLPG, 'Mb', PV | F.NOSIZE, Isa.I486);
  add(0x0f01, 'c1', 'vmcall', Op.VMCALL, '', F.PNP, Isa.VMX, 'VMX');
  add(0x0f01, 'c2', 'vmlaunch', Op.VMLAUNCH, '', F.PNP | NR, Isa.VMX, 'VMX');
  add(0x0f01, 'c3', 'vmresume', Op.VMRESUME, '', F.PNP | NR, Isa.VMX, 'VMX');
  add(0x0f01, 'c4', 'vmxoff', Op.VMXOFF, '', F.PNP | NR, Isa.VMX, 'VMX');
  add(0x0f01, 'c8', 'monitor', Op.MONITOR, '', F.PNP, Isa.P6, 'MONITOR');
  add(0x0f01, 'c9', 'mwait', Op.MWAIT, '', F.PNP, Isa.P6, 'MONITOR');
  add(0x0f01, 'd1', 'xsetbv', Op.XSETBV, '', F.PNP, Isa.P6, 'XSAVE');
  add(0x0f01, 'd4', 'vmfunc', Op.VMFUNC, '', F.PNP, Isa.VMX, 'VMX');
  add(0x0f02, '/r', 'lar', Op.LAR, 'Gv,MwRv', NR | F.NOSIZE, Isa.I286);
  add(0x0f03, '/r', 'lsl', Op.LSL, 'Gv,MwRv', NR | F.NOSIZE, Isa.I286);
  add(0x0f06, '-', 'clts', Op.CLTS, '', PV, Isa.I286);
  add(0x0f08, '-', 'invd', Op.INVD, '', PV, Isa.I486);
  add(0x0f09, '-', 'wbinvd', Op.WBINVD, '', PV, Isa.I486);
  add(0x0f0b, '-', 'ud2', Op.UD2, '', 0, Isa.I286);
  // Reserved / hint NOPs (SDM: "0F 1F /0 NOP r/m" and the 0F 19-0F 1E hint space).
  add(0x0f1f, '/0', 'nop', Op.NOP, 'Ev', F.NOSIZE, Isa.P6);
  for (let i = 1; i < 8; i++) add(0x0f1f, '/' + i, 'nop', Op.NOP, 'Ev,Gv', 0, Isa.P6);
  for (let i = 0; i < 8; i++) add(0x0f18, i < 4 ? 'r/' + i : '/' + i, 'nop', Op.NOP, 'Ev,Gv', 0, Isa.P6);
  add(0x0f0d, 'r', 'nop', Op.NOP, 'Ev,Gv', 0, Isa.P6);
  for (let o = 0x19; o <= 0x1e; o++) add(0x0f00 + o, '/r', 'nop', Op.NOP, 'Ev,Gv', 0, Isa.P6);
  for (const n of [0, 2, 3, 4]) {
    // CR1, CR5-CR7 do not exist: #UD.
    add(0x0f20, '/' + n, 'mov', Op.MOV_FROM_CR, 'Rd,Cd', PV | F.OS32 | F.MODIGN, Isa.I386);
    add(0x0f22, '/' + n, 'mov', Op.MOV_TO_CR, 'Cd,Rd', PV | F.OS32 | F.MODIGN, Isa.I386);
  }
  add(0x0f21, '/r', 'mov', Op.MOV_FROM_DR, 'Rd,Dd', PV | F.OS32 | F.MODIGN, Isa.I386);
  add(0x0f23, '/r', 'mov', Op.MOV_TO_DR, 'Dd,Rd', PV | F.OS32 | F.MODIGN, Isa.I386);
  add(0x0f30, '-', 'wrmsr', Op.WRMSR, '', PV, Isa.P5, 'MSR');
  add(0x0f31, '-', 'rdtsc', Op.RDTSC, '', 0, Isa.P5, 'TSC');
  add(0x0f32, '-', 'rdmsr', Op.RDMSR, '', PV, Isa.P5, 'MSR');
  add(0x0f33, '-', 'rdpmc', Op.RDPMC, '', 0, Isa.P6);
  // SYSENTER/SYSEXIT outside protected mode raise #GP(0), not #UD: no NOREAL flag.
  add(0x0f34, '-', 'sysenter', Op.SYSENTER, '', 0, Isa.P6, 'SEP');
  add(0x0f35, '-', 'sysexit', Op.SYSEXIT, '', PV, Isa.P6, 'SEP');
  for (let i = 0; i < 16; i++) add(0x0f40 + i, '/r', 'cmov' + CC[i], Op.CMOVCC, 'Gv,Ev', 0, Isa.P6, 'CMOV');
  add(0x0f78, '/r', 'vmread', Op.VMREAD, 'Ed,Gd', F.PNP | F.OS32 | NR, Isa.VMX, 'VMX');
  add(0x0f79, '/r', 'vmwrite', Op.VMWRITE, 'Gd,Ed', F.PNP | F.OS32 | NR, Isa.VMX, 'VMX');
  for (let i = 0; i < 16; i++) add(0x0f80 + i, '-', 'j' + CC[i], Op.JCC, 'Jz', 0, Isa.I386);
  for (let i = 0; i < 16; i++) add(0x0f90 + i, '/r', 'set' + CC[i], Op.SETCC, 'Eb', F.NOSIZE, Isa.I386);
  add(0x0fa0, '-', 'push', Op.PUSH_SREG, 'FS', 0, Isa.I386);
  add(0x0fa1, '-', 'pop', Op.POP_SREG, 'FS', 0, Isa.I386);
  add(0x0fa2, '-', 'cpuid', Op.CPUID, '', 0, Isa.I486, 'CPUID');
  add(0x0fa3, '/r', 'bt', Op.BT, 'Ev,Gv', 0, Isa.I386);
  add(0x0fa4, '/r', 'shld', Op.SHLD, 'Ev,Gv,Ib', 0, Isa.I386);
  add(0x0fa5, '/r', 'shld', Op.SHLD, 'Ev,Gv,CL', 0, Isa.I386);
  add(0x0fa8, '-', 'push', Op.PUSH_SREG, 'GS', 0, Isa.I386);
  add(0x0fa9, '-', 'pop', Op.POP_SREG, 'GS', 0, Isa.I386);
  add(0x0faa, '-', 'rsm', Op.RSM, '', 0, Isa.I386);
  add(0x0fab, '/r', 'bts', Op.BTS, 'Ev,Gv', L, Isa.I386);
  add(0x0fac, '/r', 'shrd', Op.SHRD, 'Ev,Gv,Ib', 0, Isa.I386);
  add(0x0fad, '/r', 'shrd', Op.SHRD, 'Ev,Gv,CL', 0, Isa.I386);
  add(0x0faf, '/r', 'imul', Op.IMUL2, 'Gv,Ev', 0, Isa.I386);
  add(0x0fb0, '/r', 'cmpxchg', Op.CMPXCHG, 'Eb,Gb', L, Isa.I486);
  add(0x0fb1, '/r', 'cmpxchg', Op.CMPXCHG, 'Ev,Gv', L, Isa.I486);
  add(0x0fb2, '/r', 'lss', Op.LSS, 'Gv,Mp', F.MEM | F.NOSIZE, Isa.I386);
  add(0x0fb3, '/r', 'btr', Op.BTR, 'Ev,Gv', L, Isa.I386);
  add(0x0fb4, '/r', 'lfs', Op.LFS, 'Gv,Mp', F.MEM | F.NOSIZE, Isa.I386);
  add(0x0fb5, '/r', 'lgs', Op.LGS, 'Gv,Mp', F.MEM | F.NOSIZE, Isa.I386);
  add(0x0fb6, '/r', 'movzx', Op.MOVZX, 'Gv,Eb', F.SHOWSIZE, Isa.I386);
  add(0x0fb7, '/r', 'movzx', Op.MOVZX, 'Gv,Ew', F.SHOWSIZE, Isa.I386);
  add(0x0fb9, '/r', 'ud1', Op.UD2, 'Gv,Ev', 0, Isa.I286);
  add(0x0fba, '/4', 'bt', Op.BT, 'Ev,Ib', 0, Isa.I386);
  add(0x0fba, '/5', 'bts', Op.BTS, 'Ev,Ib', L, Isa.I386);
  add(0x0fba, '/6', 'btr', Op.BTR, 'Ev,Ib', L, Isa.I386);
  add(0x0fba, '/7', 'btc', Op.BTC, 'Ev,Ib', L, Isa.I386);
  add(0x0fbb, '/r', 'btc', Op.BTC, 'Ev,Gv', L, Isa.I386);
  add(0x0fbc, '/r', 'bsf', Op.BSF, 'Gv,Ev', 0, Isa.I386);
  add(0x0fbd, '/r', 'bsr', Op.BSR, 'Gv,Ev', 0, Isa.I386);
  add(0x0fbe, '/r', 'movsx', Op.MOVSX, 'Gv,Eb', F.SHOWSIZE, Isa.I386);
  add(0x0fbf, '/r', 'movsx', Op.MOVSX, 'Gv,Ew', F.SHOWSIZE, Isa.I386);
  add(0x0fc0, '/r', 'xadd', Op.XADD, 'Eb,Gb', L, Isa.I486);
  add(0x0fc1, '/r', 'xadd', Op.XADD, 'Ev,Gv', L, Isa.I486);
  add(0x0fc7, 'm/1', 'cmpxchg8b', Op.CMPXCHG8B, 'Mq', L | F.NOSIZE, Isa.P5, 'CX8');
  add(0x0fc7, 'm/6', 'vmptrld', Op.VMPTRLD, 'Mq', F.PNP | NR | F.NOSIZE, Isa.VMX, 'VMX');
  add(0x0fc7, 'm/6', 'vmclear', Op.VMCLEAR, 'Mq', F.P66 | NR | F.NOSIZE, Isa.VMX, 'VMX');
  add(0x0fc7, 'm/6', 'vmxon', Op.VMXON, 'Mq', F.PF3 | NR | F.NOSIZE, Isa.VMX, 'VMX');
  add(0x0fc7, 'm/7', 'vmptrst', Op.VMPTRST, 'Mq', F.PNP | NR | F.NOSIZE, Isa.VMX, 'VMX');
  for (let i = 0; i < 8; i++) add(0x0fc8 + i, '-', 'bswap', Op.BSWAP, 'Zv', 0, Isa.I486);
  add(0x0fff, '/r', 'ud0', Op.UD2, 'Gv,Ev', 0, Isa.I286);
  add(0x0f3880, 'm', 'invept', Op.INVEPT, 'Gd,Mdq', F.P66 | F.OS32 | NR | F.NOSIZE, Isa.VMX, 'VMX');
  add(0x0f3881, 'm', 'invvpid', Op.INVVPID, 'Gd,Mdq', F.P66 | F.OS32 | NR | F.NOSIZE, Isa.VMX, 'VMX');
  return r;
}

/**
 * x87 escapes D8-DF (SDM Vol. 2, Appendix A.5). The undocumented register aliases that every P6
 * executes like their documented twins (DC D0+i fcom, DC D8+i fcomp, DD C8+i / DF C8+i fxch,
 * DE D0+i fcomp, D9 D8+i, DF D0+i, DF D8+i fstp, DF C0+i ffreep) are decoded and named as iced-x86
 * names them ("fstpnce" for D9 D8+i). FISTTP (SSE3) and the 287XL-only DB E5 stay #UD.
 */
function fpuRows(add: (...row: Row) => void): void {
  const X = Op.FPU;
  const arith = ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'];
  const iarith = ['fiadd', 'fimul', 'ficom', 'ficomp', 'fisub', 'fisubr', 'fidiv', 'fidivr'];
  const cc = ['b', 'e', 'be', 'u'];
  for (let i = 0; i < 8; i++) {
    add(0xd8, 'm/' + i, arith[i], X, 'ST,Md', 0, Isa.I8086, 'FPU');
    add(0xda, 'm/' + i, iarith[i], X, 'ST,Md', 0, Isa.I8086, 'FPU');
    add(0xdc, 'm/' + i, arith[i], X, 'ST,Mq', 0, Isa.I8086, 'FPU');
    add(0xde, 'm/' + i, iarith[i], X, 'ST,Mw', 0, Isa.I8086, 'FPU');
    // Register forms: D8 op ST,ST(i); DC op ST(i),ST with sub/subr and div/divr swapped.
    const two = i !== 2 && i !== 3;
    add(0xd8, 'r/' + i, arith[i], X, 'ST,STi', 0, Isa.I8086, 'FPU');
    const dcm = ['fadd', 'fmul', 'fcom', 'fcomp', 'fsubr', 'fsub', 'fdivr', 'fdiv'][i];
    add(0xdc, 'r/' + i, dcm, X, two ? 'STi,ST' : 'ST,STi', 0, Isa.I8086, 'FPU');
    const dem = ['faddp', 'fmulp', 'fcomp', '', 'fsubrp', 'fsubp', 'fdivrp', 'fdivp'][i];
    if (dem !== '') add(0xde, 'r/' + i, dem, X, two ? 'STi,ST' : 'ST,STi', 0, Isa.I8086, 'FPU');
  }
  add(0xde, 'd9', 'fcompp', X, '', 0, Isa.I8086, 'FPU');
  const dm: readonly [number, string, string][] = [
    [0, 'fld', 'ST,Md'], [2, 'fst', 'Md,ST'], [3, 'fstp', 'Md,ST'], [4, 'fldenv', 'Menv'],
    [5, 'fldcw', 'Mw'], [6, 'fnstenv', 'Menv'], [7, 'fnstcw', 'Mw'],
  ];
  for (const [n, m, o] of dm) add(0xd9, 'm/' + n, m, X, o, o.includes('ST') ? 0 : F.NOSIZE, Isa.I8086, 'FPU');
  add(0xd9, 'r/0', 'fld', X, 'ST,STi', 0, Isa.I8086, 'FPU');
  add(0xd9, 'r/1', 'fxch', X, 'ST,STi', 0, Isa.I8086, 'FPU');
  add(0xd9, 'd0', 'fnop', X, '', 0, Isa.I8086, 'FPU');
  add(0xd9, 'r/3', 'fstpnce', X, 'STi,ST', 0, Isa.I8086, 'FPU');
  const d9r: readonly [number, string][] = [
    [0xe0, 'fchs'], [0xe1, 'fabs'], [0xe4, 'ftst'], [0xe5, 'fxam'], [0xe8, 'fld1'],
    [0xe9, 'fldl2t'], [0xea, 'fldl2e'], [0xeb, 'fldpi'], [0xec, 'fldlg2'], [0xed, 'fldln2'],
    [0xee, 'fldz'], [0xf0, 'f2xm1'], [0xf1, 'fyl2x'], [0xf2, 'fptan'], [0xf3, 'fpatan'],
    [0xf4, 'fxtract'], [0xf5, 'fprem1'], [0xf6, 'fdecstp'], [0xf7, 'fincstp'], [0xf8, 'fprem'],
    [0xf9, 'fyl2xp1'], [0xfa, 'fsqrt'], [0xfb, 'fsincos'], [0xfc, 'frndint'], [0xfd, 'fscale'],
    [0xfe, 'fsin'], [0xff, 'fcos'],
  ];
  const fpu387 = [0xf5, 0xfb, 0xfe, 0xff];
  for (const [b, m] of d9r) {
    add(0xd9, b.toString(16), m, X, '', 0, fpu387.includes(b) ? Isa.I386 : Isa.I8086, 'FPU');
  }
  for (let i = 0; i < 4; i++) {
    add(0xda, 'r/' + i, 'fcmov' + cc[i], X, 'ST,STi', 0, Isa.P6, 'FPU CMOV');
    add(0xdb, 'r/' + i, 'fcmovn' + cc[i], X, 'ST,STi', 0, Isa.P6, 'FPU CMOV');
  }
  add(0xda, 'e9', 'fucompp', X, '', 0, Isa.I386, 'FPU');
  const dbm: readonly [number, string, string][] = [
    [0, 'fild', 'ST,Md'], [2, 'fist', 'Md,ST'], [3, 'fistp', 'Md,ST'], [5, 'fld', 'ST,Mt'],
    [7, 'fstp', 'Mt,ST'],
  ];
  for (const [n, m, o] of dbm) add(0xdb, 'm/' + n, m, X, o, 0, Isa.I8086, 'FPU');
  add(0xdb, 'e0', 'fneni', X, '', 0, Isa.I8086, 'FPU');
  add(0xdb, 'e1', 'fndisi', X, '', 0, Isa.I8086, 'FPU');
  add(0xdb, 'e2', 'fnclex', X, '', 0, Isa.I8086, 'FPU');
  add(0xdb, 'e3', 'fninit', X, '', 0, Isa.I8086, 'FPU');
  add(0xdb, 'e4', 'fnsetpm', X, '', 0, Isa.I286, 'FPU');
  add(0xdb, 'r/5', 'fucomi', X, 'ST,STi', 0, Isa.P6, 'FPU CMOV');
  add(0xdb, 'r/6', 'fcomi', X, 'ST,STi', 0, Isa.P6, 'FPU CMOV');
  const ddm: readonly [number, string, string][] = [
    [0, 'fld', 'ST,Mq'], [2, 'fst', 'Mq,ST'], [3, 'fstp', 'Mq,ST'], [4, 'frstor', 'Mstate'],
    [6, 'fnsave', 'Mstate'], [7, 'fnstsw', 'Mw'],
  ];
  for (const [n, m, o] of ddm) add(0xdd, 'm/' + n, m, X, o, o.includes('ST') ? 0 : F.NOSIZE, Isa.I8086, 'FPU');
  add(0xdd, 'r/0', 'ffree', X, 'STi', 0, Isa.I8086, 'FPU');
  add(0xdd, 'r/1', 'fxch', X, 'ST,STi', 0, Isa.I8086, 'FPU');
  add(0xdd, 'r/2', 'fst', X, 'STi,ST', 0, Isa.I8086, 'FPU');
  add(0xdd, 'r/3', 'fstp', X, 'STi,ST', 0, Isa.I8086, 'FPU');
  add(0xdd, 'r/4', 'fucom', X, 'ST,STi', 0, Isa.I386, 'FPU');
  add(0xdd, 'r/5', 'fucomp', X, 'ST,STi', 0, Isa.I386, 'FPU');
  const dfm: readonly [number, string, string][] = [
    [0, 'fild', 'ST,Mw'], [2, 'fist', 'Mw,ST'], [3, 'fistp', 'Mw,ST'], [4, 'fbld', 'ST,Mt'],
    [5, 'fild', 'ST,Mq'], [6, 'fbstp', 'Mt,ST'], [7, 'fistp', 'Mq,ST'],
  ];
  for (const [n, m, o] of dfm) add(0xdf, 'm/' + n, m, X, o, 0, Isa.I8086, 'FPU');
  add(0xdf, 'r/0', 'ffreep', X, 'STi', 0, Isa.I286, 'FPU');
  add(0xdf, 'r/1', 'fxch', X, 'ST,STi', 0, Isa.I8086, 'FPU');
  add(0xdf, 'r/2', 'fstp', X, 'STi,ST', 0, Isa.I8086, 'FPU');
  add(0xdf, 'r/3', 'fstp', X, 'STi,ST', 0, Isa.I8086, 'FPU');
  add(0xdf, 'e0', 'fnstsw', X, 'AX', 0, Isa.I286, 'FPU');
  add(0xdf, 'r/5', 'fucomip', X, 'ST,STi', 0, Isa.P6, 'FPU CMOV');
  add(0xdf, 'r/6', 'fcomip', X, 'ST,STi', 0, Isa.P6, 'FPU CMOV');
}

// ------------------------------------------------------------------------------------------
// Derived data (built once at module load; never mutated afterwards).
// ------------------------------------------------------------------------------------------

function parseSel(sel: string): { reg: number; mod: number; rm: number } {
  // mod: -1 any, 0 memory only, 3 register only. reg/rm: -1 any.
  if (sel === '/r') return { reg: -1, mod: -1, rm: -1 };
  if (sel === 'm') return { reg: -1, mod: 0, rm: -1 };
  if (sel === 'r') return { reg: -1, mod: 3, rm: -1 };
  let m = /^\/([0-7])$/.exec(sel);
  if (m) return { reg: +m[1], mod: -1, rm: -1 };
  m = /^([mr])\/([0-7])$/.exec(sel);
  if (m) return { reg: +m[2], mod: m[1] === 'm' ? 0 : 3, rm: -1 };
  m = /^([0-9a-f]{2})$/.exec(sel);
  if (m) {
    const b = parseInt(m[1], 16);
    if (b < 0xc0) throw new Error(`opcode table: exact ModRM selector ${sel} must have mod=3`);
    return { reg: (b >> 3) & 7, mod: 3, rm: b & 7 };
  }
  throw new Error(`opcode table: bad ModRM selector '${sel}'`);
}

function buildTable(): OpcodeEntry[] {
  const rows = buildRows();
  const out: OpcodeEntry[] = [];
  for (const [code, sel, mn, op, ops, flags = 0, isa = Isa.I8086, cpuid] of rows) {
    const map = code > 0xffff ? (((code >> 8) & 0xff) === 0x38 ? 2 : 3) : code > 0xff ? 1 : 0;
    const operands = ops === '' ? [] : ops.split(',').map((s) => {
      const k = OPND_NAMES.indexOf(s);
      if (k <= 0) throw new Error(`opcode table: unknown operand spec '${s}' at ${code.toString(16)}`);
      return k as Opnd;
    });
    const bar = mn.indexOf('|');
    out.push({
      index: out.length + 1,
      map,
      opcode: code & 0xff,
      sel,
      mnemonic: bar < 0 ? mn : mn.slice(bar + 1),
      mnemonic16: bar < 0 ? mn : mn.slice(0, bar),
      op,
      operands,
      flags: flags | (sel === '-' ? 0 : F.MODRM) |
        (operands.some((o) => o >= Opnd.Ib && o <= Opnd.Ov) ? F.IMM : 0),
      isa,
      cpuid: cpuid ?? null,
    });
  }
  return out;
}

/** The invalid-opcode pseudo entry (index 0): `Insn.entry` of an invalid instruction. */
const INVALID_ENTRY: OpcodeEntry = {
  index: 0, map: 0, opcode: 0, sel: '-', mnemonic: '(bad)', mnemonic16: '(bad)', op: Op.UD,
  operands: [], flags: 0, isa: Isa.I8086, cpuid: null,
};

/** All entries; `OPCODE_TABLE[insn.entry]`. Index 0 is the invalid pseudo-entry. */
export const OPCODE_TABLE: readonly OpcodeEntry[] = Object.freeze([INVALID_ENTRY, ...buildTable()]);

/** Number of ModRM slots per opcode: 8 memory forms (by reg) + 64 register forms (reg*8+rm). */
export const MODRM_SLOTS = 72;

/** ModRM slot of a (mod, reg, rm) triple in a `MODRM_GROUPS` row. */
export function modrmSlot(mod: number, reg: number, rm: number): number {
  return mod === 3 ? 8 + reg * 8 + rm : reg;
}

interface Derived {
  /** [map*256 + opcode]: 0 = invalid, > 0 = entry index (no ModRM), < 0 = ~group (ModRM). */
  mapSlot: Int32Array;
  /** [group*72 + slot] = entry index or 0 (invalid). */
  groups: Int32Array;
  /** Next entry with the same slot but another mandatory prefix (0 = none). */
  next: Int32Array;
  /** Per-entry flags / op / operands (4 per entry). */
  flags: Int32Array;
  op: Int32Array;
  opnd: Uint8Array;
}

function derive(table: readonly OpcodeEntry[]): Derived {
  const n = table.length;
  const mapSlot = new Int32Array(4 * 256);
  const next = new Int32Array(n);
  const flags = new Int32Array(n);
  const op = new Int32Array(n);
  const opnd = new Uint8Array(n * 4);
  const groupRows: Int32Array[] = [];
  const chain = (cur: number, e: number): number => {
    if (cur === 0) return e;
    let t = cur;
    for (;;) {
      if (t === e) return cur; // already chained (entry covers several slots)
      if (next[t] === 0) break;
      t = next[t];
    }
    if ((flags[t] & (F.PNP | F.P66 | F.PF3)) === 0) {
      throw new Error(`opcode table: entry ${e} overlaps entry ${t} without a mandatory prefix`);
    }
    next[t] = e;
    return cur;
  };
  for (let e = 1; e < n; e++) {
    const ent = table[e];
    flags[e] = ent.flags;
    op[e] = ent.op;
    for (let i = 0; i < ent.operands.length; i++) opnd[e * 4 + i] = ent.operands[i];
    const k = ent.map * 256 + ent.opcode;
    if (ent.sel === '-') {
      if (mapSlot[k] < 0) throw new Error(`opcode table: ${k.toString(16)} mixes ModRM forms`);
      mapSlot[k] = chain(mapSlot[k], e);
      continue;
    }
    if (mapSlot[k] > 0) throw new Error(`opcode table: ${k.toString(16)} mixes ModRM forms`);
    if (mapSlot[k] === 0) {
      groupRows.push(new Int32Array(MODRM_SLOTS));
      mapSlot[k] = ~(groupRows.length - 1);
    }
    const row = groupRows[~mapSlot[k]];
    const s = parseSel(ent.sel);
    const memOk = s.mod !== 3 && (ent.flags & F.REG) === 0;
    const regOk = s.mod !== 0 && (ent.flags & F.MEM) === 0;
    for (let reg = 0; reg < 8; reg++) {
      if (s.reg >= 0 && reg !== s.reg) continue;
      if (memOk) row[reg] = chain(row[reg], e);
      if (regOk) {
        for (let rm = 0; rm < 8; rm++) {
          if (s.rm >= 0 && rm !== s.rm) continue;
          const slot = 8 + reg * 8 + rm;
          // An exact-byte row (e.g. D9 D0 fnop) overrides a broader one only if it came first;
          // the table lists broad register rows ('r/n') and exact bytes disjointly.
          row[slot] = chain(row[slot], e);
        }
      }
    }
  }
  const groups = new Int32Array(groupRows.length * MODRM_SLOTS);
  groupRows.forEach((row, g) => groups.set(row, g * MODRM_SLOTS));
  return { mapSlot, groups, next, flags, op, opnd };
}

const D = derive(OPCODE_TABLE);

/** [map*256 + opcode]: 0 invalid, > 0 entry index (no ModRM), < 0 `~group` (needs ModRM). */
export const MAP_SLOT: Int32Array = D.mapSlot;
/** [group*MODRM_SLOTS + modrmSlot(mod,reg,rm)] = entry index, 0 = invalid. */
export const MODRM_GROUPS: Int32Array = D.groups;
/** [entry]: next entry with the same encoding but another mandatory prefix, 0 = none. */
export const ENTRY_NEXT: Int32Array = D.next;
/** [entry]: `F` flags. */
export const ENTRY_FLAGS: Int32Array = D.flags;
/** [entry]: `Op`. */
export const ENTRY_OP: Int32Array = D.op;
/** [entry*4 + i]: `Opnd` of operand i (0 = none). */
export const ENTRY_OPND: Uint8Array = D.opnd;

/** Mandatory-prefix class of an instruction (last F2/F3 wins; else 66; else none). */
export const enum PfxClass { NONE = 0, P66 = 1, PF3 = 2, PF2 = 3 }

/** Does entry `e` accept the instruction's mandatory-prefix class? */
export function prefixMatches(e: number, cls: number): boolean {
  const f = D.flags[e];
  if ((f & F.PNP) !== 0) return cls === PfxClass.NONE;
  if ((f & F.P66) !== 0) return cls === PfxClass.P66;
  if ((f & F.PF3) !== 0) return cls === PfxClass.PF3;
  return true;
}

/**
 * The entry for an encoding: `map` (0 one-byte, 1 0F, 2 0F38, 3 0F3A), opcode byte, ModRM
 * (ignored for opcodes without one; pass -1 when unknown) and mandatory-prefix class.
 * Returns the entry index (0 = invalid encoding).
 */
export function lookupEntry(map: number, opcode: number, modrm: number, pfx: number = PfxClass.NONE): number {
  const v = D.mapSlot[map * 256 + opcode];
  let e: number;
  if (v >= 0) {
    e = v;
  } else {
    if (modrm < 0) return 0;
    const mod = modrm >> 6;
    e = D.groups[~v * MODRM_SLOTS + modrmSlot(mod, (modrm >> 3) & 7, modrm & 7)];
  }
  while (e !== 0 && !prefixMatches(e, pfx)) e = D.next[e];
  return e;
}

/** The entry object for `Insn.entry`. */
export function entryOf(index: number): OpcodeEntry {
  return OPCODE_TABLE[index] ?? INVALID_ENTRY;
}
