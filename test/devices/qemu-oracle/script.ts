/**
 * A port-I/O script run twice: by a tiny raw BIOS image under QEMU (record.ts, output kept in
 * qemu-7.2.golden.json) and on vtx's ISA devices (../qemu-oracle.test.ts). Only deterministic
 * behaviour is compared: each IN carries a mask that hides time-dependent bits (PIT OUT, the RTC
 * seconds) and bits where vtx deliberately follows the datasheet instead of QEMU (see `note`).
 *
 * ROM table encoding (7 bytes per entry): u8 op (bit 7 = IN, bits 2:0 = size), u16 port, u32 value;
 * op 0 ends the table. Every IN result is written to the debugcon port 0xE9, little-endian.
 */
import { PLAYER_IN_AND_EXIT, scriptTableAndReset } from '../oracle-rom.js';
export interface IoStep {
  op: 'in' | 'out';
  size: 1 | 2 | 4;
  port: number;
  value: number;
  /** IN only: bits compared (default all). */
  mask: number;
  note: string;
}

export const SCRIPT: IoStep[] = [];
let section = '';
const o = (port: number, value: number, size: 1 | 2 | 4 = 1): void => {
  SCRIPT.push({ op: 'out', size, port, value, mask: 0, note: section });
};
const i = (port: number, opts: { size?: 1 | 2 | 4; mask?: number; note?: string } = {}): void => {
  const size = opts.size ?? 1;
  const all = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  SCRIPT.push({ op: 'in', size, port, value: 0, mask: opts.mask ?? all, note: `${section}${opts.note ? `: ${opts.note}` : ''}` });
};

// ---- bus: unassigned ports, debugcon, POST, debug-exit, port 0x92 ----
section = 'bus';
i(0x1234);
i(0x1234, { size: 2 });
i(0x1234, { size: 4 });
i(0xe9, { note: 'debugcon readback' });
i(0xf4, { size: 4, note: 'isa-debug-exit read' });
i(0x92, { note: 'port 0x92 reset value' });
o(0x92, 0x02);
i(0x92);

// ---- UART (COM1) ----
section = 'uart';
for (const p of [0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff]) i(p, { note: `reset 0x${p.toString(16)}` });
o(0x3fb, 0x83);
i(0x3f8, { note: 'DLL reset' });
i(0x3f9, { note: 'DLM reset' });
o(0x3f8, 0x01);
o(0x3f9, 0x00);
i(0x3f8);
i(0x3f9);
o(0x3fb, 0x03);
i(0x3fb);
o(0x3ff, 0x5a);
i(0x3ff);
o(0x3f9, 0x02); // IER: THRI
i(0x3fa, { note: 'THRE pending on enable' });
i(0x3fa, { note: 'THRE cleared by the IIR read' });
o(0x3f8, 0x41); // to the null chardev
i(0x3fd);
i(0x3fa, { note: 'THRE again after THR write' });
o(0x3f9, 0x00);
// Loopback. QEMU reports no MSR delta bits in loopback (datasheet: it does): compare 0xf0.
o(0x3fc, 0x10);
i(0x3fe, { mask: 0xf0, note: 'loopback MSR, outputs low' });
o(0x3fc, 0x1f);
i(0x3fe, { mask: 0xf0, note: 'loopback MSR, outputs high' });
o(0x3f8, 0x99);
i(0x3fd, { note: 'DR after loopback' });
i(0x3f8);
i(0x3fd);
o(0x3fa, 0x01); // FIFO on
i(0x3fa, { note: 'IIR with FIFO enabled' });
for (let k = 0; k < 17; k++) o(0x3f8, 0x30 + k);
i(0x3fd, { note: 'overrun with a full FIFO' });
i(0x3fd, { note: 'OE cleared by LSR read' });
for (let k = 0; k < 16; k++) i(0x3f8, { note: `FIFO byte ${k}` });
i(0x3fd);
o(0x3fa, 0x00); // FIFO off
o(0x3f8, 0x61);
o(0x3f8, 0x62);
i(0x3fd, { note: 'non-FIFO overrun' });
i(0x3f8, { note: 'holding register overwritten' });
o(0x3fc, 0x0b); // leave loopback: DTR, RTS, OUT2
i(0x3fe, { mask: 0xf0 });
i(0x3fa);

