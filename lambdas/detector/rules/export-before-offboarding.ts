import { describePerson } from '../../shared/detections/finding';
import { defineRule } from '../../shared/detections/rule';
import { DAY, firstInPeriod, isAudit, refOf, signalOf } from './helpers';
import { exportKey } from './vault-export';

const OFFBOARDING = new Set(['suspend', 'delete']);

/**
 * A person suspended or deleted within days of exporting vault data: what leavers take with
 * them. An export is what vault-export counts as one (the audit event, or items exported
 * together), and a leaver suspended, then deleted within `offboardingDays`, makes one finding.
 */
export const exportBeforeOffboarding = defineRule({
  id: 'export-before-offboarding',
  title: 'Export shortly before the person was suspended or deleted',
  severity: 'CRITICAL',
  mitre: { tactic: 'TA0010', technique: 'T1567', name: 'Exfiltration Over Web Service' },
  runbook:
    'The person exported vault data and was then offboarded. Involve HR and legal; rotate every secret in the exported vaults (the linked events name them), starting with shared infrastructure credentials.',
  streams: ['auditevents'],
  defaults: { offboardingDays: 30 },
  async evaluate(event, { settings, history }) {
    if (!isAudit(event, OFFBOARDING, new Set(['user'])) || !event.objectUuid) return [];
    const exports = (await history.recall(exportKey(event.objectUuid), event.time ?? 0)).filter(
      (entry) => entry.at <= (event.time ?? 0),
    );
    if (exports.length === 0) return [];
    const leaver = `export-before-offboarding:${event.objectUuid}`;
    if (!(await firstInPeriod(history, leaver, event, settings.offboardingDays * DAY))) return [];
    const target = event.raw.object_details
      ? describePerson(viewTarget(event.raw.object_details))
      : event.objectUuid;
    const days = Math.round(((event.time ?? 0) - (exports[0]?.at ?? 0)) / 86_400_000);
    return [
      signalOf(
        event,
        `${target} was ${event.action === 'delete' ? 'deleted' : 'suspended'} by ${describePerson(event.person)} ${days} days after exporting vault data (${exports.length} export events)`,
        {
          earlier: exports.map(refOf),
          details: { exports: exports.length, daysSinceFirstExport: days, offboardedUuid: event.objectUuid },
        },
      ),
    ];
  },
});

function viewTarget(details: unknown) {
  const value = (details ?? {}) as { uuid?: string; email?: string; name?: string };
  return { uuid: value.uuid, email: value.email, name: value.name, id: value.uuid };
}
