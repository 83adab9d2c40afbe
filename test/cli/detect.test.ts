import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cli } from './support';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const ALICE = { uuid: 'ALICE000000000000000000000A', name: 'Alice Admin', email: 'alice@example.com' };

/** A local archive in the bucket's layout: an administrator grants themselves a vault, then reveals in it. */
function storyArchive(): string {
  const dir = mkdtempSync(join(tmpdir(), 'op-detect-'));
  const at = (daysAgo: number, minutes = 0) =>
    new Date(NOW - daysAgo * 86_400_000 + minutes * 60_000).toISOString();
  const write = (stream: string, events: object[]) => {
    const path = join(dir, `source=acme/type=${stream}/dt=2026-11-28/000000000001.ndjson.gz`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, gzipSync(`${events.map((event) => JSON.stringify(event)).join('\n')}\n`));
  };
  write('auditevents', [
    {
      uuid: 'A1',
      timestamp: at(10),
      actor_uuid: ALICE.uuid,
      actor_details: ALICE,
      action: 'grant',
      object_type: 'uva',
      object_uuid: 'vault-prod',
      aux_uuid: ALICE.uuid,
      session: { ip: '198.51.100.7' },
    },
    // Long before --since: left out.
    {
      uuid: 'A0',
      timestamp: at(200),
      actor_uuid: ALICE.uuid,
      actor_details: ALICE,
      action: 'updatfw',
      object_type: 'account',
    },
  ]);
  write('itemusages', [
    {
      uuid: 'I1',
      timestamp: at(10, 20),
      vault_uuid: 'vault-prod',
      item_uuid: 'root',
      action: 'reveal',
      user: ALICE,
    },
  ]);
  return dir;
}

describe('detect (backtest)', () => {
  it('prints what would have fired, in time order, and the findings per rule and week', async () => {
    const dir = storyArchive();
    const { code, stdout } = await cli(['detect', '--dir', dir, '--source', 'acme'], { now: () => NOW });
    expect(code).toBe(0);
    expect(stdout).toMatch(/Backtest of \d+ rules on 2 events of source acme/);
    expect(stdout).toMatch(
      /HIGH\s+admin-self-grant: Alice Admin <alice@example.com> granted themselves access to vault vault-prod/,
    );
    expect(stdout).toMatch(
      /CRITICAL\s+self-grant-then-access: .* 20 min after granting themselves access to it/,
    );
    expect(stdout).toMatch(/admin-self-grant\s+1/);

    const json = (
      await cli(['detect', '--dir', dir, '--source', 'acme', '--json', '--rule', 'admin-self-grant'], {
        now: () => NOW,
      })
    ).json();
    expect(json.rules).toEqual(['admin-self-grant']);
    expect(json.findings).toHaveLength(1);
    expect(json.findings[0].events[0]).toMatchObject({
      uuid: 'A1',
      key: 'source=acme/type=auditevents/dt=2026-11-28/000000000001.ndjson.gz',
      line: 1,
    });
    expect(json.perWeek).toEqual({ 'admin-self-grant': { '2026-11-16': 1 } });
  });

  it('applies the settings file, and names what is wrong with it', async () => {
    const dir = storyArchive();
    const settings = join(dir, 'settings.json');
    writeFileSync(
      settings,
      JSON.stringify({
        suppressions: [
          {
            rule: 'admin-self-grant',
            person: ALICE.email,
            until: '2026-12-31',
            reason: 'vault owner, approved in change 1234',
          },
        ],
      }),
    );
    const json = (
      await cli(['detect', '--dir', dir, '--source', 'acme', '--json', '--settings', settings], {
        now: () => NOW,
      })
    ).json();
    expect(json.findings.map((finding: { ruleId: string }) => finding.ruleId)).toEqual([
      'self-grant-then-access',
    ]);
    expect(json.suppressed).toBe(1);

    writeFileSync(settings, JSON.stringify({ rules: { 'admin-self-grant': { followWindow: 2 } } }));
    const bad = await cli(['detect', '--dir', dir, '--source', 'acme', '--settings', settings]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /rules\.admin-self-grant\.followWindow: rule admin-self-grant has no tunable "followWindow"; it has: enabled, followWindowHours/,
    );
    const unknown = await cli(['detect', '--dir', dir, '--source', 'acme', '--rule', 'nope']);
    expect(unknown.stderr).toMatch(/--rule nope: no such rule/);
  });
});
