import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  ConfigError,
  type DeploymentConfigInput,
  loadConfig,
  MAX_SOURCES,
  parseConfig,
  scheduleMinutes,
  unreservedConcurrencyFloor,
} from '../../lib/config';
import { exampleConfig, type InputWithoutLockMode, REPO_ROOT, withArchive } from './helpers';

function problemsOf(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('the config was accepted');
}

const source = (extra: Record<string, unknown> = {}) => ({ name: 'prod', ...extra });

describe('deployment config', () => {
  it('accepts the committed example and fills in the defaults', () => {
    const config = parseConfig(exampleConfig());

    expect(config.name).toBe('op-events-archive');
    expect(config.archive.objectLock).toEqual({ mode: 'GOVERNANCE', retentionDays: 365 });
    expect(config.collector).toMatchObject({ reservedConcurrency: true, memoryMb: 512, timeoutSeconds: 300 });
    expect(config.sources.map((s) => s.name)).toEqual(['prod', 'subsidiary']);
  });

  it('defaults a source to every minute, enabled, 24 h drop-off and a server derived from the token', () => {
    const [prod] = parseConfig(withArchive({ sources: [source()] })).sources;

    expect(prod).toMatchObject({
      schedule: 'rate(1 minute)',
      enabled: true,
      dropOffHours: {},
      dropOffRhythm: {},
      dropOffCeilingHours: {},
      behindThresholdHours: 6,
    });
    expect(prod?.server).toBeUndefined();
    expect(prod?.tokenSecretArn).toBeUndefined();
  });

  it('writes rate expressions the way EventBridge wants them', () => {
    const config = parseConfig(
      withArchive({
        sources: [source({ schedule: 'rate(1 minutes)' }), { name: 'b', schedule: 'rate(5 minute)' }],
      }),
    );

    expect(config.sources.map((s) => s.schedule)).toEqual(['rate(1 minute)', 'rate(5 minutes)']);
    expect(scheduleMinutes('rate(1 hour)')).toBe(60);
  });

  describe('Object Lock mode', () => {
    const required =
      'archive.objectLock.mode is required: choose "GOVERNANCE" (principals with s3:BypassGovernanceRetention ' +
      'can still delete or shorten retention) or "COMPLIANCE" (nobody, the root user included, can delete a locked ' +
      'version, shorten its retention or change its mode until the retention ends) — see README §Deploy';

    it.each<[string, Record<string, unknown>]>([
      ['no archive section', { sources: [source()] }],
      ['an archive without objectLock', { archive: { prefix: '1password/' }, sources: [source()] }],
      [
        'an objectLock with only a retention',
        { archive: { objectLock: { retentionDays: 400 } }, sources: [source()] },
      ],
    ])('has no default: %s is refused, naming the field and the choice', (_kind, input) => {
      expect(problemsOf(input)).toEqual([required]);
    });

    it.each(['GOVERNANCE', 'COMPLIANCE'] as const)('accepts %s, with the default retention', (mode) => {
      const config = parseConfig({ archive: { objectLock: { mode } }, sources: [source()] });

      expect(config.archive.objectLock).toEqual({ mode, retentionDays: 365 });
    });
  });

  it.each<[string, DeploymentConfigInput | Record<string, unknown>, string]>([
    [
      'a source name outside [a-z0-9-]',
      { sources: [source(), { name: 'Prod' }] },
      'sources[1].name "Prod" must match [a-z0-9-]{1,40}',
    ],
    [
      'a repeated source name',
      { sources: [source(), source()] },
      'sources[1].name "prod" is already used by sources[0]',
    ],
    [
      'names that clash once hyphens go',
      { sources: [{ name: 'a-b' }, { name: 'a--b' }] },
      'sources[1].name "a--b" differs from sources[0].name only in its hyphens',
    ],
    [
      'an unknown server',
      { sources: [source({ server: 'us' })] },
      'sources[0].server "us" must be one of business, enterprise, ca, eu',
    ],
    [
      'an unknown event type',
      { sources: [source({ eventTypes: ['signins'] })] },
      'sources[0].eventTypes[0] "signins" must be one of signinattempts, itemusages, auditevents',
    ],
    [
      'an empty event type list',
      { sources: [source({ eventTypes: [] })] },
      'sources[0].eventTypes must list at least one event type',
    ],
    [
      'a cron schedule',
      { sources: [source({ schedule: 'cron(0 * * * ? *)' })] },
      'sources[0].schedule "cron(0 * * * ? *)" must be a rate expression',
    ],
    [
      'a schedule slower than hourly',
      { sources: [source({ schedule: 'rate(2 hours)' })] },
      'sources[0].schedule "rate(2 hours)" must run at least once an hour',
    ],
    [
      'a start position that is no instant or duration',
      { sources: [source({ startFrom: 'yesterday' })] },
      'sources[0].startFrom "yesterday" must be an RFC 3339 instant',
    ],
    [
      'a secret ARN without its suffix',
      {
        sources: [
          source({ tokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:op-token' }),
        ],
      },
      'sources[0].tokenSecretArn "arn:aws:secretsmanager:eu-west-1:123456789012:secret:op-token" must be the complete ARN',
    ],
    [
      'a secret key without a secret',
      {
        sources: [
          source({
            tokenSecretKmsKeyArn:
              'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555',
          }),
        ],
      },
      'sources[0].tokenSecretKmsKeyArn only applies to an existing secret',
    ],
    [
      'a drop-off window over a week',
      { sources: [source({ dropOffHours: { itemusages: 200 } })] },
      'sources[0].dropOffHours.itemusages 200 must be at most 168 hours',
    ],
    [
      'a drop-off window for an unknown stream',
      { sources: [source({ dropOffHours: { logins: 5 } })] },
      'sources[0].dropOffHours.logins',
    ],
    [
      'a drop-off window shorter than two runs',
      { sources: [source({ schedule: 'rate(1 hour)', dropOffHours: { auditevents: 1 } })] },
      'sources[0].dropOffHours.auditevents 1 must cover at least two runs',
    ],
    [
      'a drop-off ceiling over 30 days',
      { sources: [source({ dropOffCeilingHours: { auditevents: 1000 } })] },
      'sources[0].dropOffCeilingHours.auditevents 1000 must be at most 720 hours',
    ],
    [
      'a drop-off ceiling below the fixed window',
      { sources: [source({ dropOffHours: { auditevents: 72 }, dropOffCeilingHours: { auditevents: 48 } })] },
      "sources[0].dropOffCeilingHours.auditevents 48 is below the stream's fixed window of 72 h",
    ],
    [
      'a drop-off rhythm switch as a string',
      { sources: [source({ dropOffRhythm: { auditevents: 'yes' } })] },
      'sources[0].dropOffRhythm.auditevents "yes" must be true',
    ],
    [
      'enabled as a string',
      { sources: [source({ enabled: 'yes' })] },
      'sources[0].enabled must be true or false (got "yes")',
    ],
    [
      'a misspelt field',
      { sources: [source({ schedul: 'rate(1 minute)' })] },
      'sources[0].schedul is not a known field',
    ],
    ['no sources', {}, 'sources is required'],
    ['an empty source list', { sources: [] }, 'sources must list at least one source'],
    [
      'more sources than one deployment holds',
      { sources: Array.from({ length: MAX_SOURCES + 1 }, (_, i) => ({ name: `s${i}` })) },
      `sources lists ${MAX_SOURCES + 1} sources; one deployment holds at most ${MAX_SOURCES}`,
    ],
    [
      'a deployment name that cannot prefix resource names',
      { name: 'OpEvents', sources: [source()] },
      'name "OpEvents" must start with a letter and match [a-z0-9-]',
    ],
    [
      'an unknown Object Lock mode',
      { archive: { objectLock: { mode: 'LEGAL' } }, sources: [source()] },
      'archive.objectLock.mode "LEGAL" must be GOVERNANCE or COMPLIANCE',
    ],
    [
      'a retention of zero days',
      { archive: { objectLock: { retentionDays: 0 } }, sources: [source()] },
      'archive.objectLock.retentionDays 0 must be at least 1',
    ],
    [
      'expiry before the lock ends',
      { archive: { expireAfterDays: 30 }, sources: [source()] },
      'archive.expireAfterDays 30 is shorter than archive.objectLock.retentionDays (365)',
    ],
    [
      'noncurrent versions deleted before the lock ends',
      { archive: { expireAfterDays: 3650, noncurrentExpireAfterDays: 1 }, sources: [source()] },
      'archive.noncurrentExpireAfterDays 1 is shorter than archive.objectLock.retentionDays (365): ' +
        'a version hidden early by a delete marker would be deleted as soon as its own retention ends; ' +
        'set it to 365 or more, or remove it (it then equals the retention)',
    ],
    [
      'a noncurrent expiry without an expiry',
      { archive: { noncurrentExpireAfterDays: 400 }, sources: [source()] },
      'archive.noncurrentExpireAfterDays only applies with archive.expireAfterDays',
    ],
    [
      'a transition S3 refuses',
      { archive: { coldStorage: { storageClass: 'STANDARD_IA', afterDays: 10 } }, sources: [source()] },
      'archive.coldStorage.afterDays 10 is too early',
    ],
    [
      'an archive prefix without a trailing slash',
      { archive: { prefix: 'logs' }, sources: [source()] },
      'archive.prefix "logs" must be empty or end with "/"',
    ],
    [
      'a KMS alias instead of a key ARN',
      { kms: { keyArn: 'alias/archive' }, sources: [source()] },
      'kms.keyArn "alias/archive" must be a KMS key ARN',
    ],
    [
      'a key in another region',
      {
        env: { region: 'eu-west-1' },
        kms: { keyArn: 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555' },
        sources: [source()],
      },
      'kms.keyArn is in region us-east-1 but env.region is eu-west-1',
    ],
    [
      'an alarm address that is not an e-mail',
      { alarms: { emails: ['oncall'] }, sources: [source()] },
      'alarms.emails[0] "oncall" is not an e-mail address',
    ],
    [
      'a FIFO alarm topic',
      { alarms: { topicArn: 'arn:aws:sns:eu-west-1:123456789012:alarms.fifo' }, sources: [source()] },
      'alarms.topicArn "arn:aws:sns:eu-west-1:123456789012:alarms.fifo" must be the ARN of a standard (not FIFO) SNS topic',
    ],
    [
      'a log retention CloudWatch does not offer',
      { collector: { logRetentionDays: 42 }, sources: [source()] },
      'collector.logRetentionDays 42 must be one of 1, 3, 5',
    ],
    [
      'a timeout over Lambda’s 15 minutes',
      { collector: { timeoutSeconds: 1200 }, sources: [source()] },
      'collector.timeoutSeconds 1200 must be at most 900',
    ],
  ])('rejects %s, naming the field', (_kind, input, expected) => {
    // Every row states a lock mode (or a wrong one), so it shows only its own problem.
    expect(problemsOf(withArchive(input as InputWithoutLockMode)).join('\n')).toContain(expected);
  });

  it('reports every problem at once, one line each', () => {
    const problems = problemsOf(
      withArchive({
        sources: [
          { name: 'Prod', server: 'us' },
          { name: 'x', schedule: 'daily' },
        ],
      } as InputWithoutLockMode),
    );

    expect(problems).toHaveLength(3);
  });

  describe('reserved concurrency against the stated account quota', () => {
    it('keeps 100 unreserved executions, or the whole quota below 100', () => {
      expect(unreservedConcurrencyFloor(1000)).toBe(100);
      expect(unreservedConcurrencyFloor(10)).toBe(10);
    });

    it('refuses even one reserved collector in a new account (quota 10)', () => {
      const [problem] = problemsOf(
        withArchive({ collector: { accountConcurrencyQuota: 10 }, sources: [source()] }),
      );

      expect(problem).toContain('collector.accountConcurrencyQuota 10 cannot hold 1 reserved collector(s)');
      expect(problem).toContain('at least 101');
      expect(problem).toContain('set collector.reservedConcurrency to false');
    });

    it('needs a quota of 200 for 100 reserved collectors', () => {
      const sources = Array.from({ length: 100 }, (_, i) => ({ name: `s${i}` }));

      expect(
        problemsOf(withArchive({ collector: { accountConcurrencyQuota: 199 }, sources })).join('\n'),
      ).toContain('at least 200');
      expect(() =>
        parseConfig(withArchive({ collector: { accountConcurrencyQuota: 200 }, sources })),
      ).not.toThrow();
    });

    it('accepts any quota when reservations are switched off', () => {
      expect(() =>
        parseConfig(
          withArchive({
            collector: { reservedConcurrency: false, accountConcurrencyQuota: 10 },
            sources: [source()],
          }),
        ),
      ).not.toThrow();
    });
  });

  describe('files', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'op-events-config-'));

    it('names the file when it is not JSON', () => {
      const file = path.join(dir, 'broken.json');
      writeFileSync(file, '{ "sources": [ }');

      expect(() => loadConfig(file)).toThrow(`${file} is not valid JSON`);
    });

    it('says how to create a missing file', () => {
      expect(() => loadConfig(path.join(dir, 'missing.json'))).toThrow('copy connector.config.example.json');
    });

    it('fails the synth of bin/app.ts with the field and the fix, and exit code 1', () => {
      const file = path.join(dir, 'bad.json');
      writeFileSync(file, JSON.stringify(withArchive({ sources: [{ name: 'prod' }, { name: 'Prod' }] })));

      const result = spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['bin/app.ts'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: {
          ...process.env,
          CDK_CONTEXT_JSON: JSON.stringify({ config: file }),
          CDK_OUTDIR: path.join(dir, 'out'),
        },
      });

      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`${file} is not valid`);
      expect(result.stderr).toContain('sources[1].name "Prod" must match [a-z0-9-]{1,40}');
    });
  });
});
