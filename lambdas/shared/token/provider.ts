import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretError } from '../errors';

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
  const problem = bearerTokenProblem(token);
  if (problem !== undefined) {
    throw new SecretError(
      `TOKEN_SECRET_ID: secret ${secretId}: its token ${problem}; ${HOW_TO_FILL(secretId)}`,
    );
  }
  return token;
}

/** RFC 6750's b64token (token68): what may follow `Bearer ` in an Authorization header. */
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * What keeps `token` from being sent as a bearer token, in words that quote none of it
 * (`contains a control character (U+0000) at position 2; ...`), or `undefined` when it is
 * well-formed. Checked when the token is read: sent as it is, fetch would refuse the header
 * with the whole value in its message.
 */
export function bearerTokenProblem(token: string): string | undefined {
  if (BEARER_TOKEN.test(token)) return undefined;
  // A UTF-16 file read as UTF-8 gives NULs between the characters (and its line break), or
  // U+FFFD for its byte order mark: say so rather than point at a space or a line break.
  const looksUtf16 = token.includes('\u0000') || token.includes('\ufffd');
  if (!looksUtf16 && /\s/.test(token)) return 'holds spaces or line breaks: it is not a single token';
  const utf16 = looksUtf16 ? ' (was the file saved as UTF-16? Save it as UTF-8 or plain ASCII)' : '';
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code < 0xa0)) {
      const hex = code.toString(16).toUpperCase().padStart(4, '0');
      return `contains a control character (U+${hex}) at position ${i + 1}${utf16}`;
    }
  }
  const outside = /[^A-Za-z0-9\-._~+/=]/.exec(token);
  if (outside) {
    return (
      `contains characters outside the bearer-token alphabet (A-Z a-z 0-9 - . _ ~ + / and a final =) ` +
      `from position ${outside.index + 1}${utf16 || ' (was the file saved as UTF-16, or the token copied with typographic quotes?)'}`
    );
  }
  return `has "=" at position ${token.indexOf('=') + 1}, before its end, where "=" may only pad the end of a token`;
}
