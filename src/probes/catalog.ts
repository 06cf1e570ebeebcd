/**
 * The probe catalog: every probe the machine fires, with its documented arguments, the illumos
 * KVM aliases (`sdt:::kvm-vexit`, `kvm-pio`, ...) with their argument orders, the dtrace provider
 * (BEGIN/END) and the profile provider's `tick-N<unit>` timers; plus probe-description parsing and
 * shell-glob matching.
 *
 * Models: DTrace probe descriptions (`provider:module:function:name`, missing leading fields
 * filled right to left, empty field = any, globs `* ? [...]` with `[!...]` and ranges, `\`
 * escapes) and tick units (ns/nsec, us/usec, ms/msec, s/sec, m/min, h/hour, d/day, hz; no suffix
 * = hz).
 * Does not model: `profile-N` (per-CPU sampling), `ERROR`, USDT/fbt/syscall providers.
 */
import type { IntType } from './dtypes.js';

export interface ProbeArg {
  name: string;
  type: IntType;
  doc: string;
}

export interface ProbeSpec {
  provider: string;
  name: string;
  args: readonly ProbeArg[];
  doc: string;
}

/** Where an alias argument comes from: an index into the real probe's arguments, or a constant. */
export type ArgSource = number | { k: number };

export interface AliasTarget {
  provider: string;
  name: string;
  argMap: readonly ArgSource[];
  /** Fire the alias only when this holds for the real probe's arguments. */
  filter?: (raw: Float64Array) => boolean;
}

export interface AliasSpec {
  /** illumos SDT names: provider `sdt`, module `kvm` (or the machine's module name). */
  provider: 'sdt';
  module: 'kvm';
  name: string;
  args: readonly ProbeArg[];
  targets: readonly AliasTarget[];
  doc: string;
}

const u32 = 'u32' as const;
const u64 = 'u64' as const;

