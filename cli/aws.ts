import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AWS_MAX_ATTEMPTS, AwsTimeouts } from '../lambdas/shared/aws-timeouts';

/** The AWS clients a command may need, built on first use. */
export interface AwsClients {
  s3(): S3Client;
  documents(): DynamoDBDocumentClient;
  cloudWatch(): CloudWatchClient;
  secretsManager(): SecretsManagerClient;
  kms(): KMSClient;
  destroy(): void;
}

/**
 * Clients with the SDK's usual configuration: credentials, region and endpoints come from
 * the environment and profile (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL_S3`, ...), as
 * for the AWS CLI; `--region` wins over them.
 */
export function awsClients(options: { region?: string | undefined; env: NodeJS.ProcessEnv }): AwsClients {
  const common = options.region ? { region: options.region } : {};
  const forcePathStyle = ['true', '1'].includes(options.env.S3_FORCE_PATH_STYLE ?? '');
  const built: Array<{ destroy(): void }> = [];
  const once = <T extends { destroy(): void }>(make: () => T): (() => T) => {
    let client: T | undefined;
    return () => {
      if (!client) {
        client = make();
        built.push(client);
      }
      return client;
    };
  };
  const small = { ...common, maxAttempts: AWS_MAX_ATTEMPTS, requestHandler: AwsTimeouts.small };
  const dynamo = once(() => new DynamoDBClient(small));
  return {
    // Reading a large object for verify is one request: give it as long as a slow link needs.
    s3: once(
      () =>
        new S3Client({
          ...common,
          forcePathStyle,
          maxAttempts: AWS_MAX_ATTEMPTS,
          requestHandler: { ...AwsTimeouts.archive, requestTimeout: 300_000 },
        }),
    ),
    documents: once(() =>
      DynamoDBDocumentClient.from(dynamo(), { marshallOptions: { removeUndefinedValues: true } }),
    ),
    cloudWatch: once(() => new CloudWatchClient(small)),
    secretsManager: once(() => new SecretsManagerClient(small)),
    kms: once(() => new KMSClient(small)),
    destroy: () => {
      for (const client of built) client.destroy();
    },
  };
}
