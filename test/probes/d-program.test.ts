import { describe, expect, it } from 'vitest';
import { DSyntaxError, ProbeRegistry, type EnableOptions, type ProbeContext } from '../../src/probes/index.js';

function setup(src: string, opts: EnableOptions = {}, ctx0: Partial<ProbeContext> = {}) {
  let now = 0;
  const reg = new ProbeRegistry({ clock: () => now });
  const exit0 = reg.site('vmx', 'vm0', 'vcpu0', 'exit', { vcpu: 0, ...ctx0 });
  const exit1 = reg.site('vmx', 'vm0', 'vcpu1', 'exit', { vcpu: 1 });
  let out = '';
  const h = reg.enable(src, { quiet: true, write: (s) => { out += s; }, ...opts });
  return {
    reg, exit0, exit1, h,
    setNow: (n: number) => { now = n; },
    take: () => { const s = out; out = ''; return s; },
  };
}

function begin(body: string): string {
  const t = setup(`BEGIN { ${body} }`);
  return t.take();
}

describe('D expressions', () => {
  it('integer arithmetic follows C (int is 32-bit, truncating division)', () => {
    expect(begin('printf("%d %d %d %d %d\\n", 7 / 2, -7 / 2, -7 % 3, 1 << 4, 0x7fffffff + 1);')).toBe('3 -3 -1 16 -2147483648\n');
    expect(begin('printf("%d %d %d\\n", 2147483647 + 1, 5 - 7, 3 * -4);')).toBe('-2147483648 -2 -12\n');
    expect(begin('printf("%d %d\\n", 4294967295 > 0, -1 < 0u);')).toBe('1 0\n'); // 4294967295 is long; -1 < 0u compares unsigned
    expect(begin('printf("%d %x %o %d\\n", 0x10, 255, 8, 010);')).toBe('16 ff 10 8\n');
    expect(begin('printf("%d %d %d %d\\n", 6 & 3, 6 | 3, 6 ^ 3, ~0);')).toBe('2 7 5 -1\n');
    expect(begin('printf("%d %d %d\\n", -16 >> 2, 1 ? 10 : 20, 0 ? 10 : 20);')).toBe('-4 10 20\n');
    expect(begin('printf("%d %d %d %d\\n", 1 && 0, 1 || 0, 1 ^^ 1, !5);')).toBe('0 1 0 0\n');
    expect(begin("printf(\"%d %c\\n\", 'A', 'B');")).toBe('65 B\n');
    expect(begin('printf("%d %d\\n", (char)300, (unsigned char)-1);')).toBe('44 255\n');
    expect(begin('printf("%d %u\\n", (int)4294967297, (uint32_t)-1);')).toBe('1 4294967295\n');
  });
  it('64-bit arithmetic and unsigned 64-bit printing', () => {
    expect(begin('printf("%d %d\\n", 1000000000 * 1000LL, 1LL << 40);')).toBe('1000000000000 1099511627776\n');
    expect(begin('printf("%u %x\\n", (uint64_t)-1, (uint64_t)-2);')).toBe('18446744073709551615 fffffffffffffffe\n');
    expect(begin('x = 0xffffffffffffffff; printf("%d %d\\n", x > 5, x / 2 > 0);')).toBe('1 1\n');
    expect(begin('printf("%d\\n", (1LL << 62) * 4);')).toBe('0\n'); // wraps at 64 bits
  });
  it('strings: literals, comparison, escapes, subroutines', () => {
    expect(begin('printf("%d %d %d\\n", "abc" == "abc", "abc" < "abd", "b" > "abc");')).toBe('1 1 1\n');
    expect(begin('printf("[%s] [%-4s|] [%.2s]\\n", "a\\tb", "x", "xyz");')).toBe('[a\tb] [x   |] [xy]\n');
    expect(begin('printf("%s %d %s %s\\n", strjoin("ab", "cd"), strlen("hello"), lltostr(-42), lltostr(255, 16));')).toBe('abcd 5 -42 ff\n');
    expect(begin('printf("%s|%s|%s\\n", exitname(30), exitname(48), strexitno[12]);')).toBe('I/O instruction|EPT violation|HLT\n');
  });
  it('assignment operators, ++/--, globals and associative arrays', () => {
    expect(begin('x = 10; x += 5; x -= 1; x *= 2; x /= 4; x %= 4; x <<= 3; x |= 1; x &= 0x19; x ^= 3; printf("%d\\n", x);')).toBe('26\n');
    expect(begin('i = 5; a = i++; b = ++i; c = i--; d = --i; printf("%d %d %d %d %d\\n", a, b, c, d, i);')).toBe('5 7 7 5 5\n');
    expect(begin('m["a", 1] = 3; m["b", 2] = 4; m["a", 1] += 10; printf("%d %d %d\\n", m["a", 1], m["b", 2], m["c", 3]);')).toBe('13 4 0\n');
    expect(begin('s = "x"; s = strjoin(s, "y"); printf("%s\\n", s);')).toBe('xy\n');
  });
  it('variables can be used before the clause that assigns them (types from any assignment)', () => {
    const t = setup('vmx:::exit /self->ts/ { printf("delta %d\\n", timestamp - self->ts); } vmx:::exit { self->ts = timestamp; }');
    t.setNow(100);
    t.exit0.fire(1, 0, 0, 0, 0);
    t.setNow(350);
    t.exit0.fire(1, 0, 0, 0, 0);
    expect(t.take()).toBe('delta 250\n');
  });
});

