/** Shared test environment: a real Cpu, a Vmx in root operation and a loaded VMCS. */
import { Cpu } from '../../src/cpu/cpu.js';
import { FlatPhysicalMemory } from '../../src/memory/physical.js';
import type { IoBus } from '../../src/devices/device.js';
import { Vmx } from '../../src/vmx/vmx.js';
import { VmxCapabilities, type VmxCapabilityOptions } from '../../src/vmx/capabilities.js';
import { EptBuilder, buildHostPageDirectory, enterVmxRoot, initVmcsForFlatGuest, loadFreshVmcs, type FlatGuestOptions } from '../../src/vmx/setup.js';
import type { Vmcs } from '../../src/vmx/vmcs.js';

export const RAM = 16 << 20;
export const HOST_PD = 0x100000;
export const VMXON = 0x101000;
export const VMCS = 0x102000;
export const VMCS2 = 0x103000;
export const IO_A = 0x104000;
export const IO_B = 0x105000;
export const MSR_BITMAP = 0x106000;
export const MSR_AREA = 0x107000;
export const EPT_ARENA = 0x110000;
/** Guest RAM: guest-physical [0, 4 MiB) lives at host-physical GUEST_BASE. */
export const GUEST_BASE = 0x800000;
export const GUEST_SIZE = 0x400000;

export interface Env {
  cpu: Cpu;
  vmx: Vmx;
  vmcs: Vmcs;
  ept: EptBuilder;
  eptp: number;
  ram: Uint8Array;
  ioLog: { port: number; size: number; value: number; out: boolean }[];
}

export function makeEnv(guest: Partial<FlatGuestOptions> = {}, caps: VmxCapabilityOptions = {}, eptOpts: { accessedDirty?: boolean; noEpt?: boolean } = {}): Env {
  const phys = new FlatPhysicalMemory(RAM);
  const ioLog: Env['ioLog'] = [];
  const io: IoBus = {
    in: (port, size) => { ioLog.push({ port, size, value: 0, out: false }); return 0x12345678 & (size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff); },
    out: (port, size, value) => { ioLog.push({ port, size, value, out: true }); },
  };
  const cpu = new Cpu(phys, io);
  const vmx = new Vmx(cpu, { capabilities: new VmxCapabilities(caps) });
  buildHostPageDirectory(phys, HOST_PD);
  const r = enterVmxRoot(vmx, { vmxonRegion: VMXON, hostCr3: HOST_PD });
  if (r.kind !== 'VMsucceed') throw new Error(`VMXON failed: ${JSON.stringify(r)}`);
  const ept = new EptBuilder(phys, EPT_ARENA, 0x40000);
  ept.map(0, GUEST_BASE, GUEST_SIZE, { maxPageSize: 4096 });
  const eptp = ept.eptp({ accessedDirty: eptOpts.accessedDirty ?? false });
  loadFreshVmcs(vmx, VMCS);
  const vmcs = initVmcsForFlatGuest(vmx, {
    mode: 'protected32', rip: 0x1000, rsp: 0x8000, hostCr3: HOST_PD, hostRip: 0xdead0000, hostRsp: 0x9000,
    ...(eptOpts.noEpt === true ? {} : { eptp }), ...guest,
  });
  return { cpu, vmx, vmcs, ept, eptp, ram: phys.ram, ioLog };
}

/** Write bytes into guest-physical memory (host RAM at GUEST_BASE + gpa). */
export function poke(env: Env, gpa: number, bytes: number[]): void {
  env.ram.set(bytes, GUEST_BASE + gpa);
  env.cpu.invalidateCode(GUEST_BASE + gpa, bytes.length);
}
export function peek32(env: Env, gpa: number): number {
  const a = GUEST_BASE + gpa;
  const r = env.ram;
  return (r[a]! | (r[a + 1]! << 8) | (r[a + 2]! << 16) | (r[a + 3]! << 24)) >>> 0;
}
