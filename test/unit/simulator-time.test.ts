import { formatRfc3339, parseRfc3339 } from '../../dev/simulator/index';

describe('simulator RFC 3339 timestamps', () => {
  it.each([
    ['2021-06-11T16:32:50-03:00', Date.UTC(2021, 5, 11, 19, 32, 50), 0],
    ['2021-08-11T14:28:03Z', Date.UTC(2021, 7, 11, 14, 28, 3), 0],
    ['2021-08-30T18:57:42.484Z', Date.UTC(2021, 7, 30, 18, 57, 42, 484), 0],
    ['2022-10-24T21:16:52.827288935Z', Date.UTC(2022, 9, 24, 21, 16, 52, 827), 288_935],
    ['2024-12-02T11:54:21.24645983Z', Date.UTC(2024, 11, 2, 11, 54, 21, 246), 459_830],
    ['2024-02-29T23:30:00+05:30', Date.UTC(2024, 1, 29, 18, 0, 0), 0],
  ])('parses %s to the right instant', (text, ms, ns) => {
    expect(parseRfc3339(text)).toEqual({ ms, ns });
  });

  it.each([
    '2021-06-11 16:32:50Z',
    '2021-06-11T16:32:50',
    '2023-02-29T00:00:00Z',
    '2021-13-01T00:00:00Z',
    '2021-06-11T24:00:00Z',
    '2021-06-11T16:32:50.Z',
    '2021-06-11T16:32:50.1234567891Z',
    '2021-06-11T16:32:50+0300',
    '',
  ])('rejects %j', (text) => {
    expect(parseRfc3339(text)).toBeUndefined();
  });

  it('formats each precision and offset so that parsing gives the instant back', () => {
    const at = { ms: Date.UTC(1999, 11, 31, 22, 0, 0, 500), ns: 120_000 };

    expect(formatRfc3339(at, 'seconds')).toBe('1999-12-31T22:00:00Z');
    expect(formatRfc3339(at, 'millis', -180)).toBe('1999-12-31T19:00:00.500-03:00');
    expect(formatRfc3339(at, 'nanos', 330)).toBe('2000-01-01T03:30:00.50012+05:30');
    expect(formatRfc3339({ ms: at.ms - 500, ns: 0 }, 'nanos')).toBe('1999-12-31T22:00:00Z');
    for (const offset of [0, -480, 60, 540]) {
      expect(parseRfc3339(formatRfc3339(at, 'nanos', offset))).toEqual(at);
    }
  });
});
