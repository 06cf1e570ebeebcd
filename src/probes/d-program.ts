/**
 * The D compiler and runtime: a parsed program is type-checked and compiled once into closures;
 * a probe firing runs the matching clauses against a reused frame (no reparsing, no per-firing
 * allocation beyond what strings, new aggregation keys and output text need).
 *
 * Models (DTrace semantics): clauses run in program order per firing; predicates; global scalars
 * and associative arrays, per-vCPU `self->` and per-firing `this->` variables, typed on their
 * first assignment (C integer types, `string`); C arithmetic with usual conversions; aggregations
 * (`aggregate.ts`); actions `printf`, `printa`, `trace`, `exit`, `clear`, `trunc`, `normalize`,
 * `denormalize`; subroutines `exitname`, `strjoin`, `lltostr`, `strlen`; built-ins `arg0..arg9`,
 * `args[]` (typed per probe), `timestamp`, `vtimestamp`, `walltimestamp` (virtual),
 * `cpu`/`vcpu`/`tid`, `id`, `probeprov`/`probemod`/`probefunc`/`probename`, `execname` (the
 * machine name); VMCS reads `vmcs[NAME]`, `vmcs.NAME`, illumos `vmregs[VMX_NAME]`; illumos
 * `strexitno[n]`. Non-quiet output prints the `CPU ID FUNCTION:NAME` heading and a
 * `"%3d %6d %32s "` prefix per firing of a clause that records data; a run-time error (e.g.
 * divide-by-zero) abandons that clause's firing and its output, like DTrace's ECB error.
 * Declarations (`self uint64_t ts;`, `int n;`) fix a variable's type up front; `inline` constants
 * (`inline int EXIT_REASON_HLT = 12;`) are folded at compile time.
 * Does not model: speculations, stack(), string subroutines beyond the four above, `if`,
 * thread-local associative arrays, array declarations, translators, the ERROR probe.
 */
import {
  AGG_FN_NAMES, AggFn, AggParamError, aggScalar, Aggregation, compareKeys, compareValues, type AggEntry,
  formatAggValue, formatKey, formatStringRecord, isHistogram, type KeyValue, makeLLQuantParams, makeLQuantParams,
  type SortOptions, zeroEntry,
} from './aggregate.js';
import {
  ALIASES, type ArgSource, globMatch, parseProbeDesc, type ProbeArg, type ProbeDesc, PROBES, tickIntervalNs,
} from './catalog.js';
import * as D from './dtypes.js';
import { type DType, type IntType, isInt, sizeOf, typeName } from './dtypes.js';
import { type Clause, type Decl, DSyntaxError, type Expr, type Pos, type Stmt, parseD } from './d-parser.js';
import { FormatError, formatInt, formatStr, isIntConv, type ParsedFormat, parseFormat, sdec, u64, withDynWidth } from './format.js';
import { exitReasonIdent, exitReasonName } from './exit-reasons.js';
import { fieldEncoding } from '../vmx/fields.js';

/**
 * What the machine tells the probe runtime about one probe site. Supplied once, when the site is
 * created (`ProbeRegistry.site`), or built by the registry from the site's function name and the
 * per-vCPU callbacks (`setVmcsReader`, `setVclock`); called only while a consumer is attached.
 */
export interface ProbeContext {
  /** vCPU index: `cpu` in D and the owner of `self->` variables. Machine-wide sites use 0. */
  readonly vcpu: number;
  /** This vCPU's virtual clock in ns (`vtimestamp`); defaults to the registry clock. */
  readonly vclock?: () => number;
  /** Read a field of this vCPU's current VMCS by SDM name (`GUEST_RIP`); undefined if unreadable. */
  readonly vmcsRead?: (name: string) => number | undefined;
}

/** A probe as the runtime sees it: its id, names and context. */
export interface ProbeInstance {
  readonly id: number;
  readonly provider: string;
  readonly module: string;
  readonly func: string;
  readonly name: string;
  readonly ctx: ProbeContext;
}

export type Val = number | string;

/** A run-time error in a clause (divide-by-zero, invalid VMCS read...). */
export class DRuntimeError extends Error {
  constructor(message: string, readonly pos: Pos) {
    super(message);
    this.name = 'DRuntimeError';
  }
}

/** Options of one enabling (one consumer, like one dtrace(1M) invocation). */
export interface EnableOptions {
  /** Receives all program output (stdout of dtrace). Default: kept in `DProgram.output()`. */
  write?: (text: string) => void;
  /** Receives run-time error messages (stderr of dtrace). Default: kept in `DProgram.errors`. */
  writeError?: (text: string) => void;
  /** Called once after `exit(n)` ran END and printed the aggregations: the machine should stop. */
  onExit?: (status: number) => void;
  /** `-q`: same as `#pragma D option quiet`. */
  quiet?: boolean;
  /** `-x name[=value]` options: quiet, aggsortkey, aggsortrev, aggsortkeypos, aggsortpos, zdefs. */
  options?: Record<string, string | number | boolean>;
  /** `-Z`: allow probe descriptions that match no probe in the catalog. */
  allowZeroMatches?: boolean;
  /** Overrides the registry clock for `timestamp` (virtual ns). */
  clock?: () => number;
}

const KNOWN_IGNORED_OPTIONS = new Set([
  'bufsize', 'bufpolicy', 'switchrate', 'aggrate', 'aggsize', 'dynvarsize', 'strsize', 'nspec', 'specsize',
  'cleanrate', 'statusrate', 'flowindent', 'destructive', 'defaultargs', 'cpu', 'jstackframes', 'stackframes', 'zdefs',
]);

// ---------------------------------------------------------------------------------------------
// Frames and compiled pieces

type NumFn = (f: Frame) => number;
type StrFn = (f: Frame) => string;
type Action = (f: Frame) => void;

/** Reused per program: the state of the firing in progress. */
export class Frame {
  readonly raw = new Float64Array(10);
  readonly args = new Float64Array(10);
  probe!: BoundProbe;
  self: Val[] = [];
  thisVals: Val[] = [];
  tsValid = false;
  ts = 0;
  /** Output of the clause in progress (kept until the clause completes without error). */
  pending = '';
}

interface CExpr {
  t: DType;
  n?: NumFn;
  s?: StrFn;
  isConst: boolean;
  pos: Pos;
}

interface VarDecl {
  slot: number;
  t: DType;
}

interface AssocDecl {
  name: string;
  keyTypes: DType[];
  t: DType;
  map: Map<unknown, Val>;
}

/** A probe a clause is bound to: names as the clause sees them and the argument mapping. */
export interface BoundProbe {
  readonly id: number;
  readonly provider: string;
  readonly module: string;
  readonly func: string;
  readonly name: string;
  readonly ctx: ProbeContext;
  /** null: arguments as fired; else the alias's mapping. */
  readonly argMap: readonly ArgSource[] | null;
  readonly filter: ((raw: Float64Array) => boolean) | null;
}

interface CClause {
  index: number;
  ast: Clause;
  pred: NumFn | null;
  actions: Action[];
  actionPos: Pos[];
  /** Prints the `CPU ID FUNCTION:NAME` prefix when not quiet (it records data). */
  records: boolean;
  descs: ProbeDesc[];
}

class Deferred extends Error {}

function isVar(e: Expr): boolean {
  return e.k === 'ident' || e.k === 'self' || e.k === 'this' || e.k === 'index';
}

const BUILTIN_INTS: Record<string, IntType> = {
  timestamp: 'u64', vtimestamp: 'u64', walltimestamp: 'u64', cpu: 'i32', vcpu: 'i32', tid: 'i32', id: 'u32',
};
const BUILTIN_STRS = new Set(['probeprov', 'probemod', 'probefunc', 'probename', 'execname']);
const ACTIONS = new Set(['printf', 'printa', 'trace', 'exit', 'clear', 'trunc', 'normalize', 'denormalize']);
const RESERVED = new Set(['self', 'this', 'args', 'vmcs', 'vmregs', 'strexitno']);

