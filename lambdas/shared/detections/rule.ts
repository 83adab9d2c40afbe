/**
 * What a detection rule is: metadata for the people it alerts (title, severity, MITRE ATT&CK,
 * runbook), the streams it reads, its tunables with defaults, and `evaluate`, called once per
 * event in time order. Rules that need history keep it in the {@link History} they are given,
 * which expires it; they never hold state of their own, so a rule gives the same answer in the
 * detector (DynamoDB) and in a backtest (memory).
 */
import type { EventType } from '../event-types';
import type { EventRef, EventView, Person } from './event-view';
import type { History } from './history';

export type Severity = 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';

export const SEVERITIES: readonly Severity[] = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

export interface MitreTechnique {
  /** e.g. `TA0006` */
  readonly tactic: string;
  /** e.g. `T1110.001` */
  readonly technique: string;
  readonly name: string;
}

/** Lists from the deployment config that rules compare events with. */
export interface Watchlists {
  /** Vault uuids whose permissions matter most. */
  readonly privilegedVaults: readonly string[];
  /** Group uuids whose membership matters most (Owners, Administrators, …). */
  readonly privilegedGroups: readonly string[];
  /** Item uuids whose every use is worth a look (break-glass credentials, root keys). */
  readonly sensitiveItems: readonly string[];
  /** Client app names allowed to use the account; empty: every app is allowed. */
  readonly allowedClientApps: readonly string[];
  /** ISO 3166-1 alpha-2 codes from which no sign-in should come. */
  readonly deniedCountries: readonly string[];
}

export const EMPTY_WATCHLISTS: Watchlists = {
  privilegedVaults: [],
  privilegedGroups: [],
  sensitiveItems: [],
  allowedClientApps: [],
  deniedCountries: [],
};

/** What a rule raises for one event: the finding's substance, without its bookkeeping. */
export interface Signal {
  /** One sentence: what happened, who, from where. */
  readonly summary: string;
  /** The events at hand that caused it, the triggering one last; a finding's id is made from every uuid. */
  readonly events: readonly EventView[];
  /** Earlier events that caused it, as the rule's history recorded them (see `refEntryData`). */
  readonly earlier?: readonly EventRef[];
  readonly person?: Person;
  readonly ip?: string;
  readonly country?: string;
  readonly vaultUuid?: string;
  readonly itemUuid?: string;
  /** Facts for the message and the finding document (counts, distances, the other IP). */
  readonly details?: Readonly<Record<string, string | number>>;
}

export interface RuleContext<Settings> {
  readonly settings: Settings;
  readonly watchlists: Watchlists;
  readonly history: History;
}

export interface Rule<Settings extends Record<string, number> = Record<string, number>> {
  /** kebab-case, stable: finding ids, suppressions and the config name rules by it. */
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly mitre: MitreTechnique;
  /** What on-call does first, in two or three sentences. */
  readonly runbook: string;
  /** The streams whose events `evaluate` is given. */
  readonly streams: readonly EventType[];
  /** Tunables and their defaults; the config may override each (README, Detections). */
  readonly defaults: Settings;
  /**
   * `false` for a rule too noisy on ordinary traffic to page anyone unless asked for: the
   * settings turn it on (`enabled: true`). BENCHMARKS.md counts each rule's false alarms.
   * @default true
   */
  readonly enabledByDefault?: boolean;
  /** Whether the rule needs a watchlist to do anything (it is skipped while that list is empty). */
  readonly needs?: keyof Watchlists;
  evaluate(event: EventView, context: RuleContext<Settings>): Promise<Signal[]> | Signal[];
}

/** A rule, typed for the registry whatever its settings. */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds rules of every settings shape
export type AnyRule = Rule<any>;

export function defineRule<Settings extends Record<string, number>>(rule: Rule<Settings>): Rule<Settings> {
  return rule;
}
