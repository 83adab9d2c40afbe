import type { Context } from 'aws-lambda';
import type { LocalAws } from './aws';

/**
 * The collector's environment (README, "Runtime contract") pointing at local servers: the
 * SDK's endpoint variables for DynamoDB, S3 and Secrets Manager, and an Events API URL that
 * only local use may set. The demo, the tests and the benchmarks run the handler with it.
 */
export function localCollectorEnv(options: {
  aws: LocalAws;
  eventsApiUrl: string;
  source: string;
  secretId: string;
}): Record<string, string> {
  const { aws, eventsApiUrl, source, secretId } = options;
  return {
    ...aws.sdkEnv,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    SOURCE_NAME: source,
    TOKEN_SECRET_ID: secretId,
    EVENTS_API_URL: eventsApiUrl,
    ALLOW_CUSTOM_EVENTS_API_URL: 'true',
    STATE_TABLE: aws.tableName,
    ARCHIVE_BUCKET: aws.bucket,
    S3_FORCE_PATH_STYLE: 'true',
  };
}

/** A Lambda context for invoking the handler locally, with a real deadline `remainingMs` from now. */
export function localLambdaContext(options: {
  source: string;
  remainingMs: number;
  requestId?: string;
}): Context {
  const deadline = Date.now() + options.remainingMs;
  const name = `op-events-collector-${options.source}`;
  return {
    awsRequestId: options.requestId ?? `local-${Math.random().toString(36).slice(2, 10)}`,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    memoryLimitInMB: '512',
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
