/**
 * What each saved query should return, computed in plain TypeScript from the events the
 * simulator served: no SQL, no DuckDB, and the rules written out again rather than imported:
 * a time stamp without a zone is UTC; people are keyed by uuid, else e-mail (lower case), else
 * name; a country is its ISO code, names mapped through the simulator's own list of places.
 */
import { PLACES } from '../../../dev/simulator/account';
import { parseRfc3339, type SimEvent } from '../../../dev/simulator/index';
import { DAY, type Events } from './archive-fixture';

type User = { uuid?: string; name?: string; email?: string } | undefined | null;

const ZONELESS = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(\.\d+)?)$/;

type Keys = {
  of: (user: unknown, uuid?: string) => string | undefined;
  actor: (event: SimEvent) => string | undefined;
};
const keysByEvents = new WeakMap<Events, Keys>();

/**
 * Who a user object names: its uuid; else the uuid of the latest event that gives its e-mail
 * with a uuid; else its e-mail in lower case; else its name.
 */
export function personKeys(events: Events): Keys {
  const known = keysByEvents.get(events);
  if (known) return known;
  const resolved = new Map<string, { uuid: string; at: number }>();
  const sightings = (visit: (user: unknown, at: number, uuid: string | undefined) => void) => {
    for (const event of events.signinattempts) visit(event.target_user, instantMs(event), undefined);
    for (const event of events.itemusages) visit(event.user, instantMs(event), undefined);
    for (const event of events.auditevents) {
      const at = instantMs(event);
      visit(event.actor_details, at, actorUuid(event));
      visit(event.object_details, at, undefined);
      visit(event.aux_details, at, undefined);
    }
  };
  sightings((user, at, given) => {
    const u = user as User;
    const uuid = (given ?? u?.uuid)?.trim();
    const email = u?.email?.trim().toLowerCase();
    if (!uuid || !email) return;
    const seen = resolved.get(email);
    if (!seen || at >= seen.at) resolved.set(email, { uuid, at });
  });
  const of = (user: unknown, uuid = (user as User)?.uuid): string | undefined => {
    const u = user as User;
    const email = u?.email?.trim().toLowerCase();
    return uuid?.trim() || (email && resolved.get(email)?.uuid) || email || u?.name?.trim() || undefined;
  };
  const keys: Keys = { of, actor: (event) => of(event.actor_details, actorUuid(event)) };
  keysByEvents.set(events, keys);
  return keys;
}
const actorUuid = (event: SimEvent) =>
  (event.actor_uuid as string | undefined) ?? (event.actor_details as User)?.uuid;

/** A country as its ISO code: a code as it is (upper case), a place's name as its code, anything else as given. */
export const isoCountry = (raw: unknown): string | undefined => {
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (text === '') return undefined;
  if (/^[A-Za-z]{2}$/.test(text)) return text.toUpperCase();
  return PLACES.find((place) => place.country.toLowerCase() === text.toLowerCase())?.iso ?? text;
};

export interface Lookups {
  readonly vaults: ReadonlyMap<string, string>;
  readonly items: ReadonlyMap<string, string>;
}

export const instantMs = (event: SimEvent): number => {
  const text = String(event.timestamp);
  const zoneless = ZONELESS.exec(text);
  const instant = parseRfc3339(zoneless ? `${zoneless[1]}T${zoneless[2]}Z` : text);
  if (!instant) throw new Error(`bad timestamp ${event.timestamp}`);
  return instant.ms + instant.ns / 1e6;
};
const utcDay = (event: SimEvent) => new Date(Math.floor(instantMs(event))).toISOString().slice(0, 10);
const inWindow = (now: Date, days: number) => (event: SimEvent) =>
  instantMs(event) >= now.getTime() - days * DAY;
type Person = { name: string | null; email: string | null; nameAt: number; emailAt: number };

/**
 * The latest name and the latest e-mail of everyone any event names with a name or an e-mail,
 * by person key, from every place an event names a user.
 */
