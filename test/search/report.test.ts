import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { parseReportArgs, reportCommand } from '../../cli/commands/report';
import { eventInstant } from '../../dev/simulator/index';
import { chromiumPath, launchChromium } from '../../search/report/browser';
import { NO_ACTION } from '../../search/report/collect';
import { writeSampleLookups } from '../../search/sample-lookups';
import { isoCountry } from './support/expected';

const REPO_ROOT = resolve(__dirname, '..', '..');
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const STREAMS = ['signinattempts', 'itemusages', 'auditevents'] as const;

type Event = Record<string, unknown>;

/** Every event in the archive folder, read with zlib and JSON.parse: no DuckDB involved. */
function readArchive(dir: string): Record<(typeof STREAMS)[number], Event[]> {
  const events = { signinattempts: [] as Event[], itemusages: [] as Event[], auditevents: [] as Event[] };
  for (const source of readdirSync(dir).filter((name) => name.startsWith('source='))) {
    for (const stream of STREAMS) {
      const streamDir = join(dir, source, `type=${stream}`);
      if (!existsSync(streamDir)) continue;
      for (const dt of readdirSync(streamDir)) {
        for (const file of readdirSync(join(streamDir, dt)).filter((name) => name.endsWith('.ndjson.gz'))) {
          const lines = gunzipSync(readFileSync(join(streamDir, dt, file)))
            .toString('utf8')
            .split('\n');
          for (const line of lines) if (line) events[stream].push(JSON.parse(line) as Event);
        }
      }
    }
  }
  return events;
}

const dayOf = (event: Event) => {
  // A time stamp without a zone is UTC.
  const instant = eventInstant(String(event.timestamp));
  return new Date(instant?.ms ?? Number.NaN).toISOString().slice(0, 10);
};

function tally(events: Event[], key: (event: Event) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) counts[key(event)] = (counts[key(event)] ?? 0) + 1;
  return counts;
}

const hasChromium = existsSync(chromiumPath());
if (!hasChromium && process.env.CI !== 'true') {
  process.stderr.write(
    `Skipping the report's browser test: no Chromium at ${chromiumPath()}. Install it with \`apt-get install chromium\` (Debian/Ubuntu) or set CHROMIUM_PATH.\n`,
  );
}
// In CI a missing browser is a failure (launchChromium says what to install), never a skip.
const describeInBrowser = hasChromium || process.env.CI === 'true' ? describe : describe.skip;

