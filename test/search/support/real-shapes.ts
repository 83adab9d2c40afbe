/**
 * Events in every shape that events published by other projects show (dev/simulator/SHAPES.md
 * lists them and where they were seen), written for this project with its own people, ids,
 * addresses and times. Each comment names the shape an event stands for.
 *
 * Times are set around {@link REFERENCE_NOW}; the test moves every date by the same whole
 * number of days to just before the real now, so that the simulator (which keeps 120 days)
 * serves them and the collector archives them, and reads the answers back in this frame.
 */
import type { EventType } from '../../../lambdas/shared/event-types';

/** The instant the expected answers are written for. */
export const REFERENCE_NOW = Date.parse('2026-03-10T12:00:00Z');

/** A readable event id in the API's shape: the label, padded to 26 base32 characters. */
const id = (label: string) => label.padEnd(26, 'Q');

export const ROSA = {
  uuid: 'ROSAOKAFOR2QX7MZ4LBN6TYPWE',
  name: 'Rosa Okafor',
  email: 'rosa.okafor@example.com',
};
export const TOMAS = {
  uuid: 'TOMASNOVAK3HXKC7BMRYTE5PLD',
  name: 'Tomás Novak',
  email: 'tomas.novak@example.com',
};
export const JONAS = {
  uuid: 'JONASBECKER4WXY6ZA7CDEFGHJ',
  name: 'Jonas Becker',
  email: 'jonas.becker@example.com',
};
/** Named by short ids, as hand-written rule tests do. */
export const OLU = { uuid: '7788', name: 'Olu Silva', email: 'olu.silva@example.com' };
export const UMA = { uuid: '31337', name: 'Uma Costa', email: 'uma.costa@example.com' };
/** Named in audit events by name and e-mail only, never by uuid. */
export const PRIYA = { name: 'Priya Raman', email: 'Priya.Raman@example.com' };
export const KAVYA = { name: 'Kavya Murphy', email: 'kavya.murphy@example.com' };
export const LIAM = { name: 'Liam Murphy', email: 'liam.murphy@example.com' };
/** An actor that v1 audit events name by `actor_uuid` alone. */
export const GROVE_ACTOR = 'GROVEACTOR5TRQFBMGVEGTABYD';

export const UPPER_VAULT = 'VAULTSHAREDFINANCEQQQQQQQQ';
export const LOWER_VAULT = 'jaqxqf5qylslqiitnduawrndc5';
export const LOWER_ITEM = 'bvwmmwxisuca7wbehrbyqhag54';

const extension = (os: string, ip: Record<string, string>) => ({
  app_name: '1Password Browser Extension',
  app_version: '20195',
  platform_name: 'Chrome',
  platform_version: '122.0.6261.94',
  os_name: os,
  os_version: '14.3.1',
  ...ip,
});
/** The older extension name and the older address key (`ip`), as v1-era events have them. */
const olderExtension = {
  app_name: '1Password Extension',
  app_version: '20127',
  platform_name: 'Chrome',
  platform_version: '118.0.5993.70',
  os_name: 'MacOSX',
  os_version: '10.15.6',
  ip: '198.51.100.23',
};

