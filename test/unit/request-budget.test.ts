import { RequestBudget } from '../../lambdas/shared/events-api/request-budget';

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** A clock that only moves when the budget sleeps (or the test says so). */
function fakeTime(start = 0) {
  const time = { now: start, sleeps: [] as number[] };
  const clock = () => time.now;
  const sleep = async (ms: number) => {
    time.sleeps.push(ms);
    // Yield first, so that concurrent callers interleave as they would with a real timer.
    await Promise.resolve();
    time.now += ms;
  };
  return { time, clock, sleep };
}

/** The most requests found in any window of `windowMs` (times in ascending order). */
function maxInWindow(times: readonly number[], windowMs: number): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < times.length; last++) {
    while ((times[first] as number) <= (times[last] as number) - windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

describe('RequestBudget', () => {
  it('grants requests without waiting while under both limits', async () => {
    // Prepare
    const { time, clock, sleep } = fakeTime();
    const budget = new RequestBudget(600, 30_000, clock, sleep);

    // Act
    for (let i = 0; i < 600; i++) expect(await budget.acquire()).toBe(true);

    // Assess
    expect(time.sleeps).toEqual([]);
    expect(budget.usedInLastMinute()).toBe(600);
  });

  it('makes the 601st request of a minute wait until the first one ages out', async () => {
    // Prepare: 600 requests, one per millisecond.
    const { time, clock, sleep } = fakeTime(1_000_000);
    const budget = new RequestBudget(600, 30_000, clock, sleep);
    for (let i = 0; i < 600; i++) {
      await budget.acquire();
      time.now += 1;
    }

    // Act
    const granted = await budget.acquire();

    // Assess
    expect(granted).toBe(true);
    expect(time.now).toBe(1_000_000 + MINUTE);
    expect(time.sleeps).toEqual([MINUTE - 600]);
    expect(budget.usedInLastMinute()).toBe(600);
  });

  it('makes the request past the hourly limit wait until the first request of the hour ages out', async () => {
    // Prepare: 1000 requests spread well under the per-minute limit.
    const { time, clock, sleep } = fakeTime();
    const budget = new RequestBudget(600, 1000, clock, sleep);
    for (let i = 0; i < 1000; i++) {
      await budget.acquire();
      time.now += 200;
    }
    expect(time.sleeps).toEqual([]);

    // Act
    const granted = await budget.acquire();

    // Assess
    expect(granted).toBe(true);
    expect(time.now).toBe(HOUR);
  });

  it('returns false without taking a slot when the wait would pass notAfter', async () => {
    // Prepare
    const { time, clock, sleep } = fakeTime();
    const budget = new RequestBudget(2, 100, clock, sleep);
    await budget.acquire();
    time.now = 30_000;
    await budget.acquire();

    // Act
    const granted = await budget.acquire(45_000);

    // Assess
    expect(granted).toBe(false);
    expect(time.now).toBe(30_000);
    expect(time.sleeps).toEqual([]);
    expect(budget.usedInLastMinute()).toBe(2);
    // The refused call left no trace: once the first request ages out, one slot is free at once.
    time.now = MINUTE;
    expect(await budget.acquire()).toBe(true);
    expect(time.sleeps).toEqual([]);
  });

  it('grants a slot that frees up exactly at notAfter', async () => {
    const { time, clock, sleep } = fakeTime();
    const budget = new RequestBudget(1, 100, clock, sleep);
    await budget.acquire();

    expect(await budget.acquire(MINUTE)).toBe(true);
    expect(time.now).toBe(MINUTE);
  });

  // The doc says `false` when the wait would end after notAfter; with a free slot the "wait"
  // ends now, which is already after a past notAfter, yet a slot is taken and true returned.
  it('refuses, without taking a slot, when notAfter has already passed', async () => {
    const { time, clock, sleep } = fakeTime(10_000);
    const budget = new RequestBudget(600, 30_000, clock, sleep);

    const granted = await budget.acquire(time.now - 1);

    expect(granted).toBe(false);
    expect(budget.usedInLastMinute()).toBe(0);
  });

  it('gives concurrent callers their slots in the order they asked', async () => {
    // Prepare
    const { time, clock, sleep } = fakeTime();
    const budget = new RequestBudget(2, 100, clock, sleep);
    const grants: { caller: number; at: number }[] = [];

    // Act
    await Promise.all(
      [0, 1, 2, 3, 4].map((caller) =>
        budget.acquire().then((granted) => {
          expect(granted).toBe(true);
          grants.push({ caller, at: time.now });
        }),
      ),
    );

    // Assess
    expect(grants).toEqual([
      { caller: 0, at: 0 },
      { caller: 1, at: 0 },
      { caller: 2, at: MINUTE },
      { caller: 3, at: MINUTE },
      { caller: 4, at: 2 * MINUTE },
    ]);
  });

  it('keeps serving callers after one of them was refused', async () => {
    const { time, clock, sleep } = fakeTime();
    const budget = new RequestBudget(1, 100, clock, sleep);
    await budget.acquire();

    const [refused, granted] = await Promise.all([budget.acquire(1000), budget.acquire()]);

    expect(refused).toBe(false);
    expect(granted).toBe(true);
    expect(time.now).toBe(MINUTE);
  });

  it('respects both windows and keeps its memory bounded over many hours of requests', async () => {
    // Prepare
    const { time, clock, sleep } = fakeTime();
    const budget = new RequestBudget(600, 30_000, clock, sleep);
    const grantedAt: number[] = [];

    // Act: six hours' worth of requests, as fast as the budget allows.
    for (let i = 0; i < 6 * 30_000; i++) {
      await budget.acquire();
      grantedAt.push(time.now);
    }

    // Assess
    expect(maxInWindow(grantedAt, MINUTE)).toBe(600);
    expect(maxInWindow(grantedAt, HOUR)).toBe(30_000);
    expect(time.now).toBeGreaterThanOrEqual(5 * HOUR);
    const remembered = (budget as unknown as { sent: number[] }).sent.length;
    expect(remembered).toBeLessThanOrEqual(2 * 30_000 + 4096);
  });
});
