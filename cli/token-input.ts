import { readFile } from 'node:fs/promises';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretError } from '../lambdas/shared/errors';
import {
  bearerTokenProblem,
  SecretsManagerTokenSource,
  type TokenSource,
} from '../lambdas/shared/token/provider';
import { UsageError } from './exit-codes';
import type { CliIo } from './io';

/** The ways to hand over a token; a plain argument is not one of them (shell history, `ps`). */
export const tokenOptions = {
  'token-stdin': { type: 'boolean' },
  'token-file': { type: 'string' },
  'token-env': { type: 'string' },
  'secret-id': { type: 'string' },
} as const;

export const TOKEN_OPTIONS_HELP = `Token (exactly one; never as a plain argument, which would stay in the shell history):
  --token-stdin          read it from standard input (e.g. \`op read op://vault/item/credential | ...\`)
  --token-file PATH      read it from a file (raw, or JSON {"token": "..."})
  --token-env NAME       read it from environment variable NAME
  --secret-id ID         read it from AWS Secrets Manager (name or ARN; raw or JSON {"token": "..."})`;

export type TokenChoice =
  | { readonly kind: 'stdin' }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'secret'; readonly secretId: string };

/** The one token option given, or `undefined` when none is. */
export function tokenChoice(values: {
  'token-stdin'?: boolean;
  'token-file'?: string;
  'token-env'?: string;
  'secret-id'?: string;
}): TokenChoice | undefined {
  const choices: TokenChoice[] = [];
  if (values['token-stdin']) choices.push({ kind: 'stdin' });
  if (values['token-file'] !== undefined) choices.push({ kind: 'file', path: values['token-file'] });
  if (values['token-env'] !== undefined) choices.push({ kind: 'env', name: values['token-env'] });
  if (values['secret-id'] !== undefined) choices.push({ kind: 'secret', secretId: values['secret-id'] });
  if (choices.length > 1) {
    throw new UsageError(
      'give the token one way only: --token-stdin, --token-file, --token-env or --secret-id',
    );
  }
  return choices[0];
}

export function requireTokenChoice(choice: TokenChoice | undefined): TokenChoice {
  if (choice === undefined) {
    throw new UsageError(
      'no token given: pass it with --token-stdin, --token-file PATH, --token-env NAME or --secret-id ID',
    );
  }
  return choice;
}

/** Where the token came from, for messages (never the token itself). */
export function describeTokenChoice(choice: TokenChoice): string {
  switch (choice.kind) {
    case 'stdin':
      return 'the token from standard input';
    case 'file':
      return `the token in file ${choice.path}`;
    case 'env':
      return `the token in $${choice.name}`;
    case 'secret':
      return `the token in secret ${choice.secretId}`;
  }
}

/** A token read once from a file, stdin or the environment: a rotation can't be picked up. */
export class StaticTokenSource implements TokenSource {
  constructor(private readonly token: string) {}
  async getToken(): Promise<string> {
    return this.token;
  }
  async refreshAfterRejection(): Promise<undefined> {
    return undefined;
  }
}

/**
 * Reads the token and returns a source for it. A secret is read through the collector's own
 * token provider, so the CLI accepts exactly what the collector accepts, and re-reads it
 * after a 401 as the collector does.
 */
export async function openTokenSource(
  choice: TokenChoice,
  io: Pick<CliIo, 'stdin' | 'env' | 'stderr'>,
  secretsManager: () => SecretsManagerClient,
): Promise<{ source: TokenSource; token: string }> {
  if (choice.kind === 'secret') {
    const source = new SecretsManagerTokenSource(secretsManager(), choice.secretId);
    try {
      return { source, token: await source.getToken() };
    } catch (error) {
      if (error instanceof SecretError) {
        throw new SecretError(error.message.replace(/^TOKEN_SECRET_ID: /, '--secret-id: '), { cause: error });
      }
      throw error;
    }
  }
  const token = parseTokenText(await readTokenText(choice, io), describeTokenChoice(choice));
  return { source: new StaticTokenSource(token), token };
}

async function readTokenText(
  choice: Exclude<TokenChoice, { kind: 'secret' }>,
  io: Pick<CliIo, 'stdin' | 'env' | 'stderr'>,
): Promise<string> {
  switch (choice.kind) {
    case 'env': {
      const value = io.env[choice.name];
      if (value === undefined || value.trim() === '') {
        throw new UsageError(`--token-env ${choice.name}: the variable is not set or empty`);
      }
      return value;
    }
    case 'file':
      try {
        return await readFile(choice.path, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new UsageError(`--token-file ${choice.path}: cannot read it (${code ?? String(error)})`);
      }
    case 'stdin': {
      if (io.stdin.isTTY) io.stderr.write('Paste the token, then press Enter and Ctrl-D:\n');
      const chunks: string[] = [];
      for await (const chunk of io.stdin)
        chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      return chunks.join('');
    }
  }
}

/** The token in a text: the raw token, or JSON `{"token": "..."}` as in the collector's secret. */
export function parseTokenText(text: string, origin: string): string {
  const trimmed = text.trim();
  if (trimmed === '') throw new UsageError(`${origin} is empty`);
  let token = trimmed;
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new UsageError(
        `${origin} starts with "{" but is not valid JSON; give the raw token or {"token": "..."}`,
      );
    }
    const value = (parsed as { token?: unknown }).token;
    if (typeof value !== 'string' || value.trim() === '') {
      throw new UsageError(`${origin} is JSON without a non-empty "token" field`);
    }
    token = value.trim();
  }
  const problem = bearerTokenProblem(token);
  if (problem !== undefined) {
    throw new UsageError(`${origin} ${problem}; give the token as 1Password shows it`);
  }
  return token;
}
