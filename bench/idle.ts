import { EVENT_TYPES } from '../lambdas/shared/event-types';
import { LATENCY_MS } from './catchup';
import { type AwsUsage, markCalls, usageBetween } from './support/aws-usage';
import { distinctMetrics, type EmfMetric, parseEmf } from './support/emf';
import { DEPLOYED_NODE_OPTIONS, hostBundle } from './support/host-bundle';
import type { InvocationReport } from './support/lambda-host';
import { startLambdaProcess } from './support/lambda-runner';
import { startServers } from './support/servers';
import type { BenchOptions } from './types';

/** The function's timeout (lib/house-nodejs-function.ts): what each invocation has on the clock. */
const TIMEOUT_MS = 300_000;

/** One scheduled hour of a source, compressed: the runs follow each other without the minute between them. */
export interface HourSample {
  readonly kind: 'idle' | 'active';
  readonly runs: number;
  /** New events per stream before each run (0 when idle). */
  readonly eventsPerStreamPerRun: number;
  /** Process start until the bundle was loaded: the cold start's init phase. */
  readonly initMs: number;
  readonly firstRun: InvocationReport;
  /** Durations of the warm runs (all but the first). */
  readonly warmRunMs: number[];
  readonly usageFirst: AwsUsage;
  /** Summed over the warm runs. */
  readonly usageWarm: AwsUsage;
  /** Events API requests of the warm runs. */
  readonly apiRequestsWarm: number;
  readonly stdoutBytes: number;
  readonly stdoutLines: number;
  readonly metrics: EmfMetric[];
  readonly distinctMetrics: string[];
  readonly eventsArchived: number;
}

/**
 * An hour of scheduled runs of one source against the simulator (100–200 ms per request),
 * dynalite and s3rver: a fresh process (the cold start) and then warm invocations, as one
 * Lambda execution environment serves an every-minute schedule. `active` adds a few events
 * to every stream before each run, as a busy account does.
 */
export async function sampleHour(kind: 'idle' | 'active', options: BenchOptions): Promise<HourSample> {
  const runs = options.quick ? 10 : 60;
  const eventsPerStreamPerRun = kind === 'active' ? 20 : 0;
  const [bundleFile, servers] = await Promise.all([
    hostBundle(),
    startServers({ latencyMs: LATENCY_MS, seed: kind === 'active' ? 21 : 17 }),
  ]);
  try {
    const { sim } = servers;
    // The first run ever starts from 120 days back; seed the streams so that it finds history
    // once, as a source does on its first day, and every later run only what is new.
    if (kind === 'active') for (const type of EVENT_TYPES) sim.generate(type, 500);
    const lambda = await startLambdaProcess(
      bundleFile,
      servers.lambdaEnv({ NODE_OPTIONS: DEPLOYED_NODE_OPTIONS }),
    );
    options.progress(`cost: ${runs} scheduled runs of an ${kind} source`);
    const start = markCalls(servers.proxies);
    const reports: InvocationReport[] = [];
    let afterFirst = start;
    let apiAfterFirst = 0;
    for (let run = 0; run < runs; run++) {
      if (run > 0 && eventsPerStreamPerRun > 0) {
        for (const type of EVENT_TYPES)
          sim.generate(type, eventsPerStreamPerRun, { from: Date.now() - 60_000 });
      }
      const report = await lambda.invoke(TIMEOUT_MS);
      if (!report.ok)
        throw new Error(`scheduled run ${run + 1} of the ${kind} source failed: ${report.error}`);
      reports.push(report);
      if (run === 0) {
        afterFirst = markCalls(servers.proxies);
        apiAfterFirst = sim.log.length;
      }
    }
    const end = markCalls(servers.proxies);
    const { stdout } = await lambda.stop();
    const lines = stdout.split('\n').filter((line) => line.trim() !== '');
    const metrics = parseEmf(lines);
    const summaries = reports.map(
      (r) => (r.summary as { streams?: Array<{ eventsArchived: number }> }).streams ?? [],
    );
    return {
      kind,
      runs,
      eventsPerStreamPerRun,
      initMs: lambda.initMs,
      firstRun: reports[0] as InvocationReport,
      warmRunMs: reports.slice(1).map((r) => r.endedAt - r.startedAt),
      usageFirst: await usageBetween(servers.aws, servers.proxies, start, afterFirst),
      usageWarm: await usageBetween(servers.aws, servers.proxies, afterFirst, end),
      apiRequestsWarm: sim.log.length - apiAfterFirst,
      stdoutBytes: Buffer.byteLength(stdout),
      stdoutLines: lines.length,
      metrics,
      distinctMetrics: distinctMetrics(metrics),
      eventsArchived: summaries.flat().reduce((n, s) => n + s.eventsArchived, 0),
    };
  } finally {
    await servers.close();
  }
}
