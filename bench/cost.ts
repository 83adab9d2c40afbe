import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetricName } from '../lambdas/shared/metric-names';
import type { CatchupRun } from './catchup';
import type { HourSample } from './idle';
import { HOURS_PER_MONTH, PRICES, PRICES_AS_OF } from './prices';
import { PROJECT_ROOT } from './support/bundle';
import { distinctMetrics, parseEmf } from './support/emf';
import { FUNCTION_MEMORY_MB } from './support/lambda-runner';
import { formatBytes, formatNumber, formatUsd, median } from './support/stats';
import { type BenchOptions, figure, type Section, verdictOf } from './types';

const RUNS_PER_MONTH = 60 * HOURS_PER_MONTH;
/** Assumed: Lambda replaces an every-minute function's execution environment about once an hour. */
const COLD_STARTS_PER_MONTH = HOURS_PER_MONTH;
const FUNCTION_GB = FUNCTION_MEMORY_MB / 1024;
/** Estimate: the platform.start and platform.report records Lambda adds per invocation in JSON log format. */
const PLATFORM_LOG_BYTES = 600;
/** The log group's default retention (lib/house-nodejs-function.ts). */
const LOG_RETENTION_MONTHS = 12;
/**
 * Per source, whatever its streams (lib/source-collector.ts): drop-off, falling behind, cursor reset,
 * collector errors, no successful run, auth failure and schedule failed. CloudWatch bills an alarm per
 * metric it reads: no-successful-run is metric math over Invocations and Errors, so two.
 */
const ALARMS_PER_SOURCE = 7;
const ALARM_METRICS_PER_SOURCE = 8;
/** Estimate: DynamoDB re-fetches the table's KMS data key about every five minutes while in use. */
const DYNAMODB_KMS_REQUESTS_PER_MONTH = 12 * HOURS_PER_MONTH;
/** The client budget's hourly default: over a long catch-up it, not the minute budget, sets the pace. */
const HOURLY_BUDGET_EVENTS_PER_SECOND = (27_000 * 1000) / 3600;
const LAMBDA_TIMEOUT_S = 300;
const GB = 1024 ** 3;

const TARGET_IDLE_MONTH = 3;
const TARGET_ACTIVE_MONTH = 3;
/**
 * The same measurement of an active source under the earlier metric contract (commit d003f6d):
 * four metrics per stream every hour, and three alarms per stream.
 */
const ACTIVE_BEFORE = {
  usd: 6.855,
  metrics: 12,
  metricsUsd: 3.6,
  alarms: 13,
  alarmMetrics: 14,
  alarmsUsd: 1.4,
};
const TARGET_PER_MILLION = 0.05;

interface LineItem {
  readonly item: string;
  readonly basis: string;
  readonly usd: number;
}

const total = (items: readonly LineItem[]) => items.reduce((n, i) => n + i.usd, 0);

