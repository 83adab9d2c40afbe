import {
  type CompositeAlarm,
  DescribeAlarmsCommand,
  type MetricAlarm,
  type StateValue,
} from '@aws-sdk/client-cloudwatch';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { EVENT_TYPES, type EventType } from '../../lambdas/shared/event-types';
import { StateStore, streamKey } from '../../lambdas/shared/state-store';
import { awsOptions, commonOptions, eventTypes, parseCommandLine, required, sourceName } from '../args';
import type { AwsClients } from '../aws';
import { parseBackfillStateKey } from '../backfill-naming';
import { EXIT_CODES_HELP, ExitCode, UsageError } from '../exit-codes';
import { age, count, plural, table, toJson, when } from '../format';
import type { CliIo } from '../io';

export const STATUS_HELP = `Usage: op-events-archive status --source NAME [--source NAME...] --table NAME [options]

Shows, per source and stream: the last run and the last successful one, the newest
archived event and how far behind now it is (lag), when the cursor last moved, objects
and events archived, a batch in flight, the last error, and the state of the source's
CloudWatch alarms. Backfills of the source are listed below its streams.

Options:
  --source NAME          a source (repeat for several)
  --table NAME           the state table (StateTableName output; default $STATE_TABLE)
  --stream LIST          comma list of streams (default: all three)
  --deployment NAME      the deployment config's "name", which prefixes alarm names
                         (default op-events-archive: alarms op-events-archive-<source>-*)
  --alarm-prefix PREFIX  alarm name prefix, if it is not <deployment>-<source>- (one --source only)
  --no-alarms            do not read CloudWatch
  --region REGION        AWS region (default: AWS_REGION / profile)
  --json                 print one JSON document instead of text
  -h, --help             show this help

Exit status 1 means an alarm is firing or a stream's last run failed.

Example:
  op-events-archive status --source prod --source subsidiary --table acme-op-events-state

${EXIT_CODES_HELP}
`;

export interface StatusOptions {
  readonly sources: string[];
  readonly table: string;
  readonly streams: EventType[];
  readonly deployment: string;
  readonly alarmPrefix: string | undefined;
  readonly alarms: boolean;
  readonly region: string | undefined;
  readonly json: boolean;
}

export function parseStatusArgs(argv: string[], io: Pick<CliIo, 'env'>): StatusOptions {
  const values = parseCommandLine('status', argv, {
    ...commonOptions,
    ...awsOptions,
    source: { type: 'string', multiple: true },
    table: { type: 'string' },
    stream: { type: 'string' },
    deployment: { type: 'string' },
    'alarm-prefix': { type: 'string' },
    'no-alarms': { type: 'boolean' },
  });
  const sources = (values.source ?? []).map((name) => sourceName(name));
  if (sources.length === 0)
    throw new UsageError('--source is required, e.g. --source prod (repeat for several)');
  if (values['alarm-prefix'] !== undefined && sources.length > 1) {
    throw new UsageError('--alarm-prefix names one source’s alarms; give one --source, or use --deployment');
  }
  return {
    sources: [...new Set(sources)],
    table: required(values.table ?? io.env.STATE_TABLE, 'table', 'acme-op-events-state (or set STATE_TABLE)'),
    streams: eventTypes(values.stream, 'stream') ?? [...EVENT_TYPES],
    deployment: values.deployment ?? 'op-events-archive',
    alarmPrefix: values['alarm-prefix'],
    alarms: values['no-alarms'] !== true,
    region: values.region,
    json: values.json === true,
  };
}

export interface StatusDependencies {
  readonly io: CliIo;
  readonly aws: AwsClients;
}

export interface AlarmStatus {
  readonly name: string;
  readonly state: StateValue | string;
  readonly since: string | undefined;
  readonly reason: string | undefined;
}

export interface StreamStatus {
  readonly stream: EventType;
  /** Whether the state table has an item for it (it has run at least once). */
  readonly tracked: boolean;
  readonly lastRunAt: string | undefined;
  readonly lastSuccessAt: string | undefined;
  readonly lastError: string | undefined;
  readonly lastErrorAt: string | undefined;
  readonly newestEventTime: string | undefined;
  /** Now minus the newest archived event. */
  readonly lagSeconds: number | undefined;
  /** Now minus the last batch commit (when the cursor last moved past events). */
  readonly cursorAgeSeconds: number | undefined;
  readonly objects: number;
  readonly events: number;
  readonly lastSeq: number;
  readonly running: { readonly owner: string | undefined; readonly until: string } | undefined;
  readonly inFlight: { readonly seq: number; readonly since: string } | undefined;
  readonly alarms: AlarmStatus[];
}

export interface BackfillStatus {
  readonly stream: EventType;
  readonly from: string;
  readonly to: string;
  readonly objects: number;
  readonly events: number;
  readonly lastRunAt: string | undefined;
  readonly lastSuccessAt: string | undefined;
  readonly lastError: string | undefined;
}

