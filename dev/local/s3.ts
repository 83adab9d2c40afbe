import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface LocalS3 {
  readonly endpoint: string;
  /** Folder where s3rver keeps the objects. */
  readonly directory: string;
  close(): Promise<void>;
}

/**
 * Starts s3rver (S3's wire protocol, objects in a folder) on a free loopback port.
 * s3rver ignores Object Lock, checksums and `If-None-Match`; the collector's
 * exactly-once protocol does not rely on them.
 */
export async function startLocalS3(
  options: { directory?: string; buckets?: string[] } = {},
): Promise<LocalS3> {
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'op-events-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name, configs: [] })),
  });
  const address = (await server.run()) as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    directory,
    close: () => server.close(),
  };
}
