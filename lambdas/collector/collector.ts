import { randomUUID } from 'node:crypto';
import type { ArchiveStore } from '../shared/archive/writer';
import type { CollectorEnv } from '../shared/env';
import { AuthError, ConnectorError, describeError, SecretError } from '../shared/errors';
import { EVENT_TYPES, type EventType } from '../shared/event-types';
import { EventsApiClient, type RetryPolicy } from '../shared/events-api/client';
import type { RequestBudget } from '../shared/events-api/request-budget';
import type { SilenceLimit } from '../shared/liveness/rhythm';
import type { RhythmStore } from '../shared/liveness/rhythm-store';
import type { Log, MetricsSink } from '../shared/observability';
import { type StateStore, streamKey } from '../shared/state-store';
import { resolveStartFrom } from '../shared/time';
import { decodeTokenClaims, resolveEventsApiUrl } from '../shared/token/claims';
import type { TokenSource } from '../shared/token/provider';
import { type PageSource, StreamCollector, type StreamSummary } from './stream-collector';

/** Everything a run talks to. The handler builds them once per container; tests hand in their own. */
export interface CollectorDependencies {
  readonly env: CollectorEnv;
  readonly tokens: TokenSource;
  readonly state: StateStore;
  readonly archive: ArchiveStore;
  readonly budget: RequestBudget;
  readonly log: Log;
  readonly metrics: MetricsSink;
  /** Where the streams' rhythms are kept; without it every stream is judged by its fixed window. */
  readonly rhythms?: RhythmStore;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly retry?: RetryPolicy;
  /**
   * How long before its lease lapses a stream stops writing and aborts its AWS calls.
   * @default DEFAULT_LEASE_SAFETY_MS (30 s)
   */
  readonly leaseSafetyMs?: number;
  /** Replaces the Events API client (tests wrap the real one to inject faults). */
  readonly pageSource?: (client: EventsApiClient) => PageSource;
}

/** The handler's result: one entry per stream. */
export interface RunSummary {
  readonly source: string;
  readonly apiUrl: string | undefined;
  readonly streams: Array<
    Omit<StreamSummary, 'error' | 'errorsByKind'> & { errorsByKind: Record<string, number> }
  >;
}

