import { gunzipSync, gzipSync } from 'node:zlib';
import { ByteWriter, type ColumnSource, parquetWrite } from 'hyparquet-writer';
import type { Json, JsonObject } from './mapper';
import { OCSF_CLASSES, type OcsfClass, type OcsfRecord } from './record';

/**
 * Records of one OCSF class → one Parquet file, with an explicit, nested schema per class:
 * every OCSF object is a Parquet group (a struct to Athena, Glue and Security Lake), every
 * array a list, every scalar typed, so `metadata.product.name` or `user.email_addr` are
 * columns a query names. Only `unmapped` (free-form in OCSF) and `entity.data` (OCSF's `json`
 * type) are JSON text. A record with an attribute the schema lacks is refused, not written
 * without it.
 */
export type Leaf = 'INT32' | 'INT64' | 'DOUBLE' | 'STRING' | 'JSON';
export interface ListOf {
  readonly list: Leaf;
}
export type Shape = Leaf | ListOf | { readonly [attribute: string]: Shape };

const S = 'STRING';
const I = 'INT32';

const USER = { uid: S, name: S, email_addr: S, type: S, type_id: I, account: { uid: S } } as const;
const LOCATION = { city: S, country: S, region: S, coordinates: { list: 'DOUBLE' } } as const;
const OS = { name: S, type_id: I, version: S } as const;
const RESOURCE = { uid: S, name: S, type: S } as const;

/** The attributes every class's records may have. */
const COMMON: Readonly<Record<string, Shape>> = {
  time: 'INT64',
  class_uid: I,
  class_name: S,
  category_uid: I,
  category_name: S,
  activity_id: I,
  activity_name: S,
  type_uid: 'INT64',
  type_name: S,
  severity_id: I,
  severity: S,
  status_id: I,
  status: S,
  status_detail: S,
  metadata: {
    uid: S,
    version: S,
    log_name: S,
    event_code: S,
    original_time: S,
    tenant_uid: S,
    product: { name: S, vendor_name: S, feature: { name: S } },
  },
  actor: { user: USER, session: { uid: S, created_time: 'INT64' } },
  device: { uid: S, type_id: I, ip: S, location: LOCATION, os: OS },
  unmapped: 'JSON',
};

const BY_CLASS: Readonly<Record<number, Readonly<Record<string, Shape>>>> = {
  [OCSF_CLASSES.authentication.uid]: {
    user: USER,
    session: { uid: S },
    src_endpoint: { ip: S, location: LOCATION, os: OS },
    service: { name: S },
  },
  [OCSF_CLASSES.accountChange.uid]: { user: USER },
  [OCSF_CLASSES.entityManagement.uid]: { entity: { uid: S, name: S, type: S, version: S, data: 'JSON' } },
  [OCSF_CLASSES.userAccess.uid]: { user: USER, resource: RESOURCE, privileges: { list: S } },
  [OCSF_CLASSES.groupManagement.uid]: {
    user: USER,
    group: { uid: S, name: S },
    resource: RESOURCE,
    privileges: { list: S },
  },
};

/** The top-level attributes of a class's Parquet files, in order, each with its shape. */
export function parquetColumns(ocsfClass: OcsfClass): [string, Shape][] {
  return Object.entries({ ...COMMON, ...(BY_CLASS[ocsfClass.uid] ?? {}) });
}

function isList(shape: Shape): shape is ListOf {
  return typeof shape === 'object' && 'list' in shape && typeof shape.list === 'string';
}

/** A shape as a Hive type, for Glue tables: `struct<uid:string,…>`, `array<double>`. */
export function hiveType(shape: Shape): string {
  if (typeof shape === 'string') {
    return { INT32: 'int', INT64: 'bigint', DOUBLE: 'double', STRING: 'string', JSON: 'string' }[shape];
  }
  if (isList(shape)) return `array<${hiveType(shape.list)}>`;
  return `struct<${Object.entries(shape)
    .map(([name, inner]) => `${name}:${hiveType(inner)}`)
    .join(',')}>`;
}

