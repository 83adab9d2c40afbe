import * as z from 'zod';
import { ConfigError } from '../errors';
import { type EventType, isEventType } from '../event-types';

/** The Events API hosts 1Password publishes; the token is never sent anywhere else by default. */
export const ALLOWED_EVENTS_API_HOSTS = [
  'events.1password.com',
  'events.ent.1password.com',
  'events.1password.ca',
  'events.1password.eu',
] as const;

/** `aud` of tokens from before the host was put in the token. */
const LEGACY_AUDIENCE = 'com.1password.streamingservice';

// Each claim is read on its own: one claim of an unexpected type must not hide the others.
const claimsSchema = z
  .object({
    aud: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .catch(undefined),
    '1password.com/fts': z.array(z.unknown()).optional().catch(undefined),
    '1password.com/auuid': z.string().optional().catch(undefined),
    sub: z.string().optional().catch(undefined),
    iat: z.number().optional().catch(undefined),
    exp: z.number().optional().catch(undefined),
  })
  .loose();

/** A loopback host with an optional port: local simulators, reached over plain HTTP. */
const LOOPBACK = /^(127\.0\.0\.1|localhost)(:\d{1,5})?$/;

/** What an Events API token says about itself. Decoded, never verified: only 1Password can. */
export interface TokenClaims {
  /** The Events API host the token was issued for, e.g. `events.1password.com`. */
  readonly host: string | undefined;
  /** Event types the token may read (`1password.com/fts`), in the API's order. */
  readonly eventTypes: EventType[] | undefined;
  readonly accountUuid: string | undefined;
  readonly integrationUuid: string | undefined;
  readonly issuedAt: Date | undefined;
  readonly expiresAt: Date | undefined;
}

/**
 * Reads the claims of a JWT-shaped token. Returns `undefined` for a token that is not a
 * JWT, so callers can still use it with an explicit URL and event types. The claims are
 * used for convenience (host, event types); 1Password's server is what enforces them.
 */
export function decodeTokenClaims(token: string): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = claimsSchema.safeParse(payload);
  if (!parsed.success) return undefined;
  const claims = parsed.data;
  const audience = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
  const features = claims['1password.com/fts'];
  return {
    host: audience && audience !== LEGACY_AUDIENCE ? audience.toLowerCase() : undefined,
    eventTypes: features?.filter(
      (feature): feature is EventType => typeof feature === 'string' && isEventType(feature),
    ),
    accountUuid: claims['1password.com/auuid'],
    integrationUuid: claims.sub,
    issuedAt: claims.iat === undefined ? undefined : new Date(claims.iat * 1000),
    expiresAt: claims.exp === undefined ? undefined : new Date(claims.exp * 1000),
  };
}

/**
 * The base URL to send the token to: `EVENTS_API_URL` when set, else the token's own host.
 * Refuses hosts outside 1Password's list unless custom URLs are allowed (local servers), and
 * a configured URL that disagrees with the host the token was issued for (a wrong region).
 */
export function resolveEventsApiUrl(options: {
  configuredUrl: string | undefined;
  allowCustomUrl: boolean;
  claims: TokenClaims | undefined;
  secretId: string;
}): string {
  const { configuredUrl, allowCustomUrl, claims, secretId } = options;
  const tokenHost = claims?.host;
  if (configuredUrl === undefined) {
    if (tokenHost === undefined) {
      throw new ConfigError(
        `The token in ${secretId} does not say which Events API host it was issued for (an older token); ` +
          'set EVENTS_API_URL (e.g. https://events.1password.com) or create a new Events Reporting token.',
      );
    }
    const url = `${LOOPBACK.test(tokenHost) ? 'http' : 'https'}://${tokenHost}`;
    return checkAllowed(url, allowCustomUrl, `the host in the token stored in ${secretId}`);
  }
  const url = checkAllowed(configuredUrl, allowCustomUrl, 'EVENTS_API_URL');
  if (tokenHost !== undefined && new URL(url).host !== tokenHost) {
    throw new ConfigError(
      `EVENTS_API_URL is ${url} but the token in ${secretId} was issued for ${tokenHost}: ` +
        `set EVENTS_API_URL to https://${tokenHost} (or leave it unset), or store a token of the right 1Password account.`,
    );
  }
  return url;
}

/** Validates a base URL and returns it without a trailing slash. */
function checkAllowed(url: string, allowCustomUrl: boolean, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(
      `${what} ("${url}") is not a URL; an Events API base URL looks like https://events.1password.com.`,
    );
  }
  if (parsed.username || parsed.password || parsed.search || parsed.hash) {
    throw new ConfigError(
      `${what} must be a plain base URL such as https://events.1password.com, without credentials, query or fragment.`,
    );
  }
  const path = parsed.pathname.replace(/\/+$/, '');
  const allowed =
    parsed.protocol === 'https:' &&
    (ALLOWED_EVENTS_API_HOSTS as readonly string[]).includes(parsed.host) &&
    path === '';
  if (!allowed && !allowCustomUrl) {
    throw new ConfigError(
      `${what} points at ${parsed.origin}${path}, which is not a 1Password Events API host ` +
        `(${ALLOWED_EVENTS_API_HOSTS.map((host) => `https://${host}`).join(', ')}); ` +
        'the token is only sent to those. Set ALLOW_CUSTOM_EVENTS_API_URL=true only for a local simulator.',
    );
  }
  return `${parsed.origin}${path}`;
}
