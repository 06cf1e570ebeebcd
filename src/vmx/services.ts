/**
 * The default `VmxServices`: the CPU core's own interrupt delivery and MSR semantics
 * (src/cpu/interrupts.ts, src/cpu/msr.ts), adapted to return values instead of raising faults.
 */
import type { Cpu } from '../cpu/cpu.js';
import { currentDelivery, deliverException, injectEvent } from '../cpu/interrupts.js';
import { rdmsr, wrmsr } from '../cpu/msr.js';
import { UNWIND } from '../cpu/state.js';
import type { EventType } from '../cpu/vmx-hooks.js';
import type { VmxCpu, VmxServices } from './cpu-view.js';

const asCpu = (cpu: VmxCpu): Cpu => cpu as unknown as Cpu;

/** Run an MSR access that may raise #GP; the pending exception is discarded on failure. */
function quiet<T>(cpu: VmxCpu, f: () => T): T | undefined {
  const vector = cpu.excVector, has = cpu.excHasErrorCode, code = cpu.excErrorCode;
  try {
    return f();
  } catch (e) {
    if (e !== UNWIND) throw e;
    cpu.excVector = vector; cpu.excHasErrorCode = has; cpu.excErrorCode = code;
    return undefined;
  }
}

export const defaultVmxServices: VmxServices = {
  deliverEvent(cpu, vector, type, hasErrorCode, errorCode, insnLen) {
    injectEvent(asCpu(cpu), vector, type as EventType, insnLen, hasErrorCode ? errorCode : undefined);
  },
  deliverPendingException(cpu) {
    deliverException(asCpu(cpu));
  },
  currentDelivery(cpu) {
    return currentDelivery(asCpu(cpu));
  },
  rdmsr(cpu, index) {
    const v = quiet(cpu, () => rdmsr(asCpu(cpu), index));
    return v === undefined ? undefined : [v[0] >>> 0, v[1] >>> 0];
  },
  wrmsr(cpu, index, lo, hi) {
    return quiet(cpu, () => { wrmsr(asCpu(cpu), index, lo, hi); return true; }) === true;
  },
};
