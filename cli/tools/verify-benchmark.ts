/**
 * Measures `verify` on a large local archive:
 *
 *   npx tsx cli/tools/verify-benchmark.ts --dir /tmp/op-bench-10m --objects 10000 --events 1000 --compare
 *
 * Writes the archive first if the folder does not hold one yet (one stream, `itemusages` of
 * source `bench`, events from the simulator's generator with a distinct 26-character uuid
 * each, objects made by the collector's own batch builder), then checks the stream in a fresh
 * Node process with `verifyStream`, what `verify --dir` runs for each stream, and prints the
 * time, events per second, peak RSS and what the duplicate check wrote to disk. `--compare`
 * runs it a second time with the duplicate check off.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { startSimulator } from '../../dev/simulator/index';
import { BatchBuilder } from '../../lambdas/shared/archive/batch';
import { FileArchive } from '../../lambdas/shared/archive/file-archive';
import { batchKey } from '../../lambdas/shared/archive/format';
import { type DuplicateCheck, verifyStream } from '../../lambdas/shared/archive/verifier';
import { GENESIS_SHA256 } from '../../lambdas/shared/state-store';
import { bytes, count } from '../format';

const SOURCE = 'bench';
const STREAM = 'itemusages';
const MIB = 1024 * 1024;

/** What one measuring process reports, as a `BENCH {...}` line on stdout. */
interface Measurement {
  readonly objects: number;
  readonly events: number;
  readonly storedBytes: number;
  readonly findings: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  /** From the last object read to the end: comparing the uuids set aside on disk. */
  readonly duplicatePhaseSeconds: number | undefined;
  readonly peakRssBytes: number;
  readonly duplicateCheck: DuplicateCheck | undefined;
}

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: '/tmp/op-events-verify-bench' },
    objects: { type: 'string', default: '100000' },
    events: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '16' },
    'memory-mb': { type: 'string', default: '256' },
    compare: { type: 'boolean', default: false },
    // Set by the parent on the process that measures.
    measure: { type: 'string' },
  },
});

async function main(): Promise<void> {
  if (values.measure !== undefined) {
    process.stdout.write(`BENCH ${JSON.stringify(await measure(values.measure === 'on'))}\n`);
    return;
  }
  if (!existsSync(`${values.dir}/source=${SOURCE}`)) {
    await generate(values.dir, Number(values.objects), Number(values.events));
  }
  const load = loadavg()[0] ?? 0;
  const runs: Array<[string, Measurement]> = [['duplicate check on', await inChild('on')]];
  if (values.compare) runs.push(['duplicate check off', await inChild('off')]);
  process.stdout.write(
    `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}; ` +
      `load average ${load.toFixed(2)} at start, ${(loadavg()[0] ?? 0).toFixed(2)} at end\n`,
  );
  for (const [name, run] of runs) process.stdout.write(`${name}: ${describe(run)}\n`);
}

function describe(run: Measurement): string {
  const check = run.duplicateCheck;
  const spill =
    check === undefined
      ? ''
      : check.partitions === 0
        ? `; ${count(check.uuids)} uuids checked in memory`
        : `; ${count(check.uuids)} uuids spilled to ${count(check.partitions)} files, ${bytes(check.spillBytes)} at most, ` +
          `compared in ${(run.duplicatePhaseSeconds ?? 0).toFixed(1)} s`;
  return (
    `${count(run.objects)} objects, ${count(run.events)} events, ${bytes(run.storedBytes)} ` +
    `in ${run.seconds.toFixed(1)} s (CPU ${run.cpuSeconds.toFixed(1)} s): ` +
    `${count(Math.round(run.objects / run.seconds))} objects/s, ${count(Math.round(run.events / run.seconds))} events/s; ` +
    `peak RSS ${bytes(run.peakRssBytes)}${spill}; ${count(run.findings)} findings`
  );
}

/** Runs the measurement in a process of its own, so that its peak RSS is its own. */
function inChild(variant: 'on' | 'off'): Promise<Measurement> {
  const script = process.argv[1] as string;
  const args = [...process.execArgv, script, ...process.argv.slice(2), '--measure', variant];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH '));
      if (!line) return reject(new Error(`the measuring process exited with ${code}: ${stdout}`));
      resolve(JSON.parse(line.slice('BENCH '.length)) as Measurement);
    });
  });
}

async function measure(checkDuplicates: boolean): Promise<Measurement> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let duplicatesFrom: number | undefined;
  const result = await verifyStream(new FileArchive(values.dir), {
    prefix: '',
    source: SOURCE,
    stream: STREAM,
    concurrency: Number(values.concurrency),
    checkDuplicates,
    duplicateMemoryBytes: Number(values['memory-mb']) * MIB,
    onProgress: (progress) => {
      if (progress.phase === 'duplicates') duplicatesFrom = performance.now();
    },
  });
  const ended = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  return {
    objects: result.objectsChecked,
    events: result.events,
    storedBytes: result.storedBytes,
    findings: result.findings.length,
    seconds: (ended - started) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    duplicatePhaseSeconds: duplicatesFrom === undefined ? undefined : (ended - duplicatesFrom) / 1000,
    // maxRSS is in KiB.
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    duplicateCheck: result.duplicateCheck,
  };
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
      const event = pool[next % pool.length] as Record<string, unknown>;
      // 26 characters like the API's uuids, the last 7 counting events so that none repeats.
      const uuid = `${String(event.uuid).slice(0, 19)}${next.toString(32).toUpperCase().padStart(7, '0')}`;
      batch.add({ ...event, uuid });
      next += 1;
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
    if (seq % 1_000 === 0) process.stderr.write(`generated ${seq} objects\n`);
  }
  process.stderr.write(`generated ${objects} objects in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
