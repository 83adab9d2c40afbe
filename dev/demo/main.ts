/**
 * The embedded demo: the real collector handler, end to end, with no AWS account.
 *
 *   npm start
 *
 * It starts the Events API simulator, DynamoDB (dynalite, in memory), S3 (s3rver, in a
 * folder) and a Secrets Manager stand-in in this process, points the AWS SDK at them with
 * its standard endpoint variables, and invokes the Lambda handler as the schedule would:
 * a first catch-up, scheduled runs as events arrive, a burst of late item usages, two
 * overlapping invocations and an API that throttles. It ends with a table per stream and
 * an exactly-once check of the archive against everything the simulator served. After each
 * run the notary signs a digest, with a local P-256 key standing in for its KMS key, so that
 * `verify --dir` checks the exported archive against signatures as it would the bucket. Last,
 * the archive's objects are converted to OCSF as the transformer would, one record of each
 * class shown.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { RunSummary } from '../../lambdas/collector/collector';
import type * as HandlerModule from '../../lambdas/collector/handler';
import { runNotary } from '../../lambdas/notary/notary';
import {
  digestKey,
  LocalDigestSigner,
  publicKeyFingerprint,
  publicKeyPem,
} from '../../lambdas/shared/archive/digest';
import { SIDECAR_SUFFIX, type Sidecar } from '../../lambdas/shared/archive/file-archive';
import {
  CONTENT_ENCODING,
  CONTENT_TYPE,
  MetadataKey,
  streamPrefix,
} from '../../lambdas/shared/archive/format';
import { listArchive, readStreamEvents } from '../../lambdas/shared/archive/reader';
import { EVENT_TYPES, type EventType } from '../../lambdas/shared/event-types';
import type { Log } from '../../lambdas/shared/observability';
import { GENESIS_SHA256 } from '../../lambdas/shared/state-store';
import { writeReport } from '../../search/report/write-report';
import { writeSampleLookups } from '../../search/sample-lookups';
import { startLocalAws } from '../local/aws';
import { localCollectorEnv, localLambdaContext } from '../local/collector-env';
import { type DeliveredFinding, LocalDetector } from '../local/detections';
import { localNotaryDependencies } from '../local/notary';
import { printOcsf, transformDigestsLocally } from '../local/ocsf';
import { type Story, type StoryName, startSimulator } from '../simulator/index';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SOURCE = 'demo';
const SECRET_ID = 'demo/op-events-token';
/** The attack the demo mixes into its second run's traffic. */
const STORY: StoryName = 'brute-force-then-export';

interface Step {
  readonly title: string;
  readonly before?: () => void;
  readonly invocations?: number;
  /** Said beside the run's figures. */
  readonly note?: string;
}

