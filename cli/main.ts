import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { wantsHelp } from './args';
import { awsClients } from './aws';
import { BACKFILL_HELP, backfill, parseBackfillArgs } from './commands/backfill';
import { CHECK_TOKEN_HELP, checkToken, parseCheckTokenArgs } from './commands/check-token';
import { COLLECT_HELP, collect, parseCollectArgs } from './commands/collect';
import { DETECT_HELP, detect, parseDetectArgs } from './commands/detect';
import { OCSF_HELP, ocsf, parseOcsfArgs } from './commands/ocsf';
import { PUBLIC_KEY_HELP, parsePublicKeyArgs, publicKey } from './commands/public-key';
import { parseQueryArgs, QUERY_USAGE, queryCommand } from './commands/query';
import { parseReportArgs, REPORT_USAGE, reportCommand } from './commands/report';
import { parseStatusArgs, STATUS_HELP, status } from './commands/status';
import { parseVerifyArgs, VERIFY_HELP, verify } from './commands/verify';
import { describeFailure, EXIT_CODES_HELP, ExitCode } from './exit-codes';
import { toJson } from './format';
import type { CliIo } from './io';

interface CommandDefinition {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  run(argv: string[], io: CliIo): Promise<ExitCode>;
}

/** Parses, builds the real collaborators, runs, and lets go of the AWS clients. */
function command<O extends { readonly region?: string | undefined }>(
  definition: Omit<CommandDefinition, 'run'>,
  parse: (argv: string[], io: CliIo) => O,
  run: (options: O, deps: { io: CliIo; aws: ReturnType<typeof awsClients> }) => Promise<ExitCode>,
): CommandDefinition {
  return {
    ...definition,
    async run(argv, io) {
      const options = parse(argv, io);
      const aws = awsClients({ region: options.region, env: io.env });
      try {
        return await run(options, { io, aws });
      } finally {
        aws.destroy();
      }
    },
  };
}

const COMMANDS: readonly CommandDefinition[] = [
  command(
    {
      name: 'check-token',
      summary: 'check that an Events API token works, and what it may read',
      help: CHECK_TOKEN_HELP,
    },
    parseCheckTokenArgs,
    checkToken,
  ),
  command(
    {
      name: 'verify',
      summary:
        'check that a stream archive is complete, its hash chain intact and as signed (gaps, duplicates, digests)',
      help: VERIFY_HELP,
    },
    parseVerifyArgs,
    verify,
  ),
  command(
    {
      name: 'detect',
      summary: 'backtest the detection rules on an archive: what would have fired, per rule per week',
      help: DETECT_HELP,
    },
    parseDetectArgs,
    detect,
  ),
  command(
    {
      name: 'public-key',
      summary: "export the notary's public key (PEM), to check the digests offline",
      help: PUBLIC_KEY_HELP,
    },
    parsePublicKeyArgs,
    publicKey,
  ),
  command(
    {
      name: 'backfill',
      summary: 'archive a past time range of one stream under its own prefix',
      help: BACKFILL_HELP,
    },
    parseBackfillArgs,
    backfill,
  ),
  command(
    { name: 'status', summary: 'show each stream’s last run, lag, counts and alarms', help: STATUS_HELP },
    parseStatusArgs,
    status,
  ),
  command(
    {
      name: 'collect',
      summary: 'collect into a local folder, without AWS (to evaluate with your account)',
      help: COLLECT_HELP,
    },
    parseCollectArgs,
    collect,
  ),
  {
    name: 'query',
    summary: 'run a saved query or SQL over a local copy of the archive (DuckDB)',
    help: QUERY_USAGE,
    run: async (argv, io) => (await queryCommand(parseQueryArgs(argv, io.env), io)) as ExitCode,
  },
  {
    name: 'ocsf',
    summary: 'convert a local copy of the archive to OCSF (Parquet, in the Security Lake layout)',
    help: OCSF_HELP,
    run: async (argv, io) => ocsf(parseOcsfArgs(argv, io), { io }),
  },
  {
    name: 'report',
    summary: 'write the activity report (HTML) of a local copy of the archive',
    help: REPORT_USAGE,
    run: async (argv, io) => (await reportCommand(parseReportArgs(argv), io)) as ExitCode,
  },
];

const LOOKS_LIKE_TOKEN = /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/;

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: op-events-archive <command> [options]

Operate the 1Password Events API archive: check a token, verify the archive, backfill,
show status, or collect locally to evaluate.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run \`op-events-archive <command> --help\` for a command's options.

${EXIT_CODES_HELP}
`;
}

function version(): string {
  try {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      version?: string;
    };
    return manifest.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Runs one command line; returns the exit status. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h') {
    (name === undefined ? io.stderr : io.stdout).write(usage());
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (name === '--version') {
    io.stdout.write(`op-events-archive ${version()}\n`);
    return ExitCode.ok;
  }
  if (name === 'help') {
    const topic = COMMANDS.find((c) => c.name === rest[0]);
    io.stdout.write(topic ? topic.help : usage());
    return ExitCode.ok;
  }
  const definition = COMMANDS.find((c) => c.name === name);
  if (!definition) {
    const shown = LOOKS_LIKE_TOKEN.test(name) ? '(not shown: it looks like a token)' : `"${name}"`;
    io.stderr.write(`op-events-archive: unknown command ${shown}\n\n${usage()}`);
    return ExitCode.usage;
  }
  if (wantsHelp(rest)) {
    io.stdout.write(definition.help);
    return ExitCode.ok;
  }
  try {
    return await definition.run(rest, io);
  } catch (error) {
    const { exitCode, message } = describeFailure(error);
    io.stderr.write(`op-events-archive ${name}: ${message}\n`);
    if (rest.includes('--json')) {
      io.stdout.write(toJson({ ok: false, exitCode, error: message }));
    }
    return exitCode;
  }
}
