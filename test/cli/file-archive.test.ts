import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchBuilder } from '../../lambdas/shared/archive/batch';
import { FileArchive } from '../../lambdas/shared/archive/file-archive';
import { batchKey } from '../../lambdas/shared/archive/format';
import { IntegrityError } from '../../lambdas/shared/errors';
import { GENESIS_SHA256 } from '../../lambdas/shared/state-store';
import { temporaryDir } from './support';

async function sealed(...uuids: string[]) {
  const batch = new BatchBuilder('itemusages', 1000, 1024 * 1024);
  for (const uuid of uuids)
    batch.add({ uuid, timestamp: '2026-11-01T00:00:00Z', vault_uuid: 'v', item_uuid: 'i' });
  return batch.seal();
}

describe('the local archive folder', () => {
  const key = batchKey('', 'local', 'itemusages', '2026-11-01', 1);
  const object = async (...uuids: string[]) => ({
    key,
    source: 'local',
    stream: 'itemusages' as const,
    seq: 1,
    prevSha256: GENESIS_SHA256,
    batch: await sealed(...uuids),
  });

  it('stores an object once: the same batch again is success, another batch is an integrity error', async () => {
    const archive = new FileArchive(temporaryDir('file-archive'));
    const first = await object('a', 'b');

    await archive.put(first);
    await archive.put(first);
    const other = archive.put(await object('c'));

    await expect(other).rejects.toBeInstanceOf(IntegrityError);
    await expect(other).rejects.toThrow(/already exists with different content/);
    expect(await archive.find(key)).toEqual({ key, sha256: first.batch.sha256 });
    expect(await archive.find(batchKey('', 'local', 'itemusages', '2026-11-01', 2))).toBeUndefined();
  });

  it('lists objects under a prefix, but not sidecars, half-written files or the local state', async () => {
    const dir = temporaryDir('file-archive-list');
    const archive = new FileArchive(dir);
    await archive.put(await object('a'));
    mkdirSync(join(dir, '.state'), { recursive: true });
    writeFileSync(join(dir, '.state', 'CURRENT'), '');
    writeFileSync(join(dir, '.tmp', 'leftover'), '');

    const keys: string[] = [];
    for await (const entry of archive.list('source=local/')) keys.push(entry.key);
    const everything: string[] = [];
    for await (const entry of archive.list('')) everything.push(entry.key);

    expect(keys).toEqual([key]);
    expect(everything).toEqual([key]);
    expect(readdirSync(join(dir, 'source=local/type=itemusages/dt=2026-11-01')).sort()).toEqual([
      '000000000001.ndjson.gz',
      '000000000001.ndjson.gz.meta.json',
    ]);
  });

  it('refuses a key that would leave the folder', () => {
    expect(() => new FileArchive('/tmp/x').pathOf('source=a/../../etc/passwd')).toThrow(IntegrityError);
  });
});
