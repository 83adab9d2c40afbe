import { compareInstants, eventInstant, type Instant } from './time';
import type { SimEvent } from './types';

export const RETENTION_MS = 120 * 24 * 3_600_000;

/** What a cursor selects: events after ingestion position `pos` with start <= timestamp < end. */
export interface Selection {
  /** Ingestion positions are 1-based; 0 = nothing consumed yet. */
  pos: number;
  limit: number;
  start: Instant;
  end?: Instant;
}

export interface Page {
  items: SimEvent[];
  /** Per item, the JSON text it was ingested as ({@link EventStore.ingestText}), served as it is. */
  texts: Array<string | undefined>;
  hasMore: boolean;
  /** Position the next request continues after. */
  pos: number;
}

export interface Entry {
  event: SimEvent;
  at: Instant;
  text?: string;
}

/**
 * One feature's events in ingestion order. Paging follows ingestion order, not timestamps, so an
 * event that arrives late (older timestamp than events already served) still reaches every cursor
 * that selects its timestamp: the behaviour that makes cursor-following lossless in the real API.
 */
export class EventStore {
  private readonly entries: Entry[] = [];

  /** Events without a readable timestamp count as happening at ingestion time (see {@link eventInstant}). */
  ingest(events: readonly SimEvent[], nowMs: number): void {
    for (const event of events) {
      const at = typeof event.timestamp === 'string' ? eventInstant(event.timestamp) : undefined;
      this.entries.push({ event, at: at ?? { ms: nowMs, ns: 0 } });
    }
  }

  /** Events given as JSON text, each to be served as exactly that text. */
  ingestText(texts: readonly string[], nowMs: number): SimEvent[] {
    return texts.map((text) => {
      const event = JSON.parse(text) as SimEvent;
      const at = typeof event.timestamp === 'string' ? eventInstant(event.timestamp) : undefined;
      this.entries.push({ event, at: at ?? { ms: nowMs, ns: 0 }, text });
      return event;
    });
  }

  /** For events whose instants are already known (generated ones). */
  add(entries: readonly Entry[]): void {
    for (const entry of entries) this.entries.push(entry);
  }

  get size(): number {
    return this.entries.length;
  }

  all(): SimEvent[] {
    return this.entries.map((e) => e.event);
  }

  /**
   * Scans from `pos`. Everything scanned but not selected can never be selected by this cursor
   * later (its bounds are fixed and the retention cut-off only moves forward), so the returned
   * position may jump past it.
   */
  page(selection: Selection, nowMs: number): Page {
    const retainedFrom = nowMs - RETENTION_MS;
    const matches = (entry: Entry) =>
      entry.at.ms >= retainedFrom &&
      compareInstants(entry.at, selection.start) >= 0 &&
      (selection.end === undefined || compareInstants(entry.at, selection.end) < 0);

    const items: SimEvent[] = [];
    const texts: Array<string | undefined> = [];
    let index = selection.pos;
    while (index < this.entries.length && items.length < selection.limit) {
      const entry = this.entries[index] as Entry;
      index += 1;
      if (matches(entry)) {
        items.push(entry.event);
        texts.push(entry.text);
      }
    }
    let hasMore = false;
    if (items.length === selection.limit) {
      for (let i = index; i < this.entries.length; i++) {
        if (matches(this.entries[i] as Entry)) {
          hasMore = true;
          break;
        }
      }
    }
    return { items, texts, hasMore, pos: index };
  }
}
