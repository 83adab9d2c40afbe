import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createLogger } from '../shared/observability';
import { type CollectorDependencies, type RunSummary, runCollector } from './collector';
import { buildDependencies } from './dependencies';

const logger = createLogger();

// Built on the first invocation, then reused while the container is warm: the token cache
// and the request budget's history live here. Building lazily turns a bad environment into
// a failed invocation with a message naming the variable, rather than an init crash.
let dependencies: CollectorDependencies | undefined;

async function collect(_event: unknown, context: Context): Promise<RunSummary> {
  dependencies ??= buildDependencies(process.env, logger);
  return runCollector(dependencies, Date.now() + context.getRemainingTimeInMillis(), leaseOwner(context));
}

/**
 * Who holds a stream's lease: unique per invocation. Lambda redelivers an asynchronous event
 * with the same request id, so the id alone would let a redelivered run share the lease of a
 * run still in progress; it stays in the owner so logs and the state table can be matched.
 */
export function leaseOwner(context: Pick<Context, 'awsRequestId'>): string {
  return `${context.awsRequestId}/${randomUUID()}`;
}

export const handler = middy(collect).use(injectLambdaContext(logger, { resetKeys: true }));
