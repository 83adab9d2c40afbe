import { describePerson } from '../../shared/detections/finding';
import { defineRule } from '../../shared/detections/rule';
import { from, signalOf } from './helpers';

export const sensitiveItemUsed = defineRule({
  id: 'sensitive-item-used',
  title: 'Sensitive item used',
  severity: 'MEDIUM',
  mitre: {
    tactic: 'TA0006',
    technique: 'T1555.005',
    name: 'Credentials from Password Stores: Password Managers',
  },
  runbook:
    'A watched item (a break-glass or root credential) was used. Confirm it with the person and the reason (an incident, a planned change); rotate the credential after use if your process says so.',
  streams: ['itemusages'],
  defaults: {},
  needs: 'sensitiveItems',
  evaluate(event, { watchlists }) {
    if (!event.itemUuid || !watchlists.sensitiveItems.includes(event.itemUuid)) return [];
    return [
      signalOf(
        event,
        `${describePerson(event.person)} used sensitive item ${event.itemUuid} (${event.action ?? 'unknown action'}) from ${from(event)}`,
      ),
    ];
  },
});
