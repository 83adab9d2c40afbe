import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { promisify } from 'node:util';
import { createGunzip, gunzip as gunzipCallback, gunzipSync } from 'node:zlib';
import type { EventType } from '../event-types';
import { GENESIS_SHA256 } from '../state-store';
import { parseRfc3339 } from '../time';
import type { SignedRef } from './digest-check';
import { DuplicateFinder, type DuplicateUuid } from './duplicate-finder';
import { CONTENT_ENCODING, CONTENT_TYPE, MetadataKey, parseBatchKey, streamPrefix } from './format';
import type { ArchiveSource, StoredObject } from './source';

const gunzip = promisify(gunzipCallback);

/**
 * What `verify` can find wrong with a stream's archive:
 * - `missing`: a sequence number without an object (a gap, the start, or the newest ones);
 * - `altered`: a body that does not hash to its recorded SHA-256, or whose events disagree with the metadata;
 * - `broken-link`: `prev-body-sha256` does not name the predecessor's `body-sha256`;
 * - `misplaced`: the key's sequence number and the metadata's disagree (objects moved or swapped);
 * - `malformed`: not gzip, not NDJSON, metadata missing or unreadable, wrong headers;
 * - `foreign`: a key that is not a batch of this stream, metadata naming another source or stream,
 *   or a second object for a sequence number;
 * - `uncommitted`: an object past the last batch the state table committed, and not the one in flight;
 * - `duplicate`: an event uuid on more than one line of the stream, in one object or in several.
 *
 * With signed digests, an object whose body does not hash to what a digest signed is `altered`,
 * and a signed object that is gone is `missing`, named by the key the digest gives.
 */
export type FindingKind =
  | 'missing'
  | 'altered'
  | 'broken-link'
  | 'misplaced'
  | 'malformed'
  | 'foreign'
  | 'uncommitted'
  | 'duplicate';

export interface Finding {
  readonly kind: FindingKind;
  /** The object concerned; absent for missing objects, whose key (its `dt=` folder) is unknown. */
  readonly key?: string;
  readonly seq?: number;
  /** For `missing`: the last sequence number of the gap. */
  readonly toSeq?: number;
  /** For `duplicate`: the line (from 1) of `key` that repeats an event already in the stream. */
  readonly line?: number;
  /** For `duplicate`: the event uuid. */
  readonly uuid?: string;
  /** For `duplicate`: every line that holds the uuid, in stream order, the first one included. */
  readonly copies?: EventCopy[];
  readonly detail: string;
}

/** One line of the stream's archive that holds a given event. */
export interface EventCopy {
  readonly key: string;
  readonly seq: number;
  readonly line: number;
}

/** Where the state table says the stream's chain ends; lets `verify` notice the newest objects missing. */
export interface CommittedChain {
  /** Sequence number of the next batch (the last committed one plus 1). */
  readonly nextSeq: number;
  /** `body-sha256` of the last committed batch. */
  readonly headSha256: string;
  /** A batch recorded but not yet committed: its object may or may not exist. */
  readonly pending?: { readonly seq: number; readonly sha256: string };
}

export interface VerifyProgress {
  readonly stream: EventType;
  /** `duplicates`: every object is read; the uuids set aside on disk are being compared. */
  readonly phase: 'listing' | 'checking' | 'duplicates';
  readonly listed: number;
  /** Batch objects found by the listing (known once listing is done). */
  readonly total: number;
  readonly checked: number;
  readonly events: number;
  readonly storedBytes: number;
}

export interface VerifyStreamOptions {
  /** The archive prefix (`ARCHIVE_PREFIX`), e.g. `""`, `"1password/"` or `"backfill/…/"`. */
  readonly prefix: string;
  readonly source: string;
  readonly stream: EventType;
  /**
   * The first sequence number to expect, for an archive whose oldest objects were expired
   * on purpose; objects below it are not read, and its link to its predecessor is not checked.
   * @default 1
   */
  readonly fromSeq?: number;
  /** @default - no check of the newest objects against the state table */
  readonly committed?: CommittedChain;
  /**
   * Every sequence number a valid digest signed (see checkDigests): each object must be there,
   * under the signed key, with a body that hashes to the signed SHA-256.
   * @default - no digests checked
   */
  readonly signed?: ReadonlyMap<number, SignedRef>;
  /** Objects read at once. @default 16 */
  readonly concurrency?: number;
  /**
   * Look for event uuids archived more than once. The chain cannot show them: an overlap
   * written twice is hashed and sequenced like any other events.
   * @default true
   */
  readonly checkDuplicates?: boolean;
  /**
   * Memory the duplicate check holds uuids in; past it, they are spilled to temporary files.
   * @default 256 MiB
   */
  readonly duplicateMemoryBytes?: number;
  /** Where the duplicate check's temporary files go. @default os.tmpdir() */
  readonly spillDirectory?: string;
  readonly onProgress?: (progress: VerifyProgress) => void;
  readonly signal?: AbortSignal;
}

