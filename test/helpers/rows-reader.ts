// What the recommender reads (monthly and per-feature daily usage) computed straight from raw ledger rows:
// a reader independent of the rollups, for the recommender's tests. Scans the rows each time.

import { monthStart } from '../../src/economics/calendar.js';
import type { CustomerDetailDay, CustomerMonth, UsageSums } from '../../src/economics/reader.js';
import { getOr } from '../../src/economics/recommend/call-costs.js';
import type { RecommendReader } from '../../src/economics/recommend/ledger.js';
import { scanRows } from '../../src/economics/recommend/scan-rows.js';
import type { LedgerRow, LedgerStore } from '../../src/ledger/types.js';
import { sums } from './memory-economics-reader.js';

const DAY = 86_400_000;

/** Adds one ledger row to a group's sums, with the reader's meanings (see economics/reader.ts). */
export function addRow(s: UsageSums, r: LedgerRow): void {
  const cacheWrite = r.cacheWrite5mTokens + r.cacheWrite1hTokens;
  const tokens = r.inputTokens + r.outputTokens + r.cacheReadTokens + cacheWrite;
  s.requests++;
  if (tokens > 0) s.usedRequests++;
  s.inputTokens += r.inputTokens;
  s.outputTokens += r.outputTokens;
  s.cacheReadTokens += r.cacheReadTokens;
  s.cacheWriteTokens += cacheWrite;
  if (r.cacheHit) {
    s.cacheHitRequests++;
    s.cacheHitInputTokens += r.inputTokens + r.cacheReadTokens + cacheWrite;
  }
  if (r.costPico !== null) s.costPico += BigInt(r.costPico);
  if (r.unpriced) s.unpricedRequests++;
  if (r.estimated) s.estimatedRequests++;
  if (r.status >= 400) s.errorRequests++;
}

export function rowsReader(store: Pick<LedgerStore, 'requests'>): RecommendReader {
  return {
    async customerMonths(from, to, customers) {
      const groups = new Map<string, CustomerMonth>();
      // Month-keyed: the months whose first day is in [from, to), whole.
      await scanRows(store, from, monthAfter(to), (r) => {
        const month = monthStart(r.ts);
        if (month < from || month >= to || (customers && !customers.includes(r.customer))) return;
        const k = `${month}\u0000${r.customer}`;
        addRow(
          getOr(groups, k, () => ({ customer: r.customer, month, ...sums({}) })),
          r,
        );
      });
      return [...groups.values()];
    },
    async customerDetailDays(from, to, customers) {
      const only = customers ? new Set(customers) : undefined;
      const groups = new Map<string, CustomerDetailDay>();
      await scanRows(store, from, to, (r) => {
        if (only && !only.has(r.customer)) return;
        const day = Math.floor(r.ts / DAY) * DAY;
        const model = r.modelServed ?? r.modelRequested;
        const k = [day, r.customer, r.feature, model, r.provider].join('\u0000');
        const make = () => ({
          customer: r.customer,
          day,
          feature: r.feature,
          model,
          provider: r.provider,
          ...sums({}),
        });
        addRow(getOr(groups, k, make), r);
      });
      return [...groups.values()];
    },
    async span() {
      let first = Number.POSITIVE_INFINITY;
      let last = Number.NEGATIVE_INFINITY;
      await scanRows(store, 0, Number.MAX_SAFE_INTEGER, (r) => {
        if (r.ts < first) first = r.ts;
        if (r.ts > last) last = r.ts;
      });
      return Number.isFinite(first) ? { first, last } : null;
    },
  };
}

/** The first day of the month after the one holding `ts - 1` (the end of a month-keyed range). */
function monthAfter(to: number): number {
  const d = new Date(monthStart(to - 1));
  const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return Number.isFinite(end) ? end : to;
}