describe('probes, arguments, clause-local and thread-local variables', () => {
  it('self-> is per vCPU, this-> per firing and shared by the clauses of that firing', () => {
    const t = setup(`
      vmx:::exit { self->n++; this->x = args[0] * 2; }
      vmx:::exit /this->x > 50/ { printf("%s cpu%d n=%d x=%d\\n", probefunc, cpu, self->n, this->x); }
      vmx:::exit /this->x <= 50/ { printf("small %d\\n", this->x); }`);
    t.exit0.fire(30, 0, 0, 0, 0);
    t.exit0.fire(10, 0, 0, 0, 0);
    t.exit1.fire(48, 0, 0, 0, 0);
    t.exit0.fire(48, 0, 0, 0, 0);
    expect(t.take()).toBe('vcpu0 cpu0 n=1 x=60\nsmall 20\nvcpu1 cpu1 n=1 x=96\nvcpu0 cpu0 n=3 x=96\n');
  });
  it('vmx:::exit args in order, argN, probe names', () => {
    const t = setup('vmx:::exit { printf("%d %x %x %x %d | %d %d | %s:%s:%s:%s %d\\n", args[0], args[1], args[2], args[3], args[4], arg0, arg4, probeprov, probemod, probefunc, probename, id); }');
    t.exit0.fire(48, 0x181, 0x7c00, 0xfee00000, 0);
    expect(t.take()).toBe('48 181 7c00 fee00000 0 | 48 0 | vmx:vm0:vcpu0:exit 4\n');
  });
  it('globs, several descriptions per clause, sites created after enable', () => {
    const t = setup('vmx:vm0:vcpu[0-1]:ex*, pio:::in, mmio::*:* { printf("%s:%s ", probeprov, probename); }');
    t.exit0.fire(1, 0, 0, 0, 0);
    const pin = t.reg.site('pio', 'vm0', 'vcpu0', 'in');
    const mw = t.reg.site('mmio', 'vm0', 'vcpu0', 'write');
    const cpuExc = t.reg.site('cpu', 'vm0', 'vcpu0', 'exception');
    expect(pin.enabled).toBe(true);
    expect(cpuExc.enabled).toBe(false);
    pin.fire(0x60, 1, 0xfa, 1);
    mw.fire(4, 0xfee000b0, 0);
    expect(t.take()).toBe('vmx:exit pio:in mmio:write ');
  });
  it('no consumer: the site is disabled; end() detaches', () => {
    const reg = new ProbeRegistry();
    const s = reg.site('vmx', 'vm0', 'vcpu0', 'exit');
    expect(s.enabled).toBe(false);
    const h = reg.enable('vmx:::exit { @ = count(); }', { quiet: true });
    expect(s.enabled).toBe(true);
    s.fire(1);
    expect(h.end()).toBe('\n' + ' '.repeat(16) + '1\n');
    expect(s.enabled).toBe(false);
    expect(h.end()).toBe('');
  });
  it('illumos aliases map to our probes with the illumos argument order', () => {
    const t = setup(`
      sdt:::kvm-vexit { printf("vexit rip=%x reason=%d %s:%s\\n", arg0, arg1, probeprov, probename); }
      kvm-pio { printf("pio out=%d port=%x size=%d count=%d\\n", arg0, arg1, arg2, arg3); }
      sdt:kvm::kvm-mmio-read { printf("mmio bytes=%d gpa=%x val=%x\\n", args[0], args[1], args[2]); }
      kvm-inj-virq { printf("virq %d\\n", arg0); }
      kvm-page-fault { printf("pf %x %x\\n", arg0, arg1); }`);
    t.exit0.fire(30, 0x3f80008, 0x1234, 0, 2);
    t.reg.site('pio', 'vm0', 'vcpu0', 'out').fire(0x3f8, 1, 0x41, 1);
    t.reg.site('pio', 'vm0', 'vcpu0', 'in').fire(0x60, 1, 0xfa, 1);
    t.reg.site('mmio', 'vm0', 'vcpu0', 'read').fire(4, 0xfec00000, 0x11);
    const inj = t.reg.site('vmx', 'vm0', 'vcpu0', 'inject');
    inj.fire(0x20, 0, 0, 0, 0); // external interrupt: fires kvm-inj-virq
    inj.fire(14, 3, 2, 1, 0); // hardware exception: does not
    t.reg.site('ept', 'vm0', 'vcpu0', 'violation').fire(0xb8000, 0x182, 0, 0);
    expect(t.take()).toBe(
      'vexit rip=1234 reason=30 sdt:kvm-vexit\npio out=1 port=3f8 size=1 count=1\npio out=0 port=60 size=1 count=1\n' +
      'mmio bytes=4 gpa=fec00000 val=11\nvirq 32\npf b8000 182\n');
  });
  it('VMCS reads by SDM name: vmcs[NAME], vmcs.NAME, vmregs[VMX_NAME]', () => {
    const fields: Record<string, number> = { GUEST_RIP: 0x7c10, GUEST_CR3: 0x1000 };
    const t = setup('vmx:::exit { printf("%x %x %x\\n", vmcs[GUEST_RIP], vmcs.GUEST_CR3, vmregs[VMX_GUEST_RIP]); }', {}, { vmcsRead: (n) => fields[n] });
    t.exit0.fire(10, 0, 0, 0, 2);
    expect(t.take()).toBe('7c10 1000 7c10\n');
    t.exit1.fire(10, 0, 0, 0, 2); // no vmcsRead on this site: run-time error, clause output dropped
    expect(t.take()).toBe('');
    expect(t.h.errors[0]).toBe('vtx: error on enabled probe ID 1 (ID 5: vmx:vm0:vcpu1:exit): invalid VMCS read of GUEST_RIP (no current VMCS for this probe) in action #1 at line 1, column 40\n');
  });
});

