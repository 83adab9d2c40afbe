import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { Dimension, METRICS_NAMESPACE, MetricName } from '../shared/metric-names';
import { createLogger, publishMetrics } from '../shared/observability';
import { buildDetectorDependencies } from './dependencies';
import { type DetectorDependencies, type DetectorMetrics, detectBatch } from './detector';

const logger = createLogger();

/** The detector's metrics as EMF, one document per source, without Powertools' `service` dimension. */
const metrics: DetectorMetrics = {
  object(outcome) {
    publish({ [Dimension.source]: outcome.source }, (m) => {
      m.addMetric(MetricName.detectorObjects, MetricUnit.Count, 1);
      if (outcome.findings > 0) m.addMetric(MetricName.findingsDelivered, MetricUnit.Count, outcome.findings);
    });
  },
  failed(count) {
    publish({}, (m) => m.addMetric(MetricName.detectorFailures, MetricUnit.Count, count));
  },
};

function publish(dimensions: Record<string, string>, add: (m: Metrics) => void): void {
  publishMetrics(METRICS_NAMESPACE, 'op-events-detector', dimensions, add);
}

// Built on the first invocation and reused while warm; a bad environment or bad settings fail
// the invocation with a message naming the variable and the field.
let dependencies: DetectorDependencies | undefined;

async function detect(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  dependencies ??= buildDetectorDependencies(process.env, logger, metrics);
  return detectBatch(event.Records, dependencies, Date.now() + context.getRemainingTimeInMillis());
}

export const handler = middy(detect).use(injectLambdaContext(logger, { resetKeys: true }));
