import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Dimension, METRICS_NAMESPACE, MetricName } from '../lambdas/shared/metric-names';

type MetricKey = keyof typeof MetricName;

/** One of the collector's custom metrics (see lambdas/shared/metric-names.ts). */
export function collectorMetric(
  name: MetricKey,
  dimensions: { source: string; stream?: string },
  options: { statistic: string; period: Duration; label?: string },
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: MetricName[name],
    dimensionsMap: {
      [Dimension.source]: dimensions.source,
      ...(dimensions.stream ? { [Dimension.stream]: dimensions.stream } : {}),
    },
    statistic: options.statistic,
    period: options.period,
    ...(options.label ? { label: options.label } : {}),
  });
}

/**
 * Every time series of a collector metric, one per dimension combination, for graphs of
 * a whole deployment: the sources and streams are only known once events arrive.
 */
export function searchCollectorMetric(
  name: MetricKey,
  schema: readonly (keyof typeof Dimension)[],
  statistic: string,
  period: Duration,
  label = '',
): cloudwatch.MathExpression {
  const dimensions = schema.map((key) => Dimension[key]).join(',');
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},${dimensions}} MetricName="${MetricName[name]}"', '${statistic}', ${period.toSeconds()})`,
    usingMetrics: {},
    label,
    period,
  });
}

/** Period of the alarms that look at every run: five minutes, or the schedule's interval if longer. */
export function runAlarmPeriod(scheduleInterval: Duration): Duration {
  return Duration.minutes(Math.max(5, scheduleInterval.toMinutes()));
}