export interface StreamVerification {
  readonly source: string;
  readonly stream: EventType;
  readonly location: string;
  readonly streamPrefix: string;
  /** Keys under the stream prefix, batch objects or not. */
  readonly keysListed: number;
  readonly objectsChecked: number;
  readonly events: number;
  /** Gzipped bytes read. */
  readonly storedBytes: number;
  /** NDJSON bytes hashed. */
  readonly bodyBytes: number;
  readonly firstSeq: number | undefined;
  readonly lastSeq: number | undefined;
  /** `body-sha256` of the newest object: the value to keep to detect later truncation. */
  readonly headSha256: string | undefined;
  /** What the duplicate check covered; `undefined` when it was turned off. */
  readonly duplicateCheck: DuplicateCheck | undefined;
  readonly findings: Finding[];
  readonly durationMs: number;
}

export interface DuplicateCheck {
  /** Events whose uuid was checked. */
  readonly uuids: number;
  /** Events without a top-level string `uuid`, not checked (lines that are not JSON objects are also `malformed`). */
  readonly withoutUuid: number;
  /** Temporary files the uuids were spread over; 0 when they fitted in memory. */
  readonly partitions: number;
  /** Most bytes the temporary files held at once. */
  readonly spillBytes: number;
}

/** Thrown when the caller's signal stops a verification before it ends. */
export class VerificationAborted extends Error {
  override readonly name = 'VerificationAborted';
}

/** Compressed objects up to this size are inflated in one call; larger ones are streamed. */
const INFLATE_WHOLE_MAX_BYTES = 1024 * 1024;
/** Below this, inflating inline is cheaper than a round trip to the thread pool. */
const INFLATE_INLINE_MAX_BYTES = 64 * 1024;
/** Problems kept per object; the rest are counted. */
const PROBLEMS_PER_OBJECT = 3;
/** About 4 million uuids of 26 characters (62 bytes each with their index) before the duplicate check spills to disk. */
const DUPLICATE_MEMORY_BYTES = 256 * 1024 * 1024;

/**
 * Checks that a stream's archive is complete and its chain intact, as `aws cloudtrail validate-logs` does
 * for CloudTrail: every batch object from sequence 1 on is present once, is gzip of NDJSON,
 * hashes to the SHA-256 in its metadata, holds as many events as its metadata says, and
 * names its predecessor's hash. Keys are listed first (a small record each) and sorted by
 * sequence number, because `dt=` folders are written dates, not sequence order; bodies are
 * then read a few at a time and never kept.
 */