/** What one month of an every-minute source costs, from an hour of measured runs. */
function monthOf(sample: HourSample): LineItem[] {
  const warmRuns = sample.runs - 1;
  const warmMs = median(sample.warmRunMs);
  const coldExtraMs =
    sample.initMs + Math.max(0, sample.firstRun.endedAt - sample.firstRun.startedAt - warmMs);
  const perRun = (n: number) => n / warmRuns;
  const writeUnits = perRun(sample.usageWarm.dynamodbWriteUnits);
  const readUnits = perRun(sample.usageWarm.dynamodbReadUnits);
  const puts = perRun((sample.usageWarm.s3.PutObject ?? 0) + (sample.usageWarm.s3.ListObjectsV2 ?? 0));
  const gets = perRun((sample.usageWarm.s3.HeadObject ?? 0) + (sample.usageWarm.s3.GetObject ?? 0));
  const storedGb = (perRun(sample.usageWarm.s3PutBytes) * RUNS_PER_MONTH) / GB;
  const logBytesPerRun = sample.stdoutBytes / sample.runs + PLATFORM_LOG_BYTES;
  const logGb = (logBytesPerRun * RUNS_PER_MONTH) / GB;
  const secretReadsPerCold = sample.usageFirst.secretReads;
  const metricCount = sample.distinctMetrics.length;
  const items: LineItem[] = [
    {
      item: 'Lambda requests',
      basis: `${formatNumber(RUNS_PER_MONTH)} invocations`,
      usd: (RUNS_PER_MONTH / 1e6) * PRICES.lambda.perMillionRequests,
    },
    {
      item: 'Lambda duration (Arm, 512 MB)',
      basis: `${formatNumber(RUNS_PER_MONTH)} × ${formatNumber(warmMs)} ms (median warm run) + ${formatNumber(COLD_STARTS_PER_MONTH)} cold starts × ${formatNumber(coldExtraMs)} ms`,
      usd:
        ((RUNS_PER_MONTH * warmMs + COLD_STARTS_PER_MONTH * coldExtraMs) / 1000) *
        FUNCTION_GB *
        PRICES.lambda.armGbSecond,
    },
    {
      item: 'Schedule (EventBridge)',
      basis: `${formatNumber(RUNS_PER_MONTH)} scheduled invocations at $1.00 per million (past the account's free 14 million)`,
      usd: (RUNS_PER_MONTH / 1e6) * PRICES.eventBridge.perMillionScheduledInvocations,
    },
    {
      item: 'DynamoDB (on-demand)',
      basis: `${writeUnits.toFixed(1)} write units${readUnits > 0 ? ` + ${readUnits.toFixed(1)} read units` : ''} per run (${Object.entries(
        sample.usageWarm.dynamodb,
      )
        .map(([op, n]) => `${(n / warmRuns).toFixed(1)} ${op}`)
        .join(', ')}; state item ≤ ${formatNumber(sample.usageWarm.stateItemBytes)} B)`,
      usd:
        (RUNS_PER_MONTH / 1e6) *
        (writeUnits * PRICES.dynamodb.perMillionWriteUnits + readUnits * PRICES.dynamodb.perMillionReadUnits),
    },
    {
      item: 'S3 requests',
      basis: `${puts.toFixed(1)} PUT/LIST + ${gets.toFixed(1)} GET/HEAD per run`,
      usd:
        ((RUNS_PER_MONTH * puts) / 1000) * PRICES.s3.perThousandPuts +
        ((RUNS_PER_MONTH * gets) / 1000) * PRICES.s3.perThousandGets,
    },
    {
      item: 'S3 storage (first month of what the month wrote)',
      basis: `${formatBytes(storedGb * GB)} of gzip`,
      usd: storedGb * PRICES.s3.standardGbMonth,
    },
    {
      item: 'CloudWatch custom metrics',
      basis: `${metricCount} metric${metricCount === 1 ? '' : 's'} with data every hour (${
        sample.distinctMetrics
          .map((m) => m.replace(/\{.*\}/, ''))
          .filter((m, i, all) => all.indexOf(m) === i)
          .join(', ') || 'none'
      })`,
      usd: metricCount * PRICES.cloudWatch.customMetricMonth,
    },
    {
      item: 'CloudWatch alarms',
      basis: `${ALARMS_PER_SOURCE} standard alarms per source, reading ${ALARM_METRICS_PER_SOURCE} metrics (billed per metric)`,
      usd: ALARM_METRICS_PER_SOURCE * PRICES.cloudWatch.standardAlarmMonth,
    },
    {
      item: 'CloudWatch Logs',
      basis: `${formatNumber(logBytesPerRun)} B per run (${formatNumber(sample.stdoutBytes / sample.runs)} B measured + ${PLATFORM_LOG_BYTES} B platform records) = ${formatBytes(logGb * GB)}/month; storage at ${LOG_RETENTION_MONTHS} months' retention, uncompressed (an upper bound)`,
      usd:
        logGb * PRICES.cloudWatch.logsIngestionGb +
        logGb * LOG_RETENTION_MONTHS * PRICES.cloudWatch.logsStorageGbMonth,
    },
    {
      item: 'Secrets Manager',
      basis: `1 secret + ${secretReadsPerCold} read per cold start (${formatNumber(COLD_STARTS_PER_MONTH * secretReadsPerCold)} reads)`,
      usd:
        PRICES.secretsManager.secretMonth +
        ((COLD_STARTS_PER_MONTH * secretReadsPerCold) / 10_000) * PRICES.secretsManager.perTenThousandCalls,
    },
    {
      item: 'KMS requests',
      basis: `a Decrypt per secret read + ~${formatNumber(DYNAMODB_KMS_REQUESTS_PER_MONTH)} for the state table (estimate); S3 uses a bucket key`,
      usd:
        ((COLD_STARTS_PER_MONTH * secretReadsPerCold + DYNAMODB_KMS_REQUESTS_PER_MONTH) / 10_000) *
        PRICES.kms.perTenThousandRequests,
    },
  ];
  return items;
}

