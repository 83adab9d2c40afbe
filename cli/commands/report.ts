/**
 * `op-events-archive report`: the activity report of a local copy of the archive, as one
 * self-contained HTML page, and optionally a PNG of it drawn by headless Chromium.
 */
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ArchiveNotFoundError } from '../../search/local-archive';
import { screenshotHtml } from '../../search/report/browser';
import { formatNumber } from '../../search/report/charts';
import { writeReport } from '../../search/report/write-report';
import { type CommandIo, DEFAULT_ARCHIVE_DIR, parseOrUsage, UsageError } from './query';

export const REPORT_USAGE = `Usage: op-events-archive report [options]

Writes the activity report of a local copy of the archive: events per day per stream, item
usage by action, the most used items and most active people, failed sign-ins by category and
country, administrative changes; vault and item names from lookups/ when present.

Options:
  --dir <dir>              the local archive (default ${DEFAULT_ARCHIVE_DIR})
  --out <file>             the HTML file to write (default: report.html beside the archive folder)
  --days <n>               the last n days (default: since the oldest event)
  --top <n>                rows in the "most used" charts (default 10)
  --title <text>           the page title (default "1Password activity")
  --now <instant>          the report's "now", an RFC 3339 instant (default: the current time)
  --screenshot <png>       also write a PNG of the page (needs Chromium: apt-get install chromium)
  --screenshot-height <n>  only the top n pixels of the page in the PNG
  -h, --help               this help
`;

export interface ReportCommandOptions {
  readonly archive: string;
  readonly out: string;
  readonly days?: number;
  readonly top: number;
  readonly title?: string;
  readonly now?: Date;
  readonly screenshot?: string;
  readonly screenshotHeight?: number;
  readonly help: boolean;
}

export function parseReportArgs(args: readonly string[]): ReportCommandOptions {
  const { values } = parseOrUsage(() =>
    parseArgs({
      args: [...args],
      allowPositionals: false,
      options: {
        dir: { type: 'string', default: DEFAULT_ARCHIVE_DIR },
        out: { type: 'string' },
        days: { type: 'string' },
        top: { type: 'string', default: '10' },
        title: { type: 'string' },
        now: { type: 'string' },
        screenshot: { type: 'string' },
        'screenshot-height': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }),
  );
  const whole = (name: string, text: string | undefined, max: number): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < 1 || value > max) {
      throw new UsageError(`--${name} must be a whole number from 1 to ${max}, not ${text}`);
    }
    return value;
  };
  const days = whole('days', values.days, 36_500);
  const screenshotHeight = whole('screenshot-height', values['screenshot-height'], 20_000);
  if (screenshotHeight !== undefined && values.screenshot === undefined) {
    throw new UsageError('--screenshot-height needs --screenshot');
  }
  let now: Date | undefined;
  if (values.now !== undefined) {
    const ms = Date.parse(values.now);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(values.now) || Number.isNaN(ms)) {
      throw new UsageError(
        `--now must be an RFC 3339 instant such as 2026-11-21T12:00:00Z, not ${values.now}`,
      );
    }
    now = new Date(ms);
  }
  return {
    archive: values.dir,
    out: values.out ?? join(dirname(resolve(values.dir)), 'report.html'),
    ...(days !== undefined ? { days } : {}),
    top: whole('top', values.top, 100) ?? 10,
    ...(values.title !== undefined ? { title: values.title } : {}),
    ...(now ? { now } : {}),
    ...(values.screenshot !== undefined ? { screenshot: values.screenshot } : {}),
    ...(screenshotHeight !== undefined ? { screenshotHeight } : {}),
    help: values.help,
  };
}

/** Writes the report; resolves with the exit status (0 ok, 1 failed, 2 no archive there). */
export async function reportCommand(options: ReportCommandOptions, io: CommandIo): Promise<number> {
  if (options.help) {
    io.stdout.write(REPORT_USAGE);
    return 0;
  }
  try {
    const { path, data } = await writeReport({
      archiveDir: options.archive,
      outFile: options.out,
      top: options.top,
      ...(options.days !== undefined ? { days: options.days } : {}),
      ...(options.title !== undefined ? { title: options.title } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    const events = data.totals.signinattempts + data.totals.itemusages + data.totals.auditevents;
    io.stdout.write(
      `Report: ${displayPath(path)} (${formatNumber(events)} events, ${data.from} to ${data.to})\n` +
        `  open ${pathToFileURL(path).href}\n`,
    );
    if (options.screenshot !== undefined) {
      const png = resolve(options.screenshot);
      await screenshotHtml(path, png, options.screenshotHeight ? { height: options.screenshotHeight } : {});
      io.stdout.write(`Screenshot: ${displayPath(png)}\n`);
    }
    return 0;
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n`);
    return error instanceof ArchiveNotFoundError ? 2 : 1;
  }
}

function displayPath(path: string): string {
  const relativePath = relative(process.cwd(), path);
  return relativePath.startsWith('..') ? path : relativePath;
}
