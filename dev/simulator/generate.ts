import {
  type Account,
  type Client,
  type Device,
  ipAddress,
  type Person,
  PLACES,
  type Place,
  strangerDevice,
} from './account';
import {
  FUTURE_AUDIT_ACTIONS,
  FUTURE_AUDIT_OBJECT_TYPES,
  FUTURE_ITEM_USAGE_ACTIONS,
  FUTURE_SIGNIN_TYPES,
} from './catalog';
import { base32Id, type Random } from './random';
import { SHAPE_RATES } from './shape-rates';
import {
  compareInstants,
  formatRfc3339,
  formatZoneless,
  type Instant,
  type TimestampPrecision,
  truncate,
} from './time';
import { whereabouts } from './trips';
import type { Feature, SimEvent } from './types';

/** Roughly how often a value or field from a later API version shows up. */
const UNKNOWN_ENUM_RATE = 0.01;
const UNKNOWN_FIELD_RATE = 0.01;

type Style = readonly [TimestampPrecision, 'utc' | 'offset' | 'zoneless'];

/** Each feed has its usual precision plus a minority of other RFC 3339 forms. */
const STYLES: Record<Feature, readonly (readonly [Style, number])[]> = {
  signinattempts: [
    [['seconds', 'utc'], 70],
    [['seconds', 'offset'], 15],
    [['millis', 'utc'], 10],
    [['nanos', 'utc'], 5],
  ],
  itemusages: [
    [['millis', 'utc'], 70],
    [['seconds', 'utc'], 10],
    [['millis', 'offset'], 10],
    [['nanos', 'utc'], 10],
  ],
  auditevents: [
    [['nanos', 'utc'], 70],
    [['nanos', 'offset'], 15],
    [['seconds', 'utc'], 10],
    [['millis', 'utc'], 5],
  ],
};
const OFFSETS_MINUTES = [-180, -300, -480, 60, 120, 330, 540];

export interface TimedEvent {
  event: SimEvent;
  /** The instant `event.timestamp` denotes, so the store need not parse it back. */
  at: Instant;
}

export interface EventGenerator {
  /** `count` events of one feature with timestamps spread over [fromMs, toMs], oldest first. */
  generate(feature: Feature, count: number, fromMs: number, toMs: number): TimedEvent[];
}

/** A user object: v2 adds the MSP fields (v1 endpoints strip them); `withoutIds` leaves the uuid out too. */
const userDetails = (p: Person, shape: Shape = CURRENT) => ({
  ...(shape.withoutIds ? {} : { uuid: p.uuid }),
  name: p.name,
  email: p.email,
  ...(shape.accountFields ? { user_type: p.userType, user_account_uuid: p.userAccountUuid } : {}),
});

/** Which of the shapes of SHAPE_RATES an event takes, beyond its own fields. */
interface Shape {
  /** The v2 account fields are present. */
  readonly accountFields: boolean;
  /** Every id is left out (audit events). */
  readonly withoutIds: boolean;
}
const CURRENT: Shape = { accountFields: true, withoutIds: false };

/** The client with its address under the older key `ip`, where other events say `ip_address`. */
function withOlderIpKey(client: Client): Record<string, string> {
  return Object.fromEntries(
    Object.entries(client).map(([key, value]) => [key === 'ip_address' ? 'ip' : key, value]),
  );
}