export async function verifyStream(
  archive: ArchiveSource,
  options: VerifyStreamOptions,
): Promise<StreamVerification> {
  const started = Date.now();
  const { source, stream, prefix, signal } = options;
  const fromSeq = options.fromSeq ?? 1;
  const keyPrefix = streamPrefix(prefix, source, stream);
  const findings: Finding[] = [];
  const counters = { listed: 0, total: 0, checked: 0, events: 0, storedBytes: 0, bodyBytes: 0 };
  const report = (phase: VerifyProgress['phase']) => options.onProgress?.({ stream, phase, ...counters });
  const stopIfAborted = () => {
    if (signal?.aborted) throw new VerificationAborted(`verification of ${keyPrefix} interrupted`);
  };

  const batches: Array<{ seq: number; key: string }> = [];
  for await (const entry of archive.list(keyPrefix)) {
    counters.listed += 1;
    const parts = parseBatchKey(entry.key);
    if (!parts || parts.prefix !== prefix || parts.source !== source || parts.stream !== stream) {
      findings.push({
        kind: 'foreign',
        key: entry.key,
        detail: 'not a batch key of this stream (expected dt=YYYY-MM-DD/<12-digit seq>.ndjson.gz)',
      });
    } else if (parts.seq >= fromSeq) {
      batches.push({ seq: parts.seq, key: entry.key });
    }
    if (counters.listed % 1000 === 0) {
      stopIfAborted();
      report('listing');
    }
  }
  batches.sort((a, b) => a.seq - b.seq || (a.key < b.key ? -1 : 1));
  counters.total = batches.length;
  report('listing');

  // Whether the first object's link can be checked: from sequence 1 it must name the genesis hash.
  let previousSha: string | undefined = fromSeq === 1 ? GENESIS_SHA256 : undefined;
  let expected = fromSeq;
  let firstSeq: number | undefined;
  let lastSeq: number | undefined;
  let headSha: string | undefined;
  // What the state table check needs: the hash at the committed head, and every object past it.
  const committedHead = options.committed ? options.committed.nextSeq - 1 : undefined;
  let headRecorded: string | undefined;
  const pastHead: Array<{ seq: number; recorded: string | undefined }> = [];

  const finder =
    options.checkDuplicates === false
      ? undefined
      : new DuplicateFinder({
          memoryBytes: options.duplicateMemoryBytes ?? DUPLICATE_MEMORY_BYTES,
          totalObjects: batches.length,
          ...(options.spillDirectory === undefined ? {} : { directory: options.spillDirectory }),
        });
  let withoutUuid = 0;
  let duplicates: DuplicateUuid[] = [];
  try {
    const groups = groupBySeq(
      inOrder(batches, options.concurrency ?? 16, (batch, index) => inspect(archive, batch, index, !!finder)),
    );
    for await (const group of groups) {
      stopIfAborted();
      const seq = group[0]?.seq ?? 0;
      if (seq > expected) {
        findings.push(...missingRange(expected, seq - 1, options.signed));
        previousSha = undefined;
      }
      const chained = pickChained(group, previousSha, options.signed?.get(seq));
      for (const other of group) {
        if (other === chained) continue;
        findings.push({
          kind: 'foreign',
          key: other.key,
          seq,
          detail: `a second object for sequence ${seq}; the chain goes on with ${chained.key}`,
        });
      }
      for (const inspection of group) {
        counters.checked += 1;
        counters.events += inspection.lines;
        counters.storedBytes += inspection.storedBytes;
        counters.bodyBytes += inspection.bodyBytes;
      }
      findings.push(...checkObject(chained, { source, stream, previousSha }));
      const signedRef = options.signed?.get(seq);
      if (signedRef) findings.push(...checkSigned(chained, signedRef));
      // Only the chained object's events are the stream's: a second object for its sequence number is foreign.
      if (finder) {
        const uuids = chained.uuids;
        for (let line = 1; line <= uuids.length; line++) {
          const uuid = uuids[line - 1];
          if (uuid === undefined) withoutUuid += 1;
          else finder.add(uuid, chained.index, line);
        }
      }
      const recorded = chained.metadata?.[MetadataKey.sha256] ?? chained.sha256;
      if (seq === committedHead) headRecorded = recorded;
      if (committedHead !== undefined && seq > committedHead) pastHead.push({ seq, recorded });
      firstSeq ??= seq;
      lastSeq = seq;
      headSha = recorded;
      previousSha = recorded;
      expected = seq + 1;
      if (counters.checked % 200 === 0 || counters.checked === counters.total) report('checking');
    }
    report('checking');
    if (finder) {
      report('duplicates');
      duplicates = await finder.duplicates(stopIfAborted);
    }
  } finally {
    finder?.close();
  }
  findings.push(...duplicates.map((duplicate) => duplicateFinding(duplicate, batches)));

  let lastAccounted = lastSeq;
  if (options.signed) {
    let lastSigned = 0;
    for (const seq of options.signed.keys()) lastSigned = Math.max(lastSigned, seq);
    if (lastSigned >= expected) {
      findings.push(...missingRange(expected, lastSigned, options.signed));
      lastAccounted = lastSigned;
    }
  }
  if (options.committed) {
    findings.push(
      ...checkAgainstState(options.committed, { lastSeq: lastAccounted, fromSeq, headRecorded, pastHead }),
    );
  }

  // In sequence order, so a report reads along the chain; keys that are not batches come last.
  const ordered = findings
    .map((finding, index) => ({ finding, index }))
    .sort(
      (a, b) =>
        (a.finding.seq ?? Number.MAX_SAFE_INTEGER) - (b.finding.seq ?? Number.MAX_SAFE_INTEGER) ||
        a.index - b.index,
    )
    .map(({ finding }) => finding);

  return {
    source,
    stream,
    location: archive.location,
    streamPrefix: keyPrefix,
    keysListed: counters.listed,
    objectsChecked: counters.checked,
    events: counters.events,
    storedBytes: counters.storedBytes,
    bodyBytes: counters.bodyBytes,
    firstSeq,
    lastSeq,
    headSha256: headSha,
    duplicateCheck: finder ? { ...finder.summary(), withoutUuid } : undefined,
    findings: ordered,
    durationMs: Date.now() - started,
  };
}

