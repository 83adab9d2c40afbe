/**
 * The collector's handler module plus `buildDependencies`, so that a fresh process can time
 * loading the bundle and building the clients apart from the first invocation. The code is
 * the handler's own; the only difference from the deployed bundle is the extra export.
 */
export { buildDependencies } from '../../lambdas/collector/dependencies';
export { handler } from '../../lambdas/collector/handler';
