import { randomBytes } from 'node:crypto';
import type { EventRecord } from '../ledger/types.js';
import { picoToUsd } from '../util/money.js';
import type { CustomerState, WalletState } from './customer-state.js';
import { cycleProgress } from './cycle.js';
import { cheapestCovering, dailyAverage, projectUsage } from './pace.js';
import { formatUnits, type Plan } from './plan.js';

export type EventType =
  | 'budget.soft_reached'
  | 'budget.exhausted'
  | 'budget.blocked'
  | 'wallet.low'
  | 'usage.anomaly';

const newEventId = (): string => `evt_${randomBytes(12).toString('hex')}`;

/**
 * The upgrade math every budget event carries: usage so far, days elapsed, where this pace ends the
 * cycle, and the cheapest plan (same unit) whose budget would cover that.
 */
export function upgradeMath(state: CustomerState, plans: Iterable<Plan>, now: number, upgradeUrl?: string) {
  const plan = state.plan;
  const unit = plan?.unit ?? 'usd';
  const progress = cycleProgress(state.cycle, now);
  const rounding = unit === 'runs' ? 'nearest' : 'up';
  const projected = projectUsage(state.spent, progress, rounding);
  const options = [...plans]
    .filter((p) => p.unit === unit && (p.cap !== undefined || p.atCap === 'overage'))
    .map((p) => ({
      plan: p,
      name: p.name,
      pricePico: p.pricePico,
      capacity: p.atCap === 'overage' ? null : (p.cap ?? null),
    }));
  const best = cheapestCovering(options, projected);
  return {
    customer: state.customer,
    plan: plan?.name ?? null,
    unit,
    used: formatUnits(state.spent, unit),
    cap: plan?.cap === undefined ? null : formatUnits(plan.cap, unit),
    percent_used: plan?.cap ? Number((state.spent * 10_000n) / plan.cap) / 100 : null,
    cycle_start: new Date(state.cycle.start).toISOString(),
    cycle_end: new Date(state.cycle.end).toISOString(),
    days_elapsed: Math.round(progress.daysElapsed * 100) / 100,
    days_in_cycle: Math.round(progress.daysTotal * 100) / 100,
    daily_average: formatUnits(dailyAverage(state.spent, progress, rounding), unit),
    projected_cycle_usage: formatUnits(projected, unit),
    recommended_plan: best
      ? {
          name: best.name,
          price_usd: picoToUsd(best.pricePico),
          budget: best.capacity === null ? null : formatUnits(best.capacity, unit),
        }
      : null,
    upgrade_url: plan?.upgradeUrl ?? upgradeUrl ?? null,
  };
}

/** An outbox record; the dedupe key makes it once per customer, threshold and cycle. */
export function budgetEvent(
  type: EventType,
  state: CustomerState,
  plans: Iterable<Plan>,
  now: number,
  upgradeUrl: string | undefined,
  extra: Record<string, unknown> = {},
): EventRecord {
  return {
    id: newEventId(),
    type,
    customer: state.customer,
    ts: now,
    dedupeKey: `${type}:${state.customer}:${state.plan?.name ?? '-'}:${state.cycle.start}`,
    payload: JSON.stringify({ ...upgradeMath(state, plans, now, upgradeUrl), ...extra }),
  };
}

/** wallet.low re-arms with every top-up: its dedupe key names the latest one. */
export function walletLowEvent(
  customer: string,
  wallet: WalletState,
  thresholdPico: bigint,
  now: number,
): EventRecord {
  return {
    id: newEventId(),
    type: 'wallet.low',
    customer,
    ts: now,
    dedupeKey: `wallet.low:${wallet.id}:${wallet.lastTopUpId ?? 'initial'}`,
    payload: JSON.stringify({
      customer,
      wallet: wallet.id,
      balance_usd: picoToUsd(wallet.balance),
      threshold_usd: picoToUsd(thresholdPico),
    }),
  };
}
