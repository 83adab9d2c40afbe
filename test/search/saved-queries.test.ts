import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { athena, duckdb } from '../../search/dialect';
import { type LocalArchive, openLocalArchive, type Row } from '../../search/local-archive';
import { renderQuery, SAVED_QUERIES } from '../../search/queries';
import { SOURCE } from '../support/environment';
import { type ArchiveFixture, buildArchiveFixture } from './support/archive-fixture';
import {
  activityPerDay,
  adminChanges,
  exposures,
  failedSignins,
  instantMs,
  latestUsers,
  newCountries,
  personKeys,
  topItems,
  topUsers,
  usageByVaultAndAction,
} from './support/expected';

describe('saved queries over an archive written by the collector', () => {
  let fixture: ArchiveFixture;
  let archive: LocalArchive;
  let vaultNames: Map<string, string>;
  let itemTitles: Map<string, string>;
  let unnamedVault: string;

  beforeAll(async () => {
    fixture = await buildArchiveFixture();
    const vaults = [...new Set(fixture.events.itemusages.map((event) => String(event.vault_uuid)))].sort();
    const items = [...new Set(fixture.events.itemusages.map((event) => String(event.item_uuid)))].sort();
    unnamedVault = vaults.at(-1) ?? '';
    vaultNames = new Map(vaults.slice(0, -1).map((uuid, index) => [uuid, `Vault ${index}, "shared"`]));
    itemTitles = new Map(
      items.filter((_, index) => index % 2 === 0).map((uuid, index) => [uuid, `Item ${index}`]),
    );
    const csv = (text: string) => (/[",]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
    const vaultRows = [...vaultNames].map(([uuid, name]) => `${uuid},${csv(name)}`);
    mkdirSync(join(fixture.dir, 'lookups', 'vaults'), { recursive: true });
    mkdirSync(join(fixture.dir, 'lookups', 'items'), { recursive: true });
    // Two files, and the first vault in both: a duplicate must not count its events twice.
    writeFileSync(join(fixture.dir, 'lookups/vaults/a.csv'), `vault_uuid,name\n${vaultRows.join('\n')}\n`);
    writeFileSync(join(fixture.dir, 'lookups/vaults/b.csv'), `vault_uuid,name\n${vaultRows[0]}\n`);
    writeFileSync(
      join(fixture.dir, 'lookups/items/items.csv'),
      `item_uuid,vault_uuid,title\n${[...itemTitles].map(([uuid, title]) => `${uuid.toUpperCase()},,${title}`).join('\n')}\n`,
    );
    archive = await openLocalArchive(fixture.dir, { now: fixture.now });
  }, 60_000);

  afterAll(() => {
    archive?.close();
    if (fixture) rmSync(fixture.dir, { recursive: true, force: true });
  });

  const run = async (id: string, params: Record<string, string | number> = {}) =>
    (await archive.runSaved(id, params)).rows;
  const num = (value: Row[string] | undefined) => Number(value);

  it('reads every archived event once, with source and write date from the key', async () => {
    const { rows } =
      await archive.query(`SELECT 'signinattempts' AS stream, count(*) AS n, count(DISTINCT uuid) AS u, min(source) AS source, count(DISTINCT dt) AS dts FROM signinattempts
      UNION ALL SELECT 'itemusages', count(*), count(DISTINCT uuid), min(source), count(DISTINCT dt) FROM itemusages
      UNION ALL SELECT 'auditevents', count(*), count(DISTINCT uuid), min(source), count(DISTINCT dt) FROM auditevents`);

    for (const row of rows) {
      const served = fixture.events[row.stream as keyof ArchiveFixture['events']].length;
      expect({ stream: row.stream, n: row.n, u: row.u, source: row.source, dts: row.dts }).toEqual({
        stream: row.stream,
        n: served,
        u: served,
        source: SOURCE,
        dts: 1,
      });
    }
  });

  it('converts every time stamp (fractions up to nanoseconds, offsets, no zone) to the same UTC instant', async () => {
    for (const stream of ['signinattempts', 'itemusages', 'auditevents'] as const) {
      const { rows } = await archive.query(`SELECT uuid, event_time FROM ${stream}_named`);
      const byUuid = new Map(rows.map((row) => [row.uuid, Date.parse(String(row.event_time))]));

      for (const event of fixture.events[stream]) {
        expect({ timestamp: event.timestamp, ms: byUuid.get(String(event.uuid)) }).toEqual({
          timestamp: event.timestamp,
          ms: Math.floor(instantMs(event)),
        });
      }
    }
  });

  it('users: the latest name and e-mail of everyone an event names, by uuid, e-mail or name', async () => {
    const rows = (await archive.query('SELECT user_key, name, email FROM users')).rows;
    const expected = latestUsers(fixture.events);

    expect(new Map(rows.map((row) => [row.user_key, { name: row.name, email: row.email }]))).toEqual(
      expected,
    );
  });

  it('failed-signins-by-user-and-country: attempts per user, country and category, most first', async () => {
    for (const days of [30, 120]) {
      const rows = await run('failed-signins-by-user-and-country', { days });
      const expected = failedSignins(fixture.events, fixture.now, days);

      expect(
        new Map(rows.map((row) => [`${row.user_key}|${row.country}|${row.category}`, num(row.attempts)])),
      ).toEqual(expected);
      expect(rows.map((row) => num(row.attempts))).toEqual(
        rows.map((row) => num(row.attempts)).sort((a, b) => b - a),
      );
    }
    const users = latestUsers(fixture.events);
    for (const row of await run('failed-signins-by-user-and-country')) {
      expect(row.user_name).toBe(users.get(String(row.user_key))?.name ?? null);
    }
  });

  it('signins-from-new-countries: first successful sign-ins from a country this week, by people seen before', async () => {
    const rows = await run('signins-from-new-countries');
    const expected = newCountries(fixture.events, fixture.now, 7);

    expect(
      new Map(
        rows.map((row) => [
          `${row.user_key}|${row.country}`,
          { signins: num(row.signins), previous: row.previous_countries },
        ]),
      ),
    ).toEqual(
      new Map(
        [...expected].map(([key, value]) => [key, { signins: value.signins, previous: value.previous }]),
      ),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({
        user_key: fixture.traveller.uuid,
        country: fixture.traveller.country,
        signins: 2,
      }),
    );
    expect(rows.map((row) => row.country)).not.toContain('NZ');
  });

  it('item-usage-by-vault-and-action: usages and people per day, vault and action, with vault names', async () => {
    for (const days of [7, 30]) {
      const rows = await run('item-usage-by-vault-and-action', { days });
      const expected = usageByVaultAndAction(fixture.events, fixture.now, days);

      expect(
        new Map(
          rows.map((row) => [
            `${row.day}|${row.vault_uuid}|${row.action}`,
            { usages: num(row.usages), users: num(row.users) },
          ]),
        ),
      ).toEqual(expected);
      for (const row of rows) {
        expect(row.vault_name).toBe(vaultNames.get(String(row.vault_uuid)) ?? row.vault_uuid);
      }
    }
  });

  it('item-reveals-copies-exports: every reveal, copy and export, with names, for all vaults or one', async () => {
    const all = await run('item-reveals-copies-exports');
    expect(all.map((row) => row.uuid).sort()).toEqual(
      exposures(fixture.events, fixture.now, 30)
        .map((e) => e.uuid)
        .sort(),
    );
    for (const row of all) {
      expect(row.item_title).toBe(itemTitles.get(String(row.item_uuid)) ?? row.item_uuid);
    }
    expect(all.map((row) => row.event_time)).toEqual([...all.map((row) => row.event_time)].sort().reverse());

    const [named, name] = [...vaultNames][0] ?? ['', ''];
    for (const vault of [named, name, unnamedVault]) {
      const rows = await run('item-reveals-copies-exports', { vault, days: 90 });
      const uuid = vault === name ? named : vault;
      expect(rows.map((row) => row.uuid).sort()).toEqual(
        exposures(fixture.events, fixture.now, 90, uuid)
          .map((e) => e.uuid)
          .sort(),
      );
    }
  });

  it('admin-audit-actions: MFA and SSO changes, suspensions, vault access grants, service-account tokens', async () => {
    const rows = await run('admin-audit-actions', { days: 90 });
    const expected = adminChanges(fixture.events, fixture.now, 90);

    expect(new Map(rows.map((row) => [row.uuid, row.change]))).toEqual(expected);
    expect(new Set(expected.values()).size).toBeGreaterThanOrEqual(4);
    const users = latestUsers(fixture.events);
    const byUuid = new Map(fixture.events.auditevents.map((event) => [String(event.uuid), event]));
    for (const row of rows) {
      const event = byUuid.get(String(row.uuid)) ?? {};
      expect(row.actor_name).toBe(users.get(String(personKeys(fixture.events).actor(event)))?.name ?? null);
      if (row.object_type === 'uva')
        expect(row.object_name).toBe(vaultNames.get(String(event?.object_uuid)) ?? null);
    }
  });

  it('activity-per-day: events per event day, stream and source, late events on the day they happened', async () => {
    for (const days of [90, 120]) {
      const rows = await run('activity-per-day', { days });
      expect(new Map(rows.map((row) => [`${row.day}|${row.stream}|${row.source}`, num(row.events)]))).toEqual(
        activityPerDay(fixture.events, fixture.now, days, SOURCE),
      );
    }
  });

  it('top-items and top-users: the most used items and the most active people', async () => {
    const items = await run('top-items', { days: 30, limit: 5 });
    expect(items.map((row) => ({ item_uuid: row.item_uuid, usages: row.usages, users: row.users }))).toEqual(
      topItems(fixture.events, fixture.now, 30, 5),
    );
    const people = await run('top-users', { days: 30, limit: 5 });
    expect(
      people.map(({ user_key, signin_attempts, item_usages, audit_events, events }) => ({
        user_key,
        signin_attempts,
        item_usages,
        audit_events,
        events,
      })),
    ).toEqual(topUsers(fixture.events, fixture.now, 30, 5));
  });

  it('renders every saved query in both dialects, and runs each with its defaults', async () => {
    for (const query of SAVED_QUERIES) {
      expect(renderQuery(query, athena)).not.toBe(renderQuery(query, duckdb()));
      await expect(archive.runSaved(query.id)).resolves.toBeDefined();
    }
  });
});
