import { ConfigError } from '../../lambdas/shared/errors';
import {
  ALLOWED_EVENTS_API_HOSTS,
  decodeTokenClaims,
  resolveEventsApiUrl,
  type TokenClaims,
} from '../../lambdas/shared/token/claims';

const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod-token';

/** A JWT-shaped token with the given payload; the signature is not checked by anyone here. */
function jwt(payload: unknown): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  return `${encode({ alg: 'ES256', kid: 'k1', typ: 'JWT' })}.${encode(payload)}.c2lnbmF0dXJl`;
}

function claimsFor(host: string | undefined): TokenClaims {
  return {
    host,
    eventTypes: ['itemusages'],
    accountUuid: undefined,
    integrationUuid: undefined,
    issuedAt: undefined,
    expiresAt: undefined,
  };
}

describe('decodeTokenClaims', () => {
  it('reads the host from the first audience, the event types, the account and the times', () => {
    // Prepare
    const token = jwt({
      '1password.com/auuid': '4HCGRGYCTRQFBMGVEGTABYDU2V',
      '1password.com/fts': ['auditevents', 'itemusages', 'signinattempts'],
      aud: ['events.1password.eu', 'ignored.example.com'],
      iat: 1_718_000_000,
      exp: 1_718_003_600,
      iss: 'com.1password.b5',
      sub: 'ZV6Y4MHQBBF3VEDMOS2RC4CZUA',
    });

    // Act
    const claims = decodeTokenClaims(token);

    // Assess
    expect(claims).toEqual({
      host: 'events.1password.eu',
      eventTypes: ['auditevents', 'itemusages', 'signinattempts'],
      accountUuid: '4HCGRGYCTRQFBMGVEGTABYDU2V',
      integrationUuid: 'ZV6Y4MHQBBF3VEDMOS2RC4CZUA',
      issuedAt: new Date(1_718_000_000_000),
      expiresAt: new Date(1_718_003_600_000),
    });
  });

  it('reads an audience given as a plain string', () => {
    expect(decodeTokenClaims(jwt({ aud: 'events.ent.1password.com' }))?.host).toBe(
      'events.ent.1password.com',
    );
  });

  it('keeps only the event types it knows, in the token order', () => {
    const claims = decodeTokenClaims(
      jwt({ aud: ['events.1password.com'], '1password.com/fts': ['itemusages', 'reports', 'auditevents'] }),
    );

    expect(claims?.eventTypes).toEqual(['itemusages', 'auditevents']);
  });

  it('leaves the event types undefined when the token does not list any', () => {
    expect(decodeTokenClaims(jwt({ aud: ['events.1password.com'] }))?.eventTypes).toBeUndefined();
  });

  it('reports no host for the legacy audience com.1password.streamingservice', () => {
    const claims = decodeTokenClaims(
      jwt({ aud: ['com.1password.streamingservice'], '1password.com/fts': ['signinattempts'] }),
    );

    expect(claims).toBeDefined();
    expect(claims?.host).toBeUndefined();
    expect(claims?.eventTypes).toEqual(['signinattempts']);
  });

  it('reports no host when the audience is missing or empty', () => {
    expect(decodeTokenClaims(jwt({ sub: 'x' }))?.host).toBeUndefined();
    expect(decodeTokenClaims(jwt({ aud: [] }))?.host).toBeUndefined();
  });

  it('keeps claims it does not know without failing', () => {
    expect(decodeTokenClaims(jwt({ aud: ['events.1password.com'], 'x-new-claim': { a: 1 } }))?.host).toBe(
      'events.1password.com',
    );
  });

  it.each([
    ['an opaque token', 'ops_eyJzaWduSW5BZGRyZXNzIjoibXkuMXBhc3N3b3JkLmNvbSJ9'],
    ['two parts', 'aaa.bbb'],
    ['four parts', 'a.b.c.d'],
    ['an empty payload', 'aaa..ccc'],
    ['a payload that is not JSON', `aaa.${Buffer.from('not json').toString('base64url')}.ccc`],
    ['a payload that is JSON but not an object', jwt(['events.1password.com'])],
    ['a payload that is null', jwt(null)],
    ['an empty string', ''],
  ])('returns undefined for %s', (_label, token) => {
    expect(decodeTokenClaims(token)).toBeUndefined();
  });
});