const signinattempts: (object | 'again')[] = [
  // v1 era: a country name instead of its code, `client.ip`, the older extension name, an
  // offset, no location, no account fields.
  {
    uuid: id('SFIREWALLFRANCE'),
    session_uuid: id('SESSIONFIREWALL'),
    timestamp: '2026-03-01T16:32:50-03:00',
    category: 'firewall_failed',
    type: 'continent_blocked',
    country: 'France',
    details: { value: 'Europe' },
    target_user: ROSA,
    client: olderExtension,
  },
  // The same event served again on a later page: counted once.
  'again',
  // Current shape: an ISO code, `details: null`, whole seconds.
  {
    uuid: id('SSUCCESSARGENTINA'),
    session_uuid: id('SESSIONAR'),
    timestamp: '2026-02-20T14:28:03Z',
    country: 'AR',
    category: 'success',
    type: 'credentials_ok',
    details: null,
    target_user: JONAS,
    client: extension('Android', { ip_address: '203.0.113.41' }),
  },
  {
    uuid: id('SBADPASSWORDARGENTINA'),
    session_uuid: id('SESSIONAR'),
    timestamp: '2026-02-20T15:04:22Z',
    country: 'AR',
    category: 'credentials_failed',
    type: 'password_secret_bad',
    details: null,
    target_user: JONAS,
    client: extension('Android', { ip_address: '203.0.113.41' }),
  },
  // A time stamp without a zone, date and time split by a space; no `details` at all; ids of
  // a few digits; a native app's client.
  {
    uuid: '4321',
    session_uuid: '54321',
    timestamp: '2026-03-05 18:02:23',
    category: 'success',
    type: 'credentials_ok',
    country: 'US',
    target_user: OLU,
    client: {
      app_name: '1Password for Mac',
      app_version: '81108020',
      ip_address: '192.0.2.77',
      os_name: 'MacOSX',
      os_version: '14.3.1',
      platform_name: 'US - C02XK7ZQMD6P',
      platform_version: 'MacBookPro16,1',
    },
  },
  // No zone, milliseconds, and no `target_user`.
  {
    uuid: id('SNOTARGETUSER'),
    session_uuid: id('SESSIONNOUSER'),
    timestamp: '2026-03-06 21:25:29.783',
    category: 'success',
    type: 'credentials_ok',
    country: 'US',
    client: extension('MacOSX', { ip_address: '192.0.2.78' }),
  },
  // A traveller: a code three weeks ago, the same country by name this week (not new), then a
  // country by name never seen before (new).
  {
    uuid: id('STOMASFRANCECODE'),
    session_uuid: id('SESSIONTOMAS'),
    timestamp: '2026-02-18T09:00:00Z',
    category: 'success',
    type: 'mfa_ok',
    country: 'FR',
    details: null,
    target_user: TOMAS,
    client: extension('Windows', { ip_address: '198.51.100.60' }),
    location: {
      country: 'France',
      region: 'Ile-de-France',
      city: 'Paris',
      latitude: 48.8566,
      longitude: 2.3522,
    },
    account_uuid: 'ACCOUNTQQQQQQQQQQQQQQQQQQQ',
  },
  {
    uuid: id('STOMASFRANCENAME'),
    session_uuid: id('SESSIONTOMAS'),
    timestamp: '2026-03-08T09:00:00.250Z',
    category: 'success',
    type: 'mfa_ok',
    country: 'France',
    details: null,
    target_user: TOMAS,
    client: extension('Windows', { ip_address: '198.51.100.60' }),
  },
  {
    uuid: id('STOMASGERMANYNAME'),
    session_uuid: id('SESSIONTOMASBERLIN'),
    timestamp: '2026-03-09T08:15:00+01:00',
    category: 'success',
    type: 'mfa_ok',
    country: 'Germany',
    details: null,
    target_user: TOMAS,
    client: extension('Windows', { ip: '198.51.100.61' }),
  },
  // A name no table knows: kept as given, and flagged.
  {
    uuid: id('STOMASUNKNOWNCOUNTRY'),
    session_uuid: id('SESSIONTOMASBERLIN'),
    timestamp: '2026-03-09T07:14:00Z',
    category: 'mfa_failed',
    type: 'totp_bad',
    country: 'Narnia',
    details: null,
    target_user: TOMAS,
    client: extension('Windows', { ip_address: '198.51.100.61' }),
  },
  // An empty country.
  {
    uuid: id('SROSANOCOUNTRY'),
    session_uuid: id('SESSIONROSA'),
    timestamp: '2026-02-27T10:00:00Z',
    category: 'credentials_failed',
    type: 'password_secret_bad',
    country: '',
    details: null,
    target_user: ROSA,
    client: extension('MacOSX', { ip_address: '198.51.100.24' }),
  },
];