describeInBrowser('activity report of the demo archive, in headless Chromium', () => {
  let work: string;
  let archiveDir: string;
  let reportFile: string;
  let events: ReturnType<typeof readArchive>;
  let browser: Browser;
  let page: Page;
  const blocked: string[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'op-report-demo-'));
    await promisify(execFile)(
      process.execPath,
      [
        join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'),
        'dev/demo/main.ts',
        '--dir',
        work,
        '--events',
        '1200',
      ],
      { cwd: REPO_ROOT, env: { ...process.env, FORCE_COLOR: '0' }, timeout: 45_000 },
    );
    archiveDir = join(work, 'archive');
    await writeSampleLookups(archiveDir);
    events = readArchive(archiveDir);
    reportFile = join(work, 'report.html');
    const io = {
      stdout: { write: () => true },
      stderr: { write: (text: string) => process.stderr.write(text) },
    };
    expect(await reportCommand(parseReportArgs(['--dir', archiveDir, '--out', reportFile]), io)).toBe(0);

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.route(/^(?!file:)/, (route) => {
      blocked.push(route.request().url());
      return route.abort();
    });
    await page.goto(pathToFileURL(reportFile).href);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const chartTotal = (chart: string) =>
    page.locator(`figure[data-chart="${chart}"]`).getAttribute('data-total').then(Number);
  const rowValues = (chart: string): Promise<Record<string, number>> =>
    page
      .locator(`figure[data-chart="${chart}"] g.row`)
      .evaluateAll((rows) =>
        Object.fromEntries(
          rows.map((row) => [row.getAttribute('data-key') ?? '', Number(row.getAttribute('data-value'))]),
        ),
      );

  it('is self-contained: nothing is fetched from the network', () => {
    expect(blocked).toEqual([]);
  });

  it('draws the activity graph with every archived event, per stream and per day', async () => {
    const total = STREAMS.reduce((sum, stream) => sum + events[stream].length, 0);
    const legend = await page
      .locator('figure[data-chart="activity"] .legend li')
      .evaluateAll((items) =>
        Object.fromEntries(
          items.map((li) => [li.getAttribute('data-stream'), Number(li.getAttribute('data-total'))]),
        ),
      );
    const bars = await page.locator('figure[data-chart="activity"] g.bar').evaluateAll((groups) =>
      groups.map((g) => ({
        day: g.getAttribute('data-day'),
        total: Number(g.getAttribute('data-total')),
        streams: Object.fromEntries(
          [...g.querySelectorAll('rect')].map((rect) => [
            rect.getAttribute('data-stream'),
            Number(rect.getAttribute('data-value')),
          ]),
        ),
      })),
    );

    expect(await chartTotal('activity')).toBe(total);
    expect(legend).toEqual(Object.fromEntries(STREAMS.map((stream) => [stream, events[stream].length])));
    for (const stream of STREAMS) {
      const perDay = tally(events[stream], dayOf);
      const drawn = Object.fromEntries(
        bars.filter((bar) => bar.streams[stream]).map((bar) => [bar.day, bar.streams[stream]]),
      );
      expect(drawn).toEqual(perDay);
    }
    expect(bars.reduce((sum, bar) => sum + bar.total, 0)).toBe(total);
  });

  it('draws item usage by action with the archive’s counts', async () => {
    expect(await chartTotal('item-actions')).toBe(events.itemusages.length);
    expect(await rowValues('item-actions')).toEqual(
      tally(events.itemusages, (event) => String(event.action ?? NO_ACTION)),
    );
  });

  it('draws failed sign-ins by category and by country', async () => {
    const failed = events.signinattempts.filter(
      (event) => event.category !== 'success' && event.category !== 'firewall_reported_success',
    );

    expect(await chartTotal('failed-by-category')).toBe(failed.length);
    expect(await chartTotal('failed-by-country')).toBe(failed.length);
    expect(await rowValues('failed-by-category')).toEqual(tally(failed, (event) => String(event.category)));
    expect(await rowValues('failed-by-country')).toEqual(
      // Country names (France) count with their ISO code (FR).
      tally(failed, (event) => isoCountry(event.country) ?? '(unknown)'),
    );
    expect(await page.locator('[data-tile="failed-signins"]').getAttribute('data-value')).toBe(
      String(failed.length),
    );
  });

  it('shows item titles and vault names from the lookups, and people by name', async () => {
    const titles = new Map(
      readFileSync(join(archiveDir, 'lookups/items/items.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => {
          const [uuid, , ...title] = line.split(',');
          return [uuid, title.join(',').replace(/^"|"$/g, '').replace(/""/g, '"')] as const;
        }),
    );
    const usages = tally(events.itemusages, (event) => String(event.item_uuid));
    const top = await rowValues('top-items');
    const labels = await page.locator('figure[data-chart="top-items"] g.row title').allTextContents();

    expect(Object.keys(top)).toHaveLength(10);
    for (const [item, value] of Object.entries(top)) expect(value).toBe(usages[item]);
    expect(Math.min(...Object.values(top))).toBeGreaterThanOrEqual(
      Object.values(usages).sort((a, b) => b - a)[9] ?? 0,
    );
    for (const [index, item] of Object.keys(top).entries()) expect(labels[index]).toContain(titles.get(item));
    const people = await page.locator('figure[data-chart="top-users"] g.row title').allTextContents();
    expect(people[0]).toMatch(/^[A-Z][a-zà-ÿ]+ [A-Z]/);
  });

  it('lists the findings the detector wrote to the archive: rule, severity, time, who and the evidence keys', async () => {
    const root = join(archiveDir, 'findings', 'source=demo');
    const written = readdirSync(root).flatMap((day) =>
      readdirSync(join(root, day))
        .filter((name) => name.endsWith('.json') && !name.endsWith('.meta.json'))
        .map((name) => JSON.parse(readFileSync(join(root, day, name), 'utf8'))),
    );
    expect(written.length).toBeGreaterThan(0);
    const section = page.locator('section#findings');
    expect(Number(await section.getAttribute('data-findings'))).toBe(written.length);
    // The newest: the section lists the latest findings first.
    const exported = written
      .filter((finding) => finding.ruleId === 'vault-export')
      .sort((a, b) => (a.time < b.time ? 1 : -1))[0];
    const row = section.locator(`tr[data-finding="vault-export"]`).filter({ hasText: exported.summary });
    const text = await row.innerText();
    expect(text).toContain('HIGH');
    expect(text).toContain(exported.person.email);
    expect(text).toContain(exported.time.slice(0, 16).replace('T', ' '));
    for (const ref of exported.events) expect(text).toContain(ref.key);
  });

  it('renders the charts at a readable size and saves a screenshot', async () => {
    const activity = await page.locator('figure[data-chart="activity"] svg').boundingBox();
    const firstBar = await page.locator('figure[data-chart="item-actions"] g.row rect').first().boundingBox();

    expect(activity?.width).toBeGreaterThan(900);
    expect(activity?.height).toBeGreaterThan(200);
    expect(firstBar?.width).toBeGreaterThan(100);
    mkdirSync(ARTIFACTS, { recursive: true });
    const screenshot = join(ARTIFACTS, 'report.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(50_000);
  });
});
