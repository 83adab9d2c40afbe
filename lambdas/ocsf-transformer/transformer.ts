/**
 * The OCSF transformer's core: for each notification of a new archive batch, read the batch
 * (its body must be the one the archive recorded), convert its events to OCSF and write one
 * Parquet object per class and event day where that class's destination says. Each output key
 * is a function of the input key alone and written with `If-None-Match`, so a redelivered
 * notification writes nothing twice.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { consumeNotifications, readVerifiedBatch } from '../shared/archive/consumer';
import { isPreconditionFailed } from '../shared/archive/writer';
import type { EventType } from '../shared/event-types';
import type { Log } from '../shared/observability';
import type { OcsfClass } from '../shared/ocsf/record';
import { transformArchiveObject } from '../shared/ocsf/transform';
import type { OcsfDestination } from './env';

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
}

/** What one archive object gave. */
export interface TransformOutcome {
  readonly key: string;
  readonly source: string;
  readonly records: number;
  /** OCSF objects written now. */
  readonly written: number;
  /** OCSF objects an earlier delivery of the same archive object already wrote. */
  readonly alreadyWritten: number;
  /** Lines that hold no JSON object: kept in the archive, absent from OCSF. */
  readonly rejectedLines: number;
}

export interface TransformerMetrics {
  object(outcome: TransformOutcome): void;
  failed(count: number): void;
}

/** Handles one SQS batch; the records that failed are returned for SQS to redeliver, alone. */
export async function transformBatch(
  records: readonly SQSRecord[],
  deps: TransformerDependencies,
  deadline = Number.POSITIVE_INFINITY,
): Promise<SQSBatchResponse> {
  const response = await consumeNotifications(
    records,
    deps,
    'OCSF transform',
    async (key, { source, stream }) => {
      const outcome = await transformObject(key, source, stream, deps);
      deps.metrics?.object(outcome);
      deps.log.info('Object transformed', { ...outcome });
    },
    deadline,
  );
  if (response.batchItemFailures.length > 0) deps.metrics?.failed(response.batchItemFailures.length);
  return response;
}

/** Converts one archive batch and writes its OCSF objects, each once. */
export async function transformObject(
  key: string,
  source: string,
  stream: EventType,
  deps: TransformerDependencies,
): Promise<TransformOutcome> {
  const body = await readVerifiedBatch(deps.s3, deps.bucket, key);
  const destinationOf = (ocsfClass: OcsfClass): OcsfDestination => {
    const destination = deps.destinations.get(ocsfClass.uid);
    if (!destination) throw new Error(`no destination for OCSF class ${ocsfClass.uid} (${ocsfClass.name})`);
    return destination;
  };
  const { objects, rejected } = transformArchiveObject(key, stream, body.toString('utf8'), {
    region: deps.region,
    accountId: deps.accountId,
    sourceLocation: (ocsfClass) => destinationOf(ocsfClass).prefix,
  });
  if (rejected.length > 0) {
    deps.log.warn('Lines that hold no JSON object are kept in the archive and left out of OCSF', {
      key,
      lines: rejected.slice(0, 10),
      count: rejected.length,
    });
  }
  let written = 0;
  let alreadyWritten = 0;
  for (const object of objects) {
    const destination = destinationOf(object.ocsfClass);
    if (await putOnce(deps.writerFor(destination), destination.bucket, object.key, object.body)) written++;
    else alreadyWritten++;
  }
  const records = objects.reduce((sum, object) => sum + object.records, 0);
  return { key, source, records, written, alreadyWritten, rejectedLines: rejected.length };
}

/**
 * Writes `body` under `key` unless the key exists. The key and the bytes are functions of the
 * archive object, so an existing key holds what this write would have written: `false`.
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
