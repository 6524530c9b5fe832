import type { StoredPlan } from '../limits/control-store.js';
import { compilePlan, overageCharge, type Plan } from '../limits/plan.js';
import { DAY_MS, dayStart, daysInMonth, monthStart, nextMonth, overlapDays } from './calendar.js';
import { usageUnits } from './plan-units.js';
import { roundHalfUp } from './ratio.js';
import type { CustomerDetailDay, PlanSpan, TopUp } from './reader.js';

// The revenue side of unit economics, pure (no I/O). Rules (issue 8):
// - Each UTC day belongs to the plan in force at the END of that day: the last span that started before
//   the next midnight (a change at 15:00 counts for the whole day; a span shorter than a day within one
//   day owns no day). Days before a customer's first span earn nothing: it was not yet a customer.
// - Monthly revenue is the span's MRR when one is set; else the plan's priceUsd plus billed overage; no plan
//   (or a plan that no longer exists) earns 0. Every subscribed customer pays, active or not.
// - A month's revenue on one span is price × days ÷ days-in-month, exact in bigint and rounded half-up to
//   the pico once per (customer, month, span): a whole month is exactly the price.
// - Overage, per calendar month on a plan that bills it: max(0, units used on the span's days of that
//   month − the budget) × the overage price, rounded up to the pico as the gateway bills it; the budget is
//   not prorated. It is spread evenly over the span's days of the month, so a range covering part of them
//   earns that share. Pass usage for the whole months the range touches.
// - Prepaid plans (priceUsd 0, no MRR) earn the top-ups of their wallet, each on its own day. A wallet
//   shared by several customers counts once, for the customer named like the wallet (else the first id).
// - A day's revenue is the month's ÷ the days of that month (overage: ÷ the span's days), plus top-ups.

export interface RevenueInput {
  /** [from, to) in epoch ms; every UTC day it touches counts whole. */
  from: number;
  to: number;
  spans: readonly PlanSpan[];
  plans: readonly StoredPlan[];
  /** customer → the wallet it draws from; absent: its own id. */
  wallets: ReadonlyMap<string, string>;
  topUps: readonly TopUp[];
  /** Usage in the plans' budget units, for overage: the whole months the range touches. */
  usage: readonly CustomerDetailDay[];
}

/** What a month's figure rests on: the plan's price, a set MRR, top-ups (prepaid), or nothing. */
export type RevenueBasis = 'price' | 'mrr' | 'prepaid' | 'none';

/** One customer's revenue in one calendar month (UTC) on one plan span. Money in pico-USD. */
export interface CustomerMonthRevenue {
  customer: string;
  /** Epoch ms of the 1st, 00:00 UTC. */
  month: number;
  /** null: the "no plan" group. */
  plan: string | null;
  /** The span's start: tells two spans of one plan in a month apart (e.g. an MRR change). */
  spanFrom: number;
  basis: RevenueBasis;
  /** Days of the month in the range on this span, of the month's `daysInMonth`. */
  days: number;
  daysInMonth: number;
  /** Days of the month on this span, in range or not (what overage is spread over). */
  spanDays: number;
  /** The month's figure before proration: MRR, or price + overage (0 for prepaid and no plan). */
  monthlyPico: bigint;
  /** Billed overage of the month on this span (whole month; part of `monthlyPico`), and its units. */
  overagePico: bigint;
  overageUnits: bigint;
  topUpPico: bigint;
  /** Prorated monthly figure (rounded once) + top-ups. */
  revenuePico: bigint;
  /** The span names a plan that no longer exists: counted as 0. */
  unknownPlan: boolean;
}

/** One customer's revenue on one day, as an exact fraction (sum days with `sumDayRevenue`). */
export interface CustomerDayRevenue {
  customer: string;
  day: number;
  month: number;
  plan: string | null;
  spanFrom: number;
  /** The day's share of the month's figure: num ÷ den pico-USD, exactly. */
  num: bigint;
  den: bigint;
  topUpPico: bigint;
  /** num ÷ den rounded half-up, + top-ups: for showing one day alone. */
  revenuePico: bigint;
}

