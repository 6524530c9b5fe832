// The recommender over a simulator scenario's synthetic population, for when there is no history yet:
// each customer's month is built and priced by the simulator itself (population.ts, then every lever in
// its order: priceMonth), and each kind of call of a task is a per-call cost sample.

import { DEFAULT_BATCH_DISCOUNT_PERCENT } from '../../config/economics-schema.js';
import type { PriceCatalog } from '../../pricing/catalog.js';
import { round, sum } from '../simulate/exact.js';
import { populationMonths } from '../simulate/population.js';
import type { Scenario } from '../simulate/scenario-schema.js';
import { priceMonth } from '../simulate/simulate.js';
import { type Line, TOKEN_SCALE } from '../simulate/types.js';
import { recommend, type SourcedRecommendation } from './recommend.js';
import type { CallCostSample, CallCostSource, MonthlyUsage, RecommendOptions } from './types.js';

export interface ScenarioRecommendInput {
  scenario: Scenario;
  /** What the output names as the source: the file, or "scenario" for an admin request body. */
  source: string;
  catalog: PriceCatalog;
  /** Config `economics.batchDiscountPercent` (the batch lever). */
  batchDiscountPercent?: Readonly<Record<string, number>>;
  /** overheadPico: the scenario's overhead, else the config's (simulate.ts scenarioOverheadPico). */
  options: RecommendOptions;
  /** When synthetic usage is priced if the scenario sets no pricesAt. */
  now: number;
}

/** Whole calls of a line (token counts carry a factor 10^8; a routing split may leave a fraction). */
const wholeCalls = (calls: bigint): number => Number((calls + TOKEN_SCALE / 2n) / TOKEN_SCALE);
const tokensOf = (l: Line) => l.input + l.output + l.cacheRead + l.cacheWrite5m + l.cacheWrite1h;

export async function recommendFromScenario(input: ScenarioRecommendInput): Promise<SourcedRecommendation> {
  if (!input.scenario.population)
    throw new Error(
      'scenario.population: required to recommend from a scenario (tiers of synthetic customers)',
    );
  const batch = input.batchDiscountPercent ?? DEFAULT_BATCH_DISCOUNT_PERCENT;
  const priced = populationMonths(input.scenario, input.now).map((u) => ({
    u,
    lines: priceMonth(u, input.scenario.levers, input.catalog, batch),
  }));
  // Runs and tokens as modelled (levers move calls between models, never add or drop any).
  const months: MonthlyUsage[] = priced.map(({ u, lines }) => ({
    customer: u.customer,
    month: u.month,
    runs: wholeCalls(u.lines.reduce((s, l) => s + l.calls, 0n)),
    tokens: Number(u.lines.reduce((s, l) => s + tokensOf(l), 0n) / TOKEN_SCALE),
    costPico: round(sum(lines.map((p) => p.cost))),
  }));
  const collectCalls = async (add: (s: CallCostSample) => void): Promise<CallCostSource> => {
    for (const { u, lines } of priced)
      for (const { line, cost } of lines) {
        const weight = wholeCalls(line.calls);
        if (weight === 0) continue;
        // One call: (cost.num ÷ 10^exp pico-USD) ÷ (calls ÷ 10^8), exact.
        add({
          customer: u.customer,
          month: u.month,
          feature: line.feature,
          num: cost.num * TOKEN_SCALE,
          den: 10n ** BigInt(cost.exp) * line.calls,
          weight,
        });
      }
    return 'scenario';
  };
  const r = await recommend({ months, collectCalls, options: input.options });
  return { ...r, period: null, scenario: input.source };
}
