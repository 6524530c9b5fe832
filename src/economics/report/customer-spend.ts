// Each customer's usage in a bucket, read from the coarsest rollup that covers it exactly.
import { type Bucket, isoWeekStart, monthStart, nextMonth, nextWeek } from '../calendar.js';
import type { EconomicsReader, UsageSums } from '../reader.js';

export type Spend = Pick<UsageSums, 'costPico' | 'requests' | 'usedRequests'>;

/**
 * Each customer's usage in the bucket: from monthly or weekly rollups for a whole month or ISO week (one row
 * per customer, kept as read), else summed from daily ones.
 */
export async function customerSpend(reader: EconomicsReader, b: Bucket): Promise<Map<string, Spend>> {
  const totals = new Map<string, Spend>();
  if (!b.partial && b.from === monthStart(b.from) && b.to === nextMonth(b.from)) {
    for (const m of await reader.customerSpend('month', b.from, b.to)) totals.set(m.customer, m);
  } else if (b.from === isoWeekStart(b.from) && b.to === nextWeek(b.from)) {
    for (const w of await reader.customerSpend('week', b.from, b.from + 1)) totals.set(w.customer, w);
  } else {
    for (const d of await reader.customerSpend('day', b.from, b.to)) {
      const s = totals.get(d.customer);
      if (s) {
        s.costPico += d.costPico;
        s.requests += d.requests;
        s.usedRequests += d.usedRequests;
      } else
        totals.set(d.customer, { costPico: d.costPico, requests: d.requests, usedRequests: d.usedRequests });
    }
  }
  return totals;
}
