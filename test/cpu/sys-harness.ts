/**
 * Test machine for the system-architecture tests (segmentation, interrupts, tasks, paging, v8086):
 * FlatPhysicalMemory (4 MiB), a recording I/O bus and a Cpu in flat 32-bit protected mode with a
 * GDT that has one descriptor of every interesting kind, an IDT whose gates lead to one HLT per
 * vector, and a 32-bit TSS with an I/O permission bitmap.
 *
 * Layout (physical = linear unless a test enables paging):
 *   GDT 0x1000 | IDT 0x2000 | handlers 0x3000 + 16*vector (HLT) | TSS 0x4000 (bitmap at 0x4068)
 *   TSS2 0x6800 | code 0x10000 | data 0x20000 | user stack top 0x70000 | kernel stack top 0x90000
 */
import { Cpu } from '../../src/cpu/cpu.js';
import { FlatPhysicalMemory } from '../../src/memory/physical.js';
import type { IoBus } from '../../src/devices/device.js';
import { SReg, UNWIND } from '../../src/cpu/state.js';
import { setCpl } from '../../src/cpu/segmentation.js';
import { expect } from 'vitest';

export const GDT = 0x1000;
export const IDT = 0x2000;
export const HANDLERS = 0x3000;
export const TSS = 0x4000;
export const TSS2 = 0x6800;
export const CODE = 0x10000;
export const DATA = 0x20000;
export const USER_STACK = 0x70000;
export const KERNEL_STACK = 0x90000;

/** Selectors of the harness GDT. */
export const Sel = {
  CODE0: 0x08, DATA0: 0x10, CODE3: 0x1b, DATA3: 0x23, TSS: 0x28, DATA_NP: 0x30, DATA_RO: 0x38,
  DATA_EXPDOWN: 0x40, CODE_XO: 0x48, CODE_R0: 0x50, DATA1: 0x58, CODE_CONF3: 0x60, TSS2: 0x68,
  FREE1: 0x70, FREE2: 0x78, DATA16: 0x80, DATA_SMALL: 0x88, CODE16_0: 0x90, FREE3: 0x98, FREE4: 0xa0,
} as const;

export class RecordingIo implements IoBus {
  readonly log: string[] = [];
  in(port: number, size: 1 | 2 | 4): number {
    this.log.push(`in${size} ${port.toString(16)}`);
    return size === 1 ? 0x5a : size === 2 ? 0x5a5a : 0x5a5a5a5a;
  }
  out(port: number, size: 1 | 2 | 4, value: number): void {
    this.log.push(`out${size} ${port.toString(16)}=${value.toString(16)}`);
  }
}

export function w8(cpu: Cpu, a: number, v: number): void {
  cpu.phys.ram[a] = v;
  cpu.invalidateCode(a, 1);
}
export function w16(cpu: Cpu, a: number, v: number): void {
  w8(cpu, a, v); w8(cpu, a + 1, v >>> 8);
}
export function w32(cpu: Cpu, a: number, v: number): void {
  w16(cpu, a, v); w16(cpu, a + 2, v >>> 16);
}
export function r8(cpu: Cpu, a: number): number {
  return cpu.phys.ram[a]!;
}
export function r16(cpu: Cpu, a: number): number {
  return r8(cpu, a) | (r8(cpu, a + 1) << 8);
}
export function r32(cpu: Cpu, a: number): number {
  return (r16(cpu, a) | (r16(cpu, a + 2) << 16)) >>> 0;
}

/**
 * Segment descriptor: `access` = P | DPL | S | type byte, `flags` = G D/B L AVL nibble.
 *   lo = limit 15:0 | base 15:0 << 16;  hi = base 23:16 | access << 8 | limit 19:16 | flags << 20 | base 31:24
 */
export function setDesc(cpu: Cpu, sel: number, base: number, limit: number, access: number, flags: number): void {
  const a = GDT + (sel & 0xfff8);
  w32(cpu, a, (limit & 0xffff) | ((base & 0xffff) << 16));
  w32(cpu, a + 4, ((base >>> 16) & 0xff) | (access << 8) | (limit & 0xf0000) | (flags << 20) | (base & 0xff000000));
}

/** Gate descriptor (call/interrupt/trap/task): `access` = P | DPL | type byte, `count` param count. */
export function gateDesc(cpu: Cpu, addr: number, sel: number, offset: number, access: number, count = 0): void {
  w32(cpu, addr, (offset & 0xffff) | (sel << 16));
  w32(cpu, addr + 4, (offset & 0xffff0000) | (access << 8) | count);
}

export function setIdtGate(cpu: Cpu, vector: number, sel: number, offset: number, access: number): void {
  gateDesc(cpu, IDT + vector * 8, sel, offset, access);
}

