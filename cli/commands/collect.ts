import { resolve } from 'node:path';
import { startSimulator } from '../../dev/simulator/index';
import { CollectorRunError, type RunSummary, runCollector } from '../../lambdas/collector/collector';
import { FileArchive } from '../../lambdas/shared/archive/file-archive';
import { type CollectorEnv, parseCollectorEnv } from '../../lambdas/shared/env';
import { AuthError, ConfigError, SecretError } from '../../lambdas/shared/errors';
import { EVENT_TYPES, type EventType } from '../../lambdas/shared/event-types';
import { RequestBudget } from '../../lambdas/shared/events-api/request-budget';
import type { MetricsSink } from '../../lambdas/shared/observability';
import { streamKey } from '../../lambdas/shared/state-store';
import { DAY_MS } from '../../lambdas/shared/time';
import { decodeTokenClaims } from '../../lambdas/shared/token/claims';
import type { TokenSource } from '../../lambdas/shared/token/provider';
import { resolveApiUrl, URL_OPTIONS_HELP } from '../api-url';
import {
  awsOptions,
  commonOptions,
  duration,
  eventTypes,
  parseCommandLine,
  positiveInteger,
  progressOptions,
  progressWanted,
  required,
  sourceName,
  startPosition,
} from '../args';
import type { AwsClients } from '../aws';
import { CliFailure, EXIT_CODES_HELP, ExitCode, UsageError } from '../exit-codes';
import { count, fields, plural, seqRange, toJson, when } from '../format';
import type { CliIo } from '../io';
import { openLocalState } from '../local-state';
import { CliLog } from '../log';
import { ObservedPageSource } from '../paging';
import { Progress } from '../progress';
import {
  describeTokenChoice,
  openTokenSource,
  StaticTokenSource,
  TOKEN_OPTIONS_HELP,
  type TokenChoice,
  tokenChoice,
  tokenOptions,
} from '../token-input';

export const COLLECT_HELP = `Usage: op-events-archive collect --dir PATH (<token> | --simulator) [options]

Runs one collection on this machine, with the collector's own code, and writes the
archive format to a local folder: no AWS account needed. This is how to evaluate the
connector with your own 1Password account before deploying it, or to see what it
archives with the built-in simulator.

The folder gets the bucket's layout, source=<source>/type=<stream>/dt=<date>/<seq>.ndjson.gz,
each object's metadata beside it in <key>.meta.json, and the cursors in <dir>/.state, so
running collect again goes on where it stopped. Check the result with
\`op-events-archive verify --dir PATH --source <source>\`.

Options:
  --dir PATH             the folder to write (created if missing; required)
  --simulator            collect from a built-in Events API simulator filled with sample
                         events instead of 1Password (no token needed; use a new --dir each time)
  --simulator-events N   sample events per stream for --simulator (default 5000, over 7 days)
  --source NAME          the source name in keys and metadata (default local)
  --types LIST           streams to collect (default: every one the token may read)
  --start-from WHEN      where streams without a cursor start: P7D (7 days back), an RFC 3339
                         instant or a UTC date (default P7D; the API keeps 120 days)
  --max-duration D       stop fetching after this long and commit (default PT15M; run again to go on)
  --batch-max-events N   events per archive object (default 50000; 1000 with --simulator, to show a chain)
  --verbose              also print the collector's informational log lines
  --progress, --no-progress
                         show progress on stderr (default: only on a terminal)
  --json                 print one JSON document instead of text
  -h, --help             show this help

${TOKEN_OPTIONS_HELP}
  (--secret-id uses your AWS credentials and --region only to read the secret)

${URL_OPTIONS_HELP}

Examples:
  op-events-archive collect --simulator --dir /tmp/op-archive
  op read "op://Security/Events token/credential" | op-events-archive collect --token-stdin --dir ./archive --start-from P1D

${EXIT_CODES_HELP}
`;

export interface CollectOptions {
  readonly dir: string;
  readonly source: string;
  readonly token: TokenChoice | undefined;
  readonly simulator: boolean;
  readonly simulatorEvents: number;
  readonly types: EventType[] | undefined;
  readonly startFrom: string;
  readonly maxDurationMs: number;
  readonly url: string | undefined;
  readonly allowCustomUrl: boolean;
  readonly batchMaxEvents: number;
  readonly region: string | undefined;
  readonly progress: boolean;
  readonly verbose: boolean;
  readonly json: boolean;
}

