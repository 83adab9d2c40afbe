import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseQueryArgs, queryCommand, UsageError } from '../../cli/commands/query';
import { parseReportArgs, reportCommand } from '../../cli/commands/report';
import { SAVED_QUERIES } from '../../search/queries';
import { writeSmallArchive } from './support/small-archive';

class Buffered {
  text = '';
  write(chunk: string) {
    this.text += chunk;
    return true;
  }
}

const NOW = new Date('2026-11-21T12:00:00.000Z');

describe('query and report commands', () => {
  let dir: string;
  beforeAll(() => {
    dir = writeSmallArchive(NOW);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function query(...args: string[]) {
    const io = { stdout: new Buffered(), stderr: new Buffered() };
    const status = await queryCommand(
      parseQueryArgs(['--dir', dir, '--now', NOW.toISOString(), ...args]),
      io,
    );
    return { status, stdout: io.stdout.text, stderr: io.stderr.text };
  }

  it('lists every saved query with its parameters', async () => {
    const { status, stdout } = await query('--list');

    expect(status).toBe(0);
    for (const saved of SAVED_QUERIES) expect(stdout).toContain(saved.id);
    expect(stdout).toContain('--param days=30');
  });

  it('prints a saved query as an aligned table with names from the lookups', async () => {
    const { status, stdout } = await query('item-reveals-copies-exports', '--param', 'days=1');

    expect(status).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^event_time\s+vault_name\s+item_title\s+action/);
    expect(lines[1]).toMatch(/^─+ {2}─+/);
    expect(stdout).toContain('Finance, shared');
    expect(stdout).toContain('Alice Appleseed');
    expect(lines.at(-1)).toBe('2 rows');
  });

  it('writes CSV and JSON for other tools', async () => {
    const csv = await query(
      '--sql',
      'SELECT user_name, count(*) AS n FROM itemusages_named GROUP BY 1 ORDER BY 1',
      '--format',
      'csv',
    );
    const json = await query('top-items', '--format', 'json');

    expect(csv.stdout).toBe('user_name,n\nAlice Appleseed,1\n"Bob ""Bobby"" Tables",2\n');
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ item_uuid: 'item1', usages: 2, users: 2, vault_name: 'Finance, shared' }),
      expect.objectContaining({ item_uuid: 'item2', usages: 1, users: 1 }),
    ]);
  });

  it('runs SQL from a file', async () => {
    const file = join(dir, 'q.sql');
    writeFileSync(file, "SELECT count(*) AS failed FROM signinattempts_named WHERE outcome = 'failure'");

    expect((await query('--file', file, '--format', 'csv')).stdout).toBe('failed\n1\n');
  });

  it('prints the Athena text of a saved query without an archive', async () => {
    const io = { stdout: new Buffered(), stderr: new Buffered() };
    const status = await queryCommand(
      parseQueryArgs(['--print', '--dialect', 'athena', 'activity-per-day', '--param', 'days=7']),
      io,
    );

    expect(status).toBe(0);
    expect(io.stdout.text).toContain('FROM signinattempts_named');
    expect(io.stdout.text).toContain('date_format(');
    expect(io.stdout.text).toContain("INTERVAL '7' DAY");
  });

  it('says what is wrong with a bad parameter, a missing archive or failing SQL', async () => {
    const badParam = await query('top-items', '--param', 'days=soon');
    const io = { stdout: new Buffered(), stderr: new Buffered() };
    const missing = await queryCommand(parseQueryArgs(['--dir', join(dir, 'nope'), 'top-items']), io);
    const badSql = await query('--sql', 'SELECT nope FROM itemusages');

    expect(badParam).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('days must be a whole number'),
    });
    expect(missing).toBe(2);
    expect(io.stderr.text).toContain('is not a folder; point --dir at a local copy of the bucket');
    expect(badSql).toMatchObject({ status: 1, stderr: expect.stringMatching(/^query failed: .*nope/) });
  });

  it.each([
    [['no-such-query'], /no saved query no-such-query; the saved queries are: failed-signins/],
    [[], /name a saved query/],
    [['top-items', '--sql', 'SELECT 1'], /not several/],
    [['top-items', '--format', 'xml'], /--format must be table, csv or json/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['top-items', '--param', 'days'], /--param takes name=value/],
    [['top-items', '--now', 'yesterday'], /--now must be an RFC 3339 instant/],
  ])('refuses %j with a usage error', (args, message) => {
    expect(() => parseQueryArgs(args)).toThrow(UsageError);
    expect(() => parseQueryArgs(args)).toThrow(message);
  });

  it('writes the report beside the archive and says where', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'op-report-')), 'activity.html');
    const io = { stdout: new Buffered(), stderr: new Buffered() };

    const status = await reportCommand(
      parseReportArgs(['--dir', dir, '--out', out, '--now', NOW.toISOString(), '--title', 'Acme <activity>']),
      io,
    );

    expect(status).toBe(0);
    expect(io.stdout.text).toMatch(
      /^Report: .*activity\.html \(5 events, 2026-11-21 to 2026-11-21\)\n {2}open file:\/\//,
    );
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<title>Acme &lt;activity&gt;');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(parseReportArgs(['--dir', dir]).out).toBe(join(dir, '..', 'report.html'));
  });

  it('refuses report options it cannot use', () => {
    expect(() => parseReportArgs(['--days', '0'])).toThrow(/--days must be a whole number from 1/);
    expect(() => parseReportArgs(['--screenshot-height', '800'])).toThrow(/needs --screenshot/);
    expect(() => parseReportArgs(['extra'])).toThrow(UsageError);
  });

  it('reports a missing archive with status 2 and writes nothing', async () => {
    const io = { stdout: new Buffered(), stderr: new Buffered() };
    const out = join(dir, 'never.html');

    expect(await reportCommand(parseReportArgs(['--dir', join(dir, 'nope'), '--out', out]), io)).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
});
