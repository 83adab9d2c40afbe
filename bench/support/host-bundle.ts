import { join } from 'node:path';
import { bundle, deployedSettings, PROJECT_ROOT, scratchDir } from './bundle';

let built: Promise<string> | undefined;

/**
 * The Lambda host with the collector's handler inside, bundled and minified as the CDK app
 * bundles the function (the handler's code in it is the deployed code). Built once per run.
 */
export function hostBundle(): Promise<string> {
  built ??= bundle(
    join(PROJECT_ROOT, 'bench', 'support', 'lambda-host.ts'),
    join(scratchDir('host'), 'host.js'),
  ).then((result) => result.file);
  return built;
}

/** What the deployed function's NODE_OPTIONS holds (lib/house-nodejs-function.ts). */
export const DEPLOYED_NODE_OPTIONS = deployedSettings().nodeOptions;
