/**
 * The saved queries: each answers one question a security team asks of the archive, is
 * written once here, and is rendered for Athena (deployed as a named query) or for DuckDB
 * (the `query` and `report` commands). Parameters have defaults, so the Athena copy is the
 * query as rendered with them; edit the INTERVAL or the filter there to change them.
 *
 * Time windows use the event time (`event_time`) and, to scan less, the write date `dt`:
 * an event is written after it happens, so `dt >= dtSince(n)` never drops an event in the window.
 * People are counted by `user_key` (`actor_key`): their uuid, or for events that name them
 * without one, their e-mail or name (see views.ts).
 */
import { type Dialect, literal } from './dialect';

export type ParamValue = number | string;

export interface ParamDefinition {
  readonly kind: 'days' | 'count' | 'text';
  readonly default: ParamValue;
  readonly description: string;
}

export interface SavedQuery {
  /** Kebab-case id, used by the CLI and as the Athena named query's name. */
  readonly id: string;
  readonly title: string;
  /** The question it answers, shown by `query --list` and as the named query's description. */
  readonly question: string;
  readonly params: Readonly<Record<string, ParamDefinition>>;
  readonly sql: (d: Dialect, params: Readonly<Record<string, ParamValue>>) => string;
}

const days = (value: number, description = 'how many days back from now'): ParamDefinition => ({
  kind: 'days',
  default: value,
  description,
});

/** Administrative changes worth a second look, by what an auditor would call them. */
export const ADMIN_CHANGES: readonly {
  readonly label: string;
  readonly actions: readonly string[];
  readonly objectTypes?: readonly string[];
}[] = [
  { label: 'MFA changed', actions: ['enblmfa', 'disblmfa', 'updatmfa', 'enblduo', 'disblduo', 'updatduo'] },
  {
    label: 'SSO changed',
    actions: [
      'enblsso',
      'disblsso',
      'addgsso',
      'delgsso',
      'chngasso',
      'chngdsso',
      'chngpsso',
      'sdvcsso',
      'tdvcsso',
    ],
  },
  { label: 'User suspended', actions: ['suspend'], objectTypes: ['user'] },
  { label: 'Vault access granted', actions: ['grant'], objectTypes: ['uva', 'gva'] },
  { label: 'Service account token created', actions: ['create'], objectTypes: ['satoken'] },
];

/** Item usage actions that put a secret in front of a person or outside 1Password. */
export const EXPOSING_ACTIONS = ['reveal', 'secure-copy', 'export'] as const;

const quoted = (values: readonly string[]) => values.map(literal).join(', ');

const window = (d: Dialect, n: number) => `dt >= ${d.dtSince(n)} AND event_time >= ${d.daysAgo(n)}`;

