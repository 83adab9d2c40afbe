import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ArchiveBucket } from '../../lib/archive-bucket';
import { ArchiveSearch, type ArchiveSearchProps, DEFAULT_PARTITION_START } from '../../lib/archive-search';
import { athena } from '../../search/dialect';
import { renderQuery, SAVED_QUERIES } from '../../search/queries';
import { renderView, VIEWS } from '../../search/views';
import { cdkJsonContext, resourcesOf } from './helpers';

type Resource = { Properties: Record<string, unknown>; DependsOn?: string[] };
type TableInput = {
  Name: string;
  TableType: string;
  Parameters: Record<string, unknown>;
  PartitionKeys?: { Name: string; Type: string }[];
  StorageDescriptor: {
    Columns: { Name: string; Type: string }[];
    Location?: unknown;
    SerdeInfo: { SerializationLibrary?: string; Parameters?: Record<string, string> };
  };
  ViewOriginalText?: string;
};

function build(
  overrides: Partial<ArchiveSearchProps> = {},
  prefix = '',
  beforeSynth: (stack: Stack, search: ArchiveSearch) => void = () => undefined,
) {
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'SearchTest');
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const archive = new ArchiveBucket(stack, 'Archive', { encryptionKey: key, prefix });
  const search = new ArchiveSearch(stack, 'Search', {
    archive,
    sourceNames: ['prod', 'subsidiary'],
    databaseName: 'op_events_archive',
    accessLogBucket: archive.accessLogBucket,
    ...overrides,
  });
  beforeSynth(stack, search);
  const template = Template.fromStack(stack);
  const tables = Object.fromEntries(
    Object.entries(resourcesOf(template, 'AWS::Glue::Table')).map(([logicalId, resource]) => {
      const input = (resource.Properties as { TableInput: TableInput }).TableInput;
      return [input.Name, { logicalId, input, resource: resource as Resource }];
    }),
  );
  const archiveBucketId = stack.getLogicalId(archive.bucket.node.defaultChild as never);
  const keyId = stack.getLogicalId(key.node.defaultChild as never);
  return { app, stack, search, template, tables, archiveBucketId, keyId };
}

