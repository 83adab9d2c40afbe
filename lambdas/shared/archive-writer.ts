import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CONTENT_ENCODING, CONTENT_TYPE, MetadataKey } from './archive-format';
import type { SealedBatch } from './batch';
import { IntegrityError } from './errors';
import type { EventType } from './event-types';

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
  };
}

/** Where batch objects go: the S3 bucket, or a local folder for evaluation. */
export interface ArchiveStore {
  /** Creates the object; succeeds if the key already holds this very batch, throws IntegrityError if anything else. */
  put(object: BatchObject): Promise<void>;
  /** The object at `key`, if it exists. */
  find(key: string): Promise<StoredBatch | undefined>;
}

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
   * attempt landed), that is success; if it holds anything else, an {@link IntegrityError}.
   */
  async put(object: BatchObject): Promise<void> {
    const { batch } = object;
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
      );
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
      const existing = await this.find(object.key);
      if (existing?.sha256 !== batch.sha256) {
        throw new IntegrityError(
          `archive object ${object.key} already exists with different content (body-sha256 ${existing?.sha256 ?? 'missing'}, ` +
            `expected ${batch.sha256}); the stream stopped without writing. Run \`verify\` on the stream and see README §Operate.`,
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
  async find(key: string): Promise<StoredBatch | undefined> {
    const listing = await this.client.send(
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: key, MaxKeys: 1 }),
    );
    if (listing.Contents?.[0]?.Key !== key) return undefined;
    const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    return { key, sha256: head.Metadata?.[MetadataKey.sha256] };
  }
}

function isPreconditionFailed(error: unknown): boolean {
  const candidate = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return candidate?.name === 'PreconditionFailed' || candidate?.$metadata?.httpStatusCode === 412;
}
