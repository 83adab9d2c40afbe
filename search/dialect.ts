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
   * An event time stamp as a UTC timestamp without zone: RFC 3339 (0 to 9 fractional digits,
   * `Z` or an offset, `T` or a space between date and time), or a date and time without a
   * zone, which is read as UTC (see {@link canonicalTimestamp}). NULL for any other text, in
   * both engines alike, so one odd event cannot fail a query.
   */
  ts(text: string): string;
  /** Whether a text matches a regular expression (RE2 syntax, which both engines read alike). */
  matches(text: string, pattern: string): string;
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

// Only what one engine would read and the other not is checked here (hour 24, a leap second,
// a bare date, an offset without a colon); an impossible month or day is NULL in both parsers.
const DATE = '[0-9]{4}-[0-9]{2}-[0-9]{2}';
const TIME = '([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,9})?';
const ZONE = '([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])';

/**
 * A time stamp as one ISO 8601 text both engines parse the same way, or NULL: `T` between date
 * and time, upper-case `T` and `Z`, and `Z` added where the text has no zone. Without a zone,
 * an event time is read as UTC: the Events API sends UTC (or an offset) only, and the time
 * stamps without a zone that turn up in the wild are UTC times whose `Z` a tool dropped
 * (`2021-12-15 18:02:23`). Anything else (hour 24, a leap second, a bare date, an offset without
 * a colon) is no time stamp in either engine, rather than one engine guessing.
 */
export function canonicalTimestamp(d: Pick<Dialect, 'matches'>, text: string): string {
  return `CASE
    WHEN ${d.matches(text, `^${DATE}[Tt ]${TIME}$`)} THEN concat(substr(${text}, 1, 10), 'T', substr(${text}, 12), 'Z')
    WHEN ${d.matches(text, `^${DATE}[Tt ]${TIME}${ZONE}$`)} THEN concat(substr(${text}, 1, 10), 'T', upper(substr(${text}, 12)))
  END`;
}

/** Athena engine version 3 (Trino). */
export const athena: Dialect = {
  name: 'athena',
  // from_iso8601_timestamp reads 0 to 9 fractional digits and an offset; `try` makes an impossible date NULL.
  ts: (text) =>
    `CAST(try(from_iso8601_timestamp(${canonicalTimestamp(athena, text)})) AT TIME ZONE 'UTC' AS timestamp)`,
  matches: (text, pattern) => `regexp_like(${text}, ${literal(pattern)})`,
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
    ts: (text) => `(TRY_CAST(${canonicalTimestamp(dialect, text)} AS TIMESTAMPTZ) AT TIME ZONE 'UTC')`,
    matches: (text, pattern) => `regexp_matches(${text}, ${literal(pattern)})`,
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
