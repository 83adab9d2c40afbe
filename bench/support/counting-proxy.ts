import { Agent, createServer, type IncomingHttpHeaders, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request that went through a proxy. */
export interface ProxiedCall {
  /** e.g. `PutObject`, `UpdateItem`, `GetSecretValue`. */
  readonly operation: string;
  /** Epoch ms when the request arrived. */
  readonly at: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
  readonly status: number;
  /** The request body, kept only for small JSON requests (DynamoDB, Secrets Manager). */
  readonly body: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

export interface CountingProxy {
  readonly endpoint: string;
  readonly calls: ProxiedCall[];
  close(): Promise<void>;
}

type Classifier = (method: string, url: URL, headers: IncomingHttpHeaders) => string;

/** DynamoDB and Secrets Manager name the operation in `X-Amz-Target` (`DynamoDB_20120810.UpdateItem`). */
export const byAmzTarget: Classifier = (_method, _url, headers) =>
  String(headers['x-amz-target'] ?? 'unknown').replace(/^.*\./, '');

/** S3's REST operations, as far as the collector uses them. */
export const byS3Rest: Classifier = (method, url) => {
  const segments = url.pathname.split('/').filter(Boolean);
  if (segments.length <= 1) {
    if (method === 'GET' && url.searchParams.get('list-type') === '2') return 'ListObjectsV2';
    if (method === 'GET') return 'ListObjects';
    return method === 'PUT' ? 'CreateBucket' : `${method} bucket`;
  }
  if (method === 'PUT') return url.searchParams.has('partNumber') ? 'UploadPart' : 'PutObject';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'GET') return 'GetObject';
  if (method === 'DELETE') return 'DeleteObject';
  return `${method} object`;
};

const KEEP_BODY_BELOW = 64 * 1024;

/**
 * A pass-through HTTP proxy in front of a local AWS stand-in that records every call: the
 * collector's AWS traffic is counted on the wire, retries included, without touching its
 * code. Headers go through unchanged, so signatures still verify.
 */
export async function startCountingProxy(target: string, classify: Classifier): Promise<CountingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const calls: ProxiedCall[] = [];
  const server = createServer((req, res) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', target);
      // The body is already here in full; `Expect: 100-continue` (unsigned) would only add a round trip.
      const { expect: _expect, ...headers } = req.headers;
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers,
          agent,
        },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          let responseBytes = 0;
          upstreamRes.on('data', (chunk: Buffer) => {
            responseBytes += chunk.length;
            res.write(chunk);
          });
          upstreamRes.on('end', () => {
            res.end();
            calls.push({
              operation: classify(req.method ?? 'GET', url, req.headers),
              at,
              requestBytes: body.length,
              responseBytes,
              status: upstreamRes.statusCode ?? 0,
              body: body.length < KEEP_BODY_BELOW ? body.toString('utf8') : undefined,
              headers: req.headers,
            });
          });
        },
      );
      forward.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** How many calls of each operation. */
export function countByOperation(calls: readonly ProxiedCall[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) counts[call.operation] = (counts[call.operation] ?? 0) + 1;
  return counts;
}
