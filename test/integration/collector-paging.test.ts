import { createHash } from 'node:crypto';
import { MetadataKey, streamPrefix } from '../../lambdas/shared/archive/format';
import { readStreamEvents } from '../../lambdas/shared/archive/reader';
import { GENESIS_SHA256 } from '../../lambdas/shared/state-store';
import { RETENTION_MS } from '../../lambdas/shared/time';
import { SOURCE, startEnvironment, type TestEnvironment, uuidsOf } from '../support/environment';

describe('collector paging against the Events API simulator', () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await startEnvironment();
  });
  afterEach(() => env.close());

  it('archives every event of all three streams once, across many pages', async () => {
    const now = Date.now();
    const served = {
      signinattempts: env.sim.generate('signinattempts', 2_500, { from: now - 3 * 86_400_000, to: now }),
      itemusages: env.sim.generate('itemusages', 3_200, { from: now - 3 * 86_400_000, to: now }),
      auditevents: env.sim.generate('auditevents', 1_100, { from: now - 3 * 86_400_000, to: now }),
    };

    const summary = await env.run();

    if (summary instanceof Error) throw summary;
    for (const stream of ['signinattempts', 'itemusages', 'auditevents'] as const) {
      const archived = await env.archived(stream);
      expect(uuidsOf(archived)).toEqual(uuidsOf(served[stream]));
      const result = summary.streams.find((s) => s.stream === stream);
      expect(result).toMatchObject({ status: 'ok', caughtUp: true, eventsArchived: served[stream].length });
      expect(result?.pages).toBeGreaterThanOrEqual(Math.ceil(served[stream].length / 1000));
    }
  });

  it('starts a stream without a cursor at START_FROM and keeps nothing older', async () => {
    const now = Date.now();
    const old = env.sim.generate('itemusages', 300, {
      from: now - 10 * 86_400_000,
      to: now - 8 * 86_400_000,
    });
    const recent = env.sim.generate('itemusages', 200, { from: now - 6 * 86_400_000, to: now });

    const summary = await env.run({ env: { START_FROM: 'P7D', EVENT_TYPES: 'itemusages' } });

    expect(summary).not.toBeInstanceOf(Error);
    const archived = uuidsOf(await env.archived('itemusages'));
    expect(archived).toEqual(uuidsOf(recent));
    expect(archived).not.toContain(old[0]?.uuid);
  });

  it('defaults to the whole 120 days the API keeps', async () => {
    const now = Date.now();
    const kept = env.sim.generate('auditevents', 100, { from: now - RETENTION_MS + 86_400_000, to: now });

    await env.run({ env: { EVENT_TYPES: 'auditevents' } });

    expect(uuidsOf(await env.archived('auditevents'))).toEqual(uuidsOf(kept));
  });

  it('continues from the stored cursor on the next run and writes nothing when idle', async () => {
    const now = Date.now();
    const first = env.sim.generate('signinattempts', 1_500, { from: now - 86_400_000, to: now });
    await env.run({ env: { EVENT_TYPES: 'signinattempts' } });
    const idle = await env.run({ env: { EVENT_TYPES: 'signinattempts' } });
    const second = env.sim.generate('signinattempts', 700, { from: now, to: Date.now() });

    const third = await env.run({ env: { EVENT_TYPES: 'signinattempts' } });

    if (idle instanceof Error || third instanceof Error) throw idle;
    expect(idle.streams[0]).toMatchObject({ eventsArchived: 0, objectsWritten: 0, caughtUp: true });
    expect(third.streams[0]).toMatchObject({ eventsArchived: 700, objectsWritten: 1 });
    expect(uuidsOf(await env.archived('signinattempts'))).toEqual(uuidsOf([...first, ...second]));
  });

  it('archives late events that arrive with old timestamps after the stream caught up', async () => {
    const now = Date.now();
    const onTime = env.sim.generate('itemusages', 400, { from: now - 2 * 86_400_000, to: now });
    await env.run({ env: { EVENT_TYPES: 'itemusages' } });
    // Item usage is reported when a client syncs: a day late is normal.
    const late = env.sim.generate('itemusages', 50, { from: now - 30 * 3_600_000, to: now - 25 * 3_600_000 });

    const summary = await env.run({ env: { EVENT_TYPES: 'itemusages' } });

    if (summary instanceof Error) throw summary;
    expect(summary.streams[0]?.eventsArchived).toBe(50);
    expect(uuidsOf(await env.archived('itemusages'))).toEqual(uuidsOf([...onTime, ...late]));
  });

  it('splits a catch-up into batches of the configured size, chained by hash and sequence', async () => {
    const now = Date.now();
    env.sim.generate('auditevents', 2_400, { from: now - 86_400_000, to: now });

    const summary = await env.run({ env: { EVENT_TYPES: 'auditevents', BATCH_MAX_EVENTS: '1000' } });

    if (summary instanceof Error) throw summary;
    expect(summary.streams[0]).toMatchObject({
      objectsWritten: 3,
      firstSeq: 1,
      lastSeq: 3,
      eventsArchived: 2_400,
    });
    const { batches } = await readStreamEvents(
      env.aws.clients.s3,
      env.aws.bucket,
      streamPrefix('', SOURCE, 'auditevents'),
    );
    expect(batches.map((batch) => batch.metadata[MetadataKey.seq])).toEqual(['1', '2', '3']);
    expect(batches.map((batch) => batch.metadata[MetadataKey.eventCount])).toEqual(['1000', '1000', '400']);
    let previous = GENESIS_SHA256;
    for (const batch of batches) {
      expect(batch.metadata[MetadataKey.prevSha256]).toBe(previous);
      expect(batch.metadata[MetadataKey.sha256]).toBe(createHash('sha256').update(batch.body).digest('hex'));
      expect(batch.contentType).toBe('application/x-ndjson');
      expect(batch.contentEncoding).toBe('gzip');
      previous = batch.metadata[MetadataKey.sha256] ?? '';
    }
  });
});
