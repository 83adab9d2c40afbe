import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

describe('npm start (the embedded demo)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'op-events-demo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the collector end to end and proves the archive holds every event exactly once', async () => {
    const { stdout } = await run(
      process.execPath,
      [require.resolve('tsx/cli'), 'dev/demo/main.ts', '--events', '600', '--dir', dir],
      { cwd: join(__dirname, '..', '..'), timeout: 90_000, env: { ...process.env, CI: 'true' } },
    );

    expect(stdout).toMatch(/Exactly-once check: [\d,]+ events served by the API, each archived exactly once/);
    expect(stdout).toMatch(/Hash chain: every object hashes to its metadata/);
    expect(stdout).toMatch(/the other invocation backed off on 3 streams/);
    expect(stdout).toMatch(/× 429 retried/);
    expect(stdout).toMatch(/^signinattempts\s+[\d,]+\s+\d+\s+\d{4}-\d{2}-\d{2}T/m);
    expect(existsSync(join(dir, 'archive', 'source=demo', 'type=auditevents'))).toBe(true);
    expect(stdout).toMatch(/Activity report: .*report\.html/);
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
    // The exported copy is a local archive the operator CLI can verify.
    const verified = await run(
      process.execPath,
      [
        require.resolve('tsx/cli'),
        'cli/bin.ts',
        'verify',
        '--dir',
        join(dir, 'archive'),
        '--source',
        'demo',
        '--json',
      ],
      { cwd: join(__dirname, '..', '..'), timeout: 60_000 },
    );
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });
  });
});
