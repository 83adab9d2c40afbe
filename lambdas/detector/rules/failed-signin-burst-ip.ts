import { defineRule } from '../../shared/detections/rule';
import { eventsInWindow, FAILED_SIGNIN, refOf, signalOf } from './helpers';

/** Many failed sign-ins from one IP, whoever they target: password spraying. */
export const failedSigninBurstIp = defineRule({
  id: 'failed-signin-burst-ip',
  title: 'Burst of failed sign-ins from one IP',
  severity: 'MEDIUM',
  mitre: { tactic: 'TA0006', technique: 'T1110.003', name: 'Brute Force: Password Spraying' },
  runbook:
    'Check whose sign-ins failed (the linked events). An IP that tries several people is spraying passwords: block it with a firewall rule, and make sure two-factor authentication is on for everyone it tried.',
  streams: ['signinattempts'],
  defaults: { count: 20, windowMinutes: 15 },
  async evaluate(event, { settings, history }) {
    if (!event.category || !FAILED_SIGNIN.has(event.category) || !event.ip) return [];
    const window = await eventsInWindow(
      history,
      `failed-signin-burst-ip:${event.ip}`,
      event,
      settings.windowMinutes * 60_000,
      {
        person: event.person.id ?? '',
      },
    );
    if (window.length !== settings.count) return [];
    const people = new Set(window.map((entry) => entry.data?.person).filter(Boolean)).size;
    return [
      signalOf(
        event,
        `${window.length} failed sign-ins from ${event.ip}${event.country ? ` (${event.country})` : ''} within ${settings.windowMinutes} min, against ${people} people`,
        {
          earlier: window.slice(0, -1).map(refOf),
          details: { failures: window.length, people, windowMinutes: settings.windowMinutes },
        },
      ),
    ];
  },
});
