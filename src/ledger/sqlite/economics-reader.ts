import type Database from 'better-sqlite3';
import { groupsFromKeys, type HistoryGroups } from '../../economics/history-groups.js';
import type {
  CustomerDay,
  CustomerDetailDay,
  CustomerMonth,
  CustomerWeek,
  DimensionDay,
  EconomicsReader,
  PlanSpan,
  SpendGrain,
  TagDay,
  TopUp,
  UsageSums,
} from '../../economics/reader.js';
import type { SpendTable } from '../../economics/spend-table.js';
import { DAY_MS, DETAIL, DIMS, MONTH, SUM_COLUMNS, TAG, WEEK } from './rollup-sql.js';
import { customersWhere, money, readSpend } from './spend-sql.js';
import type { SpendThread } from './spend-thread.js';

type Raw = Record<string, number | bigint | string | null>;
/** A rollup row's sum columns as SQLite hands them back (SUMS/SUMMED below). */
type SumsRow = Record<Exclude<(typeof SUM_COLUMNS)[number], 'cost_pico'>, number> & {
  cost_pico: number | string;
};
type Span = { a: number | null; b: number | null };
const dayOf = (ts: number) => Math.floor(ts / DAY_MS) * DAY_MS;

const SUMS = SUM_COLUMNS.map((c) => (c === 'cost_pico' ? `${money('cost_pico')} AS cost_pico` : c)).join(
  ', ',
);
const SUMMED = SUM_COLUMNS.map((c) =>
  c === 'cost_pico' ? `${money('SUM(cost_pico)')} AS cost_pico` : `SUM(${c}) AS ${c}`,
).join(', ');
/** A row's sums. Named properties (not a loop over column names) keep the reads monomorphic: reports
 * decode hundreds of thousands of rows. */
function sums(r: SumsRow): UsageSums {
  return {
    requests: r.requests,
    usedRequests: r.used_requests,
    inputTokens: r.input_tokens,
    outputTokens: r.output_tokens,
    cacheReadTokens: r.cache_read_tokens,
    cacheWriteTokens: r.cache_write_tokens,
    cacheHitRequests: r.cache_hit_requests,
    cacheHitInputTokens: r.cache_hit_input_tokens,
    costPico: BigInt(r.cost_pico),
    unpricedRequests: r.unpriced_requests,
    estimatedRequests: r.estimated_requests,
    errorRequests: r.error_requests,
  };
}

/**
 * The economics reader over SQLite: everything from the rollups (kept forever, so pruning changes no
 * figure), plan history and wallet top-ups. Money is read as decimal text into a bigint, never via a float.
 */
export class SqliteEconomicsReader implements EconomicsReader {
  constructor(
    private readonly db: Database.Database,
    private readonly spend?: SpendThread,
  ) {}

  private all(sql: string, params: Record<string, unknown>): (Raw & SumsRow)[] {
    return this.db.prepare(sql).all(params) as (Raw & SumsRow)[];
  }

  async customerMonths(from: number, to: number, customers?: readonly string[]): Promise<CustomerMonth[]> {
    const rows = this.all(
      `SELECT customer, month, ${SUMS} FROM ${MONTH.table}
       WHERE month >= @from AND month < @to AND ${customersWhere(customers)} ORDER BY customer, month`,
      { from, to, customers: customers ? JSON.stringify(customers) : null },
    );
    return rows.map((r) => ({ customer: String(r.customer), month: Number(r.month), ...sums(r) }));
  }

  async customerWeeks(from: number, to: number): Promise<CustomerWeek[]> {
    const rows = this.all(
      `SELECT customer, week, ${SUMS} FROM ${WEEK.table} WHERE week >= @from AND week < @to`,
      { from, to },
    );
    return rows.map((r) => ({ customer: String(r.customer), week: Number(r.week), ...sums(r) }));
  }

  /** On the spend thread when there is one (see spend-thread-main.ts), else on this connection. */
  async customerSpend(
    grain: SpendGrain,
    from: number,
    to: number,
    customers?: readonly string[],
  ): Promise<SpendTable> {
    const q = { grain, from, to, customers };
    // A thread that cannot serve (it failed to start or died) costs speed, never the answer.
    return this.spend ? this.spend.read(q).catch(() => readSpend(this.db, q)) : readSpend(this.db, q);
  }

  async customerDays(from: number, to: number, customers?: readonly string[]): Promise<CustomerDay[]> {
    const rows = this.all(
      `SELECT customer, day, ${SUMMED} FROM ${DETAIL.table}
       WHERE day >= @from AND day < @to AND ${customersWhere(customers)}
       GROUP BY customer, day ORDER BY customer, day`,
      { from, to, customers: customers ? JSON.stringify(customers) : null },
    );
    return rows.map((r) => ({ customer: String(r.customer), day: Number(r.day), ...sums(r) }));
  }

