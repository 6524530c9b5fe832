// Each customer's usage in a bucket, read from the coarsest rollup that covers it exactly, in customer order.
import { type Bucket, isoWeekStart, monthStart, nextMonth, nextWeek } from '../calendar.js';
import type { CustomerSpend, EconomicsReader, UsageSums } from '../reader.js';

export type Spend = Pick<UsageSums, 'costPico' | 'requests' | 'usedRequests'>;

/**
 * One entry per customer with usage in the bucket, ascending by customer: from monthly or weekly rollups for
 * a whole month or ISO week (one row per customer, kept as read), else summed from daily ones.
 */
export async function customerSpend(reader: EconomicsReader, b: Bucket): Promise<CustomerSpend[]> {
  let rows: CustomerSpend[];
  if (!b.partial && b.from === monthStart(b.from) && b.to === nextMonth(b.from))
    rows = await reader.customerSpend('month', b.from, b.to);
  else if (b.from === isoWeekStart(b.from) && b.to === nextWeek(b.from))
    rows = await reader.customerSpend('week', b.from, b.from + 1);
  else rows = merged(await reader.customerSpend('day', b.from, b.to));
  for (let i = 1; i < rows.length; i++)
    if (!((rows[i - 1] as CustomerSpend).customer < (rows[i] as CustomerSpend).customer))
      throw new Error('customerSpend: rows are not one per customer in customer order');
  return rows;
}

/** Consecutive rows of one customer (its days) summed into one. */
function merged(rows: readonly CustomerSpend[]): CustomerSpend[] {
  const out: CustomerSpend[] = [];
  for (const r of rows) {
    const last = out[out.length - 1];
    if (last && last.customer === r.customer) {
      last.costPico += r.costPico;
      last.requests += r.requests;
      last.usedRequests += r.usedRequests;
    } else out.push({ ...r });
  }
  return out;
}