const CAST_TYPES: Record<string, { t: IntType; bits?: number; signed?: boolean }> = {
  'char': { t: 'i32', bits: 8, signed: true }, 'signed char': { t: 'i32', bits: 8, signed: true }, 'int8_t': { t: 'i32', bits: 8, signed: true },
  'unsigned char': { t: 'i32', bits: 8 }, 'uint8_t': { t: 'i32', bits: 8 },
  'short': { t: 'i32', bits: 16, signed: true }, 'int16_t': { t: 'i32', bits: 16, signed: true },
  'unsigned short': { t: 'i32', bits: 16 }, 'uint16_t': { t: 'i32', bits: 16 },
  'int': { t: 'i32' }, 'signed': { t: 'i32' }, 'signed int': { t: 'i32' }, 'int32_t': { t: 'i32' },
  'unsigned': { t: 'u32' }, 'unsigned int': { t: 'u32' }, 'uint32_t': { t: 'u32' },
  'long': { t: 'i64' }, 'long long': { t: 'i64' }, 'int64_t': { t: 'i64' }, 'intptr_t': { t: 'i64' }, 'ssize_t': { t: 'i64' },
  'signed long': { t: 'i64' }, 'long int': { t: 'i64' }, 'long long int': { t: 'i64' },
  'unsigned long': { t: 'u64' }, 'unsigned long long': { t: 'u64' }, 'uint64_t': { t: 'u64' }, 'uintptr_t': { t: 'u64' }, 'size_t': { t: 'u64' },
};

/** Host services the program needs from its registry. */
export interface ProgramHost {
  clock(): number;
  /** The current tick deadline while ticks fire (timestamps of tick probes), else null. */
  readonly tickTime: number | null;
}

// ---------------------------------------------------------------------------------------------

/** A compiled D program and its run-time state (one consumer). `DProgram` (registry.ts) is its handle. */
export class CompiledProgram {
  readonly quiet: boolean;
  readonly sort: SortOptions;
  readonly sortPos: number;
  /** Run-time error messages when no `writeError` option was given. */
  readonly errors: string[] = [];
  /** Exit status from `exit(n)`, or null. */
  exitStatus: number | null = null;
  private clauses: CClause[] = [];
  private readonly globals: Val[] = [];
  private readonly globalDecls = new Map<string, VarDecl>();
  private readonly selfDecls = new Map<string, VarDecl>();
  private readonly thisDecls = new Map<string, VarDecl>();
  private readonly assocs = new Map<string, AssocDecl>();
  private readonly selfStore = new Map<number, Val[]>();
  private aggs = new Map<string, Aggregation>();
  private readonly aggOrder: string[] = [];
  private readonly frame = new Frame();
  private readonly out: string[] = [];
  private headingDone = false;
  private ended = false;
  private exitRequested = false;
  private declaring = false;
  private declaredSomething = false;
  private depth = 0;
  /** Clause argument types (per clause index), computed from the probes its descriptions match. */
  private clauseArgTypes: Array<Array<IntType | null>> = [];
  private curClause = 0;

  constructor(source: string, private readonly host: ProgramHost, private readonly opts: EnableOptions = {}) {
    const ast = parseD(source);
    const options: Record<string, string | number | boolean> = { ...(opts.options ?? {}) };
    if (opts.quiet) options.quiet = true;
    for (const p of ast.pragmas) {
      if (p.name !== '' && !(p.name in options)) options[p.name] = p.value ?? true;
    }
    for (const name of Object.keys(options)) {
      if (!['quiet', 'aggsortkey', 'aggsortrev', 'aggsortkeypos', 'aggsortpos'].includes(name) && !KNOWN_IGNORED_OPTIONS.has(name)) {
        const pr = ast.pragmas.find((x) => x.name === name);
        throw new DSyntaxError(pr?.pos ?? { line: 1, col: 1 }, `expected a known option name but found "${name}"`);
      }
    }
    const flag = (n: string): boolean => options[n] !== undefined && options[n] !== false && options[n] !== 'false';
    this.quiet = flag('quiet');
    this.sort = { sortKey: flag('aggsortkey'), sortRev: flag('aggsortrev'), sortKeyPos: Number(options.aggsortkeypos ?? 0) || 0 };
    this.sortPos = Number(options.aggsortpos ?? 0) || 0;

    // aggregation variable ids: order of first appearance in the program text
    for (const c of ast.clauses) for (const s of c.body) if (s.k === 'agg' && !this.aggOrder.includes(s.name)) this.aggOrder.push(s.name);
    for (const c of ast.clauses) this.scanAggRefs(c);

    this.clauseArgTypes = ast.clauses.map((c) => this.resolveDescs(c));
    for (const d of ast.decls) this.declaration(d);

    // Declaration rounds: discover variable types from assignments in any order, then compile.
    this.declaring = true;
    for (let round = 0; round < 16; round++) {
      this.declaredSomething = false;
      this.aggs = new Map();
      for (let i = 0; i < ast.clauses.length; i++) this.compileClause(ast.clauses[i]!, i);
      if (!this.declaredSomething) break;
    }
    this.declaring = false;
    this.aggs = new Map();
    this.clauses = ast.clauses.map((c, i) => this.compileClause(c, i));
    this.frame.thisVals = new Array(this.thisDecls.size).fill(0);
    for (const d of this.thisDecls.values()) if (d.t === 'string') this.frame.thisVals[d.slot] = '';
  }

  /** Inline constants (`inline int X = 12;`). */
  private readonly inlines = new Map<string, CExpr>();

  private declaration(d: Decl): void {
    let t: DType;
    if (d.type === 'string') t = 'string';
    else {
      const ct = CAST_TYPES[d.type];
      if (!ct) throw new DSyntaxError(d.typePos, `expected an integer type or string but found "${d.type}"`);
      t = ct.t;
    }
    if (this.inlines.has(d.name) || this.globalDecls.has(d.name) || BUILTIN_INTS[d.name] || BUILTIN_STRS.has(d.name) || RESERVED.has(d.name) || /^arg[0-9]$/.test(d.name)) {
      if (d.scope === 'inline' || d.scope === 'global') throw new DSyntaxError(d.pos, `expected a new name in the declaration but found "${d.name}", which is already defined`);
    }
    if (d.scope === 'inline') {
      const v = this.expr(d.value!);
      if ((t === 'string') !== (v.t === 'string')) throw new DSyntaxError(d.value!.pos, `expected a ${typeName(t)} value for inline ${d.name} but found ${typeName(v.t)}`);
      if (!v.isConst) throw new DSyntaxError(d.value!.pos, `expected a constant value for inline ${d.name} but found a non-constant expression`);
      if (t === 'string') {
        const sv = v.s!(null as unknown as Frame);
        this.inlines.set(d.name, this.strExpr(() => sv, d.pos, true));
      } else {
        const it = t as IntType;
        const nv = D.convert(v.n!(null as unknown as Frame), it);
        this.inlines.set(d.name, this.numExpr(it, () => nv, d.pos, true));
      }
      return;
    }
    const map = d.scope === 'global' ? this.globalDecls : d.scope === 'self' ? this.selfDecls : this.thisDecls;
    const prev = map.get(d.name);
    if (prev && prev.t !== t) throw new DSyntaxError(d.pos, `expected one declaration of ${d.scope === 'global' ? '' : d.scope + '->'}${d.name} but found a second one with type ${typeName(t)}`);
    if (!prev) this.declare(map, d.name, t, d.pos, d.scope === 'global' ? '' : `${d.scope}->`);
  }

  // ------------------------------------------------------------------------- probe matching

  private descsOf(c: Clause): ProbeDesc[] {
    return c.descs.map((d) => {
      const pd = parseProbeDesc(d.text);
      if (!pd) throw new DSyntaxError(d.pos, `expected at most four fields (provider:module:function:name) in probe description "${d.text}"`);
      return pd;
    });
  }

  /** Check each description matches something; return the clause's common args[] types. */
  private resolveDescs(c: Clause): Array<IntType | null> {
    const descs = this.descsOf(c);
    const argLists: Array<readonly ProbeArg[]> = [];
    descs.forEach((d, i) => {
      let matched = false;
      for (const p of PROBES) {
        if (globMatch(d.provider, p.provider) && globMatch(d.name, p.name)) {
          matched = true;
          argLists.push(p.args);
        }
      }
      for (const a of ALIASES) {
        if (globMatch(d.provider, a.provider) && globMatch(d.name, a.name)) {
          matched = true;
          argLists.push(a.args);
        }
      }
      for (const special of ['BEGIN', 'END']) {
        if (globMatch(d.provider, 'dtrace') && globMatch(d.module, '') && globMatch(d.func, '') && globMatch(d.name, special)) {
          matched = true;
          argLists.push([]);
        }
      }
      if (globMatch(d.provider, 'profile') && tickIntervalNs(d.name) !== null) {
        matched = true;
        argLists.push([]);
      }
      if (!matched && !this.opts.allowZeroMatches) {
        throw new DSyntaxError(c.descs[i]!.pos, `probe description "${c.descs[i]!.text}" does not match any probes`);
      }
    });
    const n = Math.max(0, ...argLists.map((l) => l.length));
    const types: Array<IntType | null> = [];
    for (let i = 0; i < n; i++) {
      let t: IntType | null | undefined;
      for (const l of argLists) {
        const a = l[i];
        if (a === undefined) continue;
        if (t === undefined) t = a.type;
        else if (t !== a.type) t = null;
      }
      types.push(t ?? null);
    }
    return types;
  }

