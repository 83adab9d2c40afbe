import { BatchBuilder } from '../shared/archive/batch';
import { batchKey, streamPrefix } from '../shared/archive/format';
import { type ArchiveStore, KeyOccupiedError, writeOutcomeUnknown } from '../shared/archive/writer';
import {
  ArchiveWriteError,
  ConfigError,
  describeError,
  type EventsApiError,
  IntegrityError,
  LeaseLostError,
  RequestRejectedError,
} from '../shared/errors';
import type { EventType } from '../shared/event-types';
import { OutOfTimeError, type PageRequest } from '../shared/events-api/client';
import type { Page } from '../shared/events-api/schemas';
import type { StreamRhythm } from '../shared/liveness/rhythm';
import type { LoadedRhythm, RhythmStore } from '../shared/liveness/rhythm-store';
import type { Log } from '../shared/observability';
import {
  type BatchIntent,
  type CursorReset,
  StaleWriteError,
  type StateStore,
  type StreamState,
} from '../shared/state-store';
import { DAY_MS, parseRfc3339, RETENTION_MS, utcDate } from '../shared/time';

/** The part of the Events API client a stream needs. */
export interface PageSource {
  readonly baseUrl: string;
  fetchPage(stream: EventType, request: PageRequest, deadline: number): Promise<Page>;
}

export interface StreamRunSettings {
  readonly source: string;
  readonly stream: EventType;
  /** The state item holding this stream's lease and cursor (normally {@link streamKey}). */
  readonly stateKey: string;
  /** Identifies this invocation in the lease. */
  readonly owner: string;
  readonly archivePrefix: string;
  /** Where a stream with no cursor starts (epoch ms). */
  readonly startFrom: number;
  /** Where a bounded collection (a backfill) ends (epoch ms, exclusive); unbounded by default. */
  readonly endTime?: number;
  /** No new request starts after this instant (epoch ms). */
  readonly fetchDeadline: number;
  /** When the lease lapses if this invocation dies without releasing it (epoch ms). */
  readonly leaseExpiresAt: number;
  readonly batchMaxEvents: number;
  readonly batchMaxBytes: number;
  /** Consecutive empty pages with `has_more: true` after which the run stops polling. */
  readonly maxEmptyPagesInARow?: number;
  /**
   * No write starts, and AWS calls in flight are aborted, this long before the lease lapses.
   * @default DEFAULT_LEASE_SAFETY_MS (30 s)
   */
  readonly leaseSafetyMs?: number;
  /**
   * How far before its newest archived event a stream restarts when the API refuses its cursor.
   * @default DEFAULT_RESET_OVERLAP_MS (2 days)
   */
  readonly resetOverlapMs?: number;
  /** Learn the stream's rhythm from the events it archives (the live stream, not a backfill). */
  readonly learnRhythm?: boolean;
}

export interface StreamCollaborators {
  readonly api: PageSource;
  readonly state: StateStore;
  readonly archive: ArchiveStore;
  readonly log: Log;
  readonly now: () => number;
  /** Where rhythms are kept; needed with {@link StreamRunSettings.learnRhythm}. */
  readonly rhythms?: RhythmStore;
}

export type StreamStatus = 'ok' | 'skipped' | 'failed';

/** What one stream did in one run: returned by the handler and logged. */
export interface StreamSummary {
  readonly stream: EventType;
  readonly status: StreamStatus;
  readonly eventsArchived: number;
  readonly objectsWritten: number;
  readonly pages: number;
  /** Newest event time archived in this run (ISO 8601), if any. */
  readonly newestEventTime: string | undefined;
  /** The API said `has_more: false`: nothing was left to fetch when the run ended. */
  readonly caughtUp: boolean;
  readonly invalidEvents: number;
  /** 1 when the API refused the stored cursor and the stream restarted from a time. */
  readonly cursorResets: number;
  /** Events the API served again after a cursor reset that the archive already held: dropped, not archived twice. */
  readonly duplicatesDropped: number;
  readonly throttles: number;
  readonly errorsByKind: Map<EventsApiError['kind'], number>;
  /** Item usage by action, sign-ins by category, audit events by action. */
  readonly counts: Record<string, number>;
  readonly firstSeq: number | undefined;
  readonly lastSeq: number | undefined;
  /**
   * When the stream last archived events (its last commit), or, if it never has, when its
   * first run began: the drop-off alarm measures the time since. `undefined` when the run
   * did not get the lease.
   */
  readonly lastArchivedAt: string | undefined;
  /** The stream's rhythm as learned up to this run; absent when not learned or not readable. */
  readonly rhythm: StreamRhythm | undefined;
  readonly error: Error | undefined;
  readonly reason: string | undefined;
}

