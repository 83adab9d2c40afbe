import {
  AuthError,
  type EventsApiError,
  MalformedResponseError,
  NetworkError,
  RateLimitedError,
  RequestRejectedError,
  RequestTimeoutError,
  ServerError,
} from '../errors';
import type { EventType } from '../event-types';
import { formatRfc3339Seconds } from '../time';
import type { TokenSource } from '../token/provider';
import { bomLength, itemLines, RawPageError } from './raw-page';
import { defaultSleep, type RequestBudget } from './request-budget';
import { type Introspection, introspectionSchema, type Page, pageSchema } from './schemas';

/** The first request of a stream (or a restart from a time), or a continuation. */
export type PageRequest =
  | { readonly cursor: string }
  | { readonly startTime: number; readonly endTime?: number; readonly limit?: number };

export interface RetryPolicy {
  /** First backoff delay; doubles each attempt, with full jitter. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Attempts per request, the first included. */
  readonly maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 500, maxDelayMs: 30_000, maxAttempts: 8 };

/** Told about every failed attempt, for metrics and logs. */
export type AttemptObserver = (event: {
  stream: EventType | 'introspect';
  error: EventsApiError;
  willRetry: boolean;
}) => void;

export interface EventsApiClientOptions {
  readonly baseUrl: string;
  readonly tokens: TokenSource;
  readonly budget: RequestBudget;
  /** Names the source in error messages. */
  readonly sourceName: string;
  readonly requestTimeoutMs?: number;
  readonly retry?: RetryPolicy;
  readonly onAttemptFailed?: AttemptObserver;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly userAgent?: string;
}

/**
 * Signals that the request budget or the caller's deadline left no room for another
 * request. Not a failure: the stream stops, commits what it has, and the next run goes on.
 */
export class OutOfTimeError extends Error {
  override readonly name = 'OutOfTimeError';
}

export const PAGE_LIMIT = 1000;

/**
 * The 1Password Events API v2 client: cursor paging, a timeout on every request, backoff
 * with jitter on 429/5xx/network errors (honouring `Retry-After`), a shared request budget,
 * and one re-read of the token secret after a 401 in case the token was rotated.
 */
export class EventsApiClient {
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;

