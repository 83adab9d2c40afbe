/**
 * The detection rules on a normal month: how often each fires with no attack in the traffic
 * (every finding there is a false alarm), how long after an object lands its finding is
 * written, and what the detector costs per million events.
 */
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startLocalAws } from '../dev/local/aws';
import { LocalDetector } from '../dev/local/detections';
import { createGenerator } from '../dev/simulator/generate';
import { createRandom } from '../dev/simulator/random';
import { playStory } from '../dev/simulator/stories';
import type { Feature, SimEvent } from '../dev/simulator/types';
import { RULES } from '../lambdas/detector/rules';
import { batchKey } from '../lambdas/shared/archive/format';
import { DetectionEngine } from '../lambdas/shared/detections/engine';
import { type EventView, viewEvent } from '../lambdas/shared/detections/event-view';
import {
  DynamoHistory,
  type History,
  type HistoryEntry,
  MemoryHistory,
} from '../lambdas/shared/detections/history';
import { EMPTY_WATCHLISTS } from '../lambdas/shared/detections/rule';
import { EVENT_TYPES } from '../lambdas/shared/event-types';
import { PRICES, PRICES_AS_OF } from './prices';
import { accountOf, normalMonthObjects, PROFILES, type Profile } from './support/month';
import { formatNumber, formatUsd, quantile } from './support/stats';
import { type BenchOptions, figure, type Section } from './types';

/** Claim writes a delivered finding makes: the claim, one per sink (archive, EventBridge, SNS), and sent. */
const CLAIM_WRITES_PER_FINDING = 5;
/** The detector's memory, as `lib/archive-detector.ts` deploys it (Arm). */
const DETECTOR_MEMORY_MB = 1024;

/** Every rule on, those off by default too, so the table shows why they are off. */
const SETTINGS = {
  watchlists: EMPTY_WATCHLISTS,
  rules: Object.fromEntries(
    RULES.filter((rule) => rule.enabledByDefault === false).map((rule) => [rule.id, { enabled: true }]),
  ),
  suppressions: [],
};
const OFF_BY_DEFAULT = new Set(
  RULES.filter((rule) => rule.enabledByDefault === false).map((rule) => rule.id),
);
/** A rule that fires more often than this on a normal month is too noisy to page anyone. */
export const MAX_FALSE_ALARMS_PER_MONTH = 4;

interface Month {
  readonly events: EventView[];
  /** Objects the collector would write: one per stream per minute with new events. */
  readonly objects: number;
}

function normalMonth(profile: Profile, seed: number): Month {
  const objects = normalMonthObjects(profile, seed);
  const events = objects.flatMap(({ stream, key, events }) =>
    events.map((event, index) =>
      viewEvent({ stream, uuid: String(event.uuid), key, line: index + 1 }, event),
    ),
  );
  events.sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
  return { events, objects: objects.length };
}

/** History that counts the DynamoDB calls `DynamoHistory` would make, and the write units. */
class CountingHistory implements History {
  gets = 0;
  updates = 0;
  writeUnits = 0;
  readUnits = 0;
  constructor(private readonly inner: History) {}

  async recall(key: string, now: number): Promise<HistoryEntry[]> {
    const entries = await this.inner.recall(key, now);
    this.gets += 1;
    this.readUnits += Math.max(1, Math.ceil(itemBytes(key, entries) / 4096));
    return entries;
  }

  async remember(key: string, entry: HistoryEntry, limit?: number): Promise<HistoryEntry[]> {
    const live = await this.inner.remember(key, entry, limit);
    // DynamoHistory reads the item, then writes it whole.
    const bytes = itemBytes(key, live);
    this.gets += 1;
    this.readUnits += Math.max(1, Math.ceil(bytes / 4096));
    this.updates += 1;
    this.writeUnits += Math.max(1, Math.ceil(bytes / 1024));
    return live;
  }
}

const itemBytes = (key: string, entries: readonly HistoryEntry[]) =>
  key.length + 40 + Buffer.byteLength(JSON.stringify(entries));

interface MonthResult {
  readonly profile: Profile;
  readonly events: number;
  readonly objects: number;
  readonly perRule: Map<string, number>;
  readonly findings: number;
  readonly cpuMs: number;
  readonly history: CountingHistory;
}

