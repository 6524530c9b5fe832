// Each customer's usage in a bucket, read from the coarsest rollup that covers it exactly, in customer order.
import { type Bucket, isoWeekStart, monthStart, nextMonth, nextWeek } from '../calendar.js';
import type { EconomicsReader, SpendGrain } from '../reader.js';
import { perCustomer, type SpendTable } from '../spend-table.js';

/** The read a bucket needs: monthly or weekly rollups for a whole month or ISO week, else daily ones. */
export function spendQuery(b: Bucket): { grain: SpendGrain; from: number; to: number } {
  if (!b.partial && b.from === monthStart(b.from) && b.to === nextMonth(b.from))
    return { grain: 'month', from: b.from, to: b.to };
  if (b.from === isoWeekStart(b.from) && b.to === nextWeek(b.from))
    return { grain: 'week', from: b.from, to: b.from + 1 };
  return { grain: 'day', from: b.from, to: b.to };
}

/** One row per customer with usage in the bucket, ascending by customer. */
export async function customerSpend(reader: EconomicsReader, b: Bucket): Promise<SpendTable> {
  const q = spendQuery(b);
  const rows = await reader.customerSpend(q.grain, q.from, q.to);
  const t = q.grain === 'day' ? perCustomer(rows) : rows;
  // The merge with the plan-history roster relies on this order.
  for (let i = 1; i < t.length; i++)
    if (!((t.customer[i - 1] as string) < (t.customer[i] as string)))
      throw new Error('customerSpend: rows are not one per customer in customer order');
  return t;
}