  /** Bind this program's clauses to a site; returns the clauses (with probe views) that match. */
  bind(site: ProbeInstance): Array<{ clause: number; probe: BoundProbe }> {
    const out: Array<{ clause: number; probe: BoundProbe }> = [];
    for (const c of this.clauses) {
      const seen = new Set<string>();
      for (const d of c.descs) {
        if (globMatch(d.provider, site.provider) && globMatch(d.module, site.module) && globMatch(d.func, site.func) && globMatch(d.name, site.name)) {
          if (!seen.has('')) {
            seen.add('');
            out.push({ clause: c.index, probe: { ...site, argMap: null, filter: null } });
          }
        }
        for (const a of ALIASES) {
          for (const t of a.targets) {
            if (t.provider !== site.provider || t.name !== site.name) continue;
            if (!globMatch(d.provider, a.provider) || !globMatch(d.name, a.name) || !globMatch(d.func, site.func)) continue;
            if (!globMatch(d.module, a.module) && !globMatch(d.module, site.module)) continue;
            if (seen.has(a.name)) continue;
            seen.add(a.name);
            out.push({
              clause: c.index,
              probe: { id: site.id, provider: a.provider, module: site.module, func: site.func, name: a.name, ctx: site.ctx, argMap: t.argMap, filter: t.filter ?? null },
            });
          }
        }
      }
    }
    return out;
  }

  /** Does clause `i` match the special probe `provider:::name`? */
  matchesSpecial(i: number, provider: string, name: string): boolean {
    return this.clauses[i]!.descs.some((d) => globMatch(d.provider, provider) && globMatch(d.module, '') && globMatch(d.func, '') && globMatch(d.name, name));
  }

  get clauseCount(): number {
    return this.clauses.length;
  }

  /** Tick intervals requested by the clauses: name -> interval ns. */
  tickNames(): Map<string, number> {
    const m = new Map<string, number>();
    for (const c of this.clauses) {
      for (const d of c.descs) {
        const ns = tickIntervalNs(d.name);
        if (ns !== null && globMatch(d.provider, 'profile')) m.set(d.name, ns);
      }
    }
    return m;
  }

  // --------------------------------------------------------------------------------- firing

  /** Run the given clauses for one firing of a probe with raw arguments a0..a5. */
  fire(bound: ReadonlyArray<{ clause: number; probe: BoundProbe }>, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number): void {
    if (this.ended || this.exitRequested) return;
    const f = this.frame;
    const raw = f.raw;
    raw[0] = a0; raw[1] = a1; raw[2] = a2; raw[3] = a3; raw[4] = a4; raw[5] = a5;
    f.tsValid = false;
    const tv = f.thisVals;
    for (let i = 0; i < tv.length; i++) tv[i] = typeof tv[i] === 'string' ? '' : 0;
    for (let b = 0; b < bound.length; b++) {
      const { clause, probe } = bound[b]!;
      if (probe.filter !== null && !probe.filter(raw)) continue;
      const args = f.args;
      const map = probe.argMap;
      if (map === null) {
        for (let i = 0; i < 10; i++) args[i] = raw[i]!; // raw[6..9] stay 0: clears an alias's leftovers
      } else {
        for (let i = 0; i < 10; i++) {
          const src = map[i];
          args[i] = src === undefined ? 0 : typeof src === 'number' ? raw[src]! : src.k;
        }
      }
      f.probe = probe;
      f.self = this.selfFor(probe.ctx.vcpu);
      this.runClause(this.clauses[clause]!, f);
    }
    if (this.exitRequested) this.finishExit();
  }

  private selfFor(vcpu: number): Val[] {
    let s = this.selfStore.get(vcpu);
    if (s === undefined) {
      s = new Array(this.selfDecls.size).fill(0);
      for (const d of this.selfDecls.values()) if (d.t === 'string') s[d.slot] = '';
      this.selfStore.set(vcpu, s);
    }
    return s;
  }

  private runClause(c: CClause, f: Frame): void {
    let ai = -1;
    try {
      if (c.pred !== null && c.pred(f) === 0) return;
      f.pending = '';
      if (!this.quiet && c.records) {
        const fn = `${f.probe.func}:${f.probe.name}`;
        f.pending = `${String(f.probe.ctx.vcpu).padStart(3)} ${String(f.probe.id).padStart(6)} ${fn.padStart(32)} `;
      }
      const acts = c.actions;
      for (ai = 0; ai < acts.length; ai++) acts[ai]!(f);
      if (!this.quiet && c.records) {
        f.pending += '\n';
        if (!this.headingDone) {
          // chew(): the heading precedes the first record consumed (never an errored firing's)
          this.headingDone = true;
          this.write(`${'CPU'.padStart(3)} ${'ID'.padStart(6)} ${'FUNCTION:NAME'.padStart(32)}\n`);
        }
      }
      if (f.pending !== '') {
        this.write(f.pending);
        f.pending = '';
      }
    } catch (e) {
      if (!(e instanceof DRuntimeError)) throw e;
      f.pending = '';
      const p = f.probe;
      const where = ai < 0 ? 'predicate' : `action #${ai + 1}`;
      this.error(`vtx: error on enabled probe ID ${c.index + 1} (ID ${p.id}: ${p.provider}:${p.module}:${p.func}:${p.name}): ${e.message} in ${where} at line ${e.pos.line}, column ${e.pos.col}\n`);
    }
  }

  /** Fire a dtrace/profile provider probe (BEGIN, END, tick-N). */
  fireSpecial(probe: ProbeInstance, clausesMatching: (i: number) => boolean): void {
    const bound: Array<{ clause: number; probe: BoundProbe }> = [];
    const bp: BoundProbe = { ...probe, argMap: null, filter: null };
    for (let i = 0; i < this.clauses.length; i++) if (clausesMatching(i)) bound.push({ clause: i, probe: bp });
    if (probe.name === 'END') {
      // END fires even after exit(): run it directly.
      const wasExit = this.exitRequested;
      this.exitRequested = false;
      this.fire(bound, 0, 0, 0, 0, 0, 0);
      this.exitRequested = wasExit || this.exitRequested;
      return;
    }
    this.fire(bound, 0, 0, 0, 0, 0, 0);
  }

  /** Set by the registry: runs END and the final printing (the DProgram handle's end()). */
  onFinishExit: (() => void) | null = null;

  private finishExit(): void {
    if (this.onFinishExit) this.onFinishExit();
  }

  get stopped(): boolean {
    return this.ended || this.exitRequested;
  }

  markEnded(): void {
    this.ended = true;
  }

  /** dtrace(1M)'s end of run: a newline, then every aggregation not printed by printa(). */
  finalOutput(): string {
    let out = '\n';
    const names = [...this.aggs.values()].sort((a, b) => a.varId - b.varId);
    if (this.sort.sortRev) names.reverse();
    for (const agg of names) {
      if (agg.printed) continue;
      for (const e of agg.sortedEntries(this.sort)) out += this.entryLine(agg, e);
    }
    return out;
  }

  private entryLine(agg: Aggregation, e: AggEntry): string {
    let s = '';
    for (let i = 0; i < e.keys.length; i++) s += formatKey(e.keys[i]!, agg.keyTypes[i]!);
    return s + formatAggValue(agg, e) + '\n';
  }

  write(text: string): void {
    if (this.capture !== null) this.capture += text;
    if (this.opts.write) this.opts.write(text);
    else this.out.push(text);
  }

  private capture: string | null = null;

  /** Start recording what write() emits (for DProgramHandle.end()'s return value). */
  takeOutputMark(): void {
    this.capture = '';
  }

  /** Stop recording; return what was written since takeOutputMark(). */
  outputSince(): string {
    const s = this.capture ?? '';
    this.capture = null;
    return s;
  }

  private error(text: string): void {
    if (this.opts.writeError) this.opts.writeError(text);
    else if (this.errors.length < 1000) this.errors.push(text);
  }

  /** Output collected when no `write` option was given (and clears it). */
  takeOutput(): string {
    const s = this.out.join('');
    this.out.length = 0;
    return s;
  }

  requestExit(status: number): void {
    if (this.exitStatus === null) this.exitStatus = status;
    this.exitRequested = true;
  }

  get exitRequestedFlag(): boolean {
    return this.exitRequested;
  }

