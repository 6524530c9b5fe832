import type Database from 'better-sqlite3';

/** The span in force now (to_ts NULL): its plan, MRR (pico-USD, null = the plan's price) and start. */
export interface OpenSpan {
  plan: string | null;
  mrrPico: bigint | null;
  from: number;
}

export interface PlanHistoryWrites {
  current(customer: string): OpenSpan | undefined;
  /**
   * Makes `plan` at `mrrPico` the customer's plan from `effective` on, inside the caller's transaction.
   * Nothing changes when the open span already says so and began no later than `effective`; otherwise
   * spans starting at or after `effective` are replaced (a backdated change rewrites what followed it),
   * the span covering `effective` is closed there and a new open span begins. Returns whether it wrote.
   */
  record(customer: string, plan: string | null, mrrPico: bigint | null, effective: number): boolean;
}

export function preparePlanHistory(db: Database.Database): PlanHistoryWrites {
  // MRR is read as text: pico-USD above 2^53 must not pass through a JS number.
  const open = db.prepare(
    `SELECT plan, CAST(mrr_pico AS TEXT) AS mrr, from_ts FROM customer_plan_history
     WHERE customer = ? AND to_ts IS NULL ORDER BY from_ts DESC LIMIT 1`,
  );
  const dropFrom = db.prepare('DELETE FROM customer_plan_history WHERE customer = ? AND from_ts >= ?');
  const closeAt = db.prepare(
    `UPDATE customer_plan_history SET to_ts = @at
     WHERE customer = @customer AND from_ts < @at AND (to_ts IS NULL OR to_ts > @at)`,
  );
  const openSpan = db.prepare(
    'INSERT INTO customer_plan_history (customer, plan, mrr_pico, from_ts, to_ts) VALUES (?, ?, ?, ?, NULL)',
  );
  const current = (customer: string): OpenSpan | undefined => {
    const r = open.get(customer) as { plan: string | null; mrr: string | null; from_ts: number } | undefined;
    return r && { plan: r.plan, mrrPico: r.mrr === null ? null : BigInt(r.mrr), from: r.from_ts };
  };
  return {
    current,
    record(customer, plan, mrrPico, effective) {
      const cur = current(customer);
      if (cur && cur.plan === plan && cur.mrrPico === mrrPico && cur.from <= effective) return false;
      dropFrom.run(customer, effective);
      closeAt.run({ customer, at: effective });
      openSpan.run(customer, plan, mrrPico, effective);
      return true;
    },
  };
}
