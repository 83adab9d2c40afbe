import { type ParseArgsConfig, parseArgs } from 'node:util';
import { EVENT_TYPES, type EventType, isEventType } from '../lambdas/shared/event-types';
import { parseIsoDuration, parseRfc3339 } from '../lambdas/shared/time';
import { UsageError } from './exit-codes';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
export const commonOptions = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
} as const satisfies OptionsConfig;

/** Options of the commands that show progress. */
export const progressOptions = {
  progress: { type: 'boolean' },
  'no-progress': { type: 'boolean' },
} as const satisfies OptionsConfig;

/** Options of the commands that talk to AWS. */
export const awsOptions = {
  region: { type: 'string' },
} as const satisfies OptionsConfig;

/** A JWT: three base64url parts, the first a JSON header (`eyJ`). */
const LOOKS_LIKE_TOKEN = /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/;

/**
 * Parses a command's arguments with `util.parseArgs` (strict, no positionals). Error
 * messages never repeat a value from the command line: a token pasted in the wrong place
 * must not be echoed into a terminal log or a CI transcript.
 */
export function parseCommandLine<const O extends OptionsConfig>(command: string, argv: string[], options: O) {
  refuseTokenOnCommandLine(argv);
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const code = (error as { code?: string }).code;
    const hint = `see \`op-events-archive ${command} --help\``;
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      throw new UsageError(
        `unexpected argument (not shown here); every value follows its option, e.g. --source prod; ${hint}`,
      );
    }
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
      throw new UsageError(`${message}; ${hint}`);
    }
    throw new UsageError(`cannot read the command line; ${hint}`);
  }
}

function refuseTokenOnCommandLine(argv: readonly string[]): void {
  const inline = argv.find(
    (arg) =>
      arg === '--token' || arg.startsWith('--token=') || LOOKS_LIKE_TOKEN.test(arg.replace(/^--[\w-]+=/, '')),
  );
  if (inline !== undefined) {
    throw new UsageError(
      'refusing a token on the command line: it would stay in the shell history and the process list. ' +
        'Pass it with --token-stdin, --token-file PATH, --token-env NAME or --secret-id ID.',
    );
  }
}

/** Whether `--help` or `-h` is among the arguments, wherever it is. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/** Whether progress is shown: forced on or off, else only to a terminal. */
export function progressWanted(
  values: { progress?: boolean; 'no-progress'?: boolean },
  tty: boolean,
): boolean {
  if (values['no-progress']) return false;
  return values.progress === true || tty;
}

export function required(value: string | undefined, option: string, example: string): string {
  if (value === undefined || value.trim() === '') {
    throw new UsageError(`--${option} is required, e.g. --${option} ${example}`);
  }
  return value.trim();
}

const SOURCE_NAME = /^[a-z0-9-]{1,40}$/;

export function sourceName(value: string | undefined, option = 'source'): string {
  const name = required(value, option, 'prod');
  if (!SOURCE_NAME.test(name)) {
    throw new UsageError(
      `--${option} "${name}" is not a source name: use the name from the deployment config ([a-z0-9-], at most 40 characters)`,
    );
  }
  return name;
}

/** A comma list of event types (`--stream signinattempts,itemusages`), in the API's order. */
export function eventTypes(value: string | undefined, option: string): EventType[] | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !isEventType(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new UsageError(
      `--${option}: unknown event type ${unknown.map((name) => `"${name}"`).join(', ') || '(empty)'}; ` +
        `use a comma list of ${EVENT_TYPES.join(', ')}`,
    );
  }
  return EVENT_TYPES.filter((type) => names.includes(type));
}

export function positiveInteger(
  value: string | undefined,
  option: string,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  const parsed = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < 1 || parsed > max) {
    throw new UsageError(`--${option} must be a whole number from 1 to ${max}`);
  }
  return parsed;
}

/** An instant: RFC 3339 (`2026-10-01T00:00:00Z`) or a UTC date (`2026-10-01`). */
export function instant(value: string | undefined, option: string): number {
  const text = required(value, option, '2026-10-01T00:00:00Z');
  const at = /^\d{4}-\d{2}-\d{2}$/.test(text) ? parseRfc3339(`${text}T00:00:00Z`) : parseRfc3339(text);
  if (at === undefined) {
    throw new UsageError(
      `--${option} "${text}" is not a date: use RFC 3339 with a zone (2026-10-01T12:00:00Z) or a UTC date (2026-10-01)`,
    );
  }
  return at;
}

/** A start position: an instant, or an ISO 8601 duration back from now (`P7D`). */
export function startPosition(value: string, option: string, now: number): number {
  const duration = parseIsoDuration(value);
  if (duration !== undefined) return now - duration;
  return instant(value, option);
}

/** A duration: ISO 8601 (`PT15M`) or seconds. */
export function duration(value: string | undefined, option: string, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const text = value.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : parseIsoDuration(text);
  if (ms === undefined || ms <= 0) {
    throw new UsageError(`--${option} must be a duration such as PT15M, PT2H or a number of seconds`);
  }
  return ms;
}
