/**
 * Builds and writes one batch at the given limits in a process of its own, then reports the
 * process's peak resident set: pages arrive one by one (read from a file, one page body per
 * line), go through the Events API client's parsing and the batch builder until the batch
 * is full, and the sealed batch is uploaded to S3 with the archive writer.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { S3Client } from '@aws-sdk/client-s3';
import { BatchBuilder } from '../../lambdas/shared/archive/batch';
import { ArchiveWriter } from '../../lambdas/shared/archive/writer';
import { EventsApiClient } from '../../lambdas/shared/events-api/client';
import { RequestBudget } from '../../lambdas/shared/events-api/request-budget';

async function main(): Promise<void> {
  const [pagesFile = '', maxEvents = '50000', maxBytes = String(32 * 1024 * 1024)] = process.argv.slice(2);
  const lines = createInterface({ input: createReadStream(pagesFile), crlfDelay: Number.POSITIVE_INFINITY });
  const iterator = lines[Symbol.asyncIterator]();
  const client = new EventsApiClient({
    baseUrl: 'http://events.bench.invalid',
    tokens: { getToken: async () => 'bench-token', refreshAfterRejection: async () => undefined },
    budget: new RequestBudget(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    sourceName: 'bench',
    fetch: async () => {
      const next = await iterator.next();
      if (next.done) throw new Error('ran out of pages before the batch was full');
      return new Response(Buffer.from(next.value, 'utf8'), { status: 200 });
    },
  });
  const batch = new BatchBuilder('itemusages', Number(maxEvents), Number(maxBytes));
  let pages = 0;
  while (!batch.full) {
    const page = await client.fetchPage('itemusages', { cursor: 'bench' });
    for (const item of page.items) batch.add(item);
    pages += 1;
  }
  const sealed = await batch.seal();
  const archive = new ArchiveWriter(new S3Client({ forcePathStyle: true }), process.env.ARCHIVE_BUCKET ?? '');
  await archive.put({
    key: `memory/${Date.now()}.ndjson.gz`,
    source: 'bench',
    stream: 'itemusages',
    seq: 1,
    prevSha256: '0'.repeat(64),
    batch: sealed,
  });
  lines.close();
  process.stderr.write(
    `BENCH ${JSON.stringify({
      pages,
      events: sealed.eventCount,
      uncompressedBytes: sealed.uncompressedBytes,
      gzippedBytes: sealed.gzipped.length,
      maxRssKiB: process.resourceUsage().maxRSS,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
