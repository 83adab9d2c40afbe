import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { EventType } from './event-types';

/** SHA-256 that the first batch of a stream names as its predecessor. */
export const GENESIS_SHA256 = '0'.repeat(64);

/** A batch the stream is about to write: recorded before the object, cleared by the commit. */
export interface BatchIntent {
  readonly seq: number;
  readonly key: string;
  /** The cursor the stream moves to once the object is durable. */
  readonly cursorAfter: string;
  /** SHA-256 (hex) of the batch's uncompressed body, also in the object's metadata. */
  readonly sha256: string;
  readonly eventCount: number;
  readonly newestEventTime: string | undefined;
  readonly createdAt: string;
}

/** The state item of one stream: lease, cursor, chain position and pending batch. */
export interface StreamState {
  readonly pk: string;
  readonly source: string;
  readonly stream: EventType;
  readonly cursor: string | undefined;
  /** Bumped by every cursor change; cursor writes compare-and-set on it. */
  readonly cursorVersion: number;
  /** The Events API base URL the cursor belongs to; a cursor is never sent to another host. */
  readonly apiUrl: string | undefined;
  readonly nextSeq: number;
  readonly prevSha256: string;
  readonly pending: BatchIntent | undefined;
  readonly leaseOwner: string | undefined;
  readonly leaseExpiresAt: number | undefined;
  readonly eventsArchived: number;
  readonly objectsWritten: number;
  readonly newestEventTime: string | undefined;
  readonly lastRunAt: string | undefined;
  readonly lastSuccessAt: string | undefined;
  readonly lastError: string | undefined;
}

export type LeaseResult =
  | { readonly acquired: true; readonly state: StreamState }
  | { readonly acquired: false; readonly heldBy: string | undefined; readonly until: number | undefined };

/** Thrown when a conditional write finds that this invocation no longer owns the stream. */
export class StaleWriteError extends Error {
  override readonly name = 'StaleWriteError';
}

/** The state item of a source's stream. Every item of a source starts with `<source>#` (the IAM leading-key condition). */
export function streamKey(source: string, stream: EventType): string {
  return `${source}#${stream}`;
}

/**
 * The DynamoDB state table (partition key `pk`, one item per stream). Every write is a
 * single-item conditional update: the lease is taken with an expiry, and every later write
 * requires that this invocation still holds it (a fencing check), plus the expected cursor
 * version for cursor changes. No transactions are needed, and none are used.
 */
