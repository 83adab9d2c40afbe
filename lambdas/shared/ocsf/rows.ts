import { epochMs, finite, ipAddress, osTypeId, text, textOf, userTypeId } from './convert';
import { type FieldRule, getPath, type Json, type JsonObject } from './mapper';

/** Rows every stream has: the event's id, time and account. */
export const EVENT_ROWS: readonly FieldRule[] = [
  { from: 'uuid', to: 'metadata.uid', as: textOf },
  { from: 'timestamp', to: 'time', as: epochMs },
  { from: 'timestamp', to: 'metadata.original_time', as: text },
  { from: 'account_uuid', to: 'metadata.tenant_uid', as: text },
];

/** A 1Password user object (`target_user`, `user`, `actor_details`, …) onto an OCSF `user`. */
export function userRows(from: string, to: string): FieldRule[] {
  return [
    { from: `${from}.uuid`, to: `${to}.uid`, as: textOf },
    { from: `${from}.name`, to: `${to}.name`, as: text },
    { from: `${from}.email`, to: `${to}.email_addr`, as: text },
    { from: `${from}.user_type`, to: `${to}.type`, as: text },
    { from: `${from}.user_type`, to: `${to}.type_id`, as: userTypeId },
    { from: `${from}.user_account_uuid`, to: `${to}.account.uid`, as: text },
  ];
}

const hasCoordinates = (event: JsonObject) =>
  finite(getPath(event, 'location.latitude') ?? null) !== undefined &&
  finite(getPath(event, 'location.longitude') ?? null) !== undefined;

/** The geolocation of the client's address onto an OCSF `location`; longitude first, as GeoJSON. */
export function locationRows(to: string): FieldRule[] {
  return [
    { from: 'location.country', to: `${to}.country`, as: text },
    { from: 'location.region', to: `${to}.region`, as: text },
    { from: 'location.city', to: `${to}.city`, as: text },
    { from: 'location.longitude', to: `${to}.coordinates.0`, as: finite, when: hasCoordinates },
    { from: 'location.latitude', to: `${to}.coordinates.1`, as: finite, when: hasCoordinates },
  ];
}

/** The client app's address and operating system onto an OCSF endpoint (`src_endpoint`, `device`). */
export function clientRows(to: string): FieldRule[] {
  return [
    { from: 'client.ip_address', to: `${to}.ip`, as: ipAddress },
    { from: 'client.ip', to: `${to}.ip`, as: ipAddress },
    { from: 'client.os_name', to: `${to}.os.name`, as: text },
    { from: 'client.os_name', to: `${to}.os.type_id`, as: osTypeId },
    { from: 'client.os_version', to: `${to}.os.version`, as: text },
  ];
}

export type { Json };
