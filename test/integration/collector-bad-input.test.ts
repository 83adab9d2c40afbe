import type { RunSummary } from '../../lambdas/collector/collector';
import { startEnvironment, type TestEnvironment } from '../support/environment';

describe('collector with unusual events and pages', () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await startEnvironment({ collectorEnv: { EVENT_TYPES: 'auditevents' } });
  });
  afterEach(() => env.close());

  function ok(result: RunSummary | Error): RunSummary {
    if (result instanceof Error) throw result;
    return result;
  }

  it('archives events that break the schema whole, counts them, and logs them by uuid only', async () => {
    const now = new Date().toISOString();
    const odd = [
      { timestamp: now, action: 'suspend', object_type: 'user', note: 'no uuid' },
      { uuid: 'NOTIMESTAMP', action: 'join', object_type: 'gm' },
      { uuid: 'LOCALTIME', timestamp: now.slice(0, 19).replace('T', ' '), action: 'join', object_type: 'gm' },
      {
        uuid: 'FUTURE',
        timestamp: now,
        action: 'teleport',
        object_type: 'hologram',
        brand_new_field: { nested: [1, 2] },
      },
    ];
    env.sim.ingest('auditevents', odd);
    const normal = env.sim.generate('auditevents', 50);

    const summary = ok(await env.run());
    const archived = await env.archived('auditevents');

    expect(summary.streams[0]).toMatchObject({ eventsArchived: 54, invalidEvents: 3 });
    for (const event of odd) expect(archived).toContainEqual(event);
    expect(archived).toHaveLength(odd.length + normal.length);
    const warning = env.log.lines.find(
      (line) => line.message === 'archived events that do not match the event schema',
    );
    expect(warning?.extra).toMatchObject({ count: 3 });
    // Events hold names and e-mails: the log names them by uuid and says why, never by content.
    expect(JSON.stringify(warning)).not.toContain('no uuid');
    expect(JSON.stringify(warning)).toContain('LOCALTIME');
  });

  it('archives huge pages intact, closing a batch at the first page boundary past its size', async () => {
    const filler = 'x'.repeat(10_000);
    const huge = Array.from({ length: 2_100 }, (_, i) => ({
      uuid: `HUGE${String(i).padStart(5, '0')}`,
      timestamp: new Date().toISOString(),
      action: 'update',
      object_type: 'vault',
      aux_info: filler,
    }));
    env.sim.ingest('auditevents', huge);

    // Pages of 1,000 events are 10 MB each. A batch can only end where a page ends (the
    // cursor moves a page at a time), so with a 5 MiB limit each page is a batch of its own.
    const summary = ok(await env.run({ env: { BATCH_MAX_BYTES: String(5 * 1024 * 1024) } }));
    const archived = await env.archived('auditevents');

    expect(summary.streams[0]).toMatchObject({ eventsArchived: 2_100, objectsWritten: 3, pages: 3 });
    expect(archived.map((event) => event.uuid)).toEqual(huge.map((event) => event.uuid));
    expect(archived.every((event) => event.aux_info === filler)).toBe(true);
  });
});
