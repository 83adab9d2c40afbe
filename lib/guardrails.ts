/**
 * Guardrails against the account's own administrators (README, Security): resource-policy
 * denials that hold whatever an identity policy allows (`s3:*`, `kms:*`), with exceptions only
 * for the principals that must keep the power (a break-glass role, and the CloudFormation
 * execution role that deploys the stack), and alarms when anyone uses those powers.
 */
import { Arn, Aws, DefaultStackSynthesizer, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** The principals a guardrail lets through, matched on `aws:PrincipalArn` (wildcards allowed). */
export type Exempt = readonly string[];

/**
 * The CloudFormation execution role of the CDK bootstrap the stack deploys with: the role
 * CloudFormation changes the bucket and the keys as.
 */
export function cloudFormationExecutionRoleArn(scope: Construct): string {
  const synthesizer = Stack.of(scope).synthesizer;
  const qualifier =
    synthesizer instanceof DefaultStackSynthesizer
      ? ((synthesizer as unknown as { qualifier?: string }).qualifier ??
        DefaultStackSynthesizer.DEFAULT_QUALIFIER)
      : DefaultStackSynthesizer.DEFAULT_QUALIFIER;
  return `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/cdk-${qualifier}-cfn-exec-role-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
}

const unlessExempt = (exempt: Exempt) => ({ ArnNotLike: { 'aws:PrincipalArn': [...exempt] } });

/** Actions on the bucket itself that would lift, weaken or route around the archive's protections. */
export const GUARDED_BUCKET_ACTIONS = [
  's3:PutBucketObjectLockConfiguration',
  's3:PutLifecycleConfiguration',
  's3:PutEncryptionConfiguration',
  's3:PutBucketVersioning',
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
  's3:PutBucketPublicAccessBlock',
  's3:PutBucketOwnershipControls',
  's3:DeleteBucket',
] as const;

/** Actions on stored objects that would shorten their retention, or remove or hide versions. */
export const GUARDED_OBJECT_ACTIONS = [
  's3:BypassGovernanceRetention',
  's3:PutObjectRetention',
  's3:PutObjectLegalHold',
  's3:DeleteObjectVersion',
] as const;

/**
 * Denies in the archive bucket's policy, for every principal but `exempt`: changes to the
 * bucket's lock, lifecycle, encryption, versioning and policy; retention bypass and changes,
 * legal holds, version deletes; and delete markers on the write-once keys (`writeOnceObjects`),
 * which would hide evidence from Athena and the SIEM.
 */
export function addBucketGuardrails(
  bucket: s3.Bucket,
  writeOnceObjects: readonly string[],
  exempt: Exempt,
): void {
  const deny = (sid: string, actions: readonly string[], resources: readonly string[]) =>
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid,
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...actions],
        resources: [...resources],
        conditions: unlessExempt(exempt),
      }),
    );
  deny('DenyBucketProtectionChanges', GUARDED_BUCKET_ACTIONS, [bucket.bucketArn]);
  deny('DenyRetentionChangesAndVersionDeletes', GUARDED_OBJECT_ACTIONS, [bucket.arnForObjects('*')]);
  deny('DenyDeletingArchiveObjects', ['s3:DeleteObject'], writeOnceObjects);
}

/** Actions on a key that would make what it encrypts or signs unusable, or hand it to others. */
export const GUARDED_KEY_ACTIONS = [
  'kms:ScheduleKeyDeletion',
  'kms:DisableKey',
  'kms:PutKeyPolicy',
  'kms:DisableKeyRotation',
] as const;

/** Denies in a key's policy, for every principal but `exempt`: deletion, disabling, policy changes. */
export function addKeyGuardrails(
  key: kms.Key,
  exempt: Exempt,
  options: { rotates: boolean } = { rotates: true },
): void {
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DenyDisablingDeletingOrRepolicingTheKey',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      // An asymmetric key does not rotate: DisableKeyRotation does not apply to it.
      actions: GUARDED_KEY_ACTIONS.filter((action) => options.rotates || action !== 'kms:DisableKeyRotation'),
      resources: ['*'],
      conditions: unlessExempt(exempt),
    }),
  );
}

/** Properties of {@link GuardrailAlarms}. */
export interface GuardrailAlarmsProps {
  readonly bucket: s3.IBucket;
  /** The keys whose changes alarm (the archive's, the notary's). */
  readonly keys: readonly kms.IKey[];
  readonly topic: sns.ITopic;
  /** Prefix of the rules' names: `<prefix>-guardrail-bucket`, `-objects`, `-keys`. */
  readonly namePrefix: string;
}

/**
 * EventBridge rules on CloudTrail's record of the guarded actions, to the alarm topic, for
 * everyone (the exempt principals and the root user included: they are the ones who can).
 * Management events reach EventBridge only while a CloudTrail trail logs them; the object-level
 * ones (retention, legal holds, version deletes) only with S3 data events on the bucket.
 */
export class GuardrailAlarms extends Construct {
  public readonly rules: events.Rule[];

  constructor(scope: Construct, id: string, props: GuardrailAlarmsProps) {
    super(scope, id);
    const bucketName = props.bucket.bucketName;
    const s3Names = (actions: readonly string[]) => actions.map((action) => cloudTrailEventName(action));
    const message = (what: string) =>
      events.RuleTargetInput.fromText(
        `GUARDRAIL CHANGE on the 1Password Events archive: ${events.EventField.fromPath('$.detail.eventName')} on ${what} ` +
          `by ${events.EventField.fromPath('$.detail.userIdentity.arn')} from ${events.EventField.fromPath('$.detail.sourceIPAddress')} ` +
          `at ${events.EventField.fromPath('$.detail.eventTime')} (error: ${events.EventField.fromPath('$.detail.errorCode')}). ` +
          'If nobody planned it, treat it as an incident: the change weakens what keeps the archive immutable or readable. ' +
          'First: find the CloudTrail event (its request parameters say what changed), then run op-events-archive verify with the notary key. ' +
          'README: Operate > Guardrail changes.',
      );
    const rule = (ruleId: string, name: string, detail: Record<string, unknown>, what: string) => {
      const created = new events.Rule(this, ruleId, {
        ruleName: `${props.namePrefix}-guardrail-${name}`,
        description: `Alarms on changes to the protections of the 1Password Events archive (${name})`,
        eventPattern: { detailType: ['AWS API Call via CloudTrail'], detail },
      });
      created.addTarget(new targets.SnsTopic(props.topic, { message: message(what) }));
      return created;
    };
    this.rules = [
      rule(
        'Bucket',
        'bucket',
        {
          eventSource: ['s3.amazonaws.com'],
          // The deletes are authorised by the Put actions: DeleteBucketLifecycle needs s3:PutLifecycleConfiguration.
          eventName: [
            ...s3Names(GUARDED_BUCKET_ACTIONS),
            'DeleteBucketLifecycle',
            'DeleteBucketEncryption',
            'DeleteBucketPublicAccessBlock',
            'DeleteBucketOwnershipControls',
          ],
          requestParameters: { bucketName: [bucketName] },
        },
        `bucket ${events.EventField.fromPath('$.detail.requestParameters.bucketName')}`,
      ),
      rule(
        'Objects',
        'objects',
        {
          eventSource: ['s3.amazonaws.com'],
          eventName: ['PutObjectRetention', 'PutObjectLegalHold', 'DeleteObject', 'DeleteObjects'],
          requestParameters: { bucketName: [bucketName] },
        },
        `object ${events.EventField.fromPath('$.detail.requestParameters.key')}`,
      ),
      rule(
        'Keys',
        'keys',
        {
          eventSource: ['kms.amazonaws.com'],
          eventName: ['ScheduleKeyDeletion', 'DisableKey', 'PutKeyPolicy', 'DisableKeyRotation'],
          resources: { ARN: props.keys.map((key) => key.keyArn) },
        },
        `key ${events.EventField.fromPath('$.detail.requestParameters.keyId')}`,
      ),
    ];
  }

  /** ARNs of the rules, for the topic policy: `arn:…:rule/<prefix>-guardrail-*`. */
  static ruleArnPattern(namePrefix: string): string {
    return Arn.format({
      partition: Aws.PARTITION,
      service: 'events',
      region: Aws.REGION,
      account: Aws.ACCOUNT_ID,
      resource: 'rule',
      resourceName: `${namePrefix}-guardrail-*`,
    });
  }
}

/** The CloudTrail `eventName` of an IAM action on a bucket (they differ for a few). */
function cloudTrailEventName(action: string): string {
  const name = action.replace(/^s3:/, '');
  const renamed: Record<string, string> = {
    PutLifecycleConfiguration: 'PutBucketLifecycle',
    PutEncryptionConfiguration: 'PutBucketEncryption',
    PutBucketObjectLockConfiguration: 'PutObjectLockConfiguration',
  };
  return renamed[name] ?? name;
}
