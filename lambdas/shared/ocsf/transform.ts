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

/** A line of an archive object that is no JSON object: kept in the archive, absent from OCSF. */
export interface RejectedLine {
  readonly key: string;
  readonly line: number;
  readonly reason: string;
}

/**
 * Records of one or more archive objects, grouped by OCSF class and event day as they are
 * added: the one place events become records, for one object (`transformArchiveObject`) and
 * for all the objects a digest names.
 */
export class OcsfGroups {
  private readonly groups = new Map<string, { ocsfClass: OcsfClass; day: string; records: OcsfRecord[] }>();
  readonly rejected: RejectedLine[] = [];
  /** Records held. */
  size = 0;

  /** Adds the events of one archive object (its key and uncompressed NDJSON). */
  add(inputKey: string, stream: EventType, ndjson: string): void {
    ndjson.split('\n').forEach((text, index) => {
      if (text.trim() === '') return;
      let event: unknown;
      try {
        event = JSON.parse(text);
      } catch (error) {
        this.rejected.push({
          key: inputKey,
          line: index + 1,
          reason: `not JSON: ${(error as Error).message}`,
        });
        return;
      }
      if (event === null || typeof event !== 'object' || Array.isArray(event)) {
        this.rejected.push({ key: inputKey, line: index + 1, reason: 'not a JSON object' });
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
      const entry = this.groups.get(group) ?? { ocsfClass, day, records: [] };
      entry.records.push(record);
      this.groups.set(group, entry);
      this.size++;
    });
  }

  /** The keys {@link take} would give, without writing anything. */
  keys(keyOf: (ocsfClass: OcsfClass, day: string) => string): { ocsfClass: OcsfClass; key: string }[] {
    return [...this.groups.values()].map(({ ocsfClass, day }) => ({ ocsfClass, key: keyOf(ocsfClass, day) }));
  }

  /** Empties the groups without writing them (their objects exist already). */
  clear(): void {
    this.groups.clear();
    this.size = 0;
  }

  /**
   * One object per class and event day, records sorted by time, named by `keyOf`; the groups
   * are emptied. The order of the objects and of equal times is the order of adding, so the
   * same inputs give the same bytes.
   */
  take(keyOf: (ocsfClass: OcsfClass, day: string) => string, format: OcsfFormat = 'parquet'): OcsfObject[] {
    const objects = [...this.groups.values()]
      .sort((a, b) => a.ocsfClass.uid - b.ocsfClass.uid || a.day.localeCompare(b.day))
      .map(({ ocsfClass, day, records }) => {
        records.sort((a, b) => a.time - b.time);
        return {
          key: keyOf(ocsfClass, day),
          body: format === 'parquet' ? toParquet(ocsfClass, records) : toNdjson(records),
          ocsfClass,
          eventDay: day,
          records: records.length,
        };
      });
    this.groups.clear();
    this.size = 0;
    return objects;
  }
}

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
  const groups = new OcsfGroups();
  groups.add(inputKey, stream, ndjson);
  const objects = groups.take((ocsfClass, day) => ocsfKey(target, ocsfClass, day, inputKey, format), format);
  return { objects, rejected: groups.rejected.map(({ line, reason }) => ({ line, reason })) };
}

function writtenAt(inputKey: string): number {
  const date = /dt=(\d{4}-\d{2}-\d{2})\//.exec(inputKey)?.[1];
  return date === undefined ? 0 : Date.parse(`${date}T00:00:00Z`);
}

function toNdjson(records: readonly OcsfRecord[]): Uint8Array {
  return new TextEncoder().encode(records.map((record) => `${JSON.stringify(record)}\n`).join(''));
}