  /** An aggregation by name ('' for `@`), for programmatic access. */
  aggregation(name: string): Aggregation | undefined {
    return this.aggs.get(name);
  }

  // ------------------------------------------------------------------------------ compiling

  private scanAggRefs(c: Clause): void {
    const visit = (e: Expr): void => {
      switch (e.k) {
        case 'agg':
          if (!this.aggOrder.includes(e.name)) throw new DSyntaxError(e.pos, `expected an aggregation that is assigned somewhere but found "@${e.name}", which never is`);
          break;
        case 'call': case 'index': e.args.forEach(visit); break;
        case 'unary': case 'incdec': case 'cast': visit(e.e); break;
        case 'binary': visit(e.l); visit(e.r); break;
        case 'ternary': visit(e.c); visit(e.t); visit(e.f); break;
        case 'assign': visit(e.target); visit(e.value); break;
        default: break;
      }
    };
    for (const s of c.body) {
      if (s.k === 'expr') visit(s.e);
      else { s.keys.forEach(visit); s.args.forEach(visit); }
    }
  }

  private compileClause(c: Clause, index: number): CClause {
    this.curClause = index;
    let pred: NumFn | null = null;
    const actions: Action[] = [];
    const actionPos: Pos[] = [];
    if (c.pred) {
      try {
        pred = this.truth(this.expr(c.pred), c.pred.pos);
      } catch (e) {
        if (!(e instanceof Deferred)) throw e;
      }
    }
    for (const s of c.body) {
      try {
        actions.push(this.stmt(s));
        actionPos.push(s.pos);
      } catch (e) {
        if (!(e instanceof Deferred)) throw e;
      }
    }
    const records = c.body.length === 0 || c.body.some((s) => s.k !== 'agg');
    return { index, ast: c, pred, actions, actionPos, records, descs: this.descsOf(c) };
  }

  private truth(e: CExpr, pos: Pos): NumFn {
    if (!isInt(e.t)) throw new DSyntaxError(pos, `expected an integer expression but found a ${typeName(e.t)}`);
    return e.n!;
  }

  private num(e: CExpr, what = 'an integer expression'): NumFn {
    if (!isInt(e.t)) throw new DSyntaxError(e.pos, `expected ${what} but found a string`);
    return e.n!;
  }

  private str(e: CExpr, what = 'a string expression'): StrFn {
    if (e.t !== 'string') throw new DSyntaxError(e.pos, `expected ${what} but found an integer (${typeName(e.t)})`);
    return e.s!;
  }

  private constValue(e: CExpr, what: string): number {
    if (!e.isConst || !isInt(e.t)) throw new DSyntaxError(e.pos, `expected ${what} to be an integer constant but found a non-constant expression`);
    return e.n!(null as unknown as Frame);
  }

  private numExpr(t: IntType, n: NumFn, pos: Pos, isConst = false): CExpr {
    return { t, n, isConst, pos };
  }

  private strExpr(s: StrFn, pos: Pos, isConst = false): CExpr {
    return { t: 'string', s, isConst, pos };
  }

  // ---------------------------------------------------------------------------- statements

  private stmt(s: Stmt): Action {
    if (s.k === 'agg') return this.aggStmt(s);
    const e = s.e;
    if (e.k === 'call' && ACTIONS.has(e.name)) return this.action(e);
    const c = this.expr(e);
    if (c.t === 'string') {
      const fn = c.s!;
      return (f) => { fn(f); };
    }
    const fn = c.n!;
    return (f) => { fn(f); };
  }

  private aggStmt(s: Extract<Stmt, { k: 'agg' }>): Action {
    const fnIdx = (AGG_FN_NAMES as readonly string[]).indexOf(s.fn);
    if (fnIdx < 0) {
      throw new DSyntaxError(s.fnPos, `expected an aggregating function (count, sum, avg, min, max, stddev, quantize, lquantize, llquantize) but found "${s.fn}"`);
    }
    const fn = fnIdx as AggFn;
    const nargs: [number, number] = [[0, 0], [1, 1], [1, 1], [1, 1], [1, 1], [1, 1], [1, 2], [3, 5], [5, 6]][fnIdx] as [number, number];
    if (s.args.length < nargs[0] || s.args.length > nargs[1]) {
      const want = nargs[0] === nargs[1] ? `${nargs[0]}` : `${nargs[0]} to ${nargs[1]}`;
      throw new DSyntaxError(s.fnPos, `expected ${want} argument${nargs[1] === 1 ? '' : 's'} to ${s.fn}( ) but found ${s.args.length}`);
    }
    const args = s.args.map((a) => this.expr(a));
    const keys = s.keys.map((k) => this.expr(k));
    const keyTypes = keys.map((k) => k.t);
    let lq = null;
    let llq = null;
    try {
      if (fn === AggFn.LQUANTIZE) {
        const step = args.length > 3 ? this.constValue(args[3]!, 'lquantize( ) step (argument #3)') : 1;
        lq = makeLQuantParams(this.constValue(args[1]!, 'lquantize( ) base (argument #1)'), this.constValue(args[2]!, 'lquantize( ) limit (argument #2)'), step);
      } else if (fn === AggFn.LLQUANTIZE) {
        llq = makeLLQuantParams(
          this.constValue(args[1]!, 'llquantize( ) factor (argument #1)'), this.constValue(args[2]!, 'llquantize( ) low magnitude (argument #2)'),
          this.constValue(args[3]!, 'llquantize( ) high magnitude (argument #3)'), this.constValue(args[4]!, 'llquantize( ) steps per magnitude (argument #4)'),
        );
      }
    } catch (e) {
      if (e instanceof AggParamError) throw new DSyntaxError(s.fnPos, e.message);
      throw e;
    }
    let agg = this.aggs.get(s.name);
    const label = s.name === '' ? '@' : `@${s.name}`;
    if (agg === undefined) {
      agg = new Aggregation(s.name, this.aggOrder.indexOf(s.name) + 1, fn, keyTypes, lq, llq);
      this.aggs.set(s.name, agg);
    } else {
      if (agg.fn !== fn) throw new DSyntaxError(s.fnPos, `expected ${AGG_FN_NAMES[agg.fn]}( ) for ${label} (as first used) but found ${s.fn}( )`);
      if (agg.keyTypes.length !== keyTypes.length || agg.keyTypes.some((t, i) => (t === 'string') !== (keyTypes[i] === 'string') || (t !== 'string' && sizeOf(t) !== sizeOf(keyTypes[i] as IntType)))) {
        throw new DSyntaxError(s.pos, `expected the keys of ${label} to be [${agg.keyTypes.map(typeName).join(', ')}] (as first used) but found [${keyTypes.map(typeName).join(', ')}]`);
      }
      if (lq && (agg.lq!.base !== lq.base || agg.lq!.step !== lq.step || agg.lq!.levels !== lq.levels)) {
        throw new DSyntaxError(s.fnPos, `expected the lquantize( ) parameters of ${label} to match its first use`);
      }
      if (llq && (agg.llq!.factor !== llq.factor || agg.llq!.low !== llq.low || agg.llq!.high !== llq.high || agg.llq!.nsteps !== llq.nsteps)) {
        throw new DSyntaxError(s.fnPos, `expected the llquantize( ) parameters of ${label} to match its first use`);
      }
    }
    const a = agg;
    const val: NumFn = fn === AggFn.COUNT ? () => 0 : this.num(args[0]!, `an integer argument to ${s.fn}( )`);
    const incrIdx = fn === AggFn.QUANTIZE ? 1 : fn === AggFn.LQUANTIZE ? 4 : fn === AggFn.LLQUANTIZE ? 5 : -1;
    const incr: NumFn = incrIdx >= 0 && args[incrIdx] ? this.num(args[incrIdx]!, 'an integer increment') : () => 1;
    const keyFn = this.keyFn(keys);
    const scratch: KeyValue[] = new Array(keys.length);
    return (f) => {
      const mk = keyFn(f, scratch);
      a.update(a.entry(mk, scratch), val(f), incr(f));
    };
  }

  /** Evaluate keys into `scratch` and return a map key (the value itself for one key). */
  private keyFn(keys: CExpr[]): (f: Frame, scratch: KeyValue[]) => unknown {
    const fns = keys.map((k) => (k.t === 'string' ? k.s! : k.n!) as (f: Frame) => KeyValue);
    if (fns.length === 0) return () => '';
    if (fns.length === 1) {
      const k0 = fns[0]!;
      return (f, sc) => (sc[0] = k0(f));
    }
    return (f, sc) => {
      let mk = '';
      for (let i = 0; i < fns.length; i++) {
        const v = fns[i]!(f);
        sc[i] = v;
        mk += (i ? '\u0001' : '') + (typeof v === 'string' ? 's' + v : String(v));
      }
      return mk;
    };
  }

