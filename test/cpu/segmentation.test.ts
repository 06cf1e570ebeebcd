import { describe, expect, it } from 'vitest';
import { SReg, StopReason, Vec, AR } from '../../src/cpu/state.js';
import { loadSegment, setCpl } from '../../src/cpu/segmentation.js';
import { CODE, GDT, Sel, enterRing3, expectFault, handlerOf, loadCode, makeSys, r8, r32, setDesc, KERNEL_STACK } from './sys-harness.js';

type Row = [name: string, cpl: number, sreg: SReg, sel: number, vector: number | null, err?: number];

const rows: Row[] = [
  ['null SS', 0, SReg.SS, 0, Vec.GP, 0],
  ['null SS with RPL 3 at CPL 3', 3, SReg.SS, 3, Vec.GP, 0],
  ['SS RPL != CPL', 0, SReg.SS, Sel.DATA3, Vec.GP, 0x20],
  ['SS DPL != CPL', 0, SReg.SS, Sel.DATA3 & ~3, Vec.GP, 0x20],
  ['SS read-only data', 0, SReg.SS, Sel.DATA_RO, Vec.GP, Sel.DATA_RO],
  ['SS code segment', 0, SReg.SS, Sel.CODE_R0, Vec.GP, Sel.CODE_R0],
  ['SS not present → #SS', 0, SReg.SS, Sel.DATA_NP, Vec.SS, Sel.DATA_NP],
  ['SS valid', 0, SReg.SS, Sel.DATA0, null],
  ['SS valid at CPL 3', 3, SReg.SS, Sel.DATA3, null],
  ['DS not present → #NP', 0, SReg.DS, Sel.DATA_NP, Vec.NP, Sel.DATA_NP],
  ['DS execute-only code', 0, SReg.DS, Sel.CODE_XO, Vec.GP, Sel.CODE_XO],
  ['DS readable code', 0, SReg.DS, Sel.CODE_R0, null],
  ['DS DPL 0 at CPL 3', 3, SReg.DS, Sel.DATA0 | 3, Vec.GP, Sel.DATA0],
  ['DS RPL > DPL', 0, SReg.DS, Sel.DATA1 | 3, Vec.GP, Sel.DATA1],
  ['DS RPL = DPL = 1 at CPL 0', 0, SReg.DS, Sel.DATA1 | 1, null],
  ['ES beyond GDT limit', 0, SReg.ES, 0x1f8, Vec.GP, 0x1f8],
  ['FS LDT selector with null LDTR', 0, SReg.FS, 0x0c, Vec.GP, 0x0c],
  ['GS TSS descriptor', 0, SReg.GS, Sel.TSS, Vec.GP, Sel.TSS],
  ['DS null is fine', 3, SReg.DS, 0, null],
  ['DS conforming readable code DPL 3 at CPL 3', 3, SReg.DS, Sel.CODE_CONF3, null],
  ['DS conforming code ignores DPL at CPL 0', 0, SReg.DS, Sel.CODE_CONF3 & ~3, null],
];

