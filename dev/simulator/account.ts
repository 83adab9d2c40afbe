import { base32Id, type Random } from './random';
import { SHAPE_RATES } from './shape-rates';

/**
 * A small simulated 1Password account (people, devices, vaults, groups) so that generated events
 * look like one organisation: the same users, vaults and items recur across all three feeds.
 */
export interface Place {
  country: string;
  iso: string;
  continent: string;
  region: string;
  city: string;
  latitude: number;
  longitude: number;
}

export interface Client {
  app_name: string;
  app_version: string;
  platform_name: string;
  platform_version: string;
  os_name: string;
  os_version: string;
  ip_address: string;
}

export interface Device {
  /** Lower-case base32, as device uuids mostly appear in payloads, or a hyphenated RFC 4122 uuid. */
  uuid: string;
  client: Client;
}

export interface Person {
  uuid: string;
  name: string;
  email: string;
  userType: 'user' | 'external_user';
  userAccountUuid: string;
  home: Place;
  devices: Device[];
}

export interface Vault {
  uuid: string;
  items: { uuid: string; version: number }[];
}

export interface Account {
  uuid: string;
  people: Person[];
  vaults: Vault[];
  groups: string[];
  serviceAccounts: string[];
}

export const PLACES: readonly Place[] = [
  place('Canada', 'CA', 'North America', 'Ontario', 'Toronto', 43.64, -79.433),
  place('United States', 'US', 'North America', 'California', 'San Francisco', 37.7749, -122.4194),
  place('United States', 'US', 'North America', 'New York', 'New York', 40.7128, -74.006),
  place('United Kingdom', 'GB', 'Europe', 'England', 'London', 51.5072, -0.1276),
  place('Germany', 'DE', 'Europe', 'Berlin', 'Berlin', 52.52, 13.405),
  place('France', 'FR', 'Europe', 'Ile-de-France', 'Paris', 48.8566, 2.3522),
  place('Argentina', 'AR', 'South America', 'Buenos Aires', 'Buenos Aires', -34.6037, -58.3816),
  place('Brazil', 'BR', 'South America', 'São Paulo', 'São Paulo', -23.5505, -46.6333),
  place('Sweden', 'SE', 'Europe', 'Östergötland', 'Linköping', 58.4108, 15.6214),
  place('Japan', 'JP', 'Asia', 'Tokyo', 'Tokyo', 35.6762, 139.6503),
  place('India', 'IN', 'Asia', 'Karnataka', 'Bengaluru', 12.9716, 77.5946),
  place('Australia', 'AU', 'Oceania', 'New South Wales', 'Sydney', -33.8688, 151.2093),
  place('Netherlands', 'NL', 'Europe', 'North Holland', 'Amsterdam', 52.3676, 4.9041),
  place('Israel', 'IL', 'Asia', 'Tel Aviv', 'Tel Aviv', 32.0853, 34.7818),
];

const FIRST_NAMES = [
  'Wendy',
  'Jack',
  'Amara',
  'Bruno',
  'Chen',
  'Dana',
  'Elif',
  'Farid',
  'Greta',
  'Hiro',
  'Ines',
  'Jonas',
  'Kavya',
  'Liam',
  'Marta',
  'Nils',
  'Olu',
  'Priya',
  'Quinn',
  'Rosa',
  'Sami',
  'Tomás',
  'Uma',
  'Viktor',
];
const LAST_NAMES = [
  'Appleseed',
  "O'Neill",
  'Okafor',
  'Silva',
  'Wei',
  'Kowalski',
  'Yilmaz',
  'Haddad',
  'Lindqvist',
  'Tanaka',
  'García',
  'Becker',
  'Raman',
  'Murphy',
  'Rossi',
  'Nakamura',
  'Dubois',
  'Novak',
  'Costa',
  'Schmidt',
];

/** Private/documentation address ranges only: generated data must not point at real hosts. */
export function ipAddress(random: Random): string {
  if (random.chance(0.08))
    return `2001:db8:${random.int(1, 0xffff).toString(16)}::${random.int(1, 0xffff).toString(16)}`;
  const prefix = random.pick(['192.0.2', '198.51.100', '203.0.113']);
  return `${prefix}.${random.int(1, 254)}`;
}

const BROWSERS: readonly (readonly [string, (r: Random) => string])[] = [
  ['Chrome', (r) => `1${r.int(22, 31)}.0.${r.int(6000, 6999)}.${r.int(40, 220)}`],
  ['Firefox', (r) => `1${r.int(20, 34)}.0`],
  ['Edge', (r) => `1${r.int(22, 31)}.0.${r.int(2000, 2999)}.${r.int(40, 99)}`],
  ['Safari', (r) => `17.${r.int(1, 6)}`],
];

/** Desktop and mobile app builds look like 81024003 (8.10.24, build 003). */
function appVersion(random: Random): string {
  return `8${random.pick(['10', '11'])}${random.int(10, 49)}0${random.int(0, 3)}${random.int(0, 9)}`;
}

