/**
 * How events are shaped, counted: per stream, which fields are present and which spelling
 * each takes (`client.ip` or `client.ip_address`, a country name or an ISO code, hyphenated
 * device uuids, time stamps without a zone, the v2 account fields, ...). Pure functions over
 * parsed events, so the same counts can be taken of published sample events and of what the
 * generator makes, and compared (`measure-shapes.ts`, SHAPES.md, the simulator's tests).
 */
import type { Feature } from './types';

type Event = Record<string, unknown>;

export interface ShapeMetric {
  readonly id: string;
  /** What an event counted by this metric looks like, in a few words. */
  readonly label: string;
  readonly streams: readonly Feature[];
  readonly test: (event: Event) => boolean;
}

export interface ShapeCounts {
  readonly stream: Feature;
  readonly total: number;
  /** Events counted by each metric, by metric id (metrics of this stream only). */
  readonly counts: ReadonlyMap<string, number>;
  /** `client.app_name` values and how many events carry each. */
  readonly appNames: ReadonlyMap<string, number>;
}

const ALL: readonly Feature[] = ['signinattempts', 'itemusages', 'auditevents'];
const WITH_CLIENT: readonly Feature[] = ['signinattempts', 'itemusages'];

const object = (value: unknown): Event | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Event) : undefined;
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const has = (event: Event | undefined, key: string) => event !== undefined && key in event;

const BASE32_ID = /^[A-Z2-7]{26}$/;
const LOWER_BASE32_ID = /^[a-z2-7]{26}$/;
const HYPHENATED_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}([Tt ])\d{2}:\d{2}:\d{2}(?:\.(\d+))?(.*)$/;

function timestampParts(event: Event) {
  const match = DATE_TIME.exec(text(event.timestamp) ?? '');
  if (!match) return undefined;
  return { separator: match[1] ?? '', fraction: match[2] ?? '', zone: match[3] ?? '' };
}

/** The user object of an event: who signed in, who used an item, who acted. */
function person(event: Event): Event | undefined {
  return object(event.target_user) ?? object(event.user) ?? object(event.actor_details);
}

const country = (event: Event) => text(event.country);
const isCode = (value: string | undefined) => value !== undefined && /^[A-Za-z]{2}$/.test(value.trim());
const deviceUuid = (event: Event) => text(object(event.session)?.device_uuid);

