/**
 * One archived event as the rules read it, whatever its shape: the Events API's v1 and v2
 * fields, and the older or partial shapes real accounts send (an actor known only by e-mail,
 * `client.ip` for `client.ip_address`, a country name for its ISO code, a time without a zone).
 */

import { countryCode } from '../countries';
import type { EventType } from '../event-types';

/** Where an event lies in the archive: what a finding links, so `verify` can prove it untouched. */
export interface EventRef {
  readonly stream: EventType;
  readonly uuid: string;
  /** The archive key of the batch object, and the event's line in it (from 1). */
  readonly key: string;
  readonly line: number;
}

/** A person, named as well as the event allows. */
export interface Person {
  /** The 1Password user uuid, when the event carries one. */
  readonly uuid: string | undefined;
  readonly email: string | undefined;
  readonly name: string | undefined;
  /** A stable id for rules to key state on: the uuid, else `email:<address>`, else `name:<name>`. */
  readonly id: string | undefined;
}

export interface EventView {
  readonly ref: EventRef;
  readonly stream: EventType;
  readonly raw: Record<string, unknown>;
  /** Epoch milliseconds; `undefined` when the time stamp cannot be read. */
  readonly time: number | undefined;
  /** Who acted: the sign-in's target user, the item's user, the audit event's actor. */
  readonly person: Person;
  /** The client IP: `client.ip_address`, `client.ip`, or the audit session's `ip`. */
  readonly ip: string | undefined;
  /** ISO 3166-1 alpha-2 when known, else the text as sent. */
  readonly country: string | undefined;
  readonly latitude: number | undefined;
  readonly longitude: number | undefined;
  readonly appName: string | undefined;
  /** Sign-in `category`, item usage or audit `action`. */
  readonly category: string | undefined;
  readonly action: string | undefined;
  readonly objectType: string | undefined;
  readonly objectUuid: string | undefined;
  /** The user an audit event acts on (`object_details`), or the one named in `aux_*`. */
  readonly auxUuid: string | undefined;
  readonly vaultUuid: string | undefined;
  readonly itemUuid: string | undefined;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
const number = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
const object = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

/** RFC 3339, or the zone-less `YYYY-MM-DD hh:mm:ss` some events carry, read as UTC (README, Search). */
export function eventTime(value: unknown): number | undefined {
  const raw = text(value);
  if (!raw) return undefined;
  const zoned = /[zZ]|[+-]\d{2}:?\d{2}$/.test(raw) ? raw : `${raw.replace(' ', 'T')}Z`;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? undefined : ms;
}

export function person(value: unknown, fallbackUuid?: unknown): Person {
  const details = object(value);
  const uuid = text(details.uuid) ?? text(fallbackUuid);
  const email = text(details.email)?.toLowerCase();
  const name = text(details.name);
  return { uuid, email, name, id: uuid ?? (email ? `email:${email}` : name ? `name:${name}` : undefined) };
}

export function viewEvent(ref: EventRef, raw: Record<string, unknown>): EventView {
  const client = object(raw.client);
  const location = object(raw.location);
  const session = object(raw.session);
  const stream = ref.stream;
  const who =
    stream === 'signinattempts'
      ? person(raw.target_user)
      : stream === 'itemusages'
        ? person(raw.user)
        : person(raw.actor_details, raw.actor_uuid);
  const country = text(location.country) ?? text(raw.country);
  return {
    ref,
    stream,
    raw,
    time: eventTime(raw.timestamp),
    person: who,
    ip: text(client.ip_address) ?? text(client.ip) ?? text(session.ip),
    country: country === undefined ? undefined : (countryCode(country) ?? country),
    latitude: number(location.latitude),
    longitude: number(location.longitude),
    appName: text(client.app_name),
    category: text(raw.category),
    action: text(raw.action),
    objectType: text(raw.object_type),
    objectUuid: text(raw.object_uuid),
    auxUuid:
      text(object(raw.object_details).uuid) ?? text(raw.aux_uuid) ?? text(object(raw.aux_details).uuid),
    vaultUuid: text(raw.vault_uuid),
    itemUuid: text(raw.item_uuid),
  };
}

/**
 * The events of one archive object's NDJSON body, each with its key and line, in the order
 * they stand. A line that is not a JSON object is left out: the archive keeps it, and no rule
 * can judge it. An event without a uuid is named by its key and line.
 */
export function viewBatch(body: string, stream: EventType, key: string): EventView[] {
  const views: EventView[] = [];
  body.split('\n').forEach((text, index) => {
    if (text === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return;
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return;
    const record = raw as Record<string, unknown>;
    views.push(
      viewEvent({ stream, uuid: String(record.uuid ?? `${key}:${index + 1}`), key, line: index + 1 }, record),
    );
  });
  return views;
}
