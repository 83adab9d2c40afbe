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

/** Paths split once: the tables are few and fixed, the events many. */
const SPLIT = new Map<string, string[]>();
function parts(path: string): string[] {
  let split = SPLIT.get(path);
  if (split === undefined) {
    split = path.split('.');
    SPLIT.set(path, split);
  }
  return split;
}

export function getPath(object: JsonObject, path: string): Json | undefined {
  let at: Json | undefined = object;
  for (const part of parts(path)) {
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
  const split = parts(path);
  let at = object;
  for (let i = 0; i < split.length - 1; i++) {
    const part = split[i] as string;
    const next = at[part];
    if (next === undefined) at[part] = /^\d+$/.test(split[i + 1] ?? '') ? [] : {};
    else if (next === null || typeof next !== 'object') return false;
    at = at[part] as JsonObject;
  }
  const last = split.at(-1) ?? '';
  if (at[last] !== undefined) return JSON.stringify(at[last]) === JSON.stringify(value);
  at[last] = value;
  return true;
}

/** What of `value` no path in `taken` names, or `undefined` when nothing is left. */
function remainder(value: JsonObject, taken: ReadonlySet<string>, prefix: string): JsonObject | undefined {
  let out: JsonObject | undefined;
  for (const key of Object.keys(value)) {
    const path = prefix + key;
    if (taken.has(path)) continue;
    const item = value[key] as Json;
    const kept =
      item !== null && typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length > 0
        ? remainder(item, taken, `${path}.`)
        : item;
    if (kept === undefined) continue;
    out ??= {};
    out[key] = kept;
  }
  return out;
}

/**
 * Applies `rules` to `event` on top of `record` (the class's fixed attributes); returns the
 * record with what no rule took under `unmapped`.
 */
export function applyRules(event: JsonObject, rules: readonly FieldRule[], record: JsonObject): JsonObject {
  const taken = new Set<string>();
  for (const rule of rules) {
    const value = getPath(event, rule.from);
    if (value === undefined || (rule.when && !rule.when(event))) continue;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) continue;
    const converted = rule.as ? rule.as(value) : value;
    if (converted === undefined) continue;
    if (!setPath(record, rule.to, converted)) continue;
    if (!rule.lossy) taken.add(rule.from);
  }
  const rest = remainder(event, taken, '');
  if (rest !== undefined) record.unmapped = rest;
  return record;
}
