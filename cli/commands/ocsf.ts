import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FileArchive } from '../../lambdas/shared/archive/file-archive';
import { parseBatchKey } from '../../lambdas/shared/archive/format';
import { isEventType } from '../../lambdas/shared/event-types';
import { type OcsfFormat, transformArchiveObject } from '../../lambdas/shared/ocsf/transform';
import { OCSF_VERSION } from '../../lambdas/shared/ocsf/version';
import { commonOptions, parseCommandLine } from '../args';
import { EXIT_CODES_HELP, ExitCode, UsageError } from '../exit-codes';
import { count, toJson } from '../format';
import type { CliIo } from '../io';

export const OCSF_HELP = `Usage: op-events-archive ocsf --dir PATH [options]

Converts a local archive to OCSF ${OCSF_VERSION}, the way Amazon Security Lake takes a custom
source: one folder per OCSF class, partitioned by region, account and event day, one object
per archive object and class and day, its name derived from the archive key (converting
again rewrites the same files). The archive itself is only read.

Options:
  --dir PATH             the local archive (the folder \`collect\` or the demo writes; required)
  --out PATH             where to write (default ./ocsf)
  --format FORMAT        parquet (default) or ndjson (one OCSF record per line, to read)
  --region REGION        the region= partition (default $AWS_REGION, else us-east-1)
  --account ID           the accountId= partition: the account or external id of the custom
                         sources (default 000000000000)
  --json                 print one JSON document instead of text
  -h, --help             show this help

Examples:
  op-events-archive ocsf --dir .demo/archive
  op-events-archive ocsf --dir .demo/archive --format ndjson --out /tmp/ocsf

${EXIT_CODES_HELP}
`;

export interface OcsfOptions {
  readonly dir: string;
  readonly out: string;
  readonly format: OcsfFormat;
  readonly region: string;
  readonly accountId: string;
  readonly json: boolean;
}

export function parseOcsfArgs(argv: string[], io: Pick<CliIo, 'env'>): OcsfOptions {
  const values = parseCommandLine('ocsf', argv, {
    ...commonOptions,
    dir: { type: 'string' },
    out: { type: 'string' },
    format: { type: 'string' },
    region: { type: 'string' },
    account: { type: 'string' },
  });
  if (values.dir === undefined) throw new UsageError('say which archive to convert: --dir PATH');
  const format = values.format ?? 'parquet';
  if (format !== 'parquet' && format !== 'ndjson')
    throw new UsageError(`--format must be parquet or ndjson, not ${JSON.stringify(format)}`);
  const region = values.region ?? (io.env.AWS_REGION || 'us-east-1');
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
    throw new UsageError('--region must be a region name, e.g. eu-west-1');
  const accountId = values.account ?? '000000000000';
  if (!/^[\w-]+$/.test(accountId))
    throw new UsageError('--account must be an account or external id (letters, digits, - and _)');
  return {
    dir: resolve(values.dir),
    out: resolve(values.out ?? 'ocsf'),
    format,
    region,
    accountId,
    json: values.json === true,
  };
}

export interface OcsfSummary {
  readonly archive: string;
  readonly out: string;
  readonly ocsfVersion: string;
  readonly format: OcsfFormat;
  readonly inputObjects: number;
  readonly inputBytes: number;
  readonly events: number;
  readonly rejectedLines: number;
  readonly outputBytes: number;
  /** Per OCSF class: objects written and records in them. */
  readonly classes: Record<string, { objects: number; records: number }>;
}

export async function ocsf(options: OcsfOptions, deps: { io: CliIo }): Promise<ExitCode> {
  if (!existsSync(options.dir)) throw new UsageError(`--dir ${options.dir} does not exist`);
  const archive = new FileArchive(options.dir);
  const summary = {
    archive: options.dir,
    out: options.out,
    ocsfVersion: OCSF_VERSION,
    format: options.format,
    inputObjects: 0,
    inputBytes: 0,
    events: 0,
    rejectedLines: 0,
    outputBytes: 0,
    classes: {} as Record<string, { objects: number; records: number }>,
  };
  const keys: string[] = [];
  for await (const entry of archive.list('')) if (parseBatchKey(entry.key)) keys.push(entry.key);
  for (const key of keys.sort()) {
    const stream = parseBatchKey(key)?.stream ?? '';
    if (!isEventType(stream)) continue;
    const object = await archive.open(key);
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(Buffer.from(chunk));
    const gzipped = Buffer.concat(chunks);
    const result = transformArchiveObject(
      key,
      stream,
      gunzipSync(gzipped).toString('utf8'),
      { region: options.region, accountId: options.accountId },
      options.format,
    );
    summary.inputObjects++;
    summary.inputBytes += gzipped.length;
    summary.rejectedLines += result.rejected.length;
    for (const rejected of result.rejected)
      deps.io.stderr.write(`${key}:${rejected.line}: left out, ${rejected.reason}\n`);
    for (const out of result.objects) {
      const path = join(options.out, out.key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, out.body);
      summary.events += out.records;
      summary.outputBytes += out.body.length;
      const name = `${out.ocsfClass.uid} ${out.ocsfClass.name}`;
      summary.classes[name] ??= { objects: 0, records: 0 };
      const counts = summary.classes[name];
      counts.objects++;
      counts.records += out.records;
    }
  }
  if (summary.inputObjects === 0)
    throw new UsageError(`no archive objects in ${options.dir}; give the folder that holds source=… folders`);
  deps.io.stdout.write(options.json ? toJson(summary satisfies OcsfSummary) : render(summary));
  return ExitCode.ok;
}

function render(summary: OcsfSummary): string {
  const lines = [
    `Converted ${count(summary.events)} events from ${count(summary.inputObjects)} archive objects to OCSF ${summary.ocsfVersion} (${summary.format}) in ${summary.out}`,
    '',
    ...Object.entries(summary.classes)
      .sort()
      .map(
        ([name, c]) =>
          `  ${name.padEnd(28)} ${count(c.records).padStart(9)} records in ${count(c.objects)} objects`,
      ),
    '',
    `${count(summary.inputBytes)} bytes of gzip NDJSON in, ${count(summary.outputBytes)} bytes of ${summary.format} out`,
  ];
  if (summary.rejectedLines > 0)
    lines.push(`${count(summary.rejectedLines)} lines held no event and were left out`);
  return `${lines.join('\n')}\n`;
}
