import { type SimEvent, startSimulator } from '../../dev/simulator/index';
import { EVENT_TYPES, type EventType } from '../../lambdas/shared/event-types';

export type Corpus = Record<EventType, SimEvent[]>;

/**
 * Realistic events of every type, from the project's simulator: the same account model,
 * field mix, optional fields, timestamp styles and rare unknown fields the simulator serves.
 */
export async function generateCorpus(perType: number, seed = 7): Promise<Corpus> {
  const sim = await startSimulator({ seed, rateLimit: false });
  try {
    const corpus = {} as Corpus;
    const now = Date.now();
    for (const type of EVENT_TYPES) {
      corpus[type] = sim.generate(type, perType, { from: now - 7 * 24 * 3_600_000, to: now });
    }
    return corpus;
  } finally {
    await sim.close();
  }
}

/** Mean size of one event as the API sends it (JSON, UTF-8 bytes). */
export function meanEventBytes(events: readonly SimEvent[]): number {
  let bytes = 0;
  for (const event of events) bytes += Buffer.byteLength(JSON.stringify(event));
  return bytes / Math.max(1, events.length);
}

/** A cursor as long as the ones the API hands out (opaque base64url of a few hundred bytes). */
export const SAMPLE_CURSOR = 'a'.repeat(32) + Buffer.alloc(150, 7).toString('base64url');

/** The events as the bodies of full API pages (`{items, cursor, has_more}`), 1,000 per page. */
export function pageBodies(events: readonly SimEvent[], pageSize = 1000): string[] {
  const bodies: string[] = [];
  for (let start = 0; start < events.length; start += pageSize) {
    const items = events.slice(start, start + pageSize);
    bodies.push(JSON.stringify({ items, cursor: SAMPLE_CURSOR, has_more: true }));
  }
  return bodies;
}