function makeDevice(random: Random, person: { first: string }): Device {
  const ip = ipAddress(random);
  const kind = random.weighted([
    ['extension', 40],
    ['mac', 18],
    ['windows', 14],
    ['ios', 12],
    ['android', 8],
    ['cli', 5],
    ['web', 3],
  ] as const);
  const macOs = () => `14.${random.int(0, 6)}.${random.int(0, 2)}`;
  let client: Omit<Client, 'ip_address'>;
  switch (kind) {
    case 'extension':
    case 'web': {
      const [browser, version] = random.pick(BROWSERS);
      const os = random.weighted([
        ['MacOSX', 5],
        ['Windows', 4],
        ['Linux', 1],
      ] as const);
      const extension = random.chance(SHAPE_RATES.device.olderExtensionName)
        ? '1Password Extension'
        : '1Password Browser Extension';
      client = {
        app_name: kind === 'web' ? '1Password for Web' : extension,
        app_version: kind === 'web' ? String(random.int(1700, 1900)) : String(random.int(20100, 20299)),
        platform_name: browser,
        platform_version: version(random),
        os_name: os,
        os_version: os === 'MacOSX' ? macOs() : os === 'Windows' ? '10.0.22631' : '6.8.0',
      };
      break;
    }
    case 'mac':
      client = {
        app_name: '1Password for Mac',
        app_version: appVersion(random),
        platform_name: `US - C02${base32Id(random).slice(0, 7)}`,
        platform_version: random.pick(['MacBookPro16,1', 'MacBookPro18,3', 'Mac14,2', 'Mac15,6']),
        os_name: 'MacOSX',
        os_version: macOs(),
      };
      break;
    case 'windows':
      client = {
        app_name: '1Password for Windows',
        app_version: appVersion(random),
        platform_name: `DESKTOP-${base32Id(random).slice(0, 7)}`,
        platform_version: random.pick(['Dell Inc. Latitude 7440', 'LENOVO 21HM', 'HP EliteBook 840 G10']),
        os_name: 'Windows',
        os_version: random.pick(['10.0.22631', '10.0.19045', '10.0.26100']),
      };
      break;
    case 'ios':
      client = {
        app_name: '1Password for iOS',
        app_version: appVersion(random),
        platform_name: `${person.first}'s iPhone`,
        platform_version: random.pick(['iPhone15,2', 'iPhone16,1', 'iPhone14,5']),
        os_name: 'iOS',
        os_version: `17.${random.int(0, 6)}.${random.int(0, 1)}`,
      };
      break;
    case 'android':
      client = {
        app_name: '1Password for Android',
        app_version: appVersion(random),
        platform_name: random.pick(['Pixel 8', 'SM-S918B', 'Pixel 7a']),
        platform_version: random.pick(['Google Pixel 8', 'samsung SM-S918B', 'Google Pixel 7a']),
        os_name: 'Android',
        os_version: random.pick(['13', '14', '15']),
      };
      break;
    case 'cli':
      client = {
        app_name: '1Password CLI',
        app_version: `20${random.int(24, 31)}00${random.int(1, 3)}`,
        platform_name: random.pick(['arm64', 'x86_64']),
        platform_version: '',
        os_name: random.pick(['MacOSX', 'Linux']),
        os_version: random.pick(['14.4.1', '6.8.0-45-generic']),
      };
      break;
  }
  const uuid = random.chance(SHAPE_RATES.device.hyphenatedUuid)
    ? rfc4122Uuid(random)
    : base32Id(random).toLowerCase();
  return { uuid, client: { ...client, ip_address: ip } };
}

/** A random (version 4) uuid, written as RFC 4122 does: `553aee6b-7da1-4043-84ab-86ff036035bf`. */
function rfc4122Uuid(random: Random): string {
  const hex = Array.from({ length: 4 }, () => random.uint32().toString(16).padStart(8, '0')).join('');
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function createAccount(random: Random, accountUuid: string): Account {
  const people: Person[] = [];
  const peopleCount = random.int(16, 24);
  const usedNames = new Set<string>();
  while (people.length < peopleCount) {
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    const name = `${first} ${last}`;
    if (usedNames.has(name)) continue;
    usedNames.add(name);
    // A managed-service-provider technician now and then: the v2 MSP fields then differ from the account.
    const external = people.length > 0 && random.chance(0.06);
    const emailLocal = `${first}.${last}`
      .normalize('NFD')
      .replace(/[^A-Za-z.]/g, '')
      .toLowerCase();
    const person: Person = {
      uuid: base32Id(random),
      name,
      email: `${emailLocal}@${external ? 'msp-partner.example' : 'example.com'}`,
      userType: external ? 'external_user' : 'user',
      userAccountUuid: external ? base32Id(random) : accountUuid,
      home: random.pick(PLACES),
      devices: [],
    };
    const deviceCount = random.int(1, 3);
    for (let i = 0; i < deviceCount; i++) person.devices.push(makeDevice(random, { first }));
    people.push(person);
  }
  const vaults: Vault[] = [];
  const vaultCount = random.int(6, 10);
  for (let v = 0; v < vaultCount; v++) {
    const items = [];
    const itemCount = random.int(5, 25);
    for (let i = 0; i < itemCount; i++) {
      items.push({ uuid: base32Id(random).toLowerCase(), version: random.int(1, 15) });
    }
    vaults.push({ uuid: base32Id(random).toLowerCase(), items });
  }
  const groups = Array.from({ length: random.int(4, 7) }, () => base32Id(random));
  const serviceAccounts = Array.from({ length: random.int(1, 3) }, () => base32Id(random));
  return { uuid: accountUuid, people, vaults, groups, serviceAccounts };
}

/** A device somewhere new, for sign-in attempts by strangers and the occasional traveller. */
export function strangerDevice(random: Random): Device {
  return makeDevice(random, { first: random.pick(FIRST_NAMES) });
}

function place(
  country: string,
  iso: string,
  continent: string,
  region: string,
  city: string,
  latitude: number,
  longitude: number,
): Place {
  return { country, iso, continent, region, city, latitude, longitude };
}
