import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SIDECAR_SUFFIX, type Sidecar } from '../../lambdas/shared/archive/file-archive';
import { MetadataKey } from '../../lambdas/shared/archive/format';
import { OCSF_CLASSES } from '../../lambdas/shared/ocsf/record';
import { OCSF_VERSION } from '../../lambdas/shared/ocsf/version';
import { cli } from '../cli/support';

const run = promisify(execFile);
const REPO = join(__dirname, '..', '..');

describe('npm start (the embedded demo)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'op-events-demo-'));
  const archive = join(dir, 'archive');
  const publicKey = join(dir, 'notary-public-key.pem');
  let stdout = '';
  beforeAll(async () => {
    ({ stdout } = await run(
      process.execPath,
      [require.resolve('tsx/cli'), 'dev/demo/main.ts', '--events', '600', '--dir', dir],
      { cwd: REPO, timeout: 90_000, env: { ...process.env, CI: 'true' } },
    ));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the collector end to end and proves the archive holds every event exactly once', async () => {
    expect(stdout).toMatch(/Exactly-once check: [\d,]+ events served by the API, each archived exactly once/);
    expect(stdout).toMatch(/Hash chain: every object hashes to its metadata/);
    expect(stdout).toMatch(/the other invocation backed off on 3 streams/);
    expect(stdout).toMatch(/× 429 retried/);
    expect(stdout).toMatch(/^signinattempts\s+[\d,]+\s+\d+\s+\d{4}-\d{2}-\d{2}T/m);
    expect(existsSync(join(archive, 'source=demo', 'type=auditevents'))).toBe(true);
    expect(stdout).toMatch(/Activity report: .*report\.html/);
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
    expect(stdout).toMatch(/Digests: 7 under digests\/source=demo\//);
    // The exported copy is a local archive the operator CLI verifies, as a separate process would.
    const verified = await run(
      process.execPath,
      [
        require.resolve('tsx/cli'),
        'cli/bin.ts',
        'verify',
        '--dir',
        archive,
        '--source',
        'demo',
        '--public-key',
        publicKey,
        '--json',
      ],
      { cwd: REPO, timeout: 60_000 },
    );
    expect(JSON.parse(verified.stdout)).toMatchObject({
      ok: true,
      digests: { digests: 7, valid: 7, findings: [] },
    });
  });

  it('plays an attack among the traffic, and the rules raise its findings into the archive soon after', () => {
    expect(stdout).toMatch(/Attack in run 2: failed sign-ins for one person from one IP/);
    expect(stdout).toMatch(/The attack raised \d+ findings from 3 of the 3 rules it should;/);
    for (const rule of ['failed-signin-burst-user', 'impossible-travel', 'vault-export'])
      expect(stdout).toMatch(new RegExp(`^\\s+2\\s+\\w+\\s+${rule}\\s+\\d+\\.\\d\\d s\\s+\\S`, 'm'));
    const days = readdirSync(join(archive, 'findings', 'source=demo'));
    const findings = days.flatMap((day) =>
      readdirSync(join(archive, 'findings', 'source=demo', day))
        .filter((name) => name.endsWith('.json'))
        .map((name) => JSON.parse(readFileSync(join(archive, 'findings', 'source=demo', day, name), 'utf8'))),
    );
    const exported = findings.find((finding) => finding.ruleId === 'vault-export');
    expect(exported).toMatchObject({
      severity: 'HIGH',
      source: 'demo',
      person: { email: expect.any(String) },
    });
    expect(exported.events[0].key).toMatch(
      /^source=demo\/type=(auditevents|itemusages)\/dt=\d{4}-\d{2}-\d{2}\/\d+\.ndjson\.gz$/,
    );
  });

  it("runs the OCSF transformer on the demo's digests and shows one record of each class, every archived event a record", () => {
    const count = (text: string | undefined) => Number((text ?? '').replaceAll(',', ''));
    const streams = [
      ...stdout.matchAll(/^(?:signinattempts|itemusages|auditevents)\s+([\d,]+)\s+(\d+)\s+\d{4}-/gm),
    ];
    const archived = streams.map((match) => count(match[1])).reduce((sum, n) => sum + n, 0);
    expect(archived).toBeGreaterThan(0);
    let records = 0;
    for (const { name, uid } of Object.values(OCSF_CLASSES)) {
      // The class, its records and objects, one record's activity, status and time, then that record's JSON.
      const line = new RegExp(
        `^${name}\\s+${uid}\\s+([\\d,]+)\\s+[\\d,]+\\s+[A-Z][\\w ]+, \\w+, \\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z, \\S+.*\\n {2}\\{"`,
        'm',
      ).exec(stdout);
      expect(line).not.toBeNull();
      records += count(line?.[1]);
    }
    expect(records).toBe(archived);
    expect(stdout).toMatch(
      new RegExp(
        `OCSF ${OCSF_VERSION.replaceAll('.', '\\.')}: the transformer turned the \\d+ digests' archive objects into ${archived.toLocaleString('en-US')} records`,
      ),
    );
  });

  describe('verify --dir with the public key fails, naming the key, when the archive was tampered with', () => {
    let copies = 0;
    /** A fresh copy of the demo's archive, for one way of tampering with it. */
    const copy = () => {
      const target = join(dir, `tampered-${++copies}`);
      cpSync(archive, target, { recursive: true });
      return target;
    };
    const verifyDir = (target: string, ...extra: string[]) =>
      cli(['verify', '--dir', target, '--source', 'demo', '--public-key', publicKey, '--json', ...extra]);
    const objectKeys = (target: string, stream: string) =>
      readdirSync(join(target, `source=demo/type=${stream}`), { recursive: true })
        .map(String)
        .filter((name) => name.endsWith('.ndjson.gz'))
        .sort()
        .map((name) => `source=demo/type=${stream}/${name}`);
    const readSidecar = (target: string, key: string) =>
      JSON.parse(readFileSync(join(target, `${key}${SIDECAR_SUFFIX}`), 'utf8')) as Sidecar;
    const writeSidecar = (target: string, key: string, sidecar: Sidecar) =>
      writeFileSync(join(target, `${key}${SIDECAR_SUFFIX}`), JSON.stringify(sidecar));
    /** Changes the first event of an object (not its time): its body no longer hashes to what was signed. */
    const alterEvent = (target: string, key: string) => {
      const lines = gunzipSync(readFileSync(join(target, key)))
        .toString('utf8')
        .split('\n');
      const event = JSON.parse(lines[0] as string) as Record<string, unknown>;
      lines[0] = JSON.stringify({ ...event, uuid: `${String(event.uuid).slice(0, -1)}X` });
      const body = Buffer.from(lines.join('\n'));
      writeFileSync(join(target, key), gzipSync(body));
      return { body, lines: lines.filter(Boolean).length };
    };
    const findingsAt = (result: Awaited<ReturnType<typeof verifyDir>>, key: string) => {
      const document = result.json();
      return [
        ...document.digests.findings,
        ...document.streams.flatMap((stream: { findings: unknown[] }) => stream.findings),
      ].filter((finding: { key?: string }) => finding.key === key);
    };

    it('an altered event', async () => {
      const target = copy();
      const [key] = objectKeys(target, 'itemusages');
      alterEvent(target, key as string);
      const result = await verifyDir(target);
      expect(result.code).toBe(1);
      expect(findingsAt(result, key as string)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ kind: 'altered', detail: expect.stringMatching(/signed/) }),
        ]),
      );
    });

    it('an altered event with its hash, its count and its successor’s link rewritten to match', async () => {
      const target = copy();
      const [key, successor] = objectKeys(target, 'itemusages') as [string, string];
      const { body, lines } = alterEvent(target, key);
      const sha256 = createHash('sha256').update(body).digest('hex');
      const sidecar = readSidecar(target, key);
      writeSidecar(target, key, {
        ...sidecar,
        Metadata: {
          ...sidecar.Metadata,
          [MetadataKey.sha256]: sha256,
          [MetadataKey.eventCount]: String(lines),
        },
      });
      const next = readSidecar(target, successor);
      writeSidecar(target, successor, {
        ...next,
        Metadata: { ...next.Metadata, [MetadataKey.prevSha256]: sha256 },
      });

      // Without the digests the chain is consistent again: only the signature shows the change.
      const unsigned = await cli(['verify', '--dir', target, '--source', 'demo', '--json']);
      expect(unsigned.json().ok).toBe(true);
      const result = await verifyDir(target);
      expect(result.code).toBe(1);
      expect(findingsAt(result, key)).toEqual([expect.objectContaining({ kind: 'altered' })]);
    });

    it('a deleted object, in the middle of a stream or its newest', async () => {
      const target = copy();
      const keys = objectKeys(target, 'itemusages');
      const middle = keys[1] as string;
      const newest = keys.at(-1) as string;
      for (const key of [middle, newest]) {
        rmSync(join(target, key));
        rmSync(join(target, `${key}${SIDECAR_SUFFIX}`));
      }
      const result = await verifyDir(target);
      expect(result.code).toBe(1);
      expect(findingsAt(result, middle)).toEqual([expect.objectContaining({ kind: 'missing' })]);
      expect(findingsAt(result, newest)).toEqual([expect.objectContaining({ kind: 'missing' })]);
    });

    it('a foreign object: a second object for a signed sequence number', async () => {
      const target = copy();
      const [key] = objectKeys(target, 'auditevents') as [string];
      const foreign = key.replace(/dt=\d{4}-\d{2}-\d{2}/, 'dt=2020-01-01');
      cpSync(join(target, key), join(target, foreign));
      cpSync(join(target, `${key}${SIDECAR_SUFFIX}`), join(target, `${foreign}${SIDECAR_SUFFIX}`));
      const result = await verifyDir(target);
      expect(result.code).toBe(1);
      expect(findingsAt(result, foreign)).toEqual(
        expect.arrayContaining([expect.objectContaining({ kind: 'foreign' })]),
      );
    });

    it('a forged digest: changed, or signed again with another key', async () => {
      const target = copy();
      const changed = 'digests/source=demo/000000000002.json';
      const digest = JSON.parse(readFileSync(join(target, changed), 'utf8'));
      digest.streams[0].objects = [];
      writeFileSync(join(target, changed), `${JSON.stringify(digest, null, 2)}\n`);

      const resigned = 'digests/source=demo/000000000004.json';
      const body = readFileSync(join(target, resigned));
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const sidecar = readSidecar(target, resigned);
      writeSidecar(target, resigned, {
        ...sidecar,
        Metadata: { ...sidecar.Metadata, signature: sign('sha256', body, privateKey).toString('base64') },
      });

      const result = await verifyDir(target);
      expect(result.code).toBe(1);
      for (const key of [changed, resigned]) {
        expect(findingsAt(result, key)).toEqual([
          expect.objectContaining({
            kind: 'digest-invalid',
            detail: expect.stringMatching(/signature does not verify/),
          }),
        ]);
      }
    });

    it('a removed digest: one in the middle, and the newest once the next is due', async () => {
      const target = copy();
      const middle = 'digests/source=demo/000000000003.json';
      rmSync(join(target, middle));
      rmSync(join(target, `${middle}${SIDECAR_SUFFIX}`));
      const result = await verifyDir(target);
      expect(result.code).toBe(1);
      expect(findingsAt(result, middle)).toEqual([expect.objectContaining({ kind: 'digest-missing' })]);

      const newest = 'digests/source=demo/000000000007.json';
      rmSync(join(target, newest));
      rmSync(join(target, `${newest}${SIDECAR_SUFFIX}`));
      const twoHoursLater = Date.now() + 2 * 3_600_000;
      const late = await cli(
        [
          'verify',
          '--dir',
          target,
          '--source',
          'demo',
          '--public-key',
          publicKey,
          '--json',
          '--digest-max-age',
          '1',
        ],
        { now: () => twoHoursLater },
      );
      expect(findingsAt(late, newest)).toEqual([
        expect.objectContaining({ kind: 'digest-missing', detail: expect.stringMatching(/no digest since/) }),
      ]);
    });
  });
});
