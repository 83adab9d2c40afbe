import { RULES } from '../../lambdas/detector/rules';
import { countryCode } from '../../lambdas/shared/countries';
import { eventTime } from '../../lambdas/shared/detections/event-view';
import { findingId } from '../../lambdas/shared/detections/finding';
import { liveEntries, MemoryHistory } from '../../lambdas/shared/detections/history';
import { detectionSettingsSchema } from '../../lambdas/shared/detections/settings';
import { ALICE, audit, run, settings, usage } from './support';

describe('findings', () => {
  it('have ids made of the rule and the events, the same when an object is read again', async () => {
    const story = [audit(0, ALICE, { action: 'updatfw', object_type: 'account', uuid: 'EVENT1' })];
    const first = await run(story);
    const again = await run(story);
    expect(first.map((f) => f.id)).toEqual(again.map((f) => f.id));
    expect(first[0]?.id).toBe(findingId('firewall-rules-changed', ['EVENT1']));
    expect(findingId('firewall-rules-changed', ['B', 'A'])).toBe(
      findingId('firewall-rules-changed', ['A', 'B', 'A']),
    );
    expect(first[0]?.events[0]).toMatchObject({
      uuid: 'EVENT1',
      stream: 'auditevents',
      key: expect.stringContaining('source=acme/'),
    });
  });

  it('raise the same finding when the same events are read again with the history kept (a redelivered object)', async () => {
    const history = new MemoryHistory();
    const story = [usage(0, ALICE, { action: 'export', uuid: 'EXPORT1' })];
    const first = await run(story, { history });
    const again = await run(story, { history });
    expect(again.map((f) => f.id)).toEqual(first.map((f) => f.id));
  });

  it('are held back by a suppression until its last day, for its person only', async () => {
    const story = [audit(0, ALICE, { action: 'updatfw', object_type: 'account' })];
    const suppressions = [
      {
        rule: 'firewall-rules-changed',
        person: 'alice@example.com',
        until: '2026-11-28',
        reason: 'firewall migration, change 4711',
      },
    ];
    expect(await run(story, { settings: settings({ suppressions }) })).toEqual([]);
    const expired = [{ ...suppressions[0], until: '2026-11-27' }] as typeof suppressions;
    expect(await run(story, { settings: settings({ suppressions: expired }) })).toHaveLength(1);
    const someoneElse = [{ ...suppressions[0], person: 'bob@example.com' }] as typeof suppressions;
    expect(await run(story, { settings: settings({ suppressions: someoneElse }) })).toHaveLength(1);
  });

  it('skip a rule turned off in the config', async () => {
    const story = [audit(0, ALICE, { action: 'updatfw', object_type: 'account' })];
    expect(
      await run(story, { settings: settings({ rules: { 'firewall-rules-changed': { enabled: false } } }) }),
    ).toEqual([]);
  });
});

describe('history', () => {
  it('forgets entries when they expire, decided when read (the local DynamoDB has no TTL, AWS deletes late)', async () => {
    const history = new MemoryHistory();
    await history.remember('k', { id: 'a', at: 0, expiresAt: 1000 });
    await history.remember('k', { id: 'b', at: 500, expiresAt: 1500 });
    expect((await history.recall('k', 999)).map((e) => e.id)).toEqual(['a', 'b']);
    expect((await history.recall('k', 1000)).map((e) => e.id)).toEqual(['b']);
    expect(await history.recall('k', 1500)).toEqual([]);
  });

  it('keeps the newest record of an id, and at most the limit', () => {
    const entries = [
      { id: 'x', at: 1, expiresAt: 100 },
      { id: 'x', at: 5, expiresAt: 100 },
      { id: 'y', at: 3, expiresAt: 100 },
      { id: 'z', at: 4, expiresAt: 100 },
    ];
    expect(liveEntries(entries, 0, 2).map((e) => `${e.id}@${e.at}`)).toEqual(['z@4', 'x@5']);
  });
});

describe('settings', () => {
  const schema = detectionSettingsSchema(RULES);
  it('takes country names and codes, and defaults everything', () => {
    expect(
      schema.parse({ watchlists: { deniedCountries: ['North Korea', 'ir'] } }).watchlists.deniedCountries,
    ).toEqual(['KP', 'IR']);
    expect(schema.parse(undefined)).toMatchObject({ rules: {}, suppressions: [] });
  });
  it('names an unknown rule, an unknown tunable, and a suppression without a reason', () => {
    const problems = (input: unknown) => {
      const result = schema.safeParse(input);
      return result.success
        ? []
        : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    };
    expect(problems({ rules: { 'no-such-rule': { enabled: false } } })[0]).toMatch(
      /no rule "no-such-rule"; the rules are: sso-configuration-changed/,
    );
    expect(problems({ rules: { 'excessive-reveals': { counts: 10 } } })[0]).toMatch(
      /has no tunable "counts"; it has: enabled, count, windowMinutes/,
    );
    expect(
      problems({ suppressions: [{ rule: 'new-ip-signin', until: '2026-12-31', reason: 'x' }] })[0],
    ).toMatch(/must say why/);
    expect(problems({ watchlists: { deniedCountries: ['Atlantis'] } })[0]).toMatch(
      /"Atlantis" is not a country name or ISO 3166 code/,
    );
  });
});

describe('what the rules read from real event shapes', () => {
  it('maps country names to ISO codes, and leaves what it does not know', () => {
    expect(
      ['France', 'FR', 'fr', 'Germany', 'United Kingdom', 'UK', 'Côte d’Ivoire', 'Atlantis'].map(countryCode),
    ).toEqual(['FR', 'FR', 'FR', 'DE', 'GB', 'GB', 'CI', undefined]);
  });
  it('reads a time stamp without a zone as UTC, as the search views do', () => {
    expect(eventTime('2021-12-15 18:02:23')).toBe(Date.UTC(2021, 11, 15, 18, 2, 23));
    expect(eventTime('2021-12-15T18:02:23.123456789+01:00')).toBe(Date.UTC(2021, 11, 15, 17, 2, 23, 123));
    expect(eventTime('yesterday')).toBeUndefined();
  });
});
