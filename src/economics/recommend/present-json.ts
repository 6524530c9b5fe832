// The recommendation as JSON (CLI --json and GET/POST /admin/v1/recommend): money as exact decimal strings,
// percentages as strings with two decimals, per-call costs to the pico-dollar (exact for raw rows).

import type { PlanSpecInput } from '../../limits/plan-schema.js';
import { picoToUsd } from '../../util/money.js';
import type { Fraction, Variation } from './call-costs.js';
import { fraction, usageMonthLabel } from './format.js';
import { formatBp } from './price.js';
import type { SourcedRecommendation, TierRecommendation } from './recommend.js';
import { PERCENTILE_NOTE, SOURCE_NOTE } from './render-text.js';

const pct = (bp: bigint | number) => formatBp(bp).slice(0, -1);
const roundedPico = (f: Fraction) => picoToUsd((f.num * 2n + f.den) / (2n * f.den));
const ratio = (r: Fraction) => (r.den === 0n ? null : fraction(r.num, r.den, 2).replace('≈', ''));

function variation(v: Variation) {
  return {
    calls: v.calls,
    p10_usd: roundedPico(v.p10),
    p90_usd: roundedPico(v.p90),
    p90_over_p10: ratio(v.ratio),
    credits: v.credits,
  };
}

function tier(t: TierRecommendation, r: SourcedRecommendation) {
  const b = t.budget;
  return {
    id: t.id,
    name: t.label,
    price_usd: String(t.priceUsd),
    minimum_price_usd: String(t.minimumUsd),
    margin_percent: pct(t.marginBp),
    covering: {
      percentile: t.percentile,
      rank: t.rank,
      of: t.n,
      customer: t.covering.customer,
      month: usageMonthLabel(r, t.covering.month),
      calls: t.covering.runs,
      tokens: t.covering.tokens,
      cost_usd: picoToUsd(t.covering.costPico),
      overhead_usd: picoToUsd(r.options.overheadPico),
      loaded_usd: picoToUsd(t.loadedPico),
    },
    per_call_cost: t.variation.all ? variation(t.variation.all) : null,
    features: t.variation.features.map(([feature, v]) => ({ feature, ...variation(v) })),
    budget: {
      unit: b.unit,
      amount: String(b.amount),
      basis: {
        percentile: b.basisPercentile,
        rank: b.basisRank,
        ...(b.unit === 'runs' ? { runs: Number(b.basisValue) } : { cost_usd: picoToUsd(b.basisValue) }),
      },
      ...(b.overagePico !== undefined ? { overage_per_unit_usd: picoToUsd(b.overagePico) } : {}),
    },
    plan: b.spec,
  };
}

export function presentRecommendation(r: SourcedRecommendation) {
  return {
    period: r.period
      ? { from: new Date(r.period.from).toISOString(), to: new Date(r.period.to).toISOString() }
      : null,
    scenario: r.scenario ?? null,
    percentile_method: PERCENTILE_NOTE,
    target_margin_percent: pct(r.options.targetMarginBp),
    overhead_per_customer_usd: picoToUsd(r.options.overheadPico),
    active_customer_months: r.customerMonths,
    customers: r.customers,
    call_cost_source: r.callCostSource,
    call_cost_note: SOURCE_NOTE[r.callCostSource],
    unpriced_calls: r.unpricedCalls,
    tiers: r.tiers.map((t) => tier(t, r)),
  };
}

/** The plans a recommendation proposes, by tier id: the content of `--write plans.yaml`. */
export function recommendedPlans(r: { tiers: readonly TierRecommendation[] }): Record<string, PlanSpecInput> {
  return Object.fromEntries(r.tiers.map((t) => [t.id, t.budget.spec]));
}
