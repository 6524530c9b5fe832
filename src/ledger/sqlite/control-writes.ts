import type Database from 'better-sqlite3';
import type { CustomerRecord } from '../../limits/control-store.js';
import type { PlanSpec } from '../../limits/plan-schema.js';
import type { VirtualKeyRecord, WalletEntry } from '../types.js';
import { fromKeyRow, type KeyRowDb } from './rows.js';

export interface CustomerRowDb {
  id: string;
  plan: string | null;
  cycle_day: number;
  wallet: string | null;
  created_at: number;
  updated_at: number;
}

export const fromCustomer = (r: CustomerRowDb): CustomerRecord => ({
  id: r.id,
  plan: r.plan,
  cycleDay: r.cycle_day,
  wallet: r.wallet ?? r.id,
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
  setCustomer(
    c: { id: string; plan?: string | null; cycleDay?: number; wallet?: string },
    at: number,
  ): CustomerRecord;
  addWalletEntry(e: WalletEntry): void;
  insertKey(k: VirtualKeyRecord): void;
  revokeKey(idOrPrefix: string, at: number): VirtualKeyRecord | undefined;
}

export type ControlOp = keyof ControlWrites;

/** One write as a message: its name and arguments (structured-clonable, bigint included). */
export type ControlCall = { [K in ControlOp]: { op: K; args: Parameters<ControlWrites[K]> } }[ControlOp];

export function prepareControlWrites(db: Database.Database): ControlWrites {
  // Any writer bumps the revision, which gateways poll to pick up control-plane changes at once.
  const bump = db.prepare(`UPDATE control SET v = v + 1 WHERE k = 'revision'`);
  const putPlan = db.prepare(
    `INSERT INTO plans VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at`,
  );
  const planExists = db.prepare('SELECT 1 FROM plans WHERE name = ?');
  const getCustomer = db.prepare('SELECT * FROM customers WHERE id = ?');
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
  return {
    upsertPlans: tx((plans: Record<string, PlanSpec>, at: number) => {
      for (const [name, spec] of Object.entries(plans)) putPlan.run(name, JSON.stringify(spec), at);
      bump.run();
    }),
    setCustomer: tx(
      (c: { id: string; plan?: string | null; cycleDay?: number; wallet?: string }, at: number) => {
        if (c.plan && !planExists.get(c.plan))
          throw new Error(`plan: no plan named ${JSON.stringify(c.plan)} (apply plans.yaml first)`);
        const cur = getCustomer.get(c.id) as CustomerRowDb | undefined;
        // A new customer's cycle is anchored on the day it is created unless one is given.
        const cycleDay = c.cycleDay ?? cur?.cycle_day ?? new Date(at).getUTCDate();
        const plan = c.plan === undefined ? (cur?.plan ?? null) : c.plan;
        const wallet = c.wallet ?? cur?.wallet ?? null;
        putCustomer.run(c.id, plan, cycleDay, wallet, cur?.created_at ?? at, at);
        bump.run();
        return fromCustomer(getCustomer.get(c.id) as CustomerRowDb);
      },
    ),
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
    case 'addWalletEntry':
      return w.addWalletEntry(...call.args);
    case 'insertKey':
      return w.insertKey(...call.args);
    case 'revokeKey':
      return w.revokeKey(...call.args);
  }
}
