import { describe, expect, it } from 'vitest';
import { createI440fxPiix3, I440fxHostBridge, PciHost, Piix3Ide, Piix3IsaBridge, PciReg } from '../../src/devices/pci-host.js';

function board() {
  const pamCalls: number[][] = [];
  const resets: boolean[] = [];
  const bars: [number, number][] = [];
  const host440 = new I440fxHostBridge({ onPamChange: (p) => pamCalls.push(Array.from(p)) });
  const isa = new Piix3IsaBridge({ onReset: (hard) => resets.push(hard) });
  const ide = new Piix3Ide({ onBarMap: (bar, base) => bars.push([bar, base]) });
  const host = new PciHost({ resetControl: isa.rcr });
  host.plug(0, 0, host440.pci);
  host.plug(1, 0, isa.pci);
  host.plug(1, 1, ide.pci);
  // Port-level helpers: the host region is mapped at 0xCF8..0xCFF.
  const outl = (port: number, v: number) => host.io.write(port - 0xcf8, 4, v);
  const out = (port: number, size: 1 | 2 | 4, v: number) => host.io.write(port - 0xcf8, size, v);
  const inp = (port: number, size: 1 | 2 | 4) => host.io.read(port - 0xcf8, size);
  const addr = (dev: number, fn: number, reg: number) => (0x80000000 | (dev << 11) | (fn << 8) | (reg & 0xfc)) >>> 0;
  const cfgRead = (dev: number, fn: number, reg: number, size: 1 | 2 | 4) => {
    outl(0xcf8, addr(dev, fn, reg));
    return inp(0xcfc + (reg & 3), size);
  };
  const cfgWrite = (dev: number, fn: number, reg: number, size: 1 | 2 | 4, v: number) => {
    outl(0xcf8, addr(dev, fn, reg));
    out(0xcfc + (reg & 3), size, v);
  };
  return { host, host440, isa, ide, pamCalls, resets, bars, outl, inp, cfgRead, cfgWrite };
}

