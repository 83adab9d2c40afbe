import { epochMs, ipAddress, text, textOf } from './convert';
import { applyRules, type FieldRule, getPath, type JsonObject } from './mapper';
import {
  type Activity,
  classAttributes,
  OCSF_CLASSES,
  type OcsfClass,
  type OcsfRecord,
  STATUS,
} from './record';
import { EVENT_ROWS, locationRows, userRows } from './rows';

/**
 * Audit events → one of four IAM classes, by what was acted on and how:
 *
 * - a user's own account (`object_type` user): Account Change (3001)
 * - a user's access to a vault (`uva`) or a user's role: User Access Management (3005)
 * - a group, its members (`gm`) or its access to a vault (`gva`): Group Management (3006)
 * - anything else (vaults, items, devices, the account, SSO, service accounts…): Entity Management (3004)
 *
 * An action a class has no activity for is Other (99), its name in `metadata.event_code`.
 */
interface AuditClassification {
  readonly ocsfClass: OcsfClass;
  readonly activity: Activity;
  /** Where `object_uuid` (and `object_details`) and `aux_uuid` (and `aux_details`) go. */
  readonly object: 'user' | 'group' | 'entity' | 'resource';
  readonly aux?: 'user' | 'group';
}

const OTHER: Activity = { id: 99, name: 'Other' };
const a = (id: number, name: string): Activity => ({ id, name });

const ACCOUNT_CHANGE: Readonly<Record<string, Activity>> = {
  provsn: a(1, 'Create'),
  create: a(1, 'Create'),
  activate: a(2, 'Enable'),
  reactive: a(2, 'Enable'),
  changemp: a(3, 'Password Change'),
  beginr: a(4, 'Password Reset'),
  completr: a(4, 'Password Reset'),
  suspend: a(5, 'Disable'),
  delete: a(6, 'Delete'),
  purge: a(6, 'Delete'),
  enblmfa: a(10, 'MFA Factor Enable'),
  disblmfa: a(11, 'MFA Factor Disable'),
};

const ASSIGN = a(1, 'Assign Privileges');
const REVOKE = a(2, 'Revoke Privileges');
const PRIVILEGES: Readonly<Record<string, Activity>> = {
  grant: ASSIGN,
  role: ASSIGN,
  upguest: ASSIGN,
  revoke: REVOKE,
};

const GROUP: Readonly<Record<string, Activity>> = {
  create: a(6, 'Create'),
  delete: a(5, 'Delete'),
  purge: a(5, 'Delete'),
};
const GROUP_MEMBERSHIP: Readonly<Record<string, Activity>> = {
  join: a(3, 'Add User'),
  leave: a(4, 'Remove User'),
  role: ASSIGN,
};

const ENTITY: Readonly<Record<string, Activity>> = {
  create: a(1, 'Create'),
  view: a(2, 'Read'),
  export: a(2, 'Read'),
  update: a(3, 'Update'),
  updatea: a(3, 'Update'),
  patch: a(3, 'Update'),
  replace: a(3, 'Update'),
  changenm: a(3, 'Update'),
  trename: a(3, 'Update'),
  delete: a(4, 'Delete'),
  purge: a(4, 'Delete'),
};

export function classifyAudit(action: string, objectType: string): AuditClassification {
  const { accountChange, userAccess, groupManagement, entityManagement } = OCSF_CLASSES;
  if (objectType === 'user') {
    if (action === 'role' || action === 'upguest')
      return { ocsfClass: userAccess, activity: ASSIGN, object: 'user' };
    return { ocsfClass: accountChange, activity: ACCOUNT_CHANGE[action] ?? OTHER, object: 'user' };
  }
  if (objectType === 'uva')
    return { ocsfClass: userAccess, activity: PRIVILEGES[action] ?? OTHER, object: 'resource', aux: 'user' };
  if (objectType === 'group')
    return { ocsfClass: groupManagement, activity: GROUP[action] ?? OTHER, object: 'group' };
  if (objectType === 'gm')
    return {
      ocsfClass: groupManagement,
      activity: GROUP_MEMBERSHIP[action] ?? OTHER,
      object: 'group',
      aux: 'user',
    };
  if (objectType === 'gva')
    return {
      ocsfClass: groupManagement,
      activity: PRIVILEGES[action] ?? OTHER,
      object: 'resource',
      aux: 'group',
    };
  return { ocsfClass: entityManagement, activity: ENTITY[action] ?? OTHER, object: 'entity' };
}

