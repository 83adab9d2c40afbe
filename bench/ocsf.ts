/**
 * What the OCSF output costs: how many records a second one core converts (map and Parquet),
 * on the largest objects the collector writes and on what a normal month's digests name; what
 * the transformer function, triggered per digest, costs per million events (and what it would
 * cost triggered per archive object); how large Parquet is beside the archive's gzip NDJSON;
 * and the bundle the function ships.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { GZIP_LEVEL } from '../lambdas/shared/archive/batch';
import { parseBatchKey } from '../lambdas/shared/archive/format';
import { EVENT_TYPES, type EventType } from '../lambdas/shared/event-types';
import { digestOcsfKey } from '../lambdas/shared/ocsf/layout';
import type { JsonObject } from '../lambdas/shared/ocsf/mapper';
import { mapEvent } from '../lambdas/shared/ocsf/mapping';
import { type OcsfFormat, OcsfGroups, transformArchiveObject } from '../lambdas/shared/ocsf/transform';
import { OCSF_VERSION } from '../lambdas/shared/ocsf/version';
import { simulatedMonth } from '../test/ocsf/support/streams';
import { DEFAULT_BATCH_MAX_EVENTS, LAMBDA_MB_PER_VCPU } from './cpu';
import { PRICES, PRICES_AS_OF } from './prices';
import { deployedSettings, lambdaBuildOptions, PROJECT_ROOT } from './support/bundle';
import { type ArchiveObject, normalMonthObjects, PROFILES, type Profile } from './support/month';
import { formatBytes, formatNumber, formatUsd } from './support/stats';
import { type BenchOptions, figure, type Section } from './types';

/** The transformer function's memory, as `lib/archive-ocsf.ts` deploys it (Arm). */
export const TRANSFORMER_MEMORY_MB = 1769;
/** The notary's default interval (`notary.scheduleMinutes`): a digest per source per hour. */
const DIGEST_MINUTES = 60;
const CPU_SHARE = TRANSFORMER_MEMORY_MB / LAMBDA_MB_PER_VCPU;
const TARGET = { region: 'us-east-1', accountId: '123456789012' };
/** The collector's default schedule, and the longest one it allows. */
const SCHEDULES = [
  { minutes: 1, name: 'every minute' },
  { minutes: 60, name: 'every hour' },
] as const;
/** What one S3 request's wait would add to the billed duration, for the sensitivity note. */
const WAIT_PER_REQUEST_MS = 10;

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
};
/**
 * CPU-seconds of `work`, the least of `repeat` runs: other work on the machine then stretches
 * none of them more than the quietest; with the result of the last run.
 */
function leastCpu<T>(work: () => T, repeat: number): { seconds: number; result: T } {
  let seconds = Number.POSITIVE_INFINITY;
  let result: T | undefined;
  for (let i = 0; i < repeat; i++) {
    const started = process.cpuUsage();
    result = work();
    seconds = Math.min(seconds, cpuSeconds(started));
  }
  return { seconds, result: result as T };
}
const ndjsonOf = (lines: readonly string[]) => `${lines.join('\n')}\n`;
const parquetBytesOf = (objects: readonly { body: Uint8Array }[]) =>
  objects.reduce((n, o) => n + o.body.length, 0);

/**
 * What the function does with one archive object besides S3: gunzip it, check its hash, map
 * its events and write the Parquet objects. Synchronous, on one thread, as it runs.
 */
function convert(key: string, stream: EventType, gzipped: Buffer, format: OcsfFormat = 'parquet') {
  const body = gunzipSync(gzipped);
  createHash('sha256').update(body).digest('hex');
  return transformArchiveObject(key, stream, body.toString('utf8'), TARGET, format);
}

/**
 * What the function does with one digest besides S3: for each archive object it names, gunzip
 * it, check its hash and add its events; then write one Parquet object per class and day.
 */
