import { describePerson } from '../../shared/detections/finding';
import type { HistoryEntry } from '../../shared/detections/history';
import { defineRule } from '../../shared/detections/rule';
import { DAY, eventsInWindow, firstInPeriod, from, HOUR, refData, signalOf } from './helpers';

/** The history key of a person's exports, read by {@link exportBeforeOffboarding}. */
export const exportKey = (personId: string) => `exports:${personId}`;

/**
 * An export of vault data: the audit event of the export, or item usages (one per item
 * exported) once one person's number `itemExportCount` within an hour. One export makes both,
 * so a person's exports make one finding an hour. Only what counts here as an export is
 * remembered, for `exportOffboardingDays`, for the export-before-offboarding rule: a lone item
 * export is neither.
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
    let exported: readonly HistoryEntry[] = [{ id: event.ref.uuid, at, expiresAt: at, data: refData(event) }];
    if (event.stream === 'itemusages') {
      // An export makes one item usage per item; a lone one is routine noise (BENCHMARKS.md).
      const window = await eventsInWindow(history, `vault-export-items:${event.person.id}`, event, HOUR);
      if (window.length < settings.itemExportCount) return [];
      // The items before the one that made the count are remembered with it, once.
      if (window.length === settings.itemExportCount) exported = window;
    }
    for (const entry of exported)
      await history.remember(exportKey(event.person.uuid ?? event.person.id), {
        id: entry.id,
        at: entry.at,
        expiresAt: entry.at + settings.exportOffboardingDays * DAY,
        ...(entry.data ? { data: entry.data } : {}),
      });
    if (!(await firstInPeriod(history, `vault-export:${event.person.id}`, event, HOUR))) return [];
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
