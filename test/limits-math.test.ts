// The pure math under limits: billing cycles (UTC, anchored per customer), token-bucket rate limits on
// an injected clock, and the pace / upgrade / anomaly figures for events and the usage endpoint.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CustomerState } from '../src/limits/customer-state.js';
import { billingCycle, type Cycle, cycleProgress, DAY_MS, MIN_DAYS_ELAPSED } from '../src/limits/cycle.js';
import { upgradeMath } from '../src/limits/events.js';
import { cheapestCovering, dailyAverage, isAnomalous, projectUsage } from '../src/limits/pace.js';
import { compilePlan } from '../src/limits/plan.js';
import { parsePlans } from '../src/limits/plans-file.js';
import { RateLimiter } from '../src/limits/rate-limiter.js';

const t = (iso: string) => Date.parse(iso);
const iso = (c: Cycle) => ({ start: new Date(c.start).toISOString(), end: new Date(c.end).toISOString() });
const cycle = (day: number, at: string) => iso(billingCycle(day, t(at)));
const Z = (d: string) => `${d}T00:00:00.000Z`;

describe('billingCycle', () => {
  test('mid-month anchor: before and after the cycle day', () => {
    assert.deepEqual(cycle(15, '2025-06-20T08:00:00Z'), { start: Z('2025-06-15'), end: Z('2025-07-15') });
    assert.deepEqual(cycle(15, '2025-06-03T08:00:00Z'), { start: Z('2025-05-15'), end: Z('2025-06-15') });
  });

  test('cycle day 1 is the calendar month', () => {
    assert.deepEqual(cycle(1, '2025-03-01T00:00:00Z'), { start: Z('2025-03-01'), end: Z('2025-04-01') });
    assert.deepEqual(cycle(1, '2025-03-31T23:59:59.999Z'), { start: Z('2025-03-01'), end: Z('2025-04-01') });
  });

  test('exact boundary instants: start is inside, end belongs to the next cycle', () => {
    assert.deepEqual(cycle(10, '2025-06-10T00:00:00Z'), { start: Z('2025-06-10'), end: Z('2025-07-10') });
    assert.deepEqual(cycle(10, '2025-06-09T23:59:59.999Z'), {
      start: Z('2025-05-10'),
      end: Z('2025-06-10'),
    });
    const c = billingCycle(10, t('2025-06-20T00:00:00Z'));
    assert.equal(billingCycle(10, c.end).start, c.end);
    assert.equal(billingCycle(10, c.end - 1).end, c.end);
  });

  test('December → January crosses the year both ways', () => {
    assert.deepEqual(cycle(15, '2025-12-20T00:00:00Z'), { start: Z('2025-12-15'), end: Z('2026-01-15') });
    assert.deepEqual(cycle(15, '2026-01-05T00:00:00Z'), { start: Z('2025-12-15'), end: Z('2026-01-15') });
    assert.deepEqual(cycle(1, '2025-12-31T23:59:59.999Z'), { start: Z('2025-12-01'), end: Z('2026-01-01') });
    assert.deepEqual(cycle(31, '2026-01-01T00:00:00Z'), { start: Z('2025-12-31'), end: Z('2026-01-31') });
  });

  test('cycle day 31 clamps to short months and returns to 31 after them', () => {
    assert.deepEqual(cycle(31, '2025-02-10T00:00:00Z'), { start: Z('2025-01-31'), end: Z('2025-02-28') });
    assert.deepEqual(cycle(31, '2025-02-28T00:00:00Z'), { start: Z('2025-02-28'), end: Z('2025-03-31') });
    assert.deepEqual(cycle(31, '2025-03-30T23:00:00Z'), { start: Z('2025-02-28'), end: Z('2025-03-31') });
    assert.deepEqual(cycle(31, '2025-04-30T12:00:00Z'), { start: Z('2025-04-30'), end: Z('2025-05-31') });
    assert.deepEqual(cycle(31, '2025-04-29T12:00:00Z'), { start: Z('2025-03-31'), end: Z('2025-04-30') });
    assert.deepEqual(cycle(31, '2025-05-31T00:00:00Z'), { start: Z('2025-05-31'), end: Z('2025-06-30') });
  });

  test('leap years: Feb 29 exists in 2024 and 2000, not in 2025 or 2100', () => {
    assert.deepEqual(cycle(31, '2024-02-29T12:00:00Z'), { start: Z('2024-02-29'), end: Z('2024-03-31') });
    assert.deepEqual(cycle(31, '2024-02-28T12:00:00Z'), { start: Z('2024-01-31'), end: Z('2024-02-29') });
    assert.deepEqual(cycle(29, '2024-02-29T00:00:00Z'), { start: Z('2024-02-29'), end: Z('2024-03-29') });
    assert.deepEqual(cycle(29, '2025-02-28T00:00:00Z'), { start: Z('2025-02-28'), end: Z('2025-03-29') });
    assert.deepEqual(cycle(30, '2000-02-29T00:00:00Z'), { start: Z('2000-02-29'), end: Z('2000-03-30') });
    assert.deepEqual(cycle(30, '2100-02-28T00:00:00Z'), { start: Z('2100-02-28'), end: Z('2100-03-30') });
  });

  test('consecutive cycles tile time with no gaps, for every cycle day, over four years', () => {
    for (let day = 1; day <= 31; day++) {
      let c = billingCycle(day, t('2023-01-01T00:00:00Z'));
      for (let i = 0; i < 48; i++) {
        const next = billingCycle(day, c.end);
        assert.equal(next.start, c.end, `day ${day}, cycle ${i}`);
        assert.ok(next.end > next.start);
        assert.equal(new Date(next.start).getUTCHours(), 0);
        const startDay = new Date(next.start).getUTCDate();
        const lastDay = monthLength(next.start);
        assert.equal(startDay, Math.min(day, lastDay), `day ${day} at ${new Date(next.start).toISOString()}`);
        c = next;
      }
    }
  });

  test('rejects a cycle day outside 1..31 and a non-finite time', () => {
    for (const bad of [0, 32, 1.5, Number.NaN]) assert.throws(() => billingCycle(bad, 0), RangeError);
    assert.throws(() => billingCycle(1, Number.NaN), RangeError);
  });
});

