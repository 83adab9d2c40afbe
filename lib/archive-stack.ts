import { Aws, CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { OCSF_CLASSES } from '../lambdas/shared/ocsf/record';
import { ArchiveBucket, OCSF_PREFIX, WRITE_ONCE_KEY_PATTERNS } from './archive-bucket';
import { ArchiveDashboard } from './archive-dashboard';
import { DetectorStack, detectorRoleName } from './archive-detector';
import { ArchiveNotary } from './archive-notary';
import { OcsfStack, ocsfRoleName, ocsfTableName } from './archive-ocsf';
import { ArchiveSearch, DEFAULT_PARTITION_START } from './archive-search';
import { type DeploymentConfig, detectionSettingsJson, sourceId } from './config';
import {
  addBucketGuardrails,
  addKeyGuardrails,
  cloudFormationExecutionRoleArn,
  GuardrailAlarms,
} from './guardrails';
import { collectorFunctionName, SourceStack } from './source-stack';
import { StateTable } from './state-table';

/** Properties of an {@link ArchiveStack}. */
export interface ArchiveStackProps extends StackProps {
  /** The validated deployment config. */
  readonly config: DeploymentConfig;
}

/**
 * One deployment: the stateful core (KMS key, archive bucket, state table, alarm topic,
 * notification queue), the schedule group, one nested stack per source, and the dashboard.
 *
 * Everything that holds data (key, buckets, table) is kept when the stack or a source is
 * removed; removing a source deletes only its function, schedule and its dead-letter
 * queue, alarms and created secret.
 */
export class ArchiveStack extends Stack {
  public readonly encryptionKey: kms.IKey;
  public readonly archive: ArchiveBucket;
  public readonly state: StateTable;
  public readonly alarmTopic: sns.ITopic;
  public readonly scheduleGroup: scheduler.ScheduleGroup;
  public readonly sources: readonly SourceStack[];
  public readonly dashboard: ArchiveDashboard;
  public readonly search: ArchiveSearch;
  public readonly notary: ArchiveNotary;
  /** The detector, in its nested stack; absent unless `detections.enabled`. */
  public readonly detector?: DetectorStack;
  /** The OCSF transformer, in its nested stack; absent unless `ocsf.enabled`. */
  public readonly ocsf?: OcsfStack;
  /** Alarms on changes to the archive's protections; absent with `guardrails.changeAlarms: false`. */
  public readonly guardrailAlarms?: GuardrailAlarms;

  constructor(scope: Construct, id: string, props: ArchiveStackProps) {
    super(scope, id, {
      description: `1Password Events API archive "${props.config.name}": scheduled collectors, Object-Locked S3 archive, alarms`,
      ...props,
    });
    const { config } = props;
    Tags.of(this).add('project', 'onepassword-events-archive');
    Tags.of(this).add('deployment', config.name);

    this.encryptionKey = config.kms.keyArn
      ? kms.Key.fromKeyArn(this, 'EncryptionKey', config.kms.keyArn)
      : new kms.Key(this, 'EncryptionKey', {
          description: `Encrypts the 1Password Events archive "${config.name}": objects, state, tokens`,
          alias: `alias/${config.name}`,
          enableKeyRotation: true,
          // Deleting the key would make every archived object unreadable.
          removalPolicy: RemovalPolicy.RETAIN,
        });

    const { archive: archiveConfig } = config;
    this.archive = new ArchiveBucket(this, 'Archive', {
      encryptionKey: this.encryptionKey,
      objectLockMode: archiveConfig.objectLock.mode,
      retention: Duration.days(archiveConfig.objectLock.retentionDays),
      prefix: archiveConfig.prefix,
      ...(archiveConfig.coldStorage !== false
        ? {
            coldStorage: {
              storageClass: new s3.StorageClass(archiveConfig.coldStorage.storageClass),
              after: Duration.days(archiveConfig.coldStorage.afterDays),
            },
          }
        : {}),
      ...(archiveConfig.expireAfterDays ? { expireAfter: Duration.days(archiveConfig.expireAfterDays) } : {}),
      ...(archiveConfig.noncurrentExpireAfterDays
        ? { noncurrentVersionExpiration: Duration.days(archiveConfig.noncurrentExpireAfterDays) }
        : {}),
      accessLogRetention: Duration.days(archiveConfig.accessLogRetentionDays),
      // The detector's and the OCSF transformer's rules read the bucket's events on the default bus, which leaves the SIEM
      // queue's notification configuration as it is (S3 allows no second queue on the same prefix).
      eventBridgeNotifications:
        config.notifications.eventBridge || config.detections.enabled || config.ocsf.enabled,
      sqsNotifications: config.notifications.sqs,
      alarmNamePrefix: config.name,
    });

    this.state = new StateTable(this, 'State', { encryptionKey: this.encryptionKey });

    this.alarmTopic = this.createAlarmTopic(config);
    const deploymentAlarms = this.archive.notificationDeadLetterAlarm
      ? [this.archive.notificationDeadLetterAlarm]
      : [];
    const alarmAction = new cloudwatchActions.SnsAction(this.alarmTopic);
    for (const alarm of deploymentAlarms) {
      alarm.addAlarmAction(alarmAction);
      alarm.addOkAction(alarmAction);
    }

    // One group per deployment: schedules cannot carry tags, a group can, and it lists the
    // deployment's schedules apart from the rest of the account's.
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'ScheduleGroup', {
      scheduleGroupName: config.name,
      // It holds nothing but the schedules, which go with their sources.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.sources = config.sources.map(
      (source) =>
        new SourceStack(this, `Source-${source.name}`, {
          source,
          deploymentName: config.name,
          archive: this.archive,
          state: this.state,
          alarmTopic: this.alarmTopic,
          scheduleGroup: this.scheduleGroup,
          reserveConcurrency: config.collector.reservedConcurrency,
          memorySize: config.collector.memoryMb,
          timeout: Duration.seconds(config.collector.timeoutSeconds),
          logRetention: config.collector.logRetentionDays as logs.RetentionDays,
        }),
    );
    // The group's name is known at synth, so no reference would make a source wait for it.
    for (const source of this.sources) source.node.addDependency(this.scheduleGroup);

    this.notary = new ArchiveNotary(this, 'Notary', {
      archive: this.archive,
      state: this.state,
      sourceNames: config.sources.map((source) => source.name),
      deploymentName: config.name,
      scheduleGroup: this.scheduleGroup,
      interval: Duration.minutes(config.notary.scheduleMinutes),
      logRetention: config.collector.logRetentionDays as logs.RetentionDays,
      reserveConcurrency: config.collector.reservedConcurrency,
    });
    deploymentAlarms.push(...this.notary.alarms);
    for (const alarm of this.notary.alarms) {
      alarm.addAlarmAction(alarmAction);
      alarm.addOkAction(alarmAction);
    }

    if (config.detections.enabled) {
      this.detector = new DetectorStack(this, 'Detector', {
        archive: this.archive,
        alarmTopic: this.alarmTopic,
        tableKey: this.encryptionKey,
        deploymentName: config.name,
        settingsJson: detectionSettingsJson(config.detections),
        securityEmails: config.detections.securityEmails,
        securityHub: config.detections.securityHub,
        logRetention: config.collector.logRetentionDays as logs.RetentionDays,
      });
      // By name: a reference would make the parent wait on an output of the nested stack.
      this.archive.restrictFindingWrites(
        iam.Role.fromRoleName(this, 'DetectorRole', detectorRoleName(config.name)),
      );
      deploymentAlarms.push(...this.detector.detector.alarms);
    }

    const databaseName = config.name.replace(/-/g, '_');
    const partitionStart = config.archive.expireAfterDays
      ? `NOW-${config.archive.expireAfterDays}DAYS`
      : undefined;
    if (config.ocsf.enabled) {
      const { securityLake } = config.ocsf;
      this.ocsf = new OcsfStack(this, 'Ocsf', {
        archive: this.archive,
        alarmTopic: this.alarmTopic,
        deploymentName: config.name,
        databaseName,
        // The same first day as the archive's tables, in Security Lake's eventDay format.
        partitionStart: partitionStart ?? DEFAULT_PARTITION_START.replaceAll('-', ''),
        logRetention: config.collector.logRetentionDays as logs.RetentionDays,
        ...(securityLake ? { securityLake } : {}),
      });
      if (!securityLake) {
        this.archive.restrictOcsfWrites(iam.Role.fromRoleName(this, 'OcsfRole', ocsfRoleName(config.name)));
      }
      deploymentAlarms.push(...this.ocsf.ocsf.alarms);
    }

    this.dashboard = new ArchiveDashboard(this, 'Dashboard', {
      dashboardName: config.name,
      collectorTimeout: Duration.seconds(config.collector.timeoutSeconds),
      alarmNames: deploymentAlarms.map(
        (alarm) => (alarm.node.defaultChild as cloudwatch.CfnAlarm).alarmName ?? '',
      ),
      sources: this.sources.map(({ collector }) => ({
        name: collector.sourceName,
        functionName: collectorFunctionName(config.name, collector.sourceName),
        logGroupName: collector.function.logGroup.logGroupName,
        alarmNames: collector.alarmNames,
      })),
    });

    // Sources are known at synth, so Athena's partition projection needs no crawler.
    this.search = new ArchiveSearch(this, 'Search', {
      archive: this.archive,
      sourceNames: config.sources.map((source) => source.name),
      databaseName,
      accessLogBucket: this.archive.accessLogBucket,
      notaryKey: this.notary.signingKey,
      ...(partitionStart ? { partitionStart } : {}),
      ...(this.ocsf && !config.ocsf.securityLake
        ? { externalTables: { names: Object.values(OCSF_CLASSES).map(ocsfTableName), folder: OCSF_PREFIX } }
        : {}),
    });
    // The OCSF tables join the search database.
    this.ocsf?.nestedStackResource?.addResourceDependency(this.search.database);

    this.guardrailAlarms = this.addGuardrails(config);
    this.addOutputs(config);
  }

  /**
   * Resource-policy denials on the bucket and the keys for every principal but the break-glass
   * roles and the CloudFormation execution role, and alarms when anyone makes those changes
   * (README: Security, "Guardrails against administrators").
   */
  private addGuardrails(config: DeploymentConfig): GuardrailAlarms | undefined {
    const exempt = [
      ...config.guardrails.breakGlassRoleArns,
      config.guardrails.cloudFormationExecutionRoleArn ?? cloudFormationExecutionRoleArn(this),
    ];
    const prefix = config.archive.prefix;
    addBucketGuardrails(
      this.archive.bucket,
      WRITE_ONCE_KEY_PATTERNS.map((pattern) => this.archive.bucket.arnForObjects(`${prefix}${pattern}`)),
      exempt,
    );
    if (this.encryptionKey instanceof kms.Key) addKeyGuardrails(this.encryptionKey, exempt);
    addKeyGuardrails(this.notary.signingKey, exempt, { rotates: false });
    if (!config.guardrails.changeAlarms) return undefined;
    return new GuardrailAlarms(this, 'GuardrailAlarms', {
      bucket: this.archive.bucket,
      keys: [this.encryptionKey, this.notary.signingKey],
      topic: this.alarmTopic,
      namePrefix: config.name,
    });
  }

  /**
   * The topic every alarm goes to. A created topic accepts messages only from this
   * deployment's alarms, so nobody can page the on-call engineer with a fake alarm or bury
   * a real one; an existing topic's policy is its owner's to write (README: Security).
   */
  private createAlarmTopic(config: DeploymentConfig): sns.ITopic {
    let topic: sns.ITopic;
    if (config.alarms.topicArn) {
      topic = sns.Topic.fromTopicArn(this, 'AlarmTopic', config.alarms.topicArn);
    } else {
      topic = new sns.Topic(this, 'AlarmTopic', {
        displayName: `1Password Events archive ${config.name}`,
        masterKey: this.alarmTopicKey(),
        enforceSSL: true,
      });
      // Every alarm of the deployment is named <name>-…. CloudWatch publishes with the alarm's
      // ARN as aws:SourceArn; a person or role publishing directly carries no aws:SourceArn,
      // so the Deny refuses them whatever their identity policy allows. (Alarms of another
      // deployment in the account whose name starts with "<name>-" match as well.) The
      // guardrail rules publish through EventBridge, with the rule's ARN.
      const alarms = `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:${config.name}-*`;
      const guardrailRules = GuardrailAlarms.ruleArnPattern(config.name);
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowThisDeploymentsAlarms',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
            ArnLike: { 'aws:SourceArn': alarms },
          },
        }),
      );
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowThisDeploymentsGuardrailRules',
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
            ArnLike: { 'aws:SourceArn': guardrailRules },
          },
        }),
      );
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'DenyPublishingByAnyoneElse',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: { ArnNotLike: { 'aws:SourceArn': [alarms, guardrailRules] } },
        }),
      );
    }
    for (const email of config.alarms.emails) {
      topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    return topic;
  }

  /**
   * A key of the topic's own: CloudWatch and EventBridge publish to an encrypted topic only if
   * the key policy lets them use the key, and that grant belongs on no key that guards the
   * archive, its state or its tokens. It holds only notifications in transit, so it may go
   * with the stack.
   */
  private alarmTopicKey(): kms.IKey {
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the alarm notifications of the 1Password Events archive',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowAlarmsAndGuardrailRulesToPublish',
        principals: [
          new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
          new iam.ServicePrincipal('events.amazonaws.com'),
        ],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    return key;
  }

  private addOutputs(config: DeploymentConfig): void {
    new CfnOutput(this, 'ArchiveBucketName', {
      description: 'S3 bucket holding the archive (Object Lock)',
      value: this.archive.bucket.bucketName,
    });
    new CfnOutput(this, 'StateTableName', {
      description: 'DynamoDB table holding cursors and leases',
      value: this.state.table.tableName,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'SNS topic every alarm is sent to',
      value: this.alarmTopic.topicArn,
    });
    new CfnOutput(this, 'EncryptionKeyArn', {
      description: 'KMS key of the archive, state and created token secrets',
      value: this.encryptionKey.keyArn,
    });
    new CfnOutput(this, 'NotaryKeyArn', {
      description:
        "The notary's signing key: its public key verifies the digests (op-events-archive public-key --key-id <this>)",
      value: this.notary.signingKey.keyArn,
    });
    new CfnOutput(this, 'DashboardUrl', {
      description: 'CloudWatch dashboard of the deployment',
      value: `https://console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${config.name}`,
    });
    new CfnOutput(this, 'AthenaWorkGroup', {
      description: 'Athena workgroup for searching the archive (saved queries included)',
      value: this.search.workGroupName,
    });
    new CfnOutput(this, 'AnalystPolicyArn', {
      description: 'Managed policy to attach to the people or roles who may search the archive',
      value: this.search.analystPolicy.managedPolicyArn,
    });
    if (this.archive.notificationQueue) {
      new CfnOutput(this, 'NotificationQueueUrl', {
        description:
          'SQS queue of S3 event notifications for new archive objects (Splunk / Elastic S3 input)',
        value: this.archive.notificationQueue.queueUrl,
      });
      new CfnOutput(this, 'NotificationQueueArn', {
        description: 'ARN of the notification queue',
        value: this.archive.notificationQueue.queueArn,
      });
    }
    // One output per source (JSON) rather than one per attribute: CloudFormation allows
    // 200 outputs per stack, and a deployment may hold 150 sources.
    for (const { collector } of this.sources) {
      new CfnOutput(this, `Source${sourceId(collector.sourceName)}`, {
        description: `Source ${collector.sourceName}: collector function, its log group, and the secret to put the token in`,
        value: Fn.join('', [
          `{"source":"${collector.sourceName}","function":"${collectorFunctionName(config.name, collector.sourceName)}","logGroup":"`,
          collector.function.logGroup.logGroupName,
          '","tokenSecret":"',
          collector.tokenSecret.secretArn,
          '"}',
        ]),
      });
    }
  }
}