export function createGenerator(random: Random, account: Account): EventGenerator {
  const issued = new Set<string>();
  const uuid = () => {
    for (;;) {
      const id = base32Id(random);
      if (!issued.has(id)) {
        issued.add(id);
        return id;
      }
    }
  };
  // A few people generate most of the activity, as in a real team.
  const person = (): Person => {
    const r = random.next();
    return account.people[Math.floor(r * r * account.people.length)] as Person;
  };
  /** Someone who can act at `ms`, with where they are: nobody signs in mid-flight. */
  const personAt = (ms: number): { who: Person; place: Place; ip?: string } => {
    for (let tries = 0; ; tries++) {
      const who = person();
      const where = whereabouts(who, ms);
      if (where.at === 'away') return { who, place: where.place, ip: where.trip.ip };
      if (where.at === 'home' || tries >= 20) return { who, place: who.home };
    }
  };
  /** A device of the person, with the address of the place they are in. */
  const deviceAt = (p: Person, ip: string | undefined): Device => {
    const device = random.pick(p.devices);
    return ip === undefined ? device : { ...device, client: { ...device.client, ip_address: ip } };
  };
  /**
   * A report-only firewall rule lets a sign-in through and reports it: mostly a person abroad on
   * a trip, else someone at home behind a VPN (a new address in their own country).
   */
  const reportedByFirewall = (ms: number): { who: Person; place: Place; ip: string; type: string } => {
    const away = account.people.flatMap((who) => {
      const where = whereabouts(who, ms);
      return where.at === 'away' ? [{ who, place: where.place, ip: where.trip.ip }] : [];
    });
    if (away.length > 0) {
      const traveller = random.pick(away);
      const abroad = traveller.place.continent !== traveller.who.home.continent;
      return { ...traveller, type: abroad ? 'continent_blocked' : 'country_blocked' };
    }
    const who = person();
    return { who, place: who.home, ip: ipAddress(random), type: 'anonymous_blocked' };
  };
  const location = (at: Place, absent: number, coordinates = true): Record<string, unknown> | undefined => {
    if (random.chance(absent)) return undefined;
    // Some geo lookups only resolve to a city, without coordinates.
    if (random.chance(0.1) || !coordinates) return { country: at.country, region: at.region, city: at.city };
    return {
      country: at.country,
      region: at.region,
      city: at.city,
      latitude: at.latitude,
      longitude: at.longitude,
    };
  };
  const clientOf = (device: Device): Client => ({ ...device.client });
  const spellClient = (client: Client) =>
    random.chance(SHAPE_RATES.clientIp) ? withOlderIpKey(client) : client;
  const accountShape = (): Shape => ({
    accountFields: !random.chance(SHAPE_RATES.withoutAccountFields),
    withoutIds: false,
  });
  const withExtras = (event: SimEvent, at: Instant): SimEvent => {
    if (!random.chance(UNKNOWN_FIELD_RATE)) return event;
    const extra = random.pick(['risk', 'insert_time', 'client_trust'] as const);
    if (extra === 'risk')
      event.risk = { level: random.pick(['low', 'medium', 'high']), score: random.int(0, 100) };
    else if (extra === 'insert_time')
      event.insert_time = formatRfc3339({ ms: at.ms + random.int(50, 90_000), ns: 0 }, 'nanos');
    else event.client_trust = { managed: random.chance(0.5), posture: 'unknown' };
    return event;
  };

  const signInAttempt = (timestamp: string, at: Instant): SimEvent => {
    const rates = SHAPE_RATES.signin;
    const shape = accountShape();
    const category = random.weighted(SIGNIN_CATEGORY_WEIGHTS);
    const reported = category === 'firewall_reported_success' ? reportedByFirewall(at.ms) : undefined;
    const { who: p, place: here, ip: hereIp } = reported ?? personAt(at.ms);
    let type = reported?.type ?? random.pick(SIGNIN_TYPES_BY_CATEGORY[category]);
    if (random.chance(UNKNOWN_ENUM_RATE)) type = random.pick(FUTURE_SIGNIN_TYPES);
    const firewall = category === 'firewall_failed' || category === 'firewall_reported_success';
    // Blocked attempts and some failures come from strangers anywhere; the rest from the person.
    const stranger =
      category === 'firewall_failed' || (category === 'credentials_failed' && random.chance(0.3));
    const device = stranger ? strangerDevice(random) : deviceAt(p, hereIp);
    const where = stranger ? random.pick(PLACES) : here;
    const client = clientOf(device);
    if (stranger) client.ip_address = ipAddress(random);
    let details: { value: string } | null | undefined = random.chance(rates.detailsAbsent) ? undefined : null;
    if (firewall) {
      details = {
        value:
          type === 'continent_blocked'
            ? where.continent
            : type === 'country_blocked'
              ? where.iso
              : type === 'ip_blocked'
                ? client.ip_address
                : type === 'anonymous_blocked'
                  ? 'Tor exit node'
                  : 'All',
      };
    }
    const country = random.weighted([
      [where.iso, 1 - rates.countryName - rates.countryEmpty],
      [where.country, rates.countryName],
      ['', rates.countryEmpty],
    ]);
    const event: SimEvent = {
      uuid: uuid(),
      session_uuid: base32Id(random),
      timestamp,
      category,
      type,
      country,
    };
    if (details !== undefined) event.details = details;
    if (!random.chance(rates.targetUserAbsent)) event.target_user = userDetails(p, shape);
    event.client = spellClient(client);
    const loc = location(where, rates.locationAbsent);
    if (loc) event.location = loc;
    if (shape.accountFields) event.account_uuid = account.uuid;
    return withExtras(event, at);
  };

  const itemUsage = (timestamp: string, at: Instant): SimEvent => {
    const rates = SHAPE_RATES.itemUsage;
    const shape = accountShape();
    const { who: p, place: here, ip: hereIp } = personAt(at.ms);
    const vault = random.pick(account.vaults);
    const item = random.pick(vault.items);
    let action: string = random.weighted(ITEM_ACTION_WEIGHTS);
    if (random.chance(UNKNOWN_ENUM_RATE)) action = random.pick(FUTURE_ITEM_USAGE_ACTIONS);
    const usedVersion =
      action === 'server-create'
        ? 1
        : random.chance(0.03)
          ? 0
          : random.int(Math.max(1, item.version - 2), item.version);
    const event: SimEvent = { uuid: uuid(), timestamp };
    if (!random.chance(rates.usedVersionAbsent)) event.used_version = usedVersion;
    event.vault_uuid = vault.uuid;
    event.item_uuid = item.uuid;
    if (!random.chance(rates.actionAbsent)) event.action = action;
    event.user = userDetails(p, shape);
    event.client = spellClient(clientOf(deviceAt(p, hereIp)));
    const loc = location(here, rates.locationAbsent);
    if (loc) event.location = loc;
    if (shape.accountFields) event.account_uuid = account.uuid;
    return withExtras(event, at);
  };

  /** Audit events still to come in the sitting the last one began. */
  let followUps: { actor: ReturnType<typeof personAt>; shape: Shape; subject: Step }[] = [];
  // An account has one firewall and one SSO set-up however many people it has: their changes
  // come as often in a large account as in a team.
  const teamsOf = Math.max(1, account.people.length / PEOPLE_PER_TEAM);
  const scenarios = AUDIT_SCENARIOS.map(
    ([scenario, weight, scope]) => [scenario, scope === 'account' ? weight / teamsOf : weight] as const,
  );
  const auditEvent = (timestamp: string, at: Instant): SimEvent => {
    const rates = SHAPE_RATES.audit;
    // The rest of a sitting comes first: the same person, in the same place and shape, minutes later.
    const sitting = followUps.shift();
    const drawn: Shape = random.chance(rates.withoutIds)
      ? { accountFields: false, withoutIds: true }
      : accountShape();
    const shape = sitting?.shape ?? drawn;
    const { who: actor, place: here, ip: hereIp } = sitting?.actor ?? personAt(at.ms);
    // An administrator acts on someone else; acting on oneself (a self-grant) is rare.
    let other = person();
    for (let retry = 0; other === actor && retry < 3; retry++) other = person();
    const { followedBy, ...subject } =
      sitting?.subject ?? random.weighted(scenarios)(random, account, actor, other);
    for (const next of followedBy ?? [])
      followUps.push({ actor: { who: actor, place: here, ip: hereIp }, shape, subject: next });
    if (random.chance(UNKNOWN_ENUM_RATE)) {
      if (random.chance(0.5)) subject.action = random.pick(FUTURE_AUDIT_ACTIONS);
      else subject.object_type = random.pick(FUTURE_AUDIT_OBJECT_TYPES);
    }
    const device = deviceAt(actor, hereIp);
    const loginAt: Instant = { ms: at.ms - random.int(1_000, 8 * 3_600_000), ns: random.int(0, 999_999) };
    const event: SimEvent = { uuid: uuid(), timestamp };
    if (!shape.withoutIds) event.actor_uuid = actor.uuid;
    if (shape.withoutIds || !random.chance(rates.actorDetailsAbsent))
      event.actor_details = userDetails(actor, shape);
    event.actor_type = actor.userType;
    if (shape.accountFields) {
      event.actor_account_uuid = actor.userAccountUuid;
      event.account_uuid = account.uuid;
    }
    Object.assign(event, shape.withoutIds ? withoutIds(subject) : withShape(subject, shape));
    event.session = shape.withoutIds
      ? { login_time: formatRfc3339(loginAt, 'nanos'), ip: device.client.ip_address }
      : {
          uuid: base32Id(random),
          login_time: formatRfc3339(loginAt, 'nanos'),
          device_uuid: device.uuid,
          ip: device.client.ip_address,
        };
    const loc = location(here, rates.locationAbsent, !shape.withoutIds);
    if (loc) event.location = loc;
    return withExtras(event, at);
  };

  const builders: Record<Feature, (timestamp: string, at: Instant) => SimEvent> = {
    signinattempts: signInAttempt,
    itemusages: itemUsage,
    auditevents: auditEvent,
  };

  return {
    generate(feature, count, fromMs, toMs) {
      const span = Math.max(0, toMs - fromMs);
      const stamps: { at: Instant; style: Style; offset: number }[] = new Array(count);
      const zoneless = feature === 'auditevents' ? 0 : SHAPE_RATES.zonelessTimestamp;
      for (let i = 0; i < count; i++) {
        let style = random.weighted(STYLES[feature]);
        // Without a zone, a time stamp carries at most milliseconds, as the published ones do.
        if (random.chance(zoneless)) style = [style[0] === 'nanos' ? 'millis' : style[0], 'zoneless'];
        const raw = { ms: fromMs + Math.floor(random.next() * (span + 1)), ns: random.int(0, 999_999) };
        const offset = style[1] === 'offset' ? random.pick(OFFSETS_MINUTES) : 0;
        // Truncate before sorting: mixed precisions must still come out in instant order.
        let at = truncate(raw, style[0]);
        // Rounding down must not move an event out of the requested range (a reset from `fromMs` must see it).
        const up = Math.ceil(raw.ms / 1000) * 1000;
        if (at.ms < fromMs && up <= toMs) at = { ms: up, ns: 0 };
        stamps[i] = { at, style, offset };
      }
      stamps.sort((a, b) => compareInstants(a.at, b.at));
      const build = builders[feature];
      // A sitting does not outlast the range asked for: what is left of one is dropped.
      followUps = [];
      let previous: Instant | undefined;
      return stamps.map(({ at: drawn, style, offset }) => {
        let at = drawn;
        // The next step of a sitting a few minutes after the last, on a whole second (every
        // precision spells it); never later than drawn, so the order holds.
        if (feature === 'auditevents' && followUps.length > 0 && previous) {
          const soon = Math.ceil((previous.ms + random.int(30, 600) * 1000) / 1000) * 1000;
          if (soon < drawn.ms) at = { ms: soon, ns: 0 };
        }
        previous = at;
        const timestamp =
          style[1] === 'zoneless' && style[0] !== 'nanos'
            ? formatZoneless(at, style[0])
            : formatRfc3339(at, style[0], offset);
        return { event: build(timestamp, at), at };
      });
    },
  };
}

