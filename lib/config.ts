import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { RULES } from '../lambdas/detector/rules';
import { detectionSettingsSchema } from '../lambdas/shared/detections/settings';

/**
 * The deployment config: one JSON file that says what `cdk deploy` builds. Parsed once at
 * synth; every error names the field and says what would be accepted.
 */

export const EVENT_STREAMS = ['signinattempts', 'itemusages', 'auditevents'] as const;
export type EventStream = (typeof EVENT_STREAMS)[number];

/** The Events API host of each 1Password server, as the collector's `EVENTS_API_URL`. */
export const EVENTS_API_URLS = {
  business: 'https://events.1password.com',
  enterprise: 'https://events.ent.1password.com',
  ca: 'https://events.1password.ca',
  eu: 'https://events.1password.eu',
} as const;
export type Server = keyof typeof EVENTS_API_URLS;

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const COLD_STORAGE_CLASSES = [
  'STANDARD_IA',
  'INTELLIGENT_TIERING',
  'GLACIER_IR',
  'GLACIER',
  'DEEP_ARCHIVE',
] as const;

/**
 * The most sources one deployment holds. Each source is one nested stack (one resource)
 * and one output of the parent stack, and CloudFormation allows 500 resources and 200
 * outputs per stack; 150 leaves room for the shared resources and outputs.
 */
export const MAX_SOURCES = 150;

/**
 * The unreserved concurrency Lambda keeps for functions without a reservation: 100, or
 * the whole quota when the quota is below 100 (new accounts start at 10).
 */
export function unreservedConcurrencyFloor(accountQuota: number): number {
  return Math.min(100, accountQuota);
}

/**
 * Lambda holds at most 4 KB of environment per function; the detector's settings travel in
 * one variable, and this leaves room for the others.
 */
export const MAX_DETECTION_SETTINGS_BYTES = 3_000;

/** The longest fixed drop-off window: a stream quieter than a week is better judged by its rhythm or not at all. */
export const MAX_DROP_OFF_HOURS = 168;
/** The longest silence a learned rhythm tolerates by default, and the most it may be given. */
export const DEFAULT_DROP_OFF_CEILING_HOURS = 168;
export const MAX_DROP_OFF_CEILING_HOURS = 720;

