/**
 * VMX instructions executed by emulated root-mode software (a hypervisor running as x86 code on
 * the emulated processor): the `cpu.vmxRoot` provider of exec/system.ts. It decodes the operands
 * and calls the same `Vmx` operations the TypeScript hypervisor uses, turning `fault` results into
 * the architectural exception. RFLAGS and VM_INSTRUCTION_ERROR are set by `Vmx`.
 *
 * Operand forms (32-bit processor): VMXON/VMCLEAR/VMPTRLD m64, VMPTRST m64, VMREAD r/m32, r32,
 * VMWRITE r32, r/m32, INVEPT/INVVPID r32, m128. A 64-bit pointer with bits 63:32 set is an
 * invalid address (VMfail 2/9, VMfailInvalid for VMXON). VMLAUNCH/VMRESUME that succeed leave the
 * processor in non-root operation: the run loop continues with the guest; the next VM exit
 * returns from `run()` with StopReason.VMEXIT and execution continues at HOST_RIP on the next
 * `run()`. VMFUNC in root operation is #UD.
 */
import type { Cpu } from '../cpu/cpu.js';
import type { Insn } from '../cpu/insn.js';
import { Op } from '../cpu/opcodes.js';
import { effAddr, getReg, readRm, writeRm } from '../cpu/exec/operand.js';
import type { Vmx, VmResult } from './vmx.js';

/** The provider interface of exec/system.ts (`VmxRootProvider`). */
export class VmxRootInstructions {
  constructor(private readonly vmx: Vmx) {}

  get inVmxOperation(): boolean {
    return this.vmx.inVmxOperation;
  }

  private apply(cpu: Cpu, r: VmResult): void {
    if (r.kind === 'fault') cpu.raiseFault(r.vector, r.errorCode);
  }

  /** A 64-bit physical-address operand: the low dword, or -1 when bits 63:32 are set. */
  private ptr(cpu: Cpu, insn: Insn): number {
    const off = effAddr(cpu, insn);
    const lo = cpu.read32(insn.seg, off) >>> 0;
    const hi = cpu.read32(insn.seg, (off + 4) >>> 0);
    return hi !== 0 ? -1 : lo;
  }

  execute(cpu: Cpu, insn: Insn): void {
    const vmx = this.vmx;
    switch (insn.op) {
      case Op.VMXON: this.apply(cpu, vmx.vmxon(this.ptr(cpu, insn))); return;
      case Op.VMXOFF: this.apply(cpu, vmx.vmxoff()); return;
      case Op.VMCLEAR: this.apply(cpu, vmx.vmclear(this.ptr(cpu, insn))); return;
      case Op.VMPTRLD: this.apply(cpu, vmx.vmptrld(this.ptr(cpu, insn))); return;
      case Op.VMPTRST: {
        const r = vmx.vmptrst();
        this.apply(cpu, r.result);
        const off = effAddr(cpu, insn);
        cpu.write32(insn.seg, off, r.value);
        cpu.write32(insn.seg, (off + 4) >>> 0, r.high);
        return;
      }
      case Op.VMREAD: {
        const r = vmx.vmread(getReg(cpu, insn.reg, 32) >>> 0);
        this.apply(cpu, r.result);
        if (r.result.kind === 'VMsucceed') writeRm(cpu, insn, 32, r.value);
        return;
      }
      case Op.VMWRITE:
        this.apply(cpu, vmx.vmwrite(getReg(cpu, insn.reg, 32) >>> 0, readRm(cpu, insn, 32) >>> 0));
        return;
      case Op.VMLAUNCH: this.apply(cpu, vmx.vmlaunch()); return;
      case Op.VMRESUME: this.apply(cpu, vmx.vmresume()); return;
      case Op.VMCALL: this.apply(cpu, vmx.vmcall()); return;
      case Op.INVEPT: case Op.INVVPID: {
        const type = getReg(cpu, insn.reg, 32) >>> 0;
        const off = effAddr(cpu, insn);
        const d0 = cpu.read32(insn.seg, off) >>> 0;
        const d1 = cpu.read32(insn.seg, (off + 4) >>> 0) >>> 0;
        const d2 = cpu.read32(insn.seg, (off + 8) >>> 0) >>> 0;
        if (insn.op === Op.INVEPT) {
          this.apply(cpu, vmx.invept(type, d0, d1));
        } else {
          // INVVPID descriptor: bits 15:0 VPID, bits 63:16 reserved (must be 0), then the address.
          const vpid = (d0 & 0xffff0000) !== 0 || d1 !== 0 ? 0x10000 : d0;
          this.apply(cpu, vmx.invvpid(type, vpid, d2));
        }
        return;
      }
      default:
        cpu.raiseFault(6);
    }
  }
}


