import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { temporaryDir } from './support';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'cli', 'bin.ts');

/** Runs the real `op-events-archive` executable, as `npx op-events-archive` does. */
function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { cwd: ROOT, env: process.env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

describe('the op-events-archive executable', () => {
  it('prints its commands and exit codes with --help', async () => {
    const [top, command] = await Promise.all([run(['--help']), run(['verify', '--help'])]);

    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^Usage: op-events-archive <command> \[options\]/);
    expect(top.stdout).toContain('  130  interrupted (Ctrl-C)');
    expect(command.code).toBe(0);
    expect(command.stdout).toMatch(
      /^Usage: op-events-archive verify --source NAME \(--bucket NAME \| --dir PATH\)/,
    );
  });

  it('collects from the simulator into a folder and verifies it, exiting 0 each time', async () => {
    const dir = temporaryDir('bin');

    const collected = await run([
      'collect',
      '--simulator',
      '--dir',
      dir,
      '--simulator-events',
      '1500',
      '--json',
    ]);
    const verified = await run(['verify', '--dir', dir, '--source', 'local']);

    expect(collected.code).toBe(0);
    expect(JSON.parse(collected.stdout)).toMatchObject({ caughtUp: true, simulator: true });
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('Result: OK, every stream is complete and its chain intact.');
  });

  it('exits 2 without echoing a token given as an argument, and for an unknown command', async () => {
    const token = `eyJhbGciOiJFUzI1NiJ9.${Buffer.from('{"aud":["events.1password.com"]}').toString('base64url')}.c2lnbmF0dXJl`;

    const [inline, unknown] = await Promise.all([run(['check-token', '--token', token]), run([token])]);

    expect(inline.code).toBe(2);
    expect(inline.stderr).toContain('refusing a token on the command line');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command (not shown: it looks like a token)');
    expect(inline.stdout + inline.stderr + unknown.stdout + unknown.stderr).not.toContain('c2lnbmF0dXJl');
  });
});
