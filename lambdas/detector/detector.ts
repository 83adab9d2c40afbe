/**
 * The detector's core: for each notification of a new archive object, read the object, prove
 * its body is the one the collector recorded, run the rules over its events in time order and
 * deliver what they raise, each finding once. One record's failure is reported alone, so SQS
 * redelivers that object and not the others of the batch.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { consumeNotifications, readVerifiedBatch } from '../shared/archive/consumer';
import { deliver, type FindingClaims, type FindingSink } from '../shared/detections/delivery';
import { DetectionEngine } from '../shared/detections/engine';
import { type EventView, viewBatch } from '../shared/detections/event-view';
import type { History } from '../shared/detections/history';
import type { AnyRule } from '../shared/detections/rule';
import type { DetectionSettings } from '../shared/detections/settings';
import type { EventType } from '../shared/event-types';
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
  const response = await consumeNotifications(
    records,
    deps,
    'Detection',
    async (key, { source, stream }) => {
      const outcome = await detectObject(key, source, stream, deps);
      deps.metrics?.object(outcome);
      deps.log.info('Object scanned', { ...outcome });
    },
    deadline,
  );
  if (response.batchItemFailures.length > 0) deps.metrics?.failed(response.batchItemFailures.length);
  return response;
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

/** The events of one batch object the archive vouches for, in time order, each with its key and line. */
async function readEvents(
  s3: S3Client,
  bucket: string,
  key: string,
  stream: EventType,
): Promise<EventView[]> {
  const body = await readVerifiedBatch(s3, bucket, key);
  const events = viewBatch(body.toString('utf8'), stream, key);
  return events.sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
}
