/** Where a command writes: stdout for results, stderr for progress, warnings and errors. */
export interface Output {
  write(text: string): void;
  /** Whether a person watches it (progress then redraws one line). */
  readonly isTTY?: boolean;
}

/** What a command gets from the process; tests hand in their own. */
export interface CliIo {
  readonly stdout: Output;
  readonly stderr: Output;
  readonly stdin: AsyncIterable<Buffer | string> & { readonly isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  /** Aborted by Ctrl-C: long work stops at a consistent point. */
  readonly signal: AbortSignal;
  readonly now: () => number;
}

/** The real process: its streams, environment and clock. */
export function processIo(signal: AbortSignal): CliIo {
  return {
    stdout: { write: (text) => void process.stdout.write(text), isTTY: process.stdout.isTTY === true },
    stderr: { write: (text) => void process.stderr.write(text), isTTY: process.stderr.isTTY === true },
    stdin: process.stdin,
    env: process.env,
    signal,
    now: Date.now,
  };
}

/** Output kept in memory, for tests and for capturing a command's result. */
export class MemoryOutput implements Output {
  private readonly chunks: string[] = [];
  constructor(readonly isTTY = false) {}
  write(text: string): void {
    this.chunks.push(text);
  }
  get text(): string {
    return this.chunks.join('');
  }
}
