/**
 * Views over the stream tables and the lookups, so saved queries and analysts never join by
 * hand: `countries` (ISO codes and the names events give instead), `users` (latest name and
 * e-mail of everyone any event names), `user_keys` (how events name each of them) and one
 * `<stream>_named` view per stream with flat columns, a real timestamp and readable names.
 *
 * The views read real events as they come, not only the current API shape:
 * - every event once: a stream's own objects and its backfills, by uuid (see {@link streamEvents});
 * - people by their uuid, or, in events that carry none, by their e-mail or name ({@link people});
 * - the client address from `client.ip_address`, or from `client.ip` in older events;
 * - countries as ISO 3166 codes, whether the event gave a code or a name (`countries`);
 * - time stamps in any RFC 3339 form, or without a zone (read as UTC), through the dialect's `ts()`.
 *
 * Each view declares its columns and types, and its SQL casts to them: Athena stores a view's
 * column types beside its text and refuses a view whose query no longer matches them, and
 * DuckDB then returns the same types as Athena.
 */

import { countrySpellings } from '../lambdas/shared/countries';
import type { EventType } from '../lambdas/shared/event-types';
import { type Dialect, literal, type ValueType } from './dialect';
import { backfillTable, STREAM_COLUMNS } from './schema';

export interface ViewColumn {
  readonly name: string;
  readonly type: ValueType;
  readonly comment?: string;
}

export interface ViewDefinition {
  readonly name: string;
  readonly description: string;
  readonly columns: readonly ViewColumn[];
  /** A SELECT returning (at least) the declared columns, by name. */
  readonly body: (d: Dialect) => string;
}

/** Categories a sign-in counts as let in; everything else, unknown values included, failed. */
export const SUCCESSFUL_SIGNIN_CATEGORIES = ['success', 'firewall_reported_success'] as const;

const col = (name: string, type: ValueType, comment?: string): ViewColumn => ({
  name,
  type,
  ...(comment ? { comment } : {}),
});

const EVENT_COLUMNS: readonly ViewColumn[] = [
  col('uuid', 'varchar'),
  col('event_time', 'timestamp', 'event time in UTC (a time stamp without a zone is read as UTC)'),
  col('source', 'varchar'),
  col('dt', 'varchar', 'UTC date the batch was written; filter on it to scan less'),
];

const COUNTRY_COLUMNS: readonly ViewColumn[] = [
  col('country', 'varchar', 'ISO 3166 code; a name the countries view does not know, as given'),
  col(
    'country_source',
    'varchar',
    'code (the event gave the code), name (a name, mapped to its code), unmapped (a name kept as given), NULL (none)',
  ),
];

/** Lookup rows with the uuid normalised and one row per uuid, so a duplicate never doubles an event. */
const VAULT_NAMES = `(
    SELECT lower(trim(vault_uuid)) AS vault_uuid, max(trim(name)) AS name
    FROM vaults
    WHERE vault_uuid IS NOT NULL AND trim(name) <> ''
    GROUP BY lower(trim(vault_uuid))
  )`;
const ITEM_NAMES = `(
    SELECT lower(trim(item_uuid)) AS item_uuid, max(trim(title)) AS title
    FROM items
    WHERE item_uuid IS NOT NULL AND trim(title) <> ''
    GROUP BY lower(trim(item_uuid))
  )`;

const list = (values: readonly string[]) => values.map((value) => `'${value}'`).join(', ');

/**
 * Every event of a stream once, as a subquery with the stream table's columns, `source` and
 * `dt`: the stream's own objects and the objects of its backfills, one row per event uuid and
 * source. A backfill that overlaps the stream's own objects holds the same events again; the
 * stream's copy is kept, else the earliest written. Events without a uuid are all kept.
 */
export function streamEvents(stream: EventType): string {
  const columns = STREAM_COLUMNS[stream].map((column) => `"${column.name}"`).join(', ');
  return `(
    SELECT * FROM (
      SELECT copies.*, row_number() OVER (
        PARTITION BY copies.source, copies.uuid
        ORDER BY copies.copy_rank, copies.dt, copies."timestamp", copies.copy_key
      ) AS copy
      FROM (
        SELECT ${columns}, source, dt, 0 AS copy_rank, '' AS copy_key
        FROM ${stream}
        UNION ALL
        SELECT ${columns},
          regexp_extract("$path", '/source=([^/]+)/', 1) AS source,
          regexp_extract("$path", '/dt=([0-9]{4}-[0-9]{2}-[0-9]{2})/', 1) AS dt,
          1 AS copy_rank, "$path" AS copy_key
        FROM ${backfillTable(stream)}
        WHERE "$path" LIKE '%/type=${stream}/%'
      ) AS copies
    ) AS numbered
    WHERE copy = 1 OR uuid IS NULL
  )`;
}