const DEFAULT_MAX_EMPTY_PAGES_IN_A_ROW = 5;

/** No write starts, and every AWS call in flight is aborted, once the lease has less than this to run. */
export const DEFAULT_LEASE_SAFETY_MS = 30_000;

/**
 * How far before the newest archived event a stream restarts when the API refuses its cursor:
 * item usage arrives up to a day late, so two days cover what the refused cursor had not yet served.
 */
export const DEFAULT_RESET_OVERLAP_MS = 2 * DAY_MS;

/** How often the lease's signal compares the wall clock with the lease's end. */
const FENCE_CHECK_MS = 1_000;

/** A restart is asked this far inside the API's retention, so the request still falls within it when it arrives. */
const RETENTION_SLACK_MS = 10 * 60_000;

/** An earlier run's stalled write landed under the batch's key and was adopted; this run's fetched batch is void. */
class LateWriteAdopted extends Error {
  override readonly name = 'LateWriteAdopted';
}

/**
 * Runs one stream once: lease, recovery of an interrupted batch, paging, and batches
 * written with the three-step protocol that makes every event land exactly once:
 *
 *   1. record the intended batch (seq, key, hash, cursor before and after it) in the state item;
 *   2. write the object;
 *   3. commit: move the cursor, sequence and hash chain, and clear the intent.
 *
 * Each step is a conditional write fenced by the lease, and every AWS call is aborted when the
 * lease is about to lapse. A run that finds an intent left by another run commits it if its
 * object exists (with the intended hash); if not, it abandons the intent, which keeps the
 * sequence number's key, and fetches the same events again from the unchanged cursor. Should
 * the abandoned write land after all, the key holds a batch the protocol recorded, which is
 * adopted in place of the new one. A write whose outcome is unknown keeps the intent and the
 * lease, so no other run writes that sequence number until the write has settled.
 */
export class StreamCollector {
  private state!: StreamState;
  private eventsArchived = 0;
  private objectsWritten = 0;
  private pages = 0;
  private invalidEvents = 0;
  private cursorResets = 0;
  private duplicatesDropped = 0;
  private newestMs: number | undefined;
  private firstSeq: number | undefined;
  private lastSeq: number | undefined;
  /** A write failed in a way that may still create the object: the lease must not be released. */
  private writeInDoubt = false;
  private fence!: LeaseFence;
  private rhythm: LoadedRhythm | undefined;
  private rhythmChanged = false;
  private readonly observeTime = (ms: number) => {
    if (this.rhythm?.rhythm.observe(ms)) this.rhythmChanged = true;
  };
  private readonly counts: Record<string, number> = {};
  readonly errorsByKind = new Map<EventsApiError['kind'], number>();
  throttles = 0;

  constructor(
    private readonly settings: StreamRunSettings,
    private readonly deps: StreamCollaborators,
  ) {}

  /** Told by the API client about every failed attempt for this stream. */
  recordApiError(error: EventsApiError): void {
    this.errorsByKind.set(error.kind, (this.errorsByKind.get(error.kind) ?? 0) + 1);
    if (error.kind === 'rate_limited') this.throttles += 1;
  }

