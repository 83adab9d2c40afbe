import { type LocalAws, startLocalAws } from '../../dev/local/aws';
import { localCollectorEnv } from '../../dev/local/collector-env';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../dev/simulator/index';
import { type CollectorDependencies, type RunSummary, runCollector } from '../../lambdas/collector/collector';
import { buildDependencies } from '../../lambdas/collector/dependencies';
import { streamPrefix } from '../../lambdas/shared/archive/format';
import { readStreamEvents } from '../../lambdas/shared/archive/reader';
import type { EventType } from '../../lambdas/shared/event-types';
import type { Log, RunMetrics } from '../../lambdas/shared/observability';

export const SOURCE = 'acme';
export const SECRET_ID = 'acme-events-token';

/** A log that keeps every line, so tests can read what the collector said. */
export class MemoryLog implements Log {
  readonly lines: Array<{ level: string; message: string; extra: Record<string, unknown> }> = [];
  debug(message: string, ...extra: Record<string, unknown>[]) {
    this.push('debug', message, extra);
  }
  info(message: string, ...extra: Record<string, unknown>[]) {
    this.push('info', message, extra);
  }
  warn(message: string, ...extra: Record<string, unknown>[]) {
    this.push('warn', message, extra);
  }
  error(message: string, ...extra: Record<string, unknown>[]) {
    this.push('error', message, extra);
  }
  text(): string {
    return this.lines.map((line) => JSON.stringify(line)).join('\n');
  }
  private push(level: string, message: string, extra: Record<string, unknown>[]) {
    this.lines.push({ level, message, extra: Object.assign({}, ...extra) });
  }
}

/** Metrics captured as plain records, for assertions. */
export class MemoryMetrics {
  readonly streams: Array<{ source: string; stream: string } & Record<string, unknown>> = [];
  readonly runs: Array<{ source: string } & RunMetrics> = [];
  stream(source: string, stream: string, metrics: object) {
    this.streams.push({ source, stream, ...metrics });
  }
  run(source: string, metrics: RunMetrics) {
    this.runs.push({ source, ...metrics });
  }
}

export interface TestEnvironment {
  readonly sim: Simulator;
  readonly aws: LocalAws;
  readonly token: string;
  readonly log: MemoryLog;
  readonly metrics: MemoryMetrics;
  /** The collector's environment variables (README, "Runtime contract") for this environment. */
  readonly collectorEnv: Record<string, string>;
  /** Builds dependencies exactly as the handler does, then applies test overrides. */
  dependencies(
    overrides?: Partial<CollectorDependencies>,
    env?: Record<string, string>,
  ): CollectorDependencies;
  /** Runs the collector once; resolves with the summary, or with the thrown error. */
  run(options?: {
    overrides?: Partial<CollectorDependencies>;
    env?: Record<string, string>;
    remainingMs?: number;
    owner?: string;
  }): Promise<RunSummary | Error>;
  /** Events archived for a stream, in sequence order. */
  archived(stream: EventType): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

/**
 * The simulator, dynalite, s3rver and the Secrets Manager stand-in, wired together with the
 * collector's environment pointing at them through the SDK's own endpoint variables.
 */
export async function startEnvironment(
  options: { simulator?: SimulatorOptions; collectorEnv?: Record<string, string> } = {},
): Promise<TestEnvironment> {
  const [sim, aws] = await Promise.all([
    startSimulator({ rateLimit: false, ...options.simulator }),
    startLocalAws(),
  ]);
  const token = sim.mintToken();
  aws.secrets.put(SECRET_ID, JSON.stringify({ token }));
  const log = new MemoryLog();
  const metrics = new MemoryMetrics();
  const collectorEnv: Record<string, string> = {
    ...localCollectorEnv({ aws, eventsApiUrl: sim.url, source: SOURCE, secretId: SECRET_ID }),
    ...options.collectorEnv,
  };
  Object.assign(process.env, aws.sdkEnv);

  const dependencies = (
    overrides: Partial<CollectorDependencies> = {},
    env: Record<string, string> = {},
  ) => ({
    ...buildDependencies({ ...process.env, ...collectorEnv, ...env }, log),
    metrics,
    ...overrides,
  });

  return {
    sim,
    aws,
    token,
    log,
    metrics,
    collectorEnv,
    dependencies,
    async run({ overrides, env, remainingMs = 120_000, owner } = {}) {
      const deps = dependencies(overrides, env);
      const now = deps.now ?? Date.now;
      try {
        return await runCollector(deps, now() + remainingMs, owner);
      } catch (error) {
        return error as Error;
      }
    },
    async archived(stream) {
      const prefix = streamPrefix(collectorEnv.ARCHIVE_PREFIX ?? '', SOURCE, stream);
      const { events } = await readStreamEvents(aws.clients.s3, aws.bucket, prefix);
      return events as Array<Record<string, unknown>>;
    },
    async close() {
      await Promise.all([sim.close(), aws.close()]);
    },
  };
}

/** uuids of a list of events, sorted, for exactly-once comparisons. */
export function uuidsOf(events: ReadonlyArray<{ uuid?: unknown }>): string[] {
  return events.map((event) => String(event.uuid)).sort();
}
