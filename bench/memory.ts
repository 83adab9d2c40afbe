import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CatchupRun } from './catchup';
import { DEFAULT_BATCH_MAX_BYTES, DEFAULT_BATCH_MAX_EVENTS } from './cpu';
import { bundle, PROJECT_ROOT, scratchDir } from './support/bundle';
import { generateCorpus, pageBodies } from './support/corpus';
import { FUNCTION_MEMORY_MB, lambdaNodeFlags } from './support/lambda-runner';
import { runProbe } from './support/probe';
import { startServers } from './support/servers';
import { formatBytes, formatNumber } from './support/stats';
import { type BenchOptions, figure, type Section, verdictOf } from './types';

/** Room to spare: the peak must stay under this share of the function's memory. */
const MAX_SHARE = 0.8;
const FUNCTION_BYTES = FUNCTION_MEMORY_MB * 1024 * 1024;
/** The smaller batch limit this section proposes, measured alongside the default. */
export const PROPOSED_BATCH_MAX_BYTES = 8 * 1024 * 1024;

interface BatchMemory {
  readonly pages: number;
  readonly events: number;
  readonly uncompressedBytes: number;
  readonly gzippedBytes: number;
  readonly maxRssKiB: number;
}

/**
 * Peak memory: one batch at the default limits, built and written in a fresh process with
 * the Lambda runtime's heap limits; and, when the catch-up ran, the peak of the Lambda
 * process over the whole catch-up, where three streams each build one batch while writing
 * the previous one.
 */
