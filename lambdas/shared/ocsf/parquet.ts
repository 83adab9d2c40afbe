import { gunzipSync, gzipSync } from 'node:zlib';
import { ByteWriter, type ColumnSource, parquetWrite } from 'hyparquet-writer';
import type { Json } from './mapper';
import { OCSF_CLASSES, type OcsfClass, type OcsfRecord } from './record';

/**
 * Records of one OCSF class → one Parquet file, with an explicit schema per class: every
 * scalar attribute the class's records can have is a typed column, every object (and the
 * privileges list) a JSON column, `unmapped` included. A record with an attribute that has no
 * column is refused rather than written without it.
 */
type ColumnKind = 'INT32' | 'INT64' | 'STRING' | 'JSON';

const COMMON: Readonly<Record<string, ColumnKind>> = {
  time: 'INT64',
  class_uid: 'INT32',
  class_name: 'STRING',
  category_uid: 'INT32',
  category_name: 'STRING',
  activity_id: 'INT32',
  activity_name: 'STRING',
  type_uid: 'INT64',
  type_name: 'STRING',
  severity_id: 'INT32',
  severity: 'STRING',
  status_id: 'INT32',
  status: 'STRING',
  status_detail: 'STRING',
  metadata: 'JSON',
  actor: 'JSON',
  device: 'JSON',
  unmapped: 'JSON',
};

const BY_CLASS: Readonly<Record<number, Readonly<Record<string, ColumnKind>>>> = {
  [OCSF_CLASSES.authentication.uid]: { user: 'JSON', session: 'JSON', src_endpoint: 'JSON', service: 'JSON' },
  [OCSF_CLASSES.accountChange.uid]: { user: 'JSON' },
  [OCSF_CLASSES.entityManagement.uid]: { entity: 'JSON' },
  [OCSF_CLASSES.userAccess.uid]: { user: 'JSON', resource: 'JSON', privileges: 'JSON' },
  [OCSF_CLASSES.groupManagement.uid]: { user: 'JSON', group: 'JSON', resource: 'JSON', privileges: 'JSON' },
};

/** The columns of a class's Parquet files, in order. */
export function parquetColumns(ocsfClass: OcsfClass): [string, ColumnKind][] {
  return Object.entries({ ...COMMON, ...(BY_CLASS[ocsfClass.uid] ?? {}) });
}

/**
 * GZIP pages, from Node's own zlib: the JSON columns repeat their keys in every row, which
 * GZIP folds away and the writer's default (Snappy) does not; Athena, Glue and Spark read both.
 */
const CODEC = 'GZIP';

/** What a reader needs to read these files, for readers without a GZIP codec of their own (hyparquet). */
export const PARQUET_DECOMPRESSORS = { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) };

export class UnmappedColumnError extends Error {
  override readonly name = 'UnmappedColumnError';
}

export function toParquet(ocsfClass: OcsfClass, records: readonly OcsfRecord[]): Uint8Array {
  const columns = parquetColumns(ocsfClass);
  const known = new Set(columns.map(([name]) => name));
  for (const record of records) {
    if (record.class_uid !== ocsfClass.uid)
      throw new UnmappedColumnError(`a ${record.class_uid} record among ${ocsfClass.uid} records`);
    for (const name of Object.keys(record)) {
      if (!known.has(name))
        throw new UnmappedColumnError(`class ${ocsfClass.uid} has no Parquet column for "${name}"`);
    }
  }
  const columnData: ColumnSource[] = columns.map(([name, kind]) => ({
    name,
    type: kind,
    nullable: true,
    data: records.map((record) => cell(record[name], kind)),
  }));
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    columnData,
    codec: CODEC,
    compressors: { GZIP: (input) => new Uint8Array(gzipSync(input)) },
    createdBy: 'onepassword-events-archive ocsf',
    rowGroupSize: 100_000,
  });
  return new Uint8Array(writer.getBuffer());
}

function cell(value: Json | undefined, kind: ColumnKind): Json | bigint {
  if (value === undefined) return null;
  if (kind === 'INT64' && typeof value === 'number') return BigInt(value);
  return value;
}
