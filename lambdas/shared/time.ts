/** Time helpers: RFC 3339 parsing that keeps what the API sends apart from what it means. */

export const DAY_MS = 86_400_000;

/** How far back the Events API keeps events. */
export const RETENTION_MS = 120 * DAY_MS;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Epoch milliseconds of an RFC 3339 timestamp with any number of fractional digits
 * (the API sends seconds, milliseconds and nanoseconds) and a `Z` or numeric offset.
 * Returns `undefined` for anything else: a timestamp without a zone is ambiguous, and
 * `Date.parse` would read it in the machine's local time.
 */
export function parseRfc3339(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = RFC3339.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match.map(
    (part) => part ?? '',
  );
  const [y, mo, d, h, mi, s] = [year, month, day, hour, minute, second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // Leap seconds (:60) are valid RFC 3339 and roll over to the next minute.
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 60) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, Number(fraction.slice(0, 3).padEnd(3, '0')));
  const utc = date.getTime();
  if (zone === 'Z' || zone === 'z') return utc;
  const offsetHours = Number(zone.slice(1, 3));
  const offsetMinutes = Number(zone.slice(4, 6));
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const sign = zone.startsWith('-') ? -1 : 1;
  return utc - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

function daysInMonth(year: number, month: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, 0);
  return date.getUTCDate();
}

/** RFC 3339 in UTC with whole seconds: the form every Events API client sends. */
export function formatRfc3339Seconds(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `YYYY-MM-DD` of an instant in UTC. */
export function utcDate(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

const ISO_DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/**
 * Milliseconds of an ISO 8601 duration made of weeks, days, hours, minutes and seconds
 * (`P7D`, `PT12H`, `P1DT6H`). Months and years are refused: their length depends on the date.
 */
export function parseIsoDuration(value: string): number | undefined {
  const match = ISO_DURATION.exec(value);
  if (!match || value === 'P' || value.endsWith('T')) return undefined;
  const [, weeks, days, hours, minutes, seconds] = match.map((part) => Number(part ?? 0));
  return (
    (weeks ?? 0) * 7 * DAY_MS +
    (days ?? 0) * DAY_MS +
    (hours ?? 0) * 3_600_000 +
    (minutes ?? 0) * 60_000 +
    (seconds ?? 0) * 1000
  );
}

/**
 * Where a stream without a cursor starts, as epoch ms: an instant, a duration back from
 * `now`, or (when unset) the whole retention window. Never earlier than the retention
 * window, which the API would clamp to anyway.
 */
export function resolveStartFrom(startFrom: string | undefined, now: number): number {
  const earliest = now - RETENTION_MS;
  if (startFrom === undefined) return earliest;
  const duration = parseIsoDuration(startFrom);
  const instant = duration === undefined ? parseRfc3339(startFrom) : now - duration;
  if (instant === undefined) {
    throw new RangeError(
      `"${startFrom}" is neither an RFC 3339 instant nor an ISO 8601 duration such as P7D`,
    );
  }
  return Math.max(instant, earliest);
}