export async function runMemory(
  options: BenchOptions,
  catchup: {
    defaults: CatchupRun | undefined;
    throttled?: CatchupRun | undefined;
    proposed: CatchupRun | undefined;
  },
): Promise<Section> {
  const started = performance.now();
  const dir = scratchDir('memory');
  const child = await bundle(
    join(PROJECT_ROOT, 'bench', 'support', 'memory-child.ts'),
    join(dir, 'child.js'),
  );
  options.progress('memory: generating one batch worth of item-usage pages');
  const corpus = await generateCorpus(Math.ceil(DEFAULT_BATCH_MAX_EVENTS * 1.1), 13);
  const pagesFile = join(dir, 'pages.ndjson');
  writeFileSync(pagesFile, `${pageBodies(corpus.itemusages).join('\n')}\n`);

  const servers = await startServers({ rateLimit: false });
  let defaults: BatchMemory;
  let proposed: BatchMemory;
  let onePage: BatchMemory;
  try {
    options.progress('memory: the largest default batch, in a fresh process');
    defaults = await measureBatch(child.file, pagesFile, servers.lambdaEnv(), DEFAULT_BATCH_MAX_BYTES);
    proposed = await measureBatch(child.file, pagesFile, servers.lambdaEnv(), PROPOSED_BATCH_MAX_BYTES);
    onePage = await measureBatch(child.file, pagesFile, servers.lambdaEnv(), 1);
  } finally {
    await servers.close();
  }

  const share = (kib: number) => (kib * 1024) / FUNCTION_BYTES;
  const value = (kib: number) =>
    `${formatBytes(kib * 1024)} = ${(100 * share(kib)).toFixed(0)}% of ${FUNCTION_MEMORY_MB} MB`;
  const target = `≤ ${MAX_SHARE * 100}% of ${FUNCTION_MEMORY_MB} MB`;
  const figures = [
    figure(
      `Peak RSS, one batch at the defaults (${formatNumber(defaults.events)} events, ${formatBytes(defaults.uncompressedBytes)})`,
      value(defaults.maxRssKiB),
      target,
      verdictOf(share(defaults.maxRssKiB) <= MAX_SHARE),
    ),
  ];
  const catchupPeak = peakOfCatchups(catchup);
  if (catchupPeak !== undefined) {
    figures.push(
      figure(
        'Peak RSS of the catch-up (3 streams, each writing a batch while filling the next)',
        value(catchupPeak),
        target,
        verdictOf(share(catchupPeak) <= MAX_SHARE),
      ),
    );
  }
  const rows = [
    `| baseline: a batch of one page | ${formatNumber(onePage.events)} events, ${formatBytes(onePage.uncompressedBytes)} → ${formatBytes(onePage.gzippedBytes)} gzip | ${formatBytes(onePage.maxRssKiB * 1024)} |`,
    `| one batch, defaults (${formatNumber(DEFAULT_BATCH_MAX_EVENTS)} events or ${formatBytes(DEFAULT_BATCH_MAX_BYTES)}) | ${formatNumber(defaults.events)} events, ${formatBytes(defaults.uncompressedBytes)} → ${formatBytes(defaults.gzippedBytes)} gzip | ${formatBytes(defaults.maxRssKiB * 1024)} |`,
    `| one batch, \`BATCH_MAX_BYTES\`=${formatBytes(PROPOSED_BATCH_MAX_BYTES)} | ${formatNumber(proposed.events)} events, ${formatBytes(proposed.uncompressedBytes)} → ${formatBytes(proposed.gzippedBytes)} gzip | ${formatBytes(proposed.maxRssKiB * 1024)} |`,
  ];
  for (const [label, run] of [
    ['catch-up, defaults', catchup.defaults],
    [`catch-up, defaults, held to the ${FUNCTION_MEMORY_MB} MB CPU share`, catchup.throttled],
  ] as const) {
    if (!run) continue;
    rows.push(
      `| ${label} (${run.windowMinutes} min) | ${formatNumber(run.objects)} objects of ${formatBytes(run.usage.s3PutBytes / Math.max(1, run.objects))} gzip on average | ${formatBytes(run.maxRssKiB * 1024)} |`,
    );
  }
  if (catchup.proposed) {
    const rate = catchup.proposed.eventsArchived / (catchup.proposed.windowMinutes * 60);
    rows.push(
      `| catch-up, \`BATCH_MAX_BYTES\`=${formatBytes(PROPOSED_BATCH_MAX_BYTES)} (${catchup.proposed.windowMinutes} min) | ${formatNumber(catchup.proposed.objects)} objects of ${formatBytes(catchup.proposed.usage.s3PutBytes / Math.max(1, catchup.proposed.objects))} gzip on average; ${formatNumber(rate)} events/s | ${formatBytes(catchup.proposed.maxRssKiB * 1024)} |`,
    );
  }

  return {
    name: 'memory',
    title: 'Memory',
    figures,
    method: [
      `One batch: a fresh \`node\` process, started with the heap limits the Lambda runtime sets for ${FUNCTION_MEMORY_MB} MB (\`${lambdaNodeFlags(FUNCTION_MEMORY_MB).join(' ')}\`), reads item-usage pages (the type with the most events per byte) one at a time through the Events API client, adds them to a \`BatchBuilder\` with the default limits until it is full, seals it (gzip, SHA-256) and uploads it to s3rver with \`ArchiveWriter\`; the figure is \`process.resourceUsage().maxRSS\`. The same again with \`BATCH_MAX_BYTES\`=${formatBytes(PROPOSED_BATCH_MAX_BYTES)}, and with a batch of a single page, which shows what the process holds before any batch (code, SDK clients, heap headroom).`,
      'Catch-up: the peak resident set of the Lambda process over the catch-up runs of the previous section (the higher of the two with the default limits), where each of the three streams holds the batch it is writing and the one it is filling; and over a one-minute catch-up with the smaller batch limit.',
      `"Room to spare" is taken as at most ${MAX_SHARE * 100}% of the configured memory: Lambda stops a function whose memory reaches the limit.`,
    ].join('\n\n'),
    details: ['| run | batch | peak RSS |', '| --- | --- | ---: |', ...rows].join('\n'),
    findings: memoryFindings(defaults, proposed, onePage, catchup),
    durationMs: performance.now() - started,
  };
}

