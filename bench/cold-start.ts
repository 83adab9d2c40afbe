import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BuildOptions } from 'esbuild';
import {
  type Bundle,
  bundle,
  bytesByPackage,
  deployedSettings,
  HANDLER_ENTRY,
  PROJECT_ROOT,
  runtimeImportsZodByName,
  scratchDir,
  zodNamespaceImport,
} from './support/bundle';
import { FUNCTION_MEMORY_MB, lambdaNodeFlags } from './support/lambda-runner';
import { runProbe } from './support/probe';
import { type BenchServers, startServers } from './support/servers';
import { formatBytes, formatNumber, median, quantile } from './support/stats';
import { type BenchOptions, figure, type Section, verdictOf } from './types';

const TARGET_BYTES = 400 * 1000;
const TARGET_MS = 150;

interface Timing {
  /** From process start to the first line of the probe: Node's own bootstrap (wall). */
  readonly boot: number;
  /** `require` of the bundle: wall and CPU time. */
  readonly load: number;
  readonly loadCpu: number;
  /** `buildDependencies` (environment parsed, every client constructed): wall and CPU time. */
  readonly build: number;
  readonly buildCpu: number;
  /** The first invocation: token read, one idle page per stream, state written, against local servers (wall). */
  readonly firstInvocation: number;
}

interface Variant {
  readonly label: string;
  readonly build: BuildOptions;
  readonly nodeOptions: string;
  /** The change this variant measures, as the findings name it; none for the deployed build. */
  readonly change: string | undefined;
}

/**
 * The deployed build, and one variant per change that could make it smaller or faster and
 * is not made yet (each alone, then all together).
 */
function variantsToMeasure(): Variant[] {
  const deployed = deployedSettings();
  const changes: Array<{ label: string; build: BuildOptions; nodeOptions?: string; change: string }> = [];
  if (deployed.nodeOptions.includes('--enable-source-maps')) {
    changes.push({
      label: 'without `--enable-source-maps`',
      build: {},
      nodeOptions: deployed.nodeOptions.replace('--enable-source-maps', '').trim(),
      change:
        '`NODE_OPTIONS` without `--enable-source-maps` (`lib/house-nodejs-function.ts`; keep the `.map` files to decode a stack trace when one is needed)',
    });
  }
  if (runtimeImportsZodByName()) {
    changes.push({
      label: "`import * as z from 'zod'`",
      build: { plugins: [zodNamespaceImport] },
      change:
        "`import * as z from 'zod'` in `lambdas/shared/` (the named import binds zod's namespace, which re-exports every locale)",
    });
  }
  if (deployed.mainFields === undefined) {
    changes.push({
      label: "esbuild `mainFields: ['module', 'main']`",
      build: { mainFields: ['module', 'main'] },
      change:
        "`mainFields: ['module', 'main']` in the `bundling` options of `lib/house-nodejs-function.ts` (esbuild's default for Node takes the AWS SDK's CommonJS builds, which it cannot tree-shake)",
    });
  }
  const variants: Variant[] = [
    { label: 'as deployed', build: {}, nodeOptions: deployed.nodeOptions, change: undefined },
    ...changes.map((c) => ({
      label: c.label,
      build: c.build,
      nodeOptions: c.nodeOptions ?? deployed.nodeOptions,
      change: c.change,
    })),
  ];
  if (changes.length > 1) {
    variants.push({
      label: 'all of the above',
      build: Object.assign({}, ...changes.map((c) => c.build), {
        plugins: changes.flatMap((c) => c.build.plugins ?? []),
      }) as BuildOptions,
      nodeOptions: changes.find((c) => c.nodeOptions !== undefined)?.nodeOptions ?? deployed.nodeOptions,
      change: 'all of the above',
    });
  }
  return variants;
}

