import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { StreamCollector, type StreamSummary } from '../../lambdas/collector/stream-collector';
import { streamPrefix } from '../../lambdas/shared/archive/format';
import { type ArchiveStore, ArchiveWriter } from '../../lambdas/shared/archive/writer';
import { AuthError, ConfigError, IntegrityError } from '../../lambdas/shared/errors';
import { type EventType, isEventType } from '../../lambdas/shared/event-types';
import { EventsApiClient, type RetryPolicy } from '../../lambdas/shared/events-api/client';
import { RequestBudget } from '../../lambdas/shared/events-api/request-budget';
import { StateStore, type StreamState } from '../../lambdas/shared/state-store';
import { RETENTION_MS } from '../../lambdas/shared/time';
import { decodeTokenClaims } from '../../lambdas/shared/token/claims';
import { resolveApiUrl, URL_OPTIONS_HELP } from '../api-url';
import {
  awsOptions,
  commonOptions,
  instant,
  parseCommandLine,
  positiveInteger,
  progressOptions,
  progressWanted,
  required,
  sourceName,
} from '../args';
import type { AwsClients } from '../aws';
import { backfillPrefix, backfillStateKey } from '../backfill-naming';
import { CliFailure, EXIT_CODES_HELP, ExitCode, UsageError } from '../exit-codes';
import { fields, plural, seqRange, toJson, when } from '../format';
import type { CliIo } from '../io';
import { CliLog } from '../log';
import { ObservedPageSource } from '../paging';
import { Progress } from '../progress';
import {
  describeTokenChoice,
  openTokenSource,
  requireTokenChoice,
  TOKEN_OPTIONS_HELP,
  type TokenChoice,
  tokenChoice,
  tokenOptions,
} from '../token-input';

export const BACKFILL_HELP = `Usage: op-events-archive backfill --source NAME --stream TYPE --from WHEN --to WHEN --table NAME --bucket NAME <token> [options]

Archives one stream's events of a past time range under a prefix of its own,
  <prefix>backfill/<from>_<to>/source=<source>/type=<stream>/dt=.../<seq>.ndjson.gz
with its own hash chain and its own state item (<source>#backfill#<stream>#<from>#<to>).
The stream's cursor is not touched, so the scheduled collector goes on unaffected.
The range must lie within the 120 days the Events API keeps.

Resumable: interrupt it (Ctrl-C, a lost connection, a killed process) and run the same
command again; it goes on from its cursor. Idempotent: rerunning a completed range writes
nothing new, except events that reached 1Password late (item usage may come a day late).
A backfill writes objects with the same exactly-once protocol as the collector.

Range (required):
  --source NAME          the source (its name in the deployment config)
  --stream TYPE          signinattempts, itemusages or auditevents
  --from WHEN            start, inclusive: RFC 3339 (2026-10-01T00:00:00Z) or a UTC date (2026-10-01)
  --to WHEN              end, exclusive; not in the future

Where (default from the collector's variables):
  --table NAME           the state table (StateTableName output; default $STATE_TABLE)
  --bucket NAME          the archive bucket (ArchiveBucketName output; default $ARCHIVE_BUCKET)
  --archive-prefix P     the deployment's archive prefix (default $ARCHIVE_PREFIX or none)

${TOKEN_OPTIONS_HELP}

${URL_OPTIONS_HELP}

Options:
  --requests-per-minute N  request budget; the account's 600/minute is shared with the
                         collector and other integrations (default 300)
  --batch-max-events N   events per archive object (default 50000)
  --no-wait              fail instead of waiting when another run holds the range's lease
  --region REGION        AWS region (default: AWS_REGION / profile)
  --progress, --no-progress
                         show progress on stderr (default: only on a terminal)
  --verbose              also print the collector's informational log lines
  --json                 print one JSON document instead of text
  -h, --help             show this help

Example:
  op-events-archive backfill --source prod --stream itemusages --from 2026-09-01 --to 2026-10-01 \\
    --table acme-op-events-state --bucket acme-op-events-archive --secret-id op-events/prod

${EXIT_CODES_HELP}
`;

