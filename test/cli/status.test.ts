import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { backfillStateKey } from '../../cli/backfill-naming';
import { StateStore } from '../../lambdas/shared/state-store';
import { SOURCE, startEnvironment, type TestEnvironment } from '../support/environment';
import { cli } from './support';

const PREFIX = `op-events-archive-${SOURCE}-`;

function alarm(
  name: string,
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA',
  reason = 'Threshold Crossed',
): MetricAlarm {
  return {
    AlarmName: `${PREFIX}${name}`,
    StateValue: state,
    StateReason: reason,
    StateUpdatedTimestamp: new Date('2026-11-21T10:00:00Z'),
  };
}

describe('status', () => {
  const cloudWatch = mockClient(CloudWatchClient);
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await startEnvironment({ collectorEnv: { EVENT_TYPES: 'signinattempts,itemusages' } });
    const now = Date.now();
    env.sim.generate('signinattempts', 300, { from: now - 3_600_000, to: now - 600_000 });
    env.sim.generate('itemusages', 1_200, { from: now - 7_200_000, to: now - 120_000 });
    const run = await env.run();
    if (run instanceof Error) throw run;
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        alarm('auth-failure', 'OK'),
        alarm('collector-errors', 'OK'),
        alarm('drop-off', 'INSUFFICIENT_DATA'),
        alarm('falling-behind', 'OK'),
      ],
    });
  });
  afterEach(async () => {
    cloudWatch.reset();
    await env.close();
  });
  afterAll(() => cloudWatch.restore());

  const status = (...extra: string[]) =>
    cli(['status', '--source', SOURCE, '--table', env.aws.tableName, ...extra]);

  it('shows per stream the last run, newest event, lag, cursor age, counts and alarms', async () => {
    const { code, stdout } = await status();
    const json = await status('--json');

    expect(code).toBe(0);
    expect(cloudWatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).toMatchObject({
      AlarmNamePrefix: PREFIX,
    });
    expect(stdout).toContain(`Source acme (state table ${env.aws.tableName}; alarms ${PREFIX}*)`);
    expect(stdout).toMatch(
      / {2}stream +last success +newest event +lag +cursor moved +objects +events +state\n/,
    );
    expect(stdout).toMatch(
      / {2}signinattempts +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +\d{4}-\S+ \S+ +1\dm \d\ds +\d+s ago +1 +300 +ok\n/,
    );
    expect(stdout).toMatch(/ {2}itemusages +\S+ \S+ +\S+ \S+ +\dm \d\ds +\d+s ago +1 +1,200 +ok\n/);
    expect(stdout).toMatch(/ {2}auditevents +- +- +- +- +0 +0 +never run\n/);
    expect(stdout).toMatch(/ {4}OK +op-events-archive-acme-auth-failure +since 2026-11-21 10:00:00Z\n/);
    expect(stdout).toMatch(/ {4}INSUFFICIENT_DATA +op-events-archive-acme-drop-off/);
    expect(stdout).toContain('Healthy: no alarm firing, every stream’s last run succeeded.');
    const [source] = json.json().sources;
    expect(json.code).toBe(0);
    expect(source.streams[1]).toMatchObject({
      stream: 'itemusages',
      tracked: true,
      objects: 1,
      events: 1_200,
      lastSeq: 1,
      lagSeconds: expect.any(Number),
      cursorAgeSeconds: expect.any(Number),
      alarms: [],
    });
    expect(source.streams[1].lagSeconds).toBeGreaterThanOrEqual(120);
    expect(source.alarms.map((a: { name: string }) => a.name)).toEqual([
      `${PREFIX}auth-failure`,
      `${PREFIX}collector-errors`,
      `${PREFIX}drop-off`,
      `${PREFIX}falling-behind`,
    ]);
  });

  it('exits 1 and names the alarm when one fires', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        alarm('drop-off', 'ALARM', 'Threshold Crossed: 1 datapoint [21600.0] was greater than or equal to 1'),
      ],
    });

    const { code, stdout } = await status();

    expect(code).toBe(1);
    expect(stdout).toMatch(/ {4}ALARM +op-events-archive-acme-drop-off/);
    expect(stdout).toContain('Threshold Crossed: 1 datapoint [21600.0] was greater than or equal to 1');
    expect(stdout).toContain('NOT HEALTHY: acme');
  });

  it('exits 1 and shows the error when a stream’s last run failed', async () => {
    env.sim.revokeToken(env.token);
    await env.run();

    const { code, stdout } = await status('--no-alarms');

    expect(code).toBe(1);
    expect(cloudWatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
    expect(stdout).toMatch(
      /itemusages last run failed at .*: AuthError: source acme: the Events API refused the token/,
    );
  });

  it('lists the source’s backfills', async () => {
    const state = new StateStore(env.aws.clients.documents, env.aws.tableName);
    const pk = backfillStateKey(
      SOURCE,
      'itemusages',
      Date.parse('2026-09-01T00:00:00Z'),
      Date.parse('2026-10-01T00:00:00Z'),
    );
    const lease = await state.acquireLease(pk, SOURCE, 'itemusages', 'me', Date.now() + 60_000, Date.now());
    if (lease.acquired) await state.finishRun(lease.state, 'me', {}, Date.now());

    const { stdout, json } = await status('--json').then(async (r) => ({
      ...(await status()),
      json: r.json,
    }));

    expect(stdout).toMatch(
      / {2}backfills\n {4}itemusages {2}2026-09-01 00:00:00Z to 2026-10-01 00:00:00Z {2}0 objects {2}0 events {2}last run/,
    );
    expect(json().sources[0].backfills).toEqual([
      expect.objectContaining({
        stream: 'itemusages',
        from: '2026-09-01T00:00:00.000Z',
        to: '2026-10-01T00:00:00.000Z',
      }),
    ]);
  });

  it('refuses --alarm-prefix for several sources', async () => {
    const { code, stderr } = await cli([
      'status',
      '--source',
      'a',
      '--source',
      'b',
      '--table',
      't',
      '--alarm-prefix',
      'x-',
    ]);

    expect(code).toBe(2);
    expect(stderr).toContain('--alarm-prefix names one source’s alarms');
  });
});
