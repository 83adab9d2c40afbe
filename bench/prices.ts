/**
 * AWS list prices, us-east-1, on-demand, without free tiers (a free tier is per account and
 * shared with everything else in it). Read from each service's pricing page; the date says
 * when, and a change since then changes the cost figures, not the counts they are built on.
 */
export const PRICES_AS_OF = '2025-06';

export const PRICES = {
  lambda: {
    source: 'AWS Lambda pricing',
    /** Arm (Graviton) duration, per GB-second. */
    armGbSecond: 0.0000133334,
    /** x86 duration, per GB-second. */
    x86GbSecond: 0.0000166667,
    perMillionRequests: 0.2,
  },
  eventBridge: {
    source: 'Amazon EventBridge pricing (Scheduler)',
    /** Scheduled invocations past the 14 million free each month; scheduled rules are billed no more than this. */
    perMillionScheduledInvocations: 1.0,
  },
  dynamodb: {
    source: 'Amazon DynamoDB pricing, on-demand',
    perMillionWriteUnits: 0.625,
    perMillionReadUnits: 0.125,
  },
  s3: {
    source: 'Amazon S3 pricing, S3 Standard',
    /** PUT, COPY, POST and LIST requests. */
    perThousandPuts: 0.005,
    /** GET, HEAD and other requests. */
    perThousandGets: 0.0004,
    standardGbMonth: 0.023,
    /** Where the example configuration moves objects after 90 days. */
    glacierInstantRetrievalGbMonth: 0.004,
  },
  cloudWatch: {
    source: 'Amazon CloudWatch pricing',
    /** Per metric-month for the first 10,000 metrics, prorated by the hour a metric receives data. */
    customMetricMonth: 0.3,
    standardAlarmMonth: 0.1,
    /** Beyond the three free per account. */
    dashboardMonth: 3.0,
    logsIngestionGb: 0.5,
    logsStorageGbMonth: 0.03,
  },
  secretsManager: {
    source: 'AWS Secrets Manager pricing',
    secretMonth: 0.4,
    perTenThousandCalls: 0.05,
  },
  kms: {
    source: 'AWS KMS pricing',
    keyMonth: 1.0,
    perTenThousandRequests: 0.03,
    /** Sign and other requests to an asymmetric ECC key. */
    perTenThousandEccRequests: 0.15,
  },
  fargate: {
    source: 'AWS Fargate pricing, Linux/x86',
    vcpuHour: 0.04048,
    gbHour: 0.004445,
  },
  natGateway: {
    source: 'Amazon VPC pricing, NAT gateway',
    hour: 0.045,
    perGbProcessed: 0.045,
  },
} as const;

/** Hours in the month AWS bills by (730 = 8,760 / 12). */
export const HOURS_PER_MONTH = 730;
