import type { EventType } from '../event-types';
import { eventDay, type LakeTarget, ocsfKey } from './layout';
import type { JsonObject } from './mapper';
import { mapEvent } from './mapping';
import { toParquet } from './parquet';
import { OCSF_CLASSES, type OcsfClass, type OcsfRecord } from './record';

export type OcsfFormat = 'parquet' | 'ndjson';

/** One object to write: the records of one class and one event day, from one archive object. */
export interface OcsfObject {
  readonly key: string;
  readonly body: Uint8Array;
  readonly ocsfClass: OcsfClass;
  readonly eventDay: string;
  readonly records: number;
}

export interface TransformResult {
  readonly objects: OcsfObject[];
  /** Lines that hold no JSON object: kept in the archive, absent here. */
  readonly rejected: { readonly line: number; readonly reason: string }[];
}

const CLASS_BY_UID = new Map<number, OcsfClass>(Object.values(OCSF_CLASSES).map((c) => [c.uid, c]));

/**
 * One archive object (its key and its uncompressed NDJSON) → OCSF objects, one per class and
 * event day, each sorted by time, with keys derived from the input key alone.
 */
export function transformArchiveObject(
  inputKey: string,
  stream: EventType,
  ndjson: string,
  target: LakeTarget,
  format: OcsfFormat = 'parquet',
): TransformResult {
  const groups = new Map<string, { ocsfClass: OcsfClass; day: string; records: OcsfRecord[] }>();
  const rejected: { line: number; reason: string }[] = [];
  ndjson.split('\n').forEach((text, index) => {
    if (text.trim() === '') return;
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch (error) {
      rejected.push({ line: index + 1, reason: `not JSON: ${(error as Error).message}` });
      return;
    }
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      rejected.push({ line: index + 1, reason: 'not a JSON object' });
      return;
    }
    const record = mapEvent(stream, event as JsonObject);
    // OCSF requires a time: an unreadable time stamp (kept in metadata.original_time) takes
    // the day the archive object was written.
    if (typeof record.time !== 'number') record.time = writtenAt(inputKey);
    const ocsfClass = CLASS_BY_UID.get(record.class_uid);
    if (ocsfClass === undefined) throw new Error(`no OCSF class ${record.class_uid}`);
    const day = eventDay(record.time);
    const group = `${ocsfClass.uid}/${day}`;
    const entry = groups.get(group) ?? { ocsfClass, day, records: [] };
    entry.records.push(record);
    groups.set(group, entry);
  });
  const objects = [...groups.values()]
    .sort((a, b) => a.ocsfClass.uid - b.ocsfClass.uid || a.day.localeCompare(b.day))
    .map(({ ocsfClass, day, records }) => {
      records.sort((a, b) => a.time - b.time);
      return {
        key: ocsfKey(target, ocsfClass, day, inputKey, format),
        body: format === 'parquet' ? toParquet(ocsfClass, records) : toNdjson(records),
        ocsfClass,
        eventDay: day,
        records: records.length,
      };
    });
  return { objects, rejected };
}

function writtenAt(inputKey: string): number {
  const date = /dt=(\d{4}-\d{2}-\d{2})\//.exec(inputKey)?.[1];
  return date === undefined ? 0 : Date.parse(`${date}T00:00:00Z`);
}

function toNdjson(records: readonly OcsfRecord[]): Uint8Array {
  return new TextEncoder().encode(records.map((record) => `${JSON.stringify(record)}\n`).join(''));
}