const SOURCE_NAME = /^[a-z0-9-]{1,40}$/;
const DEPLOYMENT_NAME = /^[a-z][a-z0-9-]{0,22}$/;
const RATE = /^rate\((\d+) (minute|minutes|hour|hours)\)$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const ISO_DURATION = /^P(?!$)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/;
const PARTITION = 'aws[a-z-]*';
const REGION = '[a-z]{2}(-[a-z]+)+-\\d';
const SECRET_ARN = new RegExp(
  `^arn:${PARTITION}:secretsmanager:${REGION}:\\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`,
);
const KMS_KEY_ARN = new RegExp(
  `^arn:${PARTITION}:kms:${REGION}:\\d{12}:key/(mrk-[0-9a-f]{32}|[0-9a-f-]{36})$`,
);
const SNS_TOPIC_ARN = new RegExp(`^arn:${PARTITION}:sns:${REGION}:\\d{12}:[A-Za-z0-9_-]{1,256}$`);
const IAM_ROLE_ARN = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:role/[\\w+=,.@/*-]{1,512}$`);
/** Key prefixes that stay literal inside IAM resource patterns and S3 notification filters. */
const ARCHIVE_PREFIX = /^$|^([A-Za-z0-9!_.'()=-]+\/)+$/;

const OBJECT_LOCK_MODE_REQUIRED =
  'is required: choose "GOVERNANCE" (principals with s3:BypassGovernanceRetention can still delete or shorten retention) ' +
  'or "COMPLIANCE" (nobody, the root user included, can delete a locked version, shorten its retention ' +
  'or change its mode until the retention ends) — see README §Deploy';

const regexWithInput = (pattern: RegExp, expectation: string) =>
  z.string().regex(pattern, { error: (issue) => `${show(issue.input)} ${expectation}` });

const sourceSchema = z.strictObject({
  name: regexWithInput(SOURCE_NAME, 'must match [a-z0-9-]{1,40}'),
  tokenSecretArn: regexWithInput(
    SECRET_ARN,
    'must be the complete ARN of an existing Secrets Manager secret, ending in its 6-character suffix ' +
      '(`aws secretsmanager describe-secret --secret-id <name> --query ARN`); omit the field to let the stack create the secret',
  ).optional(),
  tokenSecretKmsKeyArn: regexWithInput(
    KMS_KEY_ARN,
    'must be the ARN of the KMS key (arn:aws:kms:<region>:<account>:key/<id>) that encrypts tokenSecretArn; omit it for the AWS managed key',
  ).optional(),
  server: z
    .enum(Object.keys(EVENTS_API_URLS) as [Server, ...Server[]], {
      error: (issue) =>
        `${show(issue.input)} must be one of ${Object.keys(EVENTS_API_URLS).join(', ')}, or omitted to derive the server from the token`,
    })
    .optional(),
  eventTypes: z
    .array(
      z.enum(EVENT_STREAMS, {
        error: (issue) => `${show(issue.input)} must be one of ${EVENT_STREAMS.join(', ')}`,
      }),
    )
    .min(1, 'must list at least one event type, or be omitted to read every type the token grants')
    .refine((types) => new Set(types).size === types.length, 'must not list an event type twice')
    .optional(),
  schedule: regexWithInput(RATE, 'must be a rate expression such as "rate(1 minute)" or "rate(5 minutes)"')
    .transform((value) => normaliseRate(value))
    .refine((value) => scheduleMinutes(value) >= 1 && scheduleMinutes(value) <= 60, {
      error: (issue) => `${show(issue.input)} must run at least once an hour and at most once a minute`,
    })
    .default('rate(1 minute)'),
  startFrom: z
    .string()
    .refine(
      (value) => (RFC3339.test(value) && !Number.isNaN(Date.parse(value))) || ISO_DURATION.test(value),
      {
        error: (issue) =>
          `${show(issue.input)} must be an RFC 3339 instant (2026-01-01T00:00:00Z) or an ISO 8601 duration back from now (P7D, PT12H)`,
      },
    )
    .optional(),
  enabled: z.boolean().default(true),
  dropOffHours: z
    .partialRecord(
      z.enum(EVENT_STREAMS, {
        error: (issue) => `has key ${show(issue.input)}; keys must be ${EVENT_STREAMS.join(', ')}`,
      }),
      z.union(
        [
          z.literal(false),
          z
            .int()
            .min(1)
            .max(MAX_DROP_OFF_HOURS, {
              error: (issue) =>
                `${show(issue.input)} must be at most ${MAX_DROP_OFF_HOURS} hours (a week): a stream quieter than that is better left without a drop-off alarm (false)`,
            }),
        ],
        {
          error: (issue) =>
            `${show(issue.input)} must be a whole number of hours from 1 to ${MAX_DROP_OFF_HOURS}, or false for no drop-off alarm`,
        },
      ),
    )
    .default({}),
  dropOffRhythm: z
    .partialRecord(
      z.enum(EVENT_STREAMS, {
        error: (issue) => `has key ${show(issue.input)}; keys must be ${EVENT_STREAMS.join(', ')}`,
      }),
      z.boolean({
        error: (issue) =>
          `${show(issue.input)} must be true (learn the stream's rhythm) or false (fixed window)`,
      }),
    )
    .default({}),
  dropOffCeilingHours: z
    .partialRecord(
      z.enum(EVENT_STREAMS, {
        error: (issue) => `has key ${show(issue.input)}; keys must be ${EVENT_STREAMS.join(', ')}`,
      }),
      z
        .int({
          error: (issue) =>
            `${show(issue.input)} must be a whole number of hours from 1 to ${MAX_DROP_OFF_CEILING_HOURS}`,
        })
        .min(1, { error: (issue) => `${show(issue.input)} must be at least 1 hour` })
        .max(MAX_DROP_OFF_CEILING_HOURS, {
          error: (issue) =>
            `${show(issue.input)} must be at most ${MAX_DROP_OFF_CEILING_HOURS} hours (30 days); for a stream quieter than that, set dropOffHours to false`,
        }),
    )
    .default({}),
  behindThresholdHours: z
    .number()
    .min(1)
    .max(24 * 30)
    .default(6),
});

const configSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: regexWithInput(
      DEPLOYMENT_NAME,
      'must start with a letter and match [a-z0-9-], at most 23 characters (it prefixes the stack, function and alarm names)',
    ).default('op-events-archive'),
    env: z
      .strictObject({
        account: regexWithInput(/^\d{12}$/, 'must be a 12-digit AWS account id').optional(),
        region: regexWithInput(
          new RegExp(`^${REGION}$`),
          'must be an AWS region such as eu-west-1',
        ).optional(),
      })
      .optional(),
    archive: z
      .strictObject({
        prefix: regexWithInput(
          ARCHIVE_PREFIX,
          'must be empty or end with "/" (e.g. "1password/"), using letters, digits and !_.\'()=-',
        ).default(''),
        objectLock: z
          .strictObject({
            // No default: COMPLIANCE cannot be undone, so the mode is always a written choice.
            mode: z.enum(['GOVERNANCE', 'COMPLIANCE'], {
              error: (issue) =>
                issue.input === undefined
                  ? OBJECT_LOCK_MODE_REQUIRED
                  : `${show(issue.input)} must be GOVERNANCE or COMPLIANCE`,
            }),
            retentionDays: z.int().min(1).max(36_500).default(365),
          })
          // A missing section is read as an empty one, so the error names archive.objectLock.mode;
          // the cast only satisfies the type, as parsing `{}` fails on that missing mode.
          .prefault({} as { mode: 'GOVERNANCE' | 'COMPLIANCE' }),
        coldStorage: z
          .union([
            z.literal(false),
            z.strictObject({
              storageClass: z
                .enum(COLD_STORAGE_CLASSES, {
                  error: (issue) => `${show(issue.input)} must be one of ${COLD_STORAGE_CLASSES.join(', ')}`,
                })
                .default('GLACIER_IR'),
              afterDays: z.int().min(1).default(90),
            }),
          ])
          .default({ storageClass: 'GLACIER_IR', afterDays: 90 }),
        expireAfterDays: z.int().min(1).optional(),
        noncurrentExpireAfterDays: z.int().min(1).optional(),
        accessLogRetentionDays: z.int().min(1).default(365),
      })
      .prefault({}),
    kms: z
      .strictObject({
        keyArn: regexWithInput(
          KMS_KEY_ARN,
          'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias; omit it to let the stack create a key',
        ).optional(),
      })
      .prefault({}),
    alarms: z
      .strictObject({
        emails: z
          .array(z.email({ error: (issue) => `${show(issue.input)} is not an e-mail address` }))
          .default([]),
        topicArn: regexWithInput(
          SNS_TOPIC_ARN,
          'must be the ARN of a standard (not FIFO) SNS topic',
        ).optional(),
      })
      .prefault({}),
    notifications: z
      .strictObject({
        eventBridge: z.boolean().default(false),
        sqs: z.boolean().default(false),
      })
      .prefault({}),
    collector: z
      .strictObject({
        reservedConcurrency: z.boolean().default(true),
        accountConcurrencyQuota: z.int().min(1).optional(),
        memoryMb: z.int().min(128).max(10_240).default(512),
        timeoutSeconds: z.int().min(60).max(900).default(300),
        logRetentionDays: z
          .union(
            LOG_RETENTION_DAYS.map((days) => z.literal(days)),
            {
              error: (issue) =>
                `${show(issue.input)} must be one of ${LOG_RETENTION_DAYS.join(', ')} (the periods CloudWatch Logs accepts)`,
            },
          )
          .default(365),
      })
      .prefault({}),
    guardrails: z
      .strictObject({
        breakGlassRoleArns: z
          .array(
            regexWithInput(
              IAM_ROLE_ARN,
              "must be an IAM role ARN (arn:aws:iam::<account>:role/<name>; * allowed in the name): the role that may still change the archive's protections",
            ),
          )
          .default([]),
        cloudFormationExecutionRoleArn: regexWithInput(
          IAM_ROLE_ARN,
          "must be the IAM role ARN CloudFormation deploys the stack with; omit it for the CDK bootstrap's cdk-<qualifier>-cfn-exec-role",
        ).optional(),
        changeAlarms: z.boolean().default(true),
      })
      .prefault({}),
    notary: z
      .strictObject({
        scheduleMinutes: z
          .int({ error: (issue) => `${show(issue.input)} must be a whole number of minutes` })
          .min(5, 'must be at least 5 (minutes): a digest costs a KMS signature and an S3 write per source')
          .max(
            1440,
            'must be at most 1440 (a day): verify reports a bucket whose newest digest is older than 3 hours by default',
          )
          .default(60),
      })
      .prefault({}),
    detections: detectionSettingsSchema(RULES)
      .unwrap()
      .extend({
        enabled: z.boolean().default(false),
        securityEmails: z
          .array(z.email({ error: (issue) => `${show(issue.input)} is not an e-mail address` }))
          .default([]),
        securityHub: z.boolean().default(false),
      })
      .prefault({}),
    ocsf: z
      .strictObject({
        enabled: z.boolean().default(false),
        securityLake: z
          .strictObject({
            sourcePrefix: z
              .string()
              .regex(
                /^[a-z0-9][a-z0-9-]{0,4}$/,
                'must be 1 to 5 lower-case letters, digits or "-": a custom source name is <sourcePrefix>-<class>, at most 20 characters',
              )
              .default('1p'),
            sourceVersion: z
              .string()
              .regex(/^[A-Za-z0-9.-]{1,32}$/, 'must be a version such as "1.0"')
              .default('1.0'),
            externalId: z
              .string()
              .regex(
                /^[\w+=,.@:/-]{2,1224}$/,
                'must be 2 to 1224 letters, digits or +=,.@:/-_: the external id the provider roles require',
              ),
          })
          .optional(),
      })
      .prefault({}),
    sources: z
      .array(sourceSchema)
      .min(1, 'must list at least one source')
      .max(MAX_SOURCES, {
        error: (issue) =>
          `lists ${Array.isArray(issue.input) ? issue.input.length : '?'} sources; one deployment holds at most ${MAX_SOURCES} ` +
          '(CloudFormation limits a stack to 500 resources and 200 outputs): split them across two config files with different names',
      }),
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    const outputIds = new Map<string, number>();
    config.sources.forEach((source, index) => {
      const first = seen.get(source.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['sources', index, 'name'],
          message: `${show(source.name)} is already used by sources[${first}]; source names must be unique`,
        });
      } else {
        seen.set(source.name, index);
        const id = sourceId(source.name);
        const clash = outputIds.get(id);
        if (clash !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['sources', index, 'name'],
            message: `${show(source.name)} differs from sources[${clash}].name only in its hyphens, so both would get the stack output Source${id}; rename one`,
          });
        }
        outputIds.set(id, index);
      }

      // Refinements still run when a field failed its own check; skip what cannot be read.
      const minutes = RATE.test(source.schedule) ? scheduleMinutes(source.schedule) : 1;
      for (const [stream, hours] of Object.entries(source.dropOffHours ?? {})) {
        if (typeof hours === 'number' && hours * 60 < 2 * minutes) {
          ctx.addIssue({
            code: 'custom',
            path: ['sources', index, 'dropOffHours', stream],
            message: `${hours} must cover at least two runs of the schedule "${source.schedule}"; raise it to ${Math.ceil((2 * minutes) / 60)} or more`,
          });
        }
      }
      for (const [stream, ceiling] of Object.entries(source.dropOffCeilingHours ?? {})) {
        const window = source.dropOffHours?.[stream as EventStream] ?? 24;
        if (typeof window === 'number' && typeof ceiling === 'number' && ceiling < window) {
          ctx.addIssue({
            code: 'custom',
            path: ['sources', index, 'dropOffCeilingHours', stream],
            message: `${ceiling} is below the stream's fixed window of ${window} h (dropOffHours); a learned limit never waits longer than the ceiling, so raise it to ${window} or more`,
          });
        }
      }
      if (source.tokenSecretKmsKeyArn && !source.tokenSecretArn) {
        ctx.addIssue({
          code: 'custom',
          path: ['sources', index, 'tokenSecretKmsKeyArn'],
          message:
            'only applies to an existing secret: set tokenSecretArn too, or remove this field (a created secret uses the deployment key)',
        });
      }
      checkRegion(ctx, config.env?.region, source.tokenSecretArn, ['sources', index, 'tokenSecretArn']);
      checkAccount(ctx, config.env?.account, source.tokenSecretArn, ['sources', index, 'tokenSecretArn']);
    });

    checkRegion(ctx, config.env?.region, config.kms.keyArn, ['kms', 'keyArn']);
    checkAccount(ctx, config.env?.account, config.kms.keyArn, ['kms', 'keyArn']);
    checkRegion(ctx, config.env?.region, config.alarms.topicArn, ['alarms', 'topicArn']);

    const { expireAfterDays, objectLock, coldStorage } = config.archive;
    if (expireAfterDays !== undefined && expireAfterDays < objectLock.retentionDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['archive', 'expireAfterDays'],
        message: `${expireAfterDays} is shorter than archive.objectLock.retentionDays (${objectLock.retentionDays}); objects cannot be deleted while locked, so set it to ${objectLock.retentionDays} or more, or remove it to keep objects forever`,
      });
    }
    const { noncurrentExpireAfterDays } = config.archive;
    if (noncurrentExpireAfterDays !== undefined) {
      if (expireAfterDays === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['archive', 'noncurrentExpireAfterDays'],
          message:
            'only applies with archive.expireAfterDays (without it no version is ever deleted): set that too, or remove this field',
        });
      } else if (noncurrentExpireAfterDays < objectLock.retentionDays) {
        ctx.addIssue({
          code: 'custom',
          path: ['archive', 'noncurrentExpireAfterDays'],
          message:
            `${noncurrentExpireAfterDays} is shorter than archive.objectLock.retentionDays (${objectLock.retentionDays}): ` +
            'a version hidden early by a delete marker would be deleted as soon as its own retention ends; ' +
            `set it to ${objectLock.retentionDays} or more, or remove it (it then equals the retention)`,
        });
      }
    }
    if (coldStorage !== false) {
      const minimum = coldStorage.storageClass === 'STANDARD_IA' ? 30 : 1;
      if (coldStorage.afterDays < minimum) {
        ctx.addIssue({
          code: 'custom',
          path: ['archive', 'coldStorage', 'afterDays'],
          message: `${coldStorage.afterDays} is too early: S3 moves objects to ${coldStorage.storageClass} after ${minimum} days at the soonest`,
        });
      }
      if (expireAfterDays !== undefined && coldStorage.afterDays >= expireAfterDays) {
        ctx.addIssue({
          code: 'custom',
          path: ['archive', 'coldStorage', 'afterDays'],
          message: `${coldStorage.afterDays} must be earlier than archive.expireAfterDays (${expireAfterDays})`,
        });
      }
    }

    const settingsBytes = Buffer.byteLength(detectionSettingsJson(config.detections));
    if (config.detections.enabled && settingsBytes > MAX_DETECTION_SETTINGS_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['detections'],
        message:
          `watchlists, rules and suppressions take ${settingsBytes} bytes as the detector's DETECTION_SETTINGS; ` +
          `Lambda allows 4 KB of environment in all, so keep them under ${MAX_DETECTION_SETTINGS_BYTES}: shorten the watchlists or drop expired suppressions`,
      });
    }

    if (config.ocsf.securityLake && !config.ocsf.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['ocsf', 'securityLake'],
        message:
          'is set but ocsf.enabled is false: set "enabled": true to write OCSF to Security Lake, or remove securityLake',
      });
    }

    const { reservedConcurrency, accountConcurrencyQuota } = config.collector;
    if (reservedConcurrency && accountConcurrencyQuota !== undefined) {
      const floor = unreservedConcurrencyFloor(accountConcurrencyQuota);
      const reserved = config.sources.length;
      if (reserved + floor > accountConcurrencyQuota) {
        ctx.addIssue({
          code: 'custom',
          path: ['collector', 'accountConcurrencyQuota'],
          message:
            `${accountConcurrencyQuota} cannot hold ${reserved} reserved collector(s): Lambda keeps ${floor} ` +
            `executions unreserved, so the account needs a concurrency quota of at least ${reserved + 100}. ` +
            'Ask for more (Service Quotas, AWS Lambda "Concurrent executions"), or set collector.reservedConcurrency to false ' +
            '(the DynamoDB lease still keeps one writer per stream)',
        });
      }
    }
  });

