// Per plan tier: customers, nearest-rank percentiles of cost per active customer, margin floor (loaded
// P95 against the plan's price), gross margin and how many are under water (loaded cost above revenue).
import { percentileOfSorted } from '../percentile.js';
import { marginText, usd } from '../ratio.js';
import type { TierSums } from './bucket-figures.js';
import type { TierRow } from './types.js';

const PCTS = [50, 90, 95, 99] as const;

/** `prices`: plan name → monthly price in pico-USD. `monthly`: margin floors only make sense per month. */
export function tierRows(
  tiers: Iterable<TierSums>,
  prices: ReadonlyMap<string, bigint>,
  monthly: boolean,
): TierRow[] {
  const rows: TierRow[] = [];
  for (const t of tiers) {
    const costs = sortInPlace(t.costs);
    const price = t.plan === null ? undefined : prices.get(t.plan);
    const [p50, p90, p95, p99] = PCTS.map((p) => percentileOfSorted(costs, p));
    const p95Loaded = percentileOfSorted(sortInPlace(t.loadedCosts), 95);
    rows.push({
      plan: t.plan,
      price_usd: price === undefined ? null : usd(price),
      customers: t.customers,
      active_customers: t.active,
      cost_usd: usd(t.costPico),
      revenue_usd: usd(t.revenuePico),
      p50_usd: p50 === undefined ? null : usd(p50),
      p90_usd: p90 === undefined ? null : usd(p90),
      p95_usd: p95 === undefined ? null : usd(p95),
      p99_usd: p99 === undefined ? null : usd(p99),
      margin_floor_pct:
        monthly && price !== undefined && price > 0n && p95Loaded !== undefined
          ? marginText(p95Loaded, price)
          : null,
      gross_margin_pct: marginText(t.loadPico, t.revenuePico),
      under_water: t.underWater,
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

/** The tier's own arrays, sorted ascending where they are (a report sorts 100k costs per bucket). */
function sortInPlace(xs: bigint[]): bigint[] {
  return xs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
