import { Aws, Duration, Fn, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { searchCollectorMetric } from './collector-metrics';

/** Item usage actions of the Events API (developer.1password.com/docs/events-api/item-usage-actions). */
export const ITEM_USAGE_ACTIONS = [
  'fill',
  'reveal',
  'secure-copy',
  'enter-item-edit-mode',
  'export',
  'share',
  'select-sso-provider',
  'server-create',
  'server-update',
  'server-fetch',
  'other',
] as const;

/** Sign-in attempt categories of the Events API. */
export const SIGN_IN_CATEGORIES = [
  'success',
  'credentials_failed',
  'mfa_failed',
  'sso_failed',
  'firewall_failed',
  'firewall_reported_success',
  'modern_version_failed',
] as const;

/** The `Fn::Sub` variable holding what every alarm ARN of the deployment starts with. */
const ALARM_ARN_VARIABLE = 'AlarmArn';

/** CloudWatch's limits that shape the widgets: alarms per status widget, and a readable graph. */
const ALARMS_PER_WIDGET = 100;
const SOURCES_PER_WIDGET = 25;

/** One source as the dashboard shows it. */
export interface DashboardSource {
  /** The source's name. */
  readonly name: string;
  /** Its collector function's name. */
  readonly functionName: string;
  /** Its collector's log group. */
  readonly logGroupName: string;
  /** Names of its alarms. */
  readonly alarmNames: readonly string[];
}

/** Properties of an {@link ArchiveDashboard}. */
export interface ArchiveDashboardProps {
  /** Name of the dashboard. */
  readonly dashboardName: string;
  /** The deployment's sources. */
  readonly sources: readonly DashboardSource[];
  /**
   * Timeout of the collectors, drawn on the duration graph.
   * @default - no line
   */
  readonly collectorTimeout?: Duration;
  /**
   * Names of the deployment's alarms that belong to no source, listed before the sources' alarms.
   * @default - none
   */
  readonly alarmNames?: readonly string[];
}

/** Region of every widget: the stack's, filled in by `Fn::Sub`. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an Fn::Sub placeholder, not a template literal
const REGION = '${AWS::Region}';

/**
 * One dashboard per deployment: alarm states first, then the activity graph (events
 * archived per source), lag, API errors and cursor resets, throttles; from the collector's
 * "stream run finished" log line, events and lag per stream, each stream's silence against
 * its rhythm, item usage by action and sign-in attempts by category; and the collectors'
 * Lambda errors and durations.
 *
 * Graphs of the collector's metrics use SEARCH, so a new source or stream appears without
 * a deployment; note that they show every deployment in the account and region.
 *
 * The body is one `Fn::Sub` string rather than the `Fn::Join` the Dashboard construct
 * writes: with a hundred sources the join of every alarm ARN alone would take a third of
 * the 1 MB a template may weigh. For the same reason each alarm ARN is written
 * `${AlarmArn}<name>`, with the common part in one variable.
 */
export class ArchiveDashboard extends Construct {
  public readonly dashboard: cloudwatch.CfnDashboard;

  constructor(scope: Construct, id: string, props: ArchiveDashboardProps) {
    super(scope, id);
    const fiveMinutes = Duration.minutes(5);
    const sourceGroups = chunk(props.sources, SOURCES_PER_WIDGET);
    const logGroupVariables: Record<string, string> = {};
    const logGroupPlaceholder = (source: DashboardSource, index: number): string => {
      const variable = `LogGroup${index}`;
      logGroupVariables[variable] = source.logGroupName;
      return `\${${variable}}`;
    };
    const placeholders = new Map(
      props.sources.map((source, index) => [source.name, logGroupPlaceholder(source, index)]),
    );

    const rows: cloudwatch.IWidget[] = [
      new cloudwatch.TextWidget({
        markdown: [
          `# 1Password Events archive: ${props.dashboardName}`,
          'Alarms and runbook: README, section *Operate*. Counters are only sent when non-zero, so a gap in a graph means nothing happened.',
        ].join('\n\n'),
        width: 24,
        height: 2,
      }),
    ];

    const alarmNames = [...(props.alarmNames ?? []), ...props.sources.flatMap((source) => source.alarmNames)];
    chunk(alarmNames, ALARMS_PER_WIDGET).forEach((names, index, all) => {
      rows.push(
        new AlarmListWidget(all.length > 1 ? `Alarms (${index + 1}/${all.length})` : 'Alarms', names),
      );
    });

    rows.push(
      new cloudwatch.GraphWidget({
        title: 'Events archived per hour, by source (by stream: the log widgets below)',
        left: [searchCollectorMetric('eventsArchived', ['source'], 'Sum', Duration.hours(1))],
        leftYAxis: { min: 0, label: 'events', showUnits: false },
        region: REGION,
        width: 24,
        height: 7,
      }),
      new cloudwatch.GraphWidget({
        // Lag per stream, and invalid events, are in the log widgets below.
        title:
          'Behind: runs that ended with more to fetch, the furthest stream of each source (seconds behind)',
        left: [searchCollectorMetric('behindSeconds', ['source'], 'Maximum', fiveMinutes)],
        leftYAxis: { min: 0, showUnits: false },
        region: REGION,
        width: 24,
        height: 6,
      }),
      new cloudwatch.Row(
        new cloudwatch.GraphWidget({
          // A cursor reset follows an answer the API refused, so it sits beside the errors.
          title: 'Events API errors by kind, and cursor resets',
          left: [searchCollectorMetric('apiErrors', ['source', 'stream', 'errorKind'], 'Sum', fiveMinutes)],
          right: [searchCollectorMetric('cursorResets', ['source'], 'Sum', fiveMinutes)],
          leftYAxis: { min: 0, label: 'errors', showUnits: false },
          rightYAxis: { min: 0, label: 'cursor resets', showUnits: false },
          region: REGION,
          width: 8,
          height: 6,
        }),
        new cloudwatch.GraphWidget({
          title: 'Throttles (HTTP 429)',
          left: [searchCollectorMetric('throttles', ['source', 'stream'], 'Sum', fiveMinutes)],
          leftYAxis: { min: 0, showUnits: false },
          region: REGION,
          width: 8,
          height: 6,
        }),
        new cloudwatch.GraphWidget({
          // Runs, and whether they failed, are each collector's Lambda Invocations and Errors, above.
          title: 'Auth failures',
          left: [searchCollectorMetric('authFailures', ['source'], 'Maximum', fiveMinutes)],
          leftYAxis: { min: 0, label: 'streams refused', showUnits: false },
          region: REGION,
          width: 8,
          height: 6,
        }),
      ),
    );

    sourceGroups.forEach((group, index) => {
      const suffix = sourceGroups.length > 1 ? ` (sources ${index + 1}/${sourceGroups.length})` : '';
      const logGroupNames = group.map((source) => placeholders.get(source.name) ?? '');
      rows.push(
        new cloudwatch.Row(
          new cloudwatch.LogQueryWidget({
            title: `Events archived, lag and invalid events per hour, by stream${suffix}`,
            logGroupNames,
            queryLines: [
              'fields @timestamp',
              'filter message = "stream run finished"',
              'stats sum(eventsArchived) as events, max(lagSeconds) as lag, sum(invalidEvents) as invalid by bin(1h), source, stream',
            ],
            view: cloudwatch.LogQueryVisualizationType.TABLE,
            region: REGION,
            width: 12,
            height: 6,
          }),
          new cloudwatch.LogQueryWidget({
            title: `Silences: each stream against its rhythm${suffix}`,
            logGroupNames,
            queryLines: [
              'fields @timestamp',
              'filter message = "stream run finished" and ispresent(silence.silentSeconds)',
              'stats max(silence.silentSeconds) as silent, max(silence.limitSeconds) as limit, max(silence.usualSeconds) as usual by source, stream, silence.basis',
            ],
            view: cloudwatch.LogQueryVisualizationType.TABLE,
            region: REGION,
            width: 12,
            height: 6,
          }),
        ),
        new cloudwatch.Row(
          new cloudwatch.LogQueryWidget({
            title: `Item usage by action${suffix}`,
            logGroupNames,
            queryLines: runSummaryQuery('itemusages', 'countsByAction', ITEM_USAGE_ACTIONS),
            view: cloudwatch.LogQueryVisualizationType.STACKEDAREA,
            region: REGION,
            width: 12,
            height: 6,
          }),
          new cloudwatch.LogQueryWidget({
            title: `Sign-in attempts by category${suffix}`,
            logGroupNames,
            queryLines: runSummaryQuery('signinattempts', 'countsByCategory', SIGN_IN_CATEGORIES),
            view: cloudwatch.LogQueryVisualizationType.STACKEDAREA,
            region: REGION,
            width: 12,
            height: 6,
          }),
        ),
        new cloudwatch.Row(
          new cloudwatch.GraphWidget({
            title: `Collector errors and timeouts${suffix}`,
            left: group.map((source) => lambdaMetric(source, 'Errors', 'Sum')),
            leftYAxis: { min: 0, showUnits: false },
            region: REGION,
            width: 12,
            height: 6,
          }),
          new cloudwatch.GraphWidget({
            title: `Collector duration, maximum${suffix}`,
            left: group.map((source) => lambdaMetric(source, 'Duration', 'Maximum')),
            leftYAxis: { min: 0, label: 'ms', showUnits: false },
            ...(props.collectorTimeout
              ? { leftAnnotations: [{ value: props.collectorTimeout.toMilliseconds(), label: 'timeout' }] }
              : {}),
            region: REGION,
            width: 12,
            height: 6,
          }),
        ),
      );
    });

    const layout = new cloudwatch.Column(...rows);
    layout.position(0, 0);
    // Widgets hold lazy values; resolving them must leave plain JSON, with every reference
    // to a resource passed as an Fn::Sub variable instead.
    const body = JSON.stringify({ start: '-P7D', widgets: Stack.of(this).resolve(layout.toJson()) });
    if (/"(Ref|Fn::\w+)":/.test(body)) {
      throw new Error(
        'the dashboard body must not hold CloudFormation references: pass them as Fn::Sub variables',
      );
    }
    this.dashboard = new cloudwatch.CfnDashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      dashboardBody: Fn.sub(body, {
        ...logGroupVariables,
        [ALARM_ARN_VARIABLE]: `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:`,
      }),
    });
  }
}

