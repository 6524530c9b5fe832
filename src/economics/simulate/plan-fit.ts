import { DAY_MS } from '../../limits/cycle.js';
import { projectUsage, type Rounding } from '../../limits/pace.js';
import { type Plan, UNIT_SCALE } from '../../limits/plan.js';
import { add, ceil, cmpWhole, type Exact, exact, mul, round, sum, ZERO } from './exact.js';
import { type Line, TOKEN_EXP, type UsageMonth } from './types.js';

// How a customer-month fits a plan: its usage in the plan's budget unit, projected to the whole cycle at
// its pace, which tier covers it, the day it crosses the soft threshold and the cap, and overage billed.

export interface PricedLine {
  line: Line;
  cost: Exact;
}

/** Usage of some lines in the plan's base unit: pico-USD, pico-credits, tokens or runs (exact). */
export function measure(plan: Plan, lines: readonly PricedLine[]): Exact {
  switch (plan.unit) {
    case 'usd':
      return sum(lines.map((l) => l.cost));
    case 'tokens':
      return exact(
        lines.reduce(
          (s, { line: l }) => s + l.input + l.output + l.cacheRead + l.cacheWrite5m + l.cacheWrite1h,
          0n,
        ),
        TOKEN_EXP,
      );
    case 'runs':
      return exact(
        lines.reduce((s, l) => s + l.line.calls, 0n),
        TOKEN_EXP,
      );
    case 'credits':
      // Per call the gateway rounds credits up; over a month of aggregated calls this is the exact sum.
      return sum(
        lines.map((l) => {
          const perRun = plan.creditsPerRun.get(l.line.feature);
          return perRun !== undefined
            ? mul(exact(l.line.calls, TOKEN_EXP), perRun)
            : mul(l.cost, plan.creditsPerUsd ?? 0n, 12);
        }),
      );
    default:
      return ZERO;
  }
}

/** Money and credits round up (never understated); whole runs and tokens to the nearest (333.3 → 333). */
export const roundingOf = (plan: Plan): Rounding =>
  plan.unit === 'usd' || plan.unit === 'credits' ? 'up' : 'nearest';

/** A month's usage at its pace to the end of the cycle (the month itself when fully observed). */
export function project(used: Exact, u: UsageMonth, rounding: Rounding): bigint {
  const whole = rounding === 'up' ? ceil(used) : round(used);
  return projectUsage(whole, { daysElapsed: u.elapsedMs / DAY_MS, daysTotal: u.daysInCycle }, rounding);
}

/** No budget, or overage billed past it: nothing is refused, so every usage is covered. */
export const unlimited = (p: Plan): boolean => p.cap === undefined || p.atCap === 'overage';

export function covers(plan: Plan, projected: bigint): boolean {
  return unlimited(plan) || projected <= plan.cap!;
}

/**
 * The cheapest plan covering the usage (ties: the larger cap, then the earlier plan), among plans with a
 * budget or a price: a prepaid plan (price 0, no budget) covers anything and would win every comparison.
 */
export function cheapestCovering(plans: readonly Plan[], projectedIn: (p: Plan) => bigint): Plan | undefined {
  let best: Plan | undefined;
  for (const p of plans) {
    if (p.cap === undefined && p.pricePico === 0n) continue;
    if (!covers(p, projectedIn(p))) continue;
    if (!best || p.pricePico < best.pricePico || (p.pricePico === best.pricePico && larger(p, best)))
      best = p;
  }
  return best;
}

function larger(a: Plan, b: Plan): boolean {
  if (unlimited(b)) return false;
  return unlimited(a) || a.cap! > b.cap!;
}

/** Hybrid plans bill usage past the budget at the overage price per whole unit (rounded to the pico). */
export function overagePico(plan: Plan, projected: bigint): bigint {
  if (plan.atCap !== 'overage' || plan.cap === undefined || plan.overagePicoPerUnit === undefined) return 0n;
  const excess = projected - plan.cap;
  if (excess <= 0n) return 0n;
  const scale = UNIT_SCALE[plan.unit!];
  return (2n * excess * plan.overagePicoPerUnit + scale) / (2n * scale);
}

/**
 * The day of the cycle (1-based) on which usage reaches `threshold`, or null. Observed days are walked in
 * order; past them (or with no days observed) usage runs on at its pace: it reaches t on day
 * startDay − 1 + ⌈t × elapsed ÷ used⌉, which for a fully observed synthetic month is ⌈t × D ÷ U⌉ (even spread).
 */
export function crossingDay(
  threshold: bigint,
  u: UsageMonth,
  total: Exact,
  byDay: ReadonlyMap<number, Exact> | undefined,
): number | null {
  if (byDay && byDay.size > 0) {
    let cum = ZERO;
    for (const day of [...byDay.keys()].sort((a, b) => a - b)) {
      cum = add(cum, byDay.get(day)!);
      if (cmpWhole(cum, threshold) >= 0) return day;
    }
  }
  if (total.num <= 0n) return null;
  // day − startDay + 1 ≥ t × elapsedMs / (used × DAY_MS), with used = total.num / 10^exp.
  const num = threshold * 10n ** BigInt(total.exp) * BigInt(u.elapsedMs);
  const den = total.num * BigInt(DAY_MS);
  const day = u.startDay - 1 + Number((num + den - 1n) / den);
  // Days already walked did not reach it: the pace can only cross it on a later, unobserved day.
  const firstOpen = byDay && byDay.size > 0 ? u.startDay + Math.ceil(u.elapsedMs / DAY_MS) : u.startDay;
  return day <= u.daysInCycle ? Math.max(day, firstOpen) : null;
}
