import {
  DecryptionFailure,
  GetSecretValueCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../dev/local/aws';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../dev/local/secrets-manager';
import { SecretError } from '../../lambdas/shared/errors';
import {
  bearerTokenProblem,
  parseTokenSecret,
  SecretsManagerTokenSource,
} from '../../lambdas/shared/token/provider';

const SECRET_ID = 'prod-token';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJhdWQiOlsiZXZlbnRzLjFwYXNzd29yZC5jb20iXX0.c2lnbmF0dXJl';

/** The SecretError a promise rejects with; fails the test when it resolves. */
async function secretErrorOf(promise: Promise<unknown>): Promise<SecretError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SecretError);
    return error as SecretError;
  }
  throw new Error('expected a SecretError');
}

describe('SecretsManagerTokenSource against a local Secrets Manager', () => {
  let secrets: LocalSecretsManager;
  let client: SecretsManagerClient;

  beforeAll(async () => {
    secrets = await startLocalSecretsManager();
    client = new SecretsManagerClient({
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      endpoint: secrets.endpoint,
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    client.destroy();
    await secrets.close();
  });

  beforeEach(() => {
    secrets.delete(SECRET_ID);
  });

  it('reads a secret that holds the raw token', async () => {
    // Prepare
    secrets.put(SECRET_ID, TOKEN);
    const source = new SecretsManagerTokenSource(client, SECRET_ID);

    // Act
    const token = await source.getToken();

    // Assess
    expect(token).toBe(TOKEN);
  });

  it('reads a secret that holds JSON {"token": ...}', async () => {
    secrets.put(SECRET_ID, JSON.stringify({ token: TOKEN, note: 'prod account' }));

    await expect(new SecretsManagerTokenSource(client, SECRET_ID).getToken()).resolves.toBe(TOKEN);
  });

  it('trims whitespace and line breaks around the token', async () => {
    secrets.put(SECRET_ID, `  ${TOKEN}\n`);

    await expect(new SecretsManagerTokenSource(client, SECRET_ID).getToken()).resolves.toBe(TOKEN);
  });

  it('finds the secret by ARN as well as by name', async () => {
    secrets.put(SECRET_ID, TOKEN);
    const arn = `arn:aws:secretsmanager:us-east-1:000000000000:secret:${SECRET_ID}`;

    await expect(new SecretsManagerTokenSource(client, arn).getToken()).resolves.toBe(TOKEN);
  });

  it('names the secret and how to fill it when the secret is empty', async () => {
    // Prepare
    secrets.put(SECRET_ID, '   ');

    // Act
    const error = await secretErrorOf(new SecretsManagerTokenSource(client, SECRET_ID).getToken());

    // Assess
    expect(error.message).toContain(`secret ${SECRET_ID} is empty`);
    expect(error.message).toContain(`put-secret-value --secret-id ${SECRET_ID}`);
  });

  it('names the secret when it does not exist', async () => {
    const error = await secretErrorOf(new SecretsManagerTokenSource(client, 'missing-token').getToken());

    expect(error.message).toContain('TOKEN_SECRET_ID');
    expect(error.message).toContain('secret missing-token does not exist or has no value yet');
    expect(error.message).toContain('put-secret-value --secret-id missing-token');
    expect((error.cause as Error).name).toBe('ResourceNotFoundException');
  });

  it('names the secret when it exists with no value yet', async () => {
    secrets.put(SECRET_ID, undefined);

    const error = await secretErrorOf(new SecretsManagerTokenSource(client, SECRET_ID).getToken());

    expect(error.message).toContain(`secret ${SECRET_ID} does not exist or has no value yet`);
  });

  it('reads the secret once and serves later calls from memory', async () => {
    // Prepare
    secrets.put(SECRET_ID, TOKEN);
    const source = new SecretsManagerTokenSource(client, SECRET_ID);
    const before = secrets.reads;

    // Act
    const first = await source.getToken();
    const second = await source.getToken();

    // Assess
    expect([first, second]).toEqual([TOKEN, TOKEN]);
    expect(secrets.reads - before).toBe(1);
  });

  it('shares one read among concurrent callers', async () => {
    secrets.put(SECRET_ID, TOKEN);
    const source = new SecretsManagerTokenSource(client, SECRET_ID);
    const before = secrets.reads;

    const tokens = await Promise.all([source.getToken(), source.getToken(), source.getToken()]);

    expect(tokens).toEqual([TOKEN, TOKEN, TOKEN]);
    expect(secrets.reads - before).toBe(1);
  });

  it('does not cache a failed read, so a secret filled later is picked up', async () => {
    // Prepare
    const source = new SecretsManagerTokenSource(client, SECRET_ID);
    const before = secrets.reads;
    await secretErrorOf(source.getToken());

    // Act
    secrets.put(SECRET_ID, TOKEN);
    const token = await source.getToken();

    // Assess
    expect(token).toBe(TOKEN);
    expect(secrets.reads - before).toBe(2);
  });

  it('returns the new token after a rejection when the secret was rotated', async () => {
    // Prepare
    secrets.put(SECRET_ID, 'old-token');
    const source = new SecretsManagerTokenSource(client, SECRET_ID);
    await source.getToken();
    secrets.put(SECRET_ID, 'new-token');

    // Act
    const fresh = await source.refreshAfterRejection('old-token');

    // Assess
    expect(fresh).toBe('new-token');
    const reads = secrets.reads;
    await expect(source.getToken()).resolves.toBe('new-token');
    expect(secrets.reads).toBe(reads);
  });

  it('returns undefined after a rejection when the secret still holds the rejected token', async () => {
    // Prepare
    secrets.put(SECRET_ID, 'revoked-token');
    const source = new SecretsManagerTokenSource(client, SECRET_ID);
    await source.getToken();
    const before = secrets.reads;

    // Act
    const fresh = await source.refreshAfterRejection('revoked-token');

    // Assess
    expect(fresh).toBeUndefined();
    expect(secrets.reads - before).toBe(1);
  });

  it('raises the secret error from a refresh when the secret was deleted meanwhile', async () => {
    secrets.put(SECRET_ID, 'old-token');
    const source = new SecretsManagerTokenSource(client, SECRET_ID);
    await source.getToken();
    secrets.delete(SECRET_ID);

    const error = await secretErrorOf(source.refreshAfterRejection('old-token'));

    expect(error.message).toContain(SECRET_ID);
  });
});

describe('SecretsManagerTokenSource with AWS faults', () => {
  const client = new SecretsManagerClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const secretsManager = mockClient(client);

  afterEach(() => {
    secretsManager.reset();
  });

  afterAll(() => {
    secretsManager.restore();
    client.destroy();
  });

  function serviceError(name: string, message: string): SecretsManagerServiceException {
    return new SecretsManagerServiceException({
      name,
      message,
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
  }

  it('says the role may not read the secret on AccessDeniedException', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(serviceError('AccessDeniedException', 'User is not authorized to perform GetSecretValue'));

    // Act
    const error = await secretErrorOf(new SecretsManagerTokenSource(client, SECRET_ID).getToken());

    // Assess
    expect(error.message).toContain(`may not read secret ${SECRET_ID}`);
    expect(error.message).toContain('KMS');
    expect((error.cause as Error).name).toBe('AccessDeniedException');
  });

  it('names the KMS key on DecryptionFailure', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(new DecryptionFailure({ message: 'cannot decrypt', $metadata: { httpStatusCode: 400 } }));

    const error = await secretErrorOf(new SecretsManagerTokenSource(client, SECRET_ID).getToken());

    expect(error.message).toContain(`secret ${SECRET_ID} cannot be read (DecryptionFailure)`);
    expect(error.message).toContain('KMS key');
  });

  it('says the next run retries on throttling, and retries on the next call', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(serviceError('ThrottlingException', 'Rate exceeded'))
      .resolves({ SecretString: TOKEN });
    const source = new SecretsManagerTokenSource(client, SECRET_ID);

    // Act
    const error = await secretErrorOf(source.getToken());
    const token = await source.getToken();

    // Assess
    expect(error.message).toContain(`reading secret ${SECRET_ID} failed (ThrottlingException)`);
    expect(error.message).toContain('the next run retries');
    expect(token).toBe(TOKEN);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('asks Secrets Manager for the configured secret id', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: TOKEN });

    await new SecretsManagerTokenSource(client, 'arn:aws:secretsmanager:eu-west-1:1:secret:x').getToken();

    expect(secretsManager.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
    });
  });

  it('treats a binary-only secret as empty', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });

    const error = await secretErrorOf(new SecretsManagerTokenSource(client, SECRET_ID).getToken());

    expect(error.message).toContain('is empty');
  });
});

