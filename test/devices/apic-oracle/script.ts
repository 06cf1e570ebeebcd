/**
 * An MMIO script for the local APIC (0xFEE00000) and I/O APIC (0xFEC00000), run twice: by a raw
 * BIOS image under QEMU 7.2's `pc` machine (record.ts, results in qemu-7.2.golden.json) and on
 * vtx's Lapic/Ioapic (../apic-oracle.test.ts). Only time-independent behaviour is compared; the
 * ROM runs with interrupts disabled, so self-IPIs stay in the IRR.
 *
 * ROM table encoding (9 bytes per entry): u8 op (1 = write dword, 2 = read dword), u32 address,
 * u32 value; op 0 ends the table. The ROM enters big real mode (FS = flat 4 GiB) to reach the
 * APIC pages; every read goes to the debugcon port 0xE9, little-endian.
 */
export interface MmioStep {
  op: 'rd' | 'wr';
  addr: number;
  value: number;
  mask: number;
  note: string;
}

export const LAPIC = 0xfee00000;
export const IOAPIC = 0xfec00000;
export const SCRIPT: MmioStep[] = [];
let section = '';
const wr = (addr: number, value: number): void => {
  SCRIPT.push({ op: 'wr', addr: addr >>> 0, value: value >>> 0, mask: 0, note: section });
};
const rd = (addr: number, note: string, mask = 0xffffffff): void => {
  SCRIPT.push({ op: 'rd', addr: addr >>> 0, value: 0, mask: mask >>> 0, note: `${section}: ${note}` });
};
const L = (reg: number) => LAPIC + reg;
const ioreg = (index: number, note: string, mask = 0xffffffff): void => {
  wr(IOAPIC, index);
  rd(IOAPIC + 0x10, note, mask);
};
const iowr = (index: number, value: number): void => {
  wr(IOAPIC, index);
  wr(IOAPIC + 0x10, value);
};

// ---- local APIC reset state ----
section = 'lapic reset';
const names: [number, string][] = [
  [0x20, 'ID'], [0x30, 'VERSION'], [0x80, 'TPR'], [0x90, 'APR'], [0xa0, 'PPR'], [0xd0, 'LDR'], [0xe0, 'DFR'],
  [0xf0, 'SVR'], [0x280, 'ESR'], [0x300, 'ICR low'], [0x310, 'ICR high'], [0x320, 'LVT timer'], [0x330, 'LVT thermal'],
  [0x340, 'LVT perf'], [0x350, 'LVT LINT0'], [0x360, 'LVT LINT1'], [0x370, 'LVT error'], [0x380, 'initial count'],
  [0x390, 'current count'], [0x3e0, 'divide'],
];
for (const [reg, n] of names) rd(L(reg), n);
for (let k = 0; k < 8; k++) {
  rd(L(0x100 + k * 0x10), `ISR${k}`);
  rd(L(0x180 + k * 0x10), `TMR${k}`);
  rd(L(0x200 + k * 0x10), `IRR${k}`);
}

// ---- register write masks ----
section = 'lapic masks';
wr(L(0xf0), 0x1ff); // software enable first: LVT writes are forced masked while disabled
rd(L(0xf0), 'SVR enabled');
for (const [reg, n] of [[0x80, 'TPR'], [0xd0, 'LDR'], [0x310, 'ICR high'], [0x320, 'LVT timer'], [0x330, 'LVT thermal'], [0x340, 'LVT perf'], [0x350, 'LVT LINT0'], [0x360, 'LVT LINT1'], [0x370, 'LVT error'], [0x3e0, 'divide']] as [number, string][]) {
  wr(L(reg), 0xffffffff);
  rd(L(reg), `${n} after all-ones`);
}
wr(L(0x80), 0);
wr(L(0xe0), 0x0);
rd(L(0xe0), 'DFR after zero');
wr(L(0xe0), 0xffffffff);
wr(L(0x20), 0x05000000);
rd(L(0x20), 'ID after write');
wr(L(0x20), 0);
for (const reg of [0x320, 0x330, 0x340, 0x360, 0x370]) wr(L(reg), 0x10000);
wr(L(0x350), 0x700);
wr(L(0x3e0), 0);
wr(L(0x360), 0x400);
rd(L(0x360), 'LINT1 NMI');
wr(L(0xf0), 0xff); // software disable: every LVT masked
for (const reg of [0x320, 0x350, 0x360]) rd(L(reg), `LVT ${reg.toString(16)} after software disable`);
wr(L(0x360), 0x400);
rd(L(0x360), 'LINT1 write while disabled');
wr(L(0xf0), 0x1ff);
rd(L(0x360), 'LINT1 after re-enable');
wr(L(0x350), 0x700);

