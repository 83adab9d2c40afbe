/**
 * People travel: now and then a person leaves home for a few days, flies to another place at a
 * plausible speed, works from there (a hotel's or a phone's address) and flies back. Where a
 * person is at an instant is a function of the person and the instant alone, so the sign-ins,
 * item uses and audit events of the three feeds agree on it whatever order they are made in.
 */
import { ipAddress, type Person, PLACES, type Place } from './account';
import { createRandom } from './random';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** About two trips a year per person. */
const TRIP_CHANCE_PER_WEEK = 0.04;
/** Cruising speed of an airliner, plus the hours to, through and from the airports. */
const FLIGHT_KMH = 800;
const AIRPORT_HOURS = 3;
/** Weeks before this one whose trips may still be under way (a stay of up to 7 days, two flights). */
const WEEKS_BACK = 2;

export interface Trip {
  readonly place: Place;
  /** The address the person works from there. */
  readonly ip: string;
  /** Leaves home. */
  readonly leaves: number;
  /** Arrives there. */
  readonly arrives: number;
  /** Leaves there for home. */
  readonly departs: number;
  /** Back home. */
  readonly returns: number;
}

/** Where a person is: at home, away on a trip, or travelling between the two (no events then). */
export type Whereabouts =
  | { readonly at: 'home'; readonly place: Place }
  | { readonly at: 'away'; readonly place: Place; readonly trip: Trip }
  | { readonly at: 'in transit' };

const trips = new Map<string, Trip | null>();

/** Whether `person` would set off in week `week`, the first draw of that week's random. */
const setsOff = (person: Person, week: number) =>
  createRandom(week, `trip:${person.uuid}`).chance(TRIP_CHANCE_PER_WEEK);

/**
 * The trip `person` starts in week `week` (since the epoch), if any: not while an earlier one
 * may be under way, so a person is in one place at a time.
 */
function tripStarting(person: Person, week: number): Trip | undefined {
  const key = `${person.uuid}:${week}`;
  const known = trips.get(key);
  if (known !== undefined) return known ?? undefined;
  let trip: Trip | null = null;
  const random = createRandom(week, `trip:${person.uuid}`);
  if (random.chance(TRIP_CHANCE_PER_WEEK) && !setsOff(person, week - 1) && !setsOff(person, week - 2)) {
    const place = random.pick(PLACES.filter((p) => p.city !== person.home.city));
    const flight = (distanceKm(person.home, place) / FLIGHT_KMH + AIRPORT_HOURS) * HOUR;
    const leaves = week * WEEK + Math.floor(random.next() * WEEK);
    const arrives = leaves + flight;
    const departs = arrives + random.int(2, 7) * DAY;
    trip = { place, ip: ipAddress(random), leaves, arrives, departs, returns: departs + flight };
  }
  trips.set(key, trip);
  return trip ?? undefined;
}

export function whereabouts(person: Person, ms: number): Whereabouts {
  const week = Math.floor(ms / WEEK);
  for (let w = week; w >= week - WEEKS_BACK; w--) {
    const trip = tripStarting(person, w);
    if (!trip || ms < trip.leaves || ms >= trip.returns) continue;
    if (ms >= trip.arrives && ms < trip.departs) return { at: 'away', place: trip.place, trip };
    return { at: 'in transit' };
  }
  return { at: 'home', place: person.home };
}

/** Great-circle distance between two places, in km. */
export function distanceKm(a: Place, b: Place): number {
  const rad = (deg: number) => (deg * Math.PI) / 180;
  const dLat = rad(b.latitude - a.latitude);
  const dLon = rad(b.longitude - a.longitude);
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}