const SIGNIN_CATEGORY_WEIGHTS = [
  ['success', 80],
  ['credentials_failed', 7],
  ['mfa_failed', 5],
  ['firewall_failed', 3],
  ['sso_failed', 2],
  ['modern_version_failed', 2],
  ['firewall_reported_success', 0.1],
] as const;

type SignInCategory = (typeof SIGNIN_CATEGORY_WEIGHTS)[number][0];

const FIREWALL_TYPES = [
  'ip_blocked',
  'continent_blocked',
  'country_blocked',
  'anonymous_blocked',
  'all_blocked',
];

/** Category/type pairs that belong together. */
const SIGNIN_TYPES_BY_CATEGORY: Record<SignInCategory, readonly string[]> = {
  success: ['credentials_ok', 'credentials_ok', 'credentials_ok', 'mfa_ok', 'mfa_ok', 'federated'],
  credentials_failed: [
    'password_secret_bad',
    'password_secret_bad',
    'password_secret_bad',
    'platform_secret_bad',
    'platform_secret_disabled',
    'platform_secret_proxy',
  ],
  mfa_failed: [
    'mfa_missing',
    'totp_bad',
    'totp_bad',
    'totp_timeout',
    'totp_disabled',
    'u2f_bad',
    'u2f_timeout',
    'u2f_disabled',
    'duo_bad',
    'duo_timeout',
    'duo_disabled',
    'duo_native_bad',
    'code_bad',
    'code_timeout',
    'code_disabled',
  ],
  sso_failed: ['non_sso_user', 'sso_user_mismatch', 'service_account_sso_denied'],
  modern_version_failed: ['modern_version_missing', 'modern_version_old'],
  firewall_failed: FIREWALL_TYPES,
  firewall_reported_success: FIREWALL_TYPES,
};