  /** Runs the stream once. Never throws: a failure is reported in the summary. */
  async run(): Promise<StreamSummary> {
    const { state, now, log } = this.deps;
    const { source, stream, owner } = this.settings;
    this.fence = new LeaseFence(
      this.settings.leaseExpiresAt - (this.settings.leaseSafetyMs ?? DEFAULT_LEASE_SAFETY_MS),
      now,
      `source ${source}, stream ${stream}`,
    );
    try {
      let lease: Awaited<ReturnType<StateStore['acquireLease']>>;
      try {
        lease = await state.acquireLease(
          this.settings.stateKey,
          source,
          stream,
          owner,
          this.settings.leaseExpiresAt,
          now(),
          this.fence.signal,
        );
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        return this.summary(
          'failed',
          false,
          failure,
          `could not take the stream's lease: ${failure.message}`,
        );
      }
      if (!lease.acquired) {
        const until = lease.until === undefined ? 'unknown' : new Date(lease.until).toISOString();
        const reason = `another invocation (${lease.heldBy ?? 'unknown'}) holds the stream's lease until ${until}`;
        log.info('stream skipped', { source, stream, reason });
        return this.summary('skipped', false, undefined, reason);
      }
      this.state = lease.state;
      await this.loadRhythm();

      let caughtUp = false;
      let failure: Error | undefined;
      try {
        await this.recoverPendingBatch();
        this.checkApiHost();
        caughtUp = await this.collect();
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
      }
      await this.saveRhythm();
      try {
        await state.finishRun(
          this.state,
          owner,
          { ...(failure ? { error: describeError(failure) } : {}), keepLease: this.writeInDoubt },
          now(),
        );
      } catch (error) {
        log.warn('could not release the lease; it lapses on its own', {
          source,
          stream,
          error: describeError(error),
        });
      }
      return this.summary(failure ? 'failed' : 'ok', caughtUp, failure, failure?.message);
    } finally {
      this.fence.dispose();
    }
  }

  /**
   * Reads the stream's rhythm and resumes it from the newest event archived. A rhythm that
   * cannot be read costs the run nothing but its verdict, which falls back to the fixed window.
   */
  private async loadRhythm(): Promise<void> {
    const { rhythms, log } = this.deps;
    const { source, stream, learnRhythm } = this.settings;
    if (!learnRhythm || !rhythms) return;
    try {
      const loaded = await rhythms.load(source, stream, this.fence.signal);
      loaded.rhythm.resumeAfter(parseRfc3339(this.state.newestEventTime));
      this.rhythm = loaded;
    } catch (error) {
      log.warn('could not read the stream rhythm; this run judges drop-off by the fixed window', {
        source,
        stream,
        error: describeError(error),
      });
    }
  }

  /** Writes the rhythm if a slot changed; a failed write loses a few minutes of learning, nothing else. */
  private async saveRhythm(): Promise<void> {
    const { rhythms, log, now } = this.deps;
    const { source, stream } = this.settings;
    if (!this.rhythm || !this.rhythmChanged || !rhythms) return;
    try {
      const saved = await rhythms.save(source, stream, this.rhythm, now(), this.fence.signal);
      if (!saved)
        log.info('another run wrote the stream rhythm first; keeping its version', { source, stream });
    } catch (error) {
      log.warn('could not write the stream rhythm', { source, stream, error: describeError(error) });
    }
  }

  /**
   * Settles the batch another run left between steps 1 and 3: commits it if its object is
   * there, adopts an abandoned intent whose late write is there instead, and abandons it if
   * the key is empty.
   */
  private async recoverPendingBatch(): Promise<void> {
    const intent = this.state.pending;
    if (!intent) return;
    const { archive, state, log, now } = this.deps;
    const { source, stream, owner } = this.settings;
    const { signal } = this.fence;
    const stored = await archive.find(intent.key, signal);
    if (stored === undefined) {
      log.info('abandoning a batch an earlier run recorded but did not write; its events are fetched again', {
        source,
        stream,
        seq: intent.seq,
        key: intent.key,
      });
      this.state = await this.fenced(() => state.abandonIntent(this.state, owner, intent, signal));
      return;
    }
    const written = stored.sha256 === intent.sha256 ? intent : this.adoptable(stored.sha256);
    if (written === undefined) throw this.foreignObject(intent.key, stored.sha256);
    log.info(
      written === intent
        ? 'committing a batch that an earlier run wrote but did not commit'
        : 'adopting a batch that an earlier run wrote late, after its intent was abandoned',
      { source, stream, seq: written.seq, key: written.key },
    );
    this.state = await this.fenced(() => state.commitBatch(this.state, owner, written, now(), signal));
    this.countCommitted(written);
  }

  /** The abandoned intent of the next sequence number whose object has this hash, if it started from the stored cursor. */
  private adoptable(sha256: string | undefined): BatchIntent | undefined {
    return this.state.abandoned.find(
      (candidate) => candidate.sha256 === sha256 && candidate.cursorBefore === this.state.cursor,
    );
  }

