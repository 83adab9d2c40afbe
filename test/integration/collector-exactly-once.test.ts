import { PutObjectCommand } from '@aws-sdk/client-s3';
import { MetadataKey, streamPrefix } from '../../lambdas/shared/archive/format';
import { readStreamEvents } from '../../lambdas/shared/archive/reader';
import { ArchiveWriter } from '../../lambdas/shared/archive/writer';
import { IntegrityError } from '../../lambdas/shared/errors';
import { GENESIS_SHA256, StateStore, streamKey } from '../../lambdas/shared/state-store';
import { SOURCE, startEnvironment, type TestEnvironment, uuidsOf } from '../support/environment';
import { type CrashPoint, crashingCollaborators, SimulatedCrash } from '../support/faults';
import { strictS3Client } from '../support/strict-s3';

const STREAM = 'itemusages' as const;
const ONE_STREAM = { EVENT_TYPES: STREAM, BATCH_MAX_EVENTS: '1000' };
/** Far enough after a run for its lease (deadline + 60 s) to have lapsed. */
const AFTER_LEASE = 10 * 60_000;

describe('exactly-once archiving under crashes and overlapping runs', () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await startEnvironment();
  });
  afterEach(() => env.close());

  async function expectChainIntact() {
    const { batches } = await readStreamEvents(
      env.aws.clients.s3,
      env.aws.bucket,
      streamPrefix('', SOURCE, STREAM),
    );
    let previous = GENESIS_SHA256;
    batches.forEach((batch, index) => {
      expect(batch.metadata[MetadataKey.seq]).toBe(String(index + 1));
      expect(batch.metadata[MetadataKey.prevSha256]).toBe(previous);
      previous = batch.metadata[MetadataKey.sha256] ?? '';
    });
    return batches.length;
  }

  describe.each([
    ['s3rver as it is (If-None-Match ignored)', false],
    ['S3 semantics (If-None-Match enforced)', true],
  ])('with %s', (_flavour, strict) => {
    it.each<CrashPoint>(['after-fetch', 'after-intent', 'after-write', 'after-commit'])(
      'loses and duplicates nothing when the process dies %s of a batch',
      async (at) => {
        const now = Date.now();
        const before = env.sim.generate(STREAM, 2_500, { from: now - 86_400_000, to: now });
        const s3 = strict
          ? strictS3Client(env.aws.s3.endpoint)
          : { client: env.aws.clients.s3, refusals: [] };
        const crashing = crashingCollaborators(
          { documents: env.aws.clients.documents, s3: s3.client },
          { table: env.aws.tableName, bucket: env.aws.bucket },
          { at, batch: 2 },
        );

        const crashed = await env.run({
          env: ONE_STREAM,
          overrides: { state: crashing.state, archive: crashing.archive },
        });
        // Events keep arriving while the collector is down.
        const during = env.sim.generate(STREAM, 300, { from: now, to: Date.now() });
        const later = Date.now() + AFTER_LEASE;
        const rerun = await env.run({
          env: ONE_STREAM,
          overrides: {
            now: () => later + (Date.now() - now),
            archive: new ArchiveWriter(s3.client, env.aws.bucket),
          },
        });

        expect(crashed).toBeInstanceOf(Error);
        expect(String((crashed as Error).message)).toContain('simulated crash');
        expect(crashing.crashed()).toBe(true);
        expect(rerun).not.toBeInstanceOf(Error);
        expect(s3.refusals).toEqual([]);
        const archived = await env.archived(STREAM);
        expect(archived).toHaveLength(before.length + during.length);
        expect(uuidsOf(archived)).toEqual(uuidsOf([...before, ...during]));
        await expectChainIntact();
      },
    );
  });

  it('keeps a stream whose run crashed locked until the lease lapses, then resumes', async () => {
    const now = Date.now();
    const served = env.sim.generate(STREAM, 1_500, { from: now - 86_400_000, to: now });
    const crashing = crashingCollaborators(
      env.aws.clients,
      { table: env.aws.tableName, bucket: env.aws.bucket },
      { at: 'after-write', batch: 1 },
    );
    await env.run({ env: ONE_STREAM, overrides: { state: crashing.state, archive: crashing.archive } });

    const tooSoon = await env.run({ env: ONE_STREAM });
    const afterLapse = await env.run({ env: ONE_STREAM, overrides: { now: () => Date.now() + AFTER_LEASE } });

    if (tooSoon instanceof Error || afterLapse instanceof Error) throw tooSoon;
    expect(tooSoon.streams[0]).toMatchObject({ status: 'skipped', eventsArchived: 0 });
    expect(tooSoon.streams[0]?.reason).toMatch(/holds the stream's lease/);
    expect(afterLapse.streams[0]).toMatchObject({ status: 'ok', eventsArchived: served.length });
    expect(uuidsOf(await env.archived(STREAM))).toEqual(uuidsOf(served));
  });

  it('lets one of two overlapping invocations write and the other back off', async () => {
    const now = Date.now();
    const served = env.sim.generate(STREAM, 3_000, { from: now - 86_400_000, to: now });

    const [first, second] = await Promise.all([
      env.run({ env: ONE_STREAM, owner: 'invocation-a' }),
      env.run({ env: ONE_STREAM, owner: 'invocation-b' }),
    ]);

    if (first instanceof Error || second instanceof Error) throw first instanceof Error ? first : second;
    const statuses = [first.streams[0]?.status, second.streams[0]?.status].sort();
    expect(statuses).toEqual(['ok', 'skipped']);
    expect(uuidsOf(await env.archived(STREAM))).toEqual(uuidsOf(served));
    expect(await expectChainIntact()).toBe(3);
  });

  it('writes nothing once its lease may have lapsed, and the next holder archives every event once', async () => {
    const now = Date.now();
    const served = env.sim.generate(STREAM, 2_000, { from: now - 86_400_000, to: now });
    // The first run's clock jumps past its lease while it works, as a frozen process would find.
    let calls = 0;
    const slowClock = () => Date.now() + (++calls > 6 ? AFTER_LEASE : 0);

    const stale = await env.run({ env: ONE_STREAM, overrides: { now: slowClock }, remainingMs: 60_000 });
    const next = await env.run({ env: ONE_STREAM, overrides: { now: () => Date.now() + 2 * AFTER_LEASE } });

    expect(next).not.toBeInstanceOf(Error);
    expect(stale).toBeInstanceOf(Error);
    expect(uuidsOf(await env.archived(STREAM))).toEqual(uuidsOf(served));
    await expectChainIntact();
  });

  it('treats a 412 on its own retried upload as success', async () => {
    const now = Date.now();
    const served = env.sim.generate(STREAM, 500, { from: now - 86_400_000, to: now });
    const s3 = strictS3Client(env.aws.s3.endpoint);
    // The first attempt lands, its answer is lost, and the retry meets If-None-Match.
    class AnswerLost extends ArchiveWriter {
      override async put(object: Parameters<ArchiveWriter['put']>[0]) {
        await super.put(object);
        await super.put(object);
      }
    }

    const summary = await env.run({
      env: ONE_STREAM,
      overrides: { archive: new AnswerLost(s3.client, env.aws.bucket) },
    });

    expect(summary).not.toBeInstanceOf(Error);
    expect(s3.refusals).toHaveLength(1);
    expect(uuidsOf(await env.archived(STREAM))).toEqual(uuidsOf(served));
  });

  it('stops without writing when the next key already holds a foreign object', async () => {
    const now = Date.now();
    env.sim.generate(STREAM, 200, { from: now - 86_400_000, to: now });
    const key = `source=${SOURCE}/type=${STREAM}/dt=${new Date().toISOString().slice(0, 10)}/000000000001.ndjson.gz`;
    await env.aws.clients.s3.send(
      new PutObjectCommand({
        Bucket: env.aws.bucket,
        Key: key,
        Body: Buffer.from('planted'),
        Metadata: { 'body-sha256': 'f'.repeat(64) },
      }),
    );
    const s3 = strictS3Client(env.aws.s3.endpoint);

    const run = await env.run({
      env: ONE_STREAM,
      overrides: { archive: new ArchiveWriter(s3.client, env.aws.bucket) },
    });
    const state = await new StateStore(env.aws.clients.documents, env.aws.tableName).get(
      streamKey(SOURCE, STREAM),
    );

    expect(run).toBeInstanceOf(Error);
    expect((run as Error).message).toContain(key);
    expect((run as Error & { cause?: unknown }).cause).toBeInstanceOf(IntegrityError);
    expect(state?.cursor).toBeUndefined();
    expect(state?.objectsWritten).toBe(0);
    expect(state?.pending?.key).toBe(key);
  });

  it('reports the simulated crash as the failure, not as a lost lease', async () => {
    const crashing = crashingCollaborators(
      env.aws.clients,
      { table: env.aws.tableName, bucket: env.aws.bucket },
      { at: 'after-fetch', batch: 1 },
    );
    env.sim.generate(STREAM, 10);
    const run = await env.run({
      env: ONE_STREAM,
      overrides: { state: crashing.state, archive: crashing.archive },
    });
    expect((run as Error & { cause?: unknown }).cause).toBeInstanceOf(SimulatedCrash);
  });
});
