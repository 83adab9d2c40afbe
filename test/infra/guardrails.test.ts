import { Match } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../lib/config';
import { synth, withArchive } from './helpers';

const BREAK_GLASS = 'arn:aws:iam::123456789012:role/BreakGlass';
const EXEC_ROLE = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':iam::',
      { Ref: 'AWS::AccountId' },
      ':role/cdk-hnb659fds-cfn-exec-role-',
      { Ref: 'AWS::AccountId' },
      '-',
      { Ref: 'AWS::Region' },
    ],
  ],
};

describe('guardrails against administrators', () => {
  const { parent } = synth(
    withArchive({ guardrails: { breakGlassRoleArns: [BREAK_GLASS] }, sources: [{ name: 'prod' }] }),
  );
  const exempt = { ArnNotLike: { 'aws:PrincipalArn': [BREAK_GLASS, EXEC_ROLE] } };

  it('denies, in the bucket policy, every change that would lift the archive’s protections, to all but break-glass and CloudFormation', () => {
    const statements = Object.values(parent.findResources('AWS::S3::BucketPolicy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>,
    );
    const bySid = (sid: string) => statements.find((statement) => statement.Sid === sid);
    expect(bySid('DenyBucketProtectionChanges')).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Condition: exempt,
      Action: expect.arrayContaining([
        's3:PutBucketObjectLockConfiguration',
        's3:PutLifecycleConfiguration',
        's3:PutEncryptionConfiguration',
        's3:PutBucketVersioning',
        's3:PutBucketPolicy',
        's3:DeleteBucketPolicy',
      ]),
    });
    expect(bySid('DenyRetentionChangesAndVersionDeletes')).toMatchObject({
      Effect: 'Deny',
      Condition: exempt,
      Action: expect.arrayContaining([
        's3:BypassGovernanceRetention',
        's3:PutObjectRetention',
        's3:PutObjectLegalHold',
        's3:DeleteObjectVersion',
      ]),
    });
    expect(bySid('DenyDeletingArchiveObjects')).toMatchObject({
      Effect: 'Deny',
      Action: 's3:DeleteObject',
      Condition: exempt,
    });
    // Lookups may be deleted and replaced: the Deny covers the write-once prefixes only.
    expect(JSON.stringify(bySid('DenyDeletingArchiveObjects')?.Resource)).not.toContain('lookups');
  });

  it('denies deleting, disabling or re-policing the archive key and the notary key, with the same exceptions', () => {
    for (const description of [/^Encrypts the 1Password Events archive/, /^Signs the digests/]) {
      const keys = Object.values(parent.findResources('AWS::KMS::Key')).filter((key) =>
        description.test(String(key.Properties.Description)),
      );
      expect(keys).toHaveLength(1);
      expect(keys[0]?.Properties.KeyPolicy.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Sid: 'DenyDisablingDeletingOrRepolicingTheKey',
            Effect: 'Deny',
            Action: expect.arrayContaining(['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:PutKeyPolicy']),
            Condition: exempt,
          }),
        ]),
      );
    }
  });

  it('takes another CloudFormation execution role when the bootstrap is not the CDK’s', () => {
    const custom = 'arn:aws:iam::123456789012:role/deployer';
    const other = synth(
      withArchive({ guardrails: { cloudFormationExecutionRoleArn: custom }, sources: [{ name: 'prod' }] }),
    );
    other.parent.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DenyBucketProtectionChanges',
            Condition: { ArnNotLike: { 'aws:PrincipalArn': [custom] } },
          }),
        ]),
      },
    });
  });

  it('alarms, through EventBridge and the alarm topic, when anyone makes one of these changes', () => {
    parent.hasResourceProperties('AWS::Events::Rule', {
      Name: 'op-events-archive-guardrail-bucket',
      EventPattern: {
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['s3.amazonaws.com'],
          eventName: Match.anyValue(),
          requestParameters: { bucketName: [{ Ref: Match.stringLikeRegexp('^ArchiveBucket') }] },
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp('^AlarmTopic') },
          InputTransformer: Match.anyValue(),
        }),
      ],
    });
    const bucketRule = Object.values(parent.findResources('AWS::Events::Rule')).find(
      (rule) => rule.Properties.Name === 'op-events-archive-guardrail-bucket',
    );
    // CloudTrail's names, which differ from the IAM actions for a few.
    expect(bucketRule?.Properties.EventPattern.detail.eventName).toEqual(
      expect.arrayContaining([
        'PutObjectLockConfiguration',
        'PutBucketLifecycle',
        'DeleteBucketLifecycle',
        'PutBucketEncryption',
        'PutBucketPolicy',
        'DeleteBucketPolicy',
        'PutBucketVersioning',
      ]),
    );
    // The message names who did it, from where, and the runbook.
    const targets = JSON.stringify(
      Object.values(parent.findResources('AWS::Events::Rule')).map((rule) => rule.Properties.Targets),
    );
    expect(targets).toContain('$.detail.userIdentity.arn');
    expect(targets).toContain('$.detail.sourceIPAddress');
    expect(targets).toContain('README: Operate > Guardrail changes');
    parent.hasResourceProperties('AWS::Events::Rule', {
      Name: 'op-events-archive-guardrail-keys',
      EventPattern: Match.objectLike({
        detail: Match.objectLike({
          eventSource: ['kms.amazonaws.com'],
          eventName: ['ScheduleKeyDeletion', 'DisableKey', 'PutKeyPolicy', 'DisableKeyRotation'],
        }),
      }),
    });
    parent.hasResourceProperties('AWS::Events::Rule', {
      Name: 'op-events-archive-guardrail-objects',
      EventPattern: Match.objectLike({
        detail: Match.objectLike({
          eventName: ['PutObjectRetention', 'PutObjectLegalHold', 'DeleteObject', 'DeleteObjects'],
        }),
      }),
    });
    const quiet = synth(withArchive({ guardrails: { changeAlarms: false }, sources: [{ name: 'prod' }] }));
    quiet.parent.resourceCountIs('AWS::Events::Rule', 0);
  });

  it('names a bad role ARN and what to do', () => {
    expect(() =>
      parseConfig(
        withArchive({ guardrails: { breakGlassRoleArns: ['BreakGlass'] }, sources: [{ name: 'prod' }] }),
      ),
    ).toThrow(/guardrails\.breakGlassRoleArns\[0\].*must be an IAM role ARN/);
  });
});
