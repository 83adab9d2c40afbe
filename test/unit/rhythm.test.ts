import {
  DEFAULT_RHYTHM_SETTINGS,
  HOUR_MS,
  HOURS_PER_WEEK,
  hourOfWeek,
  StreamRhythm,
  weekOf,
} from '../../lambdas/shared/liveness/rhythm';

const DAY_MS = 24 * HOUR_MS;
/** A Monday, 00:00 UTC. */
const MONDAY = Date.parse('2026-08-03T00:00:00Z');
const BOUNDS = { fixedMs: 24 * HOUR_MS, ceilingMs: 7 * DAY_MS };

/**
 * Office traffic: an event every 10 minutes from 08:00 to 18:00 UTC on weekdays, nothing at
 * night or at weekends, for `weeks` weeks from MONDAY.
 */
function officeHours(weeks: number): number[] {
  const times: number[] = [];
  for (let day = 0; day < weeks * 7; day++) {
    if (day % 7 >= 5) continue;
    for (let minute = 8 * 60; minute < 18 * 60; minute += 10)
      times.push(MONDAY + day * DAY_MS + minute * 60_000);
  }
  return times;
}

function learned(times: readonly number[]): StreamRhythm {
  const rhythm = StreamRhythm.empty();
  for (const time of times) rhythm.observe(time);
  return rhythm;
}

describe('hours of the week', () => {
  it('counts from Monday 00:00 UTC, and weeks from the Monday before the epoch', () => {
    expect(hourOfWeek(MONDAY)).toBe(0);
    expect(hourOfWeek(MONDAY + 5 * DAY_MS + 10 * HOUR_MS + 59 * 60_000)).toBe(5 * 24 + 10);
    expect(hourOfWeek(MONDAY - 1)).toBe(HOURS_PER_WEEK - 1);
    expect(weekOf(MONDAY + 7 * DAY_MS) - weekOf(MONDAY)).toBe(1);
    expect(weekOf(MONDAY - 1)).toBe(weekOf(MONDAY) - 1);
  });
});

