/**
 * Who may do what, proven on the synthesized templates without AWS: the policies the stack
 * deploys (the collectors' roles, the archive's bucket policy, the analyst policy, the alarm
 * topic's and the notification queue's policies) are resolved to concrete ARNs in a fake
 * account, and each request is evaluated by an IAM policy evaluator,
 * @cloud-copilot/iam-simulate (AGPL-3.0, a devDependency: it runs here only and is never
 * bundled or imported by lib/ or lambdas/).
 *
 * S3 itself is not simulated: a row says what IAM decides. What S3 then does with a request
 * IAM allows (refuse a PUT with If-None-Match over an existing key, keep a locked version)
 * is S3's part, tested elsewhere against the protocol.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { type EvaluationResult, runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { CfnElement, NestedStack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CfnResolver, type CfnResource, type CfnTemplate } from './cfn-resolver';
import { REPO_ROOT, synth, withArchive } from './helpers';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const OTHER_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/99999999-8888-7777-6666-555555555555`;

interface PolicyDocument {
  readonly Version: string;
  readonly Statement: readonly { readonly Sid?: string; readonly [key: string]: unknown }[];
}

const BREAK_GLASS_ARN = `arn:aws:iam::${ACCOUNT}:role/BreakGlass`;
/** The CDK bootstrap's CloudFormation execution role in the made-up account and region. */
const EXEC_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}`;

const deployment = synth(
  withArchive({
    notifications: { sqs: true },
    guardrails: { breakGlassRoleArns: [BREAK_GLASS_ARN] },
    detections: { enabled: true },
    ocsf: { enabled: true },
    sources: [{ name: 'prod' }, { name: 'acme' }],
  }),
);
const parentTemplate = deployment.parent.toJSON() as CfnTemplate;
const parent = new CfnResolver(parentTemplate, {
  account: ACCOUNT,
  region: REGION,
  stackName: deployment.stack.stackName,
});

function logicalIds(
  template: CfnTemplate,
  type: string,
  where: (resource: CfnResource) => boolean = () => true,
) {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === type && where(resource))
    .map(([id]) => id);
}

function only<T>(items: readonly T[], what: string): T {
  const [item] = items;
  if (items.length !== 1 || item === undefined)
    throw new Error(`expected one ${what}, found ${items.length}`);
  return item;
}

function property(resource: CfnResource | undefined, name: string): unknown {
  return resource?.Properties?.[name];
}

/** The resolved policy document of the one resource of `type` that `where` picks. */
function resourcePolicy(type: string, where: (resource: CfnResource) => boolean): PolicyDocument {
  const id = only(logicalIds(parentTemplate, type, where), type);
  return parent.resolve(property(parentTemplate.Resources[id], 'PolicyDocument'));
}

const refersTo = (id: string) => (value: unknown) => JSON.stringify(value).includes(`"Ref":"${id}"`);

const archiveBucketId = only(
  logicalIds(
    parentTemplate,
    'AWS::S3::Bucket',
    (resource) => property(resource, 'ObjectLockEnabled') === true,
  ),
  'archive bucket',
);
const bucketArn = parent.getAtt(archiveBucketId, 'Arn');
const bucketPolicy = resourcePolicy('AWS::S3::BucketPolicy', (resource) =>
  refersTo(archiveBucketId)(property(resource, 'Bucket')),
);
const keyId = (usage: 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY') =>
  only(
    logicalIds(
      parentTemplate,
      'AWS::KMS::Key',
      (resource) =>
        (property(resource, 'KeyUsage') ?? 'ENCRYPT_DECRYPT') === usage &&
        !String(property(resource, 'Description')).includes('alarm notifications'),
    ),
    `${usage} key`,
  );
const archiveKeyArn = parent.getAtt(keyId('ENCRYPT_DECRYPT'), 'Arn');
const notaryKeyArn = parent.getAtt(keyId('SIGN_VERIFY'), 'Arn');
const archiveKeyPolicy: PolicyDocument = parent.resolve(
  property(parentTemplate.Resources[keyId('ENCRYPT_DECRYPT')], 'KeyPolicy'),
);
const notaryKeyPolicy: PolicyDocument = parent.resolve(
  property(parentTemplate.Resources[keyId('SIGN_VERIFY')], 'KeyPolicy'),
);
const tableArn = parent.getAtt(only(logicalIds(parentTemplate, 'AWS::DynamoDB::Table'), 'table'), 'Arn');
const topicId = only(logicalIds(parentTemplate, 'AWS::SNS::Topic'), 'alarm topic');
const topicArn = parent.ref(topicId);
const topicPolicy = resourcePolicy('AWS::SNS::TopicPolicy', (resource) =>
  refersTo(topicId)(property(resource, 'Topics')),
);
const queueId = only(
  logicalIds(
    parentTemplate,
    'AWS::SQS::Queue',
    (resource) => property(resource, 'RedrivePolicy') !== undefined,
  ),
  'notification queue',
);
const queueArn = parent.getAtt(queueId, 'Arn');
const queuePolicy = resourcePolicy('AWS::SQS::QueuePolicy', (resource) =>
  refersTo(queueId)(property(resource, 'Queues')),
);
const analystPolicy: PolicyDocument = parent.resolve(
  property(
    parentTemplate.Resources[only(logicalIds(parentTemplate, 'AWS::IAM::ManagedPolicy'), 'analyst policy')],
    'PolicyDocument',
  ),
);

/** A nested stack's template, and a resolver that gives its values as CloudFormation would. */
function nestedTemplate(nested: NestedStack | undefined, name: string) {
  if (!nested?.nestedStackResource) throw new Error(`no ${name}`);
  const stackId = deployment.stack.getLogicalId(nested.nestedStackResource as CfnElement);
  const template = Template.fromStack(nested).toJSON() as CfnTemplate;
  const resolver = new CfnResolver(template, {
    account: ACCOUNT,
    region: REGION,
    stackName: `${deployment.stack.stackName}-${name}`,
    parameters: parent.resolve(property(parentTemplate.Resources[stackId], 'Parameters')),
  });
  return { template, resolver };
}

/** A role as IAM sees it: its ARN and the identity policies attached to it. */
function principalOf(template: CfnTemplate, resolver: CfnResolver, roleId: string) {
  return {
    roleArn: resolver.getAtt(roleId, 'Arn'),
    identityPolicies: logicalIds(template, 'AWS::IAM::Policy', (resource) =>
      refersTo(roleId)(property(resource, 'Roles')),
    ).map((id) => ({
      name: id,
      policy: resolver.resolve(property(template.Resources[id], 'PolicyDocument')),
    })),
  };
}

/** A source's collector as IAM sees it: its role and the identity policies attached to it. */
function collectorOf(sourceName: string) {
  const nested = deployment.stack.sources.find(({ collector }) => collector.sourceName === sourceName);
  const { template, resolver } = nestedTemplate(nested, sourceName);
  const roleId = only(
    logicalIds(template, 'AWS::IAM::Role', (resource) =>
      JSON.stringify(property(resource, 'AssumeRolePolicyDocument')).includes('lambda.amazonaws.com'),
    ),
    `collector role of ${sourceName}`,
  );
  const managed = property(template.Resources[roleId], 'ManagedPolicyArns');
  if (managed !== undefined)
    throw new Error(`the collector role of ${sourceName} has managed policies to evaluate`);
  return {
    ...principalOf(template, resolver, roleId),
    secretArn: resolver.ref(only(logicalIds(template, 'AWS::SecretsManager::Secret'), 'token secret')),
  };
}

/** The notary as IAM sees it: its role and the identity policies attached to it. */
const notary = principalOf(
  parentTemplate,
  parent,
  only(
    logicalIds(parentTemplate, 'AWS::IAM::Role', (resource) =>
      JSON.stringify(resource).includes('lambda.amazonaws.com'),
    ).filter((id) => id.startsWith('NotaryFunctionRole')),
    'notary role',
  ),
);

/** A consumer (the detector, the OCSF transformer) as IAM sees it: its named role, from its nested stack. */
function consumerOf(nested: NestedStack | undefined, name: string) {
  const { template, resolver } = nestedTemplate(nested, name);
  return principalOf(template, resolver, only(logicalIds(template, 'AWS::IAM::Role'), `${name} role`));
}

const detector = consumerOf(deployment.stack.detector, 'detector');
const transformer = consumerOf(deployment.stack.ocsf, 'ocsf');

const prod = collectorOf('prod');
const acme = collectorOf('acme');
const objectKey = (source: string) =>
  `source=${source}/type=auditevents/dt=2026-11-28/000000000007.ndjson.gz`;
const prodObject = `${bucketArn}/${objectKey('prod')}`;
const prodDigest = `${bucketArn}/digests/source=prod/000000000042.json`;
const prodFinding = `${bucketArn}/findings/source=prod/dt=2026-11-28/0123456789abcdef0123456789abcdef.json`;
const ocsfObject = `${bucketArn}/ocsf/ext/1password-authentication/region=${REGION}/accountId=${ACCOUNT}/eventDay=20261128/signinattempts-000000000007-0123456789abcdef.parquet`;

/** What every request to S3 over TLS carries. */
const TLS = { 'aws:SecureTransport': 'true', 's3:TlsVersion': '1.3' };
const IF_NONE_MATCH = { 's3:if-none-match': '*' };

const admin = {
  roleArn: `arn:aws:iam::${ACCOUNT}:role/AccountAdministrator`,
  identityPolicies: [
    {
      name: 'AdministratorOfS3',
      policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
    },
  ],
};
const keyAdmin = {
  roleArn: `arn:aws:iam::${ACCOUNT}:role/AccountAdministrator`,
  identityPolicies: [
    {
      name: 'AdministratorOfKms',
      policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] },
    },
  ],
};
/** A principal with every right on S3 and KMS. */
const allPowerful = (roleArn: string): Actor => ({
  roleArn,
  identityPolicies: [
    {
      name: 'AdministratorAccess',
      policy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:*', 'kms:*'], Resource: '*' }],
      },
    },
  ],
});
const breakGlass = allPowerful(BREAK_GLASS_ARN);
const cloudFormation = allPowerful(EXEC_ROLE_ARN);
const analyst = {
  roleArn: `arn:aws:iam::${ACCOUNT}:role/SecurityAnalyst`,
  identityPolicies: [{ name: 'AnalystPolicy', policy: analystPolicy }],
};
const publisher = {
  roleArn: `arn:aws:iam::${ACCOUNT}:user/someone`,
  identityPolicies: [
    {
      name: 'PublishAnywhere',
      policy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }],
      },
    },
  ],
};
const sender = {
  roleArn: `arn:aws:iam::${ACCOUNT}:role/QueueOperator`,
  identityPolicies: [
    {
      name: 'SendAnywhere',
      policy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }],
      },
    },
  ],
};
const alarmArn = (name: string, account = ACCOUNT) => `arn:aws:cloudwatch:${REGION}:${account}:alarm:${name}`;

type Actor = { roleArn: string; identityPolicies: { name: string; policy: unknown }[] };

interface Row {
  readonly actor: string;
  readonly request: string;
  readonly expected: EvaluationResult;
  /** For an explicit denial: the Sids of the resource-policy statements that deny. */
  readonly deniedBy?: readonly string[];
  readonly simulation: Simulation;
}

function simulation(
  principal: Actor | string,
  action: string,
  resource: string,
  contextVariables: Record<string, string | string[]>,
  policy?: PolicyDocument,
): Simulation {
  return {
    request: {
      principal: typeof principal === 'string' ? principal : principal.roleArn,
      action,
      resource: { resource, accountId: ACCOUNT },
      // What IAM sets for every request of a role's session.
      contextVariables:
        typeof principal === 'string'
          ? contextVariables
          : { 'aws:PrincipalArn': principal.roleArn, ...contextVariables },
    },
    identityPolicies: typeof principal === 'string' ? [] : principal.identityPolicies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(policy ? { resourcePolicy: policy } : {}),
  };
}

const s3 = (actor: Actor, action: string, resource: string, context: Record<string, string> = {}) =>
  simulation(actor, action, resource, { ...TLS, ...context }, bucketPolicy);
const keyAction = (actor: Actor, action: string) =>
  simulation(actor, action, archiveKeyArn, {}, archiveKeyPolicy);
const sign = (actor: Actor) =>
  simulation(actor, 'kms:Sign', notaryKeyArn, { 'kms:SigningAlgorithm': 'ECDSA_SHA_256' }, notaryKeyPolicy);

const MATRIX: Row[] = [
  {
    actor: 'collector of prod',
    request: 'PutObject on its prefix, If-None-Match, no encryption header',
    expected: 'Allowed',
    simulation: s3(prod, 's3:PutObject', prodObject, IF_NONE_MATCH),
  },
  {
    actor: 'collector of prod',
    request: 'PutObject on its prefix, If-None-Match, SSE-KMS naming the archive key',
    expected: 'Allowed',
    simulation: s3(prod, 's3:PutObject', prodObject, {
      ...IF_NONE_MATCH,
      's3:x-amz-server-side-encryption': 'aws:kms',
      's3:x-amz-server-side-encryption-aws-kms-key-id': archiveKeyArn,
    }),
  },
  {
    actor: 'collector of prod',
    request: 'PutObject on its prefix without If-None-Match',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyArchiveWritesWithoutIfNoneMatch'],
    simulation: s3(prod, 's3:PutObject', prodObject),
  },
  {
    actor: 'collector of prod',
    request: 'PutObject with SSE-C',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyCustomerProvidedKeys'],
    simulation: s3(prod, 's3:PutObject', prodObject, {
      ...IF_NONE_MATCH,
      's3:x-amz-server-side-encryption-customer-algorithm': 'AES256',
    }),
  },
  {
    actor: 'collector of prod',
    request: 'PutObject with SSE-S3 (AES256)',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyEncryptionOtherThanKms', 'DenyKmsWithoutTheArchiveKeyId'],
    simulation: s3(prod, 's3:PutObject', prodObject, {
      ...IF_NONE_MATCH,
      's3:x-amz-server-side-encryption': 'AES256',
    }),
  },
  {
    actor: 'collector of prod',
    request: 'PutObject with DSSE-KMS under the archive key',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyEncryptionOtherThanKms'],
    simulation: s3(prod, 's3:PutObject', prodObject, {
      ...IF_NONE_MATCH,
      's3:x-amz-server-side-encryption': 'aws:kms:dsse',
      's3:x-amz-server-side-encryption-aws-kms-key-id': archiveKeyArn,
    }),
  },
  {
    actor: 'collector of prod',
    request: 'PutObject with SSE-KMS under another key',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyKmsKeysOtherThanTheArchiveKey'],
    simulation: s3(prod, 's3:PutObject', prodObject, {
      ...IF_NONE_MATCH,
      's3:x-amz-server-side-encryption': 'aws:kms',
      's3:x-amz-server-side-encryption-aws-kms-key-id': OTHER_KEY_ARN,
    }),
  },
  {
    actor: 'collector of prod',
    request: 'PutObject with SSE-KMS and no key id (S3 would use aws/s3)',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyKmsWithoutTheArchiveKeyId'],
    simulation: s3(prod, 's3:PutObject', prodObject, {
      ...IF_NONE_MATCH,
      's3:x-amz-server-side-encryption': 'aws:kms',
    }),
  },
  {
    actor: 'collector of prod',
    request: 'PutObject on the prefix of acme',
    expected: 'ImplicitlyDenied',
    simulation: s3(prod, 's3:PutObject', `${bucketArn}/${objectKey('acme')}`, IF_NONE_MATCH),
  },
  {
    actor: 'collector of prod',
    request: 'GetObject on the prefix of acme',
    expected: 'ImplicitlyDenied',
    simulation: s3(prod, 's3:GetObject', `${bucketArn}/${objectKey('acme')}`),
  },
  {
    actor: 'collector of prod',
    request: 'DeleteObject on its prefix',
    // No grant either: the bucket policy refuses it to everyone but break-glass.
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyDeletingArchiveObjects'],
    simulation: s3(prod, 's3:DeleteObject', prodObject),
  },
  {
    actor: 'collector of prod',
    request: 'BypassGovernanceRetention on its prefix',
    // No grant either: the bucket policy refuses it to everyone but break-glass.
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyRetentionChangesAndVersionDeletes'],
    simulation: s3(prod, 's3:BypassGovernanceRetention', prodObject),
  },
  {
    actor: 'collector of prod',
    request: 'PutObjectRetention on its prefix',
    // No grant either: the bucket policy refuses it to everyone but break-glass.
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyRetentionChangesAndVersionDeletes'],
    simulation: s3(prod, 's3:PutObjectRetention', prodObject),
  },
  {
    actor: 'collector of prod',
    request: 'GetSecretValue on its own token secret',
    expected: 'Allowed',
    simulation: simulation(prod, 'secretsmanager:GetSecretValue', prod.secretArn, {}),
  },
  {
    actor: 'collector of prod',
    request: 'GetSecretValue on the token secret of acme',
    expected: 'ImplicitlyDenied',
    simulation: simulation(prod, 'secretsmanager:GetSecretValue', acme.secretArn, {}),
  },
  {
    actor: 'collector of prod',
    request: 'UpdateItem on its own state item (prod#auditevents)',
    expected: 'Allowed',
    simulation: simulation(prod, 'dynamodb:UpdateItem', tableArn, {
      'dynamodb:LeadingKeys': ['prod#auditevents'],
    }),
  },
  {
    actor: 'collector of prod',
    request: 'UpdateItem on a state item of acme (acme#auditevents)',
    expected: 'ImplicitlyDenied',
    simulation: simulation(prod, 'dynamodb:UpdateItem', tableArn, {
      'dynamodb:LeadingKeys': ['acme#auditevents'],
    }),
  },
  {
    actor: 'administrator with s3:*',
    request: 'PutObject on a source prefix without If-None-Match',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyArchiveWritesWithoutIfNoneMatch'],
    simulation: s3(admin, 's3:PutObject', prodObject),
  },
  {
    actor: 'administrator with s3:*',
    request: 'PutObject on a backfill prefix without If-None-Match',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyArchiveWritesWithoutIfNoneMatch'],
    simulation: s3(
      admin,
      's3:PutObject',
      `${bucketArn}/backfill/20260101T000000Z_20260201T000000Z/${objectKey('prod')}`,
    ),
  },
  {
    actor: 'administrator with s3:*',
    request: 'PutObject on a source prefix with If-None-Match (a new key)',
    expected: 'Allowed',
    simulation: s3(admin, 's3:PutObject', prodObject, IF_NONE_MATCH),
  },
  {
    actor: 'administrator with s3:*',
    request: 'PutObject of a lookup CSV without If-None-Match (lookups are replaced)',
    expected: 'Allowed',
    simulation: s3(admin, 's3:PutObject', `${bucketArn}/lookups/vaults/vaults.csv`),
  },
  {
    actor: 'administrator with s3:*',
    request: 'UpdateObjectEncryption of an archive object',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyRewritingStoredObjects'],
    simulation: s3(admin, 's3:UpdateObjectEncryption', prodObject),
  },
  {
    actor: 'administrator with s3:*',
    request: 'ReplicateObject into the archive',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyRewritingStoredObjects'],
    simulation: s3(admin, 's3:ReplicateObject', prodObject),
  },
  {
    actor: 'administrator with s3:*',
    request: 'DeleteObject of an archive object (a delete marker that hides it)',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyDeletingArchiveObjects'],
    simulation: s3(admin, 's3:DeleteObject', prodObject),
  },
  {
    actor: 'administrator with s3:*',
    request: 'DeleteObject of a lookup CSV',
    expected: 'Allowed',
    simulation: s3(admin, 's3:DeleteObject', `${bucketArn}/lookups/vaults/vaults.csv`),
  },
  ...(
    [
      ['BypassGovernanceRetention', 's3:BypassGovernanceRetention'],
      ['PutObjectRetention', 's3:PutObjectRetention'],
      ['PutObjectLegalHold', 's3:PutObjectLegalHold'],
      ['DeleteObjectVersion', 's3:DeleteObjectVersion'],
    ] as const
  ).map(
    ([name, action]): Row => ({
      actor: 'administrator with s3:*',
      request: `${name} on an archive object`,
      expected: 'ExplicitlyDenied',
      deniedBy: ['DenyRetentionChangesAndVersionDeletes'],
      simulation: s3(admin, action, prodObject),
    }),
  ),
  ...(
    [
      ['PutBucketPolicy', 's3:PutBucketPolicy'],
      ['DeleteBucketPolicy', 's3:DeleteBucketPolicy'],
      ['PutBucketObjectLockConfiguration', 's3:PutBucketObjectLockConfiguration'],
      ['PutLifecycleConfiguration', 's3:PutLifecycleConfiguration'],
      ['PutEncryptionConfiguration', 's3:PutEncryptionConfiguration'],
      ['PutBucketVersioning', 's3:PutBucketVersioning'],
    ] as const
  ).map(
    ([name, action]): Row => ({
      actor: 'administrator with s3:*',
      request: `${name} on the archive bucket`,
      expected: 'ExplicitlyDenied',
      deniedBy: ['DenyBucketProtectionChanges'],
      simulation: s3(admin, action, bucketArn),
    }),
  ),
  ...(
    [
      ['ScheduleKeyDeletion', 'kms:ScheduleKeyDeletion'],
      ['DisableKey', 'kms:DisableKey'],
      ['PutKeyPolicy', 'kms:PutKeyPolicy'],
    ] as const
  ).map(
    ([name, action]): Row => ({
      actor: 'administrator with kms:*',
      request: `${name} on the archive key`,
      expected: 'ExplicitlyDenied',
      deniedBy: ['DenyDisablingDeletingOrRepolicingTheKey'],
      simulation: keyAction(keyAdmin, action),
    }),
  ),
  {
    actor: 'break-glass role with s3:* and kms:*',
    request: 'PutBucketPolicy on the archive bucket',
    expected: 'Allowed',
    simulation: s3(breakGlass, 's3:PutBucketPolicy', bucketArn),
  },
  {
    actor: 'break-glass role with s3:* and kms:*',
    request: 'BypassGovernanceRetention on an archive object',
    expected: 'Allowed',
    simulation: s3(breakGlass, 's3:BypassGovernanceRetention', prodObject),
  },
  {
    actor: 'break-glass role with s3:* and kms:*',
    request: 'ScheduleKeyDeletion on the archive key',
    expected: 'Allowed',
    simulation: keyAction(breakGlass, 'kms:ScheduleKeyDeletion'),
  },
  {
    actor: 'CloudFormation execution role',
    request: 'PutBucketPolicy on the archive bucket (a deploy)',
    expected: 'Allowed',
    simulation: s3(cloudFormation, 's3:PutBucketPolicy', bucketArn),
  },
  {
    actor: 'CloudFormation execution role',
    request: 'PutKeyPolicy on the archive key (a deploy)',
    expected: 'Allowed',
    simulation: keyAction(cloudFormation, 'kms:PutKeyPolicy'),
  },
  {
    actor: 'the detector',
    request: 'PutObject of a finding, If-None-Match',
    expected: 'Allowed',
    simulation: s3(detector, 's3:PutObject', prodFinding, IF_NONE_MATCH),
  },
  {
    actor: 'the detector',
    request: 'PutObject of a finding without If-None-Match (an overwrite)',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyArchiveWritesWithoutIfNoneMatch'],
    simulation: s3(detector, 's3:PutObject', prodFinding),
  },
  {
    actor: 'the detector',
    request: 'PutObject of a batch on a source prefix',
    expected: 'ImplicitlyDenied',
    simulation: s3(detector, 's3:PutObject', prodObject, IF_NONE_MATCH),
  },
  {
    actor: 'the detector',
    request: 'PutObject of a digest',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyDigestWritesExceptTheNotary'],
    simulation: s3(detector, 's3:PutObject', prodDigest, IF_NONE_MATCH),
  },
  {
    actor: 'the detector',
    request: 'GetObject of a batch on a source prefix',
    expected: 'Allowed',
    simulation: s3(detector, 's3:GetObject', prodObject),
  },
  {
    actor: 'the detector',
    request: 'GetObject of a digest',
    expected: 'ImplicitlyDenied',
    simulation: s3(detector, 's3:GetObject', prodDigest),
  },
  {
    actor: 'the OCSF transformer',
    request: 'PutObject of an OCSF object, If-None-Match',
    expected: 'Allowed',
    simulation: s3(transformer, 's3:PutObject', ocsfObject, IF_NONE_MATCH),
  },
  {
    actor: 'the OCSF transformer',
    request: 'PutObject of an OCSF object without If-None-Match (an overwrite)',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyArchiveWritesWithoutIfNoneMatch'],
    simulation: s3(transformer, 's3:PutObject', ocsfObject),
  },
  {
    actor: 'the OCSF transformer',
    request: 'PutObject of a batch on a source prefix',
    expected: 'ImplicitlyDenied',
    simulation: s3(transformer, 's3:PutObject', prodObject, IF_NONE_MATCH),
  },
  {
    actor: 'the OCSF transformer',
    request: 'PutObject of a finding',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyFindingWritesExceptTheDetector'],
    simulation: s3(transformer, 's3:PutObject', prodFinding, IF_NONE_MATCH),
  },
  {
    actor: 'the OCSF transformer',
    request: 'GetObject of a batch on a source prefix',
    expected: 'Allowed',
    simulation: s3(transformer, 's3:GetObject', prodObject),
  },
  {
    actor: 'the OCSF transformer',
    request: 'GetObject of a digest',
    expected: 'Allowed',
    simulation: s3(transformer, 's3:GetObject', prodDigest),
  },
  {
    actor: 'the detector',
    request: 'PutObject of an OCSF object, If-None-Match',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyOcsfWritesExceptTheTransformer'],
    simulation: s3(detector, 's3:PutObject', ocsfObject, IF_NONE_MATCH),
  },
  {
    actor: 'administrator with s3:*',
    request: 'PutObject of an OCSF object, If-None-Match',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyOcsfWritesExceptTheTransformer'],
    simulation: s3(admin, 's3:PutObject', ocsfObject, IF_NONE_MATCH),
  },
  {
    actor: 'collector of prod',
    request: 'PutObject of a finding, If-None-Match',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyFindingWritesExceptTheDetector'],
    simulation: s3(prod, 's3:PutObject', prodFinding, IF_NONE_MATCH),
  },
  {
    actor: 'administrator with s3:*',
    request: 'PutObject of a finding, If-None-Match',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyFindingWritesExceptTheDetector'],
    simulation: s3(admin, 's3:PutObject', prodFinding, IF_NONE_MATCH),
  },
  {
    actor: 'the notary',
    request: 'PutObject of a digest, If-None-Match',
    expected: 'Allowed',
    simulation: s3(notary, 's3:PutObject', prodDigest, IF_NONE_MATCH),
  },
  {
    actor: 'the notary',
    request: 'PutObject of a digest without If-None-Match',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyArchiveWritesWithoutIfNoneMatch'],
    simulation: s3(notary, 's3:PutObject', prodDigest),
  },
  {
    actor: 'the notary',
    request: 'PutObject on a source prefix',
    expected: 'ImplicitlyDenied',
    simulation: s3(notary, 's3:PutObject', prodObject, IF_NONE_MATCH),
  },
  {
    actor: 'the notary',
    request: 'GetObject on a source prefix (the metadata it signs)',
    expected: 'Allowed',
    simulation: s3(notary, 's3:GetObject', prodObject),
  },
  {
    actor: 'the notary',
    request: 'kms:Sign with the notary key',
    expected: 'Allowed',
    simulation: sign(notary),
  },
  {
    actor: 'collector of prod',
    request: 'PutObject of a digest',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyDigestWritesExceptTheNotary'],
    simulation: s3(prod, 's3:PutObject', prodDigest, IF_NONE_MATCH),
  },
  {
    actor: 'collector of prod',
    request: 'kms:Sign with the notary key',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenySigningByAnyoneButTheNotary'],
    simulation: sign(prod),
  },
  {
    actor: 'administrator with s3:*',
    request: 'PutObject of a digest, If-None-Match',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyDigestWritesExceptTheNotary'],
    simulation: s3(admin, 's3:PutObject', prodDigest, IF_NONE_MATCH),
  },
  {
    actor: 'administrator with kms:*',
    request: 'kms:Sign with the notary key',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenySigningByAnyoneButTheNotary'],
    simulation: sign(keyAdmin),
  },
  {
    actor: 'analyst (AnalystPolicy)',
    request: 'GetObject of a digest',
    expected: 'Allowed',
    simulation: s3(analyst, 's3:GetObject', prodDigest),
  },
  {
    actor: 'analyst (AnalystPolicy)',
    request: 'kms:GetPublicKey of the notary key',
    expected: 'Allowed',
    simulation: simulation(analyst, 'kms:GetPublicKey', notaryKeyArn, {}, notaryKeyPolicy),
  },
  {
    actor: 'analyst (AnalystPolicy)',
    request: 'GetObject on a source prefix',
    expected: 'Allowed',
    simulation: s3(analyst, 's3:GetObject', prodObject),
  },
  {
    actor: 'analyst (AnalystPolicy)',
    request: 'GetObject on a backfill prefix',
    expected: 'Allowed',
    simulation: s3(
      analyst,
      's3:GetObject',
      `${bucketArn}/backfill/20260101T000000Z_20260201T000000Z/${objectKey('prod')}`,
    ),
  },
  {
    actor: 'analyst (AnalystPolicy)',
    request: 'PutObject on a source prefix',
    expected: 'ImplicitlyDenied',
    simulation: s3(analyst, 's3:PutObject', prodObject, IF_NONE_MATCH),
  },
  {
    actor: 'analyst (AnalystPolicy)',
    request: 'PutObject on a backfill prefix',
    expected: 'ImplicitlyDenied',
    simulation: s3(
      analyst,
      's3:PutObject',
      `${bucketArn}/backfill/20260101T000000Z_20260201T000000Z/${objectKey('prod')}`,
      IF_NONE_MATCH,
    ),
  },
  {
    actor: 'analyst (AnalystPolicy)',
    request: 'PutObject of a lookup CSV',
    expected: 'ImplicitlyDenied',
    simulation: s3(analyst, 's3:PutObject', `${bucketArn}/lookups/vaults/vaults.csv`),
  },
  {
    actor: 'anyone in the account with sns:Publish',
    request: 'Publish to the alarm topic',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyPublishingByAnyoneElse'],
    simulation: simulation(
      publisher,
      'sns:Publish',
      topicArn,
      { 'aws:SecureTransport': 'true' },
      topicPolicy,
    ),
  },
  {
    actor: 'CloudWatch, for an alarm of this deployment',
    request: 'Publish to the alarm topic',
    expected: 'Allowed',
    simulation: simulation(
      'cloudwatch.amazonaws.com',
      'sns:Publish',
      topicArn,
      {
        'aws:SecureTransport': 'true',
        'aws:SourceAccount': ACCOUNT,
        'aws:SourceArn': alarmArn('op-events-archive-prod-auth-failure'),
      },
      topicPolicy,
    ),
  },
  {
    actor: 'CloudWatch, for another alarm of the account',
    request: 'Publish to the alarm topic',
    expected: 'ExplicitlyDenied',
    deniedBy: ['DenyPublishingByAnyoneElse'],
    simulation: simulation(
      'cloudwatch.amazonaws.com',
      'sns:Publish',
      topicArn,
      {
        'aws:SecureTransport': 'true',
        'aws:SourceAccount': ACCOUNT,
        'aws:SourceArn': alarmArn('billing-alarm'),
      },
      topicPolicy,
    ),
  },
  {
    actor: 'S3, for the archive bucket',
    request: 'SendMessage to the notification queue',
    expected: 'Allowed',
    simulation: simulation(
      's3.amazonaws.com',
      'sqs:SendMessage',
      queueArn,
      { 'aws:SecureTransport': 'true', 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': bucketArn },
      queuePolicy,
    ),
  },
  {
    actor: 'S3, for another bucket of the account',
    request: 'SendMessage to the notification queue',
    expected: 'ImplicitlyDenied',
    simulation: simulation(
      's3.amazonaws.com',
      'sqs:SendMessage',
      queueArn,
      {
        'aws:SecureTransport': 'true',
        'aws:SourceAccount': ACCOUNT,
        'aws:SourceArn': 'arn:aws:s3:::another-bucket',
      },
      queuePolicy,
    ),
  },
  {
    actor: 'anyone in the account with sqs:SendMessage',
    request: 'SendMessage to the notification queue (not guarded: redriving dead letters needs it)',
    expected: 'Allowed',
    simulation: simulation(
      sender,
      'sqs:SendMessage',
      queueArn,
      { 'aws:SecureTransport': 'true' },
      queuePolicy,
    ),
  },
];

async function evaluate(input: Simulation) {
  const response = await runSimulation(input, {});
  if (response.resultType === 'error') throw new Error(JSON.stringify(response.errors, undefined, 2));
  if (response.resultType !== 'single') throw new Error(`expected one result, got ${response.resultType}`);
  const { analysis, ignoredContextKeys } = response.result;
  return {
    result: response.overallResult,
    // A key the evaluator drops as foreign to the action would make a row prove nothing.
    ignoredContextKeys: ignoredContextKeys ?? [],
    deniedBy: (analysis.resourceAnalysis?.denyStatements ?? [])
      .map(({ explain }) => explain.identifier)
      .sort(),
  };
}

function withoutStatement(policy: PolicyDocument, sid: string): PolicyDocument {
  const statements = policy.Statement.filter((statement) => statement.Sid !== sid);
  if (statements.length !== policy.Statement.length - 1) throw new Error(`no statement ${sid}`);
  return { ...policy, Statement: statements };
}

function row(actor: string, request: string): Row {
  const found = MATRIX.find((candidate) => candidate.actor === actor && candidate.request === request);
  if (!found) throw new Error(`no row "${actor}: ${request}"`);
  return found;
}

describe('IAM evaluation matrix', () => {
  it('keeps the evaluator a test tool: nothing that is deployed or shipped imports it', () => {
    const shipped = ['bin', 'lib', 'lambdas', 'cli'].flatMap((dir) =>
      readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts'))
        .map((file) => path.join(dir, file)),
    );

    expect(shipped.length).toBeGreaterThan(20);
    expect(
      shipped.filter((file) => readFileSync(path.join(REPO_ROOT, file), 'utf8').includes('@cloud-copilot/')),
    ).toEqual([]);
  });

  it('resolves the templates to concrete ARNs of one account', () => {
    expect(bucketArn).toMatch(/^arn:aws:s3:::[a-z0-9.-]+$/);
    expect(prod.roleArn).toMatch(new RegExp(`^arn:aws:iam::${ACCOUNT}:role/`));
    expect(prod.secretArn).not.toBe(acme.secretArn);
    expect(
      JSON.stringify([bucketPolicy, topicPolicy, queuePolicy, analystPolicy, prod.identityPolicies]),
    ).not.toMatch(/"(Ref|Fn::[A-Za-z]+)"/);
  });

  it.each(MATRIX.map((entry) => [entry.actor, entry.request, entry.expected, entry] as const))(
    '%s: %s → %s',
    async (_actor, _request, expected, entry) => {
      const outcome = await evaluate(entry.simulation);

      expect(outcome.ignoredContextKeys).toEqual([]);
      expect(outcome.result).toBe(expected);
      if (entry.deniedBy) expect(outcome.deniedBy).toEqual([...entry.deniedBy].sort());
    },
  );

  describe('each statement is needed: without it, a request the matrix refuses goes through', () => {
    it.each([
      [
        'DenyArchiveWritesWithoutIfNoneMatch',
        'collector of prod',
        'PutObject on its prefix without If-None-Match',
      ],
      [
        'DenyArchiveWritesWithoutIfNoneMatch',
        'administrator with s3:*',
        'PutObject on a source prefix without If-None-Match',
      ],
      ['DenyCustomerProvidedKeys', 'collector of prod', 'PutObject with SSE-C'],
      [
        'DenyFindingWritesExceptTheDetector',
        'administrator with s3:*',
        'PutObject of a finding, If-None-Match',
      ],
      ['DenyEncryptionOtherThanKms', 'collector of prod', 'PutObject with DSSE-KMS under the archive key'],
      ['DenyKmsKeysOtherThanTheArchiveKey', 'collector of prod', 'PutObject with SSE-KMS under another key'],
      [
        'DenyKmsWithoutTheArchiveKeyId',
        'collector of prod',
        'PutObject with SSE-KMS and no key id (S3 would use aws/s3)',
      ],
      [
        'DenyRewritingStoredObjects',
        'administrator with s3:*',
        'UpdateObjectEncryption of an archive object',
      ],
    ])('bucket policy without %s: %s may %s', async (sid, actor, request) => {
      const { simulation: original } = row(actor, request);

      const outcome = await evaluate({ ...original, resourcePolicy: withoutStatement(bucketPolicy, sid) });

      expect(outcome.result).toBe('Allowed');
    });

    it.each([
      ['collector of prod', 'PutObject of a digest'],
      ['administrator with s3:*', 'PutObject of a digest, If-None-Match'],
    ])('bucket policy without DenyDigestWritesExceptTheNotary: %s may %s', async (actor, request) => {
      const { simulation: original } = row(actor, request);
      const withoutDeny = withoutStatement(bucketPolicy, 'DenyDigestWritesExceptTheNotary');
      // The collector has no grant there at all; the administrator's s3:* is what the Deny stops.
      const outcome = await evaluate({ ...original, resourcePolicy: withoutDeny });
      expect(outcome.result).toBe(actor === 'administrator with s3:*' ? 'Allowed' : 'ImplicitlyDenied');
    });

    it.each([
      ['DenyBucketProtectionChanges', 'PutBucketPolicy on the archive bucket'],
      ['DenyRetentionChangesAndVersionDeletes', 'BypassGovernanceRetention on an archive object'],
      ['DenyDeletingArchiveObjects', 'DeleteObject of an archive object (a delete marker that hides it)'],
    ])('bucket policy without %s: an administrator with s3:* may %s', async (sid, request) => {
      const { simulation: original } = row('administrator with s3:*', request);
      const outcome = await evaluate({ ...original, resourcePolicy: withoutStatement(bucketPolicy, sid) });
      expect(outcome.result).toBe('Allowed');
    });

    it('key policy without DenyDisablingDeletingOrRepolicingTheKey: an administrator with kms:* may schedule its deletion', async () => {
      const { simulation: original } = row(
        'administrator with kms:*',
        'ScheduleKeyDeletion on the archive key',
      );
      const outcome = await evaluate({
        ...original,
        resourcePolicy: withoutStatement(archiveKeyPolicy, 'DenyDisablingDeletingOrRepolicingTheKey'),
      });
      expect(outcome.result).toBe('Allowed');
    });

    it('key policy without DenySigningByAnyoneButTheNotary: an administrator with kms:* may sign a digest', async () => {
      const { simulation: original } = row('administrator with kms:*', 'kms:Sign with the notary key');
      const outcome = await evaluate({
        ...original,
        resourcePolicy: withoutStatement(notaryKeyPolicy, 'DenySigningByAnyoneButTheNotary'),
      });
      expect(outcome.result).toBe('Allowed');
    });

    it('topic policy without DenyPublishingByAnyoneElse: anyone with sns:Publish may page the on-call engineer', async () => {
      const { simulation: original } = row(
        'anyone in the account with sns:Publish',
        'Publish to the alarm topic',
      );

      const outcome = await evaluate({
        ...original,
        resourcePolicy: withoutStatement(topicPolicy, 'DenyPublishingByAnyoneElse'),
      });

      expect(outcome.result).toBe('Allowed');
    });

    it('without their Allow statements, neither CloudWatch nor S3 gets through', async () => {
      const alarms = row(
        'CloudWatch, for an alarm of this deployment',
        'Publish to the alarm topic',
      ).simulation;
      const notifications = row(
        'S3, for the archive bucket',
        'SendMessage to the notification queue',
      ).simulation;

      const withoutAlarms = await evaluate({
        ...alarms,
        resourcePolicy: withoutStatement(topicPolicy, 'AllowThisDeploymentsAlarms'),
      });
      const withoutNotifications = await evaluate({
        ...notifications,
        resourcePolicy: withoutStatement(queuePolicy, 'AllowArchiveNotifications'),
      });

      expect(withoutAlarms.result).toBe('ImplicitlyDenied');
      expect(withoutNotifications.result).toBe('ImplicitlyDenied');
    });
  });
});
