import { DEFAULT_BATCH_DISCOUNT_PERCENT } from '../../config/economics-schema.js';
import { DAY_MS } from '../../limits/cycle.js';
import { projectUsage } from '../../limits/pace.js';
import { compilePlan, formatUnits, type Plan } from '../../limits/plan.js';
import type { PlanSpec } from '../../limits/plan-schema.js';
import type { PriceCatalog } from '../../pricing/catalog.js';
import { picoToUsd, usdToPico } from '../../util/money.js';
import { nextMonth } from '../calendar.js';
import { percentileOfSorted, sortAscending } from '../percentile.js';
import { segmentsOf } from '../report/segment-source.js';
import { add, cmpWhole, type Exact, marginPercent, round } from './exact.js';
import { type Bucket, logHistogram } from './histogram.js';
import {
  applyBatch,
  applyCache,
  applyDecline,
  applyDiscount,
  applyRouting,
  declineFactorPpt,
  routeRules,
} from './levers.js';
import {
  cheapestCovering,
  covers,
  crossingDay,
  measure,
  overagePico,
  type PricedLine,
  project,
  roundingOf,
} from './plan-fit.js';
import { providerFor } from './population.js';
import { priceLine } from './reprice.js';
import type { Levers, Scenario } from './scenario-schema.js';
import type { UsageMonth } from './types.js';

export interface SimulateInput {
  months: readonly UsageMonth[];
  /** Candidate plans, in the file's order (ties in cheapest-covering go to the earlier one). */
  candidate: Record<string, PlanSpec>;
  /** Plans customers are on today, for revenue change (history); synthetic tiers fall back to candidates. */
  current: Record<string, PlanSpec>;
  scenario: Pick<Scenario, 'levers' | 'mapping' | 'overheadPerCustomerUsd'>;
  catalog: PriceCatalog;
  /** Config `economics.batchDiscountPercent` (percent off list by provider); default openai and anthropic 50. */
  batchDiscountPercent?: Readonly<Record<string, number>>;
  /** Config `economics.overheadPerCustomerUsd` in pico-USD: the overhead when the scenario sets none. */
  overheadPerCustomerPico?: bigint;
}

export interface TierResult {
  plan: string;
  price_usd: string;
  customers: number;
  active_customers: number;
  /** Monthly loaded cost per active customer, nearest rank. */
  cost: { p50: string | null; p90: string | null; p95: string | null; p99: string | null };
  margin_floor_percent: string | null;
  /** The tier's budget and soft threshold in its unit (for marking the cap on a cost chart), if any. */
  budget: { unit: string; cap: string; soft_at: string | null } | null;
  /** Monthly cost of its active customers, log-scale buckets (charts). */
  cost_histogram: Bucket[];
  total_cost_usd: string;
  revenue_usd: string;
  current_revenue_usd: string;
  revenue_change_usd: string;
  gross_margin_percent: string | null;
  soft_threshold: CrossingSummary;
  hard_cap: CrossingSummary;
  upgrades_out: { customers: number; to: Record<string, number> };
  upgrades_in: number;
}

export interface CrossingSummary {
  customers: number;
  /** How many customers cross on each day of the cycle. */
  by_day: Record<string, number>;
}

export interface CustomerOutcome {
  customer: string;
  month: string;
  current_plan: string | null;
  start_tier: string;
  tier: string;
  cost_usd: string;
  revenue_usd: string;
  /** Usage by the end of the cycle, in the start tier's budget unit (pace-projected for a partial month). */
  projected_usage: string | null;
  unit: string | null;
  soft_day: number | null;
  cap_day: number | null;
  upgraded: boolean;
  uncovered: boolean;
}

export interface SimulationResult {
  mapping: Scenario['mapping'];
  levers: string[];
  percentiles: string;
  tiers: TierResult[];
  totals: {
    customers: number;
    active_customers: number;
    total_cost_usd: string;
    revenue_usd: string;
    current_revenue_usd: string;
    revenue_change_usd: string;
    gross_margin_percent: string | null;
    upgrades: number;
    uncovered: number;
  };
  /** Customers who cross a threshold, upgrade or fit no tier (the rest are as expected). */
  notable: CustomerOutcome[];
  /** What the reader should know about how customers were placed. */
  notes: string[];
}

