import { describe, expect, it } from 'vitest';
import { Uart16550 } from '../../src/devices/uart16550.js';
import { VirtualClock } from '../../src/machine/clock.js';
import { IoSpace } from '../../src/memory/io-space.js';

const B = 0x3f8;
const RBR = B, IER = B + 1, IIR = B + 2, FCR = B + 2, LCR = B + 3, MCR = B + 4, LSR = B + 5, MSR = B + 6, SCR = B + 7;

function setup(opts: { clock?: VirtualClock } = {}) {
  const tx: number[] = [];
  const irq: number[] = [];
  const uart = new Uart16550({ onTransmit: (b) => tx.push(b), irq: { set: (l) => irq.push(l) }, ...opts });
  const io = new IoSpace();
  io.registerAll(uart.ioRegions());
  return { uart, io, tx, irq };
}

describe('Uart16550', () => {
  it('power-on values: IIR 01, LSR THRE|TEMT, MSR CTS|DSR|DCD', () => {
    const { io } = setup();
    expect(io.in(IIR, 1)).toBe(0x01);
    expect(io.in(LSR, 1)).toBe(0x60);
    expect(io.in(MSR, 1)).toBe(0xb0);
    expect(io.in(IER, 1)).toBe(0);
  });

  it('divisor latch overlays RBR/IER while DLAB is set', () => {
    const { io, uart, tx } = setup();
    io.out(LCR, 1, 0x83);
    io.out(B, 1, 0x01);
    io.out(B + 1, 1, 0x00);
    expect(uart.baud).toBe(115200);
    expect(io.in(B, 1)).toBe(0x01);
    io.out(LCR, 1, 0x03);
    io.out(B, 1, 0x41);
    expect(tx).toEqual([0x41]);
    expect(io.in(IER, 1)).toBe(0);
    expect(io.in(LCR, 1)).toBe(0x03);
    io.out(SCR, 1, 0x5a);
    expect(io.in(SCR, 1)).toBe(0x5a);
  });

  it('THRE interrupt: raised on enable, cleared by reading IIR, re-raised by a THR write; OUT2 gates the line', () => {
    const { io, irq } = setup();
    expect(io.in(MCR, 1)).toBe(0x08); // QEMU's reset value
    io.out(MCR, 1, 0x00);
    io.out(IER, 1, 0x02);
    expect(irq).toEqual([]); // OUT2 low: no IRQ on a PC
    io.out(MCR, 1, 0x08);
    expect(irq).toEqual([1]);
    expect(io.in(IIR, 1)).toBe(0x02);
    expect(irq).toEqual([1, 0]);
    expect(io.in(IIR, 1)).toBe(0x01);
    io.out(B, 1, 0x42);
    expect(irq).toEqual([1, 0, 1]);
    expect(io.in(IIR, 1)).toBe(0x02);
  });

  it('a THR write while THRE is pending pulses the line low, so an edge-triggered PIC sees a new interrupt', () => {
    const { io, irq } = setup();
    io.out(IER, 1, 0x02);
    expect(irq).toEqual([1]);
    io.out(B, 1, 0x41);
    io.out(B, 1, 0x42);
    expect(irq).toEqual([1, 0, 1, 0, 1]);
  });

  it('FIFO trigger levels: RDA only at the trigger, then RBR reads drain', () => {
    const { io, uart } = setup();
    io.out(FCR, 1, 0x81); // enable, trigger 8
    io.out(IER, 1, 0x01);
    expect(io.in(IIR, 1)).toBe(0xc1);
    uart.receive([1, 2, 3, 4, 5, 6, 7]);
    // No clock: character timeout is indicated at once for data below the trigger.
    expect(io.in(IIR, 1)).toBe(0xcc);
    io.out(FCR, 1, 0xc3); // clear RX, trigger 14
    expect(io.in(LSR, 1) & 1).toBe(0);
    expect(io.in(IIR, 1)).toBe(0xc1);
  });

  it('FIFO trigger with a clock: timeout after 4 character times, RDA at the trigger level', () => {
    const clock = new VirtualClock(1);
    const { io, uart } = setup({ clock });
    io.out(LCR, 1, 0x83);
    io.out(B, 1, 1);
    io.out(LCR, 1, 0x03); // 115200 8N1: 10 bits = 86.8 us per char
    io.out(FCR, 1, 0x41); // trigger 4
    io.out(IER, 1, 0x01);
    uart.receive([1, 2, 3]);
    expect(io.in(IIR, 1)).toBe(0xc1);
    uart.receive([4]);
    expect(io.in(IIR, 1)).toBe(0xc4);
    expect(io.in(RBR, 1)).toBe(1);
    expect(io.in(IIR, 1)).toBe(0xc1); // 3 left, below trigger, timer not expired
    clock.advanceTo(4 * 86806 + 10);
    clock.runDue();
    expect(io.in(IIR, 1)).toBe(0xcc);
    expect([io.in(RBR, 1), io.in(RBR, 1), io.in(RBR, 1)]).toEqual([2, 3, 4]);
    expect(io.in(IIR, 1)).toBe(0xc1);
    expect(io.in(LSR, 1) & 1).toBe(0);
  });

  it('overrun: FIFO full keeps its 16 bytes and sets OE; non-FIFO overwrites; LSR read clears OE; RLS has top priority', () => {
    const { io, uart } = setup();
    io.out(FCR, 1, 0x01);
    io.out(IER, 1, 0x07);
    const bytes = Array.from({ length: 17 }, (_, i) => i + 0x30);
    uart.receive(bytes);
    expect(uart.rxSpace()).toBe(0);
    expect(io.in(IIR, 1)).toBe(0xc6);
    expect(io.in(LSR, 1)).toBe(0x63);
    expect(io.in(LSR, 1)).toBe(0x61);
    expect(io.in(IIR, 1)).toBe(0xc4); // RDA (16 >= trigger 1) outranks THRE
    const got = [];
    for (let i = 0; i < 16; i++) got.push(io.in(RBR, 1));
    expect(got).toEqual(bytes.slice(0, 16));
    expect(io.in(IIR, 1)).toBe(0xc2);
    io.out(FCR, 1, 0x00); // FIFOs off
    uart.receive([0x41, 0x42]);
    expect(io.in(LSR, 1) & 3).toBe(3);
    expect(io.in(RBR, 1)).toBe(0x42);
  });

  it('loopback: THR to RBR, MCR outputs to MSR inputs with deltas, no transmit, no IRQ on the line', () => {
    const { io, tx, irq } = setup();
    io.out(MCR, 1, 0x10);
    expect(io.in(MSR, 1)).toBe(0x0b); // CTS/DSR/DCD dropped -> deltas
    io.out(MCR, 1, 0x1f);
    expect(io.in(MSR, 1)).toBe(0xfb);
    io.out(MCR, 1, 0x1b); // OUT1 (RI) falls: trailing-edge RI
    expect(io.in(MSR, 1) & 0x4f).toBe(0x04);
    io.out(IER, 1, 0x01);
    io.out(B, 1, 0x99);
    expect(tx).toEqual([]);
    expect(io.in(LSR, 1) & 1).toBe(1);
    expect(io.in(IIR, 1)).toBe(0x04);
    expect(irq).toEqual([]);
    expect(io.in(RBR, 1)).toBe(0x99);
    io.out(MCR, 1, 0x08);
    expect(io.in(MSR, 1)).toBe(0xb0); // external inputs equal the looped ones: no delta
  });

  it('modem status interrupt has lowest priority and is cleared by reading MSR', () => {
    const { io, uart } = setup();
    io.out(IER, 1, 0x08);
    uart.setModemInputs({ cts: false });
    expect(io.in(IIR, 1)).toBe(0x00);
    expect(io.in(MSR, 1)).toBe(0xa1);
    expect(io.in(IIR, 1)).toBe(0x01);
  });

  it('save/load round trip', () => {
    const a = setup();
    a.io.out(FCR, 1, 0x41);
    a.io.out(IER, 1, 0x03);
    a.io.out(MCR, 1, 0x0b);
    a.uart.receive([5, 6, 7, 8, 9]);
    const st = JSON.parse(JSON.stringify(a.uart.saveState()));
    const b = setup();
    b.uart.loadState(st);
    expect(b.uart.saveState()).toEqual(a.uart.saveState());
    expect(b.uart.irqOut).toBe(1);
    for (const p of [IIR, LSR, RBR, RBR, IIR, MSR, RBR]) expect(b.io.in(p, 1)).toBe(a.io.in(p, 1));
  });
});
