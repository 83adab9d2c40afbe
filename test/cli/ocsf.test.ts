import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetReadObjects } from 'hyparquet';
import { PARQUET_DECOMPRESSORS } from '../../lambdas/shared/ocsf/parquet';
import { validateOcsf } from '../ocsf/support/ocsf-schema';
import { REAL_SHAPES } from '../search/support/real-shapes';
import { cli } from './support';

/** A local archive in the bucket's layout holding every published event shape, one object per stream. */
function archive(): string {
  const dir = mkdtempSync(join(tmpdir(), 'op-ocsf-'));
  for (const [stream, texts] of Object.entries(REAL_SHAPES)) {
    const path = join(dir, `source=acme/type=${stream}/dt=2026-03-10/000000000001.ndjson.gz`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, gzipSync(`${texts.join('\n')}\n`));
  }
  return dir;
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

const EVENTS = Object.values(REAL_SHAPES).reduce((n, texts) => n + texts.length, 0);

describe('ocsf', () => {
  it('writes Parquet per class in the Security Lake layout, every event once', async () => {
    const out = mkdtempSync(join(tmpdir(), 'op-ocsf-out-'));
    const { code, stdout } = await cli(
      ['ocsf', '--dir', archive(), '--out', out, '--region', 'eu-west-1', '--account', '123456789012'],
      { env: { AWS_REGION: '' } },
    );
    expect(code).toBe(0);
    expect(stdout).toContain(`Converted ${EVENTS} events from 3 archive objects to OCSF 1.1.0 (parquet)`);
    const written = files(out);
    for (const file of written)
      expect(file).toMatch(
        /^ext\/1password-[a-z-]+\/region=eu-west-1\/accountId=123456789012\/eventDay=\d{8}\/(signinattempts|itemusages|auditevents)-000000000001-[0-9a-f]{16}\.parquet$/,
      );
    expect(new Set(written.map((file) => file.split('/')[1]))).toEqual(
      new Set([
        '1password-authentication',
        '1password-entity-management',
        '1password-account-change',
        '1password-user-access-management',
        '1password-group-management',
      ]),
    );
    let records = 0;
    for (const file of written) {
      const bytes = readFileSync(join(out, file));
      const rows = await parquetReadObjects({
        file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
        compressors: PARQUET_DECOMPRESSORS,
      });
      records += rows.length;
    }
    expect(records).toBe(EVENTS);
  });

  it('writes NDJSON records that validate, and the same files again when run again', async () => {
    const dir = archive();
    const out = mkdtempSync(join(tmpdir(), 'op-ocsf-out-'));
    const run = () => cli(['ocsf', '--dir', dir, '--out', out, '--format', 'ndjson', '--json']);
    const first = await run();
    expect(first.code).toBe(0);
    expect(first.json()).toMatchObject({
      ocsfVersion: '1.1.0',
      inputObjects: 3,
      events: EVENTS,
      rejectedLines: 0,
    });
    const before = files(out).map((file) => [file, readFileSync(join(out, file), 'utf8')]);
    const records = before.flatMap(([, text]) =>
      (text ?? '')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    );
    expect(records).toHaveLength(EVENTS);
    expect(records.flatMap((record) => validateOcsf(record))).toEqual([]);
    expect((await run()).code).toBe(0);
    expect(files(out).map((file) => [file, readFileSync(join(out, file), 'utf8')])).toEqual(before);
  });

  it('says what to fix when the archive or an option is wrong', async () => {
    expect((await cli(['ocsf'])).stderr).toContain('--dir PATH');
    expect((await cli(['ocsf', '--dir', '/nonexistent/archive'])).stderr).toContain('does not exist');
    expect((await cli(['ocsf', '--dir', archive(), '--format', 'csv'])).stderr).toContain(
      'parquet or ndjson',
    );
    const empty = mkdtempSync(join(tmpdir(), 'op-ocsf-empty-'));
    const { code, stderr } = await cli(['ocsf', '--dir', empty]);
    expect(code).toBe(2);
    expect(stderr).toContain('no archive objects');
  });
});
