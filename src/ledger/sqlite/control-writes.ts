import type Database from 'better-sqlite3';
import type {
  CustomerChange,
  CustomerImportRow,
  CustomerRecord,
  ImportOutcome,
} from '../../limits/control-store.js';
import type { PlanSpec } from '../../limits/plan-schema.js';
import { picoToUsd } from '../../util/money.js';
import type { VirtualKeyRecord, WalletEntry } from '../types.js';
import { preparePlanHistory } from './plan-history.js';
import { fromKeyRow, type KeyRowDb } from './rows.js';

export interface CustomerRowDb {
  id: string;
  plan: string | null;
  cycle_day: number;
  wallet: string | null;
  created_at: number;
  updated_at: number;
  /** The open plan-history span's MRR in pico-USD, as text (see CUSTOMER_SELECT). */
  mrr?: string | null;
}

/** Customers with the MRR of the span in force (as text: pico-USD may pass 2^53). */
export const CUSTOMER_SELECT = `SELECT c.*, (SELECT CAST(h.mrr_pico AS TEXT) FROM customer_plan_history h
    WHERE h.customer = c.id AND h.to_ts IS NULL ORDER BY h.from_ts DESC LIMIT 1) AS mrr FROM customers c`;

export const fromCustomer = (r: CustomerRowDb): CustomerRecord => ({
  id: r.id,
  plan: r.plan,
  cycleDay: r.cycle_day,
  wallet: r.wallet ?? r.id,
  mrrUsd: r.mrr === null || r.mrr === undefined ? null : picoToUsd(BigInt(r.mrr)),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * Every write of the control plane (plans, customers, top-ups, keys), as plain functions of their
 * arguments so the same code runs on the caller's connection (CLI) or on the control thread (gateway).
 * Each is one IMMEDIATE transaction: a held write lock is met at BEGIN, where the busy timeout applies.
 */
export interface ControlWrites {
  upsertPlans(plans: Record<string, PlanSpec>, at: number): void;
  setCustomer(c: CustomerChange, at: number): CustomerRecord;
  importCustomers(rows: readonly CustomerImportRow[], at: number, dryRun: boolean): ImportOutcome;
  addWalletEntry(e: WalletEntry): void;
  insertKey(k: VirtualKeyRecord): void;
  revokeKey(idOrPrefix: string, at: number): VirtualKeyRecord | undefined;
}

export type ControlOp = keyof ControlWrites;

/** One write as a message: its name and arguments (structured-clonable, bigint included). */
export type ControlCall = { [K in ControlOp]: { op: K; args: Parameters<ControlWrites[K]> } }[ControlOp];

const DRY_RUN = Symbol('dry run');

export function prepareControlWrites(db: Database.Database): ControlWrites {
  // Any writer bumps the revision, which gateways poll to pick up control-plane changes at once.
  const bump = db.prepare(`UPDATE control SET v = v + 1 WHERE k = 'revision'`);
  const putPlan = db.prepare(
    `INSERT INTO plans VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at`,
  );
  const planExists = db.prepare('SELECT 1 FROM plans WHERE name = ?');
  const getCustomer = db.prepare(`${CUSTOMER_SELECT} WHERE c.id = ?`);
  const putCustomer = db.prepare(
    `INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET
       plan = excluded.plan, cycle_day = excluded.cycle_day, wallet = excluded.wallet,
       updated_at = excluded.updated_at`,
  );
  const putWallet = db.prepare('INSERT INTO wallet_entries VALUES (?, ?, ?, ?, ?, ?, ?)');
  const putKey = db.prepare(
    `INSERT INTO virtual_keys (id, hash, prefix, kind, customer, name, created_at, revoked_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const revoke = db.prepare(
    `UPDATE virtual_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? OR prefix = ? RETURNING *`,
  );
  const tx = <A extends unknown[], R>(fn: (...a: A) => R) => {
    const t = db.transaction(fn);
    return (...a: A): R => t.immediate(...a);
  };
  const history = preparePlanHistory(db);
  /**
   * One customer's change inside the caller's transaction: the customers row, and a new plan-history
   * span when the plan or MRR changes. `always`: write the row even when nothing changed (set-plan
   * stamps updated_at); an import leaves unchanged customers untouched so a re-import changes nothing.
   */
  const applyCustomer = (c: CustomerChange, at: number, always: boolean): keyof ImportOutcome => {
    if (c.plan && !planExists.get(c.plan))
      throw new Error(
        `plan: no plan named ${JSON.stringify(c.plan)} for customer ${JSON.stringify(c.id)} (apply plans.yaml first)`,
      );
    const cur = getCustomer.get(c.id) as CustomerRowDb | undefined;
    const effective = c.since ?? at;
    // A new customer's cycle is anchored on the day it started (or is created) unless one is given.
    const cycleDay = c.cycleDay ?? cur?.cycle_day ?? new Date(effective).getUTCDate();
    const plan = c.plan === undefined ? (cur?.plan ?? null) : c.plan;
    const wallet = c.wallet ?? cur?.wallet ?? null;
    const open = history.current(c.id);
    const mrr = c.mrrPico !== undefined ? c.mrrPico : open && open.plan === plan ? open.mrrPico : null;
    const spanChanged = history.record(c.id, plan, mrr, effective);
    const rowChanged =
      !cur || cur.plan !== plan || cur.cycle_day !== cycleDay || (cur.wallet ?? null) !== wallet;
    if (always || rowChanged || spanChanged)
      putCustomer.run(c.id, plan, cycleDay, wallet, cur?.created_at ?? at, at);
    return !cur ? 'created' : rowChanged || spanChanged ? 'changed' : 'unchanged';
  };
  return {
    upsertPlans: tx((plans: Record<string, PlanSpec>, at: number) => {
      for (const [name, spec] of Object.entries(plans)) putPlan.run(name, JSON.stringify(spec), at);
      bump.run();
    }),
    setCustomer: tx((c: CustomerChange, at: number) => {
      applyCustomer(c, at, true);
      bump.run();
      return fromCustomer(getCustomer.get(c.id) as CustomerRowDb);
    }),
    importCustomers: (rows: readonly CustomerImportRow[], at: number, dryRun: boolean) => {
      let outcome: ImportOutcome | undefined;
      try {
        tx(() => {
          const n: ImportOutcome = { created: 0, changed: 0, unchanged: 0 };
          for (const r of rows) n[applyCustomer(r, at, false)]++;
          if (n.created + n.changed > 0) bump.run();
          outcome = n;
          if (dryRun) throw DRY_RUN; // rolls the transaction back
        })();
      } catch (e) {
        if (e !== DRY_RUN) throw e;
      }
      return outcome as ImportOutcome;
    },
    addWalletEntry: tx((e: WalletEntry) => {
      putWallet.run(e.id, e.wallet, e.ts, e.amountPico, e.reason, e.requestId, e.note);
      bump.run();
    }),
    insertKey: tx((k: VirtualKeyRecord) => {
      putKey.run(k.id, k.hash, k.prefix, k.kind, k.customer, k.name, k.createdAt, k.revokedAt);
    }),
    revokeKey: tx((idOrPrefix: string, at: number) => {
      const row = revoke.get(at, idOrPrefix, idOrPrefix) as KeyRowDb | undefined;
      return row ? fromKeyRow(row) : undefined;
    }),
  };
}

/** Runs one write message against prepared writes (the control thread's dispatch). */
export function runControlCall(w: ControlWrites, call: ControlCall): unknown {
  // The union is correlated by `op`; TypeScript cannot follow that through an index, so spread per case.
  switch (call.op) {
    case 'upsertPlans':
      return w.upsertPlans(...call.args);
    case 'setCustomer':
      return w.setCustomer(...call.args);
    case 'importCustomers':
      return w.importCustomers(...call.args);
    case 'addWalletEntry':
      return w.addWalletEntry(...call.args);
    case 'insertKey':
      return w.insertKey(...call.args);
    case 'revokeKey':
      return w.revokeKey(...call.args);
  }
}