function convertDigest(
  number: number,
  objects: readonly { key: string; stream: EventType; gzipped: Buffer }[],
  format: OcsfFormat = 'parquet',
) {
  const groups = new OcsfGroups();
  for (const o of objects) {
    const body = gunzipSync(o.gzipped);
    createHash('sha256').update(body).digest('hex');
    groups.add(o.key, o.stream, body.toString('utf8'));
  }
  const digest = { key: `digests/source=bench/${number}.json`, source: 'bench', number };
  return groups.take((ocsfClass, day) => digestOcsfKey(TARGET, ocsfClass, day, digest, 1), format);
}

interface StreamRun {
  readonly stream: EventType;
  readonly events: number;
  readonly mapRate: number;
  readonly fullRate: number;
  readonly gzipBytes: number;
  readonly parquetBytes: number;
  readonly parquetObjects: number;
  /** A Parquet file of one record: CPU µs and bytes, the fixed cost of each output object. */
  readonly singleUs: number;
  readonly singleBytes: number;
}

/** The largest object the collector writes (a catch-up's), a month of one stream's events. */
function measureStream(stream: EventType, events: number, singles: number, repeat: number): StreamRun {
  const lines = simulatedMonth(stream, events);
  const gzipped = gzipSync(ndjsonOf(lines), { level: GZIP_LEVEL });
  const key = `source=bench/type=${stream}/dt=2026-03-01/000000000001.ndjson.gz`;
  convert(key, stream, gzipSync(ndjsonOf(lines.slice(0, 2_000)))); // warm-up
  const mapped = leastCpu(() => {
    for (const line of lines) mapEvent(stream, JSON.parse(line) as JsonObject);
  }, repeat);
  const mapRate = lines.length / mapped.seconds;
  const converted = leastCpu(() => convert(key, stream, gzipped), repeat);
  const { objects } = converted.result;
  const fullRate = lines.length / converted.seconds;

  const single = lines.slice(0, singles).map((line) => gzipSync(`${line}\n`));
  const alone = leastCpu(
    () => single.reduce((bytes, body) => bytes + parquetBytesOf(convert(key, stream, body).objects), 0),
    repeat,
  );
  const singleUs = (alone.seconds * 1e6) / singles;
  const singleBytes = alone.result;
  return {
    stream,
    events: lines.length,
    mapRate,
    fullRate,
    gzipBytes: gzipped.length,
    parquetBytes: parquetBytesOf(objects),
    parquetObjects: objects.length,
    singleUs,
    singleBytes: singleBytes / singles,
  };
}

interface MixRun {
  readonly profile: Profile;
  readonly schedule: (typeof SCHEDULES)[number];
  readonly events: number;
  readonly archiveObjects: number;
  /** Digests that name at least one object: one per source and hour with new events. */
  readonly digests: number;
  /** OCSF objects written, one per class and event day of each digest. */
  readonly ocsfObjects: number;
  /** What one per class and event day of each archive object would have been. */
  readonly perObjectOcsfObjects: number;
  readonly gzipBytes: number;
  /** Parquet bytes and CPU-seconds of the whole month, scaled from the objects timed. */
  readonly parquetBytes: number;
  readonly cpuSeconds: number;
  readonly timed: number;
}

/**
 * A normal month's archive objects, gathered into the digests that name them (one per hour):
 * every digest converted to NDJSON to count its OCSF objects (and every object alone, to count
 * what a transformer per archive object would write), and an even sample of digests converted
 * to Parquet, timed.
 */
