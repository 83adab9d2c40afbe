/**
 * The memory of rules that look back (a first sign-in from an IP in 14 days, an export shortly
 * before a suspension, a burst of failures): entries under a key, each kept until it expires.
 * Expiry is decided here, when entries are read, not left to the store: DynamoDB's TTL
 * deletes expired items up to days late, and the local server has no TTL at all.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

export interface HistoryEntry {
  /** Unique under its key: an event uuid, an IP, a vault uuid. Recording it again replaces it. */
  readonly id: string;
  /** When it happened (epoch ms), in event time. */
  readonly at: number;
  /** Until when it counts (epoch ms). */
  readonly expiresAt: number;
  readonly data?: Readonly<Record<string, string | number>>;
}

export interface History {
  /** The entries under `key` still live at `now` (event time), oldest first. */
  recall(key: string, now: number): Promise<HistoryEntry[]>;
  /**
   * Records `entry` under `key` and returns the entries live at `entry.at`, this one included,
   * oldest first. Keeps at most `limit` entries, the newest.
   */
  remember(key: string, entry: HistoryEntry, limit?: number): Promise<HistoryEntry[]>;
}

const DEFAULT_LIMIT = 500;
/** Compare-and-set rounds before a write gives up: each round, one of the writers racing on a key wins. */
const MAX_WRITE_ATTEMPTS = 16;

/** Live entries, deduplicated by id (the newest record wins), oldest first, at most `limit`. */
export function liveEntries(
  entries: Iterable<HistoryEntry>,
  now: number,
  limit = DEFAULT_LIMIT,
): HistoryEntry[] {
  const byId = new Map<string, HistoryEntry>();
  for (const entry of entries) {
    if (entry.expiresAt <= now) continue;
    const known = byId.get(entry.id);
    if (!known || known.at <= entry.at) byId.set(entry.id, entry);
  }
  return [...byId.values()].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1)).slice(-limit);
}

/** History in memory: backtests, and the tests of the rules. */
export class MemoryHistory implements History {
  private readonly keys = new Map<string, HistoryEntry[]>();

  async recall(key: string, now: number): Promise<HistoryEntry[]> {
    return liveEntries(this.keys.get(key) ?? [], now);
  }

  async remember(key: string, entry: HistoryEntry, limit = DEFAULT_LIMIT): Promise<HistoryEntry[]> {
    const entries = liveEntries([...(this.keys.get(key) ?? []), entry], entry.at, limit);
    // Entries dated after `entry` (events read out of order) stay too.
    const later = (this.keys.get(key) ?? []).filter((other) => other.at > entry.at && other.id !== entry.id);
    this.keys.set(key, liveEntries([...entries, ...later], Number.NEGATIVE_INFINITY, limit));
    return entries;
  }

  /** Keys held, for tests of expiry. */
  size(): number {
    return this.keys.size;
  }
}

/**
 * History in DynamoDB: one item per key (`pk` = `history#<key>`), its live entries in a list,
 * and `expiresAt` (epoch seconds) for the table's TTL to remove items nobody reads any more.
 * Each write is a compare-and-set on a version, so two detector runs cannot lose each
 * other's entries.
 */
export class DynamoHistory implements History {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async recall(key: string, now: number): Promise<HistoryEntry[]> {
    return liveEntries((await this.read(key)).entries, now);
  }

  async remember(key: string, entry: HistoryEntry, limit = DEFAULT_LIMIT): Promise<HistoryEntry[]> {
    for (let attempt = 1; ; attempt++) {
      const { entries, version } = await this.read(key);
      const live = liveEntries([...entries, entry], entry.at, limit);
      const kept = liveEntries(
        [...entries.filter((other) => other.at > entry.at), ...live],
        Number.NEGATIVE_INFINITY,
        limit,
      );
      const expiresAt = Math.max(...kept.map((other) => other.expiresAt));
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: `history#${key}` },
            UpdateExpression: 'SET entries = :entries, version = :next, expiresAt = :ttl',
            ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : 'version = :version',
            ExpressionAttributeValues: {
              ':entries': kept,
              ':next': version + 1,
              ':ttl': Math.ceil(expiresAt / 1000),
              ...(version === 0 ? {} : { ':version': version }),
            },
          }),
        );
        return live;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException) || attempt >= MAX_WRITE_ATTEMPTS) throw error;
        // Another writer moved the item: read it again after a short, random pause.
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
      }
    }
  }

  private async read(key: string): Promise<{ entries: HistoryEntry[]; version: number }> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `history#${key}` }, ConsistentRead: true }),
    );
    return {
      entries: (Item?.entries as HistoryEntry[] | undefined) ?? [],
      version: Number(Item?.version ?? 0),
    };
  }
}
