import type { FeatureProfile } from './features.js';
import { cumulate, forkRng, normal, pickCumulative, type Rng } from './prng.js';

// The synthetic customer base: heavy-tailed request intensity (lognormal, σ = 2: the top 10% of
// customers send about three quarters of the requests, as in real API services), sign-ups and
// cancellations over the window, a time zone each, and a feature mix each. Plan tiers follow intensity
// loosely: heavy customers mostly on scale, light ones on starter, with enough mismatches that some are
// under water and some overpay.

export const DAY_MS = 86_400_000;
const SIGMA = 2;

export interface PlanEvent {
  customer: number;
  at: number;
  plan: string | null;
}

export interface Population {
  ids: string[];
  /** Relative request intensity while subscribed. */
  weight: Float64Array;
  joinMs: Float64Array;
  /** When the customer cancels (Infinity: never in the window). */
  churnMs: Float64Array;
  /** UTC offset in hours of the customer's working day. */
  utcOffsetH: Int8Array;
  /** Per customer, cumulative feature weights (features.length entries each). */
  featureCumulative: Float32Array;
  /** Sign-ups, upgrades and cancellations in time order per customer: the control plane's history. */
  planEvents: PlanEvent[];
}

const OFFSETS: readonly [number, number][] = [
  [-8, 0.15],
  [-5, 0.3],
  [1, 0.3],
  [5, 0.1],
  [8, 0.15],
];

const OFFSET_CUMULATIVE = cumulate(OFFSETS.map(([, w]) => w));

export function customerId(i: number, count: number): string {
  return `cust-${String(i + 1).padStart(Math.max(6, String(count).length), '0')}`;
}

export function makePopulation(
  rngParent: Rng,
  count: number,
  startMs: number,
  endMs: number,
  features: readonly FeatureProfile[],
): Population {
  const rng = forkRng(rngParent, 'population');
  const span = endMs - startMs;
  const ids: string[] = [];
  const weight = new Float64Array(count);
  const joinMs = new Float64Array(count);
  const churnMs = new Float64Array(count).fill(Number.POSITIVE_INFINITY);
  const utcOffsetH = new Int8Array(count);
  const featureCumulative = new Float32Array(count * features.length);
  for (let i = 0; i < count; i++) {
    ids.push(customerId(i, count));
    // Truncated at ±4σ so one customer cannot swallow a small population.
    weight[i] = Math.exp(SIGMA * Math.max(-4, Math.min(4, normal(rng))));
    // Most customers predate the window; a fifth sign up during it.
    joinMs[i] =
      rng.next() < 0.8
        ? startMs - Math.floor(rng.next() * 365 * DAY_MS)
        : startMs + Math.floor(rng.next() * span);
    if (rng.next() < 0.04) churnMs[i] = joinMs[i]! + Math.floor(rng.next() * (endMs - joinMs[i]!));
    utcOffsetH[i] = OFFSETS[pickCumulative(rng, OFFSET_CUMULATIVE)]![0];
    let s = 0;
    features.forEach((f, j) => {
      // Shares are of calls; a feature with longer sessions needs fewer of them.
      s += (f.share / f.sessionScale) * Math.exp(normal(rng));
      featureCumulative[i * features.length + j] = s;
    });
  }
  return {
    ids,
    weight,
    joinMs,
    churnMs,
    utcOffsetH,
    featureCumulative,
    planEvents: planEvents(rng, weight, joinMs, churnMs, startMs, endMs),
  };
}

/** Plan by intensity rank (top 4% scale, next 21% pro, the rest starter), then mismatches, upgrades, cancellations. */
function planEvents(
  rng: Rng,
  weight: Float64Array,
  joinMs: Float64Array,
  churnMs: Float64Array,
  startMs: number,
  endMs: number,
): PlanEvent[] {
  const n = weight.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => weight[b]! - weight[a]!);
  const plan: (string | null)[] = new Array(n);
  const rankOf = new Int32Array(n);
  order.forEach((c, rank) => {
    rankOf[c] = rank;
    plan[c] = rank < Math.ceil(n * 0.04) ? 'scale' : rank < Math.ceil(n * 0.25) ? 'pro' : 'starter';
  });
  const events: PlanEvent[] = [];
  const tiers = ['starter', 'pro', 'scale'];
  for (let c = 0; c < n; c++) {
    const x = rng.next();
    if (x < 0.03)
      plan[c] = null; // no plan: their own group in reports
    else if (x < 0.13) plan[c] = tiers[Math.floor(rng.next() * 3)]!;
    events.push({ customer: c, at: joinMs[c]!, plan: plan[c]! });
    const from = Math.max(joinMs[c]!, startMs);
    // A heavier starter customer sometimes upgrades during the window (prorated revenue in reports).
    if (plan[c] === 'starter' && rankOf[c]! < n * 0.4 && rng.next() < 0.2) {
      const at = from + Math.floor(rng.next() * (Math.min(endMs, churnMs[c]!) - from));
      events.push({ customer: c, at, plan: 'pro' });
    }
    if (Number.isFinite(churnMs[c]!)) events.push({ customer: c, at: churnMs[c]!, plan: null });
  }
  return events;
}
