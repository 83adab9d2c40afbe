import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

const user = (uuid: string, name: string) => ({
  uuid,
  name,
  email: `${name.split(' ')[0]?.toLowerCase()}@example.com`,
});
export const ALICE = user('AAAAAAAAAAAAAAAAAAAAAAAAAA', 'Alice Appleseed');
export const BOB = user('BBBBBBBBBBBBBBBBBBBBBBBBBB', 'Bob "Bobby" Tables');

/** A handful of hand-written events in the bucket's layout, for the command-line tests. */
export function writeSmallArchive(now: Date): string {
  const dir = mkdtempSync(join(tmpdir(), 'op-small-archive-'));
  const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * 3_600_000).toISOString();
  const dt = now.toISOString().slice(0, 10);
  const write = (stream: string, events: object[]) => {
    const path = join(dir, `source=acme/type=${stream}/dt=${dt}/000000000001.ndjson.gz`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, gzipSync(`${events.map((event) => JSON.stringify(event)).join('\n')}\n`));
  };
  write('itemusages', [
    { uuid: 'I1', timestamp: at(1), vault_uuid: 'vault1', item_uuid: 'item1', action: 'reveal', user: ALICE },
    { uuid: 'I2', timestamp: at(2), vault_uuid: 'vault1', item_uuid: 'item1', action: 'fill', user: BOB },
    {
      uuid: 'I3',
      timestamp: at(3),
      vault_uuid: 'vault1',
      item_uuid: 'item2',
      action: 'secure-copy',
      user: BOB,
    },
  ]);
  write('signinattempts', [
    {
      uuid: 'S1',
      timestamp: at(1),
      category: 'credentials_failed',
      type: 'password_secret_bad',
      country: 'DE',
      target_user: BOB,
    },
    {
      uuid: 'S2',
      timestamp: at(2),
      category: 'success',
      type: 'credentials_ok',
      country: 'CA',
      target_user: ALICE,
    },
  ]);
  mkdirSync(join(dir, 'lookups/vaults'), { recursive: true });
  writeFileSync(join(dir, 'lookups/vaults/vaults.csv'), 'vault_uuid,name\nvault1,"Finance, shared"\n');
  return dir;
}