  constructor(private readonly options: EventsApiClientOptions) {
    this.fetchFn = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.timeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  /**
   * One page of a stream. `deadline` (epoch ms) bounds the whole call, retries included:
   * past it the call throws {@link OutOfTimeError} (nothing sent) or the last API error.
   */
  async fetchPage(
    stream: EventType,
    request: PageRequest,
    deadline = Number.POSITIVE_INFINITY,
  ): Promise<Page> {
    const body =
      'cursor' in request
        ? { cursor: request.cursor }
        : {
            limit: request.limit ?? PAGE_LIMIT,
            start_time: formatRfc3339Seconds(request.startTime),
            ...(request.endTime === undefined ? {} : { end_time: formatRfc3339Seconds(request.endTime) }),
          };
    return this.send(stream, 'POST', `/api/v2/${stream}`, JSON.stringify(body), deadline, (bytes) => {
      const source = this.options.sourceName;
      const page = pageSchema.safeParse(parseJson(bytes, stream, source));
      if (!page.success) {
        throw new MalformedResponseError(
          `source ${source}: the Events API answered ${stream} with a body that is not a page ` +
            `(${page.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ')})`,
          { status: 200 },
        );
      }
      // JSON.parse gives the values; the scanner gives each item's bytes. Should they disagree
      // (a scanner bug: it accepts every body JSON.parse does), the page is refused as
      // malformed and fetched again, rather than archived with lines that are not its items.
      try {
        return { ...page.data, ...itemLines(bytes, page.data.items) };
      } catch (cause) {
        if (!(cause instanceof RawPageError)) throw cause;
        throw new MalformedResponseError(
          `source ${source}: the items of the ${stream} page could not be cut from its body (${cause.message}); ` +
            'the page is fetched again.',
          { cause, status: 200 },
        );
      }
    });
  }

  /** `GET /api/v2/auth/introspect`: the integration, the account and the event types the token may read. */
  async introspect(deadline = Number.POSITIVE_INFINITY): Promise<Introspection> {
    return this.send('introspect', 'GET', '/api/v2/auth/introspect', undefined, deadline, (bytes) => {
      const parsed = introspectionSchema.safeParse(parseJson(bytes, 'introspect', this.options.sourceName));
      if (!parsed.success) {
        throw new MalformedResponseError(
          `source ${this.options.sourceName}: the introspect answer is not as documented`,
          {
            status: 200,
          },
        );
      }
      return parsed.data;
    });
  }

  /** Sends a request until it gets a parseable 200, a final error, or runs out of time. */
  private async send<T>(
    stream: EventType | 'introspect',
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    deadline: number,
    parse: (body: Buffer) => T,
  ): Promise<T> {
    let token = await this.options.tokens.getToken();
    let tokenRefreshed = false;
    for (let attempt = 1; ; attempt++) {
      if (!(await this.options.budget.acquire(deadline))) {
        throw new OutOfTimeError(`no request budget left before the deadline for ${stream}`);
      }
      const remaining = deadline - this.now();
      if (remaining <= 0) throw new OutOfTimeError(`deadline reached before requesting ${stream}`);
      const cappedByDeadline = remaining < this.timeoutMs;
      let error: EventsApiError;
      try {
        const response = await this.attempt(method, path, body, token, Math.min(this.timeoutMs, remaining));
        // A body cut short in transit is as transient as a 5xx: parse inside the retry loop.
        if (response.status === 200) return parse(response.body);
        error = this.errorFor(stream, path, response);
      } catch (caught) {
        error =
          caught instanceof MalformedResponseError ? caught : this.errorForFailure(stream, caught, token);
      }
      // A 408 is the server's own timeout, not one the deadline imposed on this attempt.
      if (error instanceof RequestTimeoutError && error.status === undefined && cappedByDeadline) {
        // Cut short by the caller's deadline, not by a slow API: a normal end of the run.
        throw new OutOfTimeError(`the deadline arrived while waiting for ${stream}`);
      }

      if (error instanceof AuthError && !tokenRefreshed) {
        tokenRefreshed = true;
        let fresh: string | undefined;
        try {
          fresh = await this.options.tokens.refreshAfterRejection(token);
        } catch (refreshError) {
          this.options.onAttemptFailed?.({ stream, error, willRetry: false });
          throw refreshError;
        }
        if (fresh !== undefined) {
          this.options.onAttemptFailed?.({ stream, error, willRetry: true });
          token = fresh;
          attempt--;
          continue;
        }
      }
      const delay = error.retryable ? this.backoff(attempt, error) : undefined;
      const willRetry =
        delay !== undefined && attempt < this.retry.maxAttempts && this.now() + delay < deadline;
      this.options.onAttemptFailed?.({ stream, error, willRetry });
      if (!willRetry) throw error;
      await this.sleep(delay);
    }
  }

  private async attempt(
    method: string,
    path: string,
    body: string | undefined,
    token: string,
    timeoutMs: number,
  ): Promise<HttpAnswer> {
    const response = await this.fetchFn(`${this.options.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        'user-agent': this.options.userAgent ?? 'onepassword-events-archive',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body }),
      // The API does not redirect; following one could hand events (or the token) to another host.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The body is read under the same signal, so a server that stalls mid-body times out too.
    // Bytes, not text: each event is archived as the bytes the API sent, so offsets must be exact.
    return {
      status: response.status,
      body: Buffer.from(await response.arrayBuffer()),
      retryAfter: response.headers.get('retry-after'),
    };
  }

  private errorFor(stream: string, path: string, response: HttpAnswer): EventsApiError {
    const { status } = response;
    const source = this.options.sourceName;
    const detail = errorMessageOf(response.body);
    if (status === 401 || status === 403) {
      return new AuthError(
        `source ${source}: the Events API refused the token for ${stream} (HTTP ${status}${detail}): it is revoked or ` +
          `expired, belongs to another region, or lacks the "${stream}" event type. Create a new Events Reporting ` +
          'token in 1Password and put it in the source\'s secret (README §Operate, "Auth failure").',
        { status },
      );
    }
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(response.retryAfter, this.now());
      return new RateLimitedError(
        `source ${source}: the Events API rate limit was hit on ${stream} (HTTP 429); other integrations of the ` +
          'account share the 600/minute and 30,000/hour limits.',
        retryAfterMs === undefined ? {} : { retryAfterMs },
      );
    }
    if (status === 408) {
      return new RequestTimeoutError(
        `source ${source}: the Events API timed out waiting for the ${stream} request (HTTP 408${detail}).`,
        { status },
      );
    }
    if (status === 425) {
      // "Too Early": the server will not process the request yet; the same request may succeed later.
      return new ServerError(
        `source ${source}: the Events API answered ${stream} with HTTP 425 Too Early${detail}; it is sent again later.`,
        { status },
      );
    }
    if (status >= 500) {
      return new ServerError(
        `source ${source}: the Events API failed on ${stream} (HTTP ${status}${detail}).`,
        { status },
      );
    }
    if (status === 404) {
      return new RequestRejectedError(
        `source ${source}: the Events API at ${this.options.baseUrl} has no endpoint ${path} (HTTP 404${detail}): ` +
          "EVENTS_API_URL points at another server than the events host of the account's region " +
          '(e.g. https://events.1password.com), or that server does not offer this version of the API. Check EVENTS_API_URL.',
        { status },
      );
    }
    if (status === 409) {
      return new RequestRejectedError(
        `source ${source}: the Events API reported a conflict on the ${stream} request (HTTP 409${detail}). ` +
          'It is not sent again blindly; the stream keeps its cursor, so the next run asks for the same page.',
        { status },
      );
    }
    return new RequestRejectedError(
      `source ${source}: the Events API rejected the ${stream} request (HTTP ${status}${detail}).`,
      { status },
    );
  }

  private errorForFailure(stream: string, caught: unknown, token: string): EventsApiError {
    const source = this.options.sourceName;
    // Checked by name: fetch's errors may come from another realm (DOMException), where instanceof fails.
    const failure = caught as
      | { name?: unknown; message?: unknown; cause?: { message?: unknown } }
      | undefined;
    // fetch quotes what it was given: undici refuses a bad header value with the value in the
    // message ("Bearer <token>" is an invalid header value). Nothing of it goes further unredacted.
    const cause = redactedError(caught, token);
    if (failure?.name === 'TimeoutError' || failure?.name === 'AbortError') {
      return new RequestTimeoutError(`source ${source}: the Events API did not answer ${stream} in time.`, {
        cause,
      });
    }
    const reason = redactToken(String(failure?.cause?.message ?? failure?.message ?? caught), token);
    return new NetworkError(`source ${source}: the request for ${stream} failed (${reason}).`, { cause });
  }

  private backoff(attempt: number, error: EventsApiError): number {
    const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    const jittered = this.random() * ceiling;
    const floor =
      error instanceof RateLimitedError ? Math.max(error.retryAfterMs ?? 0, this.retry.baseDelayMs) : 0;
    return Math.max(jittered, floor);
  }
}

/** One HTTP answer, its body as the bytes received. */
interface HttpAnswer {
  readonly status: number;
  readonly body: Buffer;
  readonly retryAfter: string | null;
}

/** The body as text, without the byte order mark `JSON.parse` would refuse (as `Response.text()` does). */
function decode(body: Buffer): string {
  return body.toString('utf8', bomLength(body));
}

function parseJson(body: Buffer, stream: string, source: string): unknown {
  try {
    return JSON.parse(decode(body));
  } catch (cause) {
    throw new MalformedResponseError(
      `source ${source}: the Events API answered ${stream} with a body that is not JSON (${body.length} bytes).`,
      { cause, status: 200 },
    );
  }
}

/** The message of an error body in either documented shape, for error messages. */
function errorMessageOf(bytes: Buffer): string {
  try {
    const body = JSON.parse(decode(bytes)) as { Error?: { Message?: unknown }; message?: unknown };
    const message = body.Error?.Message ?? body.message;
    return typeof message === 'string' && message !== '' ? `: ${message.slice(0, 200)}` : '';
  } catch {
    return '';
  }
}

function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * `text` without the token, or any `Bearer` credential, in it. For text that a library built
 * from the request (an error message) and that goes on into errors, logs and the state table.
 */
export function redactToken(text: string, token: string | undefined): string {
  let redacted = text;
  if (token) {
    // Also as JSON or a log formatter escapes it, for a token that holds a control character.
    for (const form of new Set([token, JSON.stringify(token).slice(1, -1)])) {
      redacted = redacted.split(form).join('[token]');
    }
  }
  // Whatever follows "Bearer" up to a quote or the end of the line: the credential, however mangled.
  return redacted.replace(/Bearer[ \t]+(?!\[token\])[^"'\r\n]*/gi, 'Bearer [redacted]');
}

/**
 * A copy of a thrown error whose message (and its cause's, a level down) has the token
 * removed, with the same name and `code`: what the collector keeps as an error's cause.
 */
function redactedError(caught: unknown, token: string, depth = 0): Error {
  const original = caught as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown } | null;
  const copy = new Error(redactToken(String(original?.message ?? caught), token));
  if (typeof original?.name === 'string') copy.name = original.name;
  if (typeof original?.code === 'string') Object.assign(copy, { code: original.code });
  if (depth < 2 && original?.cause !== undefined) {
    copy.cause = redactedError(original.cause, token, depth + 1);
  }
  return copy;
}
