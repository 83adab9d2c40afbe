import { randomUUID } from 'node:crypto';
import type { ArchiveStore } from '../shared/archive/writer';
import type { CollectorEnv } from '../shared/env';
import { AuthError, ConnectorError, describeError, SecretError } from '../shared/errors';
import { EVENT_TYPES, type EventType } from '../shared/event-types';
import { EventsApiClient, type RetryPolicy } from '../shared/events-api/client';
import type { RequestBudget } from '../shared/events-api/request-budget';
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
    metrics.run(source, { succeeded: false, authFailures: error instanceof SecretError ? 1 : 0 });
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
        },
        { api, state: deps.state, archive: deps.archive, log, now },
      ),
    );
  }

  const results = await Promise.all([...collectors.values()].map((collector) => collector.run()));

  const finishedAt = now();
  let authFailures = 0;
  for (const result of results) {
    const newest = result.newestEventTime === undefined ? undefined : Date.parse(result.newestEventTime);
    const ageSeconds =
      newest === undefined ? undefined : Math.max(0, Math.round((finishedAt - newest) / 1000));
    metrics.stream(source, result.stream, {
      eventsArchived: result.eventsArchived,
      objectsWritten: result.objectsWritten,
      pages: result.pages,
      invalidEvents: result.invalidEvents,
      cursorResets: result.cursorResets,
      throttles: result.throttles,
      errorsByKind: result.errorsByKind,
      lagSeconds: ageSeconds,
      behindSeconds: result.status === 'ok' && !result.caughtUp && result.pages > 0 ? ageSeconds : undefined,
      secondsSinceArchived: pastDropOffWindow(result, env.DROP_OFF_SECONDS[result.stream], finishedAt),
    });
    if (result.error instanceof AuthError || result.error instanceof SecretError) authFailures += 1;
    log.info('stream run finished', {
      source,
      stream: result.stream,
      status: result.status,
      eventsArchived: result.eventsArchived,
      objectsWritten: result.objectsWritten,
      pages: result.pages,
      newestEventTime: result.newestEventTime,
      caughtUp: result.caughtUp,
      invalidEvents: result.invalidEvents,
      ...(result.cursorResets > 0 ? { cursorResets: result.cursorResets } : {}),
      ...(result.duplicatesDropped > 0 ? { duplicatesDropped: result.duplicatesDropped } : {}),
      firstSeq: result.firstSeq,
      lastSeq: result.lastSeq,
      ...(result.stream === 'signinattempts'
        ? { countsByCategory: result.counts }
        : { countsByAction: result.counts }),
      ...(result.error ? { error: describeError(result.error) } : {}),
      ...(result.status === 'skipped' ? { reason: result.reason } : {}),
    });
  }

  const failed = results.filter((result) => result.status === 'failed');
  metrics.run(source, { succeeded: failed.length === 0, authFailures });
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

/**
 * Seconds since the stream last archived, once that is its drop-off window or more; otherwise
 * `undefined`, and no point is emitted: a custom metric is billed for every hour it has data,
 * and below the window the drop-off alarm has nothing to say.
 */
function pastDropOffWindow(
  result: Pick<StreamSummary, 'lastArchivedAt'>,
  windowSeconds: number | undefined,
  now: number,
): number | undefined {
  if (result.lastArchivedAt === undefined || windowSeconds === undefined) return undefined;
  const seconds = Math.max(0, Math.round((now - Date.parse(result.lastArchivedAt)) / 1000));
  return seconds >= windowSeconds ? seconds : undefined;
}
