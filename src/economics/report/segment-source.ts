// Revenue segments from plan history. Each day goes to the plan in force at the end of that day, so a
// span covers the whole days [dayStart(from), dayStart(to)). A segment's revenue is the monthly revenue ×
// its days ÷ the days of the month, rounded half up to the pico once per (customer, span, month): a whole
// month on one plan is exactly its price.
import { type Bucket, DAY_MS, dayStart, daysInMonth, monthStart, nextMonth } from '../calendar.js';
import { mulDivRound } from '../ratio.js';
import type { PlanSpan } from '../reader.js';
import type { Segment } from './segments.js';

export interface SegmentPricing {
  /** Plan name → monthly price, pico-USD. */
  prices: ReadonlyMap<string, bigint>;
  overheadPico: bigint;
  /** Revenue earned on [from, to) beyond the prorated price (overage, prepaid top-ups). */
  extraRevenue?: (customer: string, plan: string | null, from: number, to: number) => bigint;
  /** The only customers extraRevenue can give anything to (the rest are skipped). */
  extraCustomers?: ReadonlySet<string>;
}

export function segmentsOf(
  customer: string,
  spans: readonly PlanSpan[],
  bucket: Bucket,
  pricing: SegmentPricing,
): Segment[] {
  const byPlan = new Map<string | null, Segment>();
  const first = dayStart(bucket.from);
  for (const span of spans) {
    const from = Math.max(dayStart(span.from), first);
    const to = Math.min(span.to === null ? bucket.to : dayStart(span.to), bucket.to);
    if (from >= to) continue;
    const price = span.plan === null ? 0n : (pricing.prices.get(span.plan) ?? 0n);
    const monthly = span.mrrPico ?? price;
    let seg = byPlan.get(span.plan);
    if (!seg) {
      seg = { customer, plan: span.plan, revenuePico: 0n, overheadPico: 0n, ranges: [] };
      byPlan.set(span.plan, seg);
    }
    // One rounding per calendar month the span's part of the bucket touches.
    for (let m = monthStart(from); m < to; m = nextMonth(m)) {
      const a = Math.max(from, m);
      const b = Math.min(to, nextMonth(m));
      const days = BigInt(Math.round((b - a) / DAY_MS));
      const of = BigInt(daysInMonth(m));
      seg.revenuePico +=
        mulDivRound(monthly, days, of) + (pricing.extraRevenue?.(customer, span.plan, a, b) ?? 0n);
      seg.overheadPico += mulDivRound(pricing.overheadPico, days, of);
    }
    (seg.ranges as [number, number][]).push([from, to]);
  }
  return [...byPlan.values()];
}

/** Customers grouped by identical history (plan, MRR and days): most share one, computed once per bucket. */
export interface HistoryGroup {
  spans: readonly PlanSpan[];
  customers: string[];
}

/** The groups, and every customer in id order with the index of its group (for merging with usage). */
export interface HistoryGroups {
  groups: HistoryGroup[];
  /** Ascending by id (ids are ASCII: JS and SQLite order them alike). */
  customers: string[];
  groupOf: Int32Array;
}

/** Groups spans ordered by customer then start (once per report: the grouping does not depend on buckets). */
export function groupHistory(history: readonly PlanSpan[]): HistoryGroups {
  const index = new Map<string, number>();
  const groups: HistoryGroup[] = [];
  const customers: string[] = [];
  const groupOf: number[] = [];
  let i = 0;
  while (i < history.length) {
    const customer = (history[i] as PlanSpan).customer;
    let j = i;
    let key = '';
    while (j < history.length && (history[j] as PlanSpan).customer === customer) {
      const s = history[j] as PlanSpan;
      key += `${s.plan}|${s.mrrPico}|${dayStart(s.from)}|${s.to === null ? '' : dayStart(s.to)};`;
      j++;
    }
    let g = index.get(key);
    if (g === undefined) {
      g = groups.length;
      index.set(key, g);
      groups.push({ spans: history.slice(i, j), customers: [] });
    }
    (groups[g] as HistoryGroup).customers.push(customer);
    if (customers.length > 0 && !((customers[customers.length - 1] as string) < customer))
      throw new Error(`plan history is not ordered by customer (${customer})`);
    customers.push(customer);
    groupOf.push(g);
    i = j;
  }
  return { groups, customers, groupOf: Int32Array.from(groupOf) };
}

/**
 * Each group's segments in a bucket (without per-customer extra revenue). Groups whose spans clip to the
 * same days of the bucket share one result: thousands of groups differ only in days outside it.
 */
export function sharedSegments(
  groups: readonly HistoryGroup[],
  bucket: Bucket,
  pricing: Omit<SegmentPricing, 'extraRevenue' | 'extraCustomers'>,
): Segment[][] {
  const memo = new Map<string, Segment[]>();
  const first = dayStart(bucket.from);
  return groups.map((g) => {
    let key = '';
    for (const s of g.spans) {
      const from = Math.max(dayStart(s.from), first);
      const to = Math.min(s.to === null ? bucket.to : dayStart(s.to), bucket.to);
      if (from < to) key += `${s.plan}|${s.mrrPico}|${from}|${to};`;
    }
    let segs = memo.get(key);
    if (!segs) {
      segs = segmentsOf('', g.spans, bucket, pricing);
      memo.set(key, segs);
    }
    return segs;
  });
}

/** Revenue and overhead summed over every customer with a plan span in the bucket (trend totals). */
export function segmentTotals(
  groups: readonly HistoryGroup[],
  bucket: Bucket,
  pricing: SegmentPricing,
): { revenuePico: bigint; overheadPico: bigint } {
  const { extraRevenue, extraCustomers, ...base } = pricing;
  let revenuePico = 0n;
  let overheadPico = 0n;
  const shared = sharedSegments(groups, bucket, base);
  groups.forEach((g, i) => {
    const n = BigInt(g.customers.length);
    const extra = extraRevenue && withExtra(g, extraCustomers);
    for (const s of shared[i] as Segment[]) {
      revenuePico += s.revenuePico * n;
      overheadPico += s.overheadPico * n;
      if (extra)
        for (const customer of extra)
          for (const [a, b] of s.ranges) revenuePico += extraRevenue(customer, s.plan, a, b);
    }
  });
  return { revenuePico, overheadPico };
}

const extraOf = new WeakMap<ReadonlySet<string>, WeakMap<HistoryGroup, string[]>>();

/** A group's customers that may earn extra revenue (all of them when the pricing does not say); memoised. */
export function withExtra(g: HistoryGroup, extraCustomers: ReadonlySet<string> | undefined): string[] {
  if (!extraCustomers) return g.customers;
  let byGroup = extraOf.get(extraCustomers);
  if (!byGroup) {
    byGroup = new WeakMap();
    extraOf.set(extraCustomers, byGroup);
  }
  let list = byGroup.get(g);
  if (!list) {
    list = g.customers.filter((c) => extraCustomers.has(c));
    byGroup.set(g, list);
  }
  return list;
}
