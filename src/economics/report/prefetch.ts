// A report reads customer months more than once (each month bucket, and again for charts and overage):
// they are read once for the report's whole range and served from memory.
import type { CustomerSpend, EconomicsReader } from '../reader.js';

export interface PrefetchRange {
  /** Month starts: customer months with a key in [from, to) are read once. */
  from: number;
  to: number;
}

/** `reader` with every customer's monthly spend over `range` held in memory; other reads go to `reader`. */
export async function prefetched(reader: EconomicsReader, range: PrefetchRange): Promise<EconomicsReader> {
  const months = await reader.customerSpend('month', range.from, range.to);
  const inside = (from: number, to: number) => from >= range.from && to <= range.to;
  const within = (xs: readonly CustomerSpend[], from: number, to: number) =>
    xs.filter((x) => x.key >= from && x.key < to);
  return {
    ...bind(reader),
    async customerSpend(grain, from, to, customers): Promise<CustomerSpend[]> {
      if (grain === 'month' && !customers && inside(from, to)) return within(months, from, to);
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
