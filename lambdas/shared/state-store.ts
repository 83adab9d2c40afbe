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
  /** The cursor the batch's events were fetched from: an abandoned intent is adopted only on the cursor it started from. */
  readonly cursorBefore?: string;
  /** The Events API host the batch came from; the commit binds the stream to it. */
  readonly apiUrl?: string;
}

/**
 * A stream whose stored cursor the Events API refused restarts from a time and drops the
 * events it had already archived, until it has caught up again (README, "How it works").
 */
export interface CursorReset {
  /** Where the stream restarted (RFC 3339): the newest archived event time minus the overlap. */
  readonly restartFrom: string;
  /** The `dt=` partition from which archived objects are read for uuids already archived. */
  readonly sinceDate: string;
  readonly at: string;
  /** The `cursorVersion` of the refused cursor: while it is still the stored one, the restart has committed nothing yet. */
  readonly fromCursorVersion: number;
  /** Events older than the API's retention that could not be fetched again, if any. */
  readonly lostFrom?: string;
  readonly lostUntil?: string;
}

/** At most this many abandoned intents are kept for one sequence number (each one a run that lost its write). */
export const MAX_ABANDONED_INTENTS = 20;

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
  /**
   * Intents of the sequence number `nextSeq` that a later run found unwritten and gave up on.
   * Their writes may still land (a stalled PUT); the key is kept for the sequence number, and
   * an object that lands with one of their hashes is adopted (README, "How it works").
   */
  readonly abandoned: readonly BatchIntent[];
  /** Set while the stream recovers from a rejected cursor; cleared once it has caught up. */
  readonly cursorReset: CursorReset | undefined;
  readonly leaseOwner: string | undefined;
  readonly leaseExpiresAt: number | undefined;
  readonly eventsArchived: number;
  readonly objectsWritten: number;
  readonly newestEventTime: string | undefined;
  readonly lastRunAt: string | undefined;
  /** When the stream's first run took the lease: how long a stream that never archived has been watched. */
  readonly firstRunAt: string | undefined;
  /** When the stream last committed a batch: when it last archived events. */
  readonly lastCommitAt: string | undefined;
  readonly lastSuccessAt: string | undefined;
  readonly lastError: string | undefined;
}

export type LeaseResult =
  | { readonly acquired: true; readonly state: StreamState }
  | { readonly acquired: false; readonly heldBy: string | undefined; readonly until: number | undefined };

