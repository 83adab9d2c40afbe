import {
  AUDIT_ACTIONS,
  AUDIT_OBJECT_TYPES,
  eventInstant,
  FEATURES,
  type Feature,
  ITEM_USAGE_ACTIONS,
  parseRfc3339,
  SIGNIN_CATEGORIES,
  SIGNIN_TYPES,
  type SimEvent,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from '../../dev/simulator/index';
import { measureShapes, metricsFor, shareOf } from '../../dev/simulator/shape-metrics';
import { SHAPE_RATES } from '../../dev/simulator/shape-rates';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const DAY = 86_400_000;
const FOREVER = '2020-01-01T00:00:00Z';

interface PageBody {
  items: SimEvent[];
  cursor: string;
  has_more: boolean;
}

/** A simulator on a clock the test moves by hand. */
async function simulator(options: SimulatorOptions = {}) {
  let now = NOW;
  const sim = await startSimulator({ now: () => now, ...options });
  return {
    sim,
    token: sim.mintToken(),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function post(
  sim: Simulator,
  path: string,
  body: unknown,
  token?: string,
  headers: Record<string, string> = {},
) {
  return fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      'content-type': 'application/json',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function page(
  sim: Simulator,
  token: string,
  body: unknown,
  path = '/api/v2/auditevents',
): Promise<PageBody> {
  const res = await post(sim, path, body, token);
  expect(res.status).toBe(200);
  return (await res.json()) as PageBody;
}

/** Follows has_more from a reset; returns every page. */
async function drain(sim: Simulator, token: string, reset: object, path = '/api/v2/auditevents') {
  const pages: PageBody[] = [await page(sim, token, reset, path)];
  while (pages[pages.length - 1]?.has_more) {
    pages.push(await page(sim, token, { cursor: pages[pages.length - 1]?.cursor }, path));
  }
  return pages;
}

const uuids = (events: readonly SimEvent[]) => events.map((e) => e.uuid);

describe('Events API simulator: paging', () => {
  let ctx: Awaited<ReturnType<typeof simulator>>;
  beforeEach(async () => {
    ctx = await simulator({ rateLimit: false });
  });
  afterEach(() => ctx.sim.close());

  it('serves a few thousand events with limit 1000 exactly once, in ingestion order, then has_more false', async () => {
    const { sim, token } = ctx;
    sim.generate('auditevents', 2500, { from: NOW - 7 * DAY, to: NOW });

    const pages = await drain(sim, token, { limit: 1000, start_time: FOREVER });

    expect(pages.map((p) => p.items.length)).toEqual([1000, 1000, 500]);
    expect(pages.map((p) => p.has_more)).toEqual([true, true, false]);
    expect(pages.flatMap((p) => uuids(p.items))).toEqual(uuids(sim.events('auditevents')));
    const caughtUp = await page(sim, token, { cursor: pages[2]?.cursor });
    expect(caughtUp).toEqual({ items: [], cursor: pages[2]?.cursor, has_more: false });
  });

  it('delivers late events (old timestamps ingested after newer ones) to a follower that had caught up', async () => {
    const { sim, token } = ctx;
    sim.generate('itemusages', 30, { from: NOW - DAY, to: NOW });
    const pages = await drain(sim, token, { limit: 1000, start_time: FOREVER }, '/api/v1/itemusages');
    const cursor = pages[pages.length - 1]?.cursor;

    const [late] = sim.generate('itemusages', 1, { from: NOW - 20 * DAY, to: NOW - 20 * DAY });
    const next = await page(sim, token, { cursor }, '/api/v1/itemusages');

    expect(uuids(next.items)).toEqual([late?.uuid]);
    expect(next.has_more).toBe(false);
    expect(next.cursor).not.toBe(cursor);
    // A reset from a later start cannot see it: that is why timestamp polling loses late events.
    const byTime = await drain(
      sim,
      token,
      { limit: 1000, start_time: new Date(NOW - 2 * DAY).toISOString() },
      '/api/v1/itemusages',
    );
    expect(byTime.flatMap((p) => uuids(p.items))).not.toContain(late?.uuid);
  });

  it('defaults a reset to the last hour and 100 events, and honours end_time (exclusive)', async () => {
    const { sim, token } = ctx;
    sim.generate('signinattempts', 50, { from: NOW - 3 * 3_600_000, to: NOW - 2 * 3_600_000 });
    const recent = sim.generate('signinattempts', 150, { from: NOW - 3_000_000, to: NOW });

    const first = await page(sim, token, {}, '/api/v2/signinattempts');
    expect(uuids(first.items)).toEqual(uuids(recent.slice(0, 100)));
    expect(first.has_more).toBe(true);

    const boundary = recent[120]?.timestamp as string;
    const bounded = await drain(
      sim,
      token,
      { limit: 1000, start_time: FOREVER, end_time: boundary },
      '/api/v2/signinattempts',
    );
    const served = bounded.flatMap((p) => p.items);
    const limit = parseRfc3339(boundary)?.ms ?? 0;
    expect(served.length).toBeGreaterThanOrEqual(50 + 100);
    expect(served.every((e) => (eventInstant(e.timestamp as string)?.ms ?? Infinity) <= limit)).toBe(true);
    expect(uuids(served)).not.toContain(recent[120]?.uuid);
  });

  it('never serves events older than 120 days and clamps an older start_time instead of refusing it', async () => {
    const { sim, token, advance } = ctx;
    sim.generate('auditevents', 5, { from: NOW - 130 * DAY, to: NOW - 125 * DAY });
    const fresh = sim.generate('auditevents', 5, { from: NOW - 119 * DAY, to: NOW - 118 * DAY });

    const pages = await drain(sim, token, { limit: 100, start_time: FOREVER });
    expect(pages.flatMap((p) => uuids(p.items))).toEqual(uuids(fresh));

    // Retention keeps moving: a cursor taken now stops seeing events as they age out.
    const reset = await page(sim, token, { limit: 1, start_time: FOREVER });
    advance(3 * DAY);
    const later = await page(sim, token, { cursor: reset.cursor });
    expect(later.items).toEqual([]);
  });

  it('has exact has_more by default and the weak form with hasMoreWhenFull', async () => {
    const weak = await simulator({ hasMoreWhenFull: true });
    try {
      for (const { sim } of [ctx, weak]) sim.generate('itemusages', 10, { from: NOW - 60_000, to: NOW });
      const exact = await page(ctx.sim, ctx.token, { limit: 10 }, '/api/v2/itemusages');
      const full = await page(weak.sim, weak.token, { limit: 10 }, '/api/v2/itemusages');

      expect(exact.has_more).toBe(false);
      expect(full.has_more).toBe(true);
      const after = await page(weak.sim, weak.token, { cursor: full.cursor }, '/api/v2/itemusages');
      expect(after).toEqual({ items: [], cursor: full.cursor, has_more: false });
    } finally {
      await weak.sim.close();
    }
  });

  it('strips v2-only fields on v1 endpoints, including inside user objects', async () => {
    const { sim, token } = ctx;
    sim.generate('auditevents', 40, { from: NOW - 60_000, to: NOW });
    sim.generate('signinattempts', 40, { from: NOW - 60_000, to: NOW });

    const v1 = await page(sim, token, { limit: 100 }, '/api/v1/auditevents');
    const v2 = await page(sim, token, { limit: 100 }, '/api/v2/auditevents');
    const v1Signin = await page(sim, token, { limit: 100 }, '/api/v1/signinattempts');

    const v2Only = /"(account_uuid|actor_type|actor_account_uuid|user_type|user_account_uuid)"/;
    expect(JSON.stringify(v1.items)).not.toMatch(v2Only);
    expect(JSON.stringify(v1Signin.items)).not.toMatch(v2Only);
    expect(v2.items.filter((e) => e.account_uuid === sim.accountUuid).length).toBeGreaterThan(20);
    expect(v2.items.some((e) => (e.actor_details as { user_type?: string })?.user_type)).toBe(true);
    expect(uuids(v1.items)).toEqual(uuids(v2.items));
    // Some sign-ins carry no target user at all (SHAPE_RATES); those that do keep its e-mail.
    const named = v1Signin.items.find((e) => e.target_user !== undefined);
    expect(named?.target_user).toMatchObject({ email: expect.stringMatching(/@/) });
  });
});

describe('Events API simulator: validation and auth', () => {
  let ctx: Awaited<ReturnType<typeof simulator>>;
  beforeAll(async () => {
    ctx = await simulator({ rateLimit: false });
    ctx.sim.generate('auditevents', 20, { from: NOW - 60_000, to: NOW });
    ctx.sim.generate('itemusages', 20, { from: NOW - 60_000, to: NOW });
  });
  afterAll(() => ctx.sim.close());

  it.each([
    ['limit 1001', { limit: 1001 }],
    ['limit 0', { limit: 0 }],
    ['fractional limit', { limit: 2.5 }],
    ['limit as a string', { limit: '10' }],
    ['unparsable start_time', { start_time: 'yesterday' }],
    ['impossible date', { start_time: '2026-02-30T00:00:00Z' }],
    ['start_time after end_time', { start_time: '2026-03-01T00:00:00Z', end_time: '2026-02-01T00:00:00Z' }],
    ['an empty cursor', { cursor: '' }],
    ['an unknown cursor', { cursor: 'aGVsbG8hIGlzIGl0IG1lIHlvdSBhcmUgbG9va2luZyBmb3IK' }],
    ['a JSON array', [{ limit: 1 }]],
    ['a body that is not JSON', '{"limit":'],
    ['an empty body', ''],
  ])('answers 400 for %s', async (_name, body) => {
    const res = await post(ctx.sim, '/api/v2/auditevents', body, ctx.token);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ Error: { Message: 'Bad Request' } });
  });

  it('answers 400 for a cursor sent with reset fields, tampered, or minted for another endpoint', async () => {
    const { sim, token } = ctx;
    const { cursor } = await page(sim, token, { limit: 5 });
    const flipped = `${cursor.slice(0, 20)}${cursor[20] === 'A' ? 'B' : 'A'}${cursor.slice(21)}`;

    const statuses = await Promise.all([
      post(sim, '/api/v2/auditevents', { cursor, limit: 10 }, token),
      post(sim, '/api/v2/auditevents', { cursor: flipped }, token),
      post(sim, '/api/v2/itemusages', { cursor }, token),
      post(sim, '/api/v1/auditevents', { cursor }, token),
      post(sim, '/api/v2/auditevents', { cursor }, token),
    ]).then((all) => all.map((r) => r.status));

    expect(statuses).toEqual([400, 400, 400, 400, 200]);
  });

  it('answers 400 without Content-Type: application/json', async () => {
    const res = await fetch(`${ctx.sim.url}/api/v2/auditevents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.token}`, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(res.status).toBe(400);
  });

  it('answers 401 for a missing, malformed, revoked, expired, forged or under-scoped token', async () => {
    const { sim } = ctx;
    const revoked = sim.mintToken();
    sim.revokeToken(revoked);
    const expired = sim.mintToken({ expiresAt: NOW - 1 });
    const notYetExpired = sim.mintToken({ expiresAt: NOW + 60_000 });
    const signinOnly = sim.mintToken({ features: ['signinattempts'] });
    const [header, payload, signature] = sim.mintToken({ features: ['signinattempts'] }).split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
    claims['1password.com/fts'] = [...FEATURES];
    const widened = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    const other = await startSimulator();
    const foreign = other.mintToken();
    await other.close();

    const statusWith = async (token?: string) => (await post(sim, '/api/v2/auditevents', {}, token)).status;
    expect(await statusWith(undefined)).toBe(401);
    expect(await statusWith('not-a-jwt')).toBe(401);
    expect(await statusWith(revoked)).toBe(401);
    expect(await statusWith(expired)).toBe(401);
    expect(await statusWith(signinOnly)).toBe(401);
    expect(await statusWith(widened)).toBe(401);
    expect(await statusWith(foreign)).toBe(401);
    expect(await statusWith(notYetExpired)).toBe(200);
    const unauthorized = await post(sim, '/api/v2/auditevents', {}, revoked);
    expect(await unauthorized.json()).toEqual({ Error: { Message: 'Unauthorized' } });
  });

  it('mints JWT-shaped ES256 tokens with the Events API claims, accepting any aud', async () => {
    const token = ctx.sim.mintToken({
      aud: 'events.1password.com',
      features: ['auditevents'],
      issuedAt: NOW - DAY,
    });
    const [header, payload, signature] = token.split('.').map((p) => Buffer.from(p, 'base64url'));

    expect(JSON.parse(String(header))).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    expect(JSON.parse(String(payload))).toMatchObject({
      aud: ['events.1password.com'],
      iss: 'com.1password.b5',
      iat: Math.floor((NOW - DAY) / 1000),
      '1password.com/auuid': ctx.sim.accountUuid,
      '1password.com/fts': ['auditevents'],
      sub: expect.stringMatching(/^[A-Z2-7]{26}$/),
      jti: expect.any(String),
    });
    expect(signature).toHaveLength(64);
    expect((await post(ctx.sim, '/api/v2/auditevents', {}, token)).status).toBe(200);
    expect(JSON.parse(Buffer.from(ctx.token.split('.')[1] as string, 'base64url').toString()).aud).toEqual([
      new URL(ctx.sim.url).host,
    ]);
  });

  it('answers introspect in the v1 (PascalCase) and v2 shapes', async () => {
    const token = ctx.sim.mintToken({ features: ['itemusages', 'auditevents'], issuedAt: NOW - 1000 });
    const get = async (path: string) => {
      const res = await fetch(`${ctx.sim.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    };

    const v1 = await get('/api/auth/introspect');
    const v2 = await get('/api/v2/auth/introspect');

    expect(v1).toEqual({
      UUID: expect.stringMatching(/^[A-Z2-7]{26}$/),
      IssuedAt: '2026-03-01T11:59:59Z',
      Features: ['itemusages', 'auditevents'],
    });
    expect(v2).toEqual({
      uuid: v1.UUID,
      issued_at: '2026-03-01T11:59:59Z',
      features: ['itemusages', 'auditevents'],
      account_uuid: ctx.sim.accountUuid,
    });
    expect((await fetch(`${ctx.sim.url}/api/v2/auth/introspect`)).status).toBe(401);
  });

  it('answers 404 for unknown paths and 405 for the wrong method', async () => {
    const notFound = await post(ctx.sim, '/api/v2/vaults', {}, ctx.token);
    const wrongMethod = await fetch(`${ctx.sim.url}/api/v2/auditevents`, {
      headers: { authorization: `Bearer ${ctx.token}` },
    });
    const postIntrospect = await post(ctx.sim, '/api/v2/auth/introspect', {}, ctx.token);

    expect([notFound.status, wrongMethod.status, postIntrospect.status]).toEqual([404, 405, 405]);
    expect(await notFound.json()).toEqual({ Error: { Message: 'Not Found' } });
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });

  it('uses the modern error body when asked', async () => {
    const modern = await simulator({ errorStyle: 'modern' });
    try {
      const bad = await post(modern.sim, '/api/v2/auditevents', { limit: 1001 }, modern.token);
      const unauthorized = await post(modern.sim, '/api/v2/auditevents', {});
      expect(await bad.json()).toEqual({ status: 400, message: 'Bad Request' });
      expect(await unauthorized.json()).toEqual({ status: 401, message: 'Unauthorized' });
    } finally {
      await modern.sim.close();
    }
  });
});

describe('Events API simulator: rate limits', () => {
  it('answers 429 after 600 requests in a minute, shared by all tokens, and recovers as the clock moves', async () => {
    const { sim, token, advance } = await simulator({ retryAfter: true });
    try {
      const second = sim.mintToken();
      const statuses: number[] = [];
      for (let i = 0; i < 600; i += 50) {
        advance(1000);
        const batch = Array.from({ length: 50 }, (_, j) =>
          post(sim, '/api/v2/auditevents', {}, j % 2 ? token : second),
        );
        statuses.push(...(await Promise.all(batch)).map((r) => r.status));
      }
      expect(statuses.every((s) => s === 200)).toBe(true);

      const limited = await post(sim, '/api/v2/itemusages', {}, second);
      expect(limited.status).toBe(429);
      expect(await limited.json()).toEqual({ Error: { Message: 'Too Many Requests' } });
      // The first batch was at +1 s and the clock is at +12 s: it ages out 49 s from now.
      expect(limited.headers.get('retry-after')).toBe('49');

      advance(48_000);
      expect((await post(sim, '/api/v2/auditevents', {}, token)).status).toBe(429);
      advance(1_000);
      expect((await post(sim, '/api/v2/auditevents', {}, token)).status).toBe(200);
      expect(sim.stats.byStatus[429]).toBe(2);
    } finally {
      await sim.close();
    }
  });

  it('enforces the hourly window too and sends no Retry-After by default', async () => {
    const { sim, token, advance } = await simulator({ rateLimit: { perMinute: 3, perHour: 5 } });
    try {
      const statusAfter = async (ms: number) => {
        advance(ms);
        return (await post(sim, '/api/v2/auditevents', {}, token)).status;
      };
      const statuses = [];
      for (const ms of [0, 0, 0, 0, 61_000, 0, 0, 61_000]) statuses.push(await statusAfter(ms));
      expect(statuses).toEqual([200, 200, 200, 429, 200, 200, 429, 429]);
      const limited = await post(sim, '/api/v2/auditevents', {}, token);
      expect(limited.headers.get('retry-after')).toBeNull();
      expect(await statusAfter(3_600_000)).toBe(200);
    } finally {
      await sim.close();
    }
  });
});

describe('Events API simulator: faults', () => {
  let ctx: Awaited<ReturnType<typeof simulator>>;
  beforeEach(async () => {
    ctx = await simulator({ rateLimit: false });
    ctx.sim.generate('auditevents', 20, { from: NOW - 60_000, to: NOW });
  });
  afterEach(() => ctx.sim.close());

  it('answers an injected status with Retry-After, for the given feature and number of times only', async () => {
    const { sim, token } = ctx;
    sim.inject({
      fault: { kind: 'status', status: 503, retryAfterSeconds: 7 },
      feature: 'auditevents',
      times: 2,
    });

    const other = await post(sim, '/api/v2/itemusages', {}, token);
    const first = await post(sim, '/api/v2/auditevents', {}, token);
    const second = await post(sim, '/api/v1/auditevents', {}, token);
    const third = await post(sim, '/api/v2/auditevents', {}, token);

    expect([other.status, first.status, second.status, third.status]).toEqual([200, 503, 503, 200]);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(await first.json()).toEqual({ Error: { Message: 'Service Unavailable' } });
    expect(sim.log.map((p) => [p.feature, p.status, p.fault])).toEqual([
      ['itemusages', 200, undefined],
      ['auditevents', 503, 'status'],
      ['auditevents', 503, 'status'],
      ['auditevents', 200, undefined],
    ]);
  });

  it('delays a response so a client timeout can fire, and otherwise answers normally', async () => {
    const { sim, token } = ctx;
    sim.inject({ fault: { kind: 'delay', ms: 400 } }, { fault: { kind: 'delay', ms: 150 } });

    await expect(
      fetch(`${sim.url}/api/v2/auditevents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
        signal: AbortSignal.timeout(100),
      }),
    ).rejects.toThrow();
    const started = Date.now();
    const slow = await page(sim, token, {});
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(slow.items).toHaveLength(20);
  });

  it('hangs until the client gives up, and close() still returns promptly', async () => {
    const { sim, token } = ctx;
    sim.inject({ fault: { kind: 'hang' } });

    const hung = fetch(`${sim.url}/api/v2/auditevents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const outcome = hung.then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await sim.close();

    expect(await outcome).toBe('failed');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(sim.log[0]).toMatchObject({ status: 0, fault: 'hang' });
  });

  it('sends a truncated page, or a given body, as a malformed 200', async () => {
    const { sim, token } = ctx;
    sim.inject({ fault: { kind: 'malformed' } }, { fault: { kind: 'malformed', body: '{"items":"nope"}' } });

    const truncated = await post(sim, '/api/v2/auditevents', {}, token);
    const wrongShape = await post(sim, '/api/v2/auditevents', {}, token);

    expect(truncated.status).toBe(200);
    const text = await truncated.text();
    expect(text.startsWith('{"items":[{')).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
    expect(await wrongShape.json()).toEqual({ items: 'nope' });
    // Nothing was consumed: the next reset still starts at the first event.
    expect(uuids((await page(sim, token, {})).items)).toEqual(uuids(sim.events('auditevents')));
  });

  it('answers an empty page with has_more true and the same cursor, without advancing', async () => {
    const { sim, token } = ctx;
    const first = await page(sim, token, { limit: 5 });
    sim.inject({ fault: { kind: 'emptyHasMore' } });

    const stalled = await page(sim, token, { cursor: first.cursor });
    const resumed = await page(sim, token, { cursor: stalled.cursor });

    expect(stalled).toEqual({ items: [], cursor: first.cursor, has_more: true });
    expect(uuids(resumed.items)).toEqual(uuids(sim.events('auditevents').slice(5, 10)));
  });

  it('resets the connection without answering', async () => {
    const { sim, token } = ctx;
    sim.inject({ fault: { kind: 'resetConnection' } });

    await expect(post(sim, '/api/v2/auditevents', {}, token)).rejects.toThrow();
    expect((await post(sim, '/api/v2/auditevents', {}, token)).status).toBe(200);
    expect(sim.log.map((p) => p.status)).toEqual([0, 200]);
  });

  it('draws chaos from the seed: the same seed fails the same requests', async () => {
    const run = async () => {
      const { sim, token } = await simulator({ rateLimit: false, seed: 42 });
      sim.setChaos({ p5xx: 0.3, p429: 0.1, pEmptyHasMore: 0.1 });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++)
        statuses.push((await post(sim, '/api/v2/signinattempts', {}, token)).status);
      sim.setChaos(undefined);
      statuses.push((await post(sim, '/api/v2/signinattempts', {}, token)).status);
      await sim.close();
      return statuses;
    };

    const [a, b] = [await run(), await run()];

    expect(a).toEqual(b);
    expect(a.filter((s) => s >= 500).length).toBeGreaterThan(4);
    expect(a).toContain(429);
    expect(a.filter((s) => s === 200).length).toBeGreaterThan(10);
    expect(a[a.length - 1]).toBe(200);
  });

  it('counts requests by status and feature', async () => {
    const { sim, token } = ctx;
    await post(sim, '/api/v2/auditevents', {}, token);
    await post(sim, '/api/v1/itemusages', { limit: 0 }, token);
    await fetch(`${sim.url}/nowhere`);

    expect(sim.stats).toEqual({
      requests: 3,
      byStatus: { 200: 1, 400: 1, 404: 1 },
      byFeature: { signinattempts: 0, itemusages: 1, auditevents: 1 },
    });
  });
});

describe('Events API simulator: how pages are spelled', () => {
  const RAW = [
    '{"uuid":"RAW1","timestamp":"2026-03-01T11:00:00Z","location":{"latitude":43.70}}',
    '{ "uuid" : "RAW2", "timestamp":"2026-03-01T11:00:01Z","aux_id":9007199254740993,"city":"Montr\\u00e9al"}',
  ];

  async function body(
    sim: Simulator,
    token: string,
    request: object = { start_time: FOREVER },
  ): Promise<string> {
    const res = await post(sim, '/api/v2/auditevents', request, token);
    expect(res.status).toBe(200);
    return res.text();
  }

  it('serves events ingested as text byte for byte, and returns what JSON.parse reads in them', async () => {
    const { sim, token } = await simulator({ rateLimit: false });
    try {
      const events = sim.ingestText('auditevents', RAW);

      const text = await body(sim, token);

      expect(text).toBe(
        `{"items":[${RAW.join(',')}],"cursor":${JSON.stringify(JSON.parse(text).cursor)},"has_more":false}`,
      );
      expect(events).toEqual(RAW.map((raw) => JSON.parse(raw)));
      expect(sim.events('auditevents')).toEqual(events);
    } finally {
      await sim.close();
    }
  });

  it('spells spaced pages on one line with spaces, tabs, escapes and trailing zeros, items last', async () => {
    // Prepare
    const { sim, token } = await simulator({ rateLimit: false, pageStyle: 'spaced' });
    try {
      sim.ingest('auditevents', [
        { uuid: 'E1', timestamp: '2026-03-01T11:00:00Z', location: { city: 'Zürich', latitude: 47.37 } },
      ]);
      sim.ingestText('auditevents', RAW);

      // Act
      const text = await body(sim, token);

      // Assess
      const parsed = JSON.parse(text) as PageBody;
      expect(parsed.items).toEqual(sim.events('auditevents'));
      expect(text).not.toContain('\n');
      expect(text.indexOf('"items"')).toBeGreaterThan(text.indexOf('"has_more"'));
      expect(text).toContain('"city" :\t"Z\\u00fcrich"');
      expect(text).toContain('47.370');
      expect(text).toContain('43.700');
      expect(text).toContain('9007199254740993');
      expect(text).toContain('"Montr\\u00e9al"');
    } finally {
      await sim.close();
    }
  });

  it('pretty-prints pages as JSON.stringify(body, null, 2) does, keeping the spelling of text events', async () => {
    const { sim, token } = await simulator({ rateLimit: false, pageStyle: 'pretty' });
    try {
      sim.generate('auditevents', 3, { from: NOW - 60_000, to: NOW });

      const generated = await body(sim, token);
      sim.ingestText('auditevents', RAW);
      const withText = await body(sim, token, { start_time: '2026-03-01T11:00:00Z' });

      expect(generated).toBe(JSON.stringify(JSON.parse(generated), null, 2));
      expect(withText).toContain('\n      "location": {\n        "latitude": 43.70\n      }\n');
      expect(withText).toContain('"aux_id": 9007199254740993');
      expect(JSON.parse(withText).items.slice(-2)).toEqual(RAW.map((raw) => JSON.parse(raw)));
    } finally {
      await sim.close();
    }
  });

  it('respells only the pages a restyle fault hits, and logs the fault', async () => {
    const { sim, token } = await simulator({ rateLimit: false });
    try {
      sim.generate('auditevents', 5, { from: NOW - 60_000, to: NOW });
      sim.inject({ fault: { kind: 'restyle', style: 'pretty' } });

      const pretty = await body(sim, token);
      const compact = await body(sim, token);

      expect(pretty).toBe(JSON.stringify(JSON.parse(compact), null, 2));
      expect(JSON.parse(pretty).items).toEqual(JSON.parse(compact).items);
      expect(compact).toBe(JSON.stringify(JSON.parse(compact)));
      expect(sim.log.map((page) => page.fault)).toEqual(['restyle', undefined]);
    } finally {
      await sim.close();
    }
  });
});

describe('Events API simulator: generated data', () => {
  const sample = async (seed: number, count = 3000) => {
    const { sim } = await simulator({ seed });
    const out = Object.fromEntries(
      FEATURES.map((f) => [f, sim.generate(f, count, { from: NOW - 7 * DAY, to: NOW })]),
    ) as Record<Feature, SimEvent[]>;
    await sim.close();
    return out;
  };
  let data: Record<Feature, SimEvent[]>;
  beforeAll(async () => {
    data = await sample(1);
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    const again = await sample(1, 200);
    const other = await sample(2, 200);
    const first = await sample(1, 200);

    expect(JSON.stringify(again)).toBe(JSON.stringify(first));
    expect(JSON.stringify(other)).not.toBe(JSON.stringify(first));
  });

  it('emits mixed RFC 3339 styles that are in instant order', () => {
    const all = FEATURES.flatMap((f) => data[f]);
    const stamps = all.map((e) => e.timestamp as string);

    expect(stamps.some((t) => /:\d\dZ$/.test(t))).toBe(true);
    expect(stamps.some((t) => /[+-]\d\d:\d\d$/.test(t))).toBe(true);
    expect(stamps.some((t) => /\.\d{3}Z$/.test(t))).toBe(true);
    expect(stamps.some((t) => /\.\d{9}Z$/.test(t))).toBe(true);
    expect(stamps.some((t) => /\.\d{7,8}Z$/.test(t))).toBe(true);
    for (const f of FEATURES) {
      const instants = data[f].map((e) => eventInstant(e.timestamp as string) ?? { ms: Number.NaN, ns: 0 });
      const backwards = instants.filter((b, i) => {
        const a = instants[i - 1];
        return Number.isNaN(b.ms) || (a !== undefined && (a.ms > b.ms || (a.ms === b.ms && a.ns > b.ns)));
      });
      expect(backwards).toEqual([]);
    }
    // Offsets make string order differ from instant order: clients must parse, not compare text.
    const texts = data.signinattempts.map((e) => e.timestamp as string);
    expect([...texts].sort()).not.toEqual(texts);
  });

  it('uses unique upper-case base32 event ids and lower-case vault and item ids', () => {
    const all = FEATURES.flatMap((f) => data[f]);
    expect(new Set(uuids(all)).size).toBe(all.length);
    expect(all.every((e) => /^[A-Z2-7]{26}$/.test(e.uuid as string))).toBe(true);
    expect(data.itemusages.every((e) => /^[a-z2-7]{26}$/.test(e.vault_uuid as string))).toBe(true);
    expect(data.itemusages.every((e) => /^[a-z2-7]{26}$/.test(e.item_uuid as string))).toBe(true);
  });

  it('looks like one account: a small pool of users, vaults and items recurs', () => {
    const users = new Set(data.itemusages.map((e) => (e.user as { uuid: string }).uuid));
    const vaults = new Set(data.itemusages.map((e) => e.vault_uuid));
    const signinUsers = new Set(
      data.signinattempts.map((e) => (e.target_user as { uuid?: string } | undefined)?.uuid ?? ''),
    );

    expect(users.size).toBeGreaterThan(5);
    expect(users.size).toBeLessThanOrEqual(30);
    expect(vaults.size).toBeLessThanOrEqual(10);
    expect([...signinUsers].filter((u) => users.has(u)).length).toBeGreaterThan(5);
  });

  it('has realistic, varied sign-ins with consistent category/type pairs', () => {
    const events = data.signinattempts;
    const categories = new Set(events.map((e) => e.category));
    expect(categories.size).toBe(SIGNIN_CATEGORIES.length);
    const knownType = (e: SimEvent) => (SIGNIN_TYPES as readonly string[]).includes(e.type as string);
    const successes = events.filter((e) => e.category === 'success' && knownType(e));
    expect(new Set(successes.map((e) => e.type))).toEqual(new Set(['credentials_ok', 'mfa_ok', 'federated']));
    expect(successes.filter((e) => e.details !== null && e.details !== undefined)).toEqual([]);
    const blocked = events.filter((e) => e.category === 'firewall_failed');
    expect(blocked.length).toBeGreaterThan(0);
    expect(blocked.filter((e) => typeof (e.details as { value?: unknown })?.value !== 'string')).toEqual([]);
    const mfa = events.filter((e) => e.category === 'mfa_failed' && knownType(e));
    expect(mfa.filter((e) => !/^(mfa|totp|u2f|duo|code)_/.test(e.type as string))).toEqual([]);
    const address = (e: SimEvent) => e.client as { ip_address?: unknown; ip?: unknown };
    expect(events.filter((e) => typeof (address(e).ip_address ?? address(e).ip) !== 'string')).toEqual([]);
    expect(events.some((e) => e.location === undefined)).toBe(true);
    expect(events.some((e) => typeof e.country === 'string' && /^[A-Z]{2}$/.test(e.country))).toBe(true);
  });

  it('covers item-usage and audit vocabularies, with occasional unknown values and fields', () => {
    const itemActions = new Set(data.itemusages.map((e) => e.action as string));
    const auditActions = new Set(data.auditevents.map((e) => e.action as string));
    const objectTypes = new Set(data.auditevents.map((e) => e.object_type as string));
    const known = (list: readonly string[]) => (v: string) => list.includes(v);

    expect(ITEM_USAGE_ACTIONS.filter((a) => itemActions.has(a))).toEqual([...ITEM_USAGE_ACTIONS]);
    expect([...itemActions].some((a) => !known(ITEM_USAGE_ACTIONS)(a))).toBe(true);
    expect(auditActions.size).toBeGreaterThan(15);
    expect(
      [...auditActions].some((a) => !known(AUDIT_ACTIONS)(a)) ||
        [...objectTypes].some((t) => !known(AUDIT_OBJECT_TYPES)(t)),
    ).toBe(true);
    const unknownEnums = data.signinattempts.filter((e) => !known(SIGNIN_TYPES)(e.type as string)).length;
    expect(unknownEnums).toBeGreaterThan(5);
    expect(unknownEnums).toBeLessThan(100);

    const documented = new Set([
      'uuid',
      'timestamp',
      'actor_uuid',
      'actor_details',
      'actor_type',
      'actor_account_uuid',
      'account_uuid',
      'action',
      'object_type',
      'object_uuid',
      'object_details',
      'aux_id',
      'aux_uuid',
      'aux_details',
      'aux_info',
      'session',
      'location',
    ]);
    const extras = data.auditevents.filter((e) => Object.keys(e).some((k) => !documented.has(k)));
    expect(extras.length).toBeGreaterThan(5);
    expect(extras.length).toBeLessThan(100);
    expect(data.auditevents.some((e) => e.aux_uuid !== undefined && e.aux_details !== undefined)).toBe(true);
    expect(
      data.auditevents.every((e) => typeof (e.session as { login_time?: string }).login_time === 'string'),
    ).toBe(true);
  });

  it('reproduces the shapes of published events, each at the rate SHAPE_RATES sets', () => {
    const measured = Object.fromEntries(FEATURES.map((f) => [f, measureShapes(f, data[f])])) as Record<
      Feature,
      ReturnType<typeof measureShapes>
    >;
    // Within four standard deviations of the rate, for the 3,000 events of each stream.
    const expectRate = (f: Feature, id: string, rate: number) => {
      const share = shareOf(measured[f], id);
      const near = Math.abs(share - rate) <= 4 * Math.sqrt((rate * (1 - rate)) / measured[f].total);
      expect({ id, share, near }).toEqual({ id, share, near: true });
    };
    const nonFirewall = data.signinattempts.filter((e) => !String(e.category).startsWith('firewall')).length;

    expectRate('signinattempts', 'country-name', SHAPE_RATES.signin.countryName);
    expectRate('signinattempts', 'target-user-absent', SHAPE_RATES.signin.targetUserAbsent);
    expectRate('signinattempts', 'details-absent', (SHAPE_RATES.signin.detailsAbsent * nonFirewall) / 3000);
    expectRate('itemusages', 'action-absent', SHAPE_RATES.itemUsage.actionAbsent);
    expectRate('itemusages', 'used-version-absent', SHAPE_RATES.itemUsage.usedVersionAbsent);
    expectRate('auditevents', 'actor-without-any-uuid', SHAPE_RATES.audit.withoutIds);
    for (const f of ['signinattempts', 'itemusages'] as const) {
      expectRate(f, 'client-ip', SHAPE_RATES.clientIp);
      expectRate(f, 'account-uuid', 1 - SHAPE_RATES.withoutAccountFields);
      // Rare, but there: the collector must archive them, and search read them as UTC.
      expect(measured[f].counts.get('ts-zoneless')).toBeGreaterThan(0);
      expect(measured[f].appNames.get('1Password Extension')).toBeGreaterThan(0);
    }
    expect(measured.auditevents.counts.get('ts-zoneless')).toBe(0);
    expect(measured.auditevents.counts.get('device-uuid-hyphenated')).toBeGreaterThan(50);
    // Every shape the measurements know shows up, but ids the generator keeps unique and base32
    // (the published ones, `1234` and the like, are written by hand for tests), and time stamps
    // without a zone in audit events (none published).
    const neverGenerated = [
      'uuid-other',
      'user-uuid-other',
      'vault-uuid-other',
      'country-absent',
      'client-no-ip',
    ];
    const notInAudit = ['ts-zoneless', 'ts-space'];
    for (const f of FEATURES) {
      const missing = metricsFor(f)
        .map((metric) => metric.id)
        .filter((id) => !neverGenerated.includes(id) && !(f === 'auditevents' && notInAudit.includes(id)))
        .filter((id) => (measured[f].counts.get(id) ?? 0) === 0);
      expect({ stream: f, missing }).toEqual({ stream: f, missing: [] });
    }
  });

  it('reads a time stamp without a zone as UTC, and serves it in that order', async () => {
    const zoneless = FEATURES.flatMap((f) => data[f]).filter(
      (e) => !/(Z|[+-]\d\d:\d\d)$/.test(String(e.timestamp)),
    );
    expect(zoneless.length).toBeGreaterThan(0);
    for (const event of zoneless) {
      const text = String(event.timestamp);
      expect(text).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{3})?$/);
      expect(eventInstant(text)?.ms).toBe(Date.parse(`${text.replace(' ', 'T')}Z`));
    }
    expect(parseRfc3339('2021-12-15 18:02:23')).toBeUndefined();
  });

  it('produces events of realistic size', () => {
    for (const f of FEATURES) {
      const sizes = data[f].map((e) => JSON.stringify(e).length);
      const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
      expect(mean).toBeGreaterThan(500);
      expect(mean).toBeLessThan(900);
    }
  });
});