function monthLength(ms: number): number {
  const d = new Date(ms);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
}

describe('cycleProgress', () => {
  const c = billingCycle(1, t('2025-04-10T00:00:00Z')); // April: 30 days

  test('fractional days elapsed out of whole days total', () => {
    assert.deepEqual(cycleProgress(c, t('2025-04-11T12:00:00Z')), { daysElapsed: 10.5, daysTotal: 30 });
    assert.equal(cycleProgress(billingCycle(31, t('2024-02-29T01:00:00Z')), 0).daysTotal, 31);
    assert.equal(cycleProgress(billingCycle(1, t('2024-02-10T00:00:00Z')), 0).daysTotal, 29);
  });

  test('never below the minimum (one hour) so projections cannot divide by zero', () => {
    assert.equal(MIN_DAYS_ELAPSED, 1 / 24);
    assert.equal(cycleProgress(c, c.start).daysElapsed, MIN_DAYS_ELAPSED);
    assert.equal(cycleProgress(c, c.start + 1000).daysElapsed, MIN_DAYS_ELAPSED);
    assert.equal(cycleProgress(c, c.start + 2 * 3_600_000).daysElapsed, 2 / 24);
  });

  test('never above the cycle length', () => {
    assert.equal(cycleProgress(c, c.end).daysElapsed, 30);
    assert.equal(cycleProgress(c, c.end + 5 * DAY_MS).daysElapsed, 30);
  });
});

/** A clock the test moves by hand. */
function manualClock(start = t('2025-06-01T00:00:00Z')) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    set(ms: number) {
      now = ms;
    },
  };
}

