import type Database from 'better-sqlite3';
import type { LedgerRow } from '../types.js';
import { GroupTable } from './group-table.js';
import { DAY_MS, DETAIL, DIMS, MONTH, SUM_COLUMNS, TAG, upsertSql, WEEK } from './rollup-sql.js';

/** One customer's groups in a transaction: detail by dims group, month and week by their start. */
interface CustomerGroups {
  detail: Map<number, number>;
  month: Map<number, number>;
  week: Map<number, number>;
}

function monthOf(ts: number): number {
  const d = new Date(ts);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/**
 * The rollup changes of one write transaction, gathered per group in memory and upserted once per group
 * at its end (a batch of calls from a few customers touches a few groups): inside the same transaction as
 * the rows, so a crash keeps both or neither. A row's groups are found without building key strings: its
 * day × dims group through maps keyed by its own fields, its customer's detail group by that group's number.
 */
export class RollupDeltas {
  private readonly detail: GroupTable;
  private readonly month: GroupTable;
  private readonly week: GroupTable;
  private readonly dims: GroupTable;
  private readonly tag: GroupTable;
  /** Day → feature → model → provider → dims group: lookups by the row's own strings, no key built. */
  private readonly dimsOf = new Map<number, Map<string, Map<string, Map<string, number>>>>();
  private readonly tagOf = new Map<string, number>();
  private readonly customers = new Map<string, CustomerGroups>();
  /** The row being added, as sums in SUM_COLUMNS order (reused). */
  private readonly row = new Float64Array(SUM_COLUMNS.length);
  /** The last row's day and its month and ISO week (rows come in runs of one day). */
  private day = Number.NaN;
  private monthStart = 0;
  private weekStart = 0;

  constructor(db: Database.Database) {
    this.detail = new GroupTable(db.prepare(upsertSql(DETAIL)), DETAIL.keys.length);
    this.month = new GroupTable(db.prepare(upsertSql(MONTH)), MONTH.keys.length);
    this.week = new GroupTable(db.prepare(upsertSql(WEEK)), WEEK.keys.length);
    this.dims = new GroupTable(db.prepare(upsertSql(DIMS)), DIMS.keys.length);
    this.tag = new GroupTable(db.prepare(upsertSql(TAG)), TAG.keys.length);
  }

  /** Adds a row that was really inserted (not a duplicate). */
  add(r: LedgerRow): void {
    const carry = rowSums(r, this.row);
    const day = Math.floor(r.ts / DAY_MS) * DAY_MS;
    if (day !== this.day) {
      this.day = day;
      this.monthStart = monthOf(day);
      this.weekStart = day - ((day / DAY_MS + 3) % 7) * DAY_MS; // 1970-01-01 was a Thursday
    }
    const model = r.modelServed ?? r.modelRequested;
    const byProvider = inner(inner(inner(this.dimsOf, day), r.feature), model);
    let dims = byProvider.get(r.provider);
    if (dims === undefined) {
      dims = this.dims.open(day, r.feature, model, r.provider);
      byProvider.set(r.provider, dims);
    }
    this.dims.add(dims, this.row, carry);
    let c = this.customers.get(r.customer);
    if (c === undefined) {
      c = { detail: new Map(), month: new Map(), week: new Map() };
      this.customers.set(r.customer, c);
    }
    let g = c.detail.get(dims);
    if (g === undefined) {
      g = this.detail.open(r.customer, day, r.feature, model, r.provider);
      c.detail.set(dims, g);
    }
    this.detail.add(g, this.row, carry);
    g = c.month.get(this.monthStart);
    if (g === undefined) {
      g = this.month.open(r.customer, this.monthStart);
      c.month.set(this.monthStart, g);
    }
    this.month.add(g, this.row, carry);
    g = c.week.get(this.weekStart);
    if (g === undefined) {
      g = this.week.open(this.weekStart, r.customer);
      c.week.set(this.weekStart, g);
    }
    this.week.add(g, this.row, carry);
    if (r.tags)
      for (const tag of r.tags) {
        const tagKey = `${day}\u0000${tag}`;
        g = this.tagOf.get(tagKey);
        if (g === undefined) {
          g = this.tag.open(day, tag);
          this.tagOf.set(tagKey, g);
        }
        this.tag.add(g, this.row, carry);
      }
  }

  /** Upserts every gathered group and starts empty again. */
  flush(): void {
    this.detail.flush();
    this.month.flush();
    this.week.flush();
    this.dims.flush();
    this.tag.flush();
    this.forget();
  }

  /** Forgets what was gathered (the transaction rolled back). */
  clear(): void {
    for (const t of [this.detail, this.month, this.week, this.dims, this.tag]) t.clear();
    this.forget();
  }

  private forget(): void {
    this.dimsOf.clear();
    this.tagOf.clear();
    this.customers.clear();
  }
}

/** The map under `key` in `outer`, made on first use. */
function inner<K, V>(outer: Map<K, Map<string, V>>, key: K): Map<string, V> {
  let m = outer.get(key);
  if (m === undefined) {
    m = new Map();
    outer.set(key, m);
  }
  return m;
}

/**
 * A row's sums in SUM_COLUMNS order (the same sums as RAW_SUMS over raw rows), written into `out`.
 * Returns the row's cost as a bigint when it is past 2^53 (then 0 in `out`); BigInt throws for a fraction.
 */
function rowSums(r: LedgerRow, out: Float64Array): bigint | undefined {
  const input = r.inputTokens + r.cacheReadTokens + r.cacheWrite5mTokens + r.cacheWrite1hTokens;
  out[0] = 1;
  out[1] = input + r.outputTokens > 0 ? 1 : 0;
  out[2] = r.inputTokens;
  out[3] = r.outputTokens;
  out[4] = r.cacheReadTokens;
  out[5] = r.cacheWrite5mTokens + r.cacheWrite1hTokens;
  out[6] = r.cacheHit ? 1 : 0;
  out[7] = r.cacheHit ? input : 0;
  out[9] = r.unpriced ? 1 : 0;
  out[10] = r.estimated ? 1 : 0;
  out[11] = r.status >= 400 ? 1 : 0;
  const cost = r.costPico ?? 0;
  if (Number.isSafeInteger(cost)) {
    out[8] = cost;
    return undefined;
  }
  out[8] = 0;
  return BigInt(cost);
}