/** How long the write that ends a run may take; it runs after the lease's own signal may have fired. */
const FINISH_TIMEOUT_MS = 10_000;

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
  async get(pk: string, signal?: AbortSignal): Promise<StreamState | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk }, ConsistentRead: true }),
      signal ? { abortSignal: signal } : {},
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
    signal?: AbortSignal,
  ): Promise<LeaseResult> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression:
            'SET leaseOwner = :owner, leaseExpiresAt = :expiresAt, #source = :source, #stream = :stream, ' +
            'cursorVersion = if_not_exists(cursorVersion, :zero), nextSeq = if_not_exists(nextSeq, :one), ' +
            'prevSha256 = if_not_exists(prevSha256, :genesis), firstRunAt = if_not_exists(firstRunAt, :nowIso), ' +
            'lastRunAt = :nowIso',
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
        signal ? { abortSignal: signal } : {},
      );
      return { acquired: true, state: toState(Attributes ?? {}) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const current = await this.get(pk, signal);
      return { acquired: false, heldBy: current?.leaseOwner, until: current?.leaseExpiresAt };
    }
  }

  /** Step 1 of a batch: record what is about to be written, before the object exists. */
  async recordIntent(
    state: StreamState,
    owner: string,
    intent: BatchIntent,
    signal?: AbortSignal,
  ): Promise<void> {
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
      signal,
    );
  }

  /**
   * Step 3 of a batch: the object is durable; move the cursor and the chain past it, bind the
   * stream to the host the cursor came from, and forget the sequence number's abandoned intents.
   * `committed` is the intent whose object is in the archive: the pending one, or an abandoned
   * one whose late write landed first (adoption); the pending intent is cleared either way.
   */
  async commitBatch(
    state: StreamState,
    owner: string,
    committed: BatchIntent,
    now: number,
    signal?: AbortSignal,
  ): Promise<StreamState> {
    const newest = laterOf(state.newestEventTime, committed.newestEventTime);
    const apiUrl = committed.apiUrl ?? state.apiUrl;
    await this.conditional(
      {
        Key: { pk: state.pk },
        UpdateExpression:
          'SET #cursor = :cursor, cursorVersion = :nextVersion, nextSeq = :nextSeq, prevSha256 = :sha, ' +
          'lastCommitAt = :nowIso' +
          (newest === undefined ? '' : ', newestEventTime = :newest') +
          (apiUrl === undefined ? '' : ', apiUrl = :apiUrl') +
          ' ADD eventsArchived :events, objectsWritten :one REMOVE pending, abandoned',
        ConditionExpression: 'leaseOwner = :owner AND cursorVersion = :version AND nextSeq = :seq',
        ExpressionAttributeNames: { '#cursor': 'cursor' },
        ExpressionAttributeValues: {
          ':cursor': committed.cursorAfter,
          ':nextVersion': state.cursorVersion + 1,
          ':nextSeq': committed.seq + 1,
          ':sha': committed.sha256,
          ':nowIso': new Date(now).toISOString(),
          ...(newest === undefined ? {} : { ':newest': newest }),
          ...(apiUrl === undefined ? {} : { ':apiUrl': apiUrl }),
          ':events': committed.eventCount,
          ':one': 1,
          ':owner': owner,
          ':version': state.cursorVersion,
          ':seq': committed.seq,
        },
      },
      `commit batch ${committed.seq}`,
      signal,
    );
    return {
      ...state,
      cursor: committed.cursorAfter,
      cursorVersion: state.cursorVersion + 1,
      apiUrl,
      nextSeq: committed.seq + 1,
      prevSha256: committed.sha256,
      pending: undefined,
      abandoned: [],
      eventsArchived: state.eventsArchived + committed.eventCount,
      objectsWritten: state.objectsWritten + 1,
      newestEventTime: newest,
      lastCommitAt: new Date(now).toISOString(),
    };
  }

  /**
   * Gives up on a pending intent whose object is not in the archive. Its write may still be in
   * flight (a stalled PUT lands late), so the intent is kept among the sequence number's
   * abandoned ones: the next attempt reuses its key, and adopts its object should it land.
   * The cursor has not moved, so the events are fetched again and nothing is lost.
   */
  async abandonIntent(
    state: StreamState,
    owner: string,
    intent: BatchIntent,
    signal?: AbortSignal,
  ): Promise<StreamState> {
    const abandoned = [...state.abandoned.filter((a) => a.sha256 !== intent.sha256), intent].slice(
      -MAX_ABANDONED_INTENTS,
    );
    await this.conditional(
      {
        Key: { pk: state.pk },
        UpdateExpression: 'SET abandoned = :abandoned REMOVE pending',
        ConditionExpression: 'leaseOwner = :owner AND pending.seq = :seq AND nextSeq = :seq',
        ExpressionAttributeValues: {
          ':abandoned': abandoned.map(stripUndefined),
          ':owner': owner,
          ':seq': intent.seq,
        },
      },
      `abandon batch ${intent.seq}`,
      signal,
    );
    return { ...state, pending: undefined, abandoned };
  }

  /** Drops an intent whose write S3 refused outright: it can never land, so nothing needs to remember it. */
  async discardIntent(
    state: StreamState,
    owner: string,
    intent: BatchIntent,
    signal?: AbortSignal,
  ): Promise<StreamState> {
    await this.conditional(
      {
        Key: { pk: state.pk },
        UpdateExpression: 'REMOVE pending',
        ConditionExpression: 'leaseOwner = :owner AND pending.seq = :seq',
        ExpressionAttributeValues: { ':owner': owner, ':seq': intent.seq },
      },
      `discard batch ${intent.seq}`,
      signal,
    );
    return { ...state, pending: undefined };
  }

  /**
   * Moves the cursor past pages that held no event (nothing to write, nothing to lose), binds
   * the stream to the host, and ends a cursor reset once the stream has caught up.
   */
  async advanceCursor(
    state: StreamState,
    owner: string,
    cursor: string,
    apiUrl: string,
    options: { endReset?: boolean; signal?: AbortSignal } = {},
  ): Promise<StreamState> {
    const endReset = options.endReset === true && state.cursorReset !== undefined;
    await this.conditional(
      {
        Key: { pk: state.pk },
        UpdateExpression:
          'SET #cursor = :cursor, cursorVersion = :nextVersion, apiUrl = :apiUrl' +
          (endReset ? ' REMOVE cursorReset' : ''),
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
      options.signal,
    );
    return {
      ...state,
      cursor,
      cursorVersion: state.cursorVersion + 1,
      apiUrl,
      cursorReset: endReset ? undefined : state.cursorReset,
    };
  }

  /**
   * Starts the recovery from a cursor the API refused: from now on the stream drops events it
   * had already archived, until it has caught up. The refused cursor stays until the first
   * cursor of the restart is committed, so a crash before then simply starts the reset again.
   */
  async startCursorReset(
    state: StreamState,
    owner: string,
    reset: CursorReset,
    signal?: AbortSignal,
  ): Promise<StreamState> {
    await this.conditional(
      {
        Key: { pk: state.pk },
        UpdateExpression: 'SET cursorReset = :reset',
        ConditionExpression:
          'leaseOwner = :owner AND cursorVersion = :version AND attribute_not_exists(pending)',
        ExpressionAttributeValues: {
          ':reset': stripUndefined(reset),
          ':owner': owner,
          ':version': state.cursorVersion,
        },
      },
      'start a cursor reset',
      signal,
    );
    return { ...state, cursorReset: reset };
  }

  /** The stream caught up after a cursor reset: it stops looking for events it already archived. */
  async endCursorReset(state: StreamState, owner: string, signal?: AbortSignal): Promise<StreamState> {
    await this.conditional(
      {
        Key: { pk: state.pk },
        UpdateExpression: 'REMOVE cursorReset',
        ConditionExpression: 'leaseOwner = :owner AND cursorVersion = :version',
        ExpressionAttributeValues: { ':owner': owner, ':version': state.cursorVersion },
      },
      'end the cursor reset',
      signal,
    );
    return { ...state, cursorReset: undefined };
  }

  /**
   * Ends the run and records its outcome for `status`. The lease is freed, unless a write's
   * outcome is unknown (`keepLease`): then it is left to lapse, so no other run writes the
   * same sequence number while the stalled write may still land.
   */
  async finishRun(
    state: StreamState,
    owner: string,
    outcome: { error?: string; keepLease?: boolean },
    now: number,
    signal: AbortSignal = AbortSignal.timeout(FINISH_TIMEOUT_MS),
  ): Promise<void> {
    const nowIso = new Date(now).toISOString();
    const release = outcome.keepLease ? '' : ' REMOVE leaseOwner, leaseExpiresAt';
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: state.pk },
          UpdateExpression:
            outcome.error === undefined
              ? `SET lastSuccessAt = :nowIso REMOVE lastError${release.replace(' REMOVE', ',')}`
              : `SET lastError = :error, lastErrorAt = :nowIso${release}`,
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: {
            ':owner': owner,
            ':nowIso': nowIso,
            ...(outcome.error === undefined ? {} : { ':error': outcome.error.slice(0, 1000) }),
          },
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private async conditional(
    input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>,
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({ TableName: this.tableName, ...input }),
        signal ? { abortSignal: signal } : {},
      );
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
    pending: pending ? toIntent(pending) : undefined,
    abandoned: Array.isArray(item.abandoned) ? (item.abandoned as BatchIntent[]).map(toIntent) : [],
    cursorReset: item.cursorReset as CursorReset | undefined,
    leaseOwner: item.leaseOwner as string | undefined,
    leaseExpiresAt: item.leaseExpiresAt === undefined ? undefined : Number(item.leaseExpiresAt),
    eventsArchived: Number(item.eventsArchived ?? 0),
    objectsWritten: Number(item.objectsWritten ?? 0),
    newestEventTime: item.newestEventTime as string | undefined,
    lastRunAt: item.lastRunAt as string | undefined,
    firstRunAt: item.firstRunAt as string | undefined,
    lastCommitAt: item.lastCommitAt as string | undefined,
    lastSuccessAt: item.lastSuccessAt as string | undefined,
    lastError: item.lastError as string | undefined,
  };
}

function toIntent(intent: BatchIntent): BatchIntent {
  return { ...intent, seq: Number(intent.seq), eventCount: Number(intent.eventCount) };
}

function laterOf(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
