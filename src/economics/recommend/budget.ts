// Each tier's monthly allowance in its chosen unit: Starter's cap puts the median customer-month at 80%
// of it (P50 ÷ 0.8, rounded up to a whole unit); Pro's and high-volume's are the P99 customer-month's
// usage; high-volume bills overage past it at a per-unit price that keeps the target margin.

import type { PlanSpecInput } from '../../limits/plan-schema.js';
import { PICO_PER_USD, picoToUsd } from '../../util/money.js';
import { nearestRank, sortAscending } from '../percentile.js';
import type { TierPrice } from './tiers.js';
import type { BudgetChoice, MonthlyUsage, RecommendOptions } from './types.js';

/** A credit is one US cent of AI cost. */
export const CREDITS_PER_USD = 100n;
/** Overage prices are rounded up to the micro-dollar. */
const MICRO = 1_000_000n;

export interface TierBudget {
  unit: BudgetChoice;
  /** The usage percentile the allowance is set from, its rank and its value (runs, or pico-USD of cost). */
  basisPercentile: number;
  basisRank: number;
  basisValue: bigint;
  /** Whole runs or whole credits. */
  amount: bigint;
  /** High volume: USD per unit past the allowance, in pico-USD; and the cost per unit it is set from. */
  overagePico?: bigint;
  overageCostPerUnit?: { num: bigint; den: bigint };
  spec: PlanSpecInput;
}

const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

/** Cost per unit of the customer-months the tier is priced for (P99 and up): runs, or a credit's cost. */
function costPerUnit(unit: BudgetChoice, top: readonly MonthlyUsage[]): { num: bigint; den: bigint } {
  if (unit === 'credits') return { num: PICO_PER_USD, den: CREDITS_PER_USD };
  const cost = top.reduce((s, u) => s + u.costPico, 0n);
  const runs = top.reduce((s, u) => s + BigInt(u.runs), 0n);
  return { num: cost, den: runs > 0n ? runs : 1n };
}

export function tierBudget(
  tier: TierPrice,
  unit: BudgetChoice,
  sortedByCost: readonly MonthlyUsage[],
  o: RecommendOptions,
): TierBudget {
  const n = sortedByCost.length;
  const basisPercentile = tier.id === 'starter' ? 50 : 99;
  const basisRank = nearestRank(basisPercentile, n);
  const basisValue =
    unit === 'runs'
      ? sortAscending(sortedByCost.map((u) => BigInt(u.runs)))[basisRank - 1]!
      : sortedByCost[basisRank - 1]!.costPico;
  // In whole units: runs as they are; credits = cost × 100 per USD.
  const usage = (scaleNum: bigint, scaleDen: bigint) =>
    unit === 'runs'
      ? ceilDiv(basisValue * scaleNum, scaleDen)
      : ceilDiv(basisValue * CREDITS_PER_USD * scaleNum, PICO_PER_USD * scaleDen);
  // At least one unit: a free median (all cache hits) still gets a cap that admits a call.
  const raw = tier.id === 'starter' ? usage(10n, 8n) : usage(1n, 1n);
  const amount = raw > 0n ? raw : 1n;
  const budget = {
    unit,
    amount: String(amount),
    ...(unit === 'credits' ? { creditsPerUsd: String(CREDITS_PER_USD) } : {}),
  };
  const spec: PlanSpecInput = { priceUsd: String(tier.priceUsd), budget };
  if (tier.id === 'starter') spec.hardCap = { action: 'block' };
  if (tier.id === 'pro') spec.hardCap = { action: 'throttle' };
  if (tier.id !== 'high-volume') return { unit, basisPercentile, basisRank, basisValue, amount, spec };

  const top = sortedByCost.slice(basisRank - 1);
  const per = costPerUnit(unit, top);
  // price per unit ≥ cost per unit ÷ (1 − m), rounded up to the micro-dollar.
  const keep = 10_000n - BigInt(o.targetMarginBp);
  const overagePico = ceilDiv(per.num * 10_000n, per.den * keep * MICRO) * MICRO;
  spec.overage = { pricePerUnitUsd: picoToUsd(overagePico) };
  return { unit, basisPercentile, basisRank, basisValue, amount, overagePico, overageCostPerUnit: per, spec };
}
