/**
 * Measures `verify` on a large local archive:
 *
 *   npx tsx cli/tools/verify-benchmark.ts --dir /tmp/op-bench --objects 100000 --events 10
 *
 * Writes the archive first if the folder does not hold one yet (one stream, `itemusages` of
 * source `bench`, events from the simulator's generator, objects made by the collector's own
 * batch builder), then runs `verify --dir` on it and prints objects and events per second.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startSimulator } from '../../dev/simulator';
import { batchKey } from '../../lambdas/shared/archive-format';
import { BatchBuilder } from '../../lambdas/shared/batch';
import { FileArchive } from '../../lambdas/shared/file-archive';
import { GENESIS_SHA256 } from '../../lambdas/shared/state-store';
import { MemoryOutput } from '../io';
import { runCli } from '../main';

const SOURCE = 'bench';
const STREAM = 'itemusages';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string', default: '/tmp/op-events-verify-bench' },
      objects: { type: 'string', default: '100000' },
      events: { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '16' },
    },
  });
  const objects = Number(values.objects);
  const perObject = Number(values.events);
  if (!existsSync(`${values.dir}/source=${SOURCE}`)) await generate(values.dir, objects, perObject);

  const stdout = new MemoryOutput();
  const started = Date.now();
  const code = await runCli(
    [
      'verify',
      '--dir',
      values.dir,
      '--source',
      SOURCE,
      '--stream',
      STREAM,
      '--concurrency',
      values.concurrency,
      '--json',
    ],
    {
      stdout,
      stderr: process.stderr,
      stdin: process.stdin,
      env: process.env,
      signal: new AbortController().signal,
      now: Date.now,
    },
  );
  const seconds = (Date.now() - started) / 1000;
  const result = JSON.parse(stdout.text) as { objectsChecked: number; events: number; storedBytes: number };
  const memory = process.memoryUsage();
  process.stdout.write(
    `verify --dir: exit ${code}, ${result.objectsChecked} objects, ${result.events} events, ` +
      `${(result.storedBytes / 1048576).toFixed(1)} MiB in ${seconds.toFixed(1)} s: ` +
      `${Math.round(result.objectsChecked / seconds)} objects/s, ${Math.round(result.events / seconds)} events/s; ` +
      `peak RSS ${Math.round(memory.rss / 1048576)} MiB\n`,
  );
}

async function generate(dir: string, objects: number, perObject: number): Promise<void> {
  const started = Date.now();
  const sim = await startSimulator({ seed: 7 });
  const now = Date.now();
  const pool = sim.generate(STREAM, Math.min(50_000, objects * perObject), {
    from: now - 30 * 86_400_000,
    to: now,
  });
  await sim.close();
  const archive = new FileArchive(dir, { durable: false });
  let previous = GENESIS_SHA256;
  let next = 0;
  for (let seq = 1; seq <= objects; seq++) {
    const batch = new BatchBuilder(STREAM, perObject, 64 * 1024 * 1024);
    for (let i = 0; i < perObject; i++) {
      const event = pool[next++ % pool.length] as Record<string, unknown>;
      batch.add({ ...event, uuid: `${event.uuid}-${seq}-${i}` });
    }
    const sealed = await batch.seal();
    // Spread over days, as a long-running stream's objects are.
    const date = new Date(now - Math.floor(((objects - seq) / objects) * 120) * 86_400_000)
      .toISOString()
      .slice(0, 10);
    await archive.put({
      key: batchKey('', SOURCE, STREAM, date, seq),
      source: SOURCE,
      stream: STREAM,
      seq,
      prevSha256: previous,
      batch: sealed,
    });
    previous = sealed.sha256;
    if (seq % 10_000 === 0) process.stderr.write(`generated ${seq} objects\n`);
  }
  process.stderr.write(`generated ${objects} objects in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