export interface BackfillOptions {
  readonly source: string;
  readonly stream: EventType;
  readonly from: number;
  readonly to: number;
  readonly table: string;
  readonly bucket: string;
  readonly archivePrefix: string;
  readonly token: TokenChoice;
  readonly url: string | undefined;
  readonly allowCustomUrl: boolean;
  readonly requestsPerMinute: number;
  readonly batchMaxEvents: number;
  readonly wait: boolean;
  readonly region: string | undefined;
  readonly progress: boolean;
  readonly verbose: boolean;
  readonly json: boolean;
}

export function parseBackfillArgs(argv: string[], io: Pick<CliIo, 'env' | 'stderr'>): BackfillOptions {
  const values = parseCommandLine('backfill', argv, {
    ...commonOptions,
    ...awsOptions,
    ...progressOptions,
    ...tokenOptions,
    source: { type: 'string' },
    stream: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    table: { type: 'string' },
    bucket: { type: 'string' },
    'archive-prefix': { type: 'string' },
    url: { type: 'string' },
    'allow-custom-url': { type: 'boolean' },
    'requests-per-minute': { type: 'string' },
    'batch-max-events': { type: 'string' },
    'no-wait': { type: 'boolean' },
    verbose: { type: 'boolean' },
  });
  const stream = required(values.stream, 'stream', 'itemusages');
  if (!isEventType(stream)) {
    throw new UsageError(`--stream "${stream}" is not one of signinattempts, itemusages, auditevents`);
  }
  const from = instant(values.from, 'from');
  const to = instant(values.to, 'to');
  if (from >= to) throw new UsageError(`--from (${when(from)}) must be before --to (${when(to)})`);
  const archivePrefix = values['archive-prefix'] ?? io.env.ARCHIVE_PREFIX ?? '';
  if (archivePrefix !== '' && !archivePrefix.endsWith('/')) {
    throw new UsageError(`--archive-prefix "${archivePrefix}" must end with "/" or be empty`);
  }
  return {
    source: sourceName(values.source),
    stream,
    from,
    to,
    table: required(values.table ?? io.env.STATE_TABLE, 'table', 'acme-op-events-state (or set STATE_TABLE)'),
    bucket: required(
      values.bucket ?? io.env.ARCHIVE_BUCKET,
      'bucket',
      'acme-op-events-archive (or set ARCHIVE_BUCKET)',
    ),
    archivePrefix,
    token: requireTokenChoice(tokenChoice(values)),
    url: values.url,
    allowCustomUrl: values['allow-custom-url'] === true,
    requestsPerMinute: positiveInteger(values['requests-per-minute'], 'requests-per-minute', 300, 600),
    batchMaxEvents: positiveInteger(values['batch-max-events'], 'batch-max-events', 50_000, 1_000_000),
    wait: values['no-wait'] !== true,
    region: values.region,
    progress: progressWanted(values, io.stderr.isTTY === true),
    verbose: values.verbose === true,
    json: values.json === true,
  };
}

export interface BackfillDependencies {
  readonly io: CliIo;
  readonly aws: AwsClients;
  /** Replace the state store or the archive (tests inject crashes). */
  readonly state?: StateStore;
  readonly archive?: ArchiveStore;
  readonly fetch?: typeof fetch;
  readonly retry?: RetryPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  /** How long one pass pages before it commits and takes the lease again. @default 60 s */
  readonly passMs?: number;
  /** Told after every page (tests interrupt here). */
  readonly onPage?: (events: number) => void;
}

export interface BackfillResult {
  readonly complete: boolean;
  readonly interrupted: boolean;
  readonly source: string;
  readonly stream: EventType;
  readonly from: string;
  readonly to: string;
  readonly stateKey: string;
  /** The archive prefix to give `verify --prefix`. */
  readonly prefix: string;
  readonly streamPrefix: string;
  readonly thisRun: {
    readonly events: number;
    readonly objects: number;
    readonly pages: number;
    readonly firstSeq: number | undefined;
    readonly lastSeq: number | undefined;
    readonly invalidEvents: number;
  };
  readonly total: {
    readonly events: number;
    readonly objects: number;
    readonly newestEventTime: string | undefined;
  };
}

/** Room after a pass's last request for its final batch to be written and committed under the lease. */
const LEASE_TAIL_MS = 90_000;
const BATCH_MAX_BYTES = 32 * 1024 * 1024;