/** An alarm status widget listing alarms by ARN, written with `Fn::Sub` placeholders. */
class AlarmListWidget implements cloudwatch.IWidget {
  public readonly width = 24;
  public readonly height: number;
  private x = 0;
  private y = 0;

  constructor(
    private readonly title: string,
    private readonly alarmNames: readonly string[],
  ) {
    this.height = Math.min(12, 2 + Math.ceil(alarmNames.length / 4));
  }

  public position(x: number, y: number): void {
    this.x = x;
    this.y = y;
  }

  public toJson(): unknown[] {
    return [
      {
        type: 'alarm',
        width: this.width,
        height: this.height,
        x: this.x,
        y: this.y,
        properties: {
          title: this.title,
          alarms: this.alarmNames.map((name) => `\${${ALARM_ARN_VARIABLE}}${name}`),
          sortBy: 'stateUpdatedTimestamp',
        },
      },
    ];
  }
}

/**
 * Sums the per-run counts the collector logs at the end of each stream run, by hour.
 * Logs Insights cannot turn a map into rows, so every known key gets a column; a key
 * 1Password adds later shows up in the raw log lines first.
 */
function runSummaryQuery(stream: string, field: string, keys: readonly string[]): string[] {
  const sums = keys.map((key) => `sum(\`${field}.${key}\`) as ${key.replace(/-/g, '_')}`).join(', ');
  return [
    'fields @timestamp',
    `filter message = "stream run finished" and stream = "${stream}"`,
    `stats ${sums} by bin(1h)`,
  ];
}

function lambdaMetric(source: DashboardSource, metricName: string, statistic: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Lambda',
    metricName,
    dimensionsMap: { FunctionName: source.functionName },
    statistic,
    period: Duration.minutes(5),
    label: source.name,
  });
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let index = 0; index < items.length; index += size) chunks.push(items.slice(index, index + size));
  return chunks;
}
