import type { Output } from './io';

export interface ProgressOptions {
  readonly enabled: boolean;
  readonly now: () => number;
  /** Minimum time between two lines written to a file or pipe. @default 5000 */
  readonly logIntervalMs?: number;
}

/** Redraws at most this often on a terminal. */
const TTY_INTERVAL_MS = 100;

/**
 * Progress on stderr: one line redrawn in place on a terminal, a line every few seconds in
 * a log (CI, `2> file`). The text is built only when it is shown, so callers may report
 * after every object.
 */
export class Progress {
  private lastShown = Number.NEGATIVE_INFINITY;
  private drawn = false;

  constructor(
    private readonly out: Output,
    private readonly options: ProgressOptions,
  ) {}

  update(render: () => string, force = false): void {
    if (!this.options.enabled) return;
    const now = this.options.now();
    const interval = this.out.isTTY ? TTY_INTERVAL_MS : (this.options.logIntervalMs ?? 5000);
    if (!force && now - this.lastShown < interval) return;
    this.lastShown = now;
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${render()}`);
      this.drawn = true;
    } else {
      this.out.write(`${render()}\n`);
    }
  }

  /** Prints a line that stays (a warning, a phase change) without garbling the progress line. */
  note(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
  }

  /** Removes the progress line before the result is printed. */
  clear(): void {
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
}
