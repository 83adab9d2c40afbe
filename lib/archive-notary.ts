import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DIGEST_SIGNATURE_ALGORITHM } from '../lambdas/shared/archive/digest';
import { type ArchiveBucket, DIGESTS_PREFIX } from './archive-bucket';
import { scheduleFunction } from './function-schedule';
import { HouseNodejsFunction } from './house-nodejs-function';
import { viaS3For } from './kms-conditions';
import { acknowledgeWildcardResource } from './nag';
import type { StateTable } from './state-table';

/** The notary's handler, relative to the repository root. */
export const NOTARY_ENTRY = 'lambdas/notary/handler.ts';

/** Properties of an {@link ArchiveNotary}. */
export interface ArchiveNotaryProps {
  readonly archive: ArchiveBucket;
  readonly state: StateTable;
  /** Every source of the deployment: the notary signs each one's streams. */
  readonly sourceNames: readonly string[];
  /** Deployment name: prefixes the function, key alias and alarm names. */
  readonly deploymentName: string;
  readonly scheduleGroup: scheduler.IScheduleGroup;
  /** How often a digest is written per source. */
  readonly interval: Duration;
  readonly logRetention: logs.RetentionDays;
  /** Reserve one concurrent execution, so two runs never overlap (they would be harmless, only wasteful). */
  readonly reserveConcurrency: boolean;
}

/**
 * The archive's notary (README, "Digests"): a function with a role of its own that, on a
 * schedule, signs a digest of every source's newly committed objects with an asymmetric KMS
 * key. Only its role may sign with the key (key policy) and write under `digests/` (bucket
 * policy); anyone who verifies may read the public key.
 */
