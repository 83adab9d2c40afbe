import { describePerson } from '../../shared/detections/finding';
import { defineRule } from '../../shared/detections/rule';
import { selfGrantKey } from './admin-self-grant';
import { EXPOSING_ITEM_ACTIONS, firstInPeriod, refOf, signalOf } from './helpers';

/** The escalation of {@link adminSelfGrant}: secrets revealed, copied or fetched in the vault soon after the self-grant. */
export const selfGrantThenAccess = defineRule({
  id: 'self-grant-then-access',
  title: 'Secrets used in a vault soon after a self-grant',
  severity: 'CRITICAL',
  mitre: {
    tactic: 'TA0006',
    technique: 'T1555.005',
    name: 'Credentials from Password Stores: Password Managers',
  },
  runbook:
    'Treat as a possible insider theft of credentials: suspend the administrator, rotate every item they revealed, copied or fetched in the vault (the linked events), and keep the archive keys as evidence.',
  streams: ['itemusages'],
  defaults: {},
  async evaluate(event, { history }) {
    if (!event.action || !EXPOSING_ITEM_ACTIONS.has(event.action) || !event.person.uuid || !event.vaultUuid)
      return [];
    const grants = await history.recall(selfGrantKey(event.person.uuid), event.time ?? 0);
    const grant = grants.find((entry) => entry.id === event.vaultUuid && entry.at <= (event.time ?? 0));
    if (!grant) return [];
    // The first use after the grant alerts; the rest are in the archive, under the same vault and person.
    const first = await firstInPeriod(
      history,
      `self-grant-then-access:${event.person.uuid}:${event.vaultUuid}`,
      event,
      grant.expiresAt - (event.time ?? 0),
    );
    if (!first) return [];
    const grantRef = { ...refOf(grant), uuid: String(grant.data?.grantUuid ?? grant.id) };
    return [
      signalOf(
        event,
        `${describePerson(event.person)} used item ${event.itemUuid ?? '?'} (${event.action}) in vault ${event.vaultUuid}, ` +
          `${Math.round(((event.time ?? 0) - grant.at) / 60_000)} min after granting themselves access to it`,
        {
          earlier: [grantRef],
          details: {
            action: event.action,
            minutesAfterGrant: Math.round(((event.time ?? 0) - grant.at) / 60_000),
          },
        },
      ),
    ];
  },
});
