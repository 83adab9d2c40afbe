import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type LocalDynamoDb, startLocalDynamoDb } from './dynamodb';
import { type LocalS3, startLocalS3 } from './s3';
import { type LocalSecretsManager, startLocalSecretsManager } from './secrets-manager';
import { ensureStateTable } from './state-table';

/** Credentials the local servers accept (s3rver requires this access key id). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const LOCAL_REGION = 'us-east-1';

export interface LocalAws {
  readonly dynamo: LocalDynamoDb;
  readonly s3: LocalS3;
  readonly secrets: LocalSecretsManager;
  readonly tableName: string;
  readonly bucket: string;
  /** Clients bound to the local servers, for setup and assertions. */
  readonly clients: {
    dynamodb: DynamoDBClient;
    documents: DynamoDBDocumentClient;
    s3: S3Client;
    secretsManager: SecretsManagerClient;
  };
  /**
   * The environment that points the SDK (and so the collector, unchanged) at these servers:
   * the SDK's standard endpoint variables plus local credentials.
   */
  readonly sdkEnv: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts in-process DynamoDB (dynalite), S3 (s3rver) and Secrets Manager stand-ins with
 * the state table and archive bucket created: the AWS side of the demo and the tests.
 */
export async function startLocalAws(
  options: { tableName?: string; bucket?: string; s3Directory?: string } = {},
): Promise<LocalAws> {
  const tableName = options.tableName ?? 'op-events-state';
  const bucket = options.bucket ?? 'op-events-archive';
  const [dynamo, s3, secrets] = await Promise.all([
    startLocalDynamoDb(),
    startLocalS3(options.s3Directory === undefined ? {} : { directory: options.s3Directory }),
    startLocalSecretsManager(),
  ]);
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const dynamodb = new DynamoDBClient({ ...common, endpoint: dynamo.endpoint });
  const s3Client = new S3Client({ ...common, endpoint: s3.endpoint, forcePathStyle: true });
  const secretsManager = new SecretsManagerClient({ ...common, endpoint: secrets.endpoint });
  await ensureStateTable(dynamodb, tableName);
  await s3Client.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: { name?: string }) => {
    if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
  });
  return {
    dynamo,
    s3,
    secrets,
    tableName,
    bucket,
    clients: {
      dynamodb,
      documents: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
      s3: s3Client,
      secretsManager,
    },
    sdkEnv: {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    },
    async close() {
      dynamodb.destroy();
      s3Client.destroy();
      secretsManager.destroy();
      await Promise.all([dynamo.close(), s3.close(), secrets.close()]);
    },
  };
}
