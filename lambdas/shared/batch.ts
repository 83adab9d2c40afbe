import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { z } from 'zod';
import type { EventType } from './event-types';
import { eventSchemas } from './events-api/schemas';
import { parseRfc3339 } from './time';

const gzip = promisify(gzipCallback);

/** An event that failed its schema: archived all the same, and reported by uuid (never by content). */
export interface InvalidEvent {
  readonly uuid: string | undefined;
  readonly reason: string;
}

/** A sealed batch, ready to upload. */
export interface SealedBatch {
  /** gzip of the NDJSON body. */
  readonly gzipped: Buffer;
  /** SHA-256 (hex) of the uncompressed body. */
  readonly sha256: string;
  /** SHA-256 (base64) of the gzipped bytes, for S3's `x-amz-checksum-sha256`. */
  readonly gzippedSha256Base64: string;
  readonly eventCount: number;
  readonly uncompressedBytes: number;
  readonly firstEventTime: string | undefined;
  readonly lastEventTime: string | undefined;
}

/** Which field of each stream's events the run summary counts (item usage by action, sign-ins by category). */
const SUMMARY_FIELD: Record<EventType, string> = {
  itemusages: 'action',
  signinattempts: 'category',
  auditevents: 'action',
};

/**
 * Accumulates one batch: each event as one NDJSON line, serialised once from what the API
 * returned (every field kept, unknown ones included), with the facts its metadata needs.
 */
export class BatchBuilder {
  private readonly lines: string[] = [];
  private bytes = 0;
  private earliest: number | undefined;
  private latest: number | undefined;
  readonly invalid: InvalidEvent[] = [];
  readonly counts = new Map<string, number>();
  private readonly schema: z.ZodType;
  private readonly summaryField: string;

  constructor(
    readonly stream: EventType,
    private readonly maxEvents: number,
    private readonly maxBytes: number,
  ) {
    this.schema = eventSchemas[stream];
    this.summaryField = SUMMARY_FIELD[stream];
  }

  get eventCount(): number {
    return this.lines.length;
  }

  get uncompressedBytes(): number {
    return this.bytes;
  }

  /** Whether the batch reached its size limits and should be written before more is added. */
  get full(): boolean {
    return this.lines.length >= this.maxEvents || this.bytes >= this.maxBytes;
  }

  /** Newest event time in the batch (epoch ms), if any event had a valid one. */
  get newestEventMs(): number | undefined {
    return this.latest;
  }

  add(event: unknown): void {
    const line = JSON.stringify(event);
    this.lines.push(line);
    this.bytes += Buffer.byteLength(line) + 1;

    const record =
      typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : undefined;
    const time = parseRfc3339(record?.timestamp);
    if (time !== undefined) {
      if (this.earliest === undefined || time < this.earliest) this.earliest = time;
      if (this.latest === undefined || time > this.latest) this.latest = time;
    }
    const label = record?.[this.summaryField];
    if (typeof label === 'string') this.counts.set(label, (this.counts.get(label) ?? 0) + 1);

    const result = this.schema.safeParse(event);
    if (!result.success) {
      const uuid = typeof record?.uuid === 'string' ? record.uuid : undefined;
      this.invalid.push({
        uuid,
        reason: result.error.issues
          .slice(0, 3)
          .map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`)
          .join('; '),
      });
    }
  }

  async seal(): Promise<SealedBatch> {
    const body = Buffer.from(`${this.lines.join('\n')}\n`, 'utf8');
    const gzipped = await gzip(body, { level: 6 });
    return {
      gzipped,
      sha256: createHash('sha256').update(body).digest('hex'),
      gzippedSha256Base64: createHash('sha256').update(gzipped).digest('base64'),
      eventCount: this.lines.length,
      uncompressedBytes: body.length,
      firstEventTime: this.earliest === undefined ? undefined : new Date(this.earliest).toISOString(),
      lastEventTime: this.latest === undefined ? undefined : new Date(this.latest).toISOString(),
    };
  }
}
