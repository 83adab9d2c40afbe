import type { EventRef, EventView } from '../../shared/detections/event-view';
import { describePerson } from '../../shared/detections/finding';
import type { History, HistoryEntry } from '../../shared/detections/history';
import { defineRule, type Rule, type Signal } from '../../shared/detections/rule';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Sign-in categories that are a failure of the person signing in (not of a firewall rule). */
export const FAILED_SIGNIN = new Set(['credentials_failed', 'mfa_failed', 'sso_failed']);
export const SUCCESSFUL_SIGNIN = new Set(['success', 'firewall_reported_success']);
/** Item usage actions that put a secret in front of a person or a program. */
export const EXPOSING_ITEM_ACTIONS = new Set(['reveal', 'secure-copy', 'server-fetch', 'export']);

/** An audit event with one of `actions` (and, when given, one of `objectTypes`). */
export function isAudit(
  event: EventView,
  actions: ReadonlySet<string>,
  objectTypes?: ReadonlySet<string>,
): boolean {
  return (
    event.stream === 'auditevents' &&
    event.action !== undefined &&
    actions.has(event.action) &&
    (!objectTypes || (event.objectType !== undefined && objectTypes.has(event.objectType)))
  );
}

/** Records the event under `key` for `windowMs` and returns the events live in the window, this one included. */
export async function eventsInWindow(
  history: History,
  key: string,
  event: EventView,
  windowMs: number,
  data?: HistoryEntry['data'],
): Promise<HistoryEntry[]> {
  const at = event.time ?? 0;
  return history.remember(key, {
    id: event.ref.uuid,
    at,
    expiresAt: at + windowMs,
    data: { ...refData(event), ...data },
  });
}

/**
 * Whether `event` is the first under `key` in `periodMs` (and records it). The same event seen
 * again, as when the detector reads an object a second time, is still the first, so a finding
 * whose delivery failed is raised again rather than lost.
 */
export async function firstInPeriod(
  history: History,
  key: string,
  event: EventView,
  periodMs: number,
): Promise<boolean> {
  const at = event.time ?? 0;
  const live = await history.recall(key, at);
  if (live.some((entry) => entry.id !== event.ref.uuid)) return false;
  await history.remember(key, { id: event.ref.uuid, at, expiresAt: at + periodMs });
  return true;
}

/** Great-circle distance in km. */
export function distanceKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = (deg: number) => (deg * Math.PI) / 180;
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

export function from(event: EventView): string {
  return [event.ip, event.country].filter(Boolean).join(', ') || 'an unknown place';
}

/** What a history entry keeps of an event, so a later finding can link it in the archive. */
export function refData(event: EventView): Record<string, string | number> {
  return { stream: event.stream, key: event.ref.key, line: event.ref.line };
}

/** The event a history entry recorded with {@link refData}. */
export function refOf(entry: HistoryEntry): EventRef {
  const data = entry.data ?? {};
  return {
    uuid: entry.id,
    stream: String(data.stream ?? '') as EventRef['stream'],
    key: String(data.key ?? ''),
    line: Number(data.line ?? 0),
  };
}

/** A signal about one event, carrying the event's person, IP, country, vault and item. */
export function signalOf(event: EventView, summary: string, extra: Partial<Signal> = {}): Signal {
  return {
    summary,
    events: [event],
    ...(event.person.id ? { person: event.person } : {}),
    ...(event.ip ? { ip: event.ip } : {}),
    ...(event.country ? { country: event.country } : {}),
    ...(event.vaultUuid ? { vaultUuid: event.vaultUuid } : {}),
    ...(event.itemUuid ? { itemUuid: event.itemUuid } : {}),
    ...extra,
  };
}

/**
 * A rule that fires on every audit event with one of `actions` (and object types): the
 * administrative changes worth a look each time they happen.
 */
export function auditChangeRule(rule: {
  id: string;
  title: string;
  severity: Rule['severity'];
  mitre: Rule['mitre'];
  runbook: string;
  actions: readonly string[];
  objectTypes?: readonly string[];
  /** Further audit events that count, beyond `actions` on `objectTypes`. */
  also?: (event: EventView) => boolean;
  /** "changed the SSO configuration": what the summary says the actor did. */
  did: string;
  /** See {@link Rule.enabledByDefault}. */
  enabledByDefault?: boolean;
  /**
   * When given, one actor's changes within this many minutes (the tunable `sittingMinutes`) are
   * one sitting and make one finding, on the first: a change and its follow-ups, not a finding each.
   */
  sittingMinutes?: number;
}): Rule<Record<string, number>> {
  const actions = new Set(rule.actions);
  const objectTypes = rule.objectTypes ? new Set(rule.objectTypes) : undefined;
  return defineRule<Record<string, number>>({
    id: rule.id,
    title: rule.title,
    severity: rule.severity,
    mitre: rule.mitre,
    runbook: rule.runbook,
    streams: ['auditevents'],
    defaults: rule.sittingMinutes === undefined ? {} : { sittingMinutes: rule.sittingMinutes },
    ...(rule.enabledByDefault === undefined ? {} : { enabledByDefault: rule.enabledByDefault }),
    async evaluate(event, { settings, history }) {
      if (!isAudit(event, actions, objectTypes) && !(event.stream === 'auditevents' && rule.also?.(event)))
        return [];
      const sitting = settings.sittingMinutes;
      if (sitting !== undefined && event.person.id) {
        const key = `${rule.id}:${event.person.id}`;
        if (!(await firstInPeriod(history, key, event, sitting * MINUTE))) return [];
      }
      return [
        signalOf(
          event,
          `${describePerson(event.person)} ${rule.did} (${event.action}${event.objectType ? ` on ${event.objectType}` : ''}${event.objectUuid ? ` ${event.objectUuid}` : ''}) from ${from(event)}`,
          {
            details: {
              action: event.action ?? '',
              objectType: event.objectType ?? '',
              objectUuid: event.objectUuid ?? '',
            },
          },
        ),
      ];
    },
  });
}