describe('actions and output', () => {
  it('non-quiet mode prints the CPU/ID/FUNCTION:NAME heading and per-firing prefix', () => {
    const t = setup('vmx:::exit { trace(args[0]); trace("s"); } vmx:::exit { @[args[0]] = count(); } BEGIN { }', { quiet: false });
    t.exit1.fire(30, 0, 0, 0, 0);
    expect(t.take()).toBe(
      'CPU     ID                    FUNCTION:NAME\n' +
      '  0      1                           :BEGIN \n' +
      '  1      5                       vcpu1:exit        30  s' + ' '.repeat(32) + '\n');
    expect(t.h.end()).toBe('  0      2                             :END \n'.slice(0, 0) + '\n       30                1\n');
  });
  it('trace() in quiet mode prints bare values', () => {
    const t = setup('vmx:::exit { trace(args[0]); trace(arg1); trace("x"); }');
    t.exit0.fire(30, -1, 0, 0, 0);
    expect(t.take()).toBe('30-1x');
  });
  it('printa() without format prints a newline then sorted lines; END skips printed aggregations', () => {
    const t = setup('vmx:::exit { @c[args[0]] = count(); @s[args[0]] = sum(args[4]); } END { printa(@c); }');
    for (const r of [30, 30, 10, 48, 30]) t.exit0.fire(r, 0, 0, 0, 2);
    const line = (k: number, v: number) => ' ' + String(k).padStart(8) + ' ' + String(v).padStart(16) + '\n';
    expect(t.h.end()).toBe('\n' + line(10, 1) + line(48, 1) + line(30, 3) + '\n' + line(10, 2) + line(48, 2) + line(30, 6));
  });
  it('printa() with a format: keys by conversion, %@ the value; multiple aggregations joined', () => {
    const t = setup(`vmx:::exit { @n[strexitno[args[0]], args[0]] = count(); @t[strexitno[args[0]], args[0]] = sum(args[4]); }
      END { printa("%-16s %3d %@5d\\n", @n); printa("%s(%d): n=%@d bytes=%@d\\n", @n, @t); printa(@n, @t); }`);
    for (const r of [30, 30, 10]) t.exit0.fire(r, 0, 0, 0, 2);
    t.exit0.fire(12, 0, 0, 0, 1);
    const text = t.h.end();
    expect(text).toBe(
      'CPUID             10     1\nHLT               12     1\nIO_INSTRUCTION    30     2\n' +
      'HLT(12): n=1 bytes=1\nCPUID(10): n=1 bytes=2\nIO_INSTRUCTION(30): n=2 bytes=4\n' +
      '\n' +
      '  ' + 'HLT'.padEnd(50) + ' ' + '12'.padStart(8) + ' '.repeat(16) + '1' + ' '.repeat(16) + '1\n' +
      '  ' + 'CPUID'.padEnd(50) + ' ' + '10'.padStart(8) + ' '.repeat(16) + '1' + ' '.repeat(16) + '2\n' +
      '  ' + 'IO_INSTRUCTION'.padEnd(50) + ' ' + '30'.padStart(8) + ' '.repeat(16) + '2' + ' '.repeat(16) + '4\n' +
      '\n');
  });
  it('printa() %@ of a quantization prints the histogram', () => {
    const t = setup('vmx:::exit { @q[args[0]] = quantize(args[1]); } END { printa("reason %d:%@d\\n", @q); }');
    t.exit0.fire(30, 3, 0, 0, 0);
    expect(t.h.end()).toBe('reason 30:\n           value  ------------- Distribution ------------- count    \n' +
      '               1 |                                         0        \n' +
      '               2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 1        \n' +
      '               4 |                                         0        \n\n\n');
  });
  it('exit(n) fires END, prints the aggregations and calls onExit; later firings are ignored', () => {
    let status: number | null = null;
    const t = setup('vmx:::exit { @ = count(); } vmx:::exit /args[0] == 12/ { exit(3); } END { printf("end\\n"); }', { onExit: (s) => { status = s; } });
    t.exit0.fire(30, 0, 0, 0, 0);
    t.exit0.fire(12, 0, 0, 0, 0);
    t.exit0.fire(30, 0, 0, 0, 0);
    expect(status).toBe(3);
    expect(t.take()).toBe('end\n\n' + ' ' + '2'.padStart(16) + '\n');
    expect(t.h.exitStatus).toBe(3);
    expect(t.exit0.enabled).toBe(false);
  });
  it('tick-N fires on the virtual clock with timestamp = deadline; clear/trunc/normalize per interval', () => {
    const t = setup(`vmx:::exit { @[args[0]] = count(); }
      tick-1ms { printf("t=%d\\n", timestamp); normalize(@, 2); printa(@); trunc(@, 1); clear(@); }`);
    expect(t.reg.nextDeadline()).toBe(1_000_000);
    for (const r of [30, 30, 30, 30, 10, 10]) t.exit0.fire(r, 0, 0, 0, 0);
    t.setNow(2_500_000);
    expect(t.reg.advance(2_500_000)).toBe(2);
    const line = (k: number, v: number) => ' ' + String(k).padStart(8) + ' ' + String(v).padStart(16) + '\n';
    // first tick: 10->2, 30->4 normalized by 2; trunc keeps 30; clear zeroes it; second tick prints 30 -> 0
    expect(t.take()).toBe('t=1000000\n\n' + line(10, 1) + line(30, 2) + 't=2000000\n\n' + line(30, 0));
    expect(t.reg.nextDeadline()).toBe(3_000_000);
  });
  it('tick units', () => {
    const t = setup('tick-10hz { } profile:::tick-2sec { } tick-5us { } tick-100 { }');
    expect(t.h.ticks.map((x) => [x.probe.name, x.intervalNs])).toEqual([['tick-10hz', 100e6], ['tick-2sec', 2e9], ['tick-5us', 5000], ['tick-100', 10e6]]);
  });
  it('-x aggsortkey and aggsortrev via pragmas', () => {
    const t = setup('#pragma D option aggsortkey\n#pragma D option aggsortrev\nvmx:::exit { @[args[0]] = count(); }');
    for (const r of [1, 2, 2, 3]) t.exit0.fire(r, 0, 0, 0, 0);
    const line = (k: number, v: number) => ' ' + String(k).padStart(8) + ' ' + String(v).padStart(16) + '\n';
    expect(t.h.end()).toBe('\n' + line(3, 1) + line(2, 2) + line(1, 1));
  });
  it('a run-time error abandons that clause only and names probe, action and position', () => {
    const t = setup('vmx:::exit { printf("a"); x = 10 / args[0]; printf("b"); } vmx:::exit { printf("c\\n"); }');
    t.exit0.fire(0, 0, 0, 0, 0);
    expect(t.take()).toBe('c\n');
    expect(t.h.errors).toEqual(['vtx: error on enabled probe ID 1 (ID 4: vmx:vm0:vcpu0:exit): divide-by-zero in action #2 at line 1, column 36\n']);
  });
});

