import type Database from 'better-sqlite3';
import type { PlanSpan } from '../../economics/reader.js';
import type {
  ControlStore,
  CustomerChange,
  CustomerImportRow,
  CustomerRecord,
  DailyUsage,
  FeatureUsage,
  ImportOutcome,
  StoredPlan,
} from '../../limits/control-store.js';
import type { PlanSpec } from '../../limits/plan-schema.js';
import type { ReservationRecord, WalletEntry } from '../types.js';
import {
  type ControlOp,
  type ControlWrites,
  CUSTOMER_SELECT,
  type CustomerRowDb,
  fromCustomer,
} from './control-writes.js';
import { RAW_EDGES, ROLLUP_DAYS, splitDays } from './day-split.js';
import { idHash } from './pruned-ids.js';
import { DAY_OF_TS, DETAIL } from './rollup-sql.js';

/** Runs a control-plane write: on the control thread in the gateway, on the caller's connection in the CLI. */
export type ControlWriteFn = <K extends ControlOp>(
  op: K,
  ...args: Parameters<ControlWrites[K]>
) => Promise<ReturnType<ControlWrites[K]>>;

interface WalletRowDb {
  id: string;
  wallet: string;
  ts: number;
  amount_pico: bigint;
  reason: string;
  request_id: string | null;
  note: string | null;
}

const TOKENS =
  'input_tokens + output_tokens + cache_write_5m_tokens + cache_write_1h_tokens + cache_read_tokens';
const ROLLUP_TOKENS = '(input_tokens + output_tokens + cache_write_tokens + cache_read_tokens)';

/**
 * Plans, customers, wallets and the reservation journal in the ledger's SQLite file. Reads run on the
 * gateway's connection (WAL: they never wait for a writer); writes go through `write` (see store.ts).
 */
export class SqliteControlStore implements ControlStore {
  constructor(
    private readonly db: Database.Database,
    private readonly write: ControlWriteFn,
  ) {}

  async revision(): Promise<number> {
    return this.db.prepare(`SELECT v FROM control WHERE k = 'revision'`).pluck().get() as number;
  }

  upsertPlans(plans: Record<string, PlanSpec>, at: number): Promise<void> {
    return this.write('upsertPlans', plans, at);
  }

  async listPlans(): Promise<StoredPlan[]> {
    const rows = this.db.prepare('SELECT * FROM plans ORDER BY name').all() as {
      name: string;
      spec: string;
      updated_at: number;
    }[];
    return rows.map((r) => ({ name: r.name, spec: JSON.parse(r.spec) as PlanSpec, updatedAt: r.updated_at }));
  }

  async getCustomer(id: string): Promise<CustomerRecord | undefined> {
    const r = this.db.prepare(`${CUSTOMER_SELECT} WHERE c.id = ?`).get(id) as CustomerRowDb | undefined;
    return r ? fromCustomer(r) : undefined;
  }

  async listCustomers(): Promise<CustomerRecord[]> {
    return (this.db.prepare(`${CUSTOMER_SELECT} ORDER BY c.id`).all() as CustomerRowDb[]).map(fromCustomer);
  }

  setCustomer(c: CustomerChange, at: number): Promise<CustomerRecord> {
    return this.write('setCustomer', c, at);
  }

  importCustomers(rows: readonly CustomerImportRow[], at: number, dryRun: boolean): Promise<ImportOutcome> {
    return this.write('importCustomers', rows, at, dryRun);
  }

  async planHistory(from: number, to: number, customer?: string): Promise<PlanSpan[]> {
    const rows = this.db
      .prepare(
        `SELECT customer, plan, CAST(mrr_pico AS TEXT) AS mrr, from_ts, to_ts FROM customer_plan_history
         WHERE from_ts < @to AND (to_ts IS NULL OR to_ts > @from) AND (@customer IS NULL OR customer = @customer)
         ORDER BY customer, from_ts`,
      )
      .all({ to, from, customer: customer ?? null }) as {
      customer: string;
      plan: string | null;
      mrr: string | null;
      from_ts: number;
      to_ts: number | null;
    }[];
    return rows.map((r) => ({
      customer: r.customer,
      plan: r.plan,
      mrrPico: r.mrr === null ? null : BigInt(r.mrr),
      from: r.from_ts,
      to: r.to_ts,
    }));
  }

  addWalletEntry(e: WalletEntry): Promise<void> {
    return this.write('addWalletEntry', e);
  }

  async walletBalance(wallet: string, exclude: readonly string[]): Promise<bigint> {
    const v = this.db
      .prepare(
        `SELECT COALESCE(SUM(amount_pico), 0) FROM wallet_entries
         WHERE wallet = ? AND id NOT IN (SELECT value FROM json_each(?))`,
      )
      .pluck()
      .safeIntegers(true)
      .get(wallet, JSON.stringify(exclude)) as bigint;
    return BigInt(v);
  }