export const PROBES: readonly ProbeSpec[] = [
  {
    provider: 'vmx', name: 'entry', doc: 'VM entry (VMLAUNCH/VMRESUME) about to enter the guest',
    args: [
      { name: 'rip', type: u64, doc: 'guest RIP the entry resumes at' },
      { name: 'reason', type: u32, doc: 'basic exit reason of the VM exit this entry resumes from (0 before the first exit)' },
    ],
  },
  {
    provider: 'vmx', name: 'exit', doc: 'VM exit (after the exit-information fields are written)',
    args: [
      { name: 'reason', type: u32, doc: 'basic exit reason (VM_EXIT_REASON bits 15:0)' },
      { name: 'qualification', type: u64, doc: 'exit qualification' },
      { name: 'rip', type: u64, doc: 'guest RIP of the exiting instruction/event' },
      { name: 'gpa', type: u64, doc: 'guest-physical address (EPT exits; 0 otherwise)' },
      { name: 'insnlen', type: u32, doc: 'VM-exit instruction length (0 when not defined)' },
      { name: 'full_reason', type: u32, doc: 'the whole VM_EXIT_REASON field (bit 31 entry failure, bits 27:16 flags)' },
    ],
  },
  {
    provider: 'vmx', name: 'entry-failure', doc: 'VM entry failed (VMfail, or an exit with VM_EXIT_REASON bit 31 set)',
    args: [
      { name: 'reason', type: 'i32', doc: 'basic exit reason 33/34/41 when the failure is reported as a VM exit; for VMfailValid the VM-instruction error number; -1 for VMfailInvalid' },
      { name: 'qualification', type: u64, doc: 'exit qualification (1-based failing MSR-load entry for 34; 0 for VMfail)' },
      { name: 'rip', type: u64, doc: 'guest RIP of the failed entry (0 for VMfail)' },
    ],
  },
  {
    provider: 'vmx', name: 'inject', doc: 'event injected at VM entry (VM_ENTRY_INTR_INFO valid)',
    args: [
      { name: 'vector', type: u32, doc: 'vector' },
      { name: 'type', type: u32, doc: 'interruption type (0 ext. interrupt, 2 NMI, 3 hw exception, 4 sw int, 5 priv sw exc, 6 sw exc, 7 other)' },
      { name: 'errcode', type: u32, doc: 'error code (0 when none)' },
      { name: 'has_errcode', type: u32, doc: '1 if an error code is delivered' },
      { name: 'insnlen', type: u32, doc: 'VM-entry instruction length (software events)' },
    ],
  },
  {
    provider: 'ept', name: 'violation', doc: 'EPT violation',
    args: [
      { name: 'gpa', type: u64, doc: 'guest-physical address' },
      { name: 'qualification', type: u64, doc: 'exit qualification (access and permission bits)' },
      { name: 'rip', type: u64, doc: 'guest RIP' },
      { name: 'gla', type: u64, doc: 'guest-linear address (0 when not valid)' },
    ],
  },
  {
    provider: 'ept', name: 'misconfig', doc: 'EPT misconfiguration',
    args: [
      { name: 'gpa', type: u64, doc: 'guest-physical address' },
      { name: 'rip', type: u64, doc: 'guest RIP' },
    ],
  },
  ...(['in', 'out'] as const).map((n): ProbeSpec => ({
    provider: 'pio', name: n, doc: `port I/O ${n === 'in' ? 'read (IN/INS)' : 'write (OUT/OUTS)'} handled by the device bus`,
    args: [
      { name: 'port', type: u32, doc: 'I/O port' },
      { name: 'size', type: u32, doc: 'access size in bytes (1, 2, 4)' },
      { name: 'value', type: u32, doc: n === 'in' ? 'value returned to the guest' : 'value written by the guest' },
      { name: 'count', type: u32, doc: 'repeat count (string I/O), 1 otherwise' },
    ],
  })),
  ...(['in', 'out'] as const).map((n): ProbeSpec => ({
    provider: 'pio', name: `unassigned-${n}`, doc: `port ${n === 'in' ? 'read' : 'write'} that no device claims (module = machine, function = bus)`,
    args: [
      { name: 'port', type: u32, doc: 'I/O port' },
      { name: 'size', type: u32, doc: 'access size in bytes' },
      ...(n === 'out' ? [{ name: 'value', type: u32, doc: 'value written' }] : []),
    ],
  })),
  ...(['read', 'write'] as const).map((n): ProbeSpec => ({
    provider: 'mmio', name: n, doc: `MMIO ${n} dispatched to a device region`,
    args: [
      { name: 'size', type: u32, doc: 'access size in bytes' },
      { name: 'gpa', type: u64, doc: 'guest-physical address' },
      { name: 'value', type: u64, doc: n === 'read' ? 'value returned' : 'value written' },
    ],
  })),
  ...(['read', 'write'] as const).map((n): ProbeSpec => ({
    provider: 'mmio', name: `unassigned-${n}`, doc: `physical ${n} that no region claims (module = machine, function = bus)`,
    args: [
      { name: 'addr_lo', type: u32, doc: 'address bits 31:0' },
      { name: 'addr_hi', type: u32, doc: 'address bits 63:32' },
      { name: 'size', type: u32, doc: 'access size in bytes' },
      ...(n === 'write' ? [{ name: 'value', type: u64, doc: 'value written' }] : []),
    ],
  })),
  {
    provider: 'cpu', name: 'exception', doc: 'exception delivered through the guest IDT',
    args: [
      { name: 'vector', type: u32, doc: 'vector (0..31)' },
      { name: 'errcode', type: u32, doc: 'error code (0 when none)' },
      { name: 'has_errcode', type: u32, doc: '1 if an error code is pushed' },
      { name: 'rip', type: u64, doc: 'faulting/trapping RIP' },
      { name: 'cr2', type: u64, doc: 'CR2 for #PF, else 0' },
    ],
  },
  {
    provider: 'cpu', name: 'interrupt', doc: 'external interrupt delivered through the guest IDT',
    args: [
      { name: 'vector', type: u32, doc: 'vector' },
      { name: 'rip', type: u64, doc: 'RIP interrupted' },
    ],
  },
];

export const ALIASES: readonly AliasSpec[] = [
  {
    provider: 'sdt', module: 'kvm', name: 'kvm-vexit', doc: 'illumos kvm-vexit(rip, reason) = vmx:::exit',
    args: [{ name: 'rip', type: u64, doc: 'guest RIP' }, { name: 'reason', type: u32, doc: 'basic exit reason' }],
    targets: [{ provider: 'vmx', name: 'exit', argMap: [2, 0] }],
  },
  {
    provider: 'sdt', module: 'kvm', name: 'kvm-vrun', doc: 'illumos kvm-vrun(rip) = vmx:::entry',
    args: [{ name: 'rip', type: u64, doc: 'guest RIP' }],
    targets: [{ provider: 'vmx', name: 'entry', argMap: [0] }],
  },
  {
    provider: 'sdt', module: 'kvm', name: 'kvm-pio', doc: 'illumos kvm-pio(is_out, port, size, count) = pio:::in and pio:::out',
    args: [
      { name: 'is_out', type: u32, doc: '1 for OUT, 0 for IN' },
      { name: 'port', type: u32, doc: 'I/O port' },
      { name: 'size', type: u32, doc: 'access size' },
      { name: 'count', type: u32, doc: 'repeat count' },
    ],
    targets: [
      { provider: 'pio', name: 'in', argMap: [{ k: 0 }, 0, 1, 3] },
      { provider: 'pio', name: 'out', argMap: [{ k: 1 }, 0, 1, 3] },
    ],
  },
  ...(['read', 'write'] as const).map((n): AliasSpec => ({
    provider: 'sdt', module: 'kvm', name: `kvm-mmio-${n}`, doc: `illumos kvm-mmio-${n}(bytes, gpa, value) = mmio:::${n}`,
    args: [
      { name: 'bytes', type: u32, doc: 'access size' },
      { name: 'gpa', type: u64, doc: 'guest-physical address' },
      { name: 'value', type: u64, doc: 'value' },
    ],
    targets: [{ provider: 'mmio', name: n, argMap: [0, 1, 2] }],
  })),
  {
    provider: 'sdt', module: 'kvm', name: 'kvm-page-fault', doc: 'illumos kvm-page-fault(gpa, qualification) = ept:::violation',
    args: [{ name: 'gpa', type: u64, doc: 'guest-physical address' }, { name: 'qualification', type: u64, doc: 'exit qualification' }],
    targets: [{ provider: 'ept', name: 'violation', argMap: [0, 1] }],
  },
  {
    provider: 'sdt', module: 'kvm', name: 'kvm-inj-virq', doc: 'illumos kvm-inj-virq(vector) = vmx:::inject of an external interrupt',
    args: [{ name: 'vector', type: u32, doc: 'vector' }],
    targets: [{ provider: 'vmx', name: 'inject', argMap: [0], filter: (raw) => raw[1] === 0 }],
  },
];