export async function backfill(options: BackfillOptions, deps: BackfillDependencies): Promise<ExitCode> {
  const { io } = deps;
  const { source, stream, from, to } = options;
  const now = io.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const origin = describeTokenChoice(options.token);
  const { source: tokens, token } = await openTokenSource(options.token, io, () => deps.aws.secretsManager());
  const claims = decodeTokenClaims(token);
  const apiUrl = resolveApiUrl({ url: options.url, allowCustomUrl: options.allowCustomUrl, claims, origin });
  if (claims?.eventTypes !== undefined && !claims.eventTypes.includes(stream)) {
    throw new ConfigError(
      `${origin} may not read ${stream} (it may read ${claims.eventTypes.join(', ') || 'nothing'}); use a token that includes it.`,
    );
  }

  const state = deps.state ?? new StateStore(deps.aws.documents(), options.table);
  const archive = deps.archive ?? new ArchiveWriter(deps.aws.s3(), options.bucket);
  const stateKey = backfillStateKey(source, stream, from, to);
  const prefix = backfillPrefix(options.archivePrefix, from, to);
  const existing = await state.get(stateKey);
  const progress = new Progress(io.stderr, { enabled: options.progress, now });
  checkRange(from, to, now(), existing, progress);

  const log = new CliLog(progress, options.verbose);
  const client = new EventsApiClient({
    baseUrl: apiUrl,
    tokens,
    budget: new RequestBudget(options.requestsPerMinute, options.requestsPerMinute * 50),
    sourceName: source,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.retry ? { retry: deps.retry } : {}),
    onAttemptFailed: ({ error, willRetry }) => {
      if (willRetry) log.warn(`Events API: ${error.message} Retrying.`);
    },
  });
  const api = new ObservedPageSource(client, {
    signal: io.signal,
    onPage: () => {
      const counts = api.counts.get(stream);
      deps.onPage?.(counts?.events ?? 0);
      progress.update(() => {
        const newest = counts?.newestMs;
        const share =
          newest === undefined
            ? ''
            : ` (${Math.min(100, Math.floor(((newest - from) * 100) / (to - from)))}% of the range)`;
        return (
          `backfill ${source}/${stream}: ${plural(counts?.events ?? 0, 'event')} in ${plural(counts?.pages ?? 0, 'page')}, ` +
          `newest ${when(newest)}${share}`
        );
      });
    },
  });

  const owner = `backfill@${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const passMs = deps.passMs ?? 60_000;
  const run = {
    events: 0,
    objects: 0,
    pages: 0,
    invalidEvents: 0,
    firstSeq: undefined as number | undefined,
    lastSeq: undefined as number | undefined,
  };
  let complete = false;
  while (!io.signal.aborted) {
    const started = now();
    const collector = new StreamCollector(
      {
        source,
        stream,
        stateKey,
        owner,
        archivePrefix: prefix,
        startFrom: from,
        endTime: to,
        fetchDeadline: started + passMs,
        leaseExpiresAt: started + passMs + LEASE_TAIL_MS,
        batchMaxEvents: options.batchMaxEvents,
        batchMaxBytes: BATCH_MAX_BYTES,
      },
      { api, state, archive, log, now },
    );
    const result = await collector.run();
    add(run, result);
    if (result.status === 'failed') {
      progress.clear();
      throw failureOf(result, { source, stream, apiUrl });
    }
    if (result.status === 'skipped') {
      const held = await state.get(stateKey);
      const until = held?.leaseExpiresAt ?? now() + 5_000;
      if (!options.wait) {
        throw new CliFailure(
          `another run (${held?.leaseOwner ?? 'unknown'}) holds this range's lease until ${when(until)}; ` +
            'wait for it to finish, or leave out --no-wait to wait for its lease to lapse.',
          ExitCode.failure,
        );
      }
      progress.note(
        `backfill: another run (${held?.leaseOwner ?? 'unknown'}) holds this range until ${when(until)}; ` +
          'waiting (an interrupted run leaves its lease to lapse on its own)...',
      );
      await sleepUnlessAborted(sleep, Math.max(1_000, until - now() + 1_000), io.signal);
      continue;
    }
    if (result.caughtUp) {
      complete = true;
      break;
    }
  }
  progress.clear();

  const final = await state.get(stateKey);
  const result: BackfillResult = {
    complete,
    interrupted: !complete,
    source,
    stream,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    stateKey,
    prefix,
    streamPrefix: streamPrefix(prefix, source, stream),
    thisRun: run,
    total: {
      events: final?.eventsArchived ?? 0,
      objects: final?.objectsWritten ?? 0,
      newestEventTime: final?.newestEventTime,
    },
  };
  io.stdout.write(options.json ? toJson(result) : render(result, options));
  return complete ? ExitCode.ok : ExitCode.interrupted;
}

