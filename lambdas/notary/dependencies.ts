import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AWS_MAX_ATTEMPTS, AwsTimeouts } from '../shared/aws-timeouts';
import { parseNotaryEnv } from '../shared/env';
import type { Log } from '../shared/observability';
import { StateStore } from '../shared/state-store';
import { KmsDigestSigner } from './kms-signer';
import type { NotaryDependencies } from './notary';
import { NotaryStateStore } from './notary-state';

/** Builds the notary's collaborators from the environment (README, "Digests"). */
export function buildNotaryDependencies(
  processEnv: NodeJS.ProcessEnv,
  log: Log,
): Omit<NotaryDependencies, 'signal'> {
  const env = parseNotaryEnv(processEnv);
  const small = { maxAttempts: AWS_MAX_ATTEMPTS, requestHandler: AwsTimeouts.small };
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient(small), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    s3: new S3Client({ ...small, forcePathStyle: env.S3_FORCE_PATH_STYLE }),
    bucket: env.ARCHIVE_BUCKET,
    prefix: env.ARCHIVE_PREFIX,
    sources: env.SOURCE_NAMES,
    streams: new StateStore(dynamo, env.STATE_TABLE),
    notaryState: new NotaryStateStore(dynamo, env.STATE_TABLE),
    signer: new KmsDigestSigner(new KMSClient(small), env.NOTARY_KEY_ID),
    log,
  };
}
