/**
 * The version scan of `verify`. s3rver does not implement ListObjectVersions, so S3 is stubbed
 * with responses shaped as S3 gives them: versions and delete markers in two lists, keys in
 * order, newest first, pages cut anywhere (one key's versions may span two pages).
 */
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { findRewrittenKeys } from '../../lambdas/shared/archive/versions';

const s3 = mockClient(S3Client);
afterEach(() => s3.reset());
afterAll(() => s3.restore());

const PREFIX = 'source=prod/type=auditevents/';
const key = (seq: number) => `${PREFIX}dt=2026-11-28/${String(seq).padStart(12, '0')}.ndjson.gz`;
const at = (minute: number) => new Date(Date.UTC(2026, 10, 28, 12, minute));
const version = (seq: number, id: string, minute: number, isLatest: boolean) => ({
  Key: key(seq),
  VersionId: id,
  IsLatest: isLatest,
  LastModified: at(minute),
  Size: 1000 + minute,
});

describe('findRewrittenKeys', () => {
  it('finds a replaced object and a hidden one, across pages, and nothing else', async () => {
    s3.on(ListObjectVersionsCommand, { Bucket: 'archive', Prefix: PREFIX, KeyMarker: undefined })
      .resolves({
        IsTruncated: true,
        NextKeyMarker: key(2),
        NextVersionIdMarker: 'v2-new',
        // seq 1: one version. seq 2: replaced at minute 40; its first version is on the next page.
        Versions: [version(1, 'v1', 1, true), version(2, 'v2-new', 40, true)],
      })
      .on(ListObjectVersionsCommand, {
        Bucket: 'archive',
        Prefix: PREFIX,
        KeyMarker: key(2),
        VersionIdMarker: 'v2-new',
      })
      .resolves({
        IsTruncated: false,
        Versions: [version(2, 'v2-old', 2, false), version(3, 'v3', 3, false), version(4, 'v4', 4, true)],
        // seq 3 hidden behind a delete marker.
        DeleteMarkers: [{ Key: key(3), VersionId: 'dm3', IsLatest: true, LastModified: at(50) }],
      });

    const { findings, versionsListed } = await findRewrittenKeys(
      new S3Client({ region: 'eu-west-1' }),
      'archive',
      PREFIX,
    );

    expect(versionsListed).toBe(6);
    expect(findings.map(({ kind, key: found }) => ({ kind, key: found }))).toEqual([
      { kind: 'overwritten', key: key(2) },
      { kind: 'deleted', key: key(3) },
    ]);
    expect(findings[0]?.versions.map((v) => v.versionId)).toEqual(['v2-new', 'v2-old']);
    expect(findings[0]?.detail).toContain('--version-id v2-old');
    expect(findings[1]?.detail).toMatch(
      /hidden by a delete marker \(dm3, 2026-11-28T12:50:00\.000Z\).*1 version kept underneath/,
    );
    expect(findings[1]?.detail).toContain('aws s3api get-object --bucket archive --key');
  });

  it('finds nothing in an archive where every key has its one version', async () => {
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [version(1, 'a', 1, true), version(2, 'b', 2, true)],
    });
    const { findings } = await findRewrittenKeys(new S3Client({ region: 'eu-west-1' }), 'archive', PREFIX);
    expect(findings).toEqual([]);
  });
});
