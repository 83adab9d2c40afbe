import { describePerson } from '../../shared/detections/finding';
import { defineRule } from '../../shared/detections/rule';
import { DAY, firstInPeriod, SUCCESSFUL_SIGNIN, signalOf } from './helpers';

/** A sign-in or an item used from a client app outside the allowed list; once per person and app a day. */
export const clientAppNotAllowed = defineRule({
  id: 'client-app-not-allowed',
  title: 'Client app outside the allowed list',
  severity: 'MEDIUM',
  mitre: { tactic: 'TA0001', technique: 'T1078.004', name: 'Valid Accounts: Cloud Accounts' },
  runbook:
    'Ask the person what the app is. A script or an unofficial client holding a session reads secrets outside your controls: have them sign it out, and add the app to watchlists.allowedClientApps if it is sanctioned.',
  streams: ['signinattempts', 'itemusages'],
  defaults: {},
  needs: 'allowedClientApps',
  async evaluate(event, { watchlists, history }) {
    if (!event.appName || watchlists.allowedClientApps.includes(event.appName) || !event.person.id) return [];
    if (event.stream === 'signinattempts' && (!event.category || !SUCCESSFUL_SIGNIN.has(event.category)))
      return [];
    if (
      !(await firstInPeriod(
        history,
        `client-app-not-allowed:${event.person.id}:${event.appName}`,
        event,
        DAY,
      ))
    )
      return [];
    return [
      signalOf(
        event,
        `${describePerson(event.person)} used ${event.appName}, which is not an allowed client app`,
        { details: { app: event.appName } },
      ),
    ];
  },
});
