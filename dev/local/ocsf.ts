/**
 * The demo's digests as OCSF: the transformer's own core converts each digest's objects into
 * Parquet under `ocsf/` in s3rver, as the function does into the archive bucket, and the
 * objects are read back to show one record of each class, as a reader of the OCSF tables
 * sees it.
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';
import { transformBatch } from '../../lambdas/ocsf-transformer/transformer';
import type { Log } from '../../lambdas/shared/observability';
import { defaultSourceLocation } from '../../lambdas/shared/ocsf/layout';
import type { JsonObject } from '../../lambdas/shared/ocsf/mapper';
import { PARQUET_DECOMPRESSORS } from '../../lambdas/shared/ocsf/parquet';
import { OCSF_CLASSES, type OcsfClass, type OcsfRecord } from '../../lambdas/shared/ocsf/record';
import { OCSF_VERSION } from '../../lambdas/shared/ocsf/version';
import type { LocalAws } from './aws';

export interface OcsfClassSummary {
  readonly ocsfClass: OcsfClass;
  readonly records: number;
  readonly objects: number;
  /** The earliest record of the class. */
  readonly sample: OcsfRecord;
}

export interface OcsfDemoSummary {
  /** Digests the transformer read. */
  readonly digests: number;
  readonly objects: number;
  readonly records: number;
  /** In `OCSF_CLASSES` order; a class no event maps to is absent. */
  readonly classes: OcsfClassSummary[];
}

/** What the class line says already, left out of the record's JSON under it. */
const SAID = new Set([
  'class_uid',
  'class_name',
  'category_uid',
  'category_name',
  'activity_id',
  'activity_name',
  'type_uid',
  'type_name',
  'severity_id',
  'severity',
  'status_id',
  'status',
  'time',
]);

const OCSF_ROOT = 'ocsf/';

/**
 * Runs the transformer on each digest (as its queue would deliver them), then reads every
 * Parquet object it wrote back: records and objects per class, and the earliest record of each.
 */
export async function transformDigestsLocally(
  aws: LocalAws,
  digestKeys: readonly string[],
  log: Log,
): Promise<OcsfDemoSummary> {
  const records = digestKeys.map((key, index) => ({
    messageId: `digest-${index + 1}`,
    body: JSON.stringify({ detail: { bucket: { name: aws.bucket }, object: { key } } }),
    attributes: { ApproximateReceiveCount: '1' },
  }));
  const response = await transformBatch(records as never, {
    s3: aws.clients.s3,
    bucket: aws.bucket,
    prefix: '',
    region: 'us-east-1',
    accountId: '000000000000',
    destinations: new Map(
      Object.values(OCSF_CLASSES).map((c) => [
        c.uid,
        { bucket: aws.bucket, prefix: `${OCSF_ROOT}${defaultSourceLocation(c)}` },
      ]),
    ),
    writerFor: () => aws.clients.s3,
    log,
  });
  if (response.batchItemFailures.length > 0) throw new Error('the OCSF transformer failed on a digest');
  const byClass = new Map<number, { records: number; objects: number; sample?: OcsfRecord }>();
  let objects = 0;
  let token: string | undefined;
  do {
    const page = await aws.clients.s3.send(
      new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: OCSF_ROOT, ContinuationToken: token }),
    );
    for (const { Key: key } of page.Contents ?? []) {
      const ocsfClass = key === undefined ? undefined : classOf(key);
      if (key === undefined || ocsfClass === undefined) continue;
      const uid = ocsfClass.uid;
      const body = await aws.clients.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: key }));
      const file = ((await body.Body?.transformToByteArray()) ?? new Uint8Array()).slice().buffer;
      const rows = (await parquetReadObjects({ file, compressors: PARQUET_DECOMPRESSORS })).map(
        (row) => plain(row) as OcsfRecord,
      );
      objects += 1;
      const entry = byClass.get(uid) ?? { records: 0, objects: 0 };
      entry.records += rows.length;
      entry.objects += 1;
      for (const row of rows)
        if (entry.sample === undefined || row.time < entry.sample.time) entry.sample = row;
      byClass.set(uid, entry);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const classes = Object.values(OCSF_CLASSES).flatMap((ocsfClass) => {
    const entry = byClass.get(ocsfClass.uid);
    return entry?.sample
      ? [{ ocsfClass, records: entry.records, objects: entry.objects, sample: entry.sample }]
      : [];
  });
  return {
    digests: digestKeys.length,
    objects,
    records: classes.reduce((n, c) => n + c.records, 0),
    classes,
  };
}

function classOf(key: string): OcsfClass | undefined {
  return Object.values(OCSF_CLASSES).find((c) => key.startsWith(`${OCSF_ROOT}${defaultSourceLocation(c)}`));
}

/** A Parquet row as the record it was written from: numbers for longs, no empty cells, `unmapped` parsed. */
function plain(value: unknown, path = ''): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'bigint') return Number(value);
  if (path === 'unmapped' && typeof value === 'string') return JSON.parse(value);
  if (Array.isArray(value)) return value.map((item) => plain(item, path));
  if (typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [name, inner] of Object.entries(value)) {
    const kept = plain(inner, path === '' ? name : `${path}.${name}`);
    if (kept !== undefined) out[name] = kept;
  }
  return out;
}

/** A line per class: its counts, one record's activity, status, time and people, then that record as JSON on one line. */
export function printOcsf(out: (line?: string) => void, summary: OcsfDemoSummary, width = 120): void {
  const fmt = (n: number) => n.toLocaleString('en-US');
  out(
    `OCSF ${OCSF_VERSION}: the transformer turned the ${fmt(summary.digests)} digests' archive objects into ${fmt(summary.records)} records, ` +
      `${fmt(summary.objects)} Parquet objects under ocsf/ (one per class and event day of each digest).`,
  );
  out('class                     uid   records  objects  one record: activity, status, time, actor → user');
  out(
    '────────────────────────  ────  ───────  ───────  ─────────────────────────────────────────────────────────',
  );
  for (const { ocsfClass, records, objects, sample } of summary.classes) {
    out(
      `${ocsfClass.name.padEnd(24)}  ${ocsfClass.uid}  ${fmt(records).padStart(7)}  ${fmt(objects).padStart(7)}  ` +
        `${sample.activity_name}, ${sample.status}, ${new Date(sample.time).toISOString()}, ${whoOf(sample)}`,
    );
    // What tells one record from another first; the metadata every record has, last.
    const { metadata, ...fields } = sample;
    const rest = Object.fromEntries(
      Object.entries({ ...fields, metadata }).filter(([name]) => !SAID.has(name)),
    );
    out(`  ${trim(JSON.stringify(rest), width - 2)}`);
  }
}

/** Who acted and on whom: `actor → user` where the record names both, else the one it names. */
function whoOf(record: OcsfRecord): string {
  const name = (user: unknown) => {
    const u = user as JsonObject | undefined;
    return u === undefined ? undefined : String(u.email_addr ?? u.name ?? u.uid);
  };
  const actor = name((record.actor as JsonObject | undefined)?.user);
  const user = name(record.user);
  return [actor, user].filter((who) => who !== undefined).join(' → ') || '–';
}

function trim(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
