import { parseBatchKey, streamPrefix } from '../../lambdas/shared/archive/format';
import { S3ArchiveSource } from '../../lambdas/shared/archive/source';
import { verifyStream } from '../../lambdas/shared/archive/verifier';
import type { EventType } from '../../lambdas/shared/event-types';
import { StateStore, streamKey } from '../../lambdas/shared/state-store';
import { SOURCE, type TestEnvironment, uuidsOf } from './environment';

/**
 * The archive of one stream holds every served event exactly once: no uuid twice, none
 * missing, one object per sequence number, and `verify` (chain, hashes, the state table's
 * head) finds nothing. Returns the stream's keys by sequence number.
 */
export async function expectExactlyOnce(
  env: TestEnvironment,
  stream: EventType,
  served: ReadonlyArray<{ uuid?: unknown }>,
): Promise<Map<number, string>> {
  const archived = await env.archived(stream);
  expect(archived).toHaveLength(served.length);
  expect(uuidsOf(archived)).toEqual(uuidsOf(served));

  const prefix = env.collectorEnv.ARCHIVE_PREFIX ?? '';
  const source = new S3ArchiveSource(env.aws.clients.s3, env.aws.bucket);
  const keys = new Map<number, string>();
  for await (const { key } of source.list(streamPrefix(prefix, SOURCE, stream))) {
    const seq = parseBatchKey(key)?.seq;
    if (seq === undefined) continue;
    expect({ seq, keys: [keys.get(seq), key].filter(Boolean) }).toEqual({ seq, keys: [key] });
    keys.set(seq, key);
  }

  const state = await new StateStore(env.aws.clients.documents, env.aws.tableName).get(
    streamKey(SOURCE, stream),
  );
  const verification = await verifyStream(source, {
    prefix,
    source: SOURCE,
    stream,
    ...(state ? { committed: { nextSeq: state.nextSeq, headSha256: state.prevSha256 } } : {}),
  });
  expect(verification.findings).toEqual([]);
  expect(verification.events).toBe(served.length);
  return keys;
}
