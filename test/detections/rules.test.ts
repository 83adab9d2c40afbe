/**
 * Every rule fires on a crafted story and stays silent on a near miss: the same events with
 * the one thing that makes them dangerous taken out.
 */
import { RULES } from '../../lambdas/detector/rules';
import { SEVERITIES } from '../../lambdas/shared/detections/rule';
import { ALICE, audit, BOB, run, settings, signin, usage } from './support';

const only = async (ruleId: string, ...args: Parameters<typeof run>) => run(args[0], { ...args[1], ruleId });

describe('the rule set', () => {
  it('gives every rule an id, a title, a severity, a MITRE technique, a runbook and a stream', () => {
    expect(new Set(RULES.map((rule) => rule.id)).size).toBe(RULES.length);
    for (const rule of RULES) {
      expect(rule.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(rule.title.length).toBeGreaterThan(10);
      expect(SEVERITIES).toContain(rule.severity);
      expect(rule.mitre.technique).toMatch(/^T\d{4}(\.\d{3})?$/);
      expect(rule.mitre.tactic).toMatch(/^TA\d{4}$/);
      expect(rule.runbook.length).toBeGreaterThan(60);
      expect(rule.streams.length).toBeGreaterThan(0);
    }
  });
});

describe.each([
  ['sso-configuration-changed', 'addgsso', 'sso', 'update', 'sso'],
  ['unlock-with-sso-changed', 'disblsso', 'sso', 'view', 'sso'],
  ['firewall-rules-changed', 'updatfw', 'account', 'updatea', 'account'],
  ['account-mfa-disabled', 'disblmfa', 'account', 'enblmfa', 'account'],
  ['user-mfa-changed', 'updatmfa', 'user', 'updatmfa', 'account'],
  ['account-created-manually', 'create', 'user', 'provsn', 'user'],
  ['service-account-created', 'create', 'sa', 'create', 'vault'],
  ['service-account-token-changed', 'trename', 'sa', 'update', 'sa'],
])('%s', (ruleId, action, objectType, nearAction, nearObjectType) => {
  it(`fires on ${action} on ${objectType}, naming who and from where`, async () => {
    const [finding] = await only(ruleId, [
      audit(0, ALICE, { action, object_type: objectType, object_uuid: 'OBJ' }),
    ]);
    expect(finding).toMatchObject({ ruleId, person: { email: 'alice@example.com' }, ip: '198.51.100.7' });
    expect(finding?.summary).toContain('Alice Admin <alice@example.com>');
  });
  it(`stays silent on ${nearAction} on ${nearObjectType}`, async () => {
    expect(
      await only(ruleId, [audit(0, ALICE, { action: nearAction, object_type: nearObjectType })]),
    ).toEqual([]);
  });
});

describe('service-account-token-changed', () => {
  const token = (minutes: number, actor: typeof ALICE, action: string) =>
    audit(minutes, actor, {
      action,
      object_type: action.startsWith('t') ? 'sa' : 'satoken',
      object_uuid: 'TOK',
    });
  const rotation = [
    token(0, ALICE, 'create'),
    token(2, ALICE, 'tverify'),
    token(3, ALICE, 'trename'),
    token(10, ALICE, 'revoke'),
  ];
  it('fires once on a rotation in one sitting, on its first change, and again in a later sitting', async () => {
    const findings = await only('service-account-token-changed', [
      ...rotation,
      token(2 * 60, ALICE, 'create'),
    ]);
    expect(findings.map((f) => f.details.action)).toEqual(['create', 'create']);
  });
  it('does not group one administrator’s changes with another’s, nor beyond sittingMinutes', async () => {
    const both = await only('service-account-token-changed', [...rotation, token(5, BOB, 'trevoke')]);
    expect(both.map((f) => f.person?.email)).toEqual(['alice@example.com', 'bob@example.com']);
    const short = settings({ rules: { 'service-account-token-changed': { sittingMinutes: 5 } } });
    expect(await only('service-account-token-changed', rotation, { settings: short })).toHaveLength(2);
  });
});

describe('mfa-change-burst', () => {
  const changes = (count: number, spacing: number) =>
    Array.from({ length: count }, (_, i) =>
      audit(i * spacing, ALICE, { action: 'updatmfa', object_type: 'user', object_uuid: `U${i}` }),
    );
  it('fires once when one actor makes 5 changes within an hour, linking all five', async () => {
    const findings = await only('mfa-change-burst', changes(7, 5));
    expect(findings).toHaveLength(1);
    expect(findings[0]?.events).toHaveLength(5);
  });
  it('stays silent on 5 changes spread over five hours', async () => {
    expect(await only('mfa-change-burst', changes(5, 61))).toEqual([]);
  });
});

describe('admin-self-grant and self-grant-then-access', () => {
  const grant = (grantee: typeof ALICE) =>
    audit(0, ALICE, {
      action: 'grant',
      object_type: 'uva',
      object_uuid: 'vault-secret',
      aux_uuid: grantee.uuid,
    });
  it('fires when an administrator grants themselves a vault, then, critically, on their first reveal in it', async () => {
    const story = [
      grant(ALICE),
      usage(30, ALICE, { action: 'reveal', vault_uuid: 'vault-secret', item_uuid: 'root-key' }),
      usage(31, ALICE, { action: 'secure-copy', vault_uuid: 'vault-secret', item_uuid: 'root-key' }),
    ];
    const findings = await run(story);
    expect(findings.filter((f) => f.ruleId === 'admin-self-grant')).toHaveLength(1);
    const escalation = findings.filter((f) => f.ruleId === 'self-grant-then-access');
    expect(escalation).toHaveLength(1);
    expect(escalation[0]).toMatchObject({ severity: 'CRITICAL', details: { minutesAfterGrant: 30 } });
    // The self-grant and the reveal, with their archive keys.
    expect(escalation[0]?.events.map((ref) => ref.stream)).toEqual(['auditevents', 'itemusages']);
  });
  it('stays silent when the grant is for someone else, or the use comes after the follow window', async () => {
    expect(await only('admin-self-grant', [grant(BOB)])).toEqual([]);
    const late = [grant(ALICE), usage(25 * 60, ALICE, { action: 'reveal', vault_uuid: 'vault-secret' })];
    expect(await only('self-grant-then-access', late)).toEqual([]);
  });
});

describe('privileged-vault-permissions-changed and privileged-group-member-added', () => {
  const watch = settings({
    watchlists: { privilegedVaults: ['vault-prod'], privilegedGroups: ['GROUP-OWNERS'] },
  });
  it('fire on a watched vault or group', async () => {
    const findings = await run(
      [
        audit(0, ALICE, { action: 'grant', object_type: 'gva', object_uuid: 'vault-prod' }),
        audit(1, ALICE, {
          action: 'join',
          object_type: 'gm',
          object_uuid: 'GROUP-OWNERS',
          aux_uuid: BOB.uuid,
        }),
      ],
      { settings: watch },
    );
    expect(findings.map((f) => f.ruleId).sort()).toEqual([
      'privileged-group-member-added',
      'privileged-vault-permissions-changed',
    ]);
  });
  it('stay silent on other vaults and groups, and do not run without a watchlist', async () => {
    const story = [
      audit(0, ALICE, { action: 'grant', object_type: 'gva', object_uuid: 'vault-dev' }),
      audit(1, ALICE, { action: 'join', object_type: 'gm', object_uuid: 'GROUP-DEVS', aux_uuid: BOB.uuid }),
    ];
    expect(await run(story, { settings: watch })).toEqual([]);
    const watched = [audit(0, ALICE, { action: 'grant', object_type: 'gva', object_uuid: 'vault-prod' })];
    expect(await only('privileged-vault-permissions-changed', watched)).toEqual([]);
  });
});

describe('vault-export and export-before-offboarding', () => {
  it('fire on an export, once an hour for item exports, and critically when the exporter is suspended within 14 days', async () => {
    const story = [
      usage(0, BOB, { action: 'export', item_uuid: 'i1' }),
      usage(0.1, BOB, { action: 'export', item_uuid: 'i2' }),
      usage(0.2, BOB, { action: 'export', item_uuid: 'i3' }),
      audit(3 * 24 * 60, ALICE, {
        action: 'suspend',
        object_type: 'user',
        object_uuid: BOB.uuid,
        object_details: BOB,
      }),
    ];
    const findings = await run(story);
    expect(findings.filter((f) => f.ruleId === 'vault-export')).toHaveLength(1);
    const offboarding = findings.filter((f) => f.ruleId === 'export-before-offboarding');
    expect(offboarding).toHaveLength(1);
    expect(offboarding[0]?.summary).toMatch(
      /Bob Builder <bob@example.com> was suspended by Alice Admin .* 3 days after exporting vault data \(3 export events\)/,
    );
    expect(offboarding[0]?.events).toHaveLength(4);
  });
  it('stay silent on a suspension 15 days after the export, and on fills', async () => {
    const story = [
      usage(0, BOB, { action: 'fill' }),
      audit(1, BOB, { action: 'export', object_type: 'items', object_uuid: 'vault-a' }),
      audit(15 * 24 * 60, ALICE, { action: 'suspend', object_type: 'user', object_uuid: BOB.uuid }),
    ];
    expect(await only('export-before-offboarding', story)).toEqual([]);
  });
  it('make one finding of an export sitting: the audit event and its items within the hour', async () => {
    const story = [
      audit(0, BOB, { action: 'export', object_type: 'items', object_uuid: 'vault-a' }),
      ...['i1', 'i2', 'i3', 'i4'].map((item, i) =>
        usage(0.1 * (i + 1), BOB, { action: 'export', item_uuid: item }),
      ),
      audit(2 * 60, BOB, { action: 'export', object_type: 'items', object_uuid: 'vault-b' }),
    ];
    const exports = await only('vault-export', story);
    expect(exports.map((f) => f.details.stream)).toEqual(['auditevents', 'auditevents']);
  });
  it('count for offboarding only what is an export: a lone item export is not', async () => {
    const story = [
      usage(0, BOB, { action: 'export', item_uuid: 'i1' }),
      usage(2 * 60, BOB, { action: 'export', item_uuid: 'i2' }),
      audit(3 * 24 * 60, ALICE, { action: 'suspend', object_type: 'user', object_uuid: BOB.uuid }),
    ];
    expect(await run(story)).toEqual([]);
  });
  it('make one finding of a leaver suspended, then deleted', async () => {
    const offboard = (minutes: number, action: string) =>
      audit(minutes, ALICE, { action, object_type: 'user', object_uuid: BOB.uuid });
    const story = [
      audit(0, BOB, { action: 'export', object_type: 'items', object_uuid: 'vault-a' }),
      offboard(24 * 60, 'suspend'),
      offboard(5 * 24 * 60, 'delete'),
    ];
    expect(await only('export-before-offboarding', story)).toHaveLength(1);
    const shorter = settings({ rules: { 'export-before-offboarding': { offboardingDays: 2 } } });
    expect(await only('export-before-offboarding', story, { settings: shorter })).toHaveLength(2);
  });
});

describe('new-ip-signin', () => {
  it('fires on a known person signing in from an IP not seen in 14 days', async () => {
    const story = [
      signin(0, ALICE, {}),
      signin(60, ALICE, { client: { ip_address: '203.0.113.9' }, country: 'DE' }),
    ];
    const [finding] = await only('new-ip-signin', story);
    expect(finding).toMatchObject({
      ip: '203.0.113.9',
      country: 'DE',
      details: { knownIps: '198.51.100.7' },
    });
  });
  it('learns a person’s first IP, and stays silent on a known one, or after a failure', async () => {
    expect(await only('new-ip-signin', [signin(0, ALICE, {}), signin(60, ALICE, {})])).toEqual([]);
    const failed = [
      signin(0, ALICE, {}),
      signin(60, ALICE, { category: 'credentials_failed', client: { ip_address: '203.0.113.9' } }),
    ];
    expect(await only('new-ip-signin', failed)).toEqual([]);
  });
  it('treats an IP last seen more than 14 days ago as new, and reads the older client.ip shape', async () => {
    const story = [signin(0, ALICE, {}), signin(15 * 24 * 60, ALICE, { client: { ip: '198.51.100.8' } })];
    expect(await only('new-ip-signin', story)).toEqual([]);
    const moved = [
      signin(0, ALICE, { client: { ip: '198.51.100.7' } }),
      signin(60, ALICE, { client: { ip: '198.51.100.8' } }),
    ];
    expect(await only('new-ip-signin', moved)).toHaveLength(1);
  });
});

describe('failed-signin-burst-user and failed-signin-burst-ip', () => {
  const failures = (count: number, spacing: number, people = [ALICE]) =>
    Array.from({ length: count }, (_, i) =>
      signin(i * spacing, people[i % people.length] as typeof ALICE, {
        category: 'credentials_failed',
        type: 'password_secret_bad',
      }),
    );
  it('fire once on 10 failures for one person, and 20 from one IP, within 15 minutes', async () => {
    expect(await only('failed-signin-burst-user', failures(12, 1))).toHaveLength(1);
    const spray = await only('failed-signin-burst-ip', failures(20, 0.5, [ALICE, BOB]));
    expect(spray).toHaveLength(1);
    expect(spray[0]?.details).toMatchObject({ failures: 20, people: 2 });
  });
  it('stay silent on 9 failures, or on failures an hour apart', async () => {
    expect(await only('failed-signin-burst-user', failures(9, 1))).toEqual([]);
    expect(await only('failed-signin-burst-user', failures(12, 60))).toEqual([]);
  });
});

describe('signin-from-denied-country', () => {
  const denied = settings({ watchlists: { deniedCountries: ['KP'] } });
  it('fires on a sign-in from a denied country, named or coded', async () => {
    expect(
      await only('signin-from-denied-country', [signin(0, ALICE, { country: 'KP' })], { settings: denied }),
    ).toHaveLength(1);
    const named = signin(0, ALICE, { country: '', location: { country: 'North Korea' } });
    expect(await only('signin-from-denied-country', [named], { settings: denied })).toHaveLength(1);
  });
  it('stays silent on other countries and on failed attempts', async () => {
    const story = [
      signin(0, ALICE, { country: 'FR' }),
      signin(1, ALICE, { country: 'KP', category: 'firewall_failed' }),
    ];
    expect(await only('signin-from-denied-country', story, { settings: denied })).toEqual([]);
  });
});

describe('impossible-travel', () => {
  const at = (minutes: number, latitude: number, longitude: number, ip: string) =>
    signin(minutes, ALICE, { client: { ip_address: ip }, location: { latitude, longitude } });
  it('fires on Paris then Tokyo an hour apart', async () => {
    const [finding] = await only('impossible-travel', [
      at(0, 48.85, 2.35, '198.51.100.7'),
      at(60, 35.68, 139.69, '203.0.113.9'),
    ]);
    expect(finding?.details).toMatchObject({ minutes: 60 });
    expect(Number(finding?.details.distanceKm)).toBeGreaterThan(9000);
  });
  it('stays silent on Paris then London an hour apart, or Paris then Tokyo a day apart', async () => {
    expect(await only('impossible-travel', [at(0, 48.85, 2.35, 'a'), at(60, 51.5, -0.12, 'b')])).toEqual([]);
    expect(
      await only('impossible-travel', [at(0, 48.85, 2.35, 'a'), at(20 * 60, 35.68, 139.69, 'b')]),
    ).toEqual([]);
  });
});

describe('client-app-not-allowed', () => {
  const allowed = settings({
    watchlists: { allowedClientApps: ['1Password for Mac', '1Password Browser Extension'] },
  });
  it('fires once a day per person and app outside the list', async () => {
    const story = [
      usage(0, ALICE, { client: { app_name: 'op-script' } }),
      usage(5, ALICE, { client: { app_name: 'op-script' } }),
    ];
    expect(await only('client-app-not-allowed', story, { settings: allowed })).toHaveLength(1);
  });
  it('stays silent on allowed apps', async () => {
    expect(
      await only('client-app-not-allowed', [usage(0, ALICE, {}), signin(1, ALICE, {})], {
        settings: allowed,
      }),
    ).toEqual([]);
  });
});

describe('sensitive-item-used and excessive-reveals', () => {
  it('fire on a watched item, and on 30 reveals within an hour', async () => {
    const watched = settings({ watchlists: { sensitiveItems: ['root-key'] } });
    expect(
      await only('sensitive-item-used', [usage(0, ALICE, { item_uuid: 'root-key' })], { settings: watched }),
    ).toHaveLength(1);
    const reveals = Array.from({ length: 30 }, (_, i) =>
      usage(i, BOB, { action: 'reveal', item_uuid: `item-${i % 7}` }),
    );
    const [burst] = await only('excessive-reveals', reveals);
    expect(burst?.details).toMatchObject({ uses: 30, items: 7 });
  });
  it('stay silent on other items, and on 29 reveals, or on fills', async () => {
    const watched = settings({ watchlists: { sensitiveItems: ['root-key'] } });
    expect(
      await only('sensitive-item-used', [usage(0, ALICE, { item_uuid: 'other' })], { settings: watched }),
    ).toEqual([]);
    const reveals = Array.from({ length: 29 }, (_, i) => usage(i, BOB, { action: 'reveal' }));
    expect(await only('excessive-reveals', reveals)).toEqual([]);
    const fills = Array.from({ length: 40 }, (_, i) => usage(i, BOB, { action: 'fill' }));
    expect(await only('excessive-reveals', fills)).toEqual([]);
  });
});