describe('ArchiveSearch', () => {
  const built = build();
  const { template, tables } = built;

  it('creates one Glue database named after the deployment', () => {
    template.resourceCountIs('AWS::Glue::Database', 1);
    template.hasResourceProperties('AWS::Glue::Database', {
      CatalogId: { Ref: 'AWS::AccountId' },
      DatabaseInput: { Name: 'op_events_archive' },
    });
  });

  it('defines two tables per stream (its objects, its backfills), two lookup tables and the views', () => {
    expect(Object.keys(tables).sort()).toEqual(
      [
        'auditevents',
        'auditevents_backfill',
        'auditevents_named',
        'countries',
        'itemusages',
        'itemusages_backfill',
        'itemusages_named',
        'items',
        'signinattempts',
        'signinattempts_backfill',
        'signinattempts_named',
        'user_keys',
        'users',
        'vaults',
      ].sort(),
    );
  });

  it('types the columns from the event schemas, with nested structs', () => {
    const columns = (name: string) =>
      Object.fromEntries(tables[name]?.input.StorageDescriptor.Columns.map((c) => [c.Name, c.Type]) ?? []);

    expect(columns('signinattempts')).toMatchObject({
      uuid: 'string',
      timestamp: 'string',
      category: 'string',
      type: 'string',
      details: 'struct<value:string>',
      target_user: 'struct<uuid:string,name:string,email:string,user_type:string,user_account_uuid:string>',
      client: expect.stringMatching(/^struct<app_name:string,.*ip_address:string,ip:string>$/),
      location: 'struct<country:string,region:string,city:string,latitude:double,longitude:double>',
    });
    expect(columns('itemusages')).toMatchObject({
      used_version: 'bigint',
      vault_uuid: 'string',
      item_uuid: 'string',
      user: expect.stringMatching(/^struct<uuid:string,name:string,email:string/),
    });
    expect(columns('auditevents')).toMatchObject({
      actor_details: expect.stringMatching(/^struct<uuid:string/),
      object_details: expect.stringMatching(/^struct<uuid:string/),
      aux_id: 'bigint',
      session: 'struct<uuid:string,login_time:string,device_uuid:string,ip:string>',
    });
  });

  it.each(['signinattempts', 'itemusages', 'auditevents'])(
    'projects the source and dt partitions of %s over the key layout, with no crawler',
    (stream) => {
      const table = tables[stream]?.input;

      expect(table?.TableType).toBe('EXTERNAL_TABLE');
      expect(table?.PartitionKeys).toEqual([
        expect.objectContaining({ Name: 'source', Type: 'string' }),
        expect.objectContaining({ Name: 'dt', Type: 'string' }),
      ]);
      expect(table?.Parameters).toMatchObject({
        'projection.enabled': 'true',
        'projection.source.type': 'enum',
        'projection.source.values': 'prod,subsidiary',
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': `${DEFAULT_PARTITION_START},NOW+1DAYS`,
        'projection.dt.interval': '1',
        'projection.dt.interval.unit': 'DAYS',
        'storage.location.template': {
          'Fn::Join': [
            '',
            ['s3://', { Ref: built.archiveBucketId }, `/source=\${source}/type=${stream}/dt=\${dt}/`],
          ],
        },
      });
      template.resourceCountIs('AWS::Glue::Crawler', 0);
    },
  );

  it.each(['signinattempts', 'itemusages', 'auditevents'])(
    'reads the backfills of %s from the whole backfill prefix, unpartitioned, with the stream’s columns',
    (stream) => {
      const table = tables[`${stream}_backfill`]?.input;

      expect(table?.TableType).toBe('EXTERNAL_TABLE');
      expect(table?.PartitionKeys ?? []).toEqual([]);
      expect(table?.Parameters['projection.enabled']).toBeUndefined();
      expect(table?.StorageDescriptor.Location).toEqual({
        'Fn::Join': ['', ['s3://', { Ref: built.archiveBucketId }, '/backfill/']],
      });
      expect(table?.StorageDescriptor.Columns).toEqual(tables[stream]?.input.StorageDescriptor.Columns);
      expect(table?.StorageDescriptor.SerdeInfo).toEqual(tables[stream]?.input.StorageDescriptor.SerdeInfo);
    },
  );

  it('reads gzip NDJSON with the OpenX JSON SerDe, skipping malformed lines', () => {
    const descriptor = tables.itemusages?.input.StorageDescriptor;

    expect(descriptor?.SerdeInfo).toEqual({
      SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
      Parameters: { 'ignore.malformed.json': 'TRUE', 'case.insensitive': 'TRUE' },
    });
    expect(descriptor).toMatchObject({
      InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
    });
  });

  it('keeps the archive prefix in the location template', () => {
    const prefixed = build({}, 'org/1password/');

    expect(prefixed.tables.auditevents?.input.Parameters['storage.location.template']).toEqual({
      'Fn::Join': [
        '',
        [
          's3://',
          { Ref: prefixed.archiveBucketId },
          `/org/1password/source=\${source}/type=auditevents/dt=\${dt}/`,
        ],
      ],
    });
    expect(prefixed.tables.vaults?.input.StorageDescriptor.Location).toEqual({
      'Fn::Join': ['', ['s3://', { Ref: prefixed.archiveBucketId }, '/org/1password/lookups/vaults/']],
    });
  });

  it('reads the vault and item lookups from CSV files with a header under lookups/', () => {
    for (const [name, columns] of [
      ['vaults', ['vault_uuid', 'name']],
      ['items', ['item_uuid', 'vault_uuid', 'title']],
    ] as const) {
      const table = tables[name]?.input;
      expect(table?.StorageDescriptor.Columns.map((c) => c.Name)).toEqual(columns);
      expect(table?.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
        'org.apache.hadoop.hive.serde2.OpenCSVSerde',
      );
      expect(table?.Parameters['skip.header.line.count']).toBe('1');
      expect(table?.StorageDescriptor.Location).toEqual({
        'Fn::Join': ['', ['s3://', { Ref: built.archiveBucketId }, `/lookups/${name}/`]],
      });
    }
  });

  it.each(VIEWS.map((view) => [view.name, view] as const))(
    'stores the %s view as Athena does, with its SQL and column types',
    (name, view) => {
      const table = tables[name];
      const encoded = /^\/\* Presto View: ([A-Za-z0-9+/=]+) \*\/$/.exec(table?.input.ViewOriginalText ?? '');
      const blob = JSON.parse(Buffer.from(encoded?.[1] ?? '', 'base64').toString('utf8')) as {
        originalSql: string;
        catalog: string;
        schema: string;
        columns: { name: string; type: string }[];
      };

      expect(table?.input.TableType).toBe('VIRTUAL_VIEW');
      expect(table?.input.Parameters).toEqual({ presto_view: 'true', comment: 'Presto View' });
      expect(blob.originalSql).toBe(renderView(view, athena));
      expect(blob).toMatchObject({ catalog: 'awsdatacatalog', schema: 'op_events_archive' });
      expect(blob.columns.map((column) => column.name)).toEqual(view.columns.map((column) => column.name));
      expect(table?.input.StorageDescriptor.Columns.map((column) => column.Name)).toEqual(
        view.columns.map((column) => column.name),
      );
      for (const column of blob.columns.filter((c) =>
        ['event_time', 'first_seen', 'last_seen'].includes(c.name),
      ))
        expect(column.type).toBe('timestamp(3)');
    },
  );

  it('creates each view after the tables and views it reads', () => {
    const id = (name: string) => tables[name]?.logicalId ?? '';

    expect(tables.users?.resource.DependsOn).toEqual(expect.arrayContaining([id('user_keys')]));
    expect(tables.user_keys?.resource.DependsOn).toEqual(
      expect.arrayContaining(
        ['signinattempts', 'itemusages', 'auditevents'].flatMap((stream) => [
          id(stream),
          id(`${stream}_backfill`),
        ]),
      ),
    );
    expect(tables.itemusages_named?.resource.DependsOn).toEqual(
      expect.arrayContaining([
        id('itemusages'),
        id('itemusages_backfill'),
        id('vaults'),
        id('items'),
        id('user_keys'),
        id('countries'),
      ]),
    );
  });

  it('runs queries in a workgroup that encrypts results with the archive key and caps the bytes scanned', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'op_events_archive',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        ResultConfiguration: {
          OutputLocation: Match.anyValue(),
          EncryptionConfiguration: {
            EncryptionOption: 'SSE_KMS',
            KmsKey: { 'Fn::GetAtt': [built.keyId, 'Arn'] },
          },
        },
      },
    });
  });

  it('takes a different scan limit', () => {
    build({ bytesScannedCutoffPerQuery: Size.gibibytes(1) }).template.hasResourceProperties(
      'AWS::Athena::WorkGroup',
      { WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: 1024 ** 3 }) },
    );
  });

  it('keeps results in an encrypted, logged bucket that expires them', () => {
    const results = Object.values(resourcesOf(template, 'AWS::S3::Bucket')).find(
      (bucket) =>
        (bucket.Properties.LoggingConfiguration as { LogFilePrefix?: string })?.LogFilePrefix ===
        'athena-results/',
    );

    expect(results?.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [built.keyId, 'Arn'] },
            },
          },
        ],
      },
      LifecycleConfiguration: {
        Rules: [expect.objectContaining({ ExpirationInDays: 30, Status: 'Enabled' })],
      },
      PublicAccessBlockConfiguration: expect.objectContaining({
        BlockPublicAcls: true,
        RestrictPublicBuckets: true,
      }),
    });
    build({ resultsRetention: Duration.days(7) }).template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 7 })] },
    });
  });

  it('saves every query as a named query in the workgroup, in the Athena dialect', () => {
    const named = Object.values(resourcesOf(template, 'AWS::Athena::NamedQuery'));

    expect(named).toHaveLength(SAVED_QUERIES.length);
    for (const query of SAVED_QUERIES) {
      template.hasResourceProperties('AWS::Athena::NamedQuery', {
        Name: query.title,
        Database: 'op_events_archive',
        WorkGroup: { Ref: Match.stringLikeRegexp('WorkGroup') },
        QueryString: renderQuery(query, athena),
      });
    }
    for (const { Properties } of named) {
      expect(Properties.QueryString).toContain('current_timestamp');
      expect(Properties.QueryString).not.toMatch(/TIMESTAMPTZ|strftime|string_agg|now\(\)/);
    }
  });

  describe('analyst policy', () => {
    const statements = () => {
      const policies = Object.values(resourcesOf(template, 'AWS::IAM::ManagedPolicy'));
      expect(policies).toHaveLength(1);
      const document = policies[0]?.Properties.PolicyDocument as
        | { Statement: Record<string, unknown>[] }
        | undefined;
      return document?.Statement ?? [];
    };
    const bySid = (sid: string) => statements().find((statement) => statement.Sid === sid);

    it('grants no wildcard action and never a write to the archive', () => {
      const actions = statements().flatMap((statement) => [statement.Action].flat() as string[]);

      expect(actions.filter((action) => action.includes('*'))).toEqual([]);
      expect(JSON.stringify(bySid('ReadTheArchive'))).not.toMatch(/PutObject|DeleteObject/);
      expect(actions).not.toContain('s3:DeleteObject');
      expect(actions).not.toContain('glue:CreateTable');
    });

    it('reads only the sources’ objects, the backfills and the lookups, listing only those prefixes', () => {
      const objects = (path: string) => ({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [built.archiveBucketId, 'Arn'] }, path]],
      });

      expect(bySid('ReadTheArchive')).toMatchObject({
        Action: 's3:GetObject',
        Resource: expect.arrayContaining([
          objects('/source=prod/*'),
          objects('/source=subsidiary/*'),
          objects('/backfill/*'),
          objects('/lookups/*'),
        ]),
      });
      expect(bySid('ReadTheArchive')?.Resource).toHaveLength(4);
      expect(bySid('ListTheArchive')).toMatchObject({
        // Versions too: verify reports keys replaced or hidden behind a delete marker.
        Action: ['s3:ListBucket', 's3:ListBucketVersions'],
        Condition: {
          StringLike: { 's3:prefix': ['source=prod/*', 'source=subsidiary/*', 'backfill/*', 'lookups/*'] },
        },
      });
      expect(bySid('DecryptTheArchiveEncryptTheResults')).toMatchObject({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Condition: {
          StringEquals: {
            'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
          },
        },
      });
    });

    it('runs queries in its own workgroup only', () => {
      expect(JSON.stringify(bySid('RunQueriesInTheWorkgroup')?.Resource)).toContain(
        ':workgroup/op_events_archive',
      );
      expect(bySid('RunQueriesInTheWorkgroup')?.Action).toContain('athena:StartQueryExecution');
      expect(bySid('ReadTheTableDefinitions')?.Action).toEqual([
        'glue:GetDatabase',
        'glue:GetDatabases',
        'glue:GetTable',
        'glue:GetTables',
      ]);
    });

    it('gives a role the same permissions through grantQuery, and lookup uploads through grantLookupsWrite', () => {
      const { template: withRoles } = build({}, '', (stack, search) => {
        search.grantQuery(new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() }));
        search.grantLookupsWrite(
          new iam.Role(stack, 'Uploader', { assumedBy: new iam.AccountRootPrincipal() }),
        );
      });
      const policies = withRoles.findResources('AWS::IAM::Policy');
      const actionsOf = (roleId: string) =>
        Object.values(policies)
          .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))
          .flatMap((policy) =>
            (policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) =>
              [s.Action].flat(),
            ),
          );

      expect(actionsOf('Analyst')).toEqual(
        expect.arrayContaining(['athena:StartQueryExecution', 's3:GetObject']),
      );
      expect(actionsOf('Uploader').sort()).toEqual(['kms:GenerateDataKey', 's3:PutObject']);
    });
  });

  it('has no unacknowledged cdk-nag finding', () => {
    const { app, stack } = build({}, '', (scope, search) => {
      search.grantQuery(new iam.Role(scope, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() }));
      search.grantLookupsWrite(
        new iam.Role(scope, 'Uploader', { assumedBy: new iam.AccountRootPrincipal() }),
      );
    });

    expect(new AwsSolutionsChecks(app).validateScope(stack)).toEqual({ success: true, violations: [] });
  });

  it('covers a relative range of write dates when asked', () => {
    const relative = build({ partitionStart: 'NOW-400DAYS' });

    expect(relative.tables.signinattempts?.input.Parameters['projection.dt.range']).toBe(
      'NOW-400DAYS,NOW+1DAYS',
    );
  });

  it.each<[string, Partial<ArchiveSearchProps>, RegExp]>([
    ['a database name with hyphens', { databaseName: 'op-events' }, /databaseName "op-events" must match/],
    ['no sources', { sourceNames: [] }, /at least one source/],
    ['a malformed partition start', { partitionStart: 'last year' }, /partitionStart "last year" must be/],
  ])('refuses %s', (_case, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});