/** What reading one object showed, without its body. */
interface Inspection {
  readonly key: string;
  readonly seq: number;
  /** Position in the listing sorted by sequence. */
  readonly index: number;
  /** The object vanished between the listing and the read. */
  readonly gone: boolean;
  readonly metadata: Record<string, string> | undefined;
  readonly metadataError: string | undefined;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  readonly storedBytes: number;
  readonly bodyBytes: number;
  /** SHA-256 of the inflated body; `undefined` when it is not gzip. */
  readonly sha256: string | undefined;
  readonly lines: number;
  /** Each line's top-level `uuid`, when it has a string one; empty when not asked for or not gzip. */
  readonly uuids: Array<string | undefined>;
  readonly firstMs: number | undefined;
  readonly lastMs: number | undefined;
  readonly problems: string[];
}

async function inspect(
  archive: ArchiveSource,
  batch: { seq: number; key: string },
  index: number,
  collectUuids: boolean,
): Promise<Inspection> {
  let object: StoredObject;
  try {
    object = await archive.open(batch.key);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    return {
      ...batch,
      index,
      gone: true,
      metadata: undefined,
      metadataError: undefined,
      contentType: undefined,
      contentEncoding: undefined,
      storedBytes: 0,
      bodyBytes: 0,
      sha256: undefined,
      lines: 0,
      uuids: [],
      firstMs: undefined,
      lastMs: undefined,
      problems: [],
    };
  }
  const scanner = new NdjsonScanner(collectUuids);
  const hash = createHash('sha256');
  let storedBytes = 0;
  let gzipError: string | undefined;
  const chunks: Buffer[] = [];
  const counted = async function* () {
    for await (const chunk of object.body) {
      storedBytes += chunk.byteLength;
      yield chunk;
    }
  };

  // Read up to the small-object limit; most batch objects end there and are inflated in one call.
  const iterator = counted()[Symbol.asyncIterator]();
  let buffered = 0;
  let finished = false;
  while (buffered <= INFLATE_WHOLE_MAX_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      finished = true;
      break;
    }
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    chunks.push(chunk);
    buffered += chunk.length;
  }
  const consume = (inflated: Buffer) => {
    hash.update(inflated);
    scanner.push(inflated);
  };
  try {
    if (finished) {
      const whole = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      consume(whole.length <= INFLATE_INLINE_MAX_BYTES ? gunzipSync(whole) : await gunzip(whole));
    } else {
      const rest = async function* () {
        yield* chunks;
        for (;;) {
          const next = await iterator.next();
          if (next.done) return;
          yield next.value;
        }
      };
      await pipeline(
        Readable.from(rest()),
        createGunzip(),
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            consume(chunk);
            callback();
          },
        }),
      );
    }
  } catch (error) {
    if (!isZlibError(error)) throw error;
    gzipError = (error as Error).message;
  }
  scanner.end();
  return {
    ...batch,
    index,
    gone: false,
    metadata: object.metadata,
    metadataError: object.metadataError,
    contentType: object.contentType,
    contentEncoding: object.contentEncoding,
    storedBytes,
    bodyBytes: scanner.bytes,
    sha256: gzipError === undefined ? hash.digest('hex') : undefined,
    lines: gzipError === undefined ? scanner.lines : 0,
    uuids: gzipError === undefined ? scanner.uuids : [],
    firstMs: scanner.firstMs,
    lastMs: scanner.lastMs,
    problems: gzipError === undefined ? scanner.problems : [`not a valid gzip stream (${gzipError})`],
  };
}

