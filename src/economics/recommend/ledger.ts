// The recommender over the ledger: active customer-months from the monthly rollups; per-call costs from
// the raw rows when every call of the period still has one (as many rows as the rollups count), else from
// the per-customer × day × feature × model rollups (each group's calls at their average cost).

import type { LedgerRow, LedgerStore } from '../../ledger/types.js';
import { monthStart, nextMonth } from '../calendar.js';
import type { EconomicsReader } from '../reader.js';
import { type Recommendation, recommend } from './recommend.js';

/** The part of EconomicsReader the recommender needs. */
export type RecommendReader = Pick<EconomicsReader, 'customerMonths' | 'customerDetailDays' | 'span'>;

import { scanRows } from './scan-rows.js';
import type { CallCostSample, CallCostSource, MonthlyUsage, RecommendOptions } from './types.js';

export interface LedgerRecommendInput {
  reader: RecommendReader;
  /** The raw ledger, when available: per-call costs are read from it if no row of the period was pruned. */
  store?: Pick<LedgerStore, 'requests'>;
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
  return { from: monthStart(start), to: nextMonth(monthStart(end - 1)) };
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
    const raw = input.store ? await rawCallCosts(input.store, period) : undefined;
    if (raw && raw.rows === rolledUp) {
      for (const s of raw.samples) add(s);
      book.unpricedCalls += raw.unpriced;
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

/**
 * One pass over the period's raw rows: how many there are (all of them, to compare with the rollups'
 * count: fewer means some were pruned) and their per-call costs, equal costs of a customer-month and
 * feature merged into one weighted sample.
 */
async function rawCallCosts(
  store: Pick<LedgerStore, 'requests'>,
  p: { from: number; to: number },
): Promise<{ rows: number; unpriced: number; samples: Iterable<CallCostSample> }> {
  const samples = new Map<string, CallCostSample>();
  let rows = 0;
  let unpriced = 0;
  await scanRows(store, p.from, p.to, (r: LedgerRow) => {
    rows++;
    const tokens =
      r.inputTokens + r.outputTokens + r.cacheReadTokens + r.cacheWrite5mTokens + r.cacheWrite1hTokens;
    if (tokens === 0) return;
    if (r.costPico === null) {
      unpriced++;
      return;
    }
    const month = monthStart(r.ts);
    const key = `${r.customer}\u0000${month}\u0000${r.feature}\u0000${r.costPico}`;
    const s = samples.get(key);
    if (s) s.weight++;
    else
      samples.set(key, {
        customer: r.customer,
        month,
        feature: r.feature,
        num: BigInt(r.costPico),
        den: 1n,
        weight: 1,
      });
  });
  return { rows, unpriced, samples: samples.values() };
}
