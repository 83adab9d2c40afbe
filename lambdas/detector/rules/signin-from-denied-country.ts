import { describePerson } from '../../shared/detections/finding';
import { defineRule } from '../../shared/detections/rule';
import { SUCCESSFUL_SIGNIN, signalOf } from './helpers';

export const signinFromDeniedCountry = defineRule({
  id: 'signin-from-denied-country',
  title: 'Sign-in from a denied country',
  severity: 'HIGH',
  mitre: { tactic: 'TA0001', technique: 'T1078.004', name: 'Valid Accounts: Cloud Accounts' },
  runbook:
    "Ask the person whether they are travelling. If not, the account is in someone else's hands: sign them out of every device, reset password and second factor, and consider a firewall rule for the country.",
  streams: ['signinattempts'],
  defaults: {},
  needs: 'deniedCountries',
  evaluate(event, { watchlists }) {
    if (!event.category || !SUCCESSFUL_SIGNIN.has(event.category) || !event.country) return [];
    if (!watchlists.deniedCountries.includes(event.country)) return [];
    return [
      signalOf(
        event,
        `${describePerson(event.person)} signed in from ${event.country} (${event.ip ?? 'unknown IP'}), a denied country`,
      ),
    ];
  },
});
