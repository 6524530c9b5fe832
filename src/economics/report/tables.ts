// The report as named tables: the one shape the text, CSV and HTML renderers share.
import type { EconomicsReport } from './types.js';

export interface Table {
  /** File-safe name, e.g. `2026-11-tiers` (the CSV file's name). */
  name: string;
  title: string;
  headers: string[];
  rows: (string | number)[][];
}

const dash = (v: string | number | null | undefined): string | number => v ?? '—';
const money = (v: string | null): string => (v === null ? '—' : `$${v}`);
const pct = (v: string | null): string => (v === null ? '—' : `${v}%`);

export function reportTables(r: EconomicsReport): Table[] {
  const out: Table[] = [];
  for (const b of r.buckets) {
    const t = b.totals;
    const label = `${b.label}${b.partial ? ' (partial)' : ''}`;
    out.push({
      name: `${b.label}-totals`,
      title: `${label}: totals`,
      headers: [
        'inference cost',
        'loaded cost',
        'revenue',
        'cost % of revenue',
        'gross margin',
        'customers',
        'active',
        'cost per active',
        'requests',
      ],
      rows: [
        [
          money(t.inference_cost_usd),
          money(t.loaded_cost_usd),
          money(t.revenue_usd),
          pct(t.cost_pct_of_revenue),
          pct(t.gross_margin_pct),
          t.customers,
          t.active_customers,
          money(t.cost_per_active_customer_usd),
          t.requests,
        ],
      ],
    });
    out.push({
      name: `${b.label}-tiers`,
      title: `${label}: per plan tier (monthly cost per active customer; percentiles by nearest rank)`,
      headers: [
        'plan',
        'price',
        'customers',
        'active',
        'cost',
        'revenue',
        'P50',
        'P90',
        'P95',
        'P99',
        'margin floor',
        'gross margin',
        'under water',
      ],
      rows: b.tiers.map((x) => [
        x.plan ?? '(no plan)',
        money(x.price_usd),
        x.customers,
        x.active_customers,
        money(x.cost_usd),
        money(x.revenue_usd),
        money(x.p50_usd),
        money(x.p90_usd),
        money(x.p95_usd),
        money(x.p99_usd),
        pct(x.margin_floor_pct),
        pct(x.gross_margin_pct),
        x.under_water,
      ]),
    });
    out.push({
      name: `${b.label}-concentration`,
      title: `${label}: share of cost from the dearest active customers`,
      headers: ['top', 'customers', 'cost', 'share of cost'],
      rows: b.concentration.top.map((c) => [
        `${c.percent}%`,
        c.customers,
        money(c.cost_usd),
        pct(c.cost_share_pct),
      ]),
    });
    out.push({
      name: `${b.label}-top-customers`,
      title: `${label}: dearest customers`,
      headers: ['customer', 'plan', 'cost', 'revenue', 'cost % of revenue'],
      rows: b.concentration.customers.map((c) => [
        c.customer,
        c.plan ?? '(no plan)',
        money(c.cost_usd),
        money(c.revenue_usd),
        pct(c.cost_pct_of_revenue),
      ]),
    });
  }
  const dims: [string, keyof EconomicsReport & `by_${string}`][] = [
    ['feature', 'by_feature'],
    ['model', 'by_model'],
    ['provider', 'by_provider'],
    ['tag', 'by_tag'],
  ];
  for (const [dim, key] of dims)
    out.push({
      name: `cost-by-${dim}`,
      title: `cost by ${dim}`,
      headers: [dim, 'requests', 'cost', 'share of requests', 'share of cost'],
      rows: r[key].map((x) => [
        x.key,
        x.requests,
        money(x.cost_usd),
        pct(x.request_share_pct),
        pct(x.cost_share_pct),
      ]),
    });
  out.push({
    name: 'model-classes',
    title: 'requests and cost on small / mid / large models',
    headers: ['class', 'requests', 'cost', 'share of requests', 'share of cost'],
    rows: r.model_classes.map((x) => [
      x.class,
      x.requests,
      money(x.cost_usd),
      pct(x.request_share_pct),
      pct(x.cost_share_pct),
    ]),
  });
  out.push({
    name: 'cache',
    title: 'cache hit rate per feature (cached input ÷ all input)',
    headers: [
      'feature',
      'input tokens',
      'prompt-cache reads',
      'response-cache hits',
      'hit rate',
      'prompt cache',
      'response cache',
      'prompt cache saved',
      'response cache saved',
    ],
    rows: r.cache.map((c) => [
      c.feature,
      c.input_tokens,
      c.prompt_cache_read_tokens,
      c.response_cache_hits,
      pct(c.hit_rate_pct),
      pct(c.prompt_cache_rate_pct),
      pct(c.response_cache_rate_pct),
      money(c.prompt_cache_saved_usd),
      money(c.response_cache_saved_usd),
    ]),
  });
  out.push({
    name: 'weekly',
    title: `weekly unit economics: ${r.weekly.this_week} against ${r.weekly.last_week}`,
    headers: ['metric', 'this week', 'last week', 'target', 'status'],
    rows: r.weekly.metrics.map((m) => [
      m.name,
      dash(m.this_week),
      dash(m.last_week),
      m.target,
      m.met === null ? '—' : m.met ? 'met' : 'missed',
    ]),
  });
  out.push({
    name: 'weekly-trend',
    title: 'weekly cost and margin',
    headers: ['week', 'cost', 'revenue', 'gross margin'],
    rows: r.weekly_trend.map((w) => [
      w.week,
      money(w.cost_usd),
      money(w.revenue_usd),
      pct(w.gross_margin_pct),
    ]),
  });
  return out;
}
