import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createLogger } from '../shared/observability';
import { buildNotaryDependencies } from './dependencies';
import { type NotaryDependencies, type NotarySummary, runNotary } from './notary';

const logger = createLogger();

let dependencies: Omit<NotaryDependencies, 'signal'> | undefined;

/** Calls stop this long before the invocation's deadline, so a run ends with an error rather than a timeout. */
const DEADLINE_MARGIN_MS = 10_000;

async function notarize(_event: unknown, context: Context): Promise<NotarySummary> {
  dependencies ??= buildNotaryDependencies(process.env, logger);
  const signal = AbortSignal.timeout(
    Math.max(1_000, context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS),
  );
  return runNotary({ ...dependencies, signal });
}

export const handler = middy(notarize).use(injectLambdaContext(logger, { resetKeys: true }));
