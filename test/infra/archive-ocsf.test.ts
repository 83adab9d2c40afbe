import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseTransformerEnv } from '../../lambdas/ocsf-transformer/env';
import { defaultSourceLocation } from '../../lambdas/shared/ocsf/layout';
import { OCSF_CLASSES } from '../../lambdas/shared/ocsf/record';
import { parseConfig } from '../../lib/config';
import { CfnResolver, type CfnTemplate } from './cfn-resolver';
import { expectConsumerAlarms, synth, withArchive } from './helpers';

const statementsOf = (template: Template) =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>,
  );

describe('the OCSF output in the archive bucket', () => {
  const deployment = synth(
    withArchive({
      archive: { prefix: '1password/' },
      ocsf: { enabled: true },
      sources: [{ name: 'prod' }],
    }),
  );
  const { parent, stack } = deployment;
  if (!stack.ocsf) throw new Error('no OCSF stack');
  const nested = Template.fromStack(stack.ocsf);

  it('is off by default, and then adds nothing to the deployment', () => {
    const off = synth(withArchive({ sources: [{ name: 'prod' }] }));
    expect(off.stack.ocsf).toBeUndefined();
    expect(JSON.stringify(off.parent.toJSON())).not.toMatch(/OcsfNestedStack|DenyOcsfWrites/);
  });

  it('is a consumer of its own, fed through EventBridge with new digests and backfills, failing record by record', () => {
    nested.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: Match.objectLike({
          object: { key: [{ prefix: '1password/digests/' }, { prefix: '1password/backfill/' }] },
        }),
      }),
    });
    nested.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    nested.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 5400,
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
    });
    expect(JSON.stringify(parent.findResources('Custom::ArchiveNotifications'))).toMatch(
      /EventBridgeConfiguration/,
    );
  });

  it('writes every class under ocsf/ of the archive, and its environment reads back', () => {
    const [fn] = Object.values(
      nested.findResources('AWS::Lambda::Function', {
        Properties: { FunctionName: 'op-events-archive-ocsf' },
      }),
    );
    const env = fn?.Properties.Environment.Variables as Record<string, unknown>;
    // Resolved as CloudFormation would, the function accepts it and sends each class under ocsf/.
    const resolver = new CfnResolver(nested.toJSON() as CfnTemplate, {
      account: '123456789012',
      region: 'eu-west-1',
      stackName: 'ocsf',
      parameters: { ArchiveBucketName: 'archive-bucket', ArchiveBucketArn: 'arn:aws:s3:::archive-bucket' },
    });
    const parsed = parseTransformerEnv(resolver.resolve<Record<string, string>>(env));
    expect([...parsed.destinations.entries()].sort(([a], [b]) => a - b)).toEqual(
      Object.values(OCSF_CLASSES)
        .sort((a, b) => a.uid - b.uid)
        .map((c) => [
          c.uid,
          { bucket: 'archive-bucket', prefix: `1password/ocsf/${defaultSourceLocation(c)}` },
        ]),
    );
    expect(parsed).toMatchObject({
      OCSF_REGION: 'eu-west-1',
      OCSF_ACCOUNT_ID: '123456789012',
      ARCHIVE_PREFIX: '1password/',
    });
  });

  it('may read batches and write only under ocsf/, each write with If-None-Match; the bucket refuses ocsf/ writes from anyone else', () => {
    const statements = statementsOf(nested);
    const puts = statements.filter((s) => JSON.stringify(s.Action).includes('s3:PutObject'));
    expect(puts).toHaveLength(1);
    expect(JSON.stringify(puts[0]?.Resource)).toContain('/1password/ocsf/*');
    expect(puts[0]?.Condition).toEqual({ Null: { 's3:if-none-match': 'false' } });
    // Reads: the digests and batches it converts, and its own output (a part already written is skipped).
    const reads = statements.filter((s) => s.Action === 's3:GetObject');
    expect(reads).toHaveLength(1);
    for (const folder of ['source=*', 'digests/*', 'backfill/*', 'ocsf/*'])
      expect(JSON.stringify(reads)).toContain(`/1password/${folder}`);
    expect(JSON.stringify(statements)).not.toMatch(/dynamodb|sts:AssumeRole|s3:DeleteObject/);
    parent.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        // The write-once rule covers ocsf/ too: test/infra/archive-stack.test.ts and the IAM matrix.
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DenyOcsfWritesExceptTheTransformer',
            Effect: 'Deny',
            Action: 's3:PutObject',
            Condition: {
              ArnNotEquals: { 'aws:PrincipalArn': Match.objectLike({ 'Fn::Join': Match.anyValue() }) },
            },
          }),
        ]),
      },
    });
  });

  it('gives Athena one Parquet table per class in the search database, partitioned as Security Lake lays objects out', () => {
    nested.resourceCountIs('AWS::Glue::Table', 5);
    nested.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'op_events_archive',
      TableInput: Match.objectLike({
        Name: 'ocsf_authentication',
        PartitionKeys: [
          { Name: 'region', Type: 'string' },
          { Name: 'account_id', Type: 'string' },
          { Name: 'event_day', Type: 'string' },
        ],
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.event_day.format': 'yyyyMMdd',
          'projection.event_day.range': '20260101,NOW+1DAYS',
          'storage.location.template': Match.objectLike({
            'Fn::Join': [
              '',
              Match.arrayWith([
                Match.stringLikeRegexp(
                  '/1password/ocsf/ext/1password-authentication/region=\\$\\{region\\}/accountId=\\$\\{account_id\\}/eventDay=\\$\\{event_day\\}/',
                ),
              ]),
            ],
          }),
        }),
        StorageDescriptor: Match.objectLike({
          SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
          Columns: Match.arrayWith([
            { Name: 'time', Type: 'bigint' },
            {
              Name: 'metadata',
              Type: 'struct<uid:string,version:string,log_name:string,event_code:string,original_time:string,tenant_uid:string,product:struct<name:string,vendor_name:string,feature:struct<name:string>>>',
            },
            { Name: 'unmapped', Type: 'string' },
            {
              Name: 'src_endpoint',
              Type: 'struct<ip:string,location:struct<city:string,country:string,region:string,coordinates:array<double>>,os:struct<name:string,type_id:int,version:string>>',
            },
          ]),
        }),
      }),
    });
    // Created after the database it joins.
    const [ocsfStack] = Object.values(
      parent.findResources('AWS::CloudFormation::Stack', {
        DependsOn: Match.arrayWith([Match.stringLikeRegexp('SearchDatabase')]),
      }),
    );
    expect(ocsfStack).toBeDefined();
  });

  it("lets the archive's analysts read the OCSF tables and objects", () => {
    const [analyst] = Object.values(parent.findResources('AWS::IAM::ManagedPolicy'));
    const statements = analyst?.Properties.PolicyDocument.Statement as Array<{ Sid: string }>;
    const text = (sid: string) => JSON.stringify(statements.find((s) => s.Sid === sid));
    expect(text('ReadTheTableDefinitions')).toContain(':table/op_events_archive/ocsf_authentication');
    expect(text('ReadTheTableDefinitions')).toContain(':table/op_events_archive/ocsf_group_management');
    expect(text('ReadTheArchive')).toContain('/1password/ocsf/*');
    expect(text('ListTheArchive')).toContain('1password/ocsf/*');
  });

  it('alarms on dead letters, failed invocations and a backlog, saying what to do', () => {
    expectConsumerAlarms(nested, 'ocsf', /README: Operate > OCSF transformer/);
  });

  it('has no unacknowledged cdk-nag finding', () => {
    expect(new AwsSolutionsChecks(deployment.app).validateScope(stack)).toEqual({
      success: true,
      violations: [],
    });
  });
});

