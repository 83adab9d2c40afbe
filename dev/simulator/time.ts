/**
 * An instant with nanosecond precision. Audit events carry nanosecond timestamps and a JS number
 * of epoch ms cannot hold them exactly, so the sub-millisecond part is kept apart.
 */
export interface Instant {
  ms: number;
  /** Nanoseconds within the millisecond, 0..999999. */
  ns: number;
}

export function instant(ms: number, ns = 0): Instant {
  return { ms, ns };
}

export function compareInstants(a: Instant, b: Instant): number {
  return a.ms - b.ms || a.ns - b.ns;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Parses an RFC 3339 date-time (any offset, 0..9 fraction digits); `undefined` if it is not one. */
export function parseRfc3339(text: string): Instant | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 31 February into March; reject instead.
  if (new Date(wall).getUTCDate() !== day) return undefined;
  let offsetMinutes = 0;
  if (!m[8]) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const fraction = (m[7] ?? '').padEnd(9, '0');
  const fractionMs = Number(fraction.slice(0, 3));
  const ns = Number(fraction.slice(3));
  return { ms: wall - offsetMinutes * 60_000 + fractionMs, ns };
}

const ZONELESS = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)$/;

/**
 * The instant an event's `timestamp` denotes: RFC 3339, or a date and time without a zone
 * (`2021-12-15 18:02:23`), which is read as UTC, as the search views read it.
 */
export function eventInstant(text: string): Instant | undefined {
  const zoneless = ZONELESS.exec(text);
  return parseRfc3339(zoneless ? `${zoneless[1]}T${zoneless[2]}Z` : text);
}

/** The UTC reading of {@link formatRfc3339}'s text without its zone, date and time split by a space. */
export function formatZoneless(at: Instant, precision: Exclude<TimestampPrecision, 'nanos'>): string {
  return formatRfc3339(at, precision).replace('T', ' ').replace(/Z$/, '');
}

/**
 * The precisions seen in real payloads: `seconds` (Go RFC3339, sign-ins), `millis` (item usages),
 * `nanos` (Go RFC3339Nano, audit events; trailing zeros trimmed, so 7 or 8 digits also appear).
 */
export type TimestampPrecision = 'seconds' | 'millis' | 'nanos';

/** Drops what a precision cannot express, so formatting and parsing round-trip exactly. */
export function truncate(at: Instant, precision: TimestampPrecision): Instant {
  if (precision === 'seconds') return { ms: Math.floor(at.ms / 1000) * 1000, ns: 0 };
  if (precision === 'millis') return { ms: at.ms, ns: 0 };
  return at;
}

/** Formats in the given UTC offset (minutes east); offset 0 is written `Z`. */
export function formatRfc3339(at: Instant, precision: TimestampPrecision, offsetMinutes = 0): string {
  const local = at.ms + offsetMinutes * 60_000;
  const msOfDay = ((local % DAY_MS) + DAY_MS) % DAY_MS;
  const millis = msOfDay % 1000;
  const secondsOfDay = (msOfDay - millis) / 1000;
  let text = `${datePart(local - msOfDay)}T${pad2(Math.floor(secondsOfDay / 3600))}:${pad2(
    Math.floor(secondsOfDay / 60) % 60,
  )}:${pad2(secondsOfDay % 60)}`;
  if (precision === 'millis') text += `.${pad3(millis)}`;
  else if (precision === 'nanos' && (millis !== 0 || at.ns !== 0)) {
    // Go's RFC3339Nano drops trailing zeros, which is why 7- and 8-digit fractions show up.
    let digits = `${pad3(millis)}${String(at.ns).padStart(6, '0')}`;
    let cut = digits.length;
    while (digits.charCodeAt(cut - 1) === 48) cut -= 1;
    digits = digits.slice(0, cut);
    text += `.${digits}`;
  }
  return text + formatOffset(offsetMinutes);
}

const DAY_MS = 86_400_000;
let cachedDay = Number.NaN;
let cachedDate = '';

/** Events come in timestamp order, so consecutive calls mostly hit the same day. */
function datePart(dayStartMs: number): string {
  if (dayStartMs !== cachedDay) {
    cachedDay = dayStartMs;
    cachedDate = new Date(dayStartMs).toISOString().slice(0, 10);
  }
  return cachedDate;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n);
}

function formatOffset(offsetMinutes: number): string {
  if (offsetMinutes === 0) return 'Z';
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Seconds-precision UTC, the form collectors send and introspect answers with. */
export function formatSeconds(ms: number): string {
  return formatRfc3339(instant(ms), 'seconds');
}