  private aggArg(e: Expr | undefined, action: string, argNo: number): string {
    if (e === undefined || e.k !== 'agg') {
      throw new DSyntaxError(e?.pos ?? { line: 0, col: 0 }, `expected an aggregation as argument #${argNo} of ${action}( ) but found ${e ? 'an expression' : 'nothing'}`);
    }
    return e.name;
  }

  private getAgg(name: string): () => Aggregation | undefined {
    return () => this.aggs.get(name);
  }

  private action(e: Extract<Expr, { k: 'call' }>): Action {
    const pos = e.pos;
    switch (e.name) {
      case 'printf': return this.printf(e);
      case 'printa': return this.printa(e);
      case 'trace': {
        if (e.args.length !== 1) throw new DSyntaxError(pos, `expected 1 argument to trace( ) but found ${e.args.length}`);
        const c = this.expr(e.args[0]!);
        if (c.t === 'string') {
          const s = c.s!;
          return (f) => { f.pending += this.quiet ? s(f) : formatStringRecord(s(f), -33); };
        }
        const n = c.n!;
        const size = sizeOf(c.t);
        return (f) => {
          const v = n(f);
          const txt = size === 4 ? String(v | 0) : sdec(v);
          f.pending += this.quiet ? txt : ' ' + txt.padStart(size === 4 ? 8 : 16);
        };
      }
      case 'exit': {
        if (e.args.length !== 1) throw new DSyntaxError(pos, `expected 1 argument to exit( ) but found ${e.args.length}`);
        const n = this.num(this.expr(e.args[0]!), 'an integer exit status');
        return (f) => this.requestExit(n(f) | 0);
      }
      case 'clear': case 'denormalize': {
        if (e.args.length !== 1) throw new DSyntaxError(pos, `expected 1 argument to ${e.name}( ) but found ${e.args.length}`);
        const get = this.getAgg(this.aggArg(e.args[0], e.name, 1));
        const clear = e.name === 'clear';
        return () => {
          const a = get();
          if (a) { if (clear) a.clear(); else a.denormalize(); }
        };
      }
      case 'trunc': {
        if (e.args.length < 1 || e.args.length > 2) throw new DSyntaxError(pos, `expected 1 or 2 arguments to trunc( ) but found ${e.args.length}`);
        const get = this.getAgg(this.aggArg(e.args[0], 'trunc', 1));
        const n = e.args[1] ? this.num(this.expr(e.args[1]), 'an integer count') : () => 0;
        return (f) => { get()?.trunc(n(f), this.sort); };
      }
      case 'normalize': {
        if (e.args.length !== 2) throw new DSyntaxError(pos, `expected 2 arguments to normalize( ) but found ${e.args.length}`);
        const get = this.getAgg(this.aggArg(e.args[0], 'normalize', 1));
        const arg = e.args[1]!;
        const n = this.num(this.expr(arg), 'an integer normalization factor');
        return (f) => {
          const v = n(f);
          if (v <= 0) throw new DRuntimeError(`invalid normalization factor ${v}`, arg.pos);
          get()?.normalize(v);
        };
      }
    }
    throw new DSyntaxError(pos, `expected an action but found "${e.name}"`);
  }

  private parseFmt(e: Expr | undefined, action: string): ParsedFormat {
    if (!e || e.k !== 'str') throw new DSyntaxError(e?.pos ?? { line: 0, col: 0 }, `expected a string literal format as argument #1 of ${action}( )`);
    try {
      return parseFormat(e.value);
    } catch (err) {
      if (err instanceof FormatError) throw new DSyntaxError(e.pos, `${action}( ) ${err.message}`);
      throw err;
    }
  }

  private printf(e: Extract<Expr, { k: 'call' }>): Action {
    if (e.args.length < 1) throw new DSyntaxError(e.pos, 'expected a format string argument to printf( ) but found none');
    const fmt = this.parseFmt(e.args[0], 'printf');
    const args = e.args.slice(1).map((a) => this.expr(a));
    type Piece = (f: Frame) => string;
    const pieces: Piece[] = [];
    let ai = 0;
    const take = (what: string, convNo: number): CExpr => {
      const a = args[ai++];
      if (!a) throw new DSyntaxError(e.args[0]!.pos, `printf( ) prototype mismatch: conversion #${convNo} (${what}) is missing a corresponding value argument`);
      return a;
    };
    fmt.convs.forEach((cv, i) => {
      const no = i + 1;
      const text = fmt.text[i]!;
      if (text) pieces.push(() => text);
      if (cv.agg) throw new DSyntaxError(e.args[0]!.pos, `printf( ) format conversion #${no} uses %@, which only printa( ) accepts`);
      const w = cv.width === -2 ? this.num(take('*', no), `an integer field width for conversion #${no}`) : null;
      const p = cv.prec === -2 ? this.num(take('.*', no), `an integer precision for conversion #${no}`) : null;
      const arg = take('%' + cv.conv, no);
      const width = cv.width;
      const prec = cv.prec;
      if (isIntConv(cv.conv)) {
        if (!isInt(arg.t)) throw new DSyntaxError(arg.pos, `printf( ) argument #${ai + 1} is incompatible with conversion #${no} prototype: conversion %${cv.conv} expects an integer but found a string`);
        if (cv.conv === 'c' && sizeOf(arg.t) > 4) throw new DSyntaxError(arg.pos, `printf( ) argument #${ai + 1} is incompatible with conversion #${no} prototype: conversion %c expects char, short, or int but found ${typeName(arg.t)}`);
        const n = arg.n!;
        const size = sizeOf(arg.t);
        const uns = D.isUnsigned(arg.t);
        if (w) pieces.push((f) => { const [sp, wd] = withDynWidth(cv, w(f)); return formatInt(sp, n(f), size, wd, p ? p(f) : prec, uns); });
        else pieces.push((f) => formatInt(cv, n(f), size, width, p ? p(f) : prec, uns));
      } else {
        if (arg.t !== 'string') throw new DSyntaxError(arg.pos, `printf( ) argument #${ai + 1} is incompatible with conversion #${no} prototype: conversion %s expects a string but found ${typeName(arg.t)}`);
        const s = arg.s!;
        if (w) pieces.push((f) => { const [sp, wd] = withDynWidth(cv, w(f)); return formatStr(sp, s(f), wd, p ? p(f) : prec); });
        else pieces.push((f) => formatStr(cv, s(f), width, p ? p(f) : prec));
      }
    });
    const last = fmt.text[fmt.text.length - 1]!;
    if (last) pieces.push(() => last);
    if (ai < args.length) throw new DSyntaxError(args[ai]!.pos, `printf( ) prototype mismatch: only ${ai} arguments required by the format but found ${args.length}`);
    return (f) => {
      let s = '';
      for (let i = 0; i < pieces.length; i++) s += pieces[i]!(f);
      f.pending += s;
    };
  }

  private printa(e: Extract<Expr, { k: 'call' }>): Action {
    if (e.args.length < 1) throw new DSyntaxError(e.pos, 'expected an aggregation argument to printa( ) but found none');
    const fmt = e.args[0]!.k === 'str' ? this.parseFmt(e.args[0], 'printa') : null;
    const aggNames = e.args.slice(fmt ? 1 : 0).map((a, i) => this.aggArg(a, 'printa', i + (fmt ? 2 : 1)));
    if (aggNames.length === 0) throw new DSyntaxError(e.pos, 'expected an aggregation argument to printa( ) after the format but found none');
    if (fmt) {
      for (const c of fmt.convs) if (c.width === -2 || c.prec === -2) throw new DSyntaxError(e.args[0]!.pos, 'printa( ) formats cannot use "*" widths');
      // Check the key conversions against the key types when the aggregation is already known
      // (it is when printa() follows the aggregating statement, the usual case).
      const known = this.aggs.get(aggNames[0]!);
      if (known) {
        let ki = 0;
        fmt.convs.forEach((c, i) => {
          if (c.agg) return;
          const t = known.keyTypes[ki++];
          const label = `@${aggNames[0]}`;
          if (t === undefined) {
            throw new DSyntaxError(e.args[0]!.pos, `printa( ) format conversion #${i + 1} (%${c.conv}) has no key of ${label} to print (${label} has ${known.keyTypes.length} key${known.keyTypes.length === 1 ? '' : 's'})`);
          }
          if ((t === 'string') !== (c.conv === 's')) {
            throw new DSyntaxError(e.args[0]!.pos, `printa( ) format conversion #${i + 1} (%${c.conv}) is incompatible with key #${ki} of ${label} (${typeName(t)})`);
          }
        });
      }
    }
    return (f) => {
      const aggs = aggNames.map((n) => this.aggs.get(n)).filter((a): a is Aggregation => a !== undefined);
      if (aggs.length !== aggNames.length) {
        if (!fmt) f.pending += '\n';
        return;
      }
      f.pending += this.printaText(aggs, fmt, e.pos);
    };
  }

