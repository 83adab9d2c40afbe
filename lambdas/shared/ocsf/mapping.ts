import type { EventType } from '../event-types';
import { mapAudit } from './map-audit';
import { mapItemUsage } from './map-itemusage';
import { mapSignIn } from './map-signin';
import type { JsonObject } from './mapper';
import type { OcsfRecord } from './record';

const MAPPERS: Readonly<Record<EventType, (event: JsonObject) => OcsfRecord>> = {
  signinattempts: mapSignIn,
  itemusages: mapItemUsage,
  auditevents: mapAudit,
};

/** One 1Password event, as parsed from its archived line, as an OCSF record. */
export function mapEvent(stream: EventType, event: JsonObject): OcsfRecord {
  return MAPPERS[stream](event);
}