async function runMonth(profile: Profile, seed: number): Promise<MonthResult> {
  const month = normalMonth(profile, seed);
  const history = new CountingHistory(new MemoryHistory());
  const engine = new DetectionEngine(RULES, SETTINGS, history, 'bench');
  const perRule = new Map<string, number>(engine.rules.map((rule) => [rule.id, 0]));
  let findings = 0;
  const started = performance.now();
  for (const event of month.events) {
    for (const finding of (await engine.evaluate(event)).findings) {
      perRule.set(finding.ruleId, (perRule.get(finding.ruleId) ?? 0) + 1);
      if (!OFF_BY_DEFAULT.has(finding.ruleId)) findings += 1;
    }
  }
  const cpuMs = performance.now() - started;
  return { profile, events: month.events.length, objects: month.objects, perRule, findings, cpuMs, history };
}

interface LocalRun {
  /** Events per second through the rules with history in dynalite. */
  readonly eventsPerSecond: number;
  /** From an object's LastModified to its finding in `findings/`. */
  readonly latenciesMs: number[];
}

/**
 * Minute objects of normal traffic, each with an attack story in it, written to s3rver and read
 * by the local detector with its history in dynalite, one object at a time, as notifications
 * would come.
 */
async function runLocal(options: BenchOptions): Promise<LocalRun> {
  const rounds = options.quick ? 5 : 20;
  const aws = await startLocalAws();
  try {
    const detector = new LocalDetector(aws, {
      source: 'bench',
      history: new DynamoHistory(aws.clients.documents, aws.tableName),
    });
    const account = accountOf(PROFILES[0] as Profile, 3);
    const generator = createGenerator(createRandom(3, 'events'), account);
    const latencies: number[] = [];
    let events = 0;
    let busyMs = 0;
    const seq: Record<Feature, number> = { signinattempts: 0, itemusages: 0, auditevents: 0 };
    const base = Date.now() - rounds * 2 * 3_600_000;
    options.progress(`detections: ${rounds} sets of objects through the local detector`);
    for (let round = 0; round < rounds; round++) {
      const at = base + round * 2 * 3_600_000;
      const story = playStory('brute-force-then-export', account, { seed: round + 1, at });
      const byStream: Record<Feature, SimEvent[]> = { signinattempts: [], itemusages: [], auditevents: [] };
      for (const { feature, event } of story.events) byStream[feature].push(event);
      for (const stream of EVENT_TYPES)
        byStream[stream].push(...generator.generate(stream, 30, at - 60_000, at).map((g) => g.event));
      for (const stream of EVENT_TYPES) {
        seq[stream] += 1;
        const body = gzipSync(`${byStream[stream].map((e) => JSON.stringify(e)).join('\n')}\n`);
        await aws.clients.s3.send(
          new PutObjectCommand({
            Bucket: aws.bucket,
            Key: batchKey('', 'bench', stream, new Date(at).toISOString().slice(0, 10), seq[stream]),
            Body: body,
            ContentType: 'application/x-ndjson',
            ContentEncoding: 'gzip',
          }),
        );
        events += byStream[stream].length;
      }
      const started = performance.now();
      const delivered = await detector.processNew();
      busyMs += performance.now() - started;
      for (const entry of delivered) latencies.push(entry.latencyMs);
    }
    return { eventsPerSecond: events / (busyMs / 1000), latenciesMs: latencies };
  } finally {
    await aws.close();
  }
}