export interface SourceStatus {
  readonly source: string;
  readonly alarmPrefix: string | undefined;
  readonly streams: StreamStatus[];
  /** Alarms about the whole source (collector errors, no successful run, auth failure). */
  readonly alarms: AlarmStatus[];
  readonly backfills: BackfillStatus[] | undefined;
  readonly healthy: boolean;
}

export async function status(options: StatusOptions, deps: StatusDependencies): Promise<ExitCode> {
  const { io } = deps;
  const now = io.now();
  const state = new StateStore(deps.aws.documents(), options.table);
  const sources: SourceStatus[] = [];
  const notes: string[] = [];
  for (const source of options.sources) {
    const alarmPrefix = options.alarms
      ? (options.alarmPrefix ?? `${options.deployment}-${source}-`)
      : undefined;
    const alarms = alarmPrefix === undefined ? [] : await describeAlarms(deps.aws, alarmPrefix);
    const streamOf = (alarm: AlarmStatus) =>
      EVENT_TYPES.find((stream) => alarm.name.slice(alarmPrefix?.length ?? 0).startsWith(`${stream}-`));
    const streams: StreamStatus[] = [];
    for (const stream of options.streams) {
      const pk = streamKey(source, stream);
      const [item, extras] = await Promise.all([state.get(pk), readTimes(deps.aws, options.table, pk)]);
      const newest = item?.newestEventTime === undefined ? undefined : Date.parse(item.newestEventTime);
      const committed = extras.lastCommitAt === undefined ? undefined : Date.parse(extras.lastCommitAt);
      streams.push({
        stream,
        tracked: item !== undefined,
        lastRunAt: item?.lastRunAt,
        lastSuccessAt: item?.lastSuccessAt,
        lastError: item?.lastError,
        lastErrorAt: extras.lastErrorAt,
        newestEventTime: item?.newestEventTime,
        lagSeconds: newest === undefined ? undefined : Math.max(0, Math.round((now - newest) / 1000)),
        cursorAgeSeconds:
          committed === undefined ? undefined : Math.max(0, Math.round((now - committed) / 1000)),
        objects: item?.objectsWritten ?? 0,
        events: item?.eventsArchived ?? 0,
        lastSeq: (item?.nextSeq ?? 1) - 1,
        running:
          item?.leaseExpiresAt !== undefined && item.leaseExpiresAt > now
            ? { owner: item.leaseOwner, until: new Date(item.leaseExpiresAt).toISOString() }
            : undefined,
        inFlight: item?.pending ? { seq: item.pending.seq, since: item.pending.createdAt } : undefined,
        alarms: alarms.filter((alarm) => streamOf(alarm) === stream),
      });
    }
    let backfills: BackfillStatus[] | undefined;
    try {
      backfills = await listBackfills(deps.aws, options.table, source);
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name !== 'AccessDeniedException') throw error;
      notes.push(`${source}: may not scan the state table (dynamodb:Scan), so backfills are not listed`);
    }
    const sourceAlarms = alarms.filter((alarm) => streamOf(alarm) === undefined);
    const healthy =
      alarms.every((alarm) => alarm.state !== 'ALARM') &&
      streams.every((stream) => stream.lastError === undefined);
    if (alarmPrefix !== undefined && alarms.length === 0) {
      notes.push(
        `${source}: no CloudWatch alarm is named ${alarmPrefix}*; check --deployment / --alarm-prefix and --region`,
      );
    }
    sources.push({ source, alarmPrefix, streams, alarms: sourceAlarms, backfills, healthy });
  }
  const healthy = sources.every((source) => source.healthy);
  io.stdout.write(
    options.json
      ? toJson({ healthy, table: options.table, at: new Date(now).toISOString(), sources })
      : render(sources, options, notes),
  );
  return healthy ? ExitCode.ok : ExitCode.problems;
}

