import type { FeatureUsage } from './control-store.js';
import type { Cycle } from './cycle.js';
import { type CallAmount, measure, type Plan } from './plan.js';

/** One call's claim on a customer's budget and wallet, from admission until it settles. */
export interface Reservation {
  id: string;
  customer: string;
  keyId: string;
  /** The worst case, unit-agnostic, so it can be re-measured if the plan changes mid-flight. */
  worst: CallAmount;
  /** Held from the wallet, in pico-USD (0 without a wallet). */
  walletPico: bigint;
  /** Held from TPM buckets. */
  tpmTokens: number;
  state: CustomerState;
  wallet: WalletState | undefined;
  expiresAt: number;
  settled: boolean;
}

/** A prepaid wallet: committed balance (including this process's own debits) and what is held in flight. */
export interface WalletState {
  id: string;
  balance: bigint;
  reserved: bigint;
  /** The latest top-up, which re-arms wallet.low. */
  lastTopUpId: string | null;
}

/**
 * A customer's budget in its current billing cycle: settled spend and in-flight reservations, in the
 * plan's base unit, overall and per feature. JavaScript runs one callback at a time, so check-and-reserve
 * on this object is atomic: that is what makes enforcement exact within a process.
 */
export class CustomerState {
  spent = 0n;
  readonly spentByFeature = new Map<string, bigint>();
  reserved = 0n;
  readonly reservedByFeature = new Map<string, bigint>();
  readonly outstanding = new Set<Reservation>();
  /** Calls admitted and not yet settled (a throttled plan's concurrency). */
  inflight = 0;
  /** Event types already fired this cycle. */
  readonly fired = new Set<string>();
  /** Usage per UTC day start in the plan's base unit, for anomaly detection. */
  readonly daily = new Map<number, bigint>();

  constructor(
    readonly customer: string,
    public plan: Plan | undefined,
    public cycle: Cycle,
    public walletId: string,
  ) {}

  /** Rebuilds settled spend from the ledger's per-feature usage (plus rows still being written). */
  loadSpent(usage: readonly FeatureUsage[], pending: readonly CallAmount[]): void {
    this.spent = 0n;
    this.spentByFeature.clear();
    const plan = this.plan;
    if (!plan) return;
    for (const u of usage) this.addSpent(u.feature, measureUsage(plan, u));
    for (const a of pending) this.addSpent(a.feature, measure(plan, a));
  }

  /** Re-measures what is in flight, after a plan change. */
  remeasureReserved(): void {
    this.reserved = 0n;
    this.reservedByFeature.clear();
    for (const r of this.outstanding) this.hold(r, 1n);
  }

  addSpent(feature: string, v: bigint): void {
    this.spent += v;
    this.spentByFeature.set(feature, (this.spentByFeature.get(feature) ?? 0n) + v);
  }

  /** Adds (sign 1n) or removes (sign -1n) a reservation's worst case. */
  hold(r: Reservation, sign: 1n | -1n): void {
    if (!this.plan) return;
    const v = measure(this.plan, r.worst) * sign;
    this.reserved += v;
    const f = r.worst.feature;
    this.reservedByFeature.set(f, (this.reservedByFeature.get(f) ?? 0n) + v);
  }
}

/** Ledger usage of one feature in a plan's unit (the ledger has no per-row ceiling, so credits round once). */
export function measureUsage(plan: Plan, u: FeatureUsage): bigint {
  switch (plan.unit) {
    case 'usd':
      return u.costPico;
    case 'tokens':
      return u.tokens;
    case 'runs':
      return u.runs;
    case 'credits': {
      const perRun = plan.creditsPerRun.get(u.feature);
      if (perRun !== undefined) return perRun * u.runs;
      return (u.costPico * (plan.creditsPerUsd ?? 0n) + 999_999_999_999n) / 1_000_000_000_000n;
    }
    default:
      return 0n;
  }
}