describe('loadSegment (MOV/POP Sreg checks)', () => {
  for (const [name, cpl, sreg, sel, vector, err] of rows) {
    it(name, () => {
      const { cpu } = makeSys();
      if (cpl === 3) enterRing3(cpu); else setCpl(cpu, 0);
      if (vector === null) {
        loadSegment(cpu, sreg, sel);
        expect(cpu.seg[sreg]!.selector).toBe(sel);
        if ((sel & 0xfffc) === 0) expect(cpu.seg[sreg]!.ar & AR.UNUSABLE).toBe(AR.UNUSABLE);
        else expect(cpu.seg[sreg]!.ar & AR.UNUSABLE).toBe(0);
      } else {
        const before = { ...cpu.seg[sreg]! };
        expectFault(cpu, () => loadSegment(cpu, sreg, sel), vector, err);
        expect(cpu.seg[sreg]).toEqual(before);
      }
    });
  }

  it('sets the accessed bit in the descriptor in memory and loads the cache in AR format', () => {
    const { cpu } = makeSys();
    expect(r8(cpu, GDT + Sel.DATA0 + 5)).toBe(0x92);
    loadSegment(cpu, SReg.DS, Sel.DATA0);
    expect(r8(cpu, GDT + Sel.DATA0 + 5)).toBe(0x93);
    const ds = cpu.seg[SReg.DS]!;
    expect(ds).toEqual({ selector: Sel.DATA0, base: 0, limit: 0xffffffff, ar: 0xc093 });
    loadSegment(cpu, SReg.ES, Sel.DATA_SMALL);
    expect(cpu.seg[SReg.ES]).toEqual({ selector: Sel.DATA_SMALL, base: 0x60000, limit: 0xff, ar: 0x4093 });
  });

  it('expand-down segment: offsets above the limit up to 0xFFFF (B = 0) are valid', () => {
    const { cpu } = makeSys();
    loadSegment(cpu, SReg.DS, Sel.DATA_EXPDOWN);
    expect(cpu.seg[SReg.DS]!.ar & 0xf).toBe(0x7);
    expect(() => cpu.read8(SReg.DS, 0x1000)).not.toThrow();
    expect(() => cpu.read16(SReg.DS, 0xfffe)).not.toThrow();
    expectFault(cpu, () => cpu.read8(SReg.DS, 0x0fff), Vec.GP, 0);
    expectFault(cpu, () => cpu.read16(SReg.DS, 0xffff), Vec.GP, 0);
    // With B = 1 the upper bound is 4 GiB - 1.
    setDesc(cpu, Sel.FREE1, 0x50000, 0x0fff, 0x96, 0x4);
    loadSegment(cpu, SReg.ES, Sel.FREE1);
    expect(() => cpu.read8(SReg.ES, 0x10000)).not.toThrow();
    expectFault(cpu, () => cpu.read8(SReg.ES, 0x800), Vec.GP, 0);
  });

  it('expand-down stack segment is accepted for SS and limit-checked as #SS', () => {
    const { cpu } = makeSys();
    setDesc(cpu, Sel.FREE1, 0x50000, 0x0fff, 0x96, 0x0);
    loadSegment(cpu, SReg.SS, Sel.FREE1);
    cpu.regs[4] = 0x1001;
    expectFault(cpu, () => cpu.push16(0x1234), Vec.SS, 0);
  });

  it('real mode: base = selector << 4, no checks', () => {
    const { cpu } = makeSys();
    cpu.cr0 &= ~1;
    loadSegment(cpu, SReg.DS, 0x1234);
    expect(cpu.seg[SReg.DS]!.base).toBe(0x12340);
    loadSegment(cpu, SReg.SS, 0);
    expect(cpu.seg[SReg.SS]!.base).toBe(0);
  });
});

describe('segment-load faults in a running program', () => {
  const cases: [string, number[], number, number, number?][] = [
    // mov ax, 0x30 ; mov ds, ax  → #NP(0x30)
    ['mov ds, not-present', [0x66, 0xb8, 0x30, 0x00, 0x8e, 0xd8], Vec.NP, 0x30],
    // mov ax, 0 ; mov ss, ax  → #GP(0)
    ['mov ss, null', [0x66, 0xb8, 0x00, 0x00, 0x8e, 0xd0], Vec.GP, 0],
    // mov ax, 0x48 ; mov es, ax  → #GP(0x48)
    ['mov es, execute-only code', [0x66, 0xb8, 0x48, 0x00, 0x8e, 0xc0], Vec.GP, 0x48],
    // push 0x38 ; pop ss → #GP(0x38)
    ['pop ss, read-only', [0x6a, 0x38, 0x17], Vec.GP, 0x38, 4],
    // mov ax,0x88 ; mov ds,ax ; mov eax,[0x100] → #GP(0) limit
    ['limit exceeded', [0x66, 0xb8, 0x88, 0x00, 0x8e, 0xd8, 0xa1, 0x00, 0x01, 0x00, 0x00], Vec.GP, 0],
    // lds eax, [0x20000] with selector 0x30 there → #NP(0x30)
    ['lds not-present', [0xc5, 0x05, 0x00, 0x00, 0x02, 0x00], Vec.NP, 0x30],
  ];
  for (const [name, code, vector, err, pushed = 0] of cases) {
    it(name, () => {
      const { cpu } = makeSys();
      cpu.phys.ram[0x20004] = 0x30;
      loadCode(cpu, [...code, 0xf4]);
      const r = cpu.run(100);
      expect(r).toBe(StopReason.HALT);
      expect(cpu.eip).toBe(handlerOf(vector) + 1);
      const esp = cpu.regs[4]! >>> 0;
      // Error code, then EIP of the faulting instruction.
      expect(r32(cpu, esp)).toBe(err);
      expect(r32(cpu, esp + 4)).toBeGreaterThanOrEqual(CODE);
      expect(esp).toBe(KERNEL_STACK - pushed - 16);
    });
  }
});
