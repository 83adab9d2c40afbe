import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import {
  AuthError,
  type EventsApiError,
  MalformedResponseError,
  NetworkError,
  RateLimitedError,
  RequestRejectedError,
  RequestTimeoutError,
  ServerError,
} from '../../lambdas/shared/errors';
import {
  type AttemptObserver,
  EventsApiClient,
  type EventsApiClientOptions,
  OutOfTimeError,
} from '../../lambdas/shared/events-api/client';
import * as rawPage from '../../lambdas/shared/events-api/raw-page';
import { RequestBudget } from '../../lambdas/shared/events-api/request-budget';
import type { TokenSource } from '../../lambdas/shared/token/provider';

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJhdWQiOlsiMTI3LjAuMC4xIl19.dG9rZW4tb25l';
const ROTATED_TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJhdWQiOlsiMTI3LjAuMC4xIl19.dG9rZW4tdHdv';
const PAGE = {
  cursor: 'Y3Vyc29yLTE=',
  has_more: true,
  items: [{ uuid: 'E1', timestamp: '2025-03-01T18:57:42Z' }],
};

interface Received {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

type Reply = (res: ServerResponse) => void;

const reply =
  (status: number, body: unknown = '', headers: Record<string, string> = {}): Reply =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

/** Accepts the request and never answers. */
const hang: Reply = () => {};

/**
 * A minimal Events API on 127.0.0.1 that answers each request with the next scripted reply
 * (the last one repeats) and records what it received.
 */
class ScriptedApi {
  readonly received: Received[] = [];
  private replies: Reply[] = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.received.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const next = this.replies.length > 1 ? this.replies.shift() : this.replies[0];
      (next ?? reply(200, PAGE))(res);
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  script(...replies: Reply[]): void {
    this.replies = replies;
  }