export function parseCollectArgs(argv: string[], io: Pick<CliIo, 'stderr' | 'now'>): CollectOptions {
  const values = parseCommandLine('collect', argv, {
    ...commonOptions,
    ...awsOptions,
    ...progressOptions,
    ...tokenOptions,
    dir: { type: 'string' },
    simulator: { type: 'boolean' },
    'simulator-events': { type: 'string' },
    source: { type: 'string' },
    types: { type: 'string' },
    'start-from': { type: 'string' },
    'max-duration': { type: 'string' },
    url: { type: 'string' },
    'allow-custom-url': { type: 'boolean' },
    'batch-max-events': { type: 'string' },
    verbose: { type: 'boolean' },
  });
  const token = tokenChoice(values);
  const simulator = values.simulator === true;
  if (simulator && (token !== undefined || values.url !== undefined)) {
    throw new UsageError('--simulator brings its own token and URL; leave out the token options and --url');
  }
  if (!simulator && token === undefined) {
    throw new UsageError(
      'no token given: pass it with --token-stdin, --token-file PATH, --token-env NAME or --secret-id ID, ' +
        'or try the connector without one: --simulator',
    );
  }
  const startFrom = values['start-from'] ?? 'P7D';
  const start = startPosition(startFrom, 'start-from', io.now());
  if (start > io.now()) throw new UsageError(`--start-from ${startFrom} is in the future`);
  return {
    dir: resolve(required(values.dir, 'dir', './archive')),
    source: values.source === undefined ? 'local' : sourceName(values.source),
    token,
    simulator,
    simulatorEvents: positiveInteger(values['simulator-events'], 'simulator-events', 5000, 1_000_000),
    types: eventTypes(values.types, 'types'),
    startFrom: new Date(start).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    maxDurationMs: duration(values['max-duration'], 'max-duration', 15 * 60_000),
    url: values.url,
    allowCustomUrl: values['allow-custom-url'] === true,
    batchMaxEvents: positiveInteger(
      values['batch-max-events'],
      'batch-max-events',
      simulator ? 1000 : 50_000,
      1_000_000,
    ),
    region: values.region,
    progress: progressWanted(values, io.stderr.isTTY === true),
    verbose: values.verbose === true,
    json: values.json === true,
  };
}

export interface CollectDependencies {
  readonly io: CliIo;
  readonly aws: AwsClients;
  readonly fetch?: typeof fetch;
}

export interface CollectResult {
  readonly dir: string;
  readonly source: string;
  readonly apiUrl: string | undefined;
  readonly simulator: boolean;
  /** Every stream said the API had nothing more. */
  readonly caughtUp: boolean;
  readonly streams: RunSummary['streams'];
}

const LOCAL_OWNER = 'op-events-archive collect';

const NO_METRICS: MetricsSink = { stream: () => undefined, run: () => undefined };

export async function collect(options: CollectOptions, deps: CollectDependencies): Promise<ExitCode> {
  const { io } = deps;
  const progress = new Progress(io.stderr, { enabled: options.progress, now: io.now });
  // Final failures end the run and are reported once, in its result.
  const log = new CliLog(
    progress,
    options.verbose,
    new Set(['Events API request failed', 'run failed before any stream started']),
  );
  const state = await openLocalState(options.dir);
  const simulator = options.simulator ? await startSampleSimulator(options, io.now()) : undefined;
  try {
    let tokens: TokenSource;
    let token: string;
    let origin: string;
    if (simulator) {
      token = simulator.token;
      tokens = new StaticTokenSource(token);
      origin = 'the simulator token';
      for (const stream of EVENT_TYPES) {
        if ((await state.store.get(streamKey(options.source, stream)))?.cursor !== undefined) {
          throw new UsageError(
            `${options.dir} already holds a collection for source ${options.source}; the built-in simulator starts ` +
              'afresh each time, so its cursors cannot go on: use a new --dir (or another --source).',
          );
        }
      }
    } else {
      const choice = options.token as TokenChoice;
      origin = describeTokenChoice(choice);
      ({ source: tokens, token } = await openTokenSource(choice, io, () => deps.aws.secretsManager()));
    }
    const claims = decodeTokenClaims(token);
    const apiUrl = resolveApiUrl({
      url: simulator?.url ?? options.url,
      allowCustomUrl: simulator !== undefined || options.allowCustomUrl,
      claims,
      origin,
    });
    const env = collectorEnv(options, apiUrl);
    const api = { current: undefined as ObservedPageSource | undefined };
    const deadline = io.now() + options.maxDurationMs;
    let summary: RunSummary;
    try {
      summary = await runCollector(
        {
          env,
          tokens,
          state: state.store,
          archive: new FileArchive(options.dir),
          budget: new RequestBudget(env.REQUEST_BUDGET_PER_MINUTE, env.REQUEST_BUDGET_PER_HOUR),
          log,
          metrics: NO_METRICS,
          now: io.now,
          ...(deps.fetch ? { fetch: deps.fetch } : {}),
          pageSource: (client) => {
            const observed = new ObservedPageSource(client, {
              signal: io.signal,
              onPage: () => progress.update(() => progressLine(observed)),
            });
            api.current = observed;
            return observed;
          },
        },
        deadline,
        // One owner for every run on this folder: the lock file already keeps a second process
        // out, so the lease a killed run left behind is taken back at once instead of lapsing.
        LOCAL_OWNER,
      );
    } catch (error) {
      progress.clear();
      if (!(error instanceof CollectorRunError)) throw error;
      if (error.cause instanceof ConfigError || error.cause instanceof SecretError) throw error.cause;
      if (!options.json) io.stdout.write(render(resultOf(options, error.summary, apiUrl)));
      throw new CliFailure(failureMessage(error), ExitCode.failure, { cause: error });
    }
    progress.clear();
    const result = resultOf(options, summary, apiUrl);
    io.stdout.write(options.json ? toJson(result) : render(result));
    return io.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
  } finally {
    await simulator?.close();
    await state.close();
  }
}

