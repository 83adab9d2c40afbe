import type { S3Client } from '@aws-sdk/client-s3';
import { parseBatchKey } from '../../lambdas/shared/archive/format';
import { ArchiveWriter, type BatchObject, KeyOccupiedError } from '../../lambdas/shared/archive/writer';
import { ArchiveWriteError } from '../../lambdas/shared/errors';
import { StateStore, streamKey } from '../../lambdas/shared/state-store';
import { SOURCE, startEnvironment, type TestEnvironment } from '../support/environment';
import { expectExactlyOnce } from '../support/exactly-once';
import { s3Error, strictS3Client } from '../support/strict-s3';

const STREAM = 'itemusages' as const;
const ONE_STREAM = { EVENT_TYPES: STREAM, BATCH_MAX_EVENTS: '1000' };
/** The run that takes over writes larger batches, so its batch 1 differs from the stalled one. */
const TAKEOVER = { EVENT_TYPES: STREAM, BATCH_MAX_EVENTS: '2000' };
const DAY = 86_400_000;
/** Far enough after a run for its lease (deadline + 60 s) to have lapsed. */
const AFTER_LEASE = 10 * 60_000;

/**
 * An archive whose first write stalls the way a frozen or cut-off PUT does: the caller's
 * request fails (the connection dropped), while S3 has the object and stores it later, when
 * the test calls {@link land}. Every later write goes through, optionally with a hook just
 * before or after it, so a test can land the stalled write at an exact step of another run.
 */
class StallingArchive extends ArchiveWriter {
  private stalled: BatchObject | undefined;
  beforeWrite: (() => Promise<void>) | undefined;
  afterWrite: (() => Promise<void>) | undefined;

  constructor(
    private readonly s3: S3Client,
    private readonly bucketName: string,
  ) {
    super(s3, bucketName);
  }

  override async put(object: BatchObject, signal?: AbortSignal): Promise<void> {
    if (this.stalled === undefined) {
      this.stalled = object;
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    }
    const [before, after] = [this.beforeWrite, this.afterWrite];
    this.beforeWrite = undefined;
    this.afterWrite = undefined;
    await before?.();
    await super.put(object, signal);
    await after?.();
  }

  /** The stalled write reaches S3 now, with the same If-None-Match the collector sent. */
  async land(): Promise<'landed' | 'refused'> {
    if (this.stalled === undefined) throw new Error('nothing stalled');
    try {
      await new ArchiveWriter(this.s3, this.bucketName).put(this.stalled);
      return 'landed';
    } catch (error) {
      if (error instanceof KeyOccupiedError) return 'refused';
      throw error;
    }
  }

  get stalledKey(): string | undefined {
    return this.stalled?.key;
  }
}

function keyOfPending(item: { pending?: { key: string } | undefined } | undefined): string {
  return item?.pending?.key ?? 'no pending intent';
}

