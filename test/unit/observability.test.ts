import type { ApiErrorKind } from '../../lambdas/shared/metric-names';
import { EmfMetricsSink, type RunMetrics, type StreamMetrics } from '../../lambdas/shared/observability';

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

const QUIET_STREAM: StreamMetrics = { throttles: 0, errorsByKind: new Map() };

const QUIET_RUN: RunMetrics = {
  eventsArchived: 0,
  behindSeconds: undefined,
  cursorResets: 0,
  secondsSinceArchived: undefined,
  authFailures: 0,
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

  it('writes what a healthy source sends every hour as one EMF document with dimensions exactly [Source]', () => {
    // Prepare
    const sink = new EmfMetricsSink('TestNamespace');

    // Act
    sink.run('prod', {
      ...QUIET_RUN,
      eventsArchived: 1200,
      cursorResets: 1,
      behindSeconds: 3600,
    });

    // Assess
    const documents = emitted();
    expect(documents).toHaveLength(1);
    const [document] = documents;
    expect(document?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'TestNamespace',
        Dimensions: [['Source']],
        Metrics: expect.arrayContaining([
          { Name: 'EventsArchived', Unit: 'Count' },
          { Name: 'CursorResets', Unit: 'Count' },
          { Name: 'BehindSeconds', Unit: 'Seconds' },
        ]),
      },
    ]);
    expect(metricNames(document)).toHaveLength(3);
    expect(document).toMatchObject({
      Source: 'prod',
      EventsArchived: 1200,
      CursorResets: 1,
      BehindSeconds: 3600,
    });
    expect(document).not.toHaveProperty('Stream');
    expect(document).not.toHaveProperty('service');
  });

  it('writes a stream’s rare troubles with dimensions exactly [Source, Stream]', () => {
    new EmfMetricsSink('TestNamespace').stream('prod', 'itemusages', {
      ...QUIET_STREAM,
      throttles: 5,
    });

    const [document] = emitted();
    expect(document?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['Source', 'Stream']]);
    expect(metricNames(document)).toEqual(['Throttles']);
    expect(document).toMatchObject({ Source: 'prod', Stream: 'itemusages', Throttles: 5 });
  });

  it('uses the project namespace by default', () => {
    const configured = process.env.POWERTOOLS_METRICS_NAMESPACE;
    delete process.env.POWERTOOLS_METRICS_NAMESPACE;
    try {
      new EmfMetricsSink().run('prod', { ...QUIET_RUN, eventsArchived: 1 });
    } finally {
      if (configured !== undefined) process.env.POWERTOOLS_METRICS_NAMESPACE = configured;
    }

    expect(emitted()[0]?._aws.CloudWatchMetrics[0]?.Namespace).toBe('OnePasswordEventsArchive');
  });

  it('takes the namespace from POWERTOOLS_METRICS_NAMESPACE when none is given', () => {
    const configured = process.env.POWERTOOLS_METRICS_NAMESPACE;
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'FromEnvironment';
    try {
      new EmfMetricsSink().run('prod', { ...QUIET_RUN, authFailures: 1 });
    } finally {
      if (configured === undefined) delete process.env.POWERTOOLS_METRICS_NAMESPACE;
      else process.env.POWERTOOLS_METRICS_NAMESPACE = configured;
    }

    expect(emitted()[0]?._aws.CloudWatchMetrics[0]?.Namespace).toBe('FromEnvironment');
  });

  it('writes the seconds a stream has been silent past its limit as a gauge, not a counter', () => {
    new EmfMetricsSink('TestNamespace').run('prod', { ...QUIET_RUN, secondsSinceArchived: 7200 });

    const [document] = emitted();
    expect(metricNames(document)).toEqual(['SecondsSinceArchived']);
    expect(document).toMatchObject({ Source: 'prod', SecondsSinceArchived: 7200 });
  });

  it('omits counters that are zero', () => {
    // Act
    new EmfMetricsSink('TestNamespace').run('prod', { ...QUIET_RUN, behindSeconds: 0 });

    // Assess
    const [document] = emitted();
    expect(metricNames(document)).toEqual(['BehindSeconds']);
    expect(document).not.toHaveProperty('EventsArchived');
    expect(document).not.toHaveProperty('CursorResets');
    expect(document).not.toHaveProperty('AuthFailures');
  });

  it('writes nothing for a stream with nothing to report', () => {
    new EmfMetricsSink('TestNamespace').stream('prod', 'signinattempts', QUIET_STREAM);
    new EmfMetricsSink('TestNamespace').run('prod', QUIET_RUN);

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

  it('emits AuthFailures with [Source] for a run with auth failures', () => {
    new EmfMetricsSink('TestNamespace').run('prod', { ...QUIET_RUN, authFailures: 2 });

    const documents = emitted();
    expect(documents).toHaveLength(1);
    expect(documents[0]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['Source']]);
    expect(metricNames(documents[0])).toEqual(['AuthFailures']);
    expect(documents[0]).toMatchObject({ Source: 'prod', AuthFailures: 2 });
    expect(documents[0]).not.toHaveProperty('service');
  });

  it('keeps the dimensions of one source out of the next document', () => {
    const sink = new EmfMetricsSink('TestNamespace');

    sink.stream('prod', 'itemusages', { ...QUIET_STREAM, throttles: 1 });
    sink.run('sub', { ...QUIET_RUN, authFailures: 1 });

    const [, runDocument] = emitted();
    expect(runDocument?.Source).toBe('sub');
    expect(runDocument).not.toHaveProperty('Stream');
  });
});