  /**
   * A cursor belongs to the host that minted it; refuse to send it anywhere else. A stream is
   * bound to a host only with its first committed cursor, so a failed first run on a wrong
   * host binds nothing, and a stream with no cursor yet may move to another host.
   */
  private checkApiHost(): void {
    const { api } = this.deps;
    const { apiUrl, cursor } = this.state;
    if (cursor === undefined || apiUrl === undefined || apiUrl === api.baseUrl) return;
    throw new ConfigError(
      `source ${this.settings.source}, stream ${this.settings.stream}: its cursor came from ${apiUrl} but the ` +
        `collector now talks to ${api.baseUrl}. A cursor is only valid on its own host: restore EVENTS_API_URL, ` +
        'or give the new 1Password account its own source.',
    );
  }

  /** The first request of the run: the stored cursor, the restart of a cursor reset, or the start time. */
  private firstRequest(): PageRequest {
    const { startFrom, endTime } = this.settings;
    const bounded = endTime === undefined ? {} : { endTime };
    const reset = this.state.cursorReset;
    if (reset !== undefined && reset.fromCursorVersion === this.state.cursorVersion) {
      return { startTime: Date.parse(reset.restartFrom), ...bounded };
    }
    if (this.state.cursor !== undefined) return { cursor: this.state.cursor };
    return { startTime: startFrom, ...bounded };
  }

  /** Pages until caught up or out of time; returns whether the API said there is no more. */
  private async collect(): Promise<boolean> {
    const { api, now } = this.deps;
    const { stream, fetchDeadline, batchMaxEvents, batchMaxBytes } = this.settings;
    const maxEmpty = this.settings.maxEmptyPagesInARow ?? DEFAULT_MAX_EMPTY_PAGES_IN_A_ROW;
    let request = this.firstRequest();
    let cursor = this.state.cursor;
    // While the stream recovers from a refused cursor: the uuids it had already archived.
    let archived = this.state.cursorReset ? await this.archivedSince(this.state.cursorReset) : undefined;
    let batch = new BatchBuilder(stream, batchMaxEvents, batchMaxBytes, this.observeTime);
    let writing: Promise<void> = Promise.resolve();
    let writeFailure: unknown;
    let fetchFailure: unknown;
    let emptyInARow = 0;
    let caughtUp = false;

    const flush = async (full: BatchBuilder, cursorAfter: string): Promise<void> => {
      // One batch is written while the next is fetched; a second waits for the first,
      // so batches commit in order and at most two are held in memory.
      await writing;
      if (writeFailure !== undefined) return;
      writing = this.writeBatch(full, cursorAfter).catch((error: unknown) => {
        writeFailure ??= error;
      });
    };

    try {
      while (now() < fetchDeadline && writeFailure === undefined) {
        let page: Page;
        try {
          page = await api.fetchPage(stream, request, fetchDeadline);
        } catch (error) {
          if (error instanceof OutOfTimeError) break;
          if (!isRefusedCursor(error, request)) throw error;
          // What arrived with cursors the API accepted is archived first; the restart goes on from there.
          if (batch.eventCount > 0 && cursor !== undefined) await flush(batch, cursor);
          batch = new BatchBuilder(stream, batchMaxEvents, batchMaxBytes, this.observeTime);
          await writing;
          if (writeFailure !== undefined) break;
          if (this.cursorResets > 0) throw this.refusedAgain(error);
          const reset = await this.resetCursor(error);
          archived = await this.archivedSince(reset);
          request = this.firstRequest();
          cursor = this.state.cursor;
          continue;
        }
        this.pages += 1;
        page.items.forEach((item, index) => {
          const uuid = (item as { uuid?: unknown } | null)?.uuid;
          if (archived !== undefined && typeof uuid === 'string') {
            if (archived.has(uuid)) {
              this.duplicatesDropped += 1;
              return;
            }
            archived.add(uuid);
          }
          batch.add(item, page.lines[index]);
        });
        if (page.reserialized) batch.markReserialized();
        cursor = page.cursor;
        request = { cursor };
        if (batch.full) {
          await flush(batch, cursor);
          batch = new BatchBuilder(stream, batchMaxEvents, batchMaxBytes, this.observeTime);
        }
        if (!page.has_more) {
          caughtUp = true;
          break;
        }
        emptyInARow = page.items.length === 0 ? emptyInARow + 1 : 0;
        if (emptyInARow >= maxEmpty) {
          // The API may say has_more and then have nothing; do not spend the request budget on it.
          caughtUp = true;
          break;
        }
      }
    } catch (error) {
      fetchFailure = error;
    }
    // Whatever was fetched before a stop or an error is written and committed, so the next
    // run resumes from the last page that arrived whole.
    if (batch.eventCount > 0 && cursor !== undefined) await flush(batch, cursor);
    await writing;
    if (writeFailure instanceof LateWriteAdopted) return false;
    if (writeFailure !== undefined) throw writeFailure;
    if (fetchFailure !== undefined) throw fetchFailure;

    const endReset = caughtUp && this.state.cursorReset !== undefined;
    const { signal } = this.fence;
    if (cursor !== undefined && cursor !== this.state.cursor) {
      const moved = cursor;
      this.state = await this.fenced(() =>
        this.deps.state.advanceCursor(this.state, this.settings.owner, moved, api.baseUrl, {
          endReset,
          signal,
        }),
      );
    } else if (endReset) {
      this.state = await this.fenced(() =>
        this.deps.state.endCursorReset(this.state, this.settings.owner, signal),
      );
    }
    if (endReset) {
      this.deps.log.info('stream caught up after a cursor reset', {
        source: this.settings.source,
        stream,
        duplicatesDropped: this.duplicatesDropped,
      });
    }
    return caughtUp;
  }

