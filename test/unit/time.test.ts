import {
  DAY_MS,
  formatRfc3339Seconds,
  parseIsoDuration,
  parseRfc3339,
  RETENTION_MS,
  resolveStartFrom,
  utcDate,
} from '../../lambdas/shared/time';

describe('parseRfc3339', () => {
  it('reads a UTC timestamp with a Z zone', () => {
    // Act
    const parsed = parseRfc3339('2021-08-11T14:28:03Z');

    // Assess
    expect(parsed).toBe(Date.UTC(2021, 7, 11, 14, 28, 3));
  });

  it('accepts a lower-case z and a lower-case t separator', () => {
    expect(parseRfc3339('2021-08-11t14:28:03z')).toBe(Date.UTC(2021, 7, 11, 14, 28, 3));
  });

  it('converts a negative offset to the right UTC instant', () => {
    // Act
    const parsed = parseRfc3339('2020-06-11T16:32:50-03:00');

    // Assess
    expect(parsed).toBe(Date.UTC(2020, 5, 11, 19, 32, 50));
  });

  it('converts a positive offset with minutes to the right UTC instant', () => {
    expect(parseRfc3339('2021-01-01T05:30:00+05:30')).toBe(Date.UTC(2021, 0, 1, 0, 0, 0));
  });

  it('keeps milliseconds', () => {
    expect(parseRfc3339('2021-08-30T18:57:42.484Z')).toBe(Date.UTC(2021, 7, 30, 18, 57, 42, 484));
  });

  it('reads nanosecond timestamps, truncated to the millisecond', () => {
    expect(parseRfc3339('2022-10-24T21:16:52.827288935Z')).toBe(Date.UTC(2022, 9, 24, 21, 16, 52, 827));
  });

  it('reads 8-digit and 1-digit fractions', () => {
    expect(parseRfc3339('2022-10-24T21:16:52.12345678Z')).toBe(Date.UTC(2022, 9, 24, 21, 16, 52, 123));
    expect(parseRfc3339('2022-10-24T21:16:52.5Z')).toBe(Date.UTC(2022, 9, 24, 21, 16, 52, 500));
  });

  it('orders ns and ms timestamps of the same second by their fraction', () => {
    const earlier = parseRfc3339('2022-10-24T21:16:52.100999999Z');
    const later = parseRfc3339('2022-10-24T21:16:52.101Z');

    expect(earlier).toBeDefined();
    expect(later).toBeDefined();
    expect(earlier as number).toBeLessThan(later as number);
  });

  it('refuses seconds above 60', () => {
    expect(parseRfc3339('2021-08-11T14:28:62Z')).toBeUndefined();
  });

  it('refuses hours above 23, minutes above 59 and months above 12', () => {
    expect(parseRfc3339('2021-08-11T24:00:00Z')).toBeUndefined();
    expect(parseRfc3339('2021-08-11T14:60:00Z')).toBeUndefined();
    expect(parseRfc3339('2021-13-11T14:00:00Z')).toBeUndefined();
  });

  it('refuses a timestamp without a zone, which would be read in local time', () => {
    expect(parseRfc3339('2021-12-15 18:02:23')).toBeUndefined();
    expect(parseRfc3339('2021-12-15T18:02:23')).toBeUndefined();
  });

  it('refuses a date alone, an empty string and free text', () => {
    expect(parseRfc3339('2021-12-15')).toBeUndefined();
    expect(parseRfc3339('')).toBeUndefined();
    expect(parseRfc3339('yesterday')).toBeUndefined();
    expect(parseRfc3339(' 2021-08-11T14:28:03Z')).toBeUndefined();
  });

  it('returns undefined for values that are not strings', () => {
    expect(parseRfc3339(undefined)).toBeUndefined();
    expect(parseRfc3339(null)).toBeUndefined();
    expect(parseRfc3339(1_628_692_083_000)).toBeUndefined();
    expect(parseRfc3339(new Date(0))).toBeUndefined();
    expect(parseRfc3339({ timestamp: '2021-08-11T14:28:03Z' })).toBeUndefined();
  });

  // Date.UTC rolls impossible calendar dates over into the next or previous month instead
  // of refusing them, so an event with a corrupt timestamp gets a plausible wrong time.
  it('refuses calendar dates that do not exist (Feb 30, month 00, day 00)', () => {
    expect(parseRfc3339('2021-02-30T00:00:00Z')).toBeUndefined();
    expect(parseRfc3339('2021-00-10T00:00:00Z')).toBeUndefined();
    expect(parseRfc3339('2021-01-00T00:00:00Z')).toBeUndefined();
  });

  it('refuses offsets that are not real UTC offsets', () => {
    expect(parseRfc3339('2021-01-01T00:00:00+99:99')).toBeUndefined();
  });
});

