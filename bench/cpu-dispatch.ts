/**
 * Switch versus handler table for the executor's dispatch (STYLE.md "Hot paths": decided by a
 * benchmark in bench/, written down with its numbers — see bench/cpu-dispatch.md).
 *
 *   switch  one `switch (insn.op)` whose cases call the family functions (exec/index.ts before
 *           the decision): every call site sees one target, V8 may inline it
 *   table   `HANDLERS[insn.op](cpu, insn)`: an array of functions indexed by `Op` (what
 *           exec/index.ts uses now): one call site that sees every target (megamorphic)
 *
 * Both are built here from one mapping `Op` → family function (`handlerFor`, the same as
 * exec/index.ts), the switch as generated source with numeric case labels (what tsc emits for
 * `case Op.ADD:` with the const enum inlined), so neither depends on which one the library uses.
 * A third line times the library's own `execute` for reference.
 *
 * Both execute the same pre-decoded mix of 44 common 32-bit instructions (ALU, Jcc, MOV with
 * memory operands, PUSH/POP, CALL/RET, MOVZX/MOVSX, shifts, SETcc/CMOVcc, IMUL, BT, ...; the
 * bytes and their disassembly are below) on a flat 32-bit CPU, registers reset before each pass.
 * The CPU comes from dist/ (the compiled library, where `const enum` values are inlined
 * constants as in production; tsx would turn them into property loads), so build first:
 *
 *   npx tsc -p . && node --import tsx bench/cpu-dispatch.ts
 *
 * Prints one benchmark.js line per variant (passes of the mix per second, ns per instruction)
 * and the switch/table ratio.
 */
import Benchmark from 'benchmark';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Cpu as CpuType } from '../src/cpu/cpu.js';
import { Op } from '../src/cpu/opcodes.js';
import type { Insn as InsnType } from '../src/cpu/insn.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
if (!existsSync(join(DIST, 'cpu', 'cpu.js'))) {
  process.stderr.write(`cpu-dispatch: ${join(DIST, 'cpu', 'cpu.js')} not found: run \`npx tsc -p .\` first\n`);
  process.exit(1);
}
const load = (p: string): Promise<Record<string, any>> => import(pathToFileURL(join(DIST, p)).href);

const { Cpu } = await load('cpu/cpu.js');
const { Insn } = await load('cpu/insn.js');
const { decodeBytes } = await load('cpu/decoder.js');
const { FlatPhysicalMemory } = await load('memory/physical.js');
const { execute } = await load('cpu/exec/index.js');
const alu = await load('cpu/exec/alu.js');
const shift = await load('cpu/exec/shift.js');
const muldiv = await load('cpu/exec/muldiv.js');
const bcd = await load('cpu/exec/bcd.js');
const data = await load('cpu/exec/data.js');
const str = await load('cpu/exec/string.js');
const control = await load('cpu/exec/control.js');
const stack = await load('cpu/exec/stack.js');
const io = await load('cpu/exec/io.js');

type Handler = (cpu: CpuType, insn: InsnType) => void;

/** The handler for each operation: what `execute`'s switch calls for it (null: the default
 *  branch, system operations, which are not in the mix). */
