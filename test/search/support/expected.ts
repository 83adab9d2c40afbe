/**
 * What each saved query should return, computed in plain TypeScript from the events the
 * simulator served: no SQL, no DuckDB, and the rules written out again rather than imported.
 */
import { parseRfc3339, type SimEvent } from '../../../dev/simulator/index';
import { DAY, type Events } from './archive-fixture';

type User = { uuid?: string; name?: string; email?: string } | undefined | null;

export interface Lookups {
  readonly vaults: ReadonlyMap<string, string>;
  readonly items: ReadonlyMap<string, string>;
}

export const instantMs = (event: SimEvent): number => {
  const instant = parseRfc3339(String(event.timestamp));
  if (!instant) throw new Error(`bad timestamp ${event.timestamp}`);
  return instant.ms + instant.ns / 1e6;
};
const utcDay = (event: SimEvent) => new Date(Math.floor(instantMs(event))).toISOString().slice(0, 10);
const inWindow = (now: Date, days: number) => (event: SimEvent) =>
  instantMs(event) >= now.getTime() - days * DAY;
const uuidOf = (user: unknown) => (user as User)?.uuid;

/** The latest name and e-mail of every user uuid, from every place an event names a user. */
export function latestUsers(events: Events): Map<string, { name: string; email: string; at: number }> {
  const users = new Map<string, { name: string; email: string; at: number }>();
  const see = (user: unknown, at: number) => {
    const u = user as User;
    if (!u?.uuid || u.name === undefined) return;
    const known = users.get(u.uuid);
    if (!known || at > known.at) users.set(u.uuid, { name: u.name, email: u.email ?? '', at });
  };
  for (const event of events.signinattempts) see(event.target_user, instantMs(event));
  for (const event of events.itemusages) see(event.user, instantMs(event));
  for (const event of events.auditevents) {
    for (const user of [event.actor_details, event.object_details, event.aux_details])
      see(user, instantMs(event));
  }
  return users;
}

function count<K>(map: Map<K, number>, key: K, by = 1) {
  map.set(key, (map.get(key) ?? 0) + by);
}

export function failedSignins(events: Events, now: Date, days: number): Map<string, number> {
  const failed = new Map<string, number>();
  for (const event of events.signinattempts.filter(inWindow(now, days))) {
    if (event.category === 'success' || event.category === 'firewall_reported_success') continue;
    const country = event.country ? String(event.country) : '(unknown)';
    count(failed, `${uuidOf(event.target_user)}|${country}|${event.category}`);
  }
  return failed;
}

export function newCountries(
  events: Events,
  now: Date,
  days: number,
): Map<string, { signins: number; previous: string; firstSeen: number }> {
  const cutoff = now.getTime() - days * DAY;
  const successes = events.signinattempts.filter((event) => event.category === 'success' && event.country);
  const first = new Map<string, { at: number; signins: number }>();
  const before = new Map<string, Set<string>>();
  for (const event of successes) {
    const user = String(uuidOf(event.target_user));
    const at = instantMs(event);
    const key = `${user}|${event.country}`;
    const seen = first.get(key);
    first.set(key, {
      at: Math.min(at, seen?.at ?? Number.POSITIVE_INFINITY),
      signins: (seen?.signins ?? 0) + 1,
    });
    if (at < cutoff) before.set(user, (before.get(user) ?? new Set()).add(String(event.country)));
  }
  const result = new Map<string, { signins: number; previous: string; firstSeen: number }>();
  for (const [key, { at, signins }] of first) {
    const user = key.split('|')[0] ?? '';
    const previous = before.get(user);
    if (at >= cutoff && previous)
      result.set(key, { signins, previous: [...previous].sort().join(', '), firstSeen: at });
  }
  return result;
}