const ITEM_ACTION_WEIGHTS = [
  ['fill', 35],
  ['secure-copy', 20],
  ['reveal', 15],
  ['server-fetch', 12],
  ['enter-item-edit-mode', 5],
  ['server-update', 4],
  ['server-create', 3],
  ['other', 3],
  ['export', 0.1],
  ['share', 1],
  ['select-sso-provider', 1],
] as const;

type AuditSubject = {
  action: string;
  object_type: string;
  object_uuid: string;
  object_details?: Record<string, unknown>;
  aux_id?: number;
  aux_uuid?: string;
  aux_details?: Record<string, unknown>;
  aux_info?: string;
};
/** What an actor does: one audit event, and the rest of the sitting it begins, in order. */
type Step = AuditSubject & { followedBy?: readonly AuditSubject[] };
type Scenario = (random: Random, account: Account, actor: Person, other: Person) => Step;

/** The subject with its user details in the event's shape (without the v2 account fields). */
function withShape(subject: AuditSubject, shape: Shape): AuditSubject {
  if (shape.accountFields) return subject;
  const strip = (details: Record<string, unknown> | undefined) => {
    if (!details) return undefined;
    const { user_type: _type, user_account_uuid: _account, ...rest } = details;
    return rest;
  };
  const out: AuditSubject = { ...subject };
  if (subject.object_details) out.object_details = strip(subject.object_details);
  if (subject.aux_details) out.aux_details = strip(subject.aux_details);
  return out;
}