/** The levers a scenario moves, by name, in the order they are applied. */
export function activeLevers(l: Levers): string[] {
  const out: string[] = [];
  if (l.routing.length) out.push('routing');
  if (l.openWeight.length) out.push('openWeight');
  if (l.cache) out.push('cache');
  if (l.discount.length) out.push('discount');
  if (l.batch) out.push('batch');
  if (l.priceDecline) out.push('priceDecline');
  return out;
}

/** The monthly overhead per customer: the scenario's when it sets one, else the config's (default none). */
export function scenarioOverheadPico(
  scenario: Pick<Scenario, 'overheadPerCustomerUsd'>,
  configPico: bigint | undefined,
): bigint {
  const own = scenario.overheadPerCustomerUsd;
  return own !== undefined ? usdToPico(own) : (configPico ?? 0n);
}

/** Every lever in its fixed order (levers.ts) on one customer-month's lines. */
export function priceMonth(
  u: UsageMonth,
  levers: Levers,
  catalog: PriceCatalog,
  batchPercent: Readonly<Record<string, number>>,
): PricedLine[] {
  const ppt = declineFactorPpt(levers.priceDecline);
  const lines = applyCache(applyRouting(u.lines, routeRules(levers)), levers.cache);
  return lines.map((line) => {
    let cost = priceLine(line, catalog);
    cost = applyDiscount(cost, line, levers.discount);
    cost = applyBatch(cost, line, levers.batch, batchPercent);
    return { line, cost: applyDecline(cost, ppt) };
  });
}

