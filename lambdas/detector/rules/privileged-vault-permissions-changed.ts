import { describePerson } from '../../shared/detections/finding';
import { defineRule } from '../../shared/detections/rule';
import { from, signalOf } from './helpers';

const VAULT_ACCESS = new Set(['uva', 'gva']);

/** A person's or a group's access to a watched vault granted, changed or revoked. */
export const privilegedVaultPermissionsChanged = defineRule({
  id: 'privileged-vault-permissions-changed',
  title: 'Permissions changed on a privileged vault',
  severity: 'HIGH',
  mitre: { tactic: 'TA0004', technique: 'T1098', name: 'Account Manipulation' },
  runbook:
    "Check who gained or lost access to the vault (the event names them) and that the change was requested. Revert it in the vault's People and Groups if not.",
  streams: ['auditevents'],
  defaults: {},
  needs: 'privilegedVaults',
  evaluate(event, { watchlists }) {
    if (event.stream !== 'auditevents' || !event.objectType || !VAULT_ACCESS.has(event.objectType)) return [];
    if (!event.objectUuid || !watchlists.privilegedVaults.includes(event.objectUuid)) return [];
    const who = event.auxUuid ?? 'a group';
    return [
      signalOf(
        event,
        `${describePerson(event.person)} changed access to privileged vault ${event.objectUuid} for ${who} (${event.action}) from ${from(event)}`,
        { vaultUuid: event.objectUuid, details: { action: event.action ?? '', grantee: who } },
      ),
    ];
  },
});
