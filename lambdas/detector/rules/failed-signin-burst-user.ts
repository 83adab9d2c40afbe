import { describePerson } from '../../shared/detections/finding';
import { defineRule } from '../../shared/detections/rule';
import { eventsInWindow, FAILED_SIGNIN, refOf, signalOf } from './helpers';

export const failedSigninBurstUser = defineRule({
  id: 'failed-signin-burst-user',
  title: 'Burst of failed sign-ins for one person',
  severity: 'MEDIUM',
  mitre: { tactic: 'TA0006', technique: 'T1110.001', name: 'Brute Force: Password Guessing' },
  runbook:
    "Look at the IPs and countries of the attempts (the linked events). If they are not the person's, someone is guessing: make sure two-factor authentication is on for them and block the sources with a firewall rule.",
  streams: ['signinattempts'],
  defaults: { count: 10, windowMinutes: 15 },
  async evaluate(event, { settings, history }) {
    if (!event.category || !FAILED_SIGNIN.has(event.category) || !event.person.id) return [];
    const window = await eventsInWindow(
      history,
      `failed-signin-burst-user:${event.person.id}`,
      event,
      settings.windowMinutes * 60_000,
    );
    if (window.length !== settings.count) return [];
    return [
      signalOf(
        event,
        `${window.length} failed sign-ins for ${describePerson(event.person)} within ${settings.windowMinutes} min, the last from ${event.ip ?? 'an unknown IP'}`,
        {
          earlier: window.slice(0, -1).map(refOf),
          details: { failures: window.length, windowMinutes: settings.windowMinutes },
        },
      ),
    ];
  },
});
