/**
 * A validator over the OCSF schema's own source files (test/ocsf/schema-1.1.0): it resolves
 * a class's attributes through `extends` and `$include` the way the schema server does, and
 * checks a record against them: required attributes, types (with the dictionary's type
 * hierarchy), arrays, enum values of every `*_id` with an enum, `type_uid`, the `at_least_one`
 * constraints of objects, and no attribute the class or object does not define, except inside
 * `unmapped` and JSON (`json_t`, `object`) values.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', 'schema-1.1.0');

interface AttributeDef {
  type?: string;
  is_array?: boolean;
  requirement?: string;
  enum?: Record<string, unknown>;
  /** Set when the attribute comes from a profile: required only when the record names the profile. */
  profile?: string;
}

interface Definition {
  name: string;
  extends?: string;
  uid?: number;
  attributes: Record<string, AttributeDef | string[]>;
  constraints?: { at_least_one?: string[] };
}

interface Resolved {
  attributes: Record<string, AttributeDef>;
  atLeastOne: string[];
}

const read = (path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8'));

const dictionary = read('dictionary.json') as {
  attributes: Record<string, AttributeDef>;
  types: { attributes: Record<string, { type?: string }> };
};

const objects = new Map<string, Definition>();
for (const file of readdirSync(join(ROOT, 'objects'))) {
  const def = read(join('objects', file)) as Definition;
  objects.set(def.name, def);
}
const events = new Map<string, Definition>();
for (const path of [
  'events/base_event.json',
  ...readdirSync(join(ROOT, 'events', 'iam')).map((f) => `events/iam/${f}`),
]) {
  const def = read(path) as Definition;
  events.set(def.name, def);
}

/** Attributes of an `$include`d file; a profile's are marked with its name. */
function included(path: string): Record<string, AttributeDef> {
  const file = read(path) as { name?: string; attributes: Record<string, AttributeDef> };
  const profile = path.startsWith('profiles/') ? file.name : undefined;
  const out: Record<string, AttributeDef> = {};
  for (const [name, def] of Object.entries(file.attributes)) out[name] = profile ? { ...def, profile } : def;
  return out;
}

function resolve(def: Definition, lookup: Map<string, Definition>): Resolved {
  const parent = def.extends ? lookup.get(def.extends) : undefined;
  const base: Resolved = parent ? resolve(parent, lookup) : { attributes: {}, atLeastOne: [] };
  const attributes = { ...base.attributes };
  for (const [name, value] of Object.entries(def.attributes)) {
    if (name === '$include') {
      for (const path of value as string[]) Object.assign(attributes, included(path));
      continue;
    }
    attributes[name] = { ...(attributes[name] ?? {}), ...(value as AttributeDef) };
  }
  return { attributes, atLeastOne: def.constraints?.at_least_one ?? base.atLeastOne };
}

/** The IAM category's uid, from categories.json: a class's uid is category_uid * 1000 + its own. */
const IAM_UID =
  (read('categories.json') as { attributes: Record<string, { uid: number }> }).attributes.iam?.uid ?? -1;

const CLASSES = new Map<number, Resolved>();
for (const def of events.values()) {
  if (def.uid === undefined || def.extends !== 'iam') continue;
  const cls = resolve(def, events);
  // The base event's class_uid and category_uid enums name the base event; each class stands in its own.
  for (const name of ['class_uid', 'category_uid']) {
    const { enum: _base, ...rest } = cls.attributes[name] ?? {};
    cls.attributes[name] = rest;
  }
  CLASSES.set(IAM_UID * 1000 + def.uid, cls);
}
const OBJECTS = new Map<string, Resolved>();
const objectOf = (name: string): Resolved | undefined => {
  if (!OBJECTS.has(name)) {
    const def = objects.get(name);
    if (def) OBJECTS.set(name, resolve(def, objects));
  }
  return OBJECTS.get(name);
};

/** The dictionary's base type of a type: `email_t` → `string_t`, `timestamp_t` → `long_t`. */
function baseType(type: string): string {
  let at = type;
  for (;;) {
    const parent = dictionary.types.attributes[at]?.type;
    if (parent === undefined) return at;
    at = parent;
  }
}

/** The class uids the validator knows. */
export const KNOWN_CLASSES = [...CLASSES.keys()];

/** Every problem of `record` against the schema; empty when it validates. */
export function validateOcsf(record: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const classUid = record.class_uid;
  const cls = typeof classUid === 'number' ? CLASSES.get(classUid) : undefined;
  if (cls === undefined) return [`class_uid ${String(classUid)}: no such class`];
  const metadata = record.metadata as { profiles?: string[] } | undefined;
  const profiles = new Set(metadata?.profiles ?? []);
  checkObject(record, cls, '', profiles, errors);
  if (record.category_uid !== IAM_UID)
    errors.push(`category_uid ${String(record.category_uid)} is not ${IAM_UID}`);
  if (
    typeof record.activity_id === 'number' &&
    record.type_uid !== (classUid as number) * 100 + record.activity_id
  )
    errors.push(`type_uid ${String(record.type_uid)} is not class_uid * 100 + activity_id`);
  return errors;
}

function checkObject(
  value: Record<string, unknown>,
  def: Resolved,
  path: string,
  profiles: Set<string>,
  errors: string[],
): void {
  for (const [name, attr] of Object.entries(def.attributes)) {
    const required =
      attr.requirement === 'required' && (attr.profile === undefined || profiles.has(attr.profile));
    if (required && value[name] === undefined) errors.push(`${path}${name}: required`);
  }
  if (def.atLeastOne.length > 0 && !def.atLeastOne.some((name) => value[name] !== undefined))
    errors.push(`${path || 'record'}: needs one of ${def.atLeastOne.join(', ')}`);
  for (const [name, item] of Object.entries(value)) {
    const attr = def.attributes[name];
    if (attr === undefined) {
      errors.push(`${path}${name}: not an attribute here`);
      continue;
    }
    if (name === 'unmapped') {
      if (item === null || typeof item !== 'object' || Array.isArray(item))
        errors.push(`${path}${name}: not an object`);
      continue;
    }
    const dict = dictionary.attributes[name] ?? {};
    const type = attr.type ?? dict.type;
    if (type === undefined) {
      errors.push(`${path}${name}: no type in the dictionary`);
      continue;
    }
    const isArray = attr.is_array ?? dict.is_array ?? false;
    // A class's or object's enum adds to the dictionary's (which holds 0 Unknown and 99 Other).
    const enumValues = attr.enum || dict.enum ? { ...dict.enum, ...attr.enum } : undefined;
    if (isArray) {
      if (!Array.isArray(item)) {
        errors.push(`${path}${name}: not an array`);
        continue;
      }
      for (const [i, element] of item.entries())
        checkValue(element, type, enumValues, `${path}${name}[${i}]`, profiles, errors);
    } else checkValue(item, type, enumValues, `${path}${name}`, profiles, errors);
  }
}

function checkValue(
  value: unknown,
  type: string,
  enumValues: Record<string, unknown> | undefined,
  path: string,
  profiles: Set<string>,
  errors: string[],
): void {
  const object = objectOf(type);
  if (object !== undefined) {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      errors.push(`${path}: not a ${type} object`);
    else checkObject(value as Record<string, unknown>, object, `${path}.`, profiles, errors);
    return;
  }
  if (type === 'object' || type === 'json_t') return;
  const base = baseType(type);
  const ok =
    base === 'string_t'
      ? typeof value === 'string'
      : base === 'integer_t' || base === 'long_t'
        ? Number.isInteger(value)
        : base === 'float_t'
          ? typeof value === 'number'
          : base === 'boolean_t'
            ? typeof value === 'boolean'
            : false;
  if (!ok) errors.push(`${path}: ${JSON.stringify(value)} is not ${type}`);
  else if (enumValues !== undefined && !(String(value) in enumValues))
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${Object.keys(enumValues).join(', ')}`);
}
