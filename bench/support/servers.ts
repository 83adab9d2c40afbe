import { rmSync } from 'node:fs';
import { type LocalAws, startLocalAws } from '../../dev/local/aws';
import { localCollectorEnv } from '../../dev/local/collector-env';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../dev/simulator/index';
import { byAmzTarget, byS3Rest, type CountingProxy, startCountingProxy } from './counting-proxy';

export const BENCH_SOURCE = 'bench';
const SECRET_ID = 'bench/op-events-token';

/** The service name and namespace the CDK app gives the function (lib/source-collector.ts). */
const DEPLOYED_ENV = {
  POWERTOOLS_SERVICE_NAME: 'op-events-collector',
  POWERTOOLS_METRICS_NAMESPACE: 'OnePasswordEventsArchive',
  // The stack's defaults: a 24 h window while each stream's rhythm is learned, a week's ceiling.
  DROP_OFF_SECONDS: 'signinattempts=86400,itemusages=86400,auditevents=86400',
  DROP_OFF_CEILING_SECONDS: 'signinattempts=604800,itemusages=604800,auditevents=604800',
};

export interface BenchServers {
  readonly sim: Simulator;
  readonly aws: LocalAws;
  readonly proxies: {
    readonly dynamodb: CountingProxy;
    readonly s3: CountingProxy;
    readonly secrets: CountingProxy;
  };
  /**
   * The collector's environment as the deployed function has it, pointed at these servers
   * through the SDK's standard endpoint variables, each behind a counting proxy.
   */
  lambdaEnv(extra?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

/** The simulator, dynalite, s3rver and the Secrets Manager stand-in, with every AWS call counted. */
export async function startServers(simulator: SimulatorOptions): Promise<BenchServers> {
  const [sim, aws] = await Promise.all([startSimulator(simulator), startLocalAws()]);
  const [dynamodb, s3, secrets] = await Promise.all([
    startCountingProxy(aws.sdkEnv.AWS_ENDPOINT_URL_DYNAMODB as string, byAmzTarget),
    startCountingProxy(aws.sdkEnv.AWS_ENDPOINT_URL_S3 as string, byS3Rest),
    startCountingProxy(aws.sdkEnv.AWS_ENDPOINT_URL_SECRETS_MANAGER as string, byAmzTarget),
  ]);
  aws.secrets.put(SECRET_ID, JSON.stringify({ token: sim.mintToken() }));
  return {
    sim,
    aws,
    proxies: { dynamodb, s3, secrets },
    lambdaEnv: (extra = {}) => ({
      PATH: process.env.PATH ?? '',
      ...DEPLOYED_ENV,
      ...localCollectorEnv({ aws, eventsApiUrl: sim.url, source: BENCH_SOURCE, secretId: SECRET_ID }),
      // Through the counting proxies, so every AWS call the collector makes is counted.
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      ...extra,
    }),
    async close() {
      await Promise.all([sim.close(), dynamodb.close(), s3.close(), secrets.close()]);
      await aws.close();
      rmSync(aws.s3.directory, { recursive: true, force: true });
    },
  };
}
