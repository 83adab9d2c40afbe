/**
 * The OCSF transformer's core. It converts what the notary signed: for each new digest, the
 * batch objects it names for the first time (each body checked against the hash the digest
 * signed), one Parquet object per class and event day for all of them, in parts of at most
 * `partRecords` records. Backfills, which no digest names, are converted object by object.
 * Every output key is a function of its input (the digest, or the backfill object) and written
 * with `If-None-Match`, so a notification delivered again writes nothing twice; and since a
 * digest names each batch object once, no record is in two outputs.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { batchObject, consumeNotifications, readVerifiedBatch } from '../shared/archive/consumer';
import { parseDigest, parseDigestKey } from '../shared/archive/digest';
import { isPreconditionFailed } from '../shared/archive/writer';
import type { EventType } from '../shared/event-types';
import type { Log } from '../shared/observability';
import { digestOcsfKey, type LakeTarget, ocsfKey } from '../shared/ocsf/layout';
import type { OcsfClass } from '../shared/ocsf/record';
import { OcsfGroups, type OcsfObject } from '../shared/ocsf/transform';
import type { OcsfDestination } from './env';

/** Records held before a part is written: bounds memory whatever a digest names. */
export const PART_RECORDS = 50_000;

export interface TransformerDependencies {
  /** Reads the archive. */
  readonly s3: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  /** The `region=` and `accountId=` partitions. */
  readonly region: string;
  readonly accountId: string;
  readonly destinations: ReadonlyMap<number, OcsfDestination>;
  /** The client that writes a destination: the provider role's for Security Lake. */
  readonly writerFor: (destination: OcsfDestination) => S3Client;
  readonly log: Log;
  readonly metrics?: TransformerMetrics;
  readonly now?: () => number;
  /** @default PART_RECORDS */
  readonly partRecords?: number;
}

/** What one digest or backfill object gave. */
export interface TransformOutcome {
  /** The digest's or the backfill object's key. */
  readonly key: string;
  readonly source: string;
  /** Archive objects read. */
  readonly objects: number;
  readonly records: number;
  /** OCSF objects written now. */
  readonly written: number;
  /** OCSF objects an earlier delivery of the same input already wrote. */
  readonly alreadyWritten: number;
  /** Lines that hold no JSON object: kept in the archive, absent from OCSF. */
  readonly rejectedLines: number;
}

export interface TransformerMetrics {
  object(outcome: TransformOutcome): void;
  failed(count: number): void;
}

/** What the transformer reads: a digest, or a backfill's batch object. */
export type TransformerInput =
  | { readonly kind: 'digest'; readonly source: string; readonly number: number }
  | { readonly kind: 'backfill'; readonly source: string; readonly stream: EventType };

/** A digest of this archive, or a backfill's batch object; `undefined` for anything else. */
export function transformerInput(prefix: string, key: string): TransformerInput | undefined {
  const digest = parseDigestKey(key);
  if (digest && digest.prefix === prefix)
    return { kind: 'digest', source: digest.source, number: digest.number };
  const batch = batchObject(prefix, key);
  if (batch && key.startsWith(`${prefix}backfill/`)) return { kind: 'backfill', ...batch };
  return undefined;
}

/** Handles one SQS batch; the records that failed are returned for SQS to redeliver, alone. */
export async function transformBatch(
  records: readonly SQSRecord[],
  deps: TransformerDependencies,
  deadline = Number.POSITIVE_INFINITY,
): Promise<SQSBatchResponse> {
  const response = await consumeNotifications<TransformerInput>(
    records,
    deps,
    'OCSF transform',
    async (key, input) => {
      const outcome =
        input.kind === 'digest'
          ? await transformDigest(key, input, deps)
          : await transformBackfillObject(key, input, deps);
      deps.metrics?.object(outcome);
      deps.log.info('Transformed to OCSF', { ...outcome });
    },
    deadline,
    transformerInput,
  );
  if (response.batchItemFailures.length > 0) deps.metrics?.failed(response.batchItemFailures.length);
  return response;
}