const PROBE = `
const t0 = performance.now();
const c0 = process.cpuUsage();
const bundle = require(process.argv[1]);
const t1 = performance.now();
const c1 = process.cpuUsage(c0);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const c2s = process.cpuUsage();
bundle.buildDependencies(process.env, quiet);
const t2 = performance.now();
const c2 = process.cpuUsage(c2s);
const deadline = Date.now() + 60000;
const context = { awsRequestId: 'cold-start', functionName: 'bench', memoryLimitInMB: '512', getRemainingTimeInMillis: () => deadline - Date.now() };
const ms = (c) => (c.user + c.system) / 1000;
bundle.handler({}, context).catch((error) => error).then((result) => {
  const t3 = performance.now();
  process.stderr.write('BENCH ' + JSON.stringify({ boot: t0, load: t1 - t0, loadCpu: ms(c1), build: t2 - t1, buildCpu: ms(c2), firstInvocation: t3 - t2, failed: result instanceof Error ? String(result.message) : undefined }) + '\\n');
});
`;

/**
 * The deployed bundle's size, and what a cold start costs: a fresh Node process (with the
 * heap limits and NODE_OPTIONS of the deployed function) loads the bundle, builds its
 * clients, and runs a first, idle invocation against local servers. Variants measure the
 * changes the findings propose.
 */
