import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SignedObject } from '../shared/archive/digest';
import type { EventType } from '../shared/event-types';

/**
 * Where the notary stands for one source: its last digest and each stream's signed head.
 * The item's key, `notary:<source>`, is outside every collector's `<source>#` leading-key
 * grant, so no collector can move it. Someone who can is caught by `verify`: a digest that
 * does not follow its predecessor breaks the digest chain.
 */
export interface NotaryState {
  readonly lastNumber: number;
  readonly lastKey: string | undefined;
  readonly lastSignature: string | undefined;
  readonly lastEndTime: string | undefined;
  readonly heads: Partial<Record<EventType, SignedObject>>;
}

export const EMPTY_NOTARY_STATE: NotaryState = {
  lastNumber: 0,
  lastKey: undefined,
  lastSignature: undefined,
  lastEndTime: undefined,
  heads: {},
};

/** The state item of a source's notary. `:` cannot appear in a source name, so no source's `<source>#` items share it. */
export function notaryKey(source: string): string {
  return `notary:${source}`;
}

/** Another notary run moved the item first. */
export class NotaryStateConflict extends Error {
  override readonly name = 'NotaryStateConflict';
}

export class NotaryStateStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(source: string, signal?: AbortSignal): Promise<NotaryState> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: notaryKey(source) }, ConsistentRead: true }),
      signal ? { abortSignal: signal } : {},
    );
    if (!Item) return EMPTY_NOTARY_STATE;
    return {
      lastNumber: Number(Item.lastNumber ?? 0),
      lastKey: Item.lastKey as string | undefined,
      lastSignature: Item.lastSignature as string | undefined,
      lastEndTime: Item.lastEndTime as string | undefined,
      heads: (Item.heads as NotaryState['heads'] | undefined) ?? {},
    };
  }

  /** Moves the item from digest `previous` to `next`; refuses if another run moved it first. */
  async advance(source: string, previous: number, next: NotaryState, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: notaryKey(source) },
          UpdateExpression:
            'SET lastNumber = :next, lastKey = :key, lastSignature = :signature, lastEndTime = :end, heads = :heads, updatedAt = :now',
          ConditionExpression:
            previous === 0 ? 'attribute_not_exists(pk) OR lastNumber = :previous' : 'lastNumber = :previous',
          ExpressionAttributeValues: {
            ':previous': previous,
            ':next': next.lastNumber,
            ':key': next.lastKey,
            ':signature': next.lastSignature,
            ':end': next.lastEndTime,
            ':heads': next.heads,
            ':now': new Date().toISOString(),
          },
        }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new NotaryStateConflict(
          `the notary state of ${source} moved past digest ${previous} during this run`,
        );
      }
      throw error;
    }
  }
}
