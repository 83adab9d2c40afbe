const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * The documented 600/minute and 30,000/hour limits as sliding windows over accepted requests.
 * Rejected requests are not recorded: a client that keeps retrying on 429 does not push its own
 * recovery further away (the real behaviour is undocumented; this is the forgiving choice).
 */
export class RateLimiter {
  /** Times of accepted requests within the last hour, oldest first, from `head` on. */
  private times: number[] = [];
  private head = 0;

  constructor(
    private readonly perMinute: number,
    private readonly perHour: number,
  ) {}

  admit(nowMs: number): Admission {
    while (this.head < this.times.length && (this.times[this.head] as number) <= nowMs - HOUR_MS)
      this.head += 1;
    if (this.head > 4096 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    const firstInMinute = this.firstAfter(nowMs - MINUTE_MS);
    const inMinute = this.times.length - firstInMinute;
    const inHour = this.times.length - this.head;
    let waitMs = 0;
    if (inMinute >= this.perMinute) {
      // A slot frees when enough of the oldest requests in the window age out.
      const freeing = this.times[firstInMinute + inMinute - this.perMinute] as number;
      waitMs = Math.max(waitMs, freeing + MINUTE_MS - nowMs);
    }
    if (inHour >= this.perHour) {
      const freeing = this.times[this.head + inHour - this.perHour] as number;
      waitMs = Math.max(waitMs, freeing + HOUR_MS - nowMs);
    }
    if (inMinute >= this.perMinute || inHour >= this.perHour) {
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    }
    // A clock set backwards in a test must not break the ordering the binary search relies on.
    const last = this.times[this.times.length - 1];
    this.times.push(last !== undefined && last > nowMs ? last : nowMs);
    return { ok: true };
  }

  /** Index of the first recorded time strictly after `t`. */
  private firstAfter(t: number): number {
    let lo = this.head;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.times[mid] as number) <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