const itemusages: object[] = [
  // v1 era: `client.ip`, the older extension name, `used_version: 0`, upper-case vault and
  // item ids, an offset, no location.
  olderCopy('2026-03-02T16:32:50-03:00'),
  // The same id again, ten minutes later: one event for the views (the earliest copy is kept).
  olderCopy('2026-03-02T16:42:55-03:00'),
  // Spec 1.2: milliseconds, lower-case ids, a location with coordinates, `action`.
  {
    uuid: id('IREVEALTORONTO'),
    timestamp: '2026-02-25T18:57:42.484Z',
    used_version: 1,
    vault_uuid: LOWER_VAULT,
    item_uuid: LOWER_ITEM,
    user: JONAS,
    client: extension('Android', { ip_address: '203.0.113.41' }),
    location: { country: 'Canada', region: 'Ontario', city: 'Toronto', latitude: 43.64, longitude: -79.433 },
    action: 'reveal',
  },
  // Before spec 1.2: no `action`, no location.
  {
    uuid: id('INOACTION'),
    timestamp: '2026-02-25T19:10:00.123Z',
    used_version: 1,
    vault_uuid: LOWER_VAULT,
    item_uuid: LOWER_ITEM,
    user: JONAS,
    client: extension('Android', { ip_address: '203.0.113.41' }),
  },
  // Hand-written rule tests: no zone, ids of digits and hex, an address that is not one.
  {
    client: extension('MacOSX', { ip_address: '203.0.113.300' }),
    item_uuid: '5f0d3c1a9b8e4d2c8a7b6e5f4d3c2b1a',
    timestamp: '2026-03-04 20:27:17.071',
    used_version: 2,
    user: UMA,
    uuid: '5f0d3c1a9b8e4d2c8a7b6e5f4d3c2b1a',
    vault_uuid: '424242',
  },
  // No `used_version` either.
  {
    client: extension('MacOSX', { ip_address: '203.0.113.30' }),
    item_uuid: '9876',
    timestamp: '2026-03-04 22:11:50.591',
    user: UMA,
    uuid: '12345',
    vault_uuid: '424242',
  },
];

function olderCopy(timestamp: string) {
  return {
    uuid: id('IGROVECOPY'),
    timestamp,
    used_version: 0,
    vault_uuid: UPPER_VAULT,
    item_uuid: id('ITEMDATABASEPASSWORD'),
    user: ROSA,
    client: olderExtension,
    action: 'secure-copy',
  };
}

/** A v1 audit event: the actor by `actor_uuid` alone, a hyphenated device uuid, placeholder aux values. */
const v1Activation = (timestamp: string) => ({
  uuid: id('AGROVEACTIVATE'),
  timestamp,
  actor_uuid: GROVE_ACTOR,
  action: 'activate',
  object_type: 'account',
  object_uuid: id('ACCOUNT'),
  aux_id: 0,
  aux_uuid: id('ACCOUNT'),
  aux_info: 'placeholder',
  session: {
    uuid: id('SESSIONGROVE'),
    login_time: '2026-03-03T16:33:50-03:00',
    device_uuid: '3c9b1f4e-2a7d-4e61-9b0c-5d8f2e7a1c43',
    ip: '192.0.2.254',
  },
  location: { country: 'Canada', region: 'Ontario', city: 'Toronto', latitude: 43.5991, longitude: -79.4988 },
});

/** The v2 shape with every id left out: people by name and e-mail, no coordinates, no account fields. */
const scrubbed = (
  uuid: string,
  timestamp: string,
  action: string,
  objectType: string,
  extra: Record<string, unknown> = {},
  by: { name: string; email: string } = PRIYA,
  place = { country: 'Israel', region: 'Tel Aviv', city: 'Tel Aviv' },
) => ({
  uuid,
  timestamp,
  actor_details: by,
  action,
  object_type: objectType,
  ...extra,
  session: { login_time: '2026-03-07T11:54:19.693369325Z', ip: '192.0.2.99' },
  location: place,
  actor_type: 'user',
});