/** The cost of a million more events, from the calls the catch-up made. */
function perMillion(run: CatchupRun): { items: LineItem[]; metrics: string[]; seconds: number } {
  const scale = 1e6 / run.eventsArchived;
  const sustained = Math.min(run.eventsArchived / (run.windowMinutes * 60), HOURLY_BUDGET_EVENTS_PER_SECOND);
  const seconds = 1e6 / sustained;
  const metrics = distinctMetrics(parseEmf(run.stdout.split('\n')));
  const metricHours = (metrics.length * seconds) / 3600;
  const writeUnits = run.usage.dynamodbWriteUnits * scale;
  const puts = ((run.usage.s3.PutObject ?? 0) + (run.usage.s3.ListObjectsV2 ?? 0)) * scale;
  const storedGb = (run.usage.s3PutBytes * scale) / GB;
  const logGb = (Buffer.byteLength(run.stdout) * scale) / GB;
  const items: LineItem[] = [
    {
      item: 'Lambda duration (Arm, 512 MB)',
      basis: `${formatNumber(seconds)} s at ${formatNumber(sustained)} events/s (the measured rate, or the hourly budget's 7,500/s if lower)`,
      usd: seconds * FUNCTION_GB * PRICES.lambda.armGbSecond,
    },
    {
      item: 'Lambda requests',
      basis: `${(seconds / LAMBDA_TIMEOUT_S).toFixed(1)} five-minute invocations`,
      usd: (seconds / LAMBDA_TIMEOUT_S / 1e6) * PRICES.lambda.perMillionRequests,
    },
    {
      item: 'DynamoDB writes',
      basis: `${formatNumber(writeUnits, 1)} write units (${Object.entries(run.usage.dynamodb)
        .map(([op, n]) => `${n} ${op}`)
        .join(', ')} for ${formatNumber(run.eventsArchived)} events)`,
      usd: (writeUnits / 1e6) * PRICES.dynamodb.perMillionWriteUnits,
    },
    {
      item: 'S3 PUT',
      basis: `${formatNumber(puts, 1)} objects`,
      usd: (puts / 1000) * PRICES.s3.perThousandPuts,
    },
    {
      item: 'S3 storage, per month kept',
      basis: `${formatBytes(storedGb * GB)} of gzip in S3 Standard; ${formatUsd(storedGb * PRICES.s3.glacierInstantRetrievalGbMonth)} a month once moved to Glacier IR (after 90 days in the example configuration)`,
      usd: storedGb * PRICES.s3.standardGbMonth,
    },
    {
      item: 'CloudWatch metrics',
      basis: `${metrics.length} metrics for ${(seconds / 3600).toFixed(3)} h of catch-up = ${metricHours.toFixed(2)} metric-hours`,
      usd: (metricHours / HOURS_PER_MONTH) * PRICES.cloudWatch.customMetricMonth,
    },
    {
      item: 'CloudWatch Logs',
      basis: `${formatBytes(logGb * GB)} ingested and kept ${LOG_RETENTION_MONTHS} months`,
      usd:
        logGb * PRICES.cloudWatch.logsIngestionGb +
        logGb * LOG_RETENTION_MONTHS * PRICES.cloudWatch.logsStorageGbMonth,
    },
  ];
  return { items, metrics, seconds };
}

export interface PeerRow {
  readonly name: string;
  readonly settings: string;
  readonly idleMonth: number;
  readonly perMillion: number | undefined;
  readonly derivation: string;
}