describe('RateLimiter', () => {
  test('a burst up to capacity passes, the next is refused with an exact retry-after', () => {
    const clock = manualClock();
    const rl = new RateLimiter(clock);
    for (let i = 0; i < 60; i++) assert.deepEqual(rl.take('k', 60, 1), { ok: true }, `request ${i}`);
    // 60/min refills one token per second.
    assert.deepEqual(rl.take('k', 60, 1), { ok: false, retryAfterMs: 1000, never: false });
    clock.advance(999);
    assert.deepEqual(rl.take('k', 60, 1), { ok: false, retryAfterMs: 1, never: false });
    clock.advance(1);
    assert.deepEqual(rl.take('k', 60, 1), { ok: true });
    assert.equal(rl.take('k', 60, 1).ok, false);
  });

  test('retry-after rounds up to whole ms and is exactly enough', () => {
    const clock = manualClock();
    const rl = new RateLimiter(clock);
    // 7 per minute: one token per 8571.43 ms.
    for (let i = 0; i < 7; i++) assert.equal(rl.take('k', 7, 1).ok, true);
    const r = rl.take('k', 7, 1);
    assert.deepEqual(r, { ok: false, retryAfterMs: 8572, never: false });
    clock.advance(8571);
    assert.equal(rl.take('k', 7, 1).ok, false);
    clock.advance(1);
    assert.equal(rl.take('k', 7, 1).ok, true);
  });

  test('refills continuously and proportionally, capped at capacity', () => {
    const clock = manualClock();
    const rl = new RateLimiter(clock);
    assert.equal(rl.take('tpm', 6000, 6000).ok, true);
    assert.deepEqual(rl.peek('tpm', 6000), { remaining: 0, msUntilFull: 60_000 });
    clock.advance(15_000);
    assert.deepEqual(rl.peek('tpm', 6000), { remaining: 1500, msUntilFull: 45_000 });
    assert.deepEqual(rl.take('tpm', 6000, 2000), { ok: false, retryAfterMs: 5000, never: false });
    clock.advance(5000);
    assert.equal(rl.take('tpm', 6000, 2000).ok, true);
    clock.advance(10 * 60_000);
    assert.deepEqual(rl.peek('tpm', 6000), { remaining: 6000, msUntilFull: 0 });
  });

  test('many tiny refills do not drift (integer sub-token units)', () => {
    const clock = manualClock();
    const rl = new RateLimiter(clock);
    assert.equal(rl.take('k', 7, 7).ok, true);
    // 60000 one-ms steps, each peek refilling a fraction of a token: exactly full after one minute.
    for (let i = 0; i < 59_999; i++) {
      clock.advance(1);
      rl.peek('k', 7);
      if (i % 1000 === 0) rl.give('k', 7, 0); // writes the partial level back
    }
    assert.equal(rl.take('k', 7, 7).ok, false);
    clock.advance(1);
    assert.equal(rl.take('k', 7, 7).ok, true);
  });

  test('keys are independent', () => {
    const rl = new RateLimiter(manualClock());
    assert.equal(rl.take('a', 1, 1).ok, true);
    assert.equal(rl.take('a', 1, 1).ok, false);
    assert.equal(rl.take('b', 1, 1).ok, true);
  });

  test('a request larger than the whole bucket can never fit', () => {
    const rl = new RateLimiter(manualClock());
    assert.deepEqual(rl.take('tpm', 1000, 1001), { ok: false, retryAfterMs: 60_000, never: true });
    assert.deepEqual(rl.peek('tpm', 1000), { remaining: 1000, msUntilFull: 0 }, 'nothing was taken');
    assert.deepEqual(rl.take('tpm', 1000, 1000), { ok: true }, 'exactly the capacity fits');
  });

  test('zero is always allowed and creates no bucket', () => {
    const rl = new RateLimiter(manualClock());
    assert.deepEqual(rl.take('k', 5, 0), { ok: true });
    assert.equal(rl.size, 0);
  });

  test('give returns unused tokens, never above capacity', () => {
    const clock = manualClock();
    const rl = new RateLimiter(clock);
    // Reserve input + max_tokens, settle to fewer actual tokens.
    assert.equal(rl.take('tpm', 10_000, 9000).ok, true);
    rl.give('tpm', 10_000, 6000);
    assert.deepEqual(rl.peek('tpm', 10_000).remaining, 7000);
    rl.give('tpm', 10_000, 1_000_000);
    assert.deepEqual(rl.peek('tpm', 10_000), { remaining: 10_000, msUntilFull: 0 });
    assert.equal(rl.size, 0, 'a bucket given back to full is dropped');
    assert.equal(rl.take('tpm', 10_000, 10_001).ok, false);
  });

  test('takeAll takes from all buckets or from none', () => {
    const clock = manualClock();
    const rl = new RateLimiter(clock);
    assert.equal(rl.take('tpm', 600, 590).ok, true); // 10 left; refills 10 per second
    const specs = [
      { key: 'rpm', perMinute: 60, amount: 1 },
      { key: 'tpm', perMinute: 600, amount: 50 },
    ];
    assert.deepEqual(rl.takeAll(specs), { ok: false, retryAfterMs: 4000, never: false });
    assert.deepEqual(rl.peek('rpm', 60), { remaining: 60, msUntilFull: 0 }, 'rpm untouched on refusal');
    assert.equal(rl.peek('tpm', 600).remaining, 10, 'tpm untouched on refusal');
    clock.advance(4000);
    assert.deepEqual(rl.takeAll(specs), { ok: true });
    assert.equal(rl.peek('rpm', 60).remaining, 59);
    assert.equal(rl.peek('tpm', 600).remaining, 0);
  });

  test('takeAll answers with the longest wait, and never wins over waiting', () => {
    const clock = manualClock();
    const rl = new RateLimiter(clock);
    assert.equal(rl.take('a', 60, 60).ok, true); // 1 per second
    assert.equal(rl.take('b', 6, 6).ok, true); // 1 per 10 seconds
    const r = rl.takeAll([
      { key: 'a', perMinute: 60, amount: 1 },
      { key: 'b', perMinute: 6, amount: 1 },
    ]);
    assert.deepEqual(r, { ok: false, retryAfterMs: 10_000, never: false });
    const n = rl.takeAll([
      { key: 'a', perMinute: 60, amount: 1 },
      { key: 'c', perMinute: 6, amount: 7 },
    ]);
    assert.deepEqual(n, { ok: false, retryAfterMs: 60_000, never: true });
  });

  test('the same key twice in takeAll is charged the sum', () => {
    const rl = new RateLimiter(manualClock());
    const twice = (amount: number) => [
      { key: 'k', perMinute: 10, amount },
      { key: 'k', perMinute: 10, amount },
    ];
    assert.equal(rl.takeAll(twice(6)).ok, false, '12 > 10 never fits');
    assert.equal(rl.takeAll(twice(4)).ok, true);
    assert.equal(rl.peek('k', 10).remaining, 2);
    assert.throws(
      () =>
        rl.takeAll([
          { key: 'k', perMinute: 10, amount: 1 },
          { key: 'k', perMinute: 20, amount: 1 },
        ]),
      RangeError,
    );
  });

  test('a clock stepping backwards grants nothing extra', () => {
    const clock = manualClock();
    const rl = new RateLimiter(clock);
    assert.equal(rl.take('k', 60, 60).ok, true);
    clock.advance(-30_000);
    assert.equal(rl.take('k', 60, 1).ok, false);
    clock.advance(30_000);
    assert.equal(rl.take('k', 60, 1).ok, false, 'no refill for time already counted');
    clock.advance(1000);
    assert.equal(rl.take('k', 60, 1).ok, true);
  });

  test('memory stays bounded: refilled buckets are swept', () => {
    const clock = manualClock();
    const rl = new RateLimiter(clock);
    for (let i = 0; i < 5000; i++) rl.take(`old-${i}`, 100, 1);
    assert.equal(rl.size, 5000);
    clock.advance(60_000); // every old bucket is full again
    for (let i = 0; i < 5000; i++) rl.take(`new-${i}`, 100, 1);
    assert.ok(rl.size <= 5000, `old buckets were swept: size ${rl.size}`);
    clock.advance(60_000);
    for (let i = 0; i < 2000; i++) rl.take('hot', 1_000_000, 1);
    assert.ok(rl.size <= 2, `size ${rl.size}`);
  });

  test('a stream of ever-new keys cannot grow the map without bound', () => {
    const clock = manualClock();
    const rl = new RateLimiter(clock);
    let peak = 0;
    // 100 new keys per second for 10 minutes: about 6000 live at any time.
    for (let i = 0; i < 60_000; i++) {
      rl.take(`k-${i}`, 10, 1);
      clock.advance(10);
      peak = Math.max(peak, rl.size);
    }
    assert.ok(peak <= 2 * 6000 + 1024, `peak ${peak}`);
  });

  test('rejects bad rates and amounts', () => {
    const rl = new RateLimiter(manualClock());
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => rl.take('k', bad, 1), RangeError, String(bad));
    }
    for (const bad of [-1, 0.5, Number.NaN])
      assert.throws(() => rl.take('k', 10, bad), RangeError, String(bad));
  });
});

