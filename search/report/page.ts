/**
 * The activity report as one self-contained HTML page: inline CSS and SVG, no script, nothing
 * fetched, so it can be mailed, attached to a ticket or opened from a laptop with no network.
 */

import {
  escapeHtml,
  formatNumber,
  horizontalBars,
  STREAM_COLORS,
  STREAM_LABELS,
  STREAM_ORDER,
  shortDate,
  stackedColumns,
} from './charts';
import { isExposingAction, type ReportData } from './collect';
import type { ReportFindings } from './findings';

const FAILURE_COLORS = ['#c2402f', '#d86a3c', '#e39a4f', '#b3476d', '#8e5bb5', '#6b7a8f', '#a0a7b3'];
const EXPOSING_COLOR = '#c2402f';
const COUNTRY_COLOR = '#b3476d';
const CHANGE_COLORS: Record<string, string> = {
  'MFA changed': '#8e5bb5',
  'SSO changed': '#3566d6',
  'User suspended': '#c2402f',
  'Vault access granted': '#17917a',
  'Service account token created': '#d9821e',
};

const CATEGORY_LABELS: Record<string, string> = {
  credentials_failed: 'Wrong credentials',
  mfa_failed: 'MFA failed',
  sso_failed: 'SSO failed',
  firewall_failed: 'Blocked by firewall',
  modern_version_failed: 'Outdated app',
};

export interface PageOptions {
  /** @default '1Password activity' */
  readonly title?: string;
}

