import { S3Client } from '@aws-sdk/client-s3';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { AWS_MAX_ATTEMPTS, AwsTimeouts } from '../shared/aws-timeouts';
import type { Log } from '../shared/observability';
import { type OcsfDestination, parseTransformerEnv } from './env';
import type { TransformerDependencies, TransformerMetrics } from './transformer';

/** The session name Security Lake's provider roles see in CloudTrail. */
const ROLE_SESSION_NAME = 'op-events-archive-ocsf';

/** Builds the transformer's collaborators from the environment (README, "OCSF"). */
export function buildTransformerDependencies(
  processEnv: NodeJS.ProcessEnv,
  log: Log,
  metrics?: TransformerMetrics,
): TransformerDependencies {
  const env = parseTransformerEnv(processEnv);
  const options = {
    maxAttempts: AWS_MAX_ATTEMPTS,
    requestHandler: AwsTimeouts.archive,
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
  };
  const s3 = new S3Client(options);
  // One client per provider role, each refreshing its own credentials.
  const writers = new Map<string, S3Client>();
  const writerFor = (destination: OcsfDestination): S3Client => {
    if (!destination.roleArn) return s3;
    let writer = writers.get(destination.roleArn);
    if (!writer) {
      writer = new S3Client({
        ...options,
        credentials: fromTemporaryCredentials({
          params: {
            RoleArn: destination.roleArn,
            RoleSessionName: ROLE_SESSION_NAME,
            ...(env.OCSF_EXTERNAL_ID ? { ExternalId: env.OCSF_EXTERNAL_ID } : {}),
          },
        }),
      });
      writers.set(destination.roleArn, writer);
    }
    return writer;
  };
  return {
    s3,
    bucket: env.ARCHIVE_BUCKET,
    prefix: env.ARCHIVE_PREFIX,
    region: env.OCSF_REGION,
    accountId: env.OCSF_ACCOUNT_ID,
    destinations: env.destinations,
    writerFor,
    log,
    ...(metrics ? { metrics } : {}),
  };
}
