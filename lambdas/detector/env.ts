import * as z from 'zod';
import { type DetectionSettings, detectionSettingsSchema } from '../shared/detections/settings';
import { collectorEnvSchema } from '../shared/env';
import { ConfigError } from '../shared/errors';
import { RULES } from './rules';

const optional = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

/** The detector's environment (README, "Runtime contract of the detector"). */
export const detectorEnvSchema = z.object({
  DETECTOR_TABLE: z.string().min(1, 'must name the DynamoDB table of the history and finding claims'),
  ARCHIVE_BUCKET: collectorEnvSchema.shape.ARCHIVE_BUCKET,
  ARCHIVE_PREFIX: collectorEnvSchema.shape.ARCHIVE_PREFIX,
  S3_FORCE_PATH_STYLE: collectorEnvSchema.shape.S3_FORCE_PATH_STYLE,
  SECURITY_TOPIC_ARN: optional.pipe(
    z.string().startsWith('arn:', 'must be the ARN of the security SNS topic').optional(),
  ),
  EVENT_BUS_NAME: optional.transform((value) => value ?? 'default'),
  SECURITY_HUB_PRODUCT_ARN: optional.pipe(
    z
      .string()
      .regex(
        /^arn:[a-z-]+:securityhub:[a-z0-9-]+:\d{12}:product\/\d{12}\/default$/,
        "must be the account's Security Hub product ARN, arn:aws:securityhub:<region>:<account>:product/<account>/default",
      )
      .optional(),
  ),
  DETECTION_SETTINGS: optional,
});

export interface DetectorEnv extends Omit<z.output<typeof detectorEnvSchema>, 'DETECTION_SETTINGS'> {
  readonly settings: DetectionSettings;
}

const settingsSchema = detectionSettingsSchema(RULES);

/**
 * Parses the detector's environment, `DETECTION_SETTINGS` (JSON) with the settings schema of
 * the deployment config, or throws one ConfigError naming every bad variable and field.
 */
export function parseDetectorEnv(env: NodeJS.ProcessEnv): DetectorEnv {
  const result = detectorEnvSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(
      `The detector's environment is invalid: ${problems.join('; ')}. See README §Detections.`,
    );
  }
  const { DETECTION_SETTINGS, ...rest } = result.data;
  return { ...rest, settings: parseDetectionSettings(DETECTION_SETTINGS) };
}

/** The settings from their JSON text; absent: no watchlists, every rule on, no suppressions. */
export function parseDetectionSettings(text: string | undefined): DetectionSettings {
  let raw: unknown;
  try {
    raw = text === undefined ? undefined : JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`DETECTION_SETTINGS is not JSON: ${(error as Error).message}`);
  }
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `DETECTION_SETTINGS.${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new ConfigError(
      `The detection settings are invalid: ${problems.join('; ')}. See README §Detections.`,
    );
  }
  return parsed.data as DetectionSettings;
}
