import { type Duration, Duration as Durations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { IArchiveBucket } from './archive-bucket';
import { acknowledgeRule } from './nag';

/** Receives of a notification before it moves to a consumer's dead-letter queue. */
export const CONSUMER_MAX_RECEIVES = 5;

/** What the alarms of one consumer of the archive say. */
export interface ConsumerWording {
  /** `detector`, `ocsf`: alarm names are `<deployment>-<label>-…`. */
  readonly label: string;
  /** "the detector", "the OCSF transformer". */
  readonly who: string;
  /** What is missing while an object waits: "Its events have not been checked by the rules." */
  readonly missing: string;
  /** What is late while objects wait: "findings are late". */
  readonly late: string;
  /** The most common cause of whole failed invocations, with its fix. */
  readonly commonFailure: string;
  /** The README section: "Operate > Detector". */
  readonly readme: string;
}

/** The queue of one consumer, its dead-letter queue and the rule that fills it. */
export interface ConsumerQueues {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly rule: events.Rule;
}

/**
 * A consumer's own queue of new archive objects: S3 sends every event of the bucket to the
 * default bus (the bucket's EventBridge notifications), and a rule puts the new objects of the
 * folders it reads (by default the collectors' and backfills' batches) on it. Each consumer has its own queue, since S3 accepts one queue
 * per prefix and consumers sharing one would take each other's messages.
 */
export function archiveConsumerQueues(
  scope: Construct,
  props: {
    readonly archive: IArchiveBucket;
    readonly wording: ConsumerWording;
    readonly description: string;
    /** The consumer function's timeout: the queue's visibility is six times it. */
    readonly timeout: Duration;
    /**
     * The folders, below the archive prefix, whose new objects the consumer reads.
     * @default the collectors' and backfills' batches: `source=` and `backfill/`
     */
    readonly folders?: readonly string[];
  },
): ConsumerQueues {
  const { archive, wording } = props;
  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Durations.days(14),
  });
  acknowledgeRule(
    deadLetterQueue,
    'AwsSolutions-SQS3',
    `This queue is itself a dead-letter queue: ${wording.who}'s, where a notification goes after ${CONSUMER_MAX_RECEIVES} failed receives; an alarm fires on the first message.`,
  );
  const queue = new sqs.Queue(scope, 'Queue', {
    // SSE-SQS: EventBridge sends to it without a key policy grant on any key of the archive.
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Durations.days(14),
    // Six times the function's timeout, as Lambda advises for SQS event sources.
    visibilityTimeout: Durations.seconds(props.timeout.toSeconds() * 6),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: CONSUMER_MAX_RECEIVES },
  });
  const rule = new events.Rule(scope, 'NewArchiveObjects', {
    description: props.description,
    eventPattern: {
      source: ['aws.s3'],
      detailType: ['Object Created'],
      detail: {
        bucket: { name: [archive.bucket.bucketName] },
        object: {
          key: (props.folders ?? ['source=', 'backfill/']).map((folder) => ({
            prefix: `${archive.prefix}${folder}`,
          })),
        },
      },
    },
    targets: [new targets.SqsQueue(queue)],
  });
  return { queue, deadLetterQueue, rule };
}

/** Drains the queue in batches, each record failing alone. */
export function consumeQueue(
  fn: lambda.Function,
  queue: sqs.IQueue,
  options: { readonly maxConcurrency: number },
): void {
  fn.addEventSource(
    new lambdaEvents.SqsEventSource(queue, {
      batchSize: 10,
      maxBatchingWindow: Durations.seconds(10),
      reportBatchItemFailures: true,
      maxConcurrency: options.maxConcurrency,
    }),
  );
}

/**
 * On AWS metrics of the consumer's own queue and function, which no other function can
 * publish: a dead letter, failed invocations, an object waiting over an hour. There is no
 * "no run" alarm: a consumer runs only when objects arrive, and a quiet account writes none
 * for hours; a stuck consumer shows as an old message instead.
 */
export function consumerAlarms(
  scope: Construct,
  props: {
    readonly deploymentName: string;
    readonly wording: ConsumerWording;
    readonly fn: lambda.Function;
    /** The function's name as configured (a token in the description would be unreadable in a template). */
    readonly functionName: string;
    readonly queues: ConsumerQueues;
  },
): { deadLetters: cloudwatch.Alarm; errors: cloudwatch.Alarm; behind: cloudwatch.Alarm } {
  const { deploymentName, wording, queues } = props;
  const logGroup = props.fn.logGroup.logGroupName;
  const name = `${deploymentName}-${wording.label}`;
  const alarm = (
    id: string,
    suffix: string,
    description: string,
    metric: cloudwatch.IMetric,
    threshold: number,
    evaluationPeriods: number,
  ) =>
    new cloudwatch.Alarm(scope, id, {
      alarmName: `${name}-${suffix}`,
      alarmDescription: description,
      metric,
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  const deadLetters = alarm(
    'DeadLetters',
    'dead-letters',
    `${capitalize(wording.who)} of "${deploymentName}" failed ${CONSUMER_MAX_RECEIVES} times on a new archive object, whose notification now waits in ` +
      `the dead-letter queue ${queues.deadLetterQueue.queueName}. ${wording.missing} The archive is not affected. ` +
      `First: aws logs tail ${logGroup} --since 3h --filter-pattern ERROR names the object and the error (a body that does not match its ` +
      'body-sha256: run verify on that source). Once fixed, move the messages back: aws sqs start-message-move-task --source-arn ' +
      `${queues.deadLetterQueue.queueArn}. README: ${wording.readme}.`,
    queues.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      statistic: 'Maximum',
      period: Durations.minutes(5),
    }),
    1,
    1,
  );
  const errors = alarm(
    'Errors',
    'errors',
    `Invocations of ${wording.who} ${props.functionName} failed as a whole (not one object): most often ${wording.commonFailure}, ` +
      'a timeout or a missing permission. Notifications wait on the queue and come back. ' +
      `First: aws logs tail ${logGroup} --since 1h --filter-pattern ERROR. README: ${wording.readme}.`,
    props.fn.metricErrors({ statistic: 'Sum', period: Durations.minutes(5) }),
    1,
    1,
  );
  const behind = alarm(
    'Behind',
    'behind',
    `A new archive object has waited over an hour for ${wording.who} of "${deploymentName}": ${wording.late}. The archive is not ` +
      `affected. First: check the ${name}-errors alarm and the function's throttles, then aws logs tail ${logGroup} ` +
      `--since 2h --filter-pattern ERROR (an object failing again and again). README: ${wording.readme}.`,
    queues.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: Durations.minutes(5) }),
    3600,
    2,
  );
  return { deadLetters, errors, behind };
}

function capitalize(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}
