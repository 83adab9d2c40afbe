import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createAccount } from './account';
import { CursorCodec, type CursorState } from './cursor';
import { FaultPlan } from './faults';
import { createGenerator } from './generate';
import { base32Id, createRandom } from './random';
import { RateLimiter } from './rate-limit';
import { EventStore, RETENTION_MS } from './store';
import { playStory } from './stories';
import { formatSeconds, type Instant, parseRfc3339 } from './time';
import { TokenAuthority } from './token';
import {
  type ApiVersion,
  type Fault,
  FEATURES,
  type Feature,
  type ServedPage,
  type Simulator,
  type SimulatorOptions,
  type SimulatorStats,
} from './types';
import { renderPage } from './wire';

const DEFAULT_ACCOUNT_UUID = 'Q4M7XHBDZNGJ5CRUO2EK6LYWTA';
const HOUR_MS = 3_600_000;
const DEFAULT_LIMIT = 100;
const MAX_BODY_BYTES = 64 * 1024;

/** Fields that exist only in the v2 event schemas; v1 endpoints never send them. */
const V2_ONLY_FIELDS = new Set([
  'account_uuid',
  'actor_type',
  'actor_account_uuid',
  'user_type',
  'user_account_uuid',
]);

type Route =
  | { kind: 'events'; feature: Feature; version: ApiVersion }
  | { kind: 'introspect'; version: ApiVersion }
  | { kind: 'wrongMethod'; allow: string }
  | { kind: 'notFound' };

const requestSchema = z.object({
  cursor: z.string().min(1).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  start_time: z.string().optional(),
  end_time: z.string().optional(),
});

/** A request refused with a status; `reason` goes to the `x-simulator-reason` header for debugging. */
class Refusal {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly headers: Record<string, string> = {},
  ) {}
}

