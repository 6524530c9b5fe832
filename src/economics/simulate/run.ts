import { DAY_MS } from '../../limits/cycle.js';
import type { PlanSpec } from '../../limits/plan-schema.js';
import type { PriceCatalog } from '../../pricing/catalog.js';
import type { EconomicsReader } from '../reader.js';
import { historyMonths, monthStart } from './history.js';
import { populationMonths } from './population.js';
import { type Scenario, scenarioSchema } from './scenario-schema.js';
import { type SensitivityRow, sensitivity } from './sensitivity.js';
import { type SimulationResult, simulate } from './simulate.js';

export interface RunInput {
  candidate: Record<string, PlanSpec>;
  /** Without one: history replayed under the candidate plans, mapping `keep`, no levers. */
  scenario?: Scenario;
  from?: number;
  to?: number;
  /** The ledger's rollups; undefined when this build or store has none (then a population is needed). */
  reader?: EconomicsReader;
  current: Record<string, PlanSpec>;
  catalog: PriceCatalog;
  /** Config `economics.batchDiscountPercent` and `economics.overheadPerCustomerUsd` (the scenario's overhead wins). */
  batchDiscountPercent?: Readonly<Record<string, number>>;
  overheadPerCustomerPico?: bigint;
  now: number;
}

export interface SimulationReport {
  source: 'history' | 'scenario';
  /** The period replayed (history only), ISO-8601, [from, to). */
  from: string | null;
  to: string | null;
  result: SimulationResult;
  sensitivity: SensitivityRow[];
}

/**
 * A scenario with a population is simulated as described; otherwise the ledger's usage in [from, to) is
 * replayed (default: from the 1st of the month of its first call to the end of the day of its last).
 */
export async function runSimulation(input: RunInput): Promise<SimulationReport> {
  const scenario = input.scenario ?? scenarioSchema.parse({});
  let months: Awaited<ReturnType<typeof historyMonths>>;
  let from: number | null = null;
  let to: number | null = null;
  if (scenario.population) {
    months = populationMonths(scenario, input.now);
  } else {
    if (!input.reader)
      throw new Error('scenario: no usage history is available here: give a scenario with a population');
    const span = await input.reader.span();
    from = input.from ?? (span ? monthStart(span.first) : null);
    to = input.to ?? (span ? Math.floor(span.last / DAY_MS) * DAY_MS + DAY_MS : null);
    if (from === null || to === null)
      throw new Error('scenario: the ledger holds no usage to replay: give a scenario with a population');
    if (!(from < to)) throw new Error('from: must be before to');
    months = await historyMonths(input.reader, input.catalog, from, to);
    if (months.length === 0)
      throw new Error(
        'from: no usage in the ledger in that period: widen it or give a scenario with a population',
      );
  }
  const sim = {
    months,
    candidate: input.candidate,
    current: input.current,
    scenario,
    catalog: input.catalog,
    batchDiscountPercent: input.batchDiscountPercent,
    overheadPerCustomerPico: input.overheadPerCustomerPico,
  };
  return {
    source: scenario.population ? 'scenario' : 'history',
    from: from === null ? null : new Date(from).toISOString(),
    to: to === null ? null : new Date(to).toISOString(),
    result: simulate(sim),
    sensitivity: sensitivity(sim),
  };
}
