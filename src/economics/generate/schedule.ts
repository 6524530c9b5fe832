import { DAY_MS, type Population } from './population.js';
import { cumulate, pickCumulative, type Rng } from './prng.js';
import { quantileSampler, type TraceSummaries } from './trace-summaries.js';

// When calls arrive: how many on each day (weekday/weekend shape × who is subscribed that day, summing
// exactly to the requested total), at what hour (RAGPulse's day in its own UTC+8, moved to each
// customer's time zone) and how far apart within a session (RAGPulse's gaps, at most an hour).

const RAGPULSE_UTC_OFFSET_H = 8;
const MAX_GAP_MS = 3_600_000;

export interface Arrivals {
  /** Calls on each day of the window; sums to the total asked for. */
  perDay: number[];
  /** A session start on day `dayStart` for a customer at this UTC offset. */
  sessionStart(rng: Rng, dayStart: number, utcOffsetH: number): number;
  /** The gap to the next call of a session. */
  gap(rng: Rng): number;
  /** Calls in a session before scaling by feature. */
  sessionSize(rng: Rng): number;
}

export function subscribedOn(p: Population, c: number, dayStart: number): boolean {
  return p.joinMs[c]! < dayStart + DAY_MS && p.churnMs[c]! > dayStart;
}

export function makeArrivals(
  t: TraceSummaries,
  p: Population,
  startMs: number,
  days: number,
  total: number,
): Arrivals {
  const wd = t.ragpulse.arrivals.weekday;
  // One week of data: keep its weekday/weekend contrast, not the noise of single days.
  const weekdayMean = (wd[0]! + wd[1]! + wd[2]! + wd[3]! + wd[4]!) / 5;
  const weekendMean = (wd[5]! + wd[6]!) / 2;
  const dayWeights: number[] = [];
  for (let d = 0; d < days; d++) {
    const dayStart = startMs + d * DAY_MS;
    let subscribed = 0;
    for (let c = 0; c < p.weight.length; c++) if (subscribedOn(p, c, dayStart)) subscribed += p.weight[c]!;
    const isoWeekday = (new Date(dayStart).getUTCDay() + 6) % 7;
    dayWeights.push(subscribed * (isoWeekday < 5 ? weekdayMean : weekendMean));
  }
  const localHours = t.ragpulse.arrivals.hourOfDayUtc.map(
    (_, h) => t.ragpulse.arrivals.hourOfDayUtc[(h - RAGPULSE_UTC_OFFSET_H + 24) % 24]!,
  );
  const hourCumulative = cumulate(localHours);
  const sizeCumulative = cumulate(t.ragpulse.sessions.requestsPerSession);
  const gapAt = quantileSampler(t.ragpulse.sessions.gapWithinSessionMs);
  return {
    perDay: apportion(total, dayWeights),
    sessionStart(rng, dayStart, utcOffsetH) {
      const localHour = pickCumulative(rng, hourCumulative);
      const ms = (localHour - utcOffsetH) * 3_600_000 + Math.floor(rng.next() * 3_600_000);
      return dayStart + (((ms % DAY_MS) + DAY_MS) % DAY_MS);
    },
    gap: (rng) => Math.min(MAX_GAP_MS, Math.round(gapAt(rng.next()))),
    sessionSize: (rng) => pickCumulative(rng, sizeCumulative) + 1,
  };
}

/** Largest-remainder apportionment: integer shares of `total` proportional to weights, summing to it. */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((x, i) => [x - Math.floor(x), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of byRemainder) {
    if (left-- <= 0) break;
    out[i]! += 1;
  }
  return out;
}
