/**
 * Attacks, told as the Events API would record them, to mix into a simulated account's normal
 * traffic: the proof that the detection rules see what they are for. Each story is played by
 * people, vaults and devices of the account, so its events look like the rest, and is fixed by
 * its seed: the same seed, account and time give the same events.
 */
import {
  type Account,
  type Client,
  ipAddress,
  type Person,
  PLACES,
  type Place,
  strangerDevice,
} from './account';
import { base32Id, createRandom, type Random } from './random';
import { formatRfc3339, type Instant } from './time';
import { distanceKm } from './trips';
import type { Feature, SimEvent } from './types';

export const STORY_NAMES = [
  'brute-force-then-export',
  'admin-self-grant',
  'impossible-travel',
  'service-account-token',
] as const;

export type StoryName = (typeof STORY_NAMES)[number];

export interface StoryEvent {
  readonly feature: Feature;
  readonly event: SimEvent;
  readonly at: Instant;
}

export interface Story {
  readonly name: StoryName;
  /** One sentence: what happens, to whom. */
  readonly told: string;
  /** The rules that should fire on it with their default settings and no watchlist. */
  readonly expects: readonly string[];
  /** Oldest first; the last one happens at the story's `at`. */
  readonly events: readonly StoryEvent[];
}

export const STORY_DESCRIPTIONS: Record<StoryName, string> = {
  'brute-force-then-export':
    'failed sign-ins for one person from one IP, a successful sign-in from a new country, then a vault export',
  'admin-self-grant':
    'an administrator grants themselves access to a vault, then reveals and copies its items',
  'impossible-travel': 'a person signs in at home, then 40 minutes later from another continent',
  'service-account-token': 'an administrator creates a service account and a token for it',
};

const MINUTE = 60_000;

/** Plays `name` so that its last event happens at `at` (epoch ms). */
export function playStory(name: StoryName, account: Account, options: { seed: number; at: number }): Story {
  const random = createRandom(options.seed, `story:${name}`);
  const teller = new Teller(random, account);
  switch (name) {
    case 'brute-force-then-export':
      return bruteForceThenExport(teller, options.at);
    case 'admin-self-grant':
      return adminSelfGrant(teller, options.at);
    case 'impossible-travel':
      return impossibleTravel(teller, options.at);
    case 'service-account-token':
      return serviceAccountToken(teller, options.at);
  }
}

function bruteForceThenExport(t: Teller, end: number): Story {
  const victim = t.activePerson();
  const abroad = t.farFrom(victim.home);
  const attacker: Client = { ...strangerDevice(t.random).client, ip_address: t.strangerIp(victim) };
  const vault = t.random.pick(t.account.vaults);
  const start = end - 3 * 60 * MINUTE;
  // The victim's own sign-in in the morning: the attacker's IP is new to them.
  t.signIn(start, victim, 'success', 'credentials_ok', victim.home, {
    ...t.random.pick(victim.devices).client,
  });
  const guessesFrom = end - 25 * MINUTE;
  for (let i = 0; i < 12; i++) {
    t.signIn(
      guessesFrom + i * 40_000 + t.random.int(0, 20_000),
      victim,
      'credentials_failed',
      'password_secret_bad',
      abroad,
      attacker,
    );
  }
  t.signIn(end - 15 * MINUTE, victim, 'success', 'mfa_ok', abroad, attacker);
  t.audit(end - 2 * MINUTE, victim, attacker.ip_address, abroad, {
    action: 'export',
    object_type: 'items',
    object_uuid: vault.uuid,
  });
  // 1Password records an item usage per item exported.
  const exported = vault.items.slice(0, 5);
  exported.forEach((item, index) => {
    t.itemUsage(
      end - (exported.length - 1 - index) * 1000,
      victim,
      vault.uuid,
      item,
      'export',
      attacker,
      abroad,
    );
  });
  return t.story('brute-force-then-export', [
    'failed-signin-burst-user',
    'impossible-travel',
    'vault-export',
  ]);
}

function adminSelfGrant(t: Teller, end: number): Story {
  const admin = t.activePerson();
  const device = t.random.pick(admin.devices);
  const vault = t.random.pick(t.account.vaults);
  t.audit(end - 30 * MINUTE, admin, device.client.ip_address, admin.home, {
    action: 'grant',
    object_type: 'uva',
    object_uuid: vault.uuid,
    aux_uuid: admin.uuid,
    aux_details: userDetails(admin),
    aux_info: 'view_items,copy_items,manage_vault',
  });
  const items = vault.items.slice(0, 6);
  items.forEach((item, index) => {
    const action = index % 2 === 0 ? 'reveal' : 'secure-copy';
    t.itemUsage(
      end - (items.length - 1 - index) * 3 * MINUTE,
      admin,
      vault.uuid,
      item,
      action,
      { ...device.client },
      admin.home,
    );
  });
  return t.story('admin-self-grant', ['admin-self-grant', 'self-grant-then-access']);
}