function peers(
  ours: { idle: number; perMillion: number },
  meanEventBytes: number,
  seconds: number,
): PeerRow[] {
  const groveRuns = 6 * HOURS_PER_MONTH;
  const groveTaskHour = 0.25 * PRICES.fargate.vcpuHour + 0.5 * PRICES.fargate.gbHour;
  const groveCompute = groveRuns * (1 / 60) * groveTaskHour;
  const grovePuts = ((groveRuns * 3) / 1000) * PRICES.s3.perThousandPuts;
  const nat = HOURS_PER_MONTH * PRICES.natGateway.hour;
  const natPerMillion = ((meanEventBytes * 1e6) / GB) * PRICES.natGateway.perGbProcessed;
  const lambda3gGb = 3000 / 1024;
  const lambda3gRunS = 1;
  const lambda3g =
    RUNS_PER_MONTH * lambda3gRunS * lambda3gGb * PRICES.lambda.x86GbSecond +
    (RUNS_PER_MONTH / 1e6) * PRICES.lambda.perMillionRequests +
    (RUNS_PER_MONTH / 1e6) * PRICES.eventBridge.perMillionScheduledInvocations;
  return [
    {
      name: 'this project',
      settings: `Lambda 512 MB Arm, every minute; ${ALARMS_PER_SOURCE} alarms, metrics, logs, state, secret`,
      idleMonth: ours.idle,
      perMillion: ours.perMillion,
      derivation: 'measured calls × list prices (tables above)',
    },
    {
      name: 'Grove on ECS Fargate (its Terraform template)',
      settings:
        'a 0.25 vCPU / 0.5 GB x86 task started every 10 minutes, in a private subnet behind a NAT gateway; Container Insights on',
      idleMonth: groveCompute + grovePuts + nat,
      perMillion: natPerMillion,
      derivation: `${formatNumber(groveRuns)} runs × Fargate's 1-minute minimum = ${formatUsd(groveCompute)}; NAT gateway ${formatUsd(nat)}; an object per stream per run ${formatUsd(grovePuts)}; per million events, ${formatBytes(meanEventBytes * 1e6)} of API responses through the NAT (Container Insights, logs, alarms not counted). Without the NAT gateway (public subnet, or one already paid for): ${formatUsd(groveCompute + grovePuts)}. As a service running all month instead: ${formatUsd(HOURS_PER_MONTH * groveTaskHour)} + NAT.`,
    },
    {
      name: 'A 3,000 MB Lambda every minute',
      settings: 'x86 (the default architecture), 1 s per run assumed',
      idleMonth: lambda3g,
      perMillion: seconds * lambda3gGb * PRICES.lambda.x86GbSecond,
      derivation: `${formatNumber(RUNS_PER_MONTH)} runs × 1 s × ${lambda3gGb.toFixed(2)} GB; per million events, the same API-bound ${formatNumber(seconds)} s as this project's at 3,000 MB (no monitoring, state or secret counted)`,
    },
  ];
}

/**
 * Cost per source and per million events, built from what the runs above did: the AWS calls
 * counted on the wire, the EMF metrics and log bytes the handler printed, the durations
 * measured, priced with the list prices in prices.ts.
 */