const auditevents: object[] = [
  // The same id on three events of one page, then again alone on two more pages: one event.
  v1Activation('2026-03-03T16:33:50-03:00'),
  v1Activation('2026-03-03T16:35:50-03:00'),
  v1Activation('2026-03-03T16:50:50-03:00'),
  v1Activation('2026-03-03T16:33:50-03:00'),
  v1Activation('2026-03-03T16:33:50-03:00'),
  // Both `actor_uuid` and `actor_details` with its uuid, nanoseconds, a lower-case base32
  // device uuid; sent twice, the second time without a location.
  suspension(true),
  suspension(false),
  // A new account set up by one person, every id scrubbed (8 and 9 fractional digits).
  scrubbed(id('ASCRUBA'), '2026-03-07T11:54:19.710457472Z', 'create', 'device', { aux_details: PRIYA }),
  scrubbed(id('ASCRUBB'), '2026-03-07T11:54:21.24645983Z', 'activate', 'account'),
  scrubbed(id('ASCRUBC'), '2026-03-07T11:54:21.249774613Z', 'activate', 'user', { object_details: PRIYA }),
  scrubbed(id('ASCRUBD'), '2026-03-07T11:54:21.259156631Z', 'create', 'group'),
  scrubbed(id('ASCRUBE'), '2026-03-07T11:54:21.265291685Z', 'create', 'group'),
  scrubbed(id('ASCRUBF'), '2026-03-07T11:54:21.27229198Z', 'join', 'gm', {
    aux_details: PRIYA,
    aux_info: 'A',
  }),
  scrubbed(id('ASCRUBG'), '2026-03-07T11:54:21.281856366Z', 'create', 'group'),
  scrubbed(id('ASCRUBH'), '2026-03-07T11:54:21.289513879Z', 'join', 'gm', {
    aux_details: PRIYA,
    aux_info: 'A',
  }),
  scrubbed(id('ASCRUBI'), '2026-03-07T11:54:21.297797084Z', 'create', 'group'),
  // A free-text id, another person, another country.
  scrubbed(
    'the last event of the page',
    '2026-03-07T11:55:20.710457472Z',
    'create',
    'device',
    { aux_details: KAVYA },
    KAVYA,
    { country: 'United States', region: 'California', city: 'Santa Cruz' },
  ),
  // Scrubbed, by someone other events name with a uuid beside the same e-mail: the same person.
  scrubbed(
    id('ASCRUBJONAS'),
    '2026-03-08T11:00:00Z',
    'create',
    'device',
    {
      aux_details: { name: JONAS.name, email: JONAS.email },
    },
    { name: JONAS.name, email: JONAS.email },
  ),
  // The scrubbed shape with an administrative action: vault access granted, by and to people
  // named without a uuid.
  scrubbed(id('ASCRUBGRANT'), '2026-03-08T10:00:00.5Z', 'grant', 'uva', {
    aux_details: LIAM,
    aux_info: 'view_items',
  }),
];

function suspension(withLocation: boolean) {
  return {
    uuid: id('ASUSPENDUSER'),
    timestamp: '2026-02-27T21:16:52.827288935Z',
    actor_uuid: JONAS.uuid,
    actor_details: JONAS,
    action: 'suspend',
    object_type: 'user',
    object_uuid: id('SUSPENDEDUSER'),
    session: {
      uuid: id('SESSIONJONAS'),
      login_time: '2026-02-27T21:07:34.703106271Z',
      device_uuid: 'rqtd557fn2husnstp5nc66w2xa',
      ip: '203.0.113.41',
    },
    ...(withLocation
      ? {
          location: {
            country: 'Canada',
            region: 'Ontario',
            city: 'Toronto',
            latitude: 43.64,
            longitude: -79.433,
          },
        }
      : {}),
  };
}

/**
 * Ingested after the stream's first run, and then archived by a backfill only: the stream's
 * own objects never hold it.
 */
export const LATE_AUDIT_EVENT = JSON.stringify(
  scrubbed(id('ASCRUBLATE'), '2026-03-07T18:00:00.5Z', 'join', 'gm', { aux_details: PRIYA, aux_info: 'R' }),
);

/** The backfill the test runs over audit events: it overlaps the stream's scrubbed events of 7 March. */
export const BACKFILL_RANGE = {
  from: Date.parse('2026-03-07T00:00:00Z'),
  to: Date.parse('2026-03-08T00:00:00Z'),
};

/** Each stream's events as the API sends them: one JSON text each, in the order served. */
export const REAL_SHAPES: Record<EventType, string[]> = {
  signinattempts: texts(signinattempts),
  itemusages: texts(itemusages),
  auditevents: texts(auditevents),
};

/** `'again'` stands for the previous event, sent again as it was. */
function texts(events: readonly (object | 'again')[]): string[] {
  const out: string[] = [];
  for (const event of events) out.push(event === 'again' ? (out.at(-1) ?? '') : JSON.stringify(event));
  return out;
}
