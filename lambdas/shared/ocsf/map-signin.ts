import { text } from './convert';
import { applyRules, type FieldRule, type JsonObject } from './mapper';
import { classAttributes, OCSF_CLASSES, type OcsfRecord, STATUS, type Status } from './record';
import { clientRows, EVENT_ROWS, locationRows, userRows } from './rows';

/**
 * Sign-in attempts → Authentication (3002), activity Logon (1). `category` decides the
 * status: `success` and `firewall_reported_success` succeeded, every other documented
 * category failed, and one 1Password adds later is Other (99) until it is mapped.
 */
const CATEGORY_STATUS: Readonly<Record<string, Status>> = {
  success: STATUS.success,
  firewall_reported_success: STATUS.success,
  credentials_failed: STATUS.failure,
  mfa_failed: STATUS.failure,
  sso_failed: STATUS.failure,
  modern_version_failed: STATUS.failure,
  firewall_failed: STATUS.failure,
};

export const SIGNIN_ROWS: readonly FieldRule[] = [
  ...EVENT_ROWS,
  { from: 'session_uuid', to: 'session.uid', as: text },
  { from: 'category', to: 'metadata.event_code', as: text },
  { from: 'type', to: 'status_detail', as: text },
  ...userRows('target_user', 'user'),
  ...clientRows('src_endpoint'),
  ...locationRows('src_endpoint.location'),
];

export function mapSignIn(event: JsonObject): OcsfRecord {
  const category = typeof event.category === 'string' ? event.category : '';
  const status = CATEGORY_STATUS[category] ?? (category ? STATUS.other : STATUS.unknown);
  const record = classAttributes(
    OCSF_CLASSES.authentication,
    { id: 1, name: 'Logon' },
    status,
    'signinattempts',
  );
  // The service signed in to: Authentication needs it or a destination endpoint.
  record.service = { name: '1Password' };
  applyRules(event, SIGNIN_ROWS, record);
  // Authentication requires a user; a few published attempts name none.
  if (record.user === undefined) record.user = { name: 'Unknown', type_id: 0 };
  return record as OcsfRecord;
}
