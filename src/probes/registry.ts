/**
 * The probe registry of one machine: it owns the probe sites, numbers the probes, enables D
 * programs (consumers) on them, and drives the dtrace provider (BEGIN/END) and the profile
 * provider's `tick-N` probes from the machine's virtual clock.
 *
 * A site costs its firing point one predictable branch while nobody listens
 * (`if (site.enabled) site.fire(...)`); `enable()` attaches a handler to every matching site and
 * to sites created later. Ticks: the machine asks `nextDeadline()` (virtual ns, Infinity if none)
 * and calls `advance(nowNs)` when its clock reaches it; every tick due is fired in deadline order
 * with `timestamp` equal to its deadline.
 *
 * Models: several concurrent consumers per registry, each with its own variables and aggregations;
 * probe ids (BEGIN 1, END 2, ERROR 3, then sites and tick probes in creation order).
 * Does not model: module-level state (there is none: two machines, two registries).
 */
import { FIRST_SITE_PROBE_ID, PROBE_ID_BEGIN, PROBE_ID_END } from './catalog.js';
import { type BoundProbe, CompiledProgram, type EnableOptions, type ProbeContext, type ProbeInstance, type ProgramHost } from './d-program.js';
import { ProbeSite } from './site.js';

export interface RegistryOptions {
  /** Machine virtual time in ns (`timestamp`). Default: always 0. */
  clock?: () => number;
  /** The machine's name (the probe module); informational. */
  machine?: string;
  /** Default `onExit` for programs enabled without one: `exit(n)` asks the machine to stop. */
  onExit?: (status: number) => void;
}

/** Reads a field of a vCPU's current VMCS by SDM name (undefined when there is none). */
export type VmcsReader = (name: string) => number | undefined;

interface SiteRecord extends ProbeInstance {
  readonly site: ProbeSite;
}

interface TickState {
  probe: ProbeInstance;
  intervalNs: number;
  next: number;
}

/** Upper bound on ticks fired by one advance() call (a clock jump of years must not hang). */
const MAX_TICKS_PER_ADVANCE = 100000;

/** The handle returned by `ProbeRegistry.enable`: one enabled D program (one consumer). */
export class DProgram {
  private detachers: Array<() => void> = [];
  readonly ticks: TickState[] = [];
  private endText: string | null = null;
  private ending = false;

  constructor(readonly program: CompiledProgram, private readonly registry: ProbeRegistry, private readonly opts: EnableOptions) {}

  /** @internal */
  addDetacher(d: () => void): void {
    this.detachers.push(d);
  }

  /** True once END ran (explicit end() or after exit()). */
  get ended(): boolean {
    return this.endText !== null;
  }

  /** Exit status from `exit(n)`, or null. */
  get exitStatus(): number | null {
    return this.program.exitStatus;
  }

  /**
   * Stop tracing: fire END, then print dtrace's trailing newline and every aggregation not printed
   * by printa(). Returns the text written by this call. Idempotent (later calls return '').
   */
  end(): string {
    if (this.endText !== null || this.ending) return '';
    this.ending = true; // exit() inside END must not re-enter
    const p = this.program;
    p.takeOutputMark();
    for (const d of this.detachers) d();
    this.detachers = [];
    this.registry.dropHandle(this);
    const endProbe: ProbeInstance = { id: PROBE_ID_END, provider: 'dtrace', module: '', func: '', name: 'END', ctx: { vcpu: 0 } };
    p.fireSpecial(endProbe, (i) => p.matchesSpecial(i, 'dtrace', 'END'));
    p.markEnded();
    p.write(p.finalOutput());
    this.endText = p.outputSince();
    return this.endText;
  }

  /** Output kept when no `write` option was given (and clears it). */
  output(): string {
    return this.program.takeOutput();
  }

  /** Run-time error messages kept when no `writeError` option was given. */
  get errors(): readonly string[] {
    return this.program.errors;
  }

  /** @internal called after a firing in which exit() ran. */
  finishExit(): void {
    if (this.endText !== null || this.ending) return;
    this.end();
    this.opts.onExit?.(this.program.exitStatus ?? 0);
  }
}

export class ProbeRegistry {
  private readonly sitesByName = new Map<string, SiteRecord>();
  private readonly siteList: SiteRecord[] = [];
  private readonly handles: DProgram[] = [];
  private readonly tickIds = new Map<string, number>();
  private nextId = FIRST_SITE_PROBE_ID;
  private readonly clock: () => number;
  private tickTime: number | null = null;
  private readonly host: ProgramHost;
  private readonly vmcsReaders = new Map<number, VmcsReader>();
  private readonly vclocks = new Map<number, () => number>();
  private readonly defaultOnExit: ((status: number) => void) | undefined;
  readonly machine: string;

  constructor(opts: RegistryOptions = {}) {
    this.clock = opts.clock ?? (() => 0);
    this.machine = opts.machine ?? '';
    this.defaultOnExit = opts.onExit;
    const self = this;
    this.host = {
      clock: () => self.clock(),
      get tickTime() { return self.tickTime; },
    };
  }