export class ArchiveNotary extends Construct {
  /** ECC_NIST_P256, SIGN_VERIFY: its public key verifies every digest. */
  public readonly signingKey: kms.Key;
  public readonly function: HouseNodejsFunction;
  public readonly schedule: scheduler.Schedule;
  public readonly scheduleDeadLetterQueue: sqs.Queue;
  public readonly errorsAlarm: cloudwatch.Alarm;
  public readonly notRunningAlarm: cloudwatch.Alarm;
  public readonly scheduleFailedAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ArchiveNotaryProps) {
    super(scope, id);
    const { archive, state, deploymentName } = props;
    const functionName = `${deploymentName}-notary`;

    this.signingKey = new kms.Key(this, 'SigningKey', {
      description: `Signs the digests of the 1Password Events archive "${deploymentName}"; its public key verifies them`,
      alias: `alias/${deploymentName}-notary`,
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      // Kept so that its id still resolves for auditors; a digest verifies with the public key alone.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.function = new HouseNodejsFunction(this, 'Function', {
      entry: NOTARY_ENTRY,
      functionName,
      description: `Signs hourly digests of the 1Password Events archive "${deploymentName}"`,
      environment: {
        SOURCE_NAMES: props.sourceNames.join(','),
        NOTARY_KEY_ID: this.signingKey.keyArn,
        STATE_TABLE: state.table.tableName,
        ARCHIVE_BUCKET: archive.bucket.bucketName,
        ARCHIVE_PREFIX: archive.prefix,
        POWERTOOLS_SERVICE_NAME: 'op-events-notary',
      },
      memorySize: 256,
      timeout: Duration.minutes(5),
      logRetention: props.logRetention,
      ...(props.reserveConcurrency ? { reservedConcurrentExecutions: 1 } : {}),
    });
    const role = this.function.role as iam.IRole;
    this.grantSigning(role);
    this.grantArchiveAccess(archive);
    state.grantNotaryItems(this.function);
    archive.restrictDigestWrites(role);

    const { schedule, deadLetterQueue } = scheduleFunction(this, {
      function: this.function,
      group: props.scheduleGroup,
      interval: props.interval,
      enabled: true,
      name: functionName,
      runs: `the notary of the 1Password Events archive "${deploymentName}"`,
      roleDescription: `Lets the schedule of the notary of "${deploymentName}" invoke it`,
      deadLetterAlarm: `the ${deploymentName}-notary-schedule-failed alarm`,
    });
    this.schedule = schedule;
    this.scheduleDeadLetterQueue = deadLetterQueue;

    const alarms = this.createAlarms(deploymentName, props.interval);
    this.errorsAlarm = alarms.errors;
    this.notRunningAlarm = alarms.notRunning;
    this.scheduleFailedAlarm = alarms.scheduleFailed;
  }

  public get alarms(): cloudwatch.Alarm[] {
    return [this.errorsAlarm, this.notRunningAlarm, this.scheduleFailedAlarm];
  }

  /**
   * `kms:Sign` (ECDSA_SHA_256 only) and `kms:GetPublicKey` for the notary's role; and a Deny of
   * `kms:Sign` in the key policy for every other principal, so no administrator's `kms:*`
   * lets anyone else sign a digest.
   */
  private grantSigning(role: iam.IRole): void {
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['kms:Sign'],
      resourceArns: [this.signingKey.keyArn],
      conditions: { StringEquals: { 'kms:SigningAlgorithm': DIGEST_SIGNATURE_ALGORITHM } },
    });
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['kms:GetPublicKey'],
      resourceArns: [this.signingKey.keyArn],
    });
    this.signingKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenySigningByAnyoneButTheNotary',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Sign'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': role.roleArn } },
      }),
    );
  }

  /**
   * Reads every source's objects (their metadata) and the digests, writes digests: `s3:ListBucket`
   * for `source=` and `digests/` prefixes, `s3:GetObject` on both, `s3:PutObject` on `digests/`
   * only, and the archive key through S3.
   */
  private grantArchiveAccess(archive: ArchiveBucket): void {
    const sources = `${archive.prefix}source=`;
    const digests = `${archive.prefix}${DIGESTS_PREFIX}`;
    const grantee = this.function;
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:ListBucket'],
      resourceArns: [archive.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${sources}*`, `${digests}*`] } },
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject'],
      resourceArns: [
        archive.bucket.arnForObjects(`${sources}*`),
        archive.bucket.arnForObjects(`${digests}*`),
      ],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject'],
      resourceArns: [archive.bucket.arnForObjects(`${digests}*`)],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resourceArns: [archive.encryptionKey.keyArn],
      conditions: viaS3For(archive.bucket.bucketArn, archive.prefix),
    });
    acknowledgeWildcardResource(
      grantee,
      archive.bucket.arnForObjects(`${sources}*`),
      "The notary reads the metadata of every source's objects, whose keys the collectors name per batch; it may not write there.",
    );
    acknowledgeWildcardResource(
      grantee,
      archive.bucket.arnForObjects(`${digests}*`),
      'The notary writes one digest per source and run, each under a new numbered key.',
    );
  }

  /**
   * On AWS/Lambda metrics of the notary's own function, which no other function can publish,
   * so no compromised collector can silence them.
   */
  private createAlarms(deploymentName: string, interval: Duration) {
    const period = Duration.minutes(Math.max(5, interval.toMinutes()));
    const logGroup = this.function.logGroup.logGroupName;
    const functionName = this.function.functionName;
    const errors = new cloudwatch.Alarm(this, 'Errors', {
      alarmName: `${deploymentName}-notary-errors`,
      alarmDescription:
        `The notary of the 1Password Events archive "${deploymentName}" failed: a digest stops short of a stream's committed ` +
        'objects (an object the state table committed is missing or does not chain), or could not be written. Objects newer than ' +
        `the last digest are not signed until it succeeds. First: aws logs tail ${logGroup} --since 2h --filter-pattern ERROR names ` +
        'the source, stream and object. README: Operate > Notary.',
      metric: this.function.metricErrors({ statistic: 'Sum', period }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const succeeded = new cloudwatch.MathExpression({
      expression: 'FILL(invocations, 0) - FILL(errors, 0)',
      usingMetrics: {
        invocations: this.function.metricInvocations({ statistic: 'Sum', period }),
        errors: this.function.metricErrors({ statistic: 'Sum', period }),
      },
      label: 'successful notary runs',
      period,
    });
    const notRunning = new cloudwatch.Alarm(this, 'NotRunning', {
      alarmName: `${deploymentName}-notary-not-running`,
      alarmDescription:
        `No run of the notary of "${deploymentName}" (function ${functionName}) succeeded in the last ${2 * period.toMinutes()} min: ` +
        `new objects are not being signed, and verify will report the newest digest as late. First: check the ${deploymentName}-notary-errors ` +
        `and -notary-schedule-failed alarms, then that the schedule ${functionName} is ENABLED. README: Operate > Notary.`,
      metric: succeeded,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const scheduleFailed = new cloudwatch.Alarm(this, 'ScheduleFailed', {
      alarmName: `${deploymentName}-notary-schedule-failed`,
      alarmDescription:
        `The schedule of the notary of "${deploymentName}" could not invoke ${functionName}. First: read ERROR_CODE and ERROR_MESSAGE ` +
        `with aws sqs receive-message --queue-url ${this.scheduleDeadLetterQueue.queueUrl} --message-attribute-names All; fix the cause, ` +
        'then purge the queue. README: Operate > Notary.',
      metric: this.scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    return { errors, notRunning, scheduleFailed };
  }
}
