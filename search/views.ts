/**
 * Views over the stream tables and the lookups: `users` (latest name and e-mail of every user
 * uuid seen in any event) and one `<stream>_named` view per stream with flat columns, a real
 * timestamp and readable names, so saved queries and analysts never join by hand.
 *
 * Each view declares its columns and types, and its SQL casts to them: Athena stores a view's
 * column types beside its text and refuses a view whose query no longer matches them, and
 * DuckDB then returns the same types as Athena.
 */
import type { Dialect, ValueType } from './dialect';

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
  col('event_time', 'timestamp', 'event time in UTC'),
  col('source', 'varchar'),
  col('dt', 'varchar', 'UTC date the batch was written; filter on it to scan less'),
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

export const VIEWS: readonly ViewDefinition[] = [
  {
    name: 'users',
    description:
      'Every user uuid seen in any event, with the name and e-mail of its latest event (events carry them; the API has no user list)',
    columns: [
      col('user_uuid', 'varchar'),
      col('name', 'varchar'),
      col('email', 'varchar'),
      col('first_seen', 'timestamp'),
      col('last_seen', 'timestamp'),
    ],
    body: (d) => `WITH seen AS (
  SELECT target_user.uuid AS user_uuid, target_user.name AS name, target_user.email AS email, ${d.ts('"timestamp"')} AS seen_at
  FROM signinattempts
  UNION ALL
  SELECT "user".uuid, "user".name, "user".email, ${d.ts('"timestamp"')} FROM itemusages
  UNION ALL
  SELECT actor_details.uuid, actor_details.name, actor_details.email, ${d.ts('"timestamp"')} FROM auditevents
  UNION ALL
  SELECT object_details.uuid, object_details.name, object_details.email, ${d.ts('"timestamp"')} FROM auditevents
  UNION ALL
  SELECT aux_details.uuid, aux_details.name, aux_details.email, ${d.ts('"timestamp"')} FROM auditevents
)
SELECT user_uuid, max_by(name, seen_at) AS name, max_by(email, seen_at) AS email,
  min(seen_at) AS first_seen, max(seen_at) AS last_seen
FROM seen
WHERE user_uuid IS NOT NULL AND user_uuid <> '' AND name IS NOT NULL
GROUP BY user_uuid`,
  },
  {
    name: 'signinattempts_named',
    description: 'Sign-in attempts with a UTC event_time, an outcome and the user’s latest name',
    columns: [
      ...EVENT_COLUMNS,
      col('category', 'varchar'),
      col('type', 'varchar'),
      col('outcome', 'varchar', `success (${SUCCESSFUL_SIGNIN_CATEGORIES.join(', ')}) or failure`),
      col('country', 'varchar', 'ISO 3166 code of the sign-in; NULL when empty'),
      col('location_country', 'varchar'),
      col('city', 'varchar'),
      col('user_uuid', 'varchar'),
      col('user_name', 'varchar'),
      col('user_email', 'varchar'),
      col('details', 'varchar'),
      col('app_name', 'varchar'),
      col('os_name', 'varchar'),
      col('ip_address', 'varchar'),
    ],
    body: (
      d,
    ) => `SELECT e.uuid AS uuid, ${d.ts('e."timestamp"')} AS event_time, e.source AS source, e.dt AS dt,
  e.category AS category, e."type" AS "type",
  CASE WHEN e.category IN (${list(SUCCESSFUL_SIGNIN_CATEGORIES)}) THEN 'success' ELSE 'failure' END AS outcome,
  nullif(e.country, '') AS country, e."location".country AS location_country, e."location".city AS city,
  e.target_user.uuid AS user_uuid,
  coalesce(u.name, e.target_user.name) AS user_name,
  coalesce(u.email, e.target_user.email) AS user_email,
  e.details.value AS details, e.client.app_name AS app_name, e.client.os_name AS os_name,
  e.client.ip_address AS ip_address
FROM signinattempts e
LEFT JOIN users u ON u.user_uuid = e.target_user.uuid`,
  },
  {
    name: 'itemusages_named',
    description:
      'Item usages with a UTC event_time, vault names and item titles from the lookups, and user names',
    columns: [
      ...EVENT_COLUMNS,
      col('action', 'varchar'),
      col('vault_uuid', 'varchar'),
      col('vault_name', 'varchar', 'from lookups/vaults/; the uuid when the vault is not listed'),
      col('item_uuid', 'varchar'),
      col('item_title', 'varchar', 'from lookups/items/; the uuid when the item is not listed'),
      col('used_version', 'bigint'),
      col('user_uuid', 'varchar'),
      col('user_name', 'varchar'),
      col('user_email', 'varchar'),
      col('app_name', 'varchar'),
      col('ip_address', 'varchar'),
      col('country', 'varchar'),
    ],
    body: (
      d,
    ) => `SELECT e.uuid AS uuid, ${d.ts('e."timestamp"')} AS event_time, e.source AS source, e.dt AS dt,
  e.action AS action,
  e.vault_uuid AS vault_uuid, coalesce(v.name, e.vault_uuid) AS vault_name,
  e.item_uuid AS item_uuid, coalesce(i.title, e.item_uuid) AS item_title,
  e.used_version AS used_version,
  e."user".uuid AS user_uuid,
  coalesce(u.name, e."user".name) AS user_name,
  coalesce(u.email, e."user".email) AS user_email,
  e.client.app_name AS app_name, e.client.ip_address AS ip_address, e."location".country AS country
FROM itemusages e
LEFT JOIN ${VAULT_NAMES} v ON v.vault_uuid = lower(e.vault_uuid)
LEFT JOIN ${ITEM_NAMES} i ON i.item_uuid = lower(e.item_uuid)
LEFT JOIN users u ON u.user_uuid = e."user".uuid`,
  },
  {
    name: 'auditevents_named',
    description:
      'Audit events with a UTC event_time, the actor’s latest name, and the object’s name (user, vault or item)',
    columns: [
      ...EVENT_COLUMNS,
      col('action', 'varchar'),
      col('object_type', 'varchar'),
      col('object_uuid', 'varchar'),
      col('object_name', 'varchar', 'user name, vault name or item title, when known'),
      col('actor_uuid', 'varchar'),
      col('actor_name', 'varchar'),
      col('actor_email', 'varchar'),
      col('aux_uuid', 'varchar'),
      col('aux_name', 'varchar'),
      col('aux_info', 'varchar'),
      col('ip_address', 'varchar'),
      col('country', 'varchar'),
    ],
    body: (
      d,
    ) => `SELECT e.uuid AS uuid, ${d.ts('e."timestamp"')} AS event_time, e.source AS source, e.dt AS dt,
  e.action AS action, e.object_type AS object_type, e.object_uuid AS object_uuid,
  coalesce(e.object_details.name, v.name, i.title) AS object_name,
  e.actor_uuid AS actor_uuid,
  coalesce(u.name, e.actor_details.name) AS actor_name,
  coalesce(u.email, e.actor_details.email) AS actor_email,
  e.aux_uuid AS aux_uuid, e.aux_details.name AS aux_name, e.aux_info AS aux_info,
  e."session".ip AS ip_address, e."location".country AS country
FROM auditevents e
LEFT JOIN users u ON u.user_uuid = e.actor_uuid
LEFT JOIN ${VAULT_NAMES} v ON e.object_type IN ('vault', 'uva', 'gva', 'items') AND v.vault_uuid = lower(e.object_uuid)
LEFT JOIN ${ITEM_NAMES} i ON e.object_type = 'item' AND i.item_uuid = lower(e.object_uuid)`,
  },
];

/** The view's SQL in a dialect: its body, cast column by column to the declared types. */
export function renderView(view: ViewDefinition, d: Dialect): string {
  const columns = view.columns
    .map((column) => `  ${d.cast(`v."${column.name}"`, column.type)} AS "${column.name}"`)
    .join(',\n');
  return `SELECT\n${columns}\nFROM (\n${view.body(d)}\n) AS v`;
}
