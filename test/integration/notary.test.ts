/**
 * The notary against the protocol: dynalite for the state items, s3rver for the archive and
 * the digests (If-None-Match included), the real collector writing the objects it signs.
 */

import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { localNotaryDependencies } from '../../dev/local/notary';
import { type NotaryDependencies, NotaryRunError, runNotary } from '../../lambdas/notary/notary';
import { type NotaryState, NotaryStateStore } from '../../lambdas/notary/notary-state';
import { type Digest, digestKey, LocalDigestSigner, parseDigest } from '../../lambdas/shared/archive/digest';
import { checkDigests } from '../../lambdas/shared/archive/digest-check';
import { listArchive } from '../../lambdas/shared/archive/reader';
import { S3ArchiveSource } from '../../lambdas/shared/archive/source';
import { verifyStream } from '../../lambdas/shared/archive/verifier';
import { parseNotaryEnv } from '../../lambdas/shared/env';
import { EVENT_TYPES } from '../../lambdas/shared/event-types';
import { StateStore, streamKey } from '../../lambdas/shared/state-store';
import { MemoryLog, SOURCE, startEnvironment, type TestEnvironment } from '../support/environment';
import { strictS3Client } from '../support/strict-s3';

const DAY = 86_400_000;

describe('the notary', () => {
  let env: TestEnvironment;
  let signer: LocalDigestSigner;
  let log: MemoryLog;
  // Refuses a PUT with If-None-Match over an existing key, as S3 does and s3rver does not.
  let s3: S3Client;

  beforeEach(async () => {
    env = await startEnvironment({ collectorEnv: { BATCH_MAX_EVENTS: '1000' } });
    signer = LocalDigestSigner.generate('test-notary-key');
    log = new MemoryLog();
    s3 = strictS3Client(env.aws.s3.endpoint).client;
  });
  afterEach(() => env.close());

  const deps = (overrides: Partial<NotaryDependencies> = {}): NotaryDependencies =>
    localNotaryDependencies(env.aws, { sources: [SOURCE], signer, log, s3, ...overrides });
  const archive = () => new S3ArchiveSource(env.aws.clients.s3, env.aws.bucket);
  const readDigest = async (number: number): Promise<Digest> => {
    const object = await archive().open(digestKey('', SOURCE, number));
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(Buffer.from(chunk));
    return parseDigest(Buffer.concat(chunks));
  };
  const collect = async (events: number) => {
    const now = Date.now();
    for (const stream of EVENT_TYPES) env.sim.generate(stream, events, { from: now - DAY, to: now - 60_000 });
    const result = await env.run();
    if (result instanceof Error) throw result;
  };
  /** Each stream's last committed sequence number, from the state table. */
  const committed = async () => {
    const streams = new StateStore(env.aws.clients.documents, env.aws.tableName);
    const heads = await Promise.all(
      EVENT_TYPES.map(async (stream) => ((await streams.get(streamKey(SOURCE, stream)))?.nextSeq ?? 1) - 1),
    );
    return Object.fromEntries(EVENT_TYPES.map((stream, index) => [stream, heads[index] ?? 0]));
  };
  const total = (heads: Record<string, number>) => Object.values(heads).reduce((sum, n) => sum + n, 0);
  /** verify's whole check, digests included. */
  const verifyAll = async () => {
    const digests = await checkDigests(archive(), {
      prefix: '',
      source: SOURCE,
      publicKey: await signer.publicKey(),
    });
    const streams = await Promise.all(
      EVENT_TYPES.map((stream) =>
        verifyStream(archive(), {
          prefix: '',
          source: SOURCE,
          stream,
          signed: digests.signed.get(stream) ?? new Map(),
        }),
      ),
    );
    return { digests, findings: [...digests.findings, ...streams.flatMap((stream) => stream.findings)] };
  };

  it('signs every committed object once, digest after digest, each chained to the signature before it', async () => {
    await collect(2500);
    const before = await committed();
    expect(Math.min(...Object.values(before))).toBeGreaterThanOrEqual(2);
    const first = await runNotary(deps());
    expect(first.sources).toEqual([
      expect.objectContaining({ source: SOURCE, number: 1, objectsSigned: total(before), problems: [] }),
    ]);

    // Nothing new: a digest all the same, so that a missing one shows.
    await runNotary(deps());
    await collect(1200);
    const after = await committed();
    const third = await runNotary(deps());
    expect(third.sources[0]?.objectsSigned).toBe(total(after) - total(before));

    const [one, two, three] = await Promise.all([readDigest(1), readDigest(2), readDigest(3)]);
    expect(one.previousDigestKey).toBeNull();
    expect(two).toMatchObject({
      previousDigestKey: digestKey('', SOURCE, 1),
      digestStartTime: one.digestEndTime,
    });
    expect(two.streams.map((entry) => entry.objects)).toEqual([[], [], []]);
    expect(two.streams.map((entry) => entry.head)).toEqual(one.streams.map((entry) => entry.head));
    for (const entry of three.streams) {
      const from = (before[entry.stream] ?? 0) + 1;
      const to = after[entry.stream] ?? 0;
      expect(entry.objects.map((object) => object.seq)).toEqual(
        Array.from({ length: to - from + 1 }, (_, index) => from + index),
      );
      expect(entry.head).toEqual(entry.objects.at(-1));
    }

    const { digests, findings } = await verifyAll();
    expect(findings).toEqual([]);
    expect(digests).toMatchObject({ digests: 3, valid: 3 });
    expect(digests.signed.get('itemusages')?.size).toBe(after.itemusages);
  });

  it('adopts the digest of a run that crashed after writing it, and signs nothing twice', async () => {
    await collect(1500);
    class CrashingState extends NotaryStateStore {
      override async advance(source: string, previous: number, next: NotaryState): Promise<void> {
        if (next.lastNumber === 1) throw new Error('the run died before the state moved');
        return super.advance(source, previous, next);
      }
    }
    const crashing = new CrashingState(env.aws.clients.documents, env.aws.tableName);
    await expect(runNotary(deps({ notaryState: crashing }))).rejects.toThrow(NotaryRunError);

    const before = await committed();
    await collect(500);
    const next = await runNotary(deps());
    expect(next.sources[0]).toMatchObject({
      number: 2,
      objectsSigned: total(await committed()) - total(before),
      problems: [],
    });
    expect(log.lines.map((line) => line.message)).toContain('digest already written, adopted');
    const { findings } = await verifyAll();
    expect(findings).toEqual([]);
  });

  it('lets only one of two overlapping runs write each digest', async () => {
    await collect(1500);
    const results = await Promise.allSettled([runNotary(deps()), runNotary(deps())]);
    expect(results.some((result) => result.status === 'fulfilled')).toBe(true);
    await runNotary(deps());
    const { digests, findings } = await verifyAll();
    expect(findings).toEqual([]);
    expect(digests.digests).toBeGreaterThanOrEqual(2);
  });

  it('stops short of an object the state table committed but the archive lost, and fails the run naming it', async () => {
    await collect(2500);
    const objects: string[] = [];
    for await (const { key } of listArchive(
      env.aws.clients.s3,
      env.aws.bucket,
      `source=${SOURCE}/type=auditevents/`,
    )) {
      objects.push(key);
    }
    const lost = objects.sort()[1];
    if (!lost) throw new Error('expected auditevents objects');
    await env.aws.clients.s3.send(new DeleteObjectCommand({ Bucket: env.aws.bucket, Key: lost }));

    const error = await runNotary(deps()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotaryRunError);
    expect((error as Error).message).toMatch(
      /auditevents: no object for seq 2, which the state table committed/,
    );
    const digest = await readDigest(1);
    const audit = digest.streams.find((entry) => entry.stream === 'auditevents');
    expect(audit?.objects.map((object) => object.seq)).toEqual([1]);
    expect(digest.streams.find((entry) => entry.stream === 'itemusages')?.objects).toHaveLength(
      (await committed()).itemusages ?? 0,
    );
  });

  it('does not sign a head that disagrees with the state table, nor go back when the state was rolled back', async () => {
    await collect(1500);
    await env.aws.clients.documents.send(
      new UpdateCommand({
        TableName: env.aws.tableName,
        Key: { pk: streamKey(SOURCE, 'signinattempts') },
        UpdateExpression: 'SET prevSha256 = :forged',
        ExpressionAttributeValues: { ':forged': 'f'.repeat(64) },
      }),
    );
    await expect(runNotary(deps())).rejects.toThrow(
      /signinattempts: \S+000000000002\.ndjson\.gz has body-sha256 [0-9a-f]{64}, the state table's chain head is f{64}/,
    );
    expect((await readDigest(1)).streams[0]?.objects.map((object) => object.seq)).toEqual([1]);

    await env.aws.clients.documents.send(
      new UpdateCommand({
        TableName: env.aws.tableName,
        Key: { pk: streamKey(SOURCE, 'itemusages') },
        UpdateExpression: 'SET nextSeq = :one',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
    await expect(runNotary(deps())).rejects.toThrow(
      /itemusages: the state table's chain head \(seq 0\) is behind the signed head \(seq 2\)/,
    );
  });

  it('refuses a digest someone else put where its next one goes', async () => {
    await collect(500);
    await runNotary(deps());
    await env.aws.clients.s3.send(
      new PutObjectCommand({
        Bucket: env.aws.bucket,
        Key: digestKey('', SOURCE, 2),
        Body: '{}',
        IfNoneMatch: '*',
      }),
    );
    await expect(runNotary(deps())).rejects.toThrow(
      /digest digests\/source=acme\/000000000002\.json already exists and is not the notary's continuation of digest 1/,
    );
  });

  it('bounds the objects one digest signs, and goes on from there', async () => {
    await collect(4500);
    const heads = await committed();
    const runs = Math.ceil((heads.signinattempts ?? 0) / 2);
    expect(runs).toBeGreaterThanOrEqual(2);
    for (let run = 0; run < runs; run++) await runNotary(deps({ maxObjectsPerStream: 2 }));
    const counts = await Promise.all(
      Array.from({ length: runs }, async (_, n) => (await readDigest(n + 1)).streams[0]?.objects.length),
    );
    expect(Math.max(...(counts as number[]))).toBe(2);
    expect(counts.reduce((sum = 0, n = 0) => sum + n, 0)).toBe(heads.signinattempts);
    expect((await verifyAll()).findings).toEqual([]);
  });
});

describe('the notary environment', () => {
  it('names every bad variable', () => {
    expect(() => parseNotaryEnv({ SOURCE_NAMES: 'prod,Bad Name', ARCHIVE_BUCKET: 'b' })).toThrow(
      /SOURCE_NAMES: must be a comma list of source names.*NOTARY_KEY_ID: is required.*STATE_TABLE: is required.*ARCHIVE_BUCKET: must name the S3 archive bucket/,
    );
    expect(
      parseNotaryEnv({
        SOURCE_NAMES: 'prod, acme',
        NOTARY_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/k',
        STATE_TABLE: 't',
        ARCHIVE_BUCKET: 'bucket',
      }),
    ).toMatchObject({ SOURCE_NAMES: ['prod', 'acme'], ARCHIVE_PREFIX: '' });
  });
});