async function sleepUnlessAborted(
  sleep: (ms: number) => Promise<void>,
  ms: number,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) return;
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<void>((done) => {
    onAbort = done;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  await Promise.race([sleep(ms), aborted]);
  signal.removeEventListener('abort', onAbort);
}

/** A new range must lie in the API's 120 days; a range already under way may go on (its cursor still works). */
function checkRange(
  from: number,
  to: number,
  now: number,
  existing: StreamState | undefined,
  progress: Progress,
): void {
  if (to > now) {
    throw new UsageError(
      `--to ${when(to)} is in the future; a backfill covers the past (use at most ${when(now)})`,
    );
  }
  const earliest = now - RETENTION_MS;
  if (from >= earliest) return;
  if (existing?.cursor !== undefined) {
    progress.note(
      `backfill: --from ${when(from)} is now older than the API's 120 days; going on from the range's cursor, ` +
        'but events older than that are gone from the API.',
    );
    return;
  }
  throw new UsageError(
    `--from ${when(from)} is older than the 120 days the Events API keeps; the earliest possible now is ${when(earliest + 60_000)}`,
  );
}

function add(
  run: {
    events: number;
    objects: number;
    pages: number;
    invalidEvents: number;
    firstSeq: number | undefined;
    lastSeq: number | undefined;
  },
  result: StreamSummary,
): void {
  run.events += result.eventsArchived;
  run.objects += result.objectsWritten;
  run.pages += result.pages;
  run.invalidEvents += result.invalidEvents;
  run.firstSeq ??= result.firstSeq;
  if (result.lastSeq !== undefined) run.lastSeq = result.lastSeq;
}

function failureOf(
  result: StreamSummary,
  context: { source: string; stream: string; apiUrl: string },
): Error {
  const error = result.error;
  const message = error?.message ?? result.reason ?? 'unknown failure';
  if (error instanceof ConfigError) return error;
  if (error instanceof AuthError) {
    return new CliFailure(
      `${message} Check the token with \`op-events-archive check-token\`. What was archived so far is committed; ` +
        'rerun the backfill with a working token to go on.',
      ExitCode.failure,
      { cause: error },
    );
  }
  if (error instanceof IntegrityError) return new CliFailure(message, ExitCode.failure, { cause: error });
  return new CliFailure(
    `backfill of ${context.source}/${context.stream} stopped: ${message} What was archived so far is committed; ` +
      'run the same command again to go on.',
    ExitCode.failure,
    { cause: error },
  );
}

function render(result: BackfillResult, options: BackfillOptions): string {
  const seqs =
    result.thisRun.firstSeq === undefined
      ? ''
      : ` (${seqRange(result.thisRun.firstSeq, result.thisRun.lastSeq)})`;
  const lines = [
    `Backfill of ${result.source}/${result.stream}, ${when(result.from)} to ${when(result.to)}`,
    fields(
      [
        ['state item', result.stateKey],
        ['archive', `s3://${options.bucket}/${result.streamPrefix}`],
        [
          'this run',
          `${plural(result.thisRun.events, 'event')} in ${plural(result.thisRun.objects, 'object')}${seqs}, ${plural(result.thisRun.pages, 'page')}`,
        ],
        ['in total', `${plural(result.total.events, 'event')} in ${plural(result.total.objects, 'object')}`],
        [
          'status',
          result.complete
            ? 'complete: the API has nothing more in the range'
            : 'interrupted: run the same command again to go on from here',
        ],
      ],
      '  ',
    ),
    '',
    'Verify it with:',
    `  op-events-archive verify --bucket ${options.bucket} --prefix ${result.prefix} --source ${result.source} ` +
      `--stream ${result.stream} --table ${options.table}`,
  ];
  return `${lines.join('\n')}\n`;
}
