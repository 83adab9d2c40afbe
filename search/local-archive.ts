/**
 * The archive's tables and views in an embedded DuckDB, over a local copy of the bucket
 * (`<dir>/source=<s>/type=<stream>/dt=<d>/<seq>.ndjson.gz`, backfills under
 * `<dir>/backfill/<from>_<to>/source=…`, lookups under `<dir>/lookups/`), under the same names
 * as in Athena, so a saved query runs unchanged on a laptop.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBConnection, DuckDBInstance, type DuckDBResultReader } from '@duckdb/node-api';
import { EVENT_TYPES, type EventType } from '../lambdas/shared/event-types';
import { duckdb } from './dialect';
import { findQuery, renderQuery, SAVED_QUERIES } from './queries';
import {
  BACKFILL_PREFIX,
  backfillTable,
  type Column,
  duckdbType,
  LOOKUP_TABLES,
  type LookupTable,
  PARTITION_COLUMNS,
  STREAM_COLUMNS,
} from './schema';
import { renderView, VIEWS } from './views';

/** One result row: numbers, text, `null`; dates as `YYYY-MM-DD`, timestamps as ISO 8601 UTC. */
export type Row = Record<string, string | number | boolean | null>;

export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly Row[];
}

export interface OpenArchiveOptions {
  /**
   * The instant the saved queries count back from.
   * @default - the current time
   */
  readonly now?: Date;
  /**
   * Load the events into memory once, instead of reading the files on every query: faster
   * when several queries run (the report), at the cost of memory.
   * @default false
   */
  readonly materialize?: boolean;
}

export interface LocalArchive {
  /** The archive folder. */
  readonly directory: string;
  /** Batch objects found per stream. */
  readonly objects: Readonly<Record<EventType, number>>;
  /** Runs any SQL over the tables and views. */
  query(sql: string): Promise<QueryResult>;
  /** Runs a saved query by id. */
  runSaved(id: string, params?: Readonly<Record<string, string | number>>): Promise<QueryResult>;
  close(): void;
}

export class ArchiveNotFoundError extends Error {
  override readonly name = 'ArchiveNotFoundError';
}

