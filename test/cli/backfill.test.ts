import { backfillPrefix, backfillStateKey } from '../../cli/backfill-naming';
import { type BackfillDependencies, backfill, parseBackfillArgs } from '../../cli/commands/backfill';
import { eventInstant } from '../../dev/simulator/index';
import { streamPrefix } from '../../lambdas/shared/archive/format';
import { readStreamEvents } from '../../lambdas/shared/archive/reader';
import { StateStore, streamKey } from '../../lambdas/shared/state-store';
import { SOURCE, startEnvironment, type TestEnvironment, uuidsOf } from '../support/environment';
import { crashingCollaborators } from '../support/faults';
import { cli, localClients, type TestIo, testIo } from './support';

const STREAM = 'itemusages';
const DAY = 86_400_000;

describe('backfill', () => {
  let env: TestEnvironment;
  let from: number;
  let to: number;
  let inRange: Array<Record<string, unknown>>;
  beforeEach(async () => {
    env = await startEnvironment({ collectorEnv: { EVENT_TYPES: STREAM } });
    const now = Math.floor(Date.now() / 1000) * 1000;
    from = now - 2 * DAY;
    to = now - DAY;
    env.sim.generate(STREAM, 700, { from: now - 3 * DAY, to: from - 1000 });
    env.sim.generate(STREAM, 2_500, { from, to: to - 1000 });
    env.sim.generate(STREAM, 400, { from: to, to: now });
    inRange = env.sim.events(STREAM).filter((event) => {
      // As the simulator serves it: a time stamp without a zone (a few generated ones) is UTC.
      const at = eventInstant(String(event.timestamp))?.ms ?? 0;
      return at >= from && at < to;
    });
  });
  afterEach(() => env.close());

  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  const args = (...extra: string[]) => [
    '--source',
    SOURCE,
    '--stream',
    STREAM,
    '--from',
    iso(from),
    '--to',
    iso(to),
    '--table',
    env.aws.tableName,
    '--bucket',
    env.aws.bucket,
    '--token-env',
    'TOKEN',
    '--url',
    env.sim.url,
    '--allow-custom-url',
    '--json',
    ...extra,
  ];

  async function run(options: { io?: TestIo; deps?: Partial<BackfillDependencies>; extra?: string[] } = {}) {
    const io = options.io ?? testIo({ env: { TOKEN: env.token } });
    const code = await backfill(parseBackfillArgs(args(...(options.extra ?? [])), io), {
      io,
      aws: localClients(env.aws),
      ...options.deps,
    });
    return { code, io, result: JSON.parse(io.stdout.text) };
  }

  async function archivedInBackfill() {
    const prefix = streamPrefix(backfillPrefix('', from, to), SOURCE, STREAM);
    const { events } = await readStreamEvents(env.aws.clients.s3, env.aws.bucket, prefix);
    return events as Array<Record<string, unknown>>;
  }

  it('archives the range under its own prefix, each event once, without moving the stream’s cursor', async () => {
    const main = await env.run();
    if (main instanceof Error) throw main;
    const state = new StateStore(env.aws.clients.documents, env.aws.tableName);
    const cursorBefore = await state.get(streamKey(SOURCE, STREAM));

    const first = await run();
    const again = await run();
    const verified = await cli([
      'verify',
      '--bucket',
      env.aws.bucket,
      '--prefix',
      first.result.prefix,
      '--source',
      SOURCE,
      '--stream',
      STREAM,
      '--table',
      env.aws.tableName,
    ]);

    expect(first.code).toBe(0);
    expect(first.result).toMatchObject({
      complete: true,
      stateKey: backfillStateKey(SOURCE, STREAM, from, to),
      prefix: backfillPrefix('', from, to),
      thisRun: { events: inRange.length, objects: 1, firstSeq: 1, lastSeq: 1 },
    });
    expect(first.result.prefix).toMatch(/^backfill\/\d{8}T\d{6}Z_\d{8}T\d{6}Z\/$/);
    expect(uuidsOf(await archivedInBackfill())).toEqual(uuidsOf(inRange));
    expect(await state.get(streamKey(SOURCE, STREAM))).toEqual(cursorBefore);
    expect(again.code).toBe(0);
    expect(again.result).toMatchObject({
      complete: true,
      thisRun: { events: 0, objects: 0 },
      total: { events: inRange.length },
    });
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('itemusages  OK      objects 1–1');
    for (const output of [
      first.io.stdout.text,
      first.io.stderr.text,
      again.io.stdout.text,
      again.io.stderr.text,
    ]) {
      expect(output).not.toContain(env.token.split('.')[2]);
    }
  });

  it('stops cleanly on Ctrl-C and, run again, archives each event of the range once', async () => {
    const io = testIo({ env: { TOKEN: env.token } });
    const interrupted = await run({
      io,
      extra: ['--batch-max-events', '100'],
      deps: { onPage: () => io.controller.abort() },
    });
    const resumed = await run({ extra: ['--batch-max-events', '100'] });

    expect(interrupted.code).toBe(130);
    expect(interrupted.result).toMatchObject({
      complete: false,
      interrupted: true,
      thisRun: { events: 1_000, objects: 1 },
    });
    expect(resumed.code).toBe(0);
    expect(resumed.result).toMatchObject({ complete: true, thisRun: { firstSeq: 2, lastSeq: 3 } });
    const archived = await archivedInBackfill();
    expect(archived).toHaveLength(inRange.length);
    expect(uuidsOf(archived)).toEqual(uuidsOf(inRange));
  });

  it('resumes after the process died between writing an object and committing it', async () => {
    const crashing = crashingCollaborators(
      { documents: env.aws.clients.documents, s3: env.aws.clients.s3 },
      { table: env.aws.tableName, bucket: env.aws.bucket },
      { at: 'after-write', batch: 2 },
    );
    const later = Date.now() + 10 * 60_000;

    await expect(
      run({
        extra: ['--batch-max-events', '100'],
        deps: { state: crashing.state, archive: crashing.archive },
      }),
    ).rejects.toThrow(/simulated crash after-write of batch 2.*run the same command again to go on/);
    const resumed = await run({
      io: testIo({ env: { TOKEN: env.token }, now: () => later + (Date.now() % 1_000_000) }),
      extra: ['--batch-max-events', '100'],
    });

    expect(resumed.code).toBe(0);
    const archived = await archivedInBackfill();
    expect(archived).toHaveLength(inRange.length);
    expect(uuidsOf(archived)).toEqual(uuidsOf(inRange));
  });

  it('waits for the lease of another run of the range, or with --no-wait says who holds it', async () => {
    const state = new StateStore(env.aws.clients.documents, env.aws.tableName);
    const pk = backfillStateKey(SOURCE, STREAM, from, to);
    await state.acquireLease(pk, SOURCE, STREAM, 'backfill@other-host', Date.now() + 120_000, Date.now());
    let clock = Date.now();
    const slept: number[] = [];

    await expect(run({ extra: ['--no-wait'] })).rejects.toThrow(
      /another run \(backfill@other-host\) holds this range's lease until .* leave out --no-wait/,
    );
    const waited = await run({
      io: testIo({ env: { TOKEN: env.token }, now: () => clock }),
      deps: {
        sleep: async (ms) => {
          slept.push(ms);
          clock += ms;
        },
      },
    });

    expect(slept).toHaveLength(1);
    expect(waited.code).toBe(0);
    expect(waited.io.stderr.text).toContain(
      'backfill: another run (backfill@other-host) holds this range until',
    );
    expect(uuidsOf(await archivedInBackfill())).toEqual(uuidsOf(inRange));
  });

  it.each([
    ['--from after --to', () => ['--from', iso(to), '--to', iso(from)], /--from .* must be before --to/],
    ['--to in the future', () => ['--to', iso(Date.now() + DAY)], /--to .* is in the future/],
    [
      '--from older than 120 days',
      () => ['--from', iso(Date.now() - 121 * DAY)],
      /older than the 120 days the Events API keeps; the earliest possible now is/,
    ],
    ['an unknown stream', () => ['--stream', 'logins'], /--stream "logins" is not one of/],
  ])('refuses %s with exit 2 and sends nothing', async (_case, extra, message) => {
    const before = env.sim.stats.requests;

    const { code, stderr } = await cli(['backfill', ...args(...extra())], { env: { TOKEN: env.token } });

    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(env.sim.stats.requests).toBe(before);
  });
});
