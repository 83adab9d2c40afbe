/**
 * `npm run bench [-- --quick] [-- <measurement>...] [-- --no-write] [-- --strict]`
 *
 * Runs the measurements (all of them by default), prints the results table, and, after a
 * run of all of them, rewrites BENCHMARKS.md; a run of detections or ocsf without the others
 * rewrites only its own section. Timed assertions live here, not in the tests.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CatchupRun, measureCatchup, runCatchup } from './catchup';
import { runColdStart } from './cold-start';
import { runCost } from './cost';
import { LAMBDA_MB_PER_VCPU, runCpu } from './cpu';
import { runDetections } from './detections';
import { runDropOff } from './dropoff';
import { type HourSample, sampleHour } from './idle';
import { describeMachine, loadNow } from './machine';
import { PROPOSED_BATCH_MAX_BYTES, runMemory } from './memory';
import { runOcsf } from './ocsf';
import { consoleTable, markdown, spliceSections } from './report';
import { PROJECT_ROOT, removeScratchDirs } from './support/bundle';
import { generateCorpus, meanEventBytes } from './support/corpus';
import { FUNCTION_MEMORY_MB } from './support/lambda-runner';
import { formatMs } from './support/stats';
import { type BenchOptions, MEASUREMENTS, type MeasurementName, type Section } from './types';

/** Measurements whose section a run of them alone writes into BENCHMARKS.md. */
const STANDALONE: readonly MeasurementName[] = ['detections', 'ocsf'];

// The SDK's notice about Node 20 would interleave with the table.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

function parseArgs(argv: readonly string[]) {
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  const unknownFlags = [...flags].filter((f) => !['--quick', '--no-write', '--strict'].includes(f));
  const names = argv.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !(MEASUREMENTS as readonly string[]).includes(n));
  if (unknown.length > 0 || unknownFlags.length > 0) {
    throw new Error(
      `unknown ${[...unknown, ...unknownFlags].join(', ')}; measurements: ${MEASUREMENTS.join(', ')}; flags: --quick, --no-write, --strict`,
    );
  }
  const selected = names.length === 0 ? [...MEASUREMENTS] : MEASUREMENTS.filter((m) => names.includes(m));
  return {
    quick: flags.has('--quick'),
    write: !flags.has('--no-write'),
    strict: flags.has('--strict'),
    selected,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const machine = describeMachine();
  const options: BenchOptions = {
    quick: args.quick,
    progress: (line) =>
      process.stderr.write(`[${formatMs(performance.now() - started).padStart(8)}] ${line}\n`),
  };
  const has = (name: MeasurementName) => args.selected.includes(name);

  let catchup: CatchupRun | undefined;
  let catchupProposed: CatchupRun | undefined;
  let catchupThrottled: CatchupRun | undefined;
  const sections: Section[] = [];
  for (const name of args.selected) {
    switch (name) {
      case 'cpu':
        sections.push(await runCpu(options));
        break;
      case 'coldstart':
        sections.push(await runColdStart(options));
        break;
      case 'catchup': {
        catchup = await measureCatchup(options);
        // The deployed function's CPU share; a quick run leaves it out.
        catchupThrottled = args.quick
          ? undefined
          : await measureCatchup(options, { cpuShare: FUNCTION_MEMORY_MB / LAMBDA_MB_PER_VCPU });
        sections.push(await runCatchup(options, catchup, catchupThrottled));
        break;
      }
      case 'memory':
        // The smaller batch limit this section proposes, through a one-minute catch-up.
        if (has('catchup') && !args.quick) {
          catchupProposed = await measureCatchup(options, {
            windowMinutes: 1,
            env: { BATCH_MAX_BYTES: String(PROPOSED_BATCH_MAX_BYTES) },
          });
        }
        sections.push(
          await runMemory(options, {
            defaults: catchup,
            throttled: catchupThrottled,
            proposed: catchupProposed,
          }),
        );
        break;
      case 'cost': {
        catchup ??= await measureCatchup(options);
        const idle: HourSample = await sampleHour('idle', options);
        const active: HourSample = await sampleHour('active', options);
        const corpus = await generateCorpus(3000, 3);
        const meanBytes =
          (meanEventBytes(corpus.signinattempts) +
            meanEventBytes(corpus.itemusages) +
            meanEventBytes(corpus.auditevents)) /
          3;
        sections.push(await runCost(options, { idle, active, catchup, meanEventBytes: meanBytes }));
        break;
      }
      case 'dropoff':
        sections.push(await runDropOff(options));
        break;
      case 'detections':
        sections.push(await runDetections(options));
        break;
      case 'ocsf':
        sections.push(await runOcsf(options));
        break;
    }
  }

  const table = consoleTable(sections);
  const totalMs = performance.now() - started;
  process.stdout.write(`\n${table}\n\n${args.selected.length} measurement(s) in ${formatMs(totalMs)}\n`);

  if (args.write && args.selected.length === MEASUREMENTS.length) {
    const file = join(PROJECT_ROOT, 'BENCHMARKS.md');
    writeFileSync(
      file,
      markdown({ sections, machine, loadAtEnd: loadNow(), quick: args.quick, totalMs, console: table }),
    );
    process.stderr.write(`wrote ${file}\n`);
  } else if (args.write && sections.some((s) => STANDALONE.includes(s.name))) {
    // These sections stand alone: a run of one replaces its part of the file.
    const file = join(PROJECT_ROOT, 'BENCHMARKS.md');
    const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const alone = sections.filter((s) => STANDALONE.includes(s.name));
    writeFileSync(file, spliceSections(current, alone));
    process.stderr.write(`updated the ${alone.map((s) => s.name).join(' and ')} section of ${file}\n`);
  }
  if (args.strict && sections.some((s) => s.figures.some((f) => f.verdict === 'fail'))) process.exitCode = 1;
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  })
  .finally(removeScratchDirs);
