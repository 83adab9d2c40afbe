import type { Random } from './random';
import type { ChaosOptions, Fault, FaultRule, Feature } from './types';

/**
 * Decides which faults hit an event-endpoint request: queued rules first (deterministic, for tests
 * that need one exact failure), then seeded chaos (for soak runs and benchmarks).
 */
export class FaultPlan {
  private readonly rules: { fault: Fault; feature?: Feature; remaining: number }[] = [];
  private chaos: ChaosOptions | undefined;

  constructor(private readonly random: Random) {}

  inject(rules: readonly FaultRule[]): void {
    for (const rule of rules) {
      const remaining = rule.times ?? 1;
      if (remaining > 0) this.rules.push({ fault: rule.fault, feature: rule.feature, remaining });
    }
  }

  setChaos(chaos: ChaosOptions | undefined): void {
    this.chaos = chaos;
  }

  /** Faults to apply in order; a chaos delay may precede another chaos fault. */
  take(feature: Feature): Fault[] {
    const index = this.rules.findIndex((rule) => rule.feature === undefined || rule.feature === feature);
    const rule = this.rules[index];
    if (rule) {
      rule.remaining -= 1;
      if (rule.remaining === 0) this.rules.splice(index, 1);
      return [rule.fault];
    }
    const chaos = this.chaos;
    if (!chaos) return [];
    const faults: Fault[] = [];
    if (chaos.pDelayMs && this.random.chance(chaos.pDelayMs.p))
      faults.push({ kind: 'delay', ms: chaos.pDelayMs.ms });
    let r = this.random.next();
    const hit = (p: number | undefined) => {
      r -= p ?? 0;
      return r < 0;
    };
    if (hit(chaos.p429)) faults.push({ kind: 'status', status: 429 });
    else if (hit(chaos.p5xx))
      faults.push({ kind: 'status', status: this.random.pick([500, 502, 503, 504] as const) });
    else if (hit(chaos.pMalformed)) faults.push({ kind: 'malformed' });
    else if (hit(chaos.pEmptyHasMore)) faults.push({ kind: 'emptyHasMore' });
    return faults;
  }
}
