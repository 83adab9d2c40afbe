import { inspect } from 'node:util';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { CollectorRunError } from '../../lambdas/collector/collector';
import { AuthError, ConfigError, SecretError } from '../../lambdas/shared/errors';
import { SECRET_ID, SOURCE, startEnvironment, type TestEnvironment, uuidsOf } from '../support/environment';

describe('collector with bad tokens and secrets', () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await startEnvironment();
    const now = Date.now();
    for (const stream of ['signinattempts', 'itemusages', 'auditevents'] as const) {
      env.sim.generate(stream, 300, { from: now - 86_400_000, to: now });
    }
  });
  afterEach(() => env.close());

  async function archiveKeys(): Promise<string[]> {
    const listing = await env.aws.clients.s3.send(new ListObjectsV2Command({ Bucket: env.aws.bucket }));
    return (listing.Contents ?? []).map((object) => object.Key ?? '');
  }

  async function stateItems(): Promise<Array<Record<string, unknown>>> {
    const { Items } = await env.aws.clients.documents.send(new ScanCommand({ TableName: env.aws.tableName }));
    return Items ?? [];
  }

  it('fails with an auth error naming the source when the token was revoked, and writes nothing', async () => {
    env.sim.revokeToken(env.token);

    const run = (await env.run()) as CollectorRunError;

    expect(run).toBeInstanceOf(Error);
    expect(run.message).toMatch(/^source acme: 3 of 3 streams failed/);
    expect(run.message).toMatch(/refused the token .*HTTP 401/);
    expect(run.cause).toBeInstanceOf(AuthError);
    expect(env.metrics.runs).toMatchObject([{ source: SOURCE, eventsArchived: 0, authFailures: 3 }]);
    expect(await archiveKeys()).toEqual([]);
    expect((await stateItems()).filter((item) => item.cursor !== undefined)).toEqual([]);
  });

  it('re-reads the secret once after a 401 and goes on with a rotated token', async () => {
    const deps = env.dependencies();
    await deps.tokens.getToken(); // cached by the warm container
    const rotated = env.sim.mintToken();
    env.sim.revokeToken(env.token);
    env.aws.secrets.put(SECRET_ID, rotated);

    const summary = await env.run({ overrides: { tokens: deps.tokens } });

    expect(summary).not.toBeInstanceOf(Error);
    expect(uuidsOf(await env.archived('itemusages'))).toHaveLength(300);
  });

  it('reads only the event types the token grants when EVENT_TYPES is not set', async () => {
    env.aws.secrets.put(SECRET_ID, env.sim.mintToken({ features: ['itemusages'] }));

    const summary = await env.run();

    if (summary instanceof Error) throw summary;
    expect(summary.streams.map((s) => s.stream)).toEqual(['itemusages']);
  });

  it('fails only the stream the token may not read when EVENT_TYPES asks for it', async () => {
    env.aws.secrets.put(SECRET_ID, env.sim.mintToken({ features: ['itemusages', 'signinattempts'] }));

    const run = (await env.run({ env: { EVENT_TYPES: 'itemusages,auditevents' } })) as CollectorRunError;

    expect(run.message).toMatch(/1 of 2 streams failed: auditevents: .*lacks the "auditevents" event type/);
    expect(run.summary.streams.find((s) => s.stream === 'itemusages')).toMatchObject({
      status: 'ok',
      eventsArchived: 300,
    });
  });

  it.each([
    ['does not exist', () => env.aws.secrets.delete(SECRET_ID), /does not exist or has no value yet/],
    ['has no value', () => env.aws.secrets.put(SECRET_ID, undefined), /does not exist or has no value yet/],
    ['is empty', () => env.aws.secrets.put(SECRET_ID, ''), /is empty/],
    [
      'is JSON without a token',
      () => env.aws.secrets.put(SECRET_ID, '{"tokn":"x"}'),
      /JSON without a non-empty "token"/,
    ],
  ])(
    'names the secret and what to put in it when the secret %s, and writes nothing',
    async (_case, spoil, reason) => {
      spoil();

      const run = (await env.run()) as CollectorRunError;

      expect(run.cause).toBeInstanceOf(SecretError);
      expect(run.message).toContain(`secret ${SECRET_ID}`);
      expect(run.message).toMatch(reason);
      expect(run.message).toContain('put-secret-value');
      expect(env.metrics.runs).toMatchObject([{ source: SOURCE, eventsArchived: 0, authFailures: 1 }]);
      expect(await archiveKeys()).toEqual([]);
      expect(await stateItems()).toEqual([]);
    },
  );

  it('names the secret and the problem when its token holds a control character, never the token', async () => {
    const spoiled = `${env.token.slice(0, 30)}\u0000${env.token.slice(30)}`;
    env.aws.secrets.put(SECRET_ID, JSON.stringify({ token: spoiled }));

    const run = (await env.run()) as CollectorRunError;

    expect(run.cause).toBeInstanceOf(SecretError);
    expect(run.message).toContain(
      `secret ${SECRET_ID}: its token contains a control character (U+0000) at position 31`,
    );
    expect(run.message).toContain('put-secret-value');
    expect(env.sim.stats.requests).toBe(0);
    const everything = [run.message, inspect(run, { depth: 10 }), env.log.text()].join('\n');
    for (const part of [env.token.slice(0, 30), env.token.slice(30), env.token.split('.')[2] as string]) {
      expect(everything).not.toContain(part);
    }
  });

  it('keeps the token out of errors, logs, the summary and the state table when fetch quotes it', async () => {
    // undici refuses a bad header with the whole value in its message; any fetch error might quote it.
    const fetch: typeof globalThis.fetch = async (_input, init) => {
      const authorization = new Headers(init?.headers).get('authorization');
      throw new TypeError('fetch failed', {
        cause: new Error(`Headers.append: "${authorization}" is an invalid header value.`),
      });
    };

    const run = (await env.run({
      overrides: { fetch, retry: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 2 } },
    })) as CollectorRunError;

    expect(run).toBeInstanceOf(Error);
    expect(run.message).toMatch(/3 of 3 streams failed: .*is an invalid header value/);
    expect(run.message).toContain('Bearer [token]');
    const everything = [
      run.message,
      inspect(run, { depth: 10 }),
      JSON.stringify(run.summary),
      env.log.text(),
      JSON.stringify(await stateItems()),
    ].join('\n');
    expect(env.log.lines.filter((line) => line.message.startsWith('Events API request failed'))).toHaveLength(
      6,
    );
    for (const part of [env.token, env.token.split('.')[2] as string]) expect(everything).not.toContain(part);
  });

  it('refuses to send the token to a host outside 1Password unless allowed', async () => {
    const run = (await env.run({ env: { ALLOW_CUSTOM_EVENTS_API_URL: 'false' } })) as CollectorRunError;

    expect(run.cause).toBeInstanceOf(ConfigError);
    expect(run.message).toMatch(
      /EVENTS_API_URL points at http:\/\/127\.0\.0\.1:\d+, which is not a 1Password Events API host/,
    );
    expect(env.sim.stats.requests).toBe(0);
  });

  it('refuses a URL of another region than the token was issued for', async () => {
    env.aws.secrets.put(SECRET_ID, env.sim.mintToken({ aud: 'events.ent.1password.com' }));

    const run = (await env.run({
      env: { EVENTS_API_URL: 'https://events.1password.eu', ALLOW_CUSTOM_EVENTS_API_URL: 'false' },
    })) as CollectorRunError;

    expect(run.message).toMatch(
      /EVENTS_API_URL is https:\/\/events\.1password\.eu but the token .* was issued for events\.ent\.1password\.com/,
    );
    expect(env.sim.stats.requests).toBe(0);
  });

  it('refuses to move a stream to another host than the one its cursor came from', async () => {
    const first = await env.run({ env: { EVENT_TYPES: 'auditevents' } });
    // The same simulator reached under another name is another host as far as a cursor is concerned.
    const elsewhere = env.sim.url.replace('127.0.0.1', 'localhost');
    env.aws.secrets.put(SECRET_ID, env.sim.mintToken({ aud: new URL(elsewhere).host }));

    const run = (await env.run({
      env: { EVENT_TYPES: 'auditevents', EVENTS_API_URL: elsewhere },
    })) as CollectorRunError;

    expect(first).not.toBeInstanceOf(Error);
    expect(run.message).toMatch(
      /its cursor came from http:\/\/127\.0\.0\.1:\d+ but the collector now talks to http:\/\/localhost/,
    );
  });
});
