/**
 * A probe site: the one object a firing point holds. When nobody listens `enabled` is false and the
 * site costs one predictable branch: `if (site.enabled) site.fire(a0, a1, ...)`.
 *
 * Arguments are numbers (structured payload, never preformatted strings); their meaning is
 * documented per probe in `catalog.ts` (summary in `index.ts`). The consumer (the D runtime or a
 * typed-event bridge) is attached by the probe registry, which flips `enabled`.
 */
export type ProbeHandler = (site: ProbeSite, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number) => void;

export class ProbeSite {
  enabled = false;
  private handlers: ProbeHandler[] = [];

  constructor(
    readonly provider: string,
    readonly module: string,
    readonly func: string,
    readonly name: string,
  ) {}

  get fullName(): string {
    return `${this.provider}:${this.module}:${this.func}:${this.name}`;
  }

  fire(a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0): void {
    const hs = this.handlers;
    for (let i = 0; i < hs.length; i++) hs[i]!(this, a0, a1, a2, a3, a4, a5);
  }

  attach(h: ProbeHandler): () => void {
    this.handlers.push(h);
    this.enabled = true;
    return () => {
      const i = this.handlers.indexOf(h);
      if (i >= 0) this.handlers.splice(i, 1);
      this.enabled = this.handlers.length > 0;
    };
  }
}
