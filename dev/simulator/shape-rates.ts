/**
 * How often the generator departs from the current v2 shape of an event: the older, partial or
 * scrubbed spellings that events published by other projects show (SHAPES.md has the counts).
 * Each rate is the share of events (or of devices) that take the shape. Every one is low enough
 * that the current shape dominates, as it does in a live account, and high enough that a few
 * thousand events hold several of each, so every test and the demo meet all of them.
 */
export const SHAPE_RATES = {
  /**
   * Events without the v2 account fields (`account_uuid`, and `user_type`, `user_account_uuid`,
   * `actor_account_uuid`): no published sample has them.
   */
  withoutAccountFields: 0.1,
  /** Sign-ins and item usages whose client address is `client.ip`, not `client.ip_address`. */
  clientIp: 0.05,
  /**
   * Sign-ins and item usages whose `timestamp` has no zone, date and time split by a space
   * (`2021-12-15 18:02:23`, read as UTC). Rare: the collector counts such an event invalid
   * (it archives it all the same), and no published audit event has one.
   */
  zonelessTimestamp: 0.002,
  signin: {
    /** `country` as a name (`France`) rather than its ISO 3166 code. */
    countryName: 0.08,
    /** `country` empty. */
    countryEmpty: 0.02,
    /** No `details` key at all, where other sign-ins that have nothing to say send `details: null`. */
    detailsAbsent: 0.25,
    /** No `target_user`. */
    targetUserAbsent: 0.01,
    /** No `location` (no published sign-in has one). */
    locationAbsent: 0.4,
  },
  itemUsage: {
    /** No `action` (events from before the field existed). */
    actionAbsent: 0.04,
    /** No `used_version`. */
    usedVersionAbsent: 0.03,
    /** No `location`. */
    locationAbsent: 0.3,
  },
  audit: {
    /**
     * Audit events without a single id: no `actor_uuid`, `object_uuid` or `aux_uuid`, user
     * details with a name and an e-mail only, a session with its login time and address only,
     * a location without coordinates, and no account fields.
     */
    withoutIds: 0.08,
    /** No `actor_details` (v1 events name the actor by `actor_uuid` only). */
    actorDetailsAbsent: 0.03,
    /** No `location`. */
    locationAbsent: 0.12,
  },
  device: {
    /** Devices whose uuid is a hyphenated RFC 4122 uuid rather than 26 base32 characters. */
    hyphenatedUuid: 0.15,
    /** Browser extensions that report the older name `1Password Extension`. */
    olderExtensionName: 0.25,
  },
} as const;
