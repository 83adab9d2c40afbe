/**
 * The mapping engine the three stream tables share. A table row copies one 1Password field
 * (a dotted path) to one OCSF attribute, optionally converting it. Whatever no row takes, and
 * whatever a conversion cannot carry whole, goes to `unmapped` under its own path, so no part
 * of an event is ever dropped: the archive stays the evidence, the record must still say all.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface FieldRule {
  /** The 1Password field, as a dotted path (`client.ip_address`). */
  readonly from: string;
  /** The OCSF attribute, as a dotted path (`src_endpoint.ip`). */
  readonly to: string;
  /** Converts the value; `undefined` leaves the field to `unmapped`. */
  readonly as?: (value: Json) => Json | undefined;
  /** The conversion loses detail (a time stamp's nanoseconds): keep the original in `unmapped` too. */
  readonly lossy?: boolean;
  /** Applies only to events this accepts (a longitude only with its latitude). */
  readonly when?: (event: JsonObject) => boolean;
}

export function getPath(object: JsonObject, path: string): Json | undefined {
  let at: Json | undefined = object;
  for (const part of path.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = Array.isArray(at) ? at[Number(part)] : at[part];
  }
  return at;
}

/**
 * Sets `path`, unless it holds a different value already: then returns false and changes
 * nothing. A numeric part makes an array (`coordinates.0`).
 */
export function setPath(object: JsonObject, path: string, value: Json): boolean {
  const parts = path.split('.');
  let at = object;
  for (const [i, part] of parts.slice(0, -1).entries()) {
    const next = at[part];
    if (next === undefined) at[part] = /^\d+$/.test(parts[i + 1] ?? '') ? [] : {};
    else if (next === null || typeof next !== 'object') return false;
    at = at[part] as JsonObject;
  }
  const last = parts.at(-1) ?? '';
  if (at[last] !== undefined) return JSON.stringify(at[last]) === JSON.stringify(value);
  at[last] = value;
  return true;
}

/** Removes `path` from a copy-in-progress, and the objects it leaves empty. */
function deletePath(object: JsonObject, path: string): void {
  const parts = path.split('.');
  const trail: JsonObject[] = [object];
  let at: JsonObject = object;
  for (const part of parts.slice(0, -1)) {
    const next = at[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) return;
    at = next;
    trail.push(at);
  }
  delete at[parts.at(-1) ?? ''];
  for (let i = trail.length - 1; i > 0; i--) {
    if (Object.keys(trail[i] as JsonObject).length > 0) break;
    delete (trail[i - 1] as JsonObject)[parts[i - 1] ?? ''];
  }
}

/**
 * Applies `rules` to `event` on top of `record` (the class's fixed attributes); returns the
 * record with what no rule took under `unmapped`.
 */
export function applyRules(event: JsonObject, rules: readonly FieldRule[], record: JsonObject): JsonObject {
  const rest = structuredClone(event);
  const keep = new Set<string>();
  const taken = new Set<string>();
  for (const rule of rules) {
    const value = getPath(event, rule.from);
    if (value === undefined || (rule.when && !rule.when(event))) continue;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) continue;
    const converted = rule.as ? rule.as(value) : value;
    if (converted === undefined) continue;
    if (!setPath(record, rule.to, converted)) continue;
    taken.add(rule.from);
    if (rule.lossy) keep.add(rule.from);
  }
  for (const path of taken) if (!keep.has(path)) deletePath(rest, path);
  if (Object.keys(rest).length > 0) record.unmapped = rest;
  return record;
}
