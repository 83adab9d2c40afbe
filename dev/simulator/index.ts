/**
 * A local 1Password Events API for the demo, the tests and the benchmarks.
 *
 * Where the real API is undocumented, the simulator chooses, and clients should cope with either:
 * - a token without the endpoint's feature gets 401; so do expired, revoked and forged tokens;
 * - cursors are bound to endpoint, version and account (not to a token, so a rotated token keeps
 *   the checkpoint) and never expire; anything else in a cursor's place gets 400;
 * - paging follows ingestion order, so late events reach cursor followers; `end_time` is exclusive;
 * - rate limits are sliding windows per account; introspect and 400s count, 401s and 429s do not;
 * - faults (injected or chaos) are decided before authentication and do not count against limits.
 */
export * from './catalog';
export { startSimulator } from './server';
export { RETENTION_MS } from './store';
export { playStory, STORY_DESCRIPTIONS, STORY_NAMES, type Story, type StoryName } from './stories';
export { eventInstant, formatRfc3339, type Instant, parseRfc3339 } from './time';
export * from './types';
