import { ConfigError } from '../lambdas/shared/errors';
import {
  ALLOWED_EVENTS_API_HOSTS,
  resolveEventsApiUrl,
  type TokenClaims,
} from '../lambdas/shared/token/claims';

/** The token was issued for another Events API host (another region or account type) than the URL asked for. */
export class WrongHostError extends ConfigError {}

export const URL_OPTIONS_HELP = `Events API:
  --url URL              Events API base URL (default: the host the token was issued for)
  --allow-custom-url     allow a URL outside https://events.{1password.com,ent.1password.com,1password.ca,1password.eu},
                         e.g. a local simulator; the token is sent there`;

/**
 * Where to send the token: `--url`, else the token's own host. The same rules as the
 * collector's (`resolveEventsApiUrl`), with messages that name the CLI's options.
 */
export function resolveApiUrl(options: {
  url: string | undefined;
  allowCustomUrl: boolean;
  claims: TokenClaims | undefined;
  origin: string;
}): string {
  const { url, allowCustomUrl, claims, origin } = options;
  const hosts = ALLOWED_EVENTS_API_HOSTS.map((host) => `https://${host}`).join(', ');
  if (url === undefined) {
    if (claims?.host === undefined) {
      throw new ConfigError(
        `${origin} does not say which Events API host it was issued for (an older or non-JWT token): ` +
          'pass --url (e.g. --url https://events.1password.com), or create a new Events Reporting token.',
      );
    }
    if (!allowCustomUrl && !(ALLOWED_EVENTS_API_HOSTS as readonly string[]).includes(claims.host)) {
      throw new ConfigError(
        `${origin} was issued for ${claims.host}, which is not a 1Password Events API host (${hosts}); ` +
          'pass --allow-custom-url only if that host is a simulator you run.',
      );
    }
  } else {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError(
        `--url "${url}" is not a URL; an Events API base URL looks like https://events.1password.com`,
      );
    }
    if (claims?.host !== undefined && parsed.host !== claims.host) {
      throw new WrongHostError(
        `${origin} was issued for ${claims.host}, but --url is ${parsed.origin}: a token works only on the Events API ` +
          `of its own 1Password account and region. Use --url https://${claims.host} (or leave --url out), ` +
          'or a token of the account behind the URL.',
      );
    }
    const allowed =
      parsed.protocol === 'https:' &&
      (ALLOWED_EVENTS_API_HOSTS as readonly string[]).includes(parsed.host) &&
      parsed.pathname.replace(/\/+$/, '') === '';
    if (!allowed && !allowCustomUrl) {
      throw new ConfigError(
        `--url ${parsed.origin} is not a 1Password Events API host (${hosts}); the token is only sent to those. ` +
          'Add --allow-custom-url only for a simulator you run.',
      );
    }
  }
  return resolveEventsApiUrl({ configuredUrl: url, allowCustomUrl, claims, secretId: origin });
}