function measureMix(profile: Profile, schedule: MixRun['schedule'], sample: number, repeat: number): MixRun {
  const objects = normalMonthObjects(profile, 11, schedule.minutes).map((o: ArchiveObject) => ({
    ...o,
    gzipped: gzipSync(ndjsonOf(o.events.map((e) => JSON.stringify(e))), { level: GZIP_LEVEL }),
  }));
  const byDigest = new Map<number, typeof objects>();
  for (const o of objects) {
    const ranAt = (parseBatchKey(o.key)?.seq ?? 0) * schedule.minutes * 60_000;
    const digest = Math.floor(ranAt / (DIGEST_MINUTES * 60_000));
    byDigest.set(digest, [...(byDigest.get(digest) ?? []), o]);
  }
  const digests = [...byDigest.entries()];
  let ocsfObjects = 0;
  for (const [number, named] of digests) ocsfObjects += convertDigest(number, named, 'ndjson').length;
  let perObjectOcsfObjects = 0;
  for (const o of objects)
    perObjectOcsfObjects += convert(o.key, o.stream, o.gzipped, 'ndjson').objects.length;
  const step = Math.max(1, Math.floor(digests.length / sample));
  const timed = digests.filter((_, i) => i % step === 0);
  const parquet = leastCpu(
    () => timed.reduce((bytes, [number, named]) => bytes + parquetBytesOf(convertDigest(number, named)), 0),
    repeat,
  );
  const timedEvents = timed.reduce((n, [, named]) => n + named.reduce((m, o) => m + o.events.length, 0), 0);
  const events = objects.reduce((n, o) => n + o.events.length, 0);
  const scale = events / timedEvents;
  return {
    profile,
    schedule,
    events,
    archiveObjects: objects.length,
    digests: digests.length,
    ocsfObjects,
    perObjectOcsfObjects,
    gzipBytes: objects.reduce((n, o) => n + o.gzipped.length, 0),
    parquetBytes: parquet.result * scale,
    cpuSeconds: parquet.seconds * scale,
    timed: timed.length,
  };
}

interface Cost {
  readonly gbSeconds: number;
  readonly lambdaUsd: number;
  readonly gets: number;
  readonly getsUsd: number;
  readonly puts: number;
  readonly putsUsd: number;
  readonly totalUsd: number;
  /** What {@link WAIT_PER_REQUEST_MS} of waiting per S3 request would add. */
  readonly waitUsd: number;
  /** The PUTs of a transformer per archive object instead, for comparison. */
  readonly perObjectPutsUsd: number;
}

/** Per million events: the function's duration at its CPU share, a GET per archive object and digest, a PUT per OCSF object. */
function costOf(run: MixRun): Cost {
  const perMillion = 1_000_000 / run.events;
  const gbSeconds = ((run.cpuSeconds * perMillion) / CPU_SHARE) * (TRANSFORMER_MEMORY_MB / 1024);
  const lambdaUsd = gbSeconds * PRICES.lambda.armGbSecond;
  // A GET per archive object and digest, and a HEAD (priced as a GET) per OCSF object, which
  // lets a redelivery skip a part already written.
  const gets = (run.archiveObjects + run.digests + run.ocsfObjects) * perMillion;
  const puts = run.ocsfObjects * perMillion;
  const getsUsd = (gets / 1000) * PRICES.s3.perThousandGets;
  const putsUsd = (puts / 1000) * PRICES.s3.perThousandPuts;
  const waitUsd =
    (gets + puts) * (WAIT_PER_REQUEST_MS / 1000) * (TRANSFORMER_MEMORY_MB / 1024) * PRICES.lambda.armGbSecond;
  return {
    gbSeconds,
    lambdaUsd,
    gets,
    getsUsd,
    puts,
    putsUsd,
    totalUsd: lambdaUsd + getsUsd + putsUsd,
    waitUsd,
    perObjectPutsUsd: ((run.perObjectOcsfObjects * perMillion) / 1000) * PRICES.s3.perThousandPuts,
  };
}

