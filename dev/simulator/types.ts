import type { Story, StoryName } from './stories';
/** The three event families an Events API token can be scoped to (`1password.com/fts`). */
export type Feature = 'signinattempts' | 'itemusages' | 'auditevents';

export const FEATURES: readonly Feature[] = ['signinattempts', 'itemusages', 'auditevents'];

export type ApiVersion = 'v1' | 'v2';

/**
 * How pages are spelled on the wire; the values are the same in each.
 * - `compact`: `JSON.stringify`'s form.
 * - `spaced`: one line, with spaces and tabs between tokens, `items` after `cursor` and
 *   `has_more`, non-ASCII characters escaped (`\u00e9`), and numbers with a fraction given a
 *   trailing zero (`43.70`).
 * - `pretty`: indented over many lines, as `JSON.stringify(body, null, 2)`.
 */
export type PageStyle = 'compact' | 'spaced' | 'pretty';

export interface SimulatorOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 - a free port */
  port?: number;
  /**
   * Clock in epoch ms, for retention, reset defaults, rate windows and token expiry.
   * @default Date.now
   */
  now?: () => number;
  /**
   * Sliding windows per account (shared by every token of the simulator); `false` turns limiting off.
   * @default { perMinute: 600, perHour: 30000 } - the documented limits
   */
  rateLimit?: { perMinute: number; perHour: number } | false;
  /**
   * Send `Retry-After` (seconds until a slot frees; 1 for an injected 429 without its own value) on 429.
   * The real API documents no such header.
   * @default false
   */
  retryAfter?: boolean;
  /** Delay added to every request. @default 0 */
  latencyMs?: number | { min: number; max: number };
  /**
   * `legacy` = `{"Error":{"Message":..}}` (observed in the field), `modern` = `{"status":n,"message":..}` (spec 1.4.1).
   * @default 'legacy'
   */
  errorStyle?: 'legacy' | 'modern';
  /**
   * The documented weaker `has_more`: true whenever a page is full, even if nothing remains.
   * @default false - `has_more` is exact
   */
  hasMoreWhenFull?: boolean;
  /**
   * How every page is spelled (see {@link PageStyle}); a `restyle` fault changes single pages.
   * @default 'compact'
   */
  pageStyle?: PageStyle;
  /** Seed for generated data, latency jitter and chaos. @default 1 */
  seed?: number;
  /** @default a fixed 26-character base32 id */
  accountUuid?: string;
}

export interface MintTokenOptions {
  /** @default all three features */
  features?: Feature[];
  /**
   * `aud[0]`; collectors derive their base URL from it, so tests may mint e.g. 'events.1password.com'.
   * The simulator does not check it.
   * @default '<host>:<port>' of the simulator
   */
  aud?: string;
  /** Epoch ms, becomes the `exp` claim; a request after it gets 401. @default no expiry */
  expiresAt?: number;
  /** Epoch ms, becomes the `iat` claim. @default now */
  issuedAt?: number;
}

export type Fault =
  | {
      kind: 'status';
      status: 429 | 500 | 502 | 503 | 504 | 400 | 401 | 403 | 404 | 408 | 409 | 425;
      /** Sent as `Retry-After` whatever `SimulatorOptions.retryAfter` says. */
      retryAfterSeconds?: number;
    }
  /** Answer normally, but only after `ms`, so client timeouts can fire. */
  | { kind: 'delay'; ms: number }
  /** Never answer; the socket stays open until the client gives up or the simulator closes. */
  | { kind: 'hang' }
  /** 200 with `body`, or by default the real page cut in half (not valid JSON). */
  | { kind: 'malformed'; body?: string }
  /** 200 `{items: [], has_more: true}` with the request's cursor, without advancing. */
  | { kind: 'emptyHasMore' }
  /** Answer normally, with the page spelled in `style` whatever `SimulatorOptions.pageStyle` says. */
  | { kind: 'restyle'; style: PageStyle }
  /** Destroy the socket without answering. */
  | { kind: 'resetConnection' };

export interface FaultRule {
  fault: Fault;
  /** Only requests to this feature's endpoint (v1 or v2). @default any event endpoint (never introspect) */
  feature?: Feature;
  /** How many matching requests the rule applies to. @default 1 */
  times?: number;
}

export interface ChaosOptions {
  p429?: number;
  /** Spread evenly over 500, 502, 503 and 504. */
  p5xx?: number;
  pMalformed?: number;
  pEmptyHasMore?: number;
  /** Drawn independently of the others: the request may also fail after the delay. */
  pDelayMs?: { p: number; ms: number };
}

/** One answered (or deliberately unanswered) event-endpoint request. */
export interface ServedPage {
  feature: Feature;
  /** HTTP status; 0 when a fault left the request unanswered (`hang`, `resetConnection`). */
  status: number;
  /** Items the client could read (empty for errors and malformed bodies). */
  itemUuids: string[];
  hasMore: boolean;
  cursorIn?: string;
  cursorOut?: string;
  /** Simulator clock when the answer was decided. */
  at: number;
  /** The fault that shaped this answer, if any. */
  fault?: Fault['kind'];
}

export type SimEvent = Record<string, unknown> & { uuid?: string; timestamp?: string };

export interface SimulatorStats {
  requests: number;
  byStatus: Record<number, number>;
  byFeature: Record<Feature, number>;
}

export interface Simulator {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly accountUuid: string;
  /** Closes the server and every open or hanging socket. */
  close(): Promise<void>;
  /** A JWT-shaped token (ES256 header, Events API claims) that only this simulator accepts. */
  mintToken(options?: MintTokenOptions): string;
  /** Later requests with this token get 401. */
  revokeToken(token: string): void;
  /** From now on every cursor issued so far is refused with HTTP 400, as the API refuses a cursor it no longer accepts. */
  expireCursors(): void;
  /** Generates realistic events, ingests them now in timestamp order and returns them as stored. */
  generate(feature: Feature, count: number, options?: { from?: number; to?: number }): SimEvent[];
  /**
   * Plays an attack story (see `stories.ts`) with the simulator's people, vaults and seed, its
   * last event at `at` (epoch ms, default now), and ingests its events now, mixed into whatever
   * traffic is already there.
   */
  playStory(name: StoryName, options?: { at?: number }): Story;
  /** Ingests events as they are, e.g. late events whose timestamps are older than ones already served. */
  ingest(feature: Feature, events: SimEvent[]): void;
  /**
   * Ingests events given as JSON text, each served as exactly that text (inside a page of
   * the configured style: `spaced` and `pretty` respell it), on v1 endpoints too: e.g. `43.70`,
   * integers above 2^53, `\u00e9` or odd spacing. Returns the events as `JSON.parse` reads them.
   */
  ingestText(feature: Feature, texts: string[]): SimEvent[];
  /** Everything ingested for a feature, in ingestion order (retention is applied when serving, not here). */
  events(feature: Feature): readonly SimEvent[];
  /** Queues fault rules; each matching request consumes the first rule that matches it. */
  inject(...rules: FaultRule[]): void;
  /** Random faults on event endpoints, drawn from the seeded PRNG; `undefined` turns chaos off. */
  setChaos(chaos: ChaosOptions | undefined): void;
  /** Every event-endpoint request, in the order answered. */
  readonly log: readonly ServedPage[];
  readonly stats: SimulatorStats;
}
