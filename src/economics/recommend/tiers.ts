// The three tiers' prices, the way the playbooks set them: each priced so the customer it is meant to
// cover (P50 for Starter, P90 for Pro, P99 for high-volume, by monthly AI cost, nearest rank) leaves the
// target margin over its loaded cost (AI cost + per-customer overhead).

import { nearestRank } from '../percentile.js';
import { marginBp, minimumPriceUsd, priceEndingIn9 } from './price.js';
import type { MonthlyUsage, RecommendOptions, TierId } from './types.js';

export const TIERS: readonly { id: TierId; label: string; percentile: number }[] = [
  { id: 'starter', label: 'Starter', percentile: 50 },
  { id: 'pro', label: 'Pro', percentile: 90 },
  { id: 'high-volume', label: 'High volume', percentile: 99 },
];

export interface TierPrice {
  id: TierId;
  label: string;
  /** The covering customer-month: the `percentile`-th by monthly AI cost (rank ⌈p/100 × n⌉ of n). */
  percentile: number;
  rank: number;
  n: number;
  covering: MonthlyUsage;
  loadedPico: bigint;
  /** The lowest whole-dollar price meeting the target, before rounding to a price ending in 9. */
  minimumUsd: bigint;
  priceUsd: bigint;
  marginBp: bigint;
}

/** Customer-months by AI cost, ascending; ties by customer then month so the covering customer is stable. */
export function byCost(months: readonly MonthlyUsage[]): MonthlyUsage[] {
  return [...months].sort((a, b) =>
    a.costPico !== b.costPico
      ? a.costPico < b.costPico
        ? -1
        : 1
      : a.customer !== b.customer
        ? a.customer < b.customer
          ? -1
          : 1
        : a.month - b.month,
  );
}

export function priceTiers(sortedByCost: readonly MonthlyUsage[], o: RecommendOptions): TierPrice[] {
  const n = sortedByCost.length;
  if (n === 0) return [];
  return TIERS.map((t) => {
    const rank = nearestRank(t.percentile, n);
    const covering = sortedByCost[rank - 1]!;
    const loadedPico = covering.costPico + o.overheadPico;
    const priceUsd = priceEndingIn9(loadedPico, o.targetMarginBp);
    return {
      ...t,
      rank,
      n,
      covering,
      loadedPico,
      minimumUsd: minimumPriceUsd(loadedPico, o.targetMarginBp),
      priceUsd,
      marginBp: marginBp(priceUsd, loadedPico),
    };
  });
}

/**
 * Which tier's calls a customer-month's calls count toward (for the credits-or-runs choice), by its
 * monthly AI cost: Starter up to Starter's cap (P50 ÷ 0.8), Pro above it up to P99, high-volume from P99
 * up (the customers it is priced for; the P99 customer-month counts in both Pro and high-volume).
 */
export function tierBands(sortedByCost: readonly MonthlyUsage[]): (u: MonthlyUsage) => TierId[] {
  const n = sortedByCost.length;
  if (n === 0) return () => [];
  const p50 = sortedByCost[nearestRank(50, n) - 1]!.costPico;
  const p99 = sortedByCost[nearestRank(99, n) - 1]!.costPico;
  return (u) => {
    const bands: TierId[] = [];
    // cost ≤ p50 ÷ 0.8  ⇔  cost × 8 ≤ p50 × 10, exact.
    if (u.costPico * 8n <= p50 * 10n) bands.push('starter');
    else if (u.costPico <= p99) bands.push('pro');
    if (u.costPico >= p99) bands.push('high-volume');
    return bands;
  };
}