describe('D program errors: line, column and what was expected', () => {
  const err = (src: string): string => {
    try {
      new ProbeRegistry().enable(src);
    } catch (e) {
      expect(e).toBeInstanceOf(DSyntaxError);
      return (e as Error).message;
    }
    throw new Error('no error');
  };
  it('syntax errors', () => {
    expect(err('vmx:::exit /args[0] == 30 { }')).toBe('vtx: D program error at line 1, column 27: expected "/" to end the predicate but found "{"');
    expect(err('vmx:::exit {\n  printf("%d\\n", 1 +);\n}')).toBe('vtx: D program error at line 2, column 21: expected an expression but found ")"');
    expect(err('vmx:::exit { x = 1 y = 2; }')).toBe('vtx: D program error at line 1, column 20: expected ";" or "}" but found identifier "y"');
    expect(err('vmx:::exit { x = 1;')).toBe('vtx: D program error at line 1, column 20: expected "}" to end the clause but found end of program');
    expect(err('BEGIN { "abc }')).toBe('vtx: D program error at line 1, column 9: expected closing " but found end of program');
    expect(err('vmx:::exit\n/* unterminated')).toBe('vtx: D program error at line 2, column 1: expected "*/" to close the comment but found end of program');
    expect(err('vmx:::exit @')).toBe('vtx: D program error at line 1, column 12: expected "{", "/" or "," but found aggregation "@"');
    expect(err('a:b:c:d:e { }')).toBe('vtx: D program error at line 1, column 1: expected at most four fields (provider:module:function:name) in probe description "a:b:c:d:e"');
    expect(err('#pragma D option nosuch\nBEGIN {}')).toBe('vtx: D program error at line 1, column 1: expected a known option name but found "nosuch"');
  });
  it('semantic errors', () => {
    expect(err('vmx:::foo { }')).toBe('vtx: D program error at line 1, column 1: probe description "vmx:::foo" does not match any probes');
    expect(err('vmx:::exit { @a = count(1); }')).toBe('vtx: D program error at line 1, column 19: expected 0 arguments to count( ) but found 1');
    expect(err('vmx:::exit { @a = lquantize(args[0], 10, 0); }')).toBe('vtx: D program error at line 1, column 19: lquantize( ) base (argument #1) must be less than limit (argument #2)');
    expect(err('vmx:::exit { @a = llquantize(args[0], 10, 0, 3, x); x = 1; }')).toBe('vtx: D program error at line 1, column 49: expected llquantize( ) steps per magnitude (argument #4) to be an integer constant but found a non-constant expression');
    expect(err('vmx:::exit { @a = count(); @a = sum(1); }')).toBe('vtx: D program error at line 1, column 33: expected count( ) for @a (as first used) but found sum( )');
    expect(err('vmx:::exit { @a = frob(1); }')).toBe('vtx: D program error at line 1, column 19: expected an aggregating function (count, sum, avg, min, max, stddev, quantize, lquantize, llquantize) but found "frob"');
    expect(err('vmx:::exit { printf("%d %s\\n", 1); }')).toBe('vtx: D program error at line 1, column 21: printf( ) prototype mismatch: conversion #2 (%s) is missing a corresponding value argument');
    expect(err('vmx:::exit { printf("%s\\n", 1); }')).toBe('vtx: D program error at line 1, column 29: printf( ) argument #2 is incompatible with conversion #1 prototype: conversion %s expects a string but found int');
    expect(err('vmx:::exit { printf("%f\\n", 1); }')).toBe("vtx: D program error at line 1, column 21: printf( ) format conversion #1 has unsupported conversion character 'f'");
    expect(err('vmx:::exit { y = z + 1; }')).toBe('vtx: D program error at line 1, column 18: expected a known variable but found undefined identifier "z"');
    expect(err('BEGIN { printa(@b); }')).toBe('vtx: D program error at line 1, column 16: expected an aggregation that is assigned somewhere but found "@b", which never is');
    expect(err('vmx:::exit { x = vmcs[NOT_A_FIELD]; }')).toBe('vtx: D program error at line 1, column 23: expected a VMCS field name (SDM name such as GUEST_RIP) but found "NOT_A_FIELD"');
    expect(err('BEGIN { x = args[0]; }')).toBe('vtx: D program error at line 1, column 18: expected an args[] index below 0 for the probes of this clause but found 0');
    expect(err('vmx:::exit, pio:::in { x = args[1]; }')).toBe('vtx: D program error at line 1, column 33: expected args[1] to have one type across the probes of this clause, but the descriptions match probes with different argument types');
    expect(err('BEGIN { x = "s"; x = 1; }')).toBe('vtx: D program error at line 1, column 22: expected a string value for a string variable but found an integer (int)');
    expect(err('BEGIN { timestamp = 1; }')).toBe('vtx: D program error at line 1, column 9: expected an assignable variable but found "timestamp", which is read-only');
  });
});