// ---- RTC / CMOS (QEMU runs with -rtc base=2000-01-01T00:00:00,clock=vm -m 32) ----
section = 'rtc';
i(0x70, { note: 'index port read' });
o(0x70, 0x0a);
i(0x71, { mask: 0x7f, note: 'register A (UIP masked)' });
o(0x70, 0x0b);
i(0x71, { note: 'register B' });
o(0x70, 0x0d);
i(0x71, { note: 'register D' });
o(0x70, 0x0c);
i(0x71, { mask: 0x80, note: 'register C IRQF (QEMU never sets PF without PIE)' });
for (const r of [0x09, 0x08, 0x07, 0x06, 0x04, 0x32]) {
  o(0x70, r);
  i(0x71, { note: `date/time register 0x${r.toString(16)}` });
}
o(0x70, 0x0b);
o(0x71, 0x04); // binary, 12 h
o(0x70, 0x04);
i(0x71, { note: '12 AM, binary' });
o(0x70, 0x0b);
o(0x71, 0x00); // BCD, 12 h
o(0x70, 0x04);
i(0x71, { note: '12 AM, BCD' });
o(0x70, 0x0b);
o(0x71, 0x02);
for (const r of [0x15, 0x16, 0x17, 0x18, 0x30, 0x31, 0x34, 0x35, 0x5b, 0x5c, 0x5d]) {
  o(0x70, r);
  i(0x71, { note: `memory size byte 0x${r.toString(16)}` });
}
o(0x70, 0x40);
o(0x71, 0x5a);
i(0x71);
o(0x70, 0xa541, 2); // split: index 0x41, then data 0xa5
o(0x70, 0x41);
i(0x71, { note: '16-bit OUT split into index and data' });
i(0x70, { size: 2, note: '16-bit IN split: index port (0xff) and data' });
o(0x70, 0x8f); // NMI masked, index 0x0f
i(0x71, { note: 'shutdown status byte' });
o(0x70, 0x0f);

// ---- i8042 ----
section = 'i8042';
i(0x64, { note: 'status after reset' });
o(0x64, 0x20);
i(0x64);
i(0x60, { note: 'command byte' });
o(0x64, 0xaa);
i(0x60, { note: 'self-test' });
i(0x64, { note: 'SYS after self-test' });
// (0xE0 "read test inputs" is an AT command QEMU does not implement; vtx answers 00.)
for (const c of [0xab, 0xc0, 0xd0, 0xa9]) {
  o(0x64, c);
  i(0x60, { note: `command 0x${c.toString(16)}` });
}
o(0x64, 0xd3);
o(0x60, 0x5a);
// Status bit 3 (last write was a command) is never cleared by QEMU; vtx clears it on data
// writes as the 8042 does: compare 0xf7 after data writes.
i(0x64, { mask: 0xf7, note: 'AUX OBF after 0xD3' });
i(0x60);
o(0x64, 0xd2);
o(0x60, 0x77);
i(0x64, { mask: 0xf7, note: 'OBF after 0xD2' });
i(0x60);
const kbd = (bytes: number[], replies: number, note: string): void => {
  for (const b of bytes) o(0x60, b);
  for (let k = 0; k < replies; k++) {
    i(0x64, { mask: 0xf7, note: `${note} status ${k}` });
    i(0x60, { note: `${note} reply ${k}` });
  }
  i(0x64, { mask: 0xf7, note: `${note} drained` });
};
kbd([0xff], 2, 'keyboard reset');
kbd([0xf2], 3, 'identify');
kbd([0xee], 1, 'echo');
kbd([0xed, 0x07], 2, 'LEDs');
kbd([0xf0, 0x00], 2, 'get scan-code set');
kbd([0x01], 1, 'unknown command');
o(0x64, 0xd1);
o(0x60, 0xdd);
o(0x64, 0xd0);
// Bits 5:4 of the output port are the OBF lines; QEMU returns them stale from the D1 write.
i(0x60, { mask: 0xcf, note: 'output port after writing 0xDD' });
o(0x64, 0xd1);
o(0x60, 0xdf);
i(0x92, { note: 'port 0x92 independent of the i8042 A20' });