export interface RevenueResult {
  months: CustomerMonthRevenue[];
  /** Only with `perDay`: every customer-day in the range that was on a span. */
  days: CustomerDayRevenue[];
}

/** The days a span owns: [first, end) as day starts; end Infinity while in force. */
interface Owned {
  span: PlanSpan;
  first: number;
  end: number;
}

interface Group {
  customer: string;
  owned: Owned;
  month: number;
  dim: number;
  spanDays: number;
  days: number;
  units: bigint;
  topUp: bigint;
  /** Created on the first top-up (most groups have none). */
  topUpByDay?: Map<number, bigint>;
}

export function computeRevenue(input: RevenueInput, opts: { perDay?: boolean } = {}): RevenueResult {
  const { from, to } = input;
  if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to)
    throw new Error(`from: must be before to (got ${from} and ${to})`);
  const rangeFirst = dayStart(from);
  const rangeEnd = dayStart(to - 1) + DAY_MS;
  const plans = new Map(input.plans.map((p) => [p.name, compilePlan(p.name, p.spec)]));
  const owned = ownedDays(input.spans);
  const key = (customer: string, o: Owned, month: number) => `${customer}\0${o.span.from}\0${month}`;

  const groups = new Map<string, Group>();
  for (const [customer, list] of owned)
    for (const o of list) {
      const stop = Math.min(o.end, rangeEnd);
      for (let m = monthStart(Math.max(o.first, rangeFirst)); m < stop; m = nextMonth(m)) {
        const end = nextMonth(m);
        const days = overlapDays(o.first, o.end, Math.max(m, rangeFirst), Math.min(end, rangeEnd));
        if (days === 0) continue;
        const spanDays = overlapDays(o.first, o.end, m, end);
        groups.set(key(customer, o, m), {
          customer,
          owned: o,
          month: m,
          dim: daysInMonth(m),
          spanDays,
          days,
          units: 0n,
          topUp: 0n,
        });
      }
    }
  const groupAt = (customer: string | undefined, day: number): Group | undefined => {
    const o = customer === undefined ? undefined : ownerOf(owned.get(customer), day);
    return o && groups.get(key(customer as string, o, monthStart(day)));
  };

  for (const u of input.usage) {
    const g = groupAt(u.customer, dayStart(u.day));
    const plan = g && planOf(plans, g.owned.span);
    if (g && plan?.atCap === 'overage' && g.owned.span.mrrPico === null) g.units += usageUnits(plan, u);
  }

  const walletOwner = walletOwners(owned.keys(), input.wallets);
  for (const t of input.topUps) {
    const day = dayStart(t.ts);
    if (day < rangeFirst || day >= rangeEnd) continue;
    const g = groupAt(walletOwner.get(t.wallet), day);
    if (!g || basisOf(plans, g.owned.span) !== 'prepaid') continue;
    g.topUp += t.amountPico;
    g.topUpByDay ??= new Map();
    g.topUpByDay.set(day, (g.topUpByDay.get(day) ?? 0n) + t.amountPico);
  }

  const months: CustomerMonthRevenue[] = [];
  const days: CustomerDayRevenue[] = [];
  for (const g of groups.values()) {
    const { span } = g.owned;
    const plan = planOf(plans, span);
    const basis = basisOf(plans, span);
    const base = span.mrrPico ?? (basis === 'none' ? 0n : (plan?.pricePico ?? 0n));
    const overageUnits = plan?.cap !== undefined && g.units > plan.cap ? g.units - plan.cap : 0n;
    const overagePico =
      plan?.unit && overageUnits > 0n
        ? overageCharge(overageUnits, plan.overagePicoPerUnit ?? 0n, plan.unit)
        : 0n;
    // revenue = base × days ÷ dim + overage × days ÷ spanDays, over one denominator, rounded once.
    const D = BigInt(g.spanDays);
    const dim = BigInt(g.dim);
    const perDayNum = base * D + overagePico * dim;
    const den = dim * D;
    months.push({
      customer: g.customer,
      month: g.month,
      plan: span.plan,
      spanFrom: span.from,
      basis,
      days: g.days,
      daysInMonth: g.dim,
      spanDays: g.spanDays,
      monthlyPico: base + overagePico,
      overagePico,
      overageUnits,
      topUpPico: g.topUp,
      revenuePico: roundHalfUp(perDayNum * BigInt(g.days), den) + g.topUp,
      unknownPlan: span.plan !== null && plan === undefined,
    });
    if (!opts.perDay) continue;
    const first = Math.max(g.owned.first, g.month, rangeFirst);
    const end = Math.min(g.owned.end, nextMonth(g.month), rangeEnd);
    for (let day = first; day < end; day += DAY_MS) {
      const topUpPico = g.topUpByDay?.get(day) ?? 0n;
      days.push({
        customer: g.customer,
        day,
        month: g.month,
        plan: span.plan,
        spanFrom: span.from,
        num: perDayNum,
        den,
        topUpPico,
        revenuePico: roundHalfUp(perDayNum, den) + topUpPico,
      });
    }
  }
  months.sort((a, b) => cmp(a.customer, b.customer) || a.month - b.month || a.spanFrom - b.spanFrom);
  days.sort((a, b) => cmp(a.customer, b.customer) || a.day - b.day);
  return { months, days };
}

