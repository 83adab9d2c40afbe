/**
 * The demo's archive objects as OCSF, converted as the transformer converts each new archive
 * object, and one record of each class, to show what a reader of the OCSF tables sees.
 */
import type { EventType } from '../../lambdas/shared/event-types';
import type { JsonObject } from '../../lambdas/shared/ocsf/mapper';
import { OCSF_CLASSES, type OcsfClass, type OcsfRecord } from '../../lambdas/shared/ocsf/record';
import { transformArchiveObject } from '../../lambdas/shared/ocsf/transform';
import { OCSF_VERSION } from '../../lambdas/shared/ocsf/version';

/** One archive object: its key, stream and uncompressed NDJSON. */
export interface ArchivedObject {
  readonly key: string;
  readonly stream: EventType;
  readonly body: string;
}

export interface OcsfClassSummary {
  readonly ocsfClass: OcsfClass;
  readonly records: number;
  readonly objects: number;
  /** The earliest record of the class. */
  readonly sample: OcsfRecord;
}

export interface OcsfDemoSummary {
  readonly inputObjects: number;
  readonly objects: number;
  readonly records: number;
  /** In `OCSF_CLASSES` order; a class no event maps to is absent. */
  readonly classes: OcsfClassSummary[];
}

const TARGET = { region: 'us-east-1', accountId: '000000000000' };
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

/** Converts every object (as NDJSON: the same records the Parquet holds, readable at once). */
export function convertToOcsf(archived: readonly ArchivedObject[]): OcsfDemoSummary {
  const byClass = new Map<number, { records: number; objects: number; sample?: OcsfRecord }>();
  let objects = 0;
  for (const { key, stream, body } of archived) {
    for (const object of transformArchiveObject(key, stream, body, TARGET, 'ndjson').objects) {
      objects += 1;
      const entry = byClass.get(object.ocsfClass.uid) ?? { records: 0, objects: 0 };
      entry.records += object.records;
      entry.objects += 1;
      const first = JSON.parse(new TextDecoder().decode(object.body).split('\n')[0] ?? '') as OcsfRecord;
      if (entry.sample === undefined || first.time < entry.sample.time) entry.sample = first;
      byClass.set(object.ocsfClass.uid, entry);
    }
  }
  const classes = Object.values(OCSF_CLASSES).flatMap((ocsfClass) => {
    const entry = byClass.get(ocsfClass.uid);
    return entry?.sample
      ? [{ ocsfClass, records: entry.records, objects: entry.objects, sample: entry.sample }]
      : [];
  });
  return {
    inputObjects: archived.length,
    objects,
    records: classes.reduce((n, c) => n + c.records, 0),
    classes,
  };
}

/** A line per class: its counts, one record's activity, status, time and people, then that record as JSON on one line. */
export function printOcsf(out: (line?: string) => void, summary: OcsfDemoSummary, width = 120): void {
  const fmt = (n: number) => n.toLocaleString('en-US');
  out(
    `OCSF ${OCSF_VERSION}: the ${fmt(summary.inputObjects)} archive objects give ${fmt(summary.records)} records, ` +
      `${fmt(summary.objects)} objects (one per class and event day of each archive object; Parquet in a deployment).`,
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
