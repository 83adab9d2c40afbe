import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { RunSummary } from '../../lambdas/collector/collector';
import { MetadataKey, parseBatchKey } from '../../lambdas/shared/archive/format';
import type { ArchiveStore, BatchObject } from '../../lambdas/shared/archive/writer';
import { startEnvironment, type TestEnvironment } from '../support/environment';

const STREAM = 'auditevents' as const;

/** One archive object: its NDJSON lines as bytes, and its metadata. */
interface ArchivedObject {
  readonly key: string;
  readonly body: Buffer;
  readonly lines: Buffer[];
  readonly metadata: Record<string, string>;
}

describe('collector archiving each event as the bytes the API sent', () => {
  let env: TestEnvironment;
  afterEach(() => env.close());

  function ok(result: RunSummary | Error): RunSummary {
    if (result instanceof Error) throw result;
    return result;
  }

  /** The stream's objects in sequence order. */
  async function objects(): Promise<ArchivedObject[]> {
    const { s3 } = env.aws.clients;
    const listing = await s3.send(new ListObjectsV2Command({ Bucket: env.aws.bucket }));
    const keys = (listing.Contents ?? [])
      .map((object) => object.Key ?? '')
      .filter((key) => parseBatchKey(key)?.stream === STREAM)
      .sort((a, b) => (parseBatchKey(a)?.seq ?? 0) - (parseBatchKey(b)?.seq ?? 0));
    return Promise.all(
      keys.map(async (key) => {
        const object = await s3.send(new GetObjectCommand({ Bucket: env.aws.bucket, Key: key }));
        const body = gunzipSync(Buffer.from((await object.Body?.transformToByteArray()) ?? []));
        const lines: Buffer[] = [];
        for (let start = 0; start < body.length; ) {
          const end = body.indexOf(0x0a, start);
          lines.push(body.subarray(start, end));
          start = end + 1;
        }
        return { key, body, lines, metadata: object.Metadata ?? {} };
      }),
    );
  }

  /** Wraps fetch to keep every Events API page body as the bytes that arrived. */
  function recordingFetch(bodies: Buffer[]): typeof fetch {
    return async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).includes(`/api/v2/${STREAM}`) || response.status !== 200) return response;
      const body = Buffer.from(await response.arrayBuffer());
      bodies.push(body);
      return new Response(body, { status: response.status, headers: response.headers });
    };
  }

  it('writes events the API spelled its own way byte for byte, and hashes those bytes', async () => {
    // Prepare: spellings that JSON.parse and JSON.stringify would change or lose.
    env = await startEnvironment({ collectorEnv: { EVENT_TYPES: STREAM } });
    const at = new Date(Date.now() - 60_000).toISOString();
    const texts = [
      `{"uuid":"RAW1","timestamp":"${at}","action":"join","object_type":"gm","location":{"latitude":43.70,"longitude":-79.4330}}`,
      `{"uuid":"RAW2","timestamp":"${at}","action":"create","object_type":"vault","aux_id":9007199254740993,"far":1e400}`,
      `{"uuid":"RAW3","timestamp":"${at}","action":"update","object_type":"user","actor_details":{"name":"Ren\\u00e9e","email":"r\\u00e9@example.com"}}`,
      `{ "uuid" : "RAW4" ,\t"timestamp" : "${at}" , "action" : "suspend" , "object_type" : "user" , "note" : "a \\"quoted\\" ] }" }`,
      `{"uuid":"RAW5","timestamp":"${at}","action":"delete","object_type":"item","aux_info":"first","aux_info":"second"}`,
    ];
    env.sim.ingestText(STREAM, texts);

    // Act
    const summary = ok(await env.run());
    const archived = await objects();

    // Assess
    expect(summary.streams[0]).toMatchObject({ status: 'ok', eventsArchived: texts.length });
    expect(archived).toHaveLength(1);
    const [object] = archived as [ArchivedObject];
    expect(object.lines.map((line) => line.toString('utf8'))).toEqual(texts);
    expect(object.body.equals(Buffer.from(`${texts.join('\n')}\n`, 'utf8'))).toBe(true);
    expect(object.metadata[MetadataKey.sha256]).toBe(createHash('sha256').update(object.body).digest('hex'));
    for (const text of texts) expect(text).not.toBe(JSON.stringify(JSON.parse(text)));
  });

  it('keeps the bytes of pages spelled with odd spacing and escapes, across pages and objects', async () => {
    // Prepare
    env = await startEnvironment({
      simulator: { pageStyle: 'spaced' },
      collectorEnv: { EVENT_TYPES: STREAM },
    });
    const now = Date.now();
    const served = env.sim.generate(STREAM, 2_500, { from: now - 86_400_000, to: now });
    const bodies: Buffer[] = [];

    // Act
    const summary = ok(
      await env.run({ overrides: { fetch: recordingFetch(bodies) }, env: { BATCH_MAX_EVENTS: '1000' } }),
    );
    const archived = await objects();

    // Assess
    expect(summary.streams[0]).toMatchObject({ status: 'ok', eventsArchived: served.length });
    expect(archived.length).toBeGreaterThan(1);
    const lines = archived.flatMap((object) => object.lines);
    expect(lines).toHaveLength(served.length);
    // Each line is a run of bytes of the page that brought it, and reads as the event served.
    let page = 0;
    for (const [i, line] of lines.entries()) {
      while (page < bodies.length && !(bodies[page] as Buffer).includes(line)) page += 1;
      expect(page).toBeLessThan(bodies.length);
      expect(JSON.parse(line.toString('utf8'))).toEqual(served[i]);
    }
    const text = lines.map((line) => line.toString('utf8'));
    expect(text.every((line, i) => line !== JSON.stringify(served[i]))).toBe(true);
    expect(text.some((line) => /\\u00[0-9a-f]{2}/.test(line))).toBe(true);
    for (const object of archived) {
      expect(object.metadata[MetadataKey.sha256]).toBe(
        createHash('sha256').update(object.body).digest('hex'),
      );
    }
  });

  it('writes the events of a pretty-printed page one per line, re-serialised, and marks only that batch', async () => {
    // Prepare: the second of three pages comes pretty-printed; each page is a batch of its own.
    env = await startEnvironment({ collectorEnv: { EVENT_TYPES: STREAM } });
    const now = Date.now();
    const served = env.sim.generate(STREAM, 2_200, { from: now - 86_400_000, to: now });
    env.sim.inject({ fault: { kind: 'delay', ms: 0 }, feature: STREAM });
    env.sim.inject({ fault: { kind: 'restyle', style: 'pretty' }, feature: STREAM });
    const bodies: Buffer[] = [];
    const sealed: BatchObject[] = [];
    const deps = env.dependencies();
    const archive: ArchiveStore = {
      put: async (object, signal) => {
        sealed.push(object);
        await deps.archive.put(object, signal);
      },
      find: (key, signal) => deps.archive.find(key, signal),
      archivedUuids: (prefix, since, signal) => deps.archive.archivedUuids(prefix, since, signal),
    };

    // Act
    const summary = ok(
      await env.run({
        overrides: { archive, fetch: recordingFetch(bodies) },
        env: { BATCH_MAX_EVENTS: '1000' },
      }),
    );
    const archived = await objects();

    // Assess
    expect(summary.streams[0]).toMatchObject({ status: 'ok', eventsArchived: served.length });
    expect(bodies.map((body) => body.includes('\n'))).toEqual([false, true, false]);
    expect(sealed.map((object) => object.batch.reserialized)).toEqual([false, true, false]);
    const [first, pretty, last] = archived as [ArchivedObject, ArchivedObject, ArchivedObject];
    expect(pretty.lines.map(String)).toEqual(served.slice(1000, 2000).map((event) => JSON.stringify(event)));
    for (const object of [first, last]) {
      for (const line of object.lines)
        expect((bodies[0] as Buffer).includes(line) || bodies[2]?.includes(line)).toBe(true);
    }
    expect(archived.flatMap((object) => object.lines)).toHaveLength(served.length);
    expect(pretty.metadata[MetadataKey.sha256]).toBe(createHash('sha256').update(pretty.body).digest('hex'));
    expect(archived.map((object) => object.metadata[MetadataKey.reserialized])).toEqual([
      undefined,
      'true',
      undefined,
    ]);
  });
});