export async function runCost(
  options: BenchOptions,
  inputs: { idle: HourSample; active: HourSample; catchup: CatchupRun; meanEventBytes: number },
): Promise<Section> {
  const started = performance.now();
  const idle = monthOf(inputs.idle);
  const active = monthOf(inputs.active);
  const million = perMillion(inputs.catchup);
  const idleTotal = total(idle);
  const activeTotal = total(active);
  const millionTotal = total(million.items);
  options.progress(`cost: idle ${formatUsd(idleTotal)}/month, ${formatUsd(millionTotal)} per million events`);
  const peerRows = peers(
    { idle: idleTotal, perMillion: millionTotal },
    inputs.meanEventBytes,
    million.seconds,
  );

  const figures = [
    figure(
      'Cost per source per month, idle (all per-source items)',
      formatUsd(idleTotal),
      `≤ ${formatUsd(TARGET_IDLE_MONTH)}`,
      verdictOf(idleTotal <= TARGET_IDLE_MONTH),
    ),
    figure(
      'Marginal cost per million events',
      formatUsd(millionTotal),
      `≤ ${formatUsd(TARGET_PER_MILLION)}`,
      verdictOf(millionTotal <= TARGET_PER_MILLION),
    ),
    figure(
      `Cost per source per month, active (${inputs.active.eventsPerStreamPerRun} new events per stream every minute)`,
      formatUsd(activeTotal),
      `≤ ${formatUsd(TARGET_ACTIVE_MONTH)}`,
      verdictOf(activeTotal <= TARGET_ACTIVE_MONTH),
    ),
  ];

  const table = (items: readonly LineItem[]) => [
    '| item | basis | USD |',
    '| --- | --- | ---: |',
    ...items.map((i) => `| ${i.item} | ${i.basis} | ${formatUsd(i.usd)} |`),
    `| **total** | | **${formatUsd(total(items))}** |`,
  ];
  // The notary signs one digest per source an hour: a Sign, a PUT, a HEAD per new object (counted per source above as GETs it is not).
  const notaryPerSource =
    (HOURS_PER_MONTH / 10_000) * PRICES.kms.perTenThousandEccRequests +
    (HOURS_PER_MONTH / 1000) * PRICES.s3.perThousandPuts;
  const shared = [
    `| KMS key of the deployment (archive, state, tokens) | ${formatUsd(PRICES.kms.keyMonth)} |`,
    `| KMS key of the alarm topic | ${formatUsd(PRICES.kms.keyMonth)} |`,
    `| KMS key of the notary (asymmetric, signs the digests) | ${formatUsd(PRICES.kms.keyMonth)} |`,
    `| The notary's 3 alarms (4 metrics: not-running is metric math over two) | ${formatUsd(4 * PRICES.cloudWatch.standardAlarmMonth)} |`,
    `| The notary's hourly digest, per source: a KMS Sign and an S3 PUT an hour | ${formatUsd(notaryPerSource)} |`,
    `| Dashboard (if the account already has three) | ${formatUsd(PRICES.cloudWatch.dashboardMonth)} |`,
  ];
  const idleFirst = inputs.idle.usageFirst;

  return {
    name: 'cost',
    title: 'Cost',
    figures,
    method: [
      `**Counted, not assumed.** Every AWS call of the collector passes through a counting proxy in front of dynalite, s3rver and the Secrets Manager stand-in (retries included); Events API requests are read from the simulator's log; metrics are the EMF documents on the handler's stdout, counted as distinct name + dimensions (what CloudWatch bills by the hour); log bytes are the stdout bytes.`,
      `**Idle source**: a fresh Lambda process (cold start) runs ${inputs.idle.runs} scheduled invocations back to back against a simulator with no new events (100–200 ms per request); the warm runs give the per-run counts and the median duration, and a month is ${formatNumber(RUNS_PER_MONTH)} runs (every minute, ${HOURS_PER_MONTH} h) with ${formatNumber(COLD_STARTS_PER_MONTH)} cold starts (one an hour, assumed) billed at the measured init + first-run time. Its first run read the secret ${idleFirst.secretReads === 1 ? 'once' : `${idleFirst.secretReads} times`} and made ${Object.entries(
        idleFirst.dynamodb,
      )
        .map(([op, n]) => `${n} ${op}`)
        .join(
          ', ',
        )}. **Active source**: the same with ${inputs.active.eventsPerStreamPerRun} new events per stream before each run.`,
      `**Per million events**: the catch-up's counts scaled to a million events; Lambda time at the measured sustained rate (capped by the hourly budget), since a catch-up keeps the function running.`,
      `Local durations stand in for Lambda's: an Arm function with 0.29 vCPU, talking to DynamoDB and S3 over the network, runs differently; the duration items are small next to metrics and alarms either way. Prices: us-east-1 list prices as of ${PRICES_AS_OF}, from ${[...new Set(Object.values(PRICES).map((p) => p.source))].join('; ')}; free tiers ignored.`,
    ].join('\n\n'),
    details: [
      `**Idle source, per month** (${formatUsd(idleTotal)}):`,
      '',
      ...table(idle),
      '',
      `**Active source, per month** (${formatUsd(activeTotal)}), ${formatNumber(inputs.active.eventsArchived)} events archived in ${inputs.active.runs} runs:`,
      '',
      ...table(active),
      '',
      `**Per million events** (${formatUsd(millionTotal)}), from the catch-up's ${formatNumber(inputs.catchup.eventsArchived)} events:`,
      '',
      ...table(million.items),
      '',
      `Metrics a catch-up emits: ${million.metrics.join(', ')}.`,
      '',
      '**Shared by every source of a deployment** (not in the per-source figures):',
      '',
      '| item | USD per month |',
      '| --- | ---: |',
      ...shared,
      '',
      '**Peers**, from their published settings (same prices):',
      '',
      '| deployment | settings | idle, per month | per million events | how |',
      '| --- | --- | ---: | ---: | --- |',
      ...peerRows.map(
        (p) =>
          `| ${p.name} | ${p.settings} | ${formatUsd(p.idleMonth)} | ${p.perMillion === undefined ? '—' : formatUsd(p.perMillion)} | ${p.derivation} |`,
      ),
    ].join('\n'),
    findings: costFindings(idle, active, million.items, inputs.idle, inputs.active),
    durationMs: performance.now() - started,
  };
}

