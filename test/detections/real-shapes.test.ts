/**
 * Every rule over events in every shape published samples show (test/search/support/real-shapes.ts:
 * the project's own events in the shapes of the samples listed in dev/simulator/SHAPES.md, whose
 * licences do not let them be copied here): none may throw, and what they raise must be whole.
 */
import { RULES } from '../../lambdas/detector/rules';
import { DetectionEngine } from '../../lambdas/shared/detections/engine';
import { type EventView, viewEvent } from '../../lambdas/shared/detections/event-view';
import { MemoryHistory } from '../../lambdas/shared/detections/history';
import { EVENT_TYPES } from '../../lambdas/shared/event-types';
import { LOWER_ITEM, LOWER_VAULT, REAL_SHAPES, UPPER_VAULT } from '../search/support/real-shapes';

/** Every rule on, each watchlist naming something the events carry, so every rule reads them. */
const EVERYTHING_ON = {
  watchlists: {
    privilegedVaults: [LOWER_VAULT, UPPER_VAULT],
    privilegedGroups: ['GROUPADMINS'],
    sensitiveItems: [LOWER_ITEM],
    allowedClientApps: ['1Password for Mac'],
    deniedCountries: ['FR', 'AR'],
  },
  rules: Object.fromEntries(RULES.map((rule) => [rule.id, { enabled: true }])),
  suppressions: [],
};

function views(): EventView[] {
  const out: EventView[] = [];
  for (const stream of EVENT_TYPES) {
    REAL_SHAPES[stream].forEach((text, index) => {
      const raw = JSON.parse(text) as Record<string, unknown>;
      const ref = {
        stream,
        uuid: String(raw.uuid ?? `line-${index + 1}`),
        key: `source=real/type=${stream}/dt=2026-03-01/000000000001.ndjson.gz`,
        line: index + 1,
      };
      out.push(viewEvent(ref, raw));
    });
  }
  return out.sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
}

describe('every rule on events in every published shape', () => {
  it('runs without an error, in time order and read twice, and raises only whole findings', async () => {
    const engine = new DetectionEngine(RULES, EVERYTHING_ON, new MemoryHistory(), 'real');
    expect(engine.rules).toHaveLength(RULES.length);
    const events = views();
    expect(events.length).toBeGreaterThan(20);
    const findings = [];
    // A second reading is what a redelivered object gives the detector.
    for (const event of [...events, ...events]) findings.push(...(await engine.evaluate(event)).findings);
    for (const finding of findings) {
      expect(finding.id).toMatch(/^[0-9a-f]{32}$/);
      expect(Number.isNaN(Date.parse(finding.time))).toBe(false);
      expect(finding.summary).not.toMatch(/undefined|NaN|\[object Object\]/);
      expect(finding.events.length).toBeGreaterThan(0);
      for (const ref of finding.events) expect(ref.key).toMatch(/^source=real\/type=/);
    }
    // The shapes include the firewall, exports and item uses these rules read.
    expect(new Set(findings.map((finding) => finding.ruleId)).size).toBeGreaterThan(3);
  });

  it.each(EVENT_TYPES)('reads each %s event alone, on a fresh history, without an error', async (stream) => {
    for (const event of views().filter((view) => view.stream === stream)) {
      const engine = new DetectionEngine(RULES, EVERYTHING_ON, new MemoryHistory(), 'real');
      await expect(engine.evaluate(event)).resolves.toBeDefined();
    }
  });
});
