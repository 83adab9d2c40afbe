/**
 * The OCSF transformer against the protocol: archive objects in s3rver, OCSF objects written
 * with If-None-Match decided as S3 decides it (strict client), read back with a Parquet reader.
 * Events are every published event shape the project keeps as fixtures.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/nested-clients/sts';
import { mockClient } from 'aws-sdk-client-mock';
import { parquetReadObjects } from 'hyparquet';
import { type LocalAws, startLocalAws } from '../../dev/local/aws';
import { buildTransformerDependencies } from '../../lambdas/ocsf-transformer/dependencies';
import { parseTransformerEnv } from '../../lambdas/ocsf-transformer/env';
import {
  type TransformerDependencies,
  type TransformOutcome,
  transformBatch,
} from '../../lambdas/ocsf-transformer/transformer';
import { EVENT_TYPES } from '../../lambdas/shared/event-types';
import { PARQUET_DECOMPRESSORS } from '../../lambdas/shared/ocsf/parquet';
import { OCSF_CLASSES } from '../../lambdas/shared/ocsf/record';
import { REAL_SHAPES } from '../search/support/real-shapes';
import { objectCreatedRecord, putBatchObject } from '../support/archive-objects';
import { MemoryLog } from '../support/environment';
import { strictS3Client } from '../support/strict-s3';

const ACCOUNT = '123456789012';
/** Backfills, which no digest names, are converted object by object. */
const BACKFILL = 'backfill/2026-11-01_2026-11-02/';
const REGION = 'eu-west-1';
// Security Lake's provider roles are assumed through STS, which has no local server.
const sts = mockClient(STSClient);

