/**
 * Bounds on every AWS call, per attempt: connecting, and the whole request and response.
 * With the SDK's attempt count and the stream lease's AbortSignal, no call outlives the run
 * that made it. A state write or a secret is a small item; an archive write is up to 32 MiB
 * (BATCH_MAX_BYTES) of gzip, usually a few MiB.
 */
export const AwsTimeouts = {
  small: { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
  archive: { connectionTimeout: 3_000, requestTimeout: 60_000, throwOnRequestTimeout: true },
} as const;

/** Attempts per AWS call, the first included (the SDK's standard retry mode backs off between them). */
export const AWS_MAX_ATTEMPTS = 4;
