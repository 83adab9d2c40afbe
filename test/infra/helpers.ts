import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { ArchiveStack } from '../../lib/archive-stack';
import { type DeploymentConfigInput, parseConfig } from '../../lib/config';
import { defineDeployment } from '../../lib/deployment';

// The CDK's built-in template rules are exercised by the CLI synth test; here they would
// only multiply the run time.
process.env.CDK_VALIDATION = 'false';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The feature flags of cdk.json, so tests build what `cdk synth` builds. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return { ...cdkJson.context };
}

export const ACCOUNT = '123456789012';
export const SECRET_ARN = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:op-events/acme-AbCdEf`;
export const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
export const TOPIC_ARN = `arn:aws:sns:eu-west-1:${ACCOUNT}:security-alarms`;

export interface Synthesized {
  readonly app: App;
  readonly stack: ArchiveStack;
  /** Template of the parent stack. */
  readonly parent: Template;
  /** Template of a source's nested stack. */
  source(name: string): Template;
}

/** Validates `input` like bin/app.ts does and builds the deployment without bundling. */
export function synth(input: DeploymentConfigInput): Synthesized {
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = defineDeployment(app, parseConfig(input), { nag: false });
  const parent = Template.fromStack(stack);
  const templates = new Map<string, Template>();
  return {
    app,
    stack,
    parent,
    source(name) {
      const cached = templates.get(name);
      if (cached) return cached;
      const nested = stack.sources.find(({ collector }) => collector.sourceName === name);
      if (!nested) throw new Error(`no source ${name}`);
      const template = Template.fromStack(nested);
      templates.set(name, template);
      return template;
    },
  };
}

type ArchiveInput = NonNullable<DeploymentConfigInput['archive']>;
type ObjectLockInput = NonNullable<ArchiveInput['objectLock']>;

/** A config input whose `archive.objectLock.mode` may be left out. */
export type InputWithoutLockMode = Omit<DeploymentConfigInput, 'archive'> & {
  archive?: Omit<ArchiveInput, 'objectLock'> & { objectLock?: Partial<ObjectLockInput> };
};

/**
 * `input` with `archive.objectLock.mode` stated, as every real config must: GOVERNANCE unless
 * `input` names a mode. For tests about something other than the lock mode.
 */
export function withArchive(input: InputWithoutLockMode): DeploymentConfigInput {
  const { objectLock, ...archive } = input.archive ?? {};
  return { ...input, archive: { ...archive, objectLock: { mode: 'GOVERNANCE', ...objectLock } } };
}

/** The example config, as committed. */
export function exampleConfig(): DeploymentConfigInput {
  return JSON.parse(
    readFileSync(path.join(REPO_ROOT, 'connector.config.example.json'), 'utf8'),
  ) as DeploymentConfigInput;
}

/** Resources of one type in a template, by logical id. */
export function resourcesOf(
  template: Template,
  type: string,
): Record<string, { Properties: Record<string, unknown> }> {
  return template.findResources(type) as Record<string, { Properties: Record<string, unknown> }>;
}

/**
 * Asserts a consumer's three alarms (dead letters, failed invocations, a backlog): each named
 * `op-events-archive-<label>-…`, sent to the operations topic when it fires and when it clears,
 * and saying what to check first and where the runbook is.
 */
export function expectConsumerAlarms(template: Template, label: string, runbook: RegExp): void {
  template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
  for (const name of ['dead-letters', 'errors', 'behind']) {
    const [alarm] = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: {
          AlarmName: `op-events-archive-${label}-${name}`,
          AlarmActions: [{ Ref: 'AlarmTopicArn' }],
          OKActions: [{ Ref: 'AlarmTopicArn' }],
        },
      }),
    );
    expect(alarm).toBeDefined();
    expect(JSON.stringify(alarm?.Properties.AlarmDescription)).toMatch(/First: /);
    expect(JSON.stringify(alarm?.Properties.AlarmDescription)).toMatch(runbook);
  }
}
