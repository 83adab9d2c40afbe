import { describePerson } from '../../shared/detections/finding';
import { defineRule } from '../../shared/detections/rule';
import { DAY, refData, SUCCESSFUL_SIGNIN, signalOf } from './helpers';

/**
 * A successful sign-in from an IP the person has not signed in from in `lookbackDays`. A
 * person's very first sign-in is learned, not reported, so a new deployment does not alert on
 * everyone; it reports from the second IP on.
 */
export const newIpSignin = defineRule({
  id: 'new-ip-signin',
  title: 'Sign-in from an IP not seen for this person',
  severity: 'LOW',
  mitre: { tactic: 'TA0001', technique: 'T1078.004', name: 'Valid Accounts: Cloud Accounts' },
  runbook:
    'Ask the person whether the sign-in was theirs (new network, travel, VPN). If not, sign them out of every device, reset their password and second factor, and review their item usage since.',
  streams: ['signinattempts'],
  defaults: { lookbackDays: 14 },
  // Home and mobile addresses change every few days: tens of findings a month in a team of twenty (BENCHMARKS.md).
  enabledByDefault: false,
  async evaluate(event, { settings, history }) {
    if (!event.category || !SUCCESSFUL_SIGNIN.has(event.category) || !event.person.id || !event.ip) return [];
    const key = `new-ip-signin:${event.person.id}`;
    const at = event.time ?? 0;
    // What was known before this event; the same event read again (a redelivered object) does not count as known.
    const known = (await history.recall(key, at)).filter(
      (entry) => entry.at <= at && entry.data?.eventUuid !== event.ref.uuid,
    );
    await history.remember(key, {
      id: event.ip,
      at,
      expiresAt: at + settings.lookbackDays * DAY,
      data: { ...refData(event), eventUuid: event.ref.uuid },
    });
    if (known.length === 0 || known.some((entry) => entry.id === event.ip)) return [];
    return [
      signalOf(
        event,
        `${describePerson(event.person)} signed in from ${event.ip}${event.country ? ` (${event.country})` : ''}, not seen for them in ${settings.lookbackDays} days`,
        {
          details: { knownIps: known.map((entry) => entry.id).join(', ') },
        },
      ),
    ];
  },
});
