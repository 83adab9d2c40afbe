import { describePerson } from '../../shared/detections/finding';
import { defineRule } from '../../shared/detections/rule';
import { HOUR, isAudit, refData, signalOf } from './helpers';

const GRANTS = new Set(['grant', 'update']);

/** The history key under which a person's self-grants are kept for {@link selfGrantThenAccess}. */
export const selfGrantKey = (personId: string) => `self-grant:${personId}`;

/** An administrator who gives themselves access to a vault (user vault access, `uva`, naming the actor). */
export const adminSelfGrant = defineRule({
  id: 'admin-self-grant',
  title: 'Administrator granted themselves access to a vault',
  severity: 'HIGH',
  mitre: { tactic: 'TA0004', technique: 'T1098', name: 'Account Manipulation' },
  runbook:
    'Ask the administrator why they needed the vault. Unless a documented request explains it, remove the access and review what they used in the vault since (the self-grant-then-access rule reports it).',
  streams: ['auditevents'],
  defaults: { followWindowHours: 24 },
  async evaluate(event, { settings, history }) {
    if (!isAudit(event, GRANTS, new Set(['uva'])) || !event.person.uuid) return [];
    if (event.auxUuid !== event.person.uuid) return [];
    const vault = event.objectUuid ?? 'an unknown vault';
    const at = event.time ?? 0;
    await history.remember(selfGrantKey(event.person.uuid), {
      id: vault,
      at,
      expiresAt: at + settings.followWindowHours * HOUR,
      data: { ...refData(event), grantUuid: event.ref.uuid },
    });
    return [
      signalOf(event, `${describePerson(event.person)} granted themselves access to vault ${vault}`, {
        vaultUuid: vault,
        details: { vault },
      }),
    ];
  },
});
