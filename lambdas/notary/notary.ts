import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  DIGEST_CONTENT_TYPE,
  DIGEST_FORMAT_VERSION,
  DIGEST_SIGNATURE_ALGORITHM,
  type Digest,
  DigestMetadataKey,
  type DigestSigner,
  digestKey,
  parseDigest,
  type SignedObject,
  type StreamDigest,
  serializeDigest,
  verifyDigestSignature,
} from '../shared/archive/digest';
import { MetadataKey, parseBatchKey, streamPrefix } from '../shared/archive/format';
import { isPreconditionFailed } from '../shared/archive/writer';
import { ConnectorError, describeError } from '../shared/errors';
import { EVENT_TYPES, type EventType } from '../shared/event-types';
import type { Log } from '../shared/observability';
import { GENESIS_SHA256, type StateStore, streamKey } from '../shared/state-store';
import { type NotaryState, NotaryStateConflict, type NotaryStateStore } from './notary-state';

/** Everything a notary run talks to. */
export interface NotaryDependencies {
  readonly s3: S3Client;
  readonly bucket: string;
  /** The archive prefix (`ARCHIVE_PREFIX`). */
  readonly prefix: string;
  /** The sources to sign, every source of the deployment. */
  readonly sources: readonly string[];
  /** The collectors' state items, read for each stream's committed chain head. */
  readonly streams: StateStore;
  readonly notaryState: NotaryStateStore;
  readonly signer: DigestSigner;
  readonly log: Log;
  readonly now?: () => number;
  /**
   * Objects a digest signs per stream at most; the next digest goes on from there. Bounds a
   * digest's size when the notary first meets a large archive.
   * @default 10_000
   */
  readonly maxObjectsPerStream?: number;
  readonly signal?: AbortSignal;
}

/** What one source's digest holds. */
export interface SourceDigestSummary {
  readonly source: string;
  readonly digestKey: string | undefined;
  readonly number: number | undefined;
  readonly objectsSigned: number;
  /** Why the digest stops short of a stream's committed head, or why none was written. */
  readonly problems: string[];
}

export interface NotarySummary {
  readonly sources: SourceDigestSummary[];
}

/** Thrown after every source was tried when any digest stops short, so the notary-errors alarm sees it. */
export class NotaryRunError extends ConnectorError {
  constructor(
    message: string,
    readonly summary: NotarySummary,
  ) {
    super(message);
  }
}

const DEFAULT_MAX_OBJECTS_PER_STREAM = 10_000;
/** A crashed run may have left its digest written and the state not moved: adopted, at most this many in a row. */
const MAX_ADOPTIONS = 24;

/**
 * One notary run: for every source, a digest that signs each batch object committed since
 * the previous digest, up to each stream's chain head in the state table, and chains to the
 * previous digest's signature. A digest is written even when nothing was committed, so a
 * digest that is missing or late shows (README, "Digests").
 */
export async function runNotary(deps: NotaryDependencies): Promise<NotarySummary> {
  const sources: SourceDigestSummary[] = [];
  for (const source of deps.sources) {
    try {
      sources.push(await notarizeSource(deps, source));
    } catch (error) {
      deps.log.error('digest not written', { source, error: describeError(error) });
      sources.push({
        source,
        digestKey: undefined,
        number: undefined,
        objectsSigned: 0,
        problems: [describeError(error)],
      });
    }
  }
  const summary = { sources };
  const failing = sources.filter((entry) => entry.problems.length > 0);
  if (failing.length > 0) {
    throw new NotaryRunError(
      `the digests of ${failing.map((entry) => entry.source).join(', ')} stop short: ` +
        failing.flatMap((entry) => entry.problems.map((problem) => `${entry.source}: ${problem}`)).join('; '),
      summary,
    );
  }
  return summary;
}