/** Opens a local archive folder: one table per stream, the lookups and the views. */
export async function openLocalArchive(
  directory: string,
  options: OpenArchiveOptions = {},
): Promise<LocalArchive> {
  const root = resolve(directory);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new ArchiveNotFoundError(
      `${directory} is not a folder; point --dir at a local copy of the bucket (npm start writes one to .demo/archive)`,
    );
  }
  const objects = Object.fromEntries(
    EVENT_TYPES.map((stream) => [stream, countObjects(root, stream)]),
  ) as Record<EventType, number>;
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await DuckDBConnection.create(instance);
  const dialect = duckdb(options.now ? { now: options.now } : {});
  try {
    // Dates and casts of zoned timestamps then never depend on the machine's zone.
    await connection.run(`SET TimeZone = 'UTC'`);
    const kind = options.materialize ? 'TABLE' : 'VIEW';
    for (const stream of EVENT_TYPES) {
      const select = objects[stream] > 0 ? streamSelect(root, stream) : emptySelect(streamColumns(stream));
      await connection.run(`CREATE ${kind} ${stream} AS ${select}`);
      const backfills = countBackfillObjects(root, stream) > 0;
      await connection.run(
        `CREATE ${kind} ${backfillTable(stream)} AS ${backfills ? backfillSelect(root, stream) : emptySelect([...STREAM_COLUMNS[stream], PATH_COLUMN])}`,
      );
    }
    for (const table of LOOKUP_TABLES) {
      await connection.run(`CREATE ${kind} ${table.name} AS ${lookupSelect(root, table)}`);
    }
    for (const view of VIEWS) {
      // `user_keys` reads every stream; computing it once spares each named view (and `users`) a full scan.
      const viewKind = options.materialize && view.name === 'user_keys' ? 'TABLE' : 'VIEW';
      await connection.run(`CREATE ${viewKind} ${view.name} AS ${renderView(view, dialect)}`);
    }
  } catch (error) {
    connection.closeSync();
    instance.closeSync();
    throw error;
  }

  const run = async (sql: string): Promise<QueryResult> => toResult(await connection.runAndReadAll(sql));
  return {
    directory: root,
    objects,
    query: run,
    async runSaved(id, params = {}) {
      const saved = findQuery(id);
      if (!saved) {
        throw new RangeError(
          `no saved query ${id}; the saved queries are: ${SAVED_QUERIES.map((query) => query.id).join(', ')}`,
        );
      }
      return run(renderQuery(saved, dialect, params));
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

function streamColumns(stream: EventType): readonly Column[] {
  return [...STREAM_COLUMNS[stream], ...PARTITION_COLUMNS];
}

const sqlText = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * Reads the stream's batches with the table's declared columns (unknown fields are left out,
 * missing ones are NULL, a line that is not JSON is a row of NULLs, as in Athena), and takes
 * `source` and `dt` from the key. Hive partitioning is not used: it would add a `type` column
 * that clashes with the sign-in attempts' own `type`.
 */
function streamSelect(root: string, stream: EventType): string {
  const glob = join(root, 'source=*', `type=${stream}`, 'dt=*', '*.ndjson.gz');
  return `${selectColumns(stream)},
  regexp_extract(filename, 'source=([^/\\\\]+)', 1) AS source,
  regexp_extract(filename, 'dt=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) AS dt
FROM ${readEvents(glob, stream)}`;
}

/** Athena's hidden column with the object's key, which the views read backfills' source and date from. */
const PATH_COLUMN: Column = { name: '$path', type: 'string' };

/** A stream's backfilled objects, as Athena reads them: the columns, and the key (with `/`) as `"$path"`. */
function backfillSelect(root: string, stream: EventType): string {
  const glob = join(root, BACKFILL_PREFIX, '*', 'source=*', `type=${stream}`, 'dt=*', '*.ndjson.gz');
  return `${selectColumns(stream)}, replace(filename, '\\', '/') AS "$path"
FROM ${readEvents(glob, stream)}`;
}

function selectColumns(stream: EventType): string {
  return `SELECT ${STREAM_COLUMNS[stream].map((column) => `"${column.name}"`).join(', ')}`;
}

function readEvents(glob: string, stream: EventType): string {
  const columns = STREAM_COLUMNS[stream].map(
    (column) => `${sqlText(column.name)}: ${sqlText(duckdbType(column.type))}`,
  );
  return `read_json(${sqlText(glob)}, format = 'newline_delimited', compression = 'gzip', filename = true,
  hive_partitioning = false, ignore_errors = true, columns = {${columns.join(', ')}})`;
}

function lookupSelect(root: string, table: LookupTable): string {
  const folder = join(root, table.folder);
  const files = existsSync(folder)
    ? readdirSync(folder).filter((name) => name.toLowerCase().endsWith('.csv'))
    : [];
  if (files.length === 0) return emptySelect(table.columns);
  const columns = table.columns.map((column) => `${sqlText(column.name)}: 'VARCHAR'`).join(', ');
  return `SELECT * FROM read_csv(${sqlText(join(folder, '*.csv'))}, header = true, quote = '"', escape = '"',
  delim = ',', columns = {${columns}})`;
}

/** A typed, empty relation: the table exists and every query runs, with no rows. */
function emptySelect(columns: readonly Column[]): string {
  return `SELECT ${columns.map((column) => `CAST(NULL AS ${duckdbType(column.type)}) AS "${column.name}"`).join(', ')} WHERE false`;
}

function countObjects(root: string, stream: EventType): number {
  let count = 0;
  for (const source of subfolders(root, 'source=')) {
    const streamDir = join(root, source, `type=${stream}`);
    for (const dt of subfolders(streamDir, 'dt=')) {
      count += readdirSync(join(streamDir, dt)).filter((name) => name.endsWith('.ndjson.gz')).length;
    }
  }
  return count;
}

function countBackfillObjects(root: string, stream: EventType): number {
  const backfills = join(root, BACKFILL_PREFIX);
  if (!existsSync(backfills)) return 0;
  return readdirSync(backfills, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .reduce((sum, range) => sum + countObjects(join(backfills, range.name), stream), 0);
}

function subfolders(directory: string, prefix: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name.startsWith(prefix))
    .map((entry) => entry.name);
}

function toResult(result: DuckDBResultReader): QueryResult {
  const columns = result.columnNames();
  const types = result.columnTypes().map((type) => type.toString());
  const rows = result.getRowObjectsJson().map((raw) => {
    const row: Row = {};
    columns.forEach((name, index) => {
      row[name] = convert(raw[name], types[index] ?? '');
    });
    return row;
  });
  return { columns, rows };
}

function convert(value: unknown, type: string): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (/^(BIGINT|HUGEINT|UBIGINT|UHUGEINT)$/.test(type) || type.startsWith('DECIMAL')) {
    const number = Number(value);
    return Number.isSafeInteger(number) || type.startsWith('DECIMAL') ? number : String(value);
  }
  if (type === 'TIMESTAMP' || type === 'TIMESTAMP WITH TIME ZONE') return isoMillis(String(value));
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** `2026-09-23 01:15:45.559830` (the session is in UTC) as `2026-09-23T01:15:45.559Z`, Athena's precision. */
function isoMillis(text: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d+))?/.exec(text);
  if (!match) return text;
  return `${match[1]}T${match[2]}.${`${match[3] ?? ''}000`.slice(0, 3)}Z`;
}
