import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { EVENT_TYPES } from '../../lambdas/shared/event-types';
import { eventDay, ocsfKey } from '../../lambdas/shared/ocsf/layout';
import type { JsonObject } from '../../lambdas/shared/ocsf/mapper';
import { mapEvent } from '../../lambdas/shared/ocsf/mapping';
import {
  PARQUET_DECOMPRESSORS,
  parquetColumns,
  toParquet,
  UnmappedColumnError,
} from '../../lambdas/shared/ocsf/parquet';
import { OCSF_CLASSES, type OcsfRecord } from '../../lambdas/shared/ocsf/record';
import { transformArchiveObject } from '../../lambdas/shared/ocsf/transform';
import { REAL_SHAPES } from '../search/support/real-shapes';
import { simulatedMonth } from './support/streams';

const TARGET = { region: 'eu-west-1', accountId: '123456789012' };
const KEY = 'archive/source=prod/type=auditevents/dt=2026-02-27/000000000042.ndjson.gz';

const buffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/**
 * What a reader gives back, as the record it was written from: numbers for longs, no empty
 * cells, and the JSON text of `unmapped` and `entity.data` parsed.
 */
function asRecord(row: unknown, path = ''): JsonObject[string] | undefined {
  if (row === null || row === undefined) return undefined;
  if (typeof row === 'bigint') return Number(row);
  if (path === 'unmapped' || path === 'entity.data') return JSON.parse(row as string);
  if (Array.isArray(row)) return row.map((item) => asRecord(item, `${path}[]`) ?? null);
  if (typeof row !== 'object') return row as JsonObject[string];
  const out: JsonObject = {};
  for (const [name, value] of Object.entries(row)) {
    const kept = asRecord(value, path === '' ? name : `${path}.${name}`);
    if (kept !== undefined) out[name] = kept;
  }
  return out;
}

describe('Parquet', () => {
  it.each(Object.values(OCSF_CLASSES))('writes $name records that read back equal', async (ocsfClass) => {
    const records = EVENT_TYPES.flatMap((stream) =>
      [...REAL_SHAPES[stream], ...simulatedMonth(stream, 300)].map((text) =>
        mapEvent(stream, JSON.parse(text)),
      ),
    ).filter((record) => record.class_uid === ocsfClass.uid);
    expect(records.length).toBeGreaterThan(0);
    const file = buffer(toParquet(ocsfClass, records));
    const rows = await parquetReadObjects({ file, compressors: PARQUET_DECOMPRESSORS });
    expect(rows.map((row) => asRecord(row))).toEqual(records);
  });

  it('declares each class its own nested schema: objects as groups, arrays as lists, typed scalars', () => {
    const records = REAL_SHAPES.signinattempts.map((text) => mapEvent('signinattempts', JSON.parse(text)));
    const file = buffer(toParquet(OCSF_CLASSES.authentication, records));
    const schema = parquetSchema(parquetMetadata(file));
    const child = (node: typeof schema, name: string) => {
      const found = node.children.find((c) => c.element.name === name);
      if (!found) throw new Error(`no ${name}`);
      return found;
    };
    const types = Object.fromEntries(
      schema.children.map((c) => [c.element.name, c.element.converted_type ?? c.element.type ?? 'GROUP']),
    );
    expect(types).toMatchObject({
      time: 'INT64',
      class_uid: 'INT32',
      type_uid: 'INT64',
      class_name: 'UTF8',
      metadata: 'GROUP',
      user: 'GROUP',
      src_endpoint: 'GROUP',
      unmapped: 'UTF8',
    });
    expect(child(child(child(schema, 'metadata'), 'product'), 'name').element).toMatchObject({
      type: 'BYTE_ARRAY',
      converted_type: 'UTF8',
    });
    const coordinates = child(child(child(schema, 'src_endpoint'), 'location'), 'coordinates');
    expect(coordinates.element.converted_type).toBe('LIST');
    expect(coordinates.children[0]?.children[0]?.element.type).toBe('DOUBLE');
    expect(schema.children.map((c) => c.element.name)).toEqual(
      parquetColumns(OCSF_CLASSES.authentication).map(([name]) => name),
    );
  });

  it('refuses a record with an attribute its class has no column for, rather than drop it', () => {
    const record = mapEvent('signinattempts', JSON.parse(REAL_SHAPES.signinattempts[0] ?? '{}'));
    const extra = { ...record, observables: [] } as OcsfRecord;
    expect(() => toParquet(OCSF_CLASSES.authentication, [extra])).toThrow(UnmappedColumnError);
    const nested = {
      ...record,
      metadata: { ...(record.metadata as JsonObject), labels: ['x'] },
    } as OcsfRecord;
    expect(() => toParquet(OCSF_CLASSES.authentication, [nested])).toThrow(
      /no Parquet column for "metadata.labels"/,
    );
    const wrongType = { ...record, user: 'alice' } as OcsfRecord;
    expect(() => toParquet(OCSF_CLASSES.authentication, [wrongType])).toThrow(
      /"user" is "alice", not an object/,
    );
    expect(() => toParquet(OCSF_CLASSES.accountChange, [record])).toThrow(UnmappedColumnError);
  });
});

