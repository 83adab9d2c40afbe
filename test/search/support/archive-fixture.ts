import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { SimEvent } from '../../../dev/simulator/index';
import { listArchive, readBatch } from '../../../lambdas/shared/archive/reader';
import type { EventType } from '../../../lambdas/shared/event-types';
import { startEnvironment, type TestEnvironment } from '../../support/environment';

export const DAY = 86_400_000;

export type Events = Record<EventType, SimEvent[]>;

export interface ArchiveFixture {
  /** The archive folder, laid out like the bucket. */
  readonly dir: string;
  /** Everything the simulator served, per stream. */
  readonly events: Events;
  /** The instant the saved queries count back from. */
  readonly now: Date;
  /** A person with sign-ins before the last week, who then signs in from a new country. */
  readonly traveller: { uuid: string; country: string };
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
let counter = 0;
function uuid(): string {
  counter += 1;
  return `TEST${String(counter).padStart(6, '0')}`.padEnd(26, BASE32[counter % 32]);
}

/**
 * An archive written by the real collector from simulated events: a catch-up of old and
 * recent history, then a second run with new events, late item usages and a few sign-ins
 * made for the "new country" question. Copied out of s3rver the way the demo
 * copies its archive.
 */
export async function buildArchiveFixture(): Promise<ArchiveFixture> {
  const env = await startEnvironment();
  try {
    const start = Date.now();
    const twoDaysAgo = start - 2 * DAY;
    const { sim } = env;
    sim.generate('signinattempts', 80, { from: start - 110 * DAY, to: start - 100 * DAY });
    sim.generate('itemusages', 120, { from: start - 110 * DAY, to: start - 100 * DAY });
    sim.generate('auditevents', 60, { from: start - 110 * DAY, to: start - 100 * DAY });
    sim.generate('signinattempts', 700, { from: start - 60 * DAY, to: twoDaysAgo });
    sim.generate('itemusages', 1_100, { from: start - 60 * DAY, to: twoDaysAgo });
    sim.generate('auditevents', 700, { from: start - 60 * DAY, to: twoDaysAgo });
    await runOk(env);

    sim.generate('signinattempts', 60, { from: twoDaysAgo, to: start });
    sim.generate('itemusages', 150, { from: twoDaysAgo, to: start });
    sim.generate('auditevents', 40, { from: twoDaysAgo, to: start });
    // Synced late: item usages from a week ago, archived today.
    sim.generate('itemusages', 80, { from: start - 8 * DAY, to: start - 6 * DAY });

    // Sign-ins that name their user by uuid (some carry no target_user at all).
    const successes = sim
      .events('signinattempts')
      .filter((event) => event.category === 'success' && (event.target_user as { uuid?: string })?.uuid);
    const template = successes[0] as SimEvent;
    const person = template.target_user as Record<string, unknown>;
    const other = successes.find(
      (event) => (event.target_user as { uuid: string }).uuid !== person.uuid,
    ) as SimEvent;
    const signIn = (user: unknown, country: string, at: number): SimEvent => ({
      ...template,
      uuid: uuid(),
      session_uuid: uuid(),
      timestamp: new Date(at).toISOString(),
      country,
      target_user: user,
      location: { country: 'Elsewhere', city: 'Somewhere' },
    });
    const newcomer = { uuid: uuid(), name: 'Nadia Newcomer', email: 'nadia@example.com' };
    sim.ingest('signinattempts', [
      signIn(person, 'PT', start - 2 * DAY - 3_600_000),
      signIn(person, 'PT', start - DAY),
      // Not new: this person first signed in from NZ three weeks ago.
      signIn(other.target_user, 'NZ', start - 21 * DAY),
      signIn(other.target_user, 'NZ', start - DAY),
      // Not reported: nobody had seen this person sign in before.
      signIn(newcomer, 'NZ', start - DAY),
    ]);
    // Administration rarer than a simulated month brings it: a token created, a leaver suspended.
    sim.playStory('service-account-token', { at: start - 3 * DAY });
    const admin = sim
      .events('auditevents')
      .find((event) => event.actor_uuid && event.actor_details) as SimEvent;
    const leaver = other.target_user as Record<string, unknown>;
    sim.ingest('auditevents', [
      {
        uuid: uuid(),
        timestamp: new Date(start - 4 * DAY).toISOString(),
        actor_uuid: admin.actor_uuid,
        actor_details: admin.actor_details,
        action: 'suspend',
        object_type: 'user',
        object_uuid: leaver.uuid,
        object_details: leaver,
        session: admin.session,
        location: admin.location,
      },
    ]);
    await runOk(env);

    const dir = await copyArchive(env);
    const events: Events = {
      signinattempts: [...sim.events('signinattempts')],
      itemusages: [...sim.events('itemusages')],
      auditevents: [...sim.events('auditevents')],
    };
    return {
      dir,
      events,
      now: clearOfBoundaries(events, Date.now() + 1_000, [7, 30, 90, 120]),
      traveller: { uuid: String(person.uuid), country: 'PT' },
    };
  } finally {
    await env.close();
  }
}

/** The bucket's objects, copied into a new folder under their keys, as `aws s3 sync` would. */
export async function copyArchive(env: TestEnvironment): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'op-archive-'));
  for await (const object of listArchive(env.aws.clients.s3, env.aws.bucket, '')) {
    const batch = await readBatch(env.aws.clients.s3, env.aws.bucket, object.key);
    const path = join(dir, object.key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, gzipSync(batch.body));
  }
  return dir;
}

/** Runs the collector once; fails unless every stream caught up. */
export async function runOk(env: TestEnvironment): Promise<void> {
  const summary = await env.run();
  if (summary instanceof Error) throw summary;
  for (const stream of summary.streams) {
    if (stream.status !== 'ok' || !stream.caughtUp)
      throw new Error(`${stream.stream} did not catch up: ${JSON.stringify(stream)}`);
  }
}

/**
 * A "now" such that no event lies within a few milliseconds of a window's start, so that
 * DuckDB (microseconds) and these expectations (nanoseconds) never disagree on a boundary.
 */
function clearOfBoundaries(events: Events, candidate: number, windows: readonly number[]): Date {
  const times = Object.values(events)
    .flat()
    // A time stamp without a zone is UTC.
    .map((event) =>
      Date.parse(String(event.timestamp).replace(/^(\S{10})[T ](\S+:\d\d(?:\.\d+)?)$/, '$1T$2Z')),
    );
  let now = candidate;
  while (windows.some((days) => times.some((time) => Math.abs(time - (now - days * DAY)) < 5))) now += 10;
  return new Date(now);
}
