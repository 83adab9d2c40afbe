import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretError } from './errors';

/** Where the collector gets its bearer token. */
export interface TokenSource {
  /** The current token, read once and then cached for warm invocations. */
  getToken(): Promise<string>;
  /**
   * Reads the secret again after the API refused the cached token. Returns the new token,
   * or `undefined` when the secret still holds the refused one (the token was revoked, not rotated).
   */
  refreshAfterRejection(rejected: string): Promise<string | undefined>;
}

const HOW_TO_FILL = (secretId: string) =>
  `put the 1Password Events Reporting token in it, as the raw token or as JSON {"token": "..."}: ` +
  `aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string file://token.txt (see README §Deploy)`;

/**
 * Reads the token from Secrets Manager. The secret string is the raw token or JSON
 * `{"token": "..."}`. The value is kept in memory only: it is never logged, and errors
 * name the secret, never its content.
 */
export class SecretsManagerTokenSource implements TokenSource {
  private cached: Promise<string> | undefined;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
  ) {}

  getToken(): Promise<string> {
    if (!this.cached) {
      this.cached = this.read();
      // A failed read must not stay cached: the operator may fill the secret a minute later.
      this.cached.catch(() => {
        this.cached = undefined;
      });
    }
    return this.cached;
  }

  async refreshAfterRejection(rejected: string): Promise<string | undefined> {
    this.cached = undefined;
    const fresh = await this.getToken();
    return fresh === rejected ? undefined : fresh;
  }

  private async read(): Promise<string> {
    let secretString: string | undefined;
    try {
      const response = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
      secretString = response.SecretString;
    } catch (error) {
      throw this.explain(error);
    }
    return parseTokenSecret(secretString, this.secretId);
  }

  private explain(error: unknown): SecretError {
    const name = error instanceof Error ? error.name : 'Error';
    if (name === 'ResourceNotFoundException') {
      return new SecretError(
        `TOKEN_SECRET_ID: secret ${this.secretId} does not exist or has no value yet; ${HOW_TO_FILL(this.secretId)}`,
        { cause: error },
      );
    }
    if (name === 'AccessDeniedException') {
      return new SecretError(
        `TOKEN_SECRET_ID: the collector may not read secret ${this.secretId} (or decrypt it with its KMS key); ` +
          'check that TOKEN_SECRET_ID is the secret the stack granted to this function.',
        { cause: error },
      );
    }
    if (name === 'DecryptionFailure' || name === 'InvalidRequestException') {
      return new SecretError(
        `TOKEN_SECRET_ID: secret ${this.secretId} cannot be read (${name}); check its KMS key and state.`,
        {
          cause: error,
        },
      );
    }
    return new SecretError(
      `TOKEN_SECRET_ID: reading secret ${this.secretId} failed (${name}); the next run retries.`,
      {
        cause: error,
      },
    );
  }
}

/** Extracts the token from a secret string; exported for the operator CLI. */
export function parseTokenSecret(secretString: string | undefined, secretId: string): string {
  const text = secretString?.trim() ?? '';
  if (text === '') {
    throw new SecretError(`TOKEN_SECRET_ID: secret ${secretId} is empty; ${HOW_TO_FILL(secretId)}`);
  }
  let token = text;
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new SecretError(
        `TOKEN_SECRET_ID: secret ${secretId} starts with "{" but is not valid JSON; ${HOW_TO_FILL(secretId)}`,
      );
    }
    const value = (parsed as { token?: unknown }).token;
    if (typeof value !== 'string' || value.trim() === '') {
      throw new SecretError(
        `TOKEN_SECRET_ID: secret ${secretId} is JSON without a non-empty "token" field; ${HOW_TO_FILL(secretId)}`,
      );
    }
    token = value.trim();
  }
  if (/\s/.test(token)) {
    throw new SecretError(
      `TOKEN_SECRET_ID: secret ${secretId} holds text with spaces or line breaks, not a single token; ${HOW_TO_FILL(secretId)}`,
    );
  }
  return token;
}