async function main(): Promise<void> {
  // Before any SDK client exists: this demo runs on whatever Node the machine has.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const { values } = parseArgs({
    options: {
      dir: { type: 'string', default: '.demo' },
      events: { type: 'string', default: '4000' },
    },
  });
  const baseEvents = Number(values.events);
  if (!Number.isInteger(baseEvents) || baseEvents < 1)
    throw new Error('--events must be a positive whole number');
  const demoDir = resolve(values.dir);
  rmSync(demoDir, { recursive: true, force: true });
  mkdirSync(demoDir, { recursive: true });

  const out = (line = '') => process.stdout.write(`${line}\n`);
  out('1Password Events API → S3 archive: embedded demo (no AWS account needed)');
  out();

  const sim = await startSimulator({ latencyMs: { min: 5, max: 25 }, seed: 7 });
  const aws = await startLocalAws({ s3Directory: join(demoDir, 's3rver') });
  aws.secrets.put(SECRET_ID, JSON.stringify({ token: sim.mintToken() }));
  Object.assign(
    process.env,
    localCollectorEnv({ aws, eventsApiUrl: sim.url, source: SOURCE, secretId: SECRET_ID }),
    {
      BATCH_MAX_EVENTS: '5000',
      POWERTOOLS_LOG_LEVEL: 'CRITICAL',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
  );
  out(`  Events API simulator   ${sim.url}`);
  out(`  DynamoDB (dynalite)    ${aws.dynamo.endpoint}  table ${aws.tableName}`);
  out(`  S3 (s3rver)            ${aws.s3.endpoint}  bucket ${aws.bucket}`);
  out(`  Secrets Manager        ${aws.secrets.endpoint}  secret ${SECRET_ID}`);
  out();

  // The notary's KMS key cannot run locally: a P-256 key in memory signs exactly as it would.
  const signer = LocalDigestSigner.generate('local-demo-notary-key');
  const quiet: Log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  const notarize = () => runNotary(localNotaryDependencies(aws, { sources: [SOURCE], signer, log: quiet }));
  let digests = 0;
  // The detector reads each run's new objects; here after every run, with the deployed rules and delivery.
  const detector = new LocalDetector(aws, { source: SOURCE });
  const raised: Array<DeliveredFinding & { run: number }> = [];
  let story: Story | undefined;

  // Loaded once the environment is set, as Lambda loads the handler after setting the function's variables.
  const { handler } = require('../../lambdas/collector/handler') as typeof HandlerModule;

  const now = Date.now();
  const history = {
    signinattempts: baseEvents,
    itemusages: Math.round(baseEvents * 1.5),
    auditevents: Math.round(baseEvents / 2),
  };
  for (const stream of EVENT_TYPES) sim.generate(stream, history[stream], { from: now - 60 * DAY, to: now });
  out(
    `Account history in the simulator: ${fmt(history.signinattempts)} sign-in attempts, ` +
      `${fmt(history.itemusages)} item usages, ${fmt(history.auditevents)} audit events over 60 days.`,
  );
  out();

  let lastArrival = now;
  const arrive = (counts: Partial<Record<EventType, number>>) => {
    const to = Date.now();
    for (const [stream, count] of Object.entries(counts) as Array<[EventType, number]>) {
      sim.generate(stream, count, { from: lastArrival, to });
    }
    lastArrival = to;
  };
  const steps: Step[] = [
    { title: 'first run: catch-up of 120 days' },
    {
      title: 'scheduled run, new events',
      before: () => {
        arrive({ signinattempts: 40, itemusages: 120, auditevents: 6 });
        story = sim.playStory(STORY, { at: Date.now() });
      },
      note: 'an attack among them',
    },
    { title: 'scheduled run, quiet minute' },
    {
      title: 'late item usages (synced a day late)',
      before: () =>
        sim.generate('itemusages', 250, { from: Date.now() - 30 * HOUR, to: Date.now() - 20 * HOUR }),
    },
    {
      title: 'two invocations overlap',
      invocations: 2,
      before: () => arrive({ signinattempts: 25, itemusages: 60, auditevents: 3 }),
    },
    {
      title: 'the API throttles (HTTP 429)',
      before: () => {
        arrive({ signinattempts: 900, itemusages: 2_400, auditevents: 50 });
        for (const stream of EVENT_TYPES)
          sim.inject({ fault: { kind: 'status', status: 429 }, feature: stream, times: 2 });
        sim.setChaos({ p429: 0.3 });
      },
    },
    { title: 'scheduled run, API healthy again', before: () => sim.setChaos(undefined) },
  ];

  out('run  what                                     sign-ins  item usages  audit events  objects    time');
  out('───  ───────────────────────────────────────  ────────  ───────────  ────────────  ───────  ──────');
  let catchUp = '';
  for (const [index, step] of steps.entries()) {
    step.before?.();
    const label = `${String(index + 1).padStart(3)}  ${step.title.padEnd(39)}`;
    if (process.stdout.isTTY) process.stdout.write(`${label}  running…`);
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: step.invocations ?? 1 }, () =>
        handler({ source: 'aws.scheduler' }, localLambdaContext({ source: SOURCE, remainingMs: 300_000 })),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    // The notary runs hourly in a deployment; here after every run, so each digest signs one run's objects.
    await notarize();
    digests += 1;
    for (const finding of await detector.processNew()) raised.push({ ...finding, run: index + 1 });
    const streams = results.flatMap((result) => result.streams);
    const cell = (stream: EventType) => {
      const archived = streams
        .filter((s) => s.stream === stream)
        .reduce((sum, s) => sum + s.eventsArchived, 0);
      return archived > 0 ? `+${fmt(archived)}` : '0';
    };
    const objects = streams.reduce((sum, s) => sum + s.objectsWritten, 0);
    const notes = [
      step.note ?? '',
      streams.some((s) => s.status === 'skipped')
        ? `the other invocation backed off on ${streams.filter((s) => s.status === 'skipped').length} streams`
        : '',
      streams.some((s) => s.throttles > 0)
        ? `${streams.reduce((sum, s) => sum + s.throttles, 0)} × 429 retried`
        : '',
    ].filter(Boolean);
    if (process.stdout.isTTY) process.stdout.write('\r\x1b[2K');
    out(
      `${label}  ${cell('signinattempts').padStart(8)}  ${cell('itemusages').padStart(11)}  ` +
        `${cell('auditevents').padStart(12)}  ${String(objects).padStart(7)}  ${seconds.toFixed(2).padStart(4)} s` +
        (notes.length ? `  (${notes.join('; ')})` : ''),
    );
    if (index === 0) {
      const events = totalArchived(results);
      catchUp = `The first run archived ${fmt(events)} events in ${seconds.toFixed(2)} s (${fmt(Math.round(events / seconds))} events/s).`;
    }
  }
  out();
  out(catchUp);
  out('Against the real API the rate limits cap a catch-up near 9,000 events/s; see BENCHMARKS.md.');
  out();

  out('stream          events archived  objects  newest event              lag');
  out('──────────────  ───────────────  ───────  ────────────────────────  ────────');
  const problems: string[] = [];
  for (const stream of EVENT_TYPES) {
    const { events, batches } = await readStreamEvents(
      aws.clients.s3,
      aws.bucket,
      streamPrefix('', SOURCE, stream),
    );
    const newest = batches
      .map((batch) => batch.metadata[MetadataKey.lastEventTime])
      .filter((time): time is string => time !== undefined)
      .sort()
      .at(-1);
    const lag = newest ? formatDuration(Date.now() - Date.parse(newest)) : '–';
    out(
      `${stream.padEnd(14)}  ${fmt(events.length).padStart(15)}  ${String(batches.length).padStart(7)}  ` +
        `${(newest ?? '–').padEnd(24)}  ${lag}`,
    );
    problems.push(...exactlyOnce(stream, sim.events(stream), events as Array<{ uuid?: unknown }>));
    problems.push(...chainProblems(stream, batches));
  }
  out();

  const served = EVENT_TYPES.reduce((sum, stream) => sum + sim.events(stream).length, 0);
  if (problems.length === 0) {
    out(
      `Exactly-once check: ${fmt(served)} events served by the API, each archived exactly once; none missing, none twice.`,
    );
    out(
      'Hash chain: every object hashes to its metadata and names its predecessor; sequence numbers contiguous.',
    );
  } else {
    out('Exactly-once check FAILED:');
    for (const problem of problems) out(`  - ${problem}`);
  }

  out();
  printDetections(out, detector.rules.length, raised, story);
  out();
  const digestKeys = Array.from({ length: digests }, (_, index) => digestKey('', SOURCE, index + 1));
  printOcsf(out, await transformDigestsLocally(aws, digestKeys, quiet));

  const archiveDir = join(demoDir, 'archive');
  const exported = await exportArchive(aws, archiveDir);
  out();
  out(
    `Archive: ${exported} objects in ${relative(process.cwd(), archiveDir) || archiveDir}/ (the bucket's keys, each with a .meta.json of its S3 metadata)`,
  );
  const publicKey = await signer.publicKey();
  const publicKeyFile = join(demoDir, 'notary-public-key.pem');
  writeFileSync(publicKeyFile, publicKeyPem(publicKey));
  out(
    `Digests: ${digests} under digests/source=${SOURCE}/, each signing the objects of one run, chained by signature; ` +
      `public key ${relative(process.cwd(), publicKeyFile)} (SHA-256 ${publicKeyFingerprint(publicKey).slice(0, 16)}…)`,
  );
  const sample = (await firstKey(aws, 'itemusages')) ?? '';
  out(`  zcat ${join(relative(process.cwd(), archiveDir), sample)} | head -n 2`);

  // Vault and item names are not in the events: the demo invents a lookup for them, as an operator would upload one.
  await writeSampleLookups(archiveDir);
  const report = await writeReport({ archiveDir, outFile: join(demoDir, 'report.html') });
  out(`Activity report: ${relative(process.cwd(), report.path)} (open it in a browser)`);
  out(
    `Verify it: npx op-events-archive verify --dir ${relative(process.cwd(), archiveDir)} --source ${SOURCE} ` +
      `--public-key ${relative(process.cwd(), publicKeyFile)}`,
  );
  out(`Search it: npx op-events-archive query --dir ${relative(process.cwd(), archiveDir)} --list`);

  await sim.close();
  await aws.close();
  if (problems.length > 0) process.exitCode = 1;
}

