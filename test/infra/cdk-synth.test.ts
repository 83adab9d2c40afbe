import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './helpers';

/**
 * The one test that bundles the real collector: `npx cdk synth` as CI and a platform
 * engineer run it, offline, with the example config, cdk-nag and the CDK's own template
 * rules switched on (cdk.json), and no AWS credentials.
 */
describe('cdk synth', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'op-events-synth-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_VALIDATION: 'true',
  };
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
    delete env[name];
  // A fresh clone has no connector.config.json and falls back to the example by itself.
  const freshClone = !existsSync(path.join(REPO_ROOT, 'connector.config.json'));
  const args = [
    'synth',
    '--quiet',
    '--output',
    outdir,
    ...(freshClone ? [] : ['-c', 'config=connector.config.example.json']),
  ];

  const result = spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk'), args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env,
    timeout: 180_000,
  });

  it('succeeds with the example config, cdk-nag and the default rules', () => {
    expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({
      status: 0,
      stderr: '',
    });
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: unknown[];
    };
    expect(report.pluginReports).toEqual([]);
  });

  it('writes one stack with a nested stack per source', () => {
    const templates = readdirSync(outdir).filter((file) => file.endsWith('.template.json'));

    expect(templates.filter((file) => !file.includes('.nested.'))).toEqual([
      'op-events-archive.template.json',
    ]);
    expect(templates.filter((file) => file.includes('.nested.'))).toHaveLength(2);
  });

  it('bundles the collector and the notary handlers with esbuild, source maps included', () => {
    const assets = readdirSync(outdir).filter((entry) => entry.startsWith('asset.'));
    // One bundle for every collector (they share the code), one for the notary.
    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      const bundle = path.join(outdir, asset, 'index.js');
      expect(existsSync(bundle)).toBe(true);
      expect(existsSync(`${bundle}.map`)).toBe(true);
      expect(readFileSync(bundle, 'utf8')).toMatch(/handler/);
    }
  });
});
