import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalSecretsManager {
  readonly endpoint: string;
  /** Sets (or replaces) a secret's string; `undefined` makes the secret exist with no value. */
  put(name: string, value: string | undefined): void;
  delete(name: string): void;
  /** How many GetSecretValue calls the server answered. */
  readonly reads: number;
  close(): Promise<void>;
}

const ARN_PREFIX = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:';

/**
 * A minimal Secrets Manager endpoint (awsJson1_1, `GetSecretValue` only) so the real SDK
 * client and the collector's own code path run without AWS. Secrets Manager has no
 * maintained local emulator that runs without Docker.
 */
export async function startLocalSecretsManager(): Promise<LocalSecretsManager> {
  const secrets = new Map<string, string | undefined>();
  let reads = 0;
  const nameOf = (id: string) => (id.startsWith(ARN_PREFIX) ? id.slice(ARN_PREFIX.length) : id);

  const server = createServer(async (req, res) => {
    const body = JSON.parse((await readBody(req)) || '{}') as { SecretId?: string };
    const reply = (status: number, payload: object) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(payload));
    };
    if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
      reply(400, {
        __type: 'UnsupportedOperation',
        message: `${req.headers['x-amz-target']} is not supported`,
      });
      return;
    }
    reads += 1;
    const name = nameOf(body.SecretId ?? '');
    if (!secrets.has(name)) {
      reply(400, {
        __type: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret.",
      });
      return;
    }
    const value = secrets.get(name);
    if (value === undefined) {
      reply(400, {
        __type: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
      });
      return;
    }
    reply(200, { ARN: `${ARN_PREFIX}${name}`, Name: name, SecretString: value, VersionId: 'v1' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    put: (name, value) => void secrets.set(name, value),
    delete: (name) => void secrets.delete(name),
    get reads() {
      return reads;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
