/**
 * The numbers behind the activity report, taken from the saved queries (so the report shows
 * what an analyst would get in Athena) and summed up per chart.
 */

import { EVENT_TYPES, type EventType } from '../../lambdas/shared/event-types';
import type { LocalArchive, Row } from '../local-archive';
import { ADMIN_CHANGES, EXPOSING_ACTIONS } from '../queries';
import type { ReportFindings } from './findings';

const DAY_MS = 86_400_000;
/** Past this many days the activity graph shows weeks: daily columns would be slivers. */
const MAX_DAILY_COLUMNS = 120;

export interface ReportOptions {
  /**
   * How many days back from `now` the report covers.
   * @default - from the oldest event in the archive
   */
  readonly days?: number;
  /** Rows in the "most used items" and "most active users" charts. @default 10 */
  readonly top?: number;
  /** Latest administrative changes listed. @default 15 */
  readonly recentChanges?: number;
}

export interface ActivityBucket {
  readonly day: string;
  readonly label: string;
  readonly values: Record<EventType, number>;
}

export interface ReportData {
  readonly now: string;
  readonly days: number;
  readonly from: string;
  readonly to: string;
  readonly sources: readonly string[];
  readonly bucket: 'day' | 'week';
  readonly totals: Record<EventType, number>;
  readonly activity: readonly ActivityBucket[];
  readonly usersSeen: number;
  readonly itemActions: readonly { action: string; usages: number }[];
  readonly topItems: readonly {
    itemUuid: string;
    title: string;
    vault: string;
    usages: number;
    users: number;
  }[];
  readonly topUsers: readonly {
    /** The user's uuid, or for people events name without one, their e-mail (lower case) or name. */
    userKey: string;
    name: string;
    email: string;
    counts: Record<EventType, number>;
  }[];
  readonly failedByCategory: readonly { category: string; attempts: number }[];
  readonly failedByCountry: readonly { country: string; attempts: number }[];
  readonly failedTotal: number;
  readonly signinTotal: number;
  readonly changeCounts: readonly { label: string; count: number }[];
  readonly recentChanges: readonly {
    time: string;
    change: string;
    actor: string;
    target: string;
    detail: string;
    ip: string;
  }[];
  readonly lookups: { vaultsNamed: number; vaultsSeen: number; itemsNamed: number; itemsSeen: number };
  /** The detector's findings in the period, when the archive is a folder with a `findings/` prefix. */
  readonly findings?: ReportFindings;
}

/** How the report names the action of item usages that carry none (events from before the field). */
export const NO_ACTION = '(not sent)';

const num = (value: Row[string] | undefined): number =>
  typeof value === 'number' ? value : Number(value ?? 0);
