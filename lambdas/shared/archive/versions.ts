/**
 * Keys of the archive that hold more than their one version. Archive keys are written once
 * (the bucket policy demands If-None-Match) and no writer deletes, so a second version, or a
 * delete marker, means someone replaced or hid evidence (an administrator, or someone who
 * lifted the bucket policy). Object Lock keeps the versions underneath; Athena, the SIEM and
 * a plain listing see only the newest.
 */
import { ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';

export interface StoredVersion {
  readonly versionId: string;
  readonly isLatest: boolean;
  /** A delete marker: the key looks deleted, the versions under it are kept. */
  readonly deleteMarker: boolean;
  readonly lastModified: string | undefined;
  readonly size: number | undefined;
}

export interface VersionFinding {
  /** `deleted`: the newest version is a delete marker; `overwritten`: several versions of an object. */
  readonly kind: 'deleted' | 'overwritten';
  readonly key: string;
  /** Newest first, as S3 lists them. */
  readonly versions: readonly StoredVersion[];
  readonly detail: string;
}

/**
 * Lists every version under `prefix` (ListObjectVersions, page by page: S3 gives one key's
 * versions together, newest first, possibly across a page boundary) and returns the keys with
 * more than one version or a delete marker. Only one key's versions are held at a time.
 */
export async function findRewrittenKeys(
  client: S3Client,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
): Promise<{ findings: VersionFinding[]; versionsListed: number }> {
  const findings: VersionFinding[] = [];
  let versionsListed = 0;
  let current: { key: string; versions: StoredVersion[] } | undefined;
  const close = () => {
    if (current) {
      const finding = judge(bucket, current.key, current.versions);
      if (finding) findings.push(finding);
    }
  };
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await client.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix,
        ...(keyMarker ? { KeyMarker: keyMarker } : {}),
        ...(versionIdMarker ? { VersionIdMarker: versionIdMarker } : {}),
      }),
      signal ? { abortSignal: signal } : {},
    );
    // Versions and delete markers come in two lists; in key order, newest first within a key.
    const entries = [
      ...(page.Versions ?? []).map((version) => ({ ...version, deleteMarker: false })),
      ...(page.DeleteMarkers ?? []).map((marker) => ({ ...marker, Size: undefined, deleteMarker: true })),
    ]
      .filter((entry) => entry.Key !== undefined)
      .sort(
        (a, b) =>
          (a.Key as string).localeCompare(b.Key as string) ||
          (b.LastModified?.getTime() ?? 0) - (a.LastModified?.getTime() ?? 0) ||
          Number(b.IsLatest ?? false) - Number(a.IsLatest ?? false),
      );
    for (const entry of entries) {
      versionsListed += 1;
      const key = entry.Key as string;
      if (current?.key !== key) {
        close();
        current = { key, versions: [] };
      }
      current.versions.push({
        versionId: entry.VersionId ?? 'null',
        isLatest: entry.IsLatest ?? false,
        deleteMarker: entry.deleteMarker,
        lastModified: entry.LastModified?.toISOString(),
        size: entry.Size,
      });
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
  close();
  return { findings, versionsListed };
}

function judge(bucket: string, key: string, versions: StoredVersion[]): VersionFinding | undefined {
  const objects = versions.filter((version) => !version.deleteMarker);
  const newest = versions.find((version) => version.isLatest) ?? versions[0];
  const original = objects.at(-1);
  const recover = original
    ? `aws s3api get-object --bucket ${bucket} --key ${key} --version-id ${original.versionId} original.ndjson.gz`
    : undefined;
  if (newest?.deleteMarker) {
    return {
      kind: 'deleted',
      key,
      versions,
      detail:
        `hidden by a delete marker (${newest.versionId}, ${newest.lastModified ?? 'time unknown'}): Athena and the SIEM no longer see it; ` +
        `${objects.length} version${objects.length === 1 ? '' : 's'} kept underneath` +
        (recover ? `. The original: ${recover}` : ''),
    };
  }
  if (objects.length > 1) {
    return {
      kind: 'overwritten',
      key,
      versions,
      detail:
        `${objects.length} versions, the current one written ${newest?.lastModified ?? '?'}; the first (${original?.versionId}, ` +
        `${original?.lastModified ?? '?'}) is the one the collector wrote` +
        (recover ? `. Read it: ${recover}` : ''),
    };
  }
  return undefined;
}
