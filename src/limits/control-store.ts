import type { PlanSpan } from '../economics/reader.js';
import type { ReservationRecord, WalletEntry } from '../ledger/types.js';
import type { PlanSpec } from './plan-schema.js';

export interface StoredPlan {
  name: string;
  spec: PlanSpec;
  updatedAt: number;
}

export interface CustomerRecord {
  id: string;
  plan: string | null;
  /** Day of month (1–31, UTC) the customer's billing cycle starts on. */
  cycleDay: number;
  /** The prepaid wallet this customer draws from (its own id unless it shares a workspace wallet). */
  wallet: string;
  /** Monthly revenue set for the plan in force (exact decimal USD); null: the plan's priceUsd. */
  mrrUsd: string | null;
  createdAt: number;
  updatedAt: number;
}

/** A change to one customer; absent fields keep their value. */
export interface CustomerChange {
  id: string;
  plan?: string | null;
  cycleDay?: number;
  wallet?: string;
  /**
   * Monthly revenue in pico-USD (null: the plan's price). Absent: kept while the plan stays the same,
   * back to the plan's price when the plan changes (a negotiated price belongs to its plan).
   */
  mrrPico?: bigint | null;
  /** When a plan or MRR change took effect (epoch ms, not after now); default: now. */
  since?: number;
}

/** One row of `margin customers import`: the customer's whole plan state (empty mrr = the plan's price). */
export interface CustomerImportRow {
  id: string;
  plan: string | null;
  mrrPico: bigint | null;
  since?: number;
}

export interface ImportOutcome {
  created: number;
  changed: number;
  unchanged: number;
}

/** A customer's usage in a period, per feature, read from the ledger. */
export interface FeatureUsage {
  feature: string;
  costPico: bigint;
  tokens: bigint;
  runs: bigint;
}

export interface DailyUsage {
  day: number; // epoch ms of 00:00 UTC
  costPico: bigint;
  tokens: bigint;
  runs: bigint;
}

/**
 * The control plane's storage: plans, customers, wallets, the reservation journal. Writes made here by a
 * CLI or the admin API bump `revision`, which the gateway polls to pick changes up at once.
 */
export interface ControlStore {
  revision(): Promise<number>;
  upsertPlans(plans: Record<string, PlanSpec>, at: number): Promise<void>;
  listPlans(): Promise<StoredPlan[]>;
  getCustomer(id: string): Promise<CustomerRecord | undefined>;
  listCustomers(): Promise<CustomerRecord[]>;
  /** Creates or updates a customer; throws when the plan does not exist. */
  setCustomer(c: CustomerChange, at: number): Promise<CustomerRecord>;
  /** Applies every row in one transaction (all or nothing); `dryRun` counts and rolls back. */
  importCustomers(rows: readonly CustomerImportRow[], at: number, dryRun: boolean): Promise<ImportOutcome>;
  /** Plan-history spans overlapping [from, to), by customer then start; optionally one customer's. */
  planHistory(from: number, to: number, customer?: string): Promise<PlanSpan[]>;
  /** A wallet movement made outside the request path (top-up, adjustment). */
  addWalletEntry(e: WalletEntry): Promise<void>;
  /** The balance from committed entries, leaving out those ids (the caller adds them from memory). */
  walletBalance(wallet: string, exclude: readonly string[]): Promise<bigint>;
  walletEntries(wallet: string, limit: number): Promise<WalletEntry[]>;
  /** The id of the wallet's latest top-up (which re-arms wallet.low), if any. */
  lastTopUp(wallet: string): Promise<string | null>;
  /** Every wallet that has ever had a movement. */
  listWallets(): Promise<string[]>;
  /** Ledger usage in [from, to), per feature, leaving out those request ids. */
  usageByFeature(
    customer: string,
    from: number,
    to: number,
    exclude: readonly string[],
  ): Promise<FeatureUsage[]>;
  /** Ledger usage per UTC day in [from, to). */
  usageByDay(customer: string, from: number, to: number): Promise<DailyUsage[]>;
  listReservations(): Promise<ReservationRecord[]>;
  /** Whether the ledger holds a row for this request id. */
  hasRequest(id: string): Promise<boolean>;
}
