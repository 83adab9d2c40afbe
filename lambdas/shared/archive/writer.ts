import { gunzipSync } from 'node:zlib';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { IntegrityError } from '../errors';
import type { EventType } from '../event-types';
import type { SealedBatch } from './batch';
import { CONTENT_ENCODING, CONTENT_TYPE, MetadataKey, parseBatchKey } from './format';

export interface BatchObject {
  readonly key: string;
  readonly source: string;
  readonly stream: EventType;
  readonly seq: number;
  readonly prevSha256: string;
  readonly batch: SealedBatch;
}

/** What the archive says about an object that exists. */
export interface StoredBatch {
  readonly key: string;
  readonly sha256: string | undefined;
}

/** The S3 user metadata of a batch object (README, "Archive format"). */
export function batchMetadata(object: BatchObject): Record<string, string> {
  const { batch } = object;
  return {
    [MetadataKey.source]: object.source,
    [MetadataKey.stream]: object.stream,
    [MetadataKey.seq]: String(object.seq),
    [MetadataKey.eventCount]: String(batch.eventCount),
    ...(batch.firstEventTime ? { [MetadataKey.firstEventTime]: batch.firstEventTime } : {}),
    ...(batch.lastEventTime ? { [MetadataKey.lastEventTime]: batch.lastEventTime } : {}),
    [MetadataKey.sha256]: batch.sha256,
    [MetadataKey.prevSha256]: object.prevSha256,
    ...(batch.reserialized ? { [MetadataKey.reserialized]: 'true' } : {}),
  };
}

/** Where batch objects go: the S3 bucket, or a local folder for evaluation. */
export interface ArchiveStore {
  /**
   * Creates the object; succeeds if the key already holds this very batch, throws
   * {@link KeyOccupiedError} if it holds anything else. Any other error leaves the outcome to
   * {@link writeOutcomeUnknown}.
   */
  put(object: BatchObject, signal?: AbortSignal): Promise<void>;
  /** The object at `key`, if it exists. */
  find(key: string, signal?: AbortSignal): Promise<StoredBatch | undefined>;
  /**
   * The `uuid` of every event in the stream's objects under `dt=` partitions from `sinceDate`
   * on: what a stream recovering from a rejected cursor has already archived. An event can
   * only be archived on or after the day it happened, so older partitions cannot hold events
   * from `sinceDate` on.
   */
  archivedUuids(streamPrefix: string, sinceDate: string, signal?: AbortSignal): Promise<Set<string>>;
}

/** The key of a batch already holds another object; `existingSha256` says which, if it says. */
export class KeyOccupiedError extends IntegrityError {
  constructor(
    message: string,
    readonly key: string,
    readonly existingSha256: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** How often a write that met S3's 409 ConditionalRequestConflict (a concurrent write of the key) is sent again. */
const CONFLICT_RETRIES = 4;
const CONFLICT_DELAY_MS = 250;

/**
 * Writes batch objects to the archive bucket. Objects are created with `If-None-Match: *`
 * and an SHA-256 checksum; an existing object is never replaced. The writer also answers
 * whether an intended object exists, which is how an interrupted batch is finished or dropped.
 */
export class ArchiveWriter implements ArchiveStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  /**
   * Uploads a batch. If the key already holds this very batch (a retried request whose first
   * attempt landed), that is success; if it holds anything else, a {@link KeyOccupiedError}.
   * A 409 (another write of the same key in progress) is sent again until that write settled,
   * when the key either holds an object to compare with or is free.
   */
  async put(object: BatchObject, signal?: AbortSignal): Promise<void> {
    const { batch } = object;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: object.key,
            Body: batch.gzipped,
            ContentType: CONTENT_TYPE,
            ContentEncoding: CONTENT_ENCODING,
            ChecksumSHA256: batch.gzippedSha256Base64,
            IfNoneMatch: '*',
            Metadata: batchMetadata(object),
          }),
          signal ? { abortSignal: signal } : {},
        );
        return;
      } catch (error) {
        if (isConditionalConflict(error) && attempt <= CONFLICT_RETRIES) {
          await delay(CONFLICT_DELAY_MS * attempt, signal);
          continue;
        }
        if (!isPreconditionFailed(error)) throw error;
        const existing = await this.find(object.key, signal);
        if (existing?.sha256 === batch.sha256) return;
        throw new KeyOccupiedError(
          `archive object ${object.key} already exists with different content (body-sha256 ${existing?.sha256 ?? 'missing'}, ` +
            `expected ${batch.sha256})`,
          object.key,
          existing?.sha256,
          { cause: error },
        );
      }
    }
  }

  /**
   * The object at `key`, if it exists. Existence is asked with a listing of that exact key,
   * which the collector's role may do under its own prefix; a HEAD on a missing key would be
   * answered 403 rather than 404 without bucket-wide list rights.
   */
  async find(key: string, signal?: AbortSignal): Promise<StoredBatch | undefined> {
    const options = signal ? { abortSignal: signal } : {};
    const listing = await this.client.send(
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: key, MaxKeys: 1 }),
      options,
    );
    if (listing.Contents?.[0]?.Key !== key) return undefined;
    const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), options);
    return { key, sha256: head.Metadata?.[MetadataKey.sha256] };
  }

  async archivedUuids(streamPrefix: string, sinceDate: string, signal?: AbortSignal): Promise<Set<string>> {
    const options = signal ? { abortSignal: signal } : {};
    const uuids = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: streamPrefix,
          // Keys sort by partition: everything after "dt=<sinceDate>" is that day or later.
          StartAfter: `${streamPrefix}dt=${sinceDate}`,
          ...(token ? { ContinuationToken: token } : {}),
        }),
        options,
      );
      for (const entry of page.Contents ?? []) {
        if (!entry.Key || parseBatchKey(entry.Key) === undefined) continue;
        const response = await this.client.send(
          new GetObjectCommand({ Bucket: this.bucket, Key: entry.Key }),
          options,
        );
        const gzipped = await response.Body?.transformToByteArray();
        for (const uuid of uuidsOfNdjson(gunzipSync(gzipped ?? new Uint8Array()))) uuids.add(uuid);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return uuids;
  }
}

/**
 * Whether a failed write may still have created the object. S3 answers a write it refused
 * with a 4xx; anything else (a 5xx, a reset connection, a timeout, an abort) may come after
 * S3 stored the object, so the intent must stay until a later look at the key settles it.
 */
export function writeOutcomeUnknown(error: unknown): boolean {
  if (error instanceof KeyOccupiedError) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  if (status === undefined) return true;
  return !(status >= 400 && status < 500) || status === 408 || status === 409 || status === 429;
}

/** The `uuid` of each NDJSON line that is an object with one (others are skipped). */
export function uuidsOfNdjson(body: Buffer): string[] {
  const uuids: string[] = [];
  for (const line of body.toString('utf8').split('\n')) {
    if (line === '') continue;
    try {
      const uuid = (JSON.parse(line) as { uuid?: unknown } | null)?.uuid;
      if (typeof uuid === 'string') uuids.push(uuid);
    } catch {
      // Not JSON: nothing to compare; `verify` reports such a line.
    }
  }
  return uuids;
}

export function isPreconditionFailed(error: unknown): boolean {
  const candidate = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return candidate?.name === 'PreconditionFailed' || candidate?.$metadata?.httpStatusCode === 412;
}

function isConditionalConflict(error: unknown): boolean {
  const candidate = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return candidate?.name === 'ConditionalRequestConflict' || candidate?.$metadata?.httpStatusCode === 409;
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
