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

/** What one stream did in one run, as metrics. */
export interface StreamMetrics {
  readonly eventsArchived: number;
  readonly objectsWritten: number;
  readonly pages: number;
  readonly invalidEvents: number;
  /** The stream's stored cursor was refused and the stream restarted from a time. */
  readonly cursorResets: number;
  readonly throttles: number;
  readonly errorsByKind: ReadonlyMap<ApiErrorKind, number>;
  /** Seconds from the newest event archived in this run to now. */
  readonly lagSeconds: number | undefined;
  /** Set when the run stopped while the API still had more: seconds from the newest archived event to now. */
  readonly behindSeconds: number | undefined;
  /** Seconds since the stream last archived events (or, if it never has, since its first run); set by every run that held the lease. */
  readonly secondsSinceArchived: number | undefined;
}

/** Where the collector's metrics go. */
export interface MetricsSink {
  stream(source: string, stream: string, metrics: StreamMetrics): void;
  run(source: string, outcome: { succeeded: boolean; authFailures: number }): void;
}

/**
 * Emits the metric contract of `metric-names.ts` as CloudWatch EMF through Powertools.
 * Each dimension set gets its own EMF document, and Powertools' default `service`
 * dimension is dropped so that alarms and dashboards match on `Source` (and `Stream`) alone.
 * Counters are emitted only when non-zero: CloudWatch bills each metric for every hour it
 * receives data, and the drop-off alarm treats "no data" as "no events".
 */
export class EmfMetricsSink implements MetricsSink {
  constructor(
    private readonly namespace: string = process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
  ) {}

  stream(source: string, stream: string, m: StreamMetrics): void {
    const dimensions = { [Dimension.source]: source, [Dimension.stream]: stream };
    this.publish(dimensions, (metrics) => {
      if (m.eventsArchived > 0) {
        metrics.addMetric(MetricName.eventsArchived, MetricUnit.Count, m.eventsArchived);
        metrics.addMetric(MetricName.pagesFetched, MetricUnit.Count, m.pages);
      }
      if (m.objectsWritten > 0)
        metrics.addMetric(MetricName.objectsWritten, MetricUnit.Count, m.objectsWritten);
      if (m.invalidEvents > 0) metrics.addMetric(MetricName.invalidEvents, MetricUnit.Count, m.invalidEvents);
      if (m.throttles > 0) metrics.addMetric(MetricName.throttles, MetricUnit.Count, m.throttles);
      if (m.cursorResets > 0) metrics.addMetric(MetricName.cursorResets, MetricUnit.Count, m.cursorResets);
      if (m.lagSeconds !== undefined)
        metrics.addMetric(MetricName.lagSeconds, MetricUnit.Seconds, m.lagSeconds);
      if (m.behindSeconds !== undefined)
        metrics.addMetric(MetricName.behindSeconds, MetricUnit.Seconds, m.behindSeconds);
      // A gauge on every run, not a counter: the drop-off alarm fires on its value, so data
      // another function adds can never lower it (README, Security).
      if (m.secondsSinceArchived !== undefined)
        metrics.addMetric(MetricName.secondsSinceArchived, MetricUnit.Seconds, m.secondsSinceArchived);
    });
    for (const [kind, count] of m.errorsByKind) {
      if (count === 0) continue;
      this.publish({ ...dimensions, [Dimension.errorKind]: kind }, (metrics) =>
        metrics.addMetric(MetricName.apiErrors, MetricUnit.Count, count),
      );
    }
  }

  run(source: string, outcome: { succeeded: boolean; authFailures: number }): void {
    this.publish({ [Dimension.source]: source }, (metrics) => {
      if (outcome.authFailures > 0)
        metrics.addMetric(MetricName.authFailures, MetricUnit.Count, outcome.authFailures);
    });
  }

  private publish(dimensions: Record<string, string>, add: (metrics: Metrics) => void): void {
    const metrics = new Metrics({ namespace: this.namespace, serviceName: SERVICE_NAME });
    metrics.clearDefaultDimensions();
    metrics.addDimensions(dimensions);
    add(metrics);
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}
