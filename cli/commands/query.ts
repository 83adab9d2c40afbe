/**
 * `op-events-archive query`: the saved queries, or any SQL, over a local copy of the archive
 * with an embedded DuckDB, or on the deployed Athena workgroup with `--athena`;
 * `--print --dialect athena` shows the same query as deployed to Athena.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AthenaClient } from '@aws-sdk/client-athena';
import { AWS_MAX_ATTEMPTS, AwsTimeouts } from '../../lambdas/shared/aws-timeouts';
import { AthenaQueryError, runOnAthena } from '../../search/athena-runner';
import { athena, duckdb } from '../../search/dialect';
import {
  ArchiveNotFoundError,
  openLocalArchive,
  type QueryResult,
  type Row,
} from '../../search/local-archive';
import { findQuery, renderQuery, resolveParams, SAVED_QUERIES, type SavedQuery } from '../../search/queries';

/** Where a command writes; `process.stdout` and `process.stderr` fit, and so does a test's buffer. */
export interface CommandIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** The command line cannot be understood; the message says why (exit status 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const DEFAULT_ARCHIVE_DIR = '.demo/archive';

export const QUERY_USAGE = `Usage: op-events-archive query [options] [<saved-query>]

Runs a saved query (or --sql / --file) over a local copy of the archive: a folder laid out
like the bucket (source=<s>/type=<stream>/dt=<day>/<seq>.ndjson.gz, lookups/...); or, with
--athena, on the deployed Athena workgroup, waiting for the result.
Tables: signinattempts, itemusages, auditevents, vaults, items.
Views: users, signinattempts_named, itemusages_named, auditevents_named.

Options:
  --dir <dir>             the local archive (default ${DEFAULT_ARCHIVE_DIR})
  --list                  list the saved queries and their parameters
  --param <name=value>    a parameter of the saved query (repeatable), e.g. --param days=7
  --sql <sql>             run this SQL instead of a saved query
  --file <path>           run the SQL in this file
  --format <f>            table (default), csv or json
  --print                 print the saved query's SQL instead of running it
  --dialect <d>           with --print: duckdb (default) or athena
  --now <instant>         count "days back" from this RFC 3339 instant instead of now
  --athena                run on Athena (the stack's AthenaWorkGroup output) instead of --dir;
                          needs the analyst policy (AnalystPolicyArn output)
  --workgroup <name>      the workgroup (default $ATHENA_WORKGROUP)
  --database <name>       the Glue database (default: the workgroup's name, as the stack names both)
  --region <region>       AWS region (default: AWS_REGION / profile)
  -h, --help              this help
`;

export interface QueryOptions {
  readonly archive: string;
  readonly list: boolean;
  /** A saved query's id. */
  readonly queryId?: string;
  readonly sql?: string;
  readonly file?: string;
  readonly params: Readonly<Record<string, string>>;
  readonly format: 'table' | 'csv' | 'json';
  readonly print: boolean;
  readonly dialect: 'duckdb' | 'athena';
  readonly now?: Date;
  /** Run on the deployed Athena workgroup instead of the local archive. */
  readonly athena?: { readonly workGroup: string; readonly database: string; readonly region?: string };
  readonly help: boolean;
}

export function parseQueryArgs(args: readonly string[], env: NodeJS.ProcessEnv = process.env): QueryOptions {
  const { values, positionals } = parseOrUsage(() =>
    parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        dir: { type: 'string', default: DEFAULT_ARCHIVE_DIR },
        list: { type: 'boolean', default: false },
        param: { type: 'string', multiple: true, default: [] },
        sql: { type: 'string' },
        file: { type: 'string' },
        format: { type: 'string', default: 'table' },
        print: { type: 'boolean', default: false },
        dialect: { type: 'string', default: 'duckdb' },
        now: { type: 'string' },
        athena: { type: 'boolean', default: false },
        workgroup: { type: 'string' },
        database: { type: 'string' },
        region: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }),
  );
  if (positionals.length > 1) throw new UsageError(`one saved query at a time, not ${positionals.join(' ')}`);
  const queryId = positionals[0];
  const sources = [queryId, values.sql, values.file].filter((value) => value !== undefined).length;
  if (sources > 1) throw new UsageError('give a saved query, --sql or --file, not several');
  if (!values.help && !values.list && sources === 0) {
    throw new UsageError('name a saved query (see --list), or give --sql or --file');
  }
  if (queryId !== undefined && !findQuery(queryId)) {
    throw new UsageError(
      `no saved query ${queryId}; the saved queries are: ${SAVED_QUERIES.map((q) => q.id).join(', ')}`,
    );
  }
  if (!['table', 'csv', 'json'].includes(values.format)) {
    throw new UsageError(`--format must be table, csv or json, not ${values.format}`);
  }
  if (values.dialect !== 'duckdb' && values.dialect !== 'athena') {
    throw new UsageError(`--dialect must be duckdb or athena, not ${values.dialect}`);
  }
  if (values.print && queryId === undefined) throw new UsageError('--print shows a saved query; name one');
  if (values.param.length > 0 && queryId === undefined)
    throw new UsageError('--param applies to saved queries only');
  const params: Record<string, string> = {};
  for (const pair of values.param) {
    const match = /^([a-z_]+)=(.*)$/s.exec(pair);
    if (!match?.[1]) throw new UsageError(`--param takes name=value, not ${pair}`);
    params[match[1]] = match[2] ?? '';
  }
  const now = values.now === undefined ? undefined : parseInstant(values.now);
  let athenaTarget: QueryOptions['athena'];
  if (values.athena) {
    if (values.print) throw new UsageError('--print shows the SQL; drop --athena, and use --dialect athena');
    if (values.now !== undefined)
      throw new UsageError('--now pins the clock of the local engine only; Athena counts from its own now');
    const workGroup = values.workgroup ?? (env.ATHENA_WORKGROUP || undefined);
    if (!workGroup) {
      throw new UsageError(
        "--athena needs --workgroup NAME (the stack's AthenaWorkGroup output) or $ATHENA_WORKGROUP",
      );
    }
    athenaTarget = {
      workGroup,
      database: values.database ?? workGroup,
      ...(values.region !== undefined ? { region: values.region } : {}),
    };
  } else if (values.workgroup !== undefined || values.database !== undefined || values.region !== undefined) {
    throw new UsageError('--workgroup, --database and --region apply with --athena');
  }
  return {
    archive: values.dir,
    list: values.list,
    ...(queryId !== undefined ? { queryId } : {}),
    ...(values.sql !== undefined ? { sql: values.sql } : {}),
    ...(values.file !== undefined ? { file: values.file } : {}),
    params,
    format: values.format as QueryOptions['format'],
    print: values.print,
    dialect: values.dialect,
    ...(now ? { now } : {}),
    ...(athenaTarget ? { athena: athenaTarget } : {}),
    help: values.help,
  };
}

