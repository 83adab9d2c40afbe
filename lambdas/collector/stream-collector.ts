import { batchKey } from '../shared/archive-format';
import type { ArchiveStore } from '../shared/archive-writer';
import { BatchBuilder } from '../shared/batch';
import {
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
import type { Log } from '../shared/observability';
import { type BatchIntent, StaleWriteError, type StateStore, type StreamState } from '../shared/state-store';
import { utcDate } from '../shared/time';

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
}

export interface StreamCollaborators {
  readonly api: PageSource;
  readonly state: StateStore;
  readonly archive: ArchiveStore;
  readonly log: Log;
  readonly now: () => number;
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
  readonly throttles: number;
  readonly errorsByKind: Map<EventsApiError['kind'], number>;
  /** Item usage by action, sign-ins by category, audit events by action. */
  readonly counts: Record<string, number>;
  readonly firstSeq: number | undefined;
  readonly lastSeq: number | undefined;
  readonly error: Error | undefined;
  readonly reason: string | undefined;
}

const DEFAULT_MAX_EMPTY_PAGES_IN_A_ROW = 5;

/** An object is only written while the lease has at least this long to run. */
const LEASE_SAFETY_MS = 30_000;

/**
 * Runs one stream once: lease, recovery of an interrupted batch, paging, and batches
 * written with the three-step protocol that makes every event land exactly once:
 *
 *   1. record the intended batch (seq, key, hash, cursor after it) in the state item;
 *   2. write the object;
 *   3. commit: move the cursor, sequence and hash chain, and clear the intent.
 *
 * Each step is a conditional write fenced by the lease. A run that finds an intent left by
 * a crash commits it if its object exists (with the intended hash) and drops it otherwise;
 * since the cursor only moves in step 3, a dropped batch is fetched again from the same
 * cursor. While one batch is written the next one is fetched.
 */
export class StreamCollector {
  private state!: StreamState;
  private eventsArchived = 0;
  private objectsWritten = 0;
  private pages = 0;
  private invalidEvents = 0;
  private newestMs: number | undefined;
  private firstSeq: number | undefined;
  private lastSeq: number | undefined;
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
    let lease: Awaited<ReturnType<StateStore['acquireLease']>>;
    try {
      lease = await state.acquireLease(
        this.settings.stateKey,
        source,
        stream,
        owner,
        this.settings.leaseExpiresAt,
        now(),
      );
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      return this.summary('failed', false, failure, `could not take the stream's lease: ${failure.message}`);
    }
    if (!lease.acquired) {
      const until = lease.until === undefined ? 'unknown' : new Date(lease.until).toISOString();
      const reason = `another invocation (${lease.heldBy ?? 'unknown'}) holds the stream's lease until ${until}`;
      log.info('stream skipped', { source, stream, reason });
      return this.summary('skipped', false, undefined, reason);
    }
    this.state = lease.state;

    let caughtUp = false;
    let failure: Error | undefined;
    try {
      await this.recoverPendingBatch();
      this.state = await this.checkApiHost();
      caughtUp = await this.collect();
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    try {
      await state.finishRun(this.state, owner, failure ? { error: describeError(failure) } : {}, now());
    } catch (error) {
      log.warn('could not release the lease; it lapses on its own', {
        source,
        stream,
        error: describeError(error),
      });
    }
    return this.summary(failure ? 'failed' : 'ok', caughtUp, failure, failure?.message);
  }

  /** Finishes or drops the batch an interrupted run left between steps 1 and 3. */
  private async recoverPendingBatch(): Promise<void> {
    const intent = this.state.pending;
    if (!intent) return;
    const { archive, state, log, now } = this.deps;
    const stored = await archive.find(intent.key);
    if (stored === undefined) {
      log.info('dropping an unwritten batch left by an interrupted run; its events are fetched again', {
        source: this.settings.source,
        stream: this.settings.stream,
        seq: intent.seq,
      });
      this.state = await this.fenced(() => state.discardIntent(this.state, this.settings.owner, intent));
      return;
    }
    if (stored.sha256 !== intent.sha256) {
      throw new IntegrityError(
        `source ${this.settings.source}, stream ${this.settings.stream}: the archive object ${intent.key} of an ` +
          `interrupted batch has body-sha256 ${stored.sha256 ?? '(none)'} but the batch recorded ${intent.sha256}. ` +
          'The stream stopped without writing; run `verify` on it and see README §Operate.',
      );
    }
    log.info('committing a batch that an interrupted run wrote but did not commit', {
      source: this.settings.source,
      stream: this.settings.stream,
      seq: intent.seq,
    });
    this.state = await this.fenced(() => state.commitBatch(this.state, this.settings.owner, intent, now()));
    this.countCommitted(intent);
  }

  /** A cursor belongs to the host that minted it; refuse to send it anywhere else. */
  private async checkApiHost(): Promise<StreamState> {
    const { api, state } = this.deps;
    if (this.state.apiUrl === undefined) {
      return this.fenced(() => state.bindApiUrl(this.state, this.settings.owner, api.baseUrl));
    }
    if (this.state.apiUrl !== api.baseUrl && this.state.cursor !== undefined) {
      throw new ConfigError(
        `source ${this.settings.source}, stream ${this.settings.stream}: its cursor came from ${this.state.apiUrl} but the ` +
          `collector now talks to ${api.baseUrl}. A cursor is only valid on its own host: restore EVENTS_API_URL, ` +
          'or give the new 1Password account its own source.',
      );
    }
    return this.state;
  }