function costFindings(
  idle: readonly LineItem[],
  active: readonly LineItem[],
  million: readonly LineItem[],
  idleSample: HourSample,
  activeSample: HourSample,
): string {
  const share = (items: readonly LineItem[]) => {
    const sum = total(items);
    return [...items]
      .sort((a, b) => b.usd - a.usd)
      .slice(0, 3)
      .map((i) => `${i.item} ${formatUsd(i.usd)} (${Math.round((100 * i.usd) / sum)}%)`)
      .join(', ');
  };
  const unused = metricsNobodyReads(activeSample.distinctMetrics);
  const lines = [
    `Idle, the largest items are ${share(idle)}: what a source costs is its monitoring, not its compute. Metrics are emitted only when non-zero, so an idle source pays for ${idleSample.distinctMetrics.length} custom metric${idleSample.distinctMetrics.length === 1 ? '' : 's'} (${idleSample.distinctMetrics.join(', ') || 'none'}) and its alarms.`,
    '',
    `Active, ${activeSample.distinctMetrics.length} metrics appear every hour (${activeSample.distinctMetrics.join(', ')}): ${share(active)}.`,
    '',
    `Before and after: under the earlier metric contract (commit d003f6d) the same active source cost ${formatUsd(ACTIVE_BEFORE.usd)} a month, of which ${formatUsd(ACTIVE_BEFORE.metricsUsd)} were ${ACTIVE_BEFORE.metrics} per-stream metrics (events archived, lag, objects written, pages fetched) and ${formatUsd(ACTIVE_BEFORE.alarmsUsd)} ${ACTIVE_BEFORE.alarms} alarms reading ${ACTIVE_BEFORE.alarmMetrics} metrics; now ${formatUsd(total(active))}. What a healthy source reports every hour is per source; objects, pages, events and lag per stream are in the "stream run finished" log line, which the dashboard's log widgets graph per stream, and one drop-off, one falling-behind and one cursor-reset alarm per source name the stream in the log line their description quotes.`,
  ];
  if (unused.length > 0) {
    const perMonth = unused.length * PRICES.cloudWatch.customMetricMonth;
    lines.push(
      '',
      `${unused.length} of those metrics (${[...new Set(unused.map((m) => m.replace(/\{.*\}/, '')))].join(', ')}) are read by no alarm and no dashboard widget in \`lib/\`; they cost ${formatUsd(perMonth)} per active source per month, and are the first saving to make.`,
    );
  }
  lines.push('', `Per million events, the largest items are ${share(million)}.`);
  return lines.join('\n');
}

/** Metrics (name + dimensions) whose names no file in lib/ refers to: nothing alarms on or graphs them. */
function metricsNobodyReads(metrics: readonly string[]): string[] {
  const libDir = join(PROJECT_ROOT, 'lib');
  const lib = readdirSync(libDir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(libDir, f), 'utf8'))
    .join('\n');
  return metrics.filter((metric) => {
    const name = metric.replace(/\{.*\}/, '');
    const key = Object.entries(MetricName).find(([, value]) => value === name)?.[0];
    return key !== undefined && !lib.includes(`'${key}'`) && !lib.includes(`MetricName.${key}`);
  });
}
