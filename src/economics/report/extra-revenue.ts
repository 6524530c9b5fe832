// Revenue beyond the prorated price: billed overage and prepaid top-ups, from economics/revenue.ts. Only
// customers on plans that bill overage or are prepaid need it, so only their usage is read.
import type { StoredPlan } from '../../limits/control-store.js';
import { DAY_MS, dayStart, monthStart, nextMonth } from '../calendar.js';
import { type HistoryGroups, spansOf } from '../history-groups.js';
import { mulDivRound } from '../ratio.js';
import type { CustomerDetailDay, EconomicsReader, PlanSpan } from '../reader.js';
import { computeRevenue } from '../revenue.js';

export type ExtraRevenue = (customer: string, plan: string | null, from: number, to: number) => bigint;

/** Extra revenue, and the customers that can have any. */
export interface Extra {
  of: ExtraRevenue;
  customers: ReadonlySet<string>;
}

export async function extraRevenue(
  reader: EconomicsReader,
  history: HistoryGroups,
  plans: readonly StoredPlan[],
  wallets: ReadonlyMap<string, string>,
  from: number,
  to: number,
): Promise<Extra | undefined> {
  const special = new Set(
    plans.filter((p) => p.spec.overage !== undefined || Number(p.spec.priceUsd) === 0).map((p) => p.name),
  );
  const counts = (s: PlanSpan) => s.plan !== null && special.has(s.plan) && s.mrrPico === null;
  const spans = spansOf(history, (g) => g.spans.some(counts)).filter(counts);
  if (spans.length === 0) return undefined;
  const customers = [...new Set(spans.map((s) => s.customer))];
  // Overage is billed per whole calendar month, so usage is read for whole months.
  const first = monthStart(from);
  const end = nextMonth(monthStart(to - 1));
  const topUps = await reader.topUps(first, end);
  const result = computeRevenue({
    from: first,
    to: end,
    spans,
    plans,
    wallets,
    topUps,
    usage: await overageUsage(reader, spans, plans, customers, first, end),
  });
  // Per customer: each (month, span) group's overage, spread evenly over the span's days of that month, and
  // its top-ups by day. A range is then priced from a customer's few groups.
  const spanOf = new Map(spans.map((s) => [`${s.customer}\u0000${s.from}`, s]));
  const byDay = new Map<string, [number, bigint][]>(); // wallet → top-ups by day
  for (const t of topUps) pushTo(byDay, t.wallet, [dayStart(t.ts), t.amountPico]);
  const groups = new Map<string, Group[]>();
  for (const m of result.months) {
    if (m.overagePico === 0n && m.topUpPico === 0n) continue;
    const span = spanOf.get(`${m.customer}\u0000${m.spanFrom}`);
    if (!span) continue;
    const g: Group = {
      plan: m.plan,
      first: Math.max(dayStart(span.from), m.month),
      end: Math.min(span.to === null ? Number.POSITIVE_INFINITY : dayStart(span.to), nextMonth(m.month)),
      overagePico: m.overagePico,
      spanDays: m.spanDays,
      topUps: m.topUpPico > 0n ? (byDay.get(wallets.get(m.customer) ?? m.customer) ?? []) : [],
    };
    pushTo(groups, m.customer, g);
  }
  const of: ExtraRevenue = (customer, plan, a, b) => {
    const list = groups.get(customer);
    if (!list) return 0n;
    let extra = 0n;
    for (const g of list) {
      if (g.plan !== plan) continue;
      const lo = Math.max(g.first, dayStart(a));
      const hi = Math.min(g.end, b);
      if (lo >= hi) continue;
      if (g.overagePico > 0n)
        extra += mulDivRound(g.overagePico, BigInt(Math.round((hi - lo) / DAY_MS)), BigInt(g.spanDays));
      for (const [day, amount] of g.topUps) if (day >= lo && day < hi) extra += amount;
    }
    return extra;
  };
  return { of, customers: new Set(groups.keys()) };
}

interface Group {
  plan: string | null;
  /** The span's days in the month: [first, end). */
  first: number;
  end: number;
  overagePico: bigint;
  spanDays: number;
  topUps: [number, bigint][];
}

/**
 * Usage in the plans' units for overage. A customer-month on one span of a plan without per-feature credits
 * comes from the monthly rollup (one row instead of every day × feature × model); the rest from the detail.
 */
async function overageUsage(
  reader: EconomicsReader,
  spans: readonly PlanSpan[],
  plans: readonly StoredPlan[],
  customers: readonly string[],
  first: number,
  end: number,
): Promise<CustomerDetailDay[]> {
  const perFeature = new Set(
    plans.filter((p) => Object.keys(p.spec.budget?.creditsPerRun ?? {}).length > 0).map((p) => p.name),
  );
  const wanted = new Set(customers);
  const needsDetail = new Set<string>();
  // A customer-month needs the daily detail only when two spans share it (a plan change inside the month).
  const spansIn = new Map<string, number>();
  for (const s of spans) {
    if (s.plan !== null && perFeature.has(s.plan)) needsDetail.add(s.customer);
    const stop = s.to === null ? end : Math.min(s.to, end);
    for (let m = monthStart(Math.max(s.from, first)); m < stop; m = nextMonth(m)) {
      const k = `${s.customer}\u0000${m}`;
      spansIn.set(k, (spansIn.get(k) ?? 0) + 1);
    }
  }
  const split = new Set([...spansIn].filter(([, n]) => n > 1).map(([k]) => k));
  const out: CustomerDetailDay[] = [];
  const detailFor = new Set(needsDetail);
  for (const m of await reader.customerMonths(first, end, customers)) {
    if (!wanted.has(m.customer) || needsDetail.has(m.customer)) continue;
    if (split.has(`${m.customer}\u0000${m.month}`)) {
      detailFor.add(m.customer);
      continue;
    }
    out.push({ ...m, day: m.month, feature: '', model: '', provider: '' });
  }
  // Per-feature credits need each feature's usage; a split month only needs its days.
  if (needsDetail.size > 0)
    for (const d of await reader.customerDetailDays(first, end, [...needsDetail])) out.push(d);
  const dailyOnly = [...detailFor].filter((c) => !needsDetail.has(c));
  if (dailyOnly.length > 0)
    for (const d of await reader.customerDays(first, end, dailyOnly))
      if (split.has(`${d.customer}\u0000${monthStart(d.day)}`))
        out.push({ ...d, feature: '', model: '', provider: '' });
  return out;
}

function pushTo<T>(m: Map<string, T[]>, key: string, item: T): void {
  const list = m.get(key);
  if (list) list.push(item);
  else m.set(key, [item]);
}