export interface SysMachine {
  cpu: Cpu;
  mem: FlatPhysicalMemory;
  io: RecordingIo;
}

export function handlerOf(vector: number): number {
  return HANDLERS + 16 * vector;
}

export function makeSys(): SysMachine {
  const mem = new FlatPhysicalMemory(4 * 1024 * 1024);
  const io = new RecordingIo();
  const cpu = new Cpu(mem, io);
  setDesc(cpu, Sel.CODE0, 0, 0xfffff, 0x9a, 0xc);
  setDesc(cpu, Sel.DATA0, 0, 0xfffff, 0x92, 0xc);
  setDesc(cpu, Sel.CODE3, 0, 0xfffff, 0xfa, 0xc);
  setDesc(cpu, Sel.DATA3, 0, 0xfffff, 0xf2, 0xc);
  setDesc(cpu, Sel.TSS, TSS, 0x68 + 0x2000, 0x89, 0);
  setDesc(cpu, Sel.DATA_NP, 0, 0xfffff, 0x12, 0xc);
  setDesc(cpu, Sel.DATA_RO, 0, 0xfffff, 0x90, 0xc);
  setDesc(cpu, Sel.DATA_EXPDOWN, 0x50000, 0x0fff, 0x96, 0x0);
  setDesc(cpu, Sel.CODE_XO, 0, 0xfffff, 0x98, 0xc);
  setDesc(cpu, Sel.CODE_R0, 0, 0xfffff, 0x9a, 0xc);
  setDesc(cpu, Sel.DATA1, 0, 0xfffff, 0xb2, 0xc);
  setDesc(cpu, Sel.CODE_CONF3, 0, 0xfffff, 0xfe, 0xc);
  setDesc(cpu, Sel.TSS2, TSS2, 0x67, 0x89, 0);
  setDesc(cpu, Sel.DATA16, 0, 0xffff, 0x92, 0x0);
  setDesc(cpu, Sel.DATA_SMALL, 0x60000, 0xff, 0x92, 0x4);
  setDesc(cpu, Sel.CODE16_0, 0, 0xffff, 0x9a, 0x0);
  for (let v = 0; v < 256; v++) {
    w8(cpu, handlerOf(v), 0xf4); // hlt
    setIdtGate(cpu, v, Sel.CODE0, handlerOf(v), 0x8e); // 32-bit interrupt gate, DPL 0
  }
  // TSS: ESP0/SS0, I/O map base 0x68, bitmap all zero (allowed) + terminating 0xFF byte.
  w32(cpu, TSS + 4, KERNEL_STACK);
  w32(cpu, TSS + 8, Sel.DATA0);
  w16(cpu, TSS + 0x66, 0x68);
  w8(cpu, TSS + 0x68 + 0x2000, 0xff);
  cpu.setFlat(32, CODE, KERNEL_STACK);
  cpu.gdtr = { base: GDT, limit: 0xff };
  cpu.idtr = { base: IDT, limit: 0x7ff };
  cpu.tr = { selector: Sel.TSS, base: TSS, limit: 0x68 + 0x2000, ar: 0x8b };
  w8(cpu, GDT + Sel.TSS + 5, 0x8b); // busy
  cpu.ldtr = { selector: 0, base: 0, limit: 0, ar: 0x10000 };
  return { cpu, mem, io };
}

/** Put the CPU at CPL 3 with flat ring-3 segments, EIP = `eip`, ESP = `esp`. */
export function enterRing3(cpu: Cpu, eip = CODE, esp = USER_STACK): void {
  for (let i = 0; i < 6; i++) {
    const s = cpu.seg[i]!;
    s.base = 0; s.limit = 0xffffffff;
    if (i === SReg.CS) { s.selector = Sel.CODE3; s.ar = 0xc0fb; } else { s.selector = Sel.DATA3; s.ar = 0xc0f3; }
  }
  setCpl(cpu, 3);
  cpu.eip = eip;
  cpu.regs[4] = esp;
}

export function loadCode(cpu: Cpu, bytes: number[], at = CODE): void {
  cpu.phys.ram.set(bytes, at);
  cpu.invalidateCode(at, bytes.length);
}

/** Run `fn`, expecting it to raise `vector` with `errorCode` (undefined: no error code). */
export function expectFault(cpu: Cpu, fn: () => void, vector: number, errorCode?: number): void {
  let thrown: unknown = null;
  cpu.excVector = -1;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected fault ${vector}`).toBe(UNWIND);
  expect(cpu.excVector).toBe(vector);
  if (errorCode !== undefined) {
    expect(cpu.excHasErrorCode).toBe(true);
    expect(cpu.excErrorCode).toBe(errorCode);
  }
  cpu.excVector = -1;
}
