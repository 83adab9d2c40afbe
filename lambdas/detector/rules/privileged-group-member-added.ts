import { describePerson } from '../../shared/detections/finding';
import { defineRule } from '../../shared/detections/rule';
import { from, signalOf } from './helpers';

/** A person added to a watched group (Owners, Administrators, …): a membership `join`, or a grant on the group. */
export const privilegedGroupMemberAdded = defineRule({
  id: 'privileged-group-member-added',
  title: 'Someone added to a privileged group',
  severity: 'HIGH',
  mitre: {
    tactic: 'TA0004',
    technique: 'T1098.007',
    name: 'Account Manipulation: Additional Local or Domain Groups',
  },
  runbook:
    "Confirm with the administrator named that the person should hold the group's rights. Remove them from the group if not, and review what they did since.",
  streams: ['auditevents'],
  defaults: {},
  needs: 'privilegedGroups',
  evaluate(event, { watchlists }) {
    if (
      event.stream !== 'auditevents' ||
      !event.objectUuid ||
      !watchlists.privilegedGroups.includes(event.objectUuid)
    )
      return [];
    const added =
      event.action === 'join' ||
      (event.action === 'grant' && (event.objectType === 'group' || event.objectType === 'gm'));
    if (!added) return [];
    const member = event.auxUuid ?? 'someone';
    return [
      signalOf(
        event,
        `${describePerson(event.person)} added ${member} to privileged group ${event.objectUuid} from ${from(event)}`,
        {
          details: { group: event.objectUuid, member },
        },
      ),
    ];
  },
});
