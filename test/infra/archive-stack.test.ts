import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { backfillPrefix } from '../../cli/backfill-naming';
import { ArchiveBucket, type ArchiveBucketProps, WRITE_ONCE_KEY_PATTERNS } from '../../lib/archive-bucket';
import {
  cdkJsonContext,
  exampleConfig,
  KEY_ARN,
  resourcesOf,
  synth,
  TOPIC_ARN,
  withArchive,
} from './helpers';

/** The archive bucket's policy statements, as synthesized. */
function archivePolicyStatements(template: ReturnType<typeof synth>['parent']): Record<string, unknown>[] {
  const archiveBucket = Object.keys(
    template.findResources('AWS::S3::Bucket', { Properties: { ObjectLockEnabled: true } }),
  )[0];
  const policy = Object.values(
    template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: archiveBucket } } }),
  )[0] as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } };
  return policy.Properties.PolicyDocument.Statement;
}

describe('archive stack (shared resources)', () => {
  const defaults = synth(
    withArchive({
      alarms: { emails: ['oncall@example.com', 'secops@example.com'] },
      sources: [{ name: 'prod' }],
    }),
  );

  describe('archive bucket', () => {
    it('locks every object with the configured mode and retention', () => {
      const compliance = synth({
        archive: { objectLock: { mode: 'COMPLIANCE', retentionDays: 2555 } },
        sources: [{ name: 'prod' }],
      });

      defaults.parent.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 365 } },
        },
      });
      compliance.parent.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } } },
      });
    });

    it('locks in COMPLIANCE mode when the config chooses it, with the default retention', () => {
      const compliance = synth({
        archive: { objectLock: { mode: 'COMPLIANCE' } },
        sources: [{ name: 'prod' }],
      });

      compliance.parent.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } },
        },
      });
    });

    it('encrypts with the deployment KMS key and a bucket key', () => {
      defaults.parent.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockEnabled: true,
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EncryptionKey'), 'Arn'] },
              },
            },
          ],
        },
      });
    });

    it('blocks all public access on every bucket', () => {
      const buckets = Object.values(resourcesOf(defaults.parent, 'AWS::S3::Bucket'));

      // The archive, its access logs, and Athena's query results.
      expect(buckets).toHaveLength(3);
      for (const bucket of buckets) {
        expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        });
        expect(bucket.Properties.OwnershipControls).toEqual({
          Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
        });
      }
    });

    it('refuses requests without TLS, and TLS older than 1.2', () => {
      const archiveBucket = Object.keys(
        defaults.parent.findResources('AWS::S3::Bucket', { Properties: { ObjectLockEnabled: true } }),
      )[0];
      const bucketAndObjects = [
        { 'Fn::GetAtt': [archiveBucket, 'Arn'] },
        { 'Fn::Join': ['', [{ 'Fn::GetAtt': [archiveBucket, 'Arn'] }, '/*']] },
      ];

      defaults.parent.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: archiveBucket },
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Resource: bucketAndObjects,
            },
            {
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 's3:*',
              Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
              Resource: bucketAndObjects,
            },
          ]),
        },
      });
    });

    it('refuses, for every principal, a write of an archive, backfill, digest, finding or OCSF key without If-None-Match', () => {
      const prefixed = synth(withArchive({ archive: { prefix: '1password/' }, sources: [{ name: 'prod' }] }));
      const objects = (pattern: string) => ({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^ArchiveBucket'), 'Arn'] }, pattern]],
      });

      prefixed.parent.hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Sid: 'DenyArchiveWritesWithoutIfNoneMatch',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 's3:PutObject',
              Resource: [
                objects('/1password/backfill/*'),
                objects('/1password/digests/*'),
                objects('/1password/findings/*'),
                objects('/1password/ocsf/*'),
                objects('/1password/source=*'),
              ],
              Condition: { Null: { 's3:if-none-match': 'true' } },
            },
            {
              Sid: 'DenyRewritingStoredObjects',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: ['s3:ReplicateObject', 's3:UpdateObjectEncryption'],
              Resource: objects('/*'),
            },
          ]),
        },
      });
    });

    it('covers with its write-once patterns every key a collector or a backfill writes', () => {
      const asRegExp = (pattern: string) =>
        new RegExp(`^${pattern.replace(/[.()]/g, '\\$&').replace(/\*/g, '.*')}$`);
      const collectorKey = '1password/source=prod/type=auditevents/dt=2026-11-28/000000000001.ndjson.gz';
      const backfillKey = `${backfillPrefix('1password/', Date.UTC(2026, 0, 1), Date.UTC(2026, 1, 1))}source=prod/type=auditevents/dt=2026-11-28/000000000001.ndjson.gz`;
      const covered = (key: string) =>
        WRITE_ONCE_KEY_PATTERNS.some((pattern) => asRegExp(`1password/${pattern}`).test(key));

      expect(covered(collectorKey)).toBe(true);
      expect(covered(backfillKey)).toBe(true);
      expect(covered('1password/lookups/vaults/vaults.csv')).toBe(false);
    });

    it('refuses objects encrypted otherwise than with SSE-KMS under the archive key, and blocks SSE-C', () => {
      const statements = archivePolicyStatements(defaults.parent);
      const bySid = (sid: string) => statements.find((statement) => statement.Sid === sid);
      const key = { 'Fn::GetAtt': [Match.stringLikeRegexp('^EncryptionKey'), 'Arn'] };

      defaults.parent.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockEnabled: true,
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({ BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } }),
          ],
        },
      });
      defaults.parent.hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'DenyKmsKeysOtherThanTheArchiveKey',
              Condition: {
                Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
                StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': key },
              },
            }),
          ]),
        },
      });
      for (const sid of [
        'DenyEncryptionOtherThanKms',
        'DenyKmsKeysOtherThanTheArchiveKey',
        'DenyKmsWithoutTheArchiveKeyId',
        'DenyCustomerProvidedKeys',
      ]) {
        expect(bySid(sid)).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject' });
      }
      expect(bySid('DenyEncryptionOtherThanKms')?.Condition).toEqual({
        Null: { 's3:x-amz-server-side-encryption': 'false' },
        StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' },
      });
      expect(bySid('DenyKmsWithoutTheArchiveKeyId')?.Condition).toEqual({
        Null: {
          's3:x-amz-server-side-encryption': 'false',
          's3:x-amz-server-side-encryption-aws-kms-key-id': 'true',
        },
      });
      expect(bySid('DenyCustomerProvidedKeys')?.Condition).toEqual({
        Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' },
      });
    });

    it('names an existing deployment key by its ARN in the encryption denial', () => {
      const existingKey = synth(withArchive({ kms: { keyArn: KEY_ARN }, sources: [{ name: 'prod' }] }));
      const statement = archivePolicyStatements(existingKey.parent).find(
        (candidate) => candidate.Sid === 'DenyKmsKeysOtherThanTheArchiveKey',
      );

      expect(statement?.Condition).toEqual({
        Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
        StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN },
      });
    });

    it('writes server access logs to a separate, TLS-only log bucket', () => {
      const logBucket = Object.keys(
        defaults.parent.findResources('AWS::S3::Bucket', {
          Properties: { ObjectLockEnabled: Match.absent() },
        }),
      )[0];

      defaults.parent.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockEnabled: true,
        LoggingConfiguration: { DestinationBucketName: { Ref: logBucket }, LogFilePrefix: 'archive/' },
      });
      defaults.parent.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logBucket },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'logging.s3.amazonaws.com' },
              Action: 's3:PutObject',
            }),
          ]),
        },
      });
    });

    it('moves objects of 128 KB and more to colder storage, and expires them only when asked', () => {
      const expiring = synth(
        withArchive({
          archive: { coldStorage: { storageClass: 'DEEP_ARCHIVE', afterDays: 180 }, expireAfterDays: 3650 },
          sources: [{ name: 'prod' }],
        }),
      );
      const warm = synth(withArchive({ archive: { coldStorage: false }, sources: [{ name: 'prod' }] }));

      defaults.parent.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockEnabled: true,
        LifecycleConfiguration: {
          TransitionDefaultMinimumObjectSize: 'all_storage_classes_128K',
          Rules: [
            {
              Id: 'archive-lifecycle',
              Status: 'Enabled',
              Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
              ExpirationInDays: Match.absent(),
            },
          ],
        },
      });
      expiring.parent.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockEnabled: true,
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({
              Transitions: [{ StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 180 }],
              ExpirationInDays: 3650,
              NoncurrentVersionExpiration: { NoncurrentDays: 365 },
            }),
          ],
        },
      });
      warm.parent.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockEnabled: true,
        LifecycleConfiguration: { Rules: [Match.objectLike({ Transitions: Match.absent() })] },
      });
    });

    it('keeps a version that is no longer current at least as long as the retention', () => {
      const longer = synth(
        withArchive({
          archive: {
            objectLock: { retentionDays: 400 },
            expireAfterDays: 3650,
            noncurrentExpireAfterDays: 730,
          },
          sources: [{ name: 'prod' }],
        }),
      );
      const construct = (props: Partial<ArchiveBucketProps>) => () => {
        const stack = new Stack(new App({ context: cdkJsonContext() }));
        new ArchiveBucket(stack, 'Archive', { encryptionKey: new kms.Key(stack, 'Key'), ...props });
      };

      longer.parent.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: {
          Rules: [Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 730 } })],
        },
      });
      expect(
        construct({
          retention: Duration.days(30),
          expireAfter: Duration.days(60),
          noncurrentVersionExpiration: Duration.days(1),
        }),
      ).toThrow('noncurrentVersionExpiration (1 days) must be at least the retention (30 days)');
      expect(construct({ noncurrentVersionExpiration: Duration.days(400) })).toThrow(
        'only applies with expireAfter',
      );
      expect(construct({ retention: Duration.days(30), expireAfter: Duration.days(60) })).not.toThrow();
    });

    it('is kept, with its log bucket, when the stack is deleted', () => {
      for (const bucket of Object.values(defaults.parent.findResources('AWS::S3::Bucket'))) {
        expect(bucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      }
    });

    it('sends no notifications unless asked', () => {
      defaults.parent.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockEnabled: true,
        NotificationConfiguration: Match.absent(),
      });
      // The one queue is the notary schedule's dead-letter queue, which S3 does not send to.
      defaults.parent.resourceCountIs('AWS::SQS::Queue', 1);
      expect(JSON.stringify(defaults.parent.findResources('AWS::SQS::QueuePolicy'))).not.toContain(
        's3.amazonaws.com',
      );
    });
  });

  describe('new-object notifications for SIEM pipelines', () => {
    const notifying = synth(
      withArchive({
        notifications: { eventBridge: true, sqs: true },
        archive: { prefix: '1password/' },
        sources: [{ name: 'prod' }],
      }),
    );

    /** The S3 call a notifications custom resource makes on `phase`, with references shown as `<ref>`. */
    function notificationCall(template: ReturnType<typeof synth>['parent'], phase: 'Create' | 'Delete') {
      const resource = Object.values(template.findResources('Custom::ArchiveNotifications'))[0] as {
        Properties: Record<string, { 'Fn::Join': [string, unknown[]] }>;
      };
      const [, parts] = resource.Properties[phase]?.['Fn::Join'] ?? ['', []];
      return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : '<ref>')).join(''));
    }

    it('sends Object Created events to EventBridge and S3 notifications for archive objects to SQS', () => {
      expect(notificationCall(notifying.parent, 'Create')).toEqual({
        service: 'S3',
        action: 'putBucketNotificationConfiguration',
        parameters: {
          Bucket: '<ref>',
          NotificationConfiguration: {
            EventBridgeConfiguration: {},
            QueueConfigurations: [
              {
                Id: 'archive-objects',
                QueueArn: '<ref>',
                Events: ['s3:ObjectCreated:*'],
                Filter: {
                  Key: {
                    FilterRules: [
                      { Name: 'prefix', Value: '1password/source=' },
                      { Name: 'suffix', Value: '.ndjson.gz' },
                    ],
                  },
                },
              },
            ],
          },
        },
        physicalResourceId: { id: 'archive-notifications' },
      });
      expect(notificationCall(notifying.parent, 'Delete').parameters.NotificationConfiguration).toEqual({});
    });

    it('sets them after the queue policy exists, with a role that may change this bucket’s notifications only', () => {
      const queuePolicy = Object.keys(notifying.parent.findResources('AWS::SQS::QueuePolicy')).find((id) =>
        id.startsWith('ArchiveNotificationQueuePolicy'),
      );
      const archive = Object.entries(
        notifying.parent.findResources('AWS::S3::Bucket', { Properties: { ObjectLockEnabled: true } }),
      )[0];

      notifying.parent.hasResource('Custom::ArchiveNotifications', {
        DependsOn: Match.arrayWith([queuePolicy]),
        Properties: Match.objectLike({ InstallLatestAwsSdk: false }),
      });
      notifying.parent.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [
            {
              Action: 's3:PutBucketNotification',
              Effect: 'Allow',
              Resource: { 'Fn::GetAtt': [archive?.[0], 'Arn'] },
            },
          ],
        },
      });
      // The bucket itself holds no configuration, which would have to wait for the queue policy.
      expect(archive?.[1]).not.toHaveProperty('Properties.NotificationConfiguration');
      expect(archive?.[1]).not.toHaveProperty('DependsOn');
    });

    it('sends EventBridge events alone when only they are asked for', () => {
      const eventBridgeOnly = synth(
        withArchive({ notifications: { eventBridge: true }, sources: [{ name: 'prod' }] }),
      );

      expect(notificationCall(eventBridgeOnly.parent, 'Create').parameters.NotificationConfiguration).toEqual(
        {
          EventBridgeConfiguration: {},
        },
      );
      // The notary schedule's dead-letter queue only.
      eventBridgeOnly.parent.resourceCountIs('AWS::SQS::Queue', 1);
    });

    it('encrypts the queue, gives it a dead-letter queue, and lets only the archive bucket send to it', () => {
      const archive = Object.keys(
        notifying.parent.findResources('AWS::S3::Bucket', { Properties: { ObjectLockEnabled: true } }),
      )[0];

      // The queue, its dead-letter queue, and the notary schedule's dead-letter queue.
      notifying.parent.resourceCountIs('AWS::SQS::Queue', 3);
      notifying.parent.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1209600,
        RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
      });
      notifying.parent.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 's3.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Condition: {
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [archive, 'Arn'] } },
              },
            }),
          ]),
        },
      });
    });

    it('alarms while a notification waits in the dead-letter queue, and says what to do', () => {
      const deadLetterQueue = Object.keys(
        notifying.parent.findResources('AWS::SQS::Queue', { Properties: { RedrivePolicy: Match.absent() } }),
      )[0];
      const alarm = Object.values(
        notifying.parent.findResources('AWS::CloudWatch::Alarm', {
          Properties: { AlarmName: 'op-events-archive-notification-dead-letters' },
        }),
      )[0] as { Properties: Record<string, unknown> };
      const description = JSON.stringify(alarm.Properties.AlarmDescription);

      expect(alarm.Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetterQueue, 'QueueName'] } }],
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: expect.stringMatching(/^AlarmTopic/) }],
        OKActions: [{ Ref: expect.stringMatching(/^AlarmTopic/) }],
      });
      expect(description).toContain('The object is archived; the SIEM has not indexed it.');
      expect(description).toContain('aws sqs start-message-move-task --source-arn');
      expect(description).toContain('README: Operate > Notification dead letters.');
      expect(
        JSON.stringify(Object.values(notifying.parent.findResources('AWS::CloudWatch::Dashboard'))),
      ).toContain('AlarmArn}op-events-archive-notification-dead-letters');
      // Without the queue the deployment's own alarms are the notary's three.
      expect(Object.keys(defaults.parent.findResources('AWS::CloudWatch::Alarm')).sort()).toEqual([
        expect.stringMatching(/^NotaryErrors/),
        expect.stringMatching(/^NotaryNotRunning/),
        expect.stringMatching(/^NotaryScheduleFailed/),
      ]);
    });

    it('outputs the queue for the SIEM input', () => {
      notifying.parent.hasOutput('NotificationQueueUrl', {});
      notifying.parent.hasOutput('NotificationQueueArn', {});
    });
  });

  describe('KMS key', () => {
    it('is created with rotation and kept, so the archive stays readable', () => {
      defaults.parent.hasResource('AWS::KMS::Key', {
        Properties: { EnableKeyRotation: true },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
      defaults.parent.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/op-events-archive' });
    });

    it('can be an existing key: the stack then creates only a key for the alarm topic, and the notary its signing key', () => {
      const imported = synth(withArchive({ kms: { keyArn: KEY_ARN }, sources: [{ name: 'prod' }] }));

      imported.parent.resourceCountIs('AWS::KMS::Key', 2);
      imported.parent.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockEnabled: true,
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({
              ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY_ARN },
            }),
          ],
        },
      });
      imported.parent.hasResourceProperties('AWS::DynamoDB::Table', {
        SSESpecification: { KMSMasterKeyId: KEY_ARN, SSEEnabled: true, SSEType: 'KMS' },
      });
      imported.parent.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlarmTopicKey'), 'Arn'] },
      });
    });
  });

  describe('state table', () => {
    it('has a string partition key pk and no sort key, on-demand billing and PITR', () => {
      defaults.parent.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    });

    it('is encrypted with the deployment key, protected from deletion and kept', () => {
      defaults.parent.hasResource('AWS::DynamoDB::Table', {
        Properties: {
          DeletionProtectionEnabled: true,
          SSESpecification: {
            SSEEnabled: true,
            SSEType: 'KMS',
            KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EncryptionKey'), 'Arn'] },
          },
        },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });
  });

  describe('alarm topic', () => {
    it('is encrypted, TLS-only, and mails every configured address', () => {
      defaults.parent.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
      defaults.parent.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      defaults.parent.resourceCountIs('AWS::SNS::Subscription', 2);
      defaults.parent.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'oncall@example.com',
      });
    });

    it('accepts messages only from the alarms and the guardrail rules of this deployment', () => {
      const alarms = {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':cloudwatch:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':alarm:op-events-archive-*',
          ],
        ],
      };
      const guardrailRules = {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':events:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':rule/op-events-archive-guardrail-*',
          ],
        ],
      };

      defaults.parent.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Sid: 'AllowThisDeploymentsAlarms',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: { Ref: Match.stringLikeRegexp('^AlarmTopic') },
              Condition: {
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                ArnLike: { 'aws:SourceArn': alarms },
              },
            },
            {
              Sid: 'AllowThisDeploymentsGuardrailRules',
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: { Ref: Match.stringLikeRegexp('^AlarmTopic') },
              Condition: {
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                ArnLike: { 'aws:SourceArn': guardrailRules },
              },
            },
            {
              Sid: 'DenyPublishingByAnyoneElse',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 'sns:Publish',
              Resource: { Ref: Match.stringLikeRegexp('^AlarmTopic') },
              Condition: { ArnNotLike: { 'aws:SourceArn': [alarms, guardrailRules] } },
            },
          ]),
        },
      });
    });

    it('is encrypted with a key of its own, which CloudWatch alarms and the guardrail rules may use', () => {
      const topicKey = Object.keys(
        defaults.parent.findResources('AWS::KMS::Key', {
          Properties: { Description: 'Encrypts the alarm notifications of the 1Password Events archive' },
        }),
      );
      expect(topicKey).toHaveLength(1);
      defaults.parent.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: { 'Fn::GetAtt': [topicKey[0], 'Arn'] },
      });
      defaults.parent.hasResourceProperties('AWS::KMS::Key', {
        Description: 'Encrypts the alarm notifications of the 1Password Events archive',
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            }),
          ]),
        },
      });
    });

    it('can be an existing topic, which then receives the subscriptions and the alarms', () => {
      const imported = synth(
        withArchive({
          alarms: { topicArn: TOPIC_ARN, emails: ['oncall@example.com'] },
          sources: [{ name: 'prod' }],
        }),
      );

      imported.parent.resourceCountIs('AWS::SNS::Topic', 0);
      imported.parent.resourceCountIs('AWS::SNS::TopicPolicy', 0);
      imported.parent.hasResourceProperties('AWS::SNS::Subscription', {
        TopicArn: TOPIC_ARN,
        Protocol: 'email',
      });
      imported.parent.hasResourceProperties('AWS::CloudFormation::Stack', {
        Parameters: Match.objectLike({ AlarmTopicArn: TOPIC_ARN }),
      });
    });
  });

  describe('one nested stack per source', () => {
    it('passes the shared resources to each source as named parameters', () => {
      const example = synth(exampleConfig());

      example.parent.resourceCountIs('AWS::CloudFormation::Stack', 2);
      example.parent.hasResourceProperties('AWS::CloudFormation::Stack', {
        Parameters: {
          ArchiveKeyArn: Match.anyValue(),
          ArchiveBucketArn: Match.anyValue(),
          ArchiveBucketName: Match.anyValue(),
          StateTableKeyArn: Match.anyValue(),
          StateTableArn: Match.anyValue(),
          AlarmTopicArn: { Ref: Match.stringLikeRegexp('^AlarmTopic') },
          ScheduleGroupName: 'op-events-archive',
        },
      });
    });
  });

  describe('schedule group', () => {
    it('holds the schedules of the deployment, is named and tagged after it, and goes with the stack', () => {
      defaults.parent.hasResource('AWS::Scheduler::ScheduleGroup', {
        Properties: {
          Name: 'op-events-archive',
          Tags: Match.arrayWith([{ Key: 'deployment', Value: 'op-events-archive' }]),
        },
        DeletionPolicy: 'Delete',
      });
    });

    it('exists before any source puts a schedule in it', () => {
      const [groupId] = Object.keys(defaults.parent.findResources('AWS::Scheduler::ScheduleGroup'));
      const [source] = Object.values(defaults.parent.findResources('AWS::CloudFormation::Stack'));

      expect(source?.DependsOn).toContain(groupId);
    });
  });

  describe('outputs', () => {
    it('name the bucket, table, topic, key and dashboard', () => {
      for (const output of [
        'ArchiveBucketName',
        'StateTableName',
        'AlarmTopicArn',
        'EncryptionKeyArn',
        'DashboardUrl',
      ]) {
        defaults.parent.hasOutput(output, {});
      }
    });

    it('give each source its function, log group and token secret in one JSON value', () => {
      const example = synth(exampleConfig());
      const outputs = example.parent.findOutputs('*');
      const value = (id: string) => JSON.stringify(outputs[id]?.Value);

      expect(value('SourceProd')).toContain('\\"function\\":\\"op-events-archive-prod\\"');
      expect(value('SourceProd')).toContain('\\"tokenSecret\\":\\"');
      expect(value('SourceProd')).toContain('\\"logGroup\\":\\"');
      expect(value('SourceSubsidiary')).toContain(
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:op-events/subsidiary-AbCdEf',
      );
    });
  });

  describe('dashboard', () => {
    const example = synth(exampleConfig());
    const dashboardBody = Object.values(example.parent.findResources('AWS::CloudWatch::Dashboard'))[0]
      ?.Properties.DashboardBody as { 'Fn::Sub': [string, Record<string, unknown>] };
    const [template, variables] = dashboardBody['Fn::Sub'];
    const body = JSON.parse(template) as { widgets: { type: string; properties: Record<string, unknown> }[] };
    const text = JSON.stringify(body);

    it('is one valid JSON body with the region and log groups filled in by CloudFormation', () => {
      expect(body.widgets.length).toBeGreaterThan(5);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholders in the dashboard body
      expect(text).toContain('"region":"${AWS::Region}"');
      expect(Object.keys(variables)).toEqual(['LogGroup0', 'LogGroup1', 'AlarmArn']);
      expect(variables.AlarmArn).toEqual({
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':cloudwatch:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':alarm:',
          ],
        ],
      });
    });

    it('graphs events archived, behind and cursor resets per source, API errors by kind and throttles per stream, from the collector metrics', () => {
      const expressions = body.widgets.flatMap((widget) =>
        ((widget.properties.metrics as unknown[][] | undefined) ?? [])
          .flat()
          .map((m) => (m as { expression?: string }).expression),
      );

      expect(expressions).toEqual(
        expect.arrayContaining([
          `SEARCH('{OnePasswordEventsArchive,Source} MetricName="EventsArchived"', 'Sum', 3600)`,
          `SEARCH('{OnePasswordEventsArchive,Source} MetricName="BehindSeconds"', 'Maximum', 300)`,
          `SEARCH('{OnePasswordEventsArchive,Source,Stream,ErrorKind} MetricName="ApiErrors"', 'Sum', 300)`,
          `SEARCH('{OnePasswordEventsArchive,Source,Stream} MetricName="Throttles"', 'Sum', 300)`,
          `SEARCH('{OnePasswordEventsArchive,Source} MetricName="CursorResets"', 'Sum', 300)`,
        ]),
      );
    });

    it('shows per stream, from the run summary log line: events and lag, silences against the rhythm, item usage by action, sign-in attempts by category', () => {
      const queries = body.widgets
        .filter((widget) => widget.type === 'log')
        .map((widget) => widget.properties.query as string);

      expect(queries).toHaveLength(4);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholders in the dashboard body
      expect(queries[0]).toContain("SOURCE '${LogGroup0}' | SOURCE '${LogGroup1}'");
      expect(queries[0]).toContain(
        'stats sum(eventsArchived) as events, max(lagSeconds) as lag, sum(invalidEvents) as invalid by bin(1h), source, stream',
      );
      expect(queries[1]).toContain('max(silence.limitSeconds) as limit');
      expect(queries[2]).toContain('filter message = "stream run finished" and stream = "itemusages"');
      expect(queries[2]).toContain('sum(`countsByAction.secure-copy`) as secure_copy');
      expect(queries[3]).toContain('sum(`countsByCategory.credentials_failed`) as credentials_failed');
    });

    it('shows each collector’s Lambda errors and duration, and every alarm', () => {
      expect(text).toContain('["AWS/Lambda","Errors","FunctionName","op-events-archive-prod"');
      expect(text).toContain('["AWS/Lambda","Duration","FunctionName","op-events-archive-subsidiary"');
      const alarms = body.widgets
        .filter((widget) => widget.type === 'alarm')
        .flatMap((widget) => widget.properties.alarms as string[]);
      // prod: 7; subsidiary, paused: falling-behind, cursor-reset + 3 (no drop-off, no-successful-run); the notary's 3.
      expect(alarms).toHaveLength(7 + 5 + 3);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an Fn::Sub placeholder in the dashboard body
      expect(alarms).toContain('${AlarmArn}op-events-archive-prod-auth-failure');
    });
  });
});