/**
 * How a user object names a person, as one text: the uuid; where the event carries none (audit
 * events that name people by name and e-mail only), the e-mail in lower case; else the name.
 * `user_keys` maps it to the person (`users.user_key`), so that people named without a uuid are
 * counted too, and with their uuid when another event gives it beside the same e-mail.
 */
export function userKey(uuid: string, email: string, name: string): string {
  return `coalesce(nullif(trim(${uuid}), ''), lower(nullif(trim(${email}), '')), nullif(trim(${name}), ''))`;
}

/** The country columns of a raw country text, with `countries` joined as `alias` on it. */
function countryColumns(alias: string, raw: string): string {
  const given = `nullif(trim(${raw}), '')`;
  return `coalesce(${alias}.code, ${given}) AS country,
  CASE WHEN ${given} IS NULL THEN NULL WHEN ${alias}.code IS NULL THEN 'unmapped'
    WHEN upper(${given}) = ${alias}.code THEN 'code' ELSE 'name' END AS country_source`;
}
const joinCountries = (alias: string, raw: string) =>
  `LEFT JOIN countries ${alias} ON ${alias}.spelling = lower(trim(${raw}))`;

/** The client address: `client.ip_address`, or `client.ip` where an older event has only that. */
const clientIp = (client: string) =>
  `coalesce(nullif(trim(${client}.ip_address), ''), nullif(trim(${client}.ip), ''))`;

/** A time that sorts before every event, for the latest-value aggregates of events without a readable time. */
const EPOCH = `TIMESTAMP '1970-01-01 00:00:00'`;

/**
 * The people events name, as common table expressions: `seen` (every user object of every event,
 * once per event), `resolved` (each e-mail some event gives with a uuid, to the uuid of the
 * latest such event), `keyed` (each sighting with its `lookup_key`, as {@link userKey} spells it,
 * and `user_key`, the person: the uuid, else the uuid its e-mail resolves to, else the e-mail,
 * else the name) and `persons` (one row per person, with the latest name and e-mail). A person
 * that scrubbed audit events name by e-mail only is then the same person as in their sign-ins.
 */
function people(d: Dialect): string {
  const seen = (from: string, person: string) =>
    `SELECT nullif(trim(${person}.uuid), '') AS user_uuid, ${person}.name AS name, ${person}.email AS email,
    ${d.ts('"timestamp"')} AS seen_at
  FROM ${from}`;
  // An audit event names up to three people: read it once, and take each in turn.
  const audit = (field: string) =>
    `CASE who WHEN 1 THEN ${field === 'uuid' ? 'coalesce(actor_details.uuid, actor_uuid)' : `actor_details.${field}`} WHEN 2 THEN object_details.${field} ELSE aux_details.${field} END`;
  const latest = (value: string) =>
    `max_by(${value}, coalesce(seen_at, ${EPOCH})) FILTER (WHERE ${value} IS NOT NULL)`;
  return `seen AS (
  ${seen(streamEvents('signinattempts'), 'target_user')}
  UNION ALL
  ${seen(streamEvents('itemusages'), '"user"')}
  UNION ALL
  SELECT nullif(trim(${audit('uuid')}), ''), ${audit('name')}, ${audit('email')}, ${d.ts('"timestamp"')}
  FROM ${streamEvents('auditevents')} CROSS JOIN (VALUES (1), (2), (3)) AS people (who)
),
resolved AS (
  SELECT lower(trim(email)) AS email_key, ${latest('user_uuid')} AS user_uuid
  FROM seen
  WHERE user_uuid IS NOT NULL AND nullif(trim(email), '') IS NOT NULL
  GROUP BY lower(trim(email))
),
keyed AS (
  SELECT ${userKey('s.user_uuid', 's.email', 's.name')} AS lookup_key,
    coalesce(s.user_uuid, r.user_uuid, lower(nullif(trim(s.email), '')), nullif(trim(s.name), '')) AS user_key,
    s.user_uuid, s.name, s.email, s.seen_at
  FROM seen s
  LEFT JOIN resolved r ON s.user_uuid IS NULL AND r.email_key = lower(trim(s.email))
  WHERE s.name IS NOT NULL OR s.email IS NOT NULL
),
persons AS (
  SELECT user_key, max(user_uuid) AS user_uuid, ${latest('name')} AS name, ${latest('email')} AS email,
    min(seen_at) AS first_seen, max(seen_at) AS last_seen
  FROM keyed
  WHERE user_key IS NOT NULL
  GROUP BY user_key
)`;
}

