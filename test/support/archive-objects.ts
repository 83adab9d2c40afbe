import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSRecord } from 'aws-lambda';
import { batchKey, MetadataKey } from '../../lambdas/shared/archive/format';
import type { EventType } from '../../lambdas/shared/event-types';

/**
 * Writes a batch object as the collector would: gzip NDJSON with its body's SHA-256 in the
 * metadata. `corrupt` appends a line after hashing, as a rewrite of the stored object would;
 * `under` puts it below a folder (a backfill's `backfill/<from>_<to>/`).
 */
export async function putBatchObject(
  s3: S3Client,
  bucket: string,
  stream: EventType,
  seq: number,
  events: readonly object[],
  options: { corrupt?: boolean; source?: string; date?: string; under?: string } = {},
): Promise<string> {
  const key = `${options.under ?? ''}${batchKey('', options.source ?? 'acme', stream, options.date ?? '2026-11-28', seq)}`;
  const body = Buffer.from(events.map((event) => `${JSON.stringify(event)}\n`).join(''));
  const sha256 = createHash('sha256').update(body).digest('hex');
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: gzipSync(options.corrupt ? Buffer.concat([body, Buffer.from('{"uuid":"X"}\n')]) : body),
      ContentEncoding: 'gzip',
      ContentType: 'application/x-ndjson',
      Metadata: { [MetadataKey.sha256]: sha256 },
    }),
  );
  return key;
}

/** An SQS record carrying S3's "Object Created" event as an EventBridge rule forwards it. */
export function objectCreatedRecord(bucket: string, key: string, messageId = key): SQSRecord {
  return {
    messageId,
    body: JSON.stringify({
      version: '0',
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: { bucket: { name: bucket }, object: { key, size: 100 } },
    }),
    attributes: { ApproximateReceiveCount: '1' },
  } as unknown as SQSRecord;
}
