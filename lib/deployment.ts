import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ArchiveStack } from './archive-stack';
import type { DeploymentConfig } from './config';

/** Options of {@link defineDeployment}. */
export interface DeploymentOptions {
  /**
   * Run cdk-nag's AwsSolutions checks when the app synthesizes.
   * @default true
   */
  readonly nag?: boolean;
}

/**
 * Adds one deployment to `app`: a stack named after the config's `name`, in the config's
 * account and region when it gives them (otherwise environment-agnostic, so synth needs
 * no credentials), checked by cdk-nag.
 */
export function defineDeployment(
  app: App,
  config: DeploymentConfig,
  options: DeploymentOptions = {},
): ArchiveStack {
  const { account, region } = config.env ?? {};
  const stack = new ArchiveStack(app, config.name, {
    config,
    ...(account || region ? { env: { ...(account ? { account } : {}), ...(region ? { region } : {}) } } : {}),
  });
  if (options.nag ?? true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  }
  return stack;
}
