/** Collects, renders and writes the activity report of a local archive. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { openLocalArchive } from '../local-archive';
import { collectReport, type ReportData, type ReportOptions } from './collect';
import { readArchiveFindings } from './findings';
import { renderReportPage } from './page';

export interface WriteReportOptions extends ReportOptions {
  /** A local copy of the bucket (`<dir>/source=.../type=.../dt=.../*.ndjson.gz`). */
  readonly archiveDir: string;
  /** The HTML file to write. */
  readonly outFile: string;
  /** @default - the current time */
  readonly now?: Date;
  /** @default '1Password activity' */
  readonly title?: string;
}

export async function writeReport(options: WriteReportOptions): Promise<{ path: string; data: ReportData }> {
  const now = options.now ?? new Date();
  const archive = await openLocalArchive(options.archiveDir, { now, materialize: true });
  let data: ReportData;
  try {
    data = await collectReport(archive, now, options);
    data = { ...data, findings: readArchiveFindings(options.archiveDir, data) };
  } finally {
    archive.close();
  }
  const path = resolve(options.outFile);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderReportPage(data, options.title ? { title: options.title } : {}));
  return { path, data };
}
