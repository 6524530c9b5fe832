import type Database from 'better-sqlite3';
import type { LedgerRow } from '../types.js';
import { DAY_MS, DETAIL, DIMS, MONTH, TAG, upsertSql, WEEK } from './rollup-sql.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * One group's sums (the same sums as RAW_SUMS in rollup-sql.ts over raw rows). Plain number fields, so
 * adding a row allocates nothing; cost is pico-USD and may pass 2^53 over many rows, so it is summed as a
 * number while that stays exact and carried into a bigint before it would not.
 */
class Sums {
  requests = 0;
  used = 0;
  input = 0;
  output = 0;
  cacheRead = 0;
  cacheWrite = 0;
  hits = 0;
  hitInput = 0;
  unpriced = 0;
  estimated = 0;
  errors = 0;
  cost = 0;
  costCarry = 0n;

  /** Sets these sums to one row's. */
  of(r: LedgerRow): void {
    const input = r.inputTokens + r.cacheReadTokens + r.cacheWrite5mTokens + r.cacheWrite1hTokens;
    this.requests = 1;
    this.used = input + r.outputTokens > 0 ? 1 : 0;
    this.input = r.inputTokens;
    this.output = r.outputTokens;
    this.cacheRead = r.cacheReadTokens;
    this.cacheWrite = r.cacheWrite5mTokens + r.cacheWrite1hTokens;
    this.hits = r.cacheHit ? 1 : 0;
    this.hitInput = r.cacheHit ? input : 0;
    this.unpriced = r.unpriced ? 1 : 0;
    this.estimated = r.estimated ? 1 : 0;
    this.errors = r.status >= 400 ? 1 : 0;
    const cost = r.costPico ?? 0;
    // Past 2^53 a row's cost goes straight to the bigint (BigInt throws for a fraction, as it should).
    const safe = Number.isSafeInteger(cost);
    this.cost = safe ? cost : 0;
    this.costCarry = safe ? 0n : BigInt(cost);
  }

  add(s: Sums): void {
    this.requests += s.requests;
    this.used += s.used;
    this.input += s.input;
    this.output += s.output;
    this.cacheRead += s.cacheRead;
    this.cacheWrite += s.cacheWrite;
    this.hits += s.hits;
    this.hitInput += s.hitInput;
    this.unpriced += s.unpriced;
    this.estimated += s.estimated;
    this.errors += s.errors;
    if (this.cost > MAX_SAFE - s.cost) {
      this.costCarry += BigInt(this.cost);
      this.cost = 0;
    }
    this.cost += s.cost;
    if (s.costCarry !== 0n) this.costCarry += s.costCarry;
  }
}

/** A rollup group: its key columns (the upsert appends the sums to them when it runs) and its sums. */
class Group extends Sums {
  constructor(readonly keys: (string | number | bigint)[]) {
    super();
  }
}

/**
 * One customer's groups in a transaction. Its detail groups are keyed by the shared day × dims group and
 * its month and week groups by their start: object and number keys, so a row builds one key string (its
 * dims), not one per rollup.
 */
class CustomerGroups {
  readonly detail = new Map<Group, Group>();
  readonly month = new Map<number, Group>();
  readonly week = new Map<number, Group>();
}

