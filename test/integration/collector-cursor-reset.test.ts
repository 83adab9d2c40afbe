import type { RunSummary } from '../../lambdas/collector/collector';
import type { PageSource } from '../../lambdas/collector/stream-collector';
import { RequestRejectedError } from '../../lambdas/shared/errors';
import type { EventsApiClient } from '../../lambdas/shared/events-api/client';
import { StateStore, streamKey } from '../../lambdas/shared/state-store';
import { SOURCE, startEnvironment, type TestEnvironment } from '../support/environment';
import { expectExactlyOnce } from '../support/exactly-once';
import { crashingCollaborators } from '../support/faults';

const STREAM = 'itemusages' as const;
const ONE_STREAM = { EVENT_TYPES: STREAM, BATCH_MAX_EVENTS: '1000' };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Far enough after a run for its lease (deadline + 60 s) to have lapsed. */
const AFTER_LEASE = 10 * 60_000;

function ok(result: RunSummary | Error): RunSummary {
  if (result instanceof Error) throw result;
  return result;
}

describe('a stored cursor the Events API no longer accepts', () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await startEnvironment();
  });
  afterEach(() => env.close());

  const state = () =>
    new StateStore(env.aws.clients.documents, env.aws.tableName).get(streamKey(SOURCE, STREAM));

  /** A stream archived for a while; then events arrive (some a day late) and the API forgets its cursor. */
  async function archiveThenExpire() {
    const now = Date.now();
    const older = env.sim.generate(STREAM, 1_500, { from: now - 10 * DAY, to: now - 3 * DAY });
    const recent = env.sim.generate(STREAM, 2_000, { from: now - 2 * DAY, to: now - HOUR });
    ok(await env.run({ env: ONE_STREAM }));
    const late = env.sim.generate(STREAM, 300, { from: now - DAY, to: now - 2 * HOUR });
    const fresh = env.sim.generate(STREAM, 700, { from: now - HOUR, to: now });
    env.sim.expireCursors();
    return { served: [...older, ...recent, ...late, ...fresh], overlap: recent.length, recent };
  }

  it('restarts from the newest archived event minus the overlap and archives every event exactly once', async () => {
    const { served, overlap } = await archiveThenExpire();
    const before = await state();

    const summary = ok(await env.run({ env: ONE_STREAM }));

    expect(env.sim.log.filter((page) => page.status === 400)).toHaveLength(1);
    expect(summary.streams[0]).toMatchObject({
      status: 'ok',
      caughtUp: true,
      cursorResets: 1,
      eventsArchived: 1_000,
      duplicatesDropped: overlap,
    });
    const reset = env.log.lines.find((line) => line.message === 'stream cursor reset');
    expect(reset?.level).toBe('warn');
    const restartFrom = Date.parse(String(reset?.extra.restartFrom));
    expect(restartFrom).toBe(Date.parse(before?.newestEventTime ?? '') - 2 * DAY);
    expect(reset?.extra).not.toHaveProperty('lostFrom');
    expect(env.metrics.runs.at(-1)).toMatchObject({ cursorResets: 1 });
    const after = await state();
    expect(after?.cursorReset).toBeUndefined();
    expect(after?.cursor).not.toBe(before?.cursor);
    await expectExactlyOnce(env, STREAM, served);
  });

  it('goes on dropping what it already archived when the recovery spans several runs', async () => {
    const { served, recent } = await archiveThenExpire();
    const crashing = crashingCollaborators(
      { documents: env.aws.clients.documents, s3: env.aws.clients.s3 },
      { table: env.aws.tableName, bucket: env.aws.bucket },
      { at: 'after-commit', batch: 1 },
    );
    const crashed = await env.run({
      env: ONE_STREAM,
      overrides: { state: crashing.state, archive: crashing.archive },
    });
    const midway = await state();
    // The restart serves already archived events again after new ones, as a reset that pages by
    // timestamp would: the next run must still recognise them.
    env.sim.ingest(STREAM, recent.slice(0, 100));

    const later = Date.now() + AFTER_LEASE;
    const resumed = ok(await env.run({ env: ONE_STREAM, overrides: { now: () => later } }));

    expect(crashed).toBeInstanceOf(Error);
    expect(midway?.cursorReset).toBeDefined();
    expect(midway?.cursorVersion).toBeGreaterThan(midway?.cursorReset?.fromCursorVersion ?? Infinity);
    expect(resumed.streams[0]).toMatchObject({ status: 'ok', caughtUp: true, cursorResets: 0 });
    expect(resumed.streams[0]?.duplicatesDropped).toBe(100);
    expect((await state())?.cursorReset).toBeUndefined();
    await expectExactlyOnce(env, STREAM, served);
  });

  it('restarts again on its own when it crashed before the restart committed anything', async () => {
    const { served } = await archiveThenExpire();
    const crashing = crashingCollaborators(
      { documents: env.aws.clients.documents, s3: env.aws.clients.s3 },
      { table: env.aws.tableName, bucket: env.aws.bucket },
      { at: 'after-fetch', batch: 1 },
    );
    await env.run({ env: ONE_STREAM, overrides: { state: crashing.state, archive: crashing.archive } });

    const later = Date.now() + AFTER_LEASE;
    const resumed = ok(await env.run({ env: ONE_STREAM, overrides: { now: () => later } }));

    // The second run starts from the recorded restart time instead of sending the refused cursor again.
    expect(env.sim.log.filter((page) => page.status === 400)).toHaveLength(1);
    expect(resumed.streams[0]).toMatchObject({ status: 'ok', caughtUp: true });
    await expectExactlyOnce(env, STREAM, served);
  });

  it('names the window older than the API retention that can no longer be fetched', async () => {
    const { served } = await archiveThenExpire();
    const newest = Date.parse((await state())?.newestEventTime ?? '');
    // The collector comes back 121 days after its newest archived event.
    const shift = newest + 121 * DAY - Date.now();

    const summary = ok(await env.run({ env: ONE_STREAM, overrides: { now: () => Date.now() + shift } }));

    const reset = env.log.lines.find((line) => line.message === 'stream cursor reset');
    expect(summary.streams[0]?.cursorResets).toBe(1);
    expect(Date.parse(String(reset?.extra.lostFrom))).toBe(newest);
    expect(Date.parse(String(reset?.extra.lostUntil))).toBeGreaterThan(newest + DAY / 2);
    expect(String(reset?.extra.loss)).toMatch(/120-day retention/);
    // Nothing is served from after the gap (the simulator's clock is 121 days behind), and nothing is doubled.
    expect((await env.archived(STREAM)).length).toBe(served.length - 1_000);
  });

  it('stops with its own message when the API refuses the new cursor too, keeping what it archived', async () => {
    await archiveThenExpire();
    // An API that refuses every cursor: the restart's first page arrives, its cursor is refused.
    const refusingCursors = (client: EventsApiClient): PageSource => ({
      baseUrl: client.baseUrl,
      async fetchPage(stream, request, deadline) {
        if ('cursor' in request) {
          throw new RequestRejectedError('source acme: the Events API rejected the request (HTTP 400).', {
            status: 400,
          });
        }
        return client.fetchPage(stream, request, deadline);
      },
    });

    const failed = await env.run({ env: ONE_STREAM, overrides: { pageSource: refusingCursors } });
    const item = await state();

    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toMatch(/refused the stream's cursor again right after a cursor reset/);
    expect(item?.cursorReset).toBeDefined();
    const archived = await env.archived(STREAM);
    expect(new Set(archived.map((event) => event.uuid)).size).toBe(archived.length);
  });
});
