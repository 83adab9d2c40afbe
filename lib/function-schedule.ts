import { Aws, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { viaServiceFor } from './kms-conditions';
import { acknowledgeRule } from './nag';

/** Properties of {@link scheduleFunction}. */
export interface FunctionScheduleProps {
  readonly function: lambda.IFunction;
  /** @default - the account's default group */
  readonly group?: scheduler.IScheduleGroup;
  readonly interval: Duration;
  readonly enabled: boolean;
  /** Name of the schedule; its dead-letter queue is `<name>-schedule-dlq`. @default - generated */
  readonly name?: string;
  /** What the schedule runs ("the 1Password Events collector of source prod"), for its description. */
  readonly runs: string;
  /** The description of the role the schedule invokes with. */
  readonly roleDescription: string;
  /** Encrypts the dead-letter queue. @default - SSE-SQS */
  readonly deadLetterQueueEncryptionKey?: kms.IKey;
  /** Which alarm fires on the queue's first message, for the cdk-nag acknowledgement. */
  readonly deadLetterAlarm: string;
}

/**
 * EventBridge Scheduler rather than an EventBridge rule: it gives the schedule a retry policy
 * and a dead-letter queue of its own, and invokes through a role of its own rather than a
 * resource policy on the function. Children are created in `scope` as `ScheduleRole`,
 * `Schedule` and `ScheduleDeadLetterQueue`.
 */
export function scheduleFunction(
  scope: Construct,
  props: FunctionScheduleProps,
): { schedule: scheduler.Schedule; deadLetterQueue: sqs.Queue } {
  const key = props.deadLetterQueueEncryptionKey;
  const deadLetterQueue = new sqs.Queue(scope, 'ScheduleDeadLetterQueue', {
    ...(props.name ? { queueName: `${props.name}-schedule-dlq` } : {}),
    ...(key
      ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key }
      : { encryption: sqs.QueueEncryption.SQS_MANAGED }),
    enforceSSL: true,
    // The longest SQS keeps a message: an on-call engineer reads it after the alarm.
    retentionPeriod: Duration.days(14),
  });
  acknowledgeRule(
    deadLetterQueue,
    'AwsSolutions-SQS3',
    `This queue is itself a dead-letter queue: the one of the schedule that runs ${props.runs}, which puts there every invocation it could not make; ${props.deadLetterAlarm} fires on the first message.`,
  );

  const group = props.group ?? scheduler.ScheduleGroup.fromDefaultScheduleGroup(scope, 'ScheduleGroup');
  const role = new iam.Role(scope, 'ScheduleRole', {
    description: props.roleDescription,
    // Only schedules of this account and this group may use the role (confused deputy).
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID, 'aws:SourceArn': group.scheduleGroupArn },
      },
    }),
  });
  if (key) {
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resourceArns: [key.keyArn],
      conditions: viaServiceFor('sqs', 'aws:sqs:arn', [deadLetterQueue.queueArn]),
    });
  }

  const schedule = new scheduler.Schedule(scope, 'Schedule', {
    // Named like the function, so the runbook can name both.
    ...(props.name ? { scheduleName: props.name } : {}),
    scheduleGroup: group,
    description: `Runs ${props.runs}`.slice(0, 512),
    schedule: scheduler.ScheduleExpression.rate(props.interval),
    // The run alarms count runs per period: the ticks must come on time, not anywhere in a window.
    timeWindow: scheduler.TimeWindow.off(),
    enabled: props.enabled,
    target: new InvokeFunctionOnly(props.function, {
      role,
      // The next tick is the retry; a retried invocation would only overlap it.
      retryAttempts: 0,
      // The shortest Scheduler accepts; with no retries it has nothing left to bound.
      maxEventAge: Duration.minutes(1),
      deadLetterQueue,
    }),
  });
  // The role's permissions are a policy of their own: the first tick must not come before it.
  schedule.node.addDependency(role);
  return { schedule, deadLetterQueue };
}

/**
 * The L2 target grants `lambda:InvokeFunction` on the function and on every version and alias
 * of it (`<arn>:*`); the schedule invokes the function itself, so the role gets that alone.
 */
class InvokeFunctionOnly extends schedulerTargets.LambdaInvoke {
  private readonly target: lambda.IFunction;

  constructor(target: lambda.IFunction, props: schedulerTargets.ScheduleTargetBaseProps) {
    super(target, props);
    this.target = target;
  }

  protected override addTargetActionToRole(role: iam.IRole): void {
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['lambda:InvokeFunction'],
      resourceArns: [this.target.functionArn],
    });
  }
}
