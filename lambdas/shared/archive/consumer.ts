/**
 * What every consumer of the archive shares (the detector, the OCSF transformer): the archive
 * objects a notification names, which of them are batches of events, and reading a batch
 * whose body the archive vouches for.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { EVENT_TYPES, type EventType } from '../event-types';
import { MetadataKey, parseBatchKey } from './format';

/** An archive object whose body is not the one its metadata records, or that cannot be read as a batch. */
export class UnreadableObjectError extends Error {
  override readonly name = 'UnreadableObjectError';
  constructor(
    message: string,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The archive object a notification names: an S3 event in EventBridge's envelope, or S3's own notification. */
export function notifiedObjects(body: string): Array<{ bucket: string; key: string }> {
  const message = JSON.parse(body) as {
    detail?: { bucket?: { name?: string }; object?: { key?: string } };
    Records?: Array<{ s3?: { bucket?: { name?: string }; object?: { key?: string } } }>;
    Event?: string;
  };
  if (message.detail?.object?.key !== undefined) {
    return [{ bucket: message.detail.bucket?.name ?? '', key: decodeKey(message.detail.object.key) }];
  }
  // S3's own notifications URL-encode the key, spaces as "+"; its test event has no records.
  return (message.Records ?? []).flatMap((record) =>
    record.s3?.object?.key === undefined
      ? []
      : [{ bucket: record.s3.bucket?.name ?? '', key: decodeKey(record.s3.object.key) }],
  );
}

function decodeKey(key: string): string {
  return key.includes('%') || key.includes('+') ? decodeURIComponent(key.replace(/\+/g, ' ')) : key;
}

/**
 * The source and stream of a batch key a consumer reads: the collectors' objects and the
 * backfills', under the archive prefix. Digests, findings, lookups, derived outputs and
 * anything else: `undefined`.
 */
export function batchObject(prefix: string, key: string): { source: string; stream: EventType } | undefined {
  const parsed = parseBatchKey(key);
  if (!parsed || !(EVENT_TYPES as readonly string[]).includes(parsed.stream)) return undefined;
  const under = parsed.prefix;
  const collected = under === prefix;
  const backfilled =
    under.startsWith(`${prefix}backfill/`) && /^[^/]+\/$/.test(under.slice(`${prefix}backfill/`.length));
  if (!collected && !backfilled) return undefined;
  return { source: parsed.source, stream: parsed.stream as EventType };
}

/**
 * The uncompressed NDJSON of one batch object. The body must hash to the `body-sha256` the
 * collector recorded (and to what a digest signed, when given), as `verify` checks: a consumer
 * never acts on events the archive cannot vouch for.
 */
export async function readVerifiedBatch(
  s3: S3Client,
  bucket: string,
  key: string,
  /** The SHA-256 a signed digest gives for the body, checked as well. */
  signedSha256?: string,
): Promise<Buffer> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const stored = Buffer.from((await response.Body?.transformToByteArray()) ?? []);
  const recorded = response.Metadata?.[MetadataKey.sha256];
  if (!recorded) throw new UnreadableObjectError(`${key} has no ${MetadataKey.sha256} metadata`, key);
  let body: Buffer;
  try {
    body = gunzipSync(stored);
  } catch (error) {
    throw new UnreadableObjectError(`${key} is not gzip: ${(error as Error).message}`, key, { cause: error });
  }
  const actual = createHash('sha256').update(body).digest('hex');
  if (actual !== recorded) {
    throw new UnreadableObjectError(
      `${key}: the body hashes to ${actual}, its ${MetadataKey.sha256} metadata says ${recorded}; run verify on this source`,
      key,
    );
  }
  if (signedSha256 !== undefined && actual !== signedSha256) {
    throw new UnreadableObjectError(
      `${key}: the body hashes to ${actual}, the digest signed ${signedSha256}; run verify on this source`,
      key,
    );
  }
  return body;
}

/** A record is not started with less than this left before the invocation's deadline. */
export const RECORD_START_MARGIN_MS = 60_000;

export interface ConsumerContext {
  /** The archive bucket: notifications of any other bucket are logged and skipped. */
  readonly bucket: string;
  readonly prefix: string;
  readonly log: {
    debug(message: string, extra?: Record<string, unknown>): void;
    warn(message: string, extra?: Record<string, unknown>): void;
    error(message: string, extra?: Record<string, unknown>): void;
  };
  readonly now?: () => number;
}

/**
 * Handles one SQS batch of archive notifications: `consume` runs for each object named that
 * `select` takes (by default the batch objects of collectors and backfills), and the records
 * that failed are returned for SQS to redeliver, alone. Records there is no time left to start
 * (before `deadline`, epoch ms) are returned too, rather than letting a timeout fail the whole
 * batch. `what` names the work in the log ("Detection").
 */
export async function consumeNotifications<T = { source: string; stream: EventType }>(
  records: readonly { messageId: string; body: string; attributes?: { ApproximateReceiveCount?: string } }[],
  context: ConsumerContext,
  what: string,
  consume: (key: string, target: T) => Promise<void>,
  deadline = Number.POSITIVE_INFINITY,
  select: (prefix: string, key: string) => T | undefined = batchObject as (
    prefix: string,
    key: string,
  ) => T | undefined,
): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  const failures: { itemIdentifier: string }[] = [];
  const now = context.now ?? Date.now;
  for (const record of records) {
    if (now() > deadline - RECORD_START_MARGIN_MS) {
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    try {
      for (const object of notifiedObjects(record.body)) {
        if (object.bucket !== context.bucket) {
          context.log.warn('Ignoring a notification of another bucket', {
            bucket: object.bucket,
            key: object.key,
          });
          continue;
        }
        const target = select(context.prefix, object.key);
        if (target === undefined) {
          context.log.debug('Not an object this consumer reads; nothing to do', { key: object.key });
          continue;
        }
        await consume(object.key, target);
      }
    } catch (error) {
      failures.push({ itemIdentifier: record.messageId });
      context.log.error(`${what} failed for a notification; SQS will deliver it again`, {
        messageId: record.messageId,
        receiveCount: record.attributes?.ApproximateReceiveCount,
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      });
    }
  }
  return { batchItemFailures: failures };
}
