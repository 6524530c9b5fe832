// The recommender's inputs and outputs. Its seam is `MonthlyUsage[]`: one entry per active customer-month,
// from the ledger's rollups (ledger.ts) or a simulator scenario's population (scenario.ts).

/** One active customer's usage in one UTC calendar month. Money is integer pico-USD. */
export interface MonthlyUsage {
  customer: string;
  /** Epoch ms of the 1st of the month, 00:00 UTC (a scenario may number its months 0, 1, …). */
  month: number;
  /** Calls that used tokens: what a `runs` budget counts. */
  runs: number;
  /** All tokens: fresh input, cache reads and writes, output. */
  tokens: number;
  /** AI cost of the priced calls. */
  costPico: bigint;
}

/** One observed per-call cost, weighted: a raw row (weight 1) or a rollup group's average (its calls). */
export interface CallCostSample {
  customer: string;
  month: number;
  feature: string;
  /** The cost of one call as the fraction num ÷ den pico-USD (den 1 for a raw row). */
  num: bigint;
  den: bigint;
  /** How many calls it stands for. */
  weight: number;
}

/**
 * Where per-call costs came from: raw ledger rows, rollup averages, a scenario's modelled calls, or each
 * customer-month's average.
 */
export type CallCostSource = 'ledger_rows' | 'rollups' | 'scenario' | 'monthly_averages';

export type TierId = 'starter' | 'pro' | 'high-volume';
export type BudgetChoice = 'credits' | 'runs';

export interface RecommendOptions {
  /** Target gross margin in basis points of 0.01% (7000 = 70.00%), 0 ≤ m < 10000. */
  targetMarginBp: number;
  /** Per-customer monthly overhead added to AI cost: loaded cost. */
  overheadPico: bigint;
}
