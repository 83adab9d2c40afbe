import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type ApiErrorKind, Dimension, METRICS_NAMESPACE, MetricName } from './metric-names';

/** The logging surface the runtime needs; Powertools' Logger provides it. */
export interface Log {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export const SERVICE_NAME = 'op-events-collector';

export function createLogger(): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME });
}

/** What one stream did in one run that only a stream in trouble reports: per stream, and rare. */
export interface StreamMetrics {
  readonly throttles: number;
  readonly errorsByKind: ReadonlyMap<ApiErrorKind, number>;
}

/** What a source's run did, every stream together: what a healthy source reports each hour. */
export interface RunMetrics {
  readonly eventsArchived: number;
  /** Set when a stream stopped while the API still had more: the largest seconds behind. */
  readonly behindSeconds: number | undefined;
  /** Cursors the API refused, streams restarted from a time. */
  readonly cursorResets: number;
  /** The longest silence of a stream past what its rhythm or window allows; unset while none is. */
  readonly secondsSinceArchived: number | undefined;
  readonly authFailures: number;
}

/** Where the collector's metrics go. */
export interface MetricsSink {
  stream(source: string, stream: string, metrics: StreamMetrics): void;
  run(source: string, metrics: RunMetrics): void;
}

/**
 * Emits the metric contract of `metric-names.ts` as CloudWatch EMF through Powertools.
 * Each dimension set gets its own EMF document, and Powertools' default `service`
 * dimension is dropped so that alarms and dashboards match on `Source` (and `Stream`) alone.
 * Counters are emitted only when non-zero: CloudWatch bills each metric for every hour it
 * receives data, so a healthy source sends one (events archived) and an idle one none.
 */
export class EmfMetricsSink implements MetricsSink {
  constructor(
    private readonly namespace: string = process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
  ) {}

  stream(source: string, stream: string, m: StreamMetrics): void {
    const dimensions = { [Dimension.source]: source, [Dimension.stream]: stream };
    this.publish(dimensions, (metrics) => {
      if (m.throttles > 0) metrics.addMetric(MetricName.throttles, MetricUnit.Count, m.throttles);
    });
    for (const [kind, count] of m.errorsByKind) {
      if (count === 0) continue;
      this.publish({ ...dimensions, [Dimension.errorKind]: kind }, (metrics) =>
        metrics.addMetric(MetricName.apiErrors, MetricUnit.Count, count),
      );
    }
  }

  run(source: string, m: RunMetrics): void {
    this.publish({ [Dimension.source]: source }, (metrics) => {
      if (m.eventsArchived > 0)
        metrics.addMetric(MetricName.eventsArchived, MetricUnit.Count, m.eventsArchived);
      if (m.behindSeconds !== undefined)
        metrics.addMetric(MetricName.behindSeconds, MetricUnit.Seconds, m.behindSeconds);
      if (m.cursorResets > 0) metrics.addMetric(MetricName.cursorResets, MetricUnit.Count, m.cursorResets);
      // A gauge, not a counter: the drop-off alarm fires on its value, so data another
      // function adds can never lower it (README, Security).
      if (m.secondsSinceArchived !== undefined)
        metrics.addMetric(MetricName.secondsSinceArchived, MetricUnit.Seconds, m.secondsSinceArchived);
      if (m.authFailures > 0) metrics.addMetric(MetricName.authFailures, MetricUnit.Count, m.authFailures);
    });
  }

  private publish(dimensions: Record<string, string>, add: (metrics: Metrics) => void): void {
    publishMetrics(this.namespace, SERVICE_NAME, dimensions, add);
  }
}

/**
 * One EMF document of the metrics `add` stores, with exactly `dimensions` (no Powertools
 * `service` dimension): a custom metric is billed per distinct set of dimensions.
 */
export function publishMetrics(
  namespace: string,
  serviceName: string,
  dimensions: Record<string, string>,
  add: (metrics: Metrics) => void,
): void {
  const metrics = new Metrics({ namespace, serviceName });
  metrics.clearDefaultDimensions();
  metrics.addDimensions(dimensions);
  add(metrics);
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
