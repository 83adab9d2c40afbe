/**
 * The drop-off alarm reads `SecondsSinceArchived`, which every run that holds a stream's lease
 * reports: the time since the stream last committed a batch, from its state item.
 */
import { startEnvironment, type TestEnvironment } from '../support/environment';

const HOUR = 3_600_000;

describe('seconds since a stream last archived', () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await startEnvironment({ collectorEnv: { EVENT_TYPES: 'auditevents' } });
  });
  afterEach(() => env.close());

  const reported = () => env.metrics.streams.map((entry) => entry.secondsSinceArchived);

  it('counts from the last commit, across quiet runs, and from the first run while nothing was ever archived', async () => {
    const start = Date.now();
    let clock = start;
    const now = () => clock;

    // A stream with nothing to archive yet counts from its first run.
    await env.run({ overrides: { now } });
    clock += 2 * HOUR;
    await env.run({ overrides: { now } });

    env.sim.generate('auditevents', 50, { from: start - HOUR, to: start });
    clock += HOUR;
    await env.run({ overrides: { now } });
    // Quiet again for 5 hours.
    clock += 5 * HOUR;
    await env.run({ overrides: { now } });

    const [first, second, archived, quiet] = reported();
    expect(first).toBeLessThanOrEqual(1);
    expect(second).toBeGreaterThanOrEqual(2 * 3600 - 1);
    expect(second).toBeLessThanOrEqual(2 * 3600 + 60);
    expect(archived).toBeLessThanOrEqual(60);
    expect(quiet).toBeGreaterThanOrEqual(5 * 3600 - 1);
    expect(quiet).toBeLessThanOrEqual(5 * 3600 + 60);
  });
});