  /**
   * The site for `provider:module:func:name`, created on first request; firing points keep it.
   * `ctx` is used when the site is created (default: vcpu parsed from `func` = "vcpuN", else 0).
   */
  site(provider: string, module: string, func: string, name: string, ctx?: ProbeContext): ProbeSite {
    const key = `${provider}:${module}:${func}:${name}`;
    const existing = this.sitesByName.get(key);
    if (existing) return existing.site;
    const m = /^vcpu(\d+)$/.exec(func);
    const rec: SiteRecord = {
      id: this.nextId++, provider, module, func, name,
      ctx: ctx ?? this.defaultContext(m ? Number(m[1]) : 0),
      site: new ProbeSite(provider, module, func, name),
    };
    this.sitesByName.set(key, rec);
    this.siteList.push(rec);
    for (const h of this.handles) this.attach(h, rec);
    return rec.site;
  }

  /**
   * The context of a site created without one: its vCPU, and VMCS reads / vCPU clock through the
   * per-vCPU callbacks registered with `setVmcsReader` / `setVclock` (looked up at each read, so
   * registration order does not matter).
   */
  private defaultContext(vcpu: number): ProbeContext {
    return {
      vcpu,
      vmcsRead: (name) => {
        const r = this.vmcsReaders.get(vcpu);
        return r ? r(name) : undefined;
      },
      vclock: () => {
        const c = this.vclocks.get(vcpu);
        return c ? c() : this.clock();
      },
    };
  }

  /** Register how `vmcs[NAME]` reads vCPU `vcpu`'s current VMCS (null to remove). */
  setVmcsReader(vcpu: number, reader: VmcsReader | null): void {
    if (reader) this.vmcsReaders.set(vcpu, reader);
    else this.vmcsReaders.delete(vcpu);
  }

  /** Register vCPU `vcpu`'s virtual clock for `vtimestamp` (null: use the machine clock). */
  setVclock(vcpu: number, clock: (() => number) | null): void {
    if (clock) this.vclocks.set(vcpu, clock);
    else this.vclocks.delete(vcpu);
  }

  /** Every site created so far, in creation (probe id) order. */
  sites(): ReadonlyArray<{ readonly id: number; readonly site: ProbeSite }> {
    return this.siteList;
  }

  /**
   * Compile `source` and attach it: BEGIN fires now, matching sites get enabled, ticks are armed
   * relative to the current clock. Throws `DSyntaxError` (line, column, what was expected).
   */
  enable(source: string, options: EnableOptions = {}): DProgram {
    if (options.onExit === undefined && this.defaultOnExit) options = { ...options, onExit: this.defaultOnExit };
    const program = new CompiledProgram(source, this.host, options);
    const h = new DProgram(program, this, options);
    program.onFinishExit = () => h.finishExit();
    this.handles.push(h);
    for (const rec of this.siteList) this.attach(h, rec);
    const now = options.clock ? options.clock() : this.clock();
    for (const [name, intervalNs] of program.tickNames()) {
      let id = this.tickIds.get(name);
      if (id === undefined) {
        id = this.nextId++;
        this.tickIds.set(name, id);
      }
      h.ticks.push({ probe: { id, provider: 'profile', module: '', func: '', name, ctx: { vcpu: 0 } }, intervalNs, next: now + intervalNs });
    }
    const begin: ProbeInstance = { id: PROBE_ID_BEGIN, provider: 'dtrace', module: '', func: '', name: 'BEGIN', ctx: { vcpu: 0 } };
    program.fireSpecial(begin, (i) => program.matchesSpecial(i, 'dtrace', 'BEGIN'));
    return h;
  }

  private attach(h: DProgram, rec: SiteRecord): void {
    const bound: ReadonlyArray<{ clause: number; probe: BoundProbe }> = h.program.bind(rec);
    if (bound.length === 0) return;
    const p = h.program;
    h.addDetacher(rec.site.attach((_s, a0, a1, a2, a3, a4, a5) => p.fire(bound, a0, a1, a2, a3, a4, a5)));
  }

  /** @internal */
  dropHandle(h: DProgram): void {
    const i = this.handles.indexOf(h);
    if (i >= 0) this.handles.splice(i, 1);
  }

  /** The earliest pending tick deadline in virtual ns (Infinity when no tick probe is enabled). */
  nextDeadline(): number {
    let best = Infinity;
    for (const h of this.handles) for (const t of h.ticks) if (t.next < best) best = t.next;
    return best;
  }

  /** Fire every tick probe due at or before `nowNs`, in deadline order. Returns how many fired. */
  advance(nowNs: number): number {
    let fired = 0;
    while (fired < MAX_TICKS_PER_ADVANCE) {
      let best: TickState | null = null;
      let owner: DProgram | null = null;
      for (const h of this.handles) {
        for (const t of h.ticks) if (t.next <= nowNs && (best === null || t.next < best.next)) { best = t; owner = h; }
      }
      if (best === null || owner === null) break;
      const t = best;
      const p = owner.program;
      this.tickTime = t.next;
      t.next += t.intervalNs;
      p.fireSpecial(t.probe, (i) => p.matchesSpecial(i, 'profile', t.probe.name));
      this.tickTime = null;
      fired++;
    }
    if (fired >= MAX_TICKS_PER_ADVANCE) {
      // Skip the backlog rather than hang; ticks resume on their period after nowNs.
      for (const h of this.handles) for (const t of h.ticks) while (t.next <= nowNs) t.next += Math.max(t.intervalNs, Math.ceil((nowNs - t.next) / t.intervalNs) * t.intervalNs);
    }
    return fired;
  }

  /** End every enabled program (fires END, prints aggregations); returns the concatenated text. */
  endAll(): string {
    let s = '';
    for (const h of [...this.handles]) s += h.end();
    return s;
  }
}

/** Former name of `DProgram`. */
export type DProgramHandle = DProgram;
