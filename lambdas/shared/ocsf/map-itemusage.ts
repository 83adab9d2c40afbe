import { ipAddress, text, textOf } from './convert';
import { applyRules, type FieldRule, getPath, type JsonObject } from './mapper';
import { type Activity, classAttributes, OCSF_CLASSES, type OcsfRecord, STATUS } from './record';
import { clientRows, EVENT_ROWS, locationRows, userRows } from './rows';

/**
 * Item usages → Entity Management (3004). An item usage says that a person's app read, filled,
 * copied, shared, exported or saved one item of a vault: an operation on a managed entity (the
 * item, in its vault) by a user through a client, which is what Entity Management describes.
 * The server's own writes are Create and Update, everything else a person does with an item
 * is a Read, and an action 1Password adds later is Other (99) until it is mapped.
 */
const CREATE: Activity = { id: 1, name: 'Create' };
const READ: Activity = { id: 2, name: 'Read' };
const UPDATE: Activity = { id: 3, name: 'Update' };
const OTHER: Activity = { id: 99, name: 'Other' };

const ACTION_ACTIVITY: Readonly<Record<string, Activity>> = {
  'server-create': CREATE,
  'server-update': UPDATE,
  'server-fetch': READ,
  'enter-item-edit-mode': READ,
  export: READ,
  fill: READ,
  other: READ,
  reveal: READ,
  'secure-copy': READ,
  'select-sso-provider': READ,
  share: READ,
};

const ROWS: readonly FieldRule[] = [
  ...EVENT_ROWS,
  { from: 'action', to: 'metadata.event_code', as: text },
  { from: 'item_uuid', to: 'entity.uid', as: textOf },
  { from: 'used_version', to: 'entity.version', as: textOf },
  { from: 'vault_uuid', to: 'entity.data.vault_uuid', as: textOf },
  ...userRows('user', 'actor.user'),
];

/** The client's device, when its address names it (OCSF needs a device to have an id or address). */
const DEVICE_ROWS: readonly FieldRule[] = [...clientRows('device'), ...locationRows('device.location')];

/** The table of one item usage: the device rows only when the client has a valid address. */
export function itemUsageRows(event: JsonObject): FieldRule[] {
  const client = getPath(event, 'client.ip_address') ?? getPath(event, 'client.ip') ?? null;
  return ipAddress(client) === undefined ? [...ROWS] : [...ROWS, ...DEVICE_ROWS];
}

export function mapItemUsage(event: JsonObject): OcsfRecord {
  // Events from apps older than 8.4 carry no action: the usage was a read.
  const action = typeof event.action === 'string' ? event.action : undefined;
  const activity = action === undefined ? READ : (ACTION_ACTIVITY[action] ?? OTHER);
  const record = classAttributes(OCSF_CLASSES.entityManagement, activity, STATUS.success, 'itemusages');
  record.entity = { type: 'item' };
  applyRules(event, itemUsageRows(event), record);
  if (record.device !== undefined) (record.device as JsonObject).type_id = 0;
  return record as OcsfRecord;
}