  async customerDetailDays(
    from: number,
    to: number,
    customers?: readonly string[],
  ): Promise<CustomerDetailDay[]> {
    const rows = this.all(
      `SELECT customer, day, feature, model, provider, ${SUMS} FROM ${DETAIL.table}
       WHERE day >= @from AND day < @to AND ${customersWhere(customers)}
       ORDER BY customer, day, feature, model, provider`,
      { from, to, customers: customers ? JSON.stringify(customers) : null },
    );
    return rows.map((r) => ({
      customer: String(r.customer),
      day: Number(r.day),
      feature: String(r.feature),
      model: String(r.model),
      provider: String(r.provider),
      ...sums(r),
    }));
  }

  async dimensionDays(from: number, to: number): Promise<DimensionDay[]> {
    const rows = this.all(
      `SELECT day, feature, model, provider, ${SUMS} FROM ${DIMS.table}
       WHERE day >= @from AND day < @to ORDER BY day, feature, model, provider`,
      { from, to },
    );
    return rows.map((r) => ({
      day: Number(r.day),
      feature: String(r.feature),
      model: String(r.model),
      provider: String(r.provider),
      ...sums(r),
    }));
  }

  async tagDays(from: number, to: number): Promise<TagDay[]> {
    const rows = this.all(
      `SELECT day, tag, ${SUMS} FROM ${TAG.table} WHERE day >= @from AND day < @to ORDER BY day, tag`,
      { from, to },
    );
    return rows.map((r) => ({ day: Number(r.day), tag: String(r.tag), ...sums(r) }));
  }

  /** Iterated as arrays: a report reads every customer's history (100k rows), one object each. */
  async planHistory(from: number, to: number): Promise<PlanSpan[]> {
    const rows = this.db
      .prepare(
        `SELECT customer, plan, ${money('mrr_pico')}, from_ts, to_ts FROM customer_plan_history
         WHERE from_ts < @to AND (to_ts IS NULL OR to_ts > @from) ORDER BY customer, from_ts`,
      )
      .raw()
      .iterate({ from, to }) as IterableIterator<
      [string, string | null, number | string | null, number, number | null]
    >;
    const out: PlanSpan[] = [];
    for (const r of rows)
      out.push({
        customer: r[0],
        plan: r[1],
        mrrPico: r[2] === null ? null : BigInt(r[2]),
        from: r[3],
        to: r[4],
      });
    return out;
  }

  /** Grouped in SQL: one row per customer with its spans as one key (see economics/history-groups.ts). */
  async historyGroups(from: number, to: number): Promise<HistoryGroups> {
    const day = (c: string) => `((${c} / ${DAY_MS}) * ${DAY_MS})`;
    const span = `COALESCE(plan, '') || char(31) || COALESCE(CAST(mrr_pico AS TEXT), '') || char(31) ||
      ${day('from_ts')} || char(31) || COALESCE(${day('to_ts')}, '')`;
    const rows = this.db
      .prepare(
        `SELECT customer, group_concat(${span}, char(30) ORDER BY from_ts) FROM customer_plan_history
         WHERE from_ts < @to AND (to_ts IS NULL OR to_ts > @from) GROUP BY customer ORDER BY customer`,
      )
      .raw()
      .iterate({ from, to }) as IterableIterator<[string, string]>;
    return groupsFromKeys(rows);
  }

  /** Every positive wallet movement: top-ups (whatever their reason text); usage debits are negative. */
  async topUps(from: number, to: number): Promise<TopUp[]> {
    const rows = this.all(
      `SELECT wallet, ts, CAST(amount_pico AS TEXT) AS amount_pico FROM wallet_entries
       WHERE amount_pico > 0 AND ts >= @from AND ts < @to ORDER BY ts, rowid`,
      { from, to },
    );
    return rows.map((r) => ({
      wallet: String(r.wallet),
      ts: Number(r.ts),
      amountPico: BigInt(r.amount_pico as string),
    }));
  }

  /**
   * Raw rows give exact times; a day only the rollups still hold (its rows were pruned) counts from its
   * 00:00 UTC when it lies outside the raw rows' days.
   */
  async span(): Promise<{ first: number; last: number } | null> {
    const raw = this.db.prepare('SELECT MIN(ts) AS a, MAX(ts) AS b FROM requests').get() as Span;
    const days = this.db.prepare(`SELECT MIN(day) AS a, MAX(day) AS b FROM ${DIMS.table}`).get() as Span;
    if (raw.a === null || raw.b === null)
      return days.a === null || days.b === null ? null : { first: days.a, last: days.b };
    const first = days.a !== null && days.a < dayOf(raw.a) ? days.a : raw.a;
    const last = days.b !== null && days.b > dayOf(raw.b) ? days.b : raw.b;
    return { first, last };
  }
}
