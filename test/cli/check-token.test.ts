import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../dev/local/secrets-manager';
import { type Simulator, startSimulator } from '../../dev/simulator/index';
import { cli, temporaryDir } from './support';

describe('check-token', () => {
  let sim: Simulator;
  let secrets: LocalSecretsManager;
  let dir: string;
  beforeAll(async () => {
    [sim, secrets] = await Promise.all([startSimulator({ rateLimit: false }), startLocalSecretsManager()]);
    dir = temporaryDir('check-token');
    // The SDK reads its endpoint variables from the process environment.
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  });
  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    await Promise.all([sim.close(), secrets.close()]);
  });

  function tokenFile(token: string): string {
    const path = join(dir, `token-${Math.random().toString(36).slice(2)}.txt`);
    writeFileSync(path, `${token}\n`);
    return path;
  }

  /** Checks a token against the simulator; every case also proves the token is never printed. */
  async function check(token: string, args: string[] = []) {
    const result = await cli([
      'check-token',
      '--token-file',
      tokenFile(token),
      '--allow-custom-url',
      ...args,
    ]);
    const signature = token.split('.')[2] ?? token;
    expect(result.stdout + result.stderr).not.toContain(signature);
    return result;
  }

  it('prints the account, integration, host and event types of a working token', async () => {
    const token = sim.mintToken();

    const { code, stdout } = await check(token);

    expect(code).toBe(0);
    expect(stdout).toContain(`issued for   ${new URL(sim.url).host}`);
    expect(stdout).toContain(`account      ${sim.accountUuid}`);
    expect(stdout).toMatch(/integration {2}[A-Z2-7]{26}/);
    expect(stdout).toContain('expires      never');
    expect(stdout).toContain('may read     signinattempts, itemusages, auditevents');
    expect(stdout).toContain(`OK: the token can read signinattempts, itemusages, auditevents on ${sim.url}.`);
  });

  it('answers scripts in JSON', async () => {
    const token = sim.mintToken({ features: ['itemusages'] });

    const { code, json } = await check(token, ['--json']);

    expect(code).toBe(0);
    expect(json()).toMatchObject({
      usable: true,
      apiUrl: sim.url,
      token: { format: 'jwt', eventTypes: ['itemusages'], accountUuid: sim.accountUuid },
      introspection: { accountUuid: sim.accountUuid, features: ['itemusages'] },
      eventTypes: ['itemusages'],
      problems: [],
    });
  });

  it('says a revoked token was refused, and exits 1', async () => {
    const token = sim.mintToken();
    sim.revokeToken(token);

    const { code, stdout } = await check(token, ['--json']);

    expect(code).toBe(1);
    const [problem] = JSON.parse(stdout).problems;
    expect(problem.code).toBe('refused');
    expect(problem.message).toMatch(/refused the token \(HTTP 401\): it was revoked/);
  });

  it('says an expired token expired, without sending it', async () => {
    const token = sim.mintToken({ issuedAt: Date.now() - 7_200_000, expiresAt: Date.now() - 3_600_000 });
    const before = sim.stats.requests;

    const { code, stdout } = await check(token);

    expect(code).toBe(1);
    expect(stdout).toMatch(
      /NOT USABLE:\n {2}- expired: the token expired at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/,
    );
    expect(sim.stats.requests).toBe(before);
  });

  it('names the region a token belongs to when the URL is another one, without sending it', async () => {
    const token = sim.mintToken({ aud: 'events.ent.1password.com' });
    const before = sim.stats.requests;

    const { code, stdout } = await check(token, ['--url', sim.url, '--json']);

    expect(code).toBe(1);
    const [problem] = JSON.parse(stdout).problems;
    expect(problem.code).toBe('wrong-host');
    expect(problem.message).toContain(
      'was issued for events.ent.1password.com, but --url is http://127.0.0.1',
    );
    expect(problem.message).toContain('Use --url https://events.ent.1password.com');
    expect(sim.stats.requests).toBe(before);
  });

  it('names the event types a token lacks', async () => {
    const token = sim.mintToken({ features: ['itemusages', 'signinattempts'] });

    const { code, stdout } = await check(token, ['--types', 'itemusages,auditevents']);

    expect(code).toBe(1);
    expect(stdout).toContain('may read     signinattempts, itemusages');
    expect(stdout).toContain('- missing-event-types: the token may not read auditevents');
  });

  it('reads the token from stdin, an environment variable, or Secrets Manager', async () => {
    const token = sim.mintToken();
    secrets.put('prod-token', JSON.stringify({ token }));
    const env = { OP_TOKEN: token };

    const results = await Promise.all([
      cli(['check-token', '--token-stdin', '--allow-custom-url'], { stdin: `${token}\n` }),
      cli(['check-token', '--token-env', 'OP_TOKEN', '--allow-custom-url'], { env }),
      cli(['check-token', '--secret-id', 'prod-token', '--allow-custom-url'], { env }),
    ]);

    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(results[2]?.stdout).toContain('Token (in secret prod-token)');
  });

  it('names the secret and what to put in it when the secret is empty', async () => {
    secrets.put('empty-token', '');

    const { code, stderr } = await cli(['check-token', '--secret-id', 'empty-token']);

    expect(code).toBe(2);
    expect(stderr).toContain(
      '--secret-id: secret empty-token is empty; put the 1Password Events Reporting token in it',
    );
  });

  it.each([
    ['--token', (t: string) => ['--token', t]],
    ['--token=', (t: string) => [`--token=${t}`]],
    ['a positional argument', (t: string) => [t]],
    ['the value of another option', (t: string) => ['--url', t]],
  ])('refuses a token given as %s, without echoing it', async (_case, args) => {
    const token = sim.mintToken();

    const { code, stdout, stderr } = await cli(['check-token', ...args(token)]);

    expect(code).toBe(2);
    expect(stderr).toMatch(/refusing a token on the command line|unexpected argument \(not shown here\)/);
    expect(stdout + stderr).not.toContain(token.split('.')[2]);
  });

  it('refuses a token file saved as UTF-16, saying so, without sending or echoing the token', async () => {
    const token = sim.mintToken();
    const path = join(dir, 'token-utf16.txt');
    writeFileSync(path, `\ufeff${token}\r\n`, 'utf16le');
    const before = sim.stats.requests;

    const { code, stdout, stderr } = await cli(['check-token', '--token-file', path, '--allow-custom-url']);

    expect(code).toBe(2);
    expect(stderr).toContain(`the token in file ${path} contains`);
    expect(stderr).toContain('was the file saved as UTF-16?');
    expect(stdout + stderr).not.toContain(token.split('.')[2]);
    expect(stdout + stderr).not.toContain(token.slice(0, 12));
    expect(sim.stats.requests).toBe(before);
  });

  it('refuses a token with a control character from stdin or a variable, saying where it is', async () => {
    const token = sim.mintToken();
    const spoiled = `${token.slice(0, 20)}\u0007${token.slice(20)}`;

    const results = await Promise.all([
      cli(['check-token', '--token-stdin', '--allow-custom-url'], { stdin: spoiled }),
      cli(['check-token', '--token-env', 'OP_TOKEN', '--allow-custom-url'], { env: { OP_TOKEN: spoiled } }),
    ]);

    for (const { code, stdout, stderr } of results) {
      expect(code).toBe(2);
      expect(stderr).toContain('contains a control character (U+0007) at position 21');
      expect(stdout + stderr).not.toContain(token.split('.')[2]);
      expect(stdout + stderr).not.toContain(token.slice(0, 12));
    }
  });

  it('refuses to send the token to a host outside 1Password unless allowed', async () => {
    const before = sim.stats.requests;

    const { code, stderr } = await cli(['check-token', '--token-file', tokenFile(sim.mintToken())]);

    expect(code).toBe(2);
    expect(stderr).toContain('which is not a 1Password Events API host');
    expect(sim.stats.requests).toBe(before);
  });

  it('exits 3 when the Events API cannot be reached', async () => {
    const closed = await startSimulator();
    const token = closed.mintToken();
    await closed.close();

    const { code, stderr } = await check(token);

    expect(code).toBe(3);
    expect(stderr).toMatch(
      /could not ask the Events API at http:\/\/127\.0\.0\.1:\d+ about the token: .*Check the network/,
    );
  });

  it('explains what to pass when no token is given', async () => {
    const { code, stderr } = await cli(['check-token']);

    expect(code).toBe(2);
    expect(stderr).toContain(
      'no token given: pass it with --token-stdin, --token-file PATH, --token-env NAME or --secret-id ID',
    );
  });
});