type SchemaElement = NonNullable<Parameters<typeof parquetWrite>[0]['schema']>[number];

function leafElement(name: string, leaf: Leaf): SchemaElement {
  if (leaf === 'STRING' || leaf === 'JSON')
    return { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' };
  return { name, type: leaf, repetition_type: 'OPTIONAL' };
}

/** The Parquet schema elements of one attribute, depth first (a list in the three-level form). */
function elements(name: string, shape: Shape): SchemaElement[] {
  if (typeof shape === 'string') return [leafElement(name, shape)];
  if (isList(shape)) {
    return [
      { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      leafElement('element', shape.list),
    ];
  }
  const children = Object.entries(shape);
  return [
    { name, repetition_type: 'OPTIONAL', num_children: children.length },
    ...children.flatMap(([child, inner]) => elements(child, inner)),
  ];
}

/**
 * GZIP pages, from Node's own zlib: the string columns repeat across rows, which GZIP folds
 * away better than the writer's default (Snappy); Athena, Glue and Spark read both.
 */
const CODEC = 'GZIP';

/** What a reader needs to read these files, for readers without a GZIP codec of their own (hyparquet). */
export const PARQUET_DECOMPRESSORS = { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) };

export class UnmappedColumnError extends Error {
  override readonly name = 'UnmappedColumnError';
}

export function toParquet(ocsfClass: OcsfClass, records: readonly OcsfRecord[]): Uint8Array {
  const columns = parquetColumns(ocsfClass);
  const shape = Object.fromEntries(columns);
  for (const record of records) {
    if (record.class_uid !== ocsfClass.uid)
      throw new UnmappedColumnError(`a ${record.class_uid} record among ${ocsfClass.uid} records`);
  }
  const cells = records.map((record) => cell(record, shape, '', ocsfClass) as Record<string, unknown>);
  const columnData: ColumnSource[] = columns.map(([name]) => ({
    name,
    data: cells.map((row) => row[name] ?? null),
  }));
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    columnData,
    schema: [
      { name: 'root', num_children: columns.length },
      ...columns.flatMap(([name, inner]) => elements(name, inner)),
    ],
    codec: CODEC,
    compressors: { GZIP: (input) => new Uint8Array(gzipSync(input)) },
    createdBy: 'onepassword-events-archive ocsf',
    rowGroupSize: 100_000,
  });
  return new Uint8Array(writer.getBuffer());
}

/** `value` as the writer takes it for `shape`: longs as bigint, JSON leaves as text. */
function cell(value: Json | undefined, shape: Shape, path: string, ocsfClass: OcsfClass): unknown {
  if (value === undefined || value === null) return null;
  if (shape === 'JSON') return JSON.stringify(value);
  if (typeof shape === 'string') {
    if (typeof value === 'object') throw mismatch(path, shape, value, ocsfClass);
    if (shape === 'INT64') return typeof value === 'number' ? BigInt(value) : value;
    return value;
  }
  if (isList(shape)) {
    if (!Array.isArray(value)) throw mismatch(path, 'a list', value, ocsfClass);
    return value.map((item, index) => cell(item, shape.list, `${path}.${index}`, ocsfClass));
  }
  if (typeof value !== 'object' || Array.isArray(value)) throw mismatch(path, 'an object', value, ocsfClass);
  const out: Record<string, unknown> = {};
  for (const [name, inner] of Object.entries(value as JsonObject)) {
    const at = path === '' ? name : `${path}.${name}`;
    const attribute = shape[name];
    if (attribute === undefined)
      throw new UnmappedColumnError(`class ${ocsfClass.uid} has no Parquet column for "${at}"`);
    out[name] = cell(inner, attribute, at, ocsfClass);
  }
  return out;
}

function mismatch(path: string, expected: string, value: Json, ocsfClass: OcsfClass): UnmappedColumnError {
  return new UnmappedColumnError(
    `class ${ocsfClass.uid}: "${path}" is ${JSON.stringify(value).slice(0, 40)}, not ${expected}`,
  );
}