/** Counts NDJSON lines as they stream by, and notes the first few that are not JSON objects. */
class NdjsonScanner {
  lines = 0;
  bytes = 0;
  /** One entry per line when uuids are collected. */
  readonly uuids: Array<string | undefined> = [];
  firstMs: number | undefined;
  lastMs: number | undefined;
  readonly problems: string[] = [];
  private badLines = 0;
  private carry = '';
  // Decodes across chunk boundaries, which may split a multi-byte character.
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly collectUuids: boolean) {}

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    const text = this.carry + this.decoder.write(chunk);
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline === -1) {
        this.carry = text.slice(start);
        return;
      }
      this.line(text.slice(start, newline));
      start = newline + 1;
    }
  }

  end(): void {
    const rest = this.carry + this.decoder.end();
    this.carry = '';
    if (rest === '') return;
    this.line(rest);
    this.problems.push('the body does not end with a newline');
  }

  private line(line: string): void {
    this.lines += 1;
    // Parsing finds the top-level uuid exactly, wherever it is and however many nested objects have one.
    const value = this.parse(line);
    if (this.collectUuids) {
      const uuid = (value as { uuid?: unknown } | undefined)?.uuid;
      this.uuids.push(typeof uuid === 'string' ? uuid : undefined);
    }
    if (value === undefined) return;
    const time = parseRfc3339((value as { timestamp?: unknown }).timestamp);
    if (time === undefined) return;
    if (this.firstMs === undefined || time < this.firstMs) this.firstMs = time;
    if (this.lastMs === undefined || time > this.lastMs) this.lastMs = time;
  }

  private parse(line: string): object | undefined {
    if (line.length === 0) {
      this.bad(`line ${this.lines} is empty`);
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.bad(`line ${this.lines} is not JSON`);
      return undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.bad(`line ${this.lines} is not a JSON object`);
      return undefined;
    }
    return value;
  }

  private bad(problem: string): void {
    this.badLines += 1;
    if (this.badLines <= PROBLEMS_PER_OBJECT) this.problems.push(problem);
    else if (this.badLines === PROBLEMS_PER_OBJECT + 1) this.problems.push('more lines are not JSON objects');
  }
}

/** Everything wrong with one object that its own bytes, its metadata and its predecessor's hash can show. */
function checkObject(
  inspection: Inspection,
  context: { source: string; stream: EventType; previousSha: string | undefined },
): Finding[] {
  const { key, seq } = inspection;
  const at = { key, seq };
  if (inspection.gone) {
    return [{ kind: 'missing', ...at, detail: 'listed, then gone before it could be read' }];
  }
  const findings: Finding[] = [];
  for (const problem of inspection.problems) findings.push({ kind: 'malformed', ...at, detail: problem });
  if (inspection.contentEncoding !== undefined && inspection.contentEncoding !== CONTENT_ENCODING) {
    findings.push({
      kind: 'malformed',
      ...at,
      detail: `Content-Encoding is "${inspection.contentEncoding}", not "${CONTENT_ENCODING}"`,
    });
  }
  if (inspection.contentType !== undefined && inspection.contentType !== CONTENT_TYPE) {
    findings.push({
      kind: 'malformed',
      ...at,
      detail: `Content-Type is "${inspection.contentType}", not "${CONTENT_TYPE}"`,
    });
  }
  const metadata = inspection.metadata;
  if (metadata === undefined || inspection.metadataError !== undefined) {
    findings.push({
      kind: 'malformed',
      ...at,
      detail:
        inspection.metadataError ?? 'the object has no metadata (for a local copy: no .meta.json beside it)',
    });
    return findings;
  }
  const value = (name: string) => metadata[name];
  if (value(MetadataKey.source) !== context.source || value(MetadataKey.stream) !== context.stream) {
    findings.push({
      kind: 'foreign',
      ...at,
      detail: `its metadata names source "${value(MetadataKey.source) ?? '(none)'}", stream "${value(MetadataKey.stream) ?? '(none)'}"`,
    });
  }
  if (value(MetadataKey.seq) !== String(seq)) {
    findings.push({
      kind: 'misplaced',
      ...at,
      detail: `the key says sequence ${seq} but the metadata says ${value(MetadataKey.seq) ?? '(none)'}`,
    });
  }
  const recorded = value(MetadataKey.sha256);
  if (recorded === undefined) {
    findings.push({ kind: 'malformed', ...at, detail: `metadata has no ${MetadataKey.sha256}` });
  } else if (inspection.sha256 !== undefined && inspection.sha256 !== recorded) {
    findings.push({
      kind: 'altered',
      ...at,
      detail: `the body hashes to ${inspection.sha256}, the metadata records ${recorded}`,
    });
  }
  if (inspection.sha256 !== undefined) {
    const count = value(MetadataKey.eventCount);
    if (count !== String(inspection.lines)) {
      findings.push({
        kind: 'altered',
        ...at,
        detail: `the body holds ${inspection.lines} events, the metadata says ${count ?? '(none)'}`,
      });
    }
    const times: Array<[string, number | undefined]> = [
      [MetadataKey.firstEventTime, inspection.firstMs],
      [MetadataKey.lastEventTime, inspection.lastMs],
    ];
    for (const [name, ms] of times) {
      const actual = ms === undefined ? undefined : new Date(ms).toISOString();
      if (value(name) !== actual) {
        findings.push({
          kind: 'altered',
          ...at,
          detail: `${name} is ${value(name) ?? '(none)'} but the events say ${actual ?? '(none)'}`,
        });
      }
    }
  }
  const link = value(MetadataKey.prevSha256);
  if (context.previousSha !== undefined && link !== context.previousSha) {
    findings.push({
      kind: 'broken-link',
      ...at,
      detail:
        `${MetadataKey.prevSha256} is ${link ?? '(none)'} but the previous object records ${context.previousSha}` +
        (seq === 1 ? ' (the first object must name 64 zeros)' : ''),
    });
  }
  return findings;
}

