import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AWS_MAX_ATTEMPTS, AwsTimeouts } from '../shared/aws-timeouts';
import {
  EventBridgeSink,
  FindingClaims,
  type FindingSink,
  FindingsArchiveSink,
  SnsSink,
} from '../shared/detections/delivery';
import { DynamoHistory } from '../shared/detections/history';
import { S3Names } from '../shared/detections/names';
import { SecurityHubSink } from '../shared/detections/security-hub';
import type { Log } from '../shared/observability';
import type { DetectorDependencies, DetectorMetrics } from './detector';
import { parseDetectorEnv } from './env';
import { RULES } from './rules';

/** Builds the detector's collaborators from the environment (README, "Detections"). */
export function buildDetectorDependencies(
  processEnv: NodeJS.ProcessEnv,
  log: Log,
  metrics?: DetectorMetrics,
): DetectorDependencies {
  const env = parseDetectorEnv(processEnv);
  const small = { maxAttempts: AWS_MAX_ATTEMPTS, requestHandler: AwsTimeouts.small };
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient(small), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const s3 = new S3Client({
    maxAttempts: AWS_MAX_ATTEMPTS,
    requestHandler: AwsTimeouts.archive,
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
  });
  const names = new S3Names(s3, env.ARCHIVE_BUCKET, env.ARCHIVE_PREFIX, (error) =>
    log.warn('Could not read the lookups; messages show uuids', {
      error: error instanceof Error ? error.message : String(error),
    }),
  );
  const sinks: FindingSink[] = [
    new FindingsArchiveSink(s3, env.ARCHIVE_BUCKET, env.ARCHIVE_PREFIX),
    new EventBridgeSink(new EventBridgeClient(small), env.EVENT_BUS_NAME),
    ...(env.SECURITY_TOPIC_ARN
      ? [new SnsSink(new SNSClient(small), env.SECURITY_TOPIC_ARN, () => names.current(Date.now()))]
      : []),
    ...(env.SECURITY_HUB_PRODUCT_ARN
      ? [new SecurityHubSink(new SecurityHubClient(small), env.SECURITY_HUB_PRODUCT_ARN)]
      : []),
  ];
  return {
    s3,
    bucket: env.ARCHIVE_BUCKET,
    prefix: env.ARCHIVE_PREFIX,
    rules: RULES,
    settings: env.settings,
    history: new DynamoHistory(dynamo, env.DETECTOR_TABLE),
    claims: new FindingClaims(dynamo, env.DETECTOR_TABLE),
    sinks,
    log,
    ...(metrics ? { metrics } : {}),
  };
}
