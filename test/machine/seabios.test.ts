/**
 * `--bios PATH` with Debian's SeaBIOS (apt-get install seabios): SeaBIOS recognises QEMU's board
 * (PCI 00:00.0 subsystem 1af4:1100, fw_cfg, debug port 0x402), shadows itself through the i440FX
 * PAM registers, finds the PIIX3 IDE disk and boots its first sector. .ci/run installs seabios;
 * elsewhere the test says why it does not run.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { Machine } from '../../src/machine/machine.js';
import { bundledPath } from '../../src/machine/bundled.js';

const SEABIOS = '/usr/share/seabios/bios.bin';
const have = existsSync(SEABIOS);
if (!have) console.warn(`seabios.test.ts: ${SEABIOS} not found (apt-get install seabios): SeaBIOS boot not tested here`);

describe.runIf(have)('SeaBIOS on our board', () => {
  it('boots a disk image and hands over to the boot sector', () => {
    const image = 'guests/pmode/pmode.img';
    const m = new Machine({ bios: new Uint8Array(readFileSync(SEABIOS)), memory: 128 << 20, image: { data: new Uint8Array(readFileSync(bundledPath(image))), path: image } });
    let serial = '';
    let log = '';
    m.on('serial', (b) => (serial += Buffer.from(b).toString('latin1')));
    m.on('debugcon', (b) => (log += Buffer.from(b).toString('latin1')));
    const r = m.run({ maxInstructions: 50_000_000 });
    expect(log).toContain('Running on QEMU (i440fx)');
    expect(log).toContain('Found 3 PCI devices');
    expect(log).toContain('ata0-0: VTX HARDDISK');
    expect(log).toContain('Booting from Hard Disk...');
    expect(serial).toBe(readFileSync(bundledPath('test/golden/pmode.serial'), 'latin1'));
    expect(r).toEqual({ kind: 'debug-exit', status: 1 });
  });
});
