// Attributes each customer's AI cost in a bucket to its segments: the whole bucket's cost when it had one
// plan throughout, otherwise its daily cost on each segment's days. Customers with usage and no plan span
// form the "no plan" group (revenue 0) so no cost is left out.
import { type Bucket, DAY_MS, isoWeekStart, monthStart, nextMonth, nextWeek } from '../calendar.js';
import type { CustomerDay, EconomicsReader, UsageSums } from '../reader.js';
import type { CostedSegment, Segment } from './segments.js';

interface Spend {
  costPico: bigint;
  requests: number;
  used: number;
}

const add = (m: Map<string, Spend>, key: string, u: UsageSums): void => {
  const s = m.get(key);
  if (s) {
    s.costPico += u.costPico;
    s.requests += u.requests;
    s.used += u.usedRequests;
  } else m.set(key, { costPico: u.costPico, requests: u.requests, used: u.usedRequests });
};

/** Each customer's total in the bucket: from monthly or weekly rollups for a whole month or ISO week, else daily ones. */
export async function customerTotals(reader: EconomicsReader, b: Bucket): Promise<Map<string, Spend>> {
  const totals = new Map<string, Spend>();
  if (!b.partial && b.from === monthStart(b.from) && b.to === nextMonth(b.from)) {
    for (const m of await reader.customerMonths(b.from, b.to)) add(totals, m.customer, m);
  } else if (b.from === isoWeekStart(b.from) && b.to === nextWeek(b.from)) {
    for (const w of await reader.customerWeeks(b.from, b.from + 1)) add(totals, w.customer, w);
  } else {
    for (const d of await reader.customerDays(b.from, b.to)) add(totals, d.customer, d);
  }
  return totals;
}

export async function costSegments(
  reader: EconomicsReader,
  b: Bucket,
  segments: readonly Segment[],
  overheadFor: (customer: string) => bigint,
): Promise<CostedSegment[]> {
  const totals = await customerTotals(reader, b);
  const count = new Map<string, number>();
  for (const s of segments) count.set(s.customer, (count.get(s.customer) ?? 0) + 1);
  const split = [...count].filter(([, n]) => n > 1).map(([c]) => c);
  const daily = new Map<string, Spend>(); // customer \0 day → spend
  if (split.length > 0) {
    const days: CustomerDay[] = await reader.customerDays(b.from, b.to, split);
    for (const d of days) add(daily, `${d.customer}\u0000${d.day}`, d);
  }
  const out: CostedSegment[] = [];
  for (const s of segments) {
    let spend: Spend | undefined;
    if ((count.get(s.customer) ?? 0) > 1) {
      spend = { costPico: 0n, requests: 0, used: 0 };
      for (const [from, to] of s.ranges)
        for (let day = from; day < to; day += DAY_MS) {
          const d = daily.get(`${s.customer}\u0000${day}`);
          if (d) {
            spend.costPico += d.costPico;
            spend.requests += d.requests;
            spend.used += d.used;
          }
        }
    } else spend = totals.get(s.customer);
    out.push({
      customer: s.customer,
      plan: s.plan,
      revenuePico: s.revenuePico,
      overheadPico: s.overheadPico,
      ranges: s.ranges,
      costPico: spend?.costPico ?? 0n,
      requests: spend?.requests ?? 0,
      active: (spend?.used ?? 0) > 0,
    });
  }
  for (const [customer, spend] of totals) {
    if (count.has(customer)) continue;
    out.push({
      customer,
      plan: null,
      revenuePico: 0n,
      overheadPico: overheadFor(customer),
      ranges: [],
      costPico: spend.costPico,
      requests: spend.requests,
      active: spend.used > 0,
    });
  }
  return out;
}
