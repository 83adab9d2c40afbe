import { Aws, Duration, NestedStack, RemovalPolicy } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FINDING_EVENT_SOURCE } from '../lambdas/shared/detections/finding';
import { defaultProductArn } from '../lambdas/shared/detections/security-hub';
import { FINDINGS_PREFIX, type IArchiveBucket } from './archive-bucket';
import {
  archiveConsumerQueues,
  CONSUMER_MAX_RECEIVES,
  type ConsumerWording,
  consumeQueue,
  consumerAlarms,
} from './archive-consumer';
import { HouseNodejsFunction } from './house-nodejs-function';
import { viaS3For, viaServiceFor } from './kms-conditions';
import { acknowledgeWildcardResource } from './nag';
import { ParentValues } from './nested-imports';

/** The account's own Security Hub product, which findings are imported as. */
function securityHubProductArn(): string {
  return defaultProductArn(Aws.PARTITION, Aws.REGION, Aws.ACCOUNT_ID);
}

/** The detector's handler, relative to the repository root. */
export const DETECTOR_ENTRY = 'lambdas/detector/handler.ts';

/**
 * The detector's role, named so the archive's bucket policy can name it without a reference
 * into the detector's nested stack.
 */
export function detectorRoleName(deploymentName: string): string {
  return `${deploymentName}-detector`;
}

/** Receives of a notification before it moves to the detector's dead-letter queue. */
export const DETECTOR_MAX_RECEIVES = CONSUMER_MAX_RECEIVES;

const DETECTOR_WORDING: ConsumerWording = {
  label: 'detector',
  who: 'the detector',
  missing: 'Its events have not been checked by the rules.',
  late: 'findings are late',
  commonFailure:
    'invalid DETECTION_SETTINGS (the error names the field; fix the detections section of the config and deploy)',
  readme: 'Operate > Detector',
};