export const PROBE_ID_BEGIN = 1;
export const PROBE_ID_END = 2;
export const PROBE_ID_ERROR = 3;
export const FIRST_SITE_PROBE_ID = 4;

// ---------------------------------------------------------------------------------------------

/** A parsed probe description: four glob patterns ('' matches anything). */
export interface ProbeDesc {
  provider: string;
  module: string;
  func: string;
  name: string;
}

/** Split `a:b:c:d` (right-aligned) honouring `\` escapes; null if more than four fields. */
export function parseProbeDesc(text: string): ProbeDesc | null {
  const fields: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      cur += c + text[i + 1];
      i++;
    } else if (c === ':') {
      fields.push(cur);
      cur = '';
    } else cur += c;
  }
  fields.push(cur);
  if (fields.length > 4) return null;
  while (fields.length < 4) fields.unshift('');
  return { provider: fields[0]!, module: fields[1]!, func: fields[2]!, name: fields[3]! };
}

/** Shell-style match of a whole string (gmatch(3GEN)); '' matches anything. */
export function globMatch(pattern: string, s: string): boolean {
  if (pattern === '') return true;
  return gm(pattern, 0, s, 0);
}

function gm(p: string, pi: number, s: string, si: number): boolean {
  while (pi < p.length) {
    const c = p[pi]!;
    if (c === '*') {
      while (p[pi] === '*') pi++;
      if (pi === p.length) return true;
      for (let k = si; k <= s.length; k++) if (gm(p, pi, s, k)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (c === '?') {
      pi++;
      si++;
      continue;
    }
    if (c === '[') {
      let j = pi + 1;
      let negate = false;
      if (p[j] === '!') {
        negate = true;
        j++;
      }
      let matched = false;
      let first = true;
      while (j < p.length && (p[j] !== ']' || first)) {
        first = false;
        let lo = p[j]!;
        if (lo === '\\' && j + 1 < p.length) lo = p[++j]!;
        if (p[j + 1] === '-' && j + 2 < p.length && p[j + 2] !== ']') {
          let hi = p[j + 2]!;
          if (hi === '\\' && j + 3 < p.length) {
            hi = p[j + 3]!;
            j++;
          }
          if (s[si]! >= lo && s[si]! <= hi) matched = true;
          j += 3;
        } else {
          if (s[si] === lo) matched = true;
          j++;
        }
      }
      if (j >= p.length) return false; // unterminated class never matches
      if (matched === negate) return false;
      pi = j + 1;
      si++;
      continue;
    }
    let lit = c;
    if (c === '\\' && pi + 1 < p.length) {
      lit = p[pi + 1]!;
      pi++;
    }
    if (s[si] !== lit) return false;
    pi++;
    si++;
  }
  return si === s.length;
}

export function hasGlob(s: string): boolean {
  return /[*?[\\]/.test(s);
}

const TICK_UNITS: Record<string, number> = {
  ns: 1, nsec: 1, us: 1e3, usec: 1e3, ms: 1e6, msec: 1e6, s: 1e9, sec: 1e9,
  m: 60e9, min: 60e9, h: 3600e9, hour: 3600e9, d: 86400e9, day: 86400e9,
};

/** Interval in ns of `tick-N<unit>`, or null when `name` is not a tick probe name. */
export function tickIntervalNs(name: string): number | null {
  const m = /^tick-(\d+)([a-z]*)$/.exec(name);
  if (!m) return null;
  const n = Number(m[1]);
  if (n <= 0) return null;
  const unit = m[2]!;
  if (unit === '' || unit === 'hz') return Math.floor(1e9 / n) || null;
  const mul = TICK_UNITS[unit];
  return mul === undefined ? null : n * mul;
}
