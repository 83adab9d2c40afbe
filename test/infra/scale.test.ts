import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MAX_SOURCES } from '../../lib/config';
import { CfnResolver, type CfnTemplate } from './cfn-resolver';
import { synth, withArchive } from './helpers';

/** CloudFormation's per-stack limits. */
const MAX_RESOURCES = 500;
const MAX_OUTPUTS = 200;
const MAX_PARAMETERS = 200;
/** Largest template CloudFormation accepts from S3, where the CDK uploads the templates. */
const MAX_TEMPLATE_BYTES = 1_000_000;

/** `count` sources; `longest` gives every source name its 40 characters and the deployment name its 23. */
function deploymentOf(count: number, longest = false) {
  return synth(
    withArchive({
      ...(longest ? { name: 'op-events-archive-group' } : {}),
      alarms: { emails: ['oncall@example.com'] },
      notifications: { sqs: true, eventBridge: true },
      detections: { enabled: true, securityEmails: ['security@example.com'] },
      collector: { accountConcurrencyQuota: 100 + count },
      sources: Array.from({ length: count }, (_, index) => ({
        name: longest
          ? `subsidiary-${String(index).padStart(29, '0')}`
          : `account-${String(index).padStart(3, '0')}`,
      })),
    }),
  );
}

/** The most a bucket policy may weigh in S3. */
const MAX_BUCKET_POLICY_BYTES = 20 * 1024;

/**
 * Size of the archive bucket's policy as S3 receives it: references resolved, with a bucket
 * name of the 63 characters S3 allows at most.
 */
function archiveBucketPolicyBytes(deployment: ReturnType<typeof deploymentOf>): number {
  const template = deployment.parent.toJSON() as CfnTemplate;
  const [bucketId] = Object.entries(template.Resources).find(
    ([, resource]) => resource.Type === 'AWS::S3::Bucket' && resource.Properties?.ObjectLockEnabled === true,
  ) ?? [''];
  const longest = { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'b'.repeat(63) } };
  const resolver = new CfnResolver(
    { ...template, Resources: { ...template.Resources, [bucketId]: longest } },
    { account: '123456789012', region: 'ap-southeast-2', stackName: deployment.stack.stackName },
  );
  const [policy] = Object.values(template.Resources).filter(
    (resource) =>
      resource.Type === 'AWS::S3::BucketPolicy' &&
      JSON.stringify(resource.Properties?.Bucket) === JSON.stringify({ Ref: bucketId }),
  );
  return Buffer.byteLength(JSON.stringify(resolver.resolve(policy?.Properties?.PolicyDocument)));
}

/** Size of a template as the CDK writes and uploads it. */
function templateBytes(template: unknown): number {
  return Buffer.byteLength(JSON.stringify(template, undefined, 1));
}

function expectWithinLimits(deployment: ReturnType<typeof deploymentOf>) {
  const parent = deployment.parent.toJSON();
  expect(Object.keys(parent.Resources).length).toBeLessThan(MAX_RESOURCES);
  expect(Object.keys(parent.Outputs).length).toBeLessThanOrEqual(MAX_OUTPUTS);
  expect(Object.keys(parent.Parameters ?? {}).length).toBeLessThanOrEqual(MAX_PARAMETERS);
  expect(templateBytes(parent)).toBeLessThan(MAX_TEMPLATE_BYTES);
  const detector = deployment.stack.detector;
  if (detector) expect(templateBytes(Template.fromStack(detector).toJSON())).toBeLessThan(MAX_TEMPLATE_BYTES);
  for (const { collector } of deployment.stack.sources) {
    const nested = deployment.source(collector.sourceName).toJSON();
    expect(Object.keys(nested.Resources).length).toBeLessThan(MAX_RESOURCES);
    expect(templateBytes(nested)).toBeLessThan(MAX_TEMPLATE_BYTES);
  }
}

describe('scale', () => {
  it('synthesizes 100 sources within CloudFormation’s limits, one nested stack each', () => {
    const deployment = deploymentOf(100);

    expectWithinLimits(deployment);
    // One per source, and the detector's.
    deployment.parent.resourceCountIs('AWS::CloudFormation::Stack', 101);
    deployment.parent.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(new AwsSolutionsChecks(deployment.app).validateScope(deployment.stack).violations).toEqual([]);
  });

  it(`still fits at the ${MAX_SOURCES} sources the config allows, with the longest names`, () => {
    const largest = deploymentOf(MAX_SOURCES, true);

    expectWithinLimits(largest);
    // The bucket policy names the write-once prefixes by pattern, not per source.
    expect(archiveBucketPolicyBytes(largest)).toBe(archiveBucketPolicyBytes(deploymentOf(1, true)));
    expect(archiveBucketPolicyBytes(largest)).toBeLessThan(MAX_BUCKET_POLICY_BYTES);
  });

  it('keeps a source’s resources in its own stack, so the parent grows by one resource per source', () => {
    const one = Object.keys(deploymentOf(1).parent.toJSON().Resources).length;
    const two = Object.keys(deploymentOf(2).parent.toJSON().Resources).length;

    expect(two - one).toBe(1);
  });
});
