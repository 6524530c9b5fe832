import { picoToUsd } from '../util/money.js';
import { type ErrorDetails, GatewayError } from '../wire/errors.js';
import type { CustomerState, WalletState } from './customer-state.js';
import { formatUnits, type Plan } from './plan.js';

type RefusalCode = 'budget_exceeded' | 'feature_quota_exceeded' | 'wallet_insufficient';

const unitLabel = (v: bigint, plan: Plan | undefined): string => {
  const unit = plan?.unit ?? 'usd';
  const n = formatUnits(v, unit);
  return unit === 'usd' ? `$${n}` : `${n} ${unit}`;
};

/**
 * A 402 that says what happened and what to do: plan, used, cap, reset time, the upgrade URL, and, when a
 * smaller max_tokens would still fit, that number.
 */
export function budgetRefusal(
  code: RefusalCode,
  state: CustomerState,
  plan: Plan | undefined,
  need: bigint,
  req: { fittingMaxTokens: (room: bigint, plan: Plan) => number | undefined; worst: { feature: string } },
  defaultUpgradeUrl: string | undefined,
  wallet?: WalletState,
): GatewayError {
  const upgradeUrl = plan?.upgradeUrl ?? defaultUpgradeUrl ?? null;
  const reset = new Date(state.cycle.end).toISOString();
  const details: ErrorDetails = {
    plan: plan?.name ?? null,
    unit: plan?.unit ?? 'usd',
    reset_at: reset,
    upgrade_url: upgradeUrl,
  };
  let what: string;
  let room: bigint;
  if (code === 'wallet_insufficient' && wallet) {
    room = wallet.balance;
    Object.assign(details, {
      unit: 'usd',
      wallet: wallet.id,
      balance_usd: picoToUsd(wallet.balance),
      needed: picoToUsd(need),
    });
    what = `Prepaid balance too low: $${picoToUsd(wallet.balance)} left, this request may cost up to $${picoToUsd(need)}. Top up the wallet to continue.`;
  } else {
    const feature = req.worst.feature;
    const cap = (code === 'feature_quota_exceeded' ? plan?.featureCaps.get(feature) : plan?.cap) ?? 0n;
    const used = (code === 'feature_quota_exceeded' ? state.spentByFeature.get(feature) : state.spent) ?? 0n;
    room = cap > used ? cap - used : 0n;
    const unit = plan?.unit ?? 'usd';
    Object.assign(details, {
      used: formatUnits(used, unit),
      cap: formatUnits(cap, unit),
      remaining: formatUnits(room, unit),
      needed: formatUnits(need, unit),
      ...(code === 'feature_quota_exceeded' ? { feature } : {}),
    });
    const scope = code === 'feature_quota_exceeded' ? `Feature "${feature}" quota` : 'Monthly AI budget';
    what = `${scope} reached on plan ${plan?.name}: used ${unitLabel(used, plan)} of ${unitLabel(cap, plan)}; this request may use up to ${unitLabel(need, plan)}. Resets ${reset}.`;
  }
  const fit = plan ? req.fittingMaxTokens(room, plan) : undefined;
  if (fit !== undefined) {
    details.suggested_max_tokens = fit;
    what += ` A request with max_tokens ≤ ${fit} would fit.`;
  }
  if (upgradeUrl) what += ` Upgrade: ${upgradeUrl}`;
  return new GatewayError(code, what, undefined, details);
}

export function rateLimited(
  retryAfterMs: number,
  plan: Plan | undefined,
  buckets: readonly { key: string; perMinute: number }[],
): GatewayError {
  const sec = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const limits = buckets.map((b) => `${b.key.split(':').at(-1)}=${b.perMinute}`).join(', ');
  return new GatewayError(
    'rate_limited',
    `Rate limit reached on plan ${plan?.name ?? '-'} (${limits} per minute); retry in ${sec}s.`,
    undefined,
    { plan: plan?.name ?? null, retry_after_ms: Math.ceil(retryAfterMs) },
    sec,
  );
}

export function budgetBusy(plan: Plan | undefined): GatewayError {
  return new GatewayError(
    'budget_busy',
    'This request fits the remaining budget only if calls still in flight cost less than they may; they did not finish in time. Retry shortly.',
    undefined,
    { plan: plan?.name ?? null },
    1,
  );
}

export function unpricedRefusal(model: unknown, against: string): GatewayError {
  return new GatewayError(
    'unpriced_model',
    `model: ${String(model)} has no price, so it cannot be charged against ${against === 'wallet' ? 'a prepaid wallet' : `plan ${against}'s budget`}; add a price under pricing.overrides`,
    'model',
    { plan: against === 'wallet' ? null : against },
  );
}
