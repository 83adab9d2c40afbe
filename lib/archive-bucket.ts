import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IConstruct, type IDependable } from 'constructs';
import { viaS3For } from './kms-conditions';
import { acknowledgeRule, acknowledgeWildcardResource } from './nag';

/** Receives of a notification by SIEM readers before it moves to the dead-letter queue. */
export const NOTIFICATION_MAX_RECEIVES = 5;

/**
 * Key patterns, below the archive prefix, of every object a writer of the archive creates:
 * the collectors' `source=<source>/…`, the backfills' `backfill/<from>_<to>/source=<source>/…`
 * (cli/backfill-naming.ts), the notary's `digests/source=<source>/…` and the detector's `findings/source=<source>/…`.
 * All are write-once for every principal (see {@link ArchiveBucket}); lookups, under `lookups/`, are meant to be replaced.
 */
export const WRITE_ONCE_KEY_PATTERNS = [
  'source=*',
  'backfill/*',
  'digests/*',
  'findings/*',
  'ocsf/*',
] as const;

/** Below the archive prefix, where the notary writes its signed digests (lambdas/shared/archive/digest.ts). */
export const DIGESTS_PREFIX = 'digests/';

/** Below the archive prefix, where the OCSF transformer writes when there is no Security Lake (lambdas/ocsf-transformer/). */
export const OCSF_PREFIX = 'ocsf/';

/** Below the archive prefix, where the detector writes its findings (lambdas/shared/detections/delivery.ts). */
export const FINDINGS_PREFIX = 'findings/';

/** Where a later storage class takes over the archive's objects. */
export interface ColdStorageRule {
  /** The colder storage class. */
  readonly storageClass: s3.StorageClass;
  /** Age of an object when it moves. */
  readonly after: Duration;
}

/** The archive as the collectors see it: a bucket, a key prefix and scoped grants. */
export interface IArchiveBucket {
  /** The bucket holding the archive objects. */
  readonly bucket: s3.IBucket;
  /** The key that encrypts the objects. */
  readonly encryptionKey: kms.IKey;
  /** Key prefix in front of every archive key, `''` or ending in `/`. */
  readonly prefix: string;

  /** The key prefix of one source's objects: `{prefix}source={name}/`. */
  sourcePrefix(sourceName: string): string;

  /**
   * Lets `grantee` write and read the objects of one source and nothing else:
   *
   * - `s3:PutObject`, `s3:GetObject` on `{prefix}source={name}/*` (HeadObject is
   *   authorised by `s3:GetObject`);
   * - `s3:ListBucket` on the bucket, only for list prefixes under that path, so asking
   *   whether an object exists answers 404 rather than 403;
   * - `kms:GenerateDataKey`, `kms:Decrypt` on the archive key, only through S3.
   */
  grantSourceReadWrite(grantee: iam.IGrantable, sourceName: string): void;
}

/** Attributes of an archive defined elsewhere, for {@link ArchiveBucket.fromArchiveAttributes}. */
export interface ArchiveBucketAttributes {
  /** ARN of the bucket. */
  readonly bucketArn: string;
  /** Name of the bucket. */
  readonly bucketName: string;
  /** The key that encrypts the objects. */
  readonly encryptionKey: kms.IKey;
  /**
   * Key prefix in front of every archive key.
   * @default ''
   */
  readonly prefix?: string;
}

/** Properties of an {@link ArchiveBucket}. */
export interface ArchiveBucketProps {
  /** KMS key for SSE-KMS; a bucket key keeps the KMS request count (and cost) low. */
  readonly encryptionKey: kms.IKey;

  /**
   * Object Lock mode of the default retention. COMPLIANCE cannot be shortened or lifted by
   * anyone, the root user included, until each object's retention ends.
   * @default 'GOVERNANCE'
   */
  readonly objectLockMode?: 'GOVERNANCE' | 'COMPLIANCE';

  /**
   * Default retention of every object written.
   * @default Duration.days(365)
   */
  readonly retention?: Duration;

  /**
   * Key prefix in front of every archive key, `''` or ending in `/`.
   * @default ''
   */
  readonly prefix?: string;

  /**
   * Move objects to a colder storage class after a while. Objects under 128 KB stay where
   * they are: moving them costs more in transition requests than it saves.
   * @default - objects stay in S3 Standard
   */
  readonly coldStorage?: ColdStorageRule;

