import type { Log } from '../lambdas/shared/observability';
import type { Progress } from './progress';

/**
 * The collector's log, shown to a person: warnings and errors always, the rest with
 * `--verbose`. The runtime never logs the token, so neither does this.
 */
export class CliLog implements Log {
  /**
   * @param reportedElsewhere warnings the command reports itself at the end (shown only with `--verbose`)
   */
  constructor(
    private readonly progress: Progress,
    private readonly verbose: boolean,
    private readonly reportedElsewhere: ReadonlySet<string> = new Set(),
  ) {}
  debug(message: string, ...extra: Record<string, unknown>[]): void {
    if (this.verbose) this.print('debug', message, extra);
  }
  info(message: string, ...extra: Record<string, unknown>[]): void {
    if (this.verbose) this.print('info', message, extra);
  }
  warn(message: string, ...extra: Record<string, unknown>[]): void {
    if (this.verbose || !this.reportedElsewhere.has(message)) this.print('warning', message, extra);
  }
  error(message: string, ...extra: Record<string, unknown>[]): void {
    if (this.verbose || !this.reportedElsewhere.has(message)) this.print('error', message, extra);
  }
  private print(level: string, message: string, extra: Record<string, unknown>[]): void {
    const details = Object.entries(Object.assign({}, ...extra) as Record<string, unknown>)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    this.progress.note(`${level}: ${message}${details ? ` (${details})` : ''}`);
  }
}
