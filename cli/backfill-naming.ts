import type { EventType } from '../lambdas/shared/event-types';
import { isEventType } from '../lambdas/shared/event-types';

/**
 * Where a backfill keeps its state and its objects. The names carry the range, so a rerun
 * of the same range finds its cursor (resumes, or does nothing when complete) and two
 * ranges never share a chain:
 *
 *   state item  <source>#backfill#<stream>#<from>#<to>     (starts with "<source>#", as IAM requires)
 *   prefix      <ARCHIVE_PREFIX>backfill/<from>_<to>/      (then the usual source=/type=/dt= layout)
 *
 * with instants written `20261001T000000Z` (UTC, to the second: what the API is sent).
 */
const COMPACT = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export function compactInstant(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

export function parseCompactInstant(text: string): number | undefined {
  const match = COMPACT.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

export function backfillPrefix(archivePrefix: string, from: number, to: number): string {
  return `${archivePrefix}backfill/${compactInstant(from)}_${compactInstant(to)}/`;
}

export function backfillStateKey(source: string, stream: EventType, from: number, to: number): string {
  return `${source}#backfill#${stream}#${compactInstant(from)}#${compactInstant(to)}`;
}

const PREFIX = /^(.*?)backfill\/(\d{8}T\d{6}Z)_(\d{8}T\d{6}Z)\/$/;

/** The range of a backfill prefix, so `verify --prefix .../backfill/<from>_<to>/` finds the backfill's state item. */
export function parseBackfillPrefix(prefix: string): { from: number; to: number } | undefined {
  const match = PREFIX.exec(prefix);
  if (!match) return undefined;
  const from = parseCompactInstant(match[2] ?? '');
  const to = parseCompactInstant(match[3] ?? '');
  return from === undefined || to === undefined ? undefined : { from, to };
}

export function parseBackfillStateKey(
  pk: string,
): { source: string; stream: EventType; from: number; to: number } | undefined {
  const [source, marker, stream, fromText, toText, ...rest] = pk.split('#');
  if (marker !== 'backfill' || rest.length > 0 || !source || !stream || !isEventType(stream))
    return undefined;
  const from = parseCompactInstant(fromText ?? '');
  const to = parseCompactInstant(toText ?? '');
  return from === undefined || to === undefined ? undefined : { source, stream, from, to };
}