/** Bytes of `entry` bundled as the functions are, minified, and gzipped. */
async function bundleBytes(entry: string): Promise<{ min: number; gzip: number }> {
  const result = await build({
    ...lambdaBuildOptions(),
    target: deployedSettings().target,
    minify: true,
    sourcemap: false,
    entryPoints: [entry],
    write: false,
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { min: code.length, gzip: gzipSync(code).length };
}

export async function runOcsf(options: BenchOptions): Promise<Section> {
  const started = performance.now();
  const perStream = options.quick ? 10_000 : DEFAULT_BATCH_MAX_EVENTS;
  const singles = options.quick ? 50 : 200;
  const sample = options.quick ? 300 : 1_500;
  const profiles = options.quick ? PROFILES.slice(0, 1) : PROFILES;
  const repeat = options.quick ? 1 : 3;

  const streams: StreamRun[] = [];
  for (const stream of EVENT_TYPES) {
    options.progress(`ocsf: ${stream}, ${formatNumber(perStream)} events in one object`);
    streams.push(measureStream(stream, perStream, singles, repeat));
  }
  const mixes: MixRun[] = [];
  for (const profile of profiles)
    for (const schedule of SCHEDULES) {
      options.progress(`ocsf: a normal month of the ${profile.name} account, collected ${schedule.name}`);
      mixes.push(measureMix(profile, schedule, sample, repeat));
    }
  const transform = await bundleBytes(`${PROJECT_ROOT}/lambdas/shared/ocsf/transform.ts`);
  const writer = await bundleBytes(`${PROJECT_ROOT}/node_modules/hyparquet-writer/src/index.js`);

  const bulkEvents = streams.reduce((n, s) => n + s.events, 0);
  const bulkRate = bulkEvents / streams.reduce((n, s) => n + s.events / s.fullRate, 0);
  const rateOf = (m: MixRun) => m.events / m.cpuSeconds;
  const basis = mixes.filter((m) => m.profile === profiles.at(-1));
  const costs = new Map(mixes.map((m) => [m, costOf(m)]));
  const costFor = (m: MixRun) => costs.get(m) as Cost;
  const kib = (n: number) => `${formatNumber(n / 1024, 1)} KiB`;
  const ratio = (parquet: number, gzip: number) => `${(parquet / gzip).toFixed(2)}×`;
  const singleUs = streams.reduce((n, s) => n + s.singleUs, 0) / streams.length;
  const singleBytes = streams.reduce((n, s) => n + s.singleBytes, 0) / streams.length;

  const figures = [
    figure(
      `OCSF: map + Parquet, one core, objects of ${formatNumber(perStream)} events (three streams)`,
      `${formatNumber(bulkRate)} records/s per core; ${formatNumber(bulkRate * CPU_SHARE)} at ${formatNumber(TRANSFORMER_MEMORY_MB)} MB`,
      '',
      'info',
    ),
    ...basis.map((m) =>
      figure(
        `OCSF: map + Parquet, one core, the ${m.profile.name} account's hourly digests, collected ${m.schedule.name}`,
        `${formatNumber(rateOf(m))} records/s per core (${formatNumber(m.events / m.digests, 1)} events per digest)`,
        '',
        'info',
      ),
    ),
    figure(
      `OCSF: transformer cost per million events, ${profiles.at(-1)?.name} account, collected ${SCHEDULES.map((s) => s.name).join(' / ')}`,
      basis.map((m) => formatUsd(costFor(m).totalUsd)).join(' / '),
      '',
      'info',
    ),
    figure(
      'OCSF: Parquet / gzip NDJSON, large objects (sign-ins / item usages / audit events)',
      streams.map((s) => ratio(s.parquetBytes, s.gzipBytes)).join(' / '),
      '',
      'info',
    ),
    figure(
      'OCSF: bundle of transform.ts and all it imports, minified / gzipped',
      `${kib(transform.min)} / ${kib(transform.gzip)}`,
      '',
      'info',
    ),
  ];

  const details = [
    `**Large objects**: ${formatNumber(perStream)} simulated events of one stream in one archive object (a month of them: one Parquet object per class and day), CPU time on one core:`,
    '',
    `| stream | map, records/s | map + Parquet, records/s | same at ${formatNumber(TRANSFORMER_MEMORY_MB)} MB (${CPU_SHARE.toFixed(2)} vCPU) | gzip NDJSON (the archive) | Parquet | Parquet / gzip |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...streams.map(
      (s) =>
        `| ${s.stream} | ${formatNumber(s.mapRate)} | ${formatNumber(s.fullRate)} | ${formatNumber(s.fullRate * CPU_SHARE)} | ${formatBytes(s.gzipBytes)} | ${formatBytes(s.parquetBytes)} (${s.parquetObjects} objects) | ${ratio(s.parquetBytes, s.gzipBytes)} |`,
    ),
    '',
    `**One record alone**: a Parquet object of one record takes ${formatNumber(singleUs)} µs of CPU and ${formatBytes(singleBytes)} (mean of the three streams; ${streams.map((s) => `${s.stream} ${formatNumber(s.singleUs)} µs, ${formatBytes(s.singleBytes)}`).join('; ')}).`,
    '',
    `**A normal month**: the archive objects a collector writes for each account on each schedule (one per stream per run with new events), gathered into the digests that name them (one per hour, the notary's default), every digest converted to count its OCSF objects, an even sample of them timed; and, for comparison, the OCSF objects a transformer per archive object would write:`,
    '',
    '| account, schedule | events | archive objects | digests | OCSF objects (per archive object instead) | map + Parquet, records/s per core | gzip NDJSON | Parquet | Parquet / gzip |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...mixes.map(
      (m) =>
        `| ${m.profile.name}, ${m.schedule.name} | ${formatNumber(m.events)} | ${formatNumber(m.archiveObjects)} | ${formatNumber(m.digests)} | ${formatNumber(m.ocsfObjects)} (${formatNumber(m.perObjectOcsfObjects)}) | ${formatNumber(rateOf(m))} (${formatNumber(m.timed)} digests timed) | ${formatBytes(m.gzipBytes)} | ${formatBytes(m.parquetBytes)} | ${ratio(m.parquetBytes, m.gzipBytes)} |`,
    ),
    '',
    `**Cost per million events** of the transformer at ${formatNumber(TRANSFORMER_MEMORY_MB)} MB Arm, triggered per digest:`,
    '',
    '| account, schedule | Lambda duration | S3 GETs, one per archive object and digest, HEADs one per OCSF object | S3 PUTs, one per OCSF object | total | PUTs per archive object instead |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...mixes.map((m) => {
      const c = costFor(m);
      return `| ${m.profile.name}, ${m.schedule.name} | ${formatNumber(c.gbSeconds)} GB-s, ${formatUsd(c.lambdaUsd)} | ${formatNumber(c.gets)}, ${formatUsd(c.getsUsd)} | ${formatNumber(c.puts)}, ${formatUsd(c.putsUsd)} | ${formatUsd(c.totalUsd)} | ${formatUsd(c.perObjectPutsUsd)} |`;
    }),
    '',
    `Lambda requests, and the SQS or EventBridge delivery of the notifications, are left out, as for the detector: they depend on how the function is deployed, not on the transform. So is the time the function waits on S3, which Lambda bills too: every ${WAIT_PER_REQUEST_MS} ms per request adds ${basis.map((m) => `${formatUsd(costFor(m).waitUsd)} (${m.profile.name}, ${m.schedule.name})`).join(' or ')} per million events. Prices: us-east-1 list prices as of ${PRICES_AS_OF}.`,
    '',
    '| bundle (esbuild, minified, as the functions are built) | bytes | gzipped |',
    '| --- | ---: | ---: |',
    `| \`lambdas/shared/ocsf/transform.ts\` and all it imports | ${kib(transform.min)} | ${kib(transform.gzip)} |`,
    `| hyparquet-writer alone | ${kib(writer.min)} | ${kib(writer.gzip)} |`,
  ].join('\n');

  const minute = basis.find((m) => m.schedule.minutes === 1);
  const hour = basis.find((m) => m.schedule.minutes === 60);
  const findings = [
    `The transform is single-threaded: it uses one vCPU at most, which Lambda gives a function at ${formatNumber(LAMBDA_MB_PER_VCPU)} MB; more memory than that buys it nothing. At the ${formatNumber(TRANSFORMER_MEMORY_MB)} MB it is deployed with it gets ${CPU_SHARE.toFixed(2)} vCPU: ${formatNumber(bulkRate * CPU_SHARE)} records/s on large objects, far above any account's rate, so a catch-up's objects of ${formatNumber(DEFAULT_BATCH_MAX_EVENTS)} events take about ${formatNumber(DEFAULT_BATCH_MAX_EVENTS / (bulkRate * CPU_SHARE))} s each.`,
    minute && hour
      ? `A Parquet object costs about ${formatNumber(singleUs)} µs and ${formatBytes(singleBytes)} whatever it holds (what one of a single record takes): the footer describes every column (each OCSF attribute a column, with its statistics) and each column is compressed on its own. That is why the transformer converts per digest rather than per archive object: collected every minute, an archive object of the ${minute.profile.name} account holds ${formatNumber(minute.events / minute.archiveObjects, 1)} events, and one output per archive object would make ${formatNumber(minute.perObjectOcsfObjects)} OCSF objects a month, whose PUTs alone cost ${formatUsd(costFor(minute).perObjectPutsUsd)} per million events. Per hourly digest it makes ${formatNumber(minute.ocsfObjects)}, the whole costs ${formatUsd(costFor(minute).totalUsd)} per million events, most of it the GETs of the small archive objects, and Parquet is ${ratio(minute.parquetBytes, minute.gzipBytes)} the gzip NDJSON. The keys stay a function of their input (the digest), which names each archive object once.`
      : '',
    `Records are OCSF ${OCSF_VERSION}. Graviton (Arm) cores differ from this machine's; treat the Lambda figures as an estimate.`,
  ]
    .filter(Boolean)
    .join('\n\n');

  return {
    name: 'ocsf',
    title: 'OCSF: throughput, cost and size',
    figures,
    method: [
      `Events come from the project's simulator. **Large objects**: ${formatNumber(perStream)} events of each stream over a month (\`test/ocsf/support/streams.ts\`, every shape the simulator makes) as one archive object, the most the collector puts in one at its default limit, gzipped at the archive's level ${GZIP_LEVEL}. **A normal month**: the ${profiles.map((p) => p.name).join(' and ')} account${profiles.length > 1 ? 's' : ''} of the detections section (\`bench/support/month.ts\`), its events cut into the objects a collector writes on its default schedule (every minute) and on its longest (every hour), and those gathered into hourly digests as the notary writes them by default.`,
      `Each input goes through what the function does with it besides S3, synchronously on one thread: gunzip, the SHA-256 check of each body, mapping each event, grouping by OCSF class and event day (\`OcsfGroups\`), and writing each group as Parquet with hyparquet-writer. The rate is records per CPU-second of the process (\`process.cpuUsage\`) after a warm-up; mapping alone is timed the same way. For a month, every digest (and every archive object alone, for comparison) is converted to NDJSON to count the OCSF objects (the same grouping as Parquet), and an even sample of ${formatNumber(sample)} digests is converted to Parquet and timed; time and Parquet bytes are scaled to the month.`,
      `Cost: the function is deployed at ${formatNumber(TRANSFORMER_MEMORY_MB)} MB Arm; Lambda gives one vCPU at ${formatNumber(LAMBDA_MB_PER_VCPU)} MB and CPU in proportion below it, so a CPU-second of the transform bills ${formatNumber(LAMBDA_MB_PER_VCPU)}/${formatNumber(TRANSFORMER_MEMORY_MB)} s at ${formatNumber(TRANSFORMER_MEMORY_MB / 1024, 1)} GB. Each archive object and each digest costs one S3 GET, each OCSF object one S3 HEAD (priced as a GET) and one PUT; counts are scaled to a million events and priced with \`bench/prices.ts\`. Bundles: esbuild with the functions' settings, minified, gzipped with Node's default level.`,
    ].join('\n\n'),
    details,
    findings,
    durationMs: performance.now() - started,
  };
}
