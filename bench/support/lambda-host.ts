/**
 * Plays the Lambda runtime for the bundled collector in a process of its own: the module
 * is loaded once, then each `invoke` message calls the handler with a context whose
 * deadline is `remainingMs` away, as warm invocations of one execution environment.
 * Everything the handler prints goes to stdout, as it would to CloudWatch Logs.
 */
import { localLambdaContext } from '../../dev/local/collector-env';
import { handler } from '../../lambdas/collector/handler';

const loadedAt = performance.now();

export interface InvokeMessage {
  readonly type: 'invoke';
  readonly requestId: string;
  readonly remainingMs: number;
}

export interface InvocationReport {
  readonly type: 'result';
  readonly requestId: string;
  readonly ok: boolean;
  readonly summary: unknown;
  readonly error: string | undefined;
  readonly startedAt: number;
  readonly endedAt: number;
  /** Process CPU time so far (µs, every thread), as `process.cpuUsage()` reports it. */
  readonly cpuMicros: number;
  /** Peak resident set size of the process so far (KiB). */
  readonly maxRssKiB: number;
  /** Milliseconds from process start until the bundle was loaded. */
  readonly initMs: number;
}

async function invoke(message: InvokeMessage): Promise<InvocationReport> {
  const startedAt = Date.now();
  let ok = true;
  let summary: unknown;
  let error: string | undefined;
  try {
    summary = await handler(
      { 'detail-type': 'Scheduled Event', source: 'aws.events' },
      localLambdaContext({ source: 'bench', remainingMs: message.remainingMs, requestId: message.requestId }),
    );
  } catch (caught) {
    ok = false;
    error = caught instanceof Error ? caught.message : String(caught);
    summary = (caught as { summary?: unknown }).summary;
  }
  const endedAt = Date.now();
  const cpu = process.cpuUsage();
  return {
    type: 'result',
    requestId: message.requestId,
    ok,
    summary,
    error,
    startedAt,
    endedAt,
    cpuMicros: cpu.user + cpu.system,
    maxRssKiB: process.resourceUsage().maxRSS,
    initMs: loadedAt,
  };
}

// One invocation at a time, as in one Lambda execution environment.
let queue: Promise<void> = Promise.resolve();
process.on('message', (message: InvokeMessage | { type: 'exit' }) => {
  if (message.type === 'exit') {
    queue.then(() => process.disconnect());
    return;
  }
  queue = queue.then(async () => {
    process.send?.(await invoke(message));
  });
});
const cpu = process.cpuUsage();
process.send?.({ type: 'ready', initMs: loadedAt, cpuMicros: cpu.user + cpu.system });