describe('the OCSF output into Amazon Security Lake', () => {
  const deployment = synth(
    withArchive({
      ocsf: { enabled: true, securityLake: { externalId: 'op-events-7Hq2' } },
      sources: [{ name: 'prod' }],
    }),
  );
  const { parent, stack } = deployment;
  if (!stack.ocsf) throw new Error('no OCSF stack');
  const nested = Template.fromStack(stack.ocsf);

  it('registers one custom source per OCSF class, with the crawler role and the external id, and deletes it with the stack', () => {
    const sources = nested.findResources('Custom::SecurityLakeCustomLogSource');
    expect(Object.keys(sources)).toHaveLength(5);
    const creates = Object.values(sources).map((s) => JSON.stringify(s.Properties.Create));
    for (const [name, eventClass] of [
      ['1p-authentication', 'AUTHENTICATION'],
      ['1p-account-change', 'ACCOUNT_CHANGE'],
      ['1p-entity-mgmt', 'ENTITY_MANAGEMENT_AUDIT'],
      ['1p-user-access', undefined],
      ['1p-group-mgmt', undefined],
    ] as const) {
      const create = creates.find((c) => c.includes(`\\"sourceName\\":\\"${name}\\"`));
      expect(create).toBeDefined();
      expect(name.length).toBeLessThanOrEqual(20);
      expect(create).toContain('createCustomLogSource');
      expect(create).toContain('\\"externalId\\":\\"op-events-7Hq2\\"');
      expect(create).toMatch(/crawlerConfiguration.*CrawlerRole/);
      if (eventClass) expect(create).toContain(`\\"eventClasses\\":[\\"${eventClass}\\"]`);
      else expect(create).not.toContain('eventClasses');
    }
    expect(JSON.stringify(Object.values(sources).map((s) => s.Properties.Delete))).toMatch(
      /deleteCustomLogSource/,
    );
    // A new name or version replaces a source: the update creates the new one under a new physical id.
    for (const source of Object.values(sources)) {
      expect(source.Properties.Update).toEqual(source.Properties.Create);
      expect(JSON.stringify(source.Properties.Create)).toMatch(/physicalResourceId.*1p-[a-z-]+@1\.0/);
    }
    nested.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'glue.amazonaws.com' } })],
      }),
      ManagedPolicyArns: [
        Match.objectLike({
          'Fn::Join': ['', Match.arrayWith([':iam::aws:policy/service-role/AWSGlueServiceRole'])],
        }),
      ],
    });
  });

  it('writes as the provider roles Security Lake made, and no longer into the archive', () => {
    const statements = statementsOf(nested);
    const assume = statements.find((s) => s.Action === 'sts:AssumeRole');
    expect(JSON.stringify(assume?.Resource)).toMatch(/CustomSource3002.*source\.provider\.roleArn/);
    expect(
      JSON.stringify(statements.filter((s) => JSON.stringify(s.Resource).includes('ocsf/'))),
    ).not.toContain('PutObject');
    nested.resourceCountIs('AWS::Glue::Table', 0);
    expect(JSON.stringify(parent.toJSON())).not.toContain('DenyOcsfWritesExceptTheTransformer');
    const [fn] = Object.values(
      nested.findResources('AWS::Lambda::Function', {
        Properties: { FunctionName: 'op-events-archive-ocsf' },
      }),
    );
    expect(fn?.Properties.Environment.Variables.OCSF_EXTERNAL_ID).toBe('op-events-7Hq2');
    expect(JSON.stringify(fn?.Properties.Environment.Variables.OCSF_DESTINATIONS)).toMatch(
      /source\.provider\.location/,
    );
  });

  it('has no unacknowledged cdk-nag finding', () => {
    expect(new AwsSolutionsChecks(deployment.app).validateScope(stack)).toEqual({
      success: true,
      violations: [],
    });
  });

  it('refuses a source prefix too long for Security Lake, a missing external id, and Security Lake with OCSF off', () => {
    const config = (ocsf: unknown) => () =>
      parseConfig(withArchive({ ocsf: ocsf as never, sources: [{ name: 'prod' }] }));
    expect(
      config({ enabled: true, securityLake: { externalId: 'x1', sourcePrefix: 'onepassword' } }),
    ).toThrow(/ocsf\.securityLake\.sourcePrefix.*at most 20 characters/);
    expect(config({ enabled: true, securityLake: {} })).toThrow(/ocsf\.securityLake\.externalId/);
    expect(config({ enabled: false, securityLake: { externalId: 'x1' } })).toThrow(
      /ocsf\.securityLake is set but ocsf\.enabled is false/,
    );
  });
});
