import type { ApiErrorKind } from '../../lambdas/shared/metric-names';
import { EmfMetricsSink, type StreamMetrics } from '../../lambdas/shared/observability';

interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

const QUIET_STREAM: StreamMetrics = {
  eventsArchived: 0,
  objectsWritten: 0,
  pages: 0,
  invalidEvents: 0,
  cursorResets: 0,
  throttles: 0,
  errorsByKind: new Map(),
  lagSeconds: undefined,
  behindSeconds: undefined,
  secondsSinceArchived: undefined,
};

describe('EmfMetricsSink', () => {
  let stdout: jest.SpyInstance;

  beforeEach(() => {
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });

  afterEach(() => {
    stdout.mockRestore();
  });

  /** Every EMF document written to stdout so far. */
  function emitted(): EmfDocument[] {
    return stdout.mock.calls.map(([chunk]) => JSON.parse(String(chunk)) as EmfDocument);
  }

  function metricNames(document: EmfDocument | undefined): string[] {
    return (
      document?._aws.CloudWatchMetrics.flatMap((directive) => directive.Metrics.map((m) => m.Name)) ?? []
    );
  }

  it('writes the metrics of a stream as one EMF document with dimensions exactly [Source, Stream]', () => {
    // Prepare
    const sink = new EmfMetricsSink('TestNamespace');

    // Act
    sink.stream('prod', 'itemusages', {
      ...QUIET_STREAM,
      eventsArchived: 1200,
      objectsWritten: 2,
      pages: 3,
      invalidEvents: 4,
      cursorResets: 1,
      throttles: 5,
      lagSeconds: 60,
      behindSeconds: 3600,
    });

    // Assess
    const documents = emitted();
    expect(documents).toHaveLength(1);
    const [document] = documents;
    expect(document?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'TestNamespace',
        Dimensions: [['Source', 'Stream']],
        Metrics: expect.arrayContaining([
          { Name: 'EventsArchived', Unit: 'Count' },
          { Name: 'PagesFetched', Unit: 'Count' },
          { Name: 'ObjectsWritten', Unit: 'Count' },
          { Name: 'InvalidEvents', Unit: 'Count' },
          { Name: 'CursorResets', Unit: 'Count' },
          { Name: 'Throttles', Unit: 'Count' },
          { Name: 'LagSeconds', Unit: 'Seconds' },
          { Name: 'BehindSeconds', Unit: 'Seconds' },
        ]),
      },
    ]);
    expect(metricNames(document)).toHaveLength(8);
    expect(document).toMatchObject({
      Source: 'prod',
      Stream: 'itemusages',
      EventsArchived: 1200,
      PagesFetched: 3,
      ObjectsWritten: 2,
      InvalidEvents: 4,
      Throttles: 5,
      LagSeconds: 60,
      BehindSeconds: 3600,
    });
    expect(document).not.toHaveProperty('service');
  });

  it('uses the project namespace by default', () => {
    const configured = process.env.POWERTOOLS_METRICS_NAMESPACE;
    delete process.env.POWERTOOLS_METRICS_NAMESPACE;
    try {
      new EmfMetricsSink().stream('prod', 'auditevents', { ...QUIET_STREAM, eventsArchived: 1, pages: 1 });
    } finally {
      if (configured !== undefined) process.env.POWERTOOLS_METRICS_NAMESPACE = configured;
    }

    expect(emitted()[0]?._aws.CloudWatchMetrics[0]?.Namespace).toBe('OnePasswordEventsArchive');
  });

  it('takes the namespace from POWERTOOLS_METRICS_NAMESPACE when none is given', () => {
    const configured = process.env.POWERTOOLS_METRICS_NAMESPACE;
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'FromEnvironment';
    try {
      new EmfMetricsSink().run('prod', { succeeded: false, authFailures: 1 });
    } finally {
      if (configured === undefined) delete process.env.POWERTOOLS_METRICS_NAMESPACE;
      else process.env.POWERTOOLS_METRICS_NAMESPACE = configured;
    }

    expect(emitted()[0]?._aws.CloudWatchMetrics[0]?.Namespace).toBe('FromEnvironment');
  });

  it('writes the seconds since the stream last archived on every run, quiet or not: a gauge, not a counter', () => {
    new EmfMetricsSink('TestNamespace').stream('prod', 'auditevents', {
      ...QUIET_STREAM,
      secondsSinceArchived: 7200,
    });

    const [document] = emitted();
    expect(metricNames(document)).toEqual(['SecondsSinceArchived']);
    expect(document).toMatchObject({ Source: 'prod', Stream: 'auditevents', SecondsSinceArchived: 7200 });
  });

  it('omits counters that are zero', () => {
    // Act
    new EmfMetricsSink('TestNamespace').stream('prod', 'signinattempts', { ...QUIET_STREAM, lagSeconds: 0 });

    // Assess
    const [document] = emitted();
    expect(metricNames(document)).toEqual(['LagSeconds']);
    expect(document).not.toHaveProperty('EventsArchived');
    expect(document).not.toHaveProperty('PagesFetched');
    expect(document).not.toHaveProperty('ObjectsWritten');
    expect(document).not.toHaveProperty('InvalidEvents');
    expect(document).not.toHaveProperty('Throttles');
  });

  it('writes nothing for a stream with nothing to report', () => {
    new EmfMetricsSink('TestNamespace').stream('prod', 'signinattempts', QUIET_STREAM);

    expect(stdout).not.toHaveBeenCalled();
  });

  it('writes one ApiErrors document per error kind, with [Source, Stream, ErrorKind], skipping zero counts', () => {
    // Prepare
    const errorsByKind = new Map<ApiErrorKind, number>([
      ['server', 3],
      ['rate_limited', 0],
      ['auth', 1],
    ]);

    // Act
    new EmfMetricsSink('TestNamespace').stream('prod', 'itemusages', { ...QUIET_STREAM, errorsByKind });

    // Assess
    const documents = emitted();
    expect(documents).toHaveLength(2);
    for (const document of documents) {
      expect(document._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['Source', 'Stream', 'ErrorKind']]);
      expect(metricNames(document)).toEqual(['ApiErrors']);
      expect(document).not.toHaveProperty('service');
    }
    expect(
      documents.map(({ ErrorKind, ApiErrors, Source, Stream }) => ({ ErrorKind, ApiErrors, Source, Stream })),
    ).toEqual([
      { ErrorKind: 'server', ApiErrors: 3, Source: 'prod', Stream: 'itemusages' },
      { ErrorKind: 'auth', ApiErrors: 1, Source: 'prod', Stream: 'itemusages' },
    ]);
  });

  it('writes nothing for a run without auth failures, succeeded or not: runs are AWS/Lambda’s to count', () => {
    new EmfMetricsSink('TestNamespace').run('prod', { succeeded: true, authFailures: 0 });
    new EmfMetricsSink('TestNamespace').run('prod', { succeeded: false, authFailures: 0 });

    expect(stdout).not.toHaveBeenCalled();
  });

  it('emits AuthFailures with [Source] for a run with auth failures', () => {
    new EmfMetricsSink('TestNamespace').run('prod', { succeeded: false, authFailures: 2 });

    const documents = emitted();
    expect(documents).toHaveLength(1);
    expect(documents[0]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['Source']]);
    expect(metricNames(documents[0])).toEqual(['AuthFailures']);
    expect(documents[0]).toMatchObject({ Source: 'prod', AuthFailures: 2 });
    expect(documents[0]).not.toHaveProperty('service');
  });

  it('keeps the dimensions of one source out of the next document', () => {
    const sink = new EmfMetricsSink('TestNamespace');

    sink.stream('prod', 'itemusages', { ...QUIET_STREAM, eventsArchived: 1, pages: 1 });
    sink.run('sub', { succeeded: false, authFailures: 1 });

    const [, runDocument] = emitted();
    expect(runDocument?.Source).toBe('sub');
    expect(runDocument).not.toHaveProperty('Stream');
  });
});