function handlerFor(op: number): Handler | null {
  switch (op) {
    case Op.ADD: case Op.OR: case Op.ADC: case Op.SBB: case Op.AND: case Op.SUB: case Op.XOR:
    case Op.CMP:
      return alu.execAlu;
    case Op.TEST: return alu.execTest;
    case Op.INC: case Op.DEC: return alu.execIncDec;
    case Op.NEG: case Op.NOT: return alu.execNegNot;
    case Op.MOV: return data.execMov;
    case Op.JCC: return control.execJcc;
    case Op.PUSH: return stack.execPush;
    case Op.POP: return stack.execPop;
    case Op.LEA: return data.execLea;
    case Op.CALL: return control.execCall;
    case Op.RETN: return control.execRet;
    case Op.JMP: return control.execJmp;
    case Op.MOVZX: case Op.MOVSX: return data.execMovx;
    case Op.XCHG: return data.execXchg;
    case Op.ROL: case Op.ROR: case Op.RCL: case Op.RCR: case Op.SHL: case Op.SHR: case Op.SAR:
      return shift.execShift;
    case Op.SHLD: case Op.SHRD: return shift.execShld;
    case Op.MOVS: case Op.CMPS: case Op.STOS: case Op.LODS: case Op.SCAS: case Op.INS: case Op.OUTS:
      return str.execString;
    case Op.LOOP: case Op.LOOPE: case Op.LOOPNE: case Op.JCXZ: return control.execLoop;
    case Op.MUL: case Op.IMUL: return muldiv.execMul;
    case Op.IMUL2: case Op.IMUL3: return muldiv.execImul23;
    case Op.DIV: case Op.IDIV: return muldiv.execDiv;
    case Op.DAA: case Op.DAS: case Op.AAA: case Op.AAS: case Op.AAM: case Op.AAD: case Op.SALC:
      return bcd.execBcd;
    case Op.CMOVCC: return data.execCmov;
    case Op.SETCC: return data.execSetcc;
    case Op.BT: case Op.BTS: case Op.BTR: case Op.BTC: return data.execBt;
    case Op.BSF: case Op.BSR: return data.execBsfBsr;
    case Op.XADD: return data.execXadd;
    case Op.CMPXCHG: return data.execCmpxchg;
    case Op.CMPXCHG8B: return data.execCmpxchg8b;
    case Op.BSWAP: return data.execBswap;
    case Op.XLAT: return data.execXlat;
    case Op.CBW_CWDE: case Op.CWD_CDQ: return data.execConvert;
    case Op.LAHF: case Op.SAHF: case Op.CLC: case Op.STC: case Op.CMC: case Op.CLD: case Op.STD:
      return data.execFlagOp;
    case Op.CLI: case Op.STI: return io.execCliSti;
    case Op.PUSHF: return stack.execPushf;
    case Op.POPF: return stack.execPopf;
    case Op.PUSH_SREG: return stack.execPushSreg;
    case Op.MOV_FROM_SREG: return data.execMovFromSreg;
    case Op.PUSHA: return stack.execPusha;
    case Op.POPA: return stack.execPopa;
    case Op.ENTER: return stack.execEnter;
    case Op.LEAVE: return stack.execLeave;
    case Op.IN: case Op.OUT: return io.execInOut;
    case Op.HLT: return io.execHlt;
    case Op.NOP: return () => {};
    case Op.PAUSE: return io.execPause;
    case Op.WAIT: return (cpu) => io.execWait(cpu);
    default: return null;
  }
}

/** Operations the switch sends to its default branch (system operations, #NM, #UD) get one
 *  handler that does exactly that through the library's `execute` (none is in the mix). */
const other: Handler = (cpu, insn) => execute(cpu, insn);

function buildTable(): Handler[] {
  const t: Handler[] = [];
  for (let op = 0; op < Op.COUNT; op++) t.push(handlerFor(op) ?? other);
  return t;
}

/** The switch: generated source, one `case` group and one call site per family function. */
function buildSwitch(): Handler {
  const fns: Handler[] = [];
  const cases: number[][] = [];
  for (let op = 0; op < Op.COUNT; op++) {
    const h = handlerFor(op);
    if (h === null) continue;
    let i = fns.indexOf(h);
    if (i < 0) { i = fns.length; fns.push(h); cases.push([]); }
    cases[i]!.push(op);
  }
  const body = cases.map((ops, i) => `    ${ops.map((o) => `case ${o}:`).join(' ')} f${i}(cpu, insn); return;`).join('\n');
  const src = `return function execute(cpu, insn) {\n  switch (insn.op) {\n${body}\n    default: other(cpu, insn);\n  }\n};`;
  const names = fns.map((_, i) => `f${i}`);
  return new Function(...names, 'other', src)(...fns, other) as Handler;
}

/*
 * The mix (org 0x1000, 32-bit code): nasm listing.
 *   01C8 add eax,ecx | 31C3 xor ebx,eax | 49 dec ecx | 7500 jnz | 8B5608 mov edx,[esi+8]
 *   895704 mov [edi+4],edx | FF07 inc dword [edi] | 3D34120000 cmp eax,0x1234 | 7300 jae
 *   8D5C8E10 lea ebx,[esi+ecx*4+16] | 53 push ebx | 6A10 push 0x10 | 5A pop edx | 5B pop ebx
 *   0FB606 movzx eax,byte [esi] | 0FBF5602 movsx edx,word [esi+2] | A801 test al,1
 *   C1E003 shl eax,3 | D1EA shr edx,1 | 81E1FF000000 and ecx,0xff | 09D0 or eax,edx
 *   83EE04 sub esi,4 | 83C604 add esi,4 | 0F94C0 setz al | 0F45DA cmovnz ebx,edx
 *   E800000000 call | C3 ret | 6BC30A imul eax,ebx,10 | 92 xchg eax,edx | F7D8 neg eax
 *   F7D0 not eax | 19D8 sbb eax,ebx | 83D100 adc ecx,0 | 8A040E mov al,[esi+ecx] | 99 cdq
 *   0FBAE003 bt eax,3 | 884708 mov [edi+8],al | 01470C add [edi+12],eax | 807E0107 cmp byte [esi+1],7
 *   7C00 jl | 46 inc esi | 4E dec esi | B940000000 mov ecx,0x40 | 90 nop
 */
