import type { EventType } from '../event-types';
import type { JsonObject } from './mapper';
import { IAM_CATEGORY, OCSF_VERSION, PRODUCT, SEVERITY_INFORMATIONAL } from './version';

/** The OCSF classes the three streams map to, all in the IAM category. */
export const OCSF_CLASSES = {
  accountChange: { uid: 3001, name: 'Account Change' },
  authentication: { uid: 3002, name: 'Authentication' },
  entityManagement: { uid: 3004, name: 'Entity Management' },
  userAccess: { uid: 3005, name: 'User Access Management' },
  groupManagement: { uid: 3006, name: 'Group Management' },
} as const;

export type OcsfClass = (typeof OCSF_CLASSES)[keyof typeof OCSF_CLASSES];

export interface Activity {
  readonly id: number;
  readonly name: string;
}

export const STATUS = {
  unknown: { id: 0, name: 'Unknown' },
  success: { id: 1, name: 'Success' },
  failure: { id: 2, name: 'Failure' },
  other: { id: 99, name: 'Other' },
} as const;

export type Status = (typeof STATUS)[keyof typeof STATUS];

/** An OCSF record of `ocsfClass`: the mapped event plus `unmapped`. */
export type OcsfRecord = JsonObject & { class_uid: number; time: number };

/** The attributes every record of a class and activity has, before its fields are mapped. */
export function classAttributes(
  ocsfClass: OcsfClass,
  activity: Activity,
  status: Status,
  stream: EventType,
): JsonObject {
  return {
    category_uid: IAM_CATEGORY.uid,
    category_name: IAM_CATEGORY.name,
    class_uid: ocsfClass.uid,
    class_name: ocsfClass.name,
    activity_id: activity.id,
    activity_name: activity.name,
    type_uid: ocsfClass.uid * 100 + activity.id,
    type_name: `${ocsfClass.name}: ${activity.name}`,
    severity_id: SEVERITY_INFORMATIONAL.id,
    severity: SEVERITY_INFORMATIONAL.name,
    status_id: status.id,
    status: status.name,
    metadata: {
      version: OCSF_VERSION,
      product: { ...PRODUCT, feature: { name: stream } },
      log_name: stream,
    },
  };
}
