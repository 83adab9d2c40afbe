/**
 * Small SVG chart renderers for the activity report: static markup, no script, no fonts or
 * styles from the network. Every chart carries its numbers as `data-*` attributes
 * (`data-total` on the chart, `data-value` on each bar), so a browser test can read back what
 * was drawn and compare it with counts made another way.
 */

export const STREAM_COLORS = {
  signinattempts: '#3566d6',
  itemusages: '#17917a',
  auditevents: '#d9821e',
} as const;

export type StreamKey = keyof typeof STREAM_COLORS;

export const STREAM_LABELS: Record<StreamKey, string> = {
  signinattempts: 'Sign-in attempts',
  itemusages: 'Item usages',
  auditevents: 'Audit events',
};

export const STREAM_ORDER: readonly StreamKey[] = ['signinattempts', 'itemusages', 'auditevents'];

const AXIS = '#5b6472';
const GRID = '#e6e8ec';
const FONT = `font-family="system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif"`;

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const numberFormat = new Intl.NumberFormat('en-US');
export const formatNumber = (value: number): string => numberFormat.format(value);

/** Gridline values: 0 and up to ~5 round steps (1, 2 or 5 × 10ⁿ) covering `max`. */
export function niceTicks(max: number, target = 5): number[] {
  if (max <= 0) return [0, 1];
  const rough = max / target;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let value = 0; value < max + step; value += step) {
    ticks.push(Math.round(value * 1e6) / 1e6);
    if (value >= max) break;
  }
  return ticks;
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2026-09-23` → `23 Sep`. */
export function shortDate(day: string): string {
  const [, month, date] = day.split('-');
  return `${Number(date)} ${MONTHS[Number(month) - 1] ?? ''}`;
}

export interface StackedColumn {
  /** The bucket's first day, `YYYY-MM-DD`. */
  readonly day: string;
  readonly label: string;
  readonly values: Readonly<Record<StreamKey, number>>;
}

/**
 * Events over time, one column per day (or week), stacked by stream in the stream colours,
 * with a y axis of round numbers, dated x labels, axis titles and a legend with totals.
 */
export function stackedColumns(options: {
  readonly id: string;
  readonly columns: readonly StackedColumn[];
  readonly yTitle: string;
  readonly xTitle: string;
}): string {
  const { columns } = options;
  const width = 1080;
  const height = 300;
  const margin = { top: 16, right: 28, bottom: 52, left: 64 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const totals = columns.map((column) =>
    STREAM_ORDER.reduce((sum, stream) => sum + column.values[stream], 0),
  );
  const ticks = niceTicks(Math.max(0, ...totals));
  const top = ticks.at(-1) ?? 1;
  const y = (value: number) => margin.top + plotHeight - (value / top) * plotHeight;
  const slot = plotWidth / Math.max(1, columns.length);
  const barWidth = Math.max(1, Math.min(28, slot * 0.78));
  const labelEvery = Math.max(1, Math.ceil(columns.length / 14));

  const parts: string[] = [];
  for (const tick of ticks) {
    parts.push(
      `<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}" stroke="${tick === 0 ? AXIS : GRID}" stroke-width="1"/>`,
      `<text x="${margin.left - 8}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end" font-size="12" fill="${AXIS}">${formatNumber(tick)}</text>`,
    );
  }
  columns.forEach((column, index) => {
    const x = margin.left + index * slot + (slot - barWidth) / 2;
    let base = 0;
    const rects = STREAM_ORDER.map((stream) => {
      const value = column.values[stream];
      const rect = `<rect data-stream="${stream}" data-value="${value}" x="${x.toFixed(1)}" y="${y(base + value).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(y(base) - y(base + value)).toFixed(1)}" fill="${STREAM_COLORS[stream]}"/>`;
      base += value;
      return rect;
    }).join('');
    const tooltip = `${column.label}: ${formatNumber(totals[index] ?? 0)} events (${STREAM_ORDER.map(
      (stream) => `${STREAM_LABELS[stream]} ${formatNumber(column.values[stream])}`,
    ).join(', ')})`;
    parts.push(
      `<g class="bar" data-day="${column.day}" data-total="${totals[index] ?? 0}"><title>${escapeHtml(tooltip)}</title>${rects}</g>`,
    );
    if (index % labelEvery === 0) {
      const cx = x + barWidth / 2;
      parts.push(
        `<line x1="${cx.toFixed(1)}" x2="${cx.toFixed(1)}" y1="${margin.top + plotHeight}" y2="${margin.top + plotHeight + 4}" stroke="${AXIS}"/>`,
        `<text x="${cx.toFixed(1)}" y="${margin.top + plotHeight + 18}" text-anchor="middle" font-size="12" fill="${AXIS}">${escapeHtml(shortDate(column.day))}</text>`,
      );
    }
  });
  parts.push(
    `<text x="${margin.left + plotWidth / 2}" y="${height - 8}" text-anchor="middle" font-size="12.5" fill="${AXIS}">${escapeHtml(options.xTitle)}</text>`,
    `<text transform="translate(16 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle" font-size="12.5" fill="${AXIS}">${escapeHtml(options.yTitle)}</text>`,
  );
  const total = totals.reduce((sum, value) => sum + value, 0);
  const legend = STREAM_ORDER.map((stream) => {
    const streamTotal = columns.reduce((sum, column) => sum + column.values[stream], 0);
    return `<li data-stream="${stream}" data-total="${streamTotal}"><span class="swatch" style="background:${STREAM_COLORS[stream]}"></span>${STREAM_LABELS[stream]} <b>${formatNumber(streamTotal)}</b></li>`;
  }).join('');
  return `<figure class="chart" data-chart="${options.id}" data-total="${total}">
<ul class="legend">${legend}</ul>
<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(options.yTitle)}" ${FONT}>${parts.join('')}</svg>
</figure>`;
}

