// Each customer's usage in a bucket, read from the coarsest rollup that covers it exactly, in customer order.
import { type Bucket, isoWeekStart, monthStart, nextMonth, nextWeek } from '../calendar.js';
import type { EconomicsReader } from '../reader.js';
import { perCustomer, type SpendTable } from '../spend-table.js';

/**
 * One row per customer with usage in the bucket, ascending by customer: from monthly or weekly rollups for
 * a whole month or ISO week, else summed from daily ones.
 */
export async function customerSpend(reader: EconomicsReader, b: Bucket): Promise<SpendTable> {
  let t: SpendTable;
  if (!b.partial && b.from === monthStart(b.from) && b.to === nextMonth(b.from))
    t = await reader.customerSpend('month', b.from, b.to);
  else if (b.from === isoWeekStart(b.from) && b.to === nextWeek(b.from))
    t = await reader.customerSpend('week', b.from, b.from + 1);
  else t = perCustomer(await reader.customerSpend('day', b.from, b.to));
  // The merge with the plan-history roster relies on this order.
  for (let i = 1; i < t.length; i++)
    if (!((t.customer[i - 1] as string) < (t.customer[i] as string)))
      throw new Error('customerSpend: rows are not one per customer in customer order');
  return t;
}
