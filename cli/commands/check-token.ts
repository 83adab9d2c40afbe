import { ConfigError, EventsApiError, RequestRejectedError } from '../../lambdas/shared/errors';
import { EVENT_TYPES, type EventType, isEventType } from '../../lambdas/shared/event-types';
import { EventsApiClient, type RetryPolicy } from '../../lambdas/shared/events-api/client';
import { RequestBudget } from '../../lambdas/shared/events-api/request-budget';
import type { Introspection } from '../../lambdas/shared/events-api/schemas';
import { decodeTokenClaims, type TokenClaims } from '../../lambdas/shared/token/claims';
import { resolveApiUrl, URL_OPTIONS_HELP, WrongHostError } from '../api-url';
import { awsOptions, commonOptions, eventTypes, parseCommandLine, positiveInteger } from '../args';
import type { AwsClients } from '../aws';
import { CliFailure, EXIT_CODES_HELP, ExitCode } from '../exit-codes';
import { fields, toJson, when } from '../format';
import type { CliIo } from '../io';
import {
  describeTokenChoice,
  openTokenSource,
  requireTokenChoice,
  TOKEN_OPTIONS_HELP,
  type TokenChoice,
  tokenChoice,
  tokenOptions,
} from '../token-input';

export const CHECK_TOKEN_HELP = `Usage: op-events-archive check-token (--token-stdin | --token-file PATH | --token-env NAME | --secret-id ID) [options]

Checks that a 1Password Events API token can be used: reads its claims (host, event
types, expiry), asks the Events API who it is (GET /api/v2/auth/introspect), and prints
the account, the integration, the host and the event types it may read, or the precise
reason it cannot be used (expired, revoked, another region, missing event type).
The token itself is never printed.

${TOKEN_OPTIONS_HELP}

${URL_OPTIONS_HELP}

Options:
  --types LIST           event types the source needs, e.g. signinattempts,itemusages,auditevents;
                         a token without one of them is reported unusable (default: any)
  --timeout SECONDS      per request (default 10)
  --region REGION        AWS region of --secret-id (default: AWS_REGION / profile)
  --json                 print one JSON document instead of text
  -h, --help             show this help

Examples:
  op read "op://Security/Events token/credential" | op-events-archive check-token --token-stdin
  op-events-archive check-token --secret-id op-events/prod --types signinattempts,itemusages,auditevents

${EXIT_CODES_HELP}
`;

export interface CheckTokenOptions {
  readonly token: TokenChoice;
  readonly url: string | undefined;
  readonly allowCustomUrl: boolean;
  readonly requiredTypes: EventType[] | undefined;
  readonly timeoutMs: number;
  readonly region: string | undefined;
  readonly json: boolean;
}

export function parseCheckTokenArgs(argv: string[]): CheckTokenOptions {
  const values = parseCommandLine('check-token', argv, {
    ...commonOptions,
    ...awsOptions,
    ...tokenOptions,
    url: { type: 'string' },
    'allow-custom-url': { type: 'boolean' },
    types: { type: 'string' },
    timeout: { type: 'string' },
  });
  return {
    token: requireTokenChoice(tokenChoice(values)),
    url: values.url,
    allowCustomUrl: values['allow-custom-url'] === true,
    requiredTypes: eventTypes(values.types, 'types'),
    timeoutMs: positiveInteger(values.timeout, 'timeout', 10, 300) * 1000,
    region: values.region,
    json: values.json === true,
  };
}

export interface CheckTokenDependencies {
  readonly io: CliIo;
  readonly aws: AwsClients;
  readonly fetch?: typeof fetch;
  readonly retry?: RetryPolicy;
}

/** Why a token cannot be used, as a stable code for scripts and a sentence for people. */
export interface TokenProblem {
  readonly code: 'expired' | 'wrong-host' | 'refused' | 'missing-event-types' | 'no-event-types';
  readonly message: string;
}

export interface TokenCheck {
  readonly usable: boolean;
  readonly apiUrl: string | undefined;
  readonly token: {
    readonly format: 'jwt' | 'opaque';
    readonly host: string | undefined;
    readonly eventTypes: EventType[] | undefined;
    readonly accountUuid: string | undefined;
    readonly integrationUuid: string | undefined;
    readonly issuedAt: string | undefined;
    readonly expiresAt: string | undefined;
  };
  readonly introspection:
    | {
        readonly integrationUuid: string;
        readonly accountUuid: string | undefined;
        readonly issuedAt: string;
        readonly features: string[];
      }
    | undefined;
  /** Event types the token may read (the API's answer when there is one, else the token's claim). */
  readonly eventTypes: EventType[];
  readonly missingEventTypes: EventType[];
  readonly problems: TokenProblem[];
}

const CHECK_RETRY: RetryPolicy = { baseDelayMs: 500, maxDelayMs: 4000, maxAttempts: 3 };

