import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { openLocalState } from '../../cli/local-state';
import { type Simulator, startSimulator } from '../../dev/simulator/index';
import { parseBatchKey } from '../../lambdas/shared/archive/format';
import { uuidsOf } from '../support/environment';
import { cli, temporaryDir } from './support';

/** Events of one stream of a local archive, in sequence order. */
function localEvents(dir: string, source: string, stream: string): Array<Record<string, unknown>> {
  const root = join(dir, `source=${source}`, `type=${stream}`);
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ndjson.gz'))
    .map((file) => ({ file, seq: parseBatchKey(`source=${source}/type=${stream}/${file}`)?.seq ?? 0 }))
    .sort((a, b) => a.seq - b.seq);
  return files.flatMap(({ file }) =>
    gunzipSync(readFileSync(join(root, file)))
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>),
  );
}

describe('collect', () => {
  it('collects from the built-in simulator into a folder that verify passes', async () => {
    const dir = temporaryDir('collect-sim');

    const collected = await cli([
      'collect',
      '--simulator',
      '--dir',
      dir,
      '--simulator-events',
      '2500',
      '--json',
    ]);
    const verified = await cli(['verify', '--dir', dir, '--source', 'local', '--json']);

    expect(collected.code).toBe(0);
    expect(collected.json()).toMatchObject({
      dir,
      simulator: true,
      caughtUp: true,
      streams: [
        { stream: 'signinattempts', eventsArchived: 2_500, objectsWritten: 3, firstSeq: 1, lastSeq: 3 },
        { stream: 'itemusages', eventsArchived: 2_500, objectsWritten: 3 },
        { stream: 'auditevents', eventsArchived: 2_500, objectsWritten: 3 },
      ],
    });
    const sidecar = JSON.parse(
      readFileSync(
        join(
          dir,
          `source=local/type=itemusages/dt=${new Date().toISOString().slice(0, 10)}/000000000001.ndjson.gz.meta.json`,
        ),
        'utf8',
      ),
    );
    expect(sidecar).toMatchObject({
      ContentType: 'application/x-ndjson',
      ContentEncoding: 'gzip',
      Metadata: {
        source: 'local',
        stream: 'itemusages',
        seq: '1',
        'event-count': '1000',
        'prev-body-sha256': '0'.repeat(64),
      },
    });
    expect(verified.code).toBe(0);
    expect(verified.json()).toMatchObject({ ok: true, objectsChecked: 9, events: 7_500 });
  });

  it('refuses to run the simulator again on a folder it filled', async () => {
    const dir = temporaryDir('collect-sim-again');
    await cli(['collect', '--simulator', '--dir', dir, '--simulator-events', '10']);

    const again = await cli(['collect', '--simulator', '--dir', dir]);

    expect(again.code).toBe(2);
    expect(again.stderr).toContain(
      'already holds a collection for source local; the built-in simulator starts afresh',
    );
  });

  describe('with a token', () => {
    let sim: Simulator;
    let dir: string;
    let tokenFile: string;
    beforeEach(async () => {
      sim = await startSimulator({ rateLimit: false });
      dir = temporaryDir('collect-token');
      tokenFile = join(dir, '..', `${dir.split('/').pop()}-token.txt`);
      writeFileSync(tokenFile, sim.mintToken({ features: ['itemusages', 'auditevents'] }));
    });
    afterEach(() => sim.close());

    const collect = (...extra: string[]) =>
      cli([
        'collect',
        '--dir',
        dir,
        '--source',
        'trial',
        '--token-file',
        tokenFile,
        '--url',
        sim.url,
        '--allow-custom-url',
        '--json',
        ...extra,
      ]);

    it('goes on from its cursors when run again, so each event lands once', async () => {
      const now = Date.now();
      const first = sim.generate('itemusages', 1_500, { from: now - 3 * 86_400_000, to: now });
      sim.generate('auditevents', 20, { from: now - 86_400_000, to: now });

      const run1 = await collect();
      const later = sim.generate('itemusages', 700, { from: now - 60_000, to: Date.now() });
      const run2 = await collect();
      const verified = await cli(['verify', '--dir', dir, '--source', 'trial', '--json']);

      expect(run1.code).toBe(0);
      expect(run1.json().streams.map((s: { stream: string }) => s.stream)).toEqual([
        'itemusages',
        'auditevents',
      ]);
      expect(run2.code).toBe(0);
      expect(run2.json().streams[0]).toMatchObject({
        stream: 'itemusages',
        eventsArchived: 700,
        firstSeq: 2,
        lastSeq: 2,
      });
      expect(uuidsOf(localEvents(dir, 'trial', 'itemusages'))).toEqual(uuidsOf([...first, ...later]));
      expect(verified.code).toBe(0);
      const token = readFileSync(tokenFile, 'utf8');
      for (const output of [run1.stdout, run1.stderr, run2.stdout, run2.stderr]) {
        expect(output).not.toContain(token.split('.')[2]);
      }
    });

    it('takes back at once the streams a killed run left leased', async () => {
      const now = Date.now();
      const events = sim.generate('itemusages', 300, { from: now - 86_400_000, to: now });
      const state = await openLocalState(dir);
      await state.store.acquireLease(
        'trial#itemusages',
        'trial',
        'itemusages',
        'op-events-archive collect',
        now + 3_600_000,
        now,
      );
      await state.close();

      const { code, json } = await collect('--types', 'itemusages');

      expect(code).toBe(0);
      expect(json().streams[0]).toMatchObject({ status: 'ok', eventsArchived: 300 });
      expect(uuidsOf(localEvents(dir, 'trial', 'itemusages'))).toEqual(uuidsOf(events));
    });

    it('starts where --start-from says', async () => {
      const now = Date.now();
      sim.generate('itemusages', 100, { from: now - 10 * 86_400_000, to: now - 3 * 86_400_000 });
      const recent = sim.generate('itemusages', 50, { from: now - 86_400_000, to: now });

      const { code } = await collect('--types', 'itemusages', '--start-from', 'P2D');

      expect(code).toBe(0);
      expect(uuidsOf(localEvents(dir, 'trial', 'itemusages'))).toEqual(uuidsOf(recent));
    });

    it('exits 3 with the reason when the token is refused, and writes nothing', async () => {
      sim.revokeToken(readFileSync(tokenFile, 'utf8'));

      const { code, stderr } = await collect();

      expect(code).toBe(3);
      expect(stderr).toMatch(
        /^op-events-archive collect: collect stopped:\n {2}- itemusages: the Events API refused the token for itemusages \(HTTP 401: Unauthorized\)/,
      );
      expect(stderr).toMatch(
        /\n {2}- auditevents: .*\nCheck the token with `op-events-archive check-token`\. What was archived before the failure is kept; run collect again to go on\.\n$/,
      );
      expect(stderr).not.toContain('warning');
      expect(readdirSync(dir).filter((name) => name.startsWith('source='))).toEqual([]);
    });

    it('keeps a second collect out of a folder in use', async () => {
      const state = await openLocalState(dir);
      try {
        const { code, stderr } = await collect();

        expect(code).toBe(2);
        expect(stderr).toMatch(/another collect \(process \d+\) is using .*; wait for it to finish/);
      } finally {
        await state.close();
      }
    });
  });
});
