// The lean per-customer spend read (EconomicsReader.customerSpend) over the rollups, shared by the reader
// and the thread that runs it off the event loop (spend-thread-main.ts): it imports nothing heavy.
import type Database from 'better-sqlite3';
import type { SpendGrain } from '../../economics/reader.js';
import { type SpendTable, SpendTableBuilder } from '../../economics/spend-table.js';
import { DETAIL, MONTH, WEEK } from './rollup-sql.js';

const SOURCE = {
  month: [MONTH.table, 'month'],
  week: [WEEK.table, 'week'],
  day: [DETAIL.table, 'day'],
} as const;

// Counts come back as plain numbers. Money comes back as an integer while it is a safe one (|x| < 2^53, any
// customer-month under $9,007) and as exact decimal text beyond, so it never passes through a float.
const SAFE = 9007199254740991;
export const money = (expr: string) =>
  `CASE WHEN ${expr} BETWEEN -${SAFE} AND ${SAFE} THEN ${expr} ELSE CAST(${expr} AS TEXT) END`;

/**
 * Optional customer filter: a JSON array bound as @customers. Written without an "IS NULL OR" so SQLite
 * looks the customers up by the primary key instead of scanning every row.
 */
export const customersWhere = (customers: readonly string[] | undefined): string =>
  customers ? 'customer IN (SELECT value FROM json_each(@customers))' : '1';

export interface SpendQuery {
  grain: SpendGrain;
  from: number;
  to: number;
  customers?: readonly string[];
}

/** Iterated as arrays into typed columns: no object survives per row (see economics/spend-table.ts). */
export function readSpend(db: Database.Database, q: SpendQuery): SpendTable {
  const sum = (c: string) => (q.grain === 'day' ? `SUM(${c})` : c);
  const [table, key] = SOURCE[q.grain];
  const rows = db
    .prepare(
      `SELECT customer, ${key}, ${money(sum('cost_pico'))}, ${sum('requests')}, ${sum('used_requests')}
       FROM ${table} WHERE ${key} >= @from AND ${key} < @to AND ${customersWhere(q.customers)}
       ${q.grain === 'day' ? 'GROUP BY customer, day' : ''} ORDER BY customer, ${key}`,
    )
    .raw()
    .iterate({
      from: q.from,
      to: q.to,
      customers: q.customers ? JSON.stringify(q.customers) : null,
    }) as IterableIterator<[string, number, number | string, number, number]>;
  const out = new SpendTableBuilder();
  for (const r of rows) out.push(r[0], r[1], BigInt(r[2]), r[3], r[4]);
  return out.done();
}