export const SAVED_QUERIES: readonly SavedQuery[] = [
  {
    id: 'failed-signins-by-user-and-country',
    title: 'Failed sign-ins by user and country',
    question:
      'Who failed to sign in, from which country, and why? One row per user, country and category, most attempts first.',
    params: { days: days(30) },
    sql: (d, p) => `SELECT
  max(user_name) AS user_name,
  max(user_email) AS user_email,
  coalesce(country, '(unknown)') AS country,
  category,
  count(*) AS attempts,
  min(event_time) AS first_attempt,
  max(event_time) AS last_attempt,
  user_key
FROM signinattempts_named
WHERE outcome = 'failure' AND ${window(d, Number(p.days))}
GROUP BY user_key, coalesce(country, '(unknown)'), category
ORDER BY attempts DESC, user_name, country, category`,
  },
  {
    id: 'signins-from-new-countries',
    title: 'Sign-ins from new countries',
    question:
      'Which users signed in successfully from a country they had never signed in from before? Users with no earlier sign-in are left out.',
    params: { days: days(7, 'how recent a first sign-in from a country must be') },
    sql: (d, p) => `WITH ok AS (
  SELECT user_key, user_name, user_email, country, event_time
  FROM signinattempts_named
  WHERE category = 'success' AND country IS NOT NULL AND user_key IS NOT NULL AND event_time IS NOT NULL
),
pairs AS (
  SELECT user_key, country, min(event_time) AS first_seen, count(*) AS signins
  FROM ok
  GROUP BY user_key, country
),
before AS (
  SELECT user_key, ${d.listDistinct('country')} AS previous_countries
  FROM ok
  WHERE event_time < ${d.daysAgo(Number(p.days))}
  GROUP BY user_key
),
names AS (
  SELECT user_key, max(user_name) AS user_name, max(user_email) AS user_email
  FROM ok
  GROUP BY user_key
)
SELECT n.user_name, n.user_email, p.country, p.first_seen, p.signins, b.previous_countries, p.user_key
FROM pairs p
JOIN before b ON b.user_key = p.user_key
JOIN names n ON n.user_key = p.user_key
WHERE p.first_seen >= ${d.daysAgo(Number(p.days))}
ORDER BY p.first_seen DESC, p.user_key`,
  },
  {
    id: 'item-usage-by-vault-and-action',
    title: 'Item usage by vault and action over time',
    question:
      'How are the items of each shared vault used, day by day? Usages and distinct users per day, vault and action.',
    params: { days: days(30) },
    sql: (d, p) => `SELECT
  ${d.day('event_time')} AS day,
  vault_name,
  action,
  count(*) AS usages,
  count(DISTINCT user_key) AS users,
  vault_uuid
FROM itemusages_named
WHERE ${window(d, Number(p.days))}
GROUP BY ${d.day('event_time')}, vault_uuid, vault_name, action
ORDER BY day, vault_name, action`,
  },
  {
    id: 'item-reveals-copies-exports',
    title: 'Reveals, copies and exports of items in a vault',
    question: `Who revealed, copied or exported which item, and from where? Actions ${EXPOSING_ACTIONS.join(', ')}, newest first.`,
    params: {
      days: days(30),
      vault: { kind: 'text', default: '', description: 'a vault uuid or name; empty for every vault' },
    },
    sql: (d, p) => {
      const vault = literal(String(p.vault ?? ''));
      return `SELECT
  event_time,
  vault_name,
  item_title,
  action,
  user_name,
  user_email,
  app_name,
  ip_address,
  country,
  vault_uuid,
  item_uuid,
  uuid
FROM itemusages_named
WHERE action IN (${quoted(EXPOSING_ACTIONS)})
  AND ${window(d, Number(p.days))}
  AND (${vault} = '' OR vault_uuid = ${vault} OR vault_name = ${vault})
ORDER BY event_time DESC, uuid`;
    },
  },
  {
    id: 'admin-audit-actions',
    title: 'Administrative changes',
    question: `Who changed MFA or SSO, suspended users, granted vault access or created service-account tokens? (${ADMIN_CHANGES.map((c) => c.label).join('; ')})`,
    params: { days: days(30) },
    sql: (d, p) => {
      const cases = ADMIN_CHANGES.map(
        (change) =>
          `    WHEN action IN (${quoted(change.actions)})${
            change.objectTypes ? ` AND object_type IN (${quoted(change.objectTypes)})` : ''
          } THEN ${literal(change.label)}`,
      ).join('\n');
      return `SELECT event_time, change, action, object_type, actor_name, actor_email, object_name, aux_name, aux_info,
  ip_address, object_uuid, uuid
FROM (
  SELECT *, CASE
${cases}
  END AS change
  FROM auditevents_named
  WHERE ${window(d, Number(p.days))}
) AS changes
WHERE change IS NOT NULL
ORDER BY event_time DESC, uuid`;
    },
  },
  {
    id: 'activity-per-day',
    title: 'Activity per day per stream',
    question: 'How many events did each source and stream record per day (by event time, UTC)?',
    params: { days: days(90) },
    sql: (d, p) => {
      const stream = (name: string) =>
        `  SELECT ${d.day('event_time')} AS day, '${name}' AS stream, source
  FROM ${name}_named
  WHERE ${window(d, Number(p.days))}`;
      return `SELECT day, stream, source, count(*) AS events
FROM (
${['signinattempts', 'itemusages', 'auditevents'].map(stream).join('\n  UNION ALL\n')}
) AS activity
GROUP BY day, stream, source
ORDER BY day, stream, source`;
    },
  },
  {
    id: 'top-items',
    title: 'Most used items',
    question: 'Which items are used most, by how many people, and when last?',
    params: { days: days(30), limit: { kind: 'count', default: 10, description: 'how many items' } },
    sql: (d, p) => `SELECT
  max(item_title) AS item_title,
  max(vault_name) AS vault_name,
  count(*) AS usages,
  count(DISTINCT user_key) AS users,
  max(event_time) AS last_used,
  item_uuid,
  max(vault_uuid) AS vault_uuid
FROM itemusages_named
WHERE ${window(d, Number(p.days))}
GROUP BY item_uuid
ORDER BY usages DESC, item_uuid
LIMIT ${Number(p.limit)}`,
  },
  {
    id: 'top-users',
    title: 'Most active users',
    question:
      'Who does the most: sign-in attempts, item usages and audited actions per person (by uuid, or by e-mail or name where events carry no uuid)?',
    params: { days: days(30), limit: { kind: 'count', default: 10, description: 'how many users' } },
    sql: (d, p) => {
      const n = Number(p.days);
      return `SELECT
  max(user_name) AS user_name,
  max(user_email) AS user_email,
  sum(CASE WHEN stream = 'signinattempts' THEN 1 ELSE 0 END) AS signin_attempts,
  sum(CASE WHEN stream = 'itemusages' THEN 1 ELSE 0 END) AS item_usages,
  sum(CASE WHEN stream = 'auditevents' THEN 1 ELSE 0 END) AS audit_events,
  count(*) AS events,
  user_key
FROM (
  SELECT 'signinattempts' AS stream, user_key, user_name, user_email FROM signinattempts_named WHERE ${window(d, n)}
  UNION ALL
  SELECT 'itemusages', user_key, user_name, user_email FROM itemusages_named WHERE ${window(d, n)}
  UNION ALL
  SELECT 'auditevents', actor_key, actor_name, actor_email FROM auditevents_named WHERE ${window(d, n)}
) AS activity
WHERE user_key IS NOT NULL
GROUP BY user_key
ORDER BY events DESC, user_key
LIMIT ${Number(p.limit)}`;
    },
  },
];

