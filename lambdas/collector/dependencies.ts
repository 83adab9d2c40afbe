import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ArchiveWriter } from '../shared/archive-writer';
import { type CollectorEnv, parseCollectorEnv } from '../shared/env';
import { RequestBudget } from '../shared/events-api/request-budget';
import { EmfMetricsSink, type Log } from '../shared/observability';
import { StateStore } from '../shared/state-store';
import { SecretsManagerTokenSource } from '../shared/token-provider';
import type { CollectorDependencies } from './collector';

/**
 * Every AWS call is bounded: by these timeouts per attempt, by the SDK's attempt count, and by
 * the lease's AbortSignal that the stream collector hands to each call. A state write is a
 * small item; an archive write is up to 32 MiB (BATCH_MAX_BYTES) of gzip, usually a few MiB.
 */
const DYNAMODB_TIMEOUTS = { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true };
const S3_TIMEOUTS = { connectionTimeout: 3_000, requestTimeout: 60_000, throwOnRequestTimeout: true };

/**
 * Builds the collector's collaborators from the environment. AWS clients get no explicit
 * endpoint: the SDK's own variables (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_DYNAMODB`,
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`) point the same code at local servers.
 */
export function buildDependencies(processEnv: NodeJS.ProcessEnv, log: Log): CollectorDependencies {
  const env: CollectorEnv = parseCollectorEnv(processEnv);
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({ maxAttempts: 4, requestHandler: DYNAMODB_TIMEOUTS }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const s3 = new S3Client({
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
    maxAttempts: 4,
    requestHandler: S3_TIMEOUTS,
  });
  return {
    env,
    tokens: new SecretsManagerTokenSource(new SecretsManagerClient({}), env.TOKEN_SECRET_ID),
    state: new StateStore(dynamo, env.STATE_TABLE),
    archive: new ArchiveWriter(s3, env.ARCHIVE_BUCKET),
    budget: new RequestBudget(env.REQUEST_BUDGET_PER_MINUTE, env.REQUEST_BUDGET_PER_HOUR),
    log,
    metrics: new EmfMetricsSink(),
  };
}