function monthOf(ts: number): number {
  const d = new Date(ts);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/**
 * The rollup changes of one write transaction, gathered per group in memory and upserted once per group
 * at its end (a batch of calls from a few customers touches a few groups): inside the same transaction as
 * the rows, so a crash keeps both or neither.
 */
export class RollupDeltas {
  private readonly customers = new Map<string, CustomerGroups>();
  /** Day × feature × model × provider: the dims rollup's groups, and the detail groups' second key. */
  private readonly dims = new Map<string, Group>();
  private readonly tags = new Map<string, Group>();
  private readonly detailSql: Database.Statement;
  private readonly monthSql: Database.Statement;
  private readonly weekSql: Database.Statement;
  private readonly dimsSql: Database.Statement;
  private readonly tagSql: Database.Statement;
  /** The row being added, as sums: reused, so adding a row allocates only new groups and one key. */
  private readonly row = new Sums();
  /** The last row's day and its month and ISO week (rows come in runs of one day). */
  private day = Number.NaN;
  private month = 0;
  private week = 0;

  constructor(db: Database.Database) {
    this.detailSql = db.prepare(upsertSql(DETAIL));
    this.monthSql = db.prepare(upsertSql(MONTH));
    this.weekSql = db.prepare(upsertSql(WEEK));
    this.dimsSql = db.prepare(upsertSql(DIMS));
    this.tagSql = db.prepare(upsertSql(TAG));
  }

  /** Adds a row that was really inserted (not a duplicate). */
  add(r: LedgerRow): void {
    const s = this.row;
    s.of(r);
    const day = Math.floor(r.ts / DAY_MS) * DAY_MS;
    if (day !== this.day) {
      this.day = day;
      this.month = monthOf(day);
      this.week = day - ((day / DAY_MS + 3) % 7) * DAY_MS; // 1970-01-01 was a Thursday
    }
    const model = r.modelServed ?? r.modelRequested;
    const dimsKey = `${day}\u0000${r.feature}\u0000${model}\u0000${r.provider}`;
    let dims = this.dims.get(dimsKey);
    if (!dims) {
      dims = new Group([day, r.feature, model, r.provider]);
      this.dims.set(dimsKey, dims);
    }
    dims.add(s);
    let c = this.customers.get(r.customer);
    if (!c) {
      c = new CustomerGroups();
      this.customers.set(r.customer, c);
    }
    let detail = c.detail.get(dims);
    if (!detail) {
      detail = new Group([r.customer, day, r.feature, model, r.provider]);
      c.detail.set(dims, detail);
    }
    detail.add(s);
    let month = c.month.get(this.month);
    if (!month) {
      month = new Group([r.customer, this.month]);
      c.month.set(this.month, month);
    }
    month.add(s);
    let week = c.week.get(this.week);
    if (!week) {
      week = new Group([this.week, r.customer]);
      c.week.set(this.week, week);
    }
    week.add(s);
    if (r.tags)
      for (const tag of r.tags) {
        const tagKey = `${day}\u0000${tag}`;
        let g = this.tags.get(tagKey);
        if (!g) {
          g = new Group([day, tag]);
          this.tags.set(tagKey, g);
        }
        g.add(s);
      }
  }

  /** Upserts every gathered group (keys, then the sums in SUM_COLUMNS order) and starts empty again. */
  flush(): void {
    // Table by table, so each upsert lands near the one before it.
    for (const c of this.customers.values()) for (const g of c.detail.values()) upsert(this.detailSql, g);
    for (const c of this.customers.values()) for (const g of c.month.values()) upsert(this.monthSql, g);
    for (const c of this.customers.values()) for (const g of c.week.values()) upsert(this.weekSql, g);
    for (const g of this.dims.values()) upsert(this.dimsSql, g);
    for (const g of this.tags.values()) upsert(this.tagSql, g);
    this.clear();
  }

  /** Forgets what was gathered (after a flush, or when the transaction rolled back). */
  clear(): void {
    this.customers.clear();
    this.dims.clear();
    this.tags.clear();
  }
}

/** Upserts one group: its keys, then its sums in SUM_COLUMNS order, bound as one array (no spread). */
function upsert(stmt: Database.Statement, g: Group): void {
  const params = g.keys;
  params.push(
    g.requests,
    g.used,
    g.input,
    g.output,
    g.cacheRead,
    g.cacheWrite,
    g.hits,
    g.hitInput,
    // A bigint binds as an integer (a number would bind as a float, inexact past 2^53).
    g.costCarry + BigInt(g.cost),
    g.unpriced,
    g.estimated,
    g.errors,
  );
  stmt.run(params);
}