/** Sums day revenues exactly (fractions over their common denominator), rounded half-up once. */
export function sumDayRevenue(days: readonly CustomerDayRevenue[]): bigint {
  const byDen = new Map<bigint, bigint>();
  let topUps = 0n;
  for (const d of days) {
    byDen.set(d.den, (byDen.get(d.den) ?? 0n) + d.num);
    topUps += d.topUpPico;
  }
  let lcm = 1n;
  for (const den of byDen.keys()) lcm = (lcm / gcd(lcm, den)) * den;
  let num = 0n;
  for (const [den, n] of byDen) num += n * (lcm / den);
  return roundHalfUp(num, lcm) + topUps;
}

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function planOf(plans: ReadonlyMap<string, Plan>, span: PlanSpan): Plan | undefined {
  return span.plan === null ? undefined : plans.get(span.plan);
}

function basisOf(plans: ReadonlyMap<string, Plan>, span: PlanSpan): RevenueBasis {
  if (span.mrrPico !== null) return 'mrr';
  const plan = planOf(plans, span);
  if (!plan) return 'none';
  return plan.pricePico === 0n ? 'prepaid' : 'price';
}

/** Each customer's spans as the days they own, in order; spans that own no whole day are dropped. */
function ownedDays(spans: readonly PlanSpan[]): Map<string, Owned[]> {
  const out = new Map<string, Owned[]>();
  for (const span of spans) {
    const first = dayStart(span.from);
    const end = span.to === null ? Number.POSITIVE_INFINITY : dayStart(span.to);
    if (end <= first) continue;
    const list = out.get(span.customer) ?? [];
    list.push({ span, first, end });
    out.set(span.customer, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.first - b.first);
  return out;
}

/** The span owning `day` (binary search: the last one starting on or before it, if still in force). */
function ownerOf(list: readonly Owned[] | undefined, day: number): Owned | undefined {
  if (!list) return undefined;
  let lo = 0;
  let hi = list.length - 1;
  let found: Owned | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const o = list[mid] as Owned;
    if (o.first <= day) {
      found = o;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found && day < found.end ? found : undefined;
}

/** wallet → the one customer its top-ups count for: the one named like it, else the first id. */
function walletOwners(
  customers: Iterable<string>,
  wallets: ReadonlyMap<string, string>,
): Map<string, string> {
  const owner = new Map<string, string>();
  for (const c of customers) {
    const w = wallets.get(c) ?? c;
    const cur = owner.get(w);
    if (cur === undefined || (cur !== w && (c === w || c < cur))) owner.set(w, c);
  }
  return owner;
}