/** The validated config, with every default filled in. */
export type DeploymentConfig = z.output<typeof configSchema>;
export type SourceConfig = DeploymentConfig['sources'][number];
/** What a config file may contain, before defaults. */
export type DeploymentConfigInput = z.input<typeof configSchema>;

/** A deployment config that cannot be used; the message lists every problem, one a line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Validates a parsed config object; `origin` names the file in the error. */
export function parseConfig(raw: unknown, origin = 'the deployment config'): DeploymentConfig {
  const result = configSchema.safeParse(raw, { error: describeIssue });
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap(formatIssue);
  throw new ConfigError(
    `${origin} is not valid (see connector.config.example.json and README §Deploy):\n${problems.map((line) => `  - ${line}`).join('\n')}`,
    problems,
  );
}

/** Reads and validates a JSON config file. */
export function loadConfig(path: string): DeploymentConfig {
  if (!existsSync(path)) {
    throw new ConfigError(
      `${path} does not exist; copy connector.config.example.json to it and edit it (README §Deploy)`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseConfig(raw, path);
}

/** The detector's `DETECTION_SETTINGS`: the detections section without its deployment fields. */
export function detectionSettingsJson(detections: DeploymentConfig['detections']): string {
  const { watchlists, rules, suppressions } = detections;
  return JSON.stringify({ watchlists, rules, suppressions });
}

/** Minutes between two runs of a normalised `rate(...)` expression. */
export function scheduleMinutes(rate: string): number {
  const match = RATE.exec(rate);
  if (!match) throw new Error(`not a rate expression: ${rate}`);
  const amount = Number(match[1]);
  return match[2]?.startsWith('hour') ? amount * 60 : amount;
}

/** The streams a source is expected to deliver: its event types, or all of them. */
export function sourceStreams(source: SourceConfig): readonly EventStream[] {
  return source.eventTypes ?? EVENT_STREAMS;
}

/** Drop-off window of a stream in hours, or `undefined` when the stream has no drop-off alarm. */
export function dropOffHours(source: SourceConfig, stream: EventStream): number | undefined {
  const hours = source.dropOffHours[stream];
  if (hours === false) return undefined;
  return hours ?? 24;
}

/**
 * The ceiling of a stream that learns its rhythm, in hours; `undefined` when it is judged by
 * its fixed window alone (or has no drop-off alarm).
 */
export function dropOffCeilingHours(source: SourceConfig, stream: EventStream): number | undefined {
  if (dropOffHours(source, stream) === undefined || source.dropOffRhythm[stream] === false) return undefined;
  return source.dropOffCeilingHours[stream] ?? DEFAULT_DROP_OFF_CEILING_HOURS;
}

/** PascalCase id of a source for construct ids and stack outputs: `prod-eu` → `ProdEu`. */
export function sourceId(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** EventBridge wants `rate(1 minute)` but `rate(2 minutes)`; accept either and write the right one. */
function normaliseRate(value: string): string {
  const match = RATE.exec(value);
  if (!match) return value;
  const amount = Number(match[1]);
  const unit = match[2]?.startsWith('hour') ? 'hour' : 'minute';
  return `rate(${amount} ${unit}${amount === 1 ? '' : 's'})`;
}

function checkRegion(
  ctx: z.RefinementCtx,
  region: string | undefined,
  arn: string | undefined,
  path: (string | number)[],
) {
  const arnRegion = arn?.split(':')[3];
  if (region && arnRegion && arnRegion !== region) {
    ctx.addIssue({
      code: 'custom',
      path,
      message: `is in region ${arnRegion} but env.region is ${region}; use a resource in ${region}`,
    });
  }
}

function checkAccount(
  ctx: z.RefinementCtx,
  account: string | undefined,
  arn: string | undefined,
  path: (string | number)[],
) {
  const arnAccount = arn?.split(':')[4];
  if (account && arnAccount && arnAccount !== account) {
    ctx.addIssue({
      code: 'custom',
      path,
      message: `belongs to account ${arnAccount} but env.account is ${account}; cross-account resources need key and resource policies this stack does not write`,
    });
  }
}

/** Messages for zod's own checks, written to follow the field's path. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${article(issue.expected)} (got ${show(issue.input)})`;
    case 'too_small':
      if (issue.origin === 'array')
        return `must have at least ${issue.minimum} entr${issue.minimum === 1 ? 'y' : 'ies'}`;
      return `${show(issue.input)} must be at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'array') return `must have at most ${issue.maximum} entries`;
      return `${show(issue.input)} must be at most ${issue.maximum}`;
    case 'invalid_value':
      return `${show(issue.input)} must be one of ${issue.values.map((value) => show(value)).join(', ')}`;
    case 'invalid_union':
      return `${show(issue.input)} is not an accepted value`;
    default:
      return undefined;
  }
}

function formatIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map(
      (key) =>
        `${formatPath([...issue.path, key])} is not a known field; check its spelling against connector.config.example.json`,
    );
  }
  const message = issue.message.replace(/^Invalid input: /, '');
  return [`${formatPath(issue.path)} ${message}`];
}

/** `['sources', 1, 'name']` → `sources[1].name`. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'config';
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function article(expected: string): string {
  const words: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    int: 'a whole number',
    boolean: 'true or false',
    array: 'a list',
    object: 'an object',
    record: 'an object',
  };
  return words[expected] ?? expected;
}
