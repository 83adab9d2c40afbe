/**
 * Country names to ISO 3166-1 alpha-2 codes. 1Password documents `country` as a code, and
 * real events carry names as well ("France" next to "FR"). The names come from the runtime's
 * own CLDR data (`Intl.DisplayNames`), in English, plus the other spellings seen in events
 * and geolocation databases; case and accents do not matter.
 */
const ALIASES: Record<string, string> = {
  'united states of america': 'US',
  usa: 'US',
  'great britain': 'GB',
  myanmar: 'MM',
  burma: 'MM',
  'czech republic': 'CZ',
  'republic of korea': 'KR',
  korea: 'KR',
  'viet nam': 'VN',
  turkey: 'TR',
  'russian federation': 'RU',
  'iran, islamic republic of': 'IR',
  'the netherlands': 'NL',
  holland: 'NL',
  'hong kong sar china': 'HK',
  'macao sar china': 'MO',
};

const fold = (name: string) =>
  name
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();

/** Codes CLDR still names that are no country today (withdrawn, or groupings), so that "Germany" is DE, not DD. */
const NOT_COUNTRIES = new Set([
  'AN',
  'BU',
  'CS',
  'DD',
  'EU',
  'EZ',
  'FX',
  'NT',
  'QO',
  'SU',
  'TP',
  'UK',
  'UN',
  'YD',
  'YU',
  'ZR',
  'ZZ',
]);

const BY_NAME = new Map<string, string>();
{
  const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  for (const first of letters) {
    for (const second of letters) {
      const code = `${first}${second}`;
      const name = names.of(code);
      if (name && name !== code && !NOT_COUNTRIES.has(code)) BY_NAME.set(fold(name), code);
    }
  }
  for (const [alias, code] of Object.entries(ALIASES)) BY_NAME.set(alias, code);
}

/** The ISO code of a code or a country name; `undefined` for anything else (left as sent by the caller). */
export function countryCode(value: string): string | undefined {
  const trimmed = value.trim();
  if (/^[A-Za-z]{2}$/.test(trimmed)) {
    const code = trimmed.toUpperCase();
    // "UK" is reserved for the United Kingdom, whose code is GB.
    return code === 'UK' ? 'GB' : code;
  }
  return BY_NAME.get(fold(trimmed));
}
