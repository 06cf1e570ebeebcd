/**
 * A tiny 32-bit x86 byte emitter for the benchmark guests: just the instructions the guests in
 * `guests.ts` use, each written as its SDM encoding (opcode, ModRM, displacement, immediate), with
 * labels and rel32 fixups.
 *
 * Models: flat 32-bit code and data (no segment overrides, no 16-bit forms except `mov sreg, r16`
 * and the far jump's selector). Does not model: a general assembler — anything not listed here is
 * emitted with `bytes()`.
 */

/** General-purpose registers by their encoding (SDM Vol. 2, Table 2-2 "reg" field). */
export const enum R32 { EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7 }

/** Segment registers by their encoding (Sreg in `8E /r`). */
export const enum SReg32 { ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5 }

interface Fixup {
  /** Offset of the rel32 field. */
  at: number;
  label: string;
  /** 'rel32': target - (at + 4); 'abs32': org + target. */
  kind: 'rel32' | 'abs32';
}

export class Asm {
  private buf: number[] = [];
  private labels = new Map<string, number>();
  private fixups: Fixup[] = [];

  /** `org`: the linear address the first byte is loaded at. */
  constructor(readonly org: number) {}

  get here(): number {
    return this.buf.length;
  }

  /** Linear address of the current position. */
  get addr(): number {
    return this.org + this.buf.length;
  }

  label(name: string): this {
    if (this.labels.has(name)) throw new Error(`asm: label ${name} defined twice`);
    this.labels.set(name, this.buf.length);
    return this;
  }

  /** Linear address of a label (defined by now). */
  addrOf(name: string): number {
    const off = this.labels.get(name);
    if (off === undefined) throw new Error(`asm: label ${name} is not defined yet`);
    return this.org + off;
  }

  bytes(...b: number[]): this {
    for (const x of b) {
      if (!Number.isInteger(x) || x < 0 || x > 255) throw new Error(`asm: byte ${x} out of range`);
      this.buf.push(x);
    }
    return this;
  }

  d16(v: number): this {
    return this.bytes(v & 0xff, (v >>> 8) & 0xff);
  }

