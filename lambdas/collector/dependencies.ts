import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ArchiveWriter } from '../shared/archive/writer';
import { AWS_MAX_ATTEMPTS, AwsTimeouts } from '../shared/aws-timeouts';
import { type CollectorEnv, parseCollectorEnv } from '../shared/env';
import { RequestBudget } from '../shared/events-api/request-budget';
import { RhythmStore } from '../shared/liveness/rhythm-store';
import { EmfMetricsSink, type Log } from '../shared/observability';
import { StateStore } from '../shared/state-store';
import { SecretsManagerTokenSource } from '../shared/token/provider';
import type { CollectorDependencies } from './collector';

/**
 * Builds the collector's collaborators from the environment. AWS clients get no explicit
 * endpoint: the SDK's own variables (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_DYNAMODB`,
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`) point the same code at local servers.
 */
export function buildDependencies(processEnv: NodeJS.ProcessEnv, log: Log): CollectorDependencies {
  const env: CollectorEnv = parseCollectorEnv(processEnv);
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({ maxAttempts: AWS_MAX_ATTEMPTS, requestHandler: AwsTimeouts.small }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const s3 = new S3Client({
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
    maxAttempts: AWS_MAX_ATTEMPTS,
    requestHandler: AwsTimeouts.archive,
  });
  return {
    env,
    tokens: new SecretsManagerTokenSource(
      new SecretsManagerClient({ maxAttempts: AWS_MAX_ATTEMPTS, requestHandler: AwsTimeouts.small }),
      env.TOKEN_SECRET_ID,
    ),
    state: new StateStore(dynamo, env.STATE_TABLE),
    rhythms: new RhythmStore(dynamo, env.STATE_TABLE),
    archive: new ArchiveWriter(s3, env.ARCHIVE_BUCKET),
    budget: new RequestBudget(env.REQUEST_BUDGET_PER_MINUTE, env.REQUEST_BUDGET_PER_HOUR),
    log,
    metrics: new EmfMetricsSink(),
  };
}