/** Of several objects claiming one sequence number, the one that continues the chain. */
function pickChained(
  group: readonly Inspection[],
  previousSha: string | undefined,
  signed: SignedRef | undefined,
): Inspection {
  // The object a digest signed is the stream's, whatever else was put beside it.
  const signedOne = signed && group.find((inspection) => inspection.key === signed.key && !inspection.gone);
  if (signedOne) return signedOne;
  const sound = (inspection: Inspection) =>
    !inspection.gone &&
    inspection.sha256 !== undefined &&
    inspection.metadata?.[MetadataKey.sha256] === inspection.sha256 &&
    (previousSha === undefined || inspection.metadata?.[MetadataKey.prevSha256] === previousSha);
  return group.find(sound) ?? (group[0] as Inspection);
}

function checkAgainstState(
  committed: CommittedChain,
  seen: {
    lastSeq: number | undefined;
    fromSeq: number;
    headRecorded: string | undefined;
    pastHead: ReadonlyArray<{ seq: number; recorded: string | undefined }>;
  },
): Finding[] {
  const findings: Finding[] = [];
  const committedLast = committed.nextSeq - 1;
  const lastSeq = seen.lastSeq ?? seen.fromSeq - 1;
  if (lastSeq < committedLast) {
    findings.push(
      missing(
        lastSeq + 1,
        committedLast,
        `the state table committed batches up to sequence ${committedLast}; the newest objects are gone`,
      ),
    );
  } else if (
    committedLast >= seen.fromSeq &&
    seen.headRecorded !== undefined &&
    seen.headRecorded !== committed.headSha256
  ) {
    findings.push({
      kind: 'altered',
      seq: committedLast,
      detail: `the state table's chain head is ${committed.headSha256} but object ${committedLast} records ${seen.headRecorded}`,
    });
  }
  const pending = committed.pending;
  for (const { seq, recorded } of seen.pastHead) {
    if (pending?.seq === seq && recorded === pending.sha256) continue;
    findings.push({
      kind: 'uncommitted',
      seq,
      detail:
        pending?.seq === seq
          ? `sequence ${seq} is in flight with body-sha256 ${pending.sha256}, but the object records ${recorded ?? '(none)'}`
          : `past the last batch the state table committed (${committedLast}); the collector did not write it as a batch`,
    });
  }
  return findings;
}

/** A duplicate reported where it first repeats, naming every other line that holds it. */
function duplicateFinding(
  duplicate: DuplicateUuid,
  batches: ReadonlyArray<{ seq: number; key: string }>,
): Finding {
  const copies = duplicate.places.map(({ object, line }): EventCopy => {
    const batch = batches[object] as { seq: number; key: string };
    return { key: batch.key, seq: batch.seq, line };
  });
  const repeat = copies[1] as EventCopy;
  const others = copies.filter((copy) => copy !== repeat).map((copy) => `${copy.key} line ${copy.line}`);
  return {
    kind: 'duplicate',
    key: repeat.key,
    seq: repeat.seq,
    line: repeat.line,
    uuid: duplicate.uuid,
    copies,
    detail: `line ${repeat.line}: event uuid ${JSON.stringify(duplicate.uuid)} is also at ${others.join(', ')}`,
  };
}

