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