export async function runColdStart(options: BenchOptions): Promise<Section> {
  const started = performance.now();
  const runs = options.quick ? 5 : 15;
  const dir = scratchDir('cold-start');

  // The artifact as CDK builds it for Lambda's runtime.
  const deployed = await bundle(HANDLER_ENTRY, join(dir, 'deployed', 'index.js'), {
    target: deployedSettings().target,
  });
  const deployedGzip = gzipSync(readFileSync(deployed.file), { level: 9 }).length;
  const packages = bytesByPackage(deployed.metafile);
  const variants = variantsToMeasure();

  const built: Array<{ variant: Variant; probe: Bundle; size: Bundle; timings: Timing[] }> = [];
  for (const [index, variant] of variants.entries()) {
    const probe = await bundle(
      join(PROJECT_ROOT, 'bench', 'support', 'cold-start-probe.ts'),
      join(dir, `variant-${index}`, 'probe.js'),
      variant.build,
    );
    const size =
      index === 0
        ? deployed
        : await bundle(HANDLER_ENTRY, join(dir, `variant-${index}`, 'index.js'), {
            target: deployedSettings().target,
            ...variant.build,
          });
    built.push({ variant, probe, size, timings: [] });
  }
  const servers = await startServers({ rateLimit: false, seed: 5 });
  try {
    options.progress(`coldstart: ${runs} rounds of ${built.length} fresh processes`);
    for (const b of built) await timeProcess(b.probe.file, servers, b.variant.nodeOptions); // warms the file cache
    // Round-robin, so that whatever else the machine does weighs on every variant alike.
    for (let round = 0; round < runs; round++) {
      for (const b of built) b.timings.push(await timeProcess(b.probe.file, servers, b.variant.nodeOptions));
    }
  } finally {
    await servers.close();
  }
  const measured = built;

  const base = measured[0] as (typeof measured)[number];
  const cpu = base.timings.map((t) => t.loadCpu + t.buildCpu);
  const wall = base.timings.map((t) => t.load + t.build);
  const figures = [
    figure(
      'Bundle size (minified, AWS SDK inside)',
      `${formatBytes(deployed.bytes)} (${formatNumber(deployed.bytes)} B; gzip ${formatBytes(deployedGzip)})`,
      `≤ ${formatNumber(TARGET_BYTES / 1000)} KB`,
      verdictOf(deployed.bytes <= TARGET_BYTES),
    ),
    figure(
      'Cold start: load the bundle + build its clients (median)',
      `${formatNumber(coldStartMs(base.timings))} ms (CPU ${formatNumber(median(cpu))} ms, wall ${formatNumber(median(wall))} ms, wall p90 ${formatNumber(quantile(wall, 0.9))} ms)`,
      `≤ ${TARGET_MS} ms`,
      verdictOf(coldStartMs(base.timings) <= TARGET_MS),
    ),
    figure(
      'Cold start: Node bootstrap before the bundle (median)',
      `${formatNumber(median(base.timings.map((t) => t.boot)))} ms`,
      '—',
      'info',
    ),
    figure(
      'First invocation after the cold start, idle, local servers (median)',
      `${formatNumber(median(base.timings.map((t) => t.firstInvocation)))} ms`,
      '—',
      'info',
    ),
  ];

  const variantRows = measured.map(({ variant, size, timings }) => {
    const lbCpu = timings.map((t) => t.loadCpu + t.buildCpu);
    const lbWall = timings.map((t) => t.load + t.build);
    return `| ${variant.label} | ${formatBytes(size.bytes)} | **${formatNumber(coldStartMs(timings))} ms** | ${formatNumber(median(timings.map((t) => t.loadCpu)))} ms | ${formatNumber(median(timings.map((t) => t.buildCpu)))} ms | ${formatNumber(median(lbCpu))} ms | ${formatNumber(median(lbWall))} ms (p90 ${formatNumber(quantile(lbWall, 0.9))}) | ${formatNumber(median(timings.map((t) => t.firstInvocation)))} ms |`;
  });
  const best = measured[measured.length - 1] as (typeof measured)[number];
  const bestPackages = bytesByPackage(best.size.metafile);
  const topRows = packages.slice(0, 10).map((p) => {
    const after = bestPackages.find((b) => b.name === p.name)?.bytes ?? 0;
    return `| ${p.name} | ${formatBytes(p.bytes)} | ${formatBytes(after)} |`;
  });

  return {
    name: 'coldstart',
    title: 'Cold start',
    figures,
    method: [
      `esbuild bundles \`lambdas/collector/handler.ts\` with the options of the CDK app (CommonJS, minified, target node24, source maps without sources, the AWS SDK inside); the size is that file's. The timings use the same bundle built for this machine's Node, with \`buildDependencies\` exported beside the handler.`,
      `Each timing is a fresh \`node\` process started with the Lambda runtime's heap flags for ${FUNCTION_MEMORY_MB} MB (\`${lambdaNodeFlags(FUNCTION_MEMORY_MB).join(' ')}\`) and the deployed \`NODE_OPTIONS\`: it \`require\`s the bundle, calls \`buildDependencies\` on the collector's environment (zod parse, DynamoDB, S3 and Secrets Manager clients), then invokes the handler once against the simulator, dynalite, s3rver and the Secrets Manager stand-in with no added latency (an idle run: token read, lease, one empty page and release per stream). One unmeasured run per build warms the file cache; then ${runs} rounds start one process of each build in turn.`,
      "The figure compared with the target is the lower of two medians, the CPU time and the wall time of loading and building. Each overstates the cost on an idle core in its own way: the wall time counts the waits for a core while the machine does other work (see the load average), the CPU time counts V8's helper threads compiling and collecting beside the main one. Both are shown.",
      'Lambda adds its own sandbox start and the network to AWS, and Graviton cores load code at their own pace: these figures compare builds on one machine, and bound what the bundle itself costs.',
    ].join('\n\n'),
    details: [
      `Medians of ${runs} cold starts per build:`,
      '',
      '| build | bundle | load + build (compared) | load (CPU) | build clients (CPU) | load + build (CPU) | load + build (wall) | first invocation (wall) |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...variantRows,
      '',
      `What fills the bundle (esbuild metafile), as deployed and in the smallest build measured (${best.variant.label}):`,
      '',
      '| package | as deployed | smallest build |',
      '| --- | ---: | ---: |',
      ...topRows,
    ].join('\n'),
    findings: coldStartFindings(deployed, measured),
    durationMs: performance.now() - started,
  };
}

/** Load + build: the lower of the median CPU time and the median wall time (see the method). */
function coldStartMs(timings: readonly Timing[]): number {
  return Math.min(
    median(timings.map((t) => t.loadCpu + t.buildCpu)),
    median(timings.map((t) => t.load + t.build)),
  );
}

