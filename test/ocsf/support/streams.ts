import { createAccount } from '../../../dev/simulator/account';
import { createGenerator } from '../../../dev/simulator/generate';
import { createRandom } from '../../../dev/simulator/random';
import type { EventType } from '../../../lambdas/shared/event-types';
import { auditRows } from '../../../lambdas/shared/ocsf/map-audit';
import { itemUsageRows } from '../../../lambdas/shared/ocsf/map-itemusage';
import { SIGNIN_ROWS } from '../../../lambdas/shared/ocsf/map-signin';
import type { FieldRule, JsonObject } from '../../../lambdas/shared/ocsf/mapper';

/** The table a stream's event is mapped with. */
export function rowsFor(stream: EventType, event: JsonObject): readonly FieldRule[] {
  if (stream === 'signinattempts') return SIGNIN_ROWS;
  if (stream === 'itemusages') return itemUsageRows(event);
  return auditRows(event);
}

const DAY_MS = 86_400_000;

/** A month of the simulator's events of one stream, in every shape it makes, as JSON texts. */
export function simulatedMonth(stream: EventType, count: number, seed = 14): string[] {
  const random = createRandom(seed, `ocsf/${stream}`);
  const account = createAccount(random, 'OCSFACCOUNTQQQQQQQQQQQQQQQ');
  const to = Date.parse('2026-03-01T00:00:00Z');
  return createGenerator(random, account)
    .generate(stream, count, to - 30 * DAY_MS, to)
    .map(({ event }) => JSON.stringify(event));
}
