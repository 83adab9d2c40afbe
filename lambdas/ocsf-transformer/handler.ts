import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { Dimension, METRICS_NAMESPACE, MetricName } from '../shared/metric-names';
import { createLogger, publishMetrics } from '../shared/observability';
import { buildTransformerDependencies } from './dependencies';
import { type TransformerDependencies, type TransformerMetrics, transformBatch } from './transformer';

const logger = createLogger();

/** The transformer's metrics as EMF, without Powertools' `service` dimension. */
const metrics: TransformerMetrics = {
  object(outcome) {
    if (outcome.written === 0) return;
    publish({ [Dimension.source]: outcome.source }, (m) =>
      m.addMetric(MetricName.ocsfRecordsWritten, MetricUnit.Count, outcome.records),
    );
  },
  failed(count) {
    publish({}, (m) => m.addMetric(MetricName.ocsfFailures, MetricUnit.Count, count));
  },
};

function publish(dimensions: Record<string, string>, add: (m: Metrics) => void): void {
  publishMetrics(METRICS_NAMESPACE, 'op-events-ocsf', dimensions, add);
}

// Built on the first invocation and reused while warm; a bad environment fails the invocation
// with a message naming the variable.
let dependencies: TransformerDependencies | undefined;

async function transform(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  dependencies ??= buildTransformerDependencies(process.env, logger, metrics);
  return transformBatch(event.Records, dependencies, Date.now() + context.getRemainingTimeInMillis());
}

export const handler = middy(transform).use(injectLambdaContext(logger, { resetKeys: true }));
