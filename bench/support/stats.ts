/** The q-quantile (0..1) of a list of numbers, by linear interpolation. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower] as number;
  const high = sorted[upper] as number;
  return low + (high - low) * (position - lower);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

export function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** 12345.6 → "12,346"; digits after the point on request. */
export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 * 1024) return `${formatNumber(bytes / 1024 ** 3, 2)} GiB`;
  if (bytes >= 1024 * 1024) return `${formatNumber(bytes / 1024 ** 2, 1)} MiB`;
  if (bytes >= 1024) return `${formatNumber(bytes / 1024, 1)} KiB`;
  return `${formatNumber(bytes)} B`;
}

/** Dollars with enough digits to tell small amounts apart. */
export function formatUsd(value: number): string {
  if (value === 0) return '$0';
  if (Math.abs(value) >= 10) return `$${formatNumber(value, 2)}`;
  if (Math.abs(value) >= 0.01) return `$${value.toFixed(3)}`;
  if (Math.abs(value) >= 0.00001) return `$${value.toFixed(5)}`;
  return '< $0.00001';
}

export function formatMs(ms: number): string {
  return ms >= 10_000 ? `${formatNumber(ms / 1000, 1)} s` : `${formatNumber(ms, ms < 10 ? 2 : 0)} ms`;
}