describe('PciHost configuration mechanism #1', () => {
  it('CONFIG_ADDRESS latches only dword writes and reads back with reserved bits clear', () => {
    const b = board();
    b.outl(0xcf8, 0xffffffff);
    expect(b.inp(0xcf8, 4)).toBe(0x80fffffc);
    expect(b.inp(0xcf8, 2)).toBe(0xffff);
  });

  it('reads the i440FX identity at 00:00.0 with dword, word and byte accesses', () => {
    const b = board();
    expect(b.cfgRead(0, 0, 0x00, 4)).toBe(0x12378086);
    expect(b.cfgRead(0, 0, 0x00, 2)).toBe(0x8086);
    expect(b.cfgRead(0, 0, 0x02, 2)).toBe(0x1237);
    expect(b.cfgRead(0, 0, 0x08, 1)).toBe(0x02);
    expect(b.cfgRead(0, 0, 0x08, 4)).toBe(0x06000002);
    expect(b.cfgRead(0, 0, 0x0b, 1)).toBe(0x06);
    expect(b.cfgRead(0, 0, 0x0a, 1)).toBe(0x00);
    expect(b.cfgRead(0, 0, 0x2c, 4)).toBe(0x11001af4);
    expect(b.cfgRead(0, 0, 0x2e, 2)).toBe(0x1100);
    expect(b.cfgRead(0, 0, 0x0e, 1)).toBe(0x00);
  });

  it('reads PIIX3 ISA (multi-function) and IDE identities', () => {
    const b = board();
    expect(b.cfgRead(1, 0, 0x00, 4)).toBe(0x70008086);
    expect(b.cfgRead(1, 0, 0x08, 4) >>> 8).toBe(0x060100);
    expect(b.cfgRead(1, 0, 0x0e, 1)).toBe(0x80);
    expect(b.cfgRead(1, 0, 0x2c, 4)).toBe(0x11001af4);
    expect(b.cfgRead(1, 1, 0x00, 4)).toBe(0x70108086);
    expect(b.cfgRead(1, 1, 0x09, 1)).toBe(0x80);
    expect(b.cfgRead(1, 1, 0x0a, 2)).toBe(0x0101);
    expect(b.cfgRead(1, 1, 0x2c, 4)).toBe(0x11001af4);
    expect(b.cfgRead(1, 1, 0x20, 4)).toBe(0x00000001); // BAR4: I/O, unassigned
  });

  it('absent functions, other buses and a clear enable bit read all ones', () => {
    const b = board();
    expect(b.cfgRead(2, 0, 0, 4)).toBe(0xffffffff);
    expect(b.cfgRead(1, 2, 0, 2)).toBe(0xffff);
    b.outl(0xcf8, 0x80010000); // bus 1
    expect(b.inp(0xcfc, 4)).toBe(0xffffffff);
    b.outl(0xcf8, 0x00000000); // enable clear
    expect(b.inp(0xcfc, 4)).toBe(0xffffffff);
  });

  it('read-only identity registers ignore writes; header registers honour masks', () => {
    const b = board();
    b.cfgWrite(0, 0, 0x00, 4, 0);
    expect(b.cfgRead(0, 0, 0x00, 4)).toBe(0x12378086);
    b.cfgWrite(1, 1, 0x3c, 1, 0x0e);
    expect(b.cfgRead(1, 1, 0x3c, 1)).toBe(0x0e);
    b.cfgWrite(1, 1, 0x06, 2, 0xffff); // status: RW1C bits only, nothing set -> unchanged
    expect(b.cfgRead(1, 1, 0x06, 2)).toBe(0x0280);
  });

  it('BAR sizing: all ones reads back the size mask; programming and enabling maps it', () => {
    const b = board();
    b.cfgWrite(1, 1, 0x20, 4, 0xffffffff);
    expect(b.cfgRead(1, 1, 0x20, 4)).toBe(0xfffffff1); // 16 ports, I/O (32-bit decode, as QEMU)
    expect(b.bars).toEqual([]);
    b.cfgWrite(1, 1, 0x20, 4, 0xc000);
    expect(b.cfgRead(1, 1, 0x20, 4)).toBe(0xc001);
    expect(b.bars).toEqual([]); // I/O decode off
    b.cfgWrite(1, 1, 0x04, 2, 0x0005);
    expect(b.bars).toEqual([[4, 0xc000]]);
    b.cfgWrite(1, 1, 0x04, 2, 0x0000);
    expect(b.bars).toEqual([[4, 0xc000], [4, -1]]);
  });

  it('PAM and SMRAM registers: masks, callback, D_LCK', () => {
    const b = board();
    b.cfgWrite(0, 0, 0x58, 4, 0x3333ffff); // 0x58 DRAMT (writable), PAM0 = 0x59 high nibble only
    expect(b.cfgRead(0, 0, 0x59, 1)).toBe(0x30);
    expect(b.cfgRead(0, 0, 0x5a, 1)).toBe(0x33);
    expect(b.pamCalls.at(-1)).toEqual([0x30, 0x33, 0x33, 0, 0, 0, 0]);
    expect(b.cfgRead(0, 0, 0x72, 1)).toBe(0x02);
    b.cfgWrite(0, 0, 0x72, 1, 0x4a); // D_OPEN | G_SMRAME
    expect(b.cfgRead(0, 0, 0x72, 1)).toBe(0x4a);
    b.cfgWrite(0, 0, 0x72, 1, 0x5a); // + D_LCK: D_OPEN forced clear
    expect(b.cfgRead(0, 0, 0x72, 1)).toBe(0x1a);
    b.cfgWrite(0, 0, 0x72, 1, 0x40);
    expect(b.cfgRead(0, 0, 0x72, 1) & 0x50).toBe(0x10);
    b.host440.reset();
    expect(b.cfgRead(0, 0, 0x72, 1)).toBe(0x02);
    expect(b.cfgRead(0, 0, 0x59, 1)).toBe(0x00);
  });

  it('PIRQ routing registers', () => {
    const b = board();
    expect(b.isa.pirqRoute(0)).toBe(-1);
    b.cfgWrite(1, 0, 0x60, 4, 0x0b0b0a0a);
    expect(b.cfgRead(1, 0, 0x60, 4)).toBe(0x0b0b0a0a);
    expect([0, 1, 2, 3].map((i) => b.isa.pirqRoute(i))).toEqual([10, 10, 11, 11]);
  });

  it('0xCF9 byte access reaches the PIIX3 reset control register', () => {
    const b = board();
    b.host.io.write(1, 1, 0x02);
    expect(b.host.io.read(1, 1)).toBe(0x02);
    expect(b.resets).toEqual([]);
    b.host.io.write(1, 1, 0x06);
    expect(b.resets).toEqual([true]);
  });

  it('bus-master IDE register file holds values with RW1C status bits', () => {
    const b = board();
    b.ide.bmide.write(4, 4, 0x12345677);
    expect(b.ide.bmide.read(4, 4)).toBe(0x12345674);
    b.ide.bmide.write(0, 1, 0xff);
    expect(b.ide.bmide.read(0, 1)).toBe(0x09);
    b.ide.bmide.write(2, 1, 0x60);
    expect(b.ide.bmide.read(2, 1)).toBe(0x60);
  });

  it('save/load round trip', () => {
    const b = board();
    b.cfgWrite(1, 1, 0x20, 4, 0xc000);
    b.cfgWrite(1, 1, 0x04, 2, 0x0001);
    b.cfgWrite(0, 0, 0x5f, 1, 0x11);
    b.outl(0xcf8, 0x80000804);
    const s = JSON.parse(JSON.stringify({ h: b.host.saveState(), p: b.host440.saveState(), i: b.ide.saveState() }));
    const c = board();
    c.host.loadState(s.h);
    c.host440.loadState(s.p);
    c.ide.loadState(s.i);
    expect(c.inp(0xcf8, 4)).toBe(0x80000804);
    expect(c.cfgRead(0, 0, 0x5f, 1)).toBe(0x11);
    expect(c.cfgRead(1, 1, 0x20, 4)).toBe(0xc001);
    expect(c.bars).toEqual([[4, 0xc000]]);
    expect(c.ide.pci.read(PciReg.COMMAND, 2)).toBe(1);
  });

  it('createI440fxPiix3 plugs the three functions like QEMU pc', () => {
    const b = createI440fxPiix3();
    const rd = (devfn: number, reg: number) => b.host.configRead(0, devfn, reg, 4);
    expect(rd(0x00, 0)).toBe(0x12378086);
    expect(rd(0x08, 0)).toBe(0x70008086);
    expect(rd(0x09, 0)).toBe(0x70108086);
    expect(rd(0x0a, 0)).toBe(0xffffffff);
    expect(b.devices.length).toBe(4);
    expect(b.host.ioRegions()[0]).toMatchObject({ base: 0xcf8, count: 8 });
  });
});
