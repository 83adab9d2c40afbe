import {
  batchKey,
  CONTENT_ENCODING,
  CONTENT_TYPE,
  MetadataKey,
  parseBatchKey,
  SEQ_DIGITS,
  streamPrefix,
} from '../../lambdas/shared/archive/format';

describe('archive key layout', () => {
  it('lays a batch key out as {prefix}source=/type=/dt=/{12-digit seq}.ndjson.gz', () => {
    expect(batchKey('p/', 'prod', 'itemusages', '2026-01-02', 42)).toBe(
      'p/source=prod/type=itemusages/dt=2026-01-02/000000000042.ndjson.gz',
    );
  });

  it('starts the key at the source when the prefix is empty', () => {
    expect(batchKey('', 'sub-1', 'auditevents', '2026-12-31', 0)).toBe(
      'source=sub-1/type=auditevents/dt=2026-12-31/000000000000.ndjson.gz',
    );
  });

  it('pads the sequence to 12 digits so keys sort in sequence order', () => {
    const keys = [9, 10, 999_999_999_999, 100].map((seq) =>
      batchKey('', 'prod', 'signinattempts', '2026-01-02', seq),
    );

    expect(SEQ_DIGITS).toBe(12);
    expect([...keys].sort()).toEqual([keys[0], keys[1], keys[3], keys[2]]);
    expect(keys[2]).toContain('/999999999999.ndjson.gz');
  });

  it('gives the stream prefix every batch key of the stream starts with', () => {
    const prefix = streamPrefix('archive/', 'prod', 'itemusages');

    expect(prefix).toBe('archive/source=prod/type=itemusages/');
    expect(batchKey('archive/', 'prod', 'itemusages', '2026-01-02', 1).startsWith(prefix)).toBe(true);
  });

  it('parses a batch key back into its parts', () => {
    // Prepare
    const key = batchKey('1password/archive/', 'prod-eu', 'signinattempts', '2026-01-02', 1234);

    // Act
    const parts = parseBatchKey(key);

    // Assess
    expect(parts).toEqual({
      prefix: '1password/archive/',
      source: 'prod-eu',
      stream: 'signinattempts',
      date: '2026-01-02',
      seq: 1234,
    });
  });

  it('parses a key without a prefix', () => {
    expect(parseBatchKey('source=prod/type=auditevents/dt=2026-01-02/000000000007.ndjson.gz')).toEqual({
      prefix: '',
      source: 'prod',
      stream: 'auditevents',
      date: '2026-01-02',
      seq: 7,
    });
  });

  it.each([
    ['an unrelated object', 'reports/2026/summary.csv'],
    ['a stream prefix only', 'p/source=prod/type=itemusages/'],
    ['a short sequence', 'p/source=prod/type=itemusages/dt=2026-01-02/42.ndjson.gz'],
    ['another extension', 'p/source=prod/type=itemusages/dt=2026-01-02/000000000042.json.gz'],
    ['a temporary file', 'p/source=prod/type=itemusages/dt=2026-01-02/000000000042.ndjson.gz.tmp'],
    ['an upper-case source', 'p/source=Prod/type=itemusages/dt=2026-01-02/000000000042.ndjson.gz'],
    ['a date in another form', 'p/source=prod/type=itemusages/dt=20260102/000000000042.ndjson.gz'],
    ['an empty key', ''],
  ])('returns undefined for %s', (_label, key) => {
    expect(parseBatchKey(key)).toBeUndefined();
  });
});

describe('archive object format', () => {
  it('declares gzip NDJSON', () => {
    expect(CONTENT_TYPE).toBe('application/x-ndjson');
    expect(CONTENT_ENCODING).toBe('gzip');
  });

  it('keeps the metadata keys SIEM readers and verify rely on', () => {
    expect(MetadataKey).toEqual({
      source: 'source',
      stream: 'stream',
      seq: 'seq',
      eventCount: 'event-count',
      firstEventTime: 'first-event-time',
      lastEventTime: 'last-event-time',
      sha256: 'body-sha256',
      prevSha256: 'prev-body-sha256',
      reserialized: 'reserialized',
    });
  });

  it('uses metadata keys S3 keeps as sent (lower case, no underscores)', () => {
    for (const key of Object.values(MetadataKey)) expect(key).toMatch(/^[a-z0-9-]+$/);
  });
});
