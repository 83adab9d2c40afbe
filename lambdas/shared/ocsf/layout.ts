import { createHash } from 'node:crypto';
import { utcDate } from '../time';
import type { OcsfClass } from './record';

/**
 * Where OCSF objects go, in the layout Amazon Security Lake reads from a custom source: one
 * source (and so one prefix) per OCSF class, then
 * `region=<region>/accountId=<account>/eventDay=<YYYYMMDD>/`.
 */
export interface LakeTarget {
  /** The region of the partition (`region=`). */
  readonly region: string;
  /** The account id (or external id) the custom source was created with (`accountId=`). */
  readonly accountId: string;
  /**
   * Each class's source location under the lake's bucket, ending in `/`; the default is
   * `ext/<sourcePrefix><class-slug>/`.
   */
  readonly sourceLocation?: (ocsfClass: OcsfClass) => string;
}

/** `Account Change` → `account-change`. */
export function classSlug(ocsfClass: OcsfClass): string {
  return ocsfClass.name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

export function defaultSourceLocation(ocsfClass: OcsfClass): string {
  return `ext/1password-${classSlug(ocsfClass)}/`;
}

/** `YYYYMMDD` of the UTC day an event happened. */
export function eventDay(epochMs: number): string {
  return utcDate(epochMs).replaceAll('-', '');
}

/**
 * The key of the OCSF object made from one archive object, for one class and event day. It
 * is a function of the input key alone, so delivering the same archive object again writes
 * the same keys with the same bytes: nothing new is overwritten and nothing is duplicated.
 */
export function ocsfKey(
  target: LakeTarget,
  ocsfClass: OcsfClass,
  day: string,
  inputKey: string,
  extension: 'parquet' | 'ndjson',
): string {
  const location = (target.sourceLocation ?? defaultSourceLocation)(ocsfClass);
  const digest = createHash('sha256').update(inputKey).digest('hex').slice(0, 16);
  const base = (inputKey.split('/').at(-1) ?? '').replace(/\.ndjson\.gz$/, '');
  const stream = /type=([a-z]+)\//.exec(inputKey)?.[1] ?? 'events';
  return `${location}region=${target.region}/accountId=${target.accountId}/eventDay=${day}/${stream}-${base}-${digest}.${extension}`;
}

/**
 * The key of part `part` of the OCSF made from the objects one digest names, for one class and
 * event day: `<source>-digest-<number>-<part>-<hash of the digest key>.parquet`. A function of
 * the digest alone, which names each batch object once, so the same digest delivered again
 * writes the same keys and no record is in two digests' objects.
 */
export function digestOcsfKey(
  target: LakeTarget,
  ocsfClass: OcsfClass,
  day: string,
  digest: { readonly key: string; readonly source: string; readonly number: number },
  part: number,
): string {
  const location = (target.sourceLocation ?? defaultSourceLocation)(ocsfClass);
  const hash = createHash('sha256').update(digest.key).digest('hex').slice(0, 16);
  const number = String(digest.number).padStart(12, '0');
  return `${location}region=${target.region}/accountId=${target.accountId}/eventDay=${day}/${digest.source}-digest-${number}-${String(part).padStart(3, '0')}-${hash}.parquet`;
}
