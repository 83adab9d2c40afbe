import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ArchiveWriter, type BatchObject } from '../../lambdas/shared/archive/writer';
import { type BatchIntent, StateStore, type StreamState } from '../../lambdas/shared/state-store';

/** Stands for the process dying: after it, the "dead" collaborators refuse every call. */
export class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
}

/** Where, in the protocol of the n-th batch, the process dies. */
export type CrashPoint =
  | 'after-fetch' // the batch was fetched; its intent was never recorded
  | 'after-intent' // the intent is recorded; the object was never written
  | 'after-write' // the object is in S3; the cursor was never committed
  | 'after-commit'; // committed, but the lease was never released

/**
 * The real state store and archive writer, talking to dynalite and s3rver, with a crash
 * injected at one step of one batch. Once crashed, every later call fails, as the calls of
 * a dead process would never happen: the lease stays held and the intent stays pending.
 */
export function crashingCollaborators(
  clients: { documents: DynamoDBDocumentClient; s3: S3Client },
  names: { table: string; bucket: string },
  crash: { at: CrashPoint; batch: number },
): { state: StateStore; archive: ArchiveWriter; crashed: () => boolean } {
  let dead = false;
  let batches = 0;
  const die = (): never => {
    dead = true;
    throw new SimulatedCrash(`simulated crash ${crash.at} of batch ${crash.batch}`);
  };
  const alive = () => {
    if (dead) throw new SimulatedCrash('the process is gone');
  };

  class CrashingStateStore extends StateStore {
    override async acquireLease(...args: Parameters<StateStore['acquireLease']>) {
      alive();
      return super.acquireLease(...args);
    }
    override async recordIntent(state: StreamState, owner: string, intent: BatchIntent) {
      alive();
      batches += 1;
      if (crash.at === 'after-fetch' && batches === crash.batch) die();
      await super.recordIntent(state, owner, intent);
      if (crash.at === 'after-intent' && batches === crash.batch) die();
    }
    override async commitBatch(state: StreamState, owner: string, intent: BatchIntent, now: number) {
      alive();
      const committed = await super.commitBatch(state, owner, intent, now);
      if (crash.at === 'after-commit' && batches === crash.batch) die();
      return committed;
    }
    override async discardIntent(...args: Parameters<StateStore['discardIntent']>) {
      alive();
      return super.discardIntent(...args);
    }
    override async advanceCursor(...args: Parameters<StateStore['advanceCursor']>) {
      alive();
      return super.advanceCursor(...args);
    }
    override async finishRun(...args: Parameters<StateStore['finishRun']>) {
      alive();
      return super.finishRun(...args);
    }
  }

  class CrashingArchiveWriter extends ArchiveWriter {
    override async put(object: BatchObject) {
      alive();
      await super.put(object);
      if (crash.at === 'after-write' && batches === crash.batch) die();
    }
    override async find(key: string) {
      alive();
      return super.find(key);
    }
  }

  return {
    state: new CrashingStateStore(clients.documents, names.table),
    archive: new CrashingArchiveWriter(clients.s3, names.bucket),
    crashed: () => dead,
  };
}