/** Thrown when any stream failed, so Lambda's Errors metric and the alarms see it. */
export class CollectorRunError extends ConnectorError {
  constructor(
    message: string,
    readonly summary: RunSummary,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** How long after the invocation's deadline a lease left by a crash lapses. */
const LEASE_GRACE_MS = 60_000;

/**
 * One scheduled run of a source: reads the token, works out the host and the event types,
 * and runs every stream concurrently with one shared request budget. Returns the summary,
 * or throws {@link CollectorRunError} carrying it when a stream failed.
 */
export async function runCollector(
  deps: CollectorDependencies,
  invocationDeadline: number,
  owner: string = randomUUID(),
): Promise<RunSummary> {
  const { env, log, metrics } = deps;
  const now = deps.now ?? Date.now;
  const source = env.SOURCE_NAME;

  let token: string;
  let apiUrl: string;
  let eventTypes: EventType[];
  try {
    token = await deps.tokens.getToken();
    const claims = decodeTokenClaims(token);
    apiUrl = resolveEventsApiUrl({
      configuredUrl: env.EVENTS_API_URL,
      allowCustomUrl: env.ALLOW_CUSTOM_EVENTS_API_URL,
      claims,
      secretId: env.TOKEN_SECRET_ID,
    });
    eventTypes =
      env.EVENT_TYPES ??
      (claims?.eventTypes?.length
        ? EVENT_TYPES.filter((t) => claims.eventTypes?.includes(t))
        : [...EVENT_TYPES]);
  } catch (error) {
    const summary: RunSummary = { source, apiUrl: undefined, streams: [] };
    metrics.run(source, { ...NOTHING_ARCHIVED, authFailures: error instanceof SecretError ? 1 : 0 });
    log.error('run failed before any stream started', { source, error: describeError(error) });
    throw new CollectorRunError(
      `source ${source}: ${error instanceof Error ? error.message : String(error)}`,
      summary,
      {
        cause: error,
      },
    );
  }

  const startFrom = resolveStartFrom(env.START_FROM, now());
  const fetchDeadline = invocationDeadline - env.DEADLINE_MARGIN_MS;
  const collectors = new Map<EventType, StreamCollector>();
  const client = new EventsApiClient({
    baseUrl: apiUrl,
    tokens: deps.tokens,
    budget: deps.budget,
    sourceName: source,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    now,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    ...(deps.retry ? { retry: deps.retry } : {}),
    onAttemptFailed: ({ stream, error, willRetry }) => {
      if (stream !== 'introspect') collectors.get(stream)?.recordApiError(error);
      log.warn(willRetry ? 'Events API request failed; retrying' : 'Events API request failed', {
        source,
        stream,
        kind: error.kind,
        status: error.status,
        error: error.message,
      });
    },
  });
  const api = deps.pageSource ? deps.pageSource(client) : client;

  for (const stream of eventTypes) {
    collectors.set(
      stream,
      new StreamCollector(
        {
          source,
          stream,
          stateKey: streamKey(source, stream),
          owner,
          archivePrefix: env.ARCHIVE_PREFIX,
          startFrom,
          fetchDeadline,
          leaseExpiresAt: invocationDeadline + LEASE_GRACE_MS,
          ...(deps.leaseSafetyMs === undefined ? {} : { leaseSafetyMs: deps.leaseSafetyMs }),
          batchMaxEvents: env.BATCH_MAX_EVENTS,
          batchMaxBytes: env.BATCH_MAX_BYTES,
          learnRhythm: env.DROP_OFF_CEILING_SECONDS[stream] !== undefined,
        },
        {
          api,
          state: deps.state,
          archive: deps.archive,
          log,
          now,
          ...(deps.rhythms ? { rhythms: deps.rhythms } : {}),
        },
      ),
    );
  }

  const results = await Promise.all([...collectors.values()].map((collector) => collector.run()));

  const finishedAt = now();
  const run = { ...NOTHING_ARCHIVED };
  for (const result of results) {
    const newest = result.newestEventTime === undefined ? undefined : Date.parse(result.newestEventTime);
    const ageSeconds =
      newest === undefined ? undefined : Math.max(0, Math.round((finishedAt - newest) / 1000));
    const behind = result.status === 'ok' && !result.caughtUp && result.pages > 0 ? ageSeconds : undefined;
    const silence = silenceOf(result, env, finishedAt);
    run.eventsArchived += result.eventsArchived;
    run.cursorResets += result.cursorResets;
    run.behindSeconds = largest(run.behindSeconds, behind);
    if (silence?.past) run.secondsSinceArchived = largest(run.secondsSinceArchived, silence.seconds);
    metrics.stream(source, result.stream, {
      throttles: result.throttles,
      errorsByKind: result.errorsByKind,
    });
    if (result.error instanceof AuthError || result.error instanceof SecretError) run.authFailures += 1;
    log.info('stream run finished', {
      source,
      stream: result.stream,
      status: result.status,
      eventsArchived: result.eventsArchived,
      objectsWritten: result.objectsWritten,
      pages: result.pages,
      newestEventTime: result.newestEventTime,
      ...(ageSeconds === undefined ? {} : { lagSeconds: ageSeconds }),
      ...(behind === undefined ? {} : { behindSeconds: behind }),
      caughtUp: result.caughtUp,
      invalidEvents: result.invalidEvents,
      ...(result.cursorResets > 0 ? { cursorResets: result.cursorResets } : {}),
      ...(result.duplicatesDropped > 0 ? { duplicatesDropped: result.duplicatesDropped } : {}),
      ...(silence ? { silence: silenceLog(silence) } : {}),
      firstSeq: result.firstSeq,
      lastSeq: result.lastSeq,
      ...(result.stream === 'signinattempts'
        ? { countsByCategory: result.counts }
        : { countsByAction: result.counts }),
      ...(result.error ? { error: describeError(result.error) } : {}),
      ...(result.status === 'skipped' ? { reason: result.reason } : {}),
    });
    if (silence?.past) {
      log.warn('stream silent past its rhythm', {
        source,
        stream: result.stream,
        ...silenceLog(silence),
        what:
          silence.basis === 'learning' || silence.basis === 'fixed'
            ? `No events archived for ${hoursOf(silence.seconds)} h, past the stream's ${hoursOf(silence.limitSeconds)} h window. ` +
              `Check the auth-failure alarm and this stream's errors; if the stream is simply this quiet, raise sources[].dropOffHours.${result.stream}.`
            : `No events archived for ${hoursOf(silence.seconds)} h; at this hour of the week the stream has lately been silent ` +
              `${hoursOf(silence.usualSeconds ?? 0)} h at most, and the limit is ${hoursOf(silence.limitSeconds)} h. ` +
              `Check the auth-failure alarm and this stream's errors; to judge it by a fixed window instead, set sources[].dropOffRhythm.${result.stream} to false.`,
      });
    }
  }

  const failed = results.filter((result) => result.status === 'failed');
  metrics.run(source, run);
  const summary: RunSummary = {
    source,
    apiUrl,
    streams: results.map(({ error: _error, errorsByKind, ...rest }) => ({
      ...rest,
      errorsByKind: Object.fromEntries(errorsByKind),
    })),
  };
  if (failed.length > 0) {
    throw new CollectorRunError(
      `source ${source}: ${failed.length} of ${results.length} streams failed: ` +
        failed.map((result) => `${result.stream}: ${result.error?.message ?? result.reason}`).join(' | '),
      summary,
      { cause: failed[0]?.error },
    );
  }
  return summary;
}

const NOTHING_ARCHIVED = {
  eventsArchived: 0,
  behindSeconds: undefined as number | undefined,
  cursorResets: 0,
  secondsSinceArchived: undefined as number | undefined,
  authFailures: 0,
};

const largest = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b);

const hoursOf = (seconds: number) => Math.round((seconds / 3600) * 10) / 10;

/** How long a stream has been silent, against what its rhythm or its fixed window allows. */
interface Silence {
  readonly seconds: number;
  readonly limitSeconds: number;
  /** `fixed`: learning is off; otherwise the rhythm's {@link SilenceLimit.basis}. */
  readonly basis: SilenceLimit['basis'] | 'fixed';
  readonly usualSeconds: number | undefined;
  readonly past: boolean;
}

/**
 * The stream's silence: since it last archived (or first ran), against its learned limit
 * when it learns its rhythm, or its fixed window. `undefined` for a stream with no drop-off
 * alarm or no lease this run.
 */
function silenceOf(
  result: Pick<StreamSummary, 'stream' | 'lastArchivedAt' | 'rhythm'>,
  env: Pick<CollectorEnv, 'DROP_OFF_SECONDS' | 'DROP_OFF_CEILING_SECONDS'>,
  now: number,
): Silence | undefined {
  const windowSeconds = env.DROP_OFF_SECONDS[result.stream];
  if (result.lastArchivedAt === undefined || windowSeconds === undefined) return undefined;
  const seconds = Math.max(0, Math.round((now - Date.parse(result.lastArchivedAt)) / 1000));
  const ceilingSeconds = env.DROP_OFF_CEILING_SECONDS[result.stream];
  const limit =
    result.rhythm && ceilingSeconds !== undefined
      ? result.rhythm.limit(now, { fixedMs: windowSeconds * 1000, ceilingMs: ceilingSeconds * 1000 })
      : undefined;
  const limitSeconds = limit ? Math.round(limit.ms / 1000) : windowSeconds;
  return {
    seconds,
    limitSeconds,
    basis: limit?.basis ?? 'fixed',
    usualSeconds: limit?.usualMs === undefined ? undefined : Math.round(limit.usualMs / 1000),
    past: seconds >= limitSeconds,
  };
}

function silenceLog(silence: Silence) {
  return {
    silentSeconds: silence.seconds,
    limitSeconds: silence.limitSeconds,
    basis: silence.basis,
    ...(silence.usualSeconds === undefined ? {} : { usualSeconds: silence.usualSeconds }),
  };
}