const str = (value: Row[string] | undefined): string =>
  value === null || value === undefined ? '' : String(value);

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function collectReport(
  archive: LocalArchive,
  now: Date,
  options: ReportOptions = {},
): Promise<ReportData> {
  const top = options.top ?? 10;
  const whole = options.days === undefined ? await sinceOldest(archive, now) : undefined;
  const days = options.days ?? whole?.days ?? 1;
  const window = { days };

  const [activityRows, failedRows, usageRows, itemRows, userRows, changeRows] = await Promise.all([
    archive.runSaved('activity-per-day', window),
    archive.runSaved('failed-signins-by-user-and-country', window),
    archive.runSaved('item-usage-by-vault-and-action', window),
    archive.runSaved('top-items', { ...window, limit: top }),
    archive.runSaved('top-users', { ...window, limit: top }),
    archive.runSaved('admin-audit-actions', window),
  ]);

  const totals = zeroCounts();
  const perDay = new Map<string, Record<EventType, number>>();
  const sources = new Set<string>();
  for (const row of activityRows.rows) {
    const stream = str(row.stream) as EventType;
    const day = str(row.day);
    const counts = perDay.get(day) ?? zeroCounts();
    counts[stream] += num(row.events);
    totals[stream] += num(row.events);
    perDay.set(day, counts);
    sources.add(str(row.source));
  }
  const firstMs = Date.parse(`${whole?.firstDay ?? utcDay(now.getTime() - days * DAY_MS)}T00:00:00Z`);
  // A client with a fast clock can send events dated after `now`: they get columns too.
  const newestDay = [...perDay.keys()].sort().at(-1);
  const lastMs = Math.max(
    Date.parse(`${utcDay(now.getTime())}T00:00:00Z`),
    newestDay ? Date.parse(`${newestDay}T00:00:00Z`) : 0,
  );
  const spanDays = Math.round((lastMs - firstMs) / DAY_MS) + 1;
  const bucket = spanDays > MAX_DAILY_COLUMNS ? 'week' : 'day';
  const activity: ActivityBucket[] = [];
  const step = bucket === 'week' ? 7 : 1;
  for (let start = firstMs; start <= lastMs; start += step * DAY_MS) {
    const values = zeroCounts();
    for (let offset = 0; offset < step; offset++) {
      const counts = perDay.get(utcDay(start + offset * DAY_MS));
      if (counts) for (const stream of EVENT_TYPES) values[stream] += counts[stream];
    }
    const day = utcDay(start);
    activity.push({ day, label: bucket === 'week' ? `Week of ${day}` : day, values });
  }

  const failedByCategory = sumBy(failedRows.rows, 'category', 'attempts').map(([category, attempts]) => ({
    category,
    attempts,
  }));
  const failedByCountry = sumBy(failedRows.rows, 'country', 'attempts').map(([country, attempts]) => ({
    country,
    attempts,
  }));
  const itemActions = sumBy(
    usageRows.rows.map((row) => ({ ...row, action: row.action ?? NO_ACTION })),
    'action',
    'usages',
  ).map(([action, usages]) => ({ action, usages }));

  const changeCounts = ADMIN_CHANGES.map(({ label }) => ({
    label,
    count: changeRows.rows.filter((row) => row.change === label).length,
  }));
  const recentChanges = changeRows.rows.slice(0, options.recentChanges ?? 15).map((row) => ({
    time: str(row.event_time),
    change: str(row.change),
    actor: str(row.actor_name) || str(row.actor_email) || 'unknown actor',
    target: str(row.object_name) || str(row.aux_name) || `${str(row.object_type)} ${str(row.object_uuid)}`,
    detail: str(row.aux_info) || (row.aux_name ? `for ${str(row.aux_name)}` : ''),
    ip: str(row.ip_address),
  }));

  const [users, lookups] = await Promise.all([
    archive.query('SELECT count(*) AS users FROM users'),
    archive.query(`SELECT
  count(DISTINCT vault_uuid) AS vaults_seen,
  count(DISTINCT CASE WHEN vault_name <> vault_uuid THEN vault_uuid END) AS vaults_named,
  count(DISTINCT item_uuid) AS items_seen,
  count(DISTINCT CASE WHEN item_title <> item_uuid THEN item_uuid END) AS items_named
FROM itemusages_named`),
  ]);
  const coverage = lookups.rows[0] ?? {};

  return {
    now: now.toISOString(),
    days,
    from: utcDay(firstMs),
    to: utcDay(lastMs),
    sources: [...sources].sort(),
    bucket,
    totals,
    activity,
    usersSeen: num(users.rows[0]?.users),
    itemActions,
    topItems: itemRows.rows.map((row) => ({
      itemUuid: str(row.item_uuid),
      title: str(row.item_title),
      vault: str(row.vault_name),
      usages: num(row.usages),
      users: num(row.users),
    })),
    topUsers: userRows.rows.map((row) => ({
      userKey: str(row.user_key),
      name: str(row.user_name) || str(row.user_email) || str(row.user_key),
      email: str(row.user_email),
      counts: {
        signinattempts: num(row.signin_attempts),
        itemusages: num(row.item_usages),
        auditevents: num(row.audit_events),
      },
    })),
    failedByCategory,
    failedByCountry,
    failedTotal: failedByCategory.reduce((sum, row) => sum + row.attempts, 0),
    signinTotal: totals.signinattempts,
    changeCounts,
    recentChanges,
    lookups: {
      vaultsSeen: num(coverage.vaults_seen),
      vaultsNamed: num(coverage.vaults_named),
      itemsSeen: num(coverage.items_seen),
      itemsNamed: num(coverage.items_named),
    },
  };
}

/** Whether an item usage action exposes a secret (reveal, copy, export): drawn in a warning colour. */
export function isExposingAction(action: string): boolean {
  return (EXPOSING_ACTIONS as readonly string[]).includes(action);
}

function zeroCounts(): Record<EventType, number> {
  return { signinattempts: 0, itemusages: 0, auditevents: 0 };
}

/** Sums a count column by a key column, largest first (ties by key). */
function sumBy(rows: readonly Row[], key: string, value: string): [string, number][] {
  const sums = new Map<string, number>();
  for (const row of rows) sums.set(str(row[key]), (sums.get(str(row[key])) ?? 0) + num(row[value]));
  return [...sums].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** The window that holds the oldest event, so that "the whole archive" is a window like any other. */
async function sinceOldest(archive: LocalArchive, now: Date): Promise<{ days: number; firstDay: string }> {
  const result = await archive.query(`SELECT min(event_time) AS oldest FROM (
  SELECT min(event_time) AS event_time FROM signinattempts_named
  UNION ALL SELECT min(event_time) FROM itemusages_named
  UNION ALL SELECT min(event_time) FROM auditevents_named
) AS oldest`);
  const oldest = result.rows[0]?.oldest;
  if (typeof oldest !== 'string') return { days: 1, firstDay: utcDay(now.getTime()) };
  const oldestMs = Date.parse(oldest);
  return {
    days: Math.max(1, Math.ceil((now.getTime() - oldestMs) / DAY_MS)),
    firstDay: utcDay(Math.min(oldestMs, now.getTime())),
  };
}
