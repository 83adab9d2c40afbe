import * as z from 'zod';
import { collectorEnvSchema } from '../shared/env';
import { ConfigError } from '../shared/errors';
import { OCSF_CLASSES } from '../shared/ocsf/record';

/** Where one OCSF class goes: an `s3://bucket/prefix/` location, written as `roleArn` when given. */
const destinationSchema = z.object({
  location: z
    .string()
    .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'must be s3://<bucket>/<prefix>/'),
  roleArn: z.string().startsWith('arn:', 'must be the ARN of the role to write as').optional(),
});

const CLASS_UIDS = Object.values(OCSF_CLASSES).map((c) => String(c.uid));

/** The OCSF transformer's environment (README, "OCSF"). */
export const transformerEnvSchema = z.object({
  ARCHIVE_BUCKET: collectorEnvSchema.shape.ARCHIVE_BUCKET,
  ARCHIVE_PREFIX: collectorEnvSchema.shape.ARCHIVE_PREFIX,
  S3_FORCE_PATH_STYLE: collectorEnvSchema.shape.S3_FORCE_PATH_STYLE,
  /** The `region=` partition: the region the events are kept in. */
  OCSF_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1'),
  /** The `accountId=` partition: the AWS account the custom sources were registered for. */
  OCSF_ACCOUNT_ID: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
  /** JSON: class uid → destination, one for every class. */
  OCSF_DESTINATIONS: z.string().min(1, 'must map every OCSF class uid to its destination (JSON)'),
  /** The external id the Security Lake provider roles require. */
  OCSF_EXTERNAL_ID: z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim())),
});

export interface OcsfDestination {
  readonly bucket: string;
  /** The class's source location within the bucket, ending in `/` (or empty). */
  readonly prefix: string;
  readonly roleArn?: string;
}

export interface TransformerEnv extends Omit<z.output<typeof transformerEnvSchema>, 'OCSF_DESTINATIONS'> {
  /** By class uid. */
  readonly destinations: ReadonlyMap<number, OcsfDestination>;
}

/** Parses the transformer's environment, or throws one ConfigError naming every bad variable. */
export function parseTransformerEnv(env: NodeJS.ProcessEnv): TransformerEnv {
  const result = transformerEnvSchema.safeParse(env);
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  let destinations = new Map<number, OcsfDestination>();
  if (result.success) {
    const parsed = parseDestinations(result.data.OCSF_DESTINATIONS);
    if (typeof parsed === 'string') problems.push(parsed);
    else destinations = parsed;
  }
  if (!result.success || problems.length > 0) {
    throw new ConfigError(
      `The OCSF transformer's environment is invalid: ${problems.join('; ')}. See README §OCSF.`,
    );
  }
  const { OCSF_DESTINATIONS: _, ...rest } = result.data;
  return { ...rest, destinations };
}

function parseDestinations(text: string): Map<number, OcsfDestination> | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return `OCSF_DESTINATIONS: not JSON: ${(error as Error).message}`;
  }
  const parsed = z
    .record(z.string(), destinationSchema)
    .superRefine((value, context) => {
      const unknown = Object.keys(value).filter((uid) => !CLASS_UIDS.includes(uid));
      const missing = CLASS_UIDS.filter((uid) => !(uid in value));
      if (unknown.length > 0)
        context.addIssue({
          code: 'custom',
          message: `no OCSF class ${unknown.join(', ')}; the classes: ${CLASS_UIDS.join(', ')}`,
        });
      if (missing.length > 0)
        context.addIssue({
          code: 'custom',
          message: `must name every class: ${CLASS_UIDS.join(', ')} (missing ${missing.join(', ')})`,
        });
    })
    .safeParse(raw);
  if (!parsed.success) {
    return parsed.error.issues
      .map((issue) => `OCSF_DESTINATIONS${issue.path.map((p) => `.${String(p)}`).join('')}: ${issue.message}`)
      .join('; ');
  }
  const destinations = new Map<number, OcsfDestination>();
  for (const [uid, { location, roleArn }] of Object.entries(parsed.data)) {
    const [, bucket = '', path = ''] = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location) ?? [];
    // Security Lake gives its locations with or without the closing slash.
    const prefix = path === '' || path.endsWith('/') ? path : `${path}/`;
    destinations.set(Number(uid), { bucket, prefix, ...(roleArn ? { roleArn } : {}) });
  }
  return destinations;
}