describe('pace', () => {
  const day = (d: number, total = 30) => ({ daysElapsed: d, daysTotal: total });

  test('projectUsage: linear pace, rounded up', () => {
    assert.equal(projectUsage(100n, day(10)), 300n);
    assert.equal(projectUsage(100n, day(7)), 429n); // 428.57…
    assert.equal(projectUsage(1n, day(29)), 2n); // 1.03…
    assert.equal(projectUsage(0n, day(10)), 0n);
    assert.equal(projectUsage(500n, day(30)), 500n, 'cycle over: the usage itself');
  });

  test('projectUsage: fractional days and huge pico values stay exact', () => {
    assert.equal(projectUsage(3n, day(1.5, 31)), 62n);
    const big = 123_456_789_012_345_678_901n;
    assert.equal(projectUsage(big, day(10)), big * 3n);
    const c = billingCycle(1, t('2025-04-01T00:00:00Z'));
    assert.equal(projectUsage(240n, cycleProgress(c, c.start)), 240n * 24n * 30n, 'first hour floor');
  });

  test('dailyAverage, rounded up', () => {
    assert.equal(dailyAverage(100n, day(4)), 25n);
    assert.equal(dailyAverage(100n, day(3)), 34n);
    assert.equal(dailyAverage(10n, day(0.5)), 20n);
    assert.equal(dailyAverage(0n, day(3)), 0n);
  });

  test('nearest rounding: 333.3 → 333, half up, never below what is used', () => {
    assert.equal(projectUsage(200n, day(18)), 334n, 'rounded up by default'); // 200 × 30 / 18 = 333.33…
    assert.equal(projectUsage(200n, day(18), 'nearest'), 333n);
    assert.equal(projectUsage(1n, day(20), 'nearest'), 2n, '1.5 rounds up');
    assert.equal(projectUsage(7n, day(20), 'nearest'), 11n); // 10.5
    assert.equal(projectUsage(10n, day(29.9), 'nearest'), 10n); // 10.03…
    assert.equal(dailyAverage(200n, day(18), 'nearest'), 11n); // 11.1…
    assert.equal(dailyAverage(100n, day(3), 'nearest'), 33n); // 33.3…
  });

  test('run projections in event payloads round to the nearest run; money still rounds up', () => {
    const specs = parsePlans(
      {
        plans: {
          starter: { priceUsd: 29, budget: { unit: 'runs', amount: 300 } },
          growth: { priceUsd: 99, budget: { unit: 'runs', amount: 333 } },
          scale: { priceUsd: 299, budget: { unit: 'runs', amount: 1000 } },
          money: { priceUsd: 10, budget: { unit: 'usd', amount: '2' } },
        },
      },
      'test',
    );
    const plans = Object.entries(specs).map(([name, spec]) => compilePlan(name, spec));
    const [starter, , , money] = plans;
    const nov = billingCycle(1, t('2026-11-10T00:00:00Z')); // 30 days
    const now = nov.start + 18 * DAY_MS;
    // 200 runs in the first 18 days of a 30-day cycle: 333.3 at this pace → 333, which growth covers.
    const runs = new CustomerState('acme', starter, nov, 'acme');
    runs.spent = 200n;
    const m = upgradeMath(runs, plans, now);
    assert.equal(m.days_elapsed, 18);
    assert.equal(m.days_in_cycle, 30);
    assert.equal(m.projected_cycle_usage, '333');
    assert.equal(m.daily_average, '11');
    assert.equal(m.recommended_plan?.name, 'growth', '333 runs fit growth exactly');
    // $2 in 18 days: 3.333… USD projected, rounded up to the pico-USD.
    const usd = new CustomerState('acme', money, nov, 'acme');
    usd.spent = 2_000_000_000_000n;
    assert.equal(upgradeMath(usd, plans, now).projected_cycle_usage, '3.333333333334');
  });

  const plans = [
    { name: 'free', pricePico: 0n, capacity: 1000n },
    { name: 'pro', pricePico: 20n, capacity: 100_000n },
    { name: 'pro-annual', pricePico: 20n, capacity: 120_000n },
    { name: 'team', pricePico: 100n, capacity: 1_000_000n },
    { name: 'enterprise', pricePico: 500n, capacity: null },
  ];

  test('cheapestCovering: cheapest plan whose capacity covers the need', () => {
    assert.equal(cheapestCovering(plans, 0n)?.name, 'free');
    assert.equal(cheapestCovering(plans, 1000n)?.name, 'free', 'capacity equal to need covers it');
    assert.equal(cheapestCovering(plans, 1001n)?.name, 'pro-annual', 'tie on price → larger capacity');
    assert.equal(cheapestCovering(plans, 120_001n)?.name, 'team');
    assert.equal(cheapestCovering(plans, 10n ** 30n)?.name, 'enterprise', 'unlimited covers anything');
  });

  test('cheapestCovering: unlimited wins a price tie; none covers → undefined; keeps the caller type', () => {
    const tie = [
      { name: 'big', pricePico: 5n, capacity: 10n ** 12n, extra: 1 },
      { name: 'unlimited', pricePico: 5n, capacity: null, extra: 2 },
    ];
    const got = cheapestCovering(tie, 1n);
    assert.equal(got?.extra, 2);
    assert.equal(cheapestCovering(plans.slice(0, 4), 2_000_000n), undefined);
    assert.equal(cheapestCovering([], 1n), undefined);
    const same = [
      { name: 'first', pricePico: 1n, capacity: 10n },
      { name: 'second', pricePico: 1n, capacity: 10n },
    ];
    assert.equal(cheapestCovering(same, 5n)?.name, 'first', 'full tie → list order');
  });
});

