/**
 * The archive's events as tables: one column list per stream, written once and rendered as
 * Glue (Hive) types for Athena and as DuckDB types for local queries, so both engines see
 * the same columns with the same types.
 *
 * Columns follow the Events API's v2 event schemas, with the older spellings events still
 * carry (`client.ip`). Fields the API adds later stay in the archive (every line is kept as
 * the API returned it) and can be added here without rewriting a single object.
 *
 * Each stream has two tables: its own objects (`source=…/type=<stream>/dt=…/`), partitioned by
 * source and write date, and the objects of every `backfill` run (`backfill/<from>_<to>/…`),
 * read whole. The views put them together, each event once.
 */
import type { EventType } from '../lambdas/shared/event-types';

export type ScalarType = 'string' | 'bigint' | 'double';
export type ColumnType = ScalarType | { readonly struct: readonly Column[] };

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
  readonly comment?: string;
}

const string = (name: string, comment?: string): Column => ({
  name,
  type: 'string',
  ...(comment ? { comment } : {}),
});
const struct = (name: string, fields: readonly Column[], comment?: string): Column => ({
  name,
  type: { struct: fields },
  ...(comment ? { comment } : {}),
});

const USER_FIELDS: readonly Column[] = [
  string('uuid'),
  string('name'),
  string('email'),
  string('user_type'),
  string('user_account_uuid'),
];

const CLIENT_FIELDS: readonly Column[] = [
  string('app_name'),
  string('app_version'),
  string('platform_name'),
  string('platform_version'),
  string('os_name'),
  string('os_version'),
  string('ip_address'),
  string('ip', 'the client address in older events, which have no ip_address'),
];

const LOCATION = struct(
  'location',
  [
    string('country'),
    string('region'),
    string('city'),
    { name: 'latitude', type: 'double' },
    { name: 'longitude', type: 'double' },
  ],
  'geolocation of the client IP at event time; absent for some events',
);

/**
 * RFC 3339 with 0 to 9 fractional digits and `Z` or an offset: kept as text because no
 * Hive timestamp type reads every form. Queries convert it through the dialect's `ts()`.
 */
const TIMESTAMP = string('timestamp', 'RFC 3339 event time (text; see the *_named views for a timestamp)');

export const STREAM_COLUMNS: Readonly<Record<EventType, readonly Column[]>> = {
  signinattempts: [
    string('uuid'),
    string('session_uuid'),
    TIMESTAMP,
    string('category', 'success, credentials_failed, mfa_failed, sso_failed, firewall_failed, ...'),
    string('type', 'credentials_ok, password_secret_bad, totp_bad, country_blocked, ...'),
    string('country', 'ISO 3166 code of the sign-in as sent; some events give a name (France), or nothing'),
    struct('details', [string('value')], 'e.g. what a firewall rule blocked'),
    struct('target_user', USER_FIELDS, 'the user who tried to sign in'),
    struct('client', CLIENT_FIELDS),
    LOCATION,
    string('account_uuid'),
  ],
  itemusages: [
    string('uuid'),
    TIMESTAMP,
    { name: 'used_version', type: 'bigint' },
    string('vault_uuid'),
    string('item_uuid'),
    string('action', 'fill, reveal, secure-copy, export, server-fetch, ...'),
    struct('user', USER_FIELDS),
    struct('client', CLIENT_FIELDS),
    LOCATION,
    string('account_uuid'),
  ],
  auditevents: [
    string('uuid'),
    TIMESTAMP,
    string('actor_uuid'),
    struct('actor_details', USER_FIELDS),
    string('actor_type'),
    string('actor_account_uuid'),
    string('account_uuid'),
    string('action', 'grant, suspend, enblmfa, create, ...'),
    string('object_type', 'user, vault, uva, gva, satoken, ...'),
    string('object_uuid'),
    struct('object_details', USER_FIELDS, 'present when the object is a user'),
    { name: 'aux_id', type: 'bigint' },
    string('aux_uuid'),
    struct('aux_details', USER_FIELDS, 'present when aux_uuid is a user'),
    string('aux_info'),
    struct('session', [string('uuid'), string('login_time'), string('device_uuid'), string('ip')]),
    LOCATION,
  ],
};

/**
 * The key layout's partitions: `source=` and `dt=` (the UTC date the batch was written, not
 * the event time). `type=` is not a column: each stream is a table of its own.
 */
export const PARTITION_COLUMNS: readonly Column[] = [
  string('source', 'the 1Password account (source) the event came from'),
  string('dt', 'UTC date the batch was written (YYYY-MM-DD), not the event date'),
];

/** Where `backfill` writes, relative to the archive prefix: `backfill/<from>_<to>/source=…/type=…/dt=…/`. */
export const BACKFILL_PREFIX = 'backfill/';

/**
 * The table of a stream's backfilled events: every object under {@link BACKFILL_PREFIX},
 * unpartitioned (the ranges are not known in advance), with the object's key in the hidden
 * column `"$path"`, from which the views take the stream, the source and the write date.
 */
export function backfillTable(stream: EventType): string {
  return `${stream}_backfill`;
}

/** Where the operator drops lookup CSVs, relative to the archive prefix. */
export const LOOKUPS_PREFIX = 'lookups/';

export interface LookupTable {
  readonly name: 'vaults' | 'items';
  /** Folder under the archive prefix holding the table's CSV files (with a header line). */
  readonly folder: string;
  /** Every column is text; the header line must name them in this order. */
  readonly columns: readonly Column[];
  readonly description: string;
}

export const LOOKUP_TABLES: readonly LookupTable[] = [
  {
    name: 'vaults',
    folder: `${LOOKUPS_PREFIX}vaults/`,
    columns: [string('vault_uuid'), string('name')],
    description: 'Vault names, from CSV files (header vault_uuid,name) under lookups/vaults/',
  },
  {
    name: 'items',
    folder: `${LOOKUPS_PREFIX}items/`,
    columns: [string('item_uuid'), string('vault_uuid'), string('title')],
    description: 'Item titles, from CSV files (header item_uuid,vault_uuid,title) under lookups/items/',
  },
];

/** Glue's (Hive's) spelling of a column type: `struct<uuid:string,name:string>`. */
export function hiveType(type: ColumnType): string {
  if (typeof type === 'string') return type;
  return `struct<${type.struct.map((field) => `${field.name}:${hiveType(field.type)}`).join(',')}>`;
}

/** DuckDB's spelling of a column type: `STRUCT("uuid" VARCHAR, "name" VARCHAR)`. */
export function duckdbType(type: ColumnType): string {
  if (type === 'string') return 'VARCHAR';
  if (type === 'bigint') return 'BIGINT';
  if (type === 'double') return 'DOUBLE';
  return `STRUCT(${type.struct.map((field) => `"${field.name}" ${duckdbType(field.type)}`).join(', ')})`;
}