describe('the OCSF transformer', () => {
  let aws: LocalAws;
  let s3: S3Client;
  let log: MemoryLog;
  let outcomes: TransformOutcome[];

  beforeEach(async () => {
    aws = await startLocalAws();
    s3 = strictS3Client(aws.s3.endpoint).client;
    log = new MemoryLog();
    outcomes = [];
  });
  afterEach(() => {
    sts.reset();
    return aws.close();
  });
  afterAll(() => sts.restore());

  /**
   * Every class to `ocsf/1password-<uid>/` of the archive bucket, as a deployment without
   * Security Lake: built from the environment as the handler builds it, with the client that
   * decides If-None-Match as S3 does.
   */
  const deps = (): TransformerDependencies => ({
    ...buildTransformerDependencies(
      {
        ARCHIVE_BUCKET: aws.bucket,
        OCSF_REGION: REGION,
        OCSF_ACCOUNT_ID: ACCOUNT,
        OCSF_DESTINATIONS: JSON.stringify(
          Object.fromEntries(
            Object.values(OCSF_CLASSES).map((c) => [
              c.uid,
              { location: `s3://${aws.bucket}/ocsf/1password-${c.uid}/` },
            ]),
          ),
        ),
      },
      log,
      { object: (outcome) => outcomes.push(outcome), failed: () => undefined },
    ),
    s3,
    writerFor: () => s3,
  });

  const ocsfObjects = async () => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: 'ocsf/' }));
    return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
  };
  const readRows = async (key: string) => {
    const response = await s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: key }));
    const bytes = await response.Body?.transformToByteArray();
    const file = (bytes ?? new Uint8Array()).slice().buffer;
    return parquetReadObjects({ file, compressors: PARQUET_DECOMPRESSORS });
  };

  it('writes every event of a backfill object as OCSF Parquet, one object per class and event day, in the Security Lake layout', async () => {
    const keys = [];
    for (const [index, stream] of EVENT_TYPES.entries()) {
      const events = REAL_SHAPES[stream].map((text) => JSON.parse(text) as object);
      keys.push(
        await putBatchObject(aws.clients.s3, aws.bucket, stream, index + 1, events, { under: BACKFILL }),
      );
    }
    const response = await transformBatch(
      keys.map((key) => objectCreatedRecord(aws.bucket, key)),
      deps(),
    );

    expect(response.batchItemFailures).toEqual([]);
    const written = await ocsfObjects();
    const eventCount = EVENT_TYPES.reduce((sum, stream) => sum + REAL_SHAPES[stream].length, 0);
    expect(outcomes.reduce((sum, o) => sum + o.records, 0)).toBe(eventCount);
    expect(outcomes.reduce((sum, o) => sum + o.written, 0)).toBe(written.length);
    for (const key of written) {
      expect(key).toMatch(
        /^ocsf\/1password-(\d{4})\/region=eu-west-1\/accountId=123456789012\/eventDay=\d{8}\/(signinattempts|itemusages|auditevents)-\d{12}-[0-9a-f]{16}\.parquet$/,
      );
    }
    let rows = 0;
    const classes = new Set<number>();
    for (const key of written) {
      const uid = Number(/1password-(\d{4})\//.exec(key)?.[1]);
      const day = /eventDay=(\d{8})\//.exec(key)?.[1];
      for (const row of await readRows(key)) {
        rows++;
        classes.add(uid);
        expect(Number(row.class_uid)).toBe(uid);
        expect(new Date(Number(row.time)).toISOString().slice(0, 10).replaceAll('-', '')).toBe(day);
      }
    }
    expect(rows).toBe(eventCount);
    // Sign-ins are Authentication, item usages Entity Management, the audit events the other three.
    expect([...classes].sort()).toEqual(
      Object.values(OCSF_CLASSES)
        .map((c) => c.uid)
        .sort(),
    );
  });

  it('writes nothing twice when a notification comes again, and keeps the first bytes', async () => {
    const events = REAL_SHAPES.signinattempts.map((text) => JSON.parse(text) as object);
    const key = await putBatchObject(aws.clients.s3, aws.bucket, 'signinattempts', 1, events, {
      under: BACKFILL,
    });
    await transformBatch([objectCreatedRecord(aws.bucket, key, 'first')], deps());
    const first = await ocsfObjects();
    const bytes = await Promise.all(first.map(readRows));

    const again = await transformBatch([objectCreatedRecord(aws.bucket, key, 'again')], deps());

    expect(again.batchItemFailures).toEqual([]);
    expect(await ocsfObjects()).toEqual(first);
    expect(await Promise.all(first.map(readRows))).toEqual(bytes);
    expect(outcomes[1]).toMatchObject({ written: 0, alreadyWritten: first.length, records: events.length });
  });

  it('fails only the record of an object whose body is not the one the archive recorded, and writes none of it', async () => {
    const good = await putBatchObject(
      aws.clients.s3,
      aws.bucket,
      'itemusages',
      1,
      [JSON.parse(REAL_SHAPES.itemusages[0] ?? '{}') as object],
      { under: BACKFILL },
    );
    const bad = await putBatchObject(
      aws.clients.s3,
      aws.bucket,
      'signinattempts',
      1,
      [JSON.parse(REAL_SHAPES.signinattempts[0] ?? '{}') as object],
      { corrupt: true, under: BACKFILL },
    );

    const response = await transformBatch(
      [objectCreatedRecord(aws.bucket, bad, 'bad'), objectCreatedRecord(aws.bucket, good, 'good')],
      deps(),
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    expect((await ocsfObjects()).every((key) => key.includes('/itemusages-'))).toBe(true);
    expect(
      log.lines.some((e) => e.level === 'error' && /run verify on this source/.test(JSON.stringify(e))),
    ).toBe(true);
  });

  it('ignores its own output, findings, collected batches (their digest brings them) and other buckets', async () => {
    const response = await transformBatch(
      [
        'ocsf/1password-3002/region=eu-west-1/accountId=123456789012/eventDay=20261128/signinattempts-000000000001-0123456789abcdef.parquet',
        'findings/source=acme/dt=2026-11-28/abc.json',
        'source=acme/type=signinattempts/dt=2026-11-28/000000000001.ndjson.gz',
      ].map((key) => objectCreatedRecord(aws.bucket, key)),
      deps(),
    );
    const other = await transformBatch([objectCreatedRecord('elsewhere', 'source=acme/x')], deps());

    expect(response.batchItemFailures).toEqual([]);
    expect(other.batchItemFailures).toEqual([]);
    expect(await ocsfObjects()).toEqual([]);
  });

  it('leaves lines that are not JSON objects in the archive, says so, and converts the rest', async () => {
    const key = await putBatchObject(
      aws.clients.s3,
      aws.bucket,
      'signinattempts',
      1,
      [JSON.parse(REAL_SHAPES.signinattempts[0] ?? '{}') as object, [1, 2]],
      { under: BACKFILL },
    );

    await transformBatch([objectCreatedRecord(aws.bucket, key)], deps());

    expect(outcomes[0]).toMatchObject({ records: 1, rejectedLines: 1 });
    expect(log.lines.some((e) => /kept in the archive and left out of OCSF/.test(e.message))).toBe(true);
  });

  it('writes a Security Lake class as its provider role, with the external id, one client per role', async () => {
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAPROVIDER',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(Date.now() + 3_600_000),
      },
    });
    const role = 'arn:aws:iam::123456789012:role/AmazonSecurityLake-Provider-1p-authentication-eu-west-1';
    const deps = buildTransformerDependencies(
      {
        ARCHIVE_BUCKET: aws.bucket,
        OCSF_REGION: REGION,
        OCSF_ACCOUNT_ID: ACCOUNT,
        OCSF_EXTERNAL_ID: 'op-events-7Hq2',
        OCSF_DESTINATIONS: JSON.stringify(
          Object.fromEntries(
            Object.values(OCSF_CLASSES).map((c) => [
              c.uid,
              { location: 's3://aws-security-data-lake-eu-west-1-abc/ext/1p-x/1.0', roleArn: role },
            ]),
          ),
        ),
      },
      log,
    );
    const destination = deps.destinations.get(OCSF_CLASSES.authentication.uid);
    if (!destination) throw new Error('no destination');

    const writer = deps.writerFor(destination);
    const credentials = await writer.config.credentials();

    expect(writer).not.toBe(deps.s3);
    expect(deps.writerFor(destination)).toBe(writer);
    expect(credentials.accessKeyId).toBe('ASIAPROVIDER');
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toMatchObject({
      RoleArn: role,
      ExternalId: 'op-events-7Hq2',
    });
    expect(destination).toEqual({
      bucket: 'aws-security-data-lake-eu-west-1-abc',
      prefix: 'ext/1p-x/1.0/',
      roleArn: role,
    });
  });

  it('refuses an environment that misses a class or names a bad location, naming what to fix', () => {
    const base = { ARCHIVE_BUCKET: 'archive', OCSF_REGION: REGION, OCSF_ACCOUNT_ID: ACCOUNT };
    expect(() =>
      parseTransformerEnv({
        ...base,
        OCSF_DESTINATIONS: JSON.stringify({ 3002: { location: 's3://archive/ocsf/' } }),
      }),
    ).toThrow(/OCSF_DESTINATIONS: must name every class: 3001, 3002, 3004, 3005, 3006/);
    expect(() =>
      parseTransformerEnv({
        ...base,
        OCSF_DESTINATIONS: JSON.stringify({ 3002: { location: 'archive/ocsf' } }),
      }),
    ).toThrow(/OCSF_DESTINATIONS\.3002\.location: must be s3:\/\/<bucket>\/<prefix>\//);
    expect(() => parseTransformerEnv({ ...base, OCSF_ACCOUNT_ID: '1234', OCSF_DESTINATIONS: '{' })).toThrow(
      /OCSF_ACCOUNT_ID: must be a 12-digit AWS account id/,
    );
  });
});