  /** Rows for printa(): one aggregation sorted, or several joined on their keys. */
  private bundles(aggs: Aggregation[]): Array<{ keys: readonly KeyValue[]; entries: AggEntry[] }> {
    if (aggs.length === 1) {
      return aggs[0]!.sortedEntries(this.sort).map((e) => ({ keys: e.keys, entries: [e] }));
    }
    const map = new Map<string, { keys: readonly KeyValue[]; entries: AggEntry[] }>();
    aggs.forEach((a, ai) => {
      for (const e of a.entries.values()) {
        const k = e.keys.map((v) => (typeof v === 'string' ? 's' + v : String(v))).join('\u0001');
        let b = map.get(k);
        if (!b) {
          b = { keys: e.keys, entries: [] };
          map.set(k, b);
        }
        b.entries[ai] = e;
      }
    });
    const list = [...map.values()];
    for (const b of list) aggs.forEach((a, ai) => { if (!b.entries[ai]) b.entries[ai] = zeroEntry(a, b.keys); });
    const types = aggs[0]!.keyTypes;
    const r = this.sort.sortRev ? -1 : 1;
    const n = aggs.length;
    const pos = this.sortPos < n ? this.sortPos : 0;
    list.sort((x, y) => {
      if (this.sort.sortKey) {
        const c = compareKeys(types, x.keys, y.keys, this.sort.sortKeyPos);
        if (c) return r * c;
      }
      for (let i = 0; i < n; i++) {
        const ai = (i + pos) % n;
        const c = compareValues(aggs[ai]!, x.entries[ai]!, y.entries[ai]!);
        if (c) return r * c;
      }
      return this.sort.sortKey ? 0 : r * compareKeys(types, x.keys, y.keys, this.sort.sortKeyPos);
    });
    return list;
  }

  private printaText(aggs: Aggregation[], fmt: ParsedFormat | null, pos: Pos): string {
    const types = aggs[0]!.keyTypes;
    for (const a of aggs) {
      if (a.keyTypes.length !== types.length) {
        throw new DSyntaxError(pos, 'expected the aggregations of printa( ) to have the same keys');
      }
    }
    const rows = this.bundles(aggs);
    if (rows.length > 0) for (const a of aggs) a.printed = true;
    if (!fmt) {
      let out = '\n';
      for (const row of rows) {
        for (let i = 0; i < row.keys.length; i++) out += formatKey(row.keys[i]!, types[i]!);
        for (let i = 0; i < aggs.length; i++) out += formatAggValue(aggs[i]!, row.entries[i]!);
        out += '\n';
      }
      return out;
    }
    let out = '';
    for (const row of rows) {
      let ki = 0;
      let vi = 0;
      out += fmt.text[0];
      fmt.convs.forEach((cv, i) => {
        if (cv.agg) {
          const a = aggs[vi]!;
          const e = row.entries[vi]!;
          if (vi < aggs.length - 1) vi++; // extra %@ conversions re-print the last aggregation (dt_printf_format)
          if (isHistogram(a.fn)) out += formatAggValue(a, e);
          else if (cv.conv === 's') throw new DRuntimeError('printa( ) %@s cannot print an aggregation value', pos);
          else out += formatInt(cv, aggScalar(a, e), 8, cv.width, cv.prec);
        } else if (ki < row.keys.length) {
          const t = types[ki]!;
          const v = row.keys[ki++]!;
          if (t === 'string') {
            if (cv.conv !== 's') throw new DRuntimeError(`printa( ) conversion #${i + 1} (%${cv.conv}) cannot print string key`, pos);
            out += formatStr(cv, v as string, cv.width, cv.prec);
          } else {
            if (cv.conv === 's') throw new DRuntimeError(`printa( ) conversion #${i + 1} (%s) cannot print integer key`, pos);
            out += formatInt(cv, v as number, sizeOf(t), cv.width, cv.prec, D.isUnsigned(t));
          }
        } else {
          throw new DRuntimeError(`printa( ) format conversion #${i + 1} has no key left to print (the aggregation has ${row.keys.length} key${row.keys.length === 1 ? '' : 's'})`, pos);
        }
        out += fmt.text[i + 1];
      });
    }
    return out;
  }

  // --------------------------------------------------------------------------- expressions

  private declare(map: Map<string, VarDecl>, name: string, t: DType, pos: Pos, kind: string): VarDecl {
    let d = map.get(name);
    if (d === undefined) {
      d = { slot: map.size, t };
      map.set(name, d);
      this.declaredSomething = true;
      if (map === this.globalDecls) this.globals[d.slot] = t === 'string' ? '' : 0;
    } else if ((d.t === 'string') !== (t === 'string')) {
      throw new DSyntaxError(pos, `expected ${typeName(d.t)} for ${kind}${name} (its type at first assignment) but found ${typeName(t)}`);
    }
    return d;
  }

  private lookupVar(e: Expr): { d: VarDecl; kind: 'global' | 'self' | 'this' } {
    if (e.k === 'ident') {
      const d = this.globalDecls.get(e.name);
      if (d) return { d, kind: 'global' };
      if (this.declaring) throw new Deferred();
      throw new DSyntaxError(e.pos, `expected a known variable but found undefined identifier "${e.name}"`);
    }
    if (e.k === 'self' || e.k === 'this') {
      const d = (e.k === 'self' ? this.selfDecls : this.thisDecls).get(e.name);
      if (d) return { d, kind: e.k };
      if (this.declaring) throw new Deferred();
      throw new DSyntaxError(e.pos, `expected an assigned variable but found ${e.k}->${e.name}, which is never assigned`);
    }
    throw new Error('not a variable');
  }

  private varRead(e: Expr): CExpr {
    const { d, kind } = this.lookupVar(e);
    const slot = d.slot;
    const g = this.globals;
    let fn: (f: Frame) => Val;
    if (kind === 'global') fn = () => g[slot]!;
    else if (kind === 'self') fn = (f) => f.self[slot]!;
    else fn = (f) => f.thisVals[slot]!;
    return d.t === 'string' ? this.strExpr(fn as StrFn, e.pos) : this.numExpr(d.t, fn as NumFn, e.pos);
  }

  /** A writer for lvalue `e` of type decided by `t` (declares on first assignment). */
  private lvalue(e: Expr, t: DType | null): { t: DType; read: (f: Frame) => Val; write: (f: Frame, v: Val) => void } {
    if (e.k === 'index') {
      if (RESERVED.has(e.base)) throw new DSyntaxError(e.pos, `expected an assignable variable but found ${e.base}[], which is read-only`);
      const keys = e.args.map((a) => this.expr(a));
      let a = this.assocs.get(e.base);
      if (a === undefined) {
        if (t === null) {
          if (this.declaring) throw new Deferred();
          throw new DSyntaxError(e.pos, `expected an assigned array but found ${e.base}[], which is never assigned`);
        }
        a = { name: e.base, keyTypes: keys.map((k) => k.t), t, map: new Map() };
        this.assocs.set(e.base, a);
        this.declaredSomething = true;
      }
      const arr = a;
      if (arr.keyTypes.length !== keys.length || arr.keyTypes.some((kt, i) => (kt === 'string') !== (keys[i]!.t === 'string'))) {
        throw new DSyntaxError(e.pos, `expected keys [${arr.keyTypes.map(typeName).join(', ')}] for ${e.base}[] but found [${keys.map((k) => typeName(k.t)).join(', ')}]`);
      }
      const kf = this.keyFn(keys);
      const scratch: KeyValue[] = new Array(keys.length);
      const zero: Val = arr.t === 'string' ? '' : 0;
      const vt = arr.t;
      return {
        t: arr.t,
        read: (f) => {
          const v = arr.map.get(kf(f, scratch));
          return v === undefined ? zero : v;
        },
        write: (f, v) => {
          const k = kf(f, scratch);
          if (v === 0 && vt !== 'string') arr.map.delete(k); // assigning 0 frees the element, as in D
          else arr.map.set(k, v);
        },
      };
    }
    if (e.k === 'ident' && (BUILTIN_INTS[e.name] || BUILTIN_STRS.has(e.name) || /^arg[0-9]$/.test(e.name) || RESERVED.has(e.name) || this.inlines.has(e.name))) {
      throw new DSyntaxError(e.pos, `expected an assignable variable but found "${e.name}", which is read-only`);
    }
    let d: VarDecl;
    let kind: 'global' | 'self' | 'this';
    if (e.k === 'ident' || e.k === 'self' || e.k === 'this') {
      const map = e.k === 'ident' ? this.globalDecls : e.k === 'self' ? this.selfDecls : this.thisDecls;
      kind = e.k === 'ident' ? 'global' : e.k;
      const existing = map.get(e.name);
      if (existing) d = existing;
      else if (t !== null) d = this.declare(map, e.name, t, e.pos, e.k === 'ident' ? '' : `${e.k}->`);
      else {
        if (this.declaring) throw new Deferred();
        throw new DSyntaxError(e.pos, `expected an assigned variable but found "${e.name}", which is never assigned`);
      }
    } else {
      throw new DSyntaxError(e.pos, 'expected a variable');
    }
    const slot = d.slot;
    const g = this.globals;
    if (kind === 'global') return { t: d.t, read: () => g[slot]!, write: (_f, v) => { g[slot] = v; } };
    if (kind === 'self') return { t: d.t, read: (f) => f.self[slot]!, write: (f, v) => { f.self[slot] = v; } };
    return { t: d.t, read: (f) => f.thisVals[slot]!, write: (f, v) => { f.thisVals[slot] = v; } };
  }