describe('registry context: VMCS readers, vCPU clocks, default onExit', () => {
  it('sites created without a context read VMCS and vtimestamp through per-vCPU callbacks', () => {
    let stopped = -1;
    let now = 5000;
    const reg = new ProbeRegistry({ machine: 'vm0', clock: () => now, onExit: (s) => { stopped = s; } });
    const s1 = reg.site('vmx', 'vm0', 'vcpu1', 'exit');
    reg.setVmcsReader(1, (n) => (n === 'GUEST_RIP' ? 0xfff0 : undefined));
    reg.setVclock(1, () => 777);
    let out = '';
    reg.enable(`#pragma D depends_on library net.d
      #pragma D option quiet
      vmx:::exit { printf("%d %x %d %d %d\\n", cpu, vmcs[GUEST_RIP], timestamp, vtimestamp, args[5]); exit(7); }`, { write: (x) => { out += x; } });
    now = 6000;
    s1.fire(12, 0, 0, 0, 1, 12);
    expect(out).toBe('1 fff0 6000 777 12\n\n');
    expect(stopped).toBe(7);
  });
  it('alias clauses see the alias argument types in args[]', () => {
    const t = setup('kvm-mmio-write { @[args[0]] = sum(args[2]); }');
    const w = t.reg.site('mmio', 'vm0', 'vcpu0', 'write');
    w.fire(4, 0xfee000b0, 0x10);
    w.fire(4, 0xfee000b0, 0x20);
    w.fire(1, 0x3f8, 0x41);
    expect(t.h.end()).toBe('\n' + '        4' + ' ' + '48'.padStart(16) + '\n' + '        1' + ' ' + '65'.padStart(16) + '\n');
  });
  it('entry-failure reports VMfailInvalid as -1 (signed int argument)', () => {
    const t = setup('vmx:::entry-failure { printf("%d %d\\n", args[0], arg0); }');
    t.reg.site('vmx', 'vm0', 'vcpu0', 'entry-failure').fire(-1, 0, 0);
    expect(t.take()).toBe('-1 -1\n');
  });
});