/** The highest peak of the catch-ups run with the default batch limits. */
function peakOfCatchups(catchup: {
  defaults: CatchupRun | undefined;
  throttled?: CatchupRun | undefined;
}): number | undefined {
  const peaks = [catchup.defaults, catchup.throttled].flatMap((run) => (run ? [run.maxRssKiB] : []));
  return peaks.length === 0 ? undefined : Math.max(...peaks);
}

function memoryFindings(
  defaults: BatchMemory,
  proposed: BatchMemory,
  onePage: BatchMemory,
  catchup: {
    defaults: CatchupRun | undefined;
    throttled?: CatchupRun | undefined;
    proposed: CatchupRun | undefined;
  },
): string {
  const perBatch = ((defaults.maxRssKiB - onePage.maxRssKiB) * 1024) / defaults.uncompressedBytes;
  const lines = [
    `A process that has built no batch to speak of peaks at ${formatBytes(onePage.maxRssKiB * 1024)} (code, SDK clients, the heap's working room). A default batch (${formatBytes(defaults.uncompressedBytes)} of NDJSON) ${
      perBatch < 0.5
        ? `adds nothing measurable (${formatBytes(Math.max(0, (defaults.maxRssKiB - onePage.maxRssKiB) * 1024))}): the builder compresses and hashes lines in 256 KiB chunks as they arrive, so it holds only its ${formatBytes(defaults.gzippedBytes)} of gzip, and the page being read dominates.`
        : `adds ${formatBytes((defaults.maxRssKiB - onePage.maxRssKiB) * 1024)}, ${perBatch.toFixed(1)}× its size.`
    }`,
  ];
  const peak = peakOfCatchups(catchup);
  if (peak !== undefined && (peak * 1024) / FUNCTION_BYTES > MAX_SHARE) {
    lines.push(
      '',
      `In a catch-up each of the three streams holds the batch it is writing and the one it is filling, so the process peaks at ${formatBytes(peak * 1024)}, ${(100 * ((peak * 1024) / FUNCTION_BYTES)).toFixed(0)}% of the function's ${FUNCTION_MEMORY_MB} MB: too close to the limit at which Lambda stops the function mid-batch (the next run resumes from the last commit, so nothing is lost, but a catch-up that dies on every run makes no progress).`,
      '',
      `**Change**: the default of \`BATCH_MAX_BYTES\` in \`lambdas/shared/env.ts\` from ${formatBytes(32 * 1024 * 1024)} to ${formatBytes(PROPOSED_BATCH_MAX_BYTES)}. One such batch peaks at ${formatBytes(proposed.maxRssKiB * 1024)}${catchup.proposed ? `, and the catch-up at ${formatBytes(catchup.proposed.maxRssKiB * 1024)} while keeping its rate (${formatNumber(catchup.proposed.eventsArchived / (catchup.proposed.windowMinutes * 60))} events/s over ${catchup.proposed.windowMinutes} min)` : ''}. Objects get four times as many and four times smaller (${formatBytes(proposed.gzippedBytes)} of gzip, still a comfortable size for SIEM readers); the S3 PUTs this adds cost fractions of a cent per million events (see Cost).`,
      '',
      'The structural fix is to compress as events arrive: a gzip stream and a SHA-256 fed each line by `BatchBuilder.add`, so that a batch holds only its compressed bytes (about an eighth of the NDJSON) instead of lines, joined body and Buffer copy. It would also remove the join and copy from the CPU cost.',
    );
  } else if (peak !== undefined) {
    lines.push(
      '',
      `In the catch-up, three streams each holding two batches, the process peaks at ${formatBytes(peak * 1024)}, within the target.`,
    );
  }
  return lines.join('\n');
}

function measureBatch(
  childFile: string,
  pagesFile: string,
  env: Record<string, string>,
  maxBytes: number,
): Promise<BatchMemory> {
  return runProbe<BatchMemory>(
    'memory probe',
    [childFile, pagesFile, String(DEFAULT_BATCH_MAX_EVENTS), String(maxBytes)],
    env,
  );
}
