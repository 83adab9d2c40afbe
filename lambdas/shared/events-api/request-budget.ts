/**
 * A client-side request budget: at most `perMinute` requests in any 60 s and `perHour`
 * in any hour, shared by every stream of a source (the API's limits are per account).
 * It lives in module scope in the Lambda, so warm invocations keep their history; a cold
 * start forgets it, and the client's backoff on 429 covers that case.
 */
export class RequestBudget {
  /** Start times of the requests of the last hour, oldest first. */
  private readonly sent: number[] = [];
  private head = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly perMinute: number,
    readonly perHour: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = defaultSleep,
  ) {}

  /**
   * Waits for a free slot and takes it. Returns `false`, without taking a slot, when the
   * wait would end after `notAfter` (epoch ms): the caller should stop for this run.
   */
  acquire(notAfter: number = Number.POSITIVE_INFINITY): Promise<boolean> {
    // Serialised so concurrent streams take slots in turn instead of all waking at once.
    const turn = this.queue.then(() => this.take(notAfter));
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  /** Requests taken in the last minute, for progress displays and tests. */
  usedInLastMinute(): number {
    const now = this.now();
    this.forget(now);
    return this.sent.length - this.indexAfter(now - 60_000);
  }

  private async take(notAfter: number): Promise<boolean> {
    for (;;) {
      const now = this.now();
      this.forget(now);
      if (now > notAfter) return false;
      const waitUntil = this.nextFreeSlot(now);
      if (waitUntil <= now) {
        this.sent.push(now);
        return true;
      }
      if (waitUntil > notAfter) return false;
      await this.sleep(waitUntil - now);
    }
  }

  private nextFreeSlot(now: number): number {
    let earliest = now;
    const inHour = this.sent.length - this.head;
    if (inHour >= this.perHour) {
      earliest = Math.max(earliest, (this.sent[this.sent.length - this.perHour] ?? now) + 3_600_000);
    }
    const inMinute = this.sent.length - this.indexAfter(now - 60_000);
    if (inMinute >= this.perMinute) {
      earliest = Math.max(earliest, (this.sent[this.sent.length - this.perMinute] ?? now) + 60_000);
    }
    return earliest;
  }

  /** Index of the first request sent after `time`. */
  private indexAfter(time: number): number {
    let low = this.head;
    let high = this.sent.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.sent[mid] ?? 0) > time) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  private forget(now: number): void {
    this.head = this.indexAfter(now - 3_600_000);
    if (this.head > 4096 && this.head * 2 > this.sent.length) {
      this.sent.splice(0, this.head);
      this.head = 0;
    }
  }
}

export function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
