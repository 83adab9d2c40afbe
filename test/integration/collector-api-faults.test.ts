import { startSimulator } from '../../dev/simulator/index';
import type { RunSummary } from '../../lambdas/collector/collector';
import type { PageSource } from '../../lambdas/collector/stream-collector';
import { EventsApiClient } from '../../lambdas/shared/events-api/client';
import { RequestBudget } from '../../lambdas/shared/events-api/request-budget';
import { StateStore, streamKey } from '../../lambdas/shared/state-store';
import { SOURCE, startEnvironment, type TestEnvironment, uuidsOf } from '../support/environment';

const STREAM = 'signinattempts' as const;
const FAST_RETRY = { retry: { baseDelayMs: 5, maxDelayMs: 40, maxAttempts: 8 } };

describe('collector against a misbehaving Events API', () => {
  let env: TestEnvironment;
  afterEach(() => env.close());

  async function setUp(simulator = {}) {
    env = await startEnvironment({ simulator, collectorEnv: { EVENT_TYPES: STREAM } });
    const now = Date.now();
    return env.sim.generate(STREAM, 3_000, { from: now - 86_400_000, to: now });
  }

  function ok(result: RunSummary | Error): RunSummary {
    if (result instanceof Error) throw result;
    return result;
  }

  it('rides out a 429 storm and archives every event once', async () => {
    const served = await setUp();
    env.sim.inject({ fault: { kind: 'status', status: 429 }, feature: STREAM, times: 4 });
    env.sim.setChaos({ p429: 0.3 });

    const summary = ok(await env.run({ overrides: FAST_RETRY }));

    expect(summary.streams[0]?.throttles).toBeGreaterThanOrEqual(4);
    expect(summary.streams[0]?.errorsByKind.rate_limited).toBe(summary.streams[0]?.throttles);
    expect(uuidsOf(await env.archived(STREAM))).toEqual(uuidsOf(served));
  });

  it('honours Retry-After on 429', async () => {
    const served = await setUp();
    env.sim.inject({ fault: { kind: 'status', status: 429, retryAfterSeconds: 1 }, feature: STREAM });
    const sleeps: number[] = [];

    const summary = ok(
      await env.run({
        overrides: {
          ...FAST_RETRY,
          sleep: async (ms) => {
            sleeps.push(ms);
          },
        },
      }),
    );

    expect(sleeps[0]).toBeGreaterThanOrEqual(1000);
    expect(summary.streams[0]?.eventsArchived).toBe(served.length);
  });

  it('retries 5xx and connection resets without losing or repeating events', async () => {
    const served = await setUp();
    env.sim.inject(
      { fault: { kind: 'status', status: 500 }, feature: STREAM },
      { fault: { kind: 'status', status: 503 }, feature: STREAM },
      { fault: { kind: 'resetConnection' }, feature: STREAM },
      { fault: { kind: 'status', status: 502 }, feature: STREAM },
    );
    env.sim.setChaos({ p5xx: 0.2 });

    const summary = ok(await env.run({ overrides: FAST_RETRY }));

    expect(summary.streams[0]?.errorsByKind.server).toBeGreaterThanOrEqual(3);
    expect(summary.streams[0]?.errorsByKind.network).toBe(1);
    expect(uuidsOf(await env.archived(STREAM))).toEqual(uuidsOf(served));
  });

  it('times out a request that never gets an answer, and retries it', async () => {
    const served = await setUp();
    env.sim.inject(
      { fault: { kind: 'hang' }, feature: STREAM },
      { fault: { kind: 'delay', ms: 2_000 }, feature: STREAM },
    );

    const started = Date.now();
    const summary = ok(await env.run({ env: { REQUEST_TIMEOUT_MS: '300' }, overrides: FAST_RETRY }));

    expect(Date.now() - started).toBeLessThan(10_000);
    expect(summary.streams[0]?.errorsByKind.timeout).toBe(2);
    expect(uuidsOf(await env.archived(STREAM))).toEqual(uuidsOf(served));
  });

  it('keeps paging through `has_more: true` followed by an empty page', async () => {
    const served = await setUp();
    env.sim.inject({ fault: { kind: 'emptyHasMore' }, feature: STREAM, times: 2 });
    env.sim.setChaos({ pEmptyHasMore: 0.2 });

    const summary = ok(await env.run({ overrides: FAST_RETRY }));

    expect(summary.streams[0]?.caughtUp).toBe(true);
    expect(uuidsOf(await env.archived(STREAM))).toEqual(uuidsOf(served));
  });

  it('stops polling after repeated empty `has_more: true` pages instead of spending the budget', async () => {
    await setUp();
    env.sim.inject({ fault: { kind: 'emptyHasMore' }, feature: STREAM, times: 50 });

    const summary = ok(await env.run({ overrides: FAST_RETRY }));

    expect(summary.streams[0]?.pages).toBe(5);
    expect(summary.streams[0]?.eventsArchived).toBe(0);
  });

  it('retries a malformed page, then archives the real one', async () => {
    const served = await setUp();
    env.sim.inject(
      { fault: { kind: 'malformed' }, feature: STREAM },
      { fault: { kind: 'malformed', body: '{"items":"nope","cursor":"x"}' }, feature: STREAM },
    );

    const summary = ok(await env.run({ overrides: FAST_RETRY }));

    expect(summary.streams[0]?.errorsByKind.malformed).toBe(2);
    expect(uuidsOf(await env.archived(STREAM))).toEqual(uuidsOf(served));
  });

  it('fails the run on a page that stays malformed, keeping everything before it', async () => {
    const served = await setUp();
    // Two good pages, then the third stays broken for every retry.
    env.sim.inject(
      { fault: { kind: 'delay', ms: 0 }, feature: STREAM, times: 2 },
      { fault: { kind: 'malformed' }, feature: STREAM, times: FAST_RETRY.retry.maxAttempts },
    );

    const failed = await env.run({ overrides: FAST_RETRY });
    const state = await new StateStore(env.aws.clients.documents, env.aws.tableName).get(
      streamKey(SOURCE, STREAM),
    );
    const recovered = ok(await env.run({ overrides: FAST_RETRY }));

    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toMatch(/signinattempts.*not JSON/);
    expect(state?.eventsArchived).toBe(2_000);
    expect(recovered.streams[0]?.eventsArchived).toBe(1_000);
    expect(uuidsOf(await env.archived(STREAM))).toEqual(uuidsOf(served));
  });

  it.each([404, 409] as const)(
    'keeps the stored cursor on HTTP %i and does not restart the stream',
    async (status) => {
      await setUp();
      ok(await env.run());
      env.sim.inject({ fault: { kind: 'status', status }, feature: STREAM });
      const before = await new StateStore(env.aws.clients.documents, env.aws.tableName).get(
        streamKey(SOURCE, STREAM),
      );

      const failed = await env.run({ overrides: FAST_RETRY });
      const after = await new StateStore(env.aws.clients.documents, env.aws.tableName).get(
        streamKey(SOURCE, STREAM),
      );

      expect(failed).toBeInstanceOf(Error);
      expect((failed as Error).message).toContain(`HTTP ${status}`);
      expect(env.sim.log.filter((page) => page.status === status)).toHaveLength(1);
      expect(after?.cursor).toBe(before?.cursor);
      expect(after?.cursorReset).toBeUndefined();
      expect(after?.lastError).toContain(`HTTP ${status}`);
    },
  );

  it('binds the stream to a host only with its first cursor, so a failed first run on a wrong host binds nothing', async () => {
    const served = await setUp();
    const otherAccount = await startSimulator({ rateLimit: false });
    // A first run against another account's host (a wrong region, say): the host refuses the token.
    const wrongHost = (): PageSource =>
      new EventsApiClient({
        baseUrl: otherAccount.url,
        tokens: { getToken: async () => env.token, refreshAfterRejection: async () => undefined },
        budget: new RequestBudget(540, 27_000),
        sourceName: SOURCE,
      });
    try {
      const failed = await env.run({ overrides: { pageSource: wrongHost } });
      const fixed = await env.run();
      const next = await env.run();

      expect((failed as Error).message).toMatch(/HTTP 401/);
      expect(ok(fixed).streams[0]).toMatchObject({ status: 'ok', eventsArchived: served.length });
      expect(ok(next).streams[0]).toMatchObject({ status: 'ok' });
      const state = await new StateStore(env.aws.clients.documents, env.aws.tableName).get(
        streamKey(SOURCE, STREAM),
      );
      expect(state?.apiUrl).toBe(env.sim.url);
    } finally {
      await otherAccount.close();
    }
  });

  it('refuses to send a cursor to another host once the stream is bound', async () => {
    await setUp();
    ok(await env.run());
    const otherAccount = await startSimulator({ rateLimit: false });
    try {
      const moved = await env.run({
        overrides: {
          pageSource: (client) => ({ baseUrl: otherAccount.url, fetchPage: client.fetchPage.bind(client) }),
        },
      });

      expect((moved as Error).message).toMatch(/its cursor came from .* but the collector now talks to/);
      expect(otherAccount.stats.requests).toBe(0);
    } finally {
      await otherAccount.close();
    }
  });

  it('stays under the real rate limits with the default request budget', async () => {
    env = await startEnvironment({
      simulator: { rateLimit: { perMinute: 600, perHour: 30_000 } },
      collectorEnv: { BATCH_MAX_EVENTS: '5000' },
    });
    const now = Date.now();
    for (const stream of ['signinattempts', 'itemusages', 'auditevents'] as const) {
      env.sim.generate(stream, 12_000, { from: now - 86_400_000, to: now });
    }

    // 36 pages each of 1,000 events: well under a minute's budget, all three streams at once.
    const summary = ok(await env.run());

    expect(env.sim.stats.byStatus[429] ?? 0).toBe(0);
    expect(summary.streams.map((s) => s.eventsArchived)).toEqual([12_000, 12_000, 12_000]);
  });
});
