import { EVENT_TYPES } from '../lambdas/shared/event-types';
import { BUDGET_EVENTS_PER_SECOND, LAMBDA_MB_PER_VCPU } from './cpu';
import { type AwsUsage, markCalls, usageBetween } from './support/aws-usage';
import { DEPLOYED_NODE_OPTIONS, hostBundle } from './support/host-bundle';
import type { InvocationReport } from './support/lambda-host';
import { FUNCTION_MEMORY_MB, startLambdaProcess } from './support/lambda-runner';
import { startServers } from './support/servers';
import { formatBytes, formatNumber } from './support/stats';
import { type BenchOptions, figure, type Section, verdictOf } from './types';

/** The client budget's defaults (REQUEST_BUDGET_PER_MINUTE, DEADLINE_MARGIN_MS). */
const BUDGET_PER_MINUTE = 540;
const DEADLINE_MARGIN_MS = 20_000;
const PAGE_EVENTS = 1000;
export const LATENCY_MS = { min: 100, max: 200 } as const;
const TARGET_SHARE = 0.9;

/** What one catch-up run did, for this section and for the cost model. */
export interface CatchupRun {
  readonly windowMinutes: number;
  readonly eventsArchived: number;
  readonly eventsServed: number;
  readonly invocationMs: number;
  readonly requests: number;
  readonly throttled: number;
  readonly statuses: Record<number, number>;
  readonly perMinute: ReadonlyArray<{ readonly requests: number; readonly events: number }>;
  /** The first budget minute's worth of requests: how long they took, from the invocation's start. */
  readonly burst: { readonly requests: number; readonly ms: number };
  readonly cpuMicros: number;
  readonly maxRssKiB: number;
  readonly objects: number;
  readonly usage: AwsUsage;
  readonly stdout: string;
  readonly report: InvocationReport;
}

/**
 * A catch-up on a backlog larger than the run can fetch: the bundled handler in a process
 * of its own, against the simulator (100–200 ms per request, the API's real limits),
 * dynalite and s3rver, for a fetch window of whole budget minutes.
 */
export async function measureCatchup(
  options: BenchOptions,
  overrides: { windowMinutes?: number; env?: Record<string, string>; cpuShare?: number } = {},
): Promise<CatchupRun> {
  const windowMinutes = overrides.windowMinutes ?? (options.quick ? 1 : 2);
  // Each stream gets about a third of the budget; give each more than it can take.
  const perStream = Math.ceil((BUDGET_PER_MINUTE * PAGE_EVENTS * windowMinutes * 1.4) / 3);
  const unique = options.quick ? 20_000 : 40_000;

  const [bundleFile, servers] = await Promise.all([
    hostBundle(),
    startServers({ latencyMs: LATENCY_MS, rateLimit: { perMinute: 600, perHour: 30_000 }, seed: 11 }),
  ]);
  try {
    const { sim } = servers;
    options.progress(`catchup: loading ${formatNumber(perStream * 3)} events into the simulator`);
    for (const type of EVENT_TYPES) {
      const events = sim.generate(type, unique, { from: Date.now() - 30 * 24 * 3_600_000 });
      // The same events ingested again: a long backlog without the memory of one.
      for (let loaded = unique; loaded < perStream; loaded += unique) sim.ingest(type, events);
    }

    const lambda = await startLambdaProcess(
      bundleFile,
      servers.lambdaEnv({ NODE_OPTIONS: DEPLOYED_NODE_OPTIONS, ...overrides.env }),
      overrides.cpuShare === undefined ? {} : { cpuShare: overrides.cpuShare },
    );
    const before = markCalls(servers.proxies);
    const logBefore = sim.log.length;
    const settings = Object.entries(overrides.env ?? {})
      .map(([k, v]) => ` ${k}=${v}`)
      .join('');
    options.progress(
      `catchup: one invocation with a ${windowMinutes}-minute fetch window (real time)${settings}`,
    );
    const report = await lambda.invoke(windowMinutes * 60_000 + DEADLINE_MARGIN_MS);
    const { stdout } = await lambda.stop();
    const after = markCalls(servers.proxies);
    if (!report.ok) throw new Error(`the catch-up invocation failed: ${report.error}`);

    const served = sim.log.slice(logBefore);
    const perMinute = Array.from({ length: windowMinutes + 1 }, () => ({ requests: 0, events: 0 }));
    let eventsServed = 0;
    let burstEnd = report.startedAt;
    let answered = 0;
    for (const page of served) {
      if (page.status !== 200) continue;
      answered += 1;
      eventsServed += page.itemUuids.length;
      const minute = perMinute[Math.min(windowMinutes, Math.floor((page.at - report.startedAt) / 60_000))];
      if (minute) {
        minute.requests += 1;
        minute.events += page.itemUuids.length;
      }
      if (answered === BUDGET_PER_MINUTE) burstEnd = page.at;
    }
    const streams =
      (report.summary as { streams?: Array<{ eventsArchived: number; objectsWritten: number }> }).streams ??
      [];
    const usage = await usageBetween(servers.aws, servers.proxies, before, after);
    return {
      windowMinutes,
      eventsArchived: streams.reduce((n, s) => n + s.eventsArchived, 0),
      eventsServed,
      invocationMs: report.endedAt - report.startedAt,
      requests: served.length,
      throttled: served.filter((page) => page.status === 429).length,
      statuses: served.reduce<Record<number, number>>((counts, page) => {
        counts[page.status] = (counts[page.status] ?? 0) + 1;
        return counts;
      }, {}),
      perMinute: perMinute.filter((m) => m.requests > 0),
      burst: { requests: Math.min(answered, BUDGET_PER_MINUTE), ms: burstEnd - report.startedAt },
      cpuMicros: report.cpuMicros - lambda.initCpuMicros,
      maxRssKiB: report.maxRssKiB,
      objects: streams.reduce((n, s) => n + s.objectsWritten, 0),
      usage,
      stdout,
      report,
    };
  } finally {
    await servers.close();
  }
}