/** Properties of an {@link ArchiveDetector}. */
export interface ArchiveDetectorProps {
  /** The archive whose new objects the detector reads, and where it writes findings. */
  readonly archive: IArchiveBucket;
  /** The operations alarm topic: the detector's own alarms go there, never findings. */
  readonly alarmTopic: sns.ITopic;
  /** The key that encrypts the detector's table: the deployment key, as for the state table. */
  readonly tableKey: kms.IKey;
  /** Deployment name: prefixes the function, topic and alarm names. */
  readonly deploymentName: string;
  /** The detection settings as JSON (`DETECTION_SETTINGS`; README, Detections). */
  readonly settingsJson: string;
  /**
   * Addresses subscribed to the security topic, where findings are sent.
   * @default - no subscription; subscribe a pager or a chat integration to `securityTopic`
   */
  readonly securityEmails?: readonly string[];
  /**
   * Also import findings into AWS Security Hub (ASFF, the account's default product).
   * @default false
   */
  readonly securityHub?: boolean;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The detector (README, "Detections"): S3 sends every new archive object to EventBridge; a rule
 * puts those of the collectors and backfills on a queue of the detector's own, which a function
 * drains. It reads the objects, runs the rules with their history in a table of its own and
 * delivers each finding once: under `findings/` in the archive, to the default event bus and to
 * a security topic apart from the operations alarms.
 *
 * Nothing here is on the archive's path: the collectors never wait for the detector, and a
 * failing one only fills its own queue and alarms.
 */
export class ArchiveDetector extends Construct {
  public readonly function: HouseNodejsFunction;
  /** History of the rules that look back, and a claim per finding id. */
  public readonly table: dynamodb.Table;
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly rule: events.Rule;
  /** Where findings are published for people: separate from the operations alarm topic. */
  public readonly securityTopic: sns.Topic;
  public readonly securityTopicKey: kms.Key;
  public readonly deadLettersAlarm: cloudwatch.Alarm;
  public readonly errorsAlarm: cloudwatch.Alarm;
  public readonly behindAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ArchiveDetectorProps) {
    super(scope, id);
    const { archive, deploymentName } = props;
    const functionName = `${deploymentName}-detector`;
    // An object holds up to 50,000 events (a collector catching up), and rules that look back
    // make a DynamoDB call or two per event: minutes, not seconds.
    const timeout = Duration.minutes(10);

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      // Entries expire when the rules say (checked on read as well: TTL deletes days late).
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.tableKey,
      // Kept when detections are switched off, so switching them on again neither forgets what
      // the rules learnt nor sends a finding that was already sent.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.securityTopicKey = new kms.Key(this, 'SecurityTopicKey', {
      description: `Encrypts the findings the detector of the 1Password Events archive "${deploymentName}" publishes`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.securityTopic = new sns.Topic(this, 'SecurityTopic', {
      topicName: `${deploymentName}-findings`,
      displayName: `1Password findings ${deploymentName}`,
      masterKey: this.securityTopicKey,
      enforceSSL: true,
    });
    for (const email of props.securityEmails ?? []) {
      this.securityTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    const queues = archiveConsumerQueues(this, {
      archive,
      wording: DETECTOR_WORDING,
      description: `New objects of the 1Password Events archive "${deploymentName}" for its detector`,
      timeout,
    });
    this.queue = queues.queue;
    this.deadLetterQueue = queues.deadLetterQueue;
    this.rule = queues.rule;

    const role = new iam.Role(this, 'FunctionRole', {
      roleName: detectorRoleName(deploymentName),
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    this.function = new HouseNodejsFunction(this, 'Function', {
      entry: DETECTOR_ENTRY,
      role,
      functionName,
      description: `Runs the detection rules on new objects of the 1Password Events archive "${deploymentName}"`,
      environment: {
        DETECTOR_TABLE: this.table.tableName,
        ARCHIVE_BUCKET: archive.bucket.bucketName,
        ARCHIVE_PREFIX: archive.prefix,
        SECURITY_TOPIC_ARN: this.securityTopic.topicArn,
        EVENT_BUS_NAME: 'default',
        DETECTION_SETTINGS: props.settingsJson,
        ...(props.securityHub ? { SECURITY_HUB_PRODUCT_ARN: securityHubProductArn() } : {}),
        POWERTOOLS_SERVICE_NAME: 'op-events-detector',
      },
      memorySize: 1024,
      timeout,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
    });
    // Two at a time: enough for a backlog, and little contention on the history items.
    consumeQueue(this.function, this.queue, { maxConcurrency: 2 });
    this.grantArchiveAccess(archive);
    this.grantTable(props.tableKey);
    this.grantDelivery(props.securityHub ?? false);
    this.securityTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyPublishingByAnyoneButTheDetector',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['sns:Publish'],
        resources: [this.securityTopic.topicArn],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': role.roleArn } },
      }),
    );

    const alarms = consumerAlarms(this, {
      deploymentName,
      wording: DETECTOR_WORDING,
      fn: this.function,
      functionName,
      queues,
    });
    this.deadLettersAlarm = alarms.deadLetters;
    this.errorsAlarm = alarms.errors;
    this.behindAlarm = alarms.behind;
    const action = new cloudwatchActions.SnsAction(props.alarmTopic);
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }

  public get alarms(): cloudwatch.Alarm[] {
    return [this.deadLettersAlarm, this.errorsAlarm, this.behindAlarm];
  }

