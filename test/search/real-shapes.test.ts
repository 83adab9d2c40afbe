/**
 * Every saved query and view over an archive of events in the shapes other projects publish
 * (support/real-shapes.ts): served by the simulator byte for byte, archived by the collector,
 * part of them archived again by a backfill, then queried with DuckDB. The expected answers are
 * written by hand from those events, each with why.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BackfillResult, backfill, parseBackfillArgs } from '../../cli/commands/backfill';
import { PLACES } from '../../dev/simulator/account';
import { countrySpellings } from '../../lambdas/shared/countries';
import { EVENT_TYPES } from '../../lambdas/shared/event-types';
import { athena, canonicalTimestamp, duckdb } from '../../search/dialect';
import { type LocalArchive, openLocalArchive, type Row } from '../../search/local-archive';
import { SAVED_QUERIES } from '../../search/queries';
import { collectReport, NO_ACTION } from '../../search/report/collect';
import { localClients, testIo } from '../cli/support';
import { SOURCE, startEnvironment, type TestEnvironment } from '../support/environment';
import { copyArchive, runOk } from './support/archive-fixture';
import {
  BACKFILL_RANGE,
  GROVE_ACTOR,
  JONAS,
  LATE_AUDIT_EVENT,
  LOWER_ITEM,
  LOWER_VAULT,
  REAL_SHAPES,
  REFERENCE_NOW,
  ROSA,
  TOMAS,
  UPPER_VAULT,
} from './support/real-shapes';

const DAY = 86_400_000;
/** Whole days from the fixtures' reference frame to just before the real now. */
const SHIFT_DAYS = Math.floor((Date.now() - REFERENCE_NOW) / DAY);
const NOW = new Date(REFERENCE_NOW + SHIFT_DAYS * DAY);

/** Moves every date of an event's text by SHIFT_DAYS, keeping its spelling: time, fraction, zone or none. */
const shift = (text: string) =>
  text.replace(/(\d{4})-(\d{2})-(\d{2})(?=[T ]\d{2}:\d{2}:\d{2})/g, (_, y, m, d) =>
    new Date(Date.UTC(Number(y), Number(m) - 1, Number(d) + SHIFT_DAYS)).toISOString().slice(0, 10),
  );
/** A time or date of an answer, back in the fixtures' frame. */
const back = (value: Row[string] | undefined) =>
  value === null || value === undefined
    ? null
    : new Date(Date.parse(String(value)) - SHIFT_DAYS * DAY).toISOString();
const backDay = (value: Row[string] | undefined) => back(`${value}T00:00:00Z`)?.slice(0, 10);
const id = (label: string) => label.padEnd(26, 'Q');
const PRIYA_KEY = 'priya.raman@example.com';

