#!/usr/bin/env -S node --import tsx
/**
 * The `op-events-archive` command. Run from the repository with `npx op-events-archive`
 * (tsx, a devDependency, runs the TypeScript in place).
 */
import { processIo } from './io';
import { runCli } from './main';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(130);
  // The first Ctrl-C lets the running batch finish and commit; a second one leaves at once.
  process.stderr.write('\nStopping after the current step (Ctrl-C again to quit at once)...\n');
  interrupt.abort();
});
// A reader that closes the pipe early (`| head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

// Exits once stdout is flushed rather than when the event loop drains: an SDK connection
// pool or a server's keep-alive socket must not keep a finished command waiting.
const exit = (code: number) => process.stdout.write('', () => process.exit(code));

runCli(process.argv.slice(2), processIo(interrupt.signal)).then(exit, (error: unknown) => {
  process.stderr.write(`op-events-archive: ${error instanceof Error ? error.message : String(error)}\n`);
  exit(3);
});
