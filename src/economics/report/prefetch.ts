// A report reads the same rollups several times: every month bucket wants customer months, and each bucket
// wants the daily spend of customers whose plan changed. Reading them once for the report's whole range
// and serving the rest from memory halves its database work.
import type { CustomerSpend, EconomicsReader } from '../reader.js';

export interface PrefetchRange {
  /** Month starts: customer months with a key in [from, to) are read once. */
  from: number;
  to: number;
}

/**
 * `reader` with every customer's monthly spend over `range`, and the daily spend of `dailyCustomers`, held
 * in memory. Reads outside what was fetched go to `reader` as before.
 */
export async function prefetched(
  reader: EconomicsReader,
  range: PrefetchRange,
  dailyCustomers: readonly string[],
): Promise<EconomicsReader> {
  const months = await reader.customerSpend('month', range.from, range.to);
  const daily = new Map<string, CustomerSpend[]>();
  if (dailyCustomers.length > 0)
    for (const d of await reader.customerSpend('day', range.from, range.to, dailyCustomers)) {
      const list = daily.get(d.customer);
      if (list) list.push(d);
      else daily.set(d.customer, [d]);
    }
  const held = new Set(dailyCustomers);
  const inside = (from: number, to: number) => from >= range.from && to <= range.to;
  const within = (xs: readonly CustomerSpend[], from: number, to: number) =>
    xs.filter((x) => x.key >= from && x.key < to);
  return {
    ...bind(reader),
    async customerSpend(grain, from, to, customers): Promise<CustomerSpend[]> {
      if (grain === 'month' && !customers && inside(from, to)) return within(months, from, to);
      if (grain === 'day' && customers && inside(from, to) && customers.every((c) => held.has(c)))
        return customers.flatMap((c) => within(daily.get(c) ?? [], from, to));
      return reader.customerSpend(grain, from, to, customers);
    },
  };
}

/** The reader's methods bound to it (a class instance's methods live on its prototype, not on itself). */
function bind(reader: EconomicsReader): EconomicsReader {
  return {
    customerMonths: reader.customerMonths.bind(reader),
    customerSpend: reader.customerSpend.bind(reader),
    customerWeeks: reader.customerWeeks.bind(reader),
    customerDays: reader.customerDays.bind(reader),
    customerDetailDays: reader.customerDetailDays.bind(reader),
    dimensionDays: reader.dimensionDays.bind(reader),
    tagDays: reader.tagDays.bind(reader),
    planHistory: reader.planHistory.bind(reader),
    topUps: reader.topUps.bind(reader),
    span: reader.span.bind(reader),
  };
}
