import type { ApiErrorKind } from './metric-names';

/**
 * Errors a user can act on. Each message names what is wrong and what to do; none ever
 * contains the bearer token (messages are built from names, ids and HTTP statuses only).
 */
export class ConnectorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An environment variable or configuration value is missing or malformed. */
export class ConfigError extends ConnectorError {}

/** The token secret is missing, empty or unreadable. */
export class SecretError extends ConnectorError {}

/** Base class of everything the Events API client raises. */
export class EventsApiError extends ConnectorError {
  readonly kind: ApiErrorKind;
  readonly status: number | undefined;
  constructor(kind: ApiErrorKind, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.kind = kind;
    this.status = options?.status;
  }
  /** Whether the same request may succeed if sent again later. */
  get retryable(): boolean {
    return (
      this.kind === 'rate_limited' ||
      this.kind === 'server' ||
      this.kind === 'network' ||
      this.kind === 'timeout' ||
      this.kind === 'malformed'
    );
  }
}

/** 401/403: the token is revoked, expired, for another region or lacks the event type's scope. */
export class AuthError extends EventsApiError {
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super('auth', message, options);
  }
}

/** 400/404 and other 4xx: the API refused the request itself (a bad cursor, a bad body). */
export class RequestRejectedError extends EventsApiError {
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super('rejected', message, options);
  }
}

/** 429 after the retries the deadline allowed. */
export class RateLimitedError extends EventsApiError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super('rate_limited', message, { ...options, status: 429 });
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** 5xx, or 425 Too Early: the same request may succeed later. */
export class ServerError extends EventsApiError {
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super('server', message, options);
  }
}

/** The connection failed or was reset. */
export class NetworkError extends EventsApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('network', message, options);
  }
}

/** No response within the request timeout, or the server's own timeout (408, with its status). */
export class RequestTimeoutError extends EventsApiError {
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super('timeout', message, options);
  }
}

/** A 200 whose body is not JSON or not a page (`cursor`, `has_more`, `items`). */
export class MalformedResponseError extends EventsApiError {
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super('malformed', message, options);
  }
}

/**
 * The archive or the state table holds something the protocol did not write: an object
 * at a key the stream was about to use whose hash is not the intended batch's. The stream
 * stops rather than guess, so nothing is overwritten and nothing is skipped.
 */
export class IntegrityError extends ConnectorError {}

/** A batch could not be written to the archive; the message says whether it may still land. */
export class ArchiveWriteError extends ConnectorError {}

/** Another invocation holds the stream's lease, or took it over while this one worked. */
export class LeaseLostError extends ConnectorError {}

/** Message of any thrown value, for logs. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
