import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { EventType } from '../event-types';
import { DEFAULT_RHYTHM_SETTINGS, type RhythmSettings, StreamRhythm } from './rhythm';

/** The state item of a stream's rhythm; it starts with `<source>#` like every item of the source. */
export function rhythmKey(source: string, stream: EventType): string {
  return `${source}#rhythm#${stream}`;
}

/** A rhythm as read, with the version its next write must find. */
export interface LoadedRhythm {
  readonly rhythm: StreamRhythm;
  readonly version: number;
}

/**
 * The rhythms of a source's streams, one small item each in the state table (672 bytes of
 * slots). A rhythm is written only when a slot changed, and only over the version read: should
 * another run have written it since (a run whose lease lapsed while it wrote), this write is
 * dropped. That costs the model one run's learning, and no run's verdict: each judges by
 * what it read and learned itself.
 */
export class RhythmStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly settings: RhythmSettings = DEFAULT_RHYTHM_SETTINGS,
  ) {}

  async load(source: string, stream: EventType, signal?: AbortSignal): Promise<LoadedRhythm> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: rhythmKey(source, stream) } }),
      { abortSignal: signal },
    );
    const slots = Item?.slots instanceof Uint8Array ? Item.slots : undefined;
    const since = typeof Item?.since === 'number' ? Item.since : undefined;
    return {
      rhythm: StreamRhythm.decode(
        { ...(slots ? { slots } : {}), ...(since === undefined ? {} : { since }) },
        this.settings,
      ),
      version: typeof Item?.version === 'number' ? Item.version : 0,
    };
  }

  /** Writes the rhythm over `version`; false when another run wrote it first. */
  async save(
    source: string,
    stream: EventType,
    loaded: LoadedRhythm,
    now: number,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const { slots, since } = loaded.rhythm.encode();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: rhythmKey(source, stream),
            source,
            stream,
            slots,
            ...(since === undefined ? {} : { since }),
            version: loaded.version + 1,
            updatedAt: new Date(now).toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR version = :version',
          ExpressionAttributeValues: { ':version': loaded.version },
        }),
        { abortSignal: signal },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
