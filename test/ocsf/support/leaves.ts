import type { FieldRule, Json, JsonObject } from '../../../lambdas/shared/ocsf/mapper';
import { getPath } from '../../../lambdas/shared/ocsf/mapper';

/** Every leaf of a JSON value with its dotted path (array elements by index). */
export function leaves(value: Json, path = ''): [string, Json][] {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value)
      ? value.map((v, i) => [String(i), v] as const)
      : Object.entries(value);
    if (entries.length === 0) return [[path, value]];
    return entries.flatMap(([key, v]) => leaves(v, path ? `${path}.${key}` : key));
  }
  return [[path, value]];
}

/**
 * The fields of `event` that the record lost: each leaf must be in `unmapped` at its own
 * path, or taken by a row of the stream's table whose attribute the record holds.
 */
export function lostFields(event: JsonObject, record: JsonObject, rows: readonly FieldRule[]): string[] {
  const unmapped = (record.unmapped ?? {}) as JsonObject;
  return leaves(event)
    .filter(([path, value]) => {
      const kept = getPath(unmapped, path);
      if (kept !== undefined && JSON.stringify(kept) === JSON.stringify(value)) return false;
      return !rows.some((row) => row.from === path && getPath(record, row.to) !== undefined);
    })
    .map(([path]) => path);
}

/** Leaf values of the event that appear nowhere among the record's leaves (compared as text). */
export function missingValues(event: JsonObject, record: JsonObject): string[] {
  const present = new Set(leaves(record).map(([, value]) => JSON.stringify(value)));
  const presentText = new Set(leaves(record).map(([, value]) => String(value)));
  return leaves(event)
    .filter(([, value]) => !present.has(JSON.stringify(value)) && !presentText.has(String(value)))
    .map(([path, value]) => `${path}=${JSON.stringify(value)}`);
}
