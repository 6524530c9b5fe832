import type Database from 'better-sqlite3';
import type { LedgerRow } from '../types.js';
import { DAY_MS, DETAIL, DIMS, MONTH, TAG, upsertSql, WEEK } from './rollup-sql.js';

/**
 * One group's sums in SUM_COLUMNS order (rollup-sql.ts); `counts` holds every column but cost_pico, which
 * is a bigint of its own (pico-USD sums may pass 2^53).
 */
interface Group {
  keys: (string | number)[];
  counts: number[];
  cost: bigint;
}

/** A row's counts, in SUM_COLUMNS order without cost_pico (the same sums as RAW_SUMS over raw rows). */
function rowCounts(r: LedgerRow): number[] {
  const input = r.inputTokens + r.cacheReadTokens + r.cacheWrite5mTokens + r.cacheWrite1hTokens;
  return [
    1,
    input + r.outputTokens > 0 ? 1 : 0,
    r.inputTokens,
    r.outputTokens,
    r.cacheReadTokens,
    r.cacheWrite5mTokens + r.cacheWrite1hTokens,
    r.cacheHit ? 1 : 0,
    r.cacheHit ? input : 0,
    r.unpriced ? 1 : 0,
    r.estimated ? 1 : 0,
    r.status >= 400 ? 1 : 0,
  ];
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
  private readonly detail = new Map<string, Group>();
  private readonly month = new Map<string, Group>();
  private readonly week = new Map<string, Group>();
  private readonly dims = new Map<string, Group>();
  private readonly tags = new Map<string, Group>();
  private readonly upserts: [Map<string, Group>, Database.Statement][];

  constructor(db: Database.Database) {
    this.upserts = [
      [this.detail, db.prepare(upsertSql(DETAIL))],
      [this.month, db.prepare(upsertSql(MONTH))],
      [this.week, db.prepare(upsertSql(WEEK))],
      [this.dims, db.prepare(upsertSql(DIMS))],
      [this.tags, db.prepare(upsertSql(TAG))],
    ];
  }

  /** Adds a row that was really inserted (not a duplicate). */
  add(r: LedgerRow): void {
    const counts = rowCounts(r);
    const cost = BigInt(r.costPico ?? 0);
    const day = Math.floor(r.ts / DAY_MS) * DAY_MS;
    const model = r.modelServed ?? r.modelRequested;
    const dims = `${day}\u0000${r.feature}\u0000${model}\u0000${r.provider}`;
    add(this.detail, `${r.customer}\u0000${dims}`, counts, cost, () => [
      r.customer,
      day,
      r.feature,
      model,
      r.provider,
    ]);
    const month = monthOf(r.ts);
    add(this.month, `${r.customer}\u0000${month}`, counts, cost, () => [r.customer, month]);
    const week = day - ((day / DAY_MS + 3) % 7) * DAY_MS; // 1970-01-01 was a Thursday
    add(this.week, `${week}\u0000${r.customer}`, counts, cost, () => [week, r.customer]);
    add(this.dims, dims, counts, cost, () => [day, r.feature, model, r.provider]);
    for (const tag of r.tags ?? []) add(this.tags, `${day}\u0000${tag}`, counts, cost, () => [day, tag]);
  }

  /** Upserts every gathered group (keys, counts, cost in column order) and starts empty again. */
  flush(): void {
    for (const [groups, stmt] of this.upserts) {
      for (const g of groups.values()) {
        const c = g.counts;
        stmt.run(...g.keys, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], g.cost, c[8], c[9], c[10]);
      }
      groups.clear();
    }
  }

  /** Forgets what was gathered (the transaction rolled back). */
  clear(): void {
    for (const [groups] of this.upserts) groups.clear();
  }
}

function add(
  groups: Map<string, Group>,
  key: string,
  counts: readonly number[],
  cost: bigint,
  keys: () => (string | number)[],
): void {
  const g = groups.get(key);
  if (!g) {
    groups.set(key, { keys: keys(), counts: counts.slice(), cost });
    return;
  }
  for (let i = 0; i < counts.length; i++) (g.counts[i] as number) += counts[i] as number;
  g.cost += cost;
}
