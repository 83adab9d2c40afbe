import { randomBytes } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { link, mkdir, open, opendir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { IntegrityError } from '../errors';
import { CONTENT_ENCODING, CONTENT_TYPE, MetadataKey, parseBatchKey } from './format';
import type { ArchiveEntry, ArchiveSource, StoredObject } from './source';
import {
  type ArchiveStore,
  type BatchObject,
  batchMetadata,
  KeyOccupiedError,
  type StoredBatch,
  uuidsOfNdjson,
} from './writer';

/**
 * A local archive: a folder laid out exactly like the bucket, each object's S3 headers and
 * user metadata beside it in `<key>.meta.json`, shaped like `aws s3api head-object` output:
 *
 *   { "ContentType": "application/x-ndjson", "ContentEncoding": "gzip",
 *     "ChecksumSHA256": "<base64 of the gzipped bytes>", "Metadata": { "source": "...", "seq": "1", ... } }
 *
 * `collect` writes it and `verify --dir` reads it; a copy of a bucket made with `aws s3 cp`
 * plus one `head-object` per key has the same shape.
 */
export const SIDECAR_SUFFIX = '.meta.json';

export interface Sidecar {
  readonly ContentType: string;
  readonly ContentEncoding: string;
  readonly ChecksumSHA256?: string;
  readonly Metadata: Record<string, string>;
}

/** Top-level folders of a local archive that hold no objects (local state, half-written files). */
const RESERVED_TOP_LEVEL = new Set(['.state', '.tmp']);

/** Bodies up to this size are read in one call; larger ones are streamed. */
const READ_WHOLE_MAX_BYTES = 4 * 1024 * 1024;

export interface FileArchiveOptions {
  /**
   * fsync each file before it counts as written: the cursor moves only after the object is
   * durable. Turned off only to generate large test archives quickly.
   * @default true
   */
  readonly durable?: boolean;
}

/**
 * Writes and reads the archive format in a local folder: the evaluation archive of
 * `collect`, and local copies for `verify`. Like the bucket, it never replaces an object.
 */
export class FileArchive implements ArchiveStore, ArchiveSource {
  readonly location: string;
  private readonly durable: boolean;

  constructor(
    readonly root: string,
    options: FileArchiveOptions = {},
  ) {
    this.location = root;
    this.durable = options.durable ?? true;
  }

  /** The file that holds `key`. */
  pathOf(key: string): string {
    const parts = key.split('/');
    if (parts.some((part) => part === '' || part === '.' || part === '..')) {
      throw new IntegrityError(`archive key "${key}" cannot be stored in a folder (empty, . or .. segment)`);
    }
    return join(this.root, ...parts);
  }

  /**
   * The sidecar goes in place first and the body last, linked into place so that it appears
   * whole or not at all: an object exists exactly when its body file does, and by then its
   * metadata is beside it. Only the stream's lease holder writes a key, so nothing races
   * between the existence check and the link.
   */
  async put(object: BatchObject): Promise<void> {
    const path = this.pathOf(object.key);
    const existing = await this.find(object.key);
    if (existing) {
      this.sameBatchOrThrow(object, existing);
      return;
    }
    const sidecar: Sidecar = {
      ContentType: CONTENT_TYPE,
      ContentEncoding: CONTENT_ENCODING,
      ChecksumSHA256: object.batch.gzippedSha256Base64,
      Metadata: batchMetadata(object),
    };
    await mkdir(dirname(path), { recursive: true });
    await this.writeInPlace(`${path}${SIDECAR_SUFFIX}`, Buffer.from(`${JSON.stringify(sidecar, null, 2)}\n`));
    const temporary = await this.writeTemporary(object.batch.gzipped);
    try {
      await link(temporary, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const now = await this.find(object.key);
      if (now) this.sameBatchOrThrow(object, now);
    } finally {
      await unlink(temporary).catch(() => undefined);
    }
  }

  async find(key: string): Promise<StoredBatch | undefined> {
    const path = this.pathOf(key);
    try {
      await stat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const sidecar = await readSidecar(`${path}${SIDECAR_SUFFIX}`);
    return { key, sha256: sidecar.sidecar?.Metadata[MetadataKey.sha256] };
  }

  async *list(prefix: string): AsyncGenerator<ArchiveEntry> {
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const start = folder === '' ? this.root : this.pathOf(folder);
    for await (const path of walk(start)) {
      const key = relative(this.root, path).split(sep).join('/');
      if (!key.startsWith(prefix) || key.endsWith(SIDECAR_SUFFIX)) continue;
      if (RESERVED_TOP_LEVEL.has(key.split('/')[0] ?? '')) continue;
      yield { key };
    }
  }

  /**
   * Small files (nearly every batch object) are read with one blocking call each: for a
   * folder of 100,000 objects, a thread-pool round trip per open, stat, read and close
   * costs more than the reads themselves.
   */
  async open(key: string): Promise<StoredObject> {
    const path = this.pathOf(key);
    const { sidecar, error } = readSidecarSync(`${path}${SIDECAR_SUFFIX}`);
    const { size } = statSync(path);
    const body: AsyncIterable<Uint8Array> =
      size <= READ_WHOLE_MAX_BYTES ? once(readFileSync(path)) : createReadStream(path);
    return {
      key,
      metadata: sidecar?.Metadata,
      ...(error ? { metadataError: error } : {}),
      contentType: sidecar?.ContentType,
      contentEncoding: sidecar?.ContentEncoding,
      body,
    };
  }

  async archivedUuids(streamPrefix: string, sinceDate: string): Promise<Set<string>> {
    const uuids = new Set<string>();
    const from = `${streamPrefix}dt=${sinceDate}`;
    for await (const { key } of this.list(streamPrefix)) {
      if (key <= from || parseBatchKey(key) === undefined) continue;
      const body = gunzipSync(await readFile(this.pathOf(key)));
      for (const uuid of uuidsOfNdjson(body)) uuids.add(uuid);
    }
    return uuids;
  }

  private sameBatchOrThrow(object: BatchObject, existing: StoredBatch): void {
    if (existing.sha256 === object.batch.sha256) return;
    throw new KeyOccupiedError(
      `archive object ${this.pathOf(object.key)} already exists with different content (body-sha256 ` +
        `${existing.sha256 ?? 'missing'}, expected ${object.batch.sha256})`,
      object.key,
      existing.sha256,
    );
  }

  /** Writes next to nothing that readers see, then renames over `path`. */
  private async writeInPlace(path: string, data: Buffer): Promise<void> {
    const temporary = await this.writeTemporary(data);
    await rename(temporary, path);
  }

  /** A fully written (and, when durable, synced) file in `<root>/.tmp`, on the same file system as the archive. */
  private async writeTemporary(data: Buffer): Promise<string> {
    const folder = join(this.root, '.tmp');
    await mkdir(folder, { recursive: true });
    const path = join(folder, randomBytes(8).toString('hex'));
    const handle = await open(path, 'wx');
    try {
      await handle.writeFile(data);
      if (this.durable) await handle.sync();
    } finally {
      await handle.close();
    }
    return path;
  }
}

async function readSidecar(path: string): Promise<{ sidecar?: Sidecar; error?: string }> {
  try {
    return parseSidecar(path, await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

function readSidecarSync(path: string): { sidecar?: Sidecar; error?: string } {
  try {
    return parseSidecar(path, readFileSync(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

function parseSidecar(path: string, text: string): { sidecar?: Sidecar; error?: string } {
  let parsed: Partial<Sidecar>;
  try {
    parsed = JSON.parse(text) as Partial<Sidecar>;
  } catch {
    return { error: `${path} is not valid JSON` };
  }
  if (typeof parsed.Metadata !== 'object' || parsed.Metadata === null) {
    return { error: `${path} has no "Metadata" object` };
  }
  return { sidecar: parsed as Sidecar };
}

async function* once(data: Buffer): AsyncGenerator<Uint8Array> {
  yield data;
}

/** Every file below `folder`, depth first; a missing folder has none. */
async function* walk(folder: string): AsyncGenerator<string> {
  let directory: Awaited<ReturnType<typeof opendir>>;
  try {
    directory = await opendir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for await (const entry of directory) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}