// ---- self IPIs stay in the IRR with interrupts disabled ----
section = 'lapic ipi';
wr(L(0x80), 0x00);
wr(L(0x300), 0x00040041); // fixed, self, vector 0x41
rd(L(0x300), 'ICR low after self IPI', 0xffffefff);
rd(L(0x220), 'IRR2');
wr(L(0x300), 0x00040091);
rd(L(0x240), 'IRR4');
rd(L(0xa0), 'PPR with empty ISR');
wr(L(0x80), 0x60);
rd(L(0xa0), 'PPR follows TPR');
rd(L(0x90), 'APR');
wr(L(0x80), 0x00);
wr(L(0x310), 0x00000000);
wr(L(0x300), 0x00000052); // fixed, physical destination 0 = this APIC
rd(L(0x240), 'IRR4 after physical IPI');
wr(L(0x370), 0xfe); // error LVT vector 0xFE, unmasked
wr(L(0x300), 0x00040003); // illegal vector 3 to self
wr(L(0x280), 0);
rd(L(0x280), 'ESR after illegal vector');
rd(L(0x270), 'IRR7 (error vector)');
wr(L(0x280), 0);
rd(L(0x280), 'ESR cleared');
rd(L(0x2e0), 'reserved register reads 0');
wr(L(0x280), 0);
rd(L(0x280), 'ESR after reading a reserved register');
wr(L(0x280), 0);
wr(L(0x030), 0);
wr(L(0x280), 0);
rd(L(0x280), 'ESR after writing the read-only version register');
wr(L(0xb0), 0); // EOI with nothing in service
rd(L(0x220), 'IRR2 after stray EOI');

// ---- timer registers (time-independent parts) ----
section = 'lapic timer';
wr(L(0x3e0), 0xb);
wr(L(0x320), 0x20000 | 0x10000 | 0x30);
wr(L(0x380), 0x12345678);
rd(L(0x380), 'initial count');
rd(L(0x390), 'current count within initial', 0x80000000);
wr(L(0x380), 0);
rd(L(0x390), 'current count stopped');
rd(L(0x320), 'LVT timer periodic masked');

// ---- I/O APIC ----
section = 'ioapic';
rd(IOAPIC, 'IOREGSEL reset', 0xff);
ioreg(0, 'ID');
ioreg(1, 'version', 0x00ff0000);
ioreg(2, 'arbitration');
for (let n = 0; n < 24; n++) {
  ioreg(0x10 + 2 * n, `entry ${n} low`);
  ioreg(0x11 + 2 * n, `entry ${n} high`);
}
iowr(0x10 + 2 * 5, 0xffffffff);
ioreg(0x10 + 2 * 5, 'entry 5 low after all-ones');
iowr(0x11 + 2 * 5, 0xffffffff);
ioreg(0x11 + 2 * 5, 'entry 5 high after all-ones');
iowr(0x10 + 2 * 5, 0x10000);
iowr(0x11 + 2 * 5, 0);
iowr(0, 0x0f000000);
ioreg(0, 'ID after write');
ioreg(2, 'arbitration after ID write');
iowr(0, 0);
wr(IOAPIC, 0x21);
rd(IOAPIC, 'IOREGSEL readback', 0xff);
ioreg(0x40, 'index beyond the table');

/** Assembly source of the 64 KiB ROM that runs SCRIPT from reset. */
export function romSource(): string {
  const lines = [
    'bits 16',
    'org 0',
    'start:',
    '  cli',
    '  mov ax, 0xf000',
    '  mov ds, ax',
    '  lgdt [cs:gdtr]',
    '  mov eax, cr0',
    '  or al, 1',
    '  mov cr0, eax',
    '  jmp .pm',
    '.pm:',
    '  mov bx, 8',
    '  mov fs, bx',
    '  and al, 0xfe',
    '  mov cr0, eax',
    '  jmp .rm',
    '.rm:',
    '  xor bx, bx',
    '  mov fs, bx',
    '  mov si, table',
    '.next:',
    '  lodsb',
    '  test al, al',
    '  jz .done',
    '  mov bl, al',
    '  lodsd',
    '  mov edi, eax',
    '  lodsd',
    '  cmp bl, 1',
    '  jne .rd',
    '  mov [fs:edi], eax',
    '  jmp .next',
    '.rd:',
    '  mov eax, [fs:edi]',
    '  mov dx, 0xe9',
    '  mov cx, 4',
    '.rdb:',
    '  out dx, al',
    '  shr eax, 8',
    '  loop .rdb',
    '  jmp .next',
    '.done:',
    '  mov dx, 0xf4',
    '  mov al, 0x2a',
    '  out dx, al',
    '.halt:',
    '  hlt',
    '  jmp .halt',
    'align 8',
    'gdt:',
    '  dq 0',
    '  dq 0x00cf92000000ffff',
    'gdtr:',
    '  dw 15',
    '  dd 0xf0000 + gdt',
    'table:',
  ];
  for (const s of SCRIPT) {
    lines.push(`  db ${s.op === 'wr' ? 1 : 2}`, `  dd 0x${s.addr.toString(16)}`, `  dd 0x${s.value.toString(16)}`);
  }
  lines.push('  db 0', 'times 0xfff0 - ($ - $$) db 0xff', 'reset:', '  jmp 0xf000:start', 'times 0x10000 - ($ - $$) db 0xff');
  return lines.join('\n') + '\n';
}