export function simulate(input: SimulateInput): SimulationResult {
  const plans = Object.entries(input.candidate).map(([n, s]) => compilePlan(n, s));
  if (plans.length === 0) throw new Error('plans: needs at least one candidate plan');
  const byName = new Map(plans.map((p) => [p.name, p]));
  const currentPrices = new Map(
    Object.entries(input.current).map(([n, s]) => [n, compilePlan(n, s).pricePico] as const),
  );
  const batch = input.batchDiscountPercent ?? DEFAULT_BATCH_DISCOUNT_PERCENT;
  const overhead = scenarioOverheadPico(input.scenario, input.overheadPerCustomerPico);
  checkTargets(input.scenario.levers, input.catalog, input.months[0]?.lines[0]?.at ?? Date.now());
  const acc = new Map(plans.map((p) => [p.name, newAcc()]));
  const notable: CustomerOutcome[] = [];
  const unknownPlans = new Map<string, number>();

  for (const u of input.months) {
    const priced = priceMonth(u, input.scenario.levers, input.catalog, batch);
    const active = u.lines.some((l) => l.calls > 0n);
    const costPico = projectUsage(round(sumCost(priced)), progress(u), 'up') + (active ? overhead : 0n);
    const projectedIn = memo((p: Plan) => project(measure(p, priced), u, roundingOf(p)));

    const kept = input.scenario.mapping === 'keep' && u.currentPlan ? byName.get(u.currentPlan) : undefined;
    if (input.scenario.mapping === 'keep' && !kept) {
      const key = u.currentPlan ?? '(no plan)';
      unknownPlans.set(key, (unknownPlans.get(key) ?? 0) + 1);
    }
    const covering = cheapestCovering(plans, projectedIn);
    const start = kept ?? covering ?? dearest(plans);
    const fits = covers(start, projectedIn(start));
    const upgradeTo = !fits && covering && covering !== start ? covering : undefined;
    const final = upgradeTo ?? start;

    const total = measure(start, priced);
    // Days are priced only when the observed usage reaches a threshold (most customers never do).
    const lowest = start.softAt ?? start.cap;
    const byDay =
      u.days && lowest !== undefined && cmpWhole(total, lowest) >= 0
        ? dayMeasures(start, priceMonth({ ...u, lines: u.days }, input.scenario.levers, input.catalog, batch))
        : undefined;
    const softDay = start.softAt !== undefined ? crossingDay(start.softAt, u, total, byDay) : null;
    const capDay = start.cap !== undefined ? crossingDay(start.cap, u, total, byDay) : null;

    const revenue = final.pricePico + overagePico(final, projectedIn(final));
    const current = currentRevenue(u, input.current, currentPrices, input.candidate, projectedIn);

    const a = acc.get(final.name)!;
    a.customers++;
    if (active) {
      a.active++;
      a.costs.push(costPico);
    }
    a.cost += costPico;
    a.revenue += revenue;
    a.current += current;
    const s = acc.get(start.name)!;
    if (softDay !== null) bump(s.soft, softDay);
    if (capDay !== null) bump(s.cap, capDay);
    if (upgradeTo) {
      s.upgradesOut.set(upgradeTo.name, (s.upgradesOut.get(upgradeTo.name) ?? 0) + 1);
      a.upgradesIn++;
    }
    if (softDay !== null || capDay !== null || !fits)
      notable.push({
        customer: u.customer,
        month: u.month === 0 ? 'synthetic' : new Date(u.month).toISOString().slice(0, 7),
        current_plan: u.currentPlan,
        start_tier: start.name,
        tier: final.name,
        cost_usd: picoToUsd(costPico),
        revenue_usd: picoToUsd(revenue),
        projected_usage: start.unit ? formatUnits(projectedIn(start), start.unit) : null,
        unit: start.unit ?? null,
        soft_day: softDay,
        cap_day: capDay,
        upgraded: upgradeTo !== undefined,
        uncovered: !fits && !upgradeTo,
      });
  }
  const tiers = plans.map((p) => tierResult(p, acc.get(p.name)!));
  const all = [...acc.values()];
  const cost = all.reduce((s, a) => s + a.cost, 0n);
  const revenue = all.reduce((s, a) => s + a.revenue, 0n);
  const current = all.reduce((s, a) => s + a.current, 0n);
  return {
    mapping: input.scenario.mapping,
    levers: activeLevers(input.scenario.levers),
    percentiles:
      'nearest rank over the tier’s active customer-months: the smallest monthly cost with at least p% of them at or below it',
    tiers,
    totals: {
      customers: all.reduce((s, a) => s + a.customers, 0),
      active_customers: all.reduce((s, a) => s + a.active, 0),
      total_cost_usd: picoToUsd(cost),
      revenue_usd: picoToUsd(revenue),
      current_revenue_usd: picoToUsd(current),
      revenue_change_usd: picoToUsd(revenue - current),
      gross_margin_percent: marginPercent(cost, revenue),
      upgrades: notable.filter((n) => n.upgraded).length,
      uncovered: notable.filter((n) => n.uncovered).length,
    },
    notable,
    notes: [...unknownPlans].map(
      ([plan, n]) =>
        `${n} customer-month(s) on ${plan}, not a candidate plan: placed in the cheapest tier covering their usage`,
    ),
  };
}

interface Acc {
  customers: number;
  active: number;
  costs: bigint[];
  cost: bigint;
  revenue: bigint;
  current: bigint;
  soft: Map<number, number>;
  cap: Map<number, number>;
  upgradesOut: Map<string, number>;
  upgradesIn: number;
}

const newAcc = (): Acc => ({
  customers: 0,
  active: 0,
  costs: [],
  cost: 0n,
  revenue: 0n,
  current: 0n,
  soft: new Map(),
  cap: new Map(),
  upgradesOut: new Map(),
  upgradesIn: 0,
});

function tierResult(p: Plan, a: Acc): TierResult {
  const sorted = sortAscending(a.costs);
  const pct = (q: number) => {
    const v = percentileOfSorted(sorted, q);
    return v === undefined ? null : picoToUsd(v);
  };
  const p95 = percentileOfSorted(sorted, 95);
  return {
    plan: p.name,
    price_usd: picoToUsd(p.pricePico),
    customers: a.customers,
    active_customers: a.active,
    cost: { p50: pct(50), p90: pct(90), p95: pct(95), p99: pct(99) },
    margin_floor_percent: p95 === undefined ? null : marginPercent(p95, p.pricePico),
    budget:
      p.unit && p.cap !== undefined
        ? {
            unit: p.unit,
            cap: formatUnits(p.cap, p.unit),
            soft_at: p.softAt === undefined ? null : formatUnits(p.softAt, p.unit),
          }
        : null,
    cost_histogram: logHistogram(sorted),
    total_cost_usd: picoToUsd(a.cost),
    revenue_usd: picoToUsd(a.revenue),
    current_revenue_usd: picoToUsd(a.current),
    revenue_change_usd: picoToUsd(a.revenue - a.current),
    gross_margin_percent: marginPercent(a.cost, a.revenue),
    soft_threshold: crossings(a.soft),
    hard_cap: crossings(a.cap),
    upgrades_out: {
      customers: [...a.upgradesOut.values()].reduce((s, n) => s + n, 0),
      to: Object.fromEntries(a.upgradesOut),
    },
    upgrades_in: a.upgradesIn,
  };
}