export function usageByVaultAndAction(
  events: Events,
  now: Date,
  days: number,
): Map<string, { usages: number; users: number }> {
  const usages = new Map<string, number>();
  const users = new Map<string, Set<string>>();
  for (const event of events.itemusages.filter(inWindow(now, days))) {
    const key = `${utcDay(event)}|${event.vault_uuid}|${event.action}`;
    count(usages, key);
    users.set(key, (users.get(key) ?? new Set()).add(String(uuidOf(event.user))));
  }
  return new Map([...usages].map(([key, n]) => [key, { usages: n, users: users.get(key)?.size ?? 0 }]));
}

export function exposures(events: Events, now: Date, days: number, vault?: string): SimEvent[] {
  return events.itemusages
    .filter(inWindow(now, days))
    .filter((event) => ['reveal', 'secure-copy', 'export'].includes(String(event.action)))
    .filter((event) => vault === undefined || event.vault_uuid === vault);
}

/** The administrative changes the issue names, by the label an auditor reads. */
export function adminChanges(events: Events, now: Date, days: number): Map<string, string> {
  const label = (event: SimEvent): string | undefined => {
    const { action, object_type: type } = event as { action: string; object_type: string };
    if (['enblmfa', 'disblmfa', 'updatmfa', 'enblduo', 'disblduo', 'updatduo'].includes(action))
      return 'MFA changed';
    if (action.endsWith('sso') || ['chngasso', 'chngdsso', 'chngpsso'].includes(action)) return 'SSO changed';
    if (action === 'suspend' && type === 'user') return 'User suspended';
    if (action === 'grant' && (type === 'uva' || type === 'gva')) return 'Vault access granted';
    if (action === 'create' && type === 'satoken') return 'Service account token created';
    return undefined;
  };
  const changes = new Map<string, string>();
  for (const event of events.auditevents.filter(inWindow(now, days))) {
    const found = label(event);
    if (found) changes.set(String(event.uuid), found);
  }
  return changes;
}

export function activityPerDay(events: Events, now: Date, days: number, source: string): Map<string, number> {
  const activity = new Map<string, number>();
  for (const stream of ['signinattempts', 'itemusages', 'auditevents'] as const) {
    for (const event of events[stream].filter(inWindow(now, days)))
      count(activity, `${utcDay(event)}|${stream}|${source}`);
  }
  return activity;
}

export function topItems(events: Events, now: Date, days: number, limit: number) {
  const usages = new Map<string, number>();
  const users = new Map<string, Set<string>>();
  for (const event of events.itemusages.filter(inWindow(now, days))) {
    const item = String(event.item_uuid);
    count(usages, item);
    users.set(item, (users.get(item) ?? new Set()).add(String(uuidOf(event.user))));
  }
  return [...usages]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([item, n]) => ({ item_uuid: item, usages: n, users: users.get(item)?.size ?? 0 }));
}

export function topUsers(events: Events, now: Date, days: number, limit: number) {
  const counts = new Map<string, { signin_attempts: number; item_usages: number; audit_events: number }>();
  const add = (user: string | undefined, field: 'signin_attempts' | 'item_usages' | 'audit_events') => {
    if (!user) return;
    const entry = counts.get(user) ?? { signin_attempts: 0, item_usages: 0, audit_events: 0 };
    entry[field] += 1;
    counts.set(user, entry);
  };
  for (const event of events.signinattempts.filter(inWindow(now, days)))
    add(uuidOf(event.target_user), 'signin_attempts');
  for (const event of events.itemusages.filter(inWindow(now, days))) add(uuidOf(event.user), 'item_usages');
  for (const event of events.auditevents.filter(inWindow(now, days)))
    add(String(event.actor_uuid), 'audit_events');
  const total = (c: { signin_attempts: number; item_usages: number; audit_events: number }) =>
    c.signin_attempts + c.item_usages + c.audit_events;
  return [...counts]
    .sort((a, b) => total(b[1]) - total(a[1]) || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([user, c]) => ({ user_uuid: user, ...c, events: total(c) }));
}