/** Runs the command; resolves with the exit status (0 ok, 1 the query failed, 2 bad usage). */
export async function queryCommand(options: QueryOptions, io: CommandIo): Promise<number> {
  if (options.help) {
    io.stdout.write(QUERY_USAGE);
    return 0;
  }
  if (options.list) {
    io.stdout.write(listQueries());
    return 0;
  }
  const saved = options.queryId === undefined ? undefined : findQuery(options.queryId);
  try {
    if (saved) resolveParams(saved, options.params);
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  if (saved && options.print) {
    const dialect = options.dialect === 'athena' ? athena : duckdb(options.now ? { now: options.now } : {});
    io.stdout.write(`${renderQuery(saved, dialect, options.params)}\n`);
    return 0;
  }

  let sql: string | undefined = options.sql;
  if (options.file !== undefined) {
    try {
      sql = readFileSync(options.file, 'utf8');
    } catch (error) {
      io.stderr.write(`cannot read ${options.file}: ${(error as Error).message}\n`);
      return 2;
    }
  }
  if (options.athena)
    return queryAthena(
      options.athena,
      saved ? renderQuery(saved, athena, options.params) : (sql ?? ''),
      options.format,
      io,
    );

  let archive: Awaited<ReturnType<typeof openLocalArchive>>;
  try {
    archive = await openLocalArchive(options.archive, options.now ? { now: options.now } : {});
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n`);
    return error instanceof ArchiveNotFoundError ? 2 : 1;
  }
  try {
    const result = saved ? await archive.runSaved(saved.id, options.params) : await archive.query(sql ?? '');
    io.stdout.write(formatResult(result, options.format));
    return 0;
  } catch (error) {
    io.stderr.write(`query failed: ${(error as Error).message}\n`);
    return 1;
  } finally {
    archive.close();
  }
}

async function queryAthena(
  target: NonNullable<QueryOptions['athena']>,
  sql: string,
  format: QueryOptions['format'],
  io: CommandIo,
): Promise<number> {
  const client = new AthenaClient({
    ...(target.region ? { region: target.region } : {}),
    maxAttempts: AWS_MAX_ATTEMPTS,
    requestHandler: AwsTimeouts.small,
  });
  try {
    const result = await runOnAthena(client, {
      workGroup: target.workGroup,
      database: target.database,
      sql,
      onStarted: (id) => io.stderr.write(`Athena query ${id} in workgroup ${target.workGroup}...\n`),
    });
    io.stdout.write(formatResult(result, format));
    if (result.scannedBytes !== undefined) {
      io.stderr.write(`${(result.scannedBytes / 1024 / 1024).toFixed(1)} MiB scanned\n`);
    }
    return 0;
  } catch (error) {
    io.stderr.write(
      error instanceof AthenaQueryError
        ? `${error.message}\n`
        : `query failed: ${(error as Error).message}\n`,
    );
    return 1;
  } finally {
    client.destroy();
  }
}

function listQueries(): string {
  const describe = (query: SavedQuery) => {
    const params = Object.entries(query.params)
      .map(([name, p]) => `      --param ${name}=${p.default === '' ? '…' : p.default}   ${p.description}`)
      .join('\n');
    return `  ${query.id}\n      ${query.title}. ${query.question}${params ? `\n${params}` : ''}`;
  };
  return `Saved queries (also named queries in the Athena workgroup):\n\n${SAVED_QUERIES.map(describe).join('\n\n')}\n`;
}

export function formatResult(result: QueryResult, format: QueryOptions['format']): string {
  if (format === 'json') return `${JSON.stringify(result.rows, null, 2)}\n`;
  if (format === 'csv') {
    const lines = [result.columns.map(csvCell).join(',')];
    for (const row of result.rows)
      lines.push(result.columns.map((column) => csvCell(row[column] ?? null)).join(','));
    return `${lines.join('\n')}\n`;
  }
  return table(result);
}

function csvCell(value: Row[string] | string): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const MAX_CELL = 60;
const ISO_MILLIS = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})\.\d{3}Z$/;

function table(result: QueryResult): string {
  const { columns, rows } = result;
  const cell = (value: Row[string] | undefined) => {
    // Seconds are enough on a terminal; csv and json keep the milliseconds.
    const text = value === null || value === undefined ? '' : String(value).replace(ISO_MILLIS, '$1 $2');
    return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
  };
  const cells = rows.map((row) => columns.map((column) => cell(row[column])));
  const numeric = columns.map(
    (column) =>
      rows.length > 0 && rows.every((row) => typeof row[column] === 'number' || row[column] === null),
  );
  const widths = columns.map((column, index) =>
    Math.max(column.length, ...cells.map((line) => (line[index] ?? '').length)),
  );
  const pad = (text: string, index: number) =>
    numeric[index] ? text.padStart(widths[index] ?? 0) : text.padEnd(widths[index] ?? 0);
  const lines = [
    columns.map(pad).join('  ').trimEnd(),
    widths.map((width) => '─'.repeat(width)).join('  '),
    ...cells.map((line) => line.map(pad).join('  ').trimEnd()),
    '',
    `${rows.length} row${rows.length === 1 ? '' : 's'}`,
  ];
  return `${lines.join('\n')}\n`;
}

function parseInstant(text: string): Date {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}(T.*)?$/.test(text) || Number.isNaN(ms)) {
    throw new UsageError(`--now must be an RFC 3339 instant such as 2026-11-21T12:00:00Z, not ${text}`);
  }
  return new Date(ms);
}

/** node:util's parseArgs throws TypeErrors for unknown or malformed options; they are usage errors. */
export function parseOrUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
}
