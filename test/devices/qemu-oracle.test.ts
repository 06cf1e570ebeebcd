/**
 * Differential test: the port-I/O script of qemu-oracle/script.ts replayed on vtx's ISA devices
 * must give the IN results QEMU 7.2 gave (qemu-oracle/qemu-7.2.golden.json, recorded by
 * qemu-oracle/record.ts), under each step's mask.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { SCRIPT } from './qemu-oracle/script.js';
import { IoSpace } from '../../src/memory/io-space.js';
import { VirtualClock } from '../../src/machine/clock.js';
import { Pic8259 } from '../../src/devices/pic8259.js';
import { Pit8254 } from '../../src/devices/pit8254.js';
import { Port61 } from '../../src/devices/port61.js';
import { Mc146818 } from '../../src/devices/mc146818.js';
import { I8042 } from '../../src/devices/i8042.js';
import { Port92 } from '../../src/devices/port92.js';
import { PostPort } from '../../src/devices/post-port.js';
import { Debugcon } from '../../src/devices/debugcon.js';
import { IsaDebugExit } from '../../src/devices/isa-debug-exit.js';
import { FwCfg, FW_CFG } from '../../src/devices/fw-cfg.js';
import { Uart16550 } from '../../src/devices/uart16550.js';

const golden = JSON.parse(readFileSync(new URL('./qemu-oracle/qemu-7.2.golden.json', import.meta.url), 'utf8')) as { results: number[] };

function board() {
  const clock = new VirtualClock(1);
  const io = new IoSpace();
  const pic = new Pic8259();
  const pit = new Pit8254({ clock, irq0: pic.irq(0) });
  const rtc = new Mc146818({ clock, irq: pic.irq(8) });
  rtc.setMemorySize(32 << 20);
  const fw = new FwCfg({ dma: { readBytes: () => {}, writeBytes: () => {} } });
  fw.setRamSize(32 << 20);
  fw.setCpuCount(1);
  fw.addI32(FW_CFG.IRQ0_OVERRIDE, 1);
  const devices = [
    pic, pit, new Port61({ clock, pit }), rtc,
    new I8042({ irq1: pic.irq(1), irq12: pic.irq(12) }), new Port92(), new PostPort(), new Debugcon(),
    new IsaDebugExit(), fw, new Uart16550({ irq: pic.irq(4), clock }),
  ];
  for (const d of devices) io.registerAll(d.ioRegions());
  return { io, clock };
}

describe('ISA devices vs QEMU 7.2 (recorded)', () => {
  it('every IN of the script matches under its mask', () => {
    const { io, clock } = board();
    const got: { note: string; qemu: string; vtx: string }[] = [];
    const want: typeof got = [];
    let k = 0;
    for (const s of SCRIPT) {
      clock.addInstructions(20);
      if (s.op === 'out') {
        io.out(s.port, s.size, s.value);
        continue;
      }
      const v = io.in(s.port, s.size);
      const q = golden.results[k++]!;
      const hex = (x: number) => `0x${((x & s.mask) >>> 0).toString(16)}`;
      got.push({ note: `#${k - 1} in 0x${s.port.toString(16)} (${s.note})`, qemu: hex(q), vtx: hex(v) });
      want.push({ note: `#${k - 1} in 0x${s.port.toString(16)} (${s.note})`, qemu: hex(q), vtx: hex(q) });
    }
    expect(k).toBe(golden.results.length);
    expect(got.filter((g, j) => g.vtx !== want[j]!.vtx)).toEqual([]);
  });
});
