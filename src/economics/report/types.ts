// The economics report as data: what `margin report --json` prints and GET /admin/v1/reports/economics
// returns. Money is exact decimal USD text; percentages are text with two decimals (null when undefined,
// e.g. a share of zero revenue).
import type { PeriodKind } from '../calendar.js';

export const PERCENTILE_METHOD =
  'nearest rank over the tier’s active customers: the smallest cost with at least p% of them at or below it';

export interface Totals {
  inference_cost_usd: string;
  loaded_cost_usd: string;
  requests: number;
  customers: number;
  active_customers: number;
  cost_per_active_customer_usd: string | null;
  revenue_usd: string;
  cost_pct_of_revenue: string | null;
  gross_margin_pct: string | null;
  unpriced_requests: number;
}

export interface TierRow {
  plan: string | null;
  price_usd: string | null;
  customers: number;
  active_customers: number;
  cost_usd: string;
  revenue_usd: string;
  p50_usd: string | null;
  p90_usd: string | null;
  p95_usd: string | null;
  p99_usd: string | null;
  /** 1 − loaded P95 ÷ price; only for plans with a price. */
  margin_floor_pct: string | null;
  gross_margin_pct: string | null;
  under_water: number;
}

export interface TopCustomer {
  customer: string;
  plan: string | null;
  cost_usd: string;
  revenue_usd: string;
  cost_pct_of_revenue: string | null;
}

export interface Concentration {
  /** Share of cost from the ⌈x% × n⌉ dearest active customers. */
  top: { percent: number; customers: number; cost_usd: string; cost_share_pct: string | null }[];
  customers: TopCustomer[];
}

export interface BucketReport {
  label: string;
  from: string;
  to: string;
  partial: boolean;
  totals: Totals;
  tiers: TierRow[];
  concentration: Concentration;
}

export interface BreakdownRow {
  key: string;
  requests: number;
  cost_usd: string;
  request_share_pct: string | null;
  cost_share_pct: string | null;
}

export interface ModelClassRow {
  class: 'small' | 'mid' | 'large' | 'unpriced';
  requests: number;
  cost_usd: string;
  request_share_pct: string | null;
  cost_share_pct: string | null;
}

export interface CacheRow {
  feature: string;
  /** All input tokens: fresh, cache reads, cache writes, and the input of response-cache hits. */
  input_tokens: number;
  prompt_cache_read_tokens: number;
  response_cache_hit_input_tokens: number;
  response_cache_hits: number;
  hit_rate_pct: string | null;
  prompt_cache_rate_pct: string | null;
  response_cache_rate_pct: string | null;
  /** Cache reads priced at fresh input minus their price, net of the write premium. */
  prompt_cache_saved_usd: string;
  /** Hits priced at the average cost of a non-hit call of the same feature and model (an estimate). */
  response_cache_saved_usd: string;
}

export interface WeeklyMetric {
  name: string;
  this_week: string | null;
  last_week: string | null;
  target: string;
  /** met when this week's value is on the right side of the target; null when it has no value. */
  met: boolean | null;
}

export interface WeeklyView {
  this_week: string;
  last_week: string;
  metrics: WeeklyMetric[];
}

export interface TrendPoint {
  week: string;
  cost_usd: string;
  revenue_usd: string;
  gross_margin_pct: string | null;
}

export interface EconomicsReport {
  generated_at: string;
  period: PeriodKind;
  from: string;
  to: string;
  percentile_method: string;
  overhead_per_customer_usd: string;
  buckets: BucketReport[];
  by_feature: BreakdownRow[];
  by_model: BreakdownRow[];
  by_provider: BreakdownRow[];
  by_tag: BreakdownRow[];
  model_classes: ModelClassRow[];
  cache: CacheRow[];
  weekly: WeeklyView;
  weekly_trend: TrendPoint[];
}
