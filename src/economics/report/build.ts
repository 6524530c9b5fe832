// Builds the economics report from rollups, plan history and revenue segments. Reads are per bucket and
// per dimension: every figure comes from the integer rollups, never from raw rows.
import type { PriceCatalog } from '../../pricing/catalog.js';
import { type Bucket, buckets, dayLabel, isoWeekStart, nextWeek, type PeriodKind } from '../calendar.js';
import type { HistoryGroups } from '../history-groups.js';
import { marginText, percentText, usd } from '../ratio.js';
import type { EconomicsReader } from '../reader.js';
import { breakdown, byTag, modelClasses } from './breakdowns.js';
import { type BucketFigures, bucketFigures } from './bucket-figures.js';
import { cacheRows } from './cache.js';
import { concentration } from './concentration.js';
import { type ModelClassConfig, modelClassifier } from './model-class.js';
import { type SegmentPricing, segmentTotals } from './segment-source.js';
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
  /** Customers grouped by identical plan history, and how their segments are priced. */
  groups: HistoryGroups;
  pricing: SegmentPricing;
  /** Overhead of a customer with no plan span for a bucket (prorated like a segment's). */
  overheadFor: (bucket: Bucket) => bigint;
  overheadPerCustomerPico: bigint;
  targets: Targets;
  classes: ModelClassConfig;
}

const WEEK_MS = 7 * 86_400_000;

function figuresOf(input: ReportInput, b: Bucket): Promise<BucketFigures> {
  return bucketFigures(
    {
      reader: input.reader,
      history: input.groups,
      pricing: input.pricing,
      noPlanOverheadPico: input.overheadFor(b),
    },
    b,
  );
}

function totals(f: BucketFigures): Totals {
  const active = f.active.length;
  return {
    inference_cost_usd: usd(f.costPico),
    loaded_cost_usd: usd(f.loadPico),
    requests: f.requests,
    customers: f.customers,
    active_customers: active,
    // Floored to the pico-USD: the one division of money the report makes.
    cost_per_active_customer_usd: active ? usd(f.costPico / BigInt(active)) : null,
    revenue_usd: usd(f.revenuePico),
    cost_pct_of_revenue: percentText(f.costPico, f.revenuePico),
    gross_margin_pct: marginText(f.loadPico, f.revenuePico),
    unpriced_requests: 0,
  };
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
    const f = await figuresOf(input, b);
    latestCosts = { label: b.label, costs: f.active.map((c) => c.costPico) };
    out.push({
      label: b.label,
      from: new Date(b.from).toISOString(),
      to: new Date(b.to).toISOString(),
      partial: b.partial,
      totals: totals(f),
      tiers: tierRows(f.tiers, input.prices, input.period === 'month'),
      concentration: concentration(f.active),
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

  const week = async (bucket: Bucket): Promise<WeekData> => ({
    bucket,
    figures: await figuresOf(input, bucket),
    dims: await reader.dimensionDays(bucket.from, bucket.to),
  });
  const [thisBucket, lastBucket] = weeklyBuckets(to, input.now);
  const thisWeek = await week(thisBucket);
  const lastWeek = await week(lastBucket);

  // Weekly trend over the report's range: cost from the dimension rollup, revenue and overhead from the
  // segments (no per-customer cost is needed for totals). Customers with no plan span add no overhead here.
  const trend: TrendPoint[] = [];
  for (const b of buckets('week', from, to)) {
    let cost = 0n;
    for (const d of dims) if (d.day >= b.from && d.day < b.to) cost += d.costPico;
    const { revenuePico: revenue, overheadPico } = segmentTotals(input.groups.groups, b, input.pricing);
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

/** The weekly view's weeks: the last complete ISO week before `to` (or before now when `to` is later), and the one before. */
export function weeklyBuckets(to: number, now: number): [Bucket, Bucket] {
  const thisWeek = isoWeekStart(Math.min(to, now)) - WEEK_MS;
  const week = (start: number): Bucket => ({
    label: weekLabel(start),
    from: start,
    to: nextWeek(start),
    partial: false,
  });
  return [week(thisWeek), week(thisWeek - WEEK_MS)];
}

const weekLabel = (start: number): string => buckets('week', start, start + 1)[0]?.label ?? dayLabel(start);