/** A query's parameters with defaults filled in and values checked. */
export function resolveParams(
  query: SavedQuery,
  given: Readonly<Record<string, string | number>> = {},
): Record<string, ParamValue> {
  const unknown = Object.keys(given).filter((name) => !(name in query.params));
  if (unknown.length > 0) {
    const known = Object.keys(query.params);
    throw new RangeError(
      `${query.id} has no parameter ${unknown.join(', ')}; its parameters: ${known.length ? known.join(', ') : 'none'}`,
    );
  }
  const params: Record<string, ParamValue> = {};
  for (const [name, definition] of Object.entries(query.params)) {
    const raw = given[name] ?? definition.default;
    if (definition.kind === 'text') {
      params[name] = String(raw);
      continue;
    }
    const value = typeof raw === 'number' ? raw : Number(raw);
    const max = definition.kind === 'days' ? 36_500 : 100_000;
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new RangeError(
        `${query.id}: ${name} must be a whole number from 1 to ${max}, not ${JSON.stringify(raw)}`,
      );
    }
    params[name] = value;
  }
  return params;
}

export function findQuery(id: string): SavedQuery | undefined {
  return SAVED_QUERIES.find((query) => query.id === id);
}

/** The query's SQL in a dialect, with its parameters (defaults for those not given). */
export function renderQuery(
  query: SavedQuery,
  d: Dialect,
  given: Readonly<Record<string, string | number>> = {},
): string {
  return query.sql(d, resolveParams(query, given));
}
