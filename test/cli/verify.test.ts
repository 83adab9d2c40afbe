import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { BatchBuilder, type SealedBatch } from '../../lambdas/shared/archive/batch';
import { FileArchive } from '../../lambdas/shared/archive/file-archive';
import { batchKey, parseBatchKey } from '../../lambdas/shared/archive/format';
import type { ArchiveSource } from '../../lambdas/shared/archive/source';
import { VerificationAborted, verifyStream } from '../../lambdas/shared/archive/verifier';
import type { EventType } from '../../lambdas/shared/event-types';
import { GENESIS_SHA256 } from '../../lambdas/shared/state-store';
import { SOURCE, startEnvironment, type TestEnvironment } from '../support/environment';
import { cli, temporaryDir } from './support';

const STREAM = 'itemusages';

describe('verify on the archive bucket', () => {
  let env: TestEnvironment;
  let keys: string[];
  beforeEach(async () => {
    env = await startEnvironment({ collectorEnv: { EVENT_TYPES: STREAM, BATCH_MAX_EVENTS: '100' } });
    const now = Date.now();
    env.sim.generate(STREAM, 5_000, { from: now - 86_400_000, to: now });
    const run = await env.run();
    if (run instanceof Error) throw run;
    keys = await streamKeys();
  });
  afterEach(() => env.close());

  const s3 = () => env.aws.clients.s3;
  const Bucket = () => env.aws.bucket;

  async function streamKeys(): Promise<string[]> {
    const listing = await s3().send(
      new ListObjectsV2Command({ Bucket: Bucket(), Prefix: `source=${SOURCE}/type=${STREAM}/` }),
    );
    return (listing.Contents ?? []).map((object) => object.Key ?? '').sort();
  }

  async function read(key: string) {
    const object = await s3().send(new GetObjectCommand({ Bucket: Bucket(), Key: key }));
    return {
      body: Buffer.from((await object.Body?.transformToByteArray()) ?? []),
      metadata: object.Metadata ?? {},
    };
  }

  async function write(key: string, body: Buffer, metadata: Record<string, string>) {
    await s3().send(
      new PutObjectCommand({
        Bucket: Bucket(),
        Key: key,
        Body: body,
        Metadata: metadata,
        ContentType: 'application/x-ndjson',
        ContentEncoding: 'gzip',
      }),
    );
  }

  function verify(...extra: string[]) {
    return cli([
      'verify',
      '--bucket',
      Bucket(),
      '--source',
      SOURCE,
      '--stream',
      STREAM,
      '--table',
      env.aws.tableName,
      '--json',
      ...extra,
    ]);
  }

  function findings(stdout: string): Array<{ kind: string; key?: string; seq?: number; detail: string }> {
    return JSON.parse(stdout).streams[0].findings;
  }

  it('passes an archive the collector wrote, and says so', async () => {
    const json = await verify();
    const text = await cli(['verify', '--bucket', Bucket(), '--source', SOURCE, '--stream', STREAM]);

    expect(keys).toHaveLength(5);
    expect(json.code).toBe(0);
    expect(json.json()).toMatchObject({
      ok: true,
      objectsChecked: 5,
      events: 5_000,
      streams: [{ stream: STREAM, firstSeq: 1, lastSeq: 5, findings: [] }],
    });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/itemusages {2}OK {6}objects 1–5 \(5 read\), 5,000 events/);
    expect(text.stdout).toContain('Result: OK, every stream is complete and its chain intact.');
  });

  it('reports a deleted object as a gap, by sequence number', async () => {
    await s3().send(new DeleteObjectCommand({ Bucket: Bucket(), Key: keys[2] }));

    const { code, stdout } = await verify();

    expect(code).toBe(1);
    expect(findings(stdout)).toEqual([
      { kind: 'missing', seq: 3, detail: 'sequence 3: no object has these sequence numbers' },
    ]);
  });

  it('notices the newest objects deleted, from the chain head in the state table', async () => {
    await s3().send(new DeleteObjectCommand({ Bucket: Bucket(), Key: keys[4] }));
    await s3().send(new DeleteObjectCommand({ Bucket: Bucket(), Key: keys[3] }));

    const { code, stdout } = await verify();

    expect(code).toBe(1);
    expect(findings(stdout)).toEqual([
      {
        kind: 'missing',
        seq: 4,
        toSeq: 5,
        detail:
          'sequences 4–5 (2 objects): the state table committed batches up to sequence 5; the newest objects are gone',
      },
    ]);
  });

  it('reports an altered byte in an event, by key', async () => {
    const { body, metadata } = await read(keys[1] as string);
    const ndjson = gunzipSync(body).toString('utf8');
    const altered = ndjson.replace(/"action":"(\w)/, (_m, c: string) => `"action":"${c === 'x' ? 'y' : 'x'}`);
    await write(keys[1] as string, gzipSync(altered), metadata);

    const { code, stdout } = await verify();

    expect(code).toBe(1);
    expect(findings(stdout)).toEqual([
      expect.objectContaining({
        kind: 'altered',
        key: keys[1],
        seq: 2,
        detail: expect.stringMatching(/^the body hashes to [0-9a-f]{64}, the metadata records/),
      }),
    ]);
  });

  it('reports a flipped byte in the stored gzip', async () => {
    const { body, metadata } = await read(keys[0] as string);
    const middle = Math.floor(body.length / 2);
    body.writeUInt8(body.readUInt8(middle) ^ 0x01, middle);
    await write(keys[0] as string, body, metadata);

    const { code, stdout } = await verify();

    expect(code).toBe(1);
    expect(findings(stdout)[0]).toMatchObject({
      kind: 'malformed',
      key: keys[0],
      detail: expect.stringContaining('not a valid gzip stream'),
    });
  });

  it('reports two objects swapped as misplaced and as breaks in the chain', async () => {
    const [second, third] = await Promise.all([read(keys[1] as string), read(keys[2] as string)]);
    await write(keys[1] as string, third.body, third.metadata);
    await write(keys[2] as string, second.body, second.metadata);

    const { code, stdout } = await verify();

    expect(code).toBe(1);
    const kinds = findings(stdout).map((f) => `${f.kind} ${f.seq}`);
    expect(kinds).toEqual(['misplaced 2', 'broken-link 2', 'misplaced 3', 'broken-link 3', 'broken-link 4']);
  });

  it('reports a chain re-sequenced to hide a deletion as broken', async () => {
    // Delete object 2 and rename 3..5 to 2..4 with their metadata rewritten to match.
    await s3().send(new DeleteObjectCommand({ Bucket: Bucket(), Key: keys[1] }));
    for (let index = 2; index < keys.length; index++) {
      const { body, metadata } = await read(keys[index] as string);
      const parts = parseBatchKey(keys[index] as string);
      await s3().send(new DeleteObjectCommand({ Bucket: Bucket(), Key: keys[index] }));
      const seq = index;
      await write(batchKey('', SOURCE, STREAM, parts?.date ?? '', seq), body, {
        ...metadata,
        seq: String(seq),
      });
    }

    const { code, stdout } = await verify('--table', env.aws.tableName);

    expect(code).toBe(1);
    expect(findings(stdout).map((f) => `${f.kind} ${f.seq}`)).toEqual(['broken-link 2', 'missing 5']);
  });

  it('reports foreign objects: a stray key, a second object for a sequence, another stream’s object', async () => {
    const stray = `source=${SOURCE}/type=${STREAM}/dt=2026-01-01/notes.txt`;
    await write(stray, gzipSync('hello\n'), {});
    const duplicate = batchKey('', SOURCE, STREAM, '2001-01-01', 2);
    await s3().send(
      new CopyObjectCommand({ Bucket: Bucket(), Key: duplicate, CopySource: `${Bucket()}/${keys[1]}` }),
    );
    const sibling = await read(keys[4] as string);
    const impostor = batchKey('', SOURCE, STREAM, '2026-01-02', 6);
    await write(impostor, sibling.body, { ...sibling.metadata, stream: 'auditevents', seq: '6' });

    const { code, stdout } = await verify('--table', env.aws.tableName);

    expect(code).toBe(1);
    const found = findings(stdout);
    expect(found.filter((f) => f.seq === 2).map((f) => f.key)).toEqual([
      expect.stringMatching(new RegExp(`^(${duplicate}|${keys[1]})$`)),
    ]);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'foreign',
          key: stray,
          detail: expect.stringContaining('not a batch key of this stream'),
        }),
        // The copy is byte for byte the original: either may be called the second one.
        expect.objectContaining({
          kind: 'foreign',
          seq: 2,
          detail: expect.stringMatching(/^a second object for sequence 2; the chain goes on with /),
        }),
        expect.objectContaining({
          kind: 'foreign',
          key: impostor,
          detail: 'its metadata names source "acme", stream "auditevents"',
        }),
        expect.objectContaining({ kind: 'broken-link', key: impostor }),
        expect.objectContaining({ kind: 'uncommitted', seq: 6 }),
      ]),
    );
  });

  it('prints problems with their keys, and progress on stderr when asked', async () => {
    await s3().send(new DeleteObjectCommand({ Bucket: Bucket(), Key: keys[3] }));

    const { code, stdout, stderr } = await cli([
      'verify',
      '--bucket',
      Bucket(),
      '--source',
      SOURCE,
      '--progress',
    ]);

    expect(code).toBe(1);
    expect(stdout).toContain('itemusages      FAILED  objects 1–5 (4 read), 4,000 events');
    expect(stdout).toContain('  missing      sequence 4: no object has these sequence numbers');
    expect(stdout).toContain('signinattempts  no objects under source=acme/type=signinattempts/');
    expect(stdout).toContain('Result: PROBLEMS FOUND (missing 1).');
    expect(stderr).toMatch(/^verify signinattempts: listing 0 keys\.\.\.$/m);
  });
});

describe('verify on a local folder', () => {
  /** Writes a chain of objects: each one's events, or its NDJSON body as is (for lines the collector never writes). */
  function writeArchive(
    dir: string,
    events: Array<unknown[] | string>,
    stream: EventType = STREAM,
  ): Promise<string[]> {
    const archive = new FileArchive(dir, { durable: false });
    return (async () => {
      const keys: string[] = [];
      let previous = GENESIS_SHA256;
      for (const [index, batchEvents] of events.entries()) {
        let sealed: SealedBatch;
        if (typeof batchEvents === 'string') {
          sealed = rawBatch(batchEvents);
        } else {
          const batch = new BatchBuilder(stream, 1_000_000, 1024 * 1024 * 1024);
          for (const event of batchEvents) batch.add(event);
          sealed = await batch.seal();
        }
        const key = batchKey('', 'local', stream, `2026-11-0${(index % 3) + 1}`, index + 1);
        await archive.put({
          key,
          source: 'local',
          stream,
          seq: index + 1,
          prevSha256: previous,
          batch: sealed,
        });
        previous = sealed.sha256;
        keys.push(key);
      }
      return keys;
    })();
  }

  function rawBatch(ndjson: string): SealedBatch {
    const gzipped = gzipSync(ndjson);
    return {
      gzipped,
      sha256: createHash('sha256').update(ndjson).digest('hex'),
      gzippedSha256Base64: createHash('sha256').update(gzipped).digest('base64'),
      eventCount: ndjson.split('\n').length - 1,
      uncompressedBytes: Buffer.byteLength(ndjson),
      firstEventTime: undefined,
      lastEventTime: undefined,
      reserialized: false,
    };
  }

  const event = (n: number) => ({
    uuid: `E${n}`,
    timestamp: new Date(Date.UTC(2026, 10, 1, 0, 0, n)).toISOString(),
    vault_uuid: 'v',
    item_uuid: 'i',
    action: 'fill',
  });

  it('orders objects by sequence across dt folders, and checks sidecars', async () => {
    const dir = temporaryDir('verify-dir');
    const keys = await writeArchive(dir, [[event(1)], [event(2), event(3)], [event(4)], [event(5)]]);

    const ok = await cli(['verify', '--dir', dir, '--source', 'local', '--stream', STREAM, '--json']);
    rmSync(join(dir, keys[2] as string));
    const sidecar = join(dir, `${keys[1]}.meta.json`);
    writeFileSync(sidecar, readFileSync(sidecar, 'utf8').replace('"event-count": "2"', '"event-count": "3"'));
    const broken = await cli(['verify', '--dir', dir, '--source', 'local', '--stream', STREAM, '--json']);

    expect(ok.code).toBe(0);
    expect(ok.json()).toMatchObject({ objectsChecked: 4, events: 5 });
    expect(broken.code).toBe(1);
    expect(broken.json().streams[0].findings).toEqual([
      { kind: 'altered', key: keys[1], seq: 2, detail: 'the body holds 2 events, the metadata says 3' },
      { kind: 'missing', seq: 3, detail: 'sequence 3: no object has these sequence numbers' },
    ]);
  });

  it('streams an object too large to inflate at once, and finds it intact', async () => {
    const dir = temporaryDir('verify-large');
    const big = Array.from({ length: 3_000 }, (_, n) => ({
      ...event(n),
      note: randomBytes(400).toString('base64'),
    }));
    await writeArchive(dir, [big, [event(3_000)]]);

    const result = await verifyStream(new FileArchive(dir), { prefix: '', source: 'local', stream: STREAM });

    expect(result.storedBytes).toBeGreaterThan(1024 * 1024);
    expect(result).toMatchObject({ objectsChecked: 2, events: 3_001, findings: [] });
  });

  it('reports an object far past the chain head without walking the gap', async () => {
    const dir = temporaryDir('verify-far');
    const keys = await writeArchive(dir, [[event(1)], [event(2)]]);
    const far = batchKey('', 'local', STREAM, '2026-11-09', 999_999_999_999);
    const archive = new FileArchive(dir, { durable: false });
    const batch = new BatchBuilder(STREAM, 10, 1024);
    batch.add(event(3));
    await archive.put({
      key: far,
      source: 'local',
      stream: STREAM,
      seq: 999_999_999_999,
      prevSha256: GENESIS_SHA256,
      batch: await batch.seal(),
    });
    const head = await archive.find(keys[1] as string);

    const result = await verifyStream(archive, {
      prefix: '',
      source: 'local',
      stream: STREAM,
      committed: { nextSeq: 3, headSha256: head?.sha256 ?? '' },
    });

    // After a gap the predecessor is unknown, so its link is not judged.
    expect(result.findings.map((f) => `${f.kind} ${f.seq}`)).toEqual([
      'missing 3',
      'uncommitted 999999999999',
    ]);
    expect(result.findings[0]?.detail).toBe(
      'sequences 3–999999999998 (999999999996 objects): no object has these sequence numbers',
    );
  });

  it('reports an object without its sidecar', async () => {
    const dir = temporaryDir('verify-sidecar');
    const keys = await writeArchive(dir, [[event(1)], [event(2)]]);
    rmSync(join(dir, `${keys[0]}.meta.json`));

    const result = await verifyStream(new FileArchive(dir), { prefix: '', source: 'local', stream: STREAM });

    expect(result.findings).toEqual([
      {
        kind: 'malformed',
        key: keys[0],
        seq: 1,
        detail: 'the object has no metadata (for a local copy: no .meta.json beside it)',
      },
    ]);
  });

  it('reports an event archived twice across two objects, by key and line, though the chain is intact', async () => {
    const dir = temporaryDir('verify-overlap');
    // A stream restarted from a timestamp that archived its last two events again.
    const keys = await writeArchive(dir, [
      [event(1), event(2), event(3)],
      [event(2), event(3), event(4)],
    ]);

    const json = await cli(['verify', '--dir', dir, '--source', 'local', '--stream', STREAM, '--json']);
    const text = await cli(['verify', '--dir', dir, '--source', 'local', '--stream', STREAM]);

    expect(json.code).toBe(1);
    expect(json.json()).toMatchObject({ ok: false, findingsByKind: { duplicate: 2 } });
    expect(json.json().streams[0].findings).toEqual([
      {
        kind: 'duplicate',
        key: keys[1],
        seq: 2,
        line: 1,
        uuid: 'E2',
        copies: [
          { key: keys[0], seq: 1, line: 2 },
          { key: keys[1], seq: 2, line: 1 },
        ],
        detail: `line 1: event uuid "E2" is also at ${keys[0]} line 2`,
      },
      {
        kind: 'duplicate',
        key: keys[1],
        seq: 2,
        line: 2,
        uuid: 'E3',
        copies: [
          { key: keys[0], seq: 1, line: 3 },
          { key: keys[1], seq: 2, line: 2 },
        ],
        detail: `line 2: event uuid "E3" is also at ${keys[0]} line 3`,
      },
    ]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('itemusages  FAILED  objects 1–2 (2 read), 6 events');
    expect(text.stdout).toContain(
      `  duplicate    ${keys[1]}: line 1: event uuid "E2" is also at ${keys[0]} line 2`,
    );
    expect(text.stdout).toContain('Result: PROBLEMS FOUND (duplicate 2).');
  });

  it('names every copy of an event archived three times, in one object and across objects', async () => {
    const dir = temporaryDir('verify-triple');
    const keys = await writeArchive(dir, [[event(1), event(2), event(1)], [event(3)], [event(1)]]);

    const result = await verifyStream(new FileArchive(dir), { prefix: '', source: 'local', stream: STREAM });

    expect(result.findings).toEqual([
      expect.objectContaining({
        kind: 'duplicate',
        key: keys[0],
        seq: 1,
        line: 3,
        copies: [
          { key: keys[0], seq: 1, line: 1 },
          { key: keys[0], seq: 1, line: 3 },
          { key: keys[2], seq: 3, line: 1 },
        ],
        detail: `line 3: event uuid "E1" is also at ${keys[0]} line 1, ${keys[2]} line 1`,
      }),
    ]);
  });

  it('does not take the same uuid in two streams for a duplicate', async () => {
    const dir = temporaryDir('verify-streams');
    await writeArchive(dir, [[event(1), event(2)], [event(3)]], 'itemusages');
    // The same three uuids, and one event really archived twice.
    const signins = await writeArchive(dir, [[event(1), event(2), event(3)], [event(3)]], 'signinattempts');

    const { code, json } = await cli([
      'verify',
      '--dir',
      dir,
      '--source',
      'local',
      '--stream',
      'itemusages,signinattempts',
      '--json',
    ]);

    expect(code).toBe(1);
    const stream = (name: string) => json().streams.find((s: { stream: string }) => s.stream === name);
    const [itemusages, signinattempts] = [stream('itemusages'), stream('signinattempts')];
    expect(itemusages).toMatchObject({ findings: [], duplicateCheck: { uuids: 3, withoutUuid: 0 } });
    expect(signinattempts.findings).toEqual([
      expect.objectContaining({ kind: 'duplicate', key: signins[1], line: 1, uuid: 'E3' }),
    ]);
  });

  it('takes only each line’s top-level uuid, and counts the lines that have none', async () => {
    const dir = temporaryDir('verify-nested');
    const nested = (n: number) => ({
      // Nested objects carry uuids of their own, the same on every line; the event's comes last.
      item: { uuid: 'SAME' },
      actor: { uuid: 'SAME', session: { uuid: 'SAME' } },
      ...event(n),
      note: '"uuid":"E1"',
    });
    const keys = await writeArchive(dir, [
      [nested(1), nested(2), { ...event(3), uuid: 42 }],
      `{"uuid":"E4"}\nnot json\n{"actor":{"uuid":"E4"}}\n`,
    ]);

    const json = await cli(['verify', '--dir', dir, '--source', 'local', '--stream', STREAM, '--json']);
    const text = await cli(['verify', '--dir', dir, '--source', 'local', '--stream', STREAM]);

    expect(json.json().streams[0]).toMatchObject({
      duplicateCheck: { uuids: 3, withoutUuid: 3 },
      findings: [{ kind: 'malformed', key: keys[1], detail: 'line 2 is not JSON' }],
    });
    expect(text.stdout).toContain(
      'note: itemusages: 3 events without a top-level string "uuid", not checked for duplicates',
    );
  });

  describe('with less memory than the stream’s uuids take', () => {
    /** 20 objects of 50 events, and four events archived again: two of them twice. */
    async function streamWithRepeats(dir: string): Promise<string[]> {
      const objects = Array.from({ length: 20 }, (_, o) =>
        Array.from({ length: 50 }, (_, e) => event(o * 50 + e)),
      );
      objects[3]?.push(event(10));
      objects[7]?.push(event(149), event(150));
      objects[19]?.push(event(10), event(999));
      objects[19]?.splice(10, 0, event(500));
      return writeArchive(dir, objects);
    }

    it('finds the same duplicates through files on disk, and leaves none behind', async () => {
      const dir = temporaryDir('verify-spill');
      const spill = temporaryDir('verify-spill-tmp');
      await streamWithRepeats(dir);

      const inMemory = await verifyStream(new FileArchive(dir), {
        prefix: '',
        source: 'local',
        stream: STREAM,
      });
      const onDisk = await verifyStream(new FileArchive(dir), {
        prefix: '',
        source: 'local',
        stream: STREAM,
        duplicateMemoryBytes: 4_000,
        spillDirectory: spill,
      });

      expect(inMemory.findings.map((f) => `${f.kind} ${f.uuid} ${f.seq}:${f.line}`)).toEqual([
        'duplicate E10 4:51',
        'duplicate E149 8:51',
        'duplicate E150 8:52',
        'duplicate E500 20:11',
        'duplicate E999 20:53',
      ]);
      expect(inMemory.duplicateCheck).toEqual({ uuids: 1_006, withoutUuid: 0, partitions: 0, spillBytes: 0 });
      expect(onDisk.findings).toEqual(inMemory.findings);
      expect(onDisk.duplicateCheck?.partitions).toBeGreaterThan(1);
      expect(onDisk.duplicateCheck?.spillBytes).toBeGreaterThan(1_006 * 12);
      expect(readdirSync(spill)).toEqual([]);
    });

    it('removes its temporary files when interrupted', async () => {
      const dir = temporaryDir('verify-spill-stop');
      const spill = temporaryDir('verify-spill-stop-tmp');
      const keys = await streamWithRepeats(dir);
      const files = new FileArchive(dir);
      const controller = new AbortController();
      let spilledWhenStopped: string[] = [];
      const archive: ArchiveSource = {
        location: files.location,
        list: (prefix) => files.list(prefix),
        open: (key) => {
          if (key === keys[15]) {
            spilledWhenStopped = readdirSync(spill);
            controller.abort();
          }
          return files.open(key);
        },
      };

      const verification = verifyStream(archive, {
        prefix: '',
        source: 'local',
        stream: STREAM,
        concurrency: 1,
        duplicateMemoryBytes: 4_000,
        spillDirectory: spill,
        signal: controller.signal,
      });

      await expect(verification).rejects.toBeInstanceOf(VerificationAborted);
      expect(spilledWhenStopped).toHaveLength(1);
      expect(readdirSync(spill)).toEqual([]);
    });
  });

  it('exits 2 when it finds no object at all, as for a mistyped source', async () => {
    const dir = temporaryDir('verify-empty');
    await writeArchive(dir, [[event(1)]]);

    const { code, stderr } = await cli(['verify', '--dir', dir, '--source', 'locl']);

    expect(code).toBe(2);
    expect(stderr).toContain('no objects under source=locl/ in ');
    expect(stderr).toContain('check --source, --prefix and --stream');
  });

  it('says what is missing when neither --bucket nor --dir is given', async () => {
    const { code, stderr } = await cli(['verify', '--source', 'prod'], { env: { ARCHIVE_BUCKET: '' } });

    expect(code).toBe(2);
    expect(stderr).toContain(
      'say which archive to verify: --bucket NAME (or $ARCHIVE_BUCKET), or --dir PATH',
    );
  });
});