  /**
   * Reads the batch objects of every source and backfill and the lookups, writes findings:
   * `s3:GetObject` on `source=*`, `backfill/*` and `lookups/*`; `s3:ListBucket` for `lookups/`;
   * `s3:PutObject` on `findings/*` only with `If-None-Match`; the archive key through S3.
   */
  private grantArchiveAccess(archive: IArchiveBucket): void {
    const grantee = this.function;
    const read = ['source=*', 'backfill/*', 'lookups/*'].map((pattern) =>
      archive.bucket.arnForObjects(`${archive.prefix}${pattern}`),
    );
    const findings = archive.bucket.arnForObjects(`${archive.prefix}${FINDINGS_PREFIX}*`);
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: read });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:ListBucket'],
      resourceArns: [archive.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${archive.prefix}lookups/*`] } },
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject'],
      resourceArns: [findings],
      conditions: { Null: { 's3:if-none-match': 'false' } },
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resourceArns: [archive.encryptionKey.keyArn],
      conditions: viaS3For(archive.bucket.bucketArn, archive.prefix),
    });
    const reasons: Record<string, string> = {
      'source=*':
        "The detector reads every source's new batch objects, whose keys the collectors name per batch; it may not write there.",
      'backfill/*':
        "The detector reads the backfills' batch objects, whose keys name their range and batch; it may not write there.",
      'lookups/*': 'The detector reads the vault and item names operators upload as CSV files of any name.',
    };
    for (const [pattern, reason] of Object.entries(reasons)) {
      acknowledgeWildcardResource(
        grantee,
        archive.bucket.arnForObjects(`${archive.prefix}${pattern}`),
        reason,
      );
    }
    acknowledgeWildcardResource(
      grantee,
      findings,
      'The detector writes each finding once under a new key named by its id, with If-None-Match.',
    );
  }

  /** `dynamodb:GetItem`, `dynamodb:UpdateItem` on its `history#` and `finding#` items; the key through DynamoDB. */
  private grantTable(key: kms.IKey): void {
    const grantee = this.function;
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['history#*', 'finding#*'] } },
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      resourceArns: [key.keyArn],
      conditions: viaServiceFor('dynamodb', 'aws:dynamodb:tableName', [this.table.tableName]),
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:DescribeKey'],
      resourceArns: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Aws.REGION}.amazonaws.com` } },
    });
  }

  /** `events:PutEvents` on the default bus with the detector's source only; `sns:Publish` on the security topic; `securityhub:BatchImportFindings` as the account's own product, when asked. */
  private grantDelivery(securityHub: boolean): void {
    const grantee = this.function;
    if (securityHub) {
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['securityhub:BatchImportFindings'],
        resourceArns: [securityHubProductArn()],
      });
    }
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['events:PutEvents'],
      resourceArns: [`arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/default`],
      conditions: { StringEquals: { 'events:source': FINDING_EVENT_SOURCE } },
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['sns:Publish'],
      resourceArns: [this.securityTopic.topicArn],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resourceArns: [this.securityTopicKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `sns.${Aws.REGION}.amazonaws.com` } },
    });
  }
}

/** Properties of a {@link DetectorStack}. */
export interface DetectorStackProps
  extends Omit<ArchiveDetectorProps, 'archive' | 'alarmTopic' | 'tableKey'> {
  /** The archive, from the parent stack. */
  readonly archive: IArchiveBucket;
  /** The operations alarm topic, from the parent stack. */
  readonly alarmTopic: sns.ITopic;
  /** The deployment key, from the parent stack. */
  readonly tableKey: kms.IKey;
}

/**
 * The detector in a nested stack of its own: the parent template is close to CloudFormation's
 * 1 MB at 150 sources, and what a deployment adds now lives apart. Shared resources arrive as
 * named parameters, as in the source stacks.
 */
export class DetectorStack extends NestedStack {
  public readonly detector: ArchiveDetector;

  constructor(scope: Construct, id: string, props: DetectorStackProps) {
    super(scope, id, { description: `1Password Events detector of "${props.deploymentName}"` });
    const parent = new ParentValues(this);
    const archiveKey = parent.archiveKey(props.archive);
    const archive = parent.archive(props.archive, archiveKey);
    // The archive and the state table share the deployment key.
    const tableKey =
      props.tableKey === props.archive.encryptionKey
        ? archiveKey
        : kms.Key.fromKeyArn(this, 'TableKey', parent.param('TableKeyArn', props.tableKey.keyArn));
    const alarmTopic = parent.alarmTopic(props.alarmTopic);
    this.detector = new ArchiveDetector(this, 'Detector', { ...props, archive, alarmTopic, tableKey });
  }
}
