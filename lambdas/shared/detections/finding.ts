import { createHash } from 'node:crypto';
import type { EventRef, Person } from './event-view';
import type { AnyRule, MitreTechnique, Severity, Signal } from './rule';

/** The detail-type of the findings the detector puts on the account's default EventBridge bus. */
export const FINDING_DETAIL_TYPE = '1Password Events Archive Finding';
export const FINDING_EVENT_SOURCE = 'op-events-archive.detector';
export const FINDING_FORMAT_VERSION = 1;

/** What the detector emits, and what `detect` prints: one rule firing on one set of events. */
export interface Finding {
  readonly formatVersion: typeof FINDING_FORMAT_VERSION;
  /** Deterministic: the rule and the uuids of the events that caused it. A redelivered object makes the same id. */
  readonly id: string;
  readonly ruleId: string;
  readonly title: string;
  readonly severity: Severity;
  readonly mitre: MitreTechnique;
  readonly runbook: string;
  readonly source: string;
  /** The time of the event that triggered it (RFC 3339). */
  readonly time: string;
  readonly summary: string;
  readonly person?: Person;
  readonly ip?: string;
  readonly country?: string;
  readonly vaultUuid?: string;
  readonly itemUuid?: string;
  readonly details: Readonly<Record<string, string | number>>;
  /** Every event behind it, with its archive key and line: `verify` proves them untouched. */
  readonly events: readonly EventRef[];
}

export function findingId(ruleId: string, eventUuids: readonly string[]): string {
  const hash = createHash('sha256').update(ruleId);
  for (const uuid of [...new Set(eventUuids)].sort()) hash.update(`\n${uuid}`);
  return hash.digest('hex').slice(0, 32);
}

export function toFinding(rule: AnyRule, source: string, signal: Signal): Finding {
  const trigger = signal.events.at(-1);
  const time = trigger?.time;
  const refs = [...(signal.earlier ?? []), ...signal.events.map((event) => event.ref)];
  return {
    formatVersion: FINDING_FORMAT_VERSION,
    id: findingId(
      rule.id,
      refs.map((ref) => ref.uuid),
    ),
    ruleId: rule.id,
    title: rule.title,
    severity: rule.severity,
    mitre: rule.mitre,
    runbook: rule.runbook,
    source,
    time: time === undefined ? '' : new Date(time).toISOString(),
    summary: signal.summary,
    ...(signal.person ? { person: signal.person } : {}),
    ...(signal.ip ? { ip: signal.ip } : {}),
    ...(signal.country ? { country: signal.country } : {}),
    ...(signal.vaultUuid ? { vaultUuid: signal.vaultUuid } : {}),
    ...(signal.itemUuid ? { itemUuid: signal.itemUuid } : {}),
    details: signal.details ?? {},
    events: refs,
  };
}

/** A person as a message names them: name and e-mail, else what the event gave. */
export function describePerson(person: Person | undefined): string {
  if (!person) return 'someone unknown';
  if (person.name && person.email) return `${person.name} <${person.email}>`;
  return person.email ?? person.name ?? person.uuid ?? 'someone unknown';
}
