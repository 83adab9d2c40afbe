import { describePerson } from '../../shared/detections/finding';
import { defineRule } from '../../shared/detections/rule';
import { eventsInWindow, refOf, signalOf } from './helpers';

const REVEALS = new Set(['reveal', 'secure-copy']);

/** One person revealing or copying many secrets in a short time: collection before exfiltration. */
export const excessiveReveals = defineRule({
  id: 'excessive-reveals',
  title: 'Many reveals or copies by one person',
  severity: 'HIGH',
  mitre: {
    tactic: 'TA0009',
    technique: 'T1555.005',
    name: 'Credentials from Password Stores: Password Managers',
  },
  runbook:
    'Ask the person what they were doing (a migration can explain it). If nothing does, suspend them and rotate the items they revealed or copied (the linked events).',
  streams: ['itemusages'],
  defaults: { count: 30, windowMinutes: 60 },
  async evaluate(event, { settings, history }) {
    if (!event.action || !REVEALS.has(event.action) || !event.person.id) return [];
    const window = await eventsInWindow(
      history,
      `excessive-reveals:${event.person.id}`,
      event,
      settings.windowMinutes * 60_000,
      {
        item: event.itemUuid ?? '',
      },
    );
    if (window.length !== settings.count) return [];
    const items = new Set(window.map((entry) => entry.data?.item)).size;
    return [
      signalOf(
        event,
        `${describePerson(event.person)} revealed or copied ${window.length} times (${items} items) within ${settings.windowMinutes} min`,
        {
          earlier: window.slice(0, -1).map(refOf),
          details: { uses: window.length, items, windowMinutes: settings.windowMinutes },
        },
      ),
    ];
  },
});
