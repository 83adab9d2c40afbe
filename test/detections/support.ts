import { randomUUID } from 'node:crypto';
import { RULES } from '../../lambdas/detector/rules';
import { DetectionEngine } from '../../lambdas/shared/detections/engine';
import { type EventView, viewEvent } from '../../lambdas/shared/detections/event-view';
import type { Finding } from '../../lambdas/shared/detections/finding';
import { MemoryHistory } from '../../lambdas/shared/detections/history';
import { EMPTY_WATCHLISTS, type Watchlists } from '../../lambdas/shared/detections/rule';
import type { DetectionSettings } from '../../lambdas/shared/detections/settings';
import type { EventType } from '../../lambdas/shared/event-types';

export const T0 = Date.UTC(2026, 10, 28, 9, 0, 0);
export const MINUTE = 60_000;

export const ALICE = { uuid: 'ALICEUUID00000000000000000A', name: 'Alice Admin', email: 'alice@example.com' };
export const BOB = { uuid: 'BOBUUID0000000000000000000B', name: 'Bob Builder', email: 'bob@example.com' };

let line = 0;

/** An archived event of `stream` at `minutes` after T0, with the fields given. */
export function event(stream: EventType, minutes: number, fields: Record<string, unknown>): EventView {
  const uuid =
    (fields.uuid as string | undefined) ?? randomUUID().replace(/-/g, '').slice(0, 26).toUpperCase();
  line += 1;
  return viewEvent(
    { stream, uuid, key: `source=acme/type=${stream}/dt=2026-11-28/000000000001.ndjson.gz`, line },
    { uuid, timestamp: new Date(T0 + minutes * MINUTE).toISOString(), ...fields },
  );
}

export const audit = (minutes: number, actor: typeof ALICE, fields: Record<string, unknown>) =>
  event('auditevents', minutes, {
    actor_uuid: actor.uuid,
    actor_details: actor,
    session: { uuid: 'S', login_time: '2026-11-28T08:00:00Z', device_uuid: 'D', ip: '198.51.100.7' },
    ...fields,
  });

export const signin = (minutes: number, who: typeof ALICE, fields: Record<string, unknown>) =>
  event('signinattempts', minutes, {
    session_uuid: 'S',
    category: 'success',
    type: 'credentials_ok',
    country: 'FR',
    target_user: who,
    client: { app_name: '1Password Browser Extension', ip_address: '198.51.100.7' },
    ...fields,
  });

export const usage = (minutes: number, who: typeof ALICE, fields: Record<string, unknown>) =>
  event('itemusages', minutes, {
    used_version: 1,
    vault_uuid: 'vault-a',
    item_uuid: 'item-a',
    action: 'fill',
    user: who,
    client: { app_name: '1Password for Mac', ip_address: '198.51.100.7' },
    ...fields,
  });

const ON_BY_DEFAULT_OR_NOT = Object.fromEntries(
  RULES.filter((rule) => rule.enabledByDefault === false).map((rule) => [rule.id, { enabled: true }]),
);

export function settings(
  overrides: Omit<Partial<DetectionSettings>, 'watchlists'> & { watchlists?: Partial<Watchlists> } = {},
): DetectionSettings {
  return {
    // A rule's tests run it even where it is off by default.
    rules: overrides.rules ?? ON_BY_DEFAULT_OR_NOT,
    suppressions: overrides.suppressions ?? [],
    watchlists: { ...EMPTY_WATCHLISTS, ...overrides.watchlists },
  };
}

/** Runs every rule over a story, in time order, and returns the findings of `ruleId` (or all). */
export async function run(
  story: readonly EventView[],
  options: { settings?: DetectionSettings; ruleId?: string; history?: MemoryHistory } = {},
): Promise<Finding[]> {
  const engine = new DetectionEngine(
    RULES,
    options.settings ?? settings(),
    options.history ?? new MemoryHistory(),
    'acme',
  );
  const findings: Finding[] = [];
  for (const view of [...story].sort((a, b) => (a.time ?? 0) - (b.time ?? 0))) {
    findings.push(...(await engine.evaluate(view)).findings);
  }
  return options.ruleId ? findings.filter((finding) => finding.ruleId === options.ruleId) : findings;
}
