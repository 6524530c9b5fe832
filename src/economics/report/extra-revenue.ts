// Revenue beyond the prorated price: billed overage and prepaid top-ups, from economics/revenue.ts. Only
// customers on plans that bill overage or are prepaid need it, so only their usage is read.
import type { StoredPlan } from '../../limits/control-store.js';
import { dayStart, monthStart, nextMonth } from '../calendar.js';
import { mulDivRound } from '../ratio.js';
import type { EconomicsReader, PlanSpan } from '../reader.js';
import { computeRevenue } from '../revenue.js';

export type ExtraRevenue = (customer: string, plan: string | null, from: number, to: number) => bigint;

export async function extraRevenue(
  reader: EconomicsReader,
  history: readonly PlanSpan[],
  plans: readonly StoredPlan[],
  wallets: ReadonlyMap<string, string>,
  from: number,
  to: number,
): Promise<ExtraRevenue | undefined> {
  const special = new Set(
    plans.filter((p) => p.spec.overage !== undefined || Number(p.spec.priceUsd) === 0).map((p) => p.name),
  );
  const spans = history.filter((s) => s.plan !== null && special.has(s.plan) && s.mrrPico === null);
  if (spans.length === 0) return undefined;
  const customers = [...new Set(spans.map((s) => s.customer))];
  // Overage is billed per whole calendar month, so usage is read for whole months.
  const first = monthStart(from);
  const end = nextMonth(monthStart(to - 1));
  const result = computeRevenue(
    {
      from: first,
      to: end,
      spans,
      plans,
      wallets,
      topUps: await reader.topUps(first, end),
      usage: await reader.customerDetailDays(first, end, customers),
    },
    { perDay: true },
  );
  // Per customer and plan: each day's top-ups and the overage groups ((month, span) → overage, span days).
  const overage = new Map<string, { pico: bigint; spanDays: number }>();
  for (const m of result.months)
    if (m.overagePico > 0n)
      overage.set(`${m.customer}\u0000${m.month}\u0000${m.spanFrom}`, {
        pico: m.overagePico,
        spanDays: m.spanDays,
      });
  const days = new Map<string, typeof result.days>();
  for (const d of result.days) {
    const k = `${d.customer}\u0000${d.plan}`;
    const list = days.get(k);
    if (list) list.push(d);
    else days.set(k, [d]);
  }
  return (customer, plan, a, b) => {
    const list = days.get(`${customer}\u0000${plan}`);
    if (!list) return 0n;
    let extra = 0n;
    const inRange = new Map<string, number>();
    for (const d of list) {
      if (d.day < dayStart(a) || d.day >= b) continue;
      extra += d.topUpPico;
      const g = `${d.customer}\u0000${d.month}\u0000${d.spanFrom}`;
      if (overage.has(g)) inRange.set(g, (inRange.get(g) ?? 0) + 1);
    }
    // A month's overage spread evenly over the span's days of that month, rounded once per group.
    for (const [g, n] of inRange) {
      const o = overage.get(g);
      if (o) extra += mulDivRound(o.pico, BigInt(n), BigInt(o.spanDays));
    }
    return extra;
  };
}
