import type { RunSummary } from '../../lambdas/collector/collector';
import { EVENT_TYPES } from '../../lambdas/shared/event-types';
import { startEnvironment, type TestEnvironment } from '../support/environment';
import { expectExactlyOnce } from '../support/exactly-once';
import { Killer, mortalCollaborators } from '../support/killer';
import { strictS3Client } from '../support/strict-s3';

const ROUNDS = 24;
/** A short Lambda budget: 2.5 s, of which the last second is kept for writing and committing. */
const SHORT_RUN = { remainingMs: 2_500, env: { DEADLINE_MARGIN_MS: '1000', BATCH_MAX_EVENTS: '700' } };
/** Virtual time that passes between two rounds: more than a lease (deadline + 60 s). */
const BETWEEN_ROUNDS = 10 * 60_000;
const HOUR = 3_600_000;

/** mulberry32: a seeded generator, so a failing round can be replayed from the printed seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('the collector killed at random moments', () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await startEnvironment({ simulator: { latencyMs: { min: 2, max: 20 } } });
  });
  afterEach(() => env.close());

  const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);

  it(`archives every event exactly once over ${ROUNDS} rounds of crashes (seed ${seed}; CRASH_SEED replays it)`, async () => {
    const random = seeded(seed);
    const served = new Map(EVENT_TYPES.map((stream) => [stream, [] as Array<{ uuid?: unknown }>]));
    let virtual = 0;
    const now = () => Date.now() + virtual;
    const outcomes: string[] = [];
    const { client: s3 } = strictS3Client(env.aws.s3.endpoint);

    for (let round = 1; round <= ROUNDS; round++) {
      // New events every round, some of them up to a day late, and a large backlog now and then.
      for (const stream of EVENT_TYPES) {
        const count = Math.floor(random() * (round % 7 === 1 ? 3_000 : 400));
        const lateBy = random() < 0.3 ? 24 * HOUR : HOUR;
        const t = Date.now();
        served.get(stream)?.push(...env.sim.generate(stream, count, { from: t - lateBy, to: t }));
      }
      // Now and then the API forgets every cursor, so crashes also hit the recovery.
      if (random() < 0.12) env.sim.expireCursors();
      // Most rounds die at a random call (before it, or after it took effect): early in the run
      // (every run makes at least nine calls), or later, which a short run may not reach.
      const draw = random();
      const killAt =
        draw < 0.5 ? 1 + Math.floor(random() * 9) : draw < 0.85 ? 10 + Math.floor(random() * 30) : undefined;
      const killer = new Killer(killAt, random() < 0.5 ? 'before' : 'after');
      // S3 as it is, If-None-Match enforced; s3rver alone would let a second write replace the first.
      const mortal = mortalCollaborators(
        killer,
        { documents: env.aws.clients.documents, s3 },
        {
          table: env.aws.tableName,
          bucket: env.aws.bucket,
        },
      );

      const result = await env.run({
        ...SHORT_RUN,
        overrides: { ...mortal, now, retry: { baseDelayMs: 5, maxDelayMs: 50, maxAttempts: 4 } },
      });

      outcomes.push(
        `${round}: ${killer.killed ? `killed ${killAt}` : 'lived'} → ${result instanceof Error ? 'failed' : 'ok'}`,
      );
      virtual += BETWEEN_ROUNDS;
    }

    // The dead runs' leases have lapsed: healthy runs catch every stream up.
    let final: RunSummary | Error | undefined;
    for (let attempt = 0; attempt < 10; attempt++) {
      virtual += BETWEEN_ROUNDS;
      final = await env.run({ overrides: { now } });
      if (!(final instanceof Error) && final.streams.every((s) => s.status === 'ok' && s.caughtUp)) break;
    }

    if (final instanceof Error) throw new Error(`${final.message}\n${outcomes.join('\n')}`);
    expect(final?.streams.map((s) => [s.stream, s.status, s.caughtUp])).toEqual(
      EVENT_TYPES.map((stream) => [stream, 'ok', true]),
    );
    expect(outcomes.filter((line) => line.includes('killed')).length).toBeGreaterThanOrEqual(ROUNDS / 3);
    for (const stream of EVENT_TYPES) await expectExactlyOnce(env, stream, served.get(stream) ?? []);
  });
});