/** The subject with every id left out: no object or aux uuid, user details by name and e-mail only. */
function withoutIds(subject: AuditSubject): Omit<AuditSubject, 'object_uuid'> {
  const { object_uuid: _object, aux_uuid: _aux, aux_id: _id, ...rest } = subject;
  const named = (details: Record<string, unknown> | undefined) =>
    details ? { name: details.name, email: details.email } : undefined;
  if (subject.object_details) rest.object_details = named(subject.object_details);
  if (subject.aux_details) rest.aux_details = named(subject.aux_details);
  return rest;
}

const onUser =
  (action: string): Scenario =>
  (_r, _a, _actor, other) => ({
    action,
    object_type: 'user',
    object_uuid: other.uuid,
    object_details: userDetails(other),
  });
const onVault =
  (action: string): Scenario =>
  (r, a) => ({ action, object_type: 'vault', object_uuid: r.pick(a.vaults).uuid });
/** A person offboarded: anyone in the account, as likely the quietest as the busiest. */
const offboard =
  (action: string): Scenario =>
  (r, a) => {
    const leaver = r.pick(a.people);
    return { action, object_type: 'user', object_uuid: leaver.uuid, object_details: userDetails(leaver) };
  };
const vaultAccess =
  (action: string): Scenario =>
  (r, a, _actor, other) => ({
    action,
    object_type: 'uva',
    object_uuid: r.pick(a.vaults).uuid,
    aux_uuid: other.uuid,
    aux_details: userDetails(other),
    aux_info: r.pick([
      'view_items,create_items,edit_items',
      'view_items',
      'manage_vault',
      'view_items,copy_items',
    ]),
  });
const membership =
  (action: string): Scenario =>
  (r, a, _actor, other) => ({
    action,
    object_type: 'gm',
    object_uuid: r.pick(a.groups),
    aux_uuid: other.uuid,
    aux_details: userDetails(other),
    aux_info: r.pick(['M', 'R']),
  });
const simple =
  (action: string, objectType: string, info?: (r: Random) => string): Scenario =>
  (r) => {
    const subject: AuditSubject = { action, object_type: objectType, object_uuid: base32Id(r) };
    if (info) subject.aux_info = info(r);
    return subject;
  };

/** The people of a team, for whom the weights of account-wide changes are set. */
const PEOPLE_PER_TEAM = 20;