/** The findings the attack story raised, with their latency, and a count of the rest. */
function printDetections(
  out: (line?: string) => void,
  rules: number,
  raised: ReadonlyArray<DeliveredFinding & { run: number }>,
  story: Story | undefined,
): void {
  const storyUuids = new Set(story?.events.map(({ event }) => String(event.uuid)));
  const fromStory = raised.filter(({ finding }) => finding.events.some((ref) => storyUuids.has(ref.uuid)));
  const others = raised.filter((entry) => !fromStory.includes(entry));
  out(
    `Detections: ${rules} rules (those that need no watchlist) ran on each run's new objects, as the detector does; ` +
      `${plural(raised.length, 'finding')}, each written once to findings/source=${SOURCE}/.`,
  );
  if (story) out(`Attack in run 2: ${story.told}.`);
  out('run  severity  rule                       latency  what');
  out('───  ────────  ─────────────────────────  ───────  ────────────────────────────────────────');
  for (const { run, finding, latencyMs } of fromStory) {
    out(
      `${String(run).padStart(3)}  ${finding.severity.padEnd(8)}  ${finding.ruleId.padEnd(25)}  ` +
        `${(latencyMs / 1000).toFixed(2).padStart(5)} s  ${finding.summary}`,
    );
  }
  const expected = story?.expects ?? [];
  const caught = expected.filter((id) => fromStory.some(({ finding }) => finding.ruleId === id));
  const missed = expected.filter((id) => !caught.includes(id));
  out(
    `The attack raised ${plural(fromStory.length, 'finding')} from ${caught.length} of the ${expected.length} rules it should` +
      (missed.length ? ` (MISSED: ${missed.join(', ')})` : '') +
      '; latency is from the object reaching the archive to the finding written there.',
  );
  const byRule = new Map<string, number>();
  for (const { finding } of others) byRule.set(finding.ruleId, (byRule.get(finding.ruleId) ?? 0) + 1);
  out(
    `On the simulated normal traffic: ${plural(others.length, 'finding')}` +
      (byRule.size
        ? ` (${[...byRule.entries()]
            .sort((a, b) => b[1] - a[1])
            .map(([id, n]) => `${id} ${n}`)
            .join(', ')})`
        : '') +
      '; false alarms per rule per month are in BENCHMARKS.md.',
  );
}

