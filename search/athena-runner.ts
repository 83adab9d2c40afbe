/**
 * Runs SQL on the deployed Athena workgroup and reads the result into the same rows the local
 * DuckDB runner returns, so `query --athena` prints what `query --dir` prints.
 */
import {
  type AthenaClient,
  type Row as AthenaRow,
  type ColumnInfo,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import type { QueryResult, Row } from './local-archive';

export interface AthenaRunOptions {
  readonly workGroup: string;
  /** The Glue database the tables and views are in (the deployment's, named like its workgroup). */
  readonly database: string;
  readonly sql: string;
  /** @default 1 s, doubling up to 5 s */
  readonly pollMs?: number;
  /** @default 10 minutes */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly signal?: AbortSignal;
  /** Told the execution id as soon as Athena gives it, so a user can look it up. */
  readonly onStarted?: (queryExecutionId: string) => void;
}

export interface AthenaQueryResult extends QueryResult {
  readonly queryExecutionId: string;
  /** Data scanned, which Athena bills (USD 5 per TB in most regions). */
  readonly scannedBytes: number | undefined;
}

/** Athena reported the query failed or was cancelled; the message is Athena's reason. */
export class AthenaQueryError extends Error {
  override readonly name = 'AthenaQueryError';
  constructor(
    message: string,
    readonly queryExecutionId: string,
  ) {
    super(message);
  }
}

const MAX_POLL_MS = 5_000;

export async function runOnAthena(
  client: AthenaClient,
  options: AthenaRunOptions,
): Promise<AthenaQueryResult> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const send = { ...(options.signal ? { abortSignal: options.signal } : {}) };
  const started = await client.send(
    new StartQueryExecutionCommand({
      WorkGroup: options.workGroup,
      QueryString: options.sql,
      QueryExecutionContext: { Database: options.database },
    }),
    send,
  );
  const id = started.QueryExecutionId;
  if (!id) throw new Error(`Athena started no query in workgroup ${options.workGroup}`);
  options.onStarted?.(id);

  const deadline = now() + (options.timeoutMs ?? 600_000);
  let wait = options.pollMs ?? 1_000;
  let scannedBytes: number | undefined;
  for (;;) {
    const { QueryExecution: execution } = await client.send(
      new GetQueryExecutionCommand({ QueryExecutionId: id }),
      send,
    );
    const state = execution?.Status?.State;
    scannedBytes = execution?.Statistics?.DataScannedInBytes;
    if (state === 'SUCCEEDED') break;
    if (state === 'FAILED' || state === 'CANCELLED') {
      throw new AthenaQueryError(
        `Athena query ${id} ${state.toLowerCase()}: ${execution?.Status?.StateChangeReason ?? 'no reason given'}`,
        id,
      );
    }
    if (now() >= deadline) {
      throw new AthenaQueryError(
        `Athena query ${id} still ${state ?? 'unknown'} after ${Math.round((options.timeoutMs ?? 600_000) / 1000)} s; ` +
          `it goes on in the workgroup: aws athena get-query-execution --query-execution-id ${id}`,
        id,
      );
    }
    await sleep(wait);
    wait = Math.min(wait * 2, MAX_POLL_MS);
  }

  let columns: ColumnInfo[] | undefined;
  const rows: Row[] = [];
  let token: string | undefined;
  let first = true;
  do {
    const page = await client.send(
      new GetQueryResultsCommand({ QueryExecutionId: id, ...(token ? { NextToken: token } : {}) }),
      send,
    );
    columns ??= page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
    const pageRows = page.ResultSet?.Rows ?? [];
    // The first row of a SELECT's first page repeats the column names.
    for (const row of first ? pageRows.slice(1) : pageRows) rows.push(toRow(row, columns));
    first = false;
    token = page.NextToken;
  } while (token);
  return {
    columns: (columns ?? []).map((column) => column.Name ?? ''),
    rows,
    queryExecutionId: id,
    scannedBytes,
  };
}

function toRow(row: AthenaRow, columns: readonly ColumnInfo[]): Row {
  const result: Row = {};
  columns.forEach((column, index) => {
    result[column.Name ?? String(index)] = toValue(row.Data?.[index]?.VarCharValue, column.Type);
  });
  return result;
}

/** Athena returns every value as text; numbers and times are read back as the DuckDB runner gives them. */
function toValue(text: string | undefined, type: string | undefined): Row[string] {
  if (text === undefined) return null;
  switch (type) {
    case 'tinyint':
    case 'smallint':
    case 'integer':
    case 'bigint':
    case 'double':
    case 'real':
    case 'float':
      return Number(text);
    case 'boolean':
      return text === 'true';
    case 'timestamp': {
      // "2026-11-21 12:00:00.000": a UTC timestamp without zone, as every view writes it.
      const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?$/.exec(text);
      if (!match) return text;
      const millis = (match[3] ?? '.000').slice(0, 4).padEnd(4, '0');
      return `${match[1]}T${match[2]}${millis}Z`;
    }
    default:
      return text;
  }
}
