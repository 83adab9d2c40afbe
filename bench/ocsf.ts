/**
 * What the OCSF output costs: the bundle a transformer function would ship, how many records
 * a second it converts, and how large Parquet is beside the archive's gzip NDJSON for the
 * same events. `npx tsx bench/ocsf.ts [events per stream]`; prints Markdown.
 */
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { EVENT_TYPES } from '../lambdas/shared/event-types';
import type { JsonObject } from '../lambdas/shared/ocsf/mapper';
import { mapEvent } from '../lambdas/shared/ocsf/mapping';
import { transformArchiveObject } from '../lambdas/shared/ocsf/transform';
import { simulatedMonth } from '../test/ocsf/support/streams';

const PER_STREAM = Number(process.argv[2] ?? 100_000);
const TARGET = { region: 'eu-west-1', accountId: '123456789012' };

async function bundleBytes(entry: string): Promise<{ min: number; gzip: number }> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    write: false,
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { min: code.length, gzip: gzipSync(code).length };
}

async function main(): Promise<void> {
  const transform = await bundleBytes('lambdas/shared/ocsf/transform.ts');
  const writer = await bundleBytes('node_modules/hyparquet-writer/src/index.js');
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log('| bundle (esbuild, minified, node) | bytes | gzipped |\n| --- | --- | --- |');
  console.log(
    `| \`lambdas/shared/ocsf/transform.ts\` and all it imports | ${kb(transform.min)} | ${kb(transform.gzip)} |`,
  );
  console.log(`| hyparquet-writer alone | ${kb(writer.min)} | ${kb(writer.gzip)} |`);
  console.log('');
  console.log(
    `| stream (${PER_STREAM.toLocaleString('en-US')} simulated events) | map records/s | map + Parquet records/s | gzip NDJSON | Parquet | Parquet / gzip |`,
  );
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const stream of EVENT_TYPES) {
    const texts = simulatedMonth(stream, PER_STREAM);
    const ndjson = `${texts.join('\n')}\n`;
    const gzip = gzipSync(Buffer.from(ndjson)).length;
    let started = performance.now();
    for (const text of texts) mapEvent(stream, JSON.parse(text) as JsonObject);
    const mapRate = texts.length / ((performance.now() - started) / 1000);
    started = performance.now();
    const key = `source=bench/type=${stream}/dt=2026-03-01/000000000001.ndjson.gz`;
    const { objects } = transformArchiveObject(key, stream, ndjson, TARGET);
    const fullRate = texts.length / ((performance.now() - started) / 1000);
    const parquet = objects.reduce((n, o) => n + o.body.length, 0);
    const rate = (r: number) => Math.round(r).toLocaleString('en-US');
    console.log(
      `| ${stream} | ${rate(mapRate)} | ${rate(fullRate)} | ${kb(gzip)} | ${kb(parquet)} (${objects.length} objects) | ${(parquet / gzip).toFixed(2)} |`,
    );
  }
}

void main();
