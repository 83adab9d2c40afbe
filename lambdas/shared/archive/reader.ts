import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { MetadataKey, parseBatchKey } from './format';
import { type ArchiveEntry, S3ArchiveSource } from './source';

export interface ArchivedBatch {
  readonly key: string;
  readonly metadata: Record<string, string>;
  /** The uncompressed NDJSON body. */
  readonly body: Buffer;
  readonly contentEncoding: string | undefined;
  readonly contentType: string | undefined;
}

/** Every key under `prefix`, page by page, in S3's (lexicographic) order. */
export function listArchive(client: S3Client, bucket: string, prefix: string): AsyncIterable<ArchiveEntry> {
  return new S3ArchiveSource(client, bucket).list(prefix);
}

export async function readBatch(client: S3Client, bucket: string, key: string): Promise<ArchivedBatch> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = Buffer.from((await response.Body?.transformToByteArray()) ?? []);
  return {
    key,
    metadata: response.Metadata ?? {},
    body: gunzipSync(bytes),
    contentEncoding: response.ContentEncoding,
    contentType: response.ContentType,
  };
}

/** Parses an NDJSON body into its events. */
export function parseNdjson(body: Buffer): unknown[] {
  return body
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);
}

/** All events of a stream's archive, in sequence order (loads them all: for tests, the demo and small archives). */
export async function readStreamEvents(
  client: S3Client,
  bucket: string,
  streamPrefix: string,
): Promise<{ events: unknown[]; batches: ArchivedBatch[] }> {
  const keys: Array<{ key: string; seq: number }> = [];
  for await (const object of listArchive(client, bucket, streamPrefix)) {
    const parsed = parseBatchKey(object.key);
    if (parsed) keys.push({ key: object.key, seq: parsed.seq });
  }
  keys.sort((a, b) => a.seq - b.seq);
  const batches: ArchivedBatch[] = [];
  const events: unknown[] = [];
  for (const { key } of keys) {
    const batch = await readBatch(client, bucket, key);
    batches.push(batch);
    events.push(...parseNdjson(batch.body));
  }
  return { events, batches };
}

export { MetadataKey };
