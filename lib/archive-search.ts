import { Aws, Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { athena as athenaDialect, type ValueType } from '../search/dialect';
import { renderQuery, SAVED_QUERIES } from '../search/queries';
import {
  BACKFILL_PREFIX,
  backfillTable,
  hiveType,
  LOOKUP_TABLES,
  LOOKUPS_PREFIX,
  PARTITION_COLUMNS,
  STREAM_COLUMNS,
} from '../search/schema';
import { renderView, VIEWS, type ViewDefinition } from '../search/views';
import { DIGESTS_PREFIX, type IArchiveBucket } from './archive-bucket';
import { EVENT_STREAMS } from './config';
import { viaS3For, viaServiceFor } from './kms-conditions';
import { acknowledgeWildcardResource } from './nag';

/**
 * The first write date partition projection covers by default. No archive of this connector
 * has an older `dt`, and saved queries filter on `dt`, so the days in between cost nothing.
 */
export const DEFAULT_PARTITION_START = '2026-01-01';

const DATABASE_NAME = /^[a-z][a-z0-9_]{0,99}$/;
const PARTITION_START = /^(\d{4}-\d{2}-\d{2}|NOW-\d+(DAYS|WEEKS|MONTHS|YEARS))$/;

const OPENX_JSON_SERDE = 'org.openx.data.jsonserde.JsonSerDe';
const OPEN_CSV_SERDE = 'org.apache.hadoop.hive.serde2.OpenCSVSerde';
const TEXT_INPUT_FORMAT = 'org.apache.hadoop.mapred.TextInputFormat';
const TEXT_OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat';

/** Properties of an {@link ArchiveSearch}. */
export interface ArchiveSearchProps {
  /** The archive to query. */
  readonly archive: IArchiveBucket;

  /**
   * Every source whose objects should be searchable, retired ones included: the tables
   * project the `source=` partition from this list, so a source left out is invisible to
   * Athena (its objects stay in the bucket).
   */
  readonly sourceNames: readonly string[];

  /**
   * Name of the Glue database, also the Athena workgroup's name: lower-case letters,
   * digits and underscores, starting with a letter (Athena cannot use hyphens unquoted).
   */
  readonly databaseName: string;

  /**
   * The notary's signing key: analysts may read its public key (`kms:GetPublicKey`) and the
   * digests, to check the archive with `verify`.
   * @default - no digests
   */
  readonly notaryKey?: kms.IKey;

  /** Bucket that receives the server access logs of the query results bucket. */
  readonly accessLogBucket: s3.IBucket;

  /**
   * Athena cancels a query that would scan more than this.
   * @default Size.gibibytes(10)
   */
  readonly bytesScannedCutoffPerQuery?: Size;

  /**
   * How long query results are kept.
   * @default Duration.days(30)
   */
  readonly resultsRetention?: Duration;

  /**
   * Earliest write date (`dt`) the tables cover: `YYYY-MM-DD`, or relative to the query's
   * date as `NOW-<n>DAYS|WEEKS|MONTHS|YEARS` (for an archive whose objects expire).
   * @default DEFAULT_PARTITION_START
   */
  readonly partitionStart?: string;

  /**
   * Tables of the database made elsewhere (the OCSF tables), with the archive folder they read:
   * analysts may read their definitions and that folder.
   * @default - none
   */
  readonly externalTables?: { readonly names: readonly string[]; readonly folder: string };
}

/**
 * Athena over the archive: a Glue database with one table per stream, read straight from the
 * archive's gzip NDJSON with partition projection on `source` and `dt` (no crawler, no
 * `MSCK REPAIR`); lookup tables of vault and item names from CSV files under
 * `{prefix}lookups/`; views with readable names; the saved queries as named queries; a
 * workgroup that encrypts results with the archive key and stops runaway scans; and a
 * managed policy with exactly what an analyst needs.
 */
export class ArchiveSearch extends Construct {
  /** The Glue database's name. */
  public readonly databaseName: string;
  /** The Athena workgroup's name. */
  public readonly workGroupName: string;
  public readonly workGroup: athena.CfnWorkGroup;
  /** Where Athena writes query results (SSE-KMS with the archive key, expired after the retention). */
  public readonly resultsBucket: s3.Bucket;
  /**
   * Attach to the analysts' role, group or permission set: run queries in the workgroup, read
   * the catalog and the archive, read and write results. See {@link grantQuery} for the list.
   */
  public readonly analystPolicy: iam.ManagedPolicy;
  /** Named queries, by saved query id. */
  public readonly namedQueries: Readonly<Record<string, athena.CfnNamedQuery>>;
  /** The Glue database of the tables and views (and of the OCSF tables, when there are). */
  public readonly database: glue.CfnDatabase;
  /** Glue tables and views, by name. */
  public readonly tables: Readonly<Record<string, glue.CfnTable>>;

  private readonly archive: IArchiveBucket;
  private readonly sourceNames: readonly string[];
  private readonly notaryKey: kms.IKey | undefined;
  private readonly externalTables: ArchiveSearchProps['externalTables'];

  constructor(scope: Construct, id: string, props: ArchiveSearchProps) {
    super(scope, id);
    if (!DATABASE_NAME.test(props.databaseName)) {
      throw new Error(
        `ArchiveSearch: databaseName "${props.databaseName}" must match ${DATABASE_NAME} (lower-case letters, digits, underscores)`,
      );
    }
    if (props.sourceNames.length === 0)
      throw new Error('ArchiveSearch: sourceNames must list at least one source');
    const partitionStart = props.partitionStart ?? DEFAULT_PARTITION_START;
    if (!PARTITION_START.test(partitionStart)) {
      throw new Error(
        `ArchiveSearch: partitionStart "${partitionStart}" must be YYYY-MM-DD or NOW-<n>DAYS|WEEKS|MONTHS|YEARS`,
      );
    }
    this.archive = props.archive;
    this.notaryKey = props.notaryKey;
    this.externalTables = props.externalTables;
    this.sourceNames = [...props.sourceNames];
    this.databaseName = props.databaseName;
    this.workGroupName = props.databaseName;

    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: this.databaseName,
        description: '1Password Events archive: one table per event stream, lookups, and views with names',
      },
    });
    this.database = database;

    const bucketRoot = `s3://${props.archive.bucket.bucketName}/${props.archive.prefix}`;
    const tables: Record<string, glue.CfnTable> = {};
    const addTable = (name: string, tableInput: glue.CfnTable.TableInputProperty) => {
      const table = new glue.CfnTable(this, `Table-${name}`, {
        catalogId: Aws.ACCOUNT_ID,
        databaseName: this.databaseName,
        tableInput: { name, ...tableInput },
      });
      table.addResourceDependency(database);
      tables[name] = table;
      return table;
    };

    for (const stream of EVENT_STREAMS) {
      addTable(stream, {
        description: `1Password ${stream} events, one row per archived event (gzip NDJSON as the Events API returned it)`,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          EXTERNAL: 'TRUE',
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          'projection.source.type': 'enum',
          'projection.source.values': this.sourceNames.join(','),
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          // A day ahead: `dt` is the writer's UTC date, which a query may not have reached yet.
          'projection.dt.range': `${partitionStart},NOW+1DAYS`,
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'storage.location.template': `${bucketRoot}source=\${source}/type=${stream}/dt=\${dt}/`,
        },
        partitionKeys: PARTITION_COLUMNS.map(glueColumn),
        storageDescriptor: {
          columns: STREAM_COLUMNS[stream].map(glueColumn),
          location: bucketRoot,
          inputFormat: TEXT_INPUT_FORMAT,
          outputFormat: TEXT_OUTPUT_FORMAT,
          serdeInfo: {
            serializationLibrary: OPENX_JSON_SERDE,
            // A line that is not JSON reads as a row of NULLs instead of failing the query.
            parameters: { 'ignore.malformed.json': 'TRUE', 'case.insensitive': 'TRUE' },
          },
        },
      });
    }

    // Backfills live under backfill/<from>_<to>/source=…/type=…/dt=…/, ranges no projection can
    // enumerate: one unpartitioned table per stream reads the whole prefix (every stream's
    // backfills, a few days each), and the views keep its own stream's rows by "$path".
    for (const stream of EVENT_STREAMS) {
      addTable(backfillTable(stream), {
        description: `1Password ${stream} events archived by backfill runs (every range; the views keep type=${stream} and drop events the stream holds too)`,
        tableType: 'EXTERNAL_TABLE',
        parameters: { EXTERNAL: 'TRUE', classification: 'json', compressionType: 'gzip' },
        storageDescriptor: {
          columns: STREAM_COLUMNS[stream].map(glueColumn),
          location: `${bucketRoot}${BACKFILL_PREFIX}`,
          inputFormat: TEXT_INPUT_FORMAT,
          outputFormat: TEXT_OUTPUT_FORMAT,
          serdeInfo: {
            serializationLibrary: OPENX_JSON_SERDE,
            parameters: { 'ignore.malformed.json': 'TRUE', 'case.insensitive': 'TRUE' },
          },
        },
      });
    }

    for (const lookup of LOOKUP_TABLES) {
      addTable(lookup.name, {
        description: `${lookup.description}; drop the files at s3://<archive bucket>/${props.archive.prefix}${lookup.folder}`,
        tableType: 'EXTERNAL_TABLE',
        parameters: { EXTERNAL: 'TRUE', classification: 'csv', 'skip.header.line.count': '1' },
        storageDescriptor: {
          columns: lookup.columns.map(glueColumn),
          location: `${bucketRoot}${lookup.folder}`,
          inputFormat: TEXT_INPUT_FORMAT,
          outputFormat: TEXT_OUTPUT_FORMAT,
          serdeInfo: {
            // Quoted fields, so names may hold commas.
            serializationLibrary: OPEN_CSV_SERDE,
            parameters: { separatorChar: ',', quoteChar: '"', escapeChar: '\\' },
          },
        },
      });
    }

    for (const view of VIEWS) {
      const table = addTable(view.name, prestoView(view, this.databaseName));
      // A view is checked against the tables and views it reads when it is created.
      for (const other of Object.keys(tables)) {
        if (other !== view.name && referencesTable(view, other)) {
          const dependency = tables[other];
          if (dependency) table.addResourceDependency(dependency);
        }
      }
    }
    this.tables = tables;

    this.resultsBucket = new s3.Bucket(this, 'Results', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.archive.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: props.accessLogBucket,
      serverAccessLogsPrefix: 'athena-results/',
      lifecycleRules: [
        {
          expiration: props.resultsRetention ?? Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      // Results are copies of archived events: kept like the archive when the stack goes,
      // and emptied by the lifecycle rule.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'Queries over the 1Password Events archive',
      state: 'ENABLED',
      // Deleting the stack removes the workgroup with its saved queries and history.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        // Users cannot send results elsewhere, unencrypted, or lift the scan limit.
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: (props.bytesScannedCutoffPerQuery ?? Size.gibibytes(10)).toBytes(),
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/results/`,
          encryptionConfiguration: {
            encryptionOption: 'SSE_KMS',
            kmsKey: props.archive.encryptionKey.keyArn,
          },
          expectedBucketOwner: Aws.ACCOUNT_ID,
        },
      },
    });

    const namedQueries: Record<string, athena.CfnNamedQuery> = {};
    for (const query of SAVED_QUERIES) {
      const named = new athena.CfnNamedQuery(this, `Query-${query.id}`, {
        name: query.title,
        description: query.question.slice(0, 1024),
        database: this.databaseName,
        workGroup: this.workGroup.ref,
        queryString: renderQuery(query, athenaDialect),
      });
      for (const table of Object.values(tables)) named.addResourceDependency(table);
      namedQueries[query.id] = named;
    }
    this.namedQueries = namedQueries;

    this.analystPolicy = new iam.ManagedPolicy(this, 'AnalystPolicy', {
      description: `Query the 1Password Events archive with Athena (workgroup ${this.workGroupName}, read-only)`,
    });
    for (const permission of this.queryPermissions()) {
      this.analystPolicy.addStatements(new iam.PolicyStatement(permission));
    }
    for (const [resource, reason] of this.wildcardResources()) {
      acknowledgeWildcardResource(policyAsGrantee(this.analystPolicy), resource, reason);
    }
  }

  /**
   * Lets `grantee` query the archive in the workgroup, read-only, as the managed policy does:
   *
   * - `athena:StartQueryExecution`, `StopQueryExecution`, `GetQueryExecution`, `GetQueryResults`,
   *   `GetQueryResultsStream`, `GetQueryRuntimeStatistics`, `ListQueryExecutions`,
   *   `BatchGetQueryExecution`, `GetWorkGroup`, `ListNamedQueries`, `GetNamedQuery`,
   *   `BatchGetNamedQuery` on the workgroup;
   * - `athena:GetDataCatalog`, `GetDatabase`, `ListDatabases`, `GetTableMetadata`,
   *   `ListTableMetadata` on the AWS data catalog;
   * - `glue:GetDatabase`, `GetDatabases`, `GetTable`, `GetTables` on the catalog, the database
   *   and its tables and views (by name);
   * - `s3:GetObject` on each source's objects, the backfills and the lookups, `s3:ListBucket`
   *   (only those prefixes) and `s3:GetBucketLocation` on the archive bucket;
   * - `s3:GetObject`, `PutObject`, `AbortMultipartUpload`, `ListMultipartUploadParts` on the
   *   results, `s3:ListBucket`, `GetBucketLocation` on the results bucket;
   * - `kms:Decrypt`, `kms:GenerateDataKey` on the archive key, only through S3.
   */
  public grantQuery(grantee: iam.IGrantable): void {
    for (const { actions, resources, conditions } of this.queryPermissions()) {
      iam.Grant.addToPrincipal({
        grantee,
        actions,
        resourceArns: resources,
        ...(conditions ? { conditions } : {}),
      });
    }
    for (const [resource, reason] of this.wildcardResources())
      acknowledgeWildcardResource(grantee, resource, reason);
  }

  /**
   * Lets `grantee` put lookup CSVs under `{prefix}lookups/`: `s3:PutObject` there and
   * `kms:GenerateDataKey` on the archive key, only through S3. (Object Lock keeps every
   * version for the archive's retention; a new upload becomes the current one.)
   */
  public grantLookupsWrite(grantee: iam.IGrantable): void {
    const lookups = this.archive.bucket.arnForObjects(`${this.archive.prefix}${LOOKUPS_PREFIX}*`);
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [lookups] });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:GenerateDataKey'],
      resourceArns: [this.archive.encryptionKey.keyArn],
      conditions: viaS3For(this.archive.bucket.bucketArn, `${this.archive.prefix}${LOOKUPS_PREFIX}`),
    });
    acknowledgeWildcardResource(
      grantee,
      lookups,
      'Lookup CSVs are named by the operator; the wildcard covers only the lookups prefix, never the archived events.',
    );
  }

  /** Bytes scanned by the workgroup's queries (AWS/Athena ProcessedBytes), summed over `period`. */
  public metricProcessedBytes(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Athena',
      metricName: 'ProcessedBytes',
      dimensionsMap: { WorkGroup: this.workGroupName },
      statistic: 'Sum',
      period: Duration.hours(1),
      ...options,
    });
  }

  private queryPermissions(): QueryPermission[] {
    const { bucket, encryptionKey, prefix } = this.archive;
    const catalog = `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:catalog`;
    const databaseArn = `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:database/${this.databaseName}`;
    const tableArns = [...Object.keys(this.tables), ...(this.externalTables?.names ?? [])].map(
      (name) =>
        `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:table/${this.databaseName}/${name}`,
    );
    const workGroupArn = `arn:${Aws.PARTITION}:athena:${Aws.REGION}:${Aws.ACCOUNT_ID}:workgroup/${this.workGroupName}`;
    const dataCatalogArn = `arn:${Aws.PARTITION}:athena:${Aws.REGION}:${Aws.ACCOUNT_ID}:datacatalog/AwsDataCatalog`;
    const readablePrefixes = [
      ...this.sourceNames.map((name) => `${prefix}source=${name}/`),
      `${prefix}${BACKFILL_PREFIX}`,
      `${prefix}${LOOKUPS_PREFIX}`,
      ...(this.notaryKey ? [`${prefix}${DIGESTS_PREFIX}`] : []),
      ...(this.externalTables ? [`${prefix}${this.externalTables.folder}`] : []),
    ];
    // The archive's objects and the query results, by their buckets' encryption context.
    const viaS3 = viaServiceFor('s3', 'aws:s3:arn', [
      bucket.bucketArn,
      `${bucket.bucketArn}/*`,
      this.resultsBucket.bucketArn,
      `${this.resultsBucket.bucketArn}/*`,
    ]);
    return [
      {
        sid: 'RunQueriesInTheWorkgroup',
        actions: [
          'athena:StartQueryExecution',
          'athena:StopQueryExecution',
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:GetQueryResultsStream',
          'athena:GetQueryRuntimeStatistics',
          'athena:ListQueryExecutions',
          'athena:BatchGetQueryExecution',
          'athena:GetWorkGroup',
          'athena:ListNamedQueries',
          'athena:GetNamedQuery',
          'athena:BatchGetNamedQuery',
        ],
        resources: [workGroupArn],
      },
      {
        sid: 'BrowseTheCatalogInAthena',
        actions: [
          'athena:GetDataCatalog',
          'athena:GetDatabase',
          'athena:ListDatabases',
          'athena:GetTableMetadata',
          'athena:ListTableMetadata',
        ],
        resources: [dataCatalogArn],
      },
      {
        sid: 'ReadTheTableDefinitions',
        actions: ['glue:GetDatabase', 'glue:GetDatabases', 'glue:GetTable', 'glue:GetTables'],
        resources: [catalog, databaseArn, ...tableArns],
      },
      {
        sid: 'ReadTheArchive',
        actions: ['s3:GetObject'],
        resources: readablePrefixes.map((path) => bucket.arnForObjects(`${path}*`)),
      },
      {
        sid: 'ListTheArchive',
        // ListBucketVersions: verify reports keys with a second version or a delete marker.
        actions: ['s3:ListBucket', 's3:ListBucketVersions'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': readablePrefixes.map((path) => `${path}*`) } },
      },
      {
        sid: 'LocateTheBuckets',
        actions: ['s3:GetBucketLocation'],
        resources: [bucket.bucketArn, this.resultsBucket.bucketArn],
      },
      {
        sid: 'ReadAndWriteQueryResults',
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [this.resultsBucket.arnForObjects('results/*')],
      },
      {
        sid: 'ListQueryResults',
        actions: ['s3:ListBucket'],
        resources: [this.resultsBucket.bucketArn],
      },
      {
        sid: 'DecryptTheArchiveEncryptTheResults',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [encryptionKey.keyArn],
        conditions: viaS3,
      },
      ...(this.notaryKey
        ? [
            {
              sid: 'ReadTheNotaryPublicKey',
              actions: ['kms:GetPublicKey', 'kms:DescribeKey'],
              resources: [this.notaryKey.keyArn],
            },
          ]
        : []),
    ];
  }

  /** The policy's wildcard resources, each with why it cannot be narrower. */
  private wildcardResources(): [string, string][] {
    const { bucket, prefix } = this.archive;
    return [
      ...this.sourceNames.map((name): [string, string] => [
        bucket.arnForObjects(`${prefix}source=${name}/*`),
        `Athena reads every archived object of source ${name}; the collector names a new key for each batch.`,
      ]),
      [
        bucket.arnForObjects(`${prefix}${BACKFILL_PREFIX}*`),
        'Athena reads every object a backfill run archived; each range and batch has a key of its own.',
      ],
      [
        bucket.arnForObjects(`${prefix}${LOOKUPS_PREFIX}*`),
        'Athena reads the lookup CSV files the operator drops under the lookups prefix, whatever their names.',
      ],
      ...(this.notaryKey
        ? [
            [
              bucket.arnForObjects(`${prefix}${DIGESTS_PREFIX}*`),
              'verify reads every digest the notary signed; the notary names a new key for each one.',
            ] as [string, string],
          ]
        : []),
      ...(this.externalTables
        ? [
            [
              bucket.arnForObjects(`${prefix}${this.externalTables.folder}*`),
              `Athena reads the objects of ${this.externalTables.names.join(', ')}, one per archive object, class and day.`,
            ] as [string, string],
          ]
        : []),
      [
        this.resultsBucket.arnForObjects('results/*'),
        'Athena writes each query result under a new key named by the query id, in a bucket that holds only results.',
      ],
    ];
  }
}

interface QueryPermission {
  readonly sid: string;
  readonly actions: string[];
  readonly resources: string[];
  readonly conditions?: Record<string, Record<string, unknown>>;
}

const PRESTO_TYPES: Record<ValueType, string> = {
  varchar: 'varchar',
  bigint: 'bigint',
  double: 'double',
  timestamp: 'timestamp(3)',
  date: 'date',
};

const HIVE_TYPES: Record<ValueType, string> = {
  varchar: 'string',
  bigint: 'bigint',
  double: 'double',
  timestamp: 'timestamp',
  date: 'date',
};

function glueColumn(column: { name: string; type: Parameters<typeof hiveType>[0]; comment?: string }) {
  return {
    name: column.name,
    type: hiveType(column.type),
    ...(column.comment ? { comment: column.comment } : {}),
  };
}

/**
 * A view as Athena stores one in Glue: the SQL and its column types in a base64 "Presto
 * View" blob, and the same columns in Hive types for other readers of the catalog.
 */
function prestoView(view: ViewDefinition, databaseName: string): glue.CfnTable.TableInputProperty {
  const blob = {
    originalSql: renderView(view, athenaDialect),
    catalog: 'awsdatacatalog',
    schema: databaseName,
    columns: view.columns.map((column) => ({ name: column.name, type: PRESTO_TYPES[column.type] })),
  };
  return {
    description: view.description,
    tableType: 'VIRTUAL_VIEW',
    parameters: { presto_view: 'true', comment: 'Presto View' },
    viewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify(blob)).toString('base64')} */`,
    viewExpandedText: '/* Presto View */',
    storageDescriptor: {
      columns: view.columns.map((column) => ({
        name: column.name,
        type: HIVE_TYPES[column.type],
        ...(column.comment ? { comment: column.comment } : {}),
      })),
      serdeInfo: {},
    },
  };
}

function referencesTable(view: ViewDefinition, table: string): boolean {
  return new RegExp(`\\b(FROM|JOIN)\\s+${table}\\b`, 'i').test(renderView(view, athenaDialect));
}

/**
 * cdk-nag reports a managed policy's wildcards on the policy itself; the house helper takes
 * a grantee, so the policy is handed over as the construct the acknowledgement goes on.
 */
function policyAsGrantee(policy: iam.ManagedPolicy): iam.IGrantable {
  return { grantPrincipal: policy as unknown as iam.IPrincipal };
}