  /**
   * The API refused the stored cursor (it expired, or was lost on 1Password's side). The
   * stream restarts from its newest archived event minus an overlap that covers late
   * arrivals, and drops every event it had already archived, so nothing is lost and nothing
   * doubled; only events older than the API's retention can no longer be fetched.
   */
  private async resetCursor(error: RequestRejectedError): Promise<CursorReset> {
    const { now, log, state } = this.deps;
    const { source, stream, owner, stateKey, startFrom, endTime } = this.settings;
    const at = now();
    const overlapMs = this.settings.resetOverlapMs ?? DEFAULT_RESET_OVERLAP_MS;
    const newest = parseRfc3339(this.state.newestEventTime);
    const wanted = newest === undefined ? startFrom : newest - overlapMs;
    const retained = at - RETENTION_MS + RETENTION_SLACK_MS;
    // A bounded collection (a backfill) never restarts before its own start.
    const floor = endTime === undefined ? retained : Math.max(retained, startFrom);
    const restart = Math.max(wanted, floor);
    const lost = newest !== undefined && newest < floor;
    const reset: CursorReset = {
      restartFrom: new Date(restart).toISOString(),
      sinceDate: utcDate(restart),
      at: new Date(at).toISOString(),
      fromCursorVersion: this.state.cursorVersion,
      ...(lost ? { lostFrom: new Date(newest).toISOString(), lostUntil: new Date(floor).toISOString() } : {}),
    };
    this.state = await this.fenced(() => state.startCursorReset(this.state, owner, reset, this.fence.signal));
    this.cursorResets += 1;
    log.warn('stream cursor reset', {
      source,
      stream,
      stateKey,
      status: error.status,
      restartFrom: reset.restartFrom,
      overlapHours: overlapMs / 3_600_000,
      newestArchivedEventTime: this.state.newestEventTime,
      ...(lost
        ? {
            lostFrom: reset.lostFrom,
            lostUntil: reset.lostUntil,
            loss:
              'events between lostFrom and lostUntil that the refused cursor had not served are older than the ' +
              "Events API's 120-day retention and cannot be fetched again",
          }
        : {}),
      what:
        'The Events API refused the stored cursor. The stream restarts from restartFrom and drops every event it ' +
        'has already archived (by uuid), until it has caught up. Nothing to do unless a loss window is given.',
    });
    return reset;
  }

  /** The uuids the stream archived from the reset's restart day on. */
  private async archivedSince(reset: CursorReset): Promise<Set<string>> {
    const { source, stream, archivePrefix } = this.settings;
    return this.deps.archive.archivedUuids(
      streamPrefix(archivePrefix, source, stream),
      reset.sinceDate,
      this.fence.signal,
    );
  }