  reset(): void {
    this.received.length = 0;
    this.replies = [];
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A token source whose secret can be "rotated" by the test. */
class FakeTokens implements TokenSource {
  readonly rejected: string[] = [];
  constructor(
    private current: string,
    private afterRejection: string = current,
  ) {}
  async getToken(): Promise<string> {
    return this.current;
  }
  async refreshAfterRejection(rejected: string): Promise<string | undefined> {
    this.rejected.push(rejected);
    this.current = this.afterRejection;
    return this.current === rejected ? undefined : this.current;
  }
}

const api = new ScriptedApi();
let baseUrl: string;

beforeAll(async () => {
  baseUrl = await api.start();
});

afterEach(() => {
  api.reset();
});

afterAll(async () => {
  await api.close();
});

interface Harness {
  readonly client: EventsApiClient;
  readonly tokens: FakeTokens;
  readonly budget: RequestBudget;
  readonly sleeps: number[];
  readonly failures: Parameters<AttemptObserver>[0][];
}

function harness(options: Partial<EventsApiClientOptions> & { tokens?: FakeTokens } = {}): Harness {
  const sleeps: number[] = [];
  const failures: Parameters<AttemptObserver>[0][] = [];
  const tokens = options.tokens ?? new FakeTokens(TOKEN);
  const budget = options.budget ?? new RequestBudget(600, 30_000);
  const client = new EventsApiClient({
    baseUrl,
    tokens,
    budget,
    sourceName: 'prod',
    requestTimeoutMs: 2_000,
    retry: { baseDelayMs: 10, maxDelayMs: 40, maxAttempts: 4 },
    random: () => 1,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    onAttemptFailed: (event) => failures.push(event),
    ...options,
  });
  return { client, tokens, budget, sleeps, failures };
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('EventsApiClient requests', () => {
  it('starts a stream with POST /api/v2/<stream>, limit 1000 and a whole-second UTC start_time', async () => {
    // Prepare
    const { client } = harness();

    // Act
    const page = await client.fetchPage('itemusages', { startTime: Date.UTC(2026, 0, 2, 3, 4, 5, 678) });

    // Assess
    expect(page).toMatchObject(PAGE);
    expect(api.received).toHaveLength(1);
    const [request] = api.received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/api/v2/itemusages');
    expect(JSON.parse(request?.body ?? '')).toEqual({ limit: 1000, start_time: '2026-01-02T03:04:05Z' });
    expect(request?.headers['content-type']).toBe('application/json');
  });

  it('sends end_time and a smaller limit when asked', async () => {
    const { client } = harness();

    await client.fetchPage('auditevents', {
      startTime: Date.UTC(2026, 0, 1),
      endTime: Date.UTC(2026, 0, 2, 0, 0, 0, 999),
      limit: 50,
    });

    expect(JSON.parse(api.received[0]?.body ?? '')).toEqual({
      limit: 50,
      start_time: '2026-01-01T00:00:00Z',
      end_time: '2026-01-02T00:00:00Z',
    });
  });

  it('continues a stream with exactly {cursor} and nothing else', async () => {
    const { client } = harness();

    await client.fetchPage('signinattempts', { cursor: 'abc+/=' });

    expect(api.received[0]?.url).toBe('/api/v2/signinattempts');
    expect(api.received[0]?.body).toBe('{"cursor":"abc+/="}');
  });

  it('sends the token as a bearer Authorization header with a User-Agent', async () => {
    const { client } = harness();

    await client.fetchPage('itemusages', { cursor: 'c' });

    expect(api.received[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(api.received[0]?.headers['user-agent']).toBe('onepassword-events-archive');
  });

  it('keeps every field of the items as returned', async () => {
    const items = [
      { uuid: 'E1', timestamp: '2025-03-01T18:57:42Z', unknown: { deep: [1, null] } },
      'odd item',
    ];
    api.script(reply(200, { items, has_more: false, cursor: 'c2', extra_envelope_field: 1 }));
    const { client } = harness();

    const page = await client.fetchPage('itemusages', { cursor: 'c' });

    expect(page.items).toEqual(items);
    expect(page.has_more).toBe(false);
    expect(page.cursor).toBe('c2');
  });

  it('introspects the token with a GET and no body', async () => {
    // Prepare
    const introspection = {
      uuid: 'OCG6NPMIBZBUBBK4ZFBQVXJ2UE',
      issued_at: '2025-09-12T18:21:09Z',
      features: ['auditevents', 'itemusages'],
      account_uuid: '4HCGRGYCTRQFBMGVEGTABYDU2V',
    };
    api.script(reply(200, introspection));
    const { client } = harness();

    // Act
    const result = await client.introspect();

    // Assess
    expect(result).toEqual(introspection);
    expect(api.received[0]?.method).toBe('GET');
    expect(api.received[0]?.url).toBe('/api/v2/auth/introspect');
    expect(api.received[0]?.body).toBe('');
    expect(api.received[0]?.headers['content-type']).toBeUndefined();
  });

  it('refuses an introspect answer without the documented fields', async () => {
    api.script(reply(200, { UUID: 'x', IssuedAt: '2025-09-12T18:21:09Z', Features: [] }));
    const { client } = harness();

    await expect(client.introspect()).rejects.toBeInstanceOf(MalformedResponseError);
  });
});

describe('EventsApiClient retries', () => {
  it('retries a 429 and honours Retry-After in seconds', async () => {
    // Prepare
    api.script(reply(429, '', { 'retry-after': '2' }), reply(200, PAGE));
    const { client, sleeps, failures } = harness();

    // Act
    const page = await client.fetchPage('itemusages', { cursor: 'c' });

    // Assess
    expect(page).toMatchObject(PAGE);
    expect(api.received).toHaveLength(2);
    expect(sleeps).toEqual([2000]);
    expect(failures.map((f) => [f.error.kind, f.willRetry])).toEqual([['rate_limited', true]]);
  });

  it('honours a Retry-After given as an HTTP date', async () => {
    const now = Date.UTC(2026, 0, 2, 3, 4, 5);
    api.script(reply(429, '', { 'retry-after': new Date(now + 7000).toUTCString() }), reply(200, PAGE));
    const { client, sleeps } = harness({ now: () => now });

    await client.fetchPage('itemusages', { cursor: 'c' });

    expect(sleeps).toEqual([7000]);
  });

  it('waits at least the base delay after a 429 without Retry-After, even with zero jitter', async () => {
    api.script(reply(429), reply(200, PAGE));
    const { client, sleeps } = harness({ random: () => 0 });

    await client.fetchPage('itemusages', { cursor: 'c' });

    expect(sleeps).toEqual([10]);
  });

  it('gives up with a RateLimitedError when Retry-After goes past the deadline', async () => {
    // Prepare
    api.script(reply(429, '', { 'retry-after': '120' }));
    const { client, sleeps, failures } = harness();

    // Act
    const error = await rejectionOf(client.fetchPage('itemusages', { cursor: 'c' }, Date.now() + 5_000));

    // Assess
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(120_000);
    expect((error as RateLimitedError).status).toBe(429);
    expect(api.received).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(failures.map((f) => f.willRetry)).toEqual([false]);
  });

  it('retries 500, 502, 503 and 504 with doubling backoff', async () => {
    // Prepare
    api.script(reply(500), reply(502), reply(503), reply(504), reply(200, PAGE));
    const { client, sleeps, failures } = harness({
      retry: { baseDelayMs: 10, maxDelayMs: 1000, maxAttempts: 8 },
    });

    // Act
    const page = await client.fetchPage('itemusages', { cursor: 'c' });

    // Assess
    expect(page).toMatchObject(PAGE);
    expect(api.received).toHaveLength(5);
    expect(sleeps).toEqual([10, 20, 40, 80]);
    expect(failures.map((f) => [f.error.kind, f.error.status, f.willRetry])).toEqual([
      ['server', 500, true],
      ['server', 502, true],
      ['server', 503, true],
      ['server', 504, true],
    ]);
  });

  it('never waits longer than maxDelay between attempts', async () => {
    api.script(reply(503));
    const { client, sleeps } = harness({ retry: { baseDelayMs: 10, maxDelayMs: 40, maxAttempts: 7 } });

    await rejectionOf(client.fetchPage('itemusages', { cursor: 'c' }));

    expect(sleeps).toEqual([10, 20, 40, 40, 40, 40]);
  });

  it('spreads retries with jitter below the backoff ceiling', async () => {
    api.script(reply(500), reply(500), reply(200, PAGE));
    const { client, sleeps } = harness({
      random: () => 0.5,
      retry: { baseDelayMs: 100, maxDelayMs: 1000, maxAttempts: 4 },
    });

    await client.fetchPage('itemusages', { cursor: 'c' });

    expect(sleeps).toEqual([50, 100]);
  });

  it('raises a ServerError naming the status after the last attempt', async () => {
    // Prepare
    api.script(reply(502, { message: 'upstream down' }));
    const { client, failures } = harness();

    // Act
    const error = await rejectionOf(client.fetchPage('auditevents', { cursor: 'c' }));

    // Assess
    expect(error).toBeInstanceOf(ServerError);
    expect(error.message).toContain('HTTP 502: upstream down');
    expect(error.message).toContain('source prod');
    expect(api.received).toHaveLength(4);
    expect(failures.map((f) => f.willRetry)).toEqual([true, true, true, false]);
  });

  it('retries a refused connection and then raises a NetworkError', async () => {
    // Prepare: a port nothing listens on.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { client, sleeps, failures } = harness({ baseUrl: `http://127.0.0.1:${port}` });

    // Act
    const error = await rejectionOf(client.fetchPage('itemusages', { cursor: 'c' }));

    // Assess
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toContain('ECONNREFUSED');
    expect(sleeps).toHaveLength(3);
    expect(failures.map((f) => [f.error.kind, f.willRetry])).toEqual([
      ['network', true],
      ['network', true],
      ['network', true],
      ['network', false],
    ]);
  });

  it('takes a slot from the request budget for every attempt', async () => {
    // Prepare
    api.script(reply(500), reply(429), reply(200, PAGE));
    const h = harness();
    const acquire = jest.spyOn(h.budget, 'acquire');
    const deadline = Date.now() + 60_000;

    // Act
    await h.client.fetchPage('itemusages', { cursor: 'c' }, deadline);

    // Assess
    expect(acquire).toHaveBeenCalledTimes(3);
    expect(acquire.mock.calls.every(([notAfter]) => notAfter === deadline)).toBe(true);
    expect(h.budget.usedInLastMinute()).toBe(3);
  });

  it('stops with OutOfTimeError, sending nothing, when the budget has no slot before the deadline', async () => {
    // Prepare
    const budget = new RequestBudget(1, 100);
    await budget.acquire();
    const { client } = harness({ budget });

    // Act
    const error = await rejectionOf(client.fetchPage('itemusages', { cursor: 'c' }, Date.now() + 1_000));

    // Assess
    expect(error).toBeInstanceOf(OutOfTimeError);
    expect(api.received).toHaveLength(0);
  });
});

describe('EventsApiClient refusals', () => {
  it('does not retry a 400 and reports it with the legacy error body', async () => {
    // Prepare
    api.script(reply(400, { Error: { Message: 'Bad Request' } }));
    const { client, sleeps, failures } = harness();

    // Act
    const error = await rejectionOf(client.fetchPage('itemusages', { cursor: 'stale' }));

    // Assess
    expect(error).toBeInstanceOf(RequestRejectedError);
    expect((error as RequestRejectedError).status).toBe(400);
    expect((error as EventsApiError).retryable).toBe(false);
    expect(error.message).toContain('HTTP 400: Bad Request');
    expect(error.message).toContain('itemusages');
    expect(api.received).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(failures.map((f) => [f.error.kind, f.willRetry])).toEqual([['rejected', false]]);
  });

  it('reports the message of the newer {status, message} error body', async () => {
    api.script(reply(400, { status: 400, message: 'limit must be between 1 and 1000' }));
    const { client } = harness();

    const error = await rejectionOf(client.fetchPage('itemusages', { startTime: 0, limit: 5000 }));

    expect(error.message).toContain('HTTP 400: limit must be between 1 and 1000');
  });

  it('reports a 400 whose body is not JSON by its status alone', async () => {
    api.script(reply(400, '<html>bad</html>', { 'content-type': 'text/html' }));
    const { client } = harness();

    const error = await rejectionOf(client.fetchPage('itemusages', { cursor: 'c' }));

    expect(error).toBeInstanceOf(RequestRejectedError);
    expect(error.message).toContain('(HTTP 400)');
  });

  it('says on a 404 that the endpoint was not found: the wrong server or API version', async () => {
    // Prepare
    api.script(reply(404, { Error: { Message: 'Not Found' } }));
    const { client, failures } = harness();

    // Act
    const error = await rejectionOf(client.fetchPage('itemusages', { cursor: 'c' }));

    // Assess
    expect(error).toBeInstanceOf(RequestRejectedError);
    expect((error as RequestRejectedError).status).toBe(404);
    expect(error.message).toContain(
      `the Events API at ${baseUrl} has no endpoint /api/v2/itemusages (HTTP 404: Not Found)`,
    );
    expect(error.message).toContain('EVENTS_API_URL points at another server');
    expect(error.message).toContain('does not offer this version of the API');
    expect(api.received).toHaveLength(1);
    expect(failures.map((f) => [f.error.kind, f.willRetry])).toEqual([['rejected', false]]);
  });

  it('says on a 409 that the request conflicted, and neither retries it nor drops the cursor', async () => {
    // Prepare
    api.script(reply(409, { status: 409, message: 'Conflict' }), reply(200, PAGE));
    const { client, failures } = harness();

    // Act
    const error = await rejectionOf(client.fetchPage('auditevents', { cursor: 'c' }));

    // Assess
    expect(error).toBeInstanceOf(RequestRejectedError);
    expect((error as RequestRejectedError).status).toBe(409);
    expect(error.message).toContain('reported a conflict on the auditevents request (HTTP 409: Conflict)');
    expect(error.message).toContain('not sent again blindly');
    expect(error.message).toContain('keeps its cursor');
    expect(api.received).toHaveLength(1);
    expect(failures.map((f) => [f.error.kind, f.error.status, f.willRetry])).toEqual([
      ['rejected', 409, false],
    ]);
  });

  it('retries a 408 as a timeout of the server, keeping its status', async () => {
    // Prepare
    api.script(reply(408), reply(200, PAGE));
    const { client, failures } = harness();

    // Act
    const page = await client.fetchPage('itemusages', { cursor: 'c' });

    // Assess
    expect(page).toMatchObject(PAGE);
    expect(api.received).toHaveLength(2);
    expect(failures.map((f) => [f.error.constructor, f.error.kind, f.error.status, f.willRetry])).toEqual([
      [RequestTimeoutError, 'timeout', 408, true],
    ]);
    expect(failures[0]?.error.message).toContain('HTTP 408');
  });

  it('retries a 408 when the deadline is nearer than the request timeout', async () => {
    // The attempt's timeout was cut to the deadline, but the 408 is the server's, not the deadline's.
    api.script(reply(408), reply(200, PAGE));
    const { client } = harness({ requestTimeoutMs: 10_000 });

    const page = await client.fetchPage('itemusages', { cursor: 'c' }, Date.now() + 5_000);

    expect(page).toMatchObject(PAGE);
    expect(api.received).toHaveLength(2);
  });

  it('retries a 425 Too Early as a transient failure, keeping its status', async () => {
    // Prepare
    api.script(reply(425), reply(425), reply(200, PAGE));
    const { client, failures } = harness();

    // Act
    const page = await client.fetchPage('signinattempts', { cursor: 'c' });

    // Assess
    expect(page).toMatchObject(PAGE);
    expect(failures.map((f) => [f.error.kind, f.error.status, f.willRetry])).toEqual([
      ['server', 425, true],
      ['server', 425, true],
    ]);
    expect(failures[0]?.error).toBeInstanceOf(ServerError);
    expect(failures[0]?.error.message).toContain('HTTP 425 Too Early');
  });
});

describe('EventsApiClient item bytes', () => {
  const pageBody = (items: readonly string[], extra = '"cursor":"c2","has_more":true') =>
    `{"items":[${items.join(',')}],${extra}}`;

  it('gives each item its bytes exactly as the body held them, beside the parsed values', async () => {
    // Prepare: spellings that a parse and re-serialisation change.
    const items = [
      '{"uuid":"E1","location":{"latitude":43.70,"longitude":-79.4330}}',
      '{"uuid" : "E2",  "aux_id":9007199254740993, "far":1e400}',
      '{"uuid":"E3","user":{"name":"Zo\\u00eb","name":"Zoë ☕"}}',
    ];
    api.script(reply(200, pageBody(items)));
    const { client } = harness();

    // Act
    const page = await client.fetchPage('itemusages', { cursor: 'c' });

    // Assess
    expect(page.lines.map((line) => line.toString('utf8'))).toEqual(items);
    expect(page.items).toEqual(items.map((item) => JSON.parse(item)));
    expect(page.reserialized).toBe(false);
    expect(page.lines[1]?.toString()).not.toBe(JSON.stringify(page.items[1]));
  });

  it('finds the items after the other keys, a byte order mark and multi-byte characters', async () => {
    // Prepare
    const item = '{"uuid":"E1","city":"Montréal ☕","n":1.50}';
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(`{ "cursor" : "é☕", "has_more" : false , "items" : [ ${item} ] }`),
    ]);
    api.script((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    const { client } = harness();

    // Act
    const page = await client.fetchPage('itemusages', { cursor: 'c' });

    // Assess
    expect(page.lines.map((line) => line.toString('utf8'))).toEqual([item]);
    expect(Buffer.concat(page.lines).equals(Buffer.from(item, 'utf8'))).toBe(true);
    expect(page.cursor).toBe('é☕');
  });

  it('gives the compact JSON of the items of a pretty-printed page, and says so', async () => {
    // Prepare
    const body = JSON.stringify(
      { items: [{ uuid: 'E1', n: 1 }, { uuid: 'E2' }], cursor: 'c2', has_more: false },
      null,
      2,
    );
    api.script(reply(200, body));
    const { client } = harness();

    // Act
    const page = await client.fetchPage('itemusages', { cursor: 'c' });

    // Assess
    expect(page.lines.map((line) => line.toString())).toEqual(['{"uuid":"E1","n":1}', '{"uuid":"E2"}']);
    expect(page.reserialized).toBe(true);
  });

  it('gives an empty page no lines', async () => {
    api.script(reply(200, '{"items":[],"cursor":"c2","has_more":false}'));
    const { client } = harness();

    const page = await client.fetchPage('itemusages', { cursor: 'c' });

    expect(page).toMatchObject({ items: [], lines: [], reserialized: false });
  });

  it('fetches a page again when its items cannot be cut from the body, rather than archive wrong lines', async () => {
    // Prepare: the scanner disagrees with JSON.parse once, as a bug in it would.
    const itemLines = jest.spyOn(rawPage, 'itemLines').mockImplementationOnce(() => {
      throw new rawPage.RawPageError('found 2 elements of "items" where JSON.parse found 1');
    });
    api.script(reply(200, PAGE));
    const { client, failures } = harness();

    try {
      // Act
      const page = await client.fetchPage('itemusages', { cursor: 'c' });

      // Assess
      expect(page).toMatchObject(PAGE);
      expect(page.lines.map(String)).toEqual([JSON.stringify(PAGE.items[0])]);
      expect(api.received).toHaveLength(2);
      expect(failures.map((f) => [f.error.kind, f.error.status, f.willRetry])).toEqual([
        ['malformed', 200, true],
      ]);
      expect(failures[0]?.error).toBeInstanceOf(MalformedResponseError);
      expect(failures[0]?.error.message).toContain('could not be cut from its body (found 2 elements');
    } finally {
      itemLines.mockRestore();
    }
  });
});

describe('EventsApiClient authentication', () => {
  it('re-reads the token after a 401 and retries with a rotated one', async () => {
    // Prepare
    api.script(reply(401, { Error: { Message: 'Unauthorized' } }), reply(200, PAGE));
    const tokens = new FakeTokens(TOKEN, ROTATED_TOKEN);
    const { client, failures, sleeps } = harness({ tokens });

    // Act
    const page = await client.fetchPage('itemusages', { cursor: 'c' });

    // Assess
    expect(page).toMatchObject(PAGE);
    expect(tokens.rejected).toEqual([TOKEN]);
    expect(api.received.map((r) => r.headers.authorization)).toEqual([
      `Bearer ${TOKEN}`,
      `Bearer ${ROTATED_TOKEN}`,
    ]);
    expect(failures.map((f) => [f.error.kind, f.willRetry])).toEqual([['auth', true]]);
    expect(sleeps).toEqual([]);
  });

  it('raises an AuthError naming the source and stream, never the token, when the secret holds the same token', async () => {
    // Prepare
    api.script(reply(401, { Error: { Message: 'Unauthorized' } }));
    const tokens = new FakeTokens(TOKEN);
    const { client, failures } = harness({ tokens });

    // Act
    const error = await rejectionOf(client.fetchPage('signinattempts', { cursor: 'c' }));

    // Assess
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).status).toBe(401);
    expect(error.message).toContain('source prod');
    expect(error.message).toContain('signinattempts');
    expect(error.message).not.toContain(TOKEN);
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain(TOKEN);
    expect(tokens.rejected).toEqual([TOKEN]);
    expect(api.received).toHaveLength(1);
    expect(failures.map((f) => [f.error.kind, f.willRetry])).toEqual([['auth', false]]);
  });

  it.each([
    [
      'its message',
      (token: string) => new TypeError(`Headers.append: "Bearer ${token}" is an invalid header value.`),
    ],
    [
      'the message of its cause',
      (token: string) =>
        new TypeError('fetch failed', { cause: new Error(`cannot send authorization: Bearer ${token}`) }),
    ],
    [
      'a JSON-escaped copy',
      (token: string) => new Error(`header ${JSON.stringify(`Bearer ${token}`)} refused`),
    ],
  ])('never copies the token from a fetch error that quotes it in %s', async (_label, failure) => {
    // Prepare
    const token = `${TOKEN}\u0000x`;
    const { client, failures } = harness({
      tokens: new FakeTokens(token),
      retry: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 2 },
      fetch: async () => {
        throw failure(token);
      },
    });

    // Act
    const error = await rejectionOf(client.fetchPage('itemusages', { cursor: 'c' }));

    // Assess
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toMatch(/\[token\]|Bearer \[redacted\]/);
    const everything = [
      error.message,
      inspect(error, { depth: 10 }),
      JSON.stringify(error),
      ...failures.map((f) => `${f.error.message} ${inspect(f.error, { depth: 10 })}`),
    ].join('\n');
    for (const part of [TOKEN, TOKEN.split('.')[2] as string, JSON.stringify(token).slice(1, -1)]) {
      expect(everything).not.toContain(part);
    }
    expect(failures).toHaveLength(2);
  });

  it('raises a NetworkError without the token when fetch refuses a token with a control character', async () => {
    // Prepare: the real fetch, which refuses the header before sending anything.
    const token = `${TOKEN}\u0000`;
    const { client } = harness({
      tokens: new FakeTokens(token),
      retry: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 1 },
    });

    // Act
    const error = await rejectionOf(client.fetchPage('itemusages', { cursor: 'c' }));

    // Assess
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toContain('is an invalid header value');
    expect(inspect(error, { depth: 10 })).not.toContain(TOKEN.split('.')[2]);
    expect(api.received).toHaveLength(0);
  });

  it('refreshes the token only once per request', async () => {
    api.script(reply(401));
    const tokens = new FakeTokens(TOKEN, ROTATED_TOKEN);
    const { client, failures } = harness({ tokens });

    const error = await rejectionOf(client.fetchPage('itemusages', { cursor: 'c' }));

    expect(error).toBeInstanceOf(AuthError);
    expect(tokens.rejected).toEqual([TOKEN]);
    expect(api.received).toHaveLength(2);
    expect(failures.map((f) => f.willRetry)).toEqual([true, false]);
  });

  it('raises an AuthError on a 403', async () => {
    api.script(reply(403, { status: 403, message: 'Forbidden' }));
    const { client } = harness();

    const error = await rejectionOf(client.fetchPage('auditevents', { cursor: 'c' }));

    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).status).toBe(403);
    expect(error.message).toContain('HTTP 403: Forbidden');
    expect(api.received).toHaveLength(1);
  });