const PERSON_COLUMNS: readonly ViewColumn[] = [
  col(
    'user_key',
    'varchar',
    'the uuid; for people no event names by uuid, their e-mail in lower case, else their name',
  ),
  col('user_uuid', 'varchar', 'NULL for people no event names by uuid'),
  col('name', 'varchar'),
  col('email', 'varchar'),
  col('first_seen', 'timestamp'),
  col('last_seen', 'timestamp'),
];

export const VIEWS: readonly ViewDefinition[] = [
  {
    name: 'countries',
    description:
      'ISO 3166 country codes and every spelling the views map to them (the code itself, names, other names), in lower case',
    columns: [
      col('spelling', 'varchar', 'a code or a name, lower case; events are matched on lower(trim(country))'),
      col('code', 'varchar', 'ISO 3166-1 alpha-2'),
    ],
    // Lower-cased by the engine that also lower-cases the events' values, so both sides agree.
    body: () => `WITH names AS (
  SELECT * FROM (VALUES
  ${countrySpellings()
    .map((row) => `(${literal(row.spelling)}, ${literal(row.code)})`)
    .join(',\n  ')}
  ) AS names (spelling, code)
)
SELECT lower(spelling) AS spelling, code FROM names
UNION
SELECT lower(code), code FROM names`,
  },
  {
    name: 'user_keys',
    description:
      'Every way events name a person (a uuid, an e-mail, a name), with the person it stands for: how the named views find people',
    columns: [
      col(
        'lookup_key',
        'varchar',
        'the uuid, e-mail (lower case) or name an event gives, as userKey() spells it',
      ),
      ...PERSON_COLUMNS,
    ],
    body: (d) => `WITH ${people(d)}
SELECT DISTINCT k.lookup_key, p.user_key, p.user_uuid, p.name, p.email, p.first_seen, p.last_seen
FROM keyed k
JOIN persons p ON p.user_key = k.user_key`,
  },
  {
    name: 'users',
    description:
      'Everyone any event names, once, with the name and e-mail of their latest event: by uuid, or by e-mail or name where events carry no uuid',
    columns: PERSON_COLUMNS,
    // Every row of a person in user_keys holds the same values: one row per person.
    body: () => `SELECT user_key, max(user_uuid) AS user_uuid, max(name) AS name, max(email) AS email,
  min(first_seen) AS first_seen, max(last_seen) AS last_seen
FROM user_keys
GROUP BY user_key`,
  },
  {
    name: 'signinattempts_named',
    description:
      'Sign-in attempts, each once, with a UTC event_time, an outcome, an ISO country and the user’s latest name',
    columns: [
      ...EVENT_COLUMNS,
      col('category', 'varchar'),
      col('type', 'varchar'),
      col('outcome', 'varchar', `success (${SUCCESSFUL_SIGNIN_CATEGORIES.join(', ')}) or failure`),
      ...COUNTRY_COLUMNS,
      col('location_country', 'varchar', 'country of the geolocated address, as the event gave it'),
      col('city', 'varchar'),
      col('user_key', 'varchar', 'see users.user_key'),
      col('user_uuid', 'varchar'),
      col('user_name', 'varchar'),
      col('user_email', 'varchar'),
      col('details', 'varchar'),
      col('app_name', 'varchar'),
      col('os_name', 'varchar'),
      col('ip_address', 'varchar', 'client.ip_address, or client.ip in older events'),
    ],
    body: (d) => {
      const key = userKey('e.target_user.uuid', 'e.target_user.email', 'e.target_user.name');
      return `SELECT e.uuid AS uuid, ${d.ts('e."timestamp"')} AS event_time, e.source AS source, e.dt AS dt,
  e.category AS category, e."type" AS "type",
  CASE WHEN e.category IN (${list(SUCCESSFUL_SIGNIN_CATEGORIES)}) THEN 'success' ELSE 'failure' END AS outcome,
  ${countryColumns('c', 'e.country')},
  e."location".country AS location_country, e."location".city AS city,
  coalesce(u.user_key, ${key}) AS user_key, e.target_user.uuid AS user_uuid,
  coalesce(u.name, e.target_user.name) AS user_name,
  coalesce(u.email, e.target_user.email) AS user_email,
  e.details.value AS details, e.client.app_name AS app_name, e.client.os_name AS os_name,
  ${clientIp('e.client')} AS ip_address
FROM ${streamEvents('signinattempts')} e
LEFT JOIN user_keys u ON u.lookup_key = ${key}
${joinCountries('c', 'e.country')}`;
    },
  },
  {
    name: 'itemusages_named',
    description:
      'Item usages, each once, with a UTC event_time, vault names and item titles from the lookups, user names and an ISO country',
    columns: [
      ...EVENT_COLUMNS,
      col('action', 'varchar', 'NULL in events from before the API sent it'),
      col('vault_uuid', 'varchar'),
      col('vault_name', 'varchar', 'from lookups/vaults/; the uuid when the vault is not listed'),
      col('item_uuid', 'varchar'),
      col('item_title', 'varchar', 'from lookups/items/; the uuid when the item is not listed'),
      col('used_version', 'bigint'),
      col('user_key', 'varchar', 'see users.user_key'),
      col('user_uuid', 'varchar'),
      col('user_name', 'varchar'),
      col('user_email', 'varchar'),
      col('app_name', 'varchar'),
      col('ip_address', 'varchar', 'client.ip_address, or client.ip in older events'),
      ...COUNTRY_COLUMNS,
    ],
    body: (d) => {
      const key = userKey('e."user".uuid', 'e."user".email', 'e."user".name');
      return `SELECT e.uuid AS uuid, ${d.ts('e."timestamp"')} AS event_time, e.source AS source, e.dt AS dt,
  e.action AS action,
  e.vault_uuid AS vault_uuid, coalesce(v.name, e.vault_uuid) AS vault_name,
  e.item_uuid AS item_uuid, coalesce(i.title, e.item_uuid) AS item_title,
  e.used_version AS used_version,
  coalesce(u.user_key, ${key}) AS user_key, e."user".uuid AS user_uuid,
  coalesce(u.name, e."user".name) AS user_name,
  coalesce(u.email, e."user".email) AS user_email,
  e.client.app_name AS app_name, ${clientIp('e.client')} AS ip_address,
  ${countryColumns('c', 'e."location".country')}
FROM ${streamEvents('itemusages')} e
LEFT JOIN ${VAULT_NAMES} v ON v.vault_uuid = lower(e.vault_uuid)
LEFT JOIN ${ITEM_NAMES} i ON i.item_uuid = lower(e.item_uuid)
LEFT JOIN user_keys u ON u.lookup_key = ${key}
${joinCountries('c', 'e."location".country')}`;
    },
  },
  {
    name: 'auditevents_named',
    description:
      'Audit events, each once, with a UTC event_time, the actor’s latest name, the object’s name (user, vault or item) and an ISO country',
    columns: [
      ...EVENT_COLUMNS,
      col('action', 'varchar'),
      col('object_type', 'varchar'),
      col('object_uuid', 'varchar'),
      col('object_name', 'varchar', 'user name, vault name or item title, when known'),
      col('actor_key', 'varchar', 'see users.user_key'),
      col('actor_uuid', 'varchar'),
      col('actor_name', 'varchar'),
      col('actor_email', 'varchar'),
      col('aux_uuid', 'varchar'),
      col('aux_name', 'varchar'),
      col('aux_info', 'varchar'),
      col('ip_address', 'varchar'),
      ...COUNTRY_COLUMNS,
    ],
    body: (d) => {
      const actorUuid = 'coalesce(e.actor_uuid, e.actor_details.uuid)';
      const key = userKey(actorUuid, 'e.actor_details.email', 'e.actor_details.name');
      return `SELECT e.uuid AS uuid, ${d.ts('e."timestamp"')} AS event_time, e.source AS source, e.dt AS dt,
  e.action AS action, e.object_type AS object_type, e.object_uuid AS object_uuid,
  coalesce(e.object_details.name, v.name, i.title) AS object_name,
  coalesce(u.user_key, ${key}) AS actor_key, ${actorUuid} AS actor_uuid,
  coalesce(u.name, e.actor_details.name) AS actor_name,
  coalesce(u.email, e.actor_details.email) AS actor_email,
  e.aux_uuid AS aux_uuid, e.aux_details.name AS aux_name, e.aux_info AS aux_info,
  e."session".ip AS ip_address,
  ${countryColumns('c', 'e."location".country')}
FROM ${streamEvents('auditevents')} e
LEFT JOIN user_keys u ON u.lookup_key = ${key}
LEFT JOIN ${VAULT_NAMES} v ON e.object_type IN ('vault', 'uva', 'gva', 'items') AND v.vault_uuid = lower(e.object_uuid)
LEFT JOIN ${ITEM_NAMES} i ON e.object_type = 'item' AND i.item_uuid = lower(e.object_uuid)
${joinCountries('c', 'e."location".country')}`;
    },
  },
];

/** The view's SQL in a dialect: its body, cast column by column to the declared types. */
export function renderView(view: ViewDefinition, d: Dialect): string {
  const columns = view.columns
    .map((column) => `  ${d.cast(`v."${column.name}"`, column.type)} AS "${column.name}"`)
    .join(',\n');
  return `SELECT\n${columns}\nFROM (\n${view.body(d)}\n) AS v`;
}