describe('printa() format checks', () => {
  const err = (src: string): string => {
    try {
      new ProbeRegistry().enable(src);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('no error');
  };
  it('key conversions must match the keys (checked when the aggregation is known)', () => {
    expect(err('vmx:::exit { @a[args[0]] = count(); } END { printa("%d %d %@d\\n", @a); }')).toBe(
      'vtx: D program error at line 1, column 52: printa( ) format conversion #2 (%d) has no key of @a to print (@a has 1 key)');
    expect(err('vmx:::exit { @a[args[0]] = count(); } END { printa("%s %@d\\n", @a); }')).toBe(
      'vtx: D program error at line 1, column 52: printa( ) format conversion #1 (%s) is incompatible with key #1 of @a (uint32_t)');
  });
  it('extra %@ conversions re-print the last aggregation; a format without %@ prints only keys', () => {
    const t = setup('vmx:::exit { @a[args[0]] = count(); @b[args[0]] = sum(args[4]); } END { printa("%d %@d %@d %@d|", @a, @b); printa("<%d>", @a); }');
    t.exit0.fire(30, 0, 0, 0, 2);
    expect(t.h.end()).toBe('30 1 2 2|<30>\n');
  });
});

describe('declarations and inline constants', () => {
  it('typed declarations and inlines (as published scripts and illumos dlib files use them)', () => {
    const t = setup(`
      inline int EXIT_REASON_IO = 30;
      inline string NAME = "io";
      self uint64_t ts;
      int n;
      this int32_t z;
      vmx:::exit /args[0] == EXIT_REASON_IO/ { n++; this->z = -1; self->ts = 4294967295 + 1; }
      vmx:::exit /args[0] == EXIT_REASON_IO/ { printf("%s n=%d z=%d ts=%d\\n", NAME, n, this->z, self->ts); }`);
    t.exit0.fire(30, 0, 0, 0, 0);
    t.exit0.fire(10, 0, 0, 0, 0);
    t.exit0.fire(30, 0, 0, 0, 0);
    expect(t.take()).toBe('io n=1 z=-1 ts=4294967296\nio n=2 z=-1 ts=4294967296\n');
  });
  it('declaration errors', () => {
    const err = (src: string): string => {
      try { new ProbeRegistry().enable(src); } catch (e) { return (e as Error).message; }
      throw new Error('no error');
    };
    expect(err('inline int X = timestamp;\nBEGIN {}')).toBe('vtx: D program error at line 1, column 16: expected a constant value for inline X but found a non-constant expression');
    expect(err('inline int X = 1;\nBEGIN { X = 2; }')).toBe('vtx: D program error at line 2, column 9: expected an assignable variable but found "X", which is read-only');
    expect(err('int x\nBEGIN {}')).toBe('vtx: D program error at line 2, column 1: expected ";" to end the declaration but found identifier "BEGIN"');
    expect(err('string s;\nBEGIN { s = 1; }')).toBe('vtx: D program error at line 2, column 13: expected a string value for a string variable but found an integer (int)');
  });
});
