/** The Events API's event streams, each read through `POST /api/v2/<stream>`. */
export const EVENT_TYPES = ['signinattempts', 'itemusages', 'auditevents'] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}
