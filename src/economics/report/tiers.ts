// Per plan tier: customers, nearest-rank percentiles of cost per active customer, margin floor (loaded
// P95 against the plan's price), gross margin and how many are under water (loaded cost above revenue).
import { percentileOfSorted, sortAscending } from '../percentile.js';
import { marginText, usd } from '../ratio.js';
import { type CostedSegment, loaded } from './segments.js';
import type { TierRow } from './types.js';

const PCTS = [50, 90, 95, 99] as const;

/** `prices`: plan name → monthly price in pico-USD. `monthly`: margin floors only make sense per month. */
export function tierRows(
  segments: readonly CostedSegment[],
  prices: ReadonlyMap<string, bigint>,
  monthly: boolean,
): TierRow[] {
  const byPlan = new Map<string | null, CostedSegment[]>();
  for (const s of segments) {
    const list = byPlan.get(s.plan);
    if (list) list.push(s);
    else byPlan.set(s.plan, [s]);
  }
  const rows: TierRow[] = [];
  for (const [plan, list] of byPlan) {
    const active = list.filter((s) => s.active);
    const costs = sortAscending(active.map((s) => s.costPico));
    const loadedCosts = sortAscending(active.map(loaded));
    const price = plan === null ? undefined : prices.get(plan);
    const [p50, p90, p95, p99] = PCTS.map((p) => percentileOfSorted(costs, p));
    const p95Loaded = percentileOfSorted(loadedCosts, 95);
    let cost = 0n;
    let load = 0n;
    let revenue = 0n;
    for (const s of list) {
      cost += s.costPico;
      load += loaded(s);
      revenue += s.revenuePico;
    }
    rows.push({
      plan,
      price_usd: price === undefined ? null : usd(price),
      customers: new Set(list.map((s) => s.customer)).size,
      active_customers: new Set(active.map((s) => s.customer)).size,
      cost_usd: usd(cost),
      revenue_usd: usd(revenue),
      p50_usd: p50 === undefined ? null : usd(p50),
      p90_usd: p90 === undefined ? null : usd(p90),
      p95_usd: p95 === undefined ? null : usd(p95),
      p99_usd: p99 === undefined ? null : usd(p99),
      margin_floor_pct:
        monthly && price !== undefined && price > 0n && p95Loaded !== undefined
          ? marginText(p95Loaded, price)
          : null,
      gross_margin_pct: marginText(load, revenue),
      under_water: list.filter((s) => loaded(s) > s.revenuePico).length,
    });
  }
  // Priced tiers by price, then unpriced plans by name, "no plan" last.
  return rows.sort(
    (a, b) => tierOrder(a, prices) - tierOrder(b, prices) || String(a.plan).localeCompare(String(b.plan)),
  );
}

function tierOrder(r: TierRow, prices: ReadonlyMap<string, bigint>): number {
  if (r.plan === null) return Number.MAX_SAFE_INTEGER;
  const p = prices.get(r.plan);
  return p === undefined ? Number.MAX_SAFE_INTEGER - 1 : Number(p / 1_000_000n);
}