export function renderReportPage(data: ReportData, options: PageOptions = {}): string {
  const title = options.title ?? '1Password activity';
  const total = STREAM_ORDER.reduce((sum, stream) => sum + data.totals[stream], 0);
  const failedShare = data.signinTotal > 0 ? (data.failedTotal / data.signinTotal) * 100 : 0;
  const period = `${formatDay(data.from)} – ${formatDay(data.to)}`;

  const tiles = [
    ...STREAM_ORDER.map(
      (stream) =>
        `<div class="tile" data-tile="${stream}" data-value="${data.totals[stream]}" style="--accent:${STREAM_COLORS[stream]}"><span class="tile-label">${STREAM_LABELS[stream]}</span><span class="tile-value">${formatNumber(data.totals[stream])}</span></div>`,
    ),
    `<div class="tile" data-tile="failed-signins" data-value="${data.failedTotal}" style="--accent:${EXPOSING_COLOR}"><span class="tile-label">Failed sign-ins</span><span class="tile-value">${formatNumber(data.failedTotal)}</span><span class="tile-note">${failedShare.toFixed(1)} % of attempts</span></div>`,
    `<div class="tile" data-tile="users" data-value="${data.usersSeen}" style="--accent:#5b6472"><span class="tile-label">People seen</span><span class="tile-value">${formatNumber(data.usersSeen)}</span></div>`,
  ].join('');

  const activity = stackedColumns({
    id: 'activity',
    columns: data.activity.map((bucket) => ({ day: bucket.day, label: bucket.label, values: bucket.values })),
    yTitle: data.bucket === 'week' ? 'Events per week' : 'Events per day',
    xTitle: `${data.bucket === 'week' ? 'Week' : 'Day'} of the event (UTC)`,
  });

  const actions = horizontalBars({
    id: 'item-actions',
    rows: data.itemActions.map((row) => ({
      key: row.action,
      label: row.action,
      value: row.usages,
      color: isExposingAction(row.action) ? EXPOSING_COLOR : STREAM_COLORS.itemusages,
    })),
    xTitle: 'Item usages',
    labelWidth: 150,
  });

  const items = horizontalBars({
    id: 'top-items',
    rows: data.topItems.map((row) => ({
      key: row.itemUuid,
      label: row.title,
      sublabel: `${row.vault} · ${row.users} ${row.users === 1 ? 'person' : 'people'}`,
      value: row.usages,
    })),
    xTitle: 'Usages',
    labelWidth: 200,
  });

  const categories = horizontalBars({
    id: 'failed-by-category',
    rows: data.failedByCategory.map((row, index) => ({
      key: row.category,
      label: CATEGORY_LABELS[row.category] ?? row.category,
      value: row.attempts,
      color: FAILURE_COLORS[index % FAILURE_COLORS.length] ?? EXPOSING_COLOR,
    })),
    xTitle: 'Failed sign-in attempts',
    labelWidth: 150,
    empty: 'No failed sign-ins in this period.',
  });

  const countries = horizontalBars({
    id: 'failed-by-country',
    rows: data.failedByCountry.map((row) => ({ key: row.country, label: row.country, value: row.attempts })),
    xTitle: 'Failed sign-in attempts',
    color: COUNTRY_COLOR,
    labelWidth: 110,
    empty: 'No failed sign-ins in this period.',
  });

  const users = horizontalBars({
    id: 'top-users',
    rows: data.topUsers.map((row) => ({
      key: row.userKey,
      label: row.name,
      sublabel: row.email,
      value: row.counts,
    })),
    xTitle: 'Events (sign-in attempts, item usages, audited actions as the actor)',
    width: 1080,
    labelWidth: 240,
    streamLegend: true,
  });

  const chips = data.changeCounts
    .map(
      (change) =>
        `<li data-change="${escapeHtml(change.label)}" data-value="${change.count}"><span class="pill" style="--pill:${CHANGE_COLORS[change.label] ?? '#5b6472'}">${escapeHtml(change.label)}</span> ${formatNumber(change.count)}</li>`,
    )
    .join('');
  const changeRows = data.recentChanges
    .map(
      (change) =>
        `<tr><td class="nowrap">${escapeHtml(formatTime(change.time))}</td><td><span class="pill" style="--pill:${CHANGE_COLORS[change.change] ?? '#5b6472'}">${escapeHtml(change.change)}</span></td><td>${escapeHtml(change.actor)}</td><td>${escapeHtml(change.target)}</td><td class="muted">${escapeHtml(change.detail)}</td><td class="mono">${escapeHtml(change.ip)}</td></tr>`,
    )
    .join('');
  const changesTable = changeRows
    ? `<table><thead><tr><th>When (UTC)</th><th>Change</th><th>By</th><th>On</th><th>Detail</th><th>IP address</th></tr></thead><tbody>${changeRows}</tbody></table>`
    : '<p class="empty">No administrative changes in this period.</p>';

  const findingsSection = data.findings ? renderFindings(data.findings) : '';

  const { lookups } = data;
  const lookupNote =
    lookups.vaultsSeen > 0
      ? `Names from the lookups: ${formatNumber(lookups.vaultsNamed)} of ${formatNumber(lookups.vaultsSeen)} vaults and ${formatNumber(lookups.itemsNamed)} of ${formatNumber(lookups.itemsSeen)} items; the others show their uuid (add them to <code>lookups/vaults/</code> and <code>lookups/items/</code>).`
      : '';

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${escapeHtml(title)} · ${escapeHtml(period)}</title>
<style>${STYLE}</style>
</head>
<body>
<main data-total="${total}" data-from="${data.from}" data-to="${data.to}">
<header>
  <div>
    <h1>${escapeHtml(title)}</h1>
    <p class="subtitle">${escapeHtml(period)} · ${data.sources.length ? `source${data.sources.length > 1 ? 's' : ''} ${escapeHtml(data.sources.join(', '))}` : 'no events'} · ${formatNumber(total)} events</p>
  </div>
  <p class="generated">Generated ${escapeHtml(formatTime(data.now))} UTC<br>from the archive's gzip NDJSON, by event time</p>
</header>
<section class="tiles">${tiles}</section>
<section class="card wide">
  <h2>Activity</h2>
  <p class="hint">Events per ${data.bucket} and stream, by the time the event happened (UTC). Late events are counted on the day they happened, not the day they were archived.</p>
  ${activity}
</section>
<div class="grid">
  <section class="card">
    <h2>Item usage by action</h2>
    <p class="hint">Reveals, copies and exports, which put a secret in front of a person or outside 1Password, in red.</p>
    ${actions}
  </section>
  <section class="card">
    <h2>Most used items</h2>
    <p class="hint">Item title and vault name from the lookups.</p>
    ${items}
  </section>
  <section class="card">
    <h2>Failed sign-ins by category</h2>
    <p class="hint">${formatNumber(data.failedTotal)} of ${formatNumber(data.signinTotal)} attempts failed.</p>
    ${categories}
  </section>
  <section class="card">
    <h2>Failed sign-ins by country</h2>
    <p class="hint">Country of the sign-in attempt (ISO 3166 code).</p>
    ${countries}
  </section>
</div>
<section class="card wide">
  <h2>Most active people</h2>
  ${users}
</section>
<section class="card wide">
  <h2>Administrative changes</h2>
  <ul class="chips">${chips}</ul>
  ${changesTable}
</section>
${findingsSection}<footer>${lookupNote ? `<p>${lookupNote}</p>` : ''}<p>Written by <code>op-events-archive report</code> from the saved queries (<code>op-events-archive query --list</code>); the same queries run in Athena.</p></footer>
</main>
</body>
</html>
`;
}

const SEVERITY_COLORS: Record<string, string> = {
  CRITICAL: '#b42318',
  HIGH: '#d9480f',
  MEDIUM: '#b08800',
  LOW: '#5b6472',
};

/** What the detector raised in the period: rule, severity, time, who, and the archive keys of the evidence. */
function renderFindings(findings: ReportFindings): string {
  const counts = Object.entries(findings.bySeverity)
    .filter(([, count]) => count > 0)
    .reverse()
    .map(
      ([severity, count]) =>
        `<li data-severity="${severity}" data-value="${count}"><span class="pill" style="--pill:${SEVERITY_COLORS[severity]}">${severity}</span> ${formatNumber(count)}</li>`,
    )
    .join('');
  const rows = findings.latest
    .map((finding) => {
      const keys = [...new Set(finding.evidence.map((ref) => ref.key))];
      const evidence = keys
        .map((key) => {
          const lines = finding.evidence.filter((ref) => ref.key === key).map((ref) => ref.line);
          return `<div>${escapeHtml(key)} <span class="muted">line${lines.length > 1 ? 's' : ''} ${lines.join(', ')}</span></div>`;
        })
        .join('');
      return `<tr data-finding="${escapeHtml(finding.ruleId)}"><td class="nowrap">${escapeHtml(formatTime(finding.time))}</td><td><span class="pill" style="--pill:${SEVERITY_COLORS[finding.severity] ?? '#5b6472'}">${escapeHtml(finding.severity)}</span></td><td><code>${escapeHtml(finding.ruleId)}</code><div class="muted">${escapeHtml(finding.summary)}</div></td><td>${escapeHtml(finding.who)}</td><td class="mono">${evidence}</td></tr>`;
    })
    .join('');
  const table = rows
    ? `<table><thead><tr><th>When (UTC)</th><th>Severity</th><th>Rule</th><th>Who</th><th>Evidence (archive key, line)</th></tr></thead><tbody>${rows}</tbody></table>${findings.total > findings.latest.length ? `<p class="hint">The latest ${formatNumber(findings.latest.length)} of ${formatNumber(findings.total)}; every one is a JSON file under <code>findings/</code>.</p>` : ''}`
    : '<p class="empty">No findings under the archive\'s <code>findings/</code> prefix in this period. <code>op-events-archive detect --dir</code> backtests the rules over this archive.</p>';
  return `<section class="card wide" id="findings" data-findings="${findings.total}">
  <h2>Findings</h2>
  <p class="hint">What the detection rules raised, as the detector wrote it to the archive; <code>verify</code> proves the evidence untouched.</p>
  <ul class="chips">${counts}</ul>
  ${table}
</section>
`;
}

function formatDay(day: string): string {
  return `${shortDate(day)} ${day.slice(0, 4)}`;
}

function formatTime(iso: string): string {
  return iso
    .replace('T', ' ')
    .replace(/\.\d+Z$|Z$/, '')
    .slice(0, 16);
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;background:#f3f4f7;color:#1f2430;font:14px/1.45 system-ui,-apple-system,"Segoe UI","DejaVu Sans",sans-serif}
main{max-width:1160px;margin:0 auto;padding:28px 24px 40px}
header{display:flex;justify-content:space-between;align-items:flex-end;gap:24px;margin-bottom:18px}
h1{font-size:26px;margin:0 0 4px;letter-spacing:-.01em}
h2{font-size:16px;margin:0 0 2px}
.subtitle{margin:0;color:#5b6472;font-size:14.5px}
.generated{margin:0;color:#7b8390;font-size:12px;text-align:right}
.tiles{display:grid;grid-template-columns:repeat(5,1fr);gap:12px;margin-bottom:14px}
.tile{background:#fff;border-radius:10px;padding:12px 14px;box-shadow:0 1px 2px rgba(16,24,40,.06);border-top:4px solid var(--accent);display:flex;flex-direction:column}
.tile-label{color:#5b6472;font-size:12.5px}
.tile-value{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums}
.tile-note{color:#7b8390;font-size:12px}
.card{background:#fff;border-radius:12px;padding:16px 18px;box-shadow:0 1px 2px rgba(16,24,40,.06),0 1px 8px rgba(16,24,40,.04);margin-bottom:14px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:14px}
.grid .card{margin-bottom:0}
.grid{margin-bottom:14px}
.hint{margin:0 0 8px;color:#6b7380;font-size:12.5px}
figure{margin:0}
svg{width:100%;height:auto;display:block}
.legend{list-style:none;display:flex;gap:18px;margin:4px 0 6px;padding:0;font-size:13px;flex-wrap:wrap}
.legend li{display:flex;align-items:center;gap:6px}
.swatch{width:12px;height:12px;border-radius:3px;display:inline-block}
.empty{color:#7b8390;font-style:italic;margin:18px 0}
.chips{list-style:none;display:flex;flex-wrap:wrap;gap:10px 18px;padding:0;margin:6px 0 12px;font-variant-numeric:tabular-nums}
.pill{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;color:#fff;background:var(--pill);white-space:nowrap}
table{width:100%;border-collapse:collapse;font-size:13px}
th{text-align:left;color:#5b6472;font-weight:600;border-bottom:1px solid #e1e4e9;padding:6px 8px}
td{border-bottom:1px solid #eef0f3;padding:6px 8px;vertical-align:top}
.nowrap{white-space:nowrap;font-variant-numeric:tabular-nums}
.muted{color:#6b7380}
.mono{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
footer{color:#7b8390;font-size:12px}
footer p{margin:4px 0}
code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.95em}
@media (max-width:820px){.tiles{grid-template-columns:repeat(2,1fr)}.grid{grid-template-columns:1fr}}
`;
