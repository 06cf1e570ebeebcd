/**
 * Test machine for the executor: FlatPhysicalMemory (2 MiB) + a recording I/O bus, a Cpu in flat
 * 32-bit protected mode (GDT, IDT with one HLT handler per vector) or real mode (IVT to the same
 * handlers). Code is raw bytes written at CODE; the run stops at the first HLT.
 *
 * Layout: IVT 0-3FF, GDT 0x1000, IDT 0x2000, handlers 0x3000 + 16*vector (HLT), code 0x10000,
 * data 0x20000, stack top 0x80000.
 */
import { Cpu } from '../../src/cpu/cpu.js';
import { FlatPhysicalMemory } from '../../src/memory/physical.js';
import type { IoBus } from '../../src/devices/device.js';
import { StopReason } from '../../src/cpu/state.js';

export const CODE = 0x10000;
export const DATA = 0x20000;
export const STACK = 0x80000;
export const HANDLERS = 0x3000;

export class MockIo implements IoBus {
  readonly log: { dir: 'in' | 'out'; port: number; size: number; value: number }[] = [];
  /** Values returned by IN, consumed in order (then 0xFF..). */
  readonly inputs: number[] = [];
  in(port: number, size: 1 | 2 | 4): number {
    const v = this.inputs.length > 0 ? this.inputs.shift()! : 0xffffffff;
    const m = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    this.log.push({ dir: 'in', port, size, value: (v & m) >>> 0 });
    return (v & m) >>> 0;
  }
  out(port: number, size: 1 | 2 | 4, value: number): void {
    this.log.push({ dir: 'out', port, size, value });
  }
}

export interface TestMachine {
  cpu: Cpu;
  mem: FlatPhysicalMemory;
  io: MockIo;
  bits: 16 | 32;
}

function w32(ram: Uint8Array, a: number, v: number): void {
  ram[a] = v; ram[a + 1] = v >>> 8; ram[a + 2] = v >>> 16; ram[a + 3] = v >>> 24;
}
function w16(ram: Uint8Array, a: number, v: number): void {
  ram[a] = v; ram[a + 1] = v >>> 8;
}

export function makeMachine(bits: 16 | 32 = 32): TestMachine {
  const mem = new FlatPhysicalMemory(2 * 1024 * 1024);
  const io = new MockIo();
  const cpu = new Cpu(mem, io);
  const ram = mem.ram;
  // GDT: null, 0x08 code 4G 32-bit, 0x10 data 4G, 0x18 code 16-bit 64K
  w32(ram, 0x1000 + 8, 0x0000ffff); w32(ram, 0x1000 + 12, 0x00cf9a00);
  w32(ram, 0x1000 + 16, 0x0000ffff); w32(ram, 0x1000 + 20, 0x00cf9200);
  // 0x18 user code (DPL 3), 0x20 user data (DPL 3), 0x28 32-bit TSS at 0x4000 (ESP0 = STACK, SS0 = 0x10)
  w32(ram, 0x1000 + 24, 0x0000ffff); w32(ram, 0x1000 + 28, 0x00cffa00);
  w32(ram, 0x1000 + 32, 0x0000ffff); w32(ram, 0x1000 + 36, 0x00cff200);
  w32(ram, 0x1000 + 40, 0x40000067); w32(ram, 0x1000 + 44, 0x00008b00);
  w32(ram, 0x4004, STACK); w32(ram, 0x4008, 0x10); w16(ram, 0x4066, 0x68); // I/O map base beyond the limit: no bitmap
  for (let v = 0; v < 256; v++) {
    const h = HANDLERS + 16 * v;
    ram[h] = 0xf4; // hlt
    // IDT: 32-bit interrupt gate, selector 0x08
    w32(ram, 0x2000 + v * 8, (h & 0xffff) | (0x08 << 16));
    w32(ram, 0x2000 + v * 8 + 4, (h & 0xffff0000) | 0x8e00);
    // IVT: 0000:h
    w16(ram, v * 4, h);
    w16(ram, v * 4 + 2, 0);
  }
  cpu.setFlat(bits, CODE, STACK);
  if (bits === 32) {
    cpu.gdtr = { base: 0x1000, limit: 0x2f };
    cpu.tr = { selector: 0x28, base: 0x4000, limit: 0x67, ar: 0x8b };
    cpu.idtr = { base: 0x2000, limit: 0x7ff };
  } else {
    // Real mode: CS = 1000h (code at CODE), DS = 2000h (DATA), ES = 3000h, SS = 7000h, SP = FFF0h
    // (top at STACK - 0x10).
    cpu.idtr = { base: 0, limit: 0x3ff };
    const set = (i: number, sel: number) => { const s = cpu.seg[i]!; s.selector = sel; s.base = sel << 4; };
    set(1, CODE >>> 4); set(3, DATA >>> 4); set(0, 0x3000); set(2, 0x7000); set(4, 0); set(5, 0);
    cpu.eip = 0;
    cpu.regs[4] = 0xfff0;
  }
  return { cpu, mem, io, bits };
}

/** Switch a 32-bit test machine to CPL 3 (user code/data selectors, user stack at STACK - 0x1000).
 *  Exceptions then switch to the ring-0 stack from the TSS (frame: SS ESP EFLAGS CS EIP [err]
 *  below STACK). */
export function enterUser(m: TestMachine, eflags = 0x202): void {
  const cpu = m.cpu;
  for (let i = 0; i < 6; i++) {
    const s = cpu.seg[i]!;
    s.selector = i === 1 ? 0x1b : 0x23;
    s.ar = i === 1 ? 0xc0fb : 0xc0f3;
  }
  cpu.cpl = 3;
  cpu.mmu.cplChanged();
  cpu.setEflags(eflags);
  cpu.regs[4] = STACK - 0x1000;
}

/** Write code (bytes) at CODE and point EIP at it; invalidates decoded instructions there. */
export function loadCode(m: TestMachine, bytes: number[], at = CODE): void {
  m.mem.ram.set(bytes, at);
  m.cpu.invalidateCode(at, bytes.length);
  m.cpu.eip = at - m.cpu.seg[1]!.base;
}

/** Run until HLT (or the budget); returns the stop reason. */
export function run(m: TestMachine, budget = 10000): StopReason {
  m.cpu.activity = 0;
  return m.cpu.run(budget);
}

/** If the CPU halted inside an exception handler, its vector; else -1. */
export function haltedInVector(m: TestMachine): number {
  const e = m.cpu.eip - 1 - HANDLERS;
  if (e < 0 || e >= 256 * 16 || e % 16 !== 0) return -1;
  return e / 16;
}

export function rd32(m: TestMachine, a: number): number {
  const r = m.mem.ram;
  return (r[a]! | (r[a + 1]! << 8) | (r[a + 2]! << 16) | (r[a + 3]! << 24)) >>> 0;
}
export function rd16(m: TestMachine, a: number): number {
  const r = m.mem.ram;
  return r[a]! | (r[a + 1]! << 8);
}

export { EDGES, CF, PF, AF, ZF, SF, OF, STATUS, refSzp } from './exec-ref.js';
