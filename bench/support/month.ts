import { type Account, createAccount } from '../../dev/simulator/account';
import { createGenerator } from '../../dev/simulator/generate';
import { createRandom } from '../../dev/simulator/random';
import type { Feature, SimEvent } from '../../dev/simulator/types';
import { batchKey } from '../../lambdas/shared/archive/format';
import { EVENT_TYPES, type EventType } from '../../lambdas/shared/event-types';

const DAY = 86_400_000;
export const MONTH_MS = 30 * DAY;
/** When the simulated months begin. */
export const MONTH_START = Date.UTC(2026, 9, 1);

/** A month of an account's traffic: per person per day, sign-ins, item uses and audit events. */
export interface Profile {
  readonly name: string;
  /** How many simulated accounts' people, vaults and groups make this one. */
  readonly teams: number;
  readonly perMonth: Record<Feature, number>;
}

/**
 * A small team (about 20 people: five sign-ins, thirty item uses and one audit event each a
 * working day) and a busy account of about 200 people with the same habits.
 */
export const PROFILES: readonly Profile[] = [
  { name: 'small', teams: 1, perMonth: { signinattempts: 2_200, itemusages: 13_000, auditevents: 450 } },
  { name: 'busy', teams: 10, perMonth: { signinattempts: 22_000, itemusages: 130_000, auditevents: 4_500 } },
];

/** Several simulated teams as one account, so a busy account has more people, not busier ones. */
export function accountOf(profile: Profile, seed: number): Account {
  const teams = Array.from({ length: profile.teams }, (_, i) =>
    createAccount(createRandom(seed + i, 'account'), 'BENCHACCOUNT2QX7MZ4LBN6TYPW'),
  );
  const seen = new Set<string>();
  const people = teams.flatMap((team) => team.people).filter((p) => !seen.has(p.email) && seen.add(p.email));
  return {
    uuid: 'BENCHACCOUNT2QX7MZ4LBN6TYPW',
    people,
    vaults: teams.flatMap((team) => team.vaults),
    groups: teams.flatMap((team) => team.groups),
    serviceAccounts: teams.flatMap((team) => team.serviceAccounts),
  };
}

/** One object the collector would write: a stream's events new since its previous run. */
export interface ArchiveObject {
  readonly stream: EventType;
  readonly key: string;
  /** In the order the API serves them, which is time order. */
  readonly events: SimEvent[];
}

/**
 * A normal month of `profile` (no attack in it) as the archive objects a collector on a
 * schedule of `scheduleMinutes` writes: one per stream per run that found new events, stream
 * by stream, each stream's in time order.
 */
export function normalMonthObjects(
  profile: Profile,
  seed: number,
  scheduleMinutes = 1,
  start = MONTH_START,
): ArchiveObject[] {
  const generator = createGenerator(createRandom(seed, 'events'), accountOf(profile, seed));
  const runMs = scheduleMinutes * 60_000;
  const objects: ArchiveObject[] = [];
  for (const stream of EVENT_TYPES) {
    const byRun = new Map<number, SimEvent[]>();
    for (const { event, at } of generator.generate(
      stream,
      profile.perMonth[stream],
      start,
      start + MONTH_MS,
    )) {
      const run = Math.floor(at.ms / runMs);
      const events = byRun.get(run) ?? [];
      events.push(event);
      byRun.set(run, events);
    }
    for (const [run, events] of byRun) {
      const written = new Date(run * runMs).toISOString().slice(0, 10);
      objects.push({ stream, key: batchKey('', 'bench', stream, written, run), events });
    }
  }
  return objects;
}
