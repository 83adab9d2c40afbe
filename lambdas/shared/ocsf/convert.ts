import { isIP } from 'node:net';
import { parseRfc3339 } from '../time';
import type { Json } from './mapper';

/**
 * Epoch milliseconds of an event's time stamp. A time stamp without a zone (some published
 * events have one) is read as UTC, as search reads it.
 */
export function epochMs(value: Json): number | undefined {
  if (typeof value !== 'string') return undefined;
  return parseRfc3339(value) ?? parseRfc3339(`${value}Z`);
}

/** The address when it is one; anything else (`1.1.1.1.1` has been seen) stays unmapped. */
export function ipAddress(value: Json): string | undefined {
  return typeof value === 'string' && isIP(value) !== 0 ? value : undefined;
}

export function text(value: Json): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function textOf(value: Json): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

export function finite(value: Json): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** OCSF `os.type_id` of a client's `os_name`; 99 (Other) for names it has no id for. */
export function osTypeId(value: Json): number | undefined {
  if (typeof value !== 'string') return undefined;
  const name = value.toLowerCase();
  if (name.startsWith('windows')) return 100;
  if (name === 'macosx' || name === 'macos' || name.startsWith('mac')) return 300;
  if (name === 'ios' || name === 'ipados') return 301;
  if (name === 'android') return 201;
  if (name === 'linux' || name === 'chromeos' || name.startsWith('ubuntu')) return 200;
  return 99;
}

/** OCSF `user.type_id` of a 1Password `user_type`. */
export function userTypeId(value: Json): number | undefined {
  if (value === 'user') return 1;
  if (typeof value === 'string') return 99;
  return undefined;
}
