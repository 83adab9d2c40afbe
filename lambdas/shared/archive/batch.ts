import { createHash, type Hash } from 'node:crypto';
import { createGzip, type Gzip } from 'node:zlib';
import type { z } from 'zod';
import type { EventType } from '../event-types';
import { eventSchemas } from '../events-api/schemas';
import { parseRfc3339 } from '../time';

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
  /** Whether some lines are our serialisation of an event rather than the bytes the API sent. */
  readonly reserialized: boolean;
}

/** Which field of each stream's events the run summary counts (item usage by action, sign-ins by category). */
const SUMMARY_FIELD: Record<EventType, string> = {
  itemusages: 'action',
  signinattempts: 'category',
  auditevents: 'action',
};

/** Lines are handed to gzip in chunks of about this size: one write per event would cost more than the compression. */
const CHUNK_BYTES = 256 * 1024;

/** How many invalid events a batch keeps as examples for the log (all are counted). */
const MAX_INVALID_EXAMPLES = 10;

/**
 * gzip level: 4 compresses NDJSON of events within a few percent of the default 6 for
 * about half its CPU, which matters on a Lambda's share of a core (see BENCHMARKS.md).
 */
export const GZIP_LEVEL = 4;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Accumulates one batch: each event as one NDJSON line, the bytes the API sent for it (or,
 * given none, `JSON.stringify` of the event), with the facts its metadata needs.
 * Lines are hashed and compressed as they arrive, so a batch holds only its compressed
 * bytes: a 32 MiB batch costs a few MiB of memory, not several copies of 32 MiB.
 */
export class BatchBuilder {
  private readonly hash: Hash = createHash('sha256');
  private readonly gzip: Gzip = createGzip({ level: GZIP_LEVEL });
  private readonly compressed: Buffer[] = [];
  private readonly gzipDone: Promise<void>;
  /** Lines not yet hashed and compressed, without their line breaks. */
  private pending: Array<string | Uint8Array> = [];
  private pendingBytes = 0;
  private count = 0;
  private bytes = 0;
  private earliest: number | undefined;
  private latest: number | undefined;
  private sealed = false;
  private someReserialized = false;
  /** Up to a few examples of events that failed the schema; {@link invalidCount} counts them all. */
  readonly invalid: InvalidEvent[] = [];
  invalidCount = 0;
  readonly counts = new Map<string, number>();
  private readonly schema: z.ZodType;
  private readonly summaryField: string;

  constructor(
    readonly stream: EventType,
    private readonly maxEvents: number,
    private readonly maxBytes: number,
    /** Told each valid event time as it is added (the stream's rhythm learns from it). */
    private readonly observeTime?: (ms: number) => void,
  ) {
    this.schema = eventSchemas[stream];
    this.summaryField = SUMMARY_FIELD[stream];
    this.gzip.on('data', (chunk: Buffer) => this.compressed.push(chunk));
    this.gzipDone = new Promise((resolve, reject) => {
      this.gzip.once('end', resolve);
      this.gzip.once('error', reject);
    });
  }

  get eventCount(): number {
    return this.count;
  }

  get uncompressedBytes(): number {
    return this.bytes;
  }

  /** Whether the batch reached its size limits and should be written before more is added. */
  get full(): boolean {
    return this.count >= this.maxEvents || this.bytes >= this.maxBytes;
  }

  /** Newest event time in the batch (epoch ms), if any event had a valid one. */
  get newestEventMs(): number | undefined {
    return this.latest;
  }

  /**
   * Adds one event: `line`, the event's bytes as the API sent them (without a line break),
   * is written as it is; without it, `JSON.stringify(event)`. `event` is the parsed value of
   * the same bytes, which the schema check and the counts read.
   */
  add(event: unknown, line?: Uint8Array): void {
    if (this.sealed) throw new Error('BatchBuilder: add() after seal()');
    let size: number;
    if (line === undefined) {
      const text = JSON.stringify(event);
      size = Buffer.byteLength(text) + 1;
      this.pending.push(text);
    } else {
      // A line break inside would make two lines of one event, and a body that no longer matches its count.
      if (line.includes(NEWLINE) || line.includes(CARRIAGE_RETURN)) {
        throw new Error('BatchBuilder: an NDJSON line must not hold a line break');
      }
      size = line.length + 1;
      this.pending.push(line);
    }
    this.pendingBytes += size;
    this.bytes += size;
    this.count += 1;
    if (this.pendingBytes >= CHUNK_BYTES) this.flushPending();

    const record =
      typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : undefined;
    const time = parseRfc3339(record?.timestamp);
    if (time !== undefined) {
      if (this.earliest === undefined || time < this.earliest) this.earliest = time;
      if (this.latest === undefined || time > this.latest) this.latest = time;
      this.observeTime?.(time);
    }
    const label = record?.[this.summaryField];
    if (typeof label === 'string') this.counts.set(label, (this.counts.get(label) ?? 0) + 1);

    const result = this.schema.safeParse(event);
    const reasons = result.success
      ? []
      : result.error.issues
          .slice(0, 3)
          .map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`);
    // The schema checks the timestamp's type; whether it is a real RFC 3339 instant was parsed above.
    if (typeof record?.timestamp === 'string' && time === undefined)
      reasons.push('timestamp: not an RFC 3339 timestamp');
    if (reasons.length > 0) {
      this.invalidCount += 1;
      if (this.invalid.length < MAX_INVALID_EXAMPLES) {
        this.invalid.push({
          uuid: typeof record?.uuid === 'string' ? record.uuid : undefined,
          reason: reasons.join('; '),
        });
      }
    }
  }

  /** Records that some line added is a re-serialisation of the event, not the API's bytes. */
  markReserialized(): void {
    this.someReserialized = true;
  }

  /** Whether {@link markReserialized} was called. */
  get reserialized(): boolean {
    return this.someReserialized;
  }

  async seal(): Promise<SealedBatch> {
    if (this.sealed) throw new Error('BatchBuilder: seal() called twice');
    this.sealed = true;
    this.flushPending();
    if (this.count === 0) {
      // An empty body is one newline, as an empty NDJSON file with its final line break.
      this.hash.update('\n');
      this.gzip.write('\n');
    }
    this.gzip.end();
    await this.gzipDone;
    const gzipped = Buffer.concat(this.compressed);
    return {
      gzipped,
      sha256: this.hash.digest('hex'),
      gzippedSha256Base64: createHash('sha256').update(gzipped).digest('base64'),
      eventCount: this.count,
      uncompressedBytes: this.count === 0 ? 1 : this.bytes,
      firstEventTime: this.earliest === undefined ? undefined : new Date(this.earliest).toISOString(),
      lastEventTime: this.latest === undefined ? undefined : new Date(this.latest).toISOString(),
      reserialized: this.someReserialized,
    };
  }

  private flushPending(): void {
    if (this.pending.length === 0) return;
    const chunk = Buffer.allocUnsafe(this.pendingBytes);
    let offset = 0;
    for (const line of this.pending) {
      if (typeof line === 'string') offset += chunk.write(line, offset, 'utf8');
      else {
        chunk.set(line, offset);
        offset += line.length;
      }
      chunk[offset++] = NEWLINE;
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.hash.update(chunk);
    this.gzip.write(chunk);
  }
}
