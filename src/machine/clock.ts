/**
 * The virtual clock. Time is derived from executed instructions, never from the host, so the same
 * image and options give the same output and the same VM-exit sequence on every run.
 *
 *   now (ns) = instructions retired * nsPerInstruction + time skipped while halted
 *
 * Devices schedule timers on it. When a vCPU halts, the machine advances the clock straight to the
 * next timer deadline (HLT does not spin). Deadlines that fall due are run in deadline order, ties
 * in scheduling order, so firing order is deterministic.
 *
 * Models: one monotonic clock per machine. Does not model: host wall time (only the RTC's initial
 * date, which is an option).
 */
export type TimerCallback = (nowNs: number) => void;

export interface Timer {
  /** Arm (or re-arm) the timer to fire at absolute virtual time `deadlineNs`. */
  arm(deadlineNs: number): void;
  disarm(): void;
  readonly armed: boolean;
  readonly deadline: number;
}

export class VirtualClock {
  /** Nanoseconds of virtual time per retired instruction (default 1 => 1000 MIPS guest). */
  nsPerInstruction: number;
  private baseNs = 0;
  private instructions = 0;
  private timers: TimerImpl[] = [];
  private seq = 0;
  /** The earliest armed deadline (Infinity if none): the run loop compares against it cheaply. */
  nextDeadline = Infinity;

  constructor(nsPerInstruction = 1) {
    this.nsPerInstruction = nsPerInstruction;
  }

  /** Current virtual time in ns. */
  now(): number {
    return this.baseNs + this.instructions * this.nsPerInstruction;
  }

  /** Account retired instructions (called by the run loop in batches). */
  addInstructions(n: number): void {
    this.instructions += n;
  }

  get retired(): number {
    return this.instructions;
  }

  /** Charge `ns` of virtual time that no instruction accounts for (a VM-exit round trip). */
  addTime(ns: number): void {
    if (ns > 0) this.baseNs += ns;
  }

  /** Skip forward to `ns` (used when all vCPUs are halted). Never moves backwards. */
  advanceTo(ns: number): void {
    const now = this.now();
    if (ns > now) this.baseNs += ns - now;
  }

  createTimer(name: string, callback: TimerCallback): Timer {
    const t = new TimerImpl(this, name, callback);
    this.timers.push(t);
    return t;
  }

  /** Run every timer whose deadline is <= now. Returns how many fired. */
  runDue(): number {
    let fired = 0;
    for (;;) {
      const now = this.now();
      let best: TimerImpl | null = null;
      for (const t of this.timers) {
        if (t.armed && t.deadline <= now && (best === null || t.deadline < best.deadline || (t.deadline === best.deadline && t.order < best.order))) best = t;
      }
      if (best === null) break;
      best.armed = false;
      this.recompute();
      best.callback(now);
      fired++;
      if (fired > 100000) break; // a device re-arming at "now" forever must not hang the host
    }
    return fired;
  }

  /** @internal */
  recompute(): void {
    let next = Infinity;
    for (const t of this.timers) if (t.armed && t.deadline < next) next = t.deadline;
    this.nextDeadline = next;
  }

  /** @internal */
  nextOrder(): number {
    return this.seq++;
  }

  saveState(): { baseNs: number; instructions: number } {
    return { baseNs: this.baseNs, instructions: this.instructions };
  }
  loadState(s: { baseNs: number; instructions: number }): void {
    this.baseNs = s.baseNs;
    this.instructions = s.instructions;
    this.recompute();
  }
}

class TimerImpl implements Timer {
  armed = false;
  deadline = Infinity;
  order = 0;
  constructor(private clock: VirtualClock, readonly name: string, readonly callback: TimerCallback) {}
  arm(deadlineNs: number): void {
    this.armed = true;
    this.deadline = deadlineNs;
    this.order = this.clock.nextOrder();
    this.clock.recompute();
  }
  disarm(): void {
    this.armed = false;
    this.deadline = Infinity;
    this.clock.recompute();
  }
}