describe('parseTokenSecret', () => {
  const SENSITIVE = 'tok-SENSITIVE-4f2a';

  it.each([
    ['an empty string', '', 'is empty'],
    ['an empty JSON object', '{}', 'JSON without a non-empty "token" field'],
    ['an empty token field', `{"token":"", "note":"${SENSITIVE}"}`, 'JSON without a non-empty "token" field'],
    [
      'a token field that is not a string',
      `{"token": 42, "x":"${SENSITIVE}"}`,
      'JSON without a non-empty "token" field',
    ],
    ['invalid JSON starting with {', `{token: ${SENSITIVE}`, 'starts with "{" but is not valid JSON'],
    ['text with spaces', `${SENSITIVE} ${SENSITIVE}`, 'spaces or line breaks'],
    ['two lines', `${SENSITIVE}\n${SENSITIVE}`, 'spaces or line breaks'],
    ['a JSON token with inner spaces', `{"token":"${SENSITIVE} x"}`, 'spaces or line breaks'],
  ])(
    'refuses %s, naming the secret and how to fill it, without its content',
    (_label, secretString, problem) => {
      // Act
      let caught: unknown;
      try {
        parseTokenSecret(secretString, SECRET_ID);
      } catch (error) {
        caught = error;
      }

      // Assess
      expect(caught).toBeInstanceOf(SecretError);
      const message = (caught as SecretError).message;
      expect(message).toContain(`secret ${SECRET_ID}`);
      expect(message).toContain(problem);
      expect(message).toContain('{"token": "..."}');
      expect(message).toContain(`put-secret-value --secret-id ${SECRET_ID}`);
      expect(message).not.toContain(SENSITIVE);
      expect(JSON.stringify(caught)).not.toContain(SENSITIVE);
    },
  );

  it.each([
    ['a NUL inside the token', `${SENSITIVE}\u0000x`, 'contains a control character (U+0000) at position 19'],
    ['an escape character', `{"token":"${SENSITIVE}\\u001b[0m"}`, 'contains a control character (U+001B)'],
    ['a DEL', `${SENSITIVE}\u007f`, 'contains a control character (U+007F)'],
    [
      'a file saved as UTF-16 and read as UTF-8',
      Buffer.from(`\ufeff${SENSITIVE}`, 'utf16le').toString('utf8'),
      'was the file saved as UTF-16?',
    ],
    ['typographic quotes around the token', `\u201c${SENSITIVE}\u201d`, 'outside the bearer-token alphabet'],
    [
      'a non-ASCII letter',
      `${SENSITIVE}é`,
      'outside the bearer-token alphabet (A-Z a-z 0-9 - . _ ~ + / and a final =)',
    ],
    ['"=" inside the token', `${SENSITIVE}=x`, 'has "=" at position 19, before its end'],
  ])(
    'refuses a token with %s, saying where and what to do, without quoting it',
    (_label, secretString, problem) => {
      // Act
      let caught: unknown;
      try {
        parseTokenSecret(secretString, SECRET_ID);
      } catch (error) {
        caught = error;
      }

      // Assess
      expect(caught).toBeInstanceOf(SecretError);
      const message = (caught as SecretError).message;
      expect(message).toContain(`TOKEN_SECRET_ID: secret ${SECRET_ID}: its token`);
      expect(message).toContain(problem);
      expect(message).toContain(`put-secret-value --secret-id ${SECRET_ID}`);
      for (const part of ['SENSITIVE', '4f2a', 'tok-']) {
        expect(message).not.toContain(part);
        expect(JSON.stringify(caught)).not.toContain(part);
      }
    },
  );

  it('accepts every character of the bearer-token alphabet and trailing padding', () => {
    const token = 'AZaz09-._~+/==';

    expect(parseTokenSecret(token, SECRET_ID)).toBe(token);
    expect(bearerTokenProblem(token)).toBeUndefined();
  });

  it('refuses a missing secret string', () => {
    expect(() => parseTokenSecret(undefined, SECRET_ID)).toThrow(`secret ${SECRET_ID} is empty`);
  });

  it('trims a token inside JSON', () => {
    expect(parseTokenSecret(' {"token": "  abc.def.ghi\\n"} ', SECRET_ID)).toBe('abc.def.ghi');
  });
});