  async walletEntries(wallet: string, limit: number): Promise<WalletEntry[]> {
    const rows = this.db
      .prepare('SELECT * FROM wallet_entries WHERE wallet = ? ORDER BY ts DESC, rowid DESC LIMIT ?')
      .safeIntegers(true)
      .all(wallet, limit) as WalletRowDb[];
    return rows.map((r) => ({
      id: r.id,
      wallet: r.wallet,
      ts: Number(r.ts),
      amountPico: BigInt(r.amount_pico),
      reason: r.reason,
      requestId: r.request_id,
      note: r.note,
    }));
  }

  async lastTopUp(wallet: string): Promise<string | null> {
    const id = this.db
      .prepare(
        'SELECT id FROM wallet_entries WHERE wallet = ? AND amount_pico > 0 ORDER BY ts DESC, rowid DESC LIMIT 1',
      )
      .pluck()
      .get(wallet) as string | undefined;
    return id ?? null;
  }

  async listWallets(): Promise<string[]> {
    return this.db.prepare('SELECT DISTINCT wallet FROM wallet_entries').pluck().all() as string[];
  }

  /**
   * Whole days from the customer × day rollup (it outlives pruned rows) less the excluded calls that are
   * already in it (calls in flight are recent, so their raw rows are there), plus the ragged ends of the
   * range from raw rows. One statement: one snapshot of rollups and rows alike.
   */
  async usageByFeature(
    customer: string,
    from: number,
    to: number,
    exclude: readonly string[],
  ): Promise<FeatureUsage[]> {
    const rows = this.db
      .prepare(
        `SELECT feature, SUM(cost) AS cost, SUM(tokens) AS tokens, SUM(runs) AS runs FROM (
           SELECT feature, requests AS n, cost_pico AS cost, ${ROLLUP_TOKENS} AS tokens, used_requests AS runs
           FROM ${DETAIL.table} WHERE customer = @customer AND ${ROLLUP_DAYS}
           UNION ALL
           SELECT feature, -1, -COALESCE(cost_pico, 0), -(${TOKENS}), -((${TOKENS}) > 0)
           FROM requests WHERE customer = @customer AND ts >= @d0 AND ts < @d1
             AND id IN (SELECT value FROM json_each(@exclude))
           UNION ALL
           SELECT feature, 1, COALESCE(cost_pico, 0), ${TOKENS}, (${TOKENS}) > 0
           FROM requests WHERE customer = @customer AND ${RAW_EDGES}
             AND id NOT IN (SELECT value FROM json_each(@exclude))
         ) GROUP BY feature HAVING SUM(n) > 0`,
      )
      .safeIntegers(true)
      .all({ customer, exclude: JSON.stringify(exclude), ...splitDays(from, to) }) as Record<
      string,
      bigint | string
    >[];
    return rows.map((r) => ({
      feature: String(r.feature),
      costPico: BigInt(r.cost as bigint),
      tokens: BigInt(r.tokens as bigint),
      runs: BigInt(r.runs as bigint),
    }));
  }

  async usageByDay(customer: string, from: number, to: number): Promise<DailyUsage[]> {
    const rows = this.db
      .prepare(
        `SELECT day, SUM(cost) AS cost, SUM(tokens) AS tokens, SUM(runs) AS runs FROM (
           SELECT day, cost_pico AS cost, ${ROLLUP_TOKENS} AS tokens, used_requests AS runs
           FROM ${DETAIL.table} WHERE customer = @customer AND ${ROLLUP_DAYS}
           UNION ALL
           SELECT ${DAY_OF_TS}, COALESCE(cost_pico, 0), ${TOKENS}, (${TOKENS}) > 0
           FROM requests WHERE customer = @customer AND ${RAW_EDGES}
         ) GROUP BY day ORDER BY day`,
      )
      .safeIntegers(true)
      .all({ customer, ...splitDays(from, to) }) as Record<string, bigint>[];
    return rows.map((r) => ({
      day: Number(r.day),
      costPico: BigInt(r.cost as bigint),
      tokens: BigInt(r.tokens as bigint),
      runs: BigInt(r.runs as bigint),
    }));
  }

  async listReservations(): Promise<ReservationRecord[]> {
    const rows = this.db.prepare('SELECT * FROM reservations ORDER BY created_at').all() as {
      id: string;
      customer: string;
      created_at: number;
      expires_at: number;
      spec: string;
    }[];
    return rows.map((r) => ({
      id: r.id,
      customer: r.customer,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      spec: r.spec,
    }));
  }

  async hasRequest(id: string): Promise<boolean> {
    // A pruned row was in the ledger too (its sums are in the rollups).
    if (this.db.prepare('SELECT 1 FROM requests WHERE id = ?').get(id) !== undefined) return true;
    return this.db.prepare('SELECT 1 FROM pruned_requests WHERE id_hash = ?').get(idHash(id)) !== undefined;
  }
}
