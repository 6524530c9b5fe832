// Revenue segments from plan history. Each day goes to the plan in force at the end of that day, so a
// span covers the whole days [dayStart(from), dayStart(to)). A segment's revenue is the monthly revenue ×
// its days ÷ the days of the month, rounded half up to the pico once per (customer, span, month): a whole
// month on one plan is exactly its price.
import { type Bucket, DAY_MS, dayStart, daysInMonth, monthStart, nextMonth } from '../calendar.js';
import type { HistoryGroup } from '../history-groups.js';
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
