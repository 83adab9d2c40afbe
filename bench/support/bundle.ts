import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';

export const PROJECT_ROOT = resolve(__dirname, '..', '..');
export const HANDLER_ENTRY = join(PROJECT_ROOT, 'lambdas', 'collector', 'handler.ts');

/** The CDK wrapper every function is built with; its settings are read from it, so the bench follows it. */
const FUNCTION_WRAPPER = join(PROJECT_ROOT, 'lib', 'house-nodejs-function.ts');

/** How the deployed function is bundled and started, as far as it matters here. */
export interface DeployedSettings {
  readonly target: string;
  readonly minify: boolean;
  readonly sourcemap: boolean;
  readonly mainFields: string[] | undefined;
  /** `NODE_OPTIONS` of the function ('' when it sets none). */
  readonly nodeOptions: string;
}

/**
 * The bundling options and NODE_OPTIONS in `lib/house-nodejs-function.ts`, read from its
 * text (the CDK app cannot be loaded without synthesising it); what the file does not say
 * falls back to NodejsFunction's defaults.
 */
export function deployedSettings(): DeployedSettings {
  let text = '';
  try {
    text = readFileSync(FUNCTION_WRAPPER, 'utf8');
  } catch {
    // No wrapper: NodejsFunction's defaults.
  }
  const bundling = /bundling:\s*\{([\s\S]*?)\n\s*\}/.exec(text)?.[1] ?? '';
  const flag = (name: string) => new RegExp(`${name}:\\s*true`).test(bundling);
  const mainFields = /mainFields:\s*\[([^\]]*)\]/.exec(bundling)?.[1];
  return {
    target: /target:\s*'([^']+)'/.exec(bundling)?.[1] ?? 'node24',
    minify: flag('minify'),
    sourcemap: flag('sourceMap'),
    mainFields:
      mainFields === undefined
        ? undefined
        : [...mainFields.matchAll(/'([^']+)'/g)].map((m) => m[1] as string),
    nodeOptions: /NODE_OPTIONS:\s*'([^']*)'/.exec(text)?.[1] ?? '',
  };
}

/**
 * The options the CDK app bundles the collector with: CommonJS, the AWS SDK inside, and the
 * wrapper's minify, source map and mainFields settings. `target` is the Node version of the
 * machine running the bench, so that the bundle runs here; the size figure uses the
 * deployed target.
 */
export function lambdaBuildOptions(): BuildOptions {
  const deployed = deployedSettings();
  return {
    bundle: true,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'cjs',
    minify: deployed.minify,
    sourcemap: deployed.sourcemap,
    sourcesContent: false,
    ...(deployed.mainFields ? { mainFields: deployed.mainFields } : {}),
    logLevel: 'error',
    absWorkingDir: PROJECT_ROOT,
  };
}

export interface Bundle {
  readonly file: string;
  readonly bytes: number;
  readonly metafile: Metafile;
}

const scratchDirs: string[] = [];

/** A fresh temporary folder, removed by {@link removeScratchDirs} when the run ends. */
export function scratchDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `op-events-bench-${label}-`));
  scratchDirs.push(dir);
  return dir;
}

export function removeScratchDirs(): void {
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Bundles one entry the way the Lambda is bundled, plus whatever `extra` overrides. */
export async function bundle(entry: string, outfile: string, extra: BuildOptions = {}): Promise<Bundle> {
  const result = await build({
    ...lambdaBuildOptions(),
    entryPoints: [entry],
    outfile,
    metafile: true,
    ...extra,
  });
  const { metafile } = result;
  const output = Object.values(metafile?.outputs ?? {}).find((out) => out.entryPoint !== undefined);
  if (!metafile || !output) throw new Error(`esbuild wrote no bundle for ${entry}`);
  return { file: outfile, bytes: output.bytes, metafile };
}

/** Bytes in the bundle per npm package (or "project" for the repository's own code). */
export function bytesByPackage(metafile: Metafile): Array<{ name: string; bytes: number }> {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    if (output.entryPoint === undefined) continue;
    for (const [path, input] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const name = match?.[1] ?? 'project code';
      totals.set(name, (totals.get(name) ?? 0) + input.bytesInOutput);
    }
  }
  return [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/** Whether the runtime still imports zod by name (which keeps every locale in the bundle). */
export function runtimeImportsZodByName(): boolean {
  const files = readdirSync(join(PROJECT_ROOT, 'lambdas'), { recursive: true, encoding: 'utf8' });
  return files
    .filter((file) => file.endsWith('.ts'))
    .some((file) =>
      /import \{ z \} from 'zod';/.test(readFileSync(join(PROJECT_ROOT, 'lambdas', file), 'utf8')),
    );
}

/**
 * Rewrites `import { z } from 'zod'` to `import * as z from 'zod'` in the runtime's own
 * files while bundling: the change the cold-start section proposes, measured without
 * touching the source.
 */
export const zodNamespaceImport: Plugin = {
  name: 'zod-namespace-import',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]lambdas[\\/].*\.ts$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replace(
        /import \{ z \} from 'zod';/g,
        "import * as z from 'zod';",
      ),
      loader: 'ts',
    }));
  },
};