export interface BarRow {
  /** Stable identity of the row, for tests (`data-key`). */
  readonly key: string;
  readonly label: string;
  /** A second, grey line under the label (e.g. the item's vault). */
  readonly sublabel?: string;
  /** One value, or one per stream (stacked in the stream colours). */
  readonly value: number | Readonly<Record<StreamKey, number>>;
  readonly color?: string;
}

const rowTotal = (row: BarRow) =>
  typeof row.value === 'number'
    ? row.value
    : STREAM_ORDER.reduce((sum, stream) => sum + (row.value as Record<StreamKey, number>)[stream], 0);

/** Horizontal bars, longest first as given, with the value at the end of each bar and an x axis. */
export function horizontalBars(options: {
  readonly id: string;
  readonly rows: readonly BarRow[];
  readonly xTitle: string;
  readonly color?: string;
  readonly width?: number;
  readonly labelWidth?: number;
  readonly empty?: string;
  /** A legend of the stream colours, for stacked rows. */
  readonly streamLegend?: boolean;
}): string {
  const { rows } = options;
  const total = rows.reduce((sum, row) => sum + rowTotal(row), 0);
  if (rows.length === 0) {
    return `<figure class="chart" data-chart="${options.id}" data-total="0"><p class="empty">${escapeHtml(options.empty ?? 'Nothing in this period.')}</p></figure>`;
  }
  const width = options.width ?? 520;
  const labelWidth = options.labelWidth ?? 180;
  const hasSub = rows.some((row) => row.sublabel);
  const rowHeight = hasSub ? 38 : 28;
  const margin = { top: 6, right: 64, bottom: 46, left: labelWidth + 10 };
  const plotWidth = width - margin.left - margin.right;
  const height = margin.top + rows.length * rowHeight + margin.bottom;
  const ticks = niceTicks(Math.max(...rows.map(rowTotal)), 4);
  const top = ticks.at(-1) ?? 1;
  const x = (value: number) => margin.left + (value / top) * plotWidth;
  const plotBottom = margin.top + rows.length * rowHeight;
  const maxChars = Math.floor(labelWidth / 7.2);

  const parts: string[] = [];
  for (const tick of ticks) {
    parts.push(
      `<line x1="${x(tick).toFixed(1)}" x2="${x(tick).toFixed(1)}" y1="${margin.top}" y2="${plotBottom}" stroke="${tick === 0 ? AXIS : GRID}"/>`,
      `<text x="${x(tick).toFixed(1)}" y="${plotBottom + 16}" text-anchor="middle" font-size="11.5" fill="${AXIS}">${formatNumber(tick)}</text>`,
    );
  }
  rows.forEach((row, index) => {
    const rowTop = margin.top + index * rowHeight;
    const barHeight = Math.min(18, rowHeight - 10);
    const barY = rowTop + (rowHeight - barHeight) / 2;
    const value = rowTotal(row);
    const segments: string[] = [];
    if (typeof row.value === 'number') {
      segments.push(
        `<rect x="${margin.left}" y="${barY.toFixed(1)}" width="${(x(value) - margin.left).toFixed(1)}" height="${barHeight}" rx="2" fill="${row.color ?? options.color ?? STREAM_COLORS.itemusages}"/>`,
      );
    } else {
      let base = 0;
      for (const stream of STREAM_ORDER) {
        const part = row.value[stream];
        segments.push(
          `<rect data-stream="${stream}" data-value="${part}" x="${x(base).toFixed(1)}" y="${barY.toFixed(1)}" width="${(x(base + part) - x(base)).toFixed(1)}" height="${barHeight}" fill="${STREAM_COLORS[stream]}"/>`,
        );
        base += part;
      }
    }
    const labelY = row.sublabel ? rowTop + rowHeight / 2 - 3 : rowTop + rowHeight / 2 + 4;
    const label = `<text x="${labelWidth}" y="${labelY.toFixed(1)}" text-anchor="end" font-size="12.5" fill="#1f2430">${escapeHtml(shorten(row.label, maxChars))}</text>`;
    const sublabel = row.sublabel
      ? `<text x="${labelWidth}" y="${(labelY + 14).toFixed(1)}" text-anchor="end" font-size="11" fill="${AXIS}">${escapeHtml(shorten(row.sublabel, maxChars + 2))}</text>`
      : '';
    const tip = `${row.label}${row.sublabel ? ` (${row.sublabel})` : ''}: ${formatNumber(value)}`;
    parts.push(
      `<g class="row" data-key="${escapeHtml(row.key)}" data-value="${value}"><title>${escapeHtml(tip)}</title>${label}${sublabel}${segments.join('')}<text x="${(x(value) + 6).toFixed(1)}" y="${(barY + barHeight / 2 + 4).toFixed(1)}" font-size="12" fill="#1f2430">${formatNumber(value)}</text></g>`,
    );
  });
  parts.push(
    `<text x="${margin.left + plotWidth / 2}" y="${height - 8}" text-anchor="middle" font-size="12.5" fill="${AXIS}">${escapeHtml(options.xTitle)}</text>`,
  );
  const legend = options.streamLegend
    ? `<ul class="legend">${STREAM_ORDER.map((stream) => `<li><span class="swatch" style="background:${STREAM_COLORS[stream]}"></span>${STREAM_LABELS[stream]}</li>`).join('')}</ul>`
    : '';
  return `<figure class="chart" data-chart="${options.id}" data-total="${total}">${legend}
<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(options.xTitle)}" ${FONT}>${parts.join('')}</svg>
</figure>`;
}
