/**
 * The detector's core: for each notification of a new archive object, read the object, prove
 * its body is the one the collector recorded, run the rules over its events in time order and
 * deliver what they raise, each finding once. One record's failure is reported alone, so SQS
 * redelivers that object and not the others of the batch.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { MetadataKey, parseBatchKey } from '../shared/archive/format';
import { deliver, type FindingClaims, type FindingSink } from '../shared/detections/delivery';
import { DetectionEngine } from '../shared/detections/engine';
import { type EventView, viewBatch } from '../shared/detections/event-view';
import type { History } from '../shared/detections/history';
import type { AnyRule } from '../shared/detections/rule';
import type { DetectionSettings } from '../shared/detections/settings';
import { EVENT_TYPES, type EventType } from '../shared/event-types';
import type { Log } from '../shared/observability';

export interface DetectorDependencies {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly rules: readonly AnyRule[];
  readonly settings: DetectionSettings;
  readonly history: History;
  readonly claims: FindingClaims;
  /** Where findings go, in order; the archive's findings prefix first. */
  readonly sinks: readonly FindingSink[];
  readonly log: Log;
  readonly metrics?: DetectorMetrics;
  readonly now?: () => number;
}

/** What one archive object gave. */
export interface ObjectOutcome {
  readonly key: string;
  readonly source: string;
  readonly events: number;
  readonly findings: number;
  /** Findings an earlier delivery of the same object already sent. */
  readonly alreadySent: number;
  readonly suppressed: number;
}

export interface DetectorMetrics {
  object(outcome: ObjectOutcome): void;
  failed(count: number): void;
}

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
 * The source and stream of a batch key the detector reads: the collectors' objects and the
 * backfills', under the archive prefix. Digests, findings, lookups and anything else: `undefined`.
 */
export function detectableObject(
  prefix: string,
  key: string,
): { source: string; stream: EventType } | undefined {
  const parsed = parseBatchKey(key);
  if (!parsed || !(EVENT_TYPES as readonly string[]).includes(parsed.stream)) return undefined;
  const under = parsed.prefix;
  const collected = under === prefix;
  const backfilled =
    under.startsWith(`${prefix}backfill/`) && /^[^/]+\/$/.test(under.slice(`${prefix}backfill/`.length));
  if (!collected && !backfilled) return undefined;
  return { source: parsed.source, stream: parsed.stream as EventType };
}

/** A record is not started with less than this left before the invocation's deadline. */
export const RECORD_START_MARGIN_MS = 60_000;

/**
 * Handles one SQS batch; the records that failed are returned for SQS to redeliver. Records
 * it has no time left to start (before `deadline`, epoch ms) are returned too, rather than
 * letting a timeout fail the whole batch.
 */
export async function detectBatch(
  records: readonly SQSRecord[],
  deps: DetectorDependencies,
  deadline = Number.POSITIVE_INFINITY,
): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  const now = deps.now ?? Date.now;
  for (const record of records) {
    if (now() > deadline - RECORD_START_MARGIN_MS) {
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    try {
      for (const object of notifiedObjects(record.body)) {
        if (object.bucket !== deps.bucket) {
          deps.log.warn('Ignoring a notification of another bucket', {
            bucket: object.bucket,
            key: object.key,
          });
          continue;
        }
        const target = detectableObject(deps.prefix, object.key);
        if (!target) {
          deps.log.debug('Not an archive batch; nothing to detect', { key: object.key });
          continue;
        }
        const outcome = await detectObject(object.key, target.source, target.stream, deps);
        deps.metrics?.object(outcome);
        deps.log.info('Object scanned', { ...outcome });
      }
    } catch (error) {
      failures.push({ itemIdentifier: record.messageId });
      deps.log.error('Detection failed for a notification; SQS will deliver it again', {
        messageId: record.messageId,
        receiveCount: record.attributes?.ApproximateReceiveCount,
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      });
    }
  }
  if (failures.length > 0) deps.metrics?.failed(failures.length);
  return { batchItemFailures: failures };
}

/** Reads one archive object, runs the rules over its events and delivers the findings. */
export async function detectObject(
  key: string,
  source: string,
  stream: EventType,
  deps: DetectorDependencies,
): Promise<ObjectOutcome> {
  const events = await readEvents(deps.s3, deps.bucket, key, stream);
  const engine = new DetectionEngine(deps.rules, deps.settings, deps.history, source);
  const now = deps.now ?? Date.now;
  let findings = 0;
  let alreadySent = 0;
  let suppressed = 0;
  for (const event of events) {
    const evaluation = await engine.evaluate(event);
    suppressed += evaluation.suppressed.length;
    for (const finding of evaluation.findings) {
      const result = await deliver(finding, deps.claims, deps.sinks, now());
      if (result === 'sent') findings++;
      else alreadySent++;
    }
  }
  return { key, source, events: events.length, findings, alreadySent, suppressed };
}

/**
 * The events of one batch object, in time order, each with its key and line. The body must
 * hash to the `body-sha256` the collector recorded, as `verify` checks: the rules never judge
 * events the archive cannot vouch for.
 */
async function readEvents(
  s3: S3Client,
  bucket: string,
  key: string,
  stream: EventType,
): Promise<EventView[]> {
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
  const events = viewBatch(body.toString('utf8'), stream, key);
  return events.sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
}