  private expr(e: Expr): CExpr {
    if (++this.depth > 200) throw new DSyntaxError(e.pos, 'expected a shallower expression (nesting too deep)');
    try {
      return this.expr1(e);
    } finally {
      this.depth--;
    }
  }

  private expr1(e: Expr): CExpr {
    const pos = e.pos;
    switch (e.k) {
      case 'num': {
        const t = D.literalType(e.value, e.decimal, e.suffix);
        const v = Number(BigInt.asIntN(64, e.value));
        const cv = D.convert(v, t);
        return this.numExpr(t, () => cv, pos, true);
      }
      case 'str': {
        const v = e.value;
        return this.strExpr(() => v, pos, true);
      }
      case 'agg':
        throw new DSyntaxError(pos, `expected an expression but found aggregation "@${e.name}"`);
      case 'ident': return this.ident(e);
      case 'self': case 'this': return this.varRead(e);
      case 'index': return this.index(e);
      case 'member': {
        if (e.base !== 'vmcs') throw new DSyntaxError(pos, `expected "vmcs" before ".${e.name}" but found "${e.base}" (structs are not supported)`);
        return this.vmcsRead(e.name, pos);
      }
      case 'call': return this.call(e);
      case 'cast': {
        const ct = CAST_TYPES[e.type];
        if (!ct) throw new DSyntaxError(pos, `expected an integer type in the cast but found "${e.type}"`);
        const inner = this.expr(e.e);
        const n = this.num(inner, 'an integer operand of the cast');
        const { t, bits, signed } = ct;
        let fn: NumFn;
        if (bits === 8) fn = signed ? (f) => (n(f) << 24) >> 24 : (f) => n(f) & 0xff;
        else if (bits === 16) fn = signed ? (f) => (n(f) << 16) >> 16 : (f) => n(f) & 0xffff;
        else fn = (f) => D.convert(n(f), t);
        return this.numExpr(t, fn, pos, inner.isConst);
      }
      case 'unary': {
        const inner = this.expr(e.e);
        const n = this.num(inner, `an integer operand of "${e.op}"`);
        const t = D.promote(inner.t as IntType, 'i32');
        switch (e.op) {
          case '-': return this.numExpr(t, (f) => D.neg(t, D.convert(n(f), t)), pos, inner.isConst);
          case '+': return this.numExpr(t, (f) => D.convert(n(f), t), pos, inner.isConst);
          case '~': return this.numExpr(t, (f) => D.bnot(t, D.convert(n(f), t)), pos, inner.isConst);
          default: return this.numExpr('i32', (f) => (n(f) === 0 ? 1 : 0), pos, inner.isConst);
        }
      }
      case 'incdec': {
        const lv = this.lvalue(e.e, this.declaring ? 'i64' : null);
        if (lv.t === 'string') throw new DSyntaxError(pos, `expected an integer variable for "${e.op}" but found a string`);
        const t = lv.t as IntType;
        const { read, write } = lv;
        const d = e.op === '++' ? 1 : -1;
        if (e.prefix) return this.numExpr(t, (f) => { const v = D.add(t, read(f) as number, d); write(f, v); return v; }, pos);
        return this.numExpr(t, (f) => { const old = read(f) as number; write(f, D.add(t, old, d)); return old; }, pos);
      }
      case 'assign': return this.assign(e);
      case 'ternary': {
        const c = this.truth(this.expr(e.c), e.c.pos);
        const a = this.expr(e.t);
        const b = this.expr(e.f);
        const isConst = a.isConst && b.isConst && this.expr(e.c).isConst;
        if (a.t === 'string' || b.t === 'string') {
          const sa = this.str(a, 'a string in both branches of "?:"');
          const sb = this.str(b, 'a string in both branches of "?:"');
          return this.strExpr((f) => (c(f) !== 0 ? sa(f) : sb(f)), pos, isConst);
        }
        const t = D.promote(D.promote(a.t, b.t), 'i32');
        const na = a.n!;
        const nb = b.n!;
        return this.numExpr(t, (f) => D.convert(c(f) !== 0 ? na(f) : nb(f), t), pos, isConst);
      }
      case 'binary': return this.binary(e);
    }
  }

  private ident(e: Extract<Expr, { k: 'ident' }>): CExpr {
    const pos = e.pos;
    const name = e.name;
    const m = /^arg([0-9])$/.exec(name);
    if (m) {
      const i = Number(m[1]);
      return this.numExpr('i64', (f) => f.args[i]!, pos);
    }
    const bt = BUILTIN_INTS[name];
    if (bt) {
      switch (name) {
        case 'timestamp': case 'walltimestamp': return this.numExpr(bt, (f) => this.timestamp(f), pos);
        case 'vtimestamp': return this.numExpr(bt, (f) => { const vc = f.probe.ctx.vclock; return vc ? vc() : this.timestamp(f); }, pos);
        case 'id': return this.numExpr(bt, (f) => f.probe.id, pos);
        default: return this.numExpr(bt, (f) => f.probe.ctx.vcpu, pos);
      }
    }
    switch (name) {
      case 'probeprov': return this.strExpr((f) => f.probe.provider, pos);
      case 'probemod': case 'execname': return this.strExpr((f) => f.probe.module, pos);
      case 'probefunc': return this.strExpr((f) => f.probe.func, pos);
      case 'probename': return this.strExpr((f) => f.probe.name, pos);
    }
    if (RESERVED.has(name)) throw new DSyntaxError(pos, `expected "[" after "${name}" but found the bare name`);
    const inl = this.inlines.get(name);
    if (inl) return { ...inl, pos };
    return this.varRead(e);
  }

  private timestamp(f: Frame): number {
    if (!f.tsValid) {
      const tt = this.host.tickTime;
      f.ts = tt !== null ? tt : this.opts.clock ? this.opts.clock() : this.host.clock();
      f.tsValid = true;
    }
    return f.ts;
  }

  private vmcsRead(name: string, pos: Pos): CExpr {
    if (fieldEncoding(name) === undefined) throw new DSyntaxError(pos, `expected a VMCS field name (SDM name such as GUEST_RIP) but found "${name}"`);
    return this.numExpr('u64', (f) => {
      const rd = f.probe.ctx.vmcsRead;
      const v = rd ? rd(name) : undefined;
      if (v === undefined) throw new DRuntimeError(`invalid VMCS read of ${name} (no current VMCS for this probe)`, pos);
      return v;
    }, pos);
  }