function crossings(m: Map<number, number>): CrossingSummary {
  const days = [...m.keys()].sort((x, y) => x - y);
  return {
    customers: days.reduce((s, d) => s + m.get(d)!, 0),
    by_day: Object.fromEntries(days.map((d) => [String(d), m.get(d)!])),
  };
}

/**
 * What the customer pays today. Replayed history: each day of the month at the price (or set MRR) of the
 * plan in force that day, prorated per day as the report does (segmentsOf), plus overage under the plan in
 * force at the end unless an MRR is set. Synthetic: its MRR, else its plan's price plus overage.
 */
function currentRevenue(
  u: UsageMonth,
  current: Record<string, PlanSpec>,
  currentPrices: ReadonlyMap<string, bigint>,
  candidate: Record<string, PlanSpec>,
  projectedIn: (p: Plan) => bigint,
): bigint {
  const spec = u.currentPlan
    ? (current[u.currentPlan] ?? (u.month === 0 ? candidate[u.currentPlan] : undefined))
    : undefined;
  const plan = u.currentPlan && spec ? compilePlan(u.currentPlan, spec) : undefined;
  const overage = plan && u.currentMrrPico === null ? overagePico(plan, projectedIn(plan)) : 0n;
  if (u.planSpans) {
    const month = { label: '', from: u.month, to: nextMonth(u.month), partial: false };
    const segments = segmentsOf(u.customer, u.planSpans, month, { prices: currentPrices, overheadPico: 0n });
    return segments.reduce((s, g) => s + g.revenuePico, 0n) + overage;
  }
  if (u.currentMrrPico !== null) return u.currentMrrPico;
  return plan ? plan.pricePico + overage : 0n;
}

/** Usage per observed day in the plan's unit (undefined when the lines carry no days: even spread). */
function dayMeasures(plan: Plan, priced: readonly PricedLine[]): Map<number, Exact> | undefined {
  const groups = new Map<number, PricedLine[]>();
  for (const p of priced) {
    if (p.line.day === undefined) return undefined;
    const g = groups.get(p.line.day);
    if (g) g.push(p);
    else groups.set(p.line.day, [p]);
  }
  return new Map([...groups].map(([d, g]) => [d, measure(plan, g)]));
}

/** A routing target the catalog cannot price would make every re-priced cost wrong: name the rule. */
function checkTargets(levers: Levers, catalog: PriceCatalog, at: number): void {
  for (const r of routeRules(levers)) {
    const provider = providerFor(r.to, r.provider, `${r.field}.provider`);
    if (!catalog.quote(provider, r.to, at))
      throw new Error(
        `${r.field}.to: model ${JSON.stringify(r.to)} (provider ${provider}) has no catalog price`,
      );
  }
}

const sumCost = (priced: readonly PricedLine[]) =>
  priced.reduce<Exact>((s, p) => add(s, p.cost), { num: 0n, exp: 0 });
const progress = (u: UsageMonth) => ({ daysElapsed: u.elapsedMs / DAY_MS, daysTotal: u.daysInCycle });
const bump = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);
const dearest = (plans: readonly Plan[]) => plans.reduce((a, b) => (b.pricePico > a.pricePico ? b : a));

function memo<K, V>(f: (k: K) => V): (k: K) => V {
  const m = new Map<K, V>();
  return (k) => {
    if (!m.has(k)) m.set(k, f(k));
    return m.get(k)!;
  };
}