describe('formatRfc3339Seconds', () => {
  it('writes UTC with whole seconds and a Z, dropping the fraction', () => {
    expect(formatRfc3339Seconds(Date.UTC(2026, 0, 2, 3, 4, 5, 999))).toBe('2026-01-02T03:04:05Z');
  });

  it('writes an instant that is already on a whole second unchanged', () => {
    expect(formatRfc3339Seconds(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe('2026-01-02T03:04:05Z');
  });

  it('round-trips through parseRfc3339 to the whole second', () => {
    const instant = Date.UTC(2025, 5, 30, 23, 59, 59, 250);

    expect(parseRfc3339(formatRfc3339Seconds(instant))).toBe(Date.UTC(2025, 5, 30, 23, 59, 59));
  });
});

describe('utcDate', () => {
  it('gives the UTC calendar date of an instant', () => {
    expect(utcDate(Date.UTC(2026, 0, 2, 23, 59, 59, 999))).toBe('2026-01-02');
  });
});

describe('parseIsoDuration', () => {
  it.each([
    ['P7D', 7 * DAY_MS],
    ['PT12H', 12 * 3_600_000],
    ['P1DT6H', DAY_MS + 6 * 3_600_000],
    ['P1W', 7 * DAY_MS],
    ['PT30M', 30 * 60_000],
    ['PT45S', 45_000],
    ['P1W2DT3H4M5S', 9 * DAY_MS + 3 * 3_600_000 + 4 * 60_000 + 5_000],
  ])('reads %s', (text, expected) => {
    expect(parseIsoDuration(text)).toBe(expected);
  });

  it.each([
    ['P1M', 'months have no fixed length'],
    ['P1Y', 'years have no fixed length'],
    ['P', 'no amount'],
    ['PT', 'no amount after T'],
    ['P1DT', 'T without a time part'],
    ['7D', 'no leading P'],
    ['p7d', 'lower case'],
    ['PT1.5H', 'fractions'],
    ['garbage', 'not a duration'],
    ['', 'empty'],
  ])('refuses %s (%s)', (text) => {
    expect(parseIsoDuration(text)).toBeUndefined();
  });
});

describe('resolveStartFrom', () => {
  const now = Date.UTC(2026, 4, 1, 12, 0, 0);

  it('starts at the beginning of the 120-day retention window by default', () => {
    // Act
    const start = resolveStartFrom(undefined, now);

    // Assess
    expect(start).toBe(now - 120 * DAY_MS);
    expect(RETENTION_MS).toBe(120 * DAY_MS);
  });

  it('reads a duration as that long before now', () => {
    expect(resolveStartFrom('P7D', now)).toBe(now - 7 * DAY_MS);
    expect(resolveStartFrom('PT12H', now)).toBe(now - 12 * 3_600_000);
  });

  it('reads an RFC 3339 instant inside the retention window as that instant', () => {
    expect(resolveStartFrom('2026-04-01T00:00:00-03:00', now)).toBe(Date.UTC(2026, 3, 1, 3, 0, 0));
  });

  it('clamps an instant older than the retention window to the window', () => {
    expect(resolveStartFrom('2020-01-01T00:00:00Z', now)).toBe(now - RETENTION_MS);
  });

  it('clamps a duration longer than the retention window to the window', () => {
    expect(resolveStartFrom('P365D', now)).toBe(now - RETENTION_MS);
  });

  it('throws an error naming the value when it is neither an instant nor a duration', () => {
    expect(() => resolveStartFrom('last tuesday', now)).toThrow(RangeError);
    expect(() => resolveStartFrom('last tuesday', now)).toThrow('"last tuesday"');
  });

  it('refuses an instant without a zone', () => {
    expect(() => resolveStartFrom('2026-04-01 00:00:00', now)).toThrow('"2026-04-01 00:00:00"');
  });

  it('refuses a duration in months', () => {
    expect(() => resolveStartFrom('P1M', now)).toThrow('"P1M"');
  });
});
