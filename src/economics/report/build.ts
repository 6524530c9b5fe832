// Builds the economics report from rollups, plan history and revenue segments. Reads are per bucket and
// per dimension: every figure comes from the integer rollups, never from raw rows.
import type { PriceCatalog } from '../../pricing/catalog.js';
import { type Bucket, buckets, dayLabel, isoWeekStart, nextWeek, type PeriodKind } from '../calendar.js';
import { marginText, percentText, usd } from '../ratio.js';
import type { EconomicsReader } from '../reader.js';
import { breakdown, byTag, modelClasses } from './breakdowns.js';
import { cacheRows } from './cache.js';
import { type CustomerTotal, concentration } from './concentration.js';
import { costSegments } from './cost-segments.js';
import { type ModelClassConfig, modelClassifier } from './model-class.js';
import { type CostedSegment, loaded, type SegmentSource } from './segments.js';
import { tierRows } from './tiers.js';
import {
  type BucketReport,
  type EconomicsReport,
  PERCENTILE_METHOD,
  type Totals,
  type TrendPoint,
} from './types.js';
import { type Targets, type WeekData, weeklyView } from './weekly.js';

export interface ReportInput {
  reader: EconomicsReader;
  catalog: PriceCatalog;
  period: PeriodKind;
  from: number;
  to: number;
  now: number;
  /** Plan name → monthly price in pico-USD. */
  prices: ReadonlyMap<string, bigint>;
  segments: SegmentSource;
  /** Overhead of a customer with no plan span for a bucket (prorated like a segment's). */
  overheadFor: (bucket: Bucket) => bigint;
  overheadPerCustomerPico: bigint;
  targets: Targets;
  classes: ModelClassConfig;
}

const WEEK_MS = 7 * 86_400_000;

export async function costedBucket(input: ReportInput, b: Bucket): Promise<CostedSegment[]> {
  const segments = await input.segments.segments(b);
  const overhead = input.overheadFor(b);
  return costSegments(input.reader, b, segments, () => overhead);
}

function totals(segments: readonly CostedSegment[]): Totals {
  let cost = 0n;
  let load = 0n;
  let revenue = 0n;
  let requests = 0;
  const customers = new Set<string>();
  const active = new Set<string>();
  for (const s of segments) {
    cost += s.costPico;
    load += loaded(s);
    revenue += s.revenuePico;
    requests += s.requests;
    customers.add(s.customer);
    if (s.active) active.add(s.customer);
  }
  return {
    inference_cost_usd: usd(cost),
    loaded_cost_usd: usd(load),
    requests,
    customers: customers.size,
    active_customers: active.size,
    // Floored to the pico-USD: the one division of money the report makes.
    cost_per_active_customer_usd: active.size ? usd(cost / BigInt(active.size)) : null,
    revenue_usd: usd(revenue),
    cost_pct_of_revenue: percentText(cost, revenue),
    gross_margin_pct: marginText(load, revenue),
    unpriced_requests: 0,
  };
}

function customerTotals(segments: readonly CostedSegment[]): CustomerTotal[] {
  const m = new Map<string, CustomerTotal>();
  for (const s of segments) {
    const c = m.get(s.customer);
    if (c) {
      c.costPico += s.costPico;
      c.revenuePico += s.revenuePico;
      c.active ||= s.active;
      c.plan = s.plan; // the latest segment's plan
    } else
      m.set(s.customer, {
        customer: s.customer,
        plan: s.plan,
        costPico: s.costPico,
        revenuePico: s.revenuePico,
        active: s.active,
      });
  }
  return [...m.values()];
}

/** The report plus what only charts need: each active customer's cost in the latest bucket. */
export interface ReportResult {
  report: EconomicsReport;
  latestCosts: { label: string; costs: bigint[] } | null;
}

export async function buildReport(input: ReportInput): Promise<ReportResult> {
  const { reader, from, to } = input;
  const classOf = modelClassifier(input.classes, input.catalog, to - 1);
  const out: BucketReport[] = [];
  let latestCosts: ReportResult['latestCosts'] = null;
  for (const b of buckets(input.period, from, to)) {
    const segs = await costedBucket(input, b);
    const perCustomer = customerTotals(segs);
    latestCosts = { label: b.label, costs: perCustomer.filter((c) => c.active).map((c) => c.costPico) };
    const t = totals(segs);
    out.push({
      label: b.label,
      from: new Date(b.from).toISOString(),
      to: new Date(b.to).toISOString(),
      partial: b.partial,
      totals: t,
      tiers: tierRows(segs, input.prices, input.period === 'month'),
      concentration: concentration(perCustomer),
    });
  }
  const dims = await reader.dimensionDays(from, to);
  // Unpriced calls are counted per bucket from the dimension rollup (they carry no cost to attribute).
  for (const b of out) {
    const bf = Date.parse(b.from);
    const bt = Date.parse(b.to);
    b.totals.unpriced_requests = dims
      .filter((d) => d.day >= bf && d.day < bt)
      .reduce((n, d) => n + d.unpricedRequests, 0);
  }

  // The weekly view: the last complete ISO week before `to` (or before now when `to` is later).
  const end = Math.min(to, input.now);
  const thisWeekStart = isoWeekStart(end) - WEEK_MS;
  const week = async (start: number): Promise<WeekData> => {
    const bucket: Bucket = { label: weekLabel(start), from: start, to: nextWeek(start), partial: false };
    return {
      bucket,
      segments: await costedBucket(input, bucket),
      dims: await reader.dimensionDays(start, nextWeek(start)),
    };
  };
  const thisWeek = await week(thisWeekStart);
  const lastWeek = await week(thisWeekStart - WEEK_MS);

  // Weekly trend over the report's range: cost from the dimension rollup, revenue and overhead from the
  // segments (no per-customer cost is needed for totals). Customers with no plan span add no overhead here.
  const trend: TrendPoint[] = [];
  for (const b of buckets('week', from, to)) {
    let cost = 0n;
    for (const d of dims) if (d.day >= b.from && d.day < b.to) cost += d.costPico;
    const { revenuePico: revenue, overheadPico } = await input.segments.totals(b);
    const load = cost + overheadPico;
    trend.push({
      week: b.label,
      cost_usd: usd(cost),
      revenue_usd: usd(revenue),
      gross_margin_pct: marginText(load, revenue),
    });
  }

  const report: EconomicsReport = {
    generated_at: new Date(input.now).toISOString(),
    period: input.period,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    percentile_method: PERCENTILE_METHOD,
    overhead_per_customer_usd: usd(input.overheadPerCustomerPico),
    buckets: out,
    by_feature: breakdown(dims, (d) => d.feature),
    by_model: breakdown(dims, (d) => d.model),
    by_provider: breakdown(dims, (d) => d.provider),
    by_tag: byTag(await reader.tagDays(from, to)),
    model_classes: modelClasses(dims, classOf),
    cache: cacheRows(dims, input.catalog, to - 1),
    weekly: weeklyView(thisWeek, lastWeek, input.targets, classOf),
    weekly_trend: trend,
  };
  return { report, latestCosts };
}

const weekLabel = (start: number): string => buckets('week', start, start + 1)[0]?.label ?? dayLabel(start);