  /**
   * Delete objects this long after they were written (never before their retention ends).
   * @default - objects are kept forever
   */
  readonly expireAfter?: Duration;

  /**
   * With `expireAfter`: how long a version is kept once it is no longer the current one (an
   * expired object hidden by its delete marker, or one hidden earlier by hand). Never shorter
   * than the retention, so a version hidden early is still kept a full retention period after
   * it was hidden.
   * @default - the retention
   */
  readonly noncurrentVersionExpiration?: Duration;

  /**
   * How long server access logs are kept.
   * @default Duration.days(365)
   */
  readonly accessLogRetention?: Duration;

  /**
   * Send "Object Created" events to the account's default EventBridge bus.
   * @default false
   */
  readonly eventBridgeNotifications?: boolean;

  /**
   * Send S3 event notifications for new archive objects to an SQS queue, the input that
   * Splunk's SQS-based S3 input and Elastic's aws-s3 input read.
   * @default false
   */
  readonly sqsNotifications?: boolean;

  /**
   * Prefix of the names of the archive's alarms (with `sqsNotifications`, the
   * `<prefix>-notification-dead-letters` alarm).
   * @default - names generated by CloudFormation
   */
  readonly alarmNamePrefix?: string;
}

/**
 * The archive: an S3 bucket with Object Lock and a default retention, so no object version
 * can be deleted before its retention ends; SSE-KMS with a bucket key; all public access
 * blocked; server access logs to a bucket of their own; optional lifecycle to colder
 * storage; and optional new-object notifications for SIEM pipelines. Both buckets are kept
 * when the stack is deleted.
 *
 * Its bucket policy refuses, for every principal (administrators included): requests
 * without TLS 1.2; a write of an archive key without `If-None-Match` (so no object is ever
 * given a newer version); objects encrypted otherwise than with SSE-KMS under the archive
 * key; and in-place re-encryption or replication into the bucket. SSE-C is blocked on the
 * bucket as well.
 */
export class ArchiveBucket extends Construct implements IArchiveBucket {
  /** An archive defined in another stack, seen through its attributes. */
  static fromArchiveAttributes(
    scope: Construct,
    id: string,
    attributes: ArchiveBucketAttributes,
  ): IArchiveBucket {
    return new ImportedArchiveBucket(scope, id, attributes);
  }