describe('isAnomalous', () => {
  test('no baseline with fewer than 3 days of usage', () => {
    assert.equal(isAnomalous(1_000_000n, [], 10), false);
    assert.equal(isAnomalous(1_000_000n, [5n, 0n, 0n, 5n], 10), false);
    assert.equal(isAnomalous(1_000_000n, [5n, 0n, 5n, 0n, 5n], 10), true);
  });

  test('median of active days, odd and even counts, exact at the boundary', () => {
    // active sorted 10, 20, 1000 → median 20; the outlier does not move it
    assert.equal(isAnomalous(199n, [10n, 1000n, 20n], 10), false);
    assert.equal(isAnomalous(200n, [10n, 1000n, 20n], 10), true, 'exactly 10× counts (≥ 10×)');
    // even: 10, 20, 30, 40 → median 25
    assert.equal(isAnomalous(249n, [40n, 10n, 30n, 20n], 10), false);
    assert.equal(isAnomalous(250n, [40n, 10n, 30n, 20n], 10), true);
    // even median with a half: 1, 2, 3, 4 → 2.5, and 2 × 2.5 = 5 exactly
    assert.equal(isAnomalous(4n, [1n, 2n, 3n, 4n], 2), false);
    assert.equal(isAnomalous(5n, [1n, 2n, 3n, 4n], 2), true);
  });

  test('fractional factors compare exactly', () => {
    const h = [100n, 100n, 100n];
    assert.equal(isAnomalous(249n, h, 2.5), false);
    assert.equal(isAnomalous(250n, h, 2.5), true);
    assert.equal(isAnomalous(110n, h, 1.1), true, '1.1 × 100 is 110 exactly, not 110.00000000000001');
    assert.equal(isAnomalous(109n, h, 1.1), false);
  });

  test('only the last 14 days count, idle days are skipped', () => {
    const heavy = 1_000_000n;
    const recent13 = [10n, ...Array<bigint>(11).fill(0n), 10n]; // 2 active days
    // window = one heavy day + recent13 → active 10, 10, 1e6 → median 10
    assert.equal(isAnomalous(500n, [heavy, heavy, ...recent13], 10), true);
    // the heavy days slid out of the window: only 2 active days left → no baseline
    assert.equal(isAnomalous(500n, [heavy, heavy, 0n, ...recent13], 10), false);
    // two heavy days inside the window move the median up
    assert.equal(isAnomalous(500n, [heavy, heavy, 10n, ...Array<bigint>(11).fill(0n)], 10), false);
    assert.equal(isAnomalous(500n, [heavy, heavy, heavy, ...Array<bigint>(14).fill(0n)], 10), false);
  });

  test('huge values and a quiet today', () => {
    const p = 10n ** 24n;
    assert.equal(isAnomalous(p * 11n, [p, p, p], 10), true);
    assert.equal(isAnomalous(0n, [1n, 1n, 1n], 0.5), false);
  });

  test('rejects factors that are not positive numbers', () => {
    for (const bad of [0, -1, 0.0001, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => isAnomalous(1n, [1n, 1n, 1n], bad), RangeError, String(bad));
    }
  });
});
