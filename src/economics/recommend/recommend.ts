// The recommender over any population of customer-months: prices three tiers, gathers the per-call cost
// spread of each tier's calls, picks credits or runs, and sets each allowance. The ledger feeds it
// (ledger.ts), and so does a simulator scenario (scenario.ts); per-call costs come through `collectCalls`
// (or leave that out to use each customer-month's average per run).

import { type TierBudget, tierBudget } from './budget.js';
import { CallCostBook, type Variation } from './call-costs.js';
import { byCost, priceTiers, type TierPrice, tierBands } from './tiers.js';
import type { CallCostSample, CallCostSource, MonthlyUsage, RecommendOptions, TierId } from './types.js';

export interface TierRecommendation extends TierPrice {
  variation: { all: Variation | undefined; features: [string, Variation][] };
  budget: TierBudget;
}

export interface Recommendation {
  options: RecommendOptions;
  /** Active customer-months (at least one call that used tokens) and distinct customers among them. */
  customerMonths: number;
  customers: number;
  callCostSource: CallCostSource;
  /** Calls that used tokens but have no price: left out of the per-call spread. */
  unpricedCalls: number;
  tiers: TierRecommendation[];
}

/** A recommendation with where its usage came from, as the outputs (text, JSON, plans.yaml) show it. */
export interface SourcedRecommendation extends Recommendation {
  /** Whole UTC months [from, to) of the ledger; null when it is empty or the usage is a scenario's. */
  period: { from: number; to: number } | null;
  /** The scenario the usage was synthesised from (its file, or "scenario" for an admin request body). */
  scenario?: string;
}

export interface RecommendInput {
  months: readonly MonthlyUsage[];
  /** Feeds per-call cost samples to `add` and says where they came from. */
  collectCalls?: (
    add: (s: CallCostSample) => void,
    book: { unpricedCalls: number },
  ) => Promise<CallCostSource>;
  options: RecommendOptions;
}

const key = (customer: string, month: number) => `${month}\u0000${customer}`;

export async function recommend(input: RecommendInput): Promise<Recommendation> {
  const active = byCost(input.months.filter((u) => u.runs > 0));
  const prices = priceTiers(active, input.options);
  const bandOf = tierBands(active);
  const bands = new Map<string, TierId[]>(active.map((u) => [key(u.customer, u.month), bandOf(u)]));
  const book = new CallCostBook((customer, month) => bands.get(key(customer, month)) ?? []);
  const collect = input.collectCalls ?? averagesPerRun(active);
  const callCostSource = active.length > 0 ? await collect((s) => book.add(s), book) : 'monthly_averages';
  const tiers = prices.map((t) => {
    const variation = book.variations(t.id);
    const unit = variation.all?.credits ? 'credits' : 'runs';
    return { ...t, variation, budget: tierBudget(t, unit, active, input.options) };
  });
  return {
    options: input.options,
    customerMonths: active.length,
    customers: new Set(active.map((u) => u.customer)).size,
    callCostSource,
    unpricedCalls: book.unpricedCalls,
    tiers,
  };
}

/** Without per-call data: each customer-month's calls all at its average cost per run. */
function averagesPerRun(months: readonly MonthlyUsage[]) {
  return async (add: (s: CallCostSample) => void): Promise<CallCostSource> => {
    for (const u of months)
      add({
        customer: u.customer,
        month: u.month,
        feature: '(all)',
        num: u.costPico,
        den: BigInt(u.runs),
        weight: u.runs,
      });
    return 'monthly_averages';
  };
}