  it('does not follow a redirect: nothing is sent to, or archived from, another host', async () => {
    // Prepare: a second server on another origin that would answer with a valid page.
    const elsewhere = new ScriptedApi();
    const elsewhereUrl = (await elsewhere.start()).replace('127.0.0.1', 'localhost');
    elsewhere.script(reply(200, PAGE));
    api.script(reply(307, '', { location: `${elsewhereUrl}/api/v2/itemusages` }));
    const { client } = harness();

    try {
      // Act
      const error = await client.fetchPage('itemusages', { cursor: 'c' }).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(RequestRejectedError);
      expect((error as RequestRejectedError).message).toContain('HTTP 307');
      expect(elsewhere.received).toHaveLength(0);
      expect(api.received).toHaveLength(1);
    } finally {
      await elsewhere.close();
    }
  });
});

describe('EventsApiClient timeouts and deadlines', () => {
  it('raises a RequestTimeoutError after retrying a server that never answers', async () => {
    // Prepare
    api.script(hang);
    const { client, sleeps, failures } = harness({
      requestTimeoutMs: 100,
      retry: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 3 },
    });
    const started = Date.now();

    // Act
    const error = await rejectionOf(client.fetchPage('itemusages', { cursor: 'c' }));

    // Assess
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error.message).toContain('did not answer itemusages in time');
    expect(api.received).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(failures.map((f) => [f.error.kind, f.willRetry])).toEqual([
      ['timeout', true],
      ['timeout', true],
      ['timeout', false],
    ]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('times out a server that stalls in the middle of the body', async () => {
    api.script((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"cursor":"c2","has_more":');
    });
    const { client } = harness({
      requestTimeoutMs: 150,
      retry: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 1 },
    });

    const error = await rejectionOf(client.fetchPage('itemusages', { cursor: 'c' }));

    expect(error).toBeInstanceOf(RequestTimeoutError);
  });

  it('returns by the deadline, not the request timeout, when the server never answers', async () => {
    // Prepare
    api.script(hang);
    const { client } = harness({
      requestTimeoutMs: 10_000,
      retry: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 8 },
    });
    const started = Date.now();

    // Act
    const error = await rejectionOf(client.fetchPage('itemusages', { cursor: 'c' }, started + 300));

    // Assess
    expect([RequestTimeoutError, OutOfTimeError].some((type) => error instanceof type)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('sends nothing and raises OutOfTimeError when the deadline has passed', async () => {
    const { client } = harness();

    const error = await rejectionOf(client.fetchPage('itemusages', { cursor: 'c' }, Date.now() - 1));

    expect(error).toBeInstanceOf(OutOfTimeError);
    expect(api.received).toHaveLength(0);
  });

  it('does not sleep past the deadline between retries', async () => {
    // Prepare: every backoff is 1 s, and only 200 ms are left.
    api.script(reply(503));
    const { client, sleeps, failures } = harness({
      retry: { baseDelayMs: 1_000, maxDelayMs: 1_000, maxAttempts: 8 },
    });

    // Act
    const error = await rejectionOf(client.fetchPage('itemusages', { cursor: 'c' }, Date.now() + 200));

    // Assess
    expect(error).toBeInstanceOf(ServerError);
    expect(sleeps).toEqual([]);
    expect(failures.map((f) => f.willRetry)).toEqual([false]);
  });
});

describe('EventsApiClient malformed answers', () => {
  it('raises a MalformedResponseError for a 200 that is not JSON', async () => {
    // Prepare
    api.script(reply(200, '<html>maintenance</html>', { 'content-type': 'text/html' }));
    const { client } = harness();

    // Act
    const error = await rejectionOf(client.fetchPage('itemusages', { cursor: 'c' }));

    // Assess
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect((error as MalformedResponseError).kind).toBe('malformed');
    expect(error.message).toContain('not JSON');
    expect(error.message).not.toContain('maintenance');
  });

  it('raises a MalformedResponseError for a truncated JSON body', async () => {
    api.script(reply(200, '{"cursor":"c2","has_more":true,"items":[{"uuid":'));
    const { client } = harness();

    await expect(client.fetchPage('itemusages', { cursor: 'c' })).rejects.toBeInstanceOf(
      MalformedResponseError,
    );
  });

  it.each([
    ['items is not an array', { cursor: 'c2', has_more: false, items: { uuid: 'E1' } }, 'items'],
    ['has_more is missing', { cursor: 'c2', items: [] }, 'has_more'],
    ['has_more is a string', { cursor: 'c2', has_more: 'false', items: [] }, 'has_more'],
    ['cursor is missing', { has_more: false, items: [] }, 'cursor'],
    ['cursor is empty', { cursor: '', has_more: false, items: [] }, 'cursor'],
    ['the body is an array', [PAGE], 'body'],
    ['the body is null', null, 'body'],
  ])('raises a MalformedResponseError naming the field when %s', async (_label, body, field) => {
    api.script(reply(200, JSON.stringify(body)));
    const { client } = harness();

    const error = await rejectionOf(client.fetchPage('itemusages', { cursor: 'c' }));

    expect(error).toBeInstanceOf(MalformedResponseError);
    expect(error.message).toContain('not a page');
    expect(error.message).toContain(field);
  });
});
