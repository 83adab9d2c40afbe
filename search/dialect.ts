/**
 * The few places where Athena (Trino) and DuckDB SQL differ, so that every view and saved
 * query is written once. Everything else the queries use (struct access `a.b`, CASE, window
 * functions, `max_by`, `INTERVAL '7' DAY`, double-quoted identifiers) reads the same in both.
 */

/** Types a view's columns may have; views cast to them so both engines agree. */
export type ValueType = 'varchar' | 'bigint' | 'double' | 'timestamp' | 'date';

export interface Dialect {
  readonly name: 'athena' | 'duckdb';
  /**
   * An RFC 3339 text (0 to 9 fractional digits, `Z` or an offset) as a UTC timestamp without
   * zone; NULL when the text is not a timestamp, so one odd event cannot fail a query.
   */
  ts(text: string): string;
  /** The UTC calendar date of a timestamp from {@link ts}. */
  day(timestamp: string): string;
  /** The query's "now", as a UTC timestamp without zone. */
  now(): string;
  /** `now()` minus whole days. */
  daysAgo(days: number): string;
  /**
   * The earliest `dt` (write date) that can hold an event newer than `daysAgo(days)`: an event
   * is written after it happens, so `dt >= dtSince(n)` prunes partitions without losing any.
   */
  dtSince(days: number): string;
  /** Aggregate: the distinct non-null values of a text expression, sorted, joined with ", ". */
  listDistinct(text: string): string;
  /** CAST to a view column type. */
  cast(expression: string, type: ValueType): string;
}

const ATHENA_TYPES: Record<ValueType, string> = {
  varchar: 'varchar',
  bigint: 'bigint',
  double: 'double',
  timestamp: 'timestamp',
  date: 'date',
};

/** Athena engine version 3 (Trino). */
export const athena: Dialect = {
  name: 'athena',
  ts: (text) => `CAST(try(from_iso8601_timestamp(${text})) AT TIME ZONE 'UTC' AS timestamp)`,
  day: (timestamp) => `CAST(${timestamp} AS date)`,
  now: () => `CAST(current_timestamp AT TIME ZONE 'UTC' AS timestamp)`,
  daysAgo: (days) => `(${athena.now()} - INTERVAL '${wholeDays(days)}' DAY)`,
  dtSince: (days) => `date_format(${athena.daysAgo(days)}, '%Y-%m-%d')`,
  listDistinct: (text) => `array_join(array_sort(array_distinct(array_agg(${text}))), ', ')`,
  cast: (expression, type) => `CAST(${expression} AS ${ATHENA_TYPES[type]})`,
};

const DUCKDB_TYPES: Record<ValueType, string> = {
  varchar: 'VARCHAR',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  timestamp: 'TIMESTAMP',
  date: 'DATE',
};

/**
 * DuckDB, for local copies of the archive. `now` pins the clock, so a report or a test can
 * say "the 30 days before this instant" and get the same rows on every run.
 */
export function duckdb(options: { now?: Date } = {}): Dialect {
  const { now } = options;
  const dialect: Dialect = {
    name: 'duckdb',
    // TIMESTAMPTZ reads nanoseconds (kept to the microsecond) and numeric offsets.
    ts: (text) => `(TRY_CAST(${text} AS TIMESTAMPTZ) AT TIME ZONE 'UTC')`,
    day: (timestamp) => `CAST(${timestamp} AS DATE)`,
    now: () =>
      now
        ? `TIMESTAMP '${now.toISOString().replace('T', ' ').replace('Z', '')}'`
        : `(now() AT TIME ZONE 'UTC')`,
    daysAgo: (days) => `(${dialect.now()} - INTERVAL '${wholeDays(days)}' DAY)`,
    dtSince: (days) => `strftime(${dialect.daysAgo(days)}, '%Y-%m-%d')`,
    listDistinct: (text) => `string_agg(DISTINCT ${text}, ', ' ORDER BY ${text})`,
    cast: (expression, type) => `CAST(${expression} AS ${DUCKDB_TYPES[type]})`,
  };
  return dialect;
}

function wholeDays(days: number): number {
  if (!Number.isInteger(days) || days < 0) throw new RangeError(`${days} is not a whole number of days`);
  return days;
}

/** A text literal, quotes doubled. */
export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
