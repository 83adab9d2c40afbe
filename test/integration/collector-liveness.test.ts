/**
 * The drop-off alarm reads `SecondsSinceArchived`, which a run that holds a stream's lease
 * reports once the stream is past its drop-off window (`DROP_OFF_SECONDS`): the time since the
 * stream last committed a batch, from its state item.
 */
import { startEnvironment, type TestEnvironment } from '../support/environment';

const HOUR = 3_600_000;

describe('seconds since a stream last archived', () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await startEnvironment({
      collectorEnv: { EVENT_TYPES: 'auditevents', DROP_OFF_SECONDS: `auditevents=${3 * 3600}` },
    });
  });
  afterEach(() => env.close());

  const reported = () => env.metrics.streams.map((entry) => entry.secondsSinceArchived);

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