  public readonly bucket: s3.Bucket;
  public readonly encryptionKey: kms.IKey;
  public readonly prefix: string;
  /** The bucket that receives the archive bucket's server access logs. */
  public readonly accessLogBucket: s3.Bucket;
  /** Queue of S3 event notifications for new objects, when enabled. */
  public readonly notificationQueue?: sqs.Queue;
  /** Where notifications that a reader failed {@link NOTIFICATION_MAX_RECEIVES} times go. */
  public readonly notificationDeadLetterQueue?: sqs.Queue;
  /** Fires while the notification dead-letter queue holds a message; add the actions to it. */
  public readonly notificationDeadLetterAlarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ArchiveBucketProps) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    this.prefix = props.prefix ?? '';

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      // Access log delivery cannot write to SSE-KMS buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [
        {
          expiration: props.accessLogRetention ?? Duration.days(365),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const retention = props.retention ?? Duration.days(365);
    const noncurrentVersionExpiration = props.noncurrentVersionExpiration ?? retention;
    if (props.noncurrentVersionExpiration && !props.expireAfter) {
      throw new Error(
        'ArchiveBucket: noncurrentVersionExpiration only applies with expireAfter; without it no version is deleted',
      );
    }
    if (noncurrentVersionExpiration.toDays() < retention.toDays()) {
      throw new Error(
        `ArchiveBucket: noncurrentVersionExpiration (${noncurrentVersionExpiration.toDays()} days) must be at least ` +
          `the retention (${retention.toDays()} days): a version hidden by a delete marker would otherwise go as soon ` +
          'as its own retention ends',
      );
    }
    this.bucket = new s3.Bucket(this, 'Bucket', {
      objectLockEnabled: true,
      objectLockDefaultRetention:
        props.objectLockMode === 'COMPLIANCE'
          ? s3.ObjectLockRetention.compliance(retention)
          : s3.ObjectLockRetention.governance(retention),
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      blockedEncryptionTypes: [s3.BlockedEncryptionType.SSE_C],
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'archive/',
      transitionDefaultMinimumObjectSize: s3.TransitionDefaultMinimumObjectSize.ALL_STORAGE_CLASSES_128_K,
      lifecycleRules: [
        {
          id: 'archive-lifecycle',
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          ...(props.coldStorage
            ? {
                transitions: [
                  { storageClass: props.coldStorage.storageClass, transitionAfter: props.coldStorage.after },
                ],
              }
            : {}),
          // Expiry puts a delete marker over an object; the version it hides goes after
          // noncurrentVersionExpiration. Anyone allowed s3:DeleteObject can put a delete marker
          // early, and lifecycle counts noncurrent days from that moment: a short period would
          // delete the hidden version as soon as its retention ends, long before expireAfter.
          ...(props.expireAfter ? { expiration: props.expireAfter, noncurrentVersionExpiration } : {}),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.addWriteOnceStatements();

    let queuePolicy: IDependable | undefined;
    if (props.sqsNotifications) {
      const { queue, deadLetterQueue, policy } = this.addNotificationQueue();
      this.notificationQueue = queue;
      queuePolicy = policy;
      this.notificationDeadLetterQueue = deadLetterQueue;
      this.notificationDeadLetterAlarm = this.addNotificationDeadLetterAlarm(
        deadLetterQueue,
        props.alarmNamePrefix,
      );
    }
    if (props.eventBridgeNotifications || this.notificationQueue) {
      this.configureNotifications(props.eventBridgeNotifications ?? false, queuePolicy);
    }
  }

  public sourcePrefix(sourceName: string): string {
    return sourcePrefix(this.prefix, sourceName);
  }

  public grantSourceReadWrite(grantee: iam.IGrantable, sourceName: string): void {
    grantSourceReadWrite(this, grantee, sourceName);
  }

  /**
   * Bucket-policy denials that hold for every principal, since an explicit Deny in the bucket
   * policy wins over any Allow in an identity policy (an administrator's `s3:*` included).
   */
  private addWriteOnceStatements(): void {
    const everyone = [new iam.AnyPrincipal()];
    const allObjects = [this.bucket.arnForObjects('*')];
    const deny = (sid: string, actions: string[], resources: string[], conditions?: iam.Conditions) =>
      this.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          effect: iam.Effect.DENY,
          principals: everyone,
          actions,
          resources,
          ...(conditions ? { conditions } : {}),
        }),
      );

    // Object Lock keeps an overwritten version, but Athena, SIEMs and `verify` read the
    // current one: a PUT over an existing key would replace the evidence they see. S3 refuses
    // a PUT with `If-None-Match: *` whose key exists, so a write of an archive key must carry
    // it. The same action covers CopyObject (which S3 then refuses either way) and the
    // multipart calls; CreateMultipartUpload and UploadPart take no conditional header, so
    // multipart uploads into these prefixes are refused too. No writer of the archive uses
    // them: a batch is one PutObject.
    deny(
      'DenyArchiveWritesWithoutIfNoneMatch',
      ['s3:PutObject'],
      WRITE_ONCE_KEY_PATTERNS.map((pattern) => this.bucket.arnForObjects(`${this.prefix}${pattern}`)),
      { Null: { 's3:if-none-match': 'true' } },
    );
    // Rewrites that carry no conditional header at all: re-encrypting a stored object with
    // another key, and replication from another bucket, which writes versions over any key.
    // The archive needs neither: the key rotates in KMS, and the bucket is never a destination.
    deny('DenyRewritingStoredObjects', ['s3:UpdateObjectEncryption', 's3:ReplicateObject'], allObjects);

    // Encryption. A PUT without an encryption header gets the bucket default, SSE-KMS with the
    // archive key, which is what the collector relies on: it sends no encryption header. A PUT
    // that names an encryption must name exactly that: SSE-S3 (AES256), DSSE-KMS or another key
    // would leave objects that the archive key's policy no longer guards, or that a key deletion
    // elsewhere makes unreadable. `aws:kms` without a key id is refused as well: S3 then uses the
    // AWS managed key aws/s3, not the bucket default (PutObject API reference,
    // x-amz-server-side-encryption-aws-kms-key-id). The key must be named by its ARN.
    //
    // Each denial applies only when its header is present (`Null: false`). A negated operator
    // alone would not do: StringNotEquals, and StringNotEqualsIfExists too, count an absent key
    // as a mismatch, and would refuse the collector's header-less PUT.
    deny('DenyEncryptionOtherThanKms', ['s3:PutObject'], allObjects, {
      Null: { 's3:x-amz-server-side-encryption': 'false' },
      StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' },
    });
    deny('DenyKmsKeysOtherThanTheArchiveKey', ['s3:PutObject'], allObjects, {
      Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
      StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': this.encryptionKey.keyArn },
    });
    deny('DenyKmsWithoutTheArchiveKeyId', ['s3:PutObject'], allObjects, {
      Null: {
        's3:x-amz-server-side-encryption': 'false',
        's3:x-amz-server-side-encryption-aws-kms-key-id': 'true',
      },
    });
    // SSE-C is also blocked on the bucket (blockedEncryptionTypes); this holds should that
    // setting ever be lifted: S3 keeps no copy of a customer key, so the object would be
    // readable only by whoever chose it.
    deny('DenyCustomerProvidedKeys', ['s3:PutObject'], allObjects, {
      Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' },
    });
  }

  private addNotificationQueue(): {
    queue: sqs.Queue;
    deadLetterQueue: sqs.Queue;
    policy: IDependable | undefined;
  } {
    const deadLetterQueue = new sqs.Queue(this, 'NotificationDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const queue = new sqs.Queue(this, 'NotificationQueue', {
      // SSE-SQS rather than a KMS key: S3 can publish to it without a key policy grant.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // Splunk and Elastic hold a message while they download and index the object.
      visibilityTimeout: Duration.minutes(5),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: NOTIFICATION_MAX_RECEIVES },
    });
    // Only the archive bucket: another bucket of the account sending here would make a SIEM
    // fetch and index objects that are not in the archive.
    const { policyDependable: policy } = queue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowArchiveNotifications',
        principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnEquals: { 'aws:SourceArn': this.bucket.bucketArn },
        },
      }),
    );
    return { queue, deadLetterQueue, policy };
  }

  /**
   * Sets the bucket's notification configuration after the bucket and the queue policy exist.
   * S3 checks that it may send to the queue when the configuration is set, and the queue
   * policy names the bucket's ARN, known only once the bucket is created; written on the
   * bucket resource itself, the configuration would have to wait for the policy, and the
   * policy for the bucket. So a custom resource sets it, with a role that may change the
   * notifications of this bucket only (the L2 notification API's handler may change those of
   * every bucket in the account). It owns the whole configuration, EventBridge included, and
   * empties it when it is removed.
   */
  private configureNotifications(eventBridge: boolean, queuePolicy: IDependable | undefined): void {
    const configuration = {
      ...(eventBridge ? { EventBridgeConfiguration: {} } : {}),
      ...(this.notificationQueue
        ? {
            QueueConfigurations: [
              {
                Id: 'archive-objects',
                QueueArn: this.notificationQueue.queueArn,
                Events: ['s3:ObjectCreated:*'],
                Filter: {
                  Key: {
                    FilterRules: [
                      { Name: 'prefix', Value: `${this.prefix}source=` },
                      { Name: 'suffix', Value: '.ndjson.gz' },
                    ],
                  },
                },
              },
            ],
          }
        : {}),
    };
    const put = (notificationConfiguration: object): cr.AwsSdkCall => ({
      service: 'S3',
      action: 'putBucketNotificationConfiguration',
      parameters: { Bucket: this.bucket.bucketName, NotificationConfiguration: notificationConfiguration },
      physicalResourceId: cr.PhysicalResourceId.of('archive-notifications'),
    });
    const notifications = new cr.AwsCustomResource(this, 'Notifications', {
      resourceType: 'Custom::ArchiveNotifications',
      onCreate: put(configuration),
      onUpdate: put(configuration),
      onDelete: put({}),
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['s3:PutBucketNotification'],
          resources: [this.bucket.bucketArn],
        }),
      ]),
      installLatestAwsSdk: false,
      logGroup: new logs.LogGroup(this, 'NotificationsLog', {
        retention: logs.RetentionDays.ONE_YEAR,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    if (queuePolicy) notifications.node.addDependency(queuePolicy);
    acknowledgeRule(
      notifications.grantPrincipal as unknown as IConstruct,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'The role of the function that sets the archive bucket notifications at deploy time; the managed policy lets it write its own logs, nothing else.',
    );
  }

  /**
   * Lets only `notaryRole` write under `digests/`: a Deny for every other principal, whatever
   * its identity policy allows (administrators' `s3:*` included). Writes there must carry
   * `If-None-Match` like every archive key.
   */
  public restrictDigestWrites(notaryRole: iam.IRole): void {
    this.restrictWritesTo(DIGESTS_PREFIX, notaryRole, 'DenyDigestWritesExceptTheNotary');
  }

  /**
   * Lets only `detectorRole` write under `findings/`: nobody plants a finding, or fills the key
   * of one not yet raised.
   */
  public restrictFindingWrites(detectorRole: iam.IRole): void {
    this.restrictWritesTo(FINDINGS_PREFIX, detectorRole, 'DenyFindingWritesExceptTheDetector');
  }

  /**
   * Lets only `transformerRole` write under `ocsf/`: the OCSF output is derived from the
   * archive, and nobody else may add records to it.
   */
  public restrictOcsfWrites(transformerRole: iam.IRole): void {
    this.restrictWritesTo(OCSF_PREFIX, transformerRole, 'DenyOcsfWritesExceptTheTransformer');
  }

  /**
   * A Deny of `s3:PutObject` under `folder` for every principal but `role`, whatever its
   * identity policy allows (administrators' `s3:*` included). Writes there carry
   * `If-None-Match` like every archive key.
   */
  private restrictWritesTo(folder: string, role: iam.IRole, sid: string): void {
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid,
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${this.prefix}${folder}*`)],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': role.roleArn } },
      }),
    );
  }

  private addNotificationDeadLetterAlarm(
    deadLetterQueue: sqs.Queue,
    alarmNamePrefix: string | undefined,
  ): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, 'NotificationDeadLetters', {
      ...(alarmNamePrefix ? { alarmName: `${alarmNamePrefix}-notification-dead-letters` } : {}),
      alarmDescription:
        `A SIEM reader failed ${NOTIFICATION_MAX_RECEIVES} times to process the notification of a new archive object, which ` +
        `now waits in the dead-letter queue ${deadLetterQueue.queueName}. The object is archived; the SIEM has not ` +
        "indexed it. First: read the reader's own errors (Splunk SQS-based S3 input, Elastic aws-s3 input) and see " +
        `which object with aws sqs receive-message --queue-url ${deadLetterQueue.queueUrl}. Once the reader works, ` +
        `move the messages back: aws sqs start-message-move-task --source-arn ${deadLetterQueue.queueArn}. ` +
        'README: Operate > Notification dead letters.',
      metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}

class ImportedArchiveBucket extends Construct implements IArchiveBucket {
  public readonly bucket: s3.IBucket;
  public readonly encryptionKey: kms.IKey;
  public readonly prefix: string;

  constructor(scope: Construct, id: string, attributes: ArchiveBucketAttributes) {
    super(scope, id);
    this.encryptionKey = attributes.encryptionKey;
    this.prefix = attributes.prefix ?? '';
    this.bucket = s3.Bucket.fromBucketAttributes(this, 'Bucket', {
      bucketArn: attributes.bucketArn,
      bucketName: attributes.bucketName,
      encryptionKey: attributes.encryptionKey,
    });
  }

  public sourcePrefix(sourceName: string): string {
    return sourcePrefix(this.prefix, sourceName);
  }

  public grantSourceReadWrite(grantee: iam.IGrantable, sourceName: string): void {
    grantSourceReadWrite(this, grantee, sourceName);
  }
}

function sourcePrefix(prefix: string, sourceName: string): string {
  return `${prefix}source=${sourceName}/`;
}

function grantSourceReadWrite(archive: IArchiveBucket, grantee: iam.IGrantable, sourceName: string): void {
  const objects = archive.bucket.arnForObjects(`${archive.sourcePrefix(sourceName)}*`);
  iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject', 's3:GetObject'], resourceArns: [objects] });
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['s3:ListBucket'],
    resourceArns: [archive.bucket.bucketArn],
    conditions: { StringLike: { 's3:prefix': [`${archive.sourcePrefix(sourceName)}*`] } },
  });
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
    resourceArns: [archive.encryptionKey.keyArn],
    conditions: viaS3For(archive.bucket.bucketArn, archive.sourcePrefix(sourceName)),
  });
  acknowledgeWildcardResource(
    grantee,
    objects,
    `The wildcard covers only the objects under the key prefix of source ${sourceName}; a collector creates a new key for every batch.`,
  );
}