export async function runDetections(options: BenchOptions): Promise<Section> {
  const started = performance.now();
  const profiles = options.quick ? PROFILES.slice(0, 1) : PROFILES;
  const months: MonthResult[] = [];
  for (const profile of profiles) {
    options.progress(`detections: a normal month of the ${profile.name} account`);
    months.push(await runMonth(profile, 11));
  }
  const local = await runLocal(options);
  const ruleIds = RULES.filter((rule) => !rule.needs).map((rule) => rule.id);
  const onIds = ruleIds.filter((id) => !OFF_BY_DEFAULT.has(id));
  const noisy = onIds.filter((id) =>
    months.some((m) => (m.perRule.get(id) ?? 0) > MAX_FALSE_ALARMS_PER_MONTH),
  );
  const disabled = RULES.filter((rule) => rule.enabledByDefault === false).map((rule) => rule.id);

  // Cost per million events, from the busiest month measured.
  const basis = months.at(-1) as MonthResult;
  const perMillion = 1_000_000 / basis.events;
  const gbSeconds = (1_000_000 / local.eventsPerSecond) * (DETECTOR_MEMORY_MB / 1024);
  const lambdaUsd = gbSeconds * PRICES.lambda.armGbSecond;
  const getsUsd = ((basis.objects * perMillion) / 1000) * PRICES.s3.perThousandGets;
  const findingsPerMillion = basis.findings * perMillion;
  const dynamoUsd =
    ((basis.history.writeUnits * perMillion + findingsPerMillion * CLAIM_WRITES_PER_FINDING) / 1e6) *
      PRICES.dynamodb.perMillionWriteUnits +
    ((basis.history.readUnits * perMillion) / 1e6) * PRICES.dynamodb.perMillionReadUnits;
  const putsUsd = (findingsPerMillion / 1000) * PRICES.s3.perThousandPuts;
  const totalUsd = lambdaUsd + getsUsd + dynamoUsd + putsUsd;
  const p50 = quantile(local.latenciesMs, 0.5);
  const p95 = quantile(local.latenciesMs, 0.95);

  const figures = [
    ...months.map((m) =>
      figure(
        `Detections: false alarms per month, rules on by default, ${m.profile.name} account (${formatNumber(m.events)} events)`,
        `${formatNumber(m.findings)} (noisiest: ${noisiestOf(m)})`,
        `≤ ${MAX_FALSE_ALARMS_PER_MONTH} per rule`,
        onIds.some((id) => (m.perRule.get(id) ?? 0) > MAX_FALSE_ALARMS_PER_MONTH) ? 'fail' : 'pass',
      ),
    ),
    figure(
      'Detections: object in the archive → finding written, local (median / p95)',
      `${formatNumber(p50)} ms / ${formatNumber(p95)} ms`,
      '< 60 s',
      p95 < 60_000 ? 'pass' : 'fail',
    ),
    figure('Detections: detector cost per million events', formatUsd(totalUsd), '', 'info'),
  ];

  const table = [
    `| rule | ${months.map((m) => `${m.profile.name} account`).join(' | ')} |`,
    `| --- | ${months.map(() => '---:').join(' | ')} |`,
    ...ruleIds.map(
      (id) =>
        `| \`${id}\`${disabled.includes(id) ? ' (off by default)' : ''} | ${months.map((m) => formatNumber(m.perRule.get(id) ?? 0)).join(' | ')} |`,
    ),
  ];
  const details = [
    '**Findings per rule on a normal month** (no attack in the traffic: each one is a false alarm):',
    '',
    ...table,
    '',
    months
      .map(
        (m) =>
          `The ${m.profile.name} account: ${formatNumber(m.profile.perMonth.signinattempts)} sign-ins, ${formatNumber(m.profile.perMonth.itemusages)} item uses and ${formatNumber(m.profile.perMonth.auditevents)} audit events of ${formatNumber(accountOf(m.profile, 11).people.length)} people; ${formatNumber(m.objects)} archive objects; ${formatNumber(m.history.gets)} history reads and ${formatNumber(m.history.updates)} history writes; the rules took ${formatNumber(m.cpuMs)} ms (${formatNumber(m.events / (m.cpuMs / 1000))} events/s with history in memory).`,
      )
      .join(' '),
    '',
    `**Latency**: ${formatNumber(local.latenciesMs.length)} findings, median ${formatNumber(p50)} ms, p95 ${formatNumber(p95)} ms, max ${formatNumber(Math.max(...local.latenciesMs))} ms from the object's LastModified in s3rver to the finding's PUT under \`findings/\`, with the history in dynalite (${formatNumber(local.eventsPerSecond)} events/s through the rules and delivery).`,
    '',
    `**Cost per million events** (the ${basis.profile.name} account's mix), ${formatUsd(totalUsd)}:`,
    '',
    '| item | count per million events | USD |',
    '| --- | ---: | ---: |',
    `| Lambda duration, ${DETECTOR_MEMORY_MB} MB Arm at ${formatNumber(local.eventsPerSecond)} events/s | ${formatNumber(gbSeconds)} GB-s | ${formatUsd(lambdaUsd)} |`,
    `| S3 GETs, one per archive object | ${formatNumber(basis.objects * perMillion)} | ${formatUsd(getsUsd)} |`,
    `| DynamoDB history: reads (strongly consistent) / writes | ${formatNumber(basis.history.gets * perMillion)} / ${formatNumber(basis.history.updates * perMillion)} calls, ${formatNumber(basis.history.readUnits * perMillion)} RCU / ${formatNumber(basis.history.writeUnits * perMillion)} WCU | ${formatUsd(((basis.history.writeUnits * perMillion) / 1e6) * PRICES.dynamodb.perMillionWriteUnits + ((basis.history.readUnits * perMillion) / 1e6) * PRICES.dynamodb.perMillionReadUnits)} |`,
    `| Findings: ${CLAIM_WRITES_PER_FINDING} claim writes (claimed, one per sink reached: archive, EventBridge, SNS; sent) and one S3 PUT each | ${formatNumber(findingsPerMillion)} findings | ${formatUsd(putsUsd + ((findingsPerMillion * CLAIM_WRITES_PER_FINDING) / 1e6) * PRICES.dynamodb.perMillionWriteUnits)} |`,
    '',
    `Lambda requests, SQS or EventBridge delivery of the notifications, and SNS messages are left out: they depend on how the detector is deployed, not on the rules. Prices: us-east-1 list prices as of ${PRICES_AS_OF}.`,
  ].join('\n');

  const findings = [
    noisy.length === 0
      ? `No rule fires more than ${MAX_FALSE_ALARMS_PER_MONTH} times a month on normal traffic with its defaults.`
      : `${noisy.map((id) => `\`${id}\``).join(', ')} fire more than ${MAX_FALSE_ALARMS_PER_MONTH} times a month on normal traffic.`,
    disabled.length > 0
      ? `Off by default (turn on in the settings, \`{ "rules": { "<id>": { "enabled": true } } }\`): ${disabled.map((id) => `\`${id}\``).join(', ')}; they fire on routine administration and are for accounts where that is rare, or for the backtest.`
      : '',
    "The small account stays within the bar with every rule on by default. On the busy one, `impossible-travel`, `export-before-offboarding`, `vault-export` and `firewall-rules-changed` stay within it once the simulator's people travel at a plausible speed (a trip of days, its sign-ins from the trip's place; a report-only firewall success is mostly such a traveller), leave at a real account's rate, and change the account's own set-up no more often for having more people, and once an export (its audit event and its items) is one finding and only an export counts toward offboarding. `service-account-token-changed` stays over it: a rotation in one sitting is one finding (`sittingMinutes`), but the busy account's service accounts (one to three a team), each rotated about twice a year, still make about four sittings a month, each a new credential; it stays on, since it is what the service-account-token attack story must raise. Raise `sittingMinutes` or suppress a known automation in the settings.",
    "The history writes dominate the cost: most rules that look back write on every matching event. The simulator's traffic is that of `dev/simulator/generate.ts` and `dev/simulator/trips.ts`: administrators act on someone else (a self-grant is rare), account-wide changes (firewall, SSO) come a few times a year per account, exports and service accounts a few times a year per team, and a person takes about two trips a year.",
  ]
    .filter(Boolean)
    .join('\n\n');

  return {
    name: 'detections',
    title: 'Detections: false alarms, latency and cost',
    figures,
    method: [
      `Every rule that needs no watchlist runs with its default settings over a simulated normal month (30 days, no attack played) of ${profiles.map((p) => `a ${p.name} account`).join(' and ')}, events in time order as the detector sees them, history in memory behind a wrapper that counts the DynamoDB reads, writes and capacity units \`DynamoHistory\` would use (an item's size from its entries as JSON).`,
      `Latency: ${options.quick ? 5 : 20} sets of one-minute objects (normal traffic with the brute-force story played in it) are written to s3rver one after another, and the local detector (\`dev/local/detections.ts\`: the detector's engine, \`FindingClaims\` and \`FindingsArchiveSink\`) reads each set with its history in dynalite; latency is from the object's LastModified to the finding written. Local servers answer in about a millisecond; DynamoDB and S3 in a region take a few, so expect more per history call in a deployment.`,
      `Cost: the busiest month's counts scaled to a million events, priced with \`bench/prices.ts\`.`,
    ].join('\n\n'),
    details,
    findings,
    durationMs: performance.now() - started,
  };
}

function noisiestOf(m: MonthResult): string {
  const on = [...m.perRule.entries()].filter(([id]) => !OFF_BY_DEFAULT.has(id));
  const [id, count] = on.sort((a, b) => b[1] - a[1])[0] ?? ['none', 0];
  return `${id} ${formatNumber(count)}`;
}
