import { picoToUsd, usdToPico } from '../util/money.js';
import type { PlanSpec } from './plan-schema.js';

export type BudgetUnit = 'usd' | 'credits' | 'tokens' | 'runs';

/**
 * A plan compiled for the request path: every amount an integer in the budget's base unit — pico-USD for
 * `usd`, pico-credits for `credits`, whole tokens or runs otherwise — so counters are exact BigInt sums.
 */
export interface Plan {
  name: string;
  spec: PlanSpec;
  pricePico: bigint;
  unit: BudgetUnit | undefined;
  /** The monthly allowance in base units; undefined = no budget (rate limits or wallet only). */
  cap: bigint | undefined;
  softAt: bigint | undefined;
  softLanes: ReadonlyMap<string, string>;
  /** What happens at the cap: refuse, degrade, or bill overage (hybrid plans). */
  atCap: 'block' | 'throttle' | 'overage';
  throttleLanes: ReadonlyMap<string, string>;
  throttleConcurrency: number;
  /** Hybrid plans: pico-USD per whole unit past the cap. */
  overagePicoPerUnit: bigint | undefined;
  /** credits: pico-credits per USD of cost (so per pico-USD it divides by 1e12). */
  creditsPerUsd: bigint | undefined;
  creditsPerRun: ReadonlyMap<string, bigint>;
  featureCaps: ReadonlyMap<string, bigint>;
  rate: PlanSpec['rateLimits'];
  upgradeUrl: string | undefined;
  walletLowPico: bigint | undefined;
}

/** Base units per whole unit: amounts in USD and credits keep 12 decimals. */
export const UNIT_SCALE: Record<BudgetUnit, bigint> = {
  usd: 1_000_000_000_000n,
  credits: 1_000_000_000_000n,
  tokens: 1n,
  runs: 1n,
};

/** Overage in base units × USD per whole unit, rounded up to the pico-USD (what the customer is billed). */
export function overageCharge(units: bigint, picoPerUnit: bigint, unit: BudgetUnit): bigint {
  const scale = UNIT_SCALE[unit];
  return (units * picoPerUnit + scale - 1n) / scale;
}

/** A validated decimal string in whole units → base units (rounded up: a cap is never loosened). */
export function toBase(decimal: string, unit: BudgetUnit): bigint {
  const pico = usdToPico(decimal); // exact 12-decimal parse, whatever the unit
  const scale = UNIT_SCALE[unit];
  return (pico * scale + 999_999_999_999n) / 1_000_000_000_000n;
}

/** Base units → a decimal string in whole units, e.g. 1500000000000n usd → "1.5". */
export function formatUnits(v: bigint, unit: BudgetUnit): string {
  // USD and credits both keep 12 decimals, exactly as money is printed.
  return UNIT_SCALE[unit] === 1n ? v.toString() : picoToUsd(v);
}

const percentOf = (v: bigint, percent: number): bigint =>
  (v * BigInt(Math.round(percent * 1000)) + 99_999n) / 100_000n;

export function compilePlan(name: string, spec: PlanSpec): Plan {
  const b = spec.budget;
  const unit = b?.unit;
  const cap = b && unit ? toBase(b.amount, unit) : undefined;
  const featureCaps = new Map<string, bigint>();
  for (const [feature, f] of Object.entries(spec.features)) {
    if (cap === undefined || !unit) continue;
    featureCaps.set(
      feature,
      f.amount !== undefined ? toBase(f.amount, unit) : percentOf(cap, f.maxPercent ?? 100),
    );
  }
  return {
    name,
    spec,
    pricePico: usdToPico(spec.priceUsd),
    unit,
    cap,
    softAt: cap === undefined ? undefined : percentOf(cap, spec.soft.thresholdPercent),
    softLanes: new Map(Object.entries(spec.soft.lanes ?? {})),
    atCap: spec.overage ? 'overage' : spec.hardCap.action,
    throttleLanes: new Map(Object.entries(spec.hardCap.lanes ?? spec.soft.lanes ?? {})),
    throttleConcurrency: spec.hardCap.concurrency,
    overagePicoPerUnit: spec.overage ? usdToPico(spec.overage.pricePerUnitUsd) : undefined,
    creditsPerUsd: b?.creditsPerUsd ? usdToPico(b.creditsPerUsd) : undefined,
    creditsPerRun: new Map(Object.entries(b?.creditsPerRun ?? {}).map(([f, v]) => [f, usdToPico(v)])),
    featureCaps,
    rate: spec.rateLimits,
    upgradeUrl: spec.upgradeUrl,
    walletLowPico: spec.walletLowUsd ? usdToPico(spec.walletLowUsd) : undefined,
  };
}

/** What one call amounts to, before it is converted into a plan's unit. */
export interface CallAmount {
  feature: string;
  /** null when unpriced. */
  costPico: bigint | null;
  tokens: number;
  /** The call reached a model and used something. */
  billable: boolean;
}

/** A call in the plan's base unit. An unpriced call under a money budget is refused before it is sent. */
export function measure(plan: Plan, a: CallAmount): bigint {
  if (!a.billable) return 0n;
  switch (plan.unit) {
    case 'usd':
      return a.costPico ?? 0n;
    case 'tokens':
      return BigInt(a.tokens);
    case 'runs':
      return 1n;
    case 'credits': {
      const perRun = plan.creditsPerRun.get(a.feature);
      if (perRun !== undefined) return perRun;
      const rate = plan.creditsPerUsd ?? 0n;
      return ((a.costPico ?? 0n) * rate + 999_999_999_999n) / 1_000_000_000_000n;
    }
    default:
      return 0n;
  }
}

/** Whether pricing matters for this plan's budget (an unpriced model cannot be admitted against it). */
export function needsPrice(plan: Plan, feature: string): boolean {
  return plan.unit === 'usd' || (plan.unit === 'credits' && !plan.creditsPerRun.has(feature));
}
