import { ConfigError, SecretError } from '../lambdas/shared/errors';

/** What the process exit status means; scripts may rely on these. */
export const ExitCode = {
  /** Done; nothing wrong found. */
  ok: 0,
  /** The check ran and found problems: verify found gaps or alterations, the token is unusable, an alarm fires. */
  problems: 1,
  /** The command line or the configuration is wrong; nothing was done. */
  usage: 2,
  /** The work failed on the way: AWS or the Events API unreachable or refusing, an unexpected error. */
  failure: 3,
  /** Stopped by Ctrl-C (SIGINT) after leaving everything consistent. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `Exit status:
  0    ok
  1    the check found problems (verify: gaps, altered or foreign objects, duplicated events;
       check-token: the token cannot be used; status: an alarm is firing or a stream's last run failed)
  2    usage or configuration error (bad flags, missing token, unknown table or bucket, no AWS credentials)
  3    runtime failure (AWS or the Events API unreachable or failing); safe to run again
  130  interrupted (Ctrl-C); what was written is consistent, run the command again to continue`;

/** A mistake in the command line: the message says what to write instead. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure worth a specific exit status and message. */
export class CliFailure extends Error {
  override readonly name = 'CliFailure';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The exit status and the message a thrown error deserves. */
export function describeFailure(error: unknown): { exitCode: ExitCode; message: string } {
  if (error instanceof CliFailure) return { exitCode: error.exitCode, message: error.message };
  // By name too: commands written apart from this module have usage errors of their own.
  const named = (error as { name?: unknown } | undefined)?.name;
  if (
    error instanceof UsageError ||
    error instanceof ConfigError ||
    error instanceof SecretError ||
    named === 'UsageError'
  ) {
    return { exitCode: ExitCode.usage, message: (error as Error).message };
  }
  const candidate = error as { name?: string; message?: string; code?: string } | undefined;
  const name = candidate?.name ?? '';
  const message = candidate?.message ?? String(error);
  if (/region is missing/i.test(message)) {
    return {
      exitCode: ExitCode.usage,
      message: 'no AWS region is configured: pass --region (e.g. --region eu-west-1) or set AWS_REGION.',
    };
  }
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return {
      exitCode: ExitCode.usage,
      message:
        'no AWS credentials found: set AWS_PROFILE (after `aws sso login`) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ' +
        'as for the AWS CLI.',
    };
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnauthorizedOperation') {
    return {
      exitCode: ExitCode.usage,
      message: `AWS refused the request (${name}): ${message} Use a role that may read the archive (README §Operate).`,
    };
  }
  if (name === 'ResourceNotFoundException') {
    return {
      exitCode: ExitCode.usage,
      message: `${message} Check --table and --region: the table is the stack's StateTable output.`,
    };
  }
  if (name === 'NoSuchBucket') {
    return {
      exitCode: ExitCode.usage,
      message: 'the bucket does not exist in this account and region; check --bucket and --region.',
    };
  }
  return { exitCode: ExitCode.failure, message: name && name !== 'Error' ? `${name}: ${message}` : message };
}
