// How concentrated cost is: the share from the top 5/10/20% of active customers (top x% = the ⌈x% × n⌉
// dearest) and the dearest customers with their revenue.
import { topCount } from '../percentile.js';
import { percentText, usd } from '../ratio.js';
import type { Concentration } from './types.js';

export interface CustomerTotal {
  customer: string;
  plan: string | null;
  costPico: bigint;
  revenuePico: bigint;
  active: boolean;
}

export const TOP_PERCENTS = [5, 10, 20] as const;

export function concentration(customers: readonly CustomerTotal[], listed = 10): Concentration {
  const active = customers.filter((c) => c.active);
  // Dearest first; ties by id (code-unit order: cheap, and ids are ASCII) so the output is stable.
  active.sort((a, b) =>
    a.costPico === b.costPico
      ? a.customer < b.customer
        ? -1
        : a.customer > b.customer
          ? 1
          : 0
      : a.costPico > b.costPico
        ? -1
        : 1,
  );
  let total = 0n;
  for (const c of active) total += c.costPico;
  const top = TOP_PERCENTS.map((percent) => {
    const n = topCount(percent, active.length);
    let cost = 0n;
    for (let i = 0; i < n; i++) cost += active[i]?.costPico ?? 0n;
    return { percent, customers: n, cost_usd: usd(cost), cost_share_pct: percentText(cost, total) };
  });
  return {
    top,
    customers: active.slice(0, listed).map((c) => ({
      customer: c.customer,
      plan: c.plan,
      cost_usd: usd(c.costPico),
      revenue_usd: usd(c.revenuePico),
      cost_pct_of_revenue: percentText(c.costPico, c.revenuePico),
    })),
  };
}