async function notarizeSource(deps: NotaryDependencies, source: string): Promise<SourceDigestSummary> {
  const { log, signal } = deps;
  let state = await deps.notaryState.get(source, signal);
  for (let adoptions = 0; ; adoptions++) {
    const problems: string[] = [];
    const streams: StreamDigest[] = [];
    for (const stream of EVENT_TYPES) {
      const entry = await signStream(deps, source, stream, state.heads[stream] ?? null, problems);
      if (entry) streams.push(entry);
    }
    const number = state.lastNumber + 1;
    const key = digestKey(deps.prefix, source, number);
    const digest: Digest = {
      formatVersion: DIGEST_FORMAT_VERSION,
      source,
      number,
      digestStartTime: state.lastEndTime ?? null,
      digestEndTime: new Date((deps.now ?? Date.now)()).toISOString(),
      previousDigestKey: state.lastKey ?? null,
      previousDigestSignature: state.lastSignature ?? null,
      signingKeyId: deps.signer.keyId,
      signatureAlgorithm: DIGEST_SIGNATURE_ALGORITHM,
      streams,
    };
    const body = serializeDigest(digest);
    const signature = (await deps.signer.sign(body, signal)).toString('base64');
    try {
      await deps.s3.send(
        new PutObjectCommand({
          Bucket: deps.bucket,
          Key: key,
          Body: body,
          ContentType: DIGEST_CONTENT_TYPE,
          IfNoneMatch: '*',
          Metadata: {
            [DigestMetadataKey.signature]: signature,
            [DigestMetadataKey.signatureAlgorithm]: DIGEST_SIGNATURE_ALGORITHM,
            [DigestMetadataKey.signingKeyId]: deps.signer.keyId,
          },
        }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (error) {
      if (!isPreconditionFailed(error) || adoptions >= MAX_ADOPTIONS) throw error;
      // A run that crashed after its write, or one running alongside: the digest is there, the state is not.
      const adopted = await adopt(deps, source, key, state);
      log.warn('digest already written, adopted', { source, digestKey: key });
      await deps.notaryState.advance(source, state.lastNumber, adopted, signal);
      state = adopted;
      continue;
    }
    const objectsSigned = streams.reduce((sum, entry) => sum + entry.objects.length, 0);
    const next: NotaryState = {
      lastNumber: number,
      lastKey: key,
      lastSignature: signature,
      lastEndTime: digest.digestEndTime,
      heads: Object.fromEntries(
        streams.flatMap((entry) => (entry.head ? [[entry.stream, entry.head]] : [])),
      ) as NotaryState['heads'],
    };
    try {
      await deps.notaryState.advance(source, state.lastNumber, next, signal);
    } catch (error) {
      if (!(error instanceof NotaryStateConflict)) throw error;
      problems.push(`${error.message}; the next run adopts whichever digest was written`);
    }
    log.info('digest written', { source, digestKey: key, number, objectsSigned, problems });
    return { source, digestKey: key, number, objectsSigned, problems };
  }
}

/**
 * The objects of a stream committed after `previousHead`, each checked before it is
 * signed: one object per sequence number, its metadata naming that number and linking to
 * its predecessor's hash, and the last one hashing to the state table's chain head. The
 * first object that fails a check ends the list; what it is goes into `problems`.
 */
async function signStream(
  deps: NotaryDependencies,
  source: string,
  stream: EventType,
  previousHead: SignedObject | null,
  problems: string[],
): Promise<StreamDigest | undefined> {
  const streamState = await deps.streams.get(streamKey(source, stream), deps.signal);
  if (!streamState) {
    if (previousHead)
      problems.push(
        `${stream}: the state item is gone, although digests signed the stream up to seq ${previousHead.seq}`,
      );
    return previousHead ? { stream, head: previousHead, objects: [] } : undefined;
  }
  const fromSeq = (previousHead?.seq ?? 0) + 1;
  const committedSeq = streamState.nextSeq - 1;
  if (committedSeq < fromSeq - 1) {
    problems.push(
      `${stream}: the state table's chain head (seq ${committedSeq}) is behind the signed head (seq ${fromSeq - 1}): the state item was rolled back`,
    );
  }
  const toSeq = Math.min(
    committedSeq,
    fromSeq - 1 + (deps.maxObjectsPerStream ?? DEFAULT_MAX_OBJECTS_PER_STREAM),
  );
  const objects: SignedObject[] = [];
  if (toSeq >= fromSeq) {
    const candidates = await listCandidates(deps, source, stream, previousHead?.key, fromSeq, toSeq);
    let previousSha = previousHead?.sha256 ?? GENESIS_SHA256;
    for (let seq = fromSeq; seq <= toSeq; seq++) {
      const keys = candidates.get(seq) ?? [];
      const linked: SignedObject[] = [];
      for (const key of keys) {
        const head = await deps.s3.send(
          new HeadObjectCommand({ Bucket: deps.bucket, Key: key }),
          deps.signal ? { abortSignal: deps.signal } : {},
        );
        const metadata = head.Metadata ?? {};
        const sha256 = metadata[MetadataKey.sha256];
        if (
          metadata[MetadataKey.seq] === String(seq) &&
          metadata[MetadataKey.prevSha256] === previousSha &&
          sha256
        ) {
          linked.push({ seq, key, sha256 });
        }
      }
      const [object] = linked;
      if (!object || linked.length > 1) {
        problems.push(
          keys.length === 0
            ? `${stream}: no object for seq ${seq}, which the state table committed`
            : linked.length > 1
              ? `${stream}: ${linked.length} objects for seq ${seq} link to seq ${seq - 1} (${linked.map((o) => o.key).join(', ')})`
              : `${stream}: no object for seq ${seq} links to seq ${seq - 1} (${keys.join(', ')})`,
        );
        break;
      }
      if (seq === committedSeq && object.sha256 !== streamState.prevSha256) {
        problems.push(
          `${stream}: ${object.key} has body-sha256 ${object.sha256}, the state table's chain head is ${streamState.prevSha256}`,
        );
        break;
      }
      objects.push(object);
      previousSha = object.sha256;
    }
  }
  return { stream, head: objects.at(-1) ?? previousHead, objects };
}

/** Batch keys of sequence numbers `fromSeq..toSeq`, listed after the previous head's key (keys sort by written date, then sequence). */
async function listCandidates(
  deps: NotaryDependencies,
  source: string,
  stream: EventType,
  startAfter: string | undefined,
  fromSeq: number,
  toSeq: number,
): Promise<Map<number, string[]>> {
  const candidates = new Map<number, string[]>();
  let token: string | undefined;
  do {
    const page = await deps.s3.send(
      new ListObjectsV2Command({
        Bucket: deps.bucket,
        Prefix: streamPrefix(deps.prefix, source, stream),
        ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
      }),
      deps.signal ? { abortSignal: deps.signal } : {},
    );
    for (const { Key: key } of page.Contents ?? []) {
      const seq = key ? parseBatchKey(key)?.seq : undefined;
      if (key === undefined || seq === undefined || seq < fromSeq || seq > toSeq) continue;
      candidates.set(seq, [...(candidates.get(seq) ?? []), key]);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return candidates;
}

/** The digest already at `key`, if it is this notary's continuation of `state`; otherwise an error saying what it is. */
async function adopt(
  deps: NotaryDependencies,
  source: string,
  key: string,
  state: NotaryState,
): Promise<NotaryState> {
  const response = await deps.s3.send(
    new GetObjectCommand({ Bucket: deps.bucket, Key: key }),
    deps.signal ? { abortSignal: deps.signal } : {},
  );
  const body = Buffer.from((await response.Body?.transformToByteArray()) ?? []);
  const signature = response.Metadata?.[DigestMetadataKey.signature] ?? '';
  const publicKey = await deps.signer.publicKey(deps.signal);
  let digest: Digest | undefined;
  try {
    digest = parseDigest(body);
  } catch {
    digest = undefined;
  }
  if (
    !digest ||
    !verifyDigestSignature(body, Buffer.from(signature, 'base64'), publicKey) ||
    digest.source !== source ||
    digest.previousDigestSignature !== (state.lastSignature ?? null)
  ) {
    throw new ConnectorError(
      `digest ${key} already exists and is not the notary's continuation of digest ${state.lastNumber}: ` +
        'it was written by someone else, or the notary state was changed. Run op-events-archive verify on the source (README: Operate > Notary)',
    );
  }
  return {
    lastNumber: digest.number,
    lastKey: key,
    lastSignature: signature,
    lastEndTime: digest.digestEndTime,
    heads: Object.fromEntries(
      digest.streams.flatMap((entry) => (entry.head ? [[entry.stream, entry.head]] : [])),
    ) as NotaryState['heads'],
  };
}
