import { Duration, RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../lambdas/shared/metric-names';
import type { IArchiveBucket } from './archive-bucket';
import { collectorMetric, runAlarmPeriod } from './collector-metrics';
import { DEFAULT_DROP_OFF_CEILING_HOURS, EVENT_STREAMS, type EventStream } from './config';
import { scheduleFunction } from './function-schedule';
import { HouseNodejsFunction } from './house-nodejs-function';
import { viaServiceFor } from './kms-conditions';
import { acknowledgeRule } from './nag';
import type { IStateTable } from './state-table';

/** The collector's handler, relative to the repository root. */
export const COLLECTOR_ENTRY = 'lambdas/collector/handler.ts';

/** `POWERTOOLS_SERVICE_NAME` of every collector. */
export const COLLECTOR_SERVICE_NAME = 'op-events-collector';

/** What the placeholder secret holds until the operator puts the token in. */
const EMPTY_TOKEN_SECRET = '{"token":""}';

/** Runs in a row that must fail (or be missing) before a run-level alarm fires. */
const RUN_ALARM_PERIODS = 3;

/** The alarms of one source, by kind. */
export interface CollectorAlarms {
  /**
   * A stream silent past what its rhythm (or its fixed window) allows; one alarm for the
   * source's streams, the log line names the stream (absent when no stream has a window, or paused).
   */
  readonly dropOff?: cloudwatch.Alarm;
  /** Runs end with events still waiting and the newest archived one older than the threshold. */
  readonly fallingBehind: cloudwatch.Alarm;
  /** The Events API rejected a stream's stored cursor and the stream restarted from a time. */
  readonly cursorReset: cloudwatch.Alarm;
  /** The function threw or timed out in several periods in a row. */
  readonly collectorErrors: cloudwatch.Alarm;
  /** No run completed every stream for several periods (absent when paused). */
  readonly noSuccessfulRun?: cloudwatch.Alarm;
  /** The Events API refused the token, or the secret holds none. */
  readonly authFailure: cloudwatch.Alarm;
  /** The schedule could not invoke the function: a failed invocation waits in its dead-letter queue. */
  readonly scheduleFailed: cloudwatch.Alarm;
}

/** Properties of a {@link SourceCollector}. */
export interface SourceCollectorProps {
  /** The source's name, `[a-z0-9-]{1,40}`; it scopes the archive prefix, state items and metrics. */
  readonly sourceName: string;

  /** The archive the collector writes to. */
  readonly archive: IArchiveBucket;

  /** The table holding cursors and leases. */
  readonly state: IStateTable;

  /** Where every alarm (and its return to OK) is sent. */
  readonly alarmTopic: sns.ITopic;

  /** Prefix of every alarm name, followed by `-<source>-...`. */
  readonly alarmNamePrefix: string;

  /**
   * An existing secret holding the Events API token.
   * @default - a secret is created, holding `{"token":""}` until the operator puts the token in
   */
  readonly tokenSecret?: secretsmanager.ISecret;

  /**
   * KMS key of the token secret: the key a created secret is encrypted with, or the key
   * that encrypts `tokenSecret`. The collector may decrypt with it only through Secrets Manager.
   * @default - the AWS managed key of Secrets Manager
   */
  readonly tokenSecretEncryptionKey?: kms.IKey;

  /**
   * Events API base URL (`EVENTS_API_URL`).
   * @default - derived by the collector from the token
   */
  readonly eventsApiUrl?: string;

  /**
   * Event types to read (`EVENT_TYPES`), which are also the streams that get alarms.
   * @default - every type the token grants; alarms for all three streams
   */
  readonly eventTypes?: readonly EventStream[];

  /**
   * Where a stream with no cursor starts (`START_FROM`): an RFC 3339 instant or an ISO 8601 duration.
   * @default - all that the Events API keeps (120 days)
   */
  readonly startFrom?: string;

  /**
   * Time between two runs.
   * @default Duration.minutes(1)
   */
  readonly scheduleInterval?: Duration;

  /**
   * The EventBridge Scheduler group the schedule belongs to. Only schedules of this group
   * may assume the schedule's role.
   * @default - the account's `default` group
   */
  readonly scheduleGroup?: scheduler.IScheduleGroup;

  /**
   * KMS key of the schedule's dead-letter queue. The schedule's role may use it only
   * through SQS, to send the failed invocation.
   * @default - SQS-managed encryption (SSE-SQS)
   */
  readonly deadLetterQueueEncryptionKey?: kms.IKey;

  /**
   * Whether the schedule runs. A paused source keeps its function, secret, state and
   * archive; it has no drop-off or no-successful-run alarms, since silence is expected.
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * Drop-off window per stream; `false` for no drop-off alarm on that stream.
   * @default Duration.hours(24) for every stream
   */
  readonly dropOffWindows?: Partial<Record<EventStream, Duration | false>>;

  /**
   * Per stream with a drop-off window: the longest silence tolerated once the stream's rhythm
   * is learned, or `false` to judge it by the fixed window alone.
   * @default Duration.hours(168) for every stream
   */
  readonly dropOffCeilings?: Partial<Record<EventStream, Duration | false>>;

  /**
   * How old the newest archived event may be, while the API has more, before the
   * falling-behind alarm fires.
   * @default Duration.hours(6)
   */
  readonly behindThreshold?: Duration;

  /**
   * Physical name of the function and of its schedule; its schedule's dead-letter queue
   * is named `<functionName>-schedule-dlq`.
   * @default - generated by CloudFormation
   */
  readonly functionName?: string;

  /**
   * Handler file, relative to the repository root.
   * @default COLLECTOR_ENTRY
   */
  readonly entry?: string;

  /**
   * Reserve one concurrent execution, so two runs of the source never overlap. Costs one
   * execution of the account's concurrency quota, which keeps at least 100 unreserved.
   * @default true
   */
  readonly reserveConcurrency?: boolean;

  /**
   * Memory of the function in MB.
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * Timeout of the function; the collector stops fetching about 20 s before it.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;

  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Everything one source needs: its token secret, its collector function with exactly
 * the permissions of that source, the schedule that runs it, and the alarms an on-call
 * engineer gets when it stops delivering.
 */
export class SourceCollector extends Construct {
  public readonly sourceName: string;
  public readonly function: HouseNodejsFunction;
  public readonly tokenSecret: secretsmanager.ISecret;
  public readonly schedule: scheduler.Schedule;
  /** Where the schedule puts an invocation it could not make. */
  public readonly scheduleDeadLetterQueue: sqs.Queue;
  public readonly alarms: CollectorAlarms;
  /** Names of every alarm of this source; plain strings, usable from any stack. */
  public readonly alarmNames: readonly string[];
  /** The streams this source reads and alarms on. */
  public readonly streams: readonly EventStream[];

  private readonly alarmNamePrefix: string;

  constructor(scope: Construct, id: string, props: SourceCollectorProps) {
    super(scope, id);
    this.sourceName = props.sourceName;
    this.streams = props.eventTypes ?? EVENT_STREAMS;
    this.alarmNamePrefix = `${props.alarmNamePrefix}-${props.sourceName}`;
    const enabled = props.enabled ?? true;
    const interval = props.scheduleInterval ?? Duration.minutes(1);

    this.tokenSecret = props.tokenSecret ?? this.createTokenSecret(props);

    const dropOffSeconds = this.dropOffSeconds(props, enabled);
    const dropOffCeilingSeconds = this.dropOffCeilingSeconds(props, enabled);
    this.function = new HouseNodejsFunction(this, 'Function', {
      entry: props.entry ?? COLLECTOR_ENTRY,
      ...(props.functionName ? { functionName: props.functionName } : {}),
      description: `Archives the 1Password Events API of source ${props.sourceName} to S3`,
      environment: {
        SOURCE_NAME: props.sourceName,
        TOKEN_SECRET_ID: this.tokenSecret.secretArn,
        STATE_TABLE: props.state.table.tableName,
        ARCHIVE_BUCKET: props.archive.bucket.bucketName,
        ARCHIVE_PREFIX: props.archive.prefix,
        ...(props.eventsApiUrl ? { EVENTS_API_URL: props.eventsApiUrl } : {}),
        ...(props.eventTypes ? { EVENT_TYPES: props.eventTypes.join(',') } : {}),
        ...(props.startFrom ? { START_FROM: props.startFrom } : {}),
        // The drop-off alarm's windows and the ceilings of the streams that learn their rhythm:
        // a run reports SecondsSinceArchived only past what they allow.
        ...(dropOffSeconds ? { DROP_OFF_SECONDS: dropOffSeconds } : {}),
        ...(dropOffCeilingSeconds ? { DROP_OFF_CEILING_SECONDS: dropOffCeilingSeconds } : {}),
        POWERTOOLS_SERVICE_NAME: COLLECTOR_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
      ...(props.memorySize ? { memorySize: props.memorySize } : {}),
      ...(props.timeout ? { timeout: props.timeout } : {}),
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...((props.reserveConcurrency ?? true) ? { reservedConcurrentExecutions: 1 } : {}),
    });

    this.grantTokenRead(props.tokenSecretEncryptionKey);
    props.archive.grantSourceReadWrite(this.function, props.sourceName);
    props.state.grantSourceItems(this.function, props.sourceName);

    const { schedule, deadLetterQueue } = scheduleFunction(this, {
      function: this.function,
      ...(props.scheduleGroup ? { group: props.scheduleGroup } : {}),
      interval,
      enabled,
      ...(props.functionName ? { name: props.functionName } : {}),
      runs: `the 1Password Events collector of source ${props.sourceName}`,
      roleDescription: `Lets the schedule of 1Password source ${props.sourceName} invoke its collector`,
      ...(props.deadLetterQueueEncryptionKey
        ? { deadLetterQueueEncryptionKey: props.deadLetterQueueEncryptionKey }
        : {}),
      deadLetterAlarm: 'its schedule-failed alarm',
    });
    this.schedule = schedule;
    this.scheduleDeadLetterQueue = deadLetterQueue;

    this.alarms = this.createAlarms(props, enabled, interval);
    this.alarmNames = this.alarmList().map(
      (alarm) => (alarm.node.defaultChild as cloudwatch.CfnAlarm).alarmName ?? '',
    );
    const action = new cloudwatchActions.SnsAction(props.alarmTopic);
    for (const alarm of this.alarmList()) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }

  /** Events archived by the source's streams together (Sum). Only emitted when non-zero: no data means nothing was archived. */
  public metricEventsArchived(period = Duration.hours(1)): cloudwatch.Metric {
    return collectorMetric('eventsArchived', { source: this.sourceName }, { statistic: 'Sum', period });
  }

  /**
   * Age of the newest archived event of a run that ended with more to fetch (Maximum, seconds).
   * Maximum, not Minimum: any function may print EMF under this source's dimensions, and a low
   * point it adds would lower a Minimum, never a Maximum.
   */
  public metricBehindSeconds(period = Duration.minutes(5)): cloudwatch.Metric {
    return collectorMetric('behindSeconds', { source: this.sourceName }, { statistic: 'Maximum', period });
  }

  /**
   * Restarts of a stream whose stored cursor the Events API rejected (Sum). Only emitted
   * when non-zero.
   */
  public metricCursorResets(period = Duration.minutes(5)): cloudwatch.Metric {
    // Maximum, not Sum: CloudWatch takes negative values, and a negative point another function
    // adds would cancel a real one in a Sum, never in a Maximum. It is emitted only when non-zero.
    return collectorMetric('cursorResets', { source: this.sourceName }, { statistic: 'Maximum', period });
  }

  /** The longest silence of a stream past its limit, reported by runs only while one is (Maximum). */
  public metricSecondsSinceArchived(period = Duration.minutes(5)): cloudwatch.Metric {
    return collectorMetric(
      'secondsSinceArchived',
      { source: this.sourceName },
      { statistic: 'Maximum', period },
    );
  }

  /** 401/403 answers or an unusable token (Sum). */
  public metricAuthFailures(period = Duration.minutes(5)): cloudwatch.Metric {
    // Maximum, not Sum, for the reason given for cursor resets.
    return collectorMetric('authFailures', { source: this.sourceName }, { statistic: 'Maximum', period });
  }

  /**
   * Invocations the schedule could not make, waiting in its dead-letter queue (Maximum).
   * SQS stops sending this metric for a queue idle for six hours: no data means none.
   */
  public metricScheduleDeadLetters(period = Duration.minutes(5)): cloudwatch.Metric {
    return this.scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
      statistic: 'Maximum',
      period,
    });
  }

  /**
   * `secretsmanager:GetSecretValue` and `DescribeSecret` on the token secret, and
   * `kms:Decrypt` on its key through Secrets Manager. The key grant is written here
   * because `ISecret.grantRead` can only add it to the policy of a key this stack owns.
   */
  private grantTokenRead(key: kms.IKey | undefined): void {
    this.tokenSecret.grantRead(this.function);
    if (!key) return;
    iam.Grant.addToPrincipal({
      grantee: this.function,
      actions: ['kms:Decrypt'],
      resourceArns: [key.keyArn],
      conditions: viaServiceFor('secretsmanager', 'SecretARN', [this.tokenSecret.secretArn]),
    });
  }

  private createTokenSecret(props: SourceCollectorProps): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'TokenSecret', {
      description: `1Password Events Reporting token of source ${props.sourceName}: put the raw token, or {"token": "..."}, in this secret`,
      // CloudFormation writes this value only when the secret is created, and again only if
      // this text changes: changing it would overwrite every operator's token on the next deploy.
      secretStringValue: SecretValue.unsafePlainText(EMPTY_TOKEN_SECRET),
      ...(props.tokenSecretEncryptionKey ? { encryptionKey: props.tokenSecretEncryptionKey } : {}),
      // A removed source's token should not outlive it; Secrets Manager keeps a deleted
      // secret recoverable during its recovery window.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledgeRule(
      secret,
      'AwsSolutions-SMG4',
      'The secret holds a 1Password Events Reporting token, which only 1Password can issue; it is rotated by issuing a new token in 1Password and putting it in the secret (README §Operate).',
    );
    return secret;
  }

  /** `stream=seconds` for every stream with a drop-off alarm; `''` when none has one. */
  private dropOffSeconds(props: SourceCollectorProps, enabled: boolean): string {
    if (!enabled) return '';
    return this.streams
      .flatMap((stream) => {
        const window = props.dropOffWindows?.[stream] ?? Duration.hours(24);
        return window === false ? [] : [`${stream}=${window.toSeconds()}`];
      })
      .join(',');
  }

  /** `stream=seconds` for every stream with a drop-off window that learns its rhythm; `''` when none does. */
  private dropOffCeilingSeconds(props: SourceCollectorProps, enabled: boolean): string {
    if (!enabled) return '';
    return this.streams
      .flatMap((stream) => {
        if ((props.dropOffWindows?.[stream] ?? Duration.hours(24)) === false) return [];
        const ceiling = props.dropOffCeilings?.[stream] ?? Duration.hours(DEFAULT_DROP_OFF_CEILING_HOURS);
        return ceiling === false ? [] : [`${stream}=${ceiling.toSeconds()}`];
      })
      .join(',');
  }

  private createAlarms(props: SourceCollectorProps, enabled: boolean, interval: Duration): CollectorAlarms {
    const source = props.sourceName;
    const runPeriod = runAlarmPeriod(interval);
    const runWindowMinutes = runPeriod.toMinutes() * RUN_ALARM_PERIODS;
    const logGroup = this.function.logGroup.logGroupName;
    const functionName = this.function.functionName;

    const behindThreshold = props.behindThreshold ?? Duration.hours(6);
    const judged = this.streams.flatMap((stream) => {
      const window = props.dropOffWindows?.[stream] ?? Duration.hours(24);
      if (window === false) return [];
      const ceiling = props.dropOffCeilings?.[stream] ?? Duration.hours(DEFAULT_DROP_OFF_CEILING_HOURS);
      return [
        ceiling === false
          ? `${stream}: silent ${window.toHours()} h (fixed window)`
          : `${stream}: silent 3 x its usual silence at that hour of the week, at least 2 h, at most ${ceiling.toHours()} h (${window.toHours()} h while its first 14 days are learned)`,
      ];
    });

    // The collector judges each stream's silence against its rhythm or window, and reports the
    // longest silence past its limit; the alarm fires on the Maximum, which points another
    // function adds cannot lower. Runs that stop reporting are the no-successful-run alarm's,
    // on AWS/Lambda metrics (README, Security). One alarm for the source's streams: the log
    // line names the stream, and an alarm per stream would cost three times as much.
    const dropOff =
      enabled && judged.length > 0
        ? new cloudwatch.Alarm(this, 'DropOff', {
            alarmName: `${this.alarmNamePrefix}-drop-off`,
            alarmDescription:
              `A stream of 1Password source ${source} has archived nothing for longer than its rhythm allows, although runs go on (${judged.join('; ')}). ` +
              'Either the account is unusually quiet or the token no longer reads the stream. First: read which stream, how long, and what was learned ' +
              `with aws logs tail ${logGroup} --since 1h --filter-pattern '"stream silent past its rhythm"', and check the ${this.alarmNamePrefix}-auth-failure alarm. ` +
              'To override: sources[].dropOffRhythm.<stream> false (fixed window), sources[].dropOffCeilingHours.<stream>, sources[].dropOffHours.<stream> (false: no alarm). ' +
              'README: Operate > Drop-off.',
            metric: this.metricSecondsSinceArchived(runPeriod),
            threshold: 1,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluationPeriods: 1,
            // Runs report the gauge only past a limit, so no data means within it (the alarm
            // returns to OK once the stream archives again), or no run at all: no-successful-run's.
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          })
        : undefined;
    const fallingBehind = new cloudwatch.Alarm(this, 'FallingBehind', {
      alarmName: `${this.alarmNamePrefix}-falling-behind`,
      alarmDescription:
        `A stream of 1Password source ${source} is more than ${behindThreshold.toHours({ integral: false })} h behind: ` +
        `in each of the last ${RUN_ALARM_PERIODS} periods (${runWindowMinutes} min) a run ended with events still waiting. Expected while the first backfill runs. ` +
        `Otherwise: find the stream with aws logs tail ${logGroup} --since 30m --filter-pattern '"behindSeconds"', check Throttles and API errors on the dashboard, ` +
        `and the function Duration against its timeout (function ${functionName}). README: Operate > Falling behind.`,
      metric: this.metricBehindSeconds(runPeriod),
      threshold: behindThreshold.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: RUN_ALARM_PERIODS,
      datapointsToAlarm: RUN_ALARM_PERIODS,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const cursorReset = new cloudwatch.Alarm(this, 'CursorReset', {
      alarmName: `${this.alarmNamePrefix}-cursor-reset`,
      alarmDescription:
        `The 1Password Events API rejected the stored cursor of a stream of source ${source}, and the collector ` +
        'restarted the stream from its newest archived event time minus an overlap, dropping the events it had already archived. ' +
        `First: read the log line "stream cursor reset" (aws logs tail ${logGroup} --since 1h ` +
        `--filter-pattern '"stream cursor reset"'): it names the stream and gives the restart time and any ` +
        "loss window older than the API's 120-day retention. Record a loss window: 1Password cannot serve that range again. " +
        'If resets repeat every run, open an issue with those log lines. README: Operate > Cursor reset.',
      metric: this.metricCursorResets(Duration.minutes(5)),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const collectorErrors = new cloudwatch.Alarm(this, 'CollectorErrors', {
      alarmName: `${this.alarmNamePrefix}-collector-errors`,
      alarmDescription:
        `The collector of 1Password source ${source} (function ${functionName}) failed or timed out in each of the last ` +
        `${RUN_ALARM_PERIODS} periods of ${runPeriod.toMinutes()} min. First: read its latest errors with ` +
        `aws logs tail ${logGroup} --since 30m --filter-pattern ERROR; they name the failing stream and the cause. ` +
        'README: Operate > Collector errors.',
      metric: this.function.metricErrors({ statistic: 'Sum', period: runPeriod }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: RUN_ALARM_PERIODS,
      datapointsToAlarm: RUN_ALARM_PERIODS,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const noSuccessfulRun = enabled
      ? new cloudwatch.Alarm(this, 'NoSuccessfulRun', {
          alarmName: `${this.alarmNamePrefix}-no-successful-run`,
          alarmDescription:
            `No run of the collector of 1Password source ${source} completed all its streams in the last ${runWindowMinutes} min: ` +
            'runs fail, time out, are throttled, or do not start. First: check the collector-errors, auth-failure and schedule-failed alarms, ' +
            `then the Invocations and Throttles of function ${functionName}, and that its schedule ${this.schedule.scheduleName} is ENABLED. ` +
            'README: Operate > No successful run.',
          // Invocations that did not fail, from AWS/Lambda: no other function can publish there,
          // so none can keep this alarm quiet (README, Security). The handler throws whenever a
          // stream failed, so a run with a failed stream is an error.
          metric: new cloudwatch.MathExpression({
            expression: 'FILL(invocations, 0) - FILL(errors, 0)',
            usingMetrics: {
              invocations: this.function.metricInvocations({ statistic: 'Sum', period: runPeriod }),
              errors: this.function.metricErrors({ statistic: 'Sum', period: runPeriod }),
            },
            label: 'successful runs',
            period: runPeriod,
          }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: RUN_ALARM_PERIODS,
          datapointsToAlarm: RUN_ALARM_PERIODS,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        })
      : undefined;

    const authFailure = new cloudwatch.Alarm(this, 'AuthFailure', {
      alarmName: `${this.alarmNamePrefix}-auth-failure`,
      alarmDescription:
        `The 1Password Events API rejected the token of source ${source} (401/403), or its secret holds no usable token: ` +
        'revoked, expired, missing an event type, or never filled in. First: in 1Password (Integrations > Events Reporting) ' +
        `issue a token for this account with the event types ${this.streams.join(', ')}, then run ` +
        `aws secretsmanager put-secret-value --secret-id ${this.tokenSecret.secretArn} --secret-string file://token.txt. ` +
        'README: Operate > Auth failure.',
      metric: this.metricAuthFailures(Duration.minutes(5)),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const queueUrl = this.scheduleDeadLetterQueue.queueUrl;
    const scheduleFailed = new cloudwatch.Alarm(this, 'ScheduleFailed', {
      alarmName: `${this.alarmNamePrefix}-schedule-failed`,
      alarmDescription:
        `The schedule ${this.schedule.scheduleName} of 1Password source ${source} could not invoke function ${functionName}: ` +
        'the function was deleted, the schedule lost its permission, or Lambda throttled or refused the call. ' +
        'Each tick that did not run waits in the dead-letter queue; no event is lost, the next run continues from the cursors. ' +
        `First: read ERROR_CODE and ERROR_MESSAGE with aws sqs receive-message --queue-url ${queueUrl} --message-attribute-names All. ` +
        'Fix the cause, then purge the queue: the alarm clears once it is empty. README: Operate > Schedule failed.',
      metric: this.metricScheduleDeadLetters(Duration.minutes(5)),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    return {
      ...(dropOff ? { dropOff } : {}),
      fallingBehind,
      cursorReset,
      collectorErrors,
      ...(noSuccessfulRun ? { noSuccessfulRun } : {}),
      authFailure,
      scheduleFailed,
    };
  }

  private alarmList(): cloudwatch.Alarm[] {
    const {
      dropOff,
      fallingBehind,
      cursorReset,
      collectorErrors,
      noSuccessfulRun,
      authFailure,
      scheduleFailed,
    } = this.alarms;
    return [
      ...(dropOff ? [dropOff] : []),
      fallingBehind,
      cursorReset,
      collectorErrors,
      ...(noSuccessfulRun ? [noSuccessfulRun] : []),
      authFailure,
      scheduleFailed,
    ];
  }
}
