/**
 * The detector's history in DynamoDB, against dynalite: compare-and-set writes that two
 * writers cannot lose each other's entries through, and expiry decided on read (dynalite has
 * no TTL; AWS deletes expired items up to days late).
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { type LocalAws, startLocalAws } from '../../dev/local/aws';
import { DynamoHistory } from '../../lambdas/shared/detections/history';

describe('DynamoHistory', () => {
  let aws: LocalAws;
  beforeAll(async () => {
    aws = await startLocalAws();
  });
  afterAll(() => aws.close());

  const history = () => new DynamoHistory(aws.clients.documents, aws.tableName);

  it('returns what is live, forgets what expired, and sets the item’s TTL to its last expiry', async () => {
    const store = history();
    await store.remember('k1', { id: 'a', at: 1_000, expiresAt: 2_000 });
    const live = await store.remember('k1', {
      id: 'b',
      at: 1_500,
      expiresAt: 9_000,
      data: { ip: '198.51.100.7' },
    });
    expect(live.map((entry) => entry.id)).toEqual(['a', 'b']);
    expect((await store.recall('k1', 2_000)).map((entry) => entry.id)).toEqual(['b']);
    expect(await store.recall('k1', 9_000)).toEqual([]);
    const { Item } = await aws.clients.documents.send(
      new GetCommand({ TableName: aws.tableName, Key: { pk: 'history#k1' } }),
    );
    expect(Item).toMatchObject({ expiresAt: 9, version: 2 });
  });

  it('loses no entry when writers race on one key', async () => {
    const writers = Array.from({ length: 8 }, (_, i) =>
      history().remember('k2', { id: `e${i}`, at: 10 + i, expiresAt: 1_000 }),
    );
    await Promise.all(writers);
    expect((await history().recall('k2', 100)).map((entry) => entry.id).sort()).toEqual([
      'e0',
      'e1',
      'e2',
      'e3',
      'e4',
      'e5',
      'e6',
      'e7',
    ]);
  });

  it('keeps at most the limit, the newest', async () => {
    const store = history();
    for (let i = 0; i < 6; i++) await store.remember('k3', { id: `e${i}`, at: i, expiresAt: 1_000 }, 3);
    expect((await store.recall('k3', 5)).map((entry) => entry.id)).toEqual(['e3', 'e4', 'e5']);
  });
});
