import { table } from '../../cli/table.js';
import type { SimulationReport } from './run.js';

const pct = (v: string | null) => (v === null ? '-' : `${v}%`);
const usd = (v: string | null) => (v === null ? '-' : v.startsWith('-') ? `-$${v.slice(1)}` : `$${v}`);
/** A day histogram in a few words: every day when there are few, else the first, median and last. */
function days(by: Record<string, number>): string {
  const all = Object.entries(by).flatMap(([d, n]) => Array<number>(n).fill(Number(d)));
  if (all.length === 0) return '-';
  if (Object.keys(by).length <= 4)
    return Object.entries(by)
      .map(([d, n]) => `d${d}×${n}`)
      .join(' ');
  all.sort((a, b) => a - b);
  return `d${all[0]}…d${all.at(-1)}, median d${all[Math.ceil(all.length / 2) - 1]}`;
}

/** The simulation as terminal text: per-tier table, thresholds and upgrades, sensitivity. */
export function renderSimulationText(r: SimulationReport): string {
  const res = r.result;
  const head =
    r.source === 'history'
      ? `Replayed the ledger ${r.from} → ${r.to} under the candidate plans`
      : 'Simulated the scenario’s synthetic population under the candidate plans';
  const tiers = table(
    [
      'tier',
      'price',
      'customers',
      'active',
      'P50',
      'P90',
      'P95',
      'P99',
      'margin floor',
      'gross margin',
      'revenue',
      'change',
    ],
    res.tiers.map((t) => [
      t.plan,
      usd(t.price_usd),
      t.customers,
      t.active_customers,
      usd(t.cost.p50),
      usd(t.cost.p90),
      usd(t.cost.p95),
      usd(t.cost.p99),
      pct(t.margin_floor_percent),
      pct(t.gross_margin_percent),
      usd(t.revenue_usd),
      usd(t.revenue_change_usd),
    ]),
  );
  const caps = table(
    ['tier', 'soft threshold', 'on days', 'hard cap', 'on days', 'upgrades out', 'in'],
    res.tiers.map((t) => [
      t.plan,
      t.soft_threshold.customers,
      days(t.soft_threshold.by_day),
      t.hard_cap.customers,
      days(t.hard_cap.by_day),
      `${t.upgrades_out.customers}${
        t.upgrades_out.customers
          ? ` (${Object.entries(t.upgrades_out.to)
              .map(([p, n]) => `${n}→${p}`)
              .join(', ')})`
          : ''
      }`,
      t.upgrades_in,
    ]),
  );
  const tierNames = res.tiers.map((t) => t.plan);
  const sens = table(
    ['levers', ...tierNames.map((n) => `${n} floor`)],
    r.sensitivity.map((s) => [s.levers, ...tierNames.map((n) => pct(s.margin_floor_percent[n] ?? null))]),
  );
  const t = res.totals;
  return [
    head,
    `levers: ${res.levers.join(', ') || 'none'}; mapping: ${res.mapping}`,
    '',
    tiers,
    '',
    caps,
    '',
    ...res.notes.map((n) => `note: ${n}`),
    `total: cost $${t.total_cost_usd}, revenue $${t.revenue_usd} (today $${t.current_revenue_usd}, change ${usd(t.revenue_change_usd)}), gross margin ${pct(t.gross_margin_percent)}, ${t.upgrades} upgrade(s), ${t.uncovered} customer(s) no tier covers`,
    '',
    'Margin floor by lever (each alone):',
    sens,
    '',
    `Percentiles: ${res.percentiles}. Margin floor = 1 − P95 ÷ price; costs are loaded (plus overhead) and projected to the whole cycle at each customer's pace.`,
  ].join('\n');
}
