#!/usr/bin/env node
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfig } from '../lib/config';
import { defineDeployment } from '../lib/deployment';

const DEFAULT_CONFIG = 'connector.config.json';
const EXAMPLE_CONFIG = 'connector.config.example.json';

const app = new App();
const root = path.resolve(__dirname, '..');

/**
 * `-c config=<path>` wins; then connector.config.json; then the committed example, so a
 * fresh clone synthesizes as is.
 */
function configPath(): string {
  const fromContext: unknown = app.node.tryGetContext('config');
  if (typeof fromContext === 'string' && fromContext !== '') return path.resolve(fromContext);
  const own = path.join(root, DEFAULT_CONFIG);
  if (existsSync(own)) return own;
  process.stderr.write(
    `${DEFAULT_CONFIG} not found: synthesizing the example ${EXAMPLE_CONFIG}. ` +
      `Copy it to ${DEFAULT_CONFIG} and edit it before deploying (README §Deploy).\n`,
  );
  return path.join(root, EXAMPLE_CONFIG);
}

try {
  defineDeployment(app, loadConfig(configPath()));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

app.synth();