export function latestUsers(events: Events): Map<string, { name: string | null; email: string | null }> {
  const keys = personKeys(events);
  const users = new Map<string, Person>();
  const see = (user: unknown, at: number, key = keys.of(user)) => {
    const u = user as User;
    if (key === undefined || (u?.name === undefined && u?.email === undefined)) return;
    const known = users.get(key) ?? { name: null, email: null, nameAt: -Infinity, emailAt: -Infinity };
    if (u?.name !== undefined && at >= known.nameAt) Object.assign(known, { name: u.name, nameAt: at });
    if (u?.email !== undefined && at >= known.emailAt) Object.assign(known, { email: u.email, emailAt: at });
    users.set(key, known);
  };
  for (const event of events.signinattempts) see(event.target_user, instantMs(event));
  for (const event of events.itemusages) see(event.user, instantMs(event));
  for (const event of events.auditevents) {
    see(event.actor_details, instantMs(event), keys.actor(event));
    for (const user of [event.object_details, event.aux_details]) see(user, instantMs(event));
  }
  return new Map([...users].map(([key, { name, email }]) => [key, { name, email }]));
}

function count<K>(map: Map<K, number>, key: K, by = 1) {
  map.set(key, (map.get(key) ?? 0) + by);
}

export function failedSignins(events: Events, now: Date, days: number): Map<string, number> {
  const failed = new Map<string, number>();
  for (const event of events.signinattempts.filter(inWindow(now, days))) {
    if (event.category === 'success' || event.category === 'firewall_reported_success') continue;
    const country = isoCountry(event.country) ?? '(unknown)';
    count(failed, `${personKeys(events).of(event.target_user) ?? null}|${country}|${event.category}`);
  }
  return failed;
}

export function newCountries(
  events: Events,
  now: Date,
  days: number,
): Map<string, { signins: number; previous: string; firstSeen: number }> {
  const cutoff = now.getTime() - days * DAY;
  const keyOf = personKeys(events).of;
  const successes = events.signinattempts.filter(
    (event) => event.category === 'success' && isoCountry(event.country) && keyOf(event.target_user),
  );
  const first = new Map<string, { at: number; signins: number }>();
  const before = new Map<string, Set<string>>();
  for (const event of successes) {
    const user = String(keyOf(event.target_user));
    const country = String(isoCountry(event.country));
    const at = instantMs(event);
    const key = `${user}|${country}`;
    const seen = first.get(key);
    first.set(key, {
      at: Math.min(at, seen?.at ?? Number.POSITIVE_INFINITY),
      signins: (seen?.signins ?? 0) + 1,
    });
    if (at < cutoff) before.set(user, (before.get(user) ?? new Set()).add(country));
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
  const keyOf = personKeys(events).of;
  const usages = new Map<string, number>();
  const users = new Map<string, Set<string>>();
  for (const event of events.itemusages.filter(inWindow(now, days))) {
    const key = `${utcDay(event)}|${event.vault_uuid}|${event.action ?? null}`;
    count(usages, key);
    const people = users.get(key) ?? new Set();
    const user = keyOf(event.user);
    if (user) people.add(user);
    users.set(key, people);
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
  const keyOf = personKeys(events).of;
  const usages = new Map<string, number>();
  const users = new Map<string, Set<string>>();
  for (const event of events.itemusages.filter(inWindow(now, days))) {
    const item = String(event.item_uuid);
    count(usages, item);
    const people = users.get(item) ?? new Set();
    const user = keyOf(event.user);
    if (user) people.add(user);
    users.set(item, people);
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
  const keys = personKeys(events);
  for (const event of events.signinattempts.filter(inWindow(now, days)))
    add(keys.of(event.target_user), 'signin_attempts');
  for (const event of events.itemusages.filter(inWindow(now, days))) add(keys.of(event.user), 'item_usages');
  for (const event of events.auditevents.filter(inWindow(now, days))) add(keys.actor(event), 'audit_events');
  const total = (c: { signin_attempts: number; item_usages: number; audit_events: number }) =>
    c.signin_attempts + c.item_usages + c.audit_events;
  return [...counts]
    .sort((a, b) => total(b[1]) - total(a[1]) || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([user, c]) => ({ user_key: user, ...c, events: total(c) }));
}