function plural(n: number, word: string): string {
  return `${fmt(n)} ${word}${n === 1 ? '' : 's'}`;
}

function totalArchived(results: RunSummary[]): number {
  return results.flatMap((r) => r.streams).reduce((sum, s) => sum + s.eventsArchived, 0);
}

/** Every event the simulator ingested must be in the archive exactly once, and nothing else. */
function exactlyOnce(
  stream: EventType,
  served: ReadonlyArray<{ uuid?: unknown }>,
  archived: Array<{ uuid?: unknown }>,
): string[] {
  const counts = new Map<string, number>();
  for (const event of archived) counts.set(String(event.uuid), (counts.get(String(event.uuid)) ?? 0) + 1);
  const problems: string[] = [];
  const missing = served.filter((event) => !counts.has(String(event.uuid))).length;
  const twice = [...counts.values()].filter((count) => count > 1).length;
  const servedIds = new Set(served.map((event) => String(event.uuid)));
  const foreign = [...counts.keys()].filter((uuid) => !servedIds.has(uuid)).length;
  if (missing) problems.push(`${stream}: ${missing} events missing`);
  if (twice) problems.push(`${stream}: ${twice} events archived more than once`);
  if (foreign) problems.push(`${stream}: ${foreign} archived events the API never served`);
  return problems;
}

function chainProblems(
  stream: EventType,
  batches: Array<{ key: string; metadata: Record<string, string>; body: Buffer }>,
): string[] {
  const problems: string[] = [];
  let previous = GENESIS_SHA256;
  batches.forEach((batch, index) => {
    const sha = createHash('sha256').update(batch.body).digest('hex');
    if (batch.metadata[MetadataKey.seq] !== String(index + 1))
      problems.push(`${stream}: ${batch.key} is out of sequence`);
    if (batch.metadata[MetadataKey.sha256] !== sha)
      problems.push(`${stream}: ${batch.key} does not hash to its metadata`);
    if (batch.metadata[MetadataKey.prevSha256] !== previous)
      problems.push(`${stream}: ${batch.key} breaks the hash chain`);
    previous = batch.metadata[MetadataKey.sha256] ?? '';
  });
  return problems;
}

/**
 * Copies the bucket to a plain folder laid out like it: each object under its key, with its
 * headers and metadata beside it in `<key>.meta.json` (the local archive format that
 * `verify --dir`, `query` and `report` read).
 */
async function exportArchive(
  aws: Awaited<ReturnType<typeof startLocalAws>>,
  directory: string,
): Promise<number> {
  let count = 0;
  for await (const object of listArchive(aws.clients.s3, aws.bucket, '')) {
    const response = await aws.clients.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: object.key }));
    const sidecar: Sidecar = {
      ContentType: response.ContentType ?? CONTENT_TYPE,
      ContentEncoding: response.ContentEncoding ?? CONTENT_ENCODING,
      Metadata: response.Metadata ?? {},
    };
    const path = join(directory, object.key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, Buffer.from((await response.Body?.transformToByteArray()) ?? []));
    writeFileSync(`${path}${SIDECAR_SUFFIX}`, `${JSON.stringify(sidecar, null, 2)}\n`);
    count += 1;
  }
  return count;
}

async function firstKey(
  aws: Awaited<ReturnType<typeof startLocalAws>>,
  stream: EventType,
): Promise<string | undefined> {
  for await (const object of listArchive(aws.clients.s3, aws.bucket, streamPrefix('', SOURCE, stream)))
    return object.key;
  return undefined;
}

function fmt(value: number): string {
  return value.toLocaleString('en-US');
}

function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

main().catch((error: unknown) => {
  process.stderr.write(`The demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
