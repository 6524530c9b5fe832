import { picoToUsd } from '../util/money.js';
import type { CustomerState, WalletState } from './customer-state.js';
import type { LimitsEngine } from './engine.js';
import { upgradeMath } from './events.js';
import { formatUnits, overageCharge } from './plan.js';

/**
 * Response headers on every call of a customer with limits: budget used/remaining and reset, wallet
 * balance, rate-limit room. Values are as of when the headers go out (a stream's own cost is not in yet).
 */
export function quotaHeaders(
  state: CustomerState | undefined,
  wallet: WalletState | undefined,
): Record<string, string> {
  const h: Record<string, string> = {};
  const plan = state?.plan;
  if (state && plan) {
    h['x-margin-plan'] = plan.name;
    if (plan.cap !== undefined && plan.unit) {
      const remaining = plan.cap > state.spent ? plan.cap - state.spent : 0n;
      h['x-margin-budget-unit'] = plan.unit;
      h['x-margin-budget-limit'] = formatUnits(plan.cap, plan.unit);
      h['x-margin-budget-used'] = formatUnits(state.spent, plan.unit);
      h['x-margin-budget-remaining'] = formatUnits(remaining, plan.unit);
      h['x-margin-budget-reset'] = new Date(state.cycle.end).toISOString();
    }
  }
  if (wallet) h['x-margin-wallet-balance-usd'] = picoToUsd(wallet.balance);
  return h;
}

/** GET /v1/margin/usage: a customer's own usage, cap, pace and limits, for showing in-app. */
export async function usageReport(limits: LimitsEngine, customer: string, now: number) {
  const policy = await limits.policy(customer);
  if (!policy) return { customer, plan: null, budget: null, wallet: null, rate_limits: null };
  const { state, wallet } = policy;
  const plan = state.plan;
  const math = upgradeMath(state, limits.planList, now, limits.upgradeUrl);
  const unit = plan?.unit;
  const overage =
    plan?.atCap === 'overage' && plan.cap !== undefined && unit && state.spent > plan.cap
      ? state.spent - plan.cap
      : 0n;
  return {
    customer,
    plan: plan ? { name: plan.name, price_usd: picoToUsd(plan.pricePico), at_cap: plan.atCap } : null,
    budget:
      plan?.cap !== undefined && unit
        ? {
            unit,
            cap: formatUnits(plan.cap, unit),
            used: formatUnits(state.spent, unit),
            reserved: formatUnits(state.reserved, unit),
            remaining: formatUnits(plan.cap > state.spent ? plan.cap - state.spent : 0n, unit),
            percent_used: math.percent_used,
            soft_threshold: plan.softAt === undefined ? null : formatUnits(plan.softAt, unit),
            soft_reached: plan.softAt !== undefined && state.spent >= plan.softAt,
            exhausted: state.spent >= plan.cap,
            cycle_start: math.cycle_start,
            reset_at: math.cycle_end,
            pace: {
              days_elapsed: math.days_elapsed,
              days_in_cycle: math.days_in_cycle,
              daily_average: math.daily_average,
              projected_cycle_usage: math.projected_cycle_usage,
            },
            features: Object.fromEntries(
              [...plan.featureCaps].map(([f, cap]) => [
                f,
                { cap: formatUnits(cap, unit), used: formatUnits(state.spentByFeature.get(f) ?? 0n, unit) },
              ]),
            ),
            overage:
              plan.atCap === 'overage'
                ? {
                    units: formatUnits(overage, unit),
                    charge_usd: picoToUsd(overageCharge(overage, plan.overagePicoPerUnit ?? 0n, unit)),
                  }
                : null,
            recommended_plan: math.recommended_plan,
            upgrade_url: math.upgrade_url,
          }
        : null,
    wallet: wallet
      ? { id: wallet.id, balance_usd: picoToUsd(wallet.balance), reserved_usd: picoToUsd(wallet.reserved) }
      : null,
    rate_limits: plan ? plan.rate : null,
  };
}

/**
 * What the customer's calls in flight hold reserved right now. It lives in the serving gateway's memory
 * (the ledger journals only that a call is in flight), so only the gateway can answer with amounts.
 */
export async function reservedReport(limits: LimitsEngine, customer: string) {
  const policy = await limits.policy(customer);
  const state = policy?.state;
  const unit = state?.plan?.cap !== undefined ? state.plan.unit : undefined;
  return {
    calls: state?.inflight ?? 0,
    unit: unit ?? null,
    budget: state && unit ? formatUnits(state.reserved, unit) : null,
    /** The wallet's whole reservation (a shared wallet holds its other customers' calls too). */
    wallet_usd: policy?.wallet ? picoToUsd(policy.wallet.reserved) : null,
  };
}