describe('resolveEventsApiUrl', () => {
  it('derives the https URL from the host the token was issued for', () => {
    // Act
    const url = resolveEventsApiUrl({
      configuredUrl: undefined,
      allowCustomUrl: false,
      claims: claimsFor('events.1password.ca'),
      secretId: SECRET_ID,
    });

    // Assess
    expect(url).toBe('https://events.1password.ca');
  });

  it.each(ALLOWED_EVENTS_API_HOSTS)('allows the published host %s', (host) => {
    expect(
      resolveEventsApiUrl({
        configuredUrl: undefined,
        allowCustomUrl: false,
        claims: claimsFor(host),
        secretId: SECRET_ID,
      }),
    ).toBe(`https://${host}`);
  });

  it('refuses a token host outside the allow-list, naming the allow-list and not the token', () => {
    // Prepare
    const token = jwt({ aud: ['evil.example.com'], '1password.com/fts': ['itemusages'] });
    const claims = decodeTokenClaims(token);

    // Act
    const act = () =>
      resolveEventsApiUrl({ configuredUrl: undefined, allowCustomUrl: false, claims, secretId: SECRET_ID });

    // Assess
    expect(act).toThrow(ConfigError);
    const message = messageOf(act);
    expect(message).toContain('https://evil.example.com');
    for (const host of ALLOWED_EVENTS_API_HOSTS) expect(message).toContain(`https://${host}`);
    expect(message).toContain('ALLOW_CUSTOM_EVENTS_API_URL');
    expect(message).toContain(SECRET_ID);
    expect(message).not.toContain(token);
    expect(message).not.toContain(token.split('.')[1] as string);
  });

  it('refuses a configured URL outside the allow-list', () => {
    const act = () =>
      resolveEventsApiUrl({
        configuredUrl: 'https://evil.example.com',
        allowCustomUrl: false,
        claims: undefined,
        secretId: SECRET_ID,
      });

    expect(act).toThrow(ConfigError);
    expect(messageOf(act)).toContain('EVENTS_API_URL points at https://evil.example.com');
  });

  it('refuses an allowed host on another port or with a path', () => {
    for (const configuredUrl of ['https://events.1password.com:8443', 'https://events.1password.com/proxy']) {
      expect(() =>
        resolveEventsApiUrl({ configuredUrl, allowCustomUrl: false, claims: undefined, secretId: SECRET_ID }),
      ).toThrow(ConfigError);
    }
  });

  it('refuses a token audience that smuggles another host in with userinfo', () => {
    expect(() =>
      resolveEventsApiUrl({
        configuredUrl: undefined,
        allowCustomUrl: false,
        claims: claimsFor('events.1password.com@evil.example.com'),
        secretId: SECRET_ID,
      }),
    ).toThrow(ConfigError);
  });

  it('allows any host when custom URLs are allowed', () => {
    expect(
      resolveEventsApiUrl({
        configuredUrl: undefined,
        allowCustomUrl: true,
        claims: claimsFor('simulator.internal:9000'),
        secretId: SECRET_ID,
      }),
    ).toBe('https://simulator.internal:9000');
  });

  it('uses http for a local token host when custom URLs are allowed', () => {
    expect(
      resolveEventsApiUrl({
        configuredUrl: undefined,
        allowCustomUrl: true,
        claims: claimsFor('127.0.0.1:8123'),
        secretId: SECRET_ID,
      }),
    ).toBe('http://127.0.0.1:8123');
  });

  it('uses a configured URL that agrees with the token host', () => {
    expect(
      resolveEventsApiUrl({
        configuredUrl: 'https://events.1password.com',
        allowCustomUrl: false,
        claims: claimsFor('events.1password.com'),
        secretId: SECRET_ID,
      }),
    ).toBe('https://events.1password.com');
  });

  it('uses a configured URL for a legacy token that names no host', () => {
    expect(
      resolveEventsApiUrl({
        configuredUrl: 'https://events.ent.1password.com',
        allowCustomUrl: false,
        claims: claimsFor(undefined),
        secretId: SECRET_ID,
      }),
    ).toBe('https://events.ent.1password.com');
  });

  it('refuses a configured URL for another region than the token, naming both hosts', () => {
    // Act
    const act = () =>
      resolveEventsApiUrl({
        configuredUrl: 'https://events.1password.com',
        allowCustomUrl: false,
        claims: claimsFor('events.1password.eu'),
        secretId: SECRET_ID,
      });

    // Assess
    expect(act).toThrow(ConfigError);
    const message = messageOf(act);
    expect(message).toContain('https://events.1password.com');
    expect(message).toContain('events.1password.eu');
    expect(message).toContain(SECRET_ID);
  });

  it('refuses a disagreeing configured URL even when custom URLs are allowed', () => {
    expect(() =>
      resolveEventsApiUrl({
        configuredUrl: 'http://127.0.0.1:9000',
        allowCustomUrl: true,
        claims: claimsFor('events.1password.com'),
        secretId: SECRET_ID,
      }),
    ).toThrow(ConfigError);
  });

  it('asks for EVENTS_API_URL when a legacy token names no host and none is configured', () => {
    // Prepare
    const claims = decodeTokenClaims(jwt({ aud: ['com.1password.streamingservice'] }));

    // Act
    const act = () =>
      resolveEventsApiUrl({ configuredUrl: undefined, allowCustomUrl: false, claims, secretId: SECRET_ID });

    // Assess
    expect(act).toThrow(ConfigError);
    expect(messageOf(act)).toContain('set EVENTS_API_URL');
    expect(messageOf(act)).toContain(SECRET_ID);
  });

  it('asks for EVENTS_API_URL when the token is not a JWT and none is configured', () => {
    expect(() =>
      resolveEventsApiUrl({
        configuredUrl: undefined,
        allowCustomUrl: false,
        claims: undefined,
        secretId: SECRET_ID,
      }),
    ).toThrow('set EVENTS_API_URL');
  });

  it('refuses plain http to an allowed host unless custom URLs are allowed', () => {
    expect(() =>
      resolveEventsApiUrl({
        configuredUrl: 'http://events.1password.com',
        allowCustomUrl: false,
        claims: undefined,
        secretId: SECRET_ID,
      }),
    ).toThrow(ConfigError);
    expect(
      resolveEventsApiUrl({
        configuredUrl: 'http://events.1password.com',
        allowCustomUrl: true,
        claims: undefined,
        secretId: SECRET_ID,
      }),
    ).toBe('http://events.1password.com');
  });

  it('trims trailing slashes from a configured URL', () => {
    expect(
      resolveEventsApiUrl({
        configuredUrl: 'https://events.1password.com//',
        allowCustomUrl: false,
        claims: undefined,
        secretId: SECRET_ID,
      }),
    ).toBe('https://events.1password.com');
    expect(
      resolveEventsApiUrl({
        configuredUrl: 'http://127.0.0.1:9000/simulator/',
        allowCustomUrl: true,
        claims: undefined,
        secretId: SECRET_ID,
      }),
    ).toBe('http://127.0.0.1:9000/simulator');
  });

  // The allow-list check looks at protocol, host and path only, and the configured string is
  // returned as given: the client then appends `/api/v2/<stream>` after the query string.
  it('refuses (or drops) a query string on a configured URL', () => {
    let url: string | undefined;
    try {
      url = resolveEventsApiUrl({
        configuredUrl: 'https://events.1password.com/?x=1',
        allowCustomUrl: false,
        claims: undefined,
        secretId: SECRET_ID,
      });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return;
    }
    expect(`${url}/api/v2/itemusages`).toBe('https://events.1password.com/api/v2/itemusages');
  });

  it('raises a ConfigError, not a TypeError, for a token audience that is not a host name', () => {
    expect(() =>
      resolveEventsApiUrl({
        configuredUrl: undefined,
        allowCustomUrl: false,
        claims: claimsFor('events 1password.com'),
        secretId: SECRET_ID,
      }),
    ).toThrow(ConfigError);
  });
});

function messageOf(act: () => unknown): string {
  try {
    act();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
}
