import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { InvocationReport, InvokeMessage } from './lambda-host';

/** The memory configured on the deployed function (lib/house-nodejs-function.ts). */
export const FUNCTION_MEMORY_MB = 512;

/**
 * The V8 heap limits the Lambda Node.js runtime's bootstrap derives from the function's
 * memory (a tenth for the young generation, the rest for the old one), so garbage
 * collection here runs under the pressure it runs under there.
 */
export function lambdaNodeFlags(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`];
}

type HostMessage = { type: 'ready'; initMs: number; cpuMicros: number } | InvocationReport;

export interface LambdaProcess {
  /** Milliseconds from process start until the bundle was loaded. */
  readonly initMs: number;
  /** CPU time (µs) the process had used once loaded. */
  readonly initCpuMicros: number;
  /** Runs one invocation with `remainingMs` on the clock, like a warm Lambda invocation. */
  invoke(remainingMs: number): Promise<InvocationReport>;
  /** Ends the process and returns everything it printed. */
  stop(): Promise<{ stdout: string; stderr: string }>;
}

/** Starts a fresh Node process that loads the bundled handler, as a Lambda cold start does. */
export async function startLambdaProcess(
  hostBundle: string,
  env: Record<string, string>,
  options: { memoryMb?: number; cpuShare?: number } = {},
): Promise<LambdaProcess> {
  const memoryMb = options.memoryMb ?? FUNCTION_MEMORY_MB;
  const child: ChildProcess = spawn(process.execPath, [...lambdaNodeFlags(memoryMb), hostBundle], {
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const pending = new Map<string, (report: InvocationReport) => void>();

  const ready = await new Promise<{ initMs: number; cpuMicros: number }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`the Lambda host exited with ${code}: ${Buffer.concat(stderr).toString()}`)),
    );
    child.on('message', (message: HostMessage) => {
      if (message.type === 'ready') resolve({ initMs: message.initMs, cpuMicros: message.cpuMicros });
      else {
        pending.get(message.requestId)?.(message);
        pending.delete(message.requestId);
      }
    });
  });

  const unthrottle = options.cpuShare === undefined ? () => undefined : throttle(child, options.cpuShare);
  return {
    initMs: ready.initMs,
    initCpuMicros: ready.cpuMicros,
    invoke(remainingMs) {
      const requestId = randomUUID();
      return new Promise<InvocationReport>((resolve) => {
        pending.set(requestId, resolve);
        const message: InvokeMessage = { type: 'invoke', requestId, remainingMs };
        child.send(message);
      });
    },
    async stop() {
      unthrottle();
      if (child.connected) child.send({ type: 'exit' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await closed;
      clearTimeout(timer);
      return {
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      };
    },
  };
}

/** The scheduling period over which a CPU share is enforced, as a CPU quota does. */
const THROTTLE_PERIOD_MS = 100;

/**
 * Holds a process to `share` of one core the way a CPU quota does: in every period it runs
 * for `share` of it and is stopped for the rest (SIGSTOP/SIGCONT, every thread at once).
 * Returns the function that ends the throttling and leaves the process running.
 */
function throttle(child: ChildProcess, share: number): () => void {
  const runMs = THROTTLE_PERIOD_MS * share;
  let active = true;
  let timer: NodeJS.Timeout | undefined;
  const signal = (name: NodeJS.Signals) => {
    try {
      child.kill(name);
    } catch {
      active = false;
    }
  };
  const cycle = () => {
    if (!active || child.exitCode !== null) return;
    signal('SIGCONT');
    timer = setTimeout(() => {
      if (!active) return;
      signal('SIGSTOP');
      timer = setTimeout(cycle, THROTTLE_PERIOD_MS - runMs);
    }, runMs);
  };
  cycle();
  return () => {
    active = false;
    if (timer) clearTimeout(timer);
    signal('SIGCONT');
  };
}
