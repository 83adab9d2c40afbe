/**
 * The OCSF transformer on what the notary signed, against the protocol: the real collector
 * archives simulated events into s3rver, the real notary signs digests of them, and the
 * transformer converts each digest's objects (If-None-Match decided as S3 decides it).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';
import { localNotaryDependencies } from '../../dev/local/notary';
import { runNotary } from '../../lambdas/notary/notary';
import {
  type TransformerDependencies,
  type TransformOutcome,
  transformBatch,
} from '../../lambdas/ocsf-transformer/transformer';
import { digestKey, LocalDigestSigner, parseDigest } from '../../lambdas/shared/archive/digest';
import { EVENT_TYPES } from '../../lambdas/shared/event-types';
import { PARQUET_DECOMPRESSORS } from '../../lambdas/shared/ocsf/parquet';
import { OCSF_CLASSES } from '../../lambdas/shared/ocsf/record';
import { objectCreatedRecord } from '../support/archive-objects';
import { MemoryLog, SOURCE, startEnvironment, type TestEnvironment } from '../support/environment';
import { strictS3Client } from '../support/strict-s3';

const DAY = 86_400_000;

describe('the OCSF transformer on signed digests', () => {
  let env: TestEnvironment;
  let s3: S3Client;
  let log: MemoryLog;
  let outcomes: TransformOutcome[];
  const signer = LocalDigestSigner.generate('test-notary-key');

  beforeEach(async () => {
    env = await startEnvironment({ collectorEnv: { BATCH_MAX_EVENTS: '300' } });
    s3 = strictS3Client(env.aws.s3.endpoint).client;
    log = new MemoryLog();
    outcomes = [];
    made.length = 0;
  });
  afterEach(() => env.close());

  const deps = (partRecords?: number): TransformerDependencies => ({
    s3,
    bucket: env.aws.bucket,
    prefix: '',
    region: 'eu-west-1',
    accountId: '123456789012',
    destinations: new Map(
      Object.values(OCSF_CLASSES).map((c) => [
        c.uid,
        { bucket: env.aws.bucket, prefix: `ocsf/1password-${c.uid}/` },
      ]),
    ),
    writerFor: () => s3,
    log,
    metrics: { object: (outcome) => outcomes.push(outcome), failed: () => undefined },
    ...(partRecords ? { partRecords } : {}),
  });
  /** Every event the simulator made, by uuid. */
  const made: string[] = [];
  /** Collects `events` per stream of the last day, then signs a digest of them. */
  const collectAndSign = async (events: number) => {
    const now = Date.now();
    for (const stream of EVENT_TYPES) {
      const generated = env.sim.generate(stream, events, { from: now - DAY, to: now - 60_000 });
      made.push(...generated.map((event) => String(event.uuid)));
    }
    const result = await env.run();
    if (result instanceof Error) throw result;
    const summary = await runNotary(localNotaryDependencies(env.aws, { sources: [SOURCE], signer, log }));
    return summary.sources[0]?.number ?? 0;
  };
  const ocsfKeys = async () => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: env.aws.bucket, Prefix: 'ocsf/', ContinuationToken: token }),
      );
      keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  };
  const rowsOf = async (key: string) => {
    const response = await s3.send(new GetObjectCommand({ Bucket: env.aws.bucket, Key: key }));
    const file = ((await response.Body?.transformToByteArray()) ?? new Uint8Array()).slice().buffer;
    return parquetReadObjects({ file, compressors: PARQUET_DECOMPRESSORS });
  };
  const uuidsIn = async (keys: readonly string[]) =>
    (await Promise.all(keys.map(rowsOf))).flat().map((row) => (row.metadata as { uid: string }).uid);

  const readDigest = async (key: string) => {
    const response = await s3.send(new GetObjectCommand({ Bucket: env.aws.bucket, Key: key }));
    return parseDigest(Buffer.from((await response.Body?.transformToByteArray()) ?? []));
  };

  it("converts every event each digest signed exactly once: one object per class and day of the digest's objects, in parts", async () => {
    const first = await collectAndSign(700);
    const second = await collectAndSign(400);
    const digests = [digestKey('', SOURCE, first), digestKey('', SOURCE, second)];

    const response = await transformBatch(
      digests.map((key) => objectCreatedRecord(env.aws.bucket, key)),
      deps(1_000),
    );

    expect(response.batchItemFailures).toEqual([]);
    const keys = await ocsfKeys();
    const uuids = await uuidsIn(keys);
    expect(uuids.length).toBe(made.length);
    expect(new Set(uuids)).toEqual(new Set(made));
    for (const key of keys) {
      expect(key).toMatch(
        /^ocsf\/1password-\d{4}\/region=eu-west-1\/accountId=123456789012\/eventDay=\d{8}\/acme-digest-\d{12}-\d{3}-[0-9a-f]{16}\.parquet$/,
      );
    }
    // 2,100 events at most 1,000 a part: several parts, far fewer objects than archive objects read.
    expect(outcomes.map((o) => o.records)).toEqual([2_100, 1_200]);
    expect(new Set(keys.map((key) => /-digest-\d{12}-(\d{3})-/.exec(key)?.[1])).size).toBeGreaterThan(1);
    // Every object the digests signed was read, once.
    const signed = await Promise.all(digests.map(readDigest));
    expect(outcomes.map((o) => o.objects)).toEqual(
      signed.map((digest) => digest.streams.reduce((sum, stream) => sum + stream.objects.length, 0)),
    );
  });

  it('writes nothing twice when a digest comes again', async () => {
    const number = await collectAndSign(300);
    const record = objectCreatedRecord(env.aws.bucket, digestKey('', SOURCE, number));
    await transformBatch([record], deps());
    const first = await ocsfKeys();

    await transformBatch([{ ...record, messageId: 'again' }], deps());

    expect(await ocsfKeys()).toEqual(first);
    expect(outcomes[1]).toMatchObject({ written: 0, alreadyWritten: first.length, records: 900 });
  });

  it('does not encode again a part an earlier delivery wrote whole, so a large digest gets further each time', async () => {
    const number = await collectAndSign(300);
    const record = objectCreatedRecord(env.aws.bucket, digestKey('', SOURCE, number));
    await transformBatch([record], deps(200));
    const written = await ocsfKeys();
    const partOf = (key: string) => Number(/-digest-\d{12}-(\d{3})-/.exec(key)?.[1]);
    const lastPart = Math.max(...written.map(partOf));
    // The last part lost, as when an invocation times out before writing it.
    const lost = written.filter((key) => partOf(key) === lastPart);
    for (const key of lost)
      await env.aws.clients.s3.send(new DeleteObjectCommand({ Bucket: env.aws.bucket, Key: key }));

    await transformBatch([{ ...record, messageId: 'again' }], deps(200));

    expect(await ocsfKeys()).toEqual(written);
    expect(outcomes[1]).toMatchObject({ written: lost.length, alreadyWritten: written.length - lost.length });
    expect(await uuidsIn(await ocsfKeys())).toHaveLength(900);
  });

  it('converts nothing of a digest one of whose objects is not what it signed, and says to run verify', async () => {
    const number = await collectAndSign(300);
    const digest = await readDigest(digestKey('', SOURCE, number));
    const victim = digest.streams[0]?.objects[0];
    if (!victim) throw new Error('no object');
    // The object replaced (as a break-glass role could), its metadata rewritten to match.
    const { gzipSync } = await import('node:zlib');
    const { createHash } = await import('node:crypto');
    const forged = Buffer.from('{"uuid":"FORGED","timestamp":"2026-11-28T00:00:00Z"}\n');
    await env.aws.clients.s3.send(
      new PutObjectCommand({
        Bucket: env.aws.bucket,
        Key: victim.key,
        Body: gzipSync(forged),
        Metadata: { 'body-sha256': createHash('sha256').update(forged).digest('hex') },
      }),
    );

    const response = await transformBatch(
      [objectCreatedRecord(env.aws.bucket, digestKey('', SOURCE, number))],
      deps(),
    );

    expect(response.batchItemFailures).toHaveLength(1);
    expect(log.text()).toMatch(/the digest signed [0-9a-f]{64}; run verify on this source/);
    expect(await uuidsIn(await ocsfKeys())).not.toContain('FORGED');
  });
});
