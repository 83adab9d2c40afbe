/**
 * Runs the rules over events in time order and turns what they raise into findings: the same
 * code in the detector (history in DynamoDB) and in `detect` (history in memory).
 */
import type { EventView } from './event-view';
import { type Finding, toFinding } from './finding';
import type { History } from './history';
import type { AnyRule } from './rule';
import { type DetectionSettings, ruleEnabled, ruleSettings, type Suppression } from './settings';

export interface Evaluation {
  readonly findings: Finding[];
  /** Findings a suppression held back, with the suppression. */
  readonly suppressed: Array<{ finding: Finding; suppression: Suppression }>;
}

export class DetectionEngine {
  private readonly active: AnyRule[];

  constructor(
    rules: readonly AnyRule[],
    private readonly settings: DetectionSettings,
    private readonly history: History,
    private readonly source: string,
  ) {
    this.active = rules.filter(
      (rule) => ruleEnabled(rule, settings) && (!rule.needs || settings.watchlists[rule.needs].length > 0),
    );
  }

  /** The rules that run: enabled, and with the watchlist they need. */
  get rules(): readonly AnyRule[] {
    return this.active;
  }

  async evaluate(event: EventView): Promise<Evaluation> {
    const evaluation: Evaluation = { findings: [], suppressed: [] };
    if (event.time === undefined) return evaluation;
    for (const rule of this.active) {
      if (!rule.streams.includes(event.stream)) continue;
      const signals = await rule.evaluate(event, {
        settings: ruleSettings(rule, this.settings),
        watchlists: this.settings.watchlists,
        history: this.history,
      });
      for (const signal of signals) {
        const finding = toFinding(rule, this.source, signal);
        const suppression = this.settings.suppressions.find((candidate) => suppresses(candidate, finding));
        if (suppression) evaluation.suppressed.push({ finding, suppression });
        else evaluation.findings.push(finding);
      }
    }
    return evaluation;
  }
}

function suppresses(suppression: Suppression, finding: Finding): boolean {
  if (suppression.rule !== finding.ruleId) return false;
  // The last day counts whole, in UTC.
  if (finding.time.slice(0, 10) > suppression.until) return false;
  if (suppression.ip && suppression.ip !== finding.ip) return false;
  if (suppression.person) {
    const wanted = suppression.person.toLowerCase();
    const person = finding.person;
    if (!person || (person.uuid?.toLowerCase() !== wanted && person.email !== wanted)) return false;
  }
  return true;
}