// ---- PIC: every IRQ source is low here (UART IER 0, i8042 drained) ----
section = 'pic';
o(0x20, 0x11);
o(0x21, 0x08);
o(0x21, 0x04);
o(0x21, 0x01);
o(0xa0, 0x11);
o(0xa1, 0x70);
o(0xa1, 0x02);
o(0xa1, 0x01);
i(0x21, { note: 'IMR after init' });
o(0x21, 0xeb); // unmask IRQ2 and IRQ4
o(0xa1, 0xff);
i(0x21);
i(0xa1);
i(0x20, { mask: 0xfe, note: 'IRR (IRQ0 masked out: PIT timing)' });
o(0x20, 0x0b);
i(0x20, { note: 'ISR' });
o(0x3f9, 0x02); // UART THRE interrupt -> IRQ4
o(0x20, 0x0a);
i(0x20, { mask: 0xfe, note: 'IRR with IRQ4' });
o(0x20, 0x0c);
i(0x20, { note: 'poll -> IRQ4' });
o(0x20, 0x0b);
i(0x20, { note: 'ISR after poll' });
o(0x64, 0xab); // i8042 byte -> IRQ1 (masked)
o(0x20, 0x0a);
i(0x20, { mask: 0xfe, note: 'IRR: IRQ1 latched, IRQ4 consumed by the poll' });
o(0x21, 0xe9); // unmask IRQ1
o(0x20, 0x0c);
i(0x20, { note: 'poll -> IRQ1 preempts IRQ4 in service' });
o(0x20, 0x20); // non-specific EOI: IRQ1
o(0x20, 0x0b);
i(0x20, { note: 'ISR after non-specific EOI' });
o(0x20, 0x64); // specific EOI 4
i(0x20, { note: 'ISR after specific EOI' });
i(0x60);
i(0x3fa, { note: 'UART IIR clears THRE, IRQ4 low' });
o(0x3f8, 0x42); // THRE again: new IRQ4 edge
o(0x64, 0xab); // and IRQ1 again
o(0x20, 0xc3); // set priority: IR3 lowest, IR4 highest
o(0x20, 0x0c);
i(0x20, { note: 'poll with rotated priority -> IRQ4' });
o(0x20, 0x0c);
i(0x20, { note: 'poll: IRQ1 below IRQ4 in service' });
o(0x20, 0xa0); // rotate on non-specific EOI
o(0x20, 0x0c);
i(0x20, { note: 'poll after rotating EOI -> IRQ1' });
o(0x20, 0x20);
o(0x20, 0x0b);
i(0x20, { note: 'ISR clear' });
i(0x60);
o(0x4d0, 0xff);
i(0x4d0, { note: 'ELCR1 mask' });
o(0x4d1, 0xff);
i(0x4d1, { note: 'ELCR2 mask' });
o(0x4d0, 0x00);
o(0x4d1, 0x00);
o(0x3f8, 0x43); // IRQ4 high (edge)
o(0x4d0, 0x10); // IRQ4 level-triggered
o(0x20, 0x0a);
i(0x20, { mask: 0xfe, note: 'IRR, IRQ4 level' });
i(0x3fa); // THRE cleared: IRQ4 low
i(0x20, { mask: 0xfe, note: 'IRR after level drop' });
o(0x4d0, 0x00);
o(0x3f9, 0x00);
// Cascade: IRQ12 from the i8042 aux loopback reaches the master through IR2.
o(0xa1, 0xef);
o(0x64, 0xd3);
o(0x60, 0x33);
o(0xa0, 0x0a);
i(0xa0, { note: 'slave IRR with IRQ12' });
o(0x20, 0x0a);
i(0x20, { mask: 0xfe, note: 'master IRR: IR2 from the slave' });
o(0xa0, 0x0c);
i(0xa0, { note: 'slave poll -> IR4' });
o(0x20, 0x0c);
i(0x20, { note: 'master poll: IR2 edge still latched' });
o(0xa0, 0x0b);
i(0xa0, { note: 'slave ISR' });
o(0xa0, 0x20);
o(0x20, 0x20);
i(0xa0, { note: 'slave ISR after EOI' });
i(0x64, { mask: 0xf7 });
i(0x60);
o(0xa1, 0xff);
o(0x20, 0x68); // special mask mode on
o(0x20, 0x48); // and off
o(0x20, 0x0a);

