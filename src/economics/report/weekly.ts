// The weekly unit-economics view: this week (the last complete ISO week) against last week and targets.
import { picoToUsd as picoText } from '../../util/money.js';
import type { Bucket } from '../calendar.js';
import { topCount } from '../percentile.js';
import { marginText, percentText } from '../ratio.js';
import type { DimensionDay } from '../reader.js';
import type { ModelClass } from './breakdowns.js';
import type { BucketFigures } from './bucket-figures.js';
import { overallHitRate } from './cache.js';
import type { WeeklyMetric, WeeklyView } from './types.js';

export interface Targets {
  costPctOfRevenueMax: number;
  grossMarginPctMin: number;
  cacheHitPctMin: number;
  smallMidRequestPctMin: number;
  top20CostPctOfMrrMax: number;
}

export interface WeekData {
  bucket: Bucket;
  figures: BucketFigures;
  dims: readonly DimensionDay[];
}

interface WeekFigures {
  cost: string;
  costPerActive: string | null;
  costPctRevenue: string | null;
  grossMargin: string | null;
  cacheHit: string | null;
  smallMidShare: string | null;
  top20PctMrr: string | null;
}

function figures(w: WeekData, classOf: (provider: string, model: string) => ModelClass): WeekFigures {
  const { costPico: cost, loadPico: load, revenuePico: revenue } = w.figures;
  // Dearest first; the top 20% of active customers (⌈20% × n⌉), their cost against their revenue.
  const active = [...w.figures.active].sort((a, b) =>
    a.costPico === b.costPico ? 0 : a.costPico > b.costPico ? -1 : 1,
  );
  let topCost = 0n;
  let topRevenue = 0n;
  for (const c of active.slice(0, topCount(20, active.length))) {
    topCost += c.costPico;
    topRevenue += c.revenuePico;
  }
  let requests = 0;
  let smallMid = 0;
  for (const d of w.dims) {
    requests += d.requests;
    const k = classOf(d.provider, d.model);
    if (k === 'small' || k === 'mid') smallMid += d.requests;
  }
  return {
    cost: picoText(cost),
    costPerActive: active.length ? picoText(cost / BigInt(active.length)) : null,
    costPctRevenue: percentText(cost, revenue),
    grossMargin: marginText(load, revenue),
    cacheHit: overallHitRate(w.dims),
    smallMidShare: percentText(BigInt(smallMid), BigInt(requests)),
    top20PctMrr: percentText(topCost, topRevenue),
  };
}

export function weeklyView(
  thisWeek: WeekData,
  lastWeek: WeekData,
  targets: Targets,
  classOf: (provider: string, model: string) => ModelClass,
): WeeklyView {
  const a = figures(thisWeek, classOf);
  const b = figures(lastWeek, classOf);
  const below = (v: string | null, t: number) => (v === null ? null : Number(v) < t);
  const above = (v: string | null, t: number) => (v === null ? null : Number(v) > t);
  const metrics: WeeklyMetric[] = [
    { name: 'inference cost (USD)', this_week: a.cost, last_week: b.cost, target: '—', met: null },
    {
      name: 'cost per active customer (USD)',
      this_week: a.costPerActive,
      last_week: b.costPerActive,
      target: '—',
      met: null,
    },
    {
      name: 'cost as % of revenue',
      this_week: a.costPctRevenue,
      last_week: b.costPctRevenue,
      target: `< ${targets.costPctOfRevenueMax}%`,
      met: below(a.costPctRevenue, targets.costPctOfRevenueMax),
    },
    {
      name: 'gross margin %',
      this_week: a.grossMargin,
      last_week: b.grossMargin,
      target: `> ${targets.grossMarginPctMin}%`,
      met: above(a.grossMargin, targets.grossMarginPctMin),
    },
    {
      name: 'cache hit rate %',
      this_week: a.cacheHit,
      last_week: b.cacheHit,
      target: `> ${targets.cacheHitPctMin}%`,
      met: above(a.cacheHit, targets.cacheHitPctMin),
    },
    {
      name: '% of requests on mid/small models',
      this_week: a.smallMidShare,
      last_week: b.smallMidShare,
      target: `> ${targets.smallMidRequestPctMin}%`,
      met: above(a.smallMidShare, targets.smallMidRequestPctMin),
    },
    {
      name: 'top 20% customers’ cost as % of their MRR',
      this_week: a.top20PctMrr,
      last_week: b.top20PctMrr,
      target: `< ${targets.top20CostPctOfMrrMax}%`,
      met: below(a.top20PctMrr, targets.top20CostPctOfMrrMax),
    },
  ];
  return { this_week: thisWeek.bucket.label, last_week: lastWeek.bucket.label, metrics };
}