/**
 * Starts a local 1Password Events API on a loopback port. Real HTTP, so a
 * client under test runs its production code path: auth header, paging, cursors, retries.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? Date.now;
  const seed = options.seed ?? 1;
  const accountUuid = options.accountUuid ?? DEFAULT_ACCOUNT_UUID;
  const errorStyle = options.errorStyle ?? 'legacy';
  const rateLimit = options.rateLimit ?? { perMinute: 600, perHour: 30_000 };

  const account = createAccount(createRandom(seed, 'account'), accountUuid);
  const generator = createGenerator(createRandom(seed, 'events'), account);
  const latencyRandom = createRandom(seed, 'latency');
  const faults = new FaultPlan(createRandom(seed, 'chaos'));
  const integrationUuid = base32Id(createRandom(seed, 'integration'));
  const tokens = new TokenAuthority();
  // Replaced by expireCursors(): every cursor issued before then is refused, as an expired one would be.
  let cursors = new CursorCodec(randomBytes(32));
  const limiter = rateLimit ? new RateLimiter(rateLimit.perMinute, rateLimit.perHour) : undefined;
  const stores = Object.fromEntries(FEATURES.map((f) => [f, new EventStore()])) as Record<
    Feature,
    EventStore
  >;

  const log: ServedPage[] = [];
  const stats: SimulatorStats = {
    requests: 0,
    byStatus: {},
    byFeature: { signinattempts: 0, itemusages: 0, auditevents: 0 },
  };
  const timers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  const latency = () => {
    const l = options.latencyMs ?? 0;
    return typeof l === 'number' ? l : latencyRandom.int(l.min, l.max);
  };

  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    // The client may have given up (timeout) while a delay was running.
    if (res.destroyed || res.headersSent) return;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(body);
  };
  const errorBody = (status: number) => {
    const message = STATUS_CODES[status] ?? 'Error';
    return JSON.stringify(errorStyle === 'legacy' ? { Error: { Message: message } } : { status, message });
  };
  const refuse = (res: ServerResponse, refusal: Refusal) =>
    send(res, refusal.status, errorBody(refusal.status), {
      // Header values must be printable ASCII; reasons may quote client input.
      'x-simulator-reason': refusal.reason.replace(/[^\x20-\x7e]/g, '?'),
      ...refusal.headers,
    });

  const parseSelection = (raw: string, feature: Feature, version: ApiVersion, nowMs: number): CursorState => {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new Refusal(400, 'body is not JSON');
    }
    const parsed = requestSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Refusal(
        400,
        `invalid body: ${issue ? `${issue.path.join('.') || 'body'} ${issue.message}` : ''}`,
      );
    }
    const body = parsed.data;
    if (body.cursor !== undefined) {
      if (body.limit !== undefined || body.start_time !== undefined || body.end_time !== undefined) {
        throw new Refusal(400, 'cursor cannot be combined with limit, start_time or end_time');
      }
      const state = cursors.decode(body.cursor);
      if (!state) throw new Refusal(400, 'cursor was not issued by this server or was altered');
      if (state.feature !== feature || state.version !== version || state.account !== accountUuid) {
        throw new Refusal(400, `cursor belongs to /api/${state.version}/${state.feature}`);
      }
      return state;
    }
    const time = (name: 'start_time' | 'end_time'): Instant | undefined => {
      const text = body[name];
      if (text === undefined) return undefined;
      const at = parseRfc3339(text);
      if (!at) throw new Refusal(400, `${name} is not an RFC 3339 date-time`);
      return at;
    };
    const end = time('end_time');
    let start = time('start_time') ?? { ms: (end?.ms ?? nowMs) - HOUR_MS, ns: 0 };
    if (end && (start.ms > end.ms || (start.ms === end.ms && start.ns > end.ns))) {
      throw new Refusal(400, 'start_time is after end_time');
    }
    // Collectors ask for 2020-01-01 on first run; the API serves what it still has.
    const retainedFrom = nowMs - RETENTION_MS;
    if (start.ms < retainedFrom) start = { ms: retainedFrom, ns: 0 };
    return {
      feature,
      version,
      account: accountUuid,
      pos: 0,
      limit: body.limit ?? DEFAULT_LIMIT,
      start,
      end,
      issuedAt: nowMs,
    };
  };

  const authorize = (req: IncomingMessage, nowMs: number, feature?: Feature) => {
    const verification = tokens.verify(req.headers.authorization, nowMs);
    if (!verification.ok) throw new Refusal(401, verification.reason);
    if (feature && !verification.features.includes(feature)) {
      throw new Refusal(401, `token is not scoped to ${feature}`);
    }
    if (limiter) {
      const admission = limiter.admit(nowMs);
      if (!admission.ok) {
        const headers: Record<string, string> = options.retryAfter
          ? { 'retry-after': String(admission.retryAfterSeconds) }
          : {};
        throw new Refusal(429, 'rate limit exceeded', headers);
      }
    }
    return verification;
  };

  const introspect = (req: IncomingMessage, res: ServerResponse, version: ApiVersion) => {
    const { claims, features } = authorize(req, now());
    const issuedAt = formatSeconds(claims.iat * 1000);
    const body =
      version === 'v1'
        ? { UUID: claims.sub, IssuedAt: issuedAt, Features: features }
        : { uuid: claims.sub, issued_at: issuedAt, features, account_uuid: claims['1password.com/auuid'] };
    send(res, 200, JSON.stringify(body));
  };

  const serveEvents = async (
    req: IncomingMessage,
    res: ServerResponse,
    route: { feature: Feature; version: ApiVersion },
    raw: string,
  ) => {
    const { feature, version } = route;
    stats.byFeature[feature] += 1;
    const cursorIn = peekCursor(raw);
    const record = (entry: Omit<ServedPage, 'feature' | 'at' | 'cursorIn'>) => {
      const page: ServedPage = { feature, at: now(), ...entry };
      if (cursorIn !== undefined) page.cursorIn = cursorIn;
      log.push(page);
    };

    let fault: Fault | undefined;
    for (const f of faults.take(feature)) {
      if (f.kind === 'delay') await sleep(f.ms);
      else fault = f;
    }
    if (fault?.kind === 'resetConnection') {
      record({ status: 0, itemUuids: [], hasMore: false, fault: fault.kind });
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'hang') {
      record({ status: 0, itemUuids: [], hasMore: false, fault: fault.kind });
      return;
    }
    if (fault?.kind === 'status') {
      const headers: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      else if (fault.status === 429 && options.retryAfter) headers['retry-after'] = '1';
      record({ status: fault.status, itemUuids: [], hasMore: false, fault: fault.kind });
      refuse(res, new Refusal(fault.status, 'injected fault', headers));
      return;
    }

    const nowMs = now();
    let state: CursorState;
    try {
      authorize(req, nowMs, feature);
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
        throw new Refusal(400, 'Content-Type must be application/json');
      }
      state = parseSelection(raw, feature, version, nowMs);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      record({ status: error.status, itemUuids: [], hasMore: false });
      refuse(res, error);
      return;
    }

    if (fault?.kind === 'emptyHasMore') {
      const cursor = cursorIn ?? cursors.encode(state);
      record({ status: 200, itemUuids: [], hasMore: true, cursorOut: cursor, fault: fault.kind });
      send(res, 200, JSON.stringify({ items: [], cursor, has_more: true }));
      return;
    }

    const page = stores[feature].page(state, nowMs);
    const items = version === 'v1' ? page.items.map((item) => stripV2(item)) : page.items;
    const hasMore = page.hasMore || (options.hasMoreWhenFull === true && items.length === state.limit);
    // A caught-up follower gets its own cursor back, as in Elastic's mock of the API.
    const cursor =
      cursorIn !== undefined && items.length === 0
        ? cursorIn
        : cursors.encode({ ...state, pos: page.pos, issuedAt: nowMs });
    const style = fault?.kind === 'restyle' ? fault.style : (options.pageStyle ?? 'compact');
    const body =
      style === 'compact' && page.texts.every((text) => text === undefined)
        ? JSON.stringify({ items, cursor, has_more: hasMore })
        : renderPage(
            items.map((item, i) => ({ text: page.texts[i] ?? JSON.stringify(item) })),
            cursor,
            hasMore,
            style,
          );

    if (fault?.kind === 'malformed') {
      record({ status: 200, itemUuids: [], hasMore: false, fault: fault.kind });
      send(res, 200, fault.body ?? body.slice(0, Math.max(1, Math.floor(body.length / 2))));
      return;
    }
    record({
      status: 200,
      itemUuids: page.items.map((e) => String(e.uuid)),
      hasMore,
      cursorOut: cursor,
      ...(fault?.kind === 'restyle' ? { fault: fault.kind } : {}),
    });
    send(res, 200, body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    stats.requests += 1;
    const route = routeOf(req.method ?? 'GET', new URL(req.url ?? '/', 'http://simulator').pathname);
    if (route.kind === 'notFound') return refuse(res, new Refusal(404, 'no such route'));
    if (route.kind === 'wrongMethod') {
      return refuse(res, new Refusal(405, `use ${route.allow}`, { allow: route.allow }));
    }
    const raw = await readBody(req);
    const delay = latency();
    if (delay > 0) await sleep(delay);
    if (route.kind === 'events') return serveEvents(req, res, route, raw);
    try {
      introspect(req, res, route.version);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      refuse(res, error);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof Refusal) return refuse(res, error);
      refuse(res, new Refusal(500, String(error)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;

  return {
    url,
    accountUuid,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        // Also ends hanging and delayed requests, so nothing keeps the process alive.
        server.closeAllConnections();
      });
      return closing;
    },
    mintToken(mint = {}) {
      const issuedAtMs = mint.issuedAt ?? now();
      return tokens.mint({
        account: accountUuid,
        integration: integrationUuid,
        aud: mint.aud ?? new URL(url).host,
        features: mint.features ?? FEATURES,
        issuedAtMs,
        expiresAtMs: mint.expiresAt,
      });
    },
    revokeToken: (token) => tokens.revoke(token),
    expireCursors() {
      cursors = new CursorCodec(randomBytes(32));
    },
    generate(feature, count, range = {}) {
      const to = range.to ?? now();
      const from = range.from ?? to - HOUR_MS;
      const generated = generator.generate(feature, count, from, to);
      stores[feature].add(generated);
      return generated.map((g) => g.event);
    },
    playStory(name, story = {}) {
      const played = playStory(name, account, { seed, at: story.at ?? now() });
      for (const { feature, event, at } of played.events) stores[feature].add([{ event, at }]);
      return played;
    },
    ingest: (feature, events) => stores[feature].ingest(events, now()),
    ingestText: (feature, texts) => stores[feature].ingestText(texts, now()),
    events: (feature) => stores[feature].all(),
    inject: (...rules) => faults.inject(rules),
    setChaos: (chaos) => faults.setChaos(chaos),
    log,
    stats,
  };
}

function routeOf(method: string, path: string): Route {
  const events = /^\/api\/(v1|v2)\/(auditevents|itemusages|signinattempts)$/.exec(path);
  if (events) {
    if (method !== 'POST') return { kind: 'wrongMethod', allow: 'POST' };
    return { kind: 'events', version: events[1] as ApiVersion, feature: events[2] as Feature };
  }
  const introspect =
    path === '/api/auth/introspect' ? 'v1' : path === '/api/v2/auth/introspect' ? 'v2' : undefined;
  if (introspect) {
    if (method !== 'GET') return { kind: 'wrongMethod', allow: 'GET' };
    return { kind: 'introspect', version: introspect };
  }
  return { kind: 'notFound' };
}

function stripV2(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripV2);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (!V2_ONLY_FIELDS.has(key)) out[key] = stripV2(inner);
  }
  return out;
}

/** The request's cursor, for the log, even when the body is later refused. */
function peekCursor(raw: string): string | undefined {
  if (!raw.includes('"cursor"')) return undefined;
  try {
    const body: unknown = JSON.parse(raw);
    if (body === null || typeof body !== 'object' || !('cursor' in body)) return undefined;
    return typeof body.cursor === 'string' ? body.cursor : undefined;
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Refusal(413, 'body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