async function describeAlarms(aws: AwsClients, prefix: string): Promise<AlarmStatus[]> {
  const alarms: AlarmStatus[] = [];
  let nextToken: string | undefined;
  do {
    const page = await aws.cloudWatch().send(
      new DescribeAlarmsCommand({
        AlarmNamePrefix: prefix,
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    const all: Array<MetricAlarm | CompositeAlarm> = [
      ...(page.MetricAlarms ?? []),
      ...(page.CompositeAlarms ?? []),
    ];
    for (const alarm of all) {
      alarms.push({
        name: alarm.AlarmName ?? '',
        state: alarm.StateValue ?? 'UNKNOWN',
        since: alarm.StateUpdatedTimestamp?.toISOString(),
        reason: alarm.StateReason,
      });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return alarms.sort((a, b) => a.name.localeCompare(b.name));
}

/** Times the state store keeps but does not return (when the cursor last moved, when the last error happened). */
async function readTimes(
  aws: AwsClients,
  tableName: string,
  pk: string,
): Promise<{ lastCommitAt?: string; lastErrorAt?: string }> {
  const { Item } = await aws.documents().send(
    new GetCommand({
      TableName: tableName,
      Key: { pk },
      ProjectionExpression: 'lastCommitAt, lastErrorAt',
    }),
  );
  return {
    ...(typeof Item?.lastCommitAt === 'string' ? { lastCommitAt: Item.lastCommitAt } : {}),
    ...(typeof Item?.lastErrorAt === 'string' ? { lastErrorAt: Item.lastErrorAt } : {}),
  };
}

/** The source's backfill items: a scan, but the table holds a handful of items per source. */
async function listBackfills(aws: AwsClients, tableName: string, source: string): Promise<BackfillStatus[]> {
  const backfills: BackfillStatus[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await aws.documents().send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'begins_with(pk, :prefix)',
        ExpressionAttributeValues: { ':prefix': `${source}#backfill#` },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const range = parseBackfillStateKey(String(item.pk));
      if (!range) continue;
      backfills.push({
        stream: range.stream,
        from: new Date(range.from).toISOString(),
        to: new Date(range.to).toISOString(),
        objects: Number(item.objectsWritten ?? 0),
        events: Number(item.eventsArchived ?? 0),
        lastRunAt: item.lastRunAt as string | undefined,
        lastSuccessAt: item.lastSuccessAt as string | undefined,
        lastError: item.lastError as string | undefined,
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return backfills.sort((a, b) => a.stream.localeCompare(b.stream) || a.from.localeCompare(b.from));
}

function render(sources: SourceStatus[], options: StatusOptions, notes: string[]): string {
  const lines: string[] = [];
  for (const source of sources) {
    lines.push(
      `Source ${source.source} (state table ${options.table}${source.alarmPrefix ? `; alarms ${source.alarmPrefix}*` : ''})`,
    );
    const rows: string[][] = [
      ['stream', 'last success', 'newest event', 'lag', 'cursor moved', 'objects', 'events', 'state'],
    ];
    for (const stream of source.streams) {
      if (!stream.tracked) {
        rows.push([stream.stream, '-', '-', '-', '-', '0', '0', 'never run']);
        continue;
      }
      rows.push([
        stream.stream,
        when(stream.lastSuccessAt),
        when(stream.newestEventTime),
        stream.lagSeconds === undefined ? '-' : age(stream.lagSeconds * 1000),
        stream.cursorAgeSeconds === undefined ? '-' : `${age(stream.cursorAgeSeconds * 1000)} ago`,
        count(stream.objects),
        count(stream.events),
        stateOf(stream),
      ]);
    }
    lines.push(table(rows, '  '));
    for (const stream of source.streams) {
      if (stream.lastError !== undefined) {
        lines.push(
          `  ${stream.stream} last run failed${stream.lastErrorAt ? ` at ${when(stream.lastErrorAt)}` : ''}: ${stream.lastError}`,
        );
      }
      if (stream.inFlight) {
        lines.push(
          `  ${stream.stream}: batch ${stream.inFlight.seq} in flight since ${when(stream.inFlight.since)}`,
        );
      }
    }
    const alarms = [...source.alarms, ...source.streams.flatMap((stream) => stream.alarms)].sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    if (source.alarmPrefix !== undefined) {
      lines.push('  alarms');
      if (alarms.length === 0) lines.push('    (none found)');
      lines.push(
        table(
          alarms.map((alarm) => [
            alarm.state,
            alarm.name,
            alarm.since ? `since ${when(alarm.since)}` : '',
            alarm.state === 'ALARM' && alarm.reason ? alarm.reason : '',
          ]),
          '    ',
        ),
      );
    }
    if (source.backfills && source.backfills.length > 0) {
      lines.push('  backfills');
      lines.push(
        table(
          source.backfills.map((b) => [
            b.stream,
            `${when(b.from)} to ${when(b.to)}`,
            plural(b.objects, 'object'),
            plural(b.events, 'event'),
            b.lastError ? `last run failed: ${b.lastError}` : `last run ${when(b.lastRunAt)}`,
          ]),
          '    ',
        ),
      );
    }
    lines.push('');
  }
  for (const note of notes) lines.push(`note: ${note}`);
  const unhealthy = sources.filter((source) => !source.healthy).map((source) => source.source);
  lines.push(
    unhealthy.length === 0
      ? 'Healthy: no alarm firing, every stream’s last run succeeded.'
      : `NOT HEALTHY: ${unhealthy.join(', ')} (an alarm fires or a last run failed); see README §Operate.`,
  );
  return `${lines.join('\n')}\n`;

  function stateOf(stream: StreamStatus): string {
    const firing = stream.alarms.filter((alarm) => alarm.state === 'ALARM');
    const parts: string[] = [];
    if (stream.running) parts.push('running');
    if (stream.lastError !== undefined) parts.push('last run failed');
    if (firing.length > 0)
      parts.push(
        `ALARM: ${firing.map((a) => a.name.slice(a.name.lastIndexOf(`${stream.stream}-`) + stream.stream.length + 1)).join(', ')}`,
      );
    return parts.length === 0 ? 'ok' : parts.join(', ');
  }
}
