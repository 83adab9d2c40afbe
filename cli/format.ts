/** Plain-text formatting for human output: aligned tables, counts, ages. */

export function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** `1 object`, `2,000 objects`. */
export function plural(value: number, noun: string): string {
  return `${count(value)} ${noun}${value === 1 ? '' : 's'}`;
}

/** `seq 4` or `seq 4–9`. */
export function seqRange(first: number | undefined, last: number | undefined): string {
  if (first === undefined) return '';
  return last === undefined || last === first ? `seq ${first}` : `seq ${first}–${last}`;
}

export function bytes(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let size = value;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? size : size.toFixed(1)} ${units[unit]}`;
}

/** `45s`, `3m 05s`, `2h 10m`, `4d 6h`. */
export function age(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** `2026-11-22 10:04:05Z`: an instant to the second, in UTC. */
export function when(value: string | number | Date | undefined): string {
  if (value === undefined) return '-';
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** `2026-11-22 10:04:05Z (3m 05s ago)`. */
export function whenAgo(value: string | number | undefined, now: number): string {
  if (value === undefined) return '-';
  const at = typeof value === 'number' ? value : Date.parse(value);
  if (Number.isNaN(at)) return String(value);
  return `${when(at)} (${age(now - at)} ago)`;
}

export function rate(amount: number, ms: number): string {
  if (ms <= 0) return '-';
  return count(Math.round((amount * 1000) / ms));
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(rows: ReadonlyArray<ReadonlyArray<string>>, indent = ''): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, cell.length);
    });
  }
  return rows
    .map(
      (row) =>
        indent +
        row
          .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

/** `label   value` lines with the labels padded. */
export function fields(entries: ReadonlyArray<readonly [string, string]>, indent = ''): string {
  const width = Math.max(...entries.map(([label]) => label.length));
  return entries.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`).join('\n');
}

/** One JSON document for scripts: absent values are `null`, so every key is always there. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_key, inner: unknown) => (inner === undefined ? null : inner), 2)}\n`;
}
