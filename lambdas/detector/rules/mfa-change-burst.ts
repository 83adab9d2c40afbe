import { describePerson } from '../../shared/detections/finding';
import { defineRule } from '../../shared/detections/rule';
import { eventsInWindow, isAudit, refOf, signalOf } from './helpers';
import { MFA_ACTIONS } from './user-mfa-changed';

const ACTIONS = new Set<string>(MFA_ACTIONS);

/** One actor changing two-factor settings again and again: the shape of someone resetting others' second factor to take over their accounts. */
export const mfaChangeBurst = defineRule({
  id: 'mfa-change-burst',
  title: 'Burst of two-factor changes by one person',
  severity: 'HIGH',
  mitre: {
    tactic: 'TA0006',
    technique: 'T1556.006',
    name: 'Modify Authentication Process: Multi-Factor Authentication',
  },
  runbook:
    'Find whose factors changed (the linked events). Unless a planned migration explains it, suspend the actor and reset the changed factors with their owners.',
  streams: ['auditevents'],
  defaults: { count: 5, windowMinutes: 60 },
  async evaluate(event, { settings, history }) {
    if (!isAudit(event, ACTIONS) || event.objectType === 'account' || !event.person.id) return [];
    const window = await eventsInWindow(
      history,
      `mfa-change-burst:${event.person.id}`,
      event,
      settings.windowMinutes * 60_000,
    );
    // Once per burst: when the count reaches the threshold.
    if (window.length !== settings.count) return [];
    return [
      signalOf(
        event,
        `${describePerson(event.person)} changed two-factor settings ${window.length} times within ${settings.windowMinutes} min`,
        {
          earlier: window.slice(0, -1).map(refOf),
          details: { changes: window.length, windowMinutes: settings.windowMinutes },
        },
      ),
    ];
  },
});