const MIX = Uint8Array.from([
  0x01, 0xc8, 0x31, 0xc3, 0x49, 0x75, 0x00, 0x8b, 0x56, 0x08, 0x89, 0x57, 0x04, 0xff, 0x07, 0x3d,
  0x34, 0x12, 0x00, 0x00, 0x73, 0x00, 0x8d, 0x5c, 0x8e, 0x10, 0x53, 0x6a, 0x10, 0x5a, 0x5b, 0x0f,
  0xb6, 0x06, 0x0f, 0xbf, 0x56, 0x02, 0xa8, 0x01, 0xc1, 0xe0, 0x03, 0xd1, 0xea, 0x81, 0xe1, 0xff,
  0x00, 0x00, 0x00, 0x09, 0xd0, 0x83, 0xee, 0x04, 0x83, 0xc6, 0x04, 0x0f, 0x94, 0xc0, 0x0f, 0x45,
  0xda, 0xe8, 0x00, 0x00, 0x00, 0x00, 0xc3, 0x6b, 0xc3, 0x0a, 0x92, 0xf7, 0xd8, 0xf7, 0xd0, 0x19,
  0xd8, 0x83, 0xd1, 0x00, 0x8a, 0x04, 0x0e, 0x99, 0x0f, 0xba, 0xe0, 0x03, 0x88, 0x47, 0x08, 0x01,
  0x47, 0x0c, 0x80, 0x7e, 0x01, 0x07, 0x7c, 0x00, 0x46, 0x4e, 0xb9, 0x40, 0x00, 0x00, 0x00, 0x90,
]);
const ORG = 0x1000;

const insns: InsnType[] = [];
const next: number[] = [];
for (let off = 0; off < MIX.length;) {
  const insn = new Insn();
  decodeBytes(insn, MIX, off, 32);
  if (insn.invalid) throw new Error(`cpu-dispatch: byte ${off} of the mix did not decode`);
  off += insn.length;
  insns.push(insn);
  next.push(ORG + off);
}

const phys = new FlatPhysicalMemory(1 << 20);
const cpu: CpuType = new Cpu(phys, { in: () => 0xff, out: () => {} }, null);
cpu.setFlat(32, ORG, 0x8000);
phys.ram.set(MIX, ORG);
const table = buildTable();
const viaSwitch = buildSwitch();

function reset(): void {
  const r = cpu.regs;
  r[0] = 1; r[1] = 0x40; r[2] = 3; r[3] = 4; r[4] = 0x8000; r[5] = 0; r[6] = 0x4000; r[7] = 0x6000;
}

/** One pass of the mix: EIP set as the run loop would (next instruction) before each dispatch. */
function passSwitch(): void {
  reset();
  for (let i = 0; i < insns.length; i++) {
    cpu.eip = next[i]!;
    viaSwitch(cpu, insns[i]!);
  }
}

function passTable(): void {
  reset();
  for (let i = 0; i < insns.length; i++) {
    cpu.eip = next[i]!;
    const insn = insns[i]!;
    table[insn.op]!(cpu, insn);
  }
}

function passLibrary(): void {
  reset();
  for (let i = 0; i < insns.length; i++) {
    cpu.eip = next[i]!;
    execute(cpu, insns[i]!);
  }
}

// Same architectural result from all three (a check that they dispatch alike).
const results = [passSwitch, passTable, passLibrary].map((pass) => {
  pass();
  return Array.from(cpu.regs).concat(cpu.getEflags()).join();
});
if (new Set(results).size !== 1) throw new Error(`cpu-dispatch: the dispatchers disagree: ${results.join(' / ')}`);

const suite = new Benchmark.Suite('cpu dispatch');
suite
  .add('switch (switch (insn.op) { case ...: f(cpu, insn) })', passSwitch, { minSamples: 40 })
  .add('handler table (HANDLERS[insn.op](cpu, insn))', passTable, { minSamples: 40 })
  .add('library execute (exec/index.ts, for reference)', passLibrary, { minSamples: 40 })
  .on('cycle', (ev: Benchmark.Event) => {
    const t = ev.target as Benchmark.Target & { stats: { rme: number } };
    const ns = 1e9 / (t.hz! * insns.length);
    process.stdout.write(`${String(ev.target)}  (${ns.toFixed(2)} ns/instruction)\n`);
  })
  .on('complete', function (this: Benchmark.Suite) {
    const list = this as unknown as ArrayLike<Benchmark.Target>;
    const s = list[0]!, t = list[1]!;
    process.stdout.write(`switch / table: ${(s.hz! / t.hz!).toFixed(3)} (> 1: the switch is faster); ` +
      `${insns.length} instructions per pass; node ${process.version}\n`);
  })
  .run();
