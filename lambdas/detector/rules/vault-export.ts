import { describePerson } from '../../shared/detections/finding';
import { defineRule } from '../../shared/detections/rule';
import { DAY, eventsInWindow, firstInPeriod, from, HOUR, refData, signalOf } from './helpers';

/** The history key of a person's exports, read by {@link exportBeforeOffboarding}. */
export const exportKey = (personId: string) => `exports:${personId}`;

/**
 * An export of vault data: the audit event of the export, or, for item usages (one per item
 * exported), the first in an hour by the same person once they number `itemExportCount`. Every export is remembered for
 * `exportOffboardingDays`, for the export-before-offboarding rule.
 */
export const vaultExport = defineRule({
  id: 'vault-export',
  title: 'Vault data exported',
  severity: 'HIGH',
  mitre: { tactic: 'TA0010', technique: 'T1567', name: 'Exfiltration Over Web Service' },
  runbook:
    "An export is every secret of the vault in one unencrypted file. Ask the person why and where the file is now; if nobody expected it, rotate the vault's most sensitive items.",
  streams: ['auditevents', 'itemusages'],
  defaults: { exportOffboardingDays: 14, itemExportCount: 3 },
  async evaluate(event, { settings, history }) {
    if (event.action !== 'export' || !event.person.id) return [];
    const at = event.time ?? 0;
    await history.remember(exportKey(event.person.uuid ?? event.person.id), {
      id: event.ref.uuid,
      at,
      expiresAt: at + settings.exportOffboardingDays * DAY,
      data: refData(event),
    });
    if (event.stream === 'itemusages') {
      // An export makes one item usage per item; a lone one is routine noise (BENCHMARKS.md).
      const window = await eventsInWindow(history, `vault-export-items:${event.person.id}`, event, HOUR);
      if (window.length < settings.itemExportCount) return [];
      if (!(await firstInPeriod(history, `vault-export:${event.person.id}`, event, HOUR))) return [];
    }
    const what =
      event.stream === 'itemusages'
        ? `items of vault ${event.vaultUuid ?? '?'}`
        : `${event.objectType ?? 'data'} ${event.objectUuid ?? ''}`.trim();
    return [
      signalOf(event, `${describePerson(event.person)} exported ${what} from ${from(event)}`, {
        details: { stream: event.stream },
      }),
    ];
  },
});
