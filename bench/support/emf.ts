/** One metric data point found in an EMF log line. */
export interface EmfMetric {
  readonly namespace: string;
  readonly name: string;
  /** `Source=bench,Stream=itemusages` */
  readonly dimensions: string;
  readonly value: number;
}

interface EmfDocument {
  _aws?: {
    CloudWatchMetrics?: Array<{
      Namespace?: string;
      Dimensions?: string[][];
      Metrics?: Array<{ Name?: string }>;
    }>;
  };
  [key: string]: unknown;
}

/**
 * The metrics in a stream of log lines written in CloudWatch's Embedded Metric Format: each
 * line with an `_aws` key becomes one data point per metric name and dimension set.
 */
export function parseEmf(lines: readonly string[]): EmfMetric[] {
  const metrics: EmfMetric[] = [];
  for (const line of lines) {
    if (!line.includes('"_aws"')) continue;
    let doc: EmfDocument;
    try {
      doc = JSON.parse(line) as EmfDocument;
    } catch {
      continue;
    }
    for (const directive of doc._aws?.CloudWatchMetrics ?? []) {
      for (const dimensionSet of directive.Dimensions ?? [[]]) {
        const dimensions = dimensionSet.map((key) => `${key}=${String(doc[key])}`).join(',');
        for (const metric of directive.Metrics ?? []) {
          const name = metric.Name ?? '';
          metrics.push({
            namespace: directive.Namespace ?? '',
            name,
            dimensions,
            value: Number(doc[name] ?? 0),
          });
        }
      }
    }
  }
  return metrics;
}

/** Distinct metrics (namespace, name and dimensions): what CloudWatch bills per hour. */
export function distinctMetrics(metrics: readonly EmfMetric[]): string[] {
  return [...new Set(metrics.map((m) => `${m.name}{${m.dimensions}}`))].sort();
}