// ---- PIT and port 0x61 (QEMU never reports NULL COUNT; OUT is time-dependent) ----
section = 'pit';
o(0x43, 0xe2);
i(0x40, { mask: 0x3f, note: 'channel 0 power-on status' });
o(0x43, 0x34);
o(0x40, 0x00);
o(0x40, 0x10);
o(0x43, 0xe2);
i(0x40, { mask: 0x3f, note: 'status after mode 2 lo/hi' });
o(0x43, 0xbd); // channel 2, lo/hi, mode 6 (= 2), BCD
o(0x43, 0xe8);
i(0x42, { mask: 0x3f, note: 'status shows mode bits as written' });
o(0x43, 0x50); // channel 1, LSB only, mode 0
o(0x43, 0xe4);
i(0x41, { mask: 0x3f });
i(0x61, { mask: 0x0f, note: 'port 0x61 reset' });
o(0x61, 0x03);
i(0x61, { mask: 0x03 });
o(0x61, 0x00);

// ---- fw_cfg ----
section = 'fw_cfg';
const sel = (key: number, n: number, note: string): void => {
  o(0x510, key, 2);
  for (let k = 0; k < n; k++) i(0x511, { note: `${note} byte ${k}` });
};
sel(0x0000, 6, 'signature and past the end');
sel(0x0001, 4, 'ID');
sel(0x0003, 8, 'RAM size');
sel(0x0005, 2, 'NB_CPUS');
sel(0x000f, 2, 'MAX_CPUS');
sel(0x0002, 16, 'UUID');
sel(0x000e, 2, 'BOOT_MENU');
sel(0x8002, 4, 'IRQ0_OVERRIDE');
sel(0x0100, 2, 'unknown selector');
o(0x510, 0x0000, 2);
i(0x510, { note: 'data read through the selector port' });
for (let k = 0; k < 8; k++) i(0x514 + k, { note: `DMA signature byte ${k}` });

/** The nasm source of the raw BIOS image that runs SCRIPT (64 KiB, reset vector at 0xFFFF0). */
export function romSource(): string {
  const lines = [
    'bits 16',
    'org 0',
    'start:',
    '  cli',
    '  mov ax, 0xf000',
    '  mov ds, ax',
    '  mov si, table',
    '.next:',
    '  lodsb',
    '  test al, al',
    '  jz .done',
    '  mov bl, al',
    '  lodsw',
    '  mov dx, ax',
    '  lodsd',
    '  mov ecx, eax',
    '  mov bh, bl',
    '  and bh, 7',
    '  test bl, 0x80',
    '  jnz .in',
    '  cmp bh, 1',
    '  jne .o2',
    '  out dx, al',
    '  jmp .next',
    '.o2:',
    '  cmp bh, 2',
    '  jne .o4',
    '  out dx, ax',
    '  jmp .next',
    '.o4:',
    '  out dx, eax',
    '  jmp .next',
    ...PLAYER_IN_AND_EXIT,
  ];
  lines.push(...scriptTableAndReset(SCRIPT.map((s) => ({ op: (s.op === 'in' ? 0x80 : 0) | s.size, port: s.port, value: s.value }))));
  return lines.join('\n') + '\n';
}