describe('search over events in every published shape', () => {
  let env: TestEnvironment;
  let dir: string;
  let archive: LocalArchive;
  let backfilled: BackfillResult;

  beforeAll(async () => {
    env = await startEnvironment();
    try {
      for (const stream of EVENT_TYPES) env.sim.ingestText(stream, REAL_SHAPES[stream].map(shift));
      await runOk(env);
      // Reaches 1Password after the stream's run: only the backfill below archives it.
      env.sim.ingestText('auditevents', [shift(LATE_AUDIT_EVENT)]);
      const iso = (ms: number) => new Date(ms + SHIFT_DAYS * DAY).toISOString();
      const io = testIo({ env: { TOKEN: env.token } });
      const options = parseBackfillArgs(
        [
          ...['--source', SOURCE, '--stream', 'auditevents'],
          ...['--from', iso(BACKFILL_RANGE.from), '--to', iso(BACKFILL_RANGE.to)],
          ...['--table', env.aws.tableName, '--bucket', env.aws.bucket],
          ...['--token-env', 'TOKEN', '--url', env.sim.url, '--allow-custom-url', '--json'],
        ],
        io,
      );
      expect(await backfill(options, { io, aws: localClients(env.aws) })).toBe(0);
      backfilled = JSON.parse(io.stdout.text);
      dir = await copyArchive(env);
    } finally {
      await env.close();
    }
    // Vault ids in lower case, where the events spell one in upper case.
    mkdirSync(join(dir, 'lookups', 'vaults'), { recursive: true });
    writeFileSync(
      join(dir, 'lookups/vaults/vaults.csv'),
      `vault_uuid,name\n${UPPER_VAULT.toLowerCase()},Shared finance\n${LOWER_VAULT},Operations\n`,
    );
    archive = await openLocalArchive(dir, { now: NOW });
  }, 60_000);

  afterAll(() => {
    archive?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const rows = async (sql: string) => (await archive.query(sql)).rows;
  const saved = async (id: string, params: Record<string, number | string> = {}) =>
    (await archive.runSaved(id, params)).rows;
  const byUuid = (list: readonly Row[]) => new Map(list.map((row) => [row.uuid, row]));

  it('archives every event as sent, duplicates too, and the backfill beside the stream', async () => {
    const [counts] = await rows(`SELECT
      (SELECT count(*) FROM signinattempts) AS signins,
      (SELECT count(*) FROM itemusages) AS usages,
      (SELECT count(*) FROM auditevents) AS audit,
      (SELECT count(*) FROM auditevents_backfill) AS audit_backfill,
      (SELECT count(*) FROM signinattempts_backfill) + (SELECT count(*) FROM itemusages_backfill) AS other_backfills`);

    expect(counts).toEqual({
      signins: 11, // 10 sign-ins, one of them served twice
      usages: 6, // 5 usages, one id sent twice
      audit: 19, // 15 audit events: one id five times, one twice; the late one is not there
      // The 10 scrubbed events of 7 March the stream holds too, and the late one: all of 7 March.
      audit_backfill: 11,
      other_backfills: 0,
    });
    expect(backfilled).toMatchObject({ total: { events: 11 } });
  });

  it('counts every event once in the named views, backfilled ones included', async () => {
    const [counts] = await rows(`SELECT
      (SELECT count(*) FROM signinattempts_named) AS signins,
      (SELECT count(*) FROM itemusages_named) AS usages,
      (SELECT count(*) FROM auditevents_named) AS audit,
      (SELECT count(*) FROM auditevents_named WHERE uuid = '${id('ASCRUBLATE')}') AS late`);

    expect(counts).toEqual({ signins: 10, usages: 5, audit: 15, late: 1 });
  });

  it('reads every time stamp as the same UTC instant: offsets, nanoseconds, and no zone as UTC', async () => {
    const signins = byUuid(await rows('SELECT uuid, event_time FROM signinattempts_named'));
    const usages = byUuid(await rows('SELECT uuid, event_time FROM itemusages_named'));
    const audit = byUuid(await rows('SELECT uuid, event_time FROM auditevents_named'));
    const at = (map: Map<unknown, Row>, uuid: string) => back(map.get(uuid)?.event_time ?? null);

    expect(at(signins, '4321')).toBe('2026-03-05T18:02:23.000Z'); // "2026-03-05 18:02:23": no zone, UTC
    expect(at(signins, id('SNOTARGETUSER'))).toBe('2026-03-06T21:25:29.783Z'); // no zone, milliseconds
    expect(at(signins, id('SFIREWALLFRANCE'))).toBe('2026-03-01T19:32:50.000Z'); // 16:32:50-03:00
    expect(at(signins, id('STOMASGERMANYNAME'))).toBe('2026-03-09T07:15:00.000Z'); // 08:15:00+01:00
    expect(at(usages, '12345')).toBe('2026-03-04T22:11:50.591Z'); // "2026-03-04 22:11:50.591"
    // Three events share one id: the earliest is kept (16:33:50-03:00).
    expect(at(audit, id('AGROVEACTIVATE'))).toBe('2026-03-03T19:33:50.000Z');
    // Nine fractional digits, to the millisecond as Athena returns them.
    expect(at(audit, id('ASUSPENDUSER'))).toBe('2026-02-27T21:16:52.827Z');
    expect(at(audit, id('ASCRUBB'))).toBe('2026-03-07T11:54:21.246Z'); // eight digits
  });

  it('parses one canonical text in both engines, and NULL for anything else', async () => {
    const cases: [string, string | null][] = [
      ['2021-12-15 18:02:23', '2021-12-15T18:02:23Z'], // no zone: UTC
      ['2021-12-15T18:02:23.783', '2021-12-15T18:02:23.783Z'],
      ['2021-12-15t18:02:23z', '2021-12-15T18:02:23Z'],
      ['2021-12-15 18:02:23.123456789-03:00', '2021-12-15T18:02:23.123456789-03:00'],
      ['2021-12-15T24:00:00Z', null], // DuckDB alone would read the next midnight
      ['2022-10-24T21:16:62.827288935Z', null], // second 62
      ['2021-12-15T18:02:23+0300', null], // an offset without a colon
      ['2021-12-15', null], // a date is not an event time
      ['yesterday', null],
    ];
    const local = duckdb();
    const values = cases.map(([text]) => `(${JSON.stringify(text).replace(/"/g, "'")})`).join(', ');
    const result = await rows(
      `SELECT t, ${canonicalTimestamp(local, 't')} AS canonical, ${local.ts('t')} AS utc FROM (VALUES ${values}) AS v(t)`,
    );

    expect(result.map((row) => [row.t, row.canonical])).toEqual(cases);
    expect(result.find((row) => row.t === '2021-12-15 18:02:23')?.utc).toBe('2021-12-15T18:02:23.000Z');
    // Athena parses the same canonical text, so it reads every case as DuckDB does.
    expect(athena.ts('t')).toBe(
      `CAST(try(from_iso8601_timestamp(${canonicalTimestamp(athena, 't')})) AT TIME ZONE 'UTC' AS timestamp)`,
    );
  });

  it('users: everyone an event names, by uuid, else by e-mail, else by name', async () => {
    const users = new Map(
      (await rows('SELECT user_key, user_uuid, name, email FROM users')).map((row) => [
        row.user_key,
        { uuid: row.user_uuid, name: row.name, email: row.email },
      ]),
    );

    expect(users).toEqual(
      new Map([
        [ROSA.uuid, { uuid: ROSA.uuid, name: ROSA.name, email: ROSA.email }],
        [JONAS.uuid, { uuid: JONAS.uuid, name: JONAS.name, email: JONAS.email }],
        [TOMAS.uuid, { uuid: TOMAS.uuid, name: TOMAS.name, email: TOMAS.email }],
        // Ids of a few digits are ids all the same.
        ['7788', { uuid: '7788', name: 'Olu Silva', email: 'olu.silva@example.com' }],
        ['31337', { uuid: '31337', name: 'Uma Costa', email: 'uma.costa@example.com' }],
        // Named in scrubbed audit events by name and e-mail only: keyed by the e-mail in lower
        // case, shown as sent.
        [PRIYA_KEY, { uuid: null, name: 'Priya Raman', email: 'Priya.Raman@example.com' }],
        ['kavya.murphy@example.com', { uuid: null, name: 'Kavya Murphy', email: 'kavya.murphy@example.com' }],
        ['liam.murphy@example.com', { uuid: null, name: 'Liam Murphy', email: 'liam.murphy@example.com' }],
        // Not here: the v1 actor (actor_uuid alone, no name or e-mail) and the sign-in without target_user;
        // nor Jonas by e-mail: other events give his uuid beside it.
      ]),
    );
    const [scrubbedJonas] = await rows(
      `SELECT actor_key, actor_uuid, actor_name FROM auditevents_named WHERE uuid = '${id('ASCRUBJONAS')}'`,
    );
    expect(scrubbedJonas).toEqual({ actor_key: JONAS.uuid, actor_uuid: null, actor_name: JONAS.name });
  });

  it('maps country names to ISO codes, keeps and flags a name it does not know, and falls back to client.ip', async () => {
    const signins = byUuid(
      await rows(
        'SELECT uuid, country, country_source, location_country, ip_address FROM signinattempts_named',
      ),
    );
    const pick = (uuid: string) => {
      const row = signins.get(uuid);
      return { country: row?.country, source: row?.country_source, ip: row?.ip_address };
    };

    expect(pick(id('SFIREWALLFRANCE'))).toEqual({ country: 'FR', source: 'name', ip: '198.51.100.23' }); // "France", client.ip
    expect(pick(id('SSUCCESSARGENTINA'))).toEqual({ country: 'AR', source: 'code', ip: '203.0.113.41' });
    expect(pick(id('STOMASGERMANYNAME'))).toEqual({ country: 'DE', source: 'name', ip: '198.51.100.61' });
    expect(pick(id('STOMASUNKNOWNCOUNTRY'))).toEqual({
      country: 'Narnia',
      source: 'unmapped',
      ip: '198.51.100.61',
    });
    expect(pick(id('SROSANOCOUNTRY'))).toEqual({ country: null, source: null, ip: '198.51.100.24' }); // ""
    // The geolocated country stays as the event gave it.
    expect(signins.get(id('STOMASFRANCECODE'))?.location_country).toBe('France');

    const usages = byUuid(
      await rows('SELECT uuid, country, country_source, ip_address FROM itemusages_named'),
    );
    expect(usages.get(id('IREVEALTORONTO'))).toMatchObject({ country: 'CA', country_source: 'name' }); // location "Canada"
    expect(usages.get(id('IGROVECOPY'))).toMatchObject({ country: null, ip_address: '198.51.100.23' }); // client.ip
    expect(usages.get('5f0d3c1a9b8e4d2c8a7b6e5f4d3c2b1a')?.ip_address).toBe('203.0.113.300'); // kept as text
    const audit = byUuid(await rows('SELECT uuid, country FROM auditevents_named'));
    expect(audit.get(id('ASCRUBA'))?.country).toBe('IL'); // location "Israel"
    expect(audit.get('the last event of the page')?.country).toBe('US'); // "United States"
  });

  it('failed-signins-by-user-and-country: one row per person, ISO country and category', async () => {
    const result = await saved('failed-signins-by-user-and-country');

    expect(
      new Map(result.map((row) => [`${row.user_key}|${row.country}|${row.category}`, row.attempts])),
    ).toEqual(
      new Map([
        [`${ROSA.uuid}|FR|firewall_failed`, 1], // "France", served twice: once
        [`${JONAS.uuid}|AR|credentials_failed`, 1],
        [`${TOMAS.uuid}|Narnia|mfa_failed`, 1], // an unknown name, as given
        [`${ROSA.uuid}|(unknown)|credentials_failed`, 1], // an empty country
      ]),
    );
  });

  it('signins-from-new-countries: a name and a code of one country are one country', async () => {
    const result = await saved('signins-from-new-countries');

    // Tomás signed in from "FR" three weeks ago and from "France" this week: not new. "Germany"
    // (DE) is. Olu's sign-in this week is his first: left out. The sign-in without a target user
    // names nobody.
    expect(result.map((row) => ({ ...row, first_seen: back(row.first_seen) }))).toEqual([
      {
        user_name: TOMAS.name,
        user_email: TOMAS.email,
        country: 'DE',
        first_seen: '2026-03-09T07:15:00.000Z',
        signins: 1,
        previous_countries: 'FR',
        user_key: TOMAS.uuid,
      },
    ]);
  });

  it('item-usage-by-vault-and-action: usages without an action count under a NULL action', async () => {
    const result = await saved('item-usage-by-vault-and-action');

    expect(
      new Map(
        result.map((row) => [
          `${backDay(row.day)}|${row.vault_uuid}|${row.action}|${row.vault_name}`,
          { usages: row.usages, users: row.users },
        ]),
      ),
    ).toEqual(
      new Map([
        // One id sent twice, ten minutes apart: one usage. The lookup's lower-case id names it.
        [`2026-03-02|${UPPER_VAULT}|secure-copy|Shared finance`, { usages: 1, users: 1 }],
        [`2026-02-25|${LOWER_VAULT}|reveal|Operations`, { usages: 1, users: 1 }],
        [`2026-02-25|${LOWER_VAULT}|null|Operations`, { usages: 1, users: 1 }], // no action
        ['2026-03-04|424242|null|424242', { usages: 2, users: 1 }], // no action, no lookup: the uuid
      ]),
    );
  });

  it('item-reveals-copies-exports: the copy with the address from client.ip', async () => {
    const result = await saved('item-reveals-copies-exports');

    expect(
      result.map(({ uuid, action, user_name, ip_address, country }) => ({
        uuid,
        action,
        user_name,
        ip_address,
        country,
      })),
    ).toEqual([
      {
        uuid: id('IGROVECOPY'),
        action: 'secure-copy',
        user_name: ROSA.name,
        ip_address: '198.51.100.23',
        country: null,
      },
      {
        uuid: id('IREVEALTORONTO'),
        action: 'reveal',
        user_name: JONAS.name,
        ip_address: '203.0.113.41',
        country: 'CA',
      },
    ]);
  });

  it('admin-audit-actions: changes by people named without a uuid show their names', async () => {
    const result = await saved('admin-audit-actions');

    expect(
      result.map(({ uuid, change, actor_name, actor_email, aux_name }) => ({
        uuid,
        change,
        actor_name,
        actor_email,
        aux_name,
      })),
    ).toEqual([
      // Newest first: the scrubbed grant of 8 March, by and to people without uuids.
      {
        uuid: id('ASCRUBGRANT'),
        change: 'Vault access granted',
        actor_name: 'Priya Raman',
        actor_email: 'Priya.Raman@example.com',
        aux_name: 'Liam Murphy',
      },
      // Sent twice: listed once.
      {
        uuid: id('ASUSPENDUSER'),
        change: 'User suspended',
        actor_name: JONAS.name,
        actor_email: JONAS.email,
        aux_name: null,
      },
    ]);
  });

  it('activity-per-day: each event once, on its UTC day, backfilled ones included', async () => {
    const result = await saved('activity-per-day');

    expect(new Map(result.map((row) => [`${backDay(row.day)}|${row.stream}`, row.events]))).toEqual(
      new Map([
        ['2026-02-18|signinattempts', 1],
        ['2026-02-20|signinattempts', 2],
        ['2026-02-25|itemusages', 2],
        ['2026-02-27|auditevents', 1], // the suspension, sent twice
        ['2026-02-27|signinattempts', 1],
        ['2026-03-01|signinattempts', 1], // 16:32:50-03:00, sent twice
        ['2026-03-02|itemusages', 1], // one id sent twice
        ['2026-03-03|auditevents', 1], // one id, five times
        ['2026-03-04|itemusages', 2], // no zone: UTC
        ['2026-03-05|signinattempts', 1], // no zone: UTC
        ['2026-03-06|signinattempts', 1],
        // Ten events in the stream and the backfill, and the late one in the backfill only.
        ['2026-03-07|auditevents', 11],
        ['2026-03-08|auditevents', 2],
        ['2026-03-08|signinattempts', 1],
        ['2026-03-09|signinattempts', 2], // 08:15:00+01:00 is 07:15 UTC
      ]),
    );
    expect(new Set(result.map((row) => row.source))).toEqual(new Set([SOURCE]));
  });

  it('top-items: the item used twice first, then by item id', async () => {
    const result = await saved('top-items');

    expect(result.map(({ item_uuid, usages, users }) => ({ item_uuid, usages, users }))).toEqual([
      { item_uuid: LOWER_ITEM, usages: 2, users: 1 }, // the reveal and the usage without an action
      { item_uuid: '5f0d3c1a9b8e4d2c8a7b6e5f4d3c2b1a', usages: 1, users: 1 },
      { item_uuid: '9876', usages: 1, users: 1 },
      { item_uuid: id('ITEMDATABASEPASSWORD'), usages: 1, users: 1 }, // one id sent twice
    ]);
  });

  it('top-users: people without a uuid counted by e-mail, each event once', async () => {
    const result = await saved('top-users');

    expect(
      result.map(({ user_key, signin_attempts, item_usages, audit_events, events }) => ({
        user_key,
        signin_attempts,
        item_usages,
        audit_events,
        events,
      })),
    ).toEqual([
      // Nine scrubbed events and the grant in the stream, the late one in the backfill; the ten
      // the backfill holds again count once.
      { user_key: PRIYA_KEY, signin_attempts: 0, item_usages: 0, audit_events: 11, events: 11 },
      // The scrubbed event that names him by e-mail only counts as his.
      { user_key: JONAS.uuid, signin_attempts: 2, item_usages: 2, audit_events: 2, events: 6 },
      { user_key: TOMAS.uuid, signin_attempts: 4, item_usages: 0, audit_events: 0, events: 4 },
      // The firewall block served twice counts once; the copy sent twice counts once.
      { user_key: ROSA.uuid, signin_attempts: 2, item_usages: 1, audit_events: 0, events: 3 },
      { user_key: '31337', signin_attempts: 0, item_usages: 2, audit_events: 0, events: 2 },
      { user_key: '7788', signin_attempts: 1, item_usages: 0, audit_events: 0, events: 1 },
      // A v1 actor, by actor_uuid alone (no name): counted, unnamed.
      { user_key: GROVE_ACTOR, signin_attempts: 0, item_usages: 0, audit_events: 1, events: 1 },
      {
        user_key: 'kavya.murphy@example.com',
        signin_attempts: 0,
        item_usages: 0,
        audit_events: 1,
        events: 1,
      },
    ]);
  });

  it('runs every saved query with its defaults', async () => {
    for (const query of SAVED_QUERIES) await expect(archive.runSaved(query.id)).resolves.toBeDefined();
  });

  it('the report shows people without a uuid under their e-mail, and usages without an action', async () => {
    const report = await collectReport(archive, NOW, { days: 30 });

    expect(report.topUsers[0]).toEqual({
      userKey: PRIYA_KEY,
      name: 'Priya Raman',
      email: 'Priya.Raman@example.com',
      counts: { signinattempts: 0, itemusages: 0, auditevents: 11 },
    });
    // The v1 actor has no name or e-mail: shown by its id.
    expect(report.topUsers.find((user) => user.userKey === GROVE_ACTOR)?.name).toBe(GROVE_ACTOR);
    expect(report.itemActions).toContainEqual({ action: NO_ACTION, usages: 3 });
    expect(report.failedByCountry).toEqual([
      { country: '(unknown)', attempts: 1 },
      { country: 'AR', attempts: 1 },
      { country: 'FR', attempts: 1 },
      { country: 'Narnia', attempts: 1 },
    ]);
    expect(report.usersSeen).toBe(8);
  });
});

describe('the countries table', () => {
  it('gives each spelling one code, and knows every country the simulator names', () => {
    const codes = new Map<string, Set<string>>();
    for (const { spelling, code } of [
      ...countrySpellings(),
      ...countrySpellings().map(({ code }) => ({ spelling: code, code })),
    ]) {
      codes.set(spelling.toLowerCase(), (codes.get(spelling.toLowerCase()) ?? new Set()).add(code));
    }

    expect([...codes].filter(([, set]) => set.size > 1)).toEqual([]);
    expect([...codes.values()].flatMap((set) => [...set]).filter((code) => !/^[A-Z]{2}$/.test(code))).toEqual(
      [],
    );
    for (const place of PLACES) expect(codes.get(place.country.toLowerCase())).toEqual(new Set([place.iso]));
  });
});
