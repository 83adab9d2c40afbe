import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** The repository root, where package-lock.json and the lambdas/ tree live. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** Properties of a {@link HouseNodejsFunction}. */
export interface HouseNodejsFunctionProps {
  /** Path of the TypeScript handler file, absolute or relative to the repository root. */
  readonly entry: string;

  /**
   * Exported name of the handler in `entry`.
   * @default 'handler'
   */
  readonly handler?: string;

  /**
   * Physical name of the function.
   * @default - a name CloudFormation generates
   */
  readonly functionName?: string;

  /**
   * What the function does, shown in the Lambda console.
   * @default - no description
   */
  readonly description?: string;

  /**
   * Environment variables. `NODE_OPTIONS=--enable-source-maps` is always added so stack
   * traces point at the TypeScript source.
   * @default - only NODE_OPTIONS
   */
  readonly environment?: Record<string, string>;

  /**
   * Memory in MB; Lambda gives CPU in proportion, and gzip plus TLS are CPU-bound.
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * Longest run before Lambda stops the function.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;

  /**
   * How long the function's log group keeps logs.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Executions reserved for this function, which are also its maximum.
   * @default - no reservation: the function shares the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * Execution role. Pass one to control exactly which policies it carries.
   * @default - a role with only the log-writing permissions
   */
  readonly role?: iam.IRole;
}

/**
 * The one way this project builds a Node.js Lambda function, so every function gets the
 * same runtime and build:
 *
 * - the newest Node.js LTS runtime Lambda offers, on ARM64 (cheaper per GB-second);
 * - TypeScript bundled by the local esbuild (no Docker), minified, with source maps and
 *   the AWS SDK bundled in, so the SDK version is the one the tests ran against, not
 *   whatever the runtime ships that month;
 * - its own log group with a retention period, in JSON log format, kept when the
 *   function is removed (expired by the retention, not by a deployment);
 * - asynchronous invocations are not retried: every caller here is a schedule whose
 *   next tick is the retry, and a retried run would only queue behind the next one.
 */
export class HouseNodejsFunction extends nodejs.NodejsFunction {
  constructor(scope: Construct, id: string, props: HouseNodejsFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // A role of our own, because the default one carries the AWSLambdaBasicExecutionRole
    // managed policy, which may write to every log group in the account.
    const role =
      props.role ??
      new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    super(scope, id, {
      entry: path.resolve(PROJECT_ROOT, props.entry),
      handler: props.handler ?? 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.minutes(5),
      ...(props.functionName ? { functionName: props.functionName } : {}),
      ...(props.description ? { description: props.description } : {}),
      role,
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      retryAttempts: 0,
      // The shortest age Lambda accepts: an event throttled behind a still-running
      // invocation is dropped instead of piling up for six hours.
      maxEventAge: Duration.minutes(1),
      bundling: {
        target: 'node24',
        format: nodejs.OutputFormat.CJS,
        minify: true,
        // The SDK's ES module builds tree-shake far better than its CommonJS ones: about
        // 30% less code to load on a cold start (BENCHMARKS.md, "Cold start").
        mainFields: ['module', 'main'],
        sourceMap: true,
        sourcesContent: false,
        bundleAwsSDK: true,
        forceDockerBundling: false,
      },
    });
    logGroup.grantWrite(role);
  }
}
