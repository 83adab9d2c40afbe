/**
 * The drop-off alarm reads `SecondsSinceArchived`, which a run that holds a stream's lease
 * reports once the stream is past its drop-off window (`DROP_OFF_SECONDS`): the time since the
 * stream last committed a batch, from its state item.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { rhythmKey } from '../../lambdas/shared/liveness/rhythm-store';
import { SOURCE, startEnvironment, type TestEnvironment } from '../support/environment';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('seconds since a stream last archived', () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await startEnvironment({
      collectorEnv: { EVENT_TYPES: 'auditevents', DROP_OFF_SECONDS: `auditevents=${3 * 3600}` },
    });
  });
  afterEach(() => env.close());

  const reported = () => env.metrics.runs.map((entry) => entry.secondsSinceArchived);

  it('is reported only past the window, counted from the last commit, or from the first run if nothing was ever archived', async () => {
    const start = Date.now();
    let clock = start;
    const now = () => clock;

    // A new stream, quiet: counted from its first run; reported once past 3 hours.
    await env.run({ overrides: { now } });
    clock += 2 * HOUR;
    await env.run({ overrides: { now } });
    clock += 2 * HOUR;
    await env.run({ overrides: { now } });

    // It archives: back within the window.
    env.sim.generate('auditevents', 50, { from: start - HOUR, to: start });
    clock += HOUR;
    await env.run({ overrides: { now } });
    clock += 2 * HOUR;
    await env.run({ overrides: { now } });
    // Quiet for 5 hours since the commit.
    clock += 3 * HOUR;
    await env.run({ overrides: { now } });

    const [first, twoHours, fourHours, archived, twoAfter, fiveAfter] = reported();
    expect([first, twoHours, archived, twoAfter]).toEqual([undefined, undefined, undefined, undefined]);
    expect(fourHours).toBeGreaterThanOrEqual(4 * 3600 - 1);
    expect(fourHours).toBeLessThanOrEqual(4 * 3600 + 60);
    expect(fiveAfter).toBeGreaterThanOrEqual(5 * 3600 - 1);
    expect(fiveAfter).toBeLessThanOrEqual(5 * 3600 + 60);
  });

  it('names a malformed window, and what it should look like', () => {
    expect(() => env.dependencies({}, { DROP_OFF_SECONDS: 'auditevents=soon' })).toThrow(
      /DROP_OFF_SECONDS: "auditevents=soon" is not stream=seconds \(e\.g\. auditevents=86400\)/,
    );
  });
});

describe('a stream that learns its rhythm', () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await startEnvironment({
      collectorEnv: {
        EVENT_TYPES: 'auditevents',
        START_FROM: 'P30D',
        DROP_OFF_SECONDS: `auditevents=${24 * 3600}`,
        DROP_OFF_CEILING_SECONDS: `auditevents=${7 * 24 * 3600}`,
      },
    });
  });
  afterEach(() => env.close());

  const rhythmItem = async () =>
    (
      await env.aws.clients.documents.send(
        new GetCommand({ TableName: env.aws.tableName, Key: { pk: rhythmKey(SOURCE, 'auditevents') } }),
      )
    ).Item;

  it('learns from the events it archives, keeps the rhythm in the state table, and reports a stop long before the fixed window', async () => {
    const start = Date.now();
    let clock = start;
    const now = () => clock;
    // Three weeks of steady traffic, about one event every 10 minutes: the usual silence is short.
    env.sim.generate('auditevents', 3000, { from: start - 21 * DAY, to: start - 60_000 });

    await env.run({ overrides: { now } });
    const stored = await rhythmItem();
    expect(stored).toMatchObject({ source: SOURCE, stream: 'auditevents', version: 1 });
    expect(stored?.slots).toHaveLength(672);
    expect(reportedAt(-1)).toBeUndefined();

    // Six hours without an event: a quarter of the fixed window, past the learned limit.
    clock += 6 * HOUR;
    await env.run({ overrides: { now } });

    expect(reportedAt(-1)).toBeGreaterThanOrEqual(6 * 3600 - 60);
    const warning = env.log.lines.find((line) => line.message === 'stream silent past its rhythm');
    expect(warning?.extra).toMatchObject({ stream: 'auditevents', basis: 'learned' });
    expect(Number(warning?.extra.limitSeconds)).toBeLessThan(6 * 3600);
    expect(String(warning?.extra.what)).toContain('sources[].dropOffRhythm.auditevents');
  });

  it('falls back to the fixed window when the rhythm cannot be read, and says so', async () => {
    const start = Date.now();
    let clock = start;
    const now = () => clock;
    env.sim.generate('auditevents', 3000, { from: start - 21 * DAY, to: start - 60_000 });
    await env.run({ overrides: { now } });

    clock += 6 * HOUR;
    const rhythms = env.dependencies().rhythms;
    if (!rhythms) throw new Error('the handler builds a rhythm store');
    jest.spyOn(rhythms, 'load').mockRejectedValue(new Error('ProvisionedThroughputExceededException'));
    await env.run({ overrides: { now, rhythms } });

    expect(reportedAt(-1)).toBeUndefined();
    expect(env.log.lines.map((line) => line.message)).toContain(
      'could not read the stream rhythm; this run judges drop-off by the fixed window',
    );
  });

  function reportedAt(index: number): number | undefined {
    return env.metrics.runs.at(index)?.secondsSinceArchived;
  }
});
