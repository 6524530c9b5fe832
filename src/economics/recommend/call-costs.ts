// Per-call cost distributions per tier and per feature, from weighted samples (a raw ledger row is one
// call; a rollup group stands for its calls at their average cost). Values are exact fractions of
// pico-USD, compared by cross-multiplication: no float ever decides the 5× boundary.

import { nearestRank } from '../percentile.js';
import type { CallCostSample, TierId } from './types.js';

/** One call's cost: num ÷ den pico-USD. */
export interface Fraction {
  num: bigint;
  den: bigint;
}

interface Weighted extends Fraction {
  weight: number;
}

/** Credits fit when the P90 call costs at least this many times the P10 call. */
export const CREDITS_FACTOR = 5n;

export interface Variation {
  calls: number;
  p10: Fraction;
  p90: Fraction;
  /** P90 ÷ P10 as an exact fraction; den 0 when P10 is free and P90 is not (unbounded). */
  ratio: Fraction;
  /** P90 ≥ 5 × P10. */
  credits: boolean;
}

const cmp = (a: Fraction, b: Fraction): number => {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
};

/** The nearest-rank p-th percentile of weighted values (the value at cumulative weight ⌈p/100 × W⌉). */
function weightedPercentile(sorted: readonly Weighted[], total: number, p: number): Fraction {
  const rank = nearestRank(p, total);
  let seen = 0;
  for (const v of sorted) {
    seen += v.weight;
    if (seen >= rank) return v;
  }
  return sorted.at(-1)!;
}

export function variationOf(values: readonly Weighted[]): Variation | undefined {
  const total = values.reduce((s, v) => s + v.weight, 0);
  if (total === 0) return undefined;
  const sorted = [...values].sort(cmp);
  const p10 = weightedPercentile(sorted, total, 10);
  const p90 = weightedPercentile(sorted, total, 90);
  const ratio = { num: p90.num * p10.den, den: p10.num * p90.den };
  // Both free: no variation at all (1×); P10 free and P90 not: unbounded, so credits.
  const credits = p10.num === 0n ? p90.num > 0n : ratio.num >= CREDITS_FACTOR * ratio.den;
  return {
    calls: total,
    p10,
    p90,
    ratio: p10.num === 0n && p90.num === 0n ? { num: 1n, den: 1n } : ratio,
    credits,
  };
}

/** The map's value for `key`, created by `make` when missing. */
export function getOr<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}

/** Collects samples into the tiers their customer-month belongs to, per feature. */
export class CallCostBook {
  private readonly byTier = new Map<TierId, Map<string, Map<string, Weighted>>>();
  unpricedCalls = 0;

  constructor(private readonly tiersOf: (customer: string, month: number) => readonly TierId[]) {}

  add(s: CallCostSample): void {
    if (s.weight <= 0) return;
    for (const tier of this.tiersOf(s.customer, s.month)) {
      const features = getOr(this.byTier, tier, () => new Map<string, Map<string, Weighted>>());
      const values = getOr(features, s.feature, () => new Map<string, Weighted>());
      // Equal costs share one entry (raw rows repeat the same few costs), keeping memory small.
      const key = `${s.num}/${s.den}`;
      const v = values.get(key);
      if (v) v.weight += s.weight;
      else values.set(key, { num: s.num, den: s.den, weight: s.weight });
    }
  }

  /** The tier's calls over all features, and each feature's, features by name. */
  variations(tier: TierId): { all: Variation | undefined; features: [string, Variation][] } {
    const features = this.byTier.get(tier) ?? new Map<string, Map<string, Weighted>>();
    const all: Weighted[] = [];
    const per: [string, Variation][] = [];
    for (const [feature, values] of [...features].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const list = [...values.values()];
      for (const w of list) all.push(w); // not push(...list): it can hold more values than a call has arguments
      const v = variationOf(list);
      if (v) per.push([feature, v]);
    }
    return { all: variationOf(all), features: per };
  }
}