export async function checkToken(
  options: CheckTokenOptions,
  deps: CheckTokenDependencies,
): Promise<ExitCode> {
  const { io } = deps;
  const origin = describeTokenChoice(options.token);
  const { source: tokens, token } = await openTokenSource(options.token, io, () => deps.aws.secretsManager());
  const claims = decodeTokenClaims(token);
  const now = io.now();
  const problems: TokenProblem[] = [];

  if (claims?.expiresAt !== undefined && claims.expiresAt.getTime() <= now) {
    problems.push({
      code: 'expired',
      message: `the token expired at ${when(claims.expiresAt)}; create a new Events Reporting token in 1Password.`,
    });
  }
  let apiUrl: string | undefined;
  try {
    apiUrl = resolveApiUrl({ url: options.url, allowCustomUrl: options.allowCustomUrl, claims, origin });
  } catch (error) {
    if (!(error instanceof WrongHostError)) throw error;
    problems.push({ code: 'wrong-host', message: error.message });
  }

  let introspection: Introspection | undefined;
  if (apiUrl !== undefined && problems.length === 0) {
    const client = new EventsApiClient({
      baseUrl: apiUrl,
      tokens,
      budget: new RequestBudget(60, 600),
      sourceName: 'check-token',
      requestTimeoutMs: options.timeoutMs,
      retry: deps.retry ?? CHECK_RETRY,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
    });
    try {
      introspection = await client.introspect();
    } catch (error) {
      problems.push(...refusal(error, apiUrl, claims, now));
    }
  }

  const granted = introspection
    ? EVENT_TYPES.filter((type) => introspection.features.includes(type))
    : (claims?.eventTypes ?? []);
  const missing = (options.requiredTypes ?? []).filter((type) => !granted.includes(type));
  if (introspection && granted.length === 0) {
    problems.push({
      code: 'no-event-types',
      message:
        'the token may read no event type the archive knows; issue one with sign-in attempts, item usage and/or audit events.',
    });
  } else if (missing.length > 0) {
    problems.push({
      code: 'missing-event-types',
      message:
        `the token may not read ${missing.join(', ')} (it may read ${granted.join(', ') || 'nothing'}): ` +
        `issue a token that includes ${missing.join(', ')}, or drop ${missing.length === 1 ? 'it' : 'them'} from the source's eventTypes.`,
    });
  }

  const check: TokenCheck = {
    usable: problems.length === 0,
    apiUrl,
    token: {
      format: claims ? 'jwt' : 'opaque',
      host: claims?.host,
      eventTypes: claims?.eventTypes,
      accountUuid: claims?.accountUuid,
      integrationUuid: claims?.integrationUuid,
      issuedAt: claims?.issuedAt?.toISOString(),
      expiresAt: claims?.expiresAt?.toISOString(),
    },
    introspection: introspection && {
      integrationUuid: introspection.uuid,
      accountUuid: introspection.account_uuid,
      issuedAt: introspection.issued_at,
      features: introspection.features,
    },
    eventTypes: granted,
    missingEventTypes: missing,
    problems,
  };
  io.stdout.write(options.json ? toJson(check) : render(check, origin));
  return check.usable ? ExitCode.ok : ExitCode.problems;
}

/** Turns an introspect failure into the reason the token can't be used, or rethrows what is not about the token. */
function refusal(
  error: unknown,
  apiUrl: string,
  claims: TokenClaims | undefined,
  now: number,
): TokenProblem[] {
  if (error instanceof EventsApiError && error.kind === 'auth') {
    const expired = claims?.expiresAt !== undefined && claims.expiresAt.getTime() <= now + 60_000;
    return [
      {
        code: expired ? 'expired' : 'refused',
        message:
          `the Events API at ${apiUrl} refused the token (HTTP ${error.status ?? 401}): ` +
          (expired
            ? 'it has expired. '
            : 'it was revoked, or it belongs to another 1Password account than this host serves. ') +
          'Create a new Events Reporting token in 1Password (Integrations > Events Reporting).',
      },
    ];
  }
  if (error instanceof RequestRejectedError) {
    throw new ConfigError(
      `${apiUrl} answered GET /api/v2/auth/introspect with HTTP ${error.status ?? '4xx'}: it does not look like the ` +
        '1Password Events API; check --url.',
      { cause: error },
    );
  }
  const reason = error instanceof Error ? error.message.replace(/^source check-token: /, '') : String(error);
  throw new CliFailure(
    `could not ask the Events API at ${apiUrl} about the token: ${reason} Check the network and try again.`,
    ExitCode.failure,
    { cause: error },
  );
}

function render(check: TokenCheck, origin: string): string {
  const { token } = check;
  const lines: string[] = [];
  lines.push(`Token (${origin.replace(/^the token /, '')})`);
  lines.push(
    fields(
      [
        ['format', token.format === 'jwt' ? 'JWT' : 'not a JWT (its claims cannot be read)'],
        ['issued for', token.host ?? '-'],
        ['event types', token.eventTypes?.join(', ') || '-'],
        ['account', token.accountUuid ?? '-'],
        ['integration', token.integrationUuid ?? '-'],
        ['issued', token.issuedAt ? when(token.issuedAt) : '-'],
        ['expires', token.format === 'jwt' ? (token.expiresAt ? when(token.expiresAt) : 'never') : '-'],
      ],
      '  ',
    ),
  );
  lines.push('');
  if (check.introspection) {
    lines.push(`Events API ${check.apiUrl} (GET /api/v2/auth/introspect)`);
    lines.push(
      fields(
        [
          ['account', check.introspection.accountUuid ?? '(not reported)'],
          ['integration', check.introspection.integrationUuid],
          ['issued', when(check.introspection.issuedAt)],
          ['may read', check.eventTypes.join(', ') || 'nothing'],
        ],
        '  ',
      ),
    );
    const unknown = check.introspection.features.filter((feature) => !isEventType(feature));
    if (unknown.length > 0) lines.push(`  (also: ${unknown.join(', ')}, not archived by this connector)`);
    lines.push('');
  }
  if (check.usable) {
    lines.push(`OK: the token can read ${check.eventTypes.join(', ')} on ${check.apiUrl}.`);
  } else {
    lines.push('NOT USABLE:');
    for (const problem of check.problems) lines.push(`  - ${problem.code}: ${problem.message}`);
  }
  return `${lines.join('\n')}\n`;
}
