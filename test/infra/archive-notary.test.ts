import { Match } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../lib/config';
import { synth, withArchive } from './helpers';

describe('the notary (signed digests)', () => {
  const { parent } = synth(
    withArchive({ archive: { prefix: '1password/' }, sources: [{ name: 'prod' }, { name: 'acme' }] }),
  );
  const notaryRole = () => {
    const [id] = Object.keys(
      parent.findResources('AWS::IAM::Role', { Properties: { Description: Match.absent() } }),
    ).filter((candidate) => candidate.startsWith('NotaryFunctionRole'));
    if (!id) throw new Error('no notary role');
    return id;
  };
  const notaryPolicy = () => {
    const policies = parent.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: notaryRole() }] },
    });
    const [policy] = Object.values(policies);
    return policy?.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>;
  };

  it('signs with an asymmetric P-256 key that is kept, and that only the notary may use to sign', () => {
    parent.hasResource('AWS::KMS::Key', {
      Properties: {
        KeySpec: 'ECC_NIST_P256',
        KeyUsage: 'SIGN_VERIFY',
        KeyPolicy: {
          Statement: Match.arrayWith([
            {
              Sid: 'DenySigningByAnyoneButTheNotary',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 'kms:Sign',
              Resource: '*',
              Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [notaryRole(), 'Arn'] } } },
            },
          ]),
        },
      },
      DeletionPolicy: 'Retain',
    });
    parent.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/op-events-archive-notary' });
    parent.hasOutput('NotaryKeyArn', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NotarySigningKey'), 'Arn'] },
    });
  });

  it('is told every source, the key, the table and the archive', () => {
    parent.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'op-events-archive-notary',
      Runtime: 'nodejs24.x',
      Timeout: 300,
      Environment: {
        Variables: Match.objectLike({
          SOURCE_NAMES: 'prod,acme',
          NOTARY_KEY_ID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NotarySigningKey'), 'Arn'] },
          ARCHIVE_PREFIX: '1password/',
        }),
      },
    });
  });

  it('may write only digests, read the sources, sign only ECDSA_SHA_256, and move only its own state items', () => {
    const statements = notaryPolicy();
    const puts = statements.filter((statement) => [statement.Action].flat().includes('s3:PutObject'));
    expect(puts).toHaveLength(1);
    expect(JSON.stringify(puts[0]?.Resource)).toContain('/1password/digests/*');
    expect(JSON.stringify(puts[0]?.Resource)).not.toContain('source=');
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 'kms:Sign',
          Condition: { StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256' } },
        }),
        expect.objectContaining({
          Action: 'dynamodb:UpdateItem',
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['notary:*'] } },
        }),
        expect.objectContaining({
          Action: 's3:ListBucket',
          Condition: { StringLike: { 's3:prefix': ['1password/source=*', '1password/digests/*'] } },
        }),
      ]),
    );
    const actions = statements.flatMap((statement) => [statement.Action].flat()).sort();
    expect(actions).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'kms:GenerateDataKey',
      'kms:GetPublicKey',
      'kms:Sign',
      // Its own log group only (HouseNodejsFunction).
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
  });

  it('is the only principal the bucket lets write digests, and each digest only once', () => {
    const digests = {
      'Fn::Join': [
        '',
        [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^ArchiveBucket'), 'Arn'] }, '/1password/digests/*'],
      ],
    };
    parent.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'DenyDigestWritesExceptTheNotary',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:PutObject',
            Resource: digests,
            Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [notaryRole(), 'Arn'] } } },
          },
        ]),
      },
    });
  });

  it('runs hourly by default in the deployment group, every notary.scheduleMinutes when set', () => {
    parent.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'op-events-archive-notary',
      GroupName: 'op-events-archive',
      ScheduleExpression: 'rate(1 hour)',
      Target: Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } }),
    });
    const quarterly = synth(withArchive({ notary: { scheduleMinutes: 15 }, sources: [{ name: 'prod' }] }));
    quarterly.parent.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'op-events-archive-notary',
      ScheduleExpression: 'rate(15 minutes)',
    });
  });

  it('alarms on AWS/Lambda metrics of its own function, which no other function can publish', () => {
    parent.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'op-events-archive-notary-errors',
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^NotaryFunction') } }],
      Threshold: 1,
    });
    parent.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'op-events-archive-notary-not-running',
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      EvaluationPeriods: 2,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(invocations, 0) - FILL(errors, 0)' }),
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ Namespace: 'AWS/Lambda', MetricName: 'Invocations' }),
          }),
        }),
      ]),
    });
    parent.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'op-events-archive-notary-schedule-failed',
    });
  });

  it('lets analysts read the public key and the digests', () => {
    parent.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'ReadTheNotaryPublicKey',
            Action: ['kms:DescribeKey', 'kms:GetPublicKey'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NotarySigningKey'), 'Arn'] },
          }),
        ]),
      },
    });
  });

  it('refuses a schedule outside 5 minutes to a day, naming the field', () => {
    for (const [minutes, message] of [
      [2, /notary\.scheduleMinutes.*at least 5/],
      [2000, /notary\.scheduleMinutes.*at most 1440/],
      [7.5, /notary\.scheduleMinutes.*whole number of minutes/],
    ] as const) {
      expect(() =>
        parseConfig(withArchive({ notary: { scheduleMinutes: minutes }, sources: [{ name: 'prod' }] })),
      ).toThrow(message);
    }
  });
});
