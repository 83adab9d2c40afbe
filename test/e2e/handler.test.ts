import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { type LocalAws, startLocalAws } from '../../dev/local/aws';
import { localCollectorEnv, localLambdaContext } from '../../dev/local/collector-env';
import { type Simulator, startSimulator } from '../../dev/simulator/index';
import type { RunSummary } from '../../lambdas/collector/collector';
import type * as HandlerModuleNamespace from '../../lambdas/collector/handler';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metric-names';

/**
 * The deployed entry point, end to end: the middy handler reads its environment, the token
 * from Secrets Manager, pages the simulator, and writes to s3rver and dynalite, all through
 * the SDK's standard endpoint variables. Everything it prints is captured.
 */
type HandlerModule = typeof HandlerModuleNamespace;

describe('collector Lambda handler', () => {
  let sim: Simulator;
  let aws: LocalAws;
  let token: string;
  let output: string[];
  let handler: (event: unknown, context: Context) => Promise<RunSummary>;
  const restore: Array<() => void> = [];
  const errors: string[] = [];

  async function invoke(remainingMs = 120_000): Promise<RunSummary | Error> {
    try {
      return await handler(
        { 'detail-type': 'Scheduled Event' },
        localLambdaContext({ source: 'acme', remainingMs }),
      );
    } catch (error) {
      errors.push(String(error), JSON.stringify(error), (error as Error).stack ?? '');
      return error as Error;
    }
  }

  function emf(): Array<Record<string, unknown>> {
    return output
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  beforeAll(async () => {
    sim = await startSimulator({ rateLimit: false, latencyMs: 40 });
    aws = await startLocalAws();
    token = sim.mintToken();
    aws.secrets.put('prod/op-events-token', token);
    Object.assign(
      process.env,
      localCollectorEnv({ aws, eventsApiUrl: sim.url, source: 'acme', secretId: 'prod/op-events-token' }),
      {
        ARCHIVE_PREFIX: '1password/',
        DEADLINE_MARGIN_MS: '1500',
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
        POWERTOOLS_DEV: 'false',
        POWERTOOLS_METRICS_DISABLED: 'false',
      },
    );
    output = [];
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      const spy = jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        output.push(chunk.toString());
        return true;
      });
      restore.push(() => {
        spy.mockRestore();
        void write;
      });
    }
    // Loaded after the environment is set, as Lambda loads it after setting the function's variables.
    ({ handler } = jest.requireActual<HandlerModule>('../../lambdas/collector/handler'));
  });

  afterAll(async () => {
    for (const undo of restore) undo();
    await sim.close();
    await aws.close();
  });

  it('archives all three streams and reports each in its summary and metrics', async () => {
    const now = Date.now();
    sim.generate('signinattempts', 1_200, { from: now - 86_400_000, to: now });
    sim.generate('itemusages', 2_100, { from: now - 86_400_000, to: now });
    sim.generate('auditevents', 400, { from: now - 86_400_000, to: now });

    const summary = await invoke();

    if (summary instanceof Error) throw summary;
    expect(summary.streams.map((s) => [s.stream, s.status, s.eventsArchived, s.caughtUp])).toEqual([
      ['signinattempts', 'ok', 1_200, true],
      ['itemusages', 'ok', 2_100, true],
      ['auditevents', 'ok', 400, true],
    ]);
    const listing = await aws.clients.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket }));
    expect(listing.Contents?.map((object) => object.Key)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^1password\/source=acme\/type=itemusages\/dt=\d{4}-\d{2}-\d{2}\/000000000001\.ndjson\.gz$/,
        ),
      ]),
    );
    // The metric is the source's; each stream's count is in its "stream run finished" line.
    const archived = emf().filter((doc) => 'EventsArchived' in doc);
    expect(archived.map((doc) => [doc.Source, doc.Stream, doc.EventsArchived])).toEqual([
      ['acme', undefined, 1_200 + 2_100 + 400],
    ]);
    const aws0 = archived[0]?._aws as
      | { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> }
      | undefined;
    const directive = aws0?.CloudWatchMetrics[0];
    expect(directive?.Namespace).toBe(METRICS_NAMESPACE);
    expect(directive?.Dimensions).toEqual([['Source']]);
    const finished = output.filter((line) => line.includes('"stream run finished"'));
    expect(finished).toHaveLength(3);
    expect(finished.find((line) => line.includes('"itemusages"'))).toContain('"eventsArchived":2100');
    expect(finished.find((line) => line.includes('"signinattempts"'))).toContain('"countsByCategory"');
  });

  it('returns before its deadline with its progress committed, and the next run goes on', async () => {
    const now = Date.now();
    const served = sim.generate('auditevents', 8_000, { from: now - 3_600_000, to: now });
    // A slow API: 400 ms a page, so the 1.5 s left after the margin cannot fetch all eight pages.
    sim.inject({ fault: { kind: 'delay', ms: 400 }, feature: 'auditevents', times: 50 });

    const started = Date.now();
    const partial = await invoke(3_000);
    const elapsed = Date.now() - started;
    const rest = await invoke();

    if (partial instanceof Error || rest instanceof Error) throw partial;
    const cut = partial.streams.find((s) => s.stream === 'auditevents');
    const resumed = rest.streams.find((s) => s.stream === 'auditevents');
    expect(elapsed).toBeLessThan(3_000);
    expect(cut).toMatchObject({ status: 'ok', caughtUp: false });
    expect(cut?.eventsArchived).toBeGreaterThan(0);
    expect(cut?.eventsArchived).toBeLessThan(8_000);
    expect(resumed).toMatchObject({ status: 'ok', caughtUp: true });
    expect((cut?.eventsArchived ?? 0) + (resumed?.eventsArchived ?? 0)).toBe(served.length);
    expect(emf().some((doc) => typeof doc.BehindSeconds === 'number' && doc.Source === 'acme')).toBe(true);
    expect(
      output.some((line) => line.includes('"stream run finished"') && line.includes('"behindSeconds"')),
    ).toBe(true);
  });

  it('lets a redelivered event (same request id) back off while the first delivery still runs', async () => {
    const now = Date.now();
    const served = sim.generate('itemusages', 3_000, { from: now - 3_600_000, to: now });
    const before = await aws.clients.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket }));
    const context = localLambdaContext({ source: 'acme', remainingMs: 120_000, requestId: 'redelivered-1' });

    const [first, second] = await Promise.all([
      handler({ 'detail-type': 'Scheduled Event' }, context),
      handler({ 'detail-type': 'Scheduled Event' }, context),
    ]);

    const statuses = (summary: RunSummary) => summary.streams.map((s) => s.status);
    expect([...statuses(first), ...statuses(second)].sort()).toEqual([
      'ok',
      'ok',
      'ok',
      'skipped',
      'skipped',
      'skipped',
    ]);
    const archived = [...first.streams, ...second.streams].reduce((sum, s) => sum + s.eventsArchived, 0);
    expect(archived).toBe(served.length);
    const after = await aws.clients.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket }));
    expect((after.KeyCount ?? 0) - (before.KeyCount ?? 0)).toBe(1);
  });

  it('fails the invocation with an auth error naming the source when the token is revoked', async () => {
    sim.revokeToken(token);

    const failed = await invoke();

    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toMatch(/^source acme: 3 of 3 streams failed: .*HTTP 401/);
    expect(emf().some((doc) => doc.AuthFailures === 3 && doc.Source === 'acme')).toBe(true);
  });

  it('never lets the bearer token reach a log line, error, metric, archive object or state item', async () => {
    // Runs after the others: their logs (at DEBUG), errors and writes are all inspected.
    const secretParts = [token, token.split('.')[2] ?? token];
    const listing = await aws.clients.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket }));
    const objects = await Promise.all(
      (listing.Contents ?? []).map(async ({ Key }) => {
        const head = await aws.clients.s3.send(new HeadObjectCommand({ Bucket: aws.bucket, Key }));
        const body = await aws.clients.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key }));
        return (
          JSON.stringify(head.Metadata) +
          gunzipSync(Buffer.from((await body.Body?.transformToByteArray()) ?? [])).toString()
        );
      }),
    );
    const { Items } = await aws.clients.documents.send(new ScanCommand({ TableName: aws.tableName }));
    const everything = [output.join(''), errors.join('\n'), objects.join('\n'), JSON.stringify(Items)];

    expect(output.length).toBeGreaterThan(20);
    expect(objects.length).toBeGreaterThan(3);
    expect(Items?.length).toBe(3);
    for (const haystack of everything) {
      for (const secret of secretParts) expect(haystack).not.toContain(secret);
    }
  });
});
