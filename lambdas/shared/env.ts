import * as z from 'zod';
import { ConfigError } from './errors';
import { EVENT_TYPES, type EventType } from './event-types';
import { parseIsoDuration, parseRfc3339 } from './time';

const MiB = 1024 * 1024;

const booleanFlag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((value) => value === 'true' || value === '1');

const positiveInt = (defaultValue: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return defaultValue;
      const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
      if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number between 1 and ${max}` });
        return z.NEVER;
      }
      return parsed;
    });

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

/**
 * The collector's environment (README, "Runtime contract"). Validated once at cold
 * start; the optional tuning variables have defaults that suit a Lambda with a 5-minute
 * timeout and 512 MB of memory.
 */
/** `stream=seconds` pairs, comma-separated (e.g. `auditevents=86400,itemusages=3600`). */
const streamSeconds = optionalString.transform((value, ctx): Partial<Record<EventType, number>> => {
  if (value === undefined) return {};
  const seconds: Partial<Record<EventType, number>> = {};
  for (const pair of value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [stream = '', amount = ''] = pair.split('=');
    if (!(EVENT_TYPES as readonly string[]).includes(stream) || !/^\d+$/.test(amount) || Number(amount) < 1) {
      ctx.addIssue({ code: 'custom', message: `"${pair}" is not stream=seconds (e.g. auditevents=86400)` });
      return z.NEVER;
    }
    seconds[stream as EventType] = Number(amount);
  }
  return seconds;
});

export const collectorEnvSchema = z.object({
  SOURCE_NAME: z.string().regex(/^[a-z0-9-]{1,40}$/, 'must match [a-z0-9-]{1,40}, e.g. "prod"'),
  TOKEN_SECRET_ID: z.string().min(1, 'must name the Secrets Manager secret (name or ARN) holding the token'),
  EVENTS_API_URL: optionalString.pipe(
    z.url({ message: 'must be a URL such as https://events.1password.com' }).optional(),
  ),
  ALLOW_CUSTOM_EVENTS_API_URL: booleanFlag,
  EVENT_TYPES: optionalString.transform((value, ctx): EventType[] | undefined => {
    if (value === undefined) return undefined;
    const types = value
      .split(',')
      .map((type) => type.trim())
      .filter(Boolean);
    const unknown = types.filter((type) => !(EVENT_TYPES as readonly string[]).includes(type));
    if (unknown.length > 0 || types.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown event type ${unknown.map((t) => `"${t}"`).join(', ') || '(empty)'}; use a comma list of ${EVENT_TYPES.join(', ')}`,
      });
      return z.NEVER;
    }
    return [...new Set(types)] as EventType[];
  }),
  STATE_TABLE: z.string().min(1, 'must name the DynamoDB state table'),
  ARCHIVE_BUCKET: z.string().min(3, 'must name the S3 archive bucket'),
  ARCHIVE_PREFIX: optionalString
    .transform((value) => value ?? '')
    .refine((value) => value === '' || value.endsWith('/'), {
      message: 'must end with "/" (e.g. "1password/") or be empty',
    }),
  START_FROM: optionalString
    .refine(
      (value) =>
        value === undefined || parseIsoDuration(value) !== undefined || parseRfc3339(value) !== undefined,
      {
        message:
          'must be an RFC 3339 instant (2026-01-01T00:00:00Z) or an ISO 8601 duration back from now (P7D)',
      },
    )
    .refine((value) => value === undefined || (parseRfc3339(value) ?? 0) <= Date.now(), {
      message: 'is in the future; use P0D to start from the moment the stream first runs',
    }),
  S3_FORCE_PATH_STYLE: booleanFlag,
  /** Largest batch object, in events and in uncompressed bytes. */
  BATCH_MAX_EVENTS: positiveInt(50_000, 1_000_000),
  BATCH_MAX_BYTES: positiveInt(32 * MiB, 512 * MiB),
  /** Stop fetching when less than this is left before the Lambda's deadline. */
  DEADLINE_MARGIN_MS: positiveInt(20_000, 600_000),
  /**
   * Each stream's drop-off window, `stream=seconds` comma-separated: the silence a run reports
   * as `SecondsSinceArchived` (the drop-off alarm) while the stream's rhythm is learned, or
   * always for a stream that does not learn one. Unset for a stream: never reported.
   */
  DROP_OFF_SECONDS: streamSeconds,
  /**
   * The streams that learn their rhythm, each with its ceiling, `stream=seconds`: once learned,
   * a silence is a drop-off past three times the usual silence at that hour of the week, and
   * always past the ceiling (README, "Drop-off: a learned rhythm").
   */
  DROP_OFF_CEILING_SECONDS: streamSeconds,
  REQUEST_TIMEOUT_MS: positiveInt(30_000, 300_000),
  /** Client-side request budget, below the account's 600/minute and 30,000/hour. */
  REQUEST_BUDGET_PER_MINUTE: positiveInt(540, 600),
  REQUEST_BUDGET_PER_HOUR: positiveInt(27_000, 30_000),
});

export type CollectorEnv = z.output<typeof collectorEnvSchema>;

/** The notary's environment (README, "Digests"). */
export const notaryEnvSchema = z.object({
  SOURCE_NAMES: z
    .string()
    .min(1, 'must list the sources to sign, comma-separated')
    .transform((value) => value.split(',').map((name) => name.trim()))
    .refine((names) => names.every((name) => /^[a-z0-9-]{1,40}$/.test(name)), {
      message: 'must be a comma list of source names, each matching [a-z0-9-]{1,40}',
    }),
  NOTARY_KEY_ID: z.string().min(1, 'must name the KMS signing key (key ARN)'),
  STATE_TABLE: collectorEnvSchema.shape.STATE_TABLE,
  ARCHIVE_BUCKET: collectorEnvSchema.shape.ARCHIVE_BUCKET,
  ARCHIVE_PREFIX: collectorEnvSchema.shape.ARCHIVE_PREFIX,
  S3_FORCE_PATH_STYLE: booleanFlag,
});

export type NotaryEnv = z.output<typeof notaryEnvSchema>;

/** Parses the notary's environment, or throws one ConfigError that names every bad variable. */
export function parseNotaryEnv(env: NodeJS.ProcessEnv): NotaryEnv {
  const result = notaryEnvSchema.safeParse(env);
  if (result.success) return result.data;
  return fail(
    `The notary's environment is invalid: ${describeIssues(result.error.issues, env)}. See README §Digests.`,
  );
}

const QUIET = new Set(['TOKEN_SECRET_ID', 'EVENTS_API_URL']);

function describeIssues(issues: z.core.$ZodIssue[], env: NodeJS.ProcessEnv): string {
  return issues
    .map((issue) => {
      const variable = issue.path.join('.');
      const value = env[variable];
      // Values that may carry credentials are named, never echoed.
      const shown = value === undefined || QUIET.has(variable) ? '' : ` (got "${value}")`;
      return `${variable}: ${value === undefined && issue.code === 'invalid_type' ? 'is required' : issue.message}${shown}`;
    })
    .join('; ');
}

/** Parses the environment, or throws one ConfigError that names every bad variable. */
export function parseCollectorEnv(env: NodeJS.ProcessEnv): CollectorEnv {
  const result = collectorEnvSchema.safeParse(env);
  if (result.success) return result.data;
  return fail(
    `The collector's environment is invalid: ${describeIssues(result.error.issues, env)}. See README §Runtime contract.`,
  );
}

function fail(message: string): never {
  throw new ConfigError(message);
}
