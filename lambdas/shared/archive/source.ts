import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** One key of an archive listing. */
export interface ArchiveEntry {
  readonly key: string;
  /** Size of the stored (gzipped) object in bytes, when the listing gives it for free. */
  readonly size?: number;
}

/** An archive object as stored: its headers, its user metadata and its gzipped body. */
export interface StoredObject {
  readonly key: string;
  /** The user metadata (`x-amz-meta-*`), or `undefined` when the object has none at all (a local copy without its sidecar). */
  readonly metadata: Record<string, string> | undefined;
  /** Why the metadata could not be read, when it exists but is unreadable. */
  readonly metadataError?: string;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  /** The stored bytes, read as they arrive so a large object is never held whole. */
  readonly body: AsyncIterable<Uint8Array>;
}

/**
 * Read access to an archive, in S3 or in a local folder laid out like the bucket: what
 * `verify` needs and nothing more, so both are checked by the same code.
 */
export interface ArchiveSource {
  /** Where the archive is, for messages (`s3://bucket`, a folder path). */
  readonly location: string;
  /** Every key under `prefix` (any order), page by page. */
  list(prefix: string): AsyncIterable<ArchiveEntry>;
  /** Opens one object; the caller reads its body to the end. */
  open(key: string): Promise<StoredObject>;
}

/** The archive bucket, read with ListObjectsV2 and GetObject (the rights `verify` needs). */
export class S3ArchiveSource implements ArchiveSource {
  readonly location: string;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {
    this.location = `s3://${bucket}`;
  }

  async *list(prefix: string): AsyncGenerator<ArchiveEntry> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key) yield { key: object.Key, size: object.Size ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async open(key: string): Promise<StoredObject> {
    const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const body = response.Body as (Readable & AsyncIterable<Uint8Array>) | undefined;
    const metadata = response.Metadata ?? {};
    return {
      key,
      // S3 answers an object without user metadata with an empty map: report it once, as missing.
      metadata: Object.keys(metadata).length > 0 ? metadata : undefined,
      contentType: response.ContentType,
      contentEncoding: response.ContentEncoding,
      body: body ?? emptyBody(),
    };
  }
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}