function impossibleTravel(t: Teller, end: number): Story {
  const traveller = t.activePerson();
  const far = t.farFrom(traveller.home);
  t.signIn(end - 40 * MINUTE, traveller, 'success', 'credentials_ok', traveller.home, {
    ...t.random.pick(traveller.devices).client,
  });
  const elsewhere: Client = { ...strangerDevice(t.random).client, ip_address: t.strangerIp(traveller) };
  t.signIn(end, traveller, 'success', 'mfa_ok', far, elsewhere);
  return t.story('impossible-travel', ['impossible-travel']);
}

function serviceAccountToken(t: Teller, end: number): Story {
  const admin = t.activePerson();
  const device = t.random.pick(admin.devices);
  const serviceAccount = base32Id(t.random);
  t.audit(end - 5 * MINUTE, admin, device.client.ip_address, admin.home, {
    action: 'create',
    object_type: 'sa',
    object_uuid: serviceAccount,
  });
  t.audit(end, admin, device.client.ip_address, admin.home, {
    action: 'create',
    object_type: 'satoken',
    object_uuid: base32Id(t.random),
    aux_uuid: serviceAccount,
    aux_info: 'backup-export',
  });
  return t.story('service-account-token', ['service-account-created', 'service-account-token-changed']);
}

/** A user object in the v2 shape. */
function userDetails(person: Person) {
  return {
    uuid: person.uuid,
    name: person.name,
    email: person.email,
    user_type: person.userType,
    user_account_uuid: person.userAccountUuid,
  };
}

const locationOf = (place: Place) => ({
  country: place.country,
  region: place.region,
  city: place.city,
  latitude: place.latitude,
  longitude: place.longitude,
});

/** Builds a story's events in the current v2 shapes, each feed with its usual time-stamp precision. */
class Teller {
  private readonly events: StoryEvent[] = [];

  constructor(
    readonly random: Random,
    readonly account: Account,
  ) {}

  /** One of the busiest people: the simulator gives the first few most of the traffic, so they have history. */
  activePerson(): Person {
    const people = this.account.people.slice(0, 3).filter((p) => p.userType === 'user');
    return this.random.pick(people.length > 0 ? people : this.account.people);
  }

  /** A place on another continent, at least 3,000 km away. */
  farFrom(home: Place): Place {
    const far = PLACES.filter((p) => p.continent !== home.continent && distanceKm(p, home) > 3000);
    return this.random.pick(far);
  }

  /** An address none of the person's devices uses. */
  strangerIp(person: Person): string {
    const own = new Set(person.devices.map((d) => d.client.ip_address));
    for (;;) {
      const ip = ipAddress(this.random);
      if (!own.has(ip)) return ip;
    }
  }

  signIn(ms: number, who: Person, category: string, type: string, where: Place, client: Client): void {
    const at = { ms: Math.floor(ms / 1000) * 1000, ns: 0 };
    this.push('signinattempts', at, {
      uuid: base32Id(this.random),
      session_uuid: base32Id(this.random),
      timestamp: formatRfc3339(at, 'seconds'),
      category,
      type,
      country: where.iso,
      details: null,
      target_user: userDetails(who),
      client,
      location: locationOf(where),
      account_uuid: this.account.uuid,
    });
  }

  itemUsage(
    ms: number,
    who: Person,
    vaultUuid: string,
    item: { uuid: string; version: number },
    action: string,
    client: Client,
    where: Place,
  ): void {
    const at = { ms, ns: 0 };
    this.push('itemusages', at, {
      uuid: base32Id(this.random),
      timestamp: formatRfc3339(at, 'millis'),
      used_version: item.version,
      vault_uuid: vaultUuid,
      item_uuid: item.uuid,
      action,
      user: userDetails(who),
      client,
      location: locationOf(where),
      account_uuid: this.account.uuid,
    });
  }

  audit(ms: number, actor: Person, ip: string, where: Place, subject: Record<string, unknown>): void {
    const at = { ms, ns: this.random.int(0, 999_999) };
    this.push('auditevents', at, {
      uuid: base32Id(this.random),
      timestamp: formatRfc3339(at, 'nanos'),
      actor_uuid: actor.uuid,
      actor_details: userDetails(actor),
      actor_type: actor.userType,
      actor_account_uuid: actor.userAccountUuid,
      account_uuid: this.account.uuid,
      ...subject,
      session: {
        uuid: base32Id(this.random),
        login_time: formatRfc3339({ ms: ms - 20 * MINUTE, ns: this.random.int(0, 999_999) }, 'nanos'),
        device_uuid: base32Id(this.random).toLowerCase(),
        ip,
      },
      location: locationOf(where),
    });
  }

  story(name: StoryName, expects: readonly string[]): Story {
    const events = [...this.events].sort((a, b) => a.at.ms - b.at.ms || a.at.ns - b.at.ns);
    return { name, told: STORY_DESCRIPTIONS[name], expects, events };
  }

  private push(feature: Feature, at: Instant, event: SimEvent): void {
    this.events.push({ feature, event, at });
  }
}
