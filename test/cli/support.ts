import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { KMSClient } from '@aws-sdk/client-kms';
import type { AwsClients } from '../../cli/aws';
import { type CliIo, MemoryOutput } from '../../cli/io';
import { runCli } from '../../cli/main';
import type { LocalAws } from '../../dev/local/aws';

export interface TestIo extends CliIo {
  readonly stdout: MemoryOutput;
  readonly stderr: MemoryOutput;
  readonly controller: AbortController;
}

/** A command's surroundings: captured output, a given stdin and environment, an abortable signal. */
export function testIo(
  options: { stdin?: string; env?: Record<string, string>; now?: () => number } = {},
): TestIo {
  const controller = new AbortController();
  return {
    stdout: new MemoryOutput(),
    stderr: new MemoryOutput(),
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    env: { ...process.env, S3_FORCE_PATH_STYLE: 'true', ...options.env },
    signal: controller.signal,
    now: options.now ?? Date.now,
    controller,
  };
}

/** Runs a command line in-process, as the binary does; returns the exit status and what it printed. */
export async function cli(
  argv: string[],
  options: Parameters<typeof testIo>[0] = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever document a command printed
): Promise<{ code: number; stdout: string; stderr: string; json: () => any }> {
  const io = testIo(options);
  const code = await runCli(argv, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text, json: () => JSON.parse(io.stdout.text) };
}

/** The local servers' clients, as a command's AWS collaborators. */
export function localClients(aws: LocalAws): AwsClients {
  return {
    s3: () => aws.clients.s3,
    documents: () => aws.clients.documents,
    cloudWatch: () => new CloudWatchClient({ region: 'us-east-1' }),
    secretsManager: () => aws.clients.secretsManager,
    kms: () => new KMSClient({ region: 'us-east-1' }),
    destroy: () => undefined,
  };
}

export function temporaryDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `op-events-${name}-`));
}