describe('a stream’s rhythm', () => {
  const rhythm = learned(officeHours(4));
  const lastFriday = MONDAY + (3 * 7 + 4) * DAY_MS + 17 * HOUR_MS + 50 * 60_000;
  const lastMonday = MONDAY + 4 * 7 * DAY_MS;

  it('waits through a weekend it has seen every week', () => {
    // Sunday 20:00, 50 h after Friday's last event: past the fixed 24 h window, not past the rhythm.
    const sunday = lastMonday - 4 * HOUR_MS;
    const limit = rhythm.limit(sunday, BOUNDS);

    // The weekend before, learned when Monday's first event came, weighs 0.9 a week later.
    expect(limit.basis).toBe('learned');
    expect(limit.usualMs).toBeGreaterThanOrEqual(0.9 * (sunday - lastFriday));
    expect(sunday - lastFriday).toBeGreaterThan(BOUNDS.fixedMs);
    expect(sunday - lastFriday).toBeLessThan(limit.ms);
  });

  it('reports a stop in working hours within the minimum, not a day later', () => {
    // Tuesday 11:00: the usual silence at that hour is ten minutes; the limit is the 2 h minimum.
    const tuesday = lastMonday + DAY_MS + 11 * HOUR_MS;
    const limit = rhythm.limit(tuesday, BOUNDS);

    expect(limit).toMatchObject({ basis: 'learned', ms: DEFAULT_RHYTHM_SETTINGS.minimumMs });
    expect(limit.usualMs).toBeLessThanOrEqual(20 * 60_000);
  });

  it('keeps the fixed window until it has watched the stream two weeks', () => {
    const young = learned(officeHours(1));

    expect(young.limit(MONDAY + 8 * DAY_MS, BOUNDS)).toEqual({ ms: BOUNDS.fixedMs, basis: 'learning' });
  });

  it('never waits longer than the ceiling', () => {
    // A weekly review: a burst on Monday mornings only.
    const weekly = learned(
      Array.from({ length: 6 }, (_, week) => MONDAY + week * 7 * DAY_MS + 9 * HOUR_MS).flatMap((start) => [
        start,
        start + 60_000,
      ]),
    );
    const limit = weekly.limit(MONDAY + 6 * 7 * DAY_MS + 9 * HOUR_MS, BOUNDS);

    expect(limit).toMatchObject({ basis: 'ceiling', ms: BOUNDS.ceilingMs });
  });

  it('learns an outage only up to what it allowed, so the next one is still reported', () => {
    // A Wednesday with no events from 10:00 on (a stop nobody fixed until Thursday morning).
    const times = officeHours(5).filter(
      (time) =>
        !(time >= MONDAY + (4 * 7 + 2) * DAY_MS + 10 * HOUR_MS && time < MONDAY + (4 * 7 + 3) * DAY_MS),
    );
    const after = learned(times);
    const nextWednesday = MONDAY + (5 * 7 + 2) * DAY_MS + 15 * HOUR_MS;

    // Learned in full, the 5 h silence at 15:00 would make a limit of 15 h or more; capped at
    // what was allowed (2 h), the limit stays within hours.
    expect(after.limit(nextWednesday, BOUNDS).ms).toBeLessThan(12 * HOUR_MS);
  });

  it('forgets a silence over the weeks (each week weighs 0.9 of the next)', () => {
    const rhythm = StreamRhythm.empty();
    rhythm.observe(MONDAY + 10 * HOUR_MS);
    rhythm.observe(MONDAY + 13 * HOUR_MS);
    const usualThen = rhythm.usual(MONDAY + 12 * HOUR_MS);
    const usualLater = rhythm.usual(MONDAY + 10 * 7 * DAY_MS + 12 * HOUR_MS);

    expect(usualThen).toBe(3 * HOUR_MS);
    expect(usualLater / usualThen).toBeCloseTo(0.9 ** 10, 5);
  });

  it('skips an event older than the newest it has seen, and says when a slot changed', () => {
    const rhythm = StreamRhythm.empty();
    expect(rhythm.observe(MONDAY + 10 * HOUR_MS)).toBe(true);
    expect(rhythm.observe(MONDAY + 12 * HOUR_MS)).toBe(true);
    expect(rhythm.observe(MONDAY + 11 * HOUR_MS)).toBe(false);
    expect(rhythm.observe(MONDAY + 12 * HOUR_MS + 30 * 60_000)).toBe(true);
    // A shorter silence in a slot already holding a longer one changes nothing stored.
    expect(rhythm.observe(MONDAY + 12 * HOUR_MS + 31 * 60_000)).toBe(false);
    expect(rhythm.observe(Number.NaN)).toBe(false);
  });

  it('survives its stored form: 672 bytes of slots, and when learning began', () => {
    const stored = rhythm.encode();
    const again = StreamRhythm.decode(stored).resumeAfter(lastFriday);
    const sunday = lastMonday - 4 * HOUR_MS;

    expect(stored.slots).toHaveLength(672);
    expect(stored.since).toBe(MONDAY + 8 * HOUR_MS);
    expect(again.limit(sunday, BOUNDS).ms).toBeCloseTo(rhythm.limit(sunday, BOUNDS).ms, -5);
  });

  it('starts over from anything it cannot read, judged by the fixed window meanwhile', () => {
    for (const stored of [
      undefined,
      { slots: new Uint8Array(10), since: MONDAY },
      { slots: new Uint8Array(672) },
    ]) {
      expect(StreamRhythm.decode(stored).limit(MONDAY + 60 * DAY_MS, BOUNDS).basis).toBe('learning');
    }
  });

  it('resumes from the newest event the stream archived, so a silence spans the runs that did not write it', () => {
    const resumed = StreamRhythm.decode(rhythm.encode()).resumeAfter(lastFriday);
    // The first event after the weekend: the silence learned is Friday evening to Monday morning.
    resumed.observe(lastMonday + 8 * HOUR_MS);

    expect(resumed.usual(lastMonday + 8 * HOUR_MS)).toBeGreaterThanOrEqual(
      lastMonday + 8 * HOUR_MS - lastFriday - HOUR_MS,
    );
  });
});