describe('a write that stalls past its lease', () => {
  let env: TestEnvironment;
  let s3: ReturnType<typeof strictS3Client>;
  let archive: StallingArchive;
  beforeEach(async () => {
    env = await startEnvironment();
    s3 = strictS3Client(env.aws.s3.endpoint);
    archive = new StallingArchive(s3.client, env.aws.bucket);
  });
  afterEach(() => env.close());

  const state = () =>
    new StateStore(env.aws.clients.documents, env.aws.tableName).get(streamKey(SOURCE, STREAM));

  /** Run A stalls on its first batch; more events arrive, some of them late, before anyone resumes. */
  async function stallFirstRun(clock: () => number = Date.now) {
    const now = Date.now();
    const before = env.sim.generate(STREAM, 2_500, { from: now - DAY, to: now });
    const stalled = await env.run({ env: ONE_STREAM, owner: 'run-a', overrides: { archive, now: clock } });
    // Late events with older timestamps reorder the first page, so a refetched batch 1 differs from A's.
    const during = env.sim.generate(STREAM, 400, { from: now - DAY, to: now });
    return { stalled, served: [...before, ...during] };
  }

  it('keeps the intent and the lease when the outcome of a write is unknown', async () => {
    const { stalled } = await stallFirstRun();

    const tooSoon = await env.run({ env: ONE_STREAM, owner: 'run-b' });
    const item = await state();

    expect(stalled).toBeInstanceOf(Error);
    expect((stalled as Error & { cause?: unknown }).cause).toBeInstanceOf(ArchiveWriteError);
    expect((stalled as Error).message).toMatch(/may still land/);
    expect(item?.leaseOwner).toBe('run-a');
    expect(item?.pending?.key).toBe(archive.stalledKey);
    expect(item?.lastError).toMatch(/batch 1 .*did not complete/);
    if (tooSoon instanceof Error) throw tooSoon;
    expect(tooSoon.streams[0]).toMatchObject({ status: 'skipped', eventsArchived: 0 });
  });

  it('(a) landing before the takeover: the next run commits it', async () => {
    const { served } = await stallFirstRun();
    expect(await archive.land()).toBe('landed');

    const later = Date.now() + AFTER_LEASE;
    const resumed = await env.run({ env: ONE_STREAM, overrides: { archive, now: () => later } });

    if (resumed instanceof Error) throw resumed;
    expect(resumed.streams[0]).toMatchObject({ status: 'ok', caughtUp: true, firstSeq: 1 });
    await expectExactlyOnce(env, STREAM, served);
  });

  it('(b) landing after the takeover, before the new write: the late batch is adopted', async () => {
    const { served } = await stallFirstRun();
    let landed: string | undefined;
    archive.beforeWrite = async () => {
      landed = await archive.land();
    };

    const later = () => Date.now() + AFTER_LEASE;
    const takeover = await env.run({ env: TAKEOVER, overrides: { archive, now: later } });
    const next = await env.run({ env: TAKEOVER, overrides: { archive, now: later } });

    if (takeover instanceof Error) throw takeover;
    if (next instanceof Error) throw next;
    expect(landed).toBe('landed');
    expect(s3.refusals).toEqual([archive.stalledKey]);
    expect(takeover.streams[0]).toMatchObject({ status: 'ok', eventsArchived: 1_000, lastSeq: 1 });
    expect(env.log.lines.map((line) => line.message)).toContain(
      'adopting a batch that an earlier run wrote late, after its intent was abandoned',
    );
    expect(next.streams[0]).toMatchObject({ status: 'ok', caughtUp: true, firstSeq: 2 });
    expect((await state())?.abandoned).toEqual([]);
    await expectExactlyOnce(env, STREAM, served);
  });

  it('(b) landing after the new write: S3 refuses it and the stream moves on', async () => {
    const { served } = await stallFirstRun();
    let landed: string | undefined;
    archive.afterWrite = async () => {
      landed = await archive.land();
    };

    const later = () => Date.now() + AFTER_LEASE;
    const takeover = await env.run({ env: TAKEOVER, overrides: { archive, now: later } });

    if (takeover instanceof Error) throw takeover;
    expect(landed).toBe('refused');
    expect(takeover.streams[0]).toMatchObject({ status: 'ok', caughtUp: true, firstSeq: 1 });
    await expectExactlyOnce(env, STREAM, served);
  });

  it('(c) across UTC midnight: the batch keeps its first key, so the late write cannot add a second object', async () => {
    const midnight = Math.ceil(Date.now() / DAY) * DAY;
    const started = Date.now();
    const beforeMidnight = () => midnight - 60_000 + (Date.now() - started);
    const afterMidnight = () => midnight + AFTER_LEASE + (Date.now() - started);
    const { served } = await stallFirstRun(beforeMidnight);
    archive.beforeWrite = async () => {
      await archive.land();
    };

    const takeover = await env.run({ env: TAKEOVER, overrides: { archive, now: afterMidnight } });
    const next = await env.run({ env: TAKEOVER, overrides: { archive, now: afterMidnight } });

    if (takeover instanceof Error) throw takeover;
    if (next instanceof Error) throw next;
    const keys = await expectExactlyOnce(env, STREAM, served);
    const day = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 10);
    expect(parseBatchKey(keys.get(1) ?? '')?.date).toBe(day(midnight - 60_000));
    expect(parseBatchKey(keys.get(2) ?? '')?.date).toBe(day(midnight));
  });

  it('(c) across UTC midnight with the late write landing last', async () => {
    const midnight = Math.ceil(Date.now() / DAY) * DAY;
    const started = Date.now();
    const { served } = await stallFirstRun(() => midnight - 60_000 + (Date.now() - started));
    let landed: string | undefined;
    archive.afterWrite = async () => {
      landed = await archive.land();
    };

    const takeover = await env.run({
      env: TAKEOVER,
      overrides: { archive, now: () => midnight + AFTER_LEASE + (Date.now() - started) },
    });

    if (takeover instanceof Error) throw takeover;
    expect(landed).toBe('refused');
    await expectExactlyOnce(env, STREAM, served);
  });

  it('aborts a write still in flight when the lease is about to lapse, and keeps the lease', async () => {
    const now = Date.now();
    env.sim.generate(STREAM, 500, { from: now - DAY, to: now });
    const slow = strictS3Client(env.aws.s3.endpoint).client;
    // A PUT that takes longer than the lease has left: the SDK's abort signal must end it.
    slow.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutObjectCommand') await new Promise((r) => setTimeout(r, 3_000));
        return next(args);
      },
      { step: 'build', name: 'slowPut' },
    );

    const run = await env.run({
      env: { ...ONE_STREAM, DEADLINE_MARGIN_MS: '1000' },
      remainingMs: 2_000,
      overrides: { archive: new ArchiveWriter(slow, env.aws.bucket), leaseSafetyMs: 61_000 },
    });

    expect(run).toBeInstanceOf(Error);
    expect((run as Error).message).toMatch(/batch 1 .*may still land.*abort/i);
    expect(
      await new ArchiveWriter(s3.client, env.aws.bucket).find(
        archive.stalledKey ?? keyOfPending(await state()),
      ),
    ).toBeUndefined();
    expect((await state())?.pending?.seq).toBe(1);
    expect((await state())?.leaseOwner).toBeDefined();
  });

  it('sends a write again after S3 answers 409 ConditionalRequestConflict', async () => {
    const now = Date.now();
    const served = env.sim.generate(STREAM, 1_500, { from: now - DAY, to: now });
    let conflicts = 0;
    s3.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutObjectCommand' && conflicts < 2) {
          conflicts += 1;
          throw s3Error(409, 'ConditionalRequestConflict', 'A conflicting operation occurred');
        }
        return next(args);
      },
      { step: 'initialize', name: 'conflict', priority: 'high' },
    );

    const run = await env.run({
      env: ONE_STREAM,
      overrides: { archive: new ArchiveWriter(s3.client, env.aws.bucket) },
    });

    if (run instanceof Error) throw run;
    expect(conflicts).toBe(2);
    await expectExactlyOnce(env, STREAM, served);
  });

  it('drops the intent of a write S3 refused outright, and the next run archives every event once', async () => {
    const now = Date.now();
    const served = env.sim.generate(STREAM, 1_500, { from: now - DAY, to: now });
    const denying = strictS3Client(env.aws.s3.endpoint).client;
    denying.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutObjectCommand') {
          throw s3Error(403, 'AccessDenied', 'Access Denied');
        }
        return next(args);
      },
      { step: 'initialize', name: 'deny' },
    );

    const denied = await env.run({
      env: ONE_STREAM,
      overrides: { archive: new ArchiveWriter(denying, env.aws.bucket) },
    });
    const afterDenial = await state();
    const next = await env.run({ env: ONE_STREAM });

    expect((denied as Error).message).toMatch(/S3 refused the write of batch 1/);
    expect(afterDenial?.pending).toBeUndefined();
    expect(afterDenial?.abandoned).toEqual([]);
    expect(afterDenial?.leaseOwner).toBeUndefined();
    if (next instanceof Error) throw next;
    await expectExactlyOnce(env, STREAM, served);
  });
});