/** Converts the batch objects a digest signed for the first time, in parts, and writes each output once. */
export async function transformDigest(
  key: string,
  digest: { readonly source: string; readonly number: number },
  deps: TransformerDependencies,
): Promise<TransformOutcome> {
  const response = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }));
  const signed = parseDigest(Buffer.from((await response.Body?.transformToByteArray()) ?? []));
  const limit = deps.partRecords ?? PART_RECORDS;
  const groups = new OcsfGroups();
  const tally = new Tally(key, digest.source);
  let part = 0;
  const flush = async () => {
    if (groups.size === 0) return;
    const index = ++part;
    tally.records += groups.size;
    const keyOf = (ocsfClass: OcsfClass, day: string) =>
      digestOcsfKey(target(deps), ocsfClass, day, { key, ...digest }, index);
    // A part an earlier delivery wrote whole is not encoded again: a digest too large for one
    // invocation gets further with each delivery.
    if (await allExist(groups, keyOf, deps)) {
      tally.alreadyWritten += groups.keys(keyOf).length;
      groups.clear();
      return;
    }
    await tally.write(groups.take(keyOf), deps);
  };
  for (const { stream, objects } of signed.streams) {
    for (const object of objects) {
      const body = await readVerifiedBatch(deps.s3, deps.bucket, object.key, object.sha256);
      groups.add(object.key, stream, body.toString('utf8'));
      tally.objects++;
      if (groups.size >= limit) await flush();
    }
  }
  await flush();
  return tally.outcome(groups, deps);
}

/** Converts one backfill batch object and writes its OCSF objects, each once. */
export async function transformBackfillObject(
  key: string,
  batch: { readonly source: string; readonly stream: EventType },
  deps: TransformerDependencies,
): Promise<TransformOutcome> {
  const body = await readVerifiedBatch(deps.s3, deps.bucket, key);
  const groups = new OcsfGroups();
  groups.add(key, batch.stream, body.toString('utf8'));
  const tally = new Tally(key, batch.source);
  tally.objects = 1;
  tally.records = groups.size;
  await tally.write(
    groups.take((ocsfClass, day) => ocsfKey(target(deps), ocsfClass, day, key, 'parquet')),
    deps,
  );
  return tally.outcome(groups, deps);
}

/** Whether every object the groups would give exists already. */
async function allExist(
  groups: OcsfGroups,
  keyOf: (ocsfClass: OcsfClass, day: string) => string,
  deps: TransformerDependencies,
): Promise<boolean> {
  for (const { ocsfClass, key } of groups.keys(keyOf)) {
    const destination = destinationOf(deps, ocsfClass);
    try {
      await deps.writerFor(destination).send(new HeadObjectCommand({ Bucket: destination.bucket, Key: key }));
    } catch (error) {
      // 404: not written yet. 403: the writer may not read (a Security Lake provider role may
      // only write), so the part is written, and If-None-Match keeps it once.
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || status === 403) return false;
      throw error;
    }
  }
  return true;
}

function target(deps: TransformerDependencies): LakeTarget {
  return {
    region: deps.region,
    accountId: deps.accountId,
    sourceLocation: (ocsfClass) => destinationOf(deps, ocsfClass).prefix,
  };
}

function destinationOf(deps: TransformerDependencies, ocsfClass: OcsfClass): OcsfDestination {
  const destination = deps.destinations.get(ocsfClass.uid);
  if (!destination) throw new Error(`no destination for OCSF class ${ocsfClass.uid} (${ocsfClass.name})`);
  return destination;
}

/** Counts of one input's conversion, and the writing of its outputs. */
class Tally {
  objects = 0;
  records = 0;
  written = 0;
  alreadyWritten = 0;
  constructor(
    readonly key: string,
    readonly source: string,
  ) {}

  async write(objects: readonly OcsfObject[], deps: TransformerDependencies): Promise<void> {
    for (const object of objects) {
      const destination = destinationOf(deps, object.ocsfClass);
      if (await putOnce(deps.writerFor(destination), destination.bucket, object.key, object.body))
        this.written++;
      else this.alreadyWritten++;
    }
  }

  outcome(groups: OcsfGroups, deps: TransformerDependencies): TransformOutcome {
    if (groups.rejected.length > 0) {
      deps.log.warn('Lines that hold no JSON object are kept in the archive and left out of OCSF', {
        key: this.key,
        lines: groups.rejected.slice(0, 10),
        count: groups.rejected.length,
      });
    }
    const { key, source, objects, records, written, alreadyWritten } = this;
    return { key, source, objects, records, written, alreadyWritten, rejectedLines: groups.rejected.length };
  }
}

/**
 * Writes `body` under `key` unless the key exists. The key and the bytes are functions of the
 * input, so an existing key holds what this write would have written: `false`.
 */
async function putOnce(s3: S3Client, bucket: string, key: string, body: Uint8Array): Promise<boolean> {
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: 'application/vnd.apache.parquet',
        IfNoneMatch: '*',
      }),
    );
    return true;
  } catch (error) {
    if (isPreconditionFailed(error)) return false;
    throw error;
  }
}