/**
 * Sequence numbers `from..to` without an object: each one a digest signed is named by its
 * key (a deleted object), the others in ranges.
 */
function missingRange(
  from: number,
  to: number,
  signed: ReadonlyMap<number, SignedRef> | undefined,
): Finding[] {
  // Only the signed numbers are visited: a gap may span billions of sequence numbers.
  const named = [...(signed?.entries() ?? [])]
    .filter(([seq]) => seq >= from && seq <= to)
    .sort(([a], [b]) => a - b);
  const findings: Finding[] = [];
  let next = from;
  for (const [seq, ref] of named) {
    if (seq > next) findings.push(missing(next, seq - 1, 'no object has these sequence numbers'));
    findings.push({
      kind: 'missing',
      key: ref.key,
      seq,
      detail: `signed by digest ${ref.digestKey} (body-sha256 ${ref.sha256}), and no longer in the archive`,
    });
    next = seq + 1;
  }
  if (next <= to) findings.push(missing(next, to, 'no object has these sequence numbers'));
  return findings;
}

/** The object against what a digest signed for its sequence number. */
function checkSigned(inspection: Inspection, ref: SignedRef): Finding[] {
  const at = { key: inspection.key, seq: inspection.seq };
  if (inspection.gone) return [];
  if (inspection.key !== ref.key) {
    return [
      {
        kind: 'foreign',
        ...at,
        detail: `digest ${ref.digestKey} signed ${ref.key} for sequence ${inspection.seq}, not this key`,
      },
      {
        kind: 'missing',
        key: ref.key,
        seq: inspection.seq,
        detail: `signed by digest ${ref.digestKey} (body-sha256 ${ref.sha256}), and no longer in the archive`,
      },
    ];
  }
  if (inspection.sha256 !== ref.sha256) {
    return [
      {
        kind: 'altered',
        ...at,
        detail: `the body hashes to ${inspection.sha256 ?? '(not gzip)'}, digest ${ref.digestKey} signed ${ref.sha256}: the object was changed after it was signed`,
      },
    ];
  }
  return [];
}

function missing(from: number, to: number, why: string): Finding {
  const count = to - from + 1;
  return {
    kind: 'missing',
    seq: from,
    ...(to > from ? { toSeq: to } : {}),
    detail: `${count === 1 ? `sequence ${from}` : `sequences ${from}–${to} (${count} objects)`}: ${why}`,
  };
}

/** Results of `fn` over `items`, at most `limit` running at once, yielded in the order of `items`. */
async function* inOrder<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): AsyncGenerator<R> {
  type Settled = { ok: true; value: R } | { ok: false; error: unknown };
  const running: Array<Promise<Settled>> = [];
  let next = 0;
  const start = () => {
    const index = next++;
    // Settled at once so that a failure waiting in the queue is never an unhandled rejection.
    running.push(
      fn(items[index] as T, index).then(
        (value): Settled => ({ ok: true, value }),
        (error: unknown): Settled => ({ ok: false, error }),
      ),
    );
  };
  while (next < items.length && running.length < Math.max(1, limit)) start();
  while (running.length > 0) {
    const settled = await (running.shift() as Promise<Settled>);
    if (!settled.ok) throw settled.error;
    if (next < items.length) start();
    yield settled.value;
  }
}

async function* groupBySeq(inspections: AsyncIterable<Inspection>): AsyncGenerator<Inspection[]> {
  let group: Inspection[] = [];
  for await (const inspection of inspections) {
    if (group.length > 0 && group[0]?.seq !== inspection.seq) {
      yield group;
      group = [];
    }
    group.push(inspection);
  }
  if (group.length > 0) yield group;
}

function isNotFound(error: unknown): boolean {
  const candidate = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  return (
    candidate?.code === 'ENOENT' ||
    candidate?.name === 'NoSuchKey' ||
    candidate?.$metadata?.httpStatusCode === 404
  );
}

function isZlibError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}
