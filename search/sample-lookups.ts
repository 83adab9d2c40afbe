/**
 * Made-up vault names and item titles for an archive of simulated events (the demo, the
 * tests), written where an operator drops the real ones: the Events API carries vault and
 * item uuids only, and the report reads much better with names.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLocalArchive } from './local-archive';
import { LOOKUP_TABLES } from './schema';

const VAULT_NAMES = [
  'Engineering',
  'Infrastructure',
  'Finance',
  'Security',
  'Marketing',
  'Customer Support',
  'Leadership',
  'People & HR',
  'Legal',
  'Office',
  'Sales',
  'Data Platform',
];

const ITEM_TITLES = [
  'AWS root account',
  'GitHub deploy key',
  'Stripe API key',
  'Office Wi-Fi',
  'Okta admin',
  'PagerDuty',
  'Datadog API key',
  'Production database',
  'VPN certificate',
  'Slack workspace admin',
  'Google Workspace admin',
  'Jira service account',
  'Payroll portal',
  'Bank of Example, business account',
  'Corporate card',
  'Domain registrar',
  'Cloudflare',
  'LinkedIn company page',
  'Zendesk admin',
  '"Break glass" admin',
  'Terraform Cloud token',
  'Snowflake analyst',
  'npm publish token',
  'Apple Developer account',
  'Docker Hub',
  'Salesforce admin',
  'HubSpot',
  'Figma team',
  'SSH bastion key',
  'Kubernetes cluster admin',
  'Sentry',
  'Expense tool',
  'Tax office login',
  'Building alarm code',
  'Printer admin',
  'Conference room displays',
];

/** Tells apart items that share a title, as real vaults do. */
const QUALIFIERS = ['staging', 'EU', 'backup', 'US', 'read-only', 'old', 'team', 'test'];

/**
 * Writes `lookups/vaults/vaults.csv` and `lookups/items/items.csv` under `archiveDir` for every
 * vault and item its item usages mention; the same uuid always gets the same name.
 */
export async function writeSampleLookups(archiveDir: string): Promise<{ vaults: number; items: number }> {
  const archive = await openLocalArchive(archiveDir);
  let rows: { vault: string; item: string }[];
  try {
    const result = await archive.query(
      'SELECT DISTINCT vault_uuid, item_uuid FROM itemusages WHERE vault_uuid IS NOT NULL AND item_uuid IS NOT NULL ORDER BY 1, 2',
    );
    rows = result.rows.map((row) => ({ vault: String(row.vault_uuid), item: String(row.item_uuid) }));
  } finally {
    archive.close();
  }
  // Ordered by hash, so which vault is "Finance" does not follow from the uuids' order.
  const vaults = [...new Set(rows.map((row) => row.vault))].sort(
    (a, b) => hash(a) - hash(b) || a.localeCompare(b),
  );
  const vaultNames = new Map(
    vaults.map((uuid, index) => {
      const name = VAULT_NAMES[index % VAULT_NAMES.length] ?? 'Shared';
      return [
        uuid,
        index < VAULT_NAMES.length ? name : `${name} ${Math.floor(index / VAULT_NAMES.length) + 1}`,
      ];
    }),
  );
  const used = new Map<string, number>();
  const items = rows.map((row) => {
    const base = ITEM_TITLES[hash(row.item) % ITEM_TITLES.length] ?? 'Login';
    const seen = (used.get(base) ?? 0) + 1;
    used.set(base, seen);
    const qualifier = QUALIFIERS[(seen - 2) % QUALIFIERS.length] ?? '';
    const round = Math.floor((seen - 2) / QUALIFIERS.length);
    return { ...row, title: seen === 1 ? base : `${base} (${qualifier}${round > 0 ? ` ${round + 1}` : ''})` };
  });

  const [vaultTable, itemTable] = LOOKUP_TABLES;
  const vaultCsv = [
    'vault_uuid,name',
    ...vaults.map((uuid) => `${uuid},${csv(vaultNames.get(uuid) ?? uuid)}`),
  ];
  const itemCsv = [
    'item_uuid,vault_uuid,title',
    ...items.map((row) => `${row.item},${row.vault},${csv(row.title)}`),
  ];
  writeCsv(join(archiveDir, vaultTable?.folder ?? 'lookups/vaults/', 'vaults.csv'), vaultCsv);
  writeCsv(join(archiveDir, itemTable?.folder ?? 'lookups/items/', 'items.csv'), itemCsv);
  return { vaults: vaults.length, items: items.length };
}

function hash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

/** RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled. */
function csv(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function writeCsv(path: string, lines: readonly string[]): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `${lines.join('\n')}\n`);
}