  private refusedAgain(error: RequestRejectedError): RequestRejectedError {
    const { source, stream, stateKey } = this.settings;
    return new RequestRejectedError(
      `source ${source}, stream ${stream}: the Events API refused the stream's cursor again right after a cursor ` +
        `reset in the same run (HTTP ${error.status}). The stream keeps its archived batches and its state item ` +
        `pk="${stateKey}"; the next run tries again. If this repeats, see README §Operate, "Cursor reset".`,
      { cause: error, ...(error.status === undefined ? {} : { status: error.status }) },
    );
  }

  private async writeBatch(batch: BatchBuilder, cursorAfter: string): Promise<void> {
    const { archive, api, state, now, log } = this.deps;
    const { source, stream, owner, archivePrefix } = this.settings;
    const { signal } = this.fence;
    const sealed = await batch.seal();
    const seq = this.state.nextSeq;
    // A sequence number keeps the key of its first intent: an abandoned write may still land there.
    const key = this.state.abandoned[0]?.key ?? batchKey(archivePrefix, source, stream, utcDate(now()), seq);
    const intent: BatchIntent = {
      seq,
      key,
      cursorAfter,
      ...(this.state.cursor === undefined ? {} : { cursorBefore: this.state.cursor }),
      apiUrl: api.baseUrl,
      sha256: sealed.sha256,
      eventCount: sealed.eventCount,
      newestEventTime: sealed.lastEventTime,
      createdAt: new Date(now()).toISOString(),
    };
    await this.fenced(() => state.recordIntent(this.state, owner, intent, signal));
    this.state = { ...this.state, pending: intent };
    // Past this point another invocation may take the stream over; an object written now
    // could race its batch of the same number. Leave the intent: the next run resolves it.
    this.fence.throwIfLapsed(`batch ${seq} was not written`);
    try {
      await archive.put(
        { key, source, stream, seq, prevSha256: this.state.prevSha256, batch: sealed },
        signal,
      );
    } catch (error) {
      await this.writeFailed(intent, error);
    }
    this.state = await this.fenced(() => state.commitBatch(this.state, owner, intent, now(), signal));
    this.countCommitted(intent);
    this.invalidEvents += batch.invalidCount;
    for (const [label, count] of batch.counts) this.counts[label] = (this.counts[label] ?? 0) + count;
    if (
      batch.newestEventMs !== undefined &&
      (this.newestMs === undefined || batch.newestEventMs > this.newestMs)
    ) {
      this.newestMs = batch.newestEventMs;
    }
    if (batch.invalidCount > 0) {
      log.warn('archived events that do not match the event schema', {
        source,
        stream,
        seq,
        count: batch.invalidCount,
        examples: batch.invalid,
      });
    }
    log.debug('batch committed', { source, stream, seq, key, events: intent.eventCount });
  }

  /** Decides what a failed write means for the intent; always throws. */
  private async writeFailed(intent: BatchIntent, error: unknown): Promise<never> {
    const { state, now, log } = this.deps;
    const { source, stream, owner } = this.settings;
    const where = `source ${source}, stream ${stream}`;
    if (error instanceof KeyOccupiedError) {
      const adopted = this.adoptable(error.existingSha256);
      if (adopted !== undefined) {
        log.info('adopting a batch that an earlier run wrote late, after its intent was abandoned', {
          source,
          stream,
          seq: adopted.seq,
          key: adopted.key,
        });
        this.state = await this.fenced(() =>
          state.commitBatch(this.state, owner, adopted, now(), this.fence.signal),
        );
        this.countCommitted(adopted);
        throw new LateWriteAdopted(`batch ${adopted.seq} adopted`);
      }
      this.fence.throwIfLapsed(`batch ${intent.seq}'s key was taken meanwhile`);
      throw this.foreignObject(intent.key, error.existingSha256, error);
    }
    if (writeOutcomeUnknown(error) || this.fence.signal.aborted) {
      this.writeInDoubt = true;
      throw new ArchiveWriteError(
        `${where}: the write of batch ${intent.seq} (${intent.key}) did not complete and may still land ` +
          `(${describeError(error)}). Its intent and the stream's lease stay, so no other run writes that batch ` +
          'before the lease lapses; the next run then commits the object if it landed, or fetches the events again.',
        { cause: error },
      );
    }
    // S3 refused the write outright: nothing can land, and the intent can go.
    this.state = await this.fenced(() => state.discardIntent(this.state, owner, intent, this.fence.signal));
    throw new ArchiveWriteError(
      `${where}: S3 refused the write of batch ${intent.seq} (${describeError(error)}); nothing was written and the ` +
        'cursor did not move. Check the collector role and the bucket policy (README §Operate, "Collector errors").',
      { cause: error },
    );
  }