  /** Pages until caught up or out of time; returns whether the API said there is no more. */
  private async collect(): Promise<boolean> {
    const { api, now } = this.deps;
    const { stream, fetchDeadline, batchMaxEvents, batchMaxBytes } = this.settings;
    const maxEmpty = this.settings.maxEmptyPagesInARow ?? DEFAULT_MAX_EMPTY_PAGES_IN_A_ROW;
    const { startFrom, endTime } = this.settings;
    let request: PageRequest = this.state.cursor
      ? { cursor: this.state.cursor }
      : { startTime: startFrom, ...(endTime === undefined ? {} : { endTime }) };
    let cursor = this.state.cursor;
    let batch = new BatchBuilder(stream, batchMaxEvents, batchMaxBytes);
    let writing: Promise<void> = Promise.resolve();
    let writeFailure: unknown;
    let emptyInARow = 0;
    let caughtUp = false;

    const flush = async (full: BatchBuilder, cursorAfter: string): Promise<void> => {
      // One batch is written while the next is fetched; a second waits for the first,
      // so batches commit in order and at most two are held in memory.
      await writing;
      writing = this.writeBatch(full, cursorAfter);
      writing.catch((error: unknown) => {
        writeFailure ??= error;
      });
    };

    try {
      while (now() < fetchDeadline) {
        if (writeFailure !== undefined) break;
        let page: Page;
        try {
          page = await api.fetchPage(stream, request, fetchDeadline);
        } catch (error) {
          if (error instanceof OutOfTimeError) break;
          if (error instanceof RequestRejectedError && 'cursor' in request) throw this.cursorRejected(error);
          throw error;
        }
        this.pages += 1;
        for (const [i, item] of page.items.entries()) batch.add(item, page.lines[i]);
        if (page.reserialized) batch.markReserialized();
        cursor = page.cursor;
        request = { cursor };
        if (batch.full) {
          await flush(batch, cursor);
          batch = new BatchBuilder(stream, batchMaxEvents, batchMaxBytes);
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
    } finally {
      // Whatever was fetched before a stop or an error is written and committed, so the
      // next run resumes from the last page that arrived whole.
      if (batch.eventCount > 0 && cursor !== undefined) await flush(batch, cursor);
      await writing;
    }
    if (cursor !== undefined && cursor !== this.state.cursor) {
      this.state = await this.fenced(() =>
        this.deps.state.advanceCursor(this.state, this.settings.owner, cursor, api.baseUrl),
      );
    }
    return caughtUp;
  }

  private async writeBatch(batch: BatchBuilder, cursorAfter: string): Promise<void> {
    const { archive, state, now, log } = this.deps;
    const { source, stream, owner, archivePrefix } = this.settings;
    const sealed = await batch.seal();
    const seq = this.state.nextSeq;
    const intent: BatchIntent = {
      seq,
      key: batchKey(archivePrefix, source, stream, utcDate(now()), seq),
      cursorAfter,
      sha256: sealed.sha256,
      eventCount: sealed.eventCount,
      newestEventTime: sealed.lastEventTime,
      createdAt: new Date(now()).toISOString(),
    };
    await this.fenced(() => state.recordIntent(this.state, owner, intent));
    if (now() > this.settings.leaseExpiresAt - LEASE_SAFETY_MS) {
      // Past this point another invocation may take the stream over; an object written now
      // could race its batch of the same number. Leave the intent: the next run resolves it.
      throw new LeaseLostError(
        `source ${source}, stream ${stream}: the lease lapses before batch ${seq} could be written safely; not writing it.`,
      );
    }
    await archive.put({
      key: intent.key,
      source,
      stream,
      seq,
      prevSha256: this.state.prevSha256,
      batch: sealed,
    });
    this.state = await this.fenced(() => state.commitBatch(this.state, owner, intent, now()));
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
    log.debug('batch committed', { source, stream, seq, key: intent.key, events: intent.eventCount });
  }

  /**
   * The API refused the stream's cursor. Starting over from a timestamp could skip late
   * events or archive some twice, so the stream stops and says what the operator can do.
   */
  private cursorRejected(error: RequestRejectedError): RequestRejectedError {
    const { source, stream, stateKey } = this.settings;
    return new RequestRejectedError(
      `source ${source}, stream ${stream}: the Events API rejected the stream's stored cursor (HTTP ${error.status}). ` +
        'The stream stays at its last committed batch and nothing was written. If it persists, the cursor has ' +
        `expired: remove the "cursor" attribute of item pk="${stateKey}" in the state table to restart the stream from ` +
        'START_FROM, then run `op-events-archive verify` and a `backfill` for any gap (README §Operate).',
      { cause: error, ...(error.status === undefined ? {} : { status: error.status }) },
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
      throttles: this.throttles,
      errorsByKind: this.errorsByKind,
      counts: this.counts,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
      error,
      reason,
    };
  }
}
