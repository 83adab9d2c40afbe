import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { RULES } from '../../lambdas/detector/rules';
import { FileArchive } from '../../lambdas/shared/archive/file-archive';
import { parseBatchKey, streamPrefix } from '../../lambdas/shared/archive/format';
import { type ArchiveSource, S3ArchiveSource } from '../../lambdas/shared/archive/source';
import { DetectionEngine } from '../../lambdas/shared/detections/engine';
import { type EventView, viewBatch } from '../../lambdas/shared/detections/event-view';
import type { Finding } from '../../lambdas/shared/detections/finding';
import { MemoryHistory } from '../../lambdas/shared/detections/history';
import { type DetectionSettings, detectionSettingsSchema } from '../../lambdas/shared/detections/settings';
import { EVENT_TYPES } from '../../lambdas/shared/event-types';
import { awsOptions, commonOptions, parseCommandLine, sourceName, startPosition } from '../args';
import type { AwsClients } from '../aws';
import { EXIT_CODES_HELP, ExitCode, UsageError } from '../exit-codes';
import { count, plural, toJson } from '../format';
import type { CliIo } from '../io';

export const DETECT_HELP = `Usage: op-events-archive detect (--dir PATH | --bucket NAME) --source NAME [options]

Backtests the detection rules on an archive: reads the source's events since --since, runs
every rule over them in time order, as the detector would have when each object arrived,
and prints what would have fired, and how many findings each rule raises per week, so a rule
can be tuned before it pages anyone. Nothing is sent anywhere.

Archive (one of):
  --dir PATH             a local archive (the folder \`collect\` or the demo writes)
  --bucket NAME          the archive bucket (default $ARCHIVE_BUCKET)

Options:
  --source NAME          the source (required)
  --prefix PREFIX        the archive prefix (default $ARCHIVE_PREFIX or none)
  --since WHEN           events from this instant or duration back (default P120D, what the API keeps)
  --rule ID              only this rule (repeat for several)
  --settings FILE        the detections settings (JSON: watchlists, rules, suppressions; README, Detections)
  --max-findings N       findings printed (default 50; --json prints all)
  --region REGION        AWS region (default: AWS_REGION / profile)
  --json                 print one JSON document instead of text
  -h, --help             show this help

Events are held in memory while they are sorted: about 1 GB per 2 million events.

Examples:
  op-events-archive detect --dir .demo/archive --source demo
  op-events-archive detect --bucket acme-op-events-archive --source prod --since P30D --rule new-ip-signin

${EXIT_CODES_HELP}
`;

export interface DetectOptions {
  readonly archive:
    | { readonly kind: 'dir'; readonly dir: string }
    | { readonly kind: 'bucket'; readonly bucket: string };
  readonly source: string;
  readonly prefix: string;
  readonly since: number;
  readonly rules: readonly string[];
  readonly settings: DetectionSettings;
  readonly maxFindings: number;
  readonly region: string | undefined;
  readonly json: boolean;
}

const SCHEMA = detectionSettingsSchema(RULES);

export function parseDetectArgs(argv: string[], io: Pick<CliIo, 'env' | 'now'>): DetectOptions {
  const values = parseCommandLine('detect', argv, {
    ...commonOptions,
    ...awsOptions,
    dir: { type: 'string' },
    bucket: { type: 'string' },
    source: { type: 'string' },
    prefix: { type: 'string' },
    since: { type: 'string' },
    rule: { type: 'string', multiple: true },
    settings: { type: 'string' },
    'max-findings': { type: 'string' },
  });
  if (values.dir !== undefined && values.bucket !== undefined)
    throw new UsageError('give either --dir or --bucket, not both');
  const bucket = values.bucket ?? (values.dir === undefined ? io.env.ARCHIVE_BUCKET || undefined : undefined);
  if (values.dir === undefined && bucket === undefined) {
    throw new UsageError('say which archive to read: --dir PATH, or --bucket NAME (or $ARCHIVE_BUCKET)');
  }
  const known = new Set(RULES.map((rule) => rule.id));
  for (const id of values.rule ?? []) {
    if (!known.has(id))
      throw new UsageError(`--rule ${id}: no such rule; the rules are: ${[...known].join(', ')}`);
  }
  const maxFindings = Number(values['max-findings'] ?? 50);
  if (!Number.isInteger(maxFindings) || maxFindings < 1)
    throw new UsageError('--max-findings must be a positive whole number');
  return {
    archive:
      values.dir !== undefined
        ? { kind: 'dir', dir: resolve(values.dir) }
        : { kind: 'bucket', bucket: bucket ?? '' },
    source: sourceName(values.source),
    prefix: values.prefix ?? io.env.ARCHIVE_PREFIX ?? '',
    since: startPosition(values.since ?? 'P120D', 'since', io.now()),
    rules: values.rule ?? [],
    settings: readSettings(values.settings),
    maxFindings,
    region: values.region,
    json: values.json === true,
  };
}