  /** The key of the batch holds an object that no intent of this stream recorded. */
  private foreignObject(key: string, sha256: string | undefined, cause?: unknown): IntegrityError {
    const { source, stream } = this.settings;
    return new IntegrityError(
      `source ${source}, stream ${stream}: the archive object ${key} holds body-sha256 ${sha256 ?? '(none)'}, which ` +
        'no batch of this stream recorded. The stream stopped without writing, so nothing was overwritten or ' +
        'skipped; run `verify` on it and see README §Operate.',
      cause === undefined ? undefined : { cause },
    );
  }

  private countCommitted(intent: BatchIntent): void {
    this.eventsArchived += intent.eventCount;
    this.objectsWritten += 1;
    this.firstSeq ??= intent.seq;
    this.lastSeq = intent.seq;
  }

  /** Turns a failed fencing condition into the error that says what happened. */
  private async fenced<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (error instanceof StaleWriteError) {
        throw new LeaseLostError(
          `source ${this.settings.source}, stream ${this.settings.stream}: ${error.message}. This run stopped; ` +
            'what it committed stays, and the invocation holding the stream goes on from there.',
          { cause: error },
        );
      }
      throw error;
    }
  }

  private summary(
    status: StreamStatus,
    caughtUp: boolean,
    error: Error | undefined,
    reason: string | undefined,
  ): StreamSummary {
    return {
      stream: this.settings.stream,
      status,
      eventsArchived: this.eventsArchived,
      objectsWritten: this.objectsWritten,
      pages: this.pages,
      newestEventTime: this.newestMs === undefined ? undefined : new Date(this.newestMs).toISOString(),
      caughtUp,
      invalidEvents: this.invalidEvents,
      cursorResets: this.cursorResets,
      duplicatesDropped: this.duplicatesDropped,
      throttles: this.throttles,
      errorsByKind: this.errorsByKind,
      counts: this.counts,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
      // `state` is unset when the lease was not taken.
      lastArchivedAt:
        (this.state as StreamState | undefined) && (this.state.lastCommitAt ?? this.state.firstRunAt),
      rhythm: this.rhythm?.rhythm,
      error,
      reason,
    };
  }
}

/** A 400 to a cursor request: the API no longer accepts the cursor (expired, or lost on its side). */
function isRefusedCursor(error: unknown, request: PageRequest): error is RequestRejectedError {
  return error instanceof RequestRejectedError && error.status === 400 && 'cursor' in request;
}

/**
 * The lease, seen from the run that holds it: an AbortSignal that fires when the lease is
 * about to lapse, which every AWS call of the run carries, and a check before each write.
 * Both read the run's wall clock: timers run on a monotonic clock that stands still while a
 * laptop sleeps, so the signal is re-armed at least every second and compares real instants.
 */
class LeaseFence {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly lapsesAt: number,
    private readonly now: () => number,
    private readonly what: string,
  ) {
    this.arm();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  throwIfLapsed(consequence: string): void {
    if (this.now() >= this.lapsesAt || this.controller.signal.aborted) {
      throw this.lapsedError(consequence);
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
  }

  private arm(): void {
    const left = this.lapsesAt - this.now();
    if (left <= 0) {
      this.controller.abort(this.lapsedError('its AWS calls were aborted'));
      return;
    }
    this.timer = setTimeout(() => this.arm(), Math.min(left, FENCE_CHECK_MS));
    this.timer.unref();
  }

  private lapsedError(consequence: string): LeaseLostError {
    return new LeaseLostError(
      `${this.what}: the lease was about to lapse, so ${consequence}. What was committed stays; the intent ` +
        'left behind is settled by the next run.',
    );
  }
}
