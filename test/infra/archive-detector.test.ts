import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseDetectionSettings } from '../../lambdas/detector/env';
import { detectionSettingsJson, parseConfig } from '../../lib/config';
import { expectConsumerAlarms, synth, withArchive } from './helpers';

describe('the detector', () => {
  const deployment = synth(
    withArchive({
      archive: { prefix: '1password/' },
      alarms: { emails: ['oncall@example.com'] },
      notifications: { sqs: true },
      detections: {
        enabled: true,
        securityEmails: ['security@example.com'],
        watchlists: { deniedCountries: ['North Korea'] },
        rules: { 'excessive-reveals': { count: 50 } },
      },
      sources: [{ name: 'prod' }, { name: 'acme' }],
    }),
  );
  const { parent, stack } = deployment;
  if (!stack.detector) throw new Error('no detector');
  const nested = Template.fromStack(stack.detector);
  const statements = () =>
    Object.values(nested.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>,
    );

  it('is off by default, and then adds nothing to the deployment', () => {
    const off = synth(withArchive({ sources: [{ name: 'prod' }] }));
    expect(off.stack.detector).toBeUndefined();
    expect(JSON.stringify(off.parent.toJSON())).not.toContain('Detector');
    expect(parseConfig(withArchive({ sources: [{ name: 'prod' }] })).detections.enabled).toBe(false);
  });

  it('lives in a nested stack of its own, fed by the bucket through EventBridge, leaving the SIEM queue as it was', () => {
    parent.resourceCountIs('AWS::CloudFormation::Stack', 3);
    const notifications = JSON.stringify(parent.findResources('Custom::ArchiveNotifications'));
    expect(notifications).toMatch(/EventBridgeConfiguration.*QueueConfigurations.*archive-objects/);
    nested.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [{ Ref: Match.stringLikeRegexp('ArchiveBucketName') }] },
          object: { key: [{ prefix: '1password/source=' }, { prefix: '1password/backfill/' }] },
        },
      },
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DetectorQueue'), 'Arn'] } }),
      ],
    });
    nested.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('keeps history and claims in an on-demand table with TTL, PITR and the deployment key', () => {
    nested.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { Ref: 'ArchiveKeyArn' } },
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('encrypts its queues and refuses them without TLS; a dead-letter queue after 5 receives', () => {
    nested.resourceCountIs('AWS::SQS::Queue', 2);
    nested.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    nested.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 3600,
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
    });
    nested.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: Match.arrayWith(['sqs:SendMessage']),
            Condition: { ArnEquals: { 'aws:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  it('publishes findings to a security topic with its own key and subscribers, apart from the alarm topic', () => {
    nested.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'op-events-archive-findings',
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DetectorSecurityTopicKey'), 'Arn'] },
    });
    nested.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'security@example.com',
    });
    nested.resourceCountIs('AWS::SNS::Subscription', 1);
    parent.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    nested.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DenyPublishingByAnyoneButTheDetector',
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { ArnNotEquals: { 'aws:PrincipalArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  it('gives the function the settings and names where everything is', () => {
    nested.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'op-events-archive-detector',
      Runtime: 'nodejs24.x',
      Environment: {
        Variables: Match.objectLike({
          ARCHIVE_PREFIX: '1password/',
          EVENT_BUS_NAME: 'default',
          SECURITY_TOPIC_ARN: { Ref: Match.stringLikeRegexp('^DetectorSecurityTopic') },
          DETECTION_SETTINGS: Match.stringLikeRegexp(
            '"deniedCountries":\\["KP"\\].*"excessive-reveals":\\{"count":50\\}',
          ),
        }),
      },
    });
  });

  it('may read batch objects and lookups, write findings only with If-None-Match, put its own events, publish to its topic', () => {
    const all = statements();
    const find = (action: string) => all.filter((statement) => [statement.Action].flat().includes(action));
    expect(JSON.stringify(find('s3:GetObject'))).toMatch(/backfill\/\*.*lookups\/\*.*source=\*/);
    expect(find('s3:PutObject')).toEqual([
      expect.objectContaining({
        Resource: { 'Fn::Join': ['', [{ Ref: 'ArchiveBucketArn' }, '/1password/findings/*']] },
        Condition: { Null: { 's3:if-none-match': 'false' } },
      }),
    ]);
    expect(find('events:PutEvents')).toEqual([
      expect.objectContaining({
        Condition: { StringEquals: { 'events:source': 'op-events-archive.detector' } },
      }),
    ]);
    expect(find('sns:Publish')).toHaveLength(1);
    expect(find('dynamodb:UpdateItem')).toEqual([
      expect.objectContaining({
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['history#*', 'finding#*'] } },
      }),
    ]);
    const kms = all.filter((statement) => JSON.stringify(statement.Action).includes('kms:'));
    for (const statement of kms) expect(statement.Condition).toBeDefined();
    expect(JSON.stringify(all)).not.toMatch(/"Action":"(s3|dynamodb|sns|events|kms):\*"/);
  });

  it('lets only the detector write under findings/, and only write-once, in the bucket policy', () => {
    parent.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DenyFindingWritesExceptTheDetector',
            Effect: 'Deny',
            Action: 's3:PutObject',
            Condition: { ArnNotEquals: { 'aws:PrincipalArn': Match.anyValue() } },
          }),
        ]),
      },
    });
    parent.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DenyArchiveWritesWithoutIfNoneMatch',
            Resource: Match.arrayWith([
              { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.anyValue(), 'Arn'] }, '/1password/findings/*']] },
            ]),
          }),
        ]),
      },
    });
  });

  it('alarms on dead letters, failed invocations and a backlog, to the operations topic, saying what to do', () => {
    expectConsumerAlarms(nested, 'detector', /README: Operate > Detector/);
  });

  it('imports findings into Security Hub only when asked, as the account product and nothing else', () => {
    expect(JSON.stringify(statements())).not.toContain('securityhub');
    const withHub = synth(
      withArchive({ detections: { enabled: true, securityHub: true }, sources: [{ name: 'prod' }] }),
    );
    if (!withHub.stack.detector) throw new Error('no detector');
    const template = Template.fromStack(withHub.stack.detector);
    const productArn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':securityhub:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':product/',
          { Ref: 'AWS::AccountId' },
          '/default',
        ],
      ],
    };
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 'securityhub:BatchImportFindings', Effect: 'Allow', Resource: productArn },
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SECURITY_HUB_PRODUCT_ARN: productArn }) },
    });
  });

  it('has no unacknowledged cdk-nag finding', () => {
    expect(new AwsSolutionsChecks(deployment.app).validateScope(stack)).toEqual({
      success: true,
      violations: [],
    });
  });

  it('writes settings the function reads back as the config meant them', () => {
    const { detections } = parseConfig(
      withArchive({
        detections: {
          enabled: true,
          watchlists: { deniedCountries: ['North Korea', 'RU'] },
          rules: { 'user-mfa-changed': { enabled: false } },
          suppressions: [
            {
              rule: 'new-ip-signin',
              person: 'a@example.com',
              until: '2026-12-31',
              reason: 'travelling all month',
            },
          ],
        },
        sources: [{ name: 'a' }],
      }),
    );
    const settings = parseDetectionSettings(detectionSettingsJson(detections));
    expect(settings.watchlists.deniedCountries).toEqual(['KP', 'RU']);
    expect(settings.rules).toEqual({ 'user-mfa-changed': { enabled: false } });
    expect(settings.suppressions).toHaveLength(1);
  });

  it('refuses detection settings that would not fit the function environment, and names wrong fields', () => {
    const big = Array.from({ length: 200 }, (_, index) => `vault-${String(index).padStart(20, '0')}`);
    expect(() =>
      parseConfig(
        withArchive({
          detections: { enabled: true, watchlists: { privilegedVaults: big } },
          sources: [{ name: 'a' }],
        }),
      ),
    ).toThrow(/detections .*bytes as the detector's DETECTION_SETTINGS/);
    expect(() =>
      parseConfig(
        withArchive({
          detections: { enabled: true, rules: { 'new-ip-signin': { dayz: 3 } } },
          sources: [{ name: 'a' }],
        }),
      ),
    ).toThrow(/detections\.rules\.new-ip-signin\.dayz rule new-ip-signin has no tunable "dayz"/);
    expect(() =>
      parseConfig(withArchive({ detections: { securityEmails: ['nobody'] }, sources: [{ name: 'a' }] })),
    ).toThrow(/detections\.securityEmails\[0\] "nobody" is not an e-mail address/);
  });
});