function readSettings(file: string | undefined): DetectionSettings {
  if (file === undefined) return SCHEMA.parse(undefined) as DetectionSettings;
  if (!existsSync(file)) throw new UsageError(`--settings ${file} does not exist`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--settings ${file} is not JSON: ${(error as Error).message}`);
  }
  const parsed = SCHEMA.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new UsageError(`--settings ${file} is invalid: ${problems.join('; ')}`);
  }
  return parsed.data as DetectionSettings;
}

export interface DetectResult {
  readonly source: string;
  readonly location: string;
  readonly since: string;
  readonly events: number;
  readonly rules: readonly string[];
  readonly findings: readonly Finding[];
  readonly suppressed: number;
  /** Per rule, findings per ISO week (the Monday it starts, UTC). */
  readonly perWeek: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export async function detect(
  options: DetectOptions,
  deps: { io: CliIo; aws: AwsClients },
): Promise<ExitCode> {
  const archive: ArchiveSource =
    options.archive.kind === 'dir'
      ? new FileArchive(options.archive.dir)
      : new S3ArchiveSource(deps.aws.s3(), options.archive.bucket);
  if (options.archive.kind === 'dir' && !existsSync(options.archive.dir)) {
    throw new UsageError(`--dir ${options.archive.dir} does not exist`);
  }
  const events = await readEvents(archive, options);
  if (events.length === 0) {
    throw new UsageError(
      `no events of source ${options.source} since ${new Date(options.since).toISOString()} in ${archive.location}; check --source, --prefix and --since`,
    );
  }
  const wanted = new Set(options.rules);
  const rules = wanted.size === 0 ? RULES : RULES.filter((rule) => wanted.has(rule.id));
  const engine = new DetectionEngine(rules, options.settings, new MemoryHistory(), options.source);
  const findings: Finding[] = [];
  let suppressed = 0;
  for (const event of events) {
    const evaluation = await engine.evaluate(event);
    findings.push(...evaluation.findings);
    suppressed += evaluation.suppressed.length;
  }
  const perWeek: Record<string, Record<string, number>> = {};
  for (const finding of findings) {
    const week = weekOf(Date.parse(finding.time));
    perWeek[finding.ruleId] ??= {};
    const counts = perWeek[finding.ruleId] as Record<string, number>;
    counts[week] = (counts[week] ?? 0) + 1;
  }
  const result: DetectResult = {
    source: options.source,
    location: archive.location,
    since: new Date(options.since).toISOString(),
    events: events.length,
    rules: engine.rules.map((rule) => rule.id),
    findings,
    suppressed,
    perWeek,
  };
  deps.io.stdout.write(options.json ? toJson(result) : render(result, options.maxFindings));
  return ExitCode.ok;
}

/** Every event of the source since `since`, in time order, each with its archive key and line. */
async function readEvents(archive: ArchiveSource, options: DetectOptions): Promise<EventView[]> {
  const events: EventView[] = [];
  for (const stream of EVENT_TYPES) {
    for await (const entry of archive.list(streamPrefix(options.prefix, options.source, stream))) {
      if (!parseBatchKey(entry.key)) continue;
      const object = await archive.open(entry.key);
      const chunks: Buffer[] = [];
      for await (const chunk of object.body) chunks.push(Buffer.from(chunk));
      const body = gunzipSync(Buffer.concat(chunks)).toString('utf8');
      for (const view of viewBatch(body, stream, entry.key)) {
        if (view.time !== undefined && view.time >= options.since) events.push(view);
      }
    }
  }
  return events.sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
}

function weekOf(ms: number): string {
  const day = new Date(ms);
  const monday = Date.UTC(
    day.getUTCFullYear(),
    day.getUTCMonth(),
    day.getUTCDate() - ((day.getUTCDay() + 6) % 7),
  );
  return new Date(monday).toISOString().slice(0, 10);
}

function render(result: DetectResult, maxFindings: number): string {
  const lines = [
    `Backtest of ${result.rules.length} rules on ${count(result.events)} events of source ${result.source} since ${result.since} (${result.location})`,
    '',
  ];
  if (result.findings.length === 0) {
    lines.push('No rule would have fired.');
  } else {
    lines.push(
      `${plural(result.findings.length, 'finding')}${result.suppressed ? `, ${count(result.suppressed)} suppressed` : ''}:`,
    );
    for (const finding of result.findings.slice(0, maxFindings)) {
      lines.push(
        `  ${finding.time.slice(0, 19).replace('T', ' ')}  ${finding.severity.padEnd(8)}  ${finding.ruleId}: ${finding.summary}`,
      );
    }
    if (result.findings.length > maxFindings) {
      lines.push(`  ... and ${count(result.findings.length - maxFindings)} more (--json lists all)`);
    }
    lines.push('', 'Findings per rule and week (the Monday each week starts):');
    const weeks = [...new Set(Object.values(result.perWeek).flatMap((counts) => Object.keys(counts)))].sort();
    const width = Math.max(...Object.keys(result.perWeek).map((id) => id.length));
    lines.push(`  ${''.padEnd(width)}  ${weeks.map((week) => week.slice(5)).join('  ')}`);
    for (const [ruleId, counts] of Object.entries(result.perWeek).sort()) {
      lines.push(
        `  ${ruleId.padEnd(width)}  ${weeks.map((week) => String(counts[week] ?? 0).padStart(5)).join('  ')}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
