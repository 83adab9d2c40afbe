import * as z from 'zod';
import type { EventType } from '../event-types';

/**
 * Schemas for what the Events API returns. The envelope must be right, or the page is
 * refused; events are tolerated: they are archived whole, exactly as returned, and an
 * event that fails its schema is counted, never dropped. Every object schema is `loose`
 * and every enum is a plain string, because the API adds fields and values over time.
 */

export const pageSchema = z.object({
  cursor: z.string().min(1),
  has_more: z.boolean(),
  items: z.array(z.unknown()),
});

/** What the page's JSON holds. */
export type PageEnvelope = z.infer<typeof pageSchema>;

/** A page as the client returns it: the parsed envelope, and each item's bytes as the API sent them. */
export interface Page extends PageEnvelope {
  /**
   * One per item, in order: the exact UTF-8 bytes of the item in the response body, without
   * a line break; the item's compact `JSON.stringify` instead when those bytes could not be
   * an NDJSON line (see {@link reserialized}).
   */
  readonly lines: readonly Buffer[];
  /**
   * Whether at least one line is a re-serialisation rather than the API's bytes: the item
   * was pretty-printed (its bytes hold a raw line feed or carriage return), or its bytes are
   * not valid UTF-8.
   */
  readonly reserialized: boolean;
}

// Whether the string is a real RFC 3339 instant is checked (once) by the batch builder, which parses it anyway.
const timestamp = z.string();

const user = z
  .object({ uuid: z.string().optional(), name: z.string().optional(), email: z.string().optional() })
  .loose();

const client = z
  .object({
    app_name: z.string().optional(),
    app_version: z.string().optional(),
    platform_name: z.string().optional(),
    platform_version: z.string().optional(),
    os_name: z.string().optional(),
    os_version: z.string().optional(),
    ip_address: z.string().optional(),
  })
  .loose();

const location = z
  .object({
    country: z.string().optional(),
    region: z.string().optional(),
    city: z.string().optional(),
    latitude: z.number().optional(),
    longitude: z.number().optional(),
  })
  .loose();

const baseEvent = { uuid: z.string().min(1), timestamp };

export const signInAttemptSchema = z
  .object({
    ...baseEvent,
    session_uuid: z.string().optional(),
    category: z.string(),
    type: z.string(),
    country: z.string().optional(),
    details: z.object({ value: z.string().optional() }).loose().nullable().optional(),
    target_user: user.optional(),
    client: client.optional(),
    location: location.optional(),
    account_uuid: z.string().optional(),
  })
  .loose();

export const itemUsageSchema = z
  .object({
    ...baseEvent,
    used_version: z.number().int().optional(),
    vault_uuid: z.string(),
    item_uuid: z.string(),
    action: z.string().optional(),
    user: user.optional(),
    client: client.optional(),
    location: location.optional(),
    account_uuid: z.string().optional(),
  })
  .loose();

export const auditEventSchema = z
  .object({
    ...baseEvent,
    actor_uuid: z.string().optional(),
    actor_details: user.optional(),
    actor_type: z.string().optional(),
    actor_account_uuid: z.string().optional(),
    account_uuid: z.string().optional(),
    action: z.string(),
    object_type: z.string(),
    object_uuid: z.string().optional(),
    object_details: user.optional(),
    aux_id: z.number().optional(),
    aux_uuid: z.string().optional(),
    aux_details: user.optional(),
    aux_info: z.string().optional(),
    session: z
      .object({
        uuid: z.string().optional(),
        login_time: z.string().optional(),
        device_uuid: z.string().optional(),
        ip: z.string().optional(),
      })
      .loose()
      .optional(),
    location: location.optional(),
  })
  .loose();

export const eventSchemas = {
  signinattempts: signInAttemptSchema,
  itemusages: itemUsageSchema,
  auditevents: auditEventSchema,
} as const satisfies Record<EventType, z.ZodType>;

export type SignInAttempt = z.infer<typeof signInAttemptSchema>;
export type ItemUsage = z.infer<typeof itemUsageSchema>;
export type AuditEvent = z.infer<typeof auditEventSchema>;

/** `GET /api/v2/auth/introspect`. */
export const introspectionSchema = z
  .object({
    uuid: z.string(),
    issued_at: z.string(),
    features: z.array(z.string()),
    account_uuid: z.string().optional(),
  })
  .loose();

export type Introspection = z.infer<typeof introspectionSchema>;
