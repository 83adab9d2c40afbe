import type { PageSource } from '../lambdas/collector/stream-collector';
import type { EventType } from '../lambdas/shared/event-types';
import { OutOfTimeError, type PageRequest } from '../lambdas/shared/events-api/client';
import type { Page } from '../lambdas/shared/events-api/schemas';
import { parseRfc3339 } from '../lambdas/shared/time';

/** What the pages of one stream have brought so far. */
export interface PagingCounts {
  pages: number;
  events: number;
  /** Newest event time seen (epoch ms). */
  newestMs: number | undefined;
}

/**
 * Wraps the Events API client for the CLI's runs: counts what each stream fetched (for
 * progress), and turns Ctrl-C
 * into the same clean stop as a Lambda deadline: the stream writes and commits what it
 * holds, and a rerun goes on from its cursor.
 */
export class ObservedPageSource implements PageSource {
  readonly counts = new Map<EventType, PagingCounts>();

  constructor(
    private readonly inner: PageSource,
    private readonly options: {
      readonly signal: AbortSignal;
      readonly onPage?: () => void;
    },
  ) {}

  get baseUrl(): string {
    return this.inner.baseUrl;
  }

  async fetchPage(stream: EventType, request: PageRequest, deadline: number): Promise<Page> {
    if (this.options.signal.aborted) throw new OutOfTimeError('interrupted');
    const page = await this.inner.fetchPage(stream, request, deadline);
    const counts = this.counts.get(stream) ?? { pages: 0, events: 0, newestMs: undefined };
    counts.pages += 1;
    counts.events += page.items.length;
    for (const item of page.items) {
      const at = parseRfc3339((item as { timestamp?: unknown } | null)?.timestamp);
      if (at !== undefined && (counts.newestMs === undefined || at > counts.newestMs)) counts.newestMs = at;
    }
    this.counts.set(stream, counts);
    this.options.onPage?.();
    return page;
  }
}