function collectorEnv(options: CollectOptions, apiUrl: string): CollectorEnv {
  try {
    return parseCollectorEnv({
      SOURCE_NAME: options.source,
      TOKEN_SECRET_ID: 'local',
      EVENTS_API_URL: apiUrl,
      ALLOW_CUSTOM_EVENTS_API_URL: 'true',
      ...(options.types ? { EVENT_TYPES: options.types.join(',') } : {}),
      STATE_TABLE: 'local',
      ARCHIVE_BUCKET: 'local-folder',
      START_FROM: options.startFrom,
      BATCH_MAX_EVENTS: String(options.batchMaxEvents),
      DEADLINE_MARGIN_MS: '1000',
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function startSampleSimulator(options: CollectOptions, now: number) {
  const sim = await startSimulator({ seed: 42 });
  for (const stream of options.types ?? EVENT_TYPES) {
    sim.generate(stream, options.simulatorEvents, { from: now - 7 * DAY_MS, to: now - 60_000 });
  }
  return { url: sim.url, token: sim.mintToken(), close: () => sim.close() };
}

function resultOf(options: CollectOptions, summary: RunSummary, apiUrl: string | undefined): CollectResult {
  return {
    dir: options.dir,
    source: options.source,
    apiUrl,
    simulator: options.simulator,
    caughtUp: summary.streams.every((stream) => stream.status === 'ok' && stream.caughtUp),
    streams: summary.streams,
  };
}

function failureMessage(error: CollectorRunError): string {
  const failed = error.summary.streams.filter((stream) => stream.status === 'failed');
  const reasons =
    failed.length === 0
      ? [error.message]
      : failed.map(
          (stream) => `${stream.stream}: ${(stream.reason ?? 'failed').replace(/^source [a-z0-9-]+: /, '')}`,
        );
  return (
    `collect stopped:\n${reasons.map((reason) => `  - ${reason}`).join('\n')}\n` +
    (error.cause instanceof AuthError ? 'Check the token with `op-events-archive check-token`. ' : '') +
    'What was archived before the failure is kept; run collect again to go on.'
  );
}

function progressLine(api: ObservedPageSource): string {
  let pages = 0;
  const parts: string[] = [];
  for (const [stream, counts] of api.counts) {
    pages += counts.pages;
    parts.push(`${stream} ${count(counts.events)}`);
  }
  return `collect: ${parts.join(' · ')} events fetched (${plural(pages, 'page')})`;
}

function render(result: CollectResult): string {
  const lines = [
    `Collected ${result.simulator ? 'from the built-in simulator' : `from ${result.apiUrl}`} into ${result.dir}`,
    '',
  ];
  const rows: Array<[string, string]> = result.streams.map((stream) => [
    stream.stream,
    stream.status === 'ok'
      ? `${plural(stream.eventsArchived, 'event')} in ${plural(stream.objectsWritten, 'object')}` +
        (stream.firstSeq === undefined ? '' : ` (${seqRange(stream.firstSeq, stream.lastSeq)})`) +
        `, newest ${when(stream.newestEventTime)}, ${stream.caughtUp ? 'caught up' : 'more to fetch: run collect again'}` +
        (stream.invalidEvents > 0
          ? `, ${stream.invalidEvents} not matching the schema (archived anyway)`
          : '')
      : `${stream.status.toUpperCase()}: ${stream.reason ?? ''}`,
  ]);
  lines.push(fields(rows, '  '));
  lines.push('');
  lines.push(`Check it:  op-events-archive verify --dir ${result.dir} --source ${result.source}`);
  lines.push(`Query it:  op-events-archive query --dir ${result.dir} top-items --param days=7`);
  lines.push(`Read it:   zcat ${result.dir}/source=${result.source}/type=*/dt=*/*.ndjson.gz | head`);
  return `${lines.join('\n')}\n`;
}