  private index(e: Extract<Expr, { k: 'index' }>): CExpr {
    const pos = e.pos;
    if (e.base === 'args') {
      if (e.args.length !== 1) throw new DSyntaxError(pos, `expected one index for args[] but found ${e.args.length}`);
      const ie = this.expr(e.args[0]!);
      const i = this.constValue(ie, 'the index of args[]');
      const types = this.clauseArgTypes[this.curClause] ?? [];
      if (i < 0 || i >= types.length) throw new DSyntaxError(e.args[0]!.pos, `expected an args[] index below ${types.length} for the probes of this clause but found ${i}`);
      const t = types[i];
      if (t === null || t === undefined) throw new DSyntaxError(e.args[0]!.pos, `expected args[${i}] to have one type across the probes of this clause, but the descriptions match probes with different argument types`);
      return this.numExpr(t, (f) => D.convert(f.args[i]!, t), pos);
    }
    if (e.base === 'vmcs' || e.base === 'vmregs') {
      const a = e.args[0];
      if (e.args.length !== 1 || !a || a.k !== 'ident') throw new DSyntaxError(a?.pos ?? pos, `expected a VMCS field name inside ${e.base}[] but found an expression`);
      const name = e.base === 'vmregs' && a.name.startsWith('VMX_') ? a.name.slice(4) : a.name;
      return this.vmcsRead(name, a.pos);
    }
    if (e.base === 'strexitno') {
      if (e.args.length !== 1) throw new DSyntaxError(pos, 'expected one index for strexitno[]');
      const n = this.num(this.expr(e.args[0]!));
      return this.strExpr((f) => exitReasonIdent(n(f)), pos);
    }
    const lv = this.lvalue(e, null);
    const read = lv.read;
    return lv.t === 'string' ? this.strExpr(read as StrFn, pos) : this.numExpr(lv.t, read as NumFn, pos);
  }

  private call(e: Extract<Expr, { k: 'call' }>): CExpr {
    const pos = e.pos;
    const want = (n: number | [number, number]): void => {
      const [lo, hi] = typeof n === 'number' ? [n, n] : n;
      if (e.args.length < lo || e.args.length > hi) throw new DSyntaxError(pos, `expected ${lo === hi ? lo : `${lo} or ${hi}`} argument${hi === 1 ? '' : 's'} to ${e.name}( ) but found ${e.args.length}`);
    };
    switch (e.name) {
      case 'exitname': {
        want(1);
        const n = this.num(this.expr(e.args[0]!), 'an integer exit reason');
        return this.strExpr((f) => exitReasonName(n(f)), pos);
      }
      case 'strjoin': {
        want(2);
        const a = this.str(this.expr(e.args[0]!));
        const b = this.str(this.expr(e.args[1]!));
        return this.strExpr((f) => a(f) + b(f), pos);
      }
      case 'strlen': {
        want(1);
        const a = this.str(this.expr(e.args[0]!));
        return this.numExpr('u64', (f) => a(f).length, pos);
      }
      case 'lltostr': {
        want([1, 2]);
        const n = this.num(this.expr(e.args[0]!));
        const base = e.args[1] ? this.constValue(this.expr(e.args[1]), 'the base of lltostr( )') : 10;
        if (base < 2 || base > 36) throw new DSyntaxError(e.args[1]!.pos, `expected a base between 2 and 36 but found ${base}`);
        return this.strExpr((f) => {
          const v = n(f);
          return base === 10 ? sdec(v) : u64(v).toString(base);
        }, pos);
      }
    }
    if (ACTIONS.has(e.name)) throw new DSyntaxError(pos, `expected an expression but found action ${e.name}( ), which cannot be used as a value`);
    throw new DSyntaxError(pos, `expected a known function (exitname, strjoin, strlen, lltostr) but found "${e.name}"`);
  }

  private assign(e: Extract<Expr, { k: 'assign' }>): CExpr {
    const pos = e.pos;
    const rhs = this.expr(e.value);
    if (!isVar(e.target)) throw new DSyntaxError(pos, 'expected a variable on the left of the assignment');
    if (e.op === '=') {
      const lv = this.lvalue(e.target, rhs.t);
      const { write } = lv;
      if (lv.t === 'string') {
        const s = this.str(rhs, `a string value for a string variable`);
        return this.strExpr((f) => { const v = s(f); write(f, v); return v; }, pos);
      }
      const t = lv.t as IntType;
      const n = this.num(rhs, `an integer value for a ${typeName(t)} variable`);
      return this.numExpr(t, (f) => { const v = D.convert(n(f), t); write(f, v); return v; }, pos);
    }
    const lv = this.lvalue(e.target, isInt(rhs.t) ? rhs.t : null);
    if (lv.t === 'string') throw new DSyntaxError(pos, `expected an integer variable for "${e.op}" but found a string`);
    const t = lv.t as IntType;
    const n = this.num(rhs, `an integer right operand of "${e.op}"`);
    const op = this.arith(e.op.slice(0, -1), D.promote(D.promote(t, rhs.t as IntType), 'i32'), e.value.pos);
    const { read, write } = lv;
    return this.numExpr(t, (f) => { const v = D.convert(op(read(f) as number, n(f)), t); write(f, v); return v; }, pos);
  }

  /** The arithmetic/bitwise operator `op` at type `t`. */
  private arith(op: string, t: IntType, pos: Pos): (a: number, b: number) => number {
    switch (op) {
      case '+': return (a, b) => D.add(t, D.convert(a, t), D.convert(b, t));
      case '-': return (a, b) => D.sub(t, D.convert(a, t), D.convert(b, t));
      case '*': return (a, b) => D.mul(t, D.convert(a, t), D.convert(b, t));
      case '/': return (a, b) => {
        if (b === 0) throw new DRuntimeError('divide-by-zero', pos);
        return D.div(t, D.convert(a, t), D.convert(b, t));
      };
      case '%': return (a, b) => {
        if (b === 0) throw new DRuntimeError('divide-by-zero', pos);
        return D.mod(t, D.convert(a, t), D.convert(b, t));
      };
      case '&': return (a, b) => D.band(t, D.convert(a, t), D.convert(b, t));
      case '|': return (a, b) => D.bor(t, D.convert(a, t), D.convert(b, t));
      case '^': return (a, b) => D.bxor(t, D.convert(a, t), D.convert(b, t));
      case '<<': return (a, b) => D.shl(t, D.convert(a, t), b);
      case '>>': return (a, b) => D.shr(t, D.convert(a, t), b);
    }
    throw new DSyntaxError(pos, `expected an operator but found "${op}"`);
  }

  private binary(e: Extract<Expr, { k: 'binary' }>): CExpr {
    const pos = e.pos;
    const l = this.expr(e.l);
    const r = this.expr(e.r);
    const isConst = l.isConst && r.isConst;
    const op = e.op;
    if (op === '&&' || op === '||' || op === '^^') {
      const a = this.truth(l, e.l.pos);
      const b = this.truth(r, e.r.pos);
      if (op === '&&') return this.numExpr('i32', (f) => (a(f) !== 0 && b(f) !== 0 ? 1 : 0), pos, isConst);
      if (op === '||') return this.numExpr('i32', (f) => (a(f) !== 0 || b(f) !== 0 ? 1 : 0), pos, isConst);
      return this.numExpr('i32', (f) => ((a(f) !== 0) !== (b(f) !== 0) ? 1 : 0), pos, isConst);
    }
    if (['==', '!=', '<', '<=', '>', '>='].includes(op)) {
      let c: (f: Frame) => number;
      if (l.t === 'string' || r.t === 'string') {
        const a = this.str(l, `a string on both sides of "${op}"`);
        const b = this.str(r, `a string on both sides of "${op}"`);
        c = (f) => { const x = a(f); const y = b(f); return x < y ? -1 : x > y ? 1 : 0; };
      } else {
        const t = D.promote(D.promote(l.t, r.t as IntType), 'i32');
        const a = l.n!;
        const b = r.n!;
        c = (f) => D.cmp(t, D.convert(a(f), t), D.convert(b(f), t));
      }
      switch (op) {
        case '==': return this.numExpr('i32', (f) => (c(f) === 0 ? 1 : 0), pos, isConst);
        case '!=': return this.numExpr('i32', (f) => (c(f) !== 0 ? 1 : 0), pos, isConst);
        case '<': return this.numExpr('i32', (f) => (c(f) < 0 ? 1 : 0), pos, isConst);
        case '<=': return this.numExpr('i32', (f) => (c(f) <= 0 ? 1 : 0), pos, isConst);
        case '>': return this.numExpr('i32', (f) => (c(f) > 0 ? 1 : 0), pos, isConst);
        default: return this.numExpr('i32', (f) => (c(f) >= 0 ? 1 : 0), pos, isConst);
      }
    }
    const a = this.num(l, `an integer left operand of "${op}"`);
    const b = this.num(r, `an integer right operand of "${op}"`);
    const t = op === '<<' || op === '>>' ? D.promote(l.t as IntType, 'i32') : D.promote(D.promote(l.t as IntType, r.t as IntType), 'i32');
    const fn = this.arith(op, t, e.r.pos);
    return this.numExpr(t, (f) => fn(a(f), b(f)), pos, isConst);
  }
}