function coldStartFindings(
  deployed: Bundle,
  measured: ReadonlyArray<{ variant: Variant; size: Bundle; timings: Timing[] }>,
): string {
  const loadBuild = coldStartMs;
  const asDeployed = measured[0];
  if (!asDeployed) return '';
  const changes = measured.slice(1);
  const sdkBytes = (b: Bundle) =>
    bytesByPackage(b.metafile)
      .filter((p) => p.name.startsWith('@aws-sdk/') || p.name.startsWith('@smithy/'))
      .reduce((n, p) => n + p.bytes, 0);
  const smallest = [...measured].sort((a, b) => a.size.bytes - b.size.bytes)[0] ?? asDeployed;
  const lines: string[] = [];
  if (deployed.bytes > TARGET_BYTES) {
    const top = bytesByPackage(deployed.metafile)
      .slice(0, 3)
      .map((p) => `${p.name} ${formatBytes(p.bytes)}`)
      .join(', ');
    lines.push(
      `**Size.** The largest parts are ${top}. ${
        changes.filter((c) => c.size.bytes !== deployed.bytes).length === 0
          ? ''
          : `Measured: ${changes
              .filter((c) => c.size.bytes !== deployed.bytes)
              .map((c) => `${c.variant.label} → ${formatBytes(c.size.bytes)}`)
              .join('; ')}. `
      }The smallest build measured is ${formatBytes(smallest.size.bytes)}, and the AWS SDK alone is ${formatBytes(sdkBytes(smallest.size))} of it (\`@smithy/core\`, the S3, DynamoDB and Secrets Manager clients, and the default credential chain's SSO and STS clients, which Lambda never uses). ${formatNumber(TARGET_BYTES / 1000)} KB with the SDK inside would take replacing SDK clients with hand-signed requests, or leaving the SDK out of the bundle (\`bundleAwsSDK: false\`, the runtime's copy), which the project decided against so that Lambda runs the SDK the tests ran. What a cold start feels is the time, below.`,
    );
  }
  const deployedMs = loadBuild(asDeployed.timings);
  const compared = (timings: readonly Timing[]) => {
    const ms = loadBuild(timings);
    const change = (ms - deployedMs) / deployedMs;
    if (Math.abs(change) < 0.1) return `${formatNumber(ms)} ms (within the noise)`;
    return `${formatNumber(ms)} ms (${change < 0 ? '−' : '+'}${Math.abs(Math.round(100 * change))}%)`;
  };
  lines.push(
    ...(lines.length > 0 ? [''] : []),
    `**Time.** Loading the bundle and building its clients takes ${formatNumber(deployedMs)} ms as deployed, of which building the clients is ${formatNumber(median(asDeployed.timings.map((t) => t.buildCpu)))} ms: the cost is loading (parsing and running the top level of) the code, and it follows the bundle's size.${
      changes.length === 0
        ? ''
        : ` Side by side: ${changes.map((c) => `${c.variant.label}, ${compared(c.timings)}`).join('; ')}.`
    }`,
  );
  if (deployedMs > TARGET_MS) {
    const helpful = changes.filter(
      (c) => c.variant.change !== 'all of the above' && loadBuild(c.timings) < deployedMs * 0.9,
    );
    const best = Math.min(...changes.map((c) => loadBuild(c.timings)));
    lines.push(
      '',
      helpful.length > 0
        ? `To meet ${TARGET_MS} ms: ${helpful.map((c) => c.variant.change).join('; ')}. The fastest build measured needs ${formatNumber(best)} ms${best > TARGET_MS ? ', still above the target: the rest is the SDK being loaded, as with the size' : ''}. Judge the variants side by side: the machine's other work (see its load average) moves them together.`
        : 'None of the variants measured here helps beyond the noise: the time is the SDK being loaded.',
    );
  }
  return lines.join('\n');
}

async function timeProcess(file: string, servers: BenchServers, nodeOptions: string): Promise<Timing> {
  const timing = await runProbe<Timing & { failed?: string }>(
    'cold-start probe',
    ['-e', PROBE, file],
    servers.lambdaEnv(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
  );
  if (timing.failed) throw new Error(`the cold-start probe's invocation failed: ${timing.failed}`);
  return timing;
}