describe('the Security Lake layout', () => {
  it('puts each class under its own source, partitioned by region, account and event day', () => {
    expect(ocsfKey(TARGET, OCSF_CLASSES.groupManagement, '20260227', KEY, 'parquet')).toMatch(
      /^ext\/1password-group-management\/region=eu-west-1\/accountId=123456789012\/eventDay=20260227\/auditevents-000000000042-[0-9a-f]{16}\.parquet$/,
    );
    expect(eventDay(Date.parse('2026-02-27T23:59:59.999Z'))).toBe('20260227');
  });

  it('derives keys from the input key alone: the same object gives the same keys, another one others', () => {
    const a = ocsfKey(TARGET, OCSF_CLASSES.authentication, '20260227', KEY, 'parquet');
    expect(ocsfKey(TARGET, OCSF_CLASSES.authentication, '20260227', KEY, 'parquet')).toBe(a);
    expect(
      ocsfKey(
        TARGET,
        OCSF_CLASSES.authentication,
        '20260227',
        KEY.replace('000000000042', '000000000043'),
        'parquet',
      ),
    ).not.toBe(a);
    expect(ocsfKey(TARGET, OCSF_CLASSES.authentication, '20260227', `backfill/${KEY}`, 'parquet')).not.toBe(
      a,
    );
  });

  it('honours each source location the lake gave', () => {
    const key = ocsfKey(
      { ...TARGET, sourceLocation: (c) => `ext/acme-${c.uid}/1.0/` },
      OCSF_CLASSES.accountChange,
      '20260227',
      KEY,
      'ndjson',
    );
    expect(key.startsWith('ext/acme-3001/1.0/region=eu-west-1/')).toBe(true);
  });
});

describe('one archive object to OCSF objects', () => {
  const ndjson = `${simulatedMonth('auditevents', 400).join('\n')}\n`;

  it('writes one object per class and event day, each sorted by time, all records accounted for', async () => {
    const { objects, rejected } = transformArchiveObject(KEY, 'auditevents', ndjson, TARGET);
    expect(rejected).toEqual([]);
    expect(objects.reduce((n, o) => n + o.records, 0)).toBe(400);
    expect(new Set(objects.map((o) => o.ocsfClass.uid))).toEqual(new Set([3001, 3004, 3005, 3006]));
    for (const object of objects) {
      expect(object.key).toContain(`eventDay=${object.eventDay}/`);
      const rows = await parquetReadObjects({
        file: buffer(object.body),
        compressors: PARQUET_DECOMPRESSORS,
      });
      expect(rows).toHaveLength(object.records);
      const times = rows.map((row) => Number(row.time));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(times.every((t) => eventDay(t) === object.eventDay)).toBe(true);
      expect(rows.every((row) => row.class_uid === object.ocsfClass.uid)).toBe(true);
    }
  });

  it('gives the same keys and bytes when the same object is delivered again', () => {
    const first = transformArchiveObject(KEY, 'auditevents', ndjson, TARGET);
    const again = transformArchiveObject(KEY, 'auditevents', ndjson, TARGET);
    expect(again.objects.map((o) => [o.key, Buffer.from(o.body).toString('base64')])).toEqual(
      first.objects.map((o) => [o.key, Buffer.from(o.body).toString('base64')]),
    );
  });

  it('reports lines that hold no event, and keeps an unreadable time stamp in the day it was written', () => {
    const lines = [
      'not json',
      '[1]',
      JSON.stringify({ uuid: 'S1', timestamp: 'yesterday', category: 'success' }),
    ];
    const { objects, rejected } = transformArchiveObject(
      KEY,
      'signinattempts',
      lines.join('\n'),
      TARGET,
      'ndjson',
    );
    expect(rejected.map((r) => r.line)).toEqual([1, 2]);
    expect(objects).toHaveLength(1);
    expect(objects[0]?.eventDay).toBe('20260227');
    const record = JSON.parse(Buffer.from(objects[0]?.body ?? []).toString('utf8'));
    expect(record.metadata.original_time).toBe('yesterday');
  });
});
