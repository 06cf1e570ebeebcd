import { readFileSync } from 'node:fs';
import { Machine } from '../src/machine/machine.js';
import { bootToEnd } from './vtx.js';
const G = 'guests/';
const jobs: Array<[string, () => Machine]> = [
  ['hello', () => new Machine({ image: { data: readFileSync(G + 'hello/hello.img'), path: 'hello.img' }, boot: 'disk' })],
  ['demo', () => new Machine({ image: { data: readFileSync(G + 'demo/demo.img'), path: 'demo.img' }, boot: 'disk' })],
  ['pmode', () => new Machine({ image: { data: readFileSync(G + 'pmode/pmode.img'), path: 'pmode.img' }, boot: 'disk' })],
  ['devcheck', () => new Machine({ image: { data: readFileSync(G + 'devcheck/devcheck.img'), path: 'devcheck.img' }, boot: 'floppy' })],
  ['exitstorm', () => new Machine({ image: { data: readFileSync(G + 'exitstorm/exitstorm.img'), path: 'exitstorm.img' }, boot: 'disk' })],
  ['vmexit', () => new Machine({ image: { data: readFileSync(G + 'vmexit/vmexit.img'), path: 'vmexit.img' }, boot: 'disk' })],
  ['biostest', () => new Machine({ image: { data: readFileSync(G + 'biostest/biostest.img'), path: 'biostest.img' }, boot: 'disk' })],
  ['multiboot', () => new Machine({ image: { data: readFileSync(G + 'multiboot/multiboot.elf'), path: 'guests/multiboot/multiboot.elf' }, boot: 'multiboot', append: 'console=ttyS0 vtx=1', modules: [{ name: 'guests/multiboot/mod1.txt', data: readFileSync(G + 'multiboot/mod1.txt'), args: 'first-arg' }, { name: 'guests/multiboot/mod2.txt', data: readFileSync(G + 'multiboot/mod2.txt') }] })],
  ['seabios', () => new Machine({ bios: new Uint8Array(readFileSync('/usr/share/seabios/bios.bin')), image: { data: readFileSync(G + 'hello/hello.img'), path: 'hello.img' }, boot: 'disk' })],
];
for (const [n, mk] of jobs) {
  const o = bootToEnd(mk, { timeoutMs: 20000 });
  console.log(n, o.firstSerialMs.toFixed(1), o.doneMs.toFixed(1), JSON.stringify(o.result).slice(0, 200));
  console.log('   ' + JSON.stringify(o.serial.slice(-120)));
  if (n === 'vmexit') console.log(o.serial);
}
