// What the economics report, simulator and recommender read from storage: daily and monthly rollups
// (kept in the same transaction as each ledger row, so they survive pruning of raw rows), plan history
// and wallet top-ups. One interface; SQLite implements it now, Postgres later (storage/open.ts).
import type { HistoryGroups } from './history-groups.js';
import { type SpendTable, SpendTableBuilder } from './spend-table.js';

/** Sums over a group of ledger rows. Money is integer pico-USD as bigint; counts are plain numbers. */
export interface UsageSums {
  requests: number;
  /** Calls that used tokens (input + output + cache > 0): what makes a customer "active". */
  usedRequests: number;
  /** Fresh (uncached) input only, as in the ledger: all input = input + cacheRead + cacheWrite. */
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  /** 5-minute and 1-hour cache writes together. */
  cacheWriteTokens: number;
  /** Calls served from Margin's response cache (no upstream call) and all the input tokens they carried. */
  cacheHitRequests: number;
  cacheHitInputTokens: number;
  costPico: bigint;
  unpricedRequests: number;
  estimatedRequests: number;
  errorRequests: number;
}

/** One customer's usage in one UTC day (`day` = epoch ms of 00:00 UTC), all features together. */
export interface CustomerDay extends UsageSums {
  customer: string;
  day: number;
}

/** One customer's usage in one UTC calendar month (`month` = epoch ms of the 1st, 00:00 UTC). */
export interface CustomerMonth extends UsageSums {
  customer: string;
  month: number;
}

/** One customer's usage of one (feature, model, provider) in one UTC day: what levers re-price. */
export interface CustomerDetailDay extends UsageSums {
  customer: string;
  day: number;
  feature: string;
  model: string;
  provider: string;
}

/** One customer's usage in one ISO week (`week` = epoch ms of Monday 00:00 UTC). */
export interface CustomerWeek extends UsageSums {
  customer: string;
  week: number;
}

/** Usage of one (day, feature, model, provider) over all customers; model is the one served/billed. */
export interface DimensionDay extends UsageSums {
  day: number;
  feature: string;
  model: string;
  provider: string;
}

/** Usage of one request tag in one day (a call with several tags counts under each). */
export interface TagDay extends UsageSums {
  day: number;
  tag: string;
}

/** A span of a customer's plan history: [from, to) in epoch ms; `to` null while in force. */
export interface PlanSpan {
  customer: string;
  /** null: no plan (its own "no plan" group). */
  plan: string | null;
  /** Monthly revenue set for this customer (`--mrr`), in pico-USD; null: the plan's priceUsd. */
  mrrPico: bigint | null;
  from: number;
  to: number | null;
}

/** A positive wallet movement (top-up): what a prepaid customer paid. */
export interface TopUp {
  wallet: string;
  ts: number;
  amountPico: bigint;
}

/** The grains per-customer spend can be read at: calendar month, ISO week (Monday) or UTC day. */
export type SpendGrain = 'month' | 'week' | 'day';

/** Time ranges are [from, to) in epoch ms; day- and month-keyed reads take rows whose key is in range. */
export interface EconomicsReader {
  /** Optionally only for these customers. */
  customerMonths(from: number, to: number, customers?: readonly string[]): Promise<CustomerMonth[]>;
  /** Weeks whose Monday is in [from, to). */
  customerWeeks(from: number, to: number): Promise<CustomerWeek[]>;
  /**
   * Rows whose key is in [from, to), optionally only for these customers, ordered by customer (ids are
   * ASCII, so byte and JS string order agree) then key.
   */
  customerSpend(
    grain: SpendGrain,
    from: number,
    to: number,
    customers?: readonly string[],
  ): Promise<SpendTable>;
  /** Optionally only for these customers (e.g. those whose plan changed inside the period). */
  customerDays(from: number, to: number, customers?: readonly string[]): Promise<CustomerDay[]>;
  /** Per customer × day × feature × model × provider (budgets, overage units, simulator re-pricing). */
  customerDetailDays(from: number, to: number, customers?: readonly string[]): Promise<CustomerDetailDay[]>;
  dimensionDays(from: number, to: number): Promise<DimensionDay[]>;
  tagDays(from: number, to: number): Promise<TagDay[]>;
  /** Every span overlapping [from, to), ordered by customer then from. */
  planHistory(from: number, to: number): Promise<PlanSpan[]>;
  /** The same spans grouped by identical history (what reports price), without an object per span. */
  historyGroups(from: number, to: number): Promise<HistoryGroups>;
  topUps(from: number, to: number): Promise<TopUp[]>;
  /** The earliest and latest request time in the ledger or its rollups (null when empty). */
  span(): Promise<{ first: number; last: number } | null>;
}

/** customerSpend from the full sums, for readers that have no leaner way (tests, simple backends). */
export async function spendFromSums(
  reader: Pick<EconomicsReader, 'customerMonths' | 'customerWeeks' | 'customerDays'>,
  grain: SpendGrain,
  from: number,
  to: number,
  customers?: readonly string[],
): Promise<SpendTable> {
  const rows: (UsageSums & { customer: string; key: number })[] =
    grain === 'month'
      ? (await reader.customerMonths(from, to)).map((m) => ({ ...m, key: m.month }))
      : grain === 'week'
        ? (await reader.customerWeeks(from, to)).map((w) => ({ ...w, key: w.week }))
        : (await reader.customerDays(from, to)).map((d) => ({ ...d, key: d.day }));
  const only = customers && new Set(customers);
  const table = new SpendTableBuilder();
  for (const r of rows
    .filter((r) => !only || only.has(r.customer))
    .sort((a, b) => (a.customer === b.customer ? a.key - b.key : a.customer < b.customer ? -1 : 1)))
    table.push(r.customer, r.key, r.costPico, r.requests, r.usedRequests);
  return table.done();
}