/** What administrators do, by weight; `account`: a change to the account's own set-up. */
const AUDIT_SCENARIOS: readonly (readonly [Scenario, number, 'account'?])[] = [
  [
    (r, _a, actor) => {
      const device = r.pick(actor.devices);
      return {
        action: 'create',
        object_type: 'device',
        object_uuid: device.uuid,
        aux_id: r.int(1000, 999_999),
        aux_info: `${device.client.app_name} on ${device.client.os_name}`,
      };
    },
    18,
  ],
  [
    (r, _a, actor) => ({
      action: 'delete',
      object_type: 'device',
      object_uuid: r.pick(actor.devices).uuid,
      aux_id: r.int(1000, 999_999),
    }),
    3,
  ],
  [vaultAccess('grant'), 10],
  [vaultAccess('revoke'), 4],
  [vaultAccess('update'), 3],
  [
    (r, a) => ({
      action: 'grant',
      object_type: 'gva',
      object_uuid: r.pick(a.vaults).uuid,
      aux_uuid: r.pick(a.groups),
      aux_info: 'view_items,create_items,edit_items',
    }),
    3,
  ],
  [membership('join'), 8],
  [membership('leave'), 3],
  [membership('role'), 2],
  [onVault('create'), 4],
  [onVault('changenm'), 1],
  [onVault('delete'), 1],
  [(r, a) => ({ action: 'create', object_type: 'group', object_uuid: r.pick(a.groups) }), 2],
  [(r, a) => ({ action: 'changenm', object_type: 'group', object_uuid: r.pick(a.groups) }), 1],
  [simple('create', 'invite', (r) => `new.hire${r.int(1, 999)}@example.com`), 3],
  [onUser('provsn'), 2],
  [onUser('activate'), 2],
  // Leavers: about one in five people a year, anyone, not the busiest (suspended, then deleted).
  [offboard('suspend'), 0.07],
  [onUser('reactive'), 1],
  [offboard('delete'), 0.05],
  [onUser('begin'), 1],
  [onUser('complete'), 1],
  [onUser('changemp'), 3],
  [onUser('changesk'), 1],
  [onUser('enblmfa'), 2],
  [onUser('disblmfa'), 1],
  [onUser('changenm'), 1],
  [
    (r, a) => {
      const vault = r.pick(a.vaults);
      return {
        action: 'share',
        object_type: 'item',
        object_uuid: r.pick(vault.items).uuid,
        aux_info: r.pick(['expires in 7 days', 'expires in 1 day', 'view once']),
      };
    },
    2,
  ],
  [
    (r, a) => ({ action: 'delshare', object_type: 'item', object_uuid: r.pick(r.pick(a.vaults).items).uuid }),
    1,
  ],
  // Account-wide changes are rare in a real account: a few a year, not a week.
  // An export (a whole vault in a file) about as often as the firewall changes.
  [(r, a) => ({ action: 'export', object_type: 'items', object_uuid: r.pick(a.vaults).uuid }), 0.05],
  [(_r, a) => ({ action: 'updatfw', object_type: 'account', object_uuid: a.uuid }), 0.05, 'account'],
  [(_r, a) => ({ action: 'enblsso', object_type: 'sso', object_uuid: a.uuid }), 0.03, 'account'],
  // A token rotation, each service account's about twice a year: a new token, then the old
  // one revoked, in one sitting; now and then a token revoked alone (an integration retired).
  [
    (r, a) => {
      const serviceAccount = r.pick(a.serviceAccounts);
      return {
        action: 'create',
        object_type: 'satoken',
        object_uuid: base32Id(r),
        aux_uuid: serviceAccount,
        aux_info: 'ci-deploy',
        followedBy: [
          { action: 'revoke', object_type: 'satoken', object_uuid: base32Id(r), aux_uuid: serviceAccount },
        ],
      };
    },
    0.07,
  ],
  [
    (r, a) => ({
      action: 'revoke',
      object_type: 'satoken',
      object_uuid: base32Id(r),
      aux_uuid: r.pick(a.serviceAccounts),
    }),
    0.02,
  ],
  [
    (r, a) => ({
      action: 'expire',
      object_type: 'satoken',
      object_uuid: base32Id(r),
      aux_uuid: r.pick(a.serviceAccounts),
    }),
    0.05,
  ],
  [(r, a) => ({ action: 'create', object_type: 'sa', object_uuid: r.pick(a.serviceAccounts) }), 0.05],
  [simple('view', 'report', (r) => r.pick(['domain breach report', 'user report', 'vault report'])), 2],
  [simple('create', 'cred'), 1.5],
  [simple('delete', 'cred'), 0.5],
  [simple('dlgsess', 'dlgdsess'), 1],
  [simple('create', 'template'), 0.3],
  [(r, a) => ({ action: 'purge', object_type: 'items', object_uuid: r.pick(a.vaults).uuid }), 0.3],
];
