// The recommender over the ledger: active customer-months from the monthly rollups, per-call costs from
// raw rows when every call of the period still has one, else from the per-customer × day × feature ×
// model rollups (each group's calls at their average cost).

import type { LedgerRow, LedgerStore } from '../../ledger/types.js';
import { type Recommendation, recommend } from './recommend.js';
import { monthStart, type RecommendReader } from './rows-reader.js';
import { scanRows } from './scan-rows.js';
import type { CallCostSample, CallCostSource, MonthlyUsage, RecommendOptions } from './types.js';

export interface LedgerRecommendInput {
  reader: RecommendReader;
  /** The raw ledger, when available: per-call costs are read from it if no row of the period was pruned. */
  store?: Pick<LedgerStore, 'requests' | 'usage'>;
  from?: number;
  to?: number;
  options: RecommendOptions;
}

export interface LedgerRecommendation extends Recommendation {
  /** Whole UTC months [from, to); null when the ledger is empty. */
  period: { from: number; to: number } | null;
}

/** [from, to) widened to whole UTC months; defaults to the months the ledger covers. */
export async function monthsPeriod(
  reader: RecommendReader,
  from: number | undefined,
  to: number | undefined,
): Promise<{ from: number; to: number } | null> {
  const span = from === undefined || to === undefined ? await reader.span() : null;
  const start = from ?? span?.first;
  const end = to ?? (span ? span.last + 1 : undefined);
  if (start === undefined || end === undefined) return null;
  if (end <= start) throw new Error('to: must be after from');
  return { from: monthStart(start), to: nextMonthStart(end - 1) };
}

function nextMonthStart(ts: number): number {
  const d = new Date(monthStart(ts));
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

export async function recommendFromLedger(input: LedgerRecommendInput): Promise<LedgerRecommendation> {
  const period = await monthsPeriod(input.reader, input.from, input.to);
  if (!period) return { ...(await recommend({ months: [], options: input.options })), period };
  const all = await input.reader.customerMonths(period.from, period.to);
  const months: MonthlyUsage[] = all
    .filter((m) => m.usedRequests > 0)
    .map((m) => ({
      customer: m.customer,
      month: m.month,
      runs: m.usedRequests,
      tokens: m.inputTokens + m.outputTokens + m.cacheReadTokens + m.cacheWriteTokens,
      costPico: m.costPico,
    }));
  const rolledUp = all.reduce((s, m) => s + m.requests, 0);
  const collectCalls = async (add: (s: CallCostSample) => void, book: { unpricedCalls: number }) => {
    if (input.store && (await rawRowCount(input.store, period)) === rolledUp) {
      await scanRows(input.store, period.from, period.to, (r) => addRow(r, add, book));
      return 'ledger_rows' satisfies CallCostSource;
    }
    for (const g of await input.reader.customerDetailDays(period.from, period.to)) {
      const unpriced = Math.min(g.unpricedRequests, g.usedRequests);
      book.unpricedCalls += unpriced;
      const calls = g.usedRequests - unpriced;
      if (calls > 0)
        add({
          customer: g.customer,
          month: monthStart(g.day),
          feature: g.feature,
          num: g.costPico,
          den: BigInt(calls),
          weight: calls,
        });
    }
    return 'rollups' satisfies CallCostSource;
  };
  return { ...(await recommend({ months, collectCalls, options: input.options })), period };
}

async function rawRowCount(
  store: Pick<LedgerStore, 'usage'>,
  p: { from: number; to: number },
): Promise<number> {
  const groups = await store.usage({ by: 'customer', from: p.from, to: p.to });
  return groups.reduce((s, g) => s + g.requests, 0);
}

function addRow(r: LedgerRow, add: (s: CallCostSample) => void, book: { unpricedCalls: number }): void {
  const tokens =
    r.inputTokens + r.outputTokens + r.cacheReadTokens + r.cacheWrite5mTokens + r.cacheWrite1hTokens;
  if (tokens === 0) return;
  if (r.costPico === null) {
    book.unpricedCalls++;
    return;
  }
  add({
    customer: r.customer,
    month: monthStart(r.ts),
    feature: r.feature,
    num: BigInt(r.costPico),
    den: 1n,
    weight: 1,
  });
}
