import { Aws, Duration, NestedStack, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { classSlug, defaultSourceLocation } from '../lambdas/shared/ocsf/layout';
import { hiveType, parquetColumns } from '../lambdas/shared/ocsf/parquet';
import { OCSF_CLASSES, type OcsfClass } from '../lambdas/shared/ocsf/record';
import { DIGESTS_PREFIX, type IArchiveBucket, OCSF_PREFIX } from './archive-bucket';
import {
  archiveConsumerQueues,
  type ConsumerQueues,
  type ConsumerWording,
  consumeQueue,
  consumerAlarms,
} from './archive-consumer';
import { HouseNodejsFunction } from './house-nodejs-function';
import { viaS3For } from './kms-conditions';
import { acknowledgeRule, acknowledgeWildcardResource } from './nag';
import { ParentValues } from './nested-imports';

/** The transformer's handler, relative to the repository root. */
export const OCSF_TRANSFORMER_ENTRY = 'lambdas/ocsf-transformer/handler.ts';

/** The transformer's role, named so the archive's bucket policy can name it. */
export function ocsfRoleName(deploymentName: string): string {
  return `${deploymentName}-ocsf`;
}

/**
 * Security Lake's name of each class (CreateCustomLogSource `eventClasses`), where its API
 * documents one; User Access Management and Group Management have none there, and their
 * sources are registered without it.
 */
export const SECURITY_LAKE_EVENT_CLASSES: Readonly<Record<number, string>> = {
  [OCSF_CLASSES.accountChange.uid]: 'ACCOUNT_CHANGE',
  [OCSF_CLASSES.authentication.uid]: 'AUTHENTICATION',
  [OCSF_CLASSES.entityManagement.uid]: 'ENTITY_MANAGEMENT_AUDIT',
};

/** Short class names: a custom source's name is `<sourcePrefix>-<short>`, at most 20 characters. */
export const SECURITY_LAKE_SHORT_NAMES: Readonly<Record<number, string>> = {
  [OCSF_CLASSES.accountChange.uid]: 'account-change',
  [OCSF_CLASSES.authentication.uid]: 'authentication',
  [OCSF_CLASSES.entityManagement.uid]: 'entity-mgmt',
  [OCSF_CLASSES.userAccess.uid]: 'user-access',
  [OCSF_CLASSES.groupManagement.uid]: 'group-mgmt',
};

/** Registering the custom sources in Amazon Security Lake, instead of writing to the archive. */
export interface SecurityLakeOptions {
  /** Custom source names are `<sourcePrefix>-<class>`. */
  readonly sourcePrefix: string;
  readonly sourceVersion: string;
  /** The external id the provider roles Security Lake creates require. */
  readonly externalId: string;
}

export interface ArchiveOcsfProps {
  readonly archive: IArchiveBucket;
  readonly alarmTopic: sns.ITopic;
  readonly deploymentName: string;
  /** Without it, OCSF goes under `ocsf/` of the archive, with Athena tables in `databaseName`. */
  readonly securityLake?: SecurityLakeOptions;
  /** The search database the OCSF tables join (the archive's own Glue database). */
  readonly databaseName: string;
  /** The first `eventDay` the tables' partition projection covers (yyyyMMdd or NOW-<n>DAYS). */
  readonly partitionStart: string;
  readonly logRetention?: logs.RetentionDays;
}

const WORDING: ConsumerWording = {
  label: 'ocsf',
  who: 'the OCSF transformer',
  missing: 'Its events are not in OCSF yet.',
  late: 'OCSF records are late',
  commonFailure:
    'an invalid OCSF_DESTINATIONS (the error names the class; a Security Lake custom source deleted by hand: deploy again)',
  readme: 'Operate > OCSF transformer',
};

/** The construct id of the CDK's singleton provider function behind every AwsCustomResource of a stack. */
const AWS_CUSTOM_RESOURCE_PROVIDER_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

const PARQUET_SERDE = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe';
const PARQUET_INPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat';
const PARQUET_OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat';

/**
 * The OCSF transformer (README, "OCSF"): a consumer of the archive like the detector, with a
 * queue of its own fed by the bucket's EventBridge notifications. Each new batch becomes one
 * Parquet object per OCSF class and event day, either in Amazon Security Lake (one custom
 * source per class, registered here) or under `ocsf/` of the archive, with Athena tables.
 */
export class ArchiveOcsf extends Construct {
  public readonly function: HouseNodejsFunction;
  public readonly queues: ConsumerQueues;
  public readonly alarms: cloudwatch.Alarm[];
  /** Glue tables over `ocsf/`, by class uid (none with Security Lake, which makes its own). */
  public readonly tables: Readonly<Record<number, glue.CfnTable>>;
  /** The custom sources, by class uid (with Security Lake only). */
  public readonly customSources: Readonly<Record<number, cr.AwsCustomResource>>;

  constructor(scope: Construct, id: string, props: ArchiveOcsfProps) {
    super(scope, id);
    const { archive, deploymentName } = props;
    const functionName = `${deploymentName}-ocsf`;
    // A digest names what a source archived in an hour: during a first catch-up, up to millions
    // of events, at about 14,000 records a second on a whole vCPU (BENCHMARKS.md, OCSF).
    const timeout = Duration.minutes(15);
    this.queues = archiveConsumerQueues(this, {
      archive,
      wording: WORDING,
      description: `New digests and backfills of the 1Password Events archive "${deploymentName}" for its OCSF transformer`,
      timeout,
      // What the notary signed, digest by digest; backfills, which no digest names, object by object.
      folders: [DIGESTS_PREFIX, 'backfill/'],
    });

    const role = new iam.Role(this, 'FunctionRole', {
      roleName: ocsfRoleName(deploymentName),
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const classes = Object.values(OCSF_CLASSES);
    let destinations: Record<number, { location: string; roleArn?: string }>;
    if (props.securityLake) {
      this.customSources = this.registerCustomSources(props.securityLake, deploymentName);
      this.tables = {};
      destinations = Object.fromEntries(
        classes.map((c) => {
          const source = this.customSources[c.uid] as cr.AwsCustomResource;
          return [
            c.uid,
            {
              location: source.getResponseField('source.provider.location'),
              roleArn: source.getResponseField('source.provider.roleArn'),
            },
          ];
        }),
      );
    } else {
      this.customSources = {};
      const root = `s3://${archive.bucket.bucketName}/${archive.prefix}${OCSF_PREFIX}`;
      destinations = Object.fromEntries(
        classes.map((c) => [c.uid, { location: `${root}${defaultSourceLocation(c)}` }]),
      );
      this.tables = this.addTables(props, root);
    }

    this.function = new HouseNodejsFunction(this, 'Function', {
      entry: OCSF_TRANSFORMER_ENTRY,
      role,
      functionName,
      description: `Writes new objects of the 1Password Events archive "${deploymentName}" as OCSF Parquet`,
      environment: {
        ARCHIVE_BUCKET: archive.bucket.bucketName,
        ARCHIVE_PREFIX: archive.prefix,
        OCSF_REGION: Aws.REGION,
        OCSF_ACCOUNT_ID: Aws.ACCOUNT_ID,
        OCSF_DESTINATIONS: Stack.of(this).toJsonString(destinations),
        ...(props.securityLake ? { OCSF_EXTERNAL_ID: props.securityLake.externalId } : {}),
        POWERTOOLS_SERVICE_NAME: 'op-events-ocsf',
      },
      // A whole vCPU: the transform is CPU-bound and single-threaded.
      memorySize: 1769,
      timeout,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
    });
    consumeQueue(this.function, this.queues.queue, { maxConcurrency: 2 });
    this.grantArchiveRead(archive);
    if (props.securityLake) this.grantProviderRoles();
    else this.grantOcsfWrites(archive);

    const alarms = consumerAlarms(this, {
      deploymentName,
      wording: WORDING,
      fn: this.function,
      functionName,
      queues: this.queues,
    });
    this.alarms = [alarms.deadLetters, alarms.errors, alarms.behind];
    const action = new cloudwatchActions.SnsAction(props.alarmTopic);
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }

  /** `s3:GetObject` on the digests and the batch objects of every source and backfill; the archive key through S3. */
  private grantArchiveRead(archive: IArchiveBucket): void {
    const grantee = this.function;
    const reasons: Record<string, string> = {
      'digests/*':
        "The transformer reads each source's digests, which the notary names by source and number; it may not write there.",
      'source=*':
        "The transformer reads every source's new batch objects, whose keys the collectors name per batch; it may not write there.",
      'backfill/*':
        "The transformer reads the backfills' batch objects, whose keys name their range and batch; it may not write there.",
    };
    const read = Object.keys(reasons).map((pattern) =>
      archive.bucket.arnForObjects(`${archive.prefix}${pattern}`),
    );
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: read });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resourceArns: [archive.encryptionKey.keyArn],
      conditions: viaS3For(archive.bucket.bucketArn, archive.prefix),
    });
    for (const [pattern, reason] of Object.entries(reasons)) {
      acknowledgeWildcardResource(
        grantee,
        archive.bucket.arnForObjects(`${archive.prefix}${pattern}`),
        reason,
      );
    }
  }

  /** `s3:PutObject` under `ocsf/` only with `If-None-Match`; `s3:GetObject` there, to skip a part already written. */
  private grantOcsfWrites(archive: IArchiveBucket): void {
    const grantee = this.function;
    const ocsf = archive.bucket.arnForObjects(`${archive.prefix}${OCSF_PREFIX}*`);
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject'],
      resourceArns: [ocsf],
      conditions: { Null: { 's3:if-none-match': 'false' } },
    });
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [ocsf] });
    acknowledgeWildcardResource(
      grantee,
      ocsf,
      'The transformer writes each OCSF object once, under a key derived from its archive object, with If-None-Match.',
    );
  }

  /** `sts:AssumeRole` on the provider roles Security Lake made for the custom sources, and no other. */
  private grantProviderRoles(): void {
    iam.Grant.addToPrincipal({
      grantee: this.function,
      actions: ['sts:AssumeRole'],
      resourceArns: Object.values(this.customSources).map((source) =>
        source.getResponseField('source.provider.roleArn'),
      ),
    });
  }

  /**
   * One custom source per class, through Security Lake's API: CloudFormation has
   * `AWS::SecurityLake::DataLake`, `AwsLogSource` and `Subscriber`, and no custom log source.
   * Security Lake makes, per source, the Glue crawler, database table and the provider role
   * the transformer writes as; the crawler runs as the role made here.
   */
  private registerCustomSources(options: SecurityLakeOptions, deploymentName: string) {
    const names = Object.values(OCSF_CLASSES).map((c) => ({
      ocsfClass: c,
      name: `${options.sourcePrefix}-${SECURITY_LAKE_SHORT_NAMES[c.uid]}`,
    }));
    const crawlerRole = new iam.Role(this, 'CrawlerRole', {
      roleName: `${deploymentName}-ocsf-crawler`,
      description: `Security Lake's Glue crawlers of the 1Password custom sources of "${deploymentName}"`,
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSGlueServiceRole')],
    });
    const lakeObjects = names.map(
      ({ name }) => `arn:${Aws.PARTITION}:s3:::aws-security-data-lake-${Aws.REGION}-*/ext/${name}/*`,
    );
    crawlerRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: lakeObjects }),
    );
    acknowledgeRule(
      crawlerRole,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSGlueServiceRole]',
      'AWSGlueServiceRole is the managed policy Security Lake requires of a custom source crawler role (CreateCustomLogSource).',
    );
    for (const resource of lakeObjects) {
      acknowledgeWildcardResource(
        crawlerRole,
        resource,
        "The crawler reads its custom source's objects under ext/<source>/ of the data lake bucket, whose name ends in an id Security Lake chose.",
      );
    }

    const sources: Record<number, cr.AwsCustomResource> = {};
    for (const { ocsfClass, name } of names) {
      const eventClass = SECURITY_LAKE_EVENT_CLASSES[ocsfClass.uid];
      const create: cr.AwsSdkCall = {
        service: 'SecurityLake',
        action: 'createCustomLogSource',
        parameters: {
          sourceName: name,
          sourceVersion: options.sourceVersion,
          ...(eventClass ? { eventClasses: [eventClass] } : {}),
          configuration: {
            crawlerConfiguration: { roleArn: crawlerRole.roleArn },
            providerIdentity: { principal: Aws.ACCOUNT_ID, externalId: options.externalId },
          },
        },
        physicalResourceId: cr.PhysicalResourceId.of(`${name}@${options.sourceVersion}`),
        outputPaths: ['source.provider.location', 'source.provider.roleArn'],
      };
      const source = new cr.AwsCustomResource(this, `CustomSource${ocsfClass.uid}`, {
        resourceType: 'Custom::SecurityLakeCustomLogSource',
        installLatestAwsSdk: false,
        // A new name or version is a new source: CloudFormation creates it, then deletes the old
        // one with its own name. The physical id changes with them, which is what replaces it.
        onCreate: create,
        onUpdate: create,
        onDelete: {
          service: 'SecurityLake',
          action: 'deleteCustomLogSource',
          parameters: { sourceName: name, sourceVersion: options.sourceVersion },
        },
        policy: cr.AwsCustomResourcePolicy.fromStatements([
          new iam.PolicyStatement({
            actions: ['securitylake:CreateCustomLogSource', 'securitylake:DeleteCustomLogSource'],
            resources: ['*'],
          }),
          // What Security Lake does with the caller's permissions when it adds a source.
          new iam.PolicyStatement({
            actions: [
              'glue:CreateCrawler',
              'glue:CreateDatabase',
              'glue:CreateTable',
              'glue:StopCrawlerSchedule',
              'glue:DeleteCrawler',
              'iam:GetRole',
              'iam:PutRolePolicy',
              'iam:DeleteRolePolicy',
              'lakeformation:RegisterResource',
              'lakeformation:GrantPermissions',
              's3:ListBucket',
              's3:PutObject',
            ],
            resources: ['*'],
          }),
          new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [crawlerRole.roleArn] }),
        ]),
      });
      sources[ocsfClass.uid] = source;
    }
    acknowledgeRule(
      this,
      'AwsSolutions-IAM5[Resource::*]',
      "Security Lake's CreateCustomLogSource and DeleteCustomLogSource take no resource ARN, and act with the caller's Glue, Lake Formation, IAM and S3 permissions on resources Security Lake names (its crawler, its provider role, its bucket).",
    );
    const provider = Stack.of(this).node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID);
    if (provider) {
      acknowledgeRule(
        provider,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        "The CDK's AwsCustomResource provider function writes its logs with AWSLambdaBasicExecutionRole, as the CDK defines it; it runs only when the stack is deployed.",
      );
    }
    return sources;
  }

  /** One Glue table per class over `ocsf/`, with partition projection on region, account and event day. */
  private addTables(props: ArchiveOcsfProps, root: string): Record<number, glue.CfnTable> {
    const tables: Record<number, glue.CfnTable> = {};
    for (const ocsfClass of Object.values(OCSF_CLASSES)) {
      const location = `${root}${defaultSourceLocation(ocsfClass)}`;
      tables[ocsfClass.uid] = new glue.CfnTable(this, `Table${ocsfClass.uid}`, {
        catalogId: Aws.ACCOUNT_ID,
        databaseName: props.databaseName,
        tableInput: {
          name: ocsfTableName(ocsfClass),
          description: `1Password events as OCSF 1.1.0 ${ocsfClass.name} (${ocsfClass.uid}) records (unmapped and entity.data as JSON text)`,
          tableType: 'EXTERNAL_TABLE',
          parameters: {
            EXTERNAL: 'TRUE',
            classification: 'parquet',
            'projection.enabled': 'true',
            'projection.region.type': 'enum',
            'projection.region.values': Aws.REGION,
            'projection.account_id.type': 'enum',
            'projection.account_id.values': Aws.ACCOUNT_ID,
            'projection.event_day.type': 'date',
            'projection.event_day.format': 'yyyyMMdd',
            'projection.event_day.range': `${props.partitionStart},NOW+1DAYS`,
            'projection.event_day.interval': '1',
            'projection.event_day.interval.unit': 'DAYS',
            'storage.location.template': `${location}region=\${region}/accountId=\${account_id}/eventDay=\${event_day}/`,
          },
          partitionKeys: ['region', 'account_id', 'event_day'].map((name) => ({ name, type: 'string' })),
          storageDescriptor: {
            columns: parquetColumns(ocsfClass).map(([name, shape]) => ({ name, type: hiveType(shape) })),
            location,
            inputFormat: PARQUET_INPUT_FORMAT,
            outputFormat: PARQUET_OUTPUT_FORMAT,
            serdeInfo: { serializationLibrary: PARQUET_SERDE },
          },
        },
      });
    }
    return tables;
  }
}

/** `ocsf_authentication`, `ocsf_account_change`, …: the Athena table of a class. */
export function ocsfTableName(ocsfClass: OcsfClass): string {
  return `ocsf_${classSlug(ocsfClass).replaceAll('-', '_')}`;
}

export interface OcsfStackProps extends Omit<ArchiveOcsfProps, 'archive' | 'alarmTopic'> {
  readonly archive: IArchiveBucket;
  readonly alarmTopic: sns.ITopic;
}

/** The transformer in a nested stack of its own, like the detector: the parent template stays small. */
export class OcsfStack extends NestedStack {
  public readonly ocsf: ArchiveOcsf;

  constructor(scope: Construct, id: string, props: OcsfStackProps) {
    super(scope, id, { description: `1Password Events OCSF output of "${props.deploymentName}"` });
    const parent = new ParentValues(this);
    const archive = parent.archive(props.archive, parent.archiveKey(props.archive));
    const alarmTopic = parent.alarmTopic(props.alarmTopic);
    this.ocsf = new ArchiveOcsf(this, 'Ocsf', { ...props, archive, alarmTopic });
  }
}
