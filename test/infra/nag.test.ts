import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { DeploymentConfigInput } from '../../lib/config';
import { exampleConfig, KEY_ARN, SECRET_ARN, synth, withArchive } from './helpers';

const everythingOn: DeploymentConfigInput = withArchive({
  archive: {
    prefix: 'org/1password/',
    expireAfterDays: 3650,
    coldStorage: { storageClass: 'DEEP_ARCHIVE', afterDays: 365 },
  },
  kms: { keyArn: KEY_ARN },
  alarms: { emails: ['oncall@example.com'] },
  notifications: { eventBridge: true, sqs: true },
  collector: { reservedConcurrency: false },
  sources: [
    { name: 'prod', eventTypes: ['auditevents'] },
    { name: 'acme', tokenSecretArn: SECRET_ARN, tokenSecretKmsKeyArn: KEY_ARN, enabled: false },
  ],
});

function findings(input: DeploymentConfigInput) {
  const { app, stack } = synth(input);
  return new AwsSolutionsChecks(app).validateScope(stack);
}

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^Annotation::/, ''),
          reason,
        })),
      ),
  );
}

/** Analysts read every source's prefix, the lookups and their query results: one finding per prefix. */
const ANALYST_POLICY = 'op-events-archive/Search/AnalystPolicy/Resource';
/** The notary reads every source's objects and writes the digests. */
const NOTARY_POLICY = 'op-events-archive/Notary/FunctionRole/DefaultPolicy/Resource';
const NOTARY_DLQ = 'op-events-archive/Notary/ScheduleDeadLetterQueue/Resource';

describe('cdk-nag AwsSolutionsChecks', () => {
  it('has no unacknowledged finding on the example deployment', () => {
    expect(findings(exampleConfig())).toEqual({ success: true, violations: [] });
  });

  it('has no unacknowledged finding with every option switched on', () => {
    expect(findings(everythingOn)).toEqual({ success: true, violations: [] });
  });

  it('acknowledges only these findings, each with its reason', () => {
    const { stack } = synth(withArchive({ sources: [{ name: 'prod' }] }));
    const acknowledged = acknowledgements(stack);

    expect(acknowledged.map(({ path, id }) => [path, id])).toEqual([
      ['op-events-archive/Source-prod/Collector/TokenSecret', 'AwsSolutions-SMG4'],
      [
        'op-events-archive/Source-prod/Collector/FunctionRole',
        'AwsSolutions-IAM5[Resource::<ArchiveBucketArn>/source=prod/*]',
      ],
      ['op-events-archive/Source-prod/Collector/ScheduleDeadLetterQueue', 'AwsSolutions-SQS3'],
      [
        'op-events-archive/Notary/FunctionRole',
        'AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/source=*]',
      ],
      [
        'op-events-archive/Notary/FunctionRole',
        'AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/digests/*]',
      ],
      ['op-events-archive/Notary/ScheduleDeadLetterQueue', 'AwsSolutions-SQS3'],
      [
        'op-events-archive/Search/AnalystPolicy',
        'AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/source=prod/*]',
      ],
      [
        'op-events-archive/Search/AnalystPolicy',
        'AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/backfill/*]',
      ],
      [
        'op-events-archive/Search/AnalystPolicy',
        'AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/lookups/*]',
      ],
      [
        'op-events-archive/Search/AnalystPolicy',
        'AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/digests/*]',
      ],
      [
        'op-events-archive/Search/AnalystPolicy',
        'AwsSolutions-IAM5[Resource::<SearchResults593A0C2C.Arn>/results/*]',
      ],
    ]);
    for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThan(40);
  });

  it.each<[string, DeploymentConfigInput, [string, string][]]>([
    [
      'a created secret',
      withArchive({ sources: [{ name: 'prod' }] }),
      [
        ['AwsSolutions-SMG4', 'op-events-archive/Source-prod/Collector/TokenSecret/Resource'],
        [
          'AwsSolutions-IAM5[Resource::<ArchiveBucketArn>/source=prod/*]',
          'op-events-archive/Source-prod/Collector/FunctionRole/DefaultPolicy/Resource',
        ],
        ['AwsSolutions-SQS3', 'op-events-archive/Source-prod/Collector/ScheduleDeadLetterQueue/Resource'],
        ['AwsSolutions-SQS3', NOTARY_DLQ],
        ['AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/digests/*]', NOTARY_POLICY],
        ['AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/digests/*]', ANALYST_POLICY],
        ['AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/source=*]', NOTARY_POLICY],
        ['AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/backfill/*]', ANALYST_POLICY],
        ['AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/lookups/*]', ANALYST_POLICY],
        ['AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/source=prod/*]', ANALYST_POLICY],
        ['AwsSolutions-IAM5[Resource::<SearchResults593A0C2C.Arn>/results/*]', ANALYST_POLICY],
      ],
    ],
    [
      'every option switched on',
      everythingOn,
      [
        [
          'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          'op-events-archive/AWS679f53fac002430cb0da5b7982bd2287/ServiceRole/Resource',
        ],
        ['AwsSolutions-SMG4', 'op-events-archive/Source-prod/Collector/TokenSecret/Resource'],
        [
          'AwsSolutions-IAM5[Resource::<ArchiveBucketArn>/org/1password/source=prod/*]',
          'op-events-archive/Source-prod/Collector/FunctionRole/DefaultPolicy/Resource',
        ],
        ['AwsSolutions-SQS3', 'op-events-archive/Source-prod/Collector/ScheduleDeadLetterQueue/Resource'],
        ['AwsSolutions-SQS3', 'op-events-archive/Source-acme/Collector/ScheduleDeadLetterQueue/Resource'],
        ['AwsSolutions-SQS3', NOTARY_DLQ],
        [
          'AwsSolutions-IAM5[Resource::<ArchiveBucketArn>/org/1password/source=acme/*]',
          'op-events-archive/Source-acme/Collector/FunctionRole/DefaultPolicy/Resource',
        ],
        ['AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/org/1password/digests/*]', NOTARY_POLICY],
        ['AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/org/1password/digests/*]', ANALYST_POLICY],
        ['AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/org/1password/source=*]', NOTARY_POLICY],
        ['AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/org/1password/backfill/*]', ANALYST_POLICY],
        ['AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/org/1password/lookups/*]', ANALYST_POLICY],
        [
          'AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/org/1password/source=acme/*]',
          ANALYST_POLICY,
        ],
        [
          'AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/org/1password/source=prod/*]',
          ANALYST_POLICY,
        ],
        ['AwsSolutions-IAM5[Resource::<SearchResults593A0C2C.Arn>/results/*]', ANALYST_POLICY],
      ],
    ],
  ])(
    'would report exactly the acknowledged findings without the acknowledgements (%s)',
    (_name, input, expected) => {
      const acknowledge = jest
        .spyOn(Validations.prototype, 'acknowledge')
        .mockImplementation(() => undefined);
      try {
        const report = findings(input);

        expect(
          report.violations.flatMap((violation) =>
            violation.violatingResources.map((resource) => [violation.ruleName, resource.constructPath]),
          ),
        ).toEqual(expected);
      } finally {
        acknowledge.mockRestore();
      }
    },
  );
});
