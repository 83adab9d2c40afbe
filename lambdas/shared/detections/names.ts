/**
 * Vault and item names for the messages people read: the Events API gives uuids only, and
 * operators upload the names as CSV under `{prefix}lookups/` (README, "Readable names:
 * lookups"), the same files Athena reads.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3ArchiveSource } from '../archive/source';

export interface Names {
  vault(uuid: string): string | undefined;
  item(uuid: string): string | undefined;
}

export const NO_NAMES: Names = { vault: () => undefined, item: () => undefined };

/** Rows of a CSV text (RFC 4180: quoted fields, doubled quotes, commas and line breaks inside quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[index + 1] === '\n') index++;
      row.push(field);
      if (row.some((value) => value !== '')) rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  row.push(field);
  if (row.some((value) => value !== '')) rows.push(row);
  return rows;
}

/** `uuid → name` from CSV texts whose header names `uuidColumn` and `nameColumn`; uuids match in any case. */
export function namesFromCsv(
  texts: readonly string[],
  uuidColumn: string,
  nameColumn: string,
): Map<string, string> {
  const names = new Map<string, string>();
  for (const text of texts) {
    const [header = [], ...rows] = parseCsv(text.replace(/^\uFEFF/, ''));
    const columns = header.map((name) => name.trim().toLowerCase());
    const uuidAt = columns.indexOf(uuidColumn);
    const nameAt = columns.indexOf(nameColumn);
    if (uuidAt < 0 || nameAt < 0) continue;
    for (const row of rows) {
      const uuid = row[uuidAt]?.trim().toLowerCase();
      const name = row[nameAt]?.trim();
      if (uuid && name) names.set(uuid, name);
    }
  }
  return names;
}

/**
 * The lookups in the archive bucket, read at most once per `maxAgeMs` and kept in memory.
 * Names only decorate a message: when they cannot be read, the message shows uuids.
 */
export class S3Names {
  private loaded: { at: number; vaults: Map<string, string>; items: Map<string, string> } | undefined;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly onError: (error: unknown) => void,
    private readonly maxAgeMs = 15 * 60_000,
  ) {}

  async current(now: number): Promise<Names> {
    if (!this.loaded || now - this.loaded.at > this.maxAgeMs) {
      try {
        const [vaults, items] = await Promise.all([this.read('vaults/'), this.read('items/')]);
        this.loaded = {
          at: now,
          vaults: namesFromCsv(vaults, 'vault_uuid', 'name'),
          items: namesFromCsv(items, 'item_uuid', 'title'),
        };
      } catch (error) {
        this.onError(error);
        // Try again on the next message, not on every finding of this one.
        this.loaded = { at: now - this.maxAgeMs + 60_000, vaults: new Map(), items: new Map() };
      }
    }
    const { vaults, items } = this.loaded;
    return {
      vault: (uuid) => vaults.get(uuid.toLowerCase()),
      item: (uuid) => items.get(uuid.toLowerCase()),
    };
  }

  private async read(table: string): Promise<string[]> {
    const texts: string[] = [];
    const folder = `${this.prefix}lookups/${table}`;
    for await (const entry of new S3ArchiveSource(this.s3, this.bucket).list(folder)) {
      if (!entry.key.toLowerCase().endsWith('.csv')) continue;
      const response = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: entry.key }));
      texts.push((await response.Body?.transformToString('utf8')) ?? '');
    }
    return texts;
  }
}
