import { Duration, NestedStack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { IArchiveBucket } from './archive-bucket';
import {
  dropOffCeilingHours,
  dropOffHours,
  EVENT_STREAMS,
  EVENTS_API_URLS,
  type SourceConfig,
  scheduleMinutes,
} from './config';
import { ParentValues } from './nested-imports';
import { SourceCollector } from './source-collector';
import { type IStateTable, StateTable } from './state-table';

/** Properties of a {@link SourceStack}. */
export interface SourceStackProps {
  /** The source, as validated from the deployment config. */
  readonly source: SourceConfig;

  /** Deployment name: prefixes the function and alarm names. */
  readonly deploymentName: string;

  /** The archive, from the parent stack. */
  readonly archive: IArchiveBucket;

  /** The state table, from the parent stack. */
  readonly state: IStateTable;

  /** The alarm topic, from the parent stack. */
  readonly alarmTopic: sns.ITopic;

  /** The deployment's schedule group, from the parent stack. */
  readonly scheduleGroup: scheduler.IScheduleGroup;

  /** Reserve one concurrent execution for the collector. */
  readonly reserveConcurrency: boolean;

  /** Memory of the collector in MB. */
  readonly memorySize: number;

  /** Timeout of the collector. */
  readonly timeout: Duration;

  /** Retention of the collector's log group. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * One source in a nested stack of its own. A deployment then grows by one parent
 * resource per source instead of about twenty, which keeps a hundred sources within
 * CloudFormation's 500 resources per stack; adding or removing a source touches only
 * its own nested stack, and `cdk deploy` still deploys one stack.
 *
 * The shared resources arrive as named parameters rather than as the references CDK
 * would generate, so the nested template, its IAM policy and its cdk-nag
 * acknowledgements read the same whatever the parent looks like.
 */
export class SourceStack extends NestedStack {
  public readonly collector: SourceCollector;

  constructor(scope: Construct, id: string, props: SourceStackProps) {
    super(scope, id, { description: `1Password Events collector of source ${props.source.name}` });
    const { source } = props;

    const parent = new ParentValues(this);
    const param = parent.param.bind(parent);
    const key = parent.archiveKey(props.archive);
    const archive = parent.archive(props.archive, key);
    const stateKey = kms.Key.fromKeyArn(
      this,
      'StateKey',
      param('StateTableKeyArn', props.state.encryptionKey.keyArn),
    );
    const state = StateTable.fromStateTableAttributes(this, 'State', {
      tableArn: param('StateTableArn', props.state.table.tableArn),
      encryptionKey: stateKey,
    });
    const alarmTopic = parent.alarmTopic(props.alarmTopic);

    const scheduleGroup = scheduler.ScheduleGroup.fromScheduleGroupName(
      this,
      'ScheduleGroup',
      param('ScheduleGroupName', props.scheduleGroup.scheduleGroupName),
    );

    const tokenSecret = source.tokenSecretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'TokenSecret', source.tokenSecretArn)
      : undefined;
    const tokenSecretKey = source.tokenSecretKmsKeyArn
      ? kms.Key.fromKeyArn(this, 'TokenSecretKey', source.tokenSecretKmsKeyArn)
      : undefined;
    // A created secret is encrypted with the deployment key.
    const tokenSecretEncryptionKey = tokenSecret ? tokenSecretKey : key;

    this.collector = new SourceCollector(this, 'Collector', {
      sourceName: source.name,
      archive,
      state,
      alarmTopic,
      alarmNamePrefix: props.deploymentName,
      functionName: collectorFunctionName(props.deploymentName, source.name),
      ...(tokenSecret ? { tokenSecret } : {}),
      ...(tokenSecretEncryptionKey ? { tokenSecretEncryptionKey } : {}),
      ...(source.server ? { eventsApiUrl: EVENTS_API_URLS[source.server] } : {}),
      ...(source.eventTypes ? { eventTypes: source.eventTypes } : {}),
      ...(source.startFrom ? { startFrom: source.startFrom } : {}),
      scheduleInterval: Duration.minutes(scheduleMinutes(source.schedule)),
      scheduleGroup,
      deadLetterQueueEncryptionKey: key,
      enabled: source.enabled,
      dropOffWindows: Object.fromEntries(
        EVENT_STREAMS.map((stream) => {
          const hours = dropOffHours(source, stream);
          return [stream, hours === undefined ? false : Duration.hours(hours)];
        }),
      ),
      dropOffCeilings: Object.fromEntries(
        EVENT_STREAMS.map((stream) => {
          const hours = dropOffCeilingHours(source, stream);
          return [stream, hours === undefined ? false : Duration.hours(hours)];
        }),
      ),
      behindThreshold: Duration.minutes(Math.round(source.behindThresholdHours * 60)),
      reserveConcurrency: props.reserveConcurrency,
      memorySize: props.memorySize,
      timeout: props.timeout,
      logRetention: props.logRetention,
    });
  }
}

/** The collector function's name, also its schedule's: `<deployment>-<source>`, at most 64 characters. */
export function collectorFunctionName(deploymentName: string, sourceName: string): string {
  return `${deploymentName}-${sourceName}`;
}
