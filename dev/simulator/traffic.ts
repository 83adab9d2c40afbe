/**
 * When an account's events happen, over weeks: working hours in the account's time zone,
 * quiet nights, weekends and public holidays, and events in bursts (a person signs in, then
 * uses a few items). The drop-off benchmark replays months of it; the shapes of the events
 * themselves are `generate.ts`'s.
 */
import type { EventType } from '../../lambdas/shared/event-types';
import { createRandom, type Random } from './random';

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** How one stream of an account is used. */
export interface StreamTraffic {
  /** Bursts per hour at a weekday's busiest hour. */
  readonly peakBurstsPerHour: number;
  /** Mean events in a burst (geometric), spread over a few minutes. */
  readonly meanBurstSize: number;
  /** The share of the weekday rate at night, at weekends and on holidays. */
  readonly night: number;
  readonly weekend: number;
  /**
   * A stream whose events come only on given weekdays (0 = Sunday), at the start of the
   * working day: an audit trail fed by a weekly review.
   */
  readonly onlyOn?: readonly number[];
}

export interface AccountTraffic {
  readonly name: string;
  readonly description: string;
  /** The account's working hours, in its own time zone: UTC plus this many hours. */
  readonly utcOffsetHours: number;
  readonly workStartHour: number;
  readonly workEndHour: number;
  /** Days off beyond weekends (YYYY-MM-DD, in the account's zone). */
  readonly holidays: readonly string[];
  readonly streams: Readonly<Record<EventType, StreamTraffic>>;
}

/** United States federal holidays and the days around them that offices close, autumn 2026. */
const US_HOLIDAYS_2026 = [
  '2026-09-07',
  '2026-10-12',
  '2026-11-11',
  '2026-11-26',
  '2026-11-27',
  '2026-12-24',
  '2026-12-25',
];
const UK_HOLIDAYS_2026 = ['2026-08-31', '2026-12-25', '2026-12-28'];

/** Accounts the drop-off benchmark replays: a small team, a busy company, and a quiet audit trail. */
export const TRAFFIC_PROFILES: readonly AccountTraffic[] = [
  {
    name: 'small',
    description: '20 people in one office (UTC−5), nobody at weekends, US holidays',
    utcOffsetHours: -5,
    workStartHour: 8,
    workEndHour: 18,
    holidays: US_HOLIDAYS_2026,
    streams: {
      signinattempts: { peakBurstsPerHour: 6, meanBurstSize: 1.5, night: 0.01, weekend: 0.01 },
      itemusages: { peakBurstsPerHour: 8, meanBurstSize: 4, night: 0.01, weekend: 0.01 },
      auditevents: { peakBurstsPerHour: 0.4, meanBurstSize: 2, night: 0, weekend: 0 },
    },
  },
  {
    name: 'busy',
    description: '5,000 people across Europe (UTC+1), some weekend and night work, UK holidays',
    utcOffsetHours: 1,
    workStartHour: 7,
    workEndHour: 19,
    holidays: UK_HOLIDAYS_2026,
    streams: {
      signinattempts: { peakBurstsPerHour: 900, meanBurstSize: 1.3, night: 0.05, weekend: 0.08 },
      itemusages: { peakBurstsPerHour: 1200, meanBurstSize: 3, night: 0.04, weekend: 0.06 },
      auditevents: { peakBurstsPerHour: 40, meanBurstSize: 2, night: 0.02, weekend: 0.03 },
    },
  },
  {
    name: 'weekly',
    description: '150 people (UTC), audit events only from a Monday-morning access review',
    utcOffsetHours: 0,
    workStartHour: 9,
    workEndHour: 17,
    holidays: UK_HOLIDAYS_2026,
    streams: {
      signinattempts: { peakBurstsPerHour: 30, meanBurstSize: 1.4, night: 0.03, weekend: 0.05 },
      itemusages: { peakBurstsPerHour: 40, meanBurstSize: 3, night: 0.03, weekend: 0.05 },
      auditevents: { peakBurstsPerHour: 6, meanBurstSize: 3, night: 0, weekend: 0, onlyOn: [1] },
    },
  },
];

/** The rate of bursts per hour at an instant, as a share of the weekday peak. */
export function activity(account: AccountTraffic, stream: StreamTraffic, at: number): number {
  const local = new Date(at + account.utcOffsetHours * HOUR_MS);
  const day = local.getUTCDay();
  const hour = local.getUTCHours() + local.getUTCMinutes() / 60;
  const date = local.toISOString().slice(0, 10);
  const dayOff = day === 0 || day === 6 || account.holidays.includes(date);
  if (stream.onlyOn) {
    if (dayOff || !stream.onlyOn.includes(day)) return 0;
    return hour >= account.workStartHour && hour < account.workStartHour + 2 ? 1 : 0;
  }
  const working = hour >= account.workStartHour && hour < account.workEndHour;
  if (!working) return dayOff ? Math.min(stream.night, stream.weekend) : stream.night;
  if (dayOff) return stream.weekend;
  // Busiest mid-morning and mid-afternoon, as sign-ins and item use are.
  const span = account.workEndHour - account.workStartHour;
  const position = (hour - account.workStartHour) / span;
  return 0.6 + 0.4 * Math.sin(Math.PI * position);
}

/**
 * Event times of one stream from `fromMs` to `toMs`, in order: bursts arrive as a Poisson
 * process whose rate follows {@link activity} minute by minute; each burst is a geometric
 * number of events over up to five minutes.
 */
export function eventTimes(
  account: AccountTraffic,
  stream: EventType,
  fromMs: number,
  toMs: number,
  seed: number,
): number[] {
  const traffic = account.streams[stream];
  const random = createRandom(seed, `traffic/${account.name}/${stream}`);
  const times: number[] = [];
  for (let minute = fromMs; minute < toMs; minute += MINUTE_MS) {
    const rate = (traffic.peakBurstsPerHour / 60) * activity(account, traffic, minute);
    for (let bursts = poisson(random, rate); bursts > 0; bursts--) {
      let at = minute + random.next() * MINUTE_MS;
      const size = geometric(random, traffic.meanBurstSize);
      for (let event = 0; event < size && at < toMs; event++) {
        times.push(Math.floor(at));
        at += (random.next() * (5 * MINUTE_MS)) / size;
      }
    }
  }
  return times.sort((a, b) => a - b);
}

function poisson(random: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(random)));
  const limit = Math.exp(-mean);
  let count = 0;
  for (let product = random.next(); product > limit; product *= random.next()) count++;
  return count;
}

function gaussian(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
}

function geometric(random: Random, mean: number): number {
  if (mean <= 1) return 1;
  const p = 1 / mean;
  return 1 + Math.floor(Math.log(1 - random.next()) / Math.log(1 - p));
}
