import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PageSource } from '../../lambdas/collector/stream-collector';
import { ArchiveWriter } from '../../lambdas/shared/archive/writer';
import { StateStore } from '../../lambdas/shared/state-store';
import { SimulatedCrash } from './faults';

/**
 * Kills a run at its n-th call to DynamoDB, S3 or the Events API, just before the call or
 * just after it took effect (the answer is then lost with the process). Once dead, every
 * call fails at once, as the calls of a dead process never happen; calls already in flight
 * complete, as requests already sent would.
 */
export class Killer {
  private calls = 0;
  private dead = false;

  constructor(
    private readonly killAt: number | undefined,
    private readonly when: 'before' | 'after',
  ) {}

  get killed(): boolean {
    return this.dead;
  }

  async around<T>(what: string, call: () => Promise<T>): Promise<T> {
    if (this.dead) throw new SimulatedCrash('the process is gone');
    this.calls += 1;
    const fatal = this.calls === this.killAt;
    if (fatal && this.when === 'before') this.die(what);
    const result = await call();
    if (fatal) this.die(what);
    return result;
  }

  private die(what: string): never {
    this.dead = true;
    throw new SimulatedCrash(`simulated crash ${this.when} call ${this.calls} (${what})`);
  }
}

/** The real state store, archive writer and Events API client, each call going through a {@link Killer}. */
export function mortalCollaborators(
  killer: Killer,
  clients: { documents: DynamoDBDocumentClient; s3: S3Client },
  names: { table: string; bucket: string },
): { state: StateStore; archive: ArchiveWriter; pageSource: (client: PageSource) => PageSource } {
  class MortalStateStore extends StateStore {}
  class MortalArchiveWriter extends ArchiveWriter {}
  const state = new MortalStateStore(clients.documents, names.table);
  const archive = new MortalArchiveWriter(clients.s3, names.bucket);
  for (const [target, methods] of [
    [
      state,
      [
        'get',
        'acquireLease',
        'recordIntent',
        'commitBatch',
        'abandonIntent',
        'discardIntent',
        'advanceCursor',
        'startCursorReset',
        'endCursorReset',
        'finishRun',
      ],
    ],
    [archive, ['put', 'find', 'archivedUuids']],
  ] as const) {
    for (const method of methods) {
      const record = target as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      const original = record[method]?.bind(target);
      if (!original) throw new Error(`no method ${method}`);
      record[method] = (...args) => killer.around(method, () => original(...args));
    }
  }
  return {
    state,
    archive,
    pageSource: (client) => ({
      baseUrl: client.baseUrl,
      fetchPage: (stream, request, deadline) =>
        killer.around('fetchPage', () => client.fetchPage(stream, request, deadline)),
    }),
  };
}