export class StateStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The state item under `pk` (see {@link streamKey}), read consistently. */
  async get(pk: string): Promise<StreamState | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk }, ConsistentRead: true }),
    );
    return Item ? toState(Item) : undefined;
  }

  /** Takes the lease of the item `pk` if it is free, expired, or already ours; creates the item on first use. */
  async acquireLease(
    pk: string,
    source: string,
    stream: EventType,
    owner: string,
    expiresAt: number,
    now: number,
  ): Promise<LeaseResult> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression:
            'SET leaseOwner = :owner, leaseExpiresAt = :expiresAt, #source = :source, #stream = :stream, ' +
            'cursorVersion = if_not_exists(cursorVersion, :zero), nextSeq = if_not_exists(nextSeq, :one), ' +
            'prevSha256 = if_not_exists(prevSha256, :genesis), lastRunAt = :nowIso',
          ConditionExpression:
            'attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now OR leaseOwner = :owner',
          ExpressionAttributeNames: { '#source': 'source', '#stream': 'stream' },
          ExpressionAttributeValues: {
            ':owner': owner,
            ':expiresAt': expiresAt,
            ':source': source,
            ':stream': stream,
            ':zero': 0,
            ':one': 1,
            ':genesis': GENESIS_SHA256,
            ':now': now,
            ':nowIso': new Date(now).toISOString(),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { acquired: true, state: toState(Attributes ?? {}) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const current = await this.get(pk);
      return { acquired: false, heldBy: current?.leaseOwner, until: current?.leaseExpiresAt };
    }
  }

  /** Step 1 of a batch: record what is about to be written, before the object exists. */
  async recordIntent(state: StreamState, owner: string, intent: BatchIntent): Promise<void> {
    await this.conditional(
      {
        Key: { pk: state.pk },
        UpdateExpression: 'SET pending = :intent',
        ConditionExpression:
          'leaseOwner = :owner AND cursorVersion = :version AND attribute_not_exists(pending)',
        ExpressionAttributeValues: {
          ':intent': stripUndefined(intent),
          ':owner': owner,
          ':version': state.cursorVersion,
        },
      },
      `record batch ${intent.seq}`,
    );
  }

  /** Step 3 of a batch: the object is durable; move the cursor and the chain past it. */
  async commitBatch(
    state: StreamState,
    owner: string,
    intent: BatchIntent,
    now: number,
  ): Promise<StreamState> {
    const newest = laterOf(state.newestEventTime, intent.newestEventTime);
    await this.conditional(
      {
        Key: { pk: state.pk },
        UpdateExpression:
          'SET #cursor = :cursor, cursorVersion = :nextVersion, nextSeq = :nextSeq, prevSha256 = :sha, ' +
          'lastCommitAt = :nowIso' +
          (newest === undefined ? '' : ', newestEventTime = :newest') +
          ' ADD eventsArchived :events, objectsWritten :one REMOVE pending',
        ConditionExpression: 'leaseOwner = :owner AND cursorVersion = :version AND pending.seq = :seq',
        ExpressionAttributeNames: { '#cursor': 'cursor' },
        ExpressionAttributeValues: {
          ':cursor': intent.cursorAfter,
          ':nextVersion': state.cursorVersion + 1,
          ':nextSeq': intent.seq + 1,
          ':sha': intent.sha256,
          ':nowIso': new Date(now).toISOString(),
          ...(newest === undefined ? {} : { ':newest': newest }),
          ':events': intent.eventCount,
          ':one': 1,
          ':owner': owner,
          ':version': state.cursorVersion,
          ':seq': intent.seq,
        },
      },
      `commit batch ${intent.seq}`,
    );
    return {
      ...state,
      cursor: intent.cursorAfter,
      cursorVersion: state.cursorVersion + 1,
      nextSeq: intent.seq + 1,
      prevSha256: intent.sha256,
      pending: undefined,
      eventsArchived: state.eventsArchived + intent.eventCount,
      objectsWritten: state.objectsWritten + 1,
      newestEventTime: newest,
    };
  }

  /** Drops an intent whose object was never written; the cursor has not moved, so nothing is lost. */
  async discardIntent(state: StreamState, owner: string, intent: BatchIntent): Promise<StreamState> {
    await this.conditional(
      {
        Key: { pk: state.pk },
        UpdateExpression: 'REMOVE pending',
        ConditionExpression: 'leaseOwner = :owner AND pending.seq = :seq',
        ExpressionAttributeValues: { ':owner': owner, ':seq': intent.seq },
      },
      `discard batch ${intent.seq}`,
    );
    return { ...state, pending: undefined };
  }

  /** Moves the cursor past pages that held no event (nothing to write, nothing to lose). */
  async advanceCursor(
    state: StreamState,
    owner: string,
    cursor: string,
    apiUrl: string,
  ): Promise<StreamState> {
    await this.conditional(
      {
        Key: { pk: state.pk },
        UpdateExpression: 'SET #cursor = :cursor, cursorVersion = :nextVersion, apiUrl = :apiUrl',
        ConditionExpression:
          'leaseOwner = :owner AND cursorVersion = :version AND attribute_not_exists(pending)',
        ExpressionAttributeNames: { '#cursor': 'cursor' },
        ExpressionAttributeValues: {
          ':cursor': cursor,
          ':nextVersion': state.cursorVersion + 1,
          ':apiUrl': apiUrl,
          ':owner': owner,
          ':version': state.cursorVersion,
        },
      },
      'advance the cursor',
    );
    return { ...state, cursor, cursorVersion: state.cursorVersion + 1, apiUrl };
  }

  /** Records the Events API host a stream's cursors come from (before its first cursor is stored). */
  async bindApiUrl(state: StreamState, owner: string, apiUrl: string): Promise<StreamState> {
    await this.conditional(
      {
        Key: { pk: state.pk },
        UpdateExpression: 'SET apiUrl = :apiUrl',
        ConditionExpression: 'leaseOwner = :owner',
        ExpressionAttributeValues: { ':apiUrl': apiUrl, ':owner': owner },
      },
      'record the Events API host',
    );
    return { ...state, apiUrl };
  }

  /** Ends the run: frees the lease and records its outcome for `status`. Never throws for a lost lease. */
  async finishRun(
    state: StreamState,
    owner: string,
    outcome: { error?: string },
    now: number,
  ): Promise<void> {
    const nowIso = new Date(now).toISOString();
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: state.pk },
          UpdateExpression:
            outcome.error === undefined
              ? 'SET lastSuccessAt = :nowIso REMOVE leaseOwner, leaseExpiresAt, lastError'
              : 'SET lastError = :error, lastErrorAt = :nowIso REMOVE leaseOwner, leaseExpiresAt',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: {
            ':owner': owner,
            ':nowIso': nowIso,
            ...(outcome.error === undefined ? {} : { ':error': outcome.error.slice(0, 1000) }),
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private async conditional(
    input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>,
    what: string,
  ): Promise<void> {
    try {
      await this.client.send(new UpdateCommand({ TableName: this.tableName, ...input }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new StaleWriteError(
          `could not ${what}: another invocation took over the stream or changed its state (lease or cursor version moved)`,
        );
      }
      throw error;
    }
  }
}

function toState(item: Record<string, unknown>): StreamState {
  const pending = item.pending as BatchIntent | undefined;
  return {
    pk: String(item.pk),
    source: String(item.source),
    stream: item.stream as EventType,
    cursor: item.cursor as string | undefined,
    cursorVersion: Number(item.cursorVersion ?? 0),
    apiUrl: item.apiUrl as string | undefined,
    nextSeq: Number(item.nextSeq ?? 1),
    prevSha256: String(item.prevSha256 ?? GENESIS_SHA256),
    pending: pending
      ? { ...pending, seq: Number(pending.seq), eventCount: Number(pending.eventCount) }
      : undefined,
    leaseOwner: item.leaseOwner as string | undefined,
    leaseExpiresAt: item.leaseExpiresAt === undefined ? undefined : Number(item.leaseExpiresAt),
    eventsArchived: Number(item.eventsArchived ?? 0),
    objectsWritten: Number(item.objectsWritten ?? 0),
    newestEventTime: item.newestEventTime as string | undefined,
    lastRunAt: item.lastRunAt as string | undefined,
    lastSuccessAt: item.lastSuccessAt as string | undefined,
    lastError: item.lastError as string | undefined,
  };
}

function laterOf(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