  d32(v: number): this {
    return this.bytes(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }

  /** A 32-bit absolute address of a label (resolved at `build()`). */
  abs32(label: string): this {
    this.fixups.push({ at: this.buf.length, label, kind: 'abs32' });
    return this.d32(0);
  }

  private rel32(label: string): this {
    this.fixups.push({ at: this.buf.length, label, kind: 'rel32' });
    return this.d32(0);
  }

  align(n: number, fill = 0x90): this {
    while (this.buf.length % n !== 0) this.buf.push(fill);
    return this;
  }

  // --- data movement
  /** B8+rd id: MOV r32, imm32 */
  movImm(r: R32, imm: number): this {
    return this.bytes(0xb8 + r).d32(imm >>> 0);
  }
  /** B8+rd id with a label's address. */
  movAddr(r: R32, label: string): this {
    return this.bytes(0xb8 + r).abs32(label);
  }
  /** 8B /r with mod=00 r/m=101: MOV r32, [disp32] */
  load(r: R32, addr: number): this {
    return this.bytes(0x8b, (r << 3) | 5).d32(addr >>> 0);
  }
  /** 89 /r with mod=00 r/m=101: MOV [disp32], r32 */
  store(addr: number, r: R32): this {
    return this.bytes(0x89, (r << 3) | 5).d32(addr >>> 0);
  }
  /** 8B /r mod=00: MOV dst, [base] (base not ESP/EBP) */
  loadInd(dst: R32, base: R32): this {
    return this.bytes(0x8b, (dst << 3) | base);
  }
  /** 89 /r mod=00: MOV [base], src (base not ESP/EBP) */
  storeInd(base: R32, src: R32): this {
    return this.bytes(0x89, (src << 3) | base);
  }
  /** 8A /r mod=00: MOV r8, [base] */
  loadByteInd(dst: number, base: R32): this {
    return this.bytes(0x8a, (dst << 3) | base);
  }
  /** 88 /r mod=00: MOV [base], r8 */
  storeByteInd(base: R32, src: number): this {
    return this.bytes(0x88, (src << 3) | base);
  }
  /** 8E /r: MOV Sreg, r16 */
  movSreg(s: SReg32, r: R32): this {
    return this.bytes(0x8e, 0xc0 | (s << 3) | r);
  }

  // --- arithmetic
  /** 01 /r: ADD r/m32, r32 (register form) */
  add(dst: R32, src: R32): this {
    return this.bytes(0x01, 0xc0 | (src << 3) | dst);
  }
  /** 81 /0 id: ADD r/m32, imm32 */
  addImm(dst: R32, imm: number): this {
    return this.bytes(0x81, 0xc0 | dst).d32(imm >>> 0);
  }
  /** 31 /r: XOR r/m32, r32 */
  xor(dst: R32, src: R32): this {
    return this.bytes(0x31, 0xc0 | (src << 3) | dst);
  }
  /** 81 /6 id: XOR r/m32, imm32 */
  xorImm(dst: R32, imm: number): this {
    return this.bytes(0x81, 0xf0 | dst).d32(imm >>> 0);
  }
  /** 81 /1 id: OR r/m32, imm32 */
  orImm(dst: R32, imm: number): this {
    return this.bytes(0x81, 0xc8 | dst).d32(imm >>> 0);
  }
  /** 0F AF /r: IMUL r32, r/m32 */
  imul(dst: R32, src: R32): this {
    return this.bytes(0x0f, 0xaf, 0xc0 | (dst << 3) | src);
  }
  /** 40+rd: INC r32 */
  inc(r: R32): this {
    return this.bytes(0x40 + r);
  }
  /** 48+rd: DEC r32 */
  dec(r: R32): this {
    return this.bytes(0x48 + r);
  }
  /** FF /0 mod=00 r/m=101: INC dword [disp32] */
  incMem(addr: number): this {
    return this.bytes(0xff, 0x05).d32(addr >>> 0);
  }
  /** 3B /r mod=00 r/m=101: CMP r32, [disp32] */
  cmpMem(r: R32, addr: number): this {
    return this.bytes(0x3b, (r << 3) | 5).d32(addr >>> 0);
  }

  // --- control flow
  /** E9 cd: JMP rel32 */
  jmp(label: string): this {
    return this.bytes(0xe9).rel32(label);
  }
  /** 0F 85 cd: JNZ rel32 */
  jnz(label: string): this {
    return this.bytes(0x0f, 0x85).rel32(label);
  }
  /** 0F 84 cd: JZ rel32 */
  jz(label: string): this {
    return this.bytes(0x0f, 0x84).rel32(label);
  }
  /** 0F 82 cd: JB rel32 */
  jb(label: string): this {
    return this.bytes(0x0f, 0x82).rel32(label);
  }
  /** 0F 87 cd: JA rel32 */
  ja(label: string): this {
    return this.bytes(0x0f, 0x87).rel32(label);
  }
  /** EA cd iw: JMP ptr16:32 */
  jmpFar(sel: number, label: string): this {
    return this.bytes(0xea).abs32(label).d16(sel);
  }
  /** CF: IRETD */
  iret(): this {
    return this.bytes(0xcf);
  }

  // --- system
  /** 0F 01 /2 mod=00 r/m=101: LGDT m */
  lgdt(label: string): this {
    return this.bytes(0x0f, 0x01, 0x15).abs32(label);
  }
  /** 0F 01 /3 mod=00 r/m=101: LIDT m */
  lidt(label: string): this {
    return this.bytes(0x0f, 0x01, 0x1d).abs32(label);
  }
  /** 0F 20 /r: MOV r32, CRn */
  movFromCr(r: R32, cr: number): this {
    return this.bytes(0x0f, 0x20, 0xc0 | (cr << 3) | r);
  }
  /** 0F 22 /r: MOV CRn, r32 */
  movToCr(cr: number, r: R32): this {
    return this.bytes(0x0f, 0x22, 0xc0 | (cr << 3) | r);
  }
  cpuid(): this {
    return this.bytes(0x0f, 0xa2);
  }
  rdmsr(): this {
    return this.bytes(0x0f, 0x32);
  }
  wrmsr(): this {
    return this.bytes(0x0f, 0x30);
  }
  vmcall(): this {
    return this.bytes(0x0f, 0x01, 0xc1);
  }
  hlt(): this {
    return this.bytes(0xf4);
  }
  sti(): this {
    return this.bytes(0xfb);
  }
  cli(): this {
    return this.bytes(0xfa);
  }
  /** E6 ib: OUT imm8, AL */
  outImm(port: number): this {
    return this.bytes(0xe6, port);
  }
  /** E4 ib: IN AL, imm8 */
  inImm(port: number): this {
    return this.bytes(0xe4, port);
  }
  /** B0 ib + E6 ib: MOV AL, v; OUT port, AL */
  outb(port: number, v: number): this {
    return this.bytes(0xb0, v & 0xff, 0xe6, port);
  }
  /** F3 A5: REP MOVSD */
  repMovsd(): this {
    return this.bytes(0xf3, 0xa5);
  }

  /** Resolve fixups and return the image. */
  build(): Uint8Array {
    const out = Uint8Array.from(this.buf);
    for (const f of this.fixups) {
      const t = this.labels.get(f.label);
      if (t === undefined) throw new Error(`asm: undefined label ${f.label}`);
      const v = f.kind === 'rel32' ? t - (f.at + 4) : this.org + t;
      out[f.at] = v & 0xff;
      out[f.at + 1] = (v >>> 8) & 0xff;
      out[f.at + 2] = (v >>> 16) & 0xff;
      out[f.at + 3] = (v >>> 24) & 0xff;
    }
    return out;
  }
}