/** Rows every audit event has, whatever its class: who acted, from which session and device. */
const ACTOR_ROWS: readonly FieldRule[] = [
  ...EVENT_ROWS,
  { from: 'action', to: 'metadata.event_code', as: text },
  { from: 'actor_uuid', to: 'actor.user.uid', as: textOf },
  ...userRows('actor_details', 'actor.user'),
  { from: 'actor_type', to: 'actor.user.type', as: text },
  { from: 'actor_account_uuid', to: 'actor.user.account.uid', as: text },
  { from: 'session.uuid', to: 'actor.session.uid', as: text },
  { from: 'session.login_time', to: 'actor.session.created_time', as: epochMs, lossy: true },
];

/** The device of the session, when the event names it by id or address (OCSF needs one of them). */
const DEVICE_ROWS: readonly FieldRule[] = [
  { from: 'session.device_uuid', to: 'device.uid', as: text },
  { from: 'session.ip', to: 'device.ip', as: ipAddress },
  ...locationRows('device.location'),
];

function hasDevice(event: JsonObject): boolean {
  return (
    text(getPath(event, 'session.device_uuid') ?? null) !== undefined ||
    ipAddress(getPath(event, 'session.ip') ?? null) !== undefined
  );
}

function objectRows(c: AuditClassification): FieldRule[] {
  const rows: FieldRule[] = [];
  if (c.object === 'user')
    rows.push({ from: 'object_uuid', to: 'user.uid', as: textOf }, ...userRows('object_details', 'user'));
  if (c.object === 'group') rows.push({ from: 'object_uuid', to: 'group.uid', as: textOf });
  if (c.object === 'entity')
    rows.push(
      { from: 'object_uuid', to: 'entity.uid', as: textOf },
      { from: 'object_type', to: 'entity.type', as: text },
    );
  if (c.object === 'resource') rows.push({ from: 'object_uuid', to: 'resource.uid', as: textOf });
  if (c.aux === 'user')
    rows.push({ from: 'aux_uuid', to: 'user.uid', as: textOf }, ...userRows('aux_details', 'user'));
  if (c.aux === 'group') rows.push({ from: 'aux_uuid', to: 'group.uid', as: textOf });
  if (c.ocsfClass.uid === OCSF_CLASSES.userAccess.uid || c.ocsfClass.uid === OCSF_CLASSES.groupManagement.uid)
    rows.push({ from: 'aux_info', to: 'privileges.0', as: text });
  return rows;
}

/** The table of one audit event: its class's object rows, then the rows every audit event has. */
export function auditRows(event: JsonObject): FieldRule[] {
  const action = typeof event.action === 'string' ? event.action : '';
  const objectType = typeof event.object_type === 'string' ? event.object_type : '';
  return [
    ...objectRows(classifyAudit(action, objectType)),
    ...ACTOR_ROWS,
    ...(hasDevice(event) ? DEVICE_ROWS : []),
  ];
}

export function mapAudit(event: JsonObject): OcsfRecord {
  const action = typeof event.action === 'string' ? event.action : '';
  const objectType = typeof event.object_type === 'string' ? event.object_type : '';
  const c = classifyAudit(action, objectType);
  const record = classAttributes(c.ocsfClass, c.activity, STATUS.success, 'auditevents');
  if (c.object === 'entity') record.entity = { type: objectType || 'unknown' };
  if (c.object === 'resource')
    record.resource = { type: objectType === 'uva' || objectType === 'gva' ? 'vault' : objectType };
  applyRules(event, auditRows(event), record);
  fillRequired(record, c);
  return record as OcsfRecord;
}

/**
 * Scrubbed and partial audit events lack ids the class requires: the required object is then
 * present but unnamed, and the event's own fields stay where they are (`unmapped`).
 */
function fillRequired(record: JsonObject, c: AuditClassification): void {
  const { accountChange, userAccess, groupManagement } = OCSF_CLASSES;
  if ((c.ocsfClass === accountChange || c.ocsfClass === userAccess) && record.user === undefined)
    record.user = { name: 'Unknown', type_id: 0 };
  if (c.ocsfClass === userAccess && record.privileges === undefined) record.privileges = [];
  if (c.ocsfClass === groupManagement) {
    if (record.group === undefined) record.group = { name: 'Unknown' };
    // The class needs a user or privileges; creating or deleting a group has neither.
    if (record.user === undefined && record.privileges === undefined) record.privileges = [];
  }
  for (const name of ['entity', 'resource']) {
    const named = record[name] as JsonObject | undefined;
    if (named !== undefined && named.uid === undefined) named.name = 'Unknown';
  }
  if (record.device !== undefined) (record.device as JsonObject).type_id = 0;
  if (record.actor !== undefined && (record.actor as JsonObject).user !== undefined) {
    const user = (record.actor as JsonObject).user as JsonObject;
    if (user.uid === undefined && user.name === undefined) user.name = 'Unknown';
  }
}