/** Every shape the measurements look at. */
export const SHAPE_METRICS: readonly ShapeMetric[] = [
  {
    id: 'uuid-base32',
    label: '`uuid` is 26 upper-case base32 characters',
    streams: ALL,
    test: (e) => BASE32_ID.test(text(e.uuid) ?? ''),
  },
  {
    id: 'uuid-other',
    label: '`uuid` has another shape (hex, digits, free text)',
    streams: ALL,
    test: (e) => typeof e.uuid === 'string' && !BASE32_ID.test(e.uuid),
  },
  {
    id: 'ts-utc',
    label: '`timestamp` in UTC (`Z`)',
    streams: ALL,
    test: (e) => /^[Zz]$/.test(timestampParts(e)?.zone ?? ''),
  },
  {
    id: 'ts-offset',
    label: '`timestamp` with a numeric offset (`-03:00`)',
    streams: ALL,
    test: (e) => /^[+-]\d{2}:\d{2}$/.test(timestampParts(e)?.zone ?? ''),
  },
  {
    id: 'ts-zoneless',
    label: '`timestamp` without a zone (`2021-12-15 18:02:23`)',
    streams: ALL,
    test: (e) => timestampParts(e)?.zone === '',
  },
  {
    id: 'ts-space',
    label: '`timestamp` with a space between date and time',
    streams: ALL,
    test: (e) => timestampParts(e)?.separator === ' ',
  },
  {
    id: 'ts-nanos',
    label: '`timestamp` with 4 to 9 fractional digits',
    streams: ALL,
    test: (e) => (timestampParts(e)?.fraction.length ?? 0) > 3,
  },
  {
    id: 'account-uuid',
    label: 'v2 `account_uuid`',
    streams: ALL,
    test: (e) => has(e, 'account_uuid'),
  },
  {
    id: 'user-type',
    label: 'v2 `user_type` in the user object',
    streams: ALL,
    test: (e) => has(person(e), 'user_type'),
  },
  {
    id: 'location',
    label: '`location` present',
    streams: ALL,
    test: (e) => object(e.location) !== undefined,
  },
  {
    id: 'location-coordinates',
    label: '`location` with latitude and longitude',
    streams: ALL,
    test: (e) => has(object(e.location), 'latitude') && has(object(e.location), 'longitude'),
  },
  {
    id: 'location-country-name',
    label: '`location.country` is a name (`Canada`)',
    streams: ALL,
    test: (e) => {
      const value = text(object(e.location)?.country);
      return value !== undefined && value !== '' && !isCode(value);
    },
  },
  {
    id: 'client-ip-address',
    label: '`client.ip_address`',
    streams: WITH_CLIENT,
    test: (e) => has(object(e.client), 'ip_address'),
  },
  {
    id: 'client-ip',
    label: '`client.ip` (the older spelling)',
    streams: WITH_CLIENT,
    test: (e) => has(object(e.client), 'ip'),
  },
  {
    id: 'client-no-ip',
    label: 'no client address at all',
    streams: WITH_CLIENT,
    test: (e) => !has(object(e.client), 'ip') && !has(object(e.client), 'ip_address'),
  },
  {
    id: 'country-code',
    label: '`country` is an ISO 3166 code',
    streams: ['signinattempts'],
    test: (e) => isCode(country(e)),
  },
  {
    id: 'country-name',
    label: '`country` is a name (`France`)',
    streams: ['signinattempts'],
    test: (e) => {
      const value = country(e);
      return value !== undefined && value.trim() !== '' && !isCode(value);
    },
  },
  {
    id: 'country-empty',
    label: '`country` empty',
    streams: ['signinattempts'],
    test: (e) => country(e)?.trim() === '',
  },
  {
    id: 'country-absent',
    label: 'no `country`',
    streams: ['signinattempts'],
    test: (e) => !has(e, 'country'),
  },
  {
    id: 'details-null',
    label: '`details: null`',
    streams: ['signinattempts'],
    test: (e) => has(e, 'details') && e.details === null,
  },
  {
    id: 'details-object',
    label: '`details` with a value',
    streams: ['signinattempts'],
    test: (e) => object(e.details) !== undefined,
  },
  {
    id: 'details-absent',
    label: 'no `details`',
    streams: ['signinattempts'],
    test: (e) => !has(e, 'details'),
  },
  {
    id: 'target-user-absent',
    label: 'no `target_user`',
    streams: ['signinattempts'],
    test: (e) => !has(e, 'target_user'),
  },
  {
    id: 'user-uuid-other',
    label: 'user `uuid` not 26 base32 characters (`1234`)',
    streams: ['signinattempts', 'itemusages'],
    test: (e) => {
      const uuid = text(person(e)?.uuid);
      return uuid !== undefined && !BASE32_ID.test(uuid);
    },
  },
  {
    id: 'action-absent',
    label: 'no `action`',
    streams: ['itemusages'],
    test: (e) => !has(e, 'action'),
  },
  {
    id: 'used-version-absent',
    label: 'no `used_version`',
    streams: ['itemusages'],
    test: (e) => !has(e, 'used_version'),
  },
  {
    id: 'vault-uuid-other',
    label: '`vault_uuid` not 26 lower-case base32 characters',
    streams: ['itemusages'],
    test: (e) => !LOWER_BASE32_ID.test(text(e.vault_uuid) ?? ''),
  },
  {
    id: 'actor-uuid',
    label: '`actor_uuid` present',
    streams: ['auditevents'],
    test: (e) => has(e, 'actor_uuid'),
  },
  {
    id: 'actor-details',
    label: '`actor_details` present',
    streams: ['auditevents'],
    test: (e) => object(e.actor_details) !== undefined,
  },
  {
    id: 'actor-details-without-uuid',
    label: '`actor_details` without `uuid` (name and e-mail only)',
    streams: ['auditevents'],
    test: (e) => object(e.actor_details) !== undefined && !has(object(e.actor_details), 'uuid'),
  },
  {
    id: 'actor-without-any-uuid',
    label: 'actor with no uuid anywhere',
    streams: ['auditevents'],
    test: (e) => !has(e, 'actor_uuid') && !has(object(e.actor_details), 'uuid'),
  },
  {
    id: 'object-uuid',
    label: '`object_uuid` present',
    streams: ['auditevents'],
    test: (e) => has(e, 'object_uuid'),
  },
  {
    id: 'session-uuid',
    label: '`session.uuid` present',
    streams: ['auditevents'],
    test: (e) => has(object(e.session), 'uuid'),
  },
  {
    id: 'device-uuid-base32',
    label: '`session.device_uuid` in base32 (either case)',
    streams: ['auditevents'],
    test: (e) => /^[A-Za-z2-7]{26}$/.test(deviceUuid(e) ?? ''),
  },
  {
    id: 'device-uuid-hyphenated',
    label: '`session.device_uuid` hyphenated (RFC 4122)',
    streams: ['auditevents'],
    test: (e) => HYPHENATED_UUID.test(deviceUuid(e) ?? ''),
  },
  {
    id: 'device-uuid-absent',
    label: 'no `session.device_uuid`',
    streams: ['auditevents'],
    test: (e) => deviceUuid(e) === undefined,
  },
  {
    id: 'actor-type',
    label: 'v2 `actor_type`',
    streams: ['auditevents'],
    test: (e) => has(e, 'actor_type'),
  },
  {
    id: 'actor-account-uuid',
    label: 'v2 `actor_account_uuid`',
    streams: ['auditevents'],
    test: (e) => has(e, 'actor_account_uuid'),
  },
];

/** The metrics that apply to a stream, in table order. */
export function metricsFor(stream: Feature): readonly ShapeMetric[] {
  return SHAPE_METRICS.filter((metric) => metric.streams.includes(stream));
}

/** Counts every shape of a stream's events. */
export function measureShapes(stream: Feature, events: readonly Event[]): ShapeCounts {
  const counts = new Map<string, number>();
  const metrics = metricsFor(stream);
  for (const metric of metrics) counts.set(metric.id, 0);
  const appNames = new Map<string, number>();
  for (const event of events) {
    for (const metric of metrics) {
      if (metric.test(event)) counts.set(metric.id, (counts.get(metric.id) ?? 0) + 1);
    }
    const app = text(object(event.client)?.app_name);
    if (app !== undefined) appNames.set(app, (appNames.get(app) ?? 0) + 1);
  }
  return { stream, total: events.length, counts, appNames };
}

/** The share of a stream's events a metric counts, from 0 to 1 (0 when there are no events). */
export function shareOf(measured: ShapeCounts, id: string): number {
  return measured.total === 0 ? 0 : (measured.counts.get(id) ?? 0) / measured.total;
}
