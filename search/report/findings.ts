/**
 * The findings the detector wrote under the archive's `findings/` prefix, for the report. The
 * report shows what was raised and delivered (each finding written once, as evidence), not a
 * fresh backtest: a backtest at report time could disagree with what was sent (other settings,
 * suppressions) and would run every rule over every event again. `op-events-archive detect`
 * is the backtest.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIDECAR_SUFFIX } from '../../lambdas/shared/archive/file-archive';
import type { Finding } from '../../lambdas/shared/detections/finding';
import { SEVERITIES, type Severity } from '../../lambdas/shared/detections/rule';

export interface ReportFinding {
  readonly time: string;
  readonly ruleId: string;
  readonly title: string;
  readonly severity: Severity;
  readonly source: string;
  readonly who: string;
  readonly summary: string;
  /** The archive keys (and lines) of the events behind it. */
  readonly evidence: readonly { key: string; line: number }[];
}

export interface ReportFindings {
  /** Findings in the report's period, newest first, at most `limit`. */
  readonly latest: readonly ReportFinding[];
  readonly total: number;
  readonly bySeverity: Readonly<Record<Severity, number>>;
}

/** Findings under `<archiveDir>/findings/source=*\/dt=*\/*.json` whose time is in [from, to]. */
export function readArchiveFindings(
  archiveDir: string,
  period: { from: string; to: string },
  limit = 50,
): ReportFindings {
  const root = join(archiveDir, 'findings');
  const found: ReportFinding[] = [];
  if (existsSync(root)) {
    for (const source of readdirSync(root)) {
      for (const day of readdirSync(join(root, source))) {
        if (day.slice(3) < period.from.slice(0, 10) || day.slice(3) > period.to.slice(0, 10)) continue;
        for (const name of readdirSync(join(root, source, day))) {
          if (!name.endsWith('.json') || name.endsWith(SIDECAR_SUFFIX)) continue;
          const finding = JSON.parse(readFileSync(join(root, source, day, name), 'utf8')) as Finding;
          found.push({
            time: finding.time,
            ruleId: finding.ruleId,
            title: finding.title,
            severity: finding.severity,
            source: finding.source,
            who: finding.person?.email ?? finding.person?.name ?? finding.person?.uuid ?? '',
            summary: finding.summary,
            evidence: finding.events.map((ref) => ({ key: ref.key, line: ref.line })),
          });
        }
      }
    }
  }
  found.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : a.ruleId.localeCompare(b.ruleId)));
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const finding of found) bySeverity[finding.severity] += 1;
  return { latest: found.slice(0, limit), total: found.length, bySeverity };
}
