import type Database from 'better-sqlite3';
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
import { type SpendTable, SpendTableBuilder } from '../../economics/spend-table.js';
import { DAY_MS, DETAIL, DIMS, MONTH, SUM_COLUMNS, TAG, WEEK } from './rollup-sql.js';

type Raw = Record<string, number | bigint | string | null>;
/** A rollup row's sum columns as SQLite hands them back (SUMS/SUMMED below). */
type SumsRow = Record<Exclude<(typeof SUM_COLUMNS)[number], 'cost_pico'>, number> & {
  cost_pico: number | string;
};
type Span = { a: number | null; b: number | null };
const SPEND_SOURCE = {
  month: [MONTH.table, 'month'],
  week: [WEEK.table, 'week'],
  day: [DETAIL.table, 'day'],
} as const;
const dayOf = (ts: number) => Math.floor(ts / DAY_MS) * DAY_MS;

// Counts come back as plain numbers. Money comes back as an integer while it is a safe one (|x| < 2^53, any
// customer-month under $9,007) and as exact decimal text beyond, so it never passes through a float.
const SAFE = 9007199254740991;
const money = (expr: string) =>
  `CASE WHEN ${expr} BETWEEN -${SAFE} AND ${SAFE} THEN ${expr} ELSE CAST(${expr} AS TEXT) END`;
const SUMS = SUM_COLUMNS.map((c) => (c === 'cost_pico' ? `${money('cost_pico')} AS cost_pico` : c)).join(
  ', ',
);
const SUMMED = SUM_COLUMNS.map((c) =>
  c === 'cost_pico' ? `${money('SUM(cost_pico)')} AS cost_pico` : `SUM(${c}) AS ${c}`,
).join(', ');
/**
 * Optional customer filter: a JSON array bound as @customers. Written without an "IS NULL OR" so SQLite
 * looks the customers up by the primary key instead of scanning every row.
 */
const customersWhere = (customers: readonly string[] | undefined): string =>
  customers ? 'customer IN (SELECT value FROM json_each(@customers))' : '1';

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
  constructor(private readonly db: Database.Database) {}

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

  /** Iterated as arrays into typed columns: no object survives per row (see economics/spend-table.ts). */
  async customerSpend(
    grain: SpendGrain,
    from: number,
    to: number,
    customers?: readonly string[],
  ): Promise<SpendTable> {
    const sum = (c: string) => (grain === 'day' ? `SUM(${c})` : c);
    const [table, key] = SPEND_SOURCE[grain];
    const rows = this.db
      .prepare(
        `SELECT customer, ${key}, ${money(sum('cost_pico'))}, ${sum('requests')}, ${sum('used_requests')}
         FROM ${table} WHERE ${key} >= @from AND ${key} < @to AND ${customersWhere(customers)}
         ${grain === 'day' ? 'GROUP BY customer, day' : ''} ORDER BY customer, ${key}`,
      )
      .raw()
      .iterate({ from, to, customers: customers ? JSON.stringify(customers) : null }) as IterableIterator<
      [string, number, number | string, number, number]
    >;
    const out = new SpendTableBuilder();
    for (const r of rows) out.push(r[0], r[1], BigInt(r[2]), r[3], r[4]);
    return out.done();
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