export async function runCatchup(
  options: BenchOptions,
  run: CatchupRun,
  throttled: CatchupRun | undefined,
): Promise<Section> {
  const started = performance.now();
  const windowSeconds = run.windowMinutes * 60;
  const ceiling = BUDGET_PER_MINUTE * PAGE_EVENTS * run.windowMinutes;
  const rate = run.eventsArchived / windowSeconds;
  const share = run.eventsArchived / ceiling;
  const burstRate = (run.burst.requests * PAGE_EVENTS) / (run.burst.ms / 1000);
  const meanLatency = (LATENCY_MS.min + LATENCY_MS.max) / 2;
  const pagingBound = (EVENT_TYPES.length * PAGE_EVENTS * 1000) / meanLatency;
  const cpuPerEvent = run.cpuMicros / run.eventsArchived;
  const vcpuAtCeiling = (cpuPerEvent * BUDGET_EVENTS_PER_SECOND) / 1e6;
  const lambdaShare = FUNCTION_MEMORY_MB / LAMBDA_MB_PER_VCPU;
  const throttledShare = throttled
    ? throttled.eventsArchived / (BUDGET_PER_MINUTE * PAGE_EVENTS * throttled.windowMinutes)
    : Number.NaN;
  /** Seconds of a 512 MB function's CPU share that one minute's pages take. */
  const minuteOfCpu = (BUDGET_PER_MINUTE * PAGE_EVENTS * cpuPerEvent) / 1e6 / lambdaShare;
  options.progress(`catchup: ${formatNumber(run.eventsArchived)} events, ${formatNumber(rate)} events/s`);

  const figures = [
    figure(
      `Catch-up rate, ${run.windowMinutes} budget minute${run.windowMinutes > 1 ? 's' : ''} (${formatNumber(run.eventsArchived)} events)`,
      `${formatNumber(rate)} events/s = ${(100 * share).toFixed(1)}% of ${formatNumber(BUDGET_EVENTS_PER_SECOND)}/s`,
      `≥ ${TARGET_SHARE * 100}% of the budget's ceiling`,
      verdictOf(share >= TARGET_SHARE && run.eventsArchived === run.eventsServed),
    ),
    ...(throttled
      ? [
          figure(
            `Same, held to a ${FUNCTION_MEMORY_MB} MB function's CPU share (${lambdaShare.toFixed(2)} of a core)`,
            `${formatNumber(throttledShare * BUDGET_EVENTS_PER_SECOND)} events/s = ${(100 * throttledShare).toFixed(1)}%`,
            `≥ ${TARGET_SHARE * 100}% of the budget's ceiling`,
            verdictOf(throttledShare >= TARGET_SHARE && throttled.eventsArchived === throttled.eventsServed),
          ),
        ]
      : []),
    figure(
      `Burst: first ${formatNumber(run.burst.requests)} pages, from the invocation's start`,
      `${formatNumber(burstRate)} events/s in ${(run.burst.ms / 1000).toFixed(1)} s`,
      `paging bound ${formatNumber(pagingBound)}/s (3 streams, ${meanLatency} ms/page)`,
      'info',
    ),
    figure(
      'HTTP 429 answers from the API during the catch-up',
      formatNumber(run.throttled),
      '0 (the budget stays below the limit)',
      verdictOf(run.throttled === 0),
    ),
    figure(
      'Collector CPU at the ceiling (bundled handler, all work)',
      `${cpuPerEvent.toFixed(1)} µs/event → ${vcpuAtCeiling.toFixed(3)} vCPU at ${formatNumber(BUDGET_EVENTS_PER_SECOND)}/s`,
      `≤ ${lambdaShare.toFixed(2)} vCPU (a ${FUNCTION_MEMORY_MB} MB Lambda's share)`,
      verdictOf(vcpuAtCeiling <= lambdaShare),
    ),
  ];

  const minuteRows = run.perMinute.map(
    (m, i) =>
      `| ${i === run.windowMinutes ? `after the window (pages in flight at its end)` : `minute ${i + 1}`} | ${formatNumber(m.requests)} | ${formatNumber(m.events)} |`,
  );
  return {
    name: 'catchup',
    title: 'Catch-up rate',
    figures,
    method: [
      `The handler, bundled and minified as deployed, runs in a Node process of its own (\`NODE_OPTIONS=${DEPLOYED_NODE_OPTIONS}\` as deployed) and is invoked once, like a warm Lambda invocation, with ${run.windowMinutes} min + ${DEADLINE_MARGIN_MS / 1000} s on the clock: with the default \`DEADLINE_MARGIN_MS\` it may start requests for exactly ${run.windowMinutes} minute${run.windowMinutes > 1 ? 's' : ''}.`,
      `It reads a backlog larger than it can fetch (${formatNumber(run.eventsServed)} served of about ${formatNumber(Math.ceil((BUDGET_PER_MINUTE * PAGE_EVENTS * run.windowMinutes * 1.4) / 3) * 3)} loaded) from the simulator, which answers each request after ${LATENCY_MS.min}–${LATENCY_MS.max} ms and enforces the API's 600/minute and 30,000/hour; state goes to dynalite, objects to s3rver, all over HTTP on loopback, in the benchmark's process.`,
      `The ceiling is what the client budget (\`REQUEST_BUDGET_PER_MINUTE\`=${BUDGET_PER_MINUTE}) lets any client fetch in the window: ${BUDGET_PER_MINUTE} pages of ${formatNumber(PAGE_EVENTS)} events per minute, ${formatNumber(BUDGET_EVENTS_PER_SECOND)} events/s. The rate is the events archived and committed by the run divided by the window; the run checks that it archived every event the simulator served. Over a whole hour the budget's 27,000 requests cap the rate at 7,500 events/s (the API's own: 8,333/s).`,
      `The same catch-up runs a second time with the Lambda process held to ${lambdaShare.toFixed(2)} of a core, the CPU a ${FUNCTION_MEMORY_MB} MB function gets (one vCPU at ${formatNumber(LAMBDA_MB_PER_VCPU)} MB): in every 100 ms it may run for ${Math.round(lambdaShare * 100)} ms and is stopped (SIGSTOP/SIGCONT, all threads) for the rest, as a CPU quota does.`,
      'The sliding minute budget starts empty, so each minute is a burst (three streams, each fetching its next page while its previous batch is written) followed by a wait for the slots to free; the burst row shows how fast the collector goes when only paging latency holds it back.',
    ].join('\n\n'),
    details: [
      `Invocation: ${formatNumber(run.invocationMs / 1000, 1)} s of wall time; ${formatNumber(run.requests)} API requests (${Object.entries(
        run.statuses,
      )
        .map(([status, n]) => `${formatNumber(n)}× ${status}`)
        .join(
          ', ',
        )}); ${formatNumber(run.objects)} objects, ${formatBytes(run.usage.s3PutBytes)} of gzip; peak RSS of the Lambda process ${formatBytes(run.maxRssKiB * 1024)}.`,
      '',
      '| budget minute | pages answered | events |',
      '| --- | ---: | ---: |',
      ...minuteRows,
      ...(throttled
        ? [
            '',
            `Held to ${lambdaShare.toFixed(2)} of a core: ${formatNumber(throttled.eventsArchived)} events in ${formatNumber(throttled.invocationMs / 1000, 1)} s of wall time; the first ${formatNumber(throttled.burst.requests)} pages took ${(throttled.burst.ms / 1000).toFixed(1)} s; ${formatNumber(throttled.throttled)} answers were 429.`,
          ]
        : []),
    ].join('\n'),
    findings: [
      share >= TARGET_SHARE
        ? `The collector used ${formatNumber(run.requests)} requests in ${run.windowMinutes} budget minute${run.windowMinutes > 1 ? 's' : ''}, ${(100 * (run.requests / (BUDGET_PER_MINUTE * run.windowMinutes))).toFixed(0)}% of the slots, and archived every event it was served: the budget, not the collector, sets the pace. A minute's ${BUDGET_PER_MINUTE} requests went out in ${(run.burst.ms / 1000).toFixed(0)} s; the rest of the minute it waits for the oldest slots to free.`
        : `The collector reached ${(100 * share).toFixed(0)}% of the ceiling. The per-minute table shows where slots went unused; the burst row shows whether paging (${formatNumber(pagingBound)} events/s with three streams at ${meanLatency} ms) or the collector's own work held it back.`,
      '',
      `On Lambda the same run needs ${vcpuAtCeiling.toFixed(2)} vCPU at the ceiling, ${vcpuAtCeiling <= lambdaShare ? 'within' : 'more than'} the ${lambdaShare.toFixed(2)} vCPU of a ${FUNCTION_MEMORY_MB} MB function; its bursts are then slower than here (the collector, not paging, sets their pace), but each minute's requests still fit in the minute as long as ${formatNumber(BUDGET_PER_MINUTE * PAGE_EVENTS)} events take less than 60 s of that CPU share (${minuteOfCpu.toFixed(0)} s by this measurement).${
        throttled
          ? ` Held to that share, the catch-up reached ${(100 * throttledShare).toFixed(0)}% of the ceiling, its first minute's pages taking ${(throttled.burst.ms / 1000).toFixed(0)} s.`
          : ''
      }`,
      ...(minuteOfCpu > 0.7 * 60
        ? [
            '',
            `That is ${Math.round((100 * minuteOfCpu) / 60)}% of each minute: on a ${FUNCTION_MEMORY_MB} MB function the collector's own work comes close to setting the pace, and a slower core (or heavier events) would push the catch-up under the ceiling. The CPU changes proposed in the CPU section, or 1,024 MB of memory (twice the CPU; an idle run is network-bound, so it costs about the duration line again, a few cents a month), restore the margin.`,
          ]
        : []),
      '',
      `A catch-up spans many invocations. A warm one keeps the budget's history and carries on at the same pace; a cold start forgets it and may burst into requests the API already counted, and gets 429s until the window frees (backed off with jitter, honouring \`Retry-After\`). Over an hour the budget's ${formatNumber(27_000)} requests hold a long catch-up to 7,500 events/s: 120 days of an account producing 1 million events a day (120 million) take about ${(120e6 / 7_500 / 3600).toFixed(1)} h.`,
    ].join('\n'),
    durationMs: performance.now() - started,
  };
}
